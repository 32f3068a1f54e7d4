// The Style studio: wires the panels (photo, style, output, result) to the Stylizer and runs
// the stylisations: at most one at a time, the newest request next, tiles above 512 px, or a
// live webcam loop. Inference lives in stylizer.ts, the panels in their own files.
import * as tf from "@tensorflow/tfjs";
import { metricLines } from "../ui/catalogue_list";
import { h } from "../ui/dom";
import { ProgressBar } from "../ui/progress";
import { initialized, studioModels, type ModelCard } from "../models";
import { OutputPanel } from "./output_panel";
import { PhotoPanel, SAMPLES } from "./photo_panel";
import { canvas, canvasSource, context2d, pixelsOf, scaledCopy, type Drawable } from "./pixels";
import { ResultView, type Result } from "./result_view";
import { MAX_SIDE, MIN_SIDE, TILE_CORE, WEBCAM_MAX, downloadName, maxPassSide, smallImagePlan } from "./settings";
import { StylePanel } from "./style_panel";
import { CancelledError, Stylizer, fitLongSide } from "./stylizer";
import { WebcamLoop } from "./webcam";

interface Content {
  name: string;
  /** The input at up to MAX_SIDE on its long side. */
  image: HTMLCanvasElement;
}

/** Everything one mounted studio owns; unmount() disposes it. */
export class StyleStudio {
  private stylizer: Stylizer | null = null;
  private card: ModelCard | null = null;
  private content: Content | null = null;
  private job: AbortController | null = null;
  private pending = false;
  private running = false;
  private webcam: WebcamLoop | null = null;
  private disposed = false;
  private stylisations = 0;
  private readonly modelLine = h("p", { class: "style-model", role: "status" });
  private readonly credits = h("p", { class: "credits style-credits" });
  private readonly loadProgress = new ProgressBar("Loading the style network");
  private readonly photo = new PhotoPanel({
    setPhoto: (name, image) => this.setContent(name, image),
    hasResult: () => this.view.current !== null,
    toggleWebcam: () => void this.toggleWebcam(),
    captureFrame: () => this.captureFrame(),
  });
  private readonly styles = new StylePanel(() => this.requestStylise());
  private readonly output = new OutputPanel({
    onStrength: (strength) => this.view.setStrength(strength),
    onResolution: () => this.requestStylise(),
  });
  private readonly view = new ResultView(() => downloadName(this.content?.name));

  constructor(private readonly root: HTMLElement) {
    root.append(
      h("h1", { text: "Style" }),
      h("p", { class: "lead", text: "Restyle a photo as a painting with a fast style-transfer network: blend two styles, set the strength, compare and download." }),
      this.modelLine,
      this.loadProgress.element,
      h("div", { class: "style-layout" }, h("div", { class: "style-controls" }, this.photo.element, this.styles.element, this.output.element), this.view.element),
      this.credits,
    );
    this.credits.textContent = `Sample photos: ${SAMPLES.map((s) => `${s.title}, ${s.credit}`).join("; ")}.`;
    this.view.cancelButton.addEventListener("click", () => this.job?.abort());
  }

