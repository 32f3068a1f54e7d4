// Texture weights per noise cell: a blend (the same mix everywhere) or a spatial morph (the
// chosen textures in order across the frame, like the stops of a gradient). Pure functions.

export type MorphShape = "horizontal" | "vertical" | "diagonal" | "radial";
export const MORPH_SHAPES: MorphShape[] = ["horizontal", "vertical", "diagonal", "radial"];

/** Non-negative weights scaled to sum 1; throws when none is positive. */
export function normalised(weights: number[]): number[] {
  const clean = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const sum = clean.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new Error("at least one texture needs a weight above 0");
  return clean.map((w) => w / sum);
}

/**
 * Where cell (y, x) of an h x w grid lies along the morph, 0..1 (cell centres). `repeat`
 * makes the position periodic over the grid (the morph returns to its start at the far
 * edge, so the image still tiles); radial positions (centre 0, corners 1) match at opposite
 * edges anyway.
 */
export function morphPosition(shape: MorphShape, y: number, x: number, h: number, w: number, repeat: boolean): number {
  const u = (x + 0.5) / w;
  const v = (y + 0.5) / h;
  switch (shape) {
    case "horizontal":
      return u;
    case "vertical":
      return v;
    case "diagonal":
      return repeat ? (u + v) % 1 : (u + v) / 2;
    case "radial":
      return Math.min(1, Math.hypot(u - 0.5, v - 0.5) / Math.SQRT1_2);
  }
}

const clamp01 = (v: number) => Math.max(0, Math.min(1, v));

/**
 * Weights of `count` stops at position t (0..1). Without `repeat`, stop i sits at (i + ½)/count;
 * with it, at i/count and once more (stop 0 again) at 1. Between neighbours the weight moves
 * linearly over `softness` (0..1] of their distance, centred on their midpoint; elsewhere one
 * stop has it all. Weights are ≥ 0 and sum to 1.
 */
export function stopWeights(count: number, t: number, softness: number, repeat: boolean): number[] {
  if (count < 1) throw new Error("a morph needs at least one texture");
  const out = new Array<number>(count).fill(0);
  if (count === 1) {
    out[0] = 1;
    return out;
  }
  const positions = repeat ? Array.from({ length: count + 1 }, (_, i) => i / count) : Array.from({ length: count }, (_, i) => (i + 0.5) / count);
  const width = Math.max(1e-6, Math.min(1, softness)) / count;
  // passed[i]: how far t has moved from stop i to stop i + 1 (1 = all of it).
  const passed = positions.slice(0, -1).map((p, i) => clamp01((t - (p + positions[i + 1]) / 2) / width + 0.5));
  for (let i = 0; i < positions.length; i++) {
    const before = i === 0 ? 1 : passed[i - 1];
    const after = i === positions.length - 1 ? 0 : passed[i];
    out[i % count] += before - after;
  }
  return out;
}

export interface MixLayout {
  mode: "blend" | "morph";
  /** One weight per chosen texture (blend mode); morphs go through the textures in order. */
  weights: number[];
  shape: MorphShape;
  repeat: boolean;
  softness: number;
}

/** [h * w * K] weights of the K chosen textures in every cell of an h x w grid. */
export function cellWeights(layout: MixLayout, h: number, w: number): Float32Array {
  const k = layout.weights.length;
  const out = new Float32Array(h * w * k);
  if (layout.mode === "blend" || k === 1) {
    const mix = normalised(layout.weights);
    for (let cell = 0; cell < h * w; cell++) out.set(mix, cell * k);
    return out;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out.set(stopWeights(k, morphPosition(layout.shape, y, x, h, w, layout.repeat), layout.softness, layout.repeat), (y * w + x) * k);
    }
  }
  return out;
}
