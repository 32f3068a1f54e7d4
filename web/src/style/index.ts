// Style studio UI: input (file, drop, paste, webcam, samples), style picker and blend,
// strength, resolution, before/after comparison and PNG download. Inference lives in
// stylizer.ts; this file only touches the DOM.
import { metricLines, studioModels } from "../ui/catalogue_list";
import * as tf from "@tensorflow/tfjs";
import "./style.css";
import { h } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import { fetchModelFile, fetchModelJson, type ModelCard } from "../models";
import type { StudioView } from "../studio";
import { CancelledError, Stylizer, fitLongSide } from "./stylizer";
import { planTiles, receptiveField, tileBorders } from "./tiling";
import { ImageInputError, LIMITS, checkDimensions, decodeImageFile, readImageHeader } from "./image_input";
import { canvas, canvasSource, context2d, pixelsOf, scaledCopy, type Drawable } from "./pixels";
import { NormStats, recordingStats, supplyingStats } from "./cin_layer";
import { WebcamLoop } from "./webcam";

/** Output sizes (long side). Above SINGLE_PASS_MAX the image is stylised in tiles. */
const RESOLUTIONS = [256, 512, 1024, 2048];
const MAX_SIDE = 2048;
const SINGLE_PASS_MAX = 512;
const TILE_CORE = 512;
const WEBCAM_MAX = 384;

const SAMPLES = [
  { file: "astronaut.jpg", title: "Astronaut", credit: "Eileen Collins, NASA (public domain)" },
  { file: "coffee.jpg", title: "Coffee", credit: "Rachel Michetti, Pikolo Espresso Bar (CC0)" },
  { file: "chelsea.jpg", title: "Chelsea the cat", credit: "Stefan van der Walt (CC0)" },
  { file: "rocket.jpg", title: "Rocket launch", credit: "SpaceX (public domain)" },
];
const SAMPLE_BASE = "/samples/style/";

interface Content {
  name: string;
  /** The input at up to MAX_SIDE on its long side. */
  image: HTMLCanvasElement;
  originalWidth: number;
  originalHeight: number;
}

interface Result {
  content: HTMLCanvasElement; // the input at output size
  stylised: HTMLCanvasElement;
  ms: number;
  tiles: number;
  weights: number[];
}

/** Everything one mounted studio owns; unmount() disposes it. */
class StyleStudio {
  private stylizer: Stylizer | null = null;
  private card: ModelCard | null = null;
  private content: Content | null = null;
  private result: Result | null = null;
  private styleA = 0;
  private styleB: number | null = null;
  private blend = 0.5;
  private strength = 1;
  private resolution = 512;
  private job: AbortController | null = null;
  private pending = false;
  private running = false;
  private webcam: WebcamLoop | null = null;
  private disposed = false;
  private stylisations = 0;
  private readonly cleanups: (() => void)[] = [];

