// The result column: the before/after comparison (the strength mix is drawn here, without
// re-running the network), tile progress with Cancel, messages and the PNG download.
import { h } from "../ui/dom";
import { canvasBlob, downloadBlob } from "../ui/download";
import { ProgressBar, messageBox } from "../ui/progress";
import { canvas, context2d, pixelsOf } from "./pixels";

export interface Result {
  content: HTMLCanvasElement; // the input at output size
  stylised: HTMLCanvasElement;
  ms: number;
  tiles: number;
  weights: number[];
}

export class ResultView {
  readonly element: HTMLElement;
  readonly message = messageBox();
  readonly tileProgress = new ProgressBar("Stylising tiles");
  readonly cancelButton = h("button", { type: "button", class: "secondary", text: "Cancel", hidden: true });
  private result: Result | null = null;
  private strength = 1;
  private readonly stage = h("figure", { class: "style-compare", hidden: true });
  private readonly afterCanvas = canvas(1, 1);
  private readonly beforeCanvas = canvas(1, 1);
  private readonly compareSlider = h("input", { type: "range", min: 0, max: 100, value: 50, step: 1, "aria-label": "Before/after comparison", class: "style-compare-slider" });
  private readonly divider = h("div", { class: "style-divider", "aria-hidden": "true" });
  private readonly caption = h("figcaption", { class: "style-result-caption" });
  private readonly placeholder = h("div", { class: "style-placeholder" }, h("p", { text: "Choose a photo, a sample or the webcam to begin." }));
  private readonly downloadButton = h("button", { type: "button", text: "Download PNG", disabled: true });

  /** `fileName` names the PNG when the visitor downloads it. */
  constructor(private readonly fileName: () => string) {
    this.afterCanvas.className = "style-after";
    this.beforeCanvas.className = "style-before";
    this.beforeCanvas.setAttribute("aria-label", "Original photo");
    this.afterCanvas.setAttribute("aria-label", "Stylised photo");
    this.afterCanvas.setAttribute("role", "img");
    this.beforeCanvas.setAttribute("role", "img");
    this.stage.append(
      this.afterCanvas,
      this.beforeCanvas,
      this.divider,
      h("span", { class: "style-tag style-tag-before", text: "Before" }),
      h("span", { class: "style-tag style-tag-after", text: "After" }),
      this.compareSlider,
      this.caption,
    );
    this.element = h("div", { class: "style-output" },
      this.placeholder,
      this.stage,
      h("div", { class: "style-row style-jobs" }, this.tileProgress.element, this.cancelButton),
      this.message.element,
      h("div", { class: "style-row" }, this.downloadButton),
    );
    this.compareSlider.addEventListener("input", () => this.setCompare(Number(this.compareSlider.value)));
    this.downloadButton.addEventListener("click", () => void this.download());
    this.setCompare(50);
  }

  get current(): Result | null {
    return this.result;
  }

  show(result: Result, name: string): void {
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
  }

  /** Strength: the stylised image over the content, mixed in the browser (no re-run). */
  setStrength(strength: number): void {
    this.strength = strength;
    this.compose();
  }

  /** Pixels of the last stylised image (before the strength mix), of the shown one, or of its input. */
  pixels(which: "stylised" | "shown" | "content"): ImageData | null {
    if (!this.result) return null;
    return pixelsOf(which === "stylised" ? this.result.stylised : which === "shown" ? this.afterCanvas : this.result.content);
  }

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

  private async download(): Promise<void> {
    if (!this.result) return;
    try {
      downloadBlob(await canvasBlob(this.afterCanvas), this.fileName());
    } catch {
      this.message.error("The PNG could not be made.");
    }
  }
}
