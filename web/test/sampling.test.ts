import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { GumbelNoise, checkSampling, engineTemperature, isGreedy, markExcluded, maskLogits, sampleId } from "../src/poems/sampling";
import { useCustomKernels } from "../src/poems/kernels";

const off = { temperature: 1, topK: 0, topP: 1 };

test("sampling options are checked", () => {
  assert.deepEqual(checkSampling({ temperature: 0, topK: 3, topP: 0.5 }), { temperature: 0, topK: 3, topP: 0.5 });
  assert.throws(() => checkSampling({ ...off, temperature: -0.1 }), RangeError);
  assert.throws(() => checkSampling({ ...off, temperature: Number.NaN }), /temperature/);
  assert.throws(() => checkSampling({ ...off, topK: 1.5 }), /top-k/);
  assert.throws(() => checkSampling({ ...off, topP: 0 }), /top-p/);
  assert.throws(() => checkSampling({ ...off, topP: 1.01 }), /top-p/);
});

test("greedy below 0.01 or with top-k 1; the engine then divides by 1", () => {
  assert.equal(isGreedy({ ...off, temperature: 0.01 }), true);
  assert.equal(isGreedy({ ...off, temperature: 0.02 }), false);
  assert.equal(isGreedy({ ...off, topK: 1 }), true);
  assert.equal(engineTemperature({ ...off, temperature: 0 }), 1);
  assert.equal(engineTemperature({ ...off, temperature: 0.7 }), 0.7);
});

test("markExcluded: top-k, top-p and both (top-p over the renormalised top k)", () => {
  const probs = [0.5, 0.3, 0.15, 0.05];
  assert.deepEqual(markExcluded(probs, off), [false, false, false, false]);
  assert.deepEqual(markExcluded(probs, { ...off, topK: 2 }), [false, false, true, true]);
  // Mass above each: 0, 0.5, 0.8, 0.95: kept while it is below p.
  assert.deepEqual(markExcluded(probs, { ...off, topP: 0.7 }), [false, false, true, true]);
  assert.deepEqual(markExcluded(probs, { ...off, topP: 0.5 }), [false, true, true, true]);
  // Within the top 3 (mass 0.95) the mass above rank 1 is 0.526 < 0.6, above rank 2 0.842.
  assert.deepEqual(markExcluded(probs, { ...off, topK: 3, topP: 0.6 }), [false, false, true, true]);
  assert.deepEqual(markExcluded(probs, { ...off, temperature: 0 }), [false, true, true, true]);
});

test("maskLogits keeps the top-k / top-p set and masks the rest", async () => {
  await tf.setBackend("cpu");
  const logits = tf.tensor2d([[1, 2, 0, -1]]);
  const values = (o: typeof off) => Array.from(maskLogits(logits, o).dataSync());
  assert.deepEqual(values(off), [1, 2, 0, -1]);
  assert.deepEqual(values({ ...off, topK: 2 }), [1, 2, -1e9, -1e9]);
  // softmax: 0.237, 0.644, 0.087, 0.032 (sorted: 0.644, 0.237, …): p = 0.7 keeps two, p = 0.5 one.
  assert.deepEqual(values({ ...off, topP: 0.7 }), [1, 2, -1e9, -1e9]);
  assert.deepEqual(values({ ...off, topP: 0.5 }), [-1e9, 2, -1e9, -1e9]);
  assert.deepEqual(values({ ...off, topP: 0.9 }), [1, 2, 0, -1e9]);
  logits.dispose();
});

function draws(logits: number[], options: typeof off, seed: number, n: number): number[] {
  const counts = new Array(logits.length).fill(0);
  const noise = new GumbelNoise(seed, logits.length).block(n);
  const scaled = tf.tensor2d([logits]);
  for (let row = 0; row < n; row++) {
    const id = sampleId(scaled, options, noise, row);
    counts[id.dataSync()[0]] += 1;
    id.dispose();
  }
  scaled.dispose();
  noise.dispose();
  return counts.map((c) => c / n);
}

for (const custom of [true, false]) {
  test(`Gumbel-max draws follow softmax(logits) (${custom ? "custom kernel" : "plain ops"})`, async () => {
    await tf.setBackend("cpu");
    useCustomKernels(custom);
    try {
      const frequencies = draws([Math.log(0.5), Math.log(0.3), Math.log(0.2)], off, 7, 3000);
      [0.5, 0.3, 0.2].forEach((p, i) => assert.ok(Math.abs(frequencies[i] - p) < 0.03, `character ${i}: ${frequencies[i]} vs ${p}`));
      // top-k 1 and greedy take the argmax every time; top-k 2 never draws the third.
      assert.deepEqual(draws([0, 3, 1], { ...off, topK: 1 }, 1, 50), [0, 1, 0]);
      assert.deepEqual(draws([0, 3, 1], { ...off, temperature: 0 }, 1, 50), [0, 1, 0]);
      assert.equal(draws([1, 1.2, 0.8], { ...off, topK: 2 }, 3, 400)[2], 0);
    } finally {
      useCustomKernels(true);
    }
  });
}

test("the same seed gives the same noise; another seed other noise", () => {
  const a = new GumbelNoise(42, 5).block(3);
  const b = new GumbelNoise(42, 5).block(3);
  const c = new GumbelNoise(43, 5).block(3);
  assert.deepEqual(a.shape, [3, 5]);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
  assert.ok(Array.from(a.dataSync()).every(Number.isFinite));
  tf.dispose([a, b, c]);
});
