// The Style studio's choices as plain numbers: output sizes, style mixing weights, the blend
// label, the largest single network pass, the download name. Pure functions: no tensors, no DOM.

/** Output sizes (long side). Above SINGLE_PASS_MAX the image is stylised in tiles. */
export const RESOLUTIONS = [256, 512, 1024, 2048];
export const MAX_SIDE = 2048;
export const SINGLE_PASS_MAX = 512;
export const TILE_CORE = 512;
export const WEBCAM_MAX = 384;
/**
 * Shortest side the network is run on. At 64 px its 1/4-resolution trunk still has 16 x 16
 * positions for the instance-norm statistics (the network was trained on 128 px crops);
 * below that a picture comes out as flat colour. Smaller images are enlarged or padded.
 */
export const MIN_SIDE = 64;

/** How an image below MIN_SIDE is brought to a size the network can stylise. */
export interface SmallImagePlan {
  /** Size of the result (and of the image fed to the network before any padding). */
  width: number;
  height: number;
  /** "enlarged": scaled up so its short side is `minSide`; "padded": mirrored around up to `minSide`, then cropped back. */
  change: "none" | "enlarged" | "padded";
  /** A sentence for the visitor (empty when nothing changed). */
  note: string;
}

/**
 * Images whose short side is below `minSide` are enlarged (aspect kept, short side = minSide)
 * when the enlarged long side stays within `longLimit` (the chosen resolution); otherwise
 * (very thin strips) they keep their size and the network runs on a mirrored, padded copy
 * whose padding is cropped away.
 */
export function smallImagePlan(width: number, height: number, minSide: number, longLimit: number): SmallImagePlan {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (short >= minSide) return { width, height, change: "none", note: "" };
  const scale = minSide / short;
  const w = Math.max(minSide, Math.round(width * scale));
  const h = Math.max(minSide, Math.round(height * scale));
  const size = `${width}×${height} px`;
  if (Math.max(w, h) <= Math.max(longLimit, long)) {
    return {
      width: w, height: h, change: "enlarged",
      note: `This image is ${size}, smaller than the ${minSide} px a side the style network needs: it was enlarged to ${w}×${h} and stylised at that size.`,
    };
  }
  return {
    width, height, change: "padded",
    note: `This image is ${size}, narrower than the ${minSide} px the style network needs: it was padded with mirrored copies of itself to ${minSide} px for the network, and the result was cropped back to ${width}×${height}.`,
  };
}

/** Mixing weights (sum 1) over `count` styles: style `a`, blended with `b` (null: none) at `blend` (0: all a, 1: all b). */
export function styleWeights(count: number, a: number, b: number | null, blend: number): number[] {
  const weights = new Array<number>(count).fill(0);
  if (!count) return weights;
  if (b === null || b === a) weights[a] = 1;
  else {
    weights[a] = 1 - blend;
    weights[b] = blend;
  }
  return weights;
}

/** "70% The Starry Night · 30% The Scream", or "—" with one style. */
export function blendLabel(titles: readonly string[], a: number, b: number | null, blend: number): string {
  if (b === null || !titles.length) return "—";
  const pctB = Math.round(blend * 100);
  return `${100 - pctB}% ${titles[a]} · ${pctB}% ${titles[b]}`;
}

/**
 * Longest side one network run may take. WebGL keeps every activation in a texture; a run on
 * a (tile) region of side n holds n x n x 16-channel maps at full resolution, so n stays well
 * inside the GPU's texture limit (tfjs folds large tensors into squarish textures).
 * `maxTexture` is WebGL's texture limit, or null on the other backends (no such limit).
 */
export function maxPassSide(maxTexture: number | null, overlap: number): number {
  if (maxTexture === null) return SINGLE_PASS_MAX;
  const side = Math.floor(maxTexture / 4) - 2 * overlap; // (n + 2 overlap)^2 * 16 values <= maxTexture^2 texels
  return Math.max(128, Math.min(SINGLE_PASS_MAX, Math.floor(side / 4) * 4));
}

/** The PNG's name: the photo's name without its extension, made safe, then "-styled.png". */
export function downloadName(photoName: string | undefined): string {
  return `${(photoName ?? "muza").replace(/\.[a-z0-9]+$/i, "").replace(/[^\w-]+/g, "-")}-styled.png`;
}
