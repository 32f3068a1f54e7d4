"""End-to-end: the Latent studio in real Chromium against real gunicorn and the
committed GAN (exported_models/latent/emoji). To try them on another export folder:
MUZA_MODELS_ROOT=/path/with/latent/emoji (the gunicorn fixture passes it on)."""
import io
import json
import struct
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("latent_card")]  # every test needs the committed GAN
MODEL = "emoji"
NOTO_CREDIT = "Noto Emoji, Copyright 2013 Google LLC"


@pytest.fixture(scope="module")
def latent_card(live_server):
    """The committed GAN's card; fails loudly when none is exported."""
    with urllib.request.urlopen(live_server.url + "/api/models") as response:
        catalogue = json.load(response)
    cards = [c for c in catalogue["models"] if c["studio"] == "latent" and c["name"] == MODEL]
    if not cards:
        pytest.fail(
            f"No latent/{MODEL} model in the catalogue (invalid: {catalogue['invalid']}). Train and export it with "
            "`python -m training latent train …`, `… directions`, `… export --name emoji` and commit exported_models/latent/emoji."
        )
    return cards[0]


@pytest.fixture(scope="module")
def directions(live_server, latent_card):
    with urllib.request.urlopen(live_server.url + latent_card["base_url"] + latent_card["extras"]["directions"]) as response:
        return json.load(response)


def open_latent(page, live_server, hash_query="seed=1", query=""):
    page.goto(f"{live_server.url}/{query}#/latent?{hash_query}")
    page.evaluate("() => window.muza.ready")
    page.wait_for_selector("section[data-studio='latent'][data-ready='true']")
    page.wait_for_function("() => window.muza.latent !== undefined")
    idle(page)


def idle(page):
    page.evaluate("() => window.muza.latent.idle()")


def settled(page):
    """Waits for the stage and the explore panels (strip, arithmetic) to finish rendering."""
    page.evaluate("() => window.muza.latent.settled()")


def stage_pixels(page):
    idle(page)
    return page.evaluate("() => window.muza.latent.stagePixels()")


def max_diff(a, b):
    assert len(a) == len(b)
    return max(abs(x - y) for x, y in zip(a, b))


def click_slider_at(page, selector, fraction):
    """A real mouse click on a range input at `fraction` of its width."""
    slider = page.locator(selector)
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


def point(page):
    return page.evaluate(
        """() => { const p = window.muza.latent.state.point;
                   return {seed: p.seed, truncation: p.truncation, offsets: Array.from(p.offsets), base: Array.from(p.base)}; }"""
    )


# --------------------------------------------------------------------------- parity
@pytest.mark.parametrize("backend", ["wasm", "webgl"])
def test_generator_matches_keras_reference(page, live_server, latent_card, backend):
    open_latent(page, live_server, query=f"?backend={backend}")
    assert page.evaluate("() => window.muza.tf.getBackend()") == backend
    result = page.evaluate(
        """async () => {
             const { tf, latent } = window.muza;
             const ref = await window.muza.fetchModelJson(latent.card, latent.card.extras.reference);
             await latent.settled();
             const before = tf.memory().numTensors;
             const out = await latent.generator.outputs(ref.latents.map((z) => Float32Array.from(z)));
             let maxDiff = 0, count = 0;
             ref.pixels.forEach((img, n) => img.forEach((v, i) => {
               maxDiff = Math.max(maxDiff, Math.abs(out[n * img.length + i] - v)); count += 1;
             }));
             return { maxDiff, count, outLength: out.length, shape: ref.shape, weights: ref.weights,
                      leaked: tf.memory().numTensors - before, images: ref.latents.length };
           }"""
    )
    size = latent_card["extras"]["image_size"]
    assert result["shape"] == [size, size, 3]
    assert result["count"] == result["outLength"] == result["images"] * size * size * 3 and result["images"] >= 1
    # Reference pixels are rounded to 5 decimals (±5e-6). float16 weights are dequantised
    # identically by Keras (for the reference) and tfjs, so the same float32 bound holds.
    assert result["weights"] in ("float32", "float16")
    assert result["maxDiff"] < 1e-4, result
    assert result["leaked"] == 0
    assert page.problems.errors == []


