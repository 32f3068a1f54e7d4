// Where the visitor is in latent space: a base vector (from a seed, or edited), offsets
// along the interpretable directions, and truncation; locks; the compact share code.
import { fromBase64Url, fromHalfBits, halfBits, keepComponents, roundHalf, seededLatent, toBase64Url } from "./latent_math";

export interface LatentDirection {
  index: number;
  label: string;
  vector: Float64Array;
  /** Spread of the samples along this direction: slider units are multiples of it. */
  std: number;
  explainedVariance: number;
}

export interface DirectionsFile {
  latent_dim: number;
  layer?: string;
  directions: { index: number; label: string; vector: number[]; std: number; explained_variance?: number }[];
  truncation_default?: number;
}

/** A point in latent space, every number at float16 precision (so its share code is exact). */
export interface LatentPoint {
  seed: number;
  truncation: number;
  /** One per direction slider, in units of that direction's std. */
  offsets: Float64Array;
  base: Float64Array;
}

export const OFFSET_LIMIT = 3;
export const DIM_LIMIT = 4;
export const TRUNCATION_RANGE: [number, number] = [0.1, 1.5];

export function parseDirections(doc: DirectionsFile, latentDim: number, count: number): LatentDirection[] {
  if (doc.latent_dim !== latentDim) {
    throw new Error(`directions.json is for a ${doc.latent_dim}-dimensional latent, the model takes ${latentDim}`);
  }
  return doc.directions.slice(0, count).map((d, i) => {
    if (d.vector.length !== latentDim) throw new Error(`direction ${d.label} has ${d.vector.length} numbers, expected ${latentDim}`);
    return {
      index: d.index ?? i,
      label: d.label || `PC${i + 1}`,
      vector: Float64Array.from(d.vector),
      std: d.std > 0 ? d.std : 1,
      explainedVariance: d.explained_variance ?? 0,
    };
  });
}

/** The generator's input: truncation · base + Σ offset_k · std_k · direction_k. */
export function composeLatent(point: LatentPoint, directions: LatentDirection[]): Float32Array {
  const z = new Float64Array(point.base.length);
  for (let i = 0; i < z.length; i++) z[i] = point.truncation * point.base[i];
  directions.forEach((d, k) => {
    const step = point.offsets[k] * d.std;
    if (step === 0) return;
    for (let i = 0; i < z.length; i++) z[i] += step * d.vector[i];
  });
  return Float32Array.from(z);
}

/** A point whose composed latent is `latent` (up to float16 rounding): no offsets, truncation 1. */
export function pointFromLatent(latent: ArrayLike<number>, directionCount: number, seed: number): LatentPoint {
  return {
    seed,
    truncation: 1,
    offsets: new Float64Array(directionCount),
    base: Float64Array.from(latent, roundHalf),
  };
}

export function clonePoint(p: LatentPoint): LatentPoint {
  return { seed: p.seed, truncation: p.truncation, offsets: Float64Array.from(p.offsets), base: Float64Array.from(p.base) };
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ------------------------------------------------------------------ share code
// bytes: version 1 | flags (bit 0: base = seededLatent(seed)) | seed u32 | dim u16 |
// direction count u8 | truncation f16 | offsets f16 × count | base f16 × dim (unless bit 0)
const CODE_VERSION = 1;

export function encodePoint(p: LatentPoint): string {
  const fromSeed = sameValues(p.base, seededLatent(p.seed, p.base.length));
  const count = p.offsets.length;
  const bytes = new Uint8Array(11 + 2 * count + (fromSeed ? 0 : 2 * p.base.length));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, CODE_VERSION);
  view.setUint8(1, fromSeed ? 1 : 0);
  view.setUint32(2, p.seed >>> 0, true);
  view.setUint16(6, p.base.length, true);
  view.setUint8(8, count);
  view.setUint16(9, halfBits(p.truncation), true);
  let at = 11;
  for (const v of p.offsets) {
    view.setUint16(at, halfBits(v), true);
    at += 2;
  }
  if (!fromSeed) {
    for (const v of p.base) {
      view.setUint16(at, halfBits(v), true);
      at += 2;
    }
  }
  return toBase64Url(bytes);
}

export class ShareCodeError extends Error {}