  async mount(): Promise<void> {
    const cards = await studioModels("style", "No style model has been exported yet. Train one with `python -m training style train` (see the README).");
    if (!Array.isArray(cards)) {
      this.modelLine.textContent = cards.text;
      this.modelLine.classList.toggle("error", cards.error);
      return;
    }
    const card = cards[0];
    this.card = card;
    this.modelLine.textContent = `Loading ${card.title}…`;
    let stylizer: Stylizer;
    try {
      stylizer = await initialized(new Stylizer(card), (loaded, total) => this.loadProgress.bytes(loaded, total));
    } catch (error) {
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
    this.styles.setStyles(card, stylizer.styles);
    this.credits.textContent = [card.credits, this.credits.textContent].filter(Boolean).join(" ");
    this.credits.before(aboutModel(card));
    this.root.dataset.model = card.name;
  }

  unmount(): void {
    this.disposed = true;
    this.job?.abort();
    this.webcam?.stop();
    this.photo.dispose();
    this.styles.dispose();
    this.stylizer?.dispose();
    this.stylizer = null;
  }

  private setContent(name: string, image: Drawable): void {
    this.stopWebcam();
    const fit = fitLongSide(image.width, image.height, MAX_SIDE);
    this.content = { name, image: scaledCopy(image, fit.width, fit.height) };
    if (fit.width !== image.width) {
      this.photo.message.info(`${name} is ${image.width}×${image.height}; it was scaled down to ${fit.width}×${fit.height} (the largest size Muza stylises).`);
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
    this.photo.message.clear();
    this.job?.abort();
    const stylizer = this.stylizer;
    const frame = { src: canvas(1, 1), stylised: canvas(1, 1) };
    this.webcam = new WebcamLoop({
      onFrame: async (video) => {
        const fit = fitLongSide(video.videoWidth, video.videoHeight, Math.min(WEBCAM_MAX, this.output.resolution));
        if (frame.src.width !== fit.width || frame.src.height !== fit.height) {
          frame.src = canvas(fit.width, fit.height);
          frame.stylised = canvas(fit.width, fit.height);
        }
        context2d(frame.src).drawImage(video, 0, 0, fit.width, fit.height);
        const start = performance.now();
        const out = await stylizer.stylize(pixelsOf(frame.src), this.styles.weights(), undefined, MIN_SIDE);
        if (!this.webcam?.active || this.disposed) return; // stopped while this frame ran
        context2d(frame.stylised).putImageData(out, 0, 0);
        this.showResult({ content: frame.src, stylised: frame.stylised, ms: performance.now() - start, tiles: 1, weights: this.styles.weights() }, "Webcam");
      },
      onFps: (fps) => this.photo.showFps(fps),
      onError: (error) => {
        this.photo.message.error(`Webcam stopped: ${error.message}`);
        this.webcamUi(false);
      },
    });
    try {
      await this.webcam.start();
      this.webcamUi(true);
    } catch (error) {
      this.photo.message.error((error as Error).message);
      this.webcamUi(false);
    }
  }

  private webcamUi(on: boolean): void {
    this.photo.webcamUi(on);
    this.root.dataset.webcam = on ? "on" : "off";
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
    const weights = this.styles.weights();
    const fit = fitLongSide(content.image.width, content.image.height, this.output.resolution);
    // Below MIN_SIDE: enlarged, or (thin strips) padded by the stylizer and cropped back.
    const size = smallImagePlan(fit.width, fit.height, MIN_SIDE, this.output.resolution);
    const input = scaledCopy(content.image, size.width, size.height);
    const stylised = canvas(size.width, size.height);
    const job = new AbortController();
    this.job = job;
    const { message, tileProgress, cancelButton } = this.view;
    message.clear();
    const start = performance.now();
    let tiles = 1;
    try {
      const maxPass = maxPassSide(webglTextureLimit(), stylizer.overlap);
      if (Math.max(size.width, size.height) <= maxPass) {
        context2d(stylised).putImageData(await stylizer.stylize(pixelsOf(input), weights, undefined, MIN_SIDE), 0, 0);
      } else {
        cancelButton.hidden = false;
        const out = context2d(stylised);
        const plan = await stylizer.stylizeTiled(canvasSource(input), weights, {
          maxCore: Math.min(TILE_CORE, maxPass),
          minSide: MIN_SIDE,
          signal: job.signal,
          onProgress: (done, total) => tileProgress.fraction(done / total, `tile ${done} of ${total}`),
          write: (rect, pixels) => out.putImageData(pixels, rect.x, rect.y),
        });
        tiles = plan.tiles.length;
      }
      if (this.disposed) return;
      this.stylisations += 1;
      this.showResult({ content: input, stylised, ms: performance.now() - start, tiles, weights }, content.name);
      if (size.note) message.info(size.note);
      this.root.dataset.stylisations = String(this.stylisations);
    } catch (error) {
      const kept = this.view.current !== null;
      if (error instanceof CancelledError) {
        if (!this.pending) message.info(kept ? "Cancelled: the previous result is kept." : "Cancelled.");
      } else {
        message.error(`Stylisation failed: ${(error as Error).message}${kept ? " The previous result is kept." : ""}`);
      }
    } finally {
      cancelButton.hidden = true;
      tileProgress.hide();
      if (this.job === job) this.job = null;
    }
  }

  private showResult(result: Result, name: string): void {
    this.view.show(result, name);
    this.root.dataset.result = `${result.stylised.width}x${result.stylised.height}`;
  }

  // ------------------------------------------------------------------ for tests
  testState() {
    const result = this.view.current;
    return {
      stylisations: this.stylisations,
      busy: this.running,
      styleWeights: this.styles.weights(),
      strength: this.output.strength,
      result: result ? { width: result.stylised.width, height: result.stylised.height, tiles: result.tiles, ms: result.ms } : null,
      webcam: this.webcam ? { active: this.webcam.active, processed: this.webcam.processed, dropped: this.webcam.dropped } : null,
    };
  }

  get currentStylizer(): Stylizer | null {
    return this.stylizer;
  }

  get currentCard(): ModelCard | null {
    return this.card;
  }

  /** Pixels of the last stylised image (before the strength mix), of the shown one, or of its input. */
  resultPixels(which: "stylised" | "shown" | "content" = "stylised"): ImageData | null {
    return this.view.pixels(which);
  }
}

/** WebGL's texture limit when WebGL runs (null on the other backends). */
function webglTextureLimit(): number | null {
  if (tf.getBackend() !== "webgl") return null;
  try {
    return tf.env().getNumber("WEBGL_MAX_TEXTURE_SIZE");
  } catch {
    return 4096; // flag unavailable: a conservative default
  }
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
