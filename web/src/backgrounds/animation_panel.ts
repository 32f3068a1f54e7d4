// The animated-background panel: size, length, frame rate and motion of a seamless loop, the
// time it will take on this machine (measured), progress with Cancel, the video and its download.
import { h, uniqueId } from "../ui/dom";
import { downloadBlob } from "../ui/download";
import { ProgressBar } from "../ui/progress";
import { sliderRow } from "../ui/slider_row";
import { fileStem, type BackgroundSettings } from "./bg_state";
import { LoopRecorder, recorderType, type LoopHost, type LoopOptions, type LoopResult } from "./loop_recorder";
import { CancelledError } from "./render";

export interface AnimationHost extends LoopHost {
  settings(): BackgroundSettings;
  names(): string[];
  readonly downloads: { metadata(s: BackgroundSettings): [string, string][] };
  error(text: string): void;
  info(text: string): void;
}

const SIZES: [number, number][] = [[640, 360], [1280, 720], [1920, 1080]];

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

export class AnimationPanel {
  readonly element: HTMLElement;
  readonly recorder: LoopRecorder;
  readonly progress = new ProgressBar("Animated loop");
  /** ms per frame at the chosen size (measured), or null. */
  msPerFrame: number | null = null;
  last: LoopResult | null = null;
  private readonly options: LoopOptions = { seconds: 10, fps: 30, width: 1280, height: 720, motion: 0.4 };
  private readonly estimate = h("p", { class: "bg-estimate", "aria-live": "polite" });
  private readonly result = h("div", { class: "bg-loop-result" });
  private readonly recordButton = h("button", { type: "button", class: "bg-record", text: "Record WebM" });
  private readonly cancelButton = h("button", { type: "button", class: "secondary bg-loop-cancel", text: "Cancel", hidden: true });
  private controller: AbortController | null = null;
  private measuring: Promise<void> = Promise.resolve();
  private videoUrl = "";

  constructor(private readonly host: AnimationHost) {
    this.recorder = new LoopRecorder(host);
    const select = (cls: string, label: string, values: [string, string][], initial: string, onChange: (v: string) => void) => {
      const id = uniqueId(cls);
      const el = h("select", { id, class: cls }, ...values.map(([v, text]) => h("option", { value: v, text, selected: v === initial })));
      el.addEventListener("change", () => onChange(el.value));
      return h("span", { class: "bg-pair" }, h("label", { for: id, text: label }), el);
    };
    const motion = sliderRow({
      label: "Motion", title: "How far the texture drifts during the loop (0 = still)", min: 0.1, max: 1, step: 0.05, value: this.options.motion,
      format: (v) => v.toFixed(2), onInput: (v) => (this.options.motion = v), data: { control: "motion" },
    });
    this.recordButton.addEventListener("click", () => void this.record());
    this.cancelButton.addEventListener("click", () => this.controller?.abort());
    const details = h("details", { class: "panel bg-animation" },
      h("summary", { text: "Animated loop (WebM)" }),
      h("p", { class: "hint", text: "A short seamless loop: the local noise drifts and comes back to where it started, so the video plays on without a jump. Every frame is rendered first, then the loop is recorded in real time." }),
      h("div", { class: "toolbar" },
        select("bg-loop-size", "Size", SIZES.map(([w, hgt]) => [`${w}x${hgt}`, `${w}×${hgt}`]), "1280x720", (v) => {
          [this.options.width, this.options.height] = v.split("x").map(Number);
          this.remeasure();
        }),
        select("bg-loop-seconds", "Length", [["5", "5 s"], ["10", "10 s"], ["20", "20 s"]], "10", (v) => {
          this.options.seconds = Number(v);
          this.showEstimate();
        }),
        select("bg-loop-fps", "Frame rate", [["24", "24 fps"], ["30", "30 fps"]], "30", (v) => {
          this.options.fps = Number(v);
          this.showEstimate();
        })),
      h("div", { class: "slider-list" }, motion.element),
      this.estimate,
      h("div", { class: "toolbar" }, this.recordButton, this.cancelButton),
      this.progress.element, this.result);
    details.addEventListener("toggle", () => details.open && this.msPerFrame === null && this.remeasure());
    this.element = details;
    if (!recorderType()) {
      this.recordButton.disabled = true;
      this.estimate.textContent = "This browser cannot record WebM video (no MediaRecorder for video/webm).";
    }
  }

