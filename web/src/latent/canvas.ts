// Drawing generated pixels: the native-size canvas (upscaled by CSS), scaled PNGs
// for download, and data: URLs for favourite thumbnails.

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

export function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("Could not encode the PNG"))), "image/png");
  });
}

/** Starts a download of `blob` as `filename` (blob: URLs are allowed by the CSP). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
