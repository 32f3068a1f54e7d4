// Stateful character generation: prime once with the seed text, then one LSTM step per
// new character. Steps run in chunks on the backend: the sampled id tensor feeds the
// next step directly, and each chunk is read back once (ids plus the top candidates
// for the next step). Between chunks we yield to the event loop, and the chunk size
// adapts so that no chunk keeps the main thread busy for long. A SamplingConstraint (a
// grammar, say) masks characters before each draw; then every id is read back before the
// next step, since the next mask depends on it. No DOM here.
import * as tf from "@tensorflow/tfjs";
import type { EngineState, StepEngine } from "./engine";
import { checkSampling, engineTemperature, GumbelNoise, isGreedy, markExcluded, MASKED, sampleId, type Candidate, type SamplingOptions } from "./sampling";
import { randomSeed } from "../random";
import type { Vocabulary } from "./vocab";

/**
 * A rule over what may be written next, asked before every step (the music studio's bar-aware
 * ABC grammar). The draw is restricted to the allowed characters (renormalised, then top-k / top-p
 * on what is left), and the written id is handed back before the next step.
 */
export interface SamplingConstraint {
  /** Per vocabulary id, 1 when that character may come next; null: no restriction this step. */
  allowed(): Uint8Array | null;
  /** The character just written; false ends the text there (it is complete). */
  accept(id: number): boolean;
}

export interface GenerateOptions extends SamplingOptions {
  /** Characters to write. */
  length: number;
  /** Seed of the random generator (same seed, same text). Random when left out. */
  seed?: number;
  signal?: AbortSignal;
  /** Called after each chunk with the new characters. */
  onChunk?: (chunk: GeneratedChunk) => void;
  /** How many next-character candidates to read back with each chunk (0: none). */
  candidates?: number;
  /** Synchronous work allowed per chunk, in ms (default 12). */
  chunkBudgetMs?: number;
  /** Time between screen updates to aim for, in ms (default 120). */
  latencyMs?: number;
  /** Largest chunk (default 256). */
  maxChunk?: number;
  /** A fixed chunk size instead of the adaptive one (benchmarks: 1 reads back every character). */
  chunk?: number;
  /** Masks characters before each draw and may end the text early (see SamplingConstraint). */
  constraint?: SamplingConstraint;
}

export interface GeneratedChunk {
  text: string;
  ids: number[];
  written: number;
  total: number;
  candidates: Candidate[] | null;
  /** Steps in this chunk and the time the main thread spent issuing them. */
  steps: number;
  syncMs: number;
}

export interface GenerateResult {
  text: string;
  stopped: boolean;
  ms: number;
  msPerChar: number;
  chunks: number;
  longestSyncMs: number;
  seed: number;
}

export interface PrimeResult {
  /** The seed text as the model read it (normalised, unknown characters removed). */
  kept: string;
  unknown: string[];
  /** True when nothing usable was left and the model was primed with a new line. */
  fallback: boolean;
}

/** An additive mask [1, V]: 0 where allowed, a large negative number elsewhere. */
function maskRow(allowed: Uint8Array): tf.Tensor2D {
  const row = new Float32Array(allowed.length);
  for (let i = 0; i < row.length; i++) if (!allowed[i]) row[i] = MASKED;
  return tf.tensor2d(row, [1, row.length]);
}

/** Resolves on the next turn of the event loop (a macrotask without setTimeout's clamping). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * A running estimate of a cost that follows drops at once and rises slowly, so that one
 * descheduled chunk (a busy machine, a GC pause) does not collapse the chunk size.
 */
class CostEstimate {
  private estimate = 0;

  add(sample: number): void {
    if (this.estimate === 0 || sample < this.estimate) this.estimate = this.estimate === 0 ? sample : (this.estimate + sample) / 2;
    else this.estimate += 0.25 * (Math.min(sample, 4 * this.estimate) - this.estimate);
  }

  get value(): number {
    return Math.max(this.estimate, 0.001);
  }
}

export class CharGenerator {
  private state: EngineState | null = null;
  private busy = false;
  private disposed = false;

  constructor(
    readonly engine: StepEngine,
    readonly vocab: Vocabulary,
  ) {
    if (engine.vocabSize !== vocab.size) {
      throw new Error(`vocab.json has ${vocab.size} characters but the model has ${engine.vocabSize}`);
    }
  }

  get primed(): boolean {
    return this.state !== null;
  }

  private setState(next: EngineState): void {
    if (this.state) this.engine.disposeState(this.state);
    this.state = next;
  }

  private guard(): void {
    if (this.disposed) throw new Error("this generator was disposed");
    if (this.busy) throw new Error("this generator is already writing");
  }

  /** Resets the state and feeds the seed text one character at a time. */
  async prime(text: string, signal?: AbortSignal): Promise<PrimeResult> {
    this.guard();
    const { ids, unknown, kept } = this.vocab.encode(text);
    const fallback = ids.length === 0;
    const feed = fallback ? [this.vocab.fallbackId] : ids;
    this.busy = true;
    try {
      this.setState(this.engine.initialState());
      const all = tf.tensor1d(feed, "int32");
      try {
        for (let start = 0; start < feed.length; start += 64) {
          for (let i = start; i < Math.min(start + 64, feed.length); i++) {
            const next = tf.tidy(() => this.engine.feed(this.state as EngineState, tf.slice(all, [i], [1])));
            this.setState(next);
          }
          if (start + 64 < feed.length) {
            await nextTask();
            if (signal?.aborted) break;
          }
        }
      } finally {
        all.dispose();
      }
    } finally {
      this.busy = false;
    }
    return { kept, unknown, fallback };
  }

