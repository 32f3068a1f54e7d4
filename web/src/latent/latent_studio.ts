// The Latent studio's page: the stage (the picture, drawn large), direction and raw
// sliders with locks, randomise / reset / share / download, and the explore panels.
import { h, uniqueId } from "../ui/dom";
import type { ModelCard } from "../models";
import { canvasBlob, downloadBlob } from "../ui/download";
import { Notices } from "../ui/progress";
import { showShareLink } from "../ui/share";
import { drawPixels, pixelCanvas, scaledCanvas } from "./canvas";
import { arithmeticPanel, interpolationPanel, type Panel } from "./explore";
import { FavouriteStore } from "../ui/favourites";
import { favouritesPanel } from "../ui/favourites_panel";
import type { LatentGenerator } from "./generator";
import type { StudioHost } from "./host";
import { randomSeed } from "../random";
import {
  DIM_LIMIT, LatentState, OFFSET_LIMIT, TRUNCATION_RANGE, clonePoint, decodePoint, encodePoint,
  type LatentDirection, type LatentPoint,
} from "./latent_state";
import { LatestRenderQueue } from "./render_queue";
import { sliderRow, type SliderRow } from "../ui/slider_row";

interface StageJob {
  latent: Float32Array;
  caption: string;
}

export const DOWNLOAD_SCALES = [1, 4, 8];

const signed = (v: number) => `${v < 0 ? "−" : "+"}${Math.abs(v).toFixed(2)}`;

export class LatentStudio implements StudioHost {
  readonly element: HTMLElement;
  readonly favourites: FavouriteStore;
  readonly state: LatentState;
  readonly queue: LatestRenderQueue<StageJob>;
  readonly stage: HTMLCanvasElement;
  private readonly caption = h("figcaption", { class: "stage-caption", "aria-live": "polite" });
  private readonly seedInput: HTMLInputElement;
  private readonly shareBox = h("div", { class: "share-box", hidden: true });
  private readonly directionRows: SliderRow[] = [];
  private readonly dimRows: SliderRow[] = [];
  private readonly truncationRow: SliderRow;
  private readonly listeners: ((what: "favourites" | "current") => void)[] = [];
  private readonly panels: Panel[] = [];
  private readonly notices: Notices;
  private lastDrawn: { latent: Float32Array; rgba: Uint8ClampedArray } | null = null;