# --------------------------------------------------------------------------- the page
def test_page_shows_model_credits_and_sliders(page, live_server, latent_card, directions):
    # A damaged share link is reported, and the page falls back to the seed.
    open_latent(page, live_server, "m=emoji&z=AQAB&seed=1")
    assert "damaged" in page.locator(".studio-latent .message.error").inner_text()
    assert NOTO_CREDIT in latent_card["credits"]
    assert NOTO_CREDIT in page.locator(".latent-model .credits").inner_text()
    rows = page.locator(".latent-directions [data-direction]")
    count = min(16, len(directions["directions"]))
    assert count >= 8 and rows.count() == count
    labels = [rows.nth(k).locator("label").inner_text() for k in range(count)]
    assert labels == [d["label"] for d in directions["directions"][:count]]
    assert page.locator(".latent-raw [data-dim]").count() == latent_card["extras"]["latent_dim"]
    assert page.locator(".stage-caption").inner_text() == "Seed 1"
    assert page.locator("input.seed").input_value() == "1"
    # The stage is drawn large (upscaled by CSS) and is not blank.
    box = page.locator(".stage-canvas").bounding_box()
    assert box["width"] >= 4 * latent_card["extras"]["image_size"]
    pixels = stage_pixels(page)
    assert len(set(pixels[0::4])) > 20
    check_float16_and_slerp(page)
    assert page.problems.errors == []


def check_float16_and_slerp(page):
    """The share code's float16 rounding is IEEE binary16 (as numpy's), ties to even,
    subnormals and overflow included; slerp keeps the norm between equal-norm ends."""
    import numpy as np

    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.standard_normal(2000) * 3, rng.standard_normal(200) * 1e-5, [0.0, -0.0, 1e-8, 6.1e-5, 65504.0, 65520.0, 1e6, -1e6],
        np.float16(rng.standard_normal(300)).astype(np.float64) + 2.0 ** -12,  # near-ties
        [1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 2049.0, 2051.0],  # exact ties: round to even
    ]).astype(np.float32)
    with np.errstate(over="ignore"):  # 65520 and 1e6 overflow to ±inf, as they should
        half = values.astype(np.float16)
    got = page.evaluate("(vs) => vs.map((v) => window.muza.latent.math.halfBits(v))", values.tolist())
    assert got == half.view(np.uint16).tolist()
    back = page.evaluate("(bs) => bs.map((b) => { const v = window.muza.latent.math.fromHalfBits(b); return Number.isFinite(v) ? v : String(v); })", got)
    expected = [float(v) if np.isfinite(v) else ("Infinity" if v > 0 else "-Infinity") for v in half.astype(np.float64)]
    assert back == expected
    # Seeded latents are reproducible, standard normal, float16-exact.
    z = np.array(page.evaluate("() => Array.from(window.muza.latent.math.seededLatent(7, 20000))"))
    assert z.tolist() == page.evaluate("() => Array.from(window.muza.latent.math.seededLatent(7, 20000))")
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert np.array_equal(z.astype(np.float16).astype(np.float64), z)
    norms = page.evaluate(
        """() => { const m = window.muza.latent.math; const a = Float32Array.from(m.seededLatent(1, 128));
                   const b = Float32Array.from(m.seededLatent(2, 128)); const scale = Math.hypot(...a) / Math.hypot(...b);
                   const c = b.map((v) => v * scale);
                   return [0, 0.25, 0.5, 0.75, 1].map((s) => Math.hypot(...m.slerp(a, c, s)) / Math.hypot(...a)); }"""
    )
    assert norms == pytest.approx([1.0] * 5, abs=1e-5)


def test_phone_layout_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    open_latent(page, live_server)
    page.locator(".latent-raw summary").click()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator(".stage-canvas").bounding_box()["width"] >= 300
    context.close()


# --------------------------------------------------------------------------- sliders
def test_moving_a_slider_changes_the_picture(page, live_server):
    open_latent(page, live_server)
    before = stage_pixels(page)
    latent_before = page.evaluate("() => window.muza.latent.latent()")
    click_slider_at(page, ".latent-directions [data-direction='0'] input", 0.95)
    after = stage_pixels(page)
    offset = point(page)["offsets"][0]
    assert offset > 2
    assert page.locator(".latent-directions [data-direction='0'] output").inner_text().startswith("+2.")
    changed = sum(abs(x - y) > 8 for x, y in zip(before, after))
    assert changed > 200, changed
    # The latent moved by offset · std along direction 0 and nowhere else.
    moved = page.evaluate(
        """(before) => { const d = window.muza.latent.directions[0]; const z = window.muza.latent.latent();
                         return z.map((v, i) => (v - before[i]) / d.std / d.vector[i]).filter((_, i) => Math.abs(window.muza.latent.directions[0].vector[i]) > 0.05); }""",
        latent_before,
    )
    assert moved and all(abs(m - offset) < 1e-3 for m in moved)
    # The truncation slider and a raw dimension also change the picture.
    click_slider_at(page, "[data-control='truncation'] input", 0.1)
    truncated = stage_pixels(page)
    assert point(page)["truncation"] < 0.3 and truncated != after
    page.locator(".latent-raw summary").click()
    click_slider_at(page, ".latent-raw [data-dim='0'] input", 0.02)
    assert point(page)["base"][0] < -3.5
    assert page.problems.errors == []