  /** The model's next-character distribution (softmax at `temperature`) for the current state. */
  async distribution(temperature = 1): Promise<Float32Array> {
    if (!this.state) throw new Error("prime the generator first");
    const probs = tf.tidy(() => tf.softmax(this.engine.logits(this.state as EngineState, temperature)));
    try {
      return (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
  }

  /** The k most likely next characters, with which the filters would leave out. */
  async candidates(k: number, options: SamplingOptions): Promise<Candidate[]> {
    if (!this.state) throw new Error("prime the generator first");
    const packed = tf.tidy(() => this.packCandidates(k, options));
    try {
      return this.unpackCandidates(await packed.data(), 0, k, options);
    } finally {
      packed.dispose();
    }
  }

  private packCandidates(k: number, options: SamplingOptions): tf.Tensor1D {
    const probs = tf.softmax(this.engine.logits(this.state as EngineState, engineTemperature(options)));
    const top = tf.topk(probs, Math.min(k, this.vocab.size), true);
    return tf.concat([tf.reshape(top.values, [-1]), tf.reshape(tf.cast(top.indices, "float32"), [-1])]);
  }

  private unpackCandidates(data: ArrayLike<number>, offset: number, k: number, options: SamplingOptions): Candidate[] {
    const n = Math.min(k, this.vocab.size);
    const probabilities = Array.from({ length: n }, (_, i) => data[offset + i]);
    const excluded = markExcluded(probabilities, options);
    return probabilities.map((probability, i) => {
      const id = Math.round(data[offset + n + i]);
      return { id, char: this.vocab.chars[id], probability, excluded: excluded[i] };
    });
  }

  /** Writes `length` characters after the current state (prime first). */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    this.guard();
    if (!this.state) throw new Error("prime the generator first");
    const sampling = checkSampling(options);
    const total = Math.max(0, Math.floor(options.length));
    const seed = options.seed ?? randomSeed();
    const noise = isGreedy(sampling) ? null : new GumbelNoise(seed, this.vocab.size);
    const temperature = engineTemperature(sampling);
    const k = Math.max(0, Math.floor(options.candidates ?? 0));
    const budget = options.chunkBudgetMs ?? 12;
    const latency = options.latencyMs ?? 120;
    const maxChunk = Math.max(1, options.maxChunk ?? 256);
    let chunk = options.chunk ?? 4;
    const syncPerStep = new CostEstimate();
    const totalPerStep = new CostEstimate();
    let written = 0;
    let text = "";
    let chunks = 0;
    let longestSyncMs = 0;
    let stopped = false;
    let ended = false;
    const constraint = options.constraint;
    const started = performance.now();
    this.busy = true;
    try {
      while (written < total) {
        if (options.signal?.aborted) {
          stopped = true;
          break;
        }
        let steps = Math.min(chunk, total - written);
        const t0 = performance.now();
        const block = noise ? noise.block(steps) : null;
        const ids: tf.Tensor1D[] = [];
        let packed: tf.Tensor1D;
        try {
          for (let i = 0; i < steps; i++) {
            const allowed = constraint?.allowed() ?? null;
            const step = tf.tidy(() => {
              let logits = this.engine.logits(this.state as EngineState, temperature);
              if (allowed) logits = tf.add(logits, maskRow(allowed)) as tf.Tensor2D;
              const id = sampleId(logits, sampling, block, i);
              return { id, state: this.engine.feed(this.state as EngineState, id) };
            });
            ids.push(step.id);
            this.setState(step.state);
            if (constraint && !constraint.accept(step.id.dataSync()[0])) {
              steps = i + 1;
              ended = true;
            }
          }
          packed = tf.tidy(() => {
            const parts: tf.Tensor1D[] = [tf.cast(tf.concat(ids), "float32") as tf.Tensor1D];
            if (k > 0) parts.push(this.packCandidates(k, sampling));
            return tf.concat(parts);
          });
        } finally {
          tf.dispose(ids);
          block?.dispose();
        }
        const syncMs = performance.now() - t0;
        let data: Float32Array;
        try {
          data = (await packed.data()) as Float32Array;
        } finally {
          packed.dispose();
        }
        const chunkMs = performance.now() - t0;
        const newIds = Array.from(data.subarray(0, steps), Math.round);
        const piece = this.vocab.decode(newIds);
        text += piece;
        written += steps;
        chunks += 1;
        longestSyncMs = Math.max(longestSyncMs, syncMs);
        options.onChunk?.({
          text: piece,
          ids: newIds,
          written,
          total,
          candidates: k > 0 ? this.unpackCandidates(data, steps, k, sampling) : null,
          steps,
          syncMs,
        });
        if (options.chunk === undefined) {
          syncPerStep.add(syncMs / steps);
          totalPerStep.add(chunkMs / steps);
          // Grow (at most doubling) while both the busy time and the time between updates stay in budget.
          const fit = Math.min(budget / syncPerStep.value, latency / totalPerStep.value, steps * 2);
          chunk = Math.max(1, Math.min(maxChunk, Math.floor(fit)));
        }
        if (ended) break;
        if (written < total) await nextTask();
      }
    } finally {
      this.busy = false;
    }
    const ms = performance.now() - started;
    return { text, stopped, ms, msPerChar: written ? ms / written : 0, chunks, longestSyncMs, seed };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.state) this.engine.disposeState(this.state);
    this.state = null;
  }
}
