// Backgrounds studio: picks a texture GAN from the catalogue, loads it with its textures, and
// mounts the studio. `#/backgrounds?m=NAME&t=name:weight,…&seed=N&size=WxH&…` opens shared
// settings (bg_state.ts); a bad parameter is named in a message and replaced by its default.
import { h } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import { initialized, type ModelCard } from "../models";
import { hashParams, modelPicker, modelStudioView, type Mount } from "../model_studio";
import type { StudioView } from "../studio";
import { exposeForTests } from "../test_hooks";
import { BackgroundsStudio } from "./backgrounds_studio";
import { decodeSettings, encodeSettings, gridFor } from "./bg_state";
import { colourMap } from "./colour";
import { pngTexts } from "./file_metadata";
import { BackgroundGenerator } from "./generator";
import { cellWeights, stopWeights } from "./morph";
import { localNoise, loopNoise } from "./noise";
import { planOutput, pieceBorders } from "./plan";
import { recolour, renderBackground } from "./render";
import "./backgrounds.css";

function describe(card: ModelCard): HTMLElement {
  const m = card.metrics;
  const num = (v: unknown, digits: number) => (typeof v === "number" ? v.toFixed(digits) : "?");
  const quality = typeof m.swd_x1e3 === "number"
    ? `SWD ×10³ ${num(m.swd_x1e3, 1)} (real textures against each other: ${num(m.swd_floor_x1e3, 1)}) · seam ${num(m.seam, 2)} (1 = no seam)`
    : "";
  const steps = card.training.steps !== undefined ? `${card.training.steps} training steps` : "";
  const flop = typeof m.flop_per_pixel === "number" ? `${(m.flop_per_pixel / 1000).toFixed(1)} k FLOP per pixel` : "";
  return h("div", { class: "model-info" },
    h("p", { class: "model-title" }, h("strong", { text: card.title }), ` · ${card.description}`),
    h("p", { class: "meta", text: [steps, card.weights_dtype ? `${card.weights_dtype} weights` : "", flop, quality].filter(Boolean).join(" · ") }));
}

async function open(root: HTMLElement, card: ModelCard, all: ModelCard[], mount: Mount): Promise<void> {
  const progress = ProgressBar.download(card.title);
  const message = messageBox();
  const head = h("div", { class: "bg-model" }, ...modelPicker("backgrounds", all, card, "Texture model", (c) => `${c.title} (${c.name})`), describe(card));
  root.append(head, progress.element, message.element);

  const generator = mount.own(new BackgroundGenerator(card));
  await initialized(generator, (loaded, total) => progress.bytes(loaded, total));
  if (!mount.alive) return;
  progress.hide();
  const studio = mount.own(new BackgroundsStudio(card, generator, message));
  root.append(studio.element);
  const params = hashParams();
  params.delete("m");
  studio.start(params);
  // For the end-to-end tests and the benchmarks: `window.muza.backgrounds`.
  mount.onUnmount(exposeForTests("backgrounds", {
    card,
    generator,
    studio,
    settings: () => studio.settings(),
    idle: () => studio.idle(),
    shareUrl: () => studio.shareUrl(),
    pixels: () => {
      const c = studio.stage.canvas;
      return { width: c.width, height: c.height, data: c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data };
    },
    borders: () => (studio.lastReport ? pieceBorders(studio.lastReport.plan) : null),
    lastDownload: () => studio.downloads.last,
    api: { decodeSettings, encodeSettings, gridFor, colourMap, pngTexts, cellWeights, stopWeights, localNoise, loopNoise, planOutput, renderBackground, recolour },
  }));
  await studio.idle();
}

export const view: StudioView = modelStudioView({
  id: "backgrounds",
  title: "Backgrounds",
  lead: "Seamless textures of any size for videos, thumbnails and slides: pick a texture, blend several or morph one into another across the frame, then download it or record a looping video.",
  noneText: "No texture model exported yet. Train one with `python -m training backgrounds train …` and export it (see docs/backgrounds-training.md).",
  preferred: "textures",
  open,
});