def test_randomise_keeps_locked_sliders(page, live_server):
    open_latent(page, live_server, "seed=5")
    click_slider_at(page, ".latent-directions [data-direction='0'] input", 0.85)
    click_slider_at(page, ".latent-directions [data-direction='1'] input", 0.2)
    page.locator(".latent-directions [data-direction='0'] button.lock").click()
    page.locator(".latent-raw summary").click()
    page.locator(".latent-raw [data-dim='3'] button.lock").click()
    assert page.locator(".latent-directions [data-direction='0'] button.lock").get_attribute("aria-pressed") == "true"
    idle(page)
    before, pixels_before = point(page), stage_pixels(page)
    along = "() => { const l = window.muza.latent; const v = l.directions[0].vector; return Array.from(l.state.point.base).reduce((s, b, i) => s + b * v[i], 0); }"
    projection_before = page.evaluate(along)

    page.locator("button.randomise").click()
    after, pixels_after = point(page), stage_pixels(page)
    assert after["seed"] != before["seed"]
    assert page.locator("input.seed").input_value() == str(after["seed"])
    assert after["offsets"][0] == before["offsets"][0] > 1  # locked: kept
    assert before["offsets"][1] < -1 and after["offsets"][1] == 0  # unlocked: back to 0
    assert float(page.locator(".latent-directions [data-direction='0'] input").input_value()) == pytest.approx(before["offsets"][0], abs=0.01)
    assert after["base"][3] == before["base"][3]  # locked raw dimension
    # The base keeps its component along the locked direction (up to float16 rounding) ...
    assert page.evaluate(along) == pytest.approx(projection_before, abs=0.02)
    # ... and everything else is new.
    assert sum(a != b for a, b in zip(after["base"], before["base"])) > 0.9 * len(before["base"])
    assert pixels_after != pixels_before

    # Unlock, type a seed: the same seed gives the same image every time.
    page.locator(".latent-directions [data-direction='0'] button.lock").click()
    page.locator(".latent-raw [data-dim='3'] button.lock").click()
    page.locator("input.seed").fill("777")
    page.locator("input.seed").press("Enter")
    first = stage_pixels(page)
    page.locator("button.randomise").click()
    assert stage_pixels(page) != first
    page.locator("input.seed").fill("777")
    page.locator("input.seed").press("Enter")
    assert stage_pixels(page) == first
    assert point(page)["offsets"] == [0] * len(after["offsets"])
    # Reset brings unlocked sliders back to the seed's image.
    click_slider_at(page, ".latent-directions [data-direction='2'] input", 0.9)
    assert stage_pixels(page) != first
    page.locator("button.reset").click()
    assert stage_pixels(page) == first
    assert page.problems.errors == []


# --------------------------------------------------------------------------- favourites, interpolation, arithmetic
def save_favourite(page):
    count = page.locator(".favourites li").count()
    page.locator("button.save-favourite").click()
    page.wait_for_function(f"() => document.querySelectorAll('.favourites li').length === {count + 1}")


def set_seed(page, seed):
    page.locator("input.seed").fill(str(seed))
    page.locator("input.seed").press("Enter")
    return stage_pixels(page)


def canvas_pixels(page, selector):
    return page.evaluate(
        "(sel) => { const c = document.querySelector(sel); return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }",
        selector,
    )


