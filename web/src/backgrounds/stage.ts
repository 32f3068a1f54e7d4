// The picture: the rendered output canvas (full size, drawn smaller by CSS), or a 2x2
// repeat of it that shows it tiles, with a caption.
import { h } from "../ui/dom";

export function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("This browser has no 2D canvas");
  return ctx;
}

export function blankCanvas(width: number, height: number, className = ""): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  if (className) canvas.className = className;
  return canvas;
}

/** A copy of `source` scaled to fit `maxSide` on its long side (smoothed). */
export function fitted(source: HTMLCanvasElement, maxSide: number): HTMLCanvasElement {
  const scale = Math.min(1, maxSide / Math.max(source.width, source.height));
  const out = blankCanvas(Math.max(1, Math.round(source.width * scale)), Math.max(1, Math.round(source.height * scale)));
  const ctx = context2d(out);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, out.width, out.height);
  return out;
}

export class Stage {
  readonly element: HTMLElement;
  readonly caption = h("figcaption", { class: "bg-caption", "aria-live": "polite" });
  private readonly frame = h("div", { class: "bg-frame" });
  private output: HTMLCanvasElement;
  private readonly tiles = blankCanvas(2, 2, "bg-tiles");
  private tiled = false;

  constructor() {
    this.output = blankCanvas(16, 9, "bg-output");
    this.output.setAttribute("role", "img");
    this.output.setAttribute("aria-label", "Generated background");
    this.tiles.setAttribute("role", "img");
    this.tiles.setAttribute("aria-label", "The background repeated 2×2: no seam shows where the copies meet");
    this.frame.append(this.output);
    this.element = h("figure", { class: "bg-stage" }, this.frame, this.caption);
  }

  get canvas(): HTMLCanvasElement {
    return this.output;
  }

  get tiling(): boolean {
    return this.tiled;
  }

  /** Shows a newly rendered canvas (it becomes the one downloads read). */
  show(canvas: HTMLCanvasElement): void {
    canvas.className = "bg-output";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Generated background, ${canvas.width}×${canvas.height}`);
    this.output = canvas;
    this.refresh();
  }

  setTiled(on: boolean): void {
    this.tiled = on;
    this.refresh();
  }

  /** Redraws the 2x2 repeat from the output (after a colour change in place, too). */
  refresh(): void {
    if (this.tiled) {
      const { width, height } = this.output;
      const scale = Math.min(1, 800 / Math.max(width, height));
      const w = Math.max(1, Math.round(width * scale));
      const hgt = Math.max(1, Math.round(height * scale));
      this.tiles.width = 2 * w;
      this.tiles.height = 2 * hgt;
      const ctx = context2d(this.tiles);
      ctx.imageSmoothingQuality = "high";
      for (const [x, y] of [[0, 0], [w, 0], [0, hgt], [w, hgt]]) ctx.drawImage(this.output, x, y, w, hgt);
      this.frame.replaceChildren(this.tiles);
    } else {
      this.frame.replaceChildren(this.output);
    }
    this.element.classList.toggle("tiled", this.tiled);
    this.frame.classList.toggle("portrait", this.output.height > this.output.width);
  }
}
