import { test } from "node:test";
import assert from "node:assert/strict";
import { applyColour, colourMap, hueMatrix } from "../src/backgrounds/colour";
import { cellWeights, morphPosition, normalised, stopWeights } from "../src/backgrounds/morph";
import { gaussianAt, localNoise, loopNoise, noiseGrid } from "../src/backgrounds/noise";

const close = (a: number[], b: number[], eps = 1e-9) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= eps);

test("blend weights are scaled to sum 1; none positive is refused", () => {
  assert.deepEqual(normalised([1, 3]), [0.25, 0.75]);
  assert.deepEqual(normalised([2, -1, NaN]), [1, 0, 0]);
  assert.throws(() => normalised([0, 0]), /above 0/);
});

test("two stops: all A up to the transition, a linear ramp over `softness` of the gap, then all B", () => {
  // stops at 0.25 and 0.75; softness 0.5 -> ramp 0.25 wide around 0.5
  assert.deepEqual(stopWeights(2, 0.1, 0.5, false), [1, 0]);
  assert.deepEqual(stopWeights(2, 0.375, 0.5, false), [1, 0]);
  assert.ok(close(stopWeights(2, 0.5, 0.5, false), [0.5, 0.5]));
  assert.ok(close(stopWeights(2, 0.5625, 0.5, false), [0.25, 0.75]));
  assert.deepEqual(stopWeights(2, 0.9, 0.5, false), [0, 1]);
  assert.deepEqual(stopWeights(1, 0.3, 0.5, false), [1]);
});

test("three stops, and repeating morphs that come back to the first texture", () => {
  assert.ok(close(stopWeights(3, 0.5, 1, false), [0, 1, 0]));
  assert.ok(close(stopWeights(3, 1 / 3, 1, false), [0.5, 0.5, 0]));
  // repeat: stops at 0, 1/2 and (stop 0 again) 1
  assert.ok(close(stopWeights(2, 0, 1, true), [1, 0]));
  assert.ok(close(stopWeights(2, 0.5, 1, true), [0, 1]));
  assert.ok(close(stopWeights(2, 0.75, 1, true), [0.5, 0.5]));
  assert.ok(close(stopWeights(2, 0.999, 1, true), stopWeights(2, 0.001, 1, true), 0.01));
  for (let t = 0; t <= 1; t += 0.01) {
    for (const repeat of [false, true]) {
      const w = stopWeights(4, t, 0.7, repeat);
      assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12 && w.every((v) => v >= 0), `${t} ${repeat}`);
    }
  }
});

test("morph positions: left to right, top to bottom, diagonal, radial (matching at opposite edges)", () => {
  assert.equal(morphPosition("horizontal", 0, 0, 4, 8, false), 1 / 16);
  assert.equal(morphPosition("vertical", 3, 0, 4, 8, false), 7 / 8);
  // cell (3, 7) of 4 x 8: u = 7.5/8, v = 3.5/4
  assert.equal(morphPosition("diagonal", 3, 7, 4, 8, false), (15 / 16 + 7 / 8) / 2);
  assert.equal(morphPosition("diagonal", 3, 7, 4, 8, true), 15 / 16 + 7 / 8 - 1);
  assert.ok(Math.abs(morphPosition("radial", 0, 0, 4, 4, false) - morphPosition("radial", 3, 3, 4, 4, false)) < 1e-12);
  assert.ok(Math.abs(morphPosition("radial", 1, 0, 4, 6, false) - morphPosition("radial", 1, 5, 4, 6, false)) < 1e-12);
  assert.equal(morphPosition("radial", 0, 0, 2, 2, false), 0.5);
});