  // DOM
  private readonly modelLine = h("p", { class: "style-model", role: "status" });
  private readonly credits = h("p", { class: "credits style-credits" });
  private readonly loadProgress = new ProgressBar("Loading the style network");
  private readonly inputMessage = messageBox();
  private readonly runMessage = messageBox();
  private readonly fileInput = h("input", { type: "file", accept: "image/*", id: "style-file", class: "visually-hidden" });
  private readonly drop = h("div", { class: "style-drop", "data-testid": "dropzone" });
  private readonly webcamButton = h("button", { type: "button", class: "secondary", text: "Use webcam" });
  private readonly captureButton = h("button", { type: "button", text: "Use this frame", hidden: true });
  private readonly fps = h("span", { class: "style-fps", "aria-live": "polite", hidden: true });
  private readonly styleGrid = h("div", { class: "style-grid", role: "group", "aria-label": "Styles" });
  private readonly styleCaption = h("p", { class: "style-caption" });
  private readonly blendSelect = h("select", { id: "style-blend-with" });
  private readonly blendSlider = h("input", { type: "range", id: "style-blend", min: 0, max: 100, step: 1, value: 50, disabled: true });
  private readonly blendText = h("output", { for: "style-blend", class: "style-value" });
  private readonly strengthSlider = h("input", { type: "range", id: "style-strength", min: 0, max: 100, step: 1, value: 100 });
  private readonly strengthText = h("output", { for: "style-strength", class: "style-value", text: "100%" });
  private readonly resolutionSelect = h("select", { id: "style-resolution" });
  private readonly stage = h("figure", { class: "style-compare", hidden: true });
  private readonly afterCanvas = canvas(1, 1);
  private readonly beforeCanvas = canvas(1, 1);
  private readonly compareSlider = h("input", { type: "range", min: 0, max: 100, value: 50, step: 1, "aria-label": "Before/after comparison", class: "style-compare-slider" });
  private readonly divider = h("div", { class: "style-divider", "aria-hidden": "true" });
  private readonly caption = h("figcaption", { class: "style-result-caption" });
  private readonly placeholder = h("div", { class: "style-placeholder" }, h("p", { text: "Choose a photo, a sample or the webcam to begin." }));
  private readonly tileProgress = new ProgressBar("Stylising tiles");
  private readonly cancelButton = h("button", { type: "button", class: "secondary", text: "Cancel", hidden: true });
  private readonly downloadButton = h("button", { type: "button", text: "Download PNG", disabled: true });

  constructor(private readonly root: HTMLElement) {}

  async mount(): Promise<void> {
    this.build();
    exposeForTests(this);
    const cards = await studioModels("style", "No style model has been exported yet. Train one with `python -m training style train` (see the README).");
    if (cards instanceof HTMLElement) {
      this.modelLine.textContent = cards.textContent;
      this.modelLine.classList.toggle("error", cards.classList.contains("error"));
      return;
    }
    const card = cards[0];
    this.card = card;
    const stylizer = new Stylizer(card);
    this.modelLine.textContent = `Loading ${card.title}…`;
    try {
      await stylizer.initialize((loaded, total) => this.loadProgress.bytes(loaded, total));
    } catch (error) {
      stylizer.dispose();
      this.modelLine.textContent = `The style network could not be loaded: ${(error as Error).message}`;
      this.modelLine.classList.add("error");
      return;
    }
    if (this.disposed) {
      stylizer.dispose();
      return;
    }
    this.stylizer = stylizer;
    this.loadProgress.hide();
    this.modelLine.textContent = `${card.title} · ${(card.parameters ?? 0).toLocaleString()} parameters · running on ${tf.getBackend().toUpperCase()}`;
    this.buildStyles(card, stylizer);
    this.credits.textContent = [card.credits, this.credits.textContent].filter(Boolean).join(" ");
    this.credits.before(aboutModel(card));
    this.root.dataset.model = card.name;
  }

  unmount(): void {
    this.disposed = true;
    this.job?.abort();
    this.webcam?.stop();
    for (const cleanup of this.cleanups) cleanup();
    this.stylizer?.dispose();
    this.stylizer = null;
  }