  constructor(
    readonly card: ModelCard,
    readonly generator: LatentGenerator,
    readonly directions: LatentDirection[],
    truncationDefault: number,
    message: { error(text: string): void; info(text: string): void; clear(): void },
  ) {
    this.notices = new Notices(message);
    this.favourites = new FavouriteStore(card.name);
    this.state = new LatentState(directions, generator.latentDim, truncationDefault, randomSeed());
    this.queue = new LatestRenderQueue((job) => this.draw(job), (error) => this.error(error.message));
    this.stage = pixelCanvas(generator.imageSize, "stage-canvas crisp", "Generated image");

    const seedId = uniqueId("seed");
    this.seedInput = h("input", { type: "number", id: seedId, min: 0, max: 4294967295, step: 1, class: "seed", inputmode: "numeric" });
    this.seedInput.addEventListener("change", () => {
      const seed = Number(this.seedInput.value);
      if (!Number.isInteger(seed) || seed < 0 || seed > 4294967295) return this.error("A seed is a whole number from 0 to 4294967295.");
      this.state.randomise(seed);
      this.changed();
    });
    const randomise = h("button", { type: "button", class: "randomise", text: "Randomise" });
    randomise.addEventListener("click", () => {
      this.state.randomise(randomSeed());
      this.changed();
    });
    const reset = h("button", { type: "button", class: "secondary reset", text: "Reset", title: "Unlocked sliders back to the seed's image" });
    reset.addEventListener("click", () => {
      this.state.reset();
      this.changed();
    });
    const favourite = h("button", { type: "button", class: "secondary save-favourite", text: "Save favourite" });
    favourite.addEventListener("click", async () => {
      const point = this.currentPoint();
      try {
        this.saveFavourite(point, await this.currentPixels());
      } catch (error) {
        this.error((error as Error).message);
      }
    });
    const share = h("button", { type: "button", class: "secondary share", text: "Share" });
    share.addEventListener("click", () => void this.share());
    const smoothId = uniqueId("smooth");
    const smooth = h("input", { type: "checkbox", id: smoothId, class: "smooth" });
    smooth.addEventListener("change", () => {
      this.stage.classList.toggle("crisp", !smooth.checked);
      this.stage.classList.toggle("smooth", smooth.checked);
    });
    const downloads = DOWNLOAD_SCALES.map((factor) => {
      const size = generator.imageSize * factor;
      const button = h("button", { type: "button", class: "secondary download", "data-scale": factor, text: `${factor}×`, title: `${size}×${size} PNG` });
      button.addEventListener("click", () => void this.download(factor, smooth.checked));
      return button;
    });

    this.truncationRow = sliderRow({
      label: "Truncation",
      title: "Scales the random base towards the average image: lower is tamer, higher is wilder",
      min: TRUNCATION_RANGE[0], max: TRUNCATION_RANGE[1], step: 0.01, value: this.state.point.truncation,
      format: (v) => v.toFixed(2),
      onInput: (v) => {
        this.state.setTruncation(v);
        this.changed(false);
      },
      data: { control: "truncation" },
    });
    const directionsList = h("div", { class: "slider-list" });
    directions.forEach((d, k) => {
      const row = sliderRow({
        label: d.label,
        title: `${d.label}: principal direction ${d.index + 1}, ${(d.explainedVariance * 100).toFixed(1)}% of the variance; slider unit = one standard deviation`,
        min: -OFFSET_LIMIT, max: OFFSET_LIMIT, step: 0.01, value: 0,
        format: (v) => `${signed(v)}σ`,
        onInput: (v) => {
          this.state.setOffset(k, v);
          this.changed(false);
        },
        onLock: () => this.state.toggleDirectionLock(k),
        data: { direction: String(k) },
      });
      this.directionRows.push(row);
      directionsList.append(row.element);
    });
    const dimList = h("div", { class: "slider-list dims" });
    for (let i = 0; i < generator.latentDim; i++) {
      const row = sliderRow({
        label: `z${i}`,
        min: -DIM_LIMIT, max: DIM_LIMIT, step: 0.01, value: 0,
        format: signed,
        onInput: (v) => {
          this.state.setDim(i, v);
          this.changed(false);
        },
        onLock: () => this.state.toggleDimLock(i),
        data: { dim: String(i) },
      });
      this.dimRows.push(row);
      dimList.append(row.element);
    }

    const stageColumn = h("div", { class: "stage-column" },
      h("figure", { class: "stage" }, this.stage, this.caption),
      h("div", { class: "toolbar" }, randomise, h("label", { for: seedId, class: "seed-label", text: "Seed" }), this.seedInput, reset),
      h("div", { class: "toolbar" }, favourite, share,
        h("span", { class: "toggle" }, smooth, h("label", { for: smoothId, text: "Smooth upscaling" }))),
      h("div", { class: "toolbar downloads", role: "group", "aria-label": "Download PNG" }, h("span", { class: "toolbar-label", text: "Download PNG" }), ...downloads),
      this.shareBox);
    const controlsColumn = h("div", { class: "controls-column" },
      h("section", { class: "panel latent-directions", "aria-labelledby": "latent-dir-title" },
        h("h2", { id: "latent-dir-title", text: "Directions" }),
        h("p", { class: "hint", text: `Principal directions of the generator (GANSpace), strongest first. Lock a slider to keep it when you randomise.` }),
        this.truncationRow.element, directionsList),
      h("details", { class: "panel latent-raw" },
        h("summary", { text: `Raw latent (${generator.latentDim} numbers)` }),
        h("p", { class: "hint", text: "The random base itself, before truncation and directions. Locked values survive Randomise." }),
        dimList));
    this.panels.push(interpolationPanel(this), arithmeticPanel(this));
    this.element = h("div", { class: "latent-body" },
      h("div", { class: "latent-layout" }, stageColumn, controlsColumn),
      h("div", { class: "latent-explore" }, favouritesPanel(this), ...this.panels.map((p) => p.element)));
  }

  // ------------------------------------------------------------ StudioHost
  currentPoint(): LatentPoint {
    return clonePoint(this.state.point);
  }

  loadPoint(point: LatentPoint): void {
    this.state.load(point);
    this.changed();
  }

