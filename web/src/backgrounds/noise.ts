// The generator's input, made on the CPU: a grid of cells, each with L local channels (seeded
// N(0, 1) noise: the texture's detail) and G global channels (the texture weights of the cell
// times the texture points: which texture, blend or morph). No tensors, no DOM.

/** A 32-bit integer hash of a few integers (murmur3's finaliser over a running mix). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * A standard normal number for (seed, stream, y, x, channel), the same whatever the grid's
 * size, so a larger output keeps a smaller one's cells where they overlap (Box-Muller).
 */
export function gaussianAt(seed: number, stream: number, y: number, x: number, channel: number): number {
  const u1 = (hash32(seed, stream, y, x, channel, 1) + 0.5) / 4294967296;
  const u2 = (hash32(seed, stream, y, x, channel, 2) + 0.5) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Local noise of an h x w grid: [h * w * channels], row-major, channels last. */
export function localNoise(seed: number, stream: number, h: number, w: number, channels: number): Float32Array {
  const out = new Float32Array(h * w * channels);
  let i = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) out[i++] = gaussianAt(seed, stream, y, x, c);
  return out;
}

/**
 * A frame of a seamless loop: `still · √(1 − ρ²) + ρ · (b cos θ + c sin θ)` with three
 * independent noise fields. Every frame is N(0, 1) noise again, θ = 2π closes the loop, and
 * `motion` (ρ, 0..1) sets how far the texture drifts from its still form.
 */
export function loopNoise(still: Float32Array, b: Float32Array, c: Float32Array, motion: number, theta: number): Float32Array {
  const rho = Math.max(0, Math.min(1, motion));
  const keep = Math.sqrt(1 - rho * rho);
  const cos = rho * Math.cos(theta);
  const sin = rho * Math.sin(theta);
  const out = new Float32Array(still.length);
  for (let i = 0; i < out.length; i++) out[i] = keep * still[i] + cos * b[i] + sin * c[i];
  return out;
}

/**
 * The whole input: [h * w * (L + G)], local noise times `variation` in the first L channels,
 * then `Σ_k weights[cell, k] · points[k]` (K entries per cell, points [K][G]).
 */
export function noiseGrid(local: Float32Array, variation: number, weights: Float32Array, points: ArrayLike<number>[], h: number, w: number, localChannels: number): Float32Array {
  const cells = h * w;
  const k = points.length;
  const g = k ? points[0].length : 0;
  if (local.length !== cells * localChannels) throw new Error(`local noise has ${local.length} values, expected ${cells * localChannels}`);
  if (weights.length !== cells * k) throw new Error(`texture weights have ${weights.length} values, expected ${cells * k}`);
  const channels = localChannels + g;
  const out = new Float32Array(cells * channels);
  for (let cell = 0; cell < cells; cell++) {
    const o = cell * channels;
    for (let c = 0; c < localChannels; c++) out[o + c] = variation * local[cell * localChannels + c];
    for (let e = 0; e < k; e++) {
      const wgt = weights[cell * k + e];
      if (wgt === 0) continue;
      const point = points[e];
      for (let c = 0; c < g; c++) out[o + localChannels + c] += wgt * point[c];
    }
  }
  return out;
}
