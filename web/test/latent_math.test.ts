import { test } from "node:test";
import assert from "node:assert/strict";
import {
  analogy, fromBase64Url, fromHalfBits, halfBits, keepComponents, norm, orthonormalBasis, roundHalf, seededLatent, slerp, toBase64Url,
} from "../src/latent/latent_math";

test("float16 bits of known values (IEEE 754 binary16, round to nearest even)", () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [0.1, 0x2e66], [1 / 3, 0x3555], [65504, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest finite half
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], // subnormals, ties to even
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], // ties to even in the normal range
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [-0, 0x8000], [1e-9, 0x0000],
  ];
  for (const [value, bits] of cases) assert.equal(halfBits(value), bits, `halfBits(${value})`);
  assert.equal(halfBits(Number.NaN), 0x7e00);
});

test("float16 bits back to numbers", () => {
  assert.equal(fromHalfBits(0x3555), 0.333251953125);
  assert.equal(fromHalfBits(0x7bff), 65504);
  assert.equal(fromHalfBits(0x0001), 2 ** -24);
  assert.equal(fromHalfBits(0xfc00), -Infinity);
  assert.ok(Number.isNaN(fromHalfBits(0x7e00)));
  assert.equal(roundHalf(0.1), 0.0999755859375);
  assert.equal(roundHalf(roundHalf(0.1)), roundHalf(0.1));
});

test("seeded latents: standard normal, float16-exact, a longer one extends a shorter one", () => {
  const z = seededLatent(7, 20_000);
  const mean = z.reduce((a, b) => a + b, 0) / z.length;
  const std = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
  assert.ok(z.every((v) => roundHalf(v) === v));
  assert.deepEqual(Array.from(seededLatent(7, 5)), Array.from(seededLatent(7, 6)).slice(0, 5));
  assert.notDeepEqual(Array.from(seededLatent(8, 6)), Array.from(seededLatent(7, 6)));
});

test("slerp: ends, the middle of a quarter circle, and the straight-line fallback", () => {
  const a = Float32Array.from([1, 0]);
  const b = Float32Array.from([0, 1]);
  assert.deepEqual(Array.from(slerp(a, b, 0)), [1, 0]);
  assert.deepEqual(Array.from(slerp(a, b, 1)), [0, 1]);
  const mid = slerp(a, b, 0.5);
  assert.ok(Math.abs(mid[0] - Math.SQRT1_2) < 1e-6 && Math.abs(mid[1] - Math.SQRT1_2) < 1e-6, `${mid}`);
  assert.ok(Math.abs(norm(slerp(a, b, 0.3)) - 1) < 1e-6); // stays on the sphere
  assert.deepEqual(Array.from(slerp(a, Float32Array.from([3, 0]), 0.5)), [2, 0]); // parallel: a line
  assert.deepEqual(Array.from(slerp(a, Float32Array.from([-1, 0]), 0.5)), [0, 0]); // opposite: a line
});

test("A − B + C and Gram–Schmidt", () => {
  assert.deepEqual(Array.from(analogy(Float32Array.from([1, 2]), Float32Array.from([0.5, 0.5]), Float32Array.from([0, 1]))), [0.5, 2.5]);
  const basis = orthonormalBasis([[3, 0, 0], [6, 0, 0], [1, 1, 0]]); // the second is dependent: skipped
  assert.deepEqual(basis.map((q) => Array.from(q)), [[1, 0, 0], [0, 1, 0]]);
});

test("keepComponents moves a fresh point onto the kept one along the locked directions only", () => {
  const fresh = Float64Array.from([1, 2, 3]);
  const kept = Float64Array.from([5, 6, 7]);
  assert.deepEqual(Array.from(keepComponents(fresh, kept, [[1, 0, 0]])), [5, 2, 3]);
  const diagonal = Array.from(keepComponents(fresh, kept, [[1, 1, 0]]));
  [5, 6, 3].forEach((v, i) => assert.ok(Math.abs(diagonal[i] - v) < 1e-12, `${diagonal}`));
  assert.deepEqual(Array.from(keepComponents(fresh, kept, [])), [1, 2, 3]);
});

test("base64url without padding, and refusal of other alphabets", () => {
  assert.equal(toBase64Url(Uint8Array.from([0xfb, 0xff])), "-_8");
  assert.equal(toBase64Url(Uint8Array.from([104, 105])), "aGk");
  assert.deepEqual(Array.from(fromBase64Url("-_8")), [0xfb, 0xff]);
  assert.deepEqual(Array.from(fromBase64Url("")), []);
  assert.throws(() => fromBase64Url("+/8="), /not base64url/);
});
