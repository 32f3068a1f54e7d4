import { test } from "node:test";
import assert from "node:assert/strict";
import { planTiles, receptiveField, tileBorders, type Rect } from "../src/style/tiling";

function covered(width: number, height: number, rects: Rect[]): number[] {
  const hits = new Array(width * height).fill(0);
  for (const r of rects) for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) hits[y * width + x] += 1;
  return hits;
}

test("a small image is one tile whose region is the whole image", () => {
  assert.deepEqual(planTiles(300, 200, 512, 40, 4), [{ core: { x: 0, y: 0, width: 300, height: 200 }, region: { x: 0, y: 0, width: 300, height: 200 } }]);
});

test("2048 px in 512 px cores: 16 tiles whose cores cover every pixel exactly once", () => {
  const tiles = planTiles(2048, 2048, 512, 40, 4);
  assert.equal(tiles.length, 16);
  assert.ok(covered(2048, 2048, tiles.map((t) => t.core)).every((n) => n === 1));
  assert.deepEqual(tileBorders(tiles), { xs: [512, 1024, 1536], ys: [512, 1024, 1536] });
});

test("regions grow by the overlap rounded up to the stride, clamped to the image", () => {
  const tiles = planTiles(1000, 600, 512, 30, 4); // overlap 30 -> 32 pixels
  assert.equal(tiles.length, 4);
  const [a, b, c, d] = tiles;
  assert.deepEqual(a.core, { x: 0, y: 0, width: 500, height: 300 });
  assert.deepEqual(a.region, { x: 0, y: 0, width: 532, height: 332 });
  assert.deepEqual(b.core, { x: 500, y: 0, width: 500, height: 300 });
  assert.deepEqual(b.region, { x: 468, y: 0, width: 532, height: 332 });
  assert.deepEqual(c.region, { x: 0, y: 268, width: 532, height: 332 });
  assert.deepEqual(d.region, { x: 468, y: 268, width: 532, height: 332 });
  for (const t of tiles) {
    assert.equal(t.region.x % 4, 0);
    assert.equal(t.region.y % 4, 0);
  }
});

test("odd sizes: inner borders stay on the stride, cores are at most maxCore", () => {
  const tiles = planTiles(1023, 517, 256, 20, 8);
  assert.ok(covered(1023, 517, tiles.map((t) => t.core)).every((n) => n === 1));
  const { xs, ys } = tileBorders(tiles);
  assert.ok([...xs, ...ys].every((v) => v % 8 === 0), `${xs} ${ys}`);
  assert.ok(tiles.every((t) => t.core.width <= 256 && t.core.height <= 264)); // rounding to the stride may add < 8
  assert.equal(xs.length, 3);
  assert.equal(ys.length, 2);
});

test("impossible plans are refused", () => {
  assert.throws(() => planTiles(0, 10, 512, 8), /0x10/);
  assert.throws(() => planTiles(10, 10, 2, 8, 4), /smaller than the stride/);
});

test("receptive field of a Johnson-style network: radius and total stride", () => {
  const field = receptiveField([
    { className: "InputLayer" },
    { className: "Conv2D", kernelSize: [9, 9], strides: [1, 1] }, // radius 4
    { className: "Conv2D", kernelSize: 3, strides: 2 }, // +1, +1 for 'same' with stride 2; scale 2
    { className: "Conv2D", kernelSize: 3, strides: 2 }, // +2, +2; scale 4
    { className: "ConditionalInstanceNorm" },
    { className: "Conv2D", kernelSize: 3, strides: 1 }, // +4
    { className: "UpSampling2D", size: [2, 2] }, // scale 2
    { className: "Conv2D", kernelSize: 3, strides: 1 }, // +2
    { className: "Conv2DTranspose", kernelSize: 3, strides: 2 }, // +2, scale 1
    { className: "Conv2D", kernelSize: 9, strides: 1 }, // +4
  ]);
  assert.deepEqual(field, { radius: 22, stride: 4 });
});

test("no spatial layer: radius 0, stride 1", () => {
  assert.deepEqual(receptiveField([{ className: "Dense" }]), { radius: 0, stride: 1 });
});
