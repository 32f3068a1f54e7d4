// Latent-space arithmetic without tensors or DOM: seeded normal samples, float16
// rounding, slerp, A − B + C, keeping locked directions, base64url.
import { seededUniform } from "../random";

/** `dim` standard-normal values from `seed` (Box–Muller), rounded to float16. */
export function seededLatent(seed: number, dim: number): Float64Array {
  const uniform = seededUniform(seed);
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i += 2) {
    const u1 = 1 - uniform(); // (0, 1]: log is finite
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    out[i] = roundHalf(radius * Math.cos(2 * Math.PI * u2));
    if (i + 1 < dim) out[i + 1] = roundHalf(radius * Math.sin(2 * Math.PI * u2));
  }
  return out;
}

// ------------------------------------------------------------------ float16
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of `value`, rounded to nearest even. */
export function halfBits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half += 1;
  return sign | half;
}

export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** The nearest float16 value: every number in a latent point is kept at this precision, so a share code restores it exactly. */
export function roundHalf(value: number): number {
  return fromHalfBits(halfBits(value));
}

// ------------------------------------------------------------------ vectors
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/**
 * Spherical interpolation between latents `a` (s = 0) and `b` (s = 1), as Gaussian
 * latents live near a sphere; straight lines between them pass through the
 * low-norm middle. Falls back to a straight line for (anti)parallel vectors.
 */
export function slerp(a: Float32Array, b: Float32Array, s: number): Float32Array {
  if (s <= 0) return Float32Array.from(a);
  if (s >= 1) return Float32Array.from(b);
  const na = norm(a);
  const nb = norm(b);
  const cos = na && nb ? Math.min(1, Math.max(-1, dot(a, b) / (na * nb))) : 1;
  const theta = Math.acos(cos);
  const out = new Float32Array(a.length);
  if (Math.sin(theta) < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - s) * a[i] + s * b[i];
    return out;
  }
  const wa = Math.sin((1 - s) * theta) / Math.sin(theta);
  const wb = Math.sin(s * theta) / Math.sin(theta);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

/** A − B + C, element-wise (the "man − man + sunglasses" of seed 004). */
export function analogy(a: Float32Array, b: Float32Array, c: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i] + c[i];
  return out;
}

/** Orthonormal basis of the span of `vectors` (Gram–Schmidt; dependent vectors are skipped). */
export function orthonormalBasis(vectors: ArrayLike<number>[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const v of vectors) {
    const w = Float64Array.from(v);
    for (const q of basis) {
      const p = dot(w, q);
      for (let i = 0; i < w.length; i++) w[i] -= p * q[i];
    }
    const n = norm(w);
    if (n > 1e-9) basis.push(w.map((x) => x / n));
  }
  return basis;
}

/**
 * `fresh` with its components along `vectors` replaced by those of `kept`: a new
 * random point that still sits where `kept` did along the locked directions.
 */
export function keepComponents(fresh: Float64Array, kept: Float64Array, vectors: ArrayLike<number>[]): Float64Array {
  const out = Float64Array.from(fresh);
  for (const q of orthonormalBasis(vectors)) {
    const p = dot(kept, q) - dot(fresh, q);
    for (let i = 0; i < out.length; i++) out[i] += p * q[i];
  }
  return out;
}

// ------------------------------------------------------------------ base64url
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}
