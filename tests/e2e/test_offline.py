"""Offline use: the service worker (web/src/offline/sw.ts) keeps the app shell and every model
the visitor loaded, verified against the card's sha256, and serves them without a network; a
changed card checksum or a corrupt stored file makes it fetch the file again; the Models page
shows what is stored, the space it takes and the quota left, and Remove removes it; every other
studio opens offline after one visit. Also: the worker and the web app manifest are served as
the policy says, by both servers."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO, LiveServer, PageProblems, open_studio
from tests.e2e.poems_helpers import STUDIO, open_poems, write

MODELS_CACHE = "muza-models-v1"

# Paths of the stored model files, each with the sha256 it was verified against and the sha256
# of the bytes actually stored.
STORED = """async (cacheName) => {
  const cache = await caches.open(cacheName);
  const out = {};
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const digest = await crypto.subtle.digest('SHA-256', await response.arrayBuffer());
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    out[new URL(request.url).pathname] = { header: response.headers.get('x-muza-sha256'), body: hex };
  }
  return out;
}"""

CORRUPT = """async ([cacheName, path]) => {
  const cache = await caches.open(cacheName);
  const response = await cache.match(path);
  const bytes = new Uint8Array(await response.arrayBuffer());
  bytes[bytes.length >> 1] ^= 0xff;
  await cache.put(path, new Response(bytes, { headers: response.headers }));
}"""


def settle(page) -> None:
    """Waits until the worker controls the page and holds every model file the page loaded."""
    page.evaluate("() => window.muza.offline.ready")
    page.evaluate("() => window.muza.offline.settled()")
    assert page.evaluate("() => !!navigator.serviceWorker.controller")


def poet_card(base_url: str, page) -> dict:
    poet = page.get_attribute(STUDIO, "data-poet")
    with urllib.request.urlopen(base_url + "/api/models", timeout=10) as response:
        cards = json.load(response)["models"]
    return next(c for c in cards if f"{c['studio']}/{c['name']}" == poet)


def stored(page) -> dict:
    return page.evaluate(STORED, MODELS_CACHE)


def loaded_paths(card: dict) -> list[str]:
    """The files every poet load fetches: the network, its weights and its vocabulary."""
    files = [card["entry"], card["extras"]["vocab"]]
    files += [f for f in card["files"] if f.endswith(".bin") and "/" not in f]
    return [card["base_url"] + f for f in files]


def assert_stored_match_card(page, card: dict) -> dict:
    entries = stored(page)
    for path in loaded_paths(card):
        assert path in entries, f"{path} is not stored: {sorted(entries)}"
        want = card["files"][path[len(card["base_url"]):]]["sha256"]
        assert entries[path] == {"header": want, "body": want}, path
    return entries


def requests_for(server: LiveServer, path: str) -> int:
    server.log.flush()
    return sum(1 for line in Path(server.log.name).read_text().splitlines() if f"GET {path} " in line)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 860})
    yield context
    context.close()


def new_page(context):
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.problems = PageProblems(page)
    return page


def test_studio_and_model_work_offline_and_models_page_shows_and_removes(context, live_server):
    page = new_page(context)
    open_poems(page, live_server.url)
    settle(page)
    card = poet_card(live_server.url, page)
    assert_stored_match_card(page, card)
    assert page.problems.errors == []

    context.set_offline(True)
    try:
        page.reload()
        page.evaluate("() => window.muza.ready")
        page.wait_for_selector(f"{STUDIO}[data-poet]")
        assert page.get_attribute(STUDIO, "data-poet") == f"{card['studio']}/{card['name']}"
        text = write(page, 12)
        assert len(text) >= 12, text
        assert page.evaluate("() => !!navigator.serviceWorker.controller")

        # The Models page, still offline: what is stored, its size, the quota; Remove removes.
        page.evaluate("() => { location.hash = '#/models'; }")
        page.wait_for_selector("section.offline-storage[data-ready='true']")
        item = page.locator(f"li.offline-model[data-model='{card['studio']}/{card['name']}']")
        item.wait_for()
        expected = sum(card["files"][p[len(card["base_url"]):]]["bytes"] for p in loaded_paths(card))
        assert int(item.get_attribute("data-bytes")) >= expected
        assert "MB" in item.inner_text()
        quota = page.inner_text("section.offline-storage .offline-quota")
        assert " of " in quota and "left" in quota, quota
        item.locator("button.remove-offline").click()
        item.wait_for(state="detached")
        assert not [p for p in stored(page) if p.startswith(card["base_url"])]
    finally:
        context.set_offline(False)
    # Back online, "Load and check" stores the model again and the list shows it.
    page.locator(f"li.model-card[data-model='{card['studio']}/{card['name']}'] button", has_text="Load and check").click()
    item.wait_for()
    settle(page)
    entries = stored(page)
    assert card["base_url"] + card["entry"] in entries
    assert [e for e in page.problems.errors if "request failed" not in e] == []


def shakespeare_root(tmp_path: Path) -> Path:
    root = tmp_path / "exported_models"
    shutil.copytree(REPO / "exported_models" / "poems" / "shakespeare", root / "poems" / "shakespeare")
    return root


def test_corrupt_stored_file_is_refused_and_fetched_again(context, tmp_path):
    server = LiveServer(shakespeare_root(tmp_path))
    try:
        page = new_page(context)
        open_poems(page, server.url)
        settle(page)
        card = poet_card(server.url, page)
        shard = next(p for p in loaded_paths(card) if p.endswith(".bin"))
        assert_stored_match_card(page, card)
        before = requests_for(server, shard)

        page.evaluate(CORRUPT, [MODELS_CACHE, shard])
        entries = stored(page)
        assert entries[shard]["body"] != entries[shard]["header"]

        page.reload()
        page.evaluate("() => window.muza.ready")
        page.wait_for_selector(f"{STUDIO}[data-poet]")
        settle(page)
        assert len(write(page, 8)) >= 8
        assert_stored_match_card(page, card)
        assert requests_for(server, shard) == before + 1
        assert page.problems.errors == []
    finally:
        server.stop()


def test_changed_card_checksum_makes_the_worker_fetch_the_new_file(context, tmp_path):
    root = shakespeare_root(tmp_path)
    folder = root / "poems" / "shakespeare"
    server = LiveServer(root)
    port = server.port
    try:
        page = new_page(context)
        open_poems(page, server.url)
        settle(page)
        card = poet_card(server.url, page)
        assert_stored_match_card(page, card)
    finally:
        server.stop()

    # A new export of the same model: model.json changes (same network, other bytes), the card
    # says so; the weights and vocabulary stay as they are.
    entry = folder / card["entry"]
    data = entry.read_bytes() + b"\n\n"
    entry.write_bytes(data)
    card_file = json.loads((folder / "card.json").read_text())
    card_file["files"][card["entry"]] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (folder / "card.json").write_text(json.dumps(card_file, indent=2))

    server = LiveServer(root, port=port)
    try:
        page.reload()
        page.evaluate("() => window.muza.ready")
        page.wait_for_selector(f"{STUDIO}[data-poet]")
        settle(page)
        new_card = poet_card(server.url, page)
        assert new_card["files"][card["entry"]]["sha256"] == hashlib.sha256(data).hexdigest()
        assert_stored_match_card(page, new_card)
        assert len(write(page, 8)) >= 8
        assert requests_for(server, card["base_url"] + card["entry"]) >= 1
        shard = next(p for p in loaded_paths(card) if p.endswith(".bin"))
        assert requests_for(server, shard) == 0, "an unchanged file was fetched again"
        assert page.problems.errors == []
    finally:
        server.stop()


@pytest.mark.parametrize("server_name", ["live_server", "nginx_server"])
def test_worker_and_manifest_are_served_as_the_policy_says(request, server_name):
    server = request.getfixturevalue(server_name)

    def get(path: str):
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.headers, response.read()

    headers, body = get("/sw.js")
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["Cache-Control"] == "no-cache"
    assert b"muza-shell-" in body
    headers, body = get("/manifest.webmanifest")
    assert headers["Content-Type"] == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {i["sizes"] for i in manifest["icons"] if i["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        headers, body = get(icon["src"])
        assert headers["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            with Image.open(io.BytesIO(body)) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
    headers, index = get("/")
    assert b'<link rel="manifest" href="/manifest.webmanifest">' in index
    assert "worker-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("route", ["style", "latent", "backgrounds", "music"])
def test_every_studio_opens_offline_after_one_visit(context, live_server, route):
    page = new_page(context)
    open_studio(page, live_server.url, route)
    page.wait_for_load_state("networkidle")
    settle(page)
    studio = page.evaluate("() => window.location.hash")
    with urllib.request.urlopen(live_server.url + "/api/models", timeout=10) as response:
        shipped = [c for c in json.load(response)["models"] if c["studio"] == route]
    if shipped:  # studios without a shipped model (yet) must still open offline
        assert [p for p in stored(page) if p.startswith(f"/models/{route}/")], f"no {route} model stored"
    errors = len(page.problems.errors)

    context.set_offline(True)
    try:
        page.reload()
        page.evaluate("() => window.muza.ready")
        page.wait_for_selector(f"section[data-studio='{route}'][data-ready='true']")
        page.wait_for_load_state("networkidle")
        settle(page)
        assert page.evaluate("() => window.location.hash") == studio
        alerts = page.locator(f"section[data-studio='{route}'] [role='alert']").all_inner_texts()
        assert [a for a in alerts if a.strip()] == []
        assert page.problems.errors[errors:] == []
    finally:
        context.set_offline(False)
