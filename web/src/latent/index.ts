// Latent studio: picks a GAN from the catalogue, loads it with its directions, and
// mounts the studio. `#/latent?m=NAME&z=CODE` opens a shared point; `&seed=N` a seed.
import { h } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import { fetchModelJson, initialized, type ModelCard } from "../models";
import { hashParams, modelPicker, modelStudioView, type Mount } from "../model_studio";
import type { StudioView } from "../studio";
import { exposeForTests } from "../test_hooks";
import { LatentGenerator, type LatentExtras } from "./generator";
import { fromHalfBits, halfBits, seededLatent, slerp } from "./latent_math";
import { decodePoint, parseDirections, type DirectionsFile, type LatentPoint } from "./latent_state";
import { LatentStudio } from "./latent_studio";
import "./latent.css";

export const MAX_DIRECTION_SLIDERS = 16;

function quality(card: ModelCard): string {
  const swd = card.metrics.swd_x1e3;
  const floor = card.metrics.swd_real_floor_x1e3;
  if (typeof swd !== "number") return "";
  const ref = typeof floor === "number" ? `; real images against each other: ${floor.toFixed(1)}` : "";
  return `sliced Wasserstein distance ×10³ ${swd.toFixed(1)} (lower is better${ref})`;
}

function describe(card: ModelCard): HTMLElement {
  const chosen = card.training.weights_epoch;
  const epochs = card.training.epochs === undefined ? `${card.training.steps} steps`
    : typeof chosen === "number" ? `${card.training.epochs} epochs, weights of epoch ${chosen} (lowest SWD)`
    : `${card.training.epochs} epochs`;
  return h("div", { class: "model-info" },
    h("p", { class: "model-title" }, h("strong", { text: card.title }), ` · ${card.description}`),
    h("p", { class: "meta", text: [epochs, card.weights_dtype ? `${card.weights_dtype} weights` : "", quality(card)].filter(Boolean).join(" · ") }),
    card.credits ? h("p", { class: "credits", text: `Images: ${card.credits}` }) : null);
}

async function open(root: HTMLElement, card: ModelCard, all: ModelCard[], mount: Mount): Promise<void> {
  const params = hashParams();
  const progress = ProgressBar.download(card.title);
  const message = messageBox();
  const head = h("div", { class: "latent-model" }, ...modelPicker("latent", all, card, "GAN model"), describe(card));
  root.append(head, progress.element, message.element);

  const extras = (card.extras ?? {}) as Partial<LatentExtras>;
  const generator = mount.own(new LatentGenerator(card));
  const [directionsDoc] = await Promise.all([
    extras.directions ? fetchModelJson<DirectionsFile>(card, extras.directions) : Promise.resolve(null),
    initialized(generator, (loaded, total) => progress.bytes(loaded, total)),
  ]);
  if (!mount.alive) return;
  progress.hide();
  const directions = directionsDoc ? parseDirections(directionsDoc, generator.latentDim, MAX_DIRECTION_SLIDERS) : [];
  const truncation = directionsDoc?.truncation_default ?? extras.truncation_default ?? 1;
  const studio = mount.own(new LatentStudio(card, generator, directions, truncation, message));
  root.append(studio.element);

  let point: LatentPoint | null = null;
  const code = params.get("z");
  if (code) {
    try {
      point = decodePoint(code, generator.latentDim, directions.length);
    } catch (error) {
      message.error(`${(error as Error).message} Showing a random image instead.`);
    }
  }
  const seedText = params.get("seed");
  const seed = seedText && /^\d+$/.test(seedText) && Number(seedText) <= 4294967295 ? Number(seedText) : null;
  studio.start(point, seed);
  // For the end-to-end tests and the benchmarks: `window.muza.latent`, once the first image is on its way.
  mount.onUnmount(exposeForTests("latent", {
    card,
    generator,
    directions,
    studio,
    state: studio.state,
    stats: studio.queue.stats,
    idle: () => studio.queue.idle(),
    settled: () => studio.idle(),
    latent: () => Array.from(studio.state.latent()),
    shareUrl: () => studio.shareUrl(),
    math: { halfBits, fromHalfBits, seededLatent, slerp },
    stagePixels: () => {
      const ctx = studio.stage.getContext("2d");
      return ctx ? Array.from(ctx.getImageData(0, 0, studio.stage.width, studio.stage.height).data) : [];
    },
  }));
  await studio.queue.idle();
}

export const view: StudioView = modelStudioView({
  id: "latent",
  title: "Latent",
  lead: "Steer a GAN: drag its principal directions, randomise, lock, interpolate, add and subtract.",
  noneText: "No GAN exported yet. Train one with `python -m training gan train …` and export it (see the README).",
  preferred: "emoji",
  open,
});