  openFavourite(code: string): void {
    try {
      this.loadPoint(this.decode(code));
    } catch (error) {
      this.error((error as Error).message);
    }
  }

  decode(code: string): LatentPoint {
    return decodePoint(code, this.generator.latentDim, this.directions.length);
  }

  saveFavourite(point: LatentPoint, rgba: Uint8ClampedArray): void {
    const thumb = pixelCanvas(this.generator.imageSize, "", "");
    drawPixels(thumb, rgba);
    try {
      const fav = this.favourites.add(this.favourites.nextName(), encodePoint(point), thumb.toDataURL("image/png"));
      this.info(`Saved ${fav.name} in this browser.`);
      this.emit("favourites");
    } catch (error) {
      this.error((error as Error).message);
    }
  }

  removeFavourite(id: string): void {
    const name = this.favourites.get(id)?.name ?? "favourite";
    try {
      this.favourites.remove(id);
      this.info(`Removed ${name}.`);
      this.emit("favourites");
    } catch (error) {
      this.error((error as Error).message);
    }
  }

  error(text: string): void {
    this.notices.error(text);
  }

  info(text: string): void {
    this.notices.info(text);
  }

  onChange(listener: (what: "favourites" | "current") => void): void {
    this.listeners.push(listener);
  }

  // ------------------------------------------------------------ rendering
  /** The state changed: re-render and (when `sync`) move the sliders to it. */
  changed(sync = true): void {
    if (sync) this.syncControls();
    this.queue.request({ latent: this.state.latent(), caption: `Seed ${this.state.point.seed}` });
    this.emit("current");
  }

  private emit(what: "favourites" | "current"): void {
    for (const listener of this.listeners) listener(what);
  }

  private syncControls(): void {
    const p = this.state.point;
    this.seedInput.value = String(p.seed);
    this.truncationRow.set(p.truncation);
    this.directionRows.forEach((row, k) => {
      row.set(p.offsets[k]);
      row.setLocked(this.state.lockedDirections.has(k));
    });
    this.dimRows.forEach((row, i) => {
      row.set(p.base[i]);
      row.setLocked(this.state.lockedDims.has(i));
    });
  }

  private async draw(job: StageJob): Promise<void> {
    const rgba = await this.generator.render(job.latent);
    this.lastDrawn = { latent: job.latent, rgba };
    drawPixels(this.stage, rgba);
    this.caption.textContent = job.caption;
    this.stage.dataset.renders = String(Number(this.stage.dataset.renders ?? 0) + 1);
  }

  /** The current point's pixels: those on the stage when it shows them, else a fresh render. */
  private async currentPixels(): Promise<Uint8ClampedArray> {
    await this.queue.idle();
    const latent = this.state.latent();
    const drawn = this.lastDrawn;
    if (drawn && drawn.latent.length === latent.length && drawn.latent.every((v, i) => v === latent[i])) return drawn.rgba;
    return this.generator.render(latent);
  }

  shareUrl(): string {
    const code = encodePoint(this.state.point);
    return `${location.origin}${location.pathname}${location.search}#/latent?m=${encodeURIComponent(this.card.name)}&z=${code}`;
  }

  private share(): Promise<void> {
    return showShareLink(this.shareBox, this.shareUrl(), "Link to this image");
  }

  private async download(factor: number, smooth: boolean): Promise<void> {
    await this.queue.idle();
    try {
      const canvas = factor === 1 ? this.stage : scaledCanvas(this.stage, factor, smooth);
      const size = this.generator.imageSize * factor;
      downloadBlob(await canvasBlob(canvas), `muza-${this.card.name}-${this.state.point.seed}-${size}px.png`);
    } catch (error) {
      this.error((error as Error).message);
    }
  }

  /** Resolves when the stage and every panel have finished rendering. */
  async idle(): Promise<void> {
    do {
      await Promise.all([this.queue.idle(), ...this.panels.map((p) => p.idle())]);
    } while (this.queue.busy());
  }

  start(point: LatentPoint | null, seed: number | null): void {
    if (point) this.state.load(point);
    else if (seed !== null) this.state.randomise(seed);
    this.changed();
  }

  dispose(): void {
    this.notices.dispose();
    this.queue.close();
    for (const panel of this.panels) panel.dispose();
    this.listeners.length = 0;
  }
}