  /** Measures the time per frame at the chosen size with the current settings. */
  remeasure(): Promise<void> {
    const controller = new AbortController();
    this.estimate.textContent = `Measuring how fast this machine renders ${this.options.width}×${this.options.height} frames…`;
    this.measuring = this.measuring.then(async () => {
      try {
        this.msPerFrame = await this.recorder.measure(this.host.settings(), this.options, controller.signal);
        this.showEstimate();
      } catch (error) {
        this.estimate.textContent = `Could not measure: ${(error as Error).message}`;
      }
    });
    return this.measuring;
  }

  private showEstimate(): void {
    if (this.msPerFrame === null) return;
    const o = this.options;
    const frames = Math.round(o.seconds * o.fps);
    const fps = 1000 / this.msPerFrame;
    const render = frames * this.msPerFrame;
    const realTime = fps >= o.fps;
    this.estimate.textContent = `${o.width}×${o.height}: ${Math.round(this.msPerFrame)} ms per frame here (${fps >= 10 ? fps.toFixed(0) : fps.toFixed(1)} fps${realTime ? ", faster than real time" : `; the loop needs ${o.fps}`}). ` +
      `${frames} frames take about ${duration(render)} to render, then ${o.seconds} s to record: about ${duration(render + o.seconds * 1000)} in all.`;
  }

  async record(options: Partial<LoopOptions> = {}): Promise<LoopResult | null> {
    const o = { ...this.options, ...options };
    const s = this.host.settings();
    const controller = new AbortController();
    this.controller = controller;
    this.recordButton.disabled = true;
    this.cancelButton.hidden = false;
    const started = performance.now();
    try {
      const result = await this.recorder.record(s, o, this.host.downloads.metadata({ ...s, width: o.width, height: o.height }), controller.signal, (phase, done, total) => {
        const fraction = phase === "render" ? (0.9 * done) / total : 0.9 + (0.1 * done) / total;
        this.progress.fraction(fraction, phase === "render" ? `frame ${done} of ${total} · ${duration(performance.now() - started)}` : `recording ${done} of ${total}`);
      });
      this.last = result;
      this.showResult(result, `${fileStem({ ...s, width: o.width, height: o.height }, this.host.names())}-loop.webm`);
      return result;
    } catch (error) {
      if (error instanceof CancelledError) this.host.info("Cancelled the loop.");
      else this.host.error(`The loop could not be recorded: ${(error as Error).message}`);
      return null;
    } finally {
      this.controller = null;
      this.recordButton.disabled = false;
      this.cancelButton.hidden = true;
      this.progress.hide();
    }
  }

  private showResult(result: LoopResult, name: string): void {
    if (this.videoUrl) URL.revokeObjectURL(this.videoUrl);
    this.videoUrl = URL.createObjectURL(result.blob);
    const video = h("video", { class: "bg-video", src: this.videoUrl, controls: true, loop: true, muted: true, playsinline: true });
    const download = h("button", { type: "button", class: "bg-download-webm", text: "Download WebM" });
    download.addEventListener("click", () => downloadBlob(result.blob, name));
    this.result.replaceChildren(video,
      h("p", { class: "meta", text: `${result.frames} frames rendered in ${duration(result.renderMs)}, recorded in ${duration(result.recordMs)} (${result.mimeType}, ${(result.bytes.length / 1e6).toFixed(1)} MB).` }),
      download);
  }

  idle(): Promise<void> {
    return this.measuring;
  }

  dispose(): void {
    this.controller?.abort();
    if (this.videoUrl) URL.revokeObjectURL(this.videoUrl);
  }
}
