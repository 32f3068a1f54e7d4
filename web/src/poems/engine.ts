// One LSTM step per character on the tfjs backend. Two engines over the same
// exported weights:
//  - FusedLstmEngine: the cell written with raw tfjs ops (one fused matMul per layer,
//    embedding and input kernel folded into one table), state held as tensors we own,
//    so several generators can share one set of weights. The default: fewest ops per step.
//  - LayersStepEngine: the stateful tfjs layers model exactly as exported (model.predict
//    on a [1,1] id, state kept inside the LSTM layers). Used for parity checks and as the
//    fallback for architectures the fused engine does not recognise.
// No DOM here.
import * as tf from "@tensorflow/tfjs";
import { hasKernel, LSTM_CELL, runKernel } from "./kernels";

/** Opaque per-generation state: the tensors an engine needs to continue. */
export type EngineState = tf.Tensor[];

export interface StepEngine {
  readonly kind: "fused" | "layers";
  readonly vocabSize: number;
  /** The state before any character. */
  initialState(): EngineState;
  /** Feeds one character id (an int32 tensor of shape [1]); returns the new state. Does not dispose `state`. */
  feed(state: EngineState, id: tf.Tensor1D): EngineState;
  /** Logits of the next character divided by `temperature`, shape [1, V]. */
  logits(state: EngineState, temperature: number): tf.Tensor2D;
  disposeState(state: EngineState): void;
  dispose(): void;
}

export interface Architecture {
  vocabSize: number;
  embedDim: number;
  units: number[];
}

interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): tf.Tensor[];
}

/** Reads Embedding -> LSTM x n -> Dense from a layers model, or explains why it cannot. */
export function readArchitecture(model: tf.LayersModel): { arch: Architecture; embed: LayerLike; lstms: LayerLike[]; dense: LayerLike } {
  const layers = (model.layers as unknown as LayerLike[]).filter((l) => l.getClassName() !== "InputLayer");
  const kinds = layers.map((l) => l.getClassName());
  const shape = kinds.join(" → ");
  if (kinds.length < 3 || kinds[0] !== "Embedding" || kinds[kinds.length - 1] !== "Dense" || !kinds.slice(1, -1).every((k) => k === "LSTM")) {
    throw new Error(`not a character LSTM (Embedding → LSTM… → Dense): ${shape}`);
  }
  const embed = layers[0];
  const dense = layers[layers.length - 1];
  const lstms = layers.slice(1, -1);
  for (const lstm of lstms) {
    const c = lstm.getConfig();
    const recurrentActivation = c.recurrentActivation ?? c.recurrent_activation;
    if (c.activation !== "tanh" || recurrentActivation !== "sigmoid" || c.use_bias === false || c.useBias === false) {
      throw new Error(`${lstm.name}: only LSTMs with tanh/sigmoid activations and biases are supported`);
    }
  }
  const dc = dense.getConfig();
  if (dc.activation !== "linear" || dc.use_bias === false || dc.useBias === false) throw new Error(`${dense.name}: the output layer must be linear logits with a bias`);
  const [embeddings] = embed.getWeights();
  const vocabSize = embeddings.shape[0] as number;
  const units = lstms.map((l) => l.getWeights()[1].shape[0] as number);
  const denseKernel = dense.getWeights()[0];
  if (denseKernel.shape[1] !== vocabSize) throw new Error(`the model reads ${vocabSize} characters but writes ${denseKernel.shape[1]}`);
  return { arch: { vocabSize, embedDim: embeddings.shape[1] as number, units }, embed, lstms, dense };
}

type LstmWeights = {
  units: number;
  /** Layer 1: recurrent kernel R [U, 4U]. Upper layers: [kernel; recurrent] [Uprev + U, 4U]. */
  kernel: tf.Tensor2D;
  /** Layer 1: embedding · kernel + bias, one row per character [V, 4U]; else null. */
  table: tf.Tensor2D | null;
  /** Upper layers: bias [4U]; layer 1 has it folded into the table. */
  bias: tf.Tensor1D | null;
};

/**
 * The LSTM cell with raw ops. Keras gate order (i, f, c, o); per layer and step:
 * z = h·R + (x·K + b); i, f, o = σ(z); g = tanh(z); c' = f·c + i·g; h' = o·tanh(c').
 * State layout: [h1, c1, h2, c2, …].
 */
export class FusedLstmEngine implements StepEngine {
  readonly kind = "fused";
  readonly vocabSize: number;
  readonly arch: Architecture;
  private readonly layers: LstmWeights[];
  private readonly headKernel: tf.Tensor2D;
  private readonly headBias: tf.Tensor1D;
  private scaledHead: { temperature: number; kernel: tf.Tensor2D; bias: tf.Tensor1D } | null = null;
  private disposed = false;

