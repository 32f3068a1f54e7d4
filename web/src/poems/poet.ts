// A poet: one exported character model (final or a snapshot) with its alphabet.
// Loading goes through models.ts (byte progress, sha256 checks); the card's extras
// say where the alphabet, the corpus lines and the parity reference are.
import * as tf from "@tensorflow/tfjs";
import { fetchModelJson, initialized, loadLayersModel, modelsFor, type ModelCard, type ProgressListener, type Studio, type StudioModel } from "../models";
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

/** The studios whose models are character LSTMs in this export format (the poems trainer writes both). */
export const CHAR_STUDIOS: readonly Studio[] = ["poems", "music"];

/** Is this card a character model a character studio can write with? */
export function isCharModel(card: ModelCard): boolean {
  return CHAR_STUDIOS.includes(card.studio) && card.format === "layers" && poemsExtras(card) !== null;
}

/** A studio's character models in the catalogue. */
export async function charModels(studio: Studio): Promise<ModelCard[]> {
  return (await modelsFor(studio)).filter(isCharModel);
}

/** Loads a studio's character model by name (or a snapshot entry of it) from the catalogue. */
export async function loadPoet(studio: Studio, name: string, entry?: string): Promise<Poet> {
  const card = (await modelsFor(studio)).find((c) => c.name === name);
  if (!card) throw new Error(`no ${studio} model named ${name}`);
  return initialized(new Poet(card, entry ?? card.entry));
}

/** Why the studio cannot write with a card that is not a character model. */
export function notCharModel(card: ModelCard): string {
  return `${card.title}: the model card names no vocabulary (extras.vocab), so this is not a character model`;
}

export function valBitsPerChar(card: ModelCard): number | null {
  const v = card.metrics.val_bits_per_char;
  return typeof v === "number" ? v : null;
}

const vocabularies = new WeakMap<ModelCard, Promise<Vocabulary>>();

export function loadVocabulary(card: ModelCard): Promise<Vocabulary> {
  const extras = poemsExtras(card);
  if (!extras) return Promise.reject(new Error(notCharModel(card)));
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

/** The files of a poems card loaded and checked, but they do not make a poet (no vocabulary, wrong sizes). */
export class PoetCheckError extends Error {}

/**
 * `new Poet(card, entry?)` (the final model or a snapshot), `await poet.initialize(onProgress)`
 * (the alphabet and the network, checked against each other), `poet.dispose()`.
 */
export class Poet implements StudioModel {
  private loaded: { model: tf.LayersModel; vocab: Vocabulary; arch: Architecture } | null = null;
  private engines = new Map<EngineKind, StepEngine>();
  private disposed = false;

  constructor(
    readonly card: ModelCard,
    readonly entry = card.entry,
  ) {
    if (!isCharModel(card)) throw new PoetCheckError(notCharModel(card));
  }

  async initialize(onProgress?: ProgressListener): Promise<void> {
    if (this.loaded) return;
    if (this.disposed) throw new Error("this poet was disposed");
    const vocabulary = loadVocabulary(this.card);
    vocabulary.catch(() => undefined); // awaited below, once the network has loaded
    const model = await loadLayersModel(this.card, this.entry, onProgress);
    try {
      const vocab = await vocabulary;
      const { arch } = readArchitecture(model);
      if (arch.vocabSize !== vocab.size) throw new Error(`vocab.json has ${vocab.size} characters but the model reads ${arch.vocabSize}`);
      this.loaded = { model, vocab, arch };
    } catch (error) {
      model.dispose();
      const message = (error as Error).message;
      throw new PoetCheckError(message.startsWith(this.card.title) ? message : `${this.card.title}: ${message}`);
    }
  }

  private get ready(): { model: tf.LayersModel; vocab: Vocabulary; arch: Architecture } {
    if (this.disposed) throw new Error("this poet was disposed");
    if (!this.loaded) throw new Error("Poet.initialize() has not finished");
    return this.loaded;
  }

  get model(): tf.LayersModel {
    return this.ready.model;
  }

  get vocab(): Vocabulary {
    return this.ready.vocab;
  }

  get arch(): Architecture {
    return this.ready.arch;
  }

  get parameters(): number {
    return this.model.countParams();
  }

  engine(kind: EngineKind = "fused"): StepEngine {
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
    const model = this.loaded?.model;
    this.loaded = null;
    if (!model) return;
    // A stateful RNN layer keeps its state tensors outside its weights: model.dispose() leaves them.
    for (const layer of model.layers as unknown as { stateful?: boolean; states_?: tf.Tensor[] | null }[]) {
      if (layer.stateful && layer.states_) {
        tf.dispose(layer.states_);
        layer.states_ = null;
      }
    }
    model.dispose();
  }
}

/**
 * The snapshots of one model loaded once each ("watch it learn"), disposed together. `load` is
 * bound, so it can be handed over as a function.
 */
export class SnapshotCache {
  private readonly loaded = new Map<string, Promise<Poet>>();

  readonly load = (poet: Poet, snapshot: Snapshot, onProgress: ProgressListener): Promise<Poet> => {
    let promise = this.loaded.get(snapshot.entry);
    if (!promise) {
      promise = initialized(new Poet(poet.card, snapshot.entry), onProgress);
      promise.catch(() => this.loaded.delete(snapshot.entry));
      this.loaded.set(snapshot.entry, promise);
    }
    return promise;
  };

  dispose(): void {
    for (const p of this.loaded.values()) p.then((s) => s.dispose(), () => undefined);
    this.loaded.clear();
  }
}
