"""End-to-end: the Backgrounds studio in real Chromium against real gunicorn and the committed
texture GAN (exported_models/backgrounds/). To run them on another export while developing:
MUZA_MODELS_ROOT=/path/with/backgrounds/<name> (the gunicorn fixture passes it on); they fail
when the catalogue holds no backgrounds model."""
from __future__ import annotations

import base64
import io
import json
import struct
import urllib.request
import zlib

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bg_card")]
STUDIO = "section[data-studio='backgrounds']"


@pytest.fixture(scope="module")
def bg_card(live_server):
    with urllib.request.urlopen(live_server.url + "/api/models") as response:
        catalogue = json.load(response)
    cards = [c for c in catalogue["models"] if c["studio"] == "backgrounds"]
    if not cards:
        pytest.fail(f"No backgrounds model in the catalogue (invalid: {catalogue['invalid']}). Train and export one "
                    "(training/recipes/backgrounds-textures.sh) and commit exported_models/backgrounds/<name>.")
    return next((c for c in cards if c["name"] == "textures"), cards[0])


@pytest.fixture(scope="module")
def textures(live_server, bg_card):
    with urllib.request.urlopen(live_server.url + bg_card["base_url"] + bg_card["extras"]["textures_file"]) as response:
        return json.load(response)["textures"]


def cc_by(textures):
    return next(t for t in textures if t["attribution"])


def open_bg(page, server, hash_query="seed=1&size=640x360", query="", wait=True):
    page.goto(f"{server.url}/{query}#/backgrounds?{hash_query}")
    page.evaluate("() => window.muza.ready")
    page.wait_for_selector(f"{STUDIO}[data-ready='true']", timeout=600_000)
    page.wait_for_function("() => window.muza.backgrounds !== undefined")
    if wait:
        idle(page)


def idle(page):
    page.evaluate("() => window.muza.backgrounds.idle()")


def settings(page):
    return page.evaluate("() => JSON.parse(JSON.stringify(window.muza.backgrounds.settings()))")


def stage_rgb(page) -> np.ndarray:
    """The shown picture's RGB, [H, W, 3] uint8."""
    got = page.evaluate("""() => { const p = window.muza.backgrounds.pixels();
        let s = ''; for (let i = 0; i < p.data.length; i += 8192) s += String.fromCharCode.apply(null, p.data.subarray(i, i + 8192));
        return {w: p.width, h: p.height, b64: btoa(s)}; }""")
    return np.frombuffer(base64.b64decode(got["b64"]), np.uint8).reshape(got["h"], got["w"], 4)[..., :3]


def download(page, selector=".bg-png"):
    with page.expect_download(timeout=300_000) as info:
        page.locator(selector).click()
    d = info.value
    with open(d.path(), "rb") as f:
        return d.suggested_filename, f.read()


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG as (type, data), checking each CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def png_texts(data: bytes) -> dict[str, str]:
    out = {}
    for kind, body in png_chunks(data):
        if kind == b"tEXt":
            key, _, text = body.partition(b"\0")
            out[key.decode("latin-1")] = text.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            _flags, rest = rest[:2], rest[2:]
            _lang, _, rest = rest.partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            out[key.decode("latin-1")] = text.decode("utf-8")
    return out


def seam_figure(rgb: np.ndarray) -> tuple[float, float]:
    """Mean |step| across the wrap border over the mean |step| between neighbouring interior
    columns (then rows): 1 for an image that tiles like its inside, more for a seam."""
    img = rgb.astype(np.float64)
    interior_x = np.abs(np.diff(img, axis=1)).mean()
    interior_y = np.abs(np.diff(img, axis=0)).mean()
    border_x = np.abs(img[:, 0] - img[:, -1]).mean()
    border_y = np.abs(img[0] - img[-1]).mean()
    return border_x / interior_x, border_y / interior_y


def pooled_seam_figure(images: list[np.ndarray]) -> float:
    """The seam figure pooled over both borders of several images: one border line's mean step
    varies by about ±17 % from line to line (texture features span many pixels), so a single
    image says little; pooled over 8+ lines the figure of a seamless texture is close to 1."""
    border = interior = 0.0
    border_n = interior_n = 0
    for rgb in images:
        img = rgb.astype(np.float64)
        for axis in (0, 1):
            d = np.abs(np.diff(img, axis=axis))
            interior += d.sum()
            interior_n += d.size
            b = np.abs(np.take(img, 0, axis=axis) - np.take(img, -1, axis=axis))
            border += b.sum()
            border_n += b.size
    return (border / border_n) / (interior / interior_n)