def test_interpolation_endpoints_are_a_and_b(page, live_server):
    open_latent(page, live_server, "seed=11")
    a = stage_pixels(page)
    save_favourite(page)
    b = set_seed(page, 22)
    save_favourite(page)
    panel = page.locator(".latent-interpolate")
    assert panel.locator("select[data-pick='A'] option:checked").inner_text() == "Favourite 1"
    assert panel.locator("select[data-pick='B'] option:checked").inner_text() == "Favourite 2"
    current = set_seed(page, 33)  # the current image is neither A nor B

    # The panel renders only when on screen; scrubbing draws in the panel, not on the stage.
    panel.scroll_into_view_if_needed()
    scrub = panel.locator("input.scrub")
    scrub.focus()
    page.keyboard.press("End")
    settled(page)
    assert canvas_pixels(page, ".interp-preview") == b
    assert panel.locator("output.position").inner_text() == "100%"
    page.keyboard.press("Home")
    settled(page)
    assert canvas_pixels(page, ".interp-preview") == a
    for _ in range(5):
        page.keyboard.press("PageUp")  # a tenth of the range each
    settled(page)
    middle = canvas_pixels(page, ".interp-preview")
    assert scrub.input_value() == "0.5" and middle not in (a, b)
    assert stage_pixels(page) == current

    # The strip runs from A to B (batched inference: within one grey level).
    strip = page.evaluate(
        "() => Array.from(document.querySelectorAll('.latent-interpolate canvas.frame'), (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data))"
    )
    assert len(strip) == 8
    assert max_diff(strip[0], a) <= 1 and max_diff(strip[-1], b) <= 1
    assert max_diff(strip[3], a) > 16 and max_diff(strip[3], b) > 16

    # Play animates; keeping the end frame makes B current.
    panel.locator("button.play").click()
    page.wait_for_function("() => Number(document.querySelector('.latent-interpolate input.scrub').value) > 0.6")
    panel.locator("button.play").click()
    assert panel.locator("button.play").get_attribute("aria-pressed") == "false"
    scrub.focus()
    page.keyboard.press("End")
    panel.get_by_role("button", name="Keep this frame").click()
    assert point(page)["seed"] == 22 and stage_pixels(page) == b
    assert page.problems.errors == []


def test_arithmetic_and_removable_favourites(page, live_server):
    open_latent(page, live_server, "seed=101")
    for seed in (101, 202, 303):
        set_seed(page, seed)
        save_favourite(page)
    c = set_seed(page, 303)
    panel = page.locator(".latent-arithmetic")
    panel.scroll_into_view_if_needed()
    picks = [panel.locator(f"select[data-pick='{x}'] option:checked").inner_text() for x in "ABC"]
    assert picks == ["Favourite 1", "Favourite 2", "Favourite 3"]
    settled(page)
    # A − A + C = C (up to the float16 rounding of the stored result).
    panel.locator("select[data-pick='B']").select_option(label="Favourite 1")
    settled(page)
    result = canvas_pixels(page, ".latent-arithmetic canvas.result")
    assert max_diff(result, c) <= 4
    # A real analogy: use it, save it.
    panel.locator("select[data-pick='B']").select_option(label="Favourite 2")
    settled(page)
    panel.get_by_role("button", name="Use as current").click()
    analogy = stage_pixels(page)
    assert max_diff(analogy, c) > 16
    panel.get_by_role("button", name="Save to favourites").click()
    page.wait_for_function("() => document.querySelectorAll('.favourites li').length === 4")

    # Favourites live in localStorage: they survive a reload, open exactly, and can be removed.
    page.reload()
    page.wait_for_selector("section[data-studio='latent'][data-ready='true']")
    page.wait_for_function("() => window.muza.latent !== undefined")
    assert page.locator(".favourites li").count() == 4
    page.locator(".favourites li").nth(3).locator(".favourite-open").click()
    assert stage_pixels(page) == analogy
    page.get_by_role("button", name="Remove Favourite 2").click()
    assert page.locator(".favourites li").count() == 3
    stored = page.evaluate(f"() => JSON.parse(localStorage.getItem('muza.latent.favourites.{MODEL}')).map((f) => f.name)")
    assert stored == ["Favourite 1", "Favourite 3", "Favourite 4"]
    assert page.problems.errors == []


def test_saving_a_favourite_confirms_without_moving_the_page(page, live_server):
    open_latent(page, live_server, "seed=5")
    where = "() => document.querySelector('button.save-favourite').getBoundingClientRect().top + scrollY"
    before = page.evaluate(where)
    save_favourite(page)
    toast = page.locator(".studio-latent > .message.info")
    toast.wait_for()
    assert toast.inner_text() == "Saved Favourite 1 in this browser."
    assert page.evaluate(where) == before  # the confirmation floats: nothing shifts under the pointer
    box = toast.bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"]  # and it is on screen
    toast.wait_for(state="hidden", timeout=10_000)
    assert page.problems.errors == []