test("cell weights: one mix everywhere for a blend, a ramp across the grid for a morph", () => {
  const blend = cellWeights({ mode: "blend", weights: [1, 1], shape: "horizontal", repeat: false, softness: 0.5 }, 2, 3);
  assert.deepEqual(Array.from(blend), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const morph = cellWeights({ mode: "morph", weights: [0, 0], shape: "horizontal", repeat: false, softness: 1 }, 1, 4);
  // cells at 1/8, 3/8, 5/8, 7/8; stops at 1/4 and 3/4, ramp 1/2 wide
  assert.deepEqual(Array.from(morph), [1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
});

test("local noise is N(0, 1), seeded, and the same cell whatever the grid's size", () => {
  const a = localNoise(5, 0, 30, 40, 16);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `${mean} ${sd}`);
  const b = localNoise(5, 0, 10, 12, 16);
  assert.equal(b[(3 * 12 + 7) * 16 + 2], a[(3 * 40 + 7) * 16 + 2]);
  assert.equal(Math.fround(gaussianAt(5, 0, 3, 7, 2)), a[(3 * 40 + 7) * 16 + 2]);
  assert.notEqual(gaussianAt(6, 0, 3, 7, 2), gaussianAt(5, 0, 3, 7, 2));
  assert.notEqual(gaussianAt(5, 1, 3, 7, 2), gaussianAt(5, 0, 3, 7, 2));
});

test("the loop's noise closes after a full turn and keeps unit variance", () => {
  const [a, b, c] = [0, 1, 2].map((stream) => localNoise(1, stream, 20, 20, 8));
  const start = loopNoise(a, b, c, 0.4, 0);
  const end = loopNoise(a, b, c, 0.4, 2 * Math.PI);
  assert.ok(start.every((v, i) => Math.abs(v - end[i]) < 1e-5));
  const mid = loopNoise(a, b, c, 0.4, 2);
  const variance = mid.reduce((s, v) => s + v * v, 0) / mid.length;
  assert.ok(Math.abs(variance - 1) < 0.1, String(variance));
  assert.ok(loopNoise(a, b, c, 0, 1).every((v, i) => v === a[i]));
});

test("the noise grid: local channels times variation, then the weighted texture points", () => {
  const local = Float32Array.from([1, 2, 3, 4]); // 2 cells x 2 local channels
  const weights = Float32Array.from([1, 0, 0.25, 0.75]); // 2 cells x 2 textures
  const grid = noiseGrid(local, 0.5, weights, [[10, 20, 30], [100, 200, 300]], 1, 2, 2);
  assert.deepEqual(Array.from(grid), [0.5, 1, 10, 20, 30, 1.5, 2, 77.5, 155, 232.5]);
  assert.throws(() => noiseGrid(local, 1, weights, [[1]], 1, 3, 2));
});

test("colour: neutral is the identity; hue turns red to green; saturation 0 is luma grey; contrast and brightness about mid-grey", () => {
  const neutral = colourMap({ hue: 0, saturation: 1, brightness: 0, contrast: 1 });
  assert.ok(neutral.identity && close(neutral.m, [1, 0, 0, 0, 1, 0, 0, 0, 1]) && close(neutral.t, [0, 0, 0]));
  assert.deepEqual(applyColour(colourMap({ hue: 120, saturation: 1, brightness: 0, contrast: 1 }), [255, 0, 0]), [0, 255, 0]);
  assert.ok(close(hueMatrix(360), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-12));
  assert.deepEqual(applyColour(colourMap({ hue: 50, saturation: 1, brightness: 0, contrast: 1 }), [90, 90, 90]), [90, 90, 90]);
  assert.deepEqual(applyColour(colourMap({ hue: 0, saturation: 0, brightness: 0, contrast: 1 }), [255, 0, 0]), [54, 54, 54]); // 0.2126 · 255
  assert.deepEqual(applyColour(colourMap({ hue: 0, saturation: 1, brightness: 0, contrast: 2 }), [100, 200, 128]), [73, 255, 129]);
  assert.deepEqual(applyColour(colourMap({ hue: 0, saturation: 1, brightness: 0.2, contrast: 1 }), [100, 250, 0]), [126, 255, 26]);
});