def steps_at(img: np.ndarray, axis: int, k: int) -> float:
    """Mean |p[k] - p[k-1]| along `axis` (1: between columns k-1 and k; 0: rows)."""
    a = np.take(img, k, axis=axis).astype(np.float64)
    b = np.take(img, k - 1, axis=axis).astype(np.float64)
    return float(np.abs(a - b).mean())


# --------------------------------------------------------------------------- parity
@pytest.mark.parametrize("backend", ["wasm", "webgl"])
def test_generator_matches_keras_reference(page, live_server, bg_card, backend):
    open_bg(page, live_server, "seed=1&size=64x64", query=f"?backend={backend}")
    assert page.evaluate("() => window.muza.tf.getBackend()") == backend
    result = page.evaluate("""async () => {
      const { tf, backgrounds: bg } = window.muza;
      const ref = await window.muza.fetchModelJson(bg.card, bg.card.extras.reference_file);
      await bg.idle();
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(ref.input, ref.input_shape);
      const compare = async (y) => { const v = await y.data(); y.dispose(); let m = 0;
        for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] - ref.output[i])); return {max: m, n: v.length}; };
      const keras = await compare(bg.generator.predict(x));         // with its WrapPad2D layers
      const tiled = await compare(bg.generator.runWhole(x));        // valid convolutions on circular windows
      x.dispose();
      return { keras, tiled, shape: ref.output_shape, range: ref.output_range, dtype: ref.weights_dtype, leaked: tf.memory().numTensors - before };
    }""")
    print(backend, result)
    assert result["keras"]["n"] == np.prod(result["shape"]) == result["tiled"]["n"]
    assert result["range"] == [-1, 1] and result["dtype"] == bg_card["weights_dtype"]
    # Both sides run the stored weights (float16 dequantised alike), so only arithmetic differs:
    # below 1e-3 grey levels (0-255 units), i.e. 7.8e-6 in [-1, 1].
    assert result["keras"]["max"] * 127.5 < 1e-3, result
    assert result["tiled"]["max"] * 127.5 < 1e-3, result
    assert result["leaked"] == 0
    assert page.problems.errors == []


# --------------------------------------------------------------------------- downloads: tiling, size, credits
@pytest.mark.parametrize("backend,size,seeds", [("wasm", (1920, 1080), 4), ("webgl", (640, 360), 3)])
def test_png_download_tiles_and_carries_the_credits(page, live_server, textures, backend, size, seeds):
    """A CC BY texture blended with another: the PNG is the chosen size, valid, names the
    texture's attribution, and tiles: the seam figure across its wrap borders (pooled with
    renders of more seeds) is at most 1.1, where a plain crop of it shows a seam."""
    w, h = size
    lagoon = cc_by(textures)
    other = next(t for t in textures if not t["attribution"])
    open_bg(page, live_server, f"t={lagoon['name']}:0.6,{other['name']}:0.4&seed=5&size={w}x{h}", query=f"?backend={backend}")
    assert lagoon["attribution"] in page.locator(".bg-credits").inner_text()
    name, data = download(page)
    assert name.endswith(f"-{w}x{h}.png") and lagoon["name"] in name
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == (w, h) and image.mode in ("RGB", "RGBA")
    texts = png_texts(data)
    assert lagoon["attribution"] in texts["Credits"] and other["credit"] in texts["Credits"]
    assert lagoon["attribution"] in texts["Copyright"]
    assert texts["Source"].startswith(live_server.url) and "#/backgrounds?" in texts["Source"]
    rgb = np.asarray(image.convert("RGB"))
    assert np.array_equal(rgb, stage_rgb(page))
    images = [rgb]
    for seed in range(6, 5 + seeds):
        page.evaluate("(seed) => window.muza.backgrounds.studio.update((s) => (s.seed = seed))", seed)
        idle(page)
        images.append(stage_rgb(page))
    figures = [seam_figure(x) for x in images]
    pooled = pooled_seam_figure(images)
    print(backend, size, "seam figures (x, y) per image", [(round(a, 3), round(b, 3)) for a, b in figures], f"pooled {pooled:.3f}")
    assert pooled <= 1.1
    assert all(a <= 1.6 and b <= 1.6 for a, b in figures), figures  # no single border stands out either
    # The same measure finds the seam of a plain crop (which breaks the wrap-around).
    crops = pooled_seam_figure([x[: h - 40, : w - 40] for x in images])
    assert crops > 1.1 and crops > pooled, crops
    # JPEG: the credits in a comment segment.
    page.evaluate("() => window.muza.backgrounds.studio.update((s) => (s.seed = 5))")
    idle(page)
    name, jpeg = download(page, ".bg-jpeg")
    assert name.endswith(".jpg") and jpeg[:4] == b"\xff\xd8\xff\xfe"
    (length,) = struct.unpack(">H", jpeg[4:6])
    assert lagoon["attribution"] in jpeg[6:4 + length].decode("utf-8")
    assert Image.open(io.BytesIO(jpeg)).size == (w, h)
    assert page.problems.errors == []


