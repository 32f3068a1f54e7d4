// The Backgrounds studio's page: wires the texture picker, the controls and the output panel
// to the generator, renders the latest settings (render.ts, in pieces, cancellable), keeps
// the generated pixels so a colour change only re-colours, and credits the textures in use.
import { h } from "../ui/dom";
import type { ModelCard } from "../models";
import { randomSeed, seededUniform } from "../random";
import { FavouriteStore } from "../ui/favourites";
import { favouritesPanel, type FavouritesHost } from "../ui/favourites_panel";
import { Notices } from "../ui/progress";
import { showShareLink } from "../ui/share";
import { AnimationPanel } from "./animation_panel";
import { cloneSettings, decodeSettings, defaultSettings, encodeSettings, gridFor, minScaleFor, type BackgroundSettings } from "./bg_state";
import { colourMap } from "./colour";
import { ControlsPanel, type ControlsHost } from "./controls_panel";
import { attributionLines, creditLines, usedTextures } from "./credits";
import { Downloads } from "./downloads";
import type { BackgroundGenerator, TextureInfo } from "./generator";
import { LatestJobRunner } from "./job_runner";
import { cellWeights } from "./morph";
import { localNoise, noiseGrid } from "./noise";
import { OutputPanel, type OutputHost } from "./output_panel";
import { CancelledError, recolour, renderBackground, type RenderReport } from "./render";
import { Stage, blankCanvas, context2d } from "./stage";
import { TexturePanel } from "./texture_panel";

export const THUMB_CELLS = 3;
/** Settings that change the generated pixels (the rest is colour, applied afterwards). */
const SHAPE_KEYS = ["mode", "shape", "repeat", "softness", "seed", "scale", "variation", "width", "height"] as const;

function sameShape(a: BackgroundSettings, b: BackgroundSettings): boolean {
  return SHAPE_KEYS.every((k) => a[k] === b[k]) && a.mix.length === b.mix.length && a.mix.every((e, i) => e.id === b.mix[i].id && e.weight === b.mix[i].weight);
}

type Message = { error(text: string): void; info(text: string): void; clear(): void };

export class BackgroundsStudio implements ControlsHost, OutputHost, FavouritesHost {
  readonly element: HTMLElement;
  readonly favourites: FavouriteStore;
  readonly stage = new Stage();
  readonly runner: LatestJobRunner;
  readonly textures: TextureInfo[];
  readonly texturePanel: TexturePanel;
  readonly controls: ControlsPanel;
  readonly output: OutputPanel;
  readonly animation: AnimationPanel;
  readonly downloads: Downloads;
  /** Target time per piece (ms): WASM and CPU block the main thread while a piece runs, WebGL mostly does not. */
  budgetMs: number;
  /** Fixed FLOP per piece (tests), instead of the time budget. */
  pieceFlop: number | undefined = undefined;
  lastReport: RenderReport | null = null;
  renders = 0;
  private current: BackgroundSettings;
  /** What the canvas shows, and its generated (uncoloured) pixels. */
  private rendered: BackgroundSettings | null = null;
  private raw: Uint8ClampedArray | null = null;
  private localCache: { key: string; values: Float32Array } | null = null;
  private readonly creditBox = h("div", { class: "bg-credits", "aria-live": "polite" });
  private readonly listeners: ((what: "favourites" | "current") => void)[] = [];
  private thumbnails: Promise<void> = Promise.resolve();
  private readonly notices: Notices;
  private disposed = false;

  constructor(readonly card: ModelCard, readonly generator: BackgroundGenerator, message: Message) {
    this.notices = new Notices(message, 6000);
    this.budgetMs = generator.backend() === "webgl" ? 250 : 80;
    this.textures = generator.textures;
    this.favourites = new FavouriteStore(card.name, "backgrounds");
    this.current = defaultSettings(0, randomSeed());
    this.runner = new LatestJobRunner((signal) => this.work(signal), (e) => this.error(e.message), (e) => e instanceof CancelledError);
    this.texturePanel = new TexturePanel(this);
    this.controls = new ControlsPanel(this);
    this.output = new OutputPanel(this);
    this.downloads = new Downloads(this);
    this.animation = new AnimationPanel(this);
    this.element = h("div", { class: "bg-body" },
      h("div", { class: "bg-layout" },
        h("div", { class: "bg-stage-column" }, this.stage.element, this.output.element, this.creditBox),
        h("div", { class: "bg-controls-column" }, this.texturePanel.element, this.controls.element)),
      h("div", { class: "bg-explore" }, favouritesPanel(this, "bg", 96), this.animation.element));
  }

  // ------------------------------------------------------------ state
  settings(): BackgroundSettings {
    return this.current;
  }

  names(): string[] {
    return this.textures.map((t) => t.name);
  }

  update(change: (s: BackgroundSettings) => void, resync = true): void {
    change(this.current);
    const min = minScaleFor(this.current.width, this.current.height);
    if (this.current.scale < min) {
      this.current.scale = min;
      this.info(`At ${this.current.width}×${this.current.height} the scale starts at ${min} (at most ${(8192 * 4608 / 1e6).toFixed(0)} megapixels are generated).`);
      resync = true;
    }
    if (resync) this.sync();
    else this.showCredits();
    this.changed();
  }

