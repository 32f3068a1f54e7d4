// Poems studio: a character-level LSTM writes one letter at a time. The page lives in
// poems_studio.ts; this file mounts it and exposes `window.muza.poems` for tests.
import "./poems.css";
import type { ModelCard } from "../models";
import type { StudioView } from "../studio";
import { exposeForTests } from "../test_hooks";
import { CharGenerator } from "./generator";
import { useCustomKernels } from "./kernels";
import { WindowGenerator } from "./naive";
import { charModels, loadPoet, loadReference, Poet } from "./poet";
import { PoemsStudio } from "./poems_studio";
import { Vocabulary } from "./vocab";

let studio: PoemsStudio | null = null;
let withdraw: (() => void) | null = null;

/** For the console, the end-to-end tests and the benchmarks: `window.muza.poems`. */
export const poemsApi = {
  Poet,
  CharGenerator,
  WindowGenerator,
  Vocabulary,
  loadReference,
  /** Switch the wasm/cpu custom kernels off (true: on) to compare with the plain op sequence. */
  useCustomKernels,
  /** Loads a poems model by name (or a snapshot entry of it) from the catalogue. */
  load(name: string, entry?: string): Promise<Poet> {
    return loadPoet("poems", name, entry);
  },
  cards(): Promise<ModelCard[]> {
    return charModels("poems");
  },
  /** The studio's current poet (null when none is loaded). */
  currentPoet(): Poet | null {
    return studio?.currentPoet ?? null;
  },
};

export const view: StudioView = {
  async mount(root, ctx) {
    withdraw = exposeForTests("poems", poemsApi);
    studio = new PoemsStudio(root, ctx);
    await studio.start();
  },
  unmount() {
    const leaving = studio;
    studio = null;
    withdraw?.();
    withdraw = null;
    void leaving?.dispose();
  },
};