  // ------------------------------------------------------------------ layout
  private build(): void {
    this.drop.append(
      h("p", { class: "style-drop-title", text: "Drop a photo here" }),
      h("p", { class: "style-drop-hint" }, "or paste one, or ", h("label", { for: "style-file", class: "button", text: "Choose a file" })),
      this.fileInput,
    );
    const samples = h("div", { class: "style-samples", role: "group", "aria-label": "Sample photos" });
    for (const sample of SAMPLES) {
      const button = h("button", { type: "button", class: "style-sample", title: `${sample.title} — ${sample.credit}`, "data-sample": sample.file },
        h("img", { src: SAMPLE_BASE + sample.file, alt: sample.title, loading: "lazy" }));
      button.addEventListener("click", () => void this.loadSample(sample.file, sample.title));
      samples.append(button);
    }
    for (const size of RESOLUTIONS) {
      this.resolutionSelect.append(h("option", { value: size, text: `${size} px${size > SINGLE_PASS_MAX ? " (tiled)" : ""}`, selected: size === this.resolution }));
    }
    this.blendSelect.append(h("option", { value: "", text: "Nothing (one style)" }));
    this.stage.append(
      this.afterCanvas,
      this.beforeCanvas,
      this.divider,
      h("span", { class: "style-tag style-tag-before", text: "Before" }),
      h("span", { class: "style-tag style-tag-after", text: "After" }),
      this.compareSlider,
      this.caption,
    );
    this.afterCanvas.className = "style-after";
    this.beforeCanvas.className = "style-before";
    this.beforeCanvas.setAttribute("aria-label", "Original photo");
    this.afterCanvas.setAttribute("aria-label", "Stylised photo");
    this.afterCanvas.setAttribute("role", "img");
    this.beforeCanvas.setAttribute("role", "img");

    const controls = h(
      "div",
      { class: "style-controls" },
      h("section", { class: "panel" },
        h("h2", { text: "1 · Photo" }),
        this.drop,
        h("div", { class: "style-row" }, this.webcamButton, this.captureButton, this.fps),
        h("p", { class: "style-small", text: "Or try a sample:" }),
        samples,
        this.inputMessage.element,
        h("p", { class: "style-small muted", text: "Your photos stay on this device: the network runs in your browser." }),
      ),
      h("section", { class: "panel" },
        h("h2", { text: "2 · Style" }),
        this.styleGrid,
        this.styleCaption,
        h("div", { class: "style-field" }, h("label", { for: "style-blend-with", text: "Blend with" }), this.blendSelect),
        h("div", { class: "style-field" }, h("label", { for: "style-blend", text: "Mix" }), this.blendSlider, this.blendText),
      ),
      h("section", { class: "panel" },
        h("h2", { text: "3 · Output" }),
        h("div", { class: "style-field" }, h("label", { for: "style-strength", text: "Strength" }), this.strengthSlider, this.strengthText),
        h("div", { class: "style-field" }, h("label", { for: "style-resolution", text: "Resolution" }), this.resolutionSelect),
      ),
    );
    const output = h(
      "div",
      { class: "style-output" },
      this.placeholder,
      this.stage,
      h("div", { class: "style-row style-jobs" }, this.tileProgress.element, this.cancelButton),
      this.runMessage.element,
      h("div", { class: "style-row" }, this.downloadButton),
    );
    this.root.append(
      h("h1", { text: "Style" }),
      h("p", { class: "lead", text: "Restyle a photo as a painting with a fast style-transfer network: blend two styles, set the strength, compare and download." }),
      this.modelLine,
      this.loadProgress.element,
      h("div", { class: "style-layout" }, controls, output),
      this.credits,
    );
    this.credits.textContent = `Sample photos: ${SAMPLES.map((s) => `${s.title}, ${s.credit}`).join("; ")}.`;
    this.wire();
    this.updateBlendText();
    this.setCompare(50);
  }

