"""End-to-end: the Style studio with the committed style model, in real Chromium.

MUZA_STYLE_MODELS_ROOT=<folder with style/<name>/> runs these against another exported
model (while developing); by default they use exported_models/ and fail if no style model
is committed.
"""
from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import CHROMIUM_ARGS, REPO, LiveServer, open_studio

pytestmark = pytest.mark.e2e
STUDIO = "section[data-studio='style']"


@pytest.fixture(scope="module")
def style_server(request):
    override = os.environ.get("MUZA_STYLE_MODELS_ROOT")
    if override:
        server = LiveServer(models_root=Path(override))
        yield server
        server.stop()
        return
    cards = sorted((REPO / "exported_models" / "style").glob("*/card.json"))
    if not cards:
        pytest.fail("No style model is committed in exported_models/style/: train and export one "
                    "(python -m training style train ...; python -m training style export ...).")
    yield request.getfixturevalue("live_server")


def open_style(page, server, query: str = "") -> dict:
    info = open_studio(page, server.url, "style", query)
    page.wait_for_selector(f"{STUDIO}[data-model]")
    return info


def stylisations(page) -> int:
    return int(page.locator(STUDIO).get_attribute("data-stylisations") or 0)


def wait_for_stylisations(page, count: int, timeout: int = 120_000) -> None:
    page.wait_for_function(
        "n => Number(document.querySelector(\"section[data-studio='style']\").dataset.stylisations || 0) >= n",
        arg=count, timeout=timeout)
    page.wait_for_function("() => document.querySelector(\"section[data-studio='style']\").dataset.busy === 'false'")


def photo_bytes(width=320, height=240, fmt="JPEG") -> bytes:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([128 + 100 * np.sin(x / 13) * np.cos(y / 17), 255 * x / width, 255 * y / height], -1)
    buffer = io.BytesIO()
    Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(buffer, fmt)
    return buffer.getvalue()


def upload(page, name: str, data: bytes, mime: str) -> None:
    page.set_input_files("#style-file", files=[{"name": name, "mimeType": mime, "buffer": data}])


PIXELS_JS = """which => {
  const {data} = window.muza.style.studio().resultPixels(which);
  let text = '';
  for (let i = 0; i < data.length; i += 8192) text += String.fromCharCode.apply(null, data.subarray(i, i + 8192));
  return btoa(text);
}"""


def pixels(page, which: str = "stylised") -> np.ndarray:
    """RGBA bytes of the last result ('stylised', 'shown' or 'content'), as floats."""
    return np.frombuffer(base64.b64decode(page.evaluate(PIXELS_JS, which)), np.uint8).astype(float)


def state(page) -> dict:
    return page.evaluate("() => window.muza.style.studio().testState()")


# ------------------------------------------------------------------ parity with Keras
PARITY_JS = """async () => {
  const st = window.muza.style.studio();
  const stylizer = st.currentStylizer, card = st.currentCard, tf = window.muza.tf;
  const ref = await window.muza.style.fetchModelJson(card, card.extras.reference);
  const before = tf.memory().numTensors;
  const diffs = [], ranges = [];
  for (const c of ref.cases) {
    const x = tf.tensor3d(ref.input, [ref.height, ref.width, 3], 'float32');
    const y = stylizer.run(x, c.style);
    const out = await y.data();
    x.dispose(); y.dispose();
    let max = 0, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < out.length; i++) {
      max = Math.max(max, Math.abs(out[i] - c.output[i]));
      lo = Math.min(lo, c.output[i]); hi = Math.max(hi, c.output[i]);
    }
    diffs.push(max); ranges.push([lo, hi]);
  }
  return {diffs, ranges, cases: ref.cases.length, rounding: ref.output_rounding ?? 0,
          leaked: tf.memory().numTensors - before, backend: tf.getBackend()};
}"""