  /** Opens settings decoded from a link (problems are reported; the rest applies). */
  start(params: URLSearchParams | null): void {
    if (params) {
      const { settings, problems } = decodeSettings(params, this.names(), this.current);
      this.current = settings;
      if (problems.length) this.error(problems.join(" "));
    }
    this.sync();
    this.changed();
    this.thumbnails = this.runner.idle().then(() => this.renderThumbnails()).catch((e: Error) => this.error(`Thumbnails: ${e.message}`));
  }

  private sync(): void {
    this.texturePanel.sync();
    this.controls.sync();
    this.output.showSize(this.current.width, this.current.height);
    this.showCredits();
  }

  private changed(): void {
    this.runner.request();
    for (const listener of this.listeners) listener("current");
  }

  setSize(width: number, height: number): void {
    this.update((s) => Object.assign(s, { width, height }));
  }

  randomise(): void {
    const seed = randomSeed();
    const rand = seededUniform(seed);
    const count = Math.max(1, this.current.mix.length);
    const ids: number[] = [];
    while (ids.length < Math.min(count, this.textures.length)) {
      const id = Math.floor(rand() * this.textures.length);
      if (!ids.includes(id)) ids.push(id);
    }
    this.update((s) => {
      s.seed = seed;
      s.mix = ids.map((id) => ({ id, weight: count === 1 ? 1 : Math.round((0.3 + 0.7 * rand()) * 100) / 100 }));
    });
  }

  reseed(): void {
    this.update((s) => (s.seed = randomSeed()));
  }

  reset(): void {
    this.update((s) => Object.assign(s, { ...defaultSettings(0, s.seed), width: s.width, height: s.height }));
  }

  setTiled(on: boolean): void {
    this.stage.setTiled(on);
  }

  cancel(): void {
    this.runner.cancel();
    this.info("Cancelled: the picture shows the previous settings. Press Render to render these.");
  }

  rerender(): void {
    this.runner.request(0);
  }

  // ------------------------------------------------------------ rendering
  /** The local noise of a seed and grid (cached: a colour or weight change keeps it). */
  localFor(seed: number, w: number, h: number, stream = 0): Float32Array {
    const key = `${seed}:${stream}:${w}x${h}`;
    if (this.localCache?.key !== key) this.localCache = { key, values: localNoise(seed, stream, h, w, this.generator.localChannels) };
    return this.localCache.values;
  }

  /** The generator's whole input for settings `s` (local noise `local` or the seed's own). */
  noiseFor(s: BackgroundSettings, local?: Float32Array): { noise: Float32Array; gridW: number; gridH: number } {
    const grid = gridFor(s.width, s.height, s.scale, this.generator.cellPx);
    const weights = cellWeights({ mode: s.mode, weights: s.mix.map((e) => e.weight), shape: s.shape, repeat: s.repeat, softness: s.softness }, grid.h, grid.w);
    const points = s.mix.map((e) => this.textures[e.id].point);
    const noise = noiseGrid(local ?? this.localFor(s.seed, grid.w, grid.h), s.variation, weights, points, grid.h, grid.w, this.generator.localChannels);
    return { noise, gridW: grid.w, gridH: grid.h };
  }

  /** Renders `s` into a new canvas (and its raw pixels); the caller decides what to show. */
  async renderCanvas(s: BackgroundSettings, signal: AbortSignal, local?: Float32Array, onProgress?: (done: number, total: number) => void): Promise<{ canvas: HTMLCanvasElement; raw: Uint8ClampedArray; report: RenderReport }> {
    const { noise, gridW, gridH } = this.noiseFor(s, local);
    const canvas = blankCanvas(s.width, s.height);
    const ctx = context2d(canvas);
    const raw = new Uint8ClampedArray(s.width * s.height * 4);
    const report = await renderBackground(this.generator, {
      noise, gridW, gridH, width: s.width, height: s.height, colour: colourMap(s), signal,
      budgetMs: this.budgetMs, pieceFlop: this.pieceFlop, onProgress,
      write: (x, y, w, hgt, rawPx, coloured) => {
        for (let r = 0; r < hgt; r++) raw.set(rawPx.subarray(r * w * 4, (r + 1) * w * 4), ((y + r) * s.width + x) * 4);
        ctx.putImageData(new ImageData(coloured as Uint8ClampedArray<ArrayBuffer>, w, hgt), x, y);
      },
    });
    return { canvas, raw, report };
  }

