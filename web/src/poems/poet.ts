// A poet: one exported character model (final or a snapshot) with its alphabet.
// Loading goes through models.ts (byte progress, sha256 checks); the card's extras
// say where the alphabet, the corpus lines and the parity reference are.
import * as tf from "@tensorflow/tfjs";
import { fetchModelJson, loadLayersModel, type ModelCard, type ProgressListener } from "../models";
import { FusedLstmEngine, LayersStepEngine, readArchitecture, type Architecture, type StepEngine } from "./engine";
import { CharGenerator } from "./generator";
import { WindowGenerator } from "./naive";
import { Vocabulary, type VocabJson } from "./vocab";

export interface Snapshot {
  epoch: number;
  entry: string;
  val_bits_per_char?: number;
}

export interface PoemsExtras {
  vocab: string;
  real_lines?: string;
  reference?: string;
  corpus?: string;
  default_seed?: string;
  snapshots?: Snapshot[];
  stateful?: boolean;
}

export interface ParityReference {
  primer: string;
  primer_ids?: number[];
  dtype: "float32" | "float16" | string;
  probs_float32: number[];
  probs_exported: number[];
  greedy_continuation?: string;
}

export type EngineKind = "fused" | "layers";

export function poemsExtras(card: ModelCard): PoemsExtras | null {
  const extras = card.extras as Partial<PoemsExtras> | undefined;
  return extras && typeof extras.vocab === "string" ? (extras as PoemsExtras) : null;
}

/** Is this card a character model the studio can write with? */
export function isCharModel(card: ModelCard): boolean {
  return card.studio === "poems" && card.format === "layers" && poemsExtras(card) !== null;
}

export function valBitsPerChar(card: ModelCard): number | null {
  const v = card.metrics.val_bits_per_char;
  return typeof v === "number" ? v : null;
}

const vocabularies = new WeakMap<ModelCard, Promise<Vocabulary>>();

export function loadVocabulary(card: ModelCard): Promise<Vocabulary> {
  const extras = poemsExtras(card);
  if (!extras) return Promise.reject(new Error(`${card.title}: the model card names no vocabulary (extras.vocab), so this is not a character model`));
  let promise = vocabularies.get(card);
  if (!promise) {
    promise = fetchModelJson<VocabJson>(card, extras.vocab).then((json) => new Vocabulary(json));
    promise.catch(() => vocabularies.delete(card));
    vocabularies.set(card, promise);
  }
  return promise;
}

export async function loadRealLines(card: ModelCard): Promise<string[]> {
  const file = poemsExtras(card)?.real_lines;
  if (!file) return [];
  const json = await fetchModelJson<{ lines?: unknown }>(card, file);
  return Array.isArray(json.lines) ? json.lines.filter((l): l is string => typeof l === "string" && l.trim().length > 0) : [];
}

export async function loadReference(card: ModelCard): Promise<ParityReference | null> {
  const file = poemsExtras(card)?.reference;
  return file ? fetchModelJson<ParityReference>(card, file) : null;
}

export class Poet {
  readonly arch: Architecture;
  private engines = new Map<EngineKind, StepEngine>();
  private disposed = false;

  private constructor(
    readonly card: ModelCard,
    readonly entry: string,
    readonly model: tf.LayersModel,
    readonly vocab: Vocabulary,
  ) {
    this.arch = readArchitecture(model).arch;
    if (this.arch.vocabSize !== vocab.size) {
      throw new Error(`${card.title}: vocab.json has ${vocab.size} characters but the model reads ${this.arch.vocabSize}`);
    }
  }

  /** Loads `entry` (the final model or a snapshot) of a poems card. */
  static async load(card: ModelCard, entry = card.entry, onProgress?: ProgressListener): Promise<Poet> {
    const vocab = loadVocabulary(card);
    const model = await loadLayersModel(card, entry, onProgress);
    try {
      return Poet.fromModel(card, model, await vocab, entry);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  static fromModel(card: ModelCard, model: tf.LayersModel, vocab: Vocabulary, entry = card.entry): Poet {
    try {
      return new Poet(card, entry, model, vocab);
    } catch (error) {
      const message = (error as Error).message;
      throw new Error(message.startsWith(card.title) ? message : `${card.title}: ${message}`);
    }
  }

  get parameters(): number {
    return this.model.countParams();
  }

  engine(kind: EngineKind = "fused"): StepEngine {
    if (this.disposed) throw new Error("this poet was disposed");
    let engine = this.engines.get(kind);
    if (!engine) {
      engine = kind === "fused" ? new FusedLstmEngine(this.model) : new LayersStepEngine(this.model);
      this.engines.set(kind, engine);
    }
    return engine;
  }

  /** A new generator with its own state (the fused engine lets several share the weights). */
  generator(kind: EngineKind = "fused"): CharGenerator {
    return new CharGenerator(this.engine(kind), this.vocab);
  }

  /** The naive window re-feeding generator over the same weights (benchmarks). Dispose it. */
  windowGenerator(window = 40): WindowGenerator {
    return new WindowGenerator(this.model, this.vocab, window);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const engine of this.engines.values()) engine.dispose();
    this.engines.clear();
    // A stateful RNN layer keeps its state tensors outside its weights: model.dispose() leaves them.
    for (const layer of this.model.layers as unknown as { stateful?: boolean; states_?: tf.Tensor[] | null }[]) {
      if (layer.stateful && layer.states_) {
        tf.dispose(layer.states_);
        layer.states_ = null;
      }
    }
    this.model.dispose();
  }
}