# --------------------------------------------------------------------------- large outputs in pieces
# WebGL here is SwiftShader (software, several times slower than WASM): it proves the same
# correctness on a smaller frame that still needs six pieces (at most 1024 px a side each:
# 2112 x 1088 = 66 x 34 cells in 3 x 2 pieces).
@pytest.mark.parametrize("backend,size", [("wasm", (3840, 2160)), ("webgl", (2112, 1088))])
def test_4k_output_completes_in_pieces_without_steps_at_their_borders(page, live_server, backend, size):
    w, h = size
    open_bg(page, live_server, f"seed=9&size={w}x{h}", query=f"?backend={backend}")
    report = page.evaluate("() => ({pieces: window.muza.backgrounds.studio.lastReport.plan.pieces.length, borders: window.muza.backgrounds.borders(), renders: window.muza.backgrounds.studio.renders, ms: window.muza.backgrounds.studio.lastReport.ms})")
    print(backend, report["pieces"], "pieces in", round(report["ms"]), "ms; borders", report["borders"])
    assert report["renders"] == 1 and report["pieces"] > 4
    assert page.locator(".bg-caption").inner_text().startswith(f"{w}×{h}")
    _, data = download(page)
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert rgb.shape == (h, w, 3)
    assert np.array_equal(rgb, stage_rgb(page))
    # A seam would be a step at a piece border larger than every step around it.
    for axis, borders in ((1, report["borders"]["xs"]), (0, report["borders"]["ys"])):
        assert borders
        others = set(borders)
        for k in borders:
            border = steps_at(rgb, axis, k)
            around = [steps_at(rgb, axis, k + d) for d in range(-40, 41) if d and k + d not in others and 0 < k + d < rgb.shape[axis]]
            assert border <= max(around) + 0.5, (axis, k, border, max(around))
    # Its wrap borders are like any other cell boundary of the picture (they are one, on the torus).
    fx, fy = seam_figure(rgb)
    print(f"seam figure x {fx:.3f} y {fy:.3f} (one image: each border is one line)")
    for axis in (0, 1):
        n = rgb.shape[axis]
        cells = round(n / 32)
        position = (np.arange(n) + 0.5) * cells * 32 / n - 0.5
        boundaries = [k for k in range(1, n) if position[k] // 32 != position[k - 1] // 32]
        wrap = float(np.abs(np.take(rgb, 0, axis=axis).astype(np.float64) - np.take(rgb, -1, axis=axis)).mean())
        assert wrap <= max(steps_at(rgb, axis, k) for k in boundaries) + 0.5, (axis, wrap)
    if backend == "wasm":
        # Another plan (pieces three times the area, borders elsewhere) gives the same bytes.
        other = page.evaluate("""async () => {
          const st = window.muza.backgrounds.studio, before = st.lastReport.plan;
          st.pieceFlop = 3 * before.pieceFlop;
          const r = await st.renderCanvas(st.settings(), new AbortController().signal);
          st.pieceFlop = undefined;
          const shown = window.muza.backgrounds.pixels().data;
          let max = 0; for (let i = 0; i < shown.length; i++) max = Math.max(max, Math.abs(shown[i] - r.raw[i]));
          return { max, pieces: r.report.plan.pieces.length, size: r.report.plan.pieces[0].width };
        }""")
        print("second plan", other)
        assert other["pieces"] < report["pieces"] and other["max"] == 0, other
    assert page.problems.errors == []


@pytest.mark.parametrize("backend,resampled,exact,many", [("wasm", (1000, 720), (640, 384), 3e7),
                                                          ("webgl", (500, 360), (448, 256), 1e7)])
def test_pieces_equal_a_whole_image_run(page, live_server, backend, resampled, exact, many):
    """At a size where one piece fits (at most 32 cells a side): many small pieces give the
    one-piece bytes exactly, resampled (1000 x 720 from 992 x 736) or not (640 x 384 = 20 x 12
    cells); and the one-piece run equals the
    model run whole with its own wrap padding (within one grey level of float rounding).
    WebGL (SwiftShader here) runs smaller frames (500 x 360 resampled from 512 x 384; 448 x 256 =
    14 x 8 cells) in smaller pieces."""
    open_bg(page, live_server, "seed=3&size=64x64", query=f"?backend={backend}")
    result = page.evaluate("""async ([resampled, exact, many]) => {
      const { tf, backgrounds: bg } = window.muza;
      const st = bg.studio, out = {};
      const before = tf.memory().numTensors;
      for (const [w, h] of [resampled, exact]) {
        const s = { ...st.settings(), width: w, height: h, mix: st.settings().mix };
        const runs = {};
        for (const [label, flop] of [['one', 1e15], ['many', many]]) {
          st.pieceFlop = flop;
          const r = await st.renderCanvas(s, new AbortController().signal);
          runs[label] = { raw: r.raw, pieces: r.report.plan.pieces.length, bands: r.report.bands };
        }
        let max = 0, differing = 0;
        for (let i = 0; i < runs.one.raw.length; i++) { const d = Math.abs(runs.one.raw[i] - runs.many.raw[i]); max = Math.max(max, d); if (d > 0) differing++; }
        out[`${w}x${h}`] = { max, differing, pieces: [runs.one.pieces, runs.many.pieces], bands: runs.many.bands };
        if (w === exact[0] && h === exact[1]) {
          const { noise, gridW, gridH } = st.noiseFor(s);
          const y = tf.tidy(() => bg.generator.predict(tf.tensor4d(noise, [1, gridH, gridW, bg.generator.channels])).add(1).mul(127.5).round().clipByValue(0, 255));
          const v = await y.data(); y.dispose();
          let m = 0; for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(v[3 * p + c] - runs.one.raw[4 * p + c]));
          out.keras = m;
        }
      }
      st.pieceFlop = undefined;
      out.leaked = tf.memory().numTensors - before;
      return out;
    }""", [list(resampled), list(exact), many])
    print(backend, result)
    for size in (f"{resampled[0]}x{resampled[1]}", f"{exact[0]}x{exact[1]}"):
        r = result[size]
        assert r["pieces"][0] == 1 and r["pieces"][1] > 4 and r["bands"] > 3, r
        assert r["max"] == 0, r
    assert result["keras"] <= 1
    assert result["leaked"] == 0
    assert page.problems.errors == []


def test_cancel_keeps_the_previous_picture(page, live_server):
    open_bg(page, live_server, "seed=2&size=640x360")
    before = stage_rgb(page)
    page.locator(".bg-size").select_option("3840x2160")
    page.locator(".bg-cancel").wait_for(state="visible", timeout=120_000)
    page.wait_for_function("() => /^[1-9]/.test(document.querySelector('.bg-progress-row .progress-text').textContent)", timeout=300_000)
    page.locator(".bg-cancel").click()
    idle(page)
    assert "Cancelled" in page.locator(f"{STUDIO} .message").inner_text()
    assert np.array_equal(stage_rgb(page), before)
    assert page.locator(".bg-render").is_visible() and page.locator(".bg-cancel").is_hidden()
    page.locator(".bg-render").click()
    page.wait_for_function("() => window.muza.backgrounds.studio.renders === 2", timeout=900_000)
    assert stage_rgb(page).shape == (2160, 3840, 3)
    assert page.problems.errors == []


# --------------------------------------------------------------------------- memory, links
def test_tensor_count_stays_flat_over_ten_generations(page, live_server):
    open_bg(page, live_server, "seed=1&size=320x180")
    counts = []
    for i in range(10):
        seed = page.locator(".bg-controls input.seed")
        seed.fill(str(100 + i))
        seed.press("Enter")
        if i % 3 == 1:  # a colour change too (re-colours without re-rendering)
            page.evaluate("(i) => window.muza.backgrounds.studio.update((s) => (s.hue = 10 * i))", i)
        idle(page)
        counts.append(page.evaluate("() => window.muza.tf.memory().numTensors"))
    print(counts)
    assert len(set(counts)) == 1, counts
    assert page.evaluate("() => window.muza.backgrounds.studio.renders") == 11
    assert page.problems.errors == []


@pytest.mark.parametrize("size,why", [("0", "WIDTHxHEIGHT"), ("100000", "WIDTHxHEIGHT"), ("text", "WIDTHxHEIGHT"),
                                      ("0x0", "between 32 and 8192"), ("100000x100000", "between 32 and 8192")])
def test_bad_url_parameters_give_a_clear_message_and_fall_back(page, live_server, size, why):
    open_bg(page, live_server, f"seed=4&size={size}&t=granite&scale=abc")
    message = page.locator(f"{STUDIO} .message.error")
    text = message.inner_text()
    assert message.get_attribute("role") == "alert"
    assert f"size={size}:" in text and why in text and "using 1920×1080" in text, text
    assert "“granite”" in text and "scale=abc" in text, text
    s = settings(page)
    assert (s["width"], s["height"], s["seed"], s["scale"]) == (1920, 1080, 4, 1)
    assert page.locator(".bg-caption").inner_text().startswith("1920×1080")
    assert page.problems.errors == []


def test_shared_link_restores_the_same_pixels(page, live_server, browser, textures):
    a, b = textures[1]["name"], textures[2]["name"]
    open_bg(page, live_server, f"t={a}:1,{b}:1&morph=vertical&repeat=1&seed=77&size=480x270&scale=1.5&var=0.8&hue=30&con=1.2")
    pixels = stage_rgb(page)
    page.locator("button.share").click()
    url = page.locator("input.share-url").input_value()
    assert "#/backgrounds?m=" in url and "morph=vertical" in url and "repeat=1" in url
    other = browser.new_context(viewport={"width": 1000, "height": 800})
    fresh = other.new_page()
    fresh.goto(url)
    fresh.wait_for_selector(f"{STUDIO}[data-ready='true']", timeout=600_000)
    fresh.wait_for_function("() => window.muza.backgrounds !== undefined")
    idle(fresh)
    assert settings(fresh) == settings(page)
    assert np.array_equal(stage_rgb(fresh), pixels)
    other.close()


# --------------------------------------------------------------------------- the page
def test_picker_blend_morph_colour_and_favourites(page, live_server, textures, bg_card):
    # The full width keeps the morph's pure ends far (in pixels) from its ramp and from the wrap
    # border; a low frame keeps it quick (the morph runs across x).
    open_bg(page, live_server, "seed=11&size=1920x544")
    grid = page.locator(".bg-texture")
    assert grid.count() == len(textures) == bg_card["extras"]["textures"]
    # Thumbnails come from the model: 96 px squares with texture in them.
    thumbs = page.evaluate("""() => Array.from(document.querySelectorAll('.bg-thumb'), (c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let lo = 255, hi = 0;
        for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i + 1]); hi = Math.max(hi, d[i + 1]); } return [c.width, hi - lo]; })""")
    assert all(w == 96 and spread > 0 for w, spread in thumbs), thumbs
    marked = [t["name"] for t in textures if t["attribution"]]
    assert page.locator(".bg-texture .bg-ccby").count() == len(marked)
    for name in marked:
        assert page.locator(f".bg-texture[data-texture='{name}'] .bg-ccby").count() == 1

    # Texture A alone, texture B alone, then a morph from A to B across the frame.
    a, b = textures[3], cc_by(textures)
    page.locator(f".bg-texture[data-texture='{a['name']}']").click()
    idle(page)
    only_a = stage_rgb(page)
    assert settings(page)["mix"] == [{"id": a["id"], "weight": 1}]
    page.locator(f".bg-texture[data-texture='{b['name']}']").click()
    idle(page)
    only_b = stage_rgb(page)
    assert b["attribution"] in page.locator(".bg-credits").inner_text()
    page.locator(f".bg-texture[data-texture='{a['name']}']").click()
    page.locator("label[for]", has_text="Pick several").click()
    page.locator(f".bg-texture[data-texture='{b['name']}']").click()
    idle(page)
    assert [e["id"] for e in settings(page)["mix"]] == [a["id"], b["id"]]
    assert page.locator(".bg-mix li").count() == 2
    blend = stage_rgb(page)
    assert page.locator(".bg-mix [data-weight] input").count() == 2
    page.locator(".bg-mode-morph").check()
    idle(page)
    morph = stage_rgb(page)
    credits = page.locator(".bg-credits").inner_text()
    assert b["attribution"] in credits and a["credit"] in credits
    # Left of the ramp the morph is texture A exactly, right of it texture B (the generator
    # is local: those pixels only see cells holding one texture); the middle is neither.
    left, right, middle = slice(192, 512), slice(1408, 1728), slice(900, 1020)
    assert np.abs(morph[:, left].astype(int) - only_a[:, left]).max() <= 1
    assert np.abs(morph[:, right].astype(int) - only_b[:, right]).max() <= 1
    assert np.abs(morph[:, middle].astype(int) - only_a[:, middle]).mean() > 2
    assert np.abs(morph[:, middle].astype(int) - only_b[:, middle]).mean() > 2
    assert not np.array_equal(blend, morph)

    # Colour is applied to the generated pixels without rendering again.
    renders = page.evaluate("() => window.muza.backgrounds.studio.renders")
    page.evaluate("() => window.muza.backgrounds.studio.update((s) => Object.assign(s, {saturation: 0}))")
    idle(page)
    grey = stage_rgb(page).astype(int)
    assert page.evaluate("() => window.muza.backgrounds.studio.renders") == renders
    luma = np.round(morph @ np.array([0.2126, 0.7152, 0.0722]))
    assert np.abs(grey[..., 0] - luma).max() <= 1 and np.abs(grey[..., 0] - grey[..., 2]).max() <= 1
    page.locator(".bg-neutral").click()
    idle(page)
    assert np.abs(stage_rgb(page).astype(int) - morph).max() <= 0

    # Scale 2: half as many noise cells each way; Reset brings the defaults back (size and seed stay).
    page.evaluate("() => window.muza.backgrounds.studio.update((s) => (s.scale = 2))")
    idle(page)
    assert page.evaluate("() => window.muza.backgrounds.studio.lastReport.plan.cols.starts.length") >= 1
    assert page.evaluate("() => window.muza.backgrounds.api.gridFor(1920, 1080, 2)")["w"] == 30
    page.locator(".bg-controls button.reset").click()
    idle(page)
    s = settings(page)
    assert (s["scale"], s["mode"], s["seed"], s["width"], s["height"], len(s["mix"])) == (1, "blend", 11, 1920, 544, 1)

    # Favourites: saved in localStorage, survive a reload, open the same settings.
    page.locator(".bg-texture[data-texture='%s']" % b["name"]).click()
    idle(page)
    saved = settings(page)
    page.locator("button.save-favourite").click()
    page.wait_for_function("() => document.querySelectorAll('.bg-favourites .favourites li').length === 1")
    page.locator(".bg-controls button.randomise").click()
    idle(page)
    assert settings(page)["seed"] != saved["seed"]
    page.reload()
    page.wait_for_selector(f"{STUDIO}[data-ready='true']", timeout=600_000)
    page.wait_for_function("() => window.muza.backgrounds !== undefined")
    idle(page)
    page.locator(".bg-favourites .favourite-open").first.click()
    idle(page)
    assert settings(page) == saved
    assert page.problems.errors == []


def test_animated_loop_records_a_webm_with_the_credits(page, live_server, textures):
    lagoon = cc_by(textures)
    open_bg(page, live_server, f"t={lagoon['name']}:1&seed=6&size=320x180")
    page.locator(".bg-animation summary").click()
    page.wait_for_function("() => /ms per frame here/.test(document.querySelector('.bg-estimate').textContent)", timeout=600_000)
    estimate = page.locator(".bg-estimate").inner_text()
    assert "1280×720" in estimate and "300 frames take about" in estimate, estimate
    result = page.evaluate("""async () => {
      const r = await window.muza.backgrounds.studio.animation.record({ seconds: 1, fps: 10, width: 256, height: 144 });
      return r && { frames: r.frames, mime: r.mimeType, head: Array.from(r.bytes.subarray(0, 4)), text: new TextDecoder('latin1').decode(r.bytes.subarray(0, 4096)), size: r.bytes.length };
    }""")
    print({k: v for k, v in result.items() if k != "text"})
    assert result["frames"] == 10 and result["mime"].startswith("video/webm")
    assert result["head"] == [0x1A, 0x45, 0xDF, 0xA3] and "webm" in result["text"]
    assert lagoon["attribution"] in result["text"]
    assert page.locator(".bg-video").count() == 1 and page.locator(".bg-download-webm").is_visible()
    assert page.problems.errors == []


def test_phone_layout_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    open_bg(page, live_server, "seed=1&size=1080x1920")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    box = page.locator(".bg-output").bounding_box()
    assert box["width"] <= 375 and box["height"] > box["width"]
    context.close()