@pytest.mark.parametrize("backend", ["wasm", "webgl"])
def test_tfjs_output_matches_keras_reference(page, style_server, backend):
    """reference.json holds the Keras output (0..255, rounded to `output_rounding`) for a fixed
    input and style vectors (one pure style, one blend). Bound: max |tfjs - Keras| < 1e-3 in the
    output's own 0..255 units (3.9e-6 of the range), plus half the fixture's rounding step.
    The trained model gives ~3e-4 on wasm and on (SwiftShader) webgl."""
    open_style(page, style_server, f"?backend={backend}")
    result = page.evaluate(PARITY_JS)
    print(f"parity on {backend}: max abs diff {result['diffs']} (0..255 units); Keras output ranges {result['ranges']}")
    assert result["backend"] == backend
    assert result["cases"] >= 2
    for lo, hi in result["ranges"]:
        assert 0 <= lo < hi <= 255 and hi - lo > 1, "reference output should span part of 0..255"
    bound = 1e-3 + result["rounding"] / 2
    assert max(result["diffs"]) < bound, result
    assert result["leaked"] == 0
    assert page.problems.errors == []


# ------------------------------------------------------------------ the visitor's path
def test_upload_stylise_blend_strength_compare_download(page, style_server, tmp_path):
    requests = []
    page.on("request", lambda r: requests.append(r))
    open_style(page, style_server)
    photo = photo_bytes()
    page.select_option("#style-resolution", "256")
    upload(page, "holiday.jpg", photo, "image/jpeg")
    wait_for_stylisations(page, 1)
    first = state(page)
    assert first["result"]["width"] == 256 and first["result"]["height"] == 192
    assert first["styleWeights"][0] == 1 and sum(first["styleWeights"]) == pytest.approx(1)
    assert page.locator(".style-result-caption").inner_text().startswith("holiday.jpg · 256×192")
    pixels_one = pixels(page)

    # Another style, then a 30/70 blend of the two.
    page.locator(".style-thumb").nth(1).click()
    wait_for_stylisations(page, 2)
    assert state(page)["styleWeights"][1] == 1
    pixels_two = pixels(page)
    assert np.abs(pixels_one - pixels_two).mean() > 1, "a different style should change the picture"
    page.select_option("#style-blend-with", "0")
    wait_for_stylisations(page, 3)
    page.locator("#style-blend").fill("70")  # fires input and change
    wait_for_stylisations(page, 4)
    weights = state(page)["styleWeights"]
    assert weights[1] == pytest.approx(0.3) and weights[0] == pytest.approx(0.7)
    assert "30%" in page.locator("output[for='style-blend']").inner_text()
    blended = pixels(page)
    assert np.abs(blended - pixels_two).mean() > 0.5 and np.abs(blended - pixels_one).mean() > 0.5

    # Strength mixes in the browser without re-running the network.
    runs = stylisations(page)
    content = pixels(page, "content")
    page.locator("#style-strength").fill("0")
    shown_zero = pixels(page, "shown")
    assert np.abs(shown_zero - content).max() <= 1
    page.locator("#style-strength").fill("50")
    shown_half = pixels(page, "shown")
    stylised = pixels(page)
    assert np.abs(shown_half - (content + stylised) / 2).max() <= 2
    assert stylisations(page) == runs

    # Before/after slider moves the clip of the "before" layer.
    page.locator(".style-compare-slider").fill("20")
    assert "80%" in page.locator(".style-before").evaluate("el => el.style.clipPath")

    # Download PNG: the shown (50 % strength) picture at the output size.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PNG").click()
    download = download_info.value
    assert download.suggested_filename == "holiday-styled.png"
    path = tmp_path / "out.png"
    download.save_as(path)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (256, 192)
        got = np.asarray(image.convert("RGBA"), float).ravel()
    assert np.abs(got - shown_half).max() <= 1

    # Images never leave the browser: no request carries a body, every URL is ours and short.
    image_markers = [photo[:64], b"\x89PNG", b"\xff\xd8\xff"]
    for r in requests:
        assert r.method in ("GET", "HEAD"), (r.method, r.url)
        body = r.post_data_buffer
        assert not body, (r.url, len(body))
        if r.url.startswith("blob:"):  # local object URLs (thumbnails, the download): no network
            assert r.url.startswith(f"blob:{style_server.url}/"), r.url
            continue
        assert r.url.startswith(style_server.url), r.url
        assert len(r.url) < 300, r.url
        assert not any(m.hex() in r.url for m in image_markers)
    assert page.problems.errors == []