  private async work(signal: AbortSignal): Promise<void> {
    const s = cloneSettings(this.current);
    const rendered = this.rendered;
    if (rendered && sameShape(rendered, s)) {
      if (!["hue", "saturation", "brightness", "contrast"].some((k) => rendered[k as keyof BackgroundSettings] !== s[k as keyof BackgroundSettings])) return;
      return this.recolourStage(s, signal);
    }
    const started = performance.now();
    this.output.busy(true, true);
    try {
      const { canvas, raw, report } = await this.renderCanvas(s, signal, undefined, (done, total) => {
        const elapsed = performance.now() - started;
        const left = done > 0 ? (elapsed * (total - done)) / done / 1000 : NaN;
        this.output.progress.fraction(total ? done / total : 0, `${Math.round((100 * done) / Math.max(total, 1))}%${Number.isFinite(left) && elapsed > 300 ? ` · about ${Math.ceil(left)} s left` : ""}`);
      });
      this.stage.show(canvas);
      this.raw = raw;
      this.rendered = s;
      this.lastReport = report;
      this.renders += 1;
      this.stage.caption.textContent = `${s.width}×${s.height} · ${report.plan.pieces.length} piece${report.plan.pieces.length > 1 ? "s" : ""} · ${(report.ms / 1000).toFixed(1)} s`;
    } finally {
      this.output.busy(false, this.rendered === null || !sameShape(this.rendered, this.current));
    }
  }

  private async recolourStage(s: BackgroundSettings, signal: AbortSignal): Promise<void> {
    const raw = this.raw;
    if (!raw || !this.rendered) return;
    const canvas = this.stage.canvas;
    const ctx = context2d(canvas);
    await recolour(raw, canvas.width, canvas.height, colourMap(s), (y, rows, rgba) => ctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, canvas.width, rows), 0, y), signal);
    this.rendered = s;
    this.stage.refresh();
  }

  private async renderThumbnails(): Promise<void> {
    const cells = THUMB_CELLS;
    const local = localNoise(0, 9, cells, cells, this.generator.localChannels);
    const ids = this.textures.map((t) => t.id);
    const images = await this.generator.thumbnails(ids, cells, local);
    if (this.disposed) return;
    images.forEach((rgba, i) => this.texturePanel.setThumbnail(ids[i], rgba, cells * this.generator.cellPx));
    this.texturePanel.sync();
  }

  /** Settings and pixels of the picture as shown (for downloads and favourites). */
  shown(): { settings: BackgroundSettings; canvas: HTMLCanvasElement } | null {
    return this.rendered ? { settings: this.rendered, canvas: this.stage.canvas } : null;
  }

  // ------------------------------------------------------------ credits
  used(s: BackgroundSettings = this.current): TextureInfo[] {
    return usedTextures(s, this.textures);
  }

  private showCredits(): void {
    const used = this.used();
    const attributions = attributionLines(used);
    this.creditBox.replaceChildren(
      h("p", { class: "credits" }, h("strong", { text: "Textures: " }), creditLines(used).join("; ")),
      ...attributions.map((a) => h("p", { class: "bg-attribution", text: `CC BY: ${a}` })));
  }

  // ------------------------------------------------------------ share and favourites
  shareUrl(s: BackgroundSettings = this.current): string {
    return `${location.origin}${location.pathname}${location.search}#/backgrounds?m=${encodeURIComponent(this.card.name)}&${encodeSettings(s, this.names())}`;
  }

  share(): void {
    void showShareLink(this.output.shareBox, this.shareUrl(), "Link to this background");
  }

  async saveFavourite(): Promise<void> {
    await this.runner.idle();
    const shown = this.shown();
    if (!shown) return this.error("Nothing rendered yet.");
    try {
      const fav = this.favourites.add(this.favourites.nextName(), encodeSettings(shown.settings, this.names()).toString(), this.downloads.thumbnail(shown.canvas));
      this.info(`Saved ${fav.name} in this browser.`);
      for (const listener of this.listeners) listener("favourites");
    } catch (error) {
      this.error((error as Error).message);
    }
  }

  openFavourite(code: string): void {
    const { settings, problems } = decodeSettings(new URLSearchParams(code), this.names(), defaultSettings(0, this.current.seed));
    if (problems.length) this.error(problems.join(" "));
    this.current = settings;
    this.sync();
    this.changed();
  }

  removeFavourite(id: string): void {
    const name = this.favourites.get(id)?.name ?? "favourite";
    try {
      this.favourites.remove(id);
      this.info(`Removed ${name}.`);
      for (const listener of this.listeners) listener("favourites");
    } catch (error) {
      this.error((error as Error).message);
    }
  }

  onChange(listener: (what: "favourites" | "current") => void): void {
    this.listeners.push(listener);
  }

  downloadPng(): void {
    void this.downloads.png();
  }

  downloadJpeg(quality: number): void {
    void this.downloads.jpeg(quality);
  }

  // ------------------------------------------------------------ messages and lifecycle
  error(text: string): void {
    this.notices.error(text);
  }

  info(text: string): void {
    this.notices.info(text);
  }

  /** Resolves when the picture and the thumbnails are done. */
  async idle(): Promise<void> {
    do {
      await this.runner.idle();
      await this.thumbnails;
      await this.animation.idle();
    } while (this.runner.busy());
  }

  dispose(): void {
    this.disposed = true;
    this.notices.dispose();
    this.runner.close();
    this.animation.dispose();
    this.listeners.length = 0;
  }
}
