// The tiled path on tfjs' CPU backend: a small chain like the exported generator (wrap pads,
// valid 3x3 convolutions, ReLUs, nearest upsamplings, tanh), pieces against the whole image.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { applyColour, colourMap } from "../src/backgrounds/colour";
import { BackgroundGenerator, textureLabel, type TexturesFile } from "../src/backgrounds/generator";
import { LatestJobRunner } from "../src/backgrounds/job_runner";
import { renderBackground } from "../src/backgrounds/render";
import { WrapPad2D, registerWrapPad2D, wrapPad } from "../src/backgrounds/wrap_pad";
import type { ModelCard } from "../src/models";

registerWrapPad2D();

function chainModel(channels = 6): tf.LayersModel {
  const input = tf.input({ shape: [null, null, channels] as unknown as number[], name: "noise" });
  let x = input as tf.SymbolicTensor;
  const block = (filters: number, up: boolean, activation: string, i: number) => {
    if (up) x = tf.layers.upSampling2d({ size: [2, 2], name: `up${i}` }).apply(x) as tf.SymbolicTensor;
    x = new WrapPad2D({ pad: 1, name: `pad${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: "valid", activation: activation === "tanh" ? "tanh" : "linear", name: `conv${i}`, kernelInitializer: tf.initializers.randomNormal({ stddev: 0.4, seed: i }), biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: 10 + i }) }).apply(x) as tf.SymbolicTensor;
    if (activation === "relu") x = tf.layers.reLU({ name: `relu${i}` }).apply(x) as tf.SymbolicTensor;
  };
  block(8, false, "relu", 1);
  block(8, false, "relu", 2);
  block(6, true, "relu", 3);
  block(3, true, "tanh", 4);
  return tf.model({ inputs: input, outputs: x });
}

const CARD = {
  name: "tiny", studio: "backgrounds", title: "Tiny", description: "", format: "layers", entry: "model.json", files: {},
  training: { dataset: "", command: "", date: "" }, metrics: {}, base_url: "/",
  extras: { textures_file: "textures.json", noise: { cell_px: 4, channels: 6, local: { start: 0, count: 2 }, global: { start: 2, count: 4 } } },
} as unknown as ModelCard;

const TEXTURES: TexturesFile = {
  global_channels: 4, local_channels: 2,
  textures: [
    { id: 0, name: "stone_rock", category: "stone", credit: "A", licence: "CC0-1.0", attribution: null, point: [1, -1, 0.5, 0] },
    { id: 1, name: "nebula_lagoon_center", category: "nebula", credit: "B", licence: "CC-BY-4.0", attribution: "B, CC BY 4.0", point: [-0.5, 0.3, 1, 2] },
  ],
};

function generator(): BackgroundGenerator {
  const gen = new BackgroundGenerator(CARD);
  gen.attach(chainModel(), TEXTURES);
  return gen;
}

function levels(values: Float32Array | Int32Array | Uint8Array | number[]): number[] {
  return Array.from(values, (v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))));
}

async function render(gen: BackgroundGenerator, noise: Float32Array, gridW: number, gridH: number, width: number, height: number, pieceFlop: number, colour = colourMap({ hue: 0, saturation: 1, brightness: 0, contrast: 1 })) {
  const raw = new Uint8ClampedArray(width * height * 4);
  const coloured = new Uint8ClampedArray(width * height * 4);
  const report = await renderBackground(gen, {
    noise, gridW, gridH, width, height, colour, pieceFlop,
    write: (x, y, w, h, r, c) => {
      for (let row = 0; row < h; row++) {
        raw.set(r.subarray(row * w * 4, (row + 1) * w * 4), ((y + row) * width + x) * 4);
        coloured.set(c.subarray(row * w * 4, (row + 1) * w * 4), ((y + row) * width + x) * 4);
      }
    },
  });
  return { raw, coloured, report };
}

const rgb = (rgba: Uint8ClampedArray) => Array.from(rgba).filter((_, i) => i % 4 !== 3);
const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test("WrapPad2D pads circularly (corners from the opposite corner) and keeps its config", () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const y = wrapPad(x, 1);
  assert.deepEqual(y.shape, [1, 4, 5, 1]);
  assert.deepEqual(Array.from(y.dataSync()), [6, 4, 5, 6, 4, 3, 1, 2, 3, 1, 6, 4, 5, 6, 4, 3, 1, 2, 3, 1]);
  const layer = new WrapPad2D({ pad: 2, name: "p" });
  assert.equal(layer.getConfig().pad, 2);
  assert.deepEqual(layer.computeOutputShape([null, 5, null, 3]), [null, 9, null, 3]);
  assert.throws(() => wrapPad(x, 3), /cannot wrap/);
  tf.dispose([x, y]);
});

test("a model with WrapPad2D survives serialisation by its bare class name", async () => {
  const model = chainModel();
  const json = JSON.parse(JSON.stringify(model.toJSON(null, false)));
  assert.ok(JSON.stringify(json).includes('"class_name":"WrapPad2D"'));
  const copy = await tf.models.modelFromJSON({ modelTopology: json });
  copy.setWeights(model.getWeights());
  const x = tf.randomNormal([1, 3, 5, 6], 0, 1, "float32", 3);
  const a = model.predict(x) as tf.Tensor;
  const b = copy.predict(x) as tf.Tensor;
  assert.ok(maxDiff(Array.from(a.dataSync()), Array.from(b.dataSync())) < 1e-6);
  tf.dispose([x, a, b]);
  model.dispose();
  copy.dispose();
});

test("the chain splits into one segment per low-resolution convolution and one to the pixels", () => {
  const gen = generator();
  assert.deepEqual(gen.segments.map((s) => s.ops.map((op) => op.kind)), [["conv"], ["conv"], ["up", "conv", "up", "conv"]]);
  assert.deepEqual(gen.segments[2].steps.map((s) => (s.kind === "conv" ? s.activation : s.kind)), ["up", "relu", "up", "tanh"]);
  assert.equal(gen.reachCells, 1 + 1 + 0.5 + 0.25);
  assert.equal(gen.textures[1].label, "Lagoon center");
  assert.equal(textureLabel("stone_rock058", "stone"), "Rock058");
  gen.dispose();
});

test("pieces of a wrapped image equal the model's own whole-image output (exact size)", async () => {
  const gen = generator();
  const [gridW, gridH] = [7, 5];
  const noise = Float32Array.from({ length: gridW * gridH * 6 }, (_, i) => Math.sin(i * 1.7) * 1.5);
  const before = tf.memory().numTensors;
  const expected = tf.tidy(() => gen.predict(tf.tensor4d(noise, [1, gridH, gridW, 6])));
  const want = levels(expected.dataSync() as Float32Array);
  expected.dispose();
  const whole = await render(gen, noise, gridW, gridH, 28, 20, 1e12);
  const pieces = await render(gen, noise, gridW, gridH, 28, 20, 1);
  assert.equal(whole.report.plan.pieces.length, 1);
  assert.equal(pieces.report.plan.pieces.length, 35); // one cell each
  assert.ok(pieces.report.bands > 2);
  assert.ok(maxDiff(rgb(whole.raw), want) <= 1); // the model's own run pads instead of cutting windows: float rounding
  assert.equal(maxDiff(rgb(pieces.raw), rgb(whole.raw)), 0);
  assert.equal(tf.memory().numTensors, before);
  gen.dispose();
});

test("resampled sizes: pieces give one whole run's bytes exactly; the colour map is applied to the generated levels", async () => {
  const gen = generator();
  const [gridW, gridH] = [6, 4];
  const noise = Float32Array.from({ length: gridW * gridH * 6 }, (_, i) => Math.cos(i * 0.77));
  const colour = colourMap({ hue: 40, saturation: 1.4, brightness: 0.05, contrast: 1.2 });
  const whole = await render(gen, noise, gridW, gridH, 21, 19, 1e12, colour);
  const pieces = await render(gen, noise, gridW, gridH, 21, 19, 2e3, colour);
  assert.ok(pieces.report.plan.pieces.length > 4);
  assert.equal(maxDiff(rgb(whole.raw), rgb(pieces.raw)), 0);
  for (let p = 0; p < 21 * 19; p++) {
    const [r, g, b] = [0, 1, 2].map((c) => pieces.raw[4 * p + c]);
    const want = applyColour(colour, [r, g, b]);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(pieces.coloured[4 * p + c] - want[c]) <= 1);
  }
  gen.dispose();
});

test("the job runner runs the latest request only and reports idle", async () => {
  const ran: number[] = [];
  let n = 0;
  const runner = new LatestJobRunner(async (signal) => {
    const mine = ++n;
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      if (signal.aborted) throw Object.assign(new Error("Cancelled"), { name: "CancelledError" });
    }
    ran.push(mine);
  }, (e) => assert.fail(e.message), (e) => e.name === "CancelledError");
  runner.request(1);
  await new Promise((r) => setTimeout(r, 10));
  runner.request(1); // aborts the first
  runner.request(1); // replaces the second before it starts
  await runner.idle();
  assert.deepEqual(ran, [2]);
  assert.deepEqual(runner.counts, { started: 2, finished: 1, aborted: 1 });
  runner.request(1);
  runner.cancel();
  await runner.idle();
  assert.equal(runner.busy(), false);
  assert.deepEqual(ran, [2]);
});
