// The naive way, for the benchmark only: a non-stateful copy of the same network
// re-reads the last `window` characters for every new one (as tfjs-examples'
// lstm-text-generation does), reads the probabilities back and samples in JS.
// Cost per character grows with the window; the stateful generator's does not.
import * as tf from "@tensorflow/tfjs";
import { readArchitecture } from "./engine";
import { seededUniform as seededRandom } from "../random";
import type { Vocabulary } from "./vocab";

export class WindowGenerator {
  readonly model: tf.Sequential;

  constructor(
    source: tf.LayersModel,
    readonly vocab: Vocabulary,
    readonly window = 40,
  ) {
    const { arch } = readArchitecture(source);
    this.model = tf.sequential();
    this.model.add(tf.layers.embedding({ inputDim: arch.vocabSize, outputDim: arch.embedDim, inputShape: [null] as unknown as number[], embeddingsInitializer: "zeros" }));
    arch.units.forEach((units, i) => {
      this.model.add(
        tf.layers.lstm({ units, returnSequences: i < arch.units.length - 1, recurrentActivation: "sigmoid", kernelInitializer: "zeros", recurrentInitializer: "zeros" }),
      );
    });
    this.model.add(tf.layers.dense({ units: arch.vocabSize, kernelInitializer: "zeros" }));
    // Same layer order, so the weight lists line up one to one.
    this.model.setWeights(source.getWeights());
  }

  /** Next-character probabilities after reading `ids` (the whole list) from a zero state. */
  async distribution(ids: number[], temperature = 1): Promise<Float32Array> {
    const probs = tf.tidy(() => tf.softmax(tf.div(this.model.predict(tf.tensor2d([ids], [1, ids.length], "int32")) as tf.Tensor2D, temperature)));
    try {
      return (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
  }

  /** Writes `length` characters: one full window pass, one read-back and one JS sample per character. */
  generate(seedText: string, length: number, temperature: number, seed = 1): { text: string; ms: number; msPerChar: number } {
    const random = seededRandom(seed);
    const { ids } = this.vocab.encode(seedText);
    const history = ids.length ? ids.slice() : [this.vocab.fallbackId];
    let text = "";
    const started = performance.now();
    for (let n = 0; n < length; n++) {
      const recent = history.slice(-this.window);
      const probs = tf.tidy(() => {
        const logits = this.model.predict(tf.tensor2d([recent], [1, recent.length], "int32")) as tf.Tensor2D;
        return tf.softmax(tf.div(logits, temperature)).dataSync();
      });
      let u = random();
      let next = probs.length - 1;
      for (let i = 0; i < probs.length; i++) {
        u -= probs[i];
        if (u <= 0) {
          next = i;
          break;
        }
      }
      history.push(next);
      text += this.vocab.chars[next];
    }
    const ms = performance.now() - started;
    return { text, ms, msPerChar: ms / Math.max(length, 1) };
  }

  dispose(): void {
    this.model.dispose();
  }
}
