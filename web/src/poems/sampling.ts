// Sampling the next character on the backend: temperature (folded into the logits by
// the engine), top-k and top-p masks, then the Gumbel-max trick: argmax(logits + g)
// with g = -log(-log(u)) is a draw from softmax(logits). The uniforms u come from a
// seeded JS generator, one [steps, V] block per chunk, so a seed gives the same text on
// every backend and no random-number kernel is needed.
import { seededUniform } from "../random";
import * as tf from "@tensorflow/tfjs";
import { hasKernel, NOISY_ARGMAX, runKernel } from "./kernels";

export interface SamplingOptions {
  /** Softmax temperature; at or below GREEDY_TEMPERATURE the most likely character is taken. */
  temperature: number;
  /** Keep only the k most likely characters (0: off). */
  topK: number;
  /** Keep the smallest set of most likely characters whose probabilities add up to p (1: off). */
  topP: number;
}

export const GREEDY_TEMPERATURE = 0.01;
/** The logit of a character that may not be drawn. */
export const MASKED = -1e9;

export function checkSampling(options: SamplingOptions): SamplingOptions {
  const { temperature, topK, topP } = options;
  if (!Number.isFinite(temperature) || temperature < 0) throw new RangeError(`temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`top-k must be a whole number ≥ 0, got ${topK}`);
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1) throw new RangeError(`top-p must be in (0, 1], got ${topP}`);
  return { temperature, topK, topP };
}

export function isGreedy(options: SamplingOptions): boolean {
  return options.temperature <= GREEDY_TEMPERATURE || options.topK === 1;
}

/** The temperature the engine divides the logits by (1 when greedy: argmax does not care). */
export function engineTemperature(options: SamplingOptions): number {
  return options.temperature <= GREEDY_TEMPERATURE ? 1 : options.temperature;
}

function filtering(options: SamplingOptions, vocabSize: number): { k: number; p: number } | null {
  const k = options.topK > 0 && options.topK < vocabSize ? options.topK : vocabSize;
  const p = options.topP < 1 ? options.topP : 1;
  return k === vocabSize && p === 1 ? null : { k, p };
}

/**
 * Sets the logits outside the top-k / top-p set to a large negative number.
 * `scaled` are logits already divided by the temperature, [1, V].
 */
export function maskLogits(scaled: tf.Tensor2D, options: SamplingOptions): tf.Tensor2D {
  const V = scaled.shape[1];
  const f = filtering(options, V);
  if (f === null) return scaled;
  return tf.tidy(() => {
    const { values } = tf.topk(scaled, f.k, true); // sorted, largest first
    let cutoff: tf.Tensor;
    if (f.p < 1) {
      const probs = tf.softmax(values);
      const before = tf.sub(tf.cumsum(probs, 1), probs); // probability mass above each candidate
      // Keep a candidate while the mass above it is still below p (the first one always).
      cutoff = tf.min(tf.where(tf.less(before, f.p), values, tf.fill(values.shape, -MASKED)), 1, true);
    } else {
      cutoff = tf.slice(values, [0, f.k - 1], [1, 1]);
    }
    return tf.where(tf.greaterEqual(scaled, cutoff), scaled, tf.fill(scaled.shape, MASKED)) as tf.Tensor2D;
  });
}

/**
 * One character id, int32 [1]: argmax(masked logits + Gumbel noise row `row` of `noise`).
 * Greedy (or no noise): argmax of the logits.
 */
export function sampleId(scaled: tf.Tensor2D, options: SamplingOptions, noise: tf.Tensor2D | null, row = 0): tf.Tensor1D {
  return tf.tidy(() => {
    if (isGreedy(options) || noise === null) return tf.argMax(scaled, 1) as tf.Tensor1D;
    const masked = maskLogits(scaled, options);
    if (hasKernel(NOISY_ARGMAX)) return runKernel(NOISY_ARGMAX, { logits: masked, noise }, { row }) as tf.Tensor1D;
    return tf.argMax(tf.add(masked, tf.slice(noise, [row, 0], [1, noise.shape[1]])), 1) as tf.Tensor1D;
  });
}

/** Gumbel noise for `steps` draws over `vocabSize` characters, from a seeded generator. */
export class GumbelNoise {
  private readonly random: () => number;

  constructor(
    readonly seed: number,
    private readonly vocabSize: number,
  ) {
    this.random = seededUniform(seed);
  }

  block(steps: number): tf.Tensor2D {
    const values = new Float32Array(steps * this.vocabSize);
    for (let i = 0; i < values.length; i++) {
      const u = this.random() + 0.5 / 4294967296; // in (0, 1)
      values[i] = -Math.log(-Math.log(u));
    }
    return tf.tensor2d(values, [steps, this.vocabSize]);
  }
}

export interface Candidate {
  id: number;
  char: string;
  /** Probability at the chosen temperature, before top-k / top-p. */
  probability: number;
  /** True when top-k or top-p leaves this character out. */
  excluded: boolean;
}

/** Marks which of the most likely candidates (sorted, largest first) the filters leave out. */
export function markExcluded(sortedProbabilities: number[], options: SamplingOptions): boolean[] {
  let above = 0;
  // With top-k on, top-p works on the renormalised top k (when they are all in the list).
  const k = options.topK;
  const mass = k > 0 && k <= sortedProbabilities.length ? sortedProbabilities.slice(0, k).reduce((a, b) => a + b, 0) : 1;
  return sortedProbabilities.map((p, rank) => {
    let excluded = false;
    if (isGreedy(options)) excluded = rank > 0;
    else {
      if (options.topK > 0 && rank >= options.topK) excluded = true;
      if (options.topP < 1 && above >= options.topP) excluded = true;
    }
    above += p / mass;
    return excluded;
  });
}
