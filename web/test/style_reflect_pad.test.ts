// ReflectPad (the style network's mirror padding) on tfjs' CPU backend: the values of
// TensorFlow's REFLECT mode, the config, and serialisation by the bare class name.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ReflectPad, registerReflectPad } from "../src/style/reflect_pad";

registerReflectPad();

test("ReflectPad mirrors without repeating the edge pixel, and keeps its config", () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const layer = new ReflectPad({ pad: 1, name: "p" });
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 4, 5, 1]);
  // rows [1 2 3], [4 5 6] -> each row reflected to [2 1 2 3 2], then the rows: 2nd, 1st, 2nd, 1st
  assert.deepEqual(Array.from(y.dataSync()), [5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2]);
  assert.equal(new ReflectPad({ pad: 3 }).getConfig().pad, 3);
  assert.deepEqual(layer.computeOutputShape([null, 5, null, 3]), [null, 7, null, 3]);
  assert.throws(() => new ReflectPad({ pad: 2, name: "q" }).apply(x), /cannot mirror 2/);
  assert.throws(() => new ReflectPad({ pad: -1 }), /whole number/);
  tf.dispose([x, y]);
});

test("a model with ReflectPad before a valid convolution survives serialisation by its bare class name", async () => {
  const input = tf.input({ shape: [null, null, 2] as unknown as number[] });
  const padded = new ReflectPad({ pad: 1, name: "pad1" }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "valid", name: "conv1",
    kernelInitializer: tf.initializers.randomNormal({ stddev: 0.5, seed: 1 }) }).apply(padded) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const json = JSON.parse(JSON.stringify(model.toJSON(null, false)));
  assert.ok(JSON.stringify(json).includes('"class_name":"ReflectPad"'));
  const copy = await tf.models.modelFromJSON({ modelTopology: json });
  copy.setWeights(model.getWeights());
  const x = tf.randomNormal([1, 6, 8, 2], 0, 1, "float32", 3);
  const a = model.predict(x) as tf.Tensor;
  const b = copy.predict(x) as tf.Tensor;
  assert.deepEqual(a.shape, [1, 6, 8, 3]); // "same" size, no zeros
  const diff = Math.max(...Array.from(tf.sub(a, b).abs().dataSync()));
  assert.ok(diff < 1e-6);
  tf.dispose([x, a, b]);
  model.dispose();
  copy.dispose();
});
