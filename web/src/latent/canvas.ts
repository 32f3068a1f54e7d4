// Drawing generated pixels: the native-size canvas (upscaled by CSS) and scaled copies
// for download (ui/download.ts saves them).

export function pixelCanvas(size: number, className: string, label: string): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.className = className;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  return canvas;
}

export function drawPixels(canvas: HTMLCanvasElement, rgba: Uint8ClampedArray): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("This browser has no 2D canvas");
  ctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, canvas.width, canvas.height), 0, 0);
}

/** A copy of `source` scaled by `factor`, nearest-neighbour (crisp) or smoothed. */
export function scaledCanvas(source: HTMLCanvasElement, factor: number, smooth: boolean): HTMLCanvasElement {
  const out = document.createElement("canvas");
  out.width = source.width * factor;
  out.height = source.height * factor;
  const ctx = out.getContext("2d");
  if (!ctx) throw new Error("This browser has no 2D canvas");
  ctx.imageSmoothingEnabled = smooth;
  if (smooth) ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, out.width, out.height);
  return out;
}
