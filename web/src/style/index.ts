// Style studio: restyle a photo as a painting. The studio (style_studio.ts) wires the
// panels to the Stylizer; this file mounts it and exposes `window.muza.style` for tests.
import "./style.css";
import { fetchModelJson } from "../models";
import type { StudioView } from "../studio";
import { exposeForTests } from "../test_hooks";
import { NormStats, recordingStats, supplyingStats } from "./cin_layer";
import { LIMITS, checkDimensions, readImageHeader } from "./image_input";
import { StyleStudio } from "./style_studio";
import { Stylizer } from "./stylizer";
import { planTiles, receptiveField, tileBorders } from "./tiling";

let current: StyleStudio | null = null;
let withdraw: (() => void) | null = null;

export const view: StudioView = {
  async mount(root) {
    const studio = new StyleStudio(root);
    current = studio;
    withdraw = exposeForTests("style", {
      Stylizer,
      NormStats,
      recordingStats,
      supplyingStats,
      planTiles,
      tileBorders,
      receptiveField,
      readImageHeader,
      checkDimensions,
      LIMITS,
      fetchModelJson,
      studio: () => (current === studio ? studio : null),
    });
    await studio.mount();
  },
  unmount() {
    current?.unmount();
    current = null;
    withdraw?.();
    withdraw = null;
  },
};