def crafted_png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def bomb_png(side: int = 30_000) -> bytes:
    """A real decompression bomb: ~110 MB of zero rows deflated to well under 1 MB, which a
    browser would decode into side*side RGBA pixels (3.6 GB for 30 000)."""
    row = bytes(1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    return crafted_png(side, side, body)


def test_image_headers_give_format_and_size_before_decoding(page, style_server):
    """The size check that stops decompression bombs reads every supported format's header."""
    open_style(page, style_server)
    image = Image.new("RGB", (123, 45), (10, 200, 30))
    encoded = {}
    for fmt, options in [("PNG", {}), ("JPEG", {"exif": Image.Exif()}), ("GIF", {}), ("BMP", {}),
                         ("WEBP", {"lossless": True}), ("WEBP", {"quality": 80})]:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        encoded[f"{fmt}-{len(encoded)}"] = base64.b64encode(buffer.getvalue()).decode()
    # A JPEG whose frame header comes after a 40 KB application segment.
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", icc_profile=bytes(40_000))
    encoded["JPEG-icc"] = base64.b64encode(buffer.getvalue()).decode()
    headers = page.evaluate("""files => Object.fromEntries(Object.entries(files).map(([k, b64]) =>
        [k, window.muza.style.readImageHeader(Uint8Array.from(atob(b64), c => c.charCodeAt(0)))]))""", encoded)
    for key, header in headers.items():
        assert (header["width"], header["height"]) == (123, 45), (key, header)
        assert header["format"] == key.split("-")[0].lower(), (key, header)
    limits = page.evaluate("""() => { const s = window.muza.style; const out = [];
        for (const [w, h] of [[8000, 6000], [20001, 10], [8000, 6500]]) {
          try { s.checkDimensions({format: 'png', width: w, height: h}); out.push('ok'); } catch (e) { out.push(e.message); } }
        return out; }""")
    assert limits[0] == "ok"
    assert "20,001×10 pixels" in limits[1] and "too large" in limits[1]
    assert "52 megapixels" in limits[2]


def test_bad_files_get_a_message_and_keep_the_previous_result(page, style_server):
    open_style(page, style_server)
    page.select_option("#style-resolution", "256")
    upload(page, "good.png", photo_bytes(200, 160, "PNG"), "image/png")
    wait_for_stylisations(page, 1)
    before = pixels(page, "shown")
    alert = page.locator(".style-controls .message.error")
    bomb = bomb_png()
    assert len(bomb) < 1_000_000
    cases = [
        ("notes.txt", b"Dear diary, this is not a picture.\n" * 20, "text/plain", "not an image Muza can read"),
        ("fake.jpg", b"GIF? no: <html><body>hello</body></html>", "image/jpeg", "not an image Muza can read"),
        ("broken.png", crafted_png(64, 64, b"\x00garbage that is not deflate data" * 10), "image/png", "could not be decoded"),
        ("truncated.jpg", photo_bytes()[:600], "image/jpeg", ""),
        ("bomb.png", bomb, "image/png", "30,000×30,000 pixels"),
        ("empty.png", b"", "image/png", "empty"),
    ]
    for name, data, mime, expected in cases:
        page.evaluate("() => { const m = document.querySelector('.style-controls .message'); if (m) m.textContent = ''; }")
        upload(page, name, data, mime)
        alert.wait_for()
        page.wait_for_function("() => document.querySelector('.style-controls .message.error').textContent.length > 0")
        text = alert.inner_text()
        assert text.startswith(name), text
        assert expected in text, text
        assert "previous result is kept" in text
        # The page still responds and the previous result is untouched.
        assert page.evaluate("() => 6 * 7") == 42
        assert stylisations(page) == 1
        assert np.array_equal(pixels(page, "shown"), before)
    assert page.locator(".style-compare").is_visible()
    assert [e for e in page.problems.errors if "HTTP" in e or "pageerror" in e] == []


DROP_OR_PASTE_JS = """async ({kind, b64, name}) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type: 'image/png'}));
  if (kind === 'drop') {
    const zone = document.querySelector('.style-drop');
    zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true}));
    zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
  } else {
    document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
  }
}"""


def test_drop_and_paste_load_a_photo(page, style_server):
    open_style(page, style_server)
    page.select_option("#style-resolution", "256")
    png = base64.b64encode(photo_bytes(160, 120, "PNG")).decode()
    page.evaluate(DROP_OR_PASTE_JS, {"kind": "drop", "b64": png, "name": "dropped.png"})
    wait_for_stylisations(page, 1)
    assert page.locator(STUDIO).get_attribute("data-content") == "dropped.png"
    assert state(page)["result"]["width"] == 160  # never upscaled
    page.evaluate(DROP_OR_PASTE_JS, {"kind": "paste", "b64": png, "name": "pasted.png"})
    wait_for_stylisations(page, 2)
    assert page.locator(STUDIO).get_attribute("data-content") == "pasted.png"
    assert page.problems.errors == []


def test_sample_photo_then_20_stylisations_leave_no_tensors(page, style_server):
    open_style(page, style_server)
    samples = page.locator(".style-sample")
    assert samples.count() >= 3
    for i in range(samples.count()):
        title = samples.nth(i).get_attribute("title")
        assert "(public domain)" in title or "(CC0)" in title, title
    assert "Chelsea the cat, Stefan van der Walt (CC0)" in page.locator(".style-credits").inner_text()
    page.select_option("#style-resolution", "256")
    samples.nth(2).click()
    wait_for_stylisations(page, 1)
    assert page.locator(STUDIO).get_attribute("data-content") == "Chelsea the cat"
    assert state(page)["result"]["width"] == 256
    start = page.evaluate("() => window.muza.tf.memory().numTensors")
    thumbs = page.locator(".style-thumb")
    for i in range(20):
        thumbs.nth((i + 1) % thumbs.count()).click()
        wait_for_stylisations(page, 2 + i)
    assert stylisations(page) == 21
    end = page.evaluate("() => window.muza.tf.memory().numTensors")
    assert end == start, (start, end)
    assert page.problems.errors == []


# ------------------------------------------------------------------ images below the network's minimum
def tiny_png(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("backend", ["wasm"])
def test_tiny_and_thin_images_are_enlarged_or_padded_with_a_note(page, style_server, backend):
    """A 1x1 and a 3x2 PNG are enlarged to a 64 px short side (the network's minimum, MIN_SIDE
    in web/src/style/settings.ts); a 1x500 strip (enlarged, it would be 64x32000) keeps its
    size and runs inside a mirrored border, cropped back. Each says so in a plain note, gives
    an output of the size the note states, and leaves no tensor behind."""
    open_style(page, style_server, f"?backend={backend}")
    page.select_option("#style-resolution", "512")
    upload(page, "warm-up.png", photo_bytes(96, 72, "PNG"), "image/png")
    wait_for_stylisations(page, 1)
    tensors = page.evaluate("() => window.muza.tf.memory().numTensors")
    errors = page.locator(".style-output .message.error")
    note = page.locator(".style-output .message.info")
    cases = [((1, 1), (64, 64), "enlarged to 64×64"),
             ((3, 2), (96, 64), "enlarged to 96×64"),
             ((1, 500), (1, 500), "cropped back to 1×500")]
    for i, ((width, height), (out_w, out_h), says) in enumerate(cases):
        name = f"tiny-{width}x{height}.png"
        upload(page, name, tiny_png(width, height, i), "image/png")
        wait_for_stylisations(page, 2 + i)
        assert errors.count() == 0 or not errors.first.is_visible(), errors.first.inner_text()
        text = note.inner_text()
        print(f"{width}x{height}: {text}")
        assert f"{width}×{height} px" in text and says in text and "64 px" in text, text
        result = state(page)["result"]
        assert (result["width"], result["height"]) == (out_w, out_h), result
        assert page.locator(".style-result-caption").inner_text().startswith(f"{name} · {out_w}×{out_h}")
        stylised, content = pixels(page), pixels(page, "content")
        assert stylised.size == content.size == out_w * out_h * 4
        assert np.abs(stylised - content).mean() > 1, "the network should have changed the picture"
        assert page.evaluate("() => window.muza.tf.memory().numTensors") == tensors, name
    # A normal photo afterwards clears the note.
    upload(page, "normal.png", photo_bytes(96, 72, "PNG"), "image/png")
    wait_for_stylisations(page, 2 + len(cases))
    assert not note.is_visible()
    assert state(page)["result"]["width"] == 96

    # The stylizer itself takes any size, with or without the minimum (no tfjs padding error).
    shapes = page.evaluate("""() => {
      const st = window.muza.style.studio(), s = st.currentStylizer, tf = window.muza.tf;
      const weights = st.testState().styleWeights, before = tf.memory().numTensors, out = [];
      for (const [h, w, min] of [[1, 1, 0], [2, 3, 0], [1, 1, 64], [500, 1, 64], [5, 7, 16]]) {
        const x = tf.fill([h, w, 3], 100);
        const y = s.run(x, weights, undefined, min);
        const top = y.max();
        out.push([...y.shape, Number.isFinite(top.dataSync()[0])]);
        tf.dispose([x, y, top]);
      }
      return {out, leaked: tf.memory().numTensors - before};
    }""")
    assert shapes["out"] == [[1, 1, 3, True], [2, 3, 3, True], [1, 1, 3, True], [500, 1, 3, True], [5, 7, 3, True]], shapes
    assert shapes["leaked"] == 0
    assert page.problems.errors == []


# ------------------------------------------------------------------ webcam (fake device)
def launch_with_fake_camera(browser):
    """A second Chromium (same Playwright session) whose camera is a synthetic test pattern."""
    from playwright.sync_api import Error as PlaywrightError

    args = CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    explicit = os.environ.get("CHROMIUM_PATH")
    for path in ([explicit] if explicit else [None, "/usr/bin/chromium"]):
        try:
            return browser.browser_type.launch(executable_path=path, args=args)
        except PlaywrightError:
            continue
    pytest.fail("could not launch Chromium with a fake camera")


def test_webcam_runs_live_with_fps_and_one_frame_in_flight(browser, style_server):
    camera_browser = launch_with_fake_camera(browser)
    try:
        context = camera_browser.new_context(viewport={"width": 1000, "height": 800})
        context.grant_permissions(["camera"], origin=style_server.url)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_style(page, style_server)
        page.select_option("#style-resolution", "256")
        # Count how many frames are ever being stylised at once.
        page.evaluate("""() => {
          const s = window.muza.style.studio().currentStylizer;
          const original = s.stylize.bind(s);
          window.__inFlight = 0; window.__maxInFlight = 0;
          s.stylize = async (...args) => {
            window.__inFlight++; window.__maxInFlight = Math.max(window.__maxInFlight, window.__inFlight);
            try { return await original(...args); } finally { window.__inFlight--; }
          };
        }""")
        page.get_by_role("button", name="Use webcam").click()
        page.wait_for_function("() => document.querySelector('.style-fps').dataset.fps > 0", timeout=60_000)
        page.wait_for_function("() => window.muza.style.studio().testState().webcam.processed >= 4", timeout=60_000)
        webcam = state(page)["webcam"]
        assert webcam["active"] and webcam["dropped"] > 0
        assert page.evaluate("() => window.__maxInFlight") == 1
        assert float(page.locator(".style-fps").get_attribute("data-fps")) > 0
        assert "fps" in page.locator(".style-fps").inner_text()
        assert page.locator(".style-result-caption").inner_text().startswith("Webcam")
        # Take a still: it becomes the photo and is stylised at the chosen resolution.
        page.get_by_role("button", name="Use this frame").click()
        page.wait_for_function("() => document.querySelector(\"section[data-studio='style']\").dataset.webcam === 'off'")
        wait_for_stylisations(page, 1)
        assert page.locator(STUDIO).get_attribute("data-content") == "Webcam photo"
        assert page.evaluate("() => window.muza.style.studio().testState().webcam.active") is False
        assert errors == []
    finally:
        camera_browser.close()