# --------------------------------------------------------------------------- share and download
def test_shared_url_restores_the_same_pixels(page, live_server, browser):
    open_latent(page, live_server, "seed=31337")
    click_slider_at(page, ".latent-directions [data-direction='0'] input", 0.7)
    click_slider_at(page, ".latent-directions [data-direction='5'] input", 0.3)
    click_slider_at(page, "[data-control='truncation'] input", 0.6)
    page.locator(".latent-raw summary").click()
    click_slider_at(page, ".latent-raw [data-dim='7'] input", 0.8)
    pixels, latent = stage_pixels(page), page.evaluate("() => window.muza.latent.latent()")
    page.locator("button.share").click()
    url = page.locator("input.share-url").input_value()
    assert url.startswith(live_server.url) and "#/latent?m=emoji&z=" in url
    assert len(url) < 500, url  # float16 + base64url: compact

    other = browser.new_context(viewport={"width": 900, "height": 800})
    fresh = other.new_page()
    fresh.goto(url)
    fresh.wait_for_selector("section[data-studio='latent'][data-ready='true']")
    fresh.wait_for_function("() => window.muza.latent !== undefined")
    assert fresh.evaluate("() => window.muza.latent.latent()") == latent
    assert stage_pixels(fresh) == pixels
    assert fresh.locator("input.seed").input_value() == "31337"
    other.close()

    # An untouched seed needs no latent in the link at all.
    page.locator("input.seed").fill("9")
    page.locator("input.seed").press("Enter")
    idle(page)
    assert len(page.evaluate("() => window.muza.latent.shareUrl()").split("z=")[1]) < 60
    assert page.problems.errors == []


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_download_png_at_1x_4x_8x(page, live_server, tmp_path):
    from PIL import Image

    open_latent(page, live_server, "seed=4")
    pixels = stage_pixels(page)
    for scale in (1, 4, 8):
        with page.expect_download() as info:
            page.locator(f"button.download[data-scale='{scale}']").click()
        download = info.value
        assert download.suggested_filename.endswith(f"-{64 * scale}px.png")
        data = Path(download.path()).read_bytes()
        assert png_size(data) == (64 * scale, 64 * scale)
        image = Image.open(io.BytesIO(data)).convert("RGBA")
        if scale == 1:
            assert list(image.tobytes()) == pixels
        else:  # crisp upscaling: each source pixel becomes a scale × scale block
            assert image.getpixel((scale * 10 + scale // 2, scale * 20 + 1)) == tuple(pixels[(20 * 64 + 10) * 4:(20 * 64 + 10) * 4 + 4])
    assert page.problems.errors == []


# --------------------------------------------------------------------------- speed and memory
def test_no_tensor_leak_and_no_stale_render_after_200_slider_moves(page, live_server):
    open_latent(page, live_server, "seed=8")
    result = page.evaluate(
        """async () => {
             const { tf, latent } = window.muza;
             await latent.settled();
             const before = tf.memory().numTensors;
             const stats = { ...latent.stats };
             const inputs = Array.from(document.querySelectorAll('.latent-directions [data-direction] input'));
             const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
             for (let i = 0; i < 200; i++) {
               const input = inputs[i % inputs.length];
               input.value = String(Math.sin(i) * 2.5);
               input.dispatchEvent(new Event('input', { bubbles: true }));
               if (i % 10 === 9) await frame();
             }
             await latent.idle();
             const after = tf.memory().numTensors;
             const shown = latent.stagePixels();
             const expected = Array.from(await latent.generator.render(Float32Array.from(latent.latent())));
             return { before, after, requested: latent.stats.requested - stats.requested,
                      rendered: latent.stats.rendered - stats.rendered, same: shown.every((v, i) => v === expected[i]) };
           }"""
    )
    assert result["after"] == result["before"], result
    assert result["requested"] == 200
    assert 1 <= result["rendered"] <= 40, result  # coalesced: at most one render per frame, not one per event
    assert result["same"], "the picture must show the latest slider values, not a stale render"
    # The explore panels' debounced renders (strip, arithmetic) settle without leaking either.
    assert page.evaluate("async () => { await window.muza.latent.settled(); return window.muza.tf.memory().numTensors; }") == result["before"]
    assert page.problems.errors == []
