// Latent studio: picks a GAN from the catalogue, loads it with its directions, and
// mounts the studio. `#/latent?m=NAME&z=CODE` opens a shared point; `&seed=N` a seed.
import { h } from "../ui/dom";
import { ProgressBar, messageBox, noticeElement } from "../ui/progress";
import { fetchModelJson, initialized, studioModels, type ModelCard } from "../models";
import type { StudioView } from "../studio";
import { exposeForTests } from "../test_hooks";
import { LatentGenerator, type LatentExtras } from "./generator";
import { fromHalfBits, halfBits, seededLatent, slerp } from "./latent_math";
import { decodePoint, parseDirections, type DirectionsFile, type LatentPoint } from "./latent_state";
import { LatentStudio } from "./latent_studio";
import "./latent.css";

export const MAX_DIRECTION_SLIDERS = 16;

interface Mounted {
  studio: LatentStudio | null;
  generator: LatentGenerator | null;
  alive: boolean;
  withdraw?: () => void;
}

let mounted: Mounted | null = null;

function hashParams(): URLSearchParams {
  const query = location.hash.split("?")[1] ?? "";
  return new URLSearchParams(query);
}

function quality(card: ModelCard): string {
  const swd = card.metrics.swd_x1e3;
  const floor = card.metrics.swd_real_floor_x1e3;
  if (typeof swd !== "number") return "";
  const ref = typeof floor === "number" ? `; real images against each other: ${floor.toFixed(1)}` : "";
  return `sliced Wasserstein distance ×10³ ${swd.toFixed(1)} (lower is better${ref})`;
}

function describe(card: ModelCard): HTMLElement {
  const epochs = card.training.epochs !== undefined ? `${card.training.epochs} epochs` : `${card.training.steps} steps`;
  return h("div", { class: "model-info" },
    h("p", { class: "model-title" }, h("strong", { text: card.title }), ` · ${card.description}`),
    h("p", { class: "meta", text: [epochs, card.weights_dtype ? `${card.weights_dtype} weights` : "", quality(card)].filter(Boolean).join(" · ") }),
    card.credits ? h("p", { class: "credits", text: `Images: ${card.credits}` }) : null);
}

async function open(root: HTMLElement, card: ModelCard, all: ModelCard[], state: Mounted): Promise<void> {
  const params = hashParams();
  const progress = ProgressBar.download(card.title);
  const message = messageBox();
  const head = h("div", { class: "latent-model" });
  if (all.length > 1) {
    const select = h("select", { id: "latent-model", "aria-label": "GAN model" },
      ...all.map((c) => h("option", { value: c.name, text: c.title, selected: c.name === card.name })));
    select.addEventListener("change", () => (location.hash = `#/latent?m=${encodeURIComponent(select.value)}`));
    head.append(h("label", { for: "latent-model", text: "Model" }), select);
  }
  head.append(describe(card));
  root.append(head, progress.element, message.element);

  const extras = (card.extras ?? {}) as Partial<LatentExtras>;
  const generator = new LatentGenerator(card);
  state.generator = generator;
  const [directionsDoc] = await Promise.all([
    extras.directions ? fetchModelJson<DirectionsFile>(card, extras.directions) : Promise.resolve(null),
    initialized(generator, (loaded, total) => progress.bytes(loaded, total)),
  ]);
  if (!state.alive) return;
  progress.hide();
  const directions = directionsDoc ? parseDirections(directionsDoc, generator.latentDim, MAX_DIRECTION_SLIDERS) : [];
  const truncation = directionsDoc?.truncation_default ?? extras.truncation_default ?? 1;
  const studio = new LatentStudio(card, generator, directions, truncation, message);
  state.studio = studio;
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
  state.withdraw = exposeForTests("latent", {
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
  });
  await studio.queue.idle();
}

export const view: StudioView = {
  async mount(root) {
    const state: Mounted = { studio: null, generator: null, alive: true };
    mounted = state;
    root.append(
      h("h1", { text: "Latent" }),
      h("p", { class: "lead", text: "Steer a GAN: drag its principal directions, randomise, lock, interpolate, add and subtract." }),
    );
    const cards = await studioModels("latent", "No GAN exported yet. Train one with `python -m training gan train …` and export it (see the README).");
    if (!Array.isArray(cards)) {
      root.append(noticeElement(cards));
      return;
    }
    const wanted = hashParams().get("m");
    const card = cards.find((c) => c.name === wanted) ?? cards.find((c) => c.name === "emoji") ?? cards[0];
    try {
      await open(root, card, cards, state);
    } catch (error) {
      if (state.alive) root.append(h("p", { class: "message error", role: "alert", text: (error as Error).message }));
    }
    if (!state.alive) {
      state.studio?.dispose();
      state.generator?.dispose();
    }
  },
  unmount() {
    if (!mounted) return;
    mounted.alive = false;
    mounted.studio?.dispose();
    mounted.generator?.dispose();
    mounted.withdraw?.();
    mounted = null;
  },
};
