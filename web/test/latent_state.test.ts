import { test } from "node:test";
import assert from "node:assert/strict";
import { dot, roundHalf } from "../src/latent/latent_math";
import { LatentState, composeLatent, decodePoint, encodePoint, parseDirections, type LatentDirection } from "../src/latent/latent_state";

const DIM = 8;
const unit = (i: number) => Float64Array.from({ length: DIM }, (_, j) => (j === i ? 1 : 0));
const directions: LatentDirection[] = [
  { index: 0, label: "smile", vector: Float64Array.from({ length: DIM }, () => Math.sqrt(1 / DIM)), std: 2, explainedVariance: 0.3 },
  { index: 1, label: "tilt", vector: unit(1), std: 0.5, explainedVariance: 0.1 },
];

test("the generator's input: truncation × base + offset × std × direction", () => {
  const z = composeLatent({ seed: 0, truncation: 0.5, offsets: Float64Array.from([0, 1.5]), base: Float64Array.from({ length: DIM }, (_, i) => i) }, directions);
  assert.deepEqual(Array.from(z), [0, 0.5 + 0.75, 1, 1.5, 2, 2.5, 3, 3.5]);
});

test("a seed's point shares as a short code and comes back exactly", () => {
  const state = new LatentState(directions, DIM, 0.7, 123);
  state.setOffset(0, 1.2345);
  const code = encodePoint(state.point);
  assert.equal(code.length, Math.ceil(((11 + 2 * directions.length) * 4) / 3)); // the base is not in it
  const back = decodePoint(code, DIM, directions.length);
  assert.equal(back.seed, 123);
  assert.equal(back.truncation, roundHalf(0.7));
  assert.deepEqual(Array.from(back.offsets), [roundHalf(1.2345), 0]);
  assert.deepEqual(Array.from(back.base), Array.from(state.point.base));
});

test("an edited base travels in the code", () => {
  const state = new LatentState(directions, DIM, 1, 5);
  state.setDim(3, 1.234);
  state.setDim(4, 99); // clamped to the slider range
  const code = encodePoint(state.point);
  assert.equal(code.length, Math.ceil(((11 + 2 * directions.length + 2 * DIM) * 4) / 3));
  const back = decodePoint(code, DIM, directions.length);
  assert.equal(back.base[3], roundHalf(1.234));
  assert.equal(back.base[4], 4);
  assert.deepEqual(Array.from(back.base), Array.from(state.point.base));
});

test("damaged or foreign codes are refused with a reason", () => {
  const code = encodePoint(new LatentState(directions, DIM, 1, 9).point);
  assert.throws(() => decodePoint(code, DIM + 1, directions.length), /has 8 dimensions; this model takes 9/);
  assert.throws(() => decodePoint("not+base64", DIM, 2), /not base64url/);
  assert.throws(() => decodePoint(code.slice(0, 6), DIM, 2), /damaged/);
  const bytes = Buffer.from(code, "base64url");
  assert.throws(() => decodePoint(Buffer.concat([bytes, Buffer.from([0, 0])]).toString("base64url"), DIM, 2), /truncated/);
  bytes[0] = 2;
  assert.throws(() => decodePoint(bytes.toString("base64url"), DIM, 2), /newer Muza/);
  // A code with an offset along a direction this model lacks.
  const wide = new LatentState([...directions, { ...directions[1], index: 2, label: "extra" }], DIM, 1, 9);
  wide.setOffset(2, 1);
  assert.throws(() => decodePoint(encodePoint(wide.point), DIM, 2), /directions this model does not have/);
});

test("randomise keeps locked raw values exactly and the component along a locked direction", () => {
  const state = new LatentState(directions, DIM, 1, 1);
  state.setOffset(0, 2);
  state.setOffset(1, -1);
  state.setDim(5, 3.5);
  state.toggleDimLock(5);
  state.toggleDirectionLock(0);
  const along = dot(state.point.base, directions[0].vector);
  state.randomise(2);
  assert.equal(state.point.seed, 2);
  assert.equal(state.point.base[5], 3.5);
  assert.deepEqual(Array.from(state.point.offsets), [2, 0]);
  assert.ok(Math.abs(dot(state.point.base, directions[0].vector) - along) < 0.01);
  state.reset();
  assert.equal(state.point.base[5], 3.5); // still locked
  assert.deepEqual(Array.from(state.point.offsets), [2, 0]);
  assert.equal(state.toggleDimLock(5), false);
});

test("directions.json is checked against the model", () => {
  const doc = { latent_dim: 2, directions: [{ index: 4, label: "", vector: [0.6, 0.8], std: 0 }, { index: 5, label: "b", vector: [1, 0], std: 2 }] };
  const parsed = parseDirections(doc, 2, 1);
  assert.equal(parsed.length, 1);
  assert.equal(parsed[0].label, "PC1");
  assert.equal(parsed[0].std, 1);
  assert.equal(parsed[0].index, 4);
  assert.throws(() => parseDirections(doc, 3, 1), /for a 2-dimensional latent, the model takes 3/);
  assert.throws(() => parseDirections({ latent_dim: 3, directions: [{ index: 0, label: "x", vector: [1, 0], std: 1 }] }, 3, 1), /x has 2 numbers, expected 3/);
});
