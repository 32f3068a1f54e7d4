"""End-to-end: large images are stylised in overlapping tiles with whole-image statistics
(with the committed style model; see test_style.py for MUZA_STYLE_MODELS_ROOT)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.e2e.test_style import open_style, pixels, state, style_server, upload, wait_for_stylisations  # noqa: F401

pytestmark = pytest.mark.e2e


def textured_png(width: int, height: int) -> bytes:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([
        128 + 90 * np.sin(x / 37) * np.cos(y / 23),
        128 + 90 * np.sin((x + 2 * y) / 61),
        (x * 7 + y * 3) % 256,
    ], -1)
    buffer = io.BytesIO()
    Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


# Mean |difference| between neighbouring columns (rows) at each tile border, and the same
# for the column pairs 4, 8, 12 and 16 px away on both sides (same phase of the network's
# stride-4 grid, which gives every 4th column pair its own typical step): a seam is a border
# step that stands out from its neighbourhood.
SEAM_JS = """({pixels, borders}) => {
  const {width, height, data} = pixels;
  const step = (axis, k) => {  // mean |p[k] - p[k-1]| along x (axis 'x') or y
    let sum = 0, n = 0;
    const len = axis === 'x' ? height : width;
    for (let i = 0; i < len; i++) {
      const a = axis === 'x' ? (i * width + k) * 4 : (k * width + i) * 4;
      const b = axis === 'x' ? a - 4 : a - width * 4;
      for (let c = 0; c < 3; c++) { sum += Math.abs(data[a + c] - data[b + c]); n++; }
    }
    return sum / n;
  };
  const report = [];
  for (const [axis, list] of [['x', borders.xs], ['y', borders.ys]]) {
    for (const k of list) {
      const around = [];
      for (const d of [-16, -12, -8, -4, 4, 8, 12, 16]) around.push(step(axis, k + d));
      around.sort((p, q) => p - q);
      report.push({axis, at: k, border: step(axis, k), median: (around[3] + around[4]) / 2, max: around[around.length - 1]});
    }
  }
  return report;
}"""


def seams(page, pixels_expr: str, borders_expr: str) -> list[dict]:
    return page.evaluate(f"() => ({SEAM_JS})({{pixels: {pixels_expr}, borders: {borders_expr}}})")


def test_2048_image_is_tiled_without_seams_or_errors(page, style_server):  # noqa: F811
    open_style(page, style_server)
    page.select_option("#style-resolution", "2048")
    progress_texts = []
    page.expose_function("reportProgress", lambda text: progress_texts.append(text))
    page.evaluate("""() => new MutationObserver(() => {
        const t = document.querySelector('.style-jobs .progress-text');
        if (t && t.textContent) window.reportProgress(t.textContent);
      }).observe(document.querySelector('.style-jobs'), {subtree: true, childList: true, characterData: true})""")
    upload(page, "big.png", textured_png(2048, 2048), "image/png")
    wait_for_stylisations(page, 1, timeout=240_000)
    result = state(page)["result"]
    assert (result["width"], result["height"]) == (2048, 2048)
    assert result["tiles"] == 16
    assert "in 16 tiles" in page.locator(".style-result-caption").inner_text()
    assert any(t.startswith("tile ") and t.endswith(" of 16") for t in progress_texts), progress_texts
    report = seams(page, "window.muza.style.studio().resultPixels('stylised')",
                   "window.muza.style.tileBorders(window.muza.style.studio().currentStylizer.planTiles(2048, 2048))")
    assert len(report) == 6  # 3 vertical + 3 horizontal inner borders
    for row in report:
        print(row)
        assert row["border"] <= 1.1 * row["median"] + 0.5, row
        assert row["border"] <= row["max"] + 0.5, row
    assert page.locator(".style-before").evaluate("c => [c.width, c.height]") == [2048, 2048]
    assert page.problems.errors == []


def test_seam_check_detects_per_tile_statistics(page, style_server):  # noqa: F811
    """The same measurement on tiles normalised with their own statistics finds seams, so the
    test above would fail if the whole-image statistics were not shared; on the same image
    with whole-image statistics it finds none. Style 4 (The Starry Night): a seam must stand out
    from the texture beside it, and the more textured styles hide it (measured with the shipped
    model, per-tile ratios for styles 0-7: 1.08, 1.06, 0.91, 0.96, 2.36, 2.11, 0.91, 1.91; with
    whole-image statistics at most 1.01)."""
    open_style(page, style_server)
    page.evaluate("""async () => {
      const s = window.muza.style.studio().currentStylizer, w = s.styles.map((_, i) => (i === 4 ? 1 : 0));
      const c = document.createElement('canvas'); c.width = 512; c.height = 512;
      const ctx = c.getContext('2d');
      // Tiles with very different content (edges kept 32 px away from the tile borders at 256).
      ctx.fillStyle = '#f4e9d0'; ctx.fillRect(0, 0, 512, 512);
      for (let x = 0; x < 224; x += 16) { ctx.fillStyle = x % 32 ? '#111' : '#345'; ctx.fillRect(x, 0, 8, 512); }
      const g = ctx.createLinearGradient(288, 0, 512, 224);
      g.addColorStop(0, '#e94'); g.addColorStop(1, '#38a');
      ctx.fillStyle = g; ctx.fillRect(288, 0, 224, 224);
      ctx.fillStyle = '#2a6'; ctx.fillRect(288, 288, 224, 224);
      const source = {width: 512, height: 512,
        read: (r) => ctx.getImageData(r.x, r.y, r.width, r.height),
        scaled: (wd, ht) => { const d = document.createElement('canvas'); d.width = wd; d.height = ht;
          const dc = d.getContext('2d'); dc.drawImage(c, 0, 0, wd, ht); return dc.getImageData(0, 0, wd, ht); }};
      for (const statistics of ['per-tile', undefined]) {
        const out = new ImageData(512, 512);
        const write = (r, px) => { for (let y = 0; y < r.height; y++)
          out.data.set(px.data.subarray(y * r.width * 4, (y + 1) * r.width * 4), ((r.y + y) * 512 + r.x) * 4); };
        const {tiles} = await s.stylizeTiled(source, w, {maxCore: 256, statistics, write});
        window[statistics ? 'perTile' : 'wholeImage'] = {pixels: out, borders: window.muza.style.tileBorders(tiles)};
      }
    }""")
    ratio = lambda report: max(row["border"] / max(row["median"], 1e-3) for row in report)  # noqa: E731
    per_tile = seams(page, "window.perTile.pixels", "window.perTile.borders")
    whole = seams(page, "window.wholeImage.pixels", "window.wholeImage.borders")
    print(f"border/neighbour ratio: per-tile {ratio(per_tile):.2f}, whole-image {ratio(whole):.2f}")
    assert len(per_tile) == 2
    assert ratio(per_tile) > 1.5, per_tile
    assert ratio(whole) < 1.15, whole


def test_tiles_equal_a_single_pass_with_the_same_statistics(page, style_server):  # noqa: F811
    """With the overlap the stylizer derives from the network's receptive field, tiled output
    equals one whole-image run given the same statistics (up to uint8 rounding)."""
    open_style(page, style_server)
    result = page.evaluate("""async () => {
      const api = window.muza.style, tf = window.muza.tf;
      const s = api.studio().currentStylizer;
      const weights = s.styles.map((_, i) => (i === 0 ? 0.6 : i === 1 ? 0.4 : 0));
      const W = 360, H = 276;
      const c = document.createElement('canvas'); c.width = W; c.height = H;
      const ctx = c.getContext('2d');
      for (let i = 0; i < 40; i++) {
        ctx.fillStyle = `hsl(${i * 37 % 360} 70% ${30 + i % 5 * 10}%)`;
        ctx.fillRect((i * 53) % W, (i * 31) % H, 40 + i % 7 * 9, 30 + i % 5 * 11);
      }
      const whole = ctx.getImageData(0, 0, W, H);
      const before = tf.memory().numTensors;
      const input = tf.browser.fromPixels(whole);
      const stats = s.recordStats(input, weights);
      input.dispose();
      const single = await s.stylize(whole, weights, stats);
      const out = new ImageData(W, H);
      const write = (r, px) => { for (let y = 0; y < r.height; y++)
        out.data.set(px.data.subarray(y * r.width * 4, (y + 1) * r.width * 4), ((r.y + y) * W + r.x) * 4); };
      const source = {width: W, height: H, read: (r) => ctx.getImageData(r.x, r.y, r.width, r.height), scaled: () => whole};
      const {tiles} = await s.stylizeTiled(source, weights, {maxCore: 100, statistics: stats, write});
      stats.dispose();
      let max = 0, differing = 0;
      for (let i = 0; i < out.data.length; i++) {
        const d = Math.abs(out.data[i] - single.data[i]);
        max = Math.max(max, d); if (d > 1) differing++;
      }
      return {tiles: tiles.length, overlap: s.overlap, max, differing, leaked: tf.memory().numTensors - before};
    }""")
    print(result)
    assert result["tiles"] == 12  # 4 x 3 cores of at most 100 px
    assert result["overlap"] >= 8 and result["overlap"] % 4 == 0
    assert result["max"] <= 2 and result["differing"] == 0, result
    assert result["leaked"] == 0
    assert page.problems.errors == []


def test_cancel_stops_a_tiled_job_and_keeps_the_previous_result(page, style_server):  # noqa: F811
    open_style(page, style_server)
    page.select_option("#style-resolution", "2048")
    upload(page, "first.png", textured_png(300, 200), "image/png")  # small: one pass
    wait_for_stylisations(page, 1)
    previous = pixels(page, "shown")
    upload(page, "second.png", textured_png(1200, 900), "image/png")  # 6 tiles
    page.wait_for_function("() => /^tile [1-9]/.test(document.querySelector('.style-jobs .progress-text').textContent)")
    cancel = page.get_by_role("button", name="Cancel")
    assert cancel.is_visible()
    cancel.dispatch_event("click")
    page.wait_for_function("() => document.querySelector(\"section[data-studio='style']\").dataset.busy === 'false'")
    assert "Cancelled: the previous result is kept." in page.locator(".style-output .message").inner_text()
    assert state(page)["stylisations"] == 1
    assert state(page)["result"]["width"] == 300
    assert np.array_equal(pixels(page, "shown"), previous)
    assert page.locator(".style-jobs .progress").is_hidden()
    assert page.problems.errors == []
