// Colour adjustments as one affine map of RGB (0..255): hue rotation about the grey axis,
// saturation towards luma, contrast about mid-grey, brightness as an offset. Per pixel only,
// so pieces of an image are adjusted exactly like the whole. Pure: the backend applies the
// map (BackgroundGenerator), this module only computes it.

export interface ColourSettings {
  /** Degrees, −180..180. */
  hue: number;
  /** 0 = grey, 1 = as generated, 2 = twice as vivid. */
  saturation: number;
  /** −1..1: the share of full scale added to every channel. */
  brightness: number;
  /** 1 = as generated; about mid-grey. */
  contrast: number;
}

export const NEUTRAL_COLOUR: ColourSettings = { hue: 0, saturation: 1, brightness: 0, contrast: 1 };

/** y = m · x + t for an RGB column x; m row-major 3x3. */
export interface ColourMap {
  m: number[];
  t: number[];
  identity: boolean;
}

const LUMA = [0.2126, 0.7152, 0.0722];

function multiply(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[3 * r + c] += a[3 * r + k] * b[3 * k + c];
  return out;
}

/** Rotation by `degrees` about the grey axis (1, 1, 1): greys stay grey, hues turn. */
export function hueMatrix(degrees: number): number[] {
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const d = cos + (1 - cos) / 3;
  const p = (1 - cos) / 3 + Math.sqrt(1 / 3) * sin;
  const q = (1 - cos) / 3 - Math.sqrt(1 / 3) * sin;
  return [d, q, p, p, d, q, q, p, d];
}

/** (1 − s) · luma + s · colour for each channel. */
export function saturationMatrix(s: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out.push((1 - s) * LUMA[c] + (r === c ? s : 0));
  return out;
}

export function isNeutral(c: ColourSettings): boolean {
  return c.hue === 0 && c.saturation === 1 && c.brightness === 0 && c.contrast === 1;
}

/** The affine map of `c`: contrast · (saturation · hue · x − 127.5) + 127.5 + 127.5 · brightness. */
export function colourMap(c: ColourSettings): ColourMap {
  const linear = multiply(saturationMatrix(c.saturation), hueMatrix(c.hue)).map((v) => v * c.contrast);
  const offset = 127.5 * (1 - c.contrast + c.brightness);
  return { m: linear, t: [offset, offset, offset], identity: isNeutral(c) };
}

/** The map applied to one pixel (for tests and previews of a single colour). */
export function applyColour(map: ColourMap, rgb: [number, number, number]): [number, number, number] {
  const out = [0, 1, 2].map((r) => map.m[3 * r] * rgb[0] + map.m[3 * r + 1] * rgb[1] + map.m[3 * r + 2] * rgb[2] + map.t[r]);
  return out.map((v) => Math.max(0, Math.min(255, Math.round(v)))) as [number, number, number];
}
