"""End-to-end: the Poems studio's panels as a visitor uses them: the model picker,
watch it learn, real or fake, copy and download, keyboard and phone width."""
import re

import pytest

from tests.e2e.poems_helpers import STUDIO, fetch_json, generated_text, open_poems, poems_cards, write

pytestmark = pytest.mark.e2e


def test_picker_shows_each_poet_and_loads_with_progress(page, live_server):
    cards = poems_cards(live_server.url)
    open_poems(page, live_server.url, "wasm")
    first = page.locator(f"{STUDIO} li[data-model='poems/{cards[0]['name']}']")
    assert first.locator("button").get_attribute("aria-pressed") == "true"
    assert "checksums verified" in first.locator(".message").inner_text()
    loaded, total = first.locator(".progress-text").inner_text().split(" of ")
    assert loaded == total
    assert first.locator(".progress label").inner_text() == f"Downloaded {cards[0]['title']}"
    for card in cards:
        item = page.locator(f"{STUDIO} li[data-model='poems/{card['name']}']")
        assert item.locator("h3").inner_text() == card["title"]
        assert card["extras"]["corpus"] in item.locator(".corpus").inner_text()
        assert f"{card['metrics']['val_bits_per_char']:.2f} bits/char" in item.locator(".meta").inner_text()
    if len(cards) > 1:  # switching poets
        other = page.locator(f"{STUDIO} li[data-model='poems/{cards[1]['name']}']")
        other.locator("button").click()
        page.wait_for_selector(f"{STUDIO}[data-poet='poems/{cards[1]['name']}']")
        assert other.locator("button").get_attribute("aria-pressed") == "true"
        assert first.locator("button").get_attribute("aria-pressed") == "false"
    assert page.problems.errors == []


def test_watch_it_learn_writes_side_by_side(page, live_server):
    cards = poems_cards(live_server.url)
    card = cards[0]
    snapshots = card["extras"].get("snapshots") or []
    assert snapshots, f"{card['name']} ships no snapshots for 'watch it learn'"
    open_poems(page, live_server.url, "wasm")
    options = page.locator(f"{STUDIO} select[name='snapshot'] option").all_inner_texts()
    assert [int(re.match(r"After epoch (\d+)", o).group(1)) for o in options] == [s["epoch"] for s in snapshots]
    page.select_option(f"{STUDIO} select[name='snapshot']", index=0)
    page.fill("input[name='compare-length']", "120")
    page.click("button.compare")
    page.wait_for_function("() => /^Done/.test(document.querySelector('.learn .status').textContent)", timeout=120_000)
    early = page.locator(f"{STUDIO} .learn-column.early")
    final = page.locator(f"{STUDIO} .learn-column.final")
    assert early.locator("figcaption").inner_text().startswith(f"After epoch {snapshots[0]['epoch']}")
    assert final.locator("figcaption").inner_text().startswith(f"Final model · epoch {card['training']['epochs']}")
    vocab = set(fetch_json(live_server.url, card, card["extras"]["vocab"])["chars"])
    texts = []
    for column in (early, final):
        seed = column.locator(".seed").inner_text()
        whole = column.locator("pre").evaluate("e => e.textContent")
        assert whole.startswith(seed)
        texts.append(whole[len(seed):])
    assert all(len(t) == 120 and set(t) <= vocab for t in texts)
    assert texts[0] != texts[1]
    assert page.problems.errors == []


def test_real_or_fake_keeps_score(page, live_server):
    card = poems_cards(live_server.url)[0]
    real_lines = set(fetch_json(live_server.url, card, card["extras"]["real_lines"])["lines"])
    open_poems(page, live_server.url, "wasm")
    page.fill("input[name='length']", "50")  # the game writes its own line whatever the length
    results = []
    for want_right in (True, False):
        page.click("button.new-round")
        page.wait_for_selector(f"{STUDIO} button.choice:not([disabled])", timeout=120_000)
        lines = page.locator(f"{STUDIO} .choice .line-text").all_inner_texts()
        real = [i for i, line in enumerate(lines) if line in real_lines]
        assert len(real) == 1, lines  # one corpus line, one generated line
        assert lines[1 - real[0]].strip() and "\n" not in lines[1 - real[0]]
        pick = real[0] if want_right else 1 - real[0]
        page.locator(f"{STUDIO} button.choice").nth(pick).click()
        assert "real" in page.locator(f"{STUDIO} button.choice").nth(real[0]).get_attribute("class")
        results.append(page.locator(f"{STUDIO} .score").inner_text())
        assert page.locator(f"{STUDIO} button.choice[disabled]").count() == 2
    assert results == ["Score: 1 of 1", "Score: 1 of 2"]
    assert page.problems.errors == []


def test_copy_download_regenerate_and_keyboard(browser, live_server):
    poems_cards(live_server.url)
    context = browser.new_context(viewport={"width": 1200, "height": 860}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    open_poems(page, live_server.url, "wasm")
    page.fill("input[name='length']", "80")
    # Keyboard: Ctrl+Enter in the first line writes.
    page.fill("textarea[name='seed']", "Once upon a hill\n")
    page.focus("textarea[name='seed']")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => document.querySelector(\"section[data-studio='poems']\").dataset.job === 'idle' && document.querySelector('.poem .generated')")
    first = generated_text(page)
    poem = page.evaluate("() => document.querySelector('.poem').textContent")
    assert len(first) == 80 and poem == "Once upon a hill\n" + first
    page.click("button.copy")
    page.wait_for_function("() => /Copied/.test(document.querySelector('.write-status').textContent)")
    assert page.evaluate("() => navigator.clipboard.readText()") == poem
    with page.expect_download() as download_info:
        page.click("button.download")
    download = download_info.value
    assert download.suggested_filename.endswith(".txt")
    with open(download.path(), encoding="utf-8") as f:
        assert f.read() == poem
    # Regenerate: the same first line again, a new poem.
    page.fill("textarea[name='seed']", "something else\n")
    page.click("button.regenerate")
    page.wait_for_function("() => document.querySelector(\"section[data-studio='poems']\").dataset.job === 'idle' && /^Done/.test(document.querySelector('.write-status').textContent)")
    assert page.evaluate("() => document.querySelector('.poem .seed').textContent") == "Once upon a hill\n"
    assert generated_text(page) != first
    # Escape stops a long one.
    page.fill("input[name='length']", "10000")
    page.click("button.generate")
    page.wait_for_function("() => (document.querySelector('.poem .generated')?.textContent.length ?? 0) > 20")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{STUDIO}[data-job='idle']")
    assert page.locator(".write-status").inner_text().startswith("Stopped after")
    assert errors == []
    context.close()


def test_phone_width_layout(browser, live_server):
    poems_cards(live_server.url)
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    open_poems(page, live_server.url, "wasm")
    write(page, 200)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    # Every control in the studio has an accessible name.
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll("section[data-studio='poems'] :is(input, select, textarea, button)")]
                 .filter(el => !el.labels?.length && !el.getAttribute('aria-label') && !el.textContent.trim())
                 .map(el => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    context.close()
