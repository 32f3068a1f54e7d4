// Two small custom kernels for the CPU-side backends (wasm, cpu), where every tfjs op
// costs more in bookkeeping than an LSTM's elementwise work does in arithmetic:
//  - MuzaLstmCell: gates, cell and hidden state of one LSTM step in one kernel
//    (optionally adding the layer-1 input row table[id] first): 11 ops become 1.
//  - MuzaNoisyArgMax: argmax(logits + noise[row]): the Gumbel-max draw, 3 ops become 1.
// Both read and write the backend's own memory (the wasm heap, the cpu backend's arrays):
// no read-back to JS values, no upload. WebGL keeps the plain op sequence.
import * as tf from "@tensorflow/tfjs";

export const LSTM_CELL = "MuzaLstmCell";
export const NOISY_ARGMAX = "MuzaNoisyArgMax";

type Info = tf.TensorInfo;
type Access = {
  read(backend: unknown, t: Info): tf.TypedArray;
  output(backend: unknown, shape: number[], dtype: "float32" | "int32"): { info: Info; values: tf.TypedArray };
};

const wasm: Access = {
  read: (backend, t) => (backend as { typedArrayFromHeap(t: Info): tf.TypedArray }).typedArrayFromHeap(t),
  output(backend, shape, dtype) {
    const b = backend as { makeOutput(s: number[], d: string): Info; typedArrayFromHeap(t: Info): tf.TypedArray };
    const info = b.makeOutput(shape, dtype);
    return { info, values: b.typedArrayFromHeap(info) };
  },
};

const cpu: Access = {
  read: (backend, t) => (backend as { data: { get(id: unknown): { values: tf.TypedArray } } }).data.get(t.dataId).values,
  output(backend, shape, dtype) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = dtype === "int32" ? new Int32Array(size) : new Float32Array(size);
    const info = (backend as { makeTensorInfo(s: number[], d: string, v: tf.TypedArray): Info }).makeTensorInfo(shape, dtype, values);
    return { info, values };
  },
};

function lstmCell(access: Access): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { z, c, table, id } = inputs as { z: Info; c: Info; table?: Info; id?: Info };
    const U = (attrs as unknown as { units: number }).units;
    // Outputs first: on wasm, allocating may grow (and so move) the heap under older views.
    const h2 = access.output(backend, [1, U], "float32");
    const c2 = access.output(backend, [1, U], "float32");
    const hv = access.read(backend, h2.info);
    const cv2 = access.read(backend, c2.info);
    const zv = access.read(backend, z);
    const cv = access.read(backend, c);
    let row: tf.TypedArray | null = null;
    let offset = 0;
    if (table && id) {
      row = access.read(backend, table);
      offset = access.read(backend, id)[0] * 4 * U;
    }
    for (let j = 0; j < U; j++) {
      let zi = zv[j];
      let zf = zv[U + j];
      let zg = zv[2 * U + j];
      let zo = zv[3 * U + j];
      if (row) {
        zi += row[offset + j];
        zf += row[offset + U + j];
        zg += row[offset + 2 * U + j];
        zo += row[offset + 3 * U + j];
      }
      const i = 1 / (1 + Math.exp(-zi));
      const f = 1 / (1 + Math.exp(-zf));
      const o = 1 / (1 + Math.exp(-zo));
      const cell = f * cv[j] + i * Math.tanh(zg);
      cv2[j] = cell;
      hv[j] = o * Math.tanh(cell);
    }
    return [h2.info, c2.info];
  };
}

function noisyArgMax(access: Access): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { logits, noise } = inputs as { logits: Info; noise: Info };
    const V = logits.shape[1] as number;
    const out = access.output(backend, [1], "int32");
    const values = access.read(backend, out.info);
    const lv = access.read(backend, logits);
    const nv = access.read(backend, noise);
    const base = (attrs as unknown as { row: number }).row * V;
    let best = 0;
    let bestValue = -Infinity;
    for (let j = 0; j < V; j++) {
      const v = lv[j] + nv[base + j];
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    values[0] = best;
    return out.info;
  };
}

for (const [backendName, access] of [["wasm", wasm], ["cpu", cpu]] as const) {
  tf.registerKernel({ kernelName: LSTM_CELL, backendName, kernelFunc: lstmCell(access) });
  tf.registerKernel({ kernelName: NOISY_ARGMAX, backendName, kernelFunc: noisyArgMax(access) });
}

/** Whether the active backend has our kernels (and they are switched on). */
export function hasKernel(name: string): boolean {
  return kernelsEnabled && tf.getKernel(name, tf.getBackend()) !== undefined;
}

let kernelsEnabled = true;

/** For benchmarks and tests: compare with the plain op sequence. */
export function useCustomKernels(on: boolean): void {
  kernelsEnabled = on;
}

export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number>): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
}
