// Canvas helpers for the Style studio: scaled copies, regions, and a PixelSource over a canvas.
import type { PixelSource } from "./stylizer";
import type { Rect } from "./tiling";

export type Drawable = CanvasImageSource & { width: number; height: number };

export function canvas(width: number, height: number): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  return c;
}

export function context2d(c: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = c.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("This browser cannot draw on a 2D canvas");
  return ctx;
}

/**
 * A copy of `image` at width x height, downscaled in halving steps so that large reductions
 * stay smooth (a single drawImage skips pixels).
 */
export function scaledCopy(image: Drawable, width: number, height: number, sw = image.width, sh = image.height): HTMLCanvasElement {
  let current: Drawable = image;
  let cw = sw;
  let ch = sh;
  while (cw / 2 >= width && ch / 2 >= height) {
    const half = canvas(Math.round(cw / 2), Math.round(ch / 2));
    const ctx = context2d(half);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(current, 0, 0, cw, ch, 0, 0, half.width, half.height);
    current = half;
    cw = half.width;
    ch = half.height;
  }
  const out = canvas(width, height);
  const ctx = context2d(out);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(current, 0, 0, cw, ch, 0, 0, width, height);
  return out;
}

export function pixelsOf(c: HTMLCanvasElement, rect: Rect = { x: 0, y: 0, width: c.width, height: c.height }): ImageData {
  return context2d(c).getImageData(rect.x, rect.y, rect.width, rect.height);
}

/** A PixelSource reading from a canvas that holds the image at full output size. */
export function canvasSource(c: HTMLCanvasElement): PixelSource {
  return {
    width: c.width,
    height: c.height,
    read: (rect) => pixelsOf(c, rect),
    scaled: (width, height) => pixelsOf(scaledCopy(c, width, height)),
  };
}