  private wire(): void {
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files?.[0];
      if (file) void this.loadFile(file);
      this.fileInput.value = "";
    });
    for (const type of ["dragenter", "dragover"]) {
      this.drop.addEventListener(type, (event) => {
        event.preventDefault();
        this.drop.classList.add("dragging");
      });
    }
    for (const type of ["dragleave", "drop"]) this.drop.addEventListener(type, () => this.drop.classList.remove("dragging"));
    this.drop.addEventListener("drop", (event) => {
      event.preventDefault();
      const file = event.dataTransfer?.files?.[0];
      if (file) void this.loadFile(file);
      else this.inputMessage.error("Drop an image file (PNG, JPEG, WebP, GIF or BMP).");
    });
    const onPaste = (event: ClipboardEvent) => {
      const item = [...(event.clipboardData?.items ?? [])].find((i) => i.kind === "file");
      const file = item?.getAsFile();
      if (!file) return;
      event.preventDefault();
      void this.loadFile(file);
    };
    document.addEventListener("paste", onPaste);
    this.cleanups.push(() => document.removeEventListener("paste", onPaste));
    this.webcamButton.addEventListener("click", () => void this.toggleWebcam());
    this.captureButton.addEventListener("click", () => this.captureFrame());
    this.blendSelect.addEventListener("change", () => {
      this.styleB = this.blendSelect.value === "" ? null : Number(this.blendSelect.value);
      this.blendSlider.disabled = this.styleB === null;
      this.markThumbs();
      this.updateBlendText();
      this.requestStylise();
    });
    this.blendSlider.addEventListener("input", () => {
      this.blend = Number(this.blendSlider.value) / 100;
      this.updateBlendText();
    });
    this.blendSlider.addEventListener("change", () => this.requestStylise());
    this.strengthSlider.addEventListener("input", () => {
      this.strength = Number(this.strengthSlider.value) / 100;
      this.strengthText.textContent = `${Math.round(this.strength * 100)}%`;
      this.compose();
    });
    this.resolutionSelect.addEventListener("change", () => {
      this.resolution = Number(this.resolutionSelect.value);
      this.requestStylise();
    });
    this.compareSlider.addEventListener("input", () => this.setCompare(Number(this.compareSlider.value)));
    this.cancelButton.addEventListener("click", () => this.job?.abort());
    this.downloadButton.addEventListener("click", () => this.download());
  }

  private buildStyles(card: ModelCard, stylizer: Stylizer): void {
    this.styleGrid.replaceChildren();
    stylizer.styles.forEach((style, i) => {
      const img = h("img", { alt: "", width: 96, height: 96 });
      void this.loadThumbnail(card, style.thumbnail, img);
      const button = h("button", { type: "button", class: "style-thumb", "aria-pressed": i === this.styleA ? "true" : "false", "data-style": style.id, title: `${style.title} — ${style.artist}, ${style.year}` },
        img, h("span", { text: style.title }));
      button.addEventListener("click", () => this.pickStyle(i));
      this.styleGrid.append(button);
      this.blendSelect.append(h("option", { value: i, text: `${style.title} (${style.artist})` }));
    });
    this.updateCaption();
  }

  /** Thumbnails go through the checksummed loader too, then into a blob: URL. */
  private async loadThumbnail(card: ModelCard, file: string, img: HTMLImageElement): Promise<void> {
    try {
      const bytes = await fetchModelFile(card, file);
      const url = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
      img.src = url;
      this.cleanups.push(() => URL.revokeObjectURL(url));
    } catch {
      img.alt = "(thumbnail missing)";
    }
  }

  private pickStyle(index: number): void {
    this.styleA = index;
    this.markThumbs();
    this.updateCaption();
    this.updateBlendText();
    this.requestStylise();
  }

  /** Marks the picked style (A) and its blend partner (B) on the thumbnails. */
  private markThumbs(): void {
    for (const [i, button] of [...this.styleGrid.children].entries()) {
      button.setAttribute("aria-pressed", i === this.styleA ? "true" : "false");
      if (this.styleB === i && this.styleB !== this.styleA) (button as HTMLElement).dataset.blend = "true";
      else delete (button as HTMLElement).dataset.blend;
    }
  }

  private updateCaption(): void {
    const s = this.stylizer?.styles[this.styleA];
    this.styleCaption.textContent = s ? `${s.title} — ${s.artist}, ${s.year}` : "";
  }

  private updateBlendText(): void {
    const styles = this.stylizer?.styles ?? [];
    if (this.styleB === null || !styles.length) {
      this.blendText.textContent = "—";
      return;
    }
    const pctB = Math.round(this.blend * 100);
    this.blendText.textContent = `${100 - pctB}% ${styles[this.styleA].title} · ${pctB}% ${styles[this.styleB].title}`;
  }

  /** The current style mixing weights (sum 1). */
  styleWeights(): number[] {
    const weights = new Array(this.stylizer?.numStyles ?? 0).fill(0);
    if (!weights.length) return weights;
    if (this.styleB === null || this.styleB === this.styleA) weights[this.styleA] = 1;
    else {
      weights[this.styleA] = 1 - this.blend;
      weights[this.styleB] = this.blend;
    }
    return weights;
  }

  // ------------------------------------------------------------------ input
  private async loadFile(file: File): Promise<void> {
    this.inputMessage.clear();
    try {
      const { bitmap } = await decodeImageFile(file);
      this.setContent(file.name || "pasted image", bitmap);
      bitmap.close();
    } catch (error) {
      const text = error instanceof ImageInputError ? error.message : `This file could not be opened: ${(error as Error).message}`;
      this.inputMessage.error(`${file.name ? `${file.name}: ` : ""}${text}${this.result ? " The previous result is kept." : ""}`);
    }
  }

  private async loadSample(file: string, title: string): Promise<void> {
    this.inputMessage.clear();
    try {
      const response = await fetch(SAMPLE_BASE + file);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blob = await response.blob();
      const { bitmap } = await decodeImageFile(blob);
      this.setContent(title, bitmap);
      bitmap.close();
    } catch (error) {
      this.inputMessage.error(`The sample ${title} could not be loaded: ${(error as Error).message}`);
    }
  }

  private setContent(name: string, image: Drawable): void {
    this.stopWebcam();
    const fit = fitLongSide(image.width, image.height, MAX_SIDE);
    this.content = { name, image: scaledCopy(image, fit.width, fit.height), originalWidth: image.width, originalHeight: image.height };
    if (fit.width !== image.width) {
      this.inputMessage.info(`${name} is ${image.width}×${image.height}; it was scaled down to ${fit.width}×${fit.height} (the largest size Muza stylises).`);
    }
    this.root.dataset.content = name;
    this.requestStylise();
  }

  // ------------------------------------------------------------------ webcam
  private async toggleWebcam(): Promise<void> {
    if (this.webcam?.active) {
      this.stopWebcam();
      return;
    }
    if (!this.stylizer) return;
    this.inputMessage.clear();
    this.job?.abort();
    const stylizer = this.stylizer;
    const frame = { src: canvas(1, 1), stylised: canvas(1, 1) };
    this.webcam = new WebcamLoop({
      onFrame: async (video) => {
        const fit = fitLongSide(video.videoWidth, video.videoHeight, Math.min(WEBCAM_MAX, this.resolution));
        if (frame.src.width !== fit.width || frame.src.height !== fit.height) {
          frame.src = canvas(fit.width, fit.height);
          frame.stylised = canvas(fit.width, fit.height);
        }
        const ctx = context2d(frame.src);
        ctx.drawImage(video, 0, 0, fit.width, fit.height);
        const start = performance.now();
        const out = await stylizer.stylize(pixelsOf(frame.src), this.styleWeights());
        if (!this.webcam?.active || this.disposed) return; // stopped while this frame ran
        context2d(frame.stylised).putImageData(out, 0, 0);
        this.showResult({ content: frame.src, stylised: frame.stylised, ms: performance.now() - start, tiles: 1, weights: this.styleWeights() }, "Webcam");
      },
      onFps: (fps) => {
        this.fps.textContent = `${fps.toFixed(1)} fps`;
        this.fps.dataset.fps = fps.toFixed(2);
      },
      onError: (error) => {
        this.inputMessage.error(`Webcam stopped: ${error.message}`);
        this.webcamUi(false);
      },
    });
    try {
      await this.webcam.start();
      this.webcamUi(true);
    } catch (error) {
      this.inputMessage.error((error as Error).message);
      this.webcamUi(false);
    }
  }

  private webcamUi(on: boolean): void {
    this.webcamButton.textContent = on ? "Stop webcam" : "Use webcam";
    this.captureButton.hidden = !on;
    this.fps.hidden = !on;
    this.root.dataset.webcam = on ? "on" : "off";
    if (on) this.fps.textContent = "starting…";
  }

  private stopWebcam(): void {
    if (!this.webcam?.active) return;
    this.webcam.stop();
    this.webcamUi(false);
  }

  private captureFrame(): void {
    const video = this.webcam?.video;
    if (!video || !video.videoWidth) return;
    const still = canvas(video.videoWidth, video.videoHeight);
    context2d(still).drawImage(video, 0, 0);
    this.setContent("Webcam photo", still);
  }

  // ------------------------------------------------------------------ stylise
  /** Runs the newest request when the current job ends; a running tiled job is cancelled. */
  requestStylise(): void {
    if (!this.content || !this.stylizer || this.webcam?.active) return;
    this.pending = true;
    if (this.running) {
      this.job?.abort();
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    this.root.dataset.busy = "true";
    try {
      while (this.pending && !this.disposed) {
        this.pending = false;
        await this.stylise();
      }
    } finally {
      this.running = false;
      this.root.dataset.busy = "false";
    }
  }

  private async stylise(): Promise<void> {
    const stylizer = this.stylizer;
    const content = this.content;
    if (!stylizer || !content) return;
    const weights = this.styleWeights();
    const size = fitLongSide(content.image.width, content.image.height, this.resolution);
    const input = scaledCopy(content.image, size.width, size.height);
    const stylised = canvas(size.width, size.height);
    const job = new AbortController();
    this.job = job;
    this.runMessage.clear();
    const start = performance.now();
    let tiles = 1;
    try {
      const maxPass = maxPassSide(stylizer.overlap);
      if (Math.max(size.width, size.height) <= maxPass) {
        context2d(stylised).putImageData(await stylizer.stylize(pixelsOf(input), weights), 0, 0);
      } else {
        this.cancelButton.hidden = false;
        const out = context2d(stylised);
        const plan = await stylizer.stylizeTiled(canvasSource(input), weights, {
          maxCore: Math.min(TILE_CORE, maxPass),
          signal: job.signal,
          onProgress: (done, total) => this.tileProgress.fraction(done / total, `tile ${done} of ${total}`),
          write: (rect, pixels) => out.putImageData(pixels, rect.x, rect.y),
        });
        tiles = plan.tiles.length;
      }
      if (this.disposed) return;
      this.stylisations += 1;
      this.showResult({ content: input, stylised, ms: performance.now() - start, tiles, weights }, content.name);
      this.root.dataset.stylisations = String(this.stylisations);
    } catch (error) {
      if (error instanceof CancelledError) {
        if (!this.pending) this.runMessage.info(this.result ? "Cancelled: the previous result is kept." : "Cancelled.");
      } else {
        this.runMessage.error(`Stylisation failed: ${(error as Error).message}${this.result ? " The previous result is kept." : ""}`);
      }
    } finally {
      this.cancelButton.hidden = true;
      this.tileProgress.hide();
      if (this.job === job) this.job = null;
    }
  }

  private showResult(result: Result, name: string): void {
    this.result = result;
    const { width, height } = result.stylised;
    for (const c of [this.afterCanvas, this.beforeCanvas]) {
      if (c.width !== width || c.height !== height) {
        c.width = width;
        c.height = height;
      }
    }
    context2d(this.beforeCanvas).drawImage(result.content, 0, 0);
    this.compose();
    // Keep the whole picture on screen: a portrait image gets narrower.
    this.stage.style.maxWidth = `min(100%, calc(72vh * ${(width / height).toFixed(4)}))`;
    this.stage.hidden = false;
    this.placeholder.hidden = true;
    this.downloadButton.disabled = false;
    const timing = `${Math.round(result.ms)} ms${result.tiles > 1 ? ` in ${result.tiles} tiles` : ""}`;
    this.caption.textContent = `${name} · ${width}×${height} · ${timing}`;
    this.root.dataset.result = `${width}x${height}`;
  }

  /** Strength: the stylised image over the content, mixed in the browser (no re-run). */
  private compose(): void {
    const r = this.result;
    if (!r) return;
    const ctx = context2d(this.afterCanvas);
    ctx.globalAlpha = 1;
    ctx.drawImage(r.content, 0, 0);
    ctx.globalAlpha = this.strength;
    ctx.drawImage(r.stylised, 0, 0);
    ctx.globalAlpha = 1;
  }

  private setCompare(percent: number): void {
    this.beforeCanvas.style.clipPath = `inset(0 ${100 - percent}% 0 0)`;
    this.divider.style.left = `${percent}%`;
  }

  private download(): void {
    if (!this.result) return;
    const name = `${(this.content?.name ?? "muza").replace(/\.[a-z0-9]+$/i, "").replace(/[^\w-]+/g, "-")}-styled.png`;
    this.afterCanvas.toBlob((blob) => {
      if (!blob) {
        this.runMessage.error("The PNG could not be made.");
        return;
      }
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, "image/png");
  }

  // ------------------------------------------------------------------ for tests
  testState() {
    return {
      stylisations: this.stylisations,
      busy: this.running,
      styleWeights: this.styleWeights(),
      strength: this.strength,
      result: this.result ? { width: this.result.stylised.width, height: this.result.stylised.height, tiles: this.result.tiles, ms: this.result.ms } : null,
      webcam: this.webcam ? { active: this.webcam.active, processed: this.webcam.processed, dropped: this.webcam.dropped } : null,
    };
  }

  get currentStylizer(): Stylizer | null {
    return this.stylizer;
  }

  get currentCard(): ModelCard | null {
    return this.card;
  }

  /** Pixels of the last stylised image (before the strength mix) and of the shown one. */
  resultPixels(which: "stylised" | "shown" | "content" = "stylised"): ImageData | null {
    if (!this.result) return null;
    return pixelsOf(which === "stylised" ? this.result.stylised : which === "shown" ? this.afterCanvas : this.result.content);
  }
}

/**
 * Longest side one network run may take. WebGL keeps every activation in a texture; a run on
 * a (tile) region of side n holds n x n x 16-channel maps at full resolution, so n stays well
 * inside the GPU's texture limit (tfjs folds large tensors into squarish textures).
 */
function maxPassSide(overlap: number): number {
  if (tf.getBackend() !== "webgl") return SINGLE_PASS_MAX;
  let maxTexture = 4096;
  try {
    maxTexture = tf.env().getNumber("WEBGL_MAX_TEXTURE_SIZE");
  } catch {
    // flag unavailable: keep the conservative default
  }
  const side = Math.floor(maxTexture / 4) - 2 * overlap; // (n + 2 overlap)^2 * 16 values <= maxTexture^2 texels
  return Math.max(128, Math.min(SINGLE_PASS_MAX, Math.floor(side / 4) * 4));
}

/** The card's description, loss network, data and metrics, folded away. */
function aboutModel(card: ModelCard): HTMLElement {
  const lossNetwork = (card.extras as { loss_network?: string } | undefined)?.loss_network;
  const metrics = metricLines(card).slice(0, 8);
  return h(
    "details",
    { class: "style-about panel" },
    h("summary", { text: `About this model: ${card.title}` }),
    h("p", { text: card.description }),
    lossNetwork ? h("p", { class: "meta", text: `Loss network: ${lossNetwork}` }) : null,
    h("p", { class: "meta", text: `Training data: ${card.training.dataset}` }),
    metrics.length ? h("p", { class: "meta", text: metrics.join(" · ") }) : null,
  );
}

let current: StyleStudio | null = null;

function exposeForTests(studio: StyleStudio): void {
  const muza = ((window as unknown as { muza?: Record<string, unknown> }).muza ??= {});
  muza.style = {
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
  };
}

export const view: StudioView = {
  async mount(root) {
    current = new StyleStudio(root);
    await current.mount();
  },
  unmount() {
    current?.unmount();
    current = null;
  },
};