export function decodePoint(code: string, latentDim: number, directionCount: number): LatentPoint {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(code);
  } catch {
    throw new ShareCodeError("The shared latent in this link is damaged (not base64url).");
  }
  if (bytes.length < 11 || bytes[0] !== CODE_VERSION) throw new ShareCodeError("The shared latent in this link is damaged or from a newer Muza.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fromSeed = (view.getUint8(1) & 1) === 1;
  const seed = view.getUint32(2, true);
  const dim = view.getUint16(6, true);
  const count = view.getUint8(8);
  if (dim !== latentDim) throw new ShareCodeError(`The shared latent has ${dim} dimensions; this model takes ${latentDim}.`);
  if (bytes.length !== 11 + 2 * count + (fromSeed ? 0 : 2 * dim)) throw new ShareCodeError("The shared latent in this link is truncated.");
  const truncation = fromHalfBits(view.getUint16(9, true));
  const offsets = new Float64Array(directionCount);
  for (let k = 0; k < count; k++) {
    const v = fromHalfBits(view.getUint16(11 + 2 * k, true));
    if (k < directionCount) offsets[k] = v;
    else if (v !== 0) throw new ShareCodeError("The shared latent uses directions this model does not have.");
  }
  let base: Float64Array;
  if (fromSeed) base = seededLatent(seed, dim);
  else {
    base = new Float64Array(dim);
    for (let i = 0; i < dim; i++) base[i] = fromHalfBits(view.getUint16(11 + 2 * count + 2 * i, true));
  }
  if (![truncation, ...offsets, ...base].every(Number.isFinite)) throw new ShareCodeError("The shared latent holds a non-finite number.");
  return { seed, truncation, offsets, base };
}

// ------------------------------------------------------------------ the studio's state
export class LatentState {
  point: LatentPoint;
  readonly lockedDirections = new Set<number>();
  readonly lockedDims = new Set<number>();

  constructor(
    readonly directions: LatentDirection[],
    readonly latentDim: number,
    readonly truncationDefault: number,
    seed: number,
  ) {
    this.point = {
      seed,
      truncation: roundHalf(truncationDefault),
      offsets: new Float64Array(directions.length),
      base: seededLatent(seed, latentDim),
    };
  }

  latent(): Float32Array {
    return composeLatent(this.point, this.directions);
  }

  setOffset(k: number, value: number): void {
    this.point.offsets[k] = roundHalf(Math.max(-OFFSET_LIMIT, Math.min(OFFSET_LIMIT, value)));
  }

  setDim(i: number, value: number): void {
    this.point.base[i] = roundHalf(Math.max(-DIM_LIMIT, Math.min(DIM_LIMIT, value)));
  }

  setTruncation(value: number): void {
    this.point.truncation = roundHalf(Math.max(TRUNCATION_RANGE[0], Math.min(TRUNCATION_RANGE[1], value)));
  }

  toggleDirectionLock(k: number): boolean {
    return toggle(this.lockedDirections, k);
  }

  toggleDimLock(i: number): boolean {
    return toggle(this.lockedDims, i);
  }

  /**
   * A new base from `seed`. Locked directions keep their offset and the base keeps its
   * component along them; locked raw dimensions keep their value; the rest starts at 0.
   */
  randomise(seed: number): void {
    const old = this.point.base;
    let base = seededLatent(seed, this.latentDim);
    // A locked raw dimension is a locked direction too: the unit vector along it.
    const locked: ArrayLike<number>[] = this.directions.filter((_, k) => this.lockedDirections.has(k)).map((d) => d.vector);
    for (const i of this.lockedDims) {
      const axis = new Float64Array(this.latentDim);
      axis[i] = 1;
      locked.push(axis);
    }
    if (locked.length) base = keepComponents(base, old, locked).map(roundHalf);
    for (const i of this.lockedDims) base[i] = old[i]; // exact, whatever the rounding did
    this.point.base = base;
    this.point.seed = seed >>> 0;
    this.point.offsets.forEach((_, k) => {
      if (!this.lockedDirections.has(k)) this.point.offsets[k] = 0;
    });
  }

  /** Unlocked sliders back to the seed's own point (offsets 0, raw values from the seed, default truncation). */
  reset(): void {
    const seeded = seededLatent(this.point.seed, this.latentDim);
    seeded.forEach((v, i) => {
      if (!this.lockedDims.has(i)) this.point.base[i] = v;
    });
    this.point.offsets.forEach((_, k) => {
      if (!this.lockedDirections.has(k)) this.point.offsets[k] = 0;
    });
    this.point.truncation = roundHalf(this.truncationDefault);
  }

  load(point: LatentPoint): void {
    this.point = clonePoint(point);
  }
}

function toggle(set: Set<number>, key: number): boolean {
  if (set.has(key)) set.delete(key);
  else set.add(key);
  return set.has(key);
}
