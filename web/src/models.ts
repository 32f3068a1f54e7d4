// The model catalogue (/api/models), each studio's models, model loading with byte
// progress and sha256 checks, and the lifecycle every studio model class follows.
// Written once here for every studio.
import * as tf from "@tensorflow/tfjs";
import { noteModelFile } from "./offline/register";
import type { StudioId } from "./studios";

export type Studio = StudioId;

export interface FileEntry {
  sha256: string;
  bytes: number;
}

export interface ModelCard {
  name: string;
  studio: Studio;
  title: string;
  description: string;
  format: "layers" | "graph";
  entry: string;
  files: Record<string, FileEntry>;
  parameters?: number;
  weights_dtype?: string;
  training: Record<string, unknown> & { dataset: string; command: string; date: string; epochs?: number; steps?: number };
  metrics: Record<string, unknown>;
  credits?: string;
  extras?: Record<string, unknown>;
  base_url: string;
}

export interface Catalogue {
  models: ModelCard[];
  invalid: { path: string; error: string }[];
}

export class ModelFileError extends Error {}

export type ProgressListener = (loaded: number, total: number) => void;

let cataloguePromise: Promise<Catalogue> | null = null;

export function fetchCatalogue(): Promise<Catalogue> {
  cataloguePromise ??= fetch("/api/models").then(async (response) => {
    if (!response.ok) throw new Error(`Model catalogue unavailable (HTTP ${response.status})`);
    return (await response.json()) as Catalogue;
  });
  return cataloguePromise;
}

export async function modelsFor(studio: Studio): Promise<ModelCard[]> {
  return (await fetchCatalogue()).models.filter((card) => card.studio === studio);
}

/** What a studio shows instead of its models: the catalogue failed, or it lists none. */
export interface CatalogueNotice {
  text: string;
  error: boolean;
}

/** A studio's models from the catalogue, or the notice to show instead (an error, or `noneText`). */
export async function studioModels(studio: Studio, noneText: string): Promise<ModelCard[] | CatalogueNotice> {
  try {
    const cards = await modelsFor(studio);
    return cards.length ? cards : { text: noneText, error: false };
  } catch (error) {
    return { text: (error as Error).message, error: true };
  }
}

/**
 * Every studio's model class has one lifecycle: `new Model(card)` (cheap: reads the card,
 * throws if the card cannot describe such a model), `await model.initialize(onProgress)`
 * (downloads and checks the files, builds the network; calling it again does nothing), and
 * `model.dispose()` (frees every tensor; calling it again does nothing). A studio that is left
 * while a model initialises disposes the model once initialize() has ended.
 */
export interface StudioModel {
  readonly card: ModelCard;
  initialize(onProgress?: ProgressListener): Promise<void>;
  dispose(): void;
}

/** `await model.initialize()`, disposing the model when that fails; returns the model. */
export async function initialized<M extends StudioModel>(model: M, onProgress?: ProgressListener): Promise<M> {
  try {
    await model.initialize(onProgress);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fetches one file of a model, reporting bytes as they arrive, and checks its sha256. */
export async function fetchModelFile(card: ModelCard, file: string, onBytes?: (delta: number) => void): Promise<ArrayBuffer> {
  const expected = card.files[file];
  if (!expected) throw new ModelFileError(`${card.title}: ${file} is not listed in the model card`);
  let response: Response;
  try {
    response = await fetch(card.base_url + file);
  } catch (error) {
    throw new ModelFileError(`${card.title}: could not fetch ${file} (${(error as Error).message})`);
  }
  if (!response.ok) {
    throw new ModelFileError(`${card.title}: ${file} is missing on the server (HTTP ${response.status})`);
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onBytes?.(value.byteLength);
    }
  } else {
    const whole = new Uint8Array(await response.arrayBuffer());
    chunks.push(whole);
    received = whole.byteLength;
    onBytes?.(received);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (received !== expected.bytes) {
    throw new ModelFileError(`${card.title}: ${file} has ${received} bytes, the model card says ${expected.bytes}`);
  }
  if (globalThis.crypto?.subtle) {
    const digest = hex(await crypto.subtle.digest("SHA-256", bytes));
    if (digest !== expected.sha256) {
      throw new ModelFileError(`${card.title}: ${file} is corrupt (sha256 ${digest.slice(0, 12)}… ≠ ${expected.sha256.slice(0, 12)}…)`);
    }
  }
  noteModelFile(card.base_url + file); // stored for offline use by the service worker
  return bytes.buffer;
}

export async function fetchModelJson<T>(card: ModelCard, file: string): Promise<T> {
  const buffer = await fetchModelFile(card, file);
  try {
    return JSON.parse(new TextDecoder().decode(buffer)) as T;
  } catch {
    throw new ModelFileError(`${card.title}: ${file} is not valid JSON`);
  }
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  userDefinedMetadata?: { [key: string]: {} };
}

/** Loads a tensorflowjs model folder entry (model.json + shards) with checks and progress. */
export async function loadArtifacts(card: ModelCard, entry: string, onProgress?: ProgressListener): Promise<tf.io.ModelArtifacts> {
  const dir = entry.includes("/") ? entry.slice(0, entry.lastIndexOf("/") + 1) : "";
  const shardPaths: string[] = [];
  let total = card.files[entry]?.bytes ?? 0;
  let loaded = 0;
  const tick = (delta: number) => {
    loaded += delta;
    onProgress?.(loaded, total);
  };
  const json = JSON.parse(new TextDecoder().decode(await fetchModelFile(card, entry, tick))) as ModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${card.title}: ${entry} is not a tensorflowjs model file`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) shardPaths.push(dir + p);
    weightSpecs.push(...group.weights);
  }
  for (const p of shardPaths) total += card.files[p]?.bytes ?? 0;
  const shards = await Promise.all(shardPaths.map((p) => fetchModelFile(card, p, tick)));
  const size = shards.reduce((sum, s) => sum + s.byteLength, 0);
  const weightData = new Uint8Array(size);
  let offset = 0;
  for (const shard of shards) {
    weightData.set(new Uint8Array(shard), offset);
    offset += shard.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

export async function loadLayersModel(card: ModelCard, entry = card.entry, onProgress?: ProgressListener): Promise<tf.LayersModel> {
  const artifacts = await loadArtifacts(card, entry, onProgress);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

export async function loadGraphModel(card: ModelCard, entry = card.entry, onProgress?: ProgressListener): Promise<tf.GraphModel> {
  const artifacts = await loadArtifacts(card, entry, onProgress);
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}

/** Downloads a card's model with every check, builds it, frees it again; returns its parameter count (layers models). */
export async function loadAndCheck(card: ModelCard, onProgress?: ProgressListener): Promise<number | undefined> {
  if (card.format === "graph") {
    (await loadGraphModel(card, card.entry, onProgress)).dispose();
    return undefined;
  }
  const model = await loadLayersModel(card, card.entry, onProgress);
  const parameters = model.countParams();
  model.dispose();
  return parameters;
}

export function totalBytes(card: ModelCard): number {
  return Object.values(card.files).reduce((sum, f) => sum + f.bytes, 0);
}