  constructor(model: tf.LayersModel) {
    const { arch, embed, lstms, dense } = readArchitecture(model);
    this.arch = arch;
    this.vocabSize = arch.vocabSize;
    const [embeddings] = embed.getWeights() as [tf.Tensor2D];
    this.layers = lstms.map((layer, i): LstmWeights => {
      const [kernel, recurrent, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      if (i === 0) {
        const table = tf.tidy(() => tf.add(tf.matMul(embeddings, kernel), bias) as tf.Tensor2D);
        return { units: arch.units[i], kernel: tf.clone(recurrent), table, bias: null };
      }
      // Upper layers: [h_below, h] · [K; R] + b in one matMul.
      return { units: arch.units[i], kernel: tf.concat([kernel, recurrent], 0), table: null, bias: tf.clone(bias) };
    });
    const [kernel, bias] = dense.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    this.headKernel = tf.clone(kernel);
    this.headBias = tf.clone(bias);
  }

  initialState(): EngineState {
    const state: tf.Tensor[] = [];
    for (const layer of this.layers) state.push(tf.zeros([1, layer.units]), tf.zeros([1, layer.units]));
    return state;
  }

  feed(state: EngineState, id: tf.Tensor1D): EngineState {
    const wasm = tf.getBackend() === "wasm";
    const cellKernel = hasKernel(LSTM_CELL);
    return tf.tidy(() => {
      const next: tf.Tensor[] = [];
      let below: tf.Tensor2D | null = null;
      this.layers.forEach((layer, l) => {
        const U = layer.units;
        const h = state[2 * l] as tf.Tensor2D;
        const c = state[2 * l + 1] as tf.Tensor2D;
        let h2: tf.Tensor2D;
        let c2: tf.Tensor2D;
        if (cellKernel) {
          // wasm / cpu: one matMul plus our cell kernel (which also adds the layer-1 table row).
          const [hk, ck] =
            layer.table !== null
              ? (runKernel(LSTM_CELL, { z: tf.matMul(h, layer.kernel), c, table: layer.table, id }, { units: U }) as tf.Tensor2D[])
              : (runKernel(LSTM_CELL, { z: this.upperInput(layer, below as unknown as tf.Tensor2D, h), c }, { units: U }) as tf.Tensor2D[]);
          h2 = hk;
          c2 = ck;
        } else {
          let z: tf.Tensor2D;
          if (layer.table !== null) {
            const row = tf.gather(layer.table, id) as tf.Tensor2D; // [1, 4U]
            // wasm's fused matMul only takes a bias whose buffer is rank-1 (its gather makes a 4-D
            // one): there, add the row separately.
            z = wasm ? (tf.add(tf.matMul(h, layer.kernel), row) as tf.Tensor2D) : (tf.fused.matMul({ a: h, b: layer.kernel, bias: row }) as tf.Tensor2D);
          } else {
            z = this.upperInput(layer, below as unknown as tf.Tensor2D, h);
          }
          const gates = tf.sigmoid(z);
          const candidate = tf.tanh(tf.slice(z, [0, 2 * U], [1, U]));
          const inGate = tf.slice(gates, [0, 0], [1, U]);
          const forget = tf.slice(gates, [0, U], [1, U]);
          const outGate = tf.slice(gates, [0, 3 * U], [1, U]);
          c2 = tf.add(tf.mul(forget, c), tf.mul(inGate, candidate)) as tf.Tensor2D;
          h2 = tf.mul(outGate, tf.tanh(c2)) as tf.Tensor2D;
        }
        next.push(h2, c2);
        below = h2;
      });
      return next;
    });
  }

  /** Upper layers: [h_below, h] · [K; R] + b. */
  private upperInput(layer: LstmWeights, below: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: tf.concat([below, h], 1), b: layer.kernel, bias: layer.bias as tf.Tensor1D }) as tf.Tensor2D;
  }

  logits(state: EngineState, temperature: number): tf.Tensor2D {
    const top = state[state.length - 2] as tf.Tensor2D;
    if (temperature === 1) return tf.fused.matMul({ a: top, b: this.headKernel, bias: this.headBias }) as tf.Tensor2D;
    // Dividing the head by T once per temperature keeps the division out of every step.
    if (this.scaledHead?.temperature !== temperature) {
      this.scaledHead?.kernel.dispose();
      this.scaledHead?.bias.dispose();
      const scale = 1 / temperature;
      this.scaledHead = tf.tidy(() => ({ temperature, kernel: tf.mul(this.headKernel, scale) as tf.Tensor2D, bias: tf.mul(this.headBias, scale) as tf.Tensor1D }));
      tf.keep(this.scaledHead.kernel);
      tf.keep(this.scaledHead.bias);
    }
    return tf.fused.matMul({ a: top, b: this.scaledHead.kernel, bias: this.scaledHead.bias }) as tf.Tensor2D;
  }

  disposeState(state: EngineState): void {
    tf.dispose(state);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const layer of this.layers) tf.dispose([layer.kernel, ...(layer.table ? [layer.table] : []), ...(layer.bias ? [layer.bias] : [])]);
    tf.dispose([this.headKernel, this.headBias]);
    if (this.scaledHead) tf.dispose([this.scaledHead.kernel, this.scaledHead.bias]);
    this.scaledHead = null;
  }
}

/**
 * The exported stateful layers model driven as is. Its LSTM state lives inside the
 * model, so only one generation at a time may use it: `initialState()` resets it.
 * The state we hand out is the last logits [1, V].
 */
export class LayersStepEngine implements StepEngine {
  readonly kind = "layers";
  readonly vocabSize: number;

  constructor(private readonly model: tf.LayersModel) {
    const out = model.outputs[0].shape;
    this.vocabSize = out[out.length - 1] as number;
  }

  initialState(): EngineState {
    this.model.resetStates();
    return [];
  }

  feed(_state: EngineState, id: tf.Tensor1D): EngineState {
    return [tf.tidy(() => this.model.predict(tf.reshape(id, [1, 1])) as tf.Tensor2D)];
  }

  logits(state: EngineState, temperature: number): tf.Tensor2D {
    if (state.length === 0) throw new Error("feed at least one character before asking for logits");
    const logits = state[0] as tf.Tensor2D;
    return temperature === 1 ? tf.clone(logits) : (tf.mul(logits, 1 / temperature) as tf.Tensor2D);
  }

  disposeState(state: EngineState): void {
    tf.dispose(state);
  }

  dispose(): void {
    // The model belongs to the Poet that made this engine.
  }
}
