// What a background is (textures and weights, morph, seed, scale, variation, colour, size),
// its defaults and limits, the noise grid a size needs, and the share-link codec. Pure.
import { NEUTRAL_COLOUR, type ColourSettings } from "./colour";
import { MORPH_SHAPES, type MorphShape } from "./morph";

export interface MixEntry {
  /** Texture id (its position in textures.json). */
  id: number;
  weight: number;
}

export interface BackgroundSettings extends ColourSettings {
  mix: MixEntry[];
  mode: "blend" | "morph";
  shape: MorphShape;
  /** The morph comes back to its first texture at the far edge, so the image tiles. */
  repeat: boolean;
  softness: number;
  seed: number;
  /** Output pixels per generated pixel: 1 = the model's own 32 px per noise cell; 2 = features twice as big. */
  scale: number;
  /** Amplitude of the local noise (1 = as trained). */
  variation: number;
  width: number;
  height: number;
}

export interface SizePreset {
  label: string;
  width: number;
  height: number;
}

export const SIZE_PRESETS: SizePreset[] = [
  { label: "HD 1280×720", width: 1280, height: 720 },
  { label: "Full HD 1920×1080", width: 1920, height: 1080 },
  { label: "QHD 2560×1440", width: 2560, height: 1440 },
  { label: "4K UHD 3840×2160", width: 3840, height: 2160 },
  { label: "Vertical 1080×1920", width: 1080, height: 1920 },
  { label: "Square 1080×1080", width: 1080, height: 1080 },
];

export const LIMITS = {
  side: [32, 8192] as [number, number],
  /** Largest output: 8192 × 4608 (8K 7680×4320 fits). */
  area: 8192 * 4608,
  /** Largest generated image (scale below 1 generates more pixels than the output). */
  generatedArea: 8192 * 4608,
  scale: [0.5, 3] as [number, number],
  variation: [0, 1.5] as [number, number],
  softness: [0.05, 1] as [number, number],
  hue: [-180, 180] as [number, number],
  saturation: [0, 2] as [number, number],
  brightness: [-0.5, 0.5] as [number, number],
  contrast: [0.5, 2] as [number, number],
  weight: [0, 1] as [number, number],
  seed: [0, 4294967295] as [number, number],
  textures: 8,
};

export const DEFAULT_SIZE = { width: 1920, height: 1080 };

export function defaultSettings(firstTexture: number, seed: number): BackgroundSettings {
  return {
    mix: [{ id: firstTexture, weight: 1 }],
    mode: "blend",
    shape: "horizontal",
    repeat: false,
    softness: 0.5,
    seed,
    scale: 1,
    variation: 1,
    ...NEUTRAL_COLOUR,
    ...DEFAULT_SIZE,
  };
}

export function cloneSettings(s: BackgroundSettings): BackgroundSettings {
  return { ...s, mix: s.mix.map((e) => ({ ...e })) };
}

/** The noise grid for an output size and scale: cells per axis (at least 1) and the pixels they generate. */
export function gridFor(width: number, height: number, scale: number, cellPx = 32): { w: number; h: number; sourceW: number; sourceH: number } {
  const w = Math.max(1, Math.round(width / (cellPx * scale)));
  const h = Math.max(1, Math.round(height / (cellPx * scale)));
  return { w, h, sourceW: w * cellPx, sourceH: h * cellPx };
}

/** Why a size cannot be made, or null. */
export function sizeProblem(width: number, height: number): string | null {
  const [lo, hi] = LIMITS.side;
  if (!Number.isInteger(width) || !Number.isInteger(height)) return "width and height must be whole numbers of pixels";
  if (width < lo || height < lo || width > hi || height > hi) return `each side must be between ${lo} and ${hi} px`;
  if (width * height > LIMITS.area) return `at most ${(LIMITS.area / 1e6).toFixed(1)} megapixels (8192×4608)`;
  return null;
}

/** The smallest scale at which `width` x `height` stays within the generated-pixel limit. */
export function minScaleFor(width: number, height: number): number {
  const needed = Math.sqrt((width * height) / LIMITS.generatedArea);
  return Math.max(LIMITS.scale[0], Math.ceil(needed * 100) / 100);
}

// ------------------------------------------------------------------ share links
const round = (v: number, digits: number) => Number(v.toFixed(digits));

/**
 * The settings as URL parameters (`t=name:weight,…&seed=…&size=WxH`, the rest only when not
 * the default), with texture names (stable across exports) instead of ids.
 */
export function encodeSettings(s: BackgroundSettings, names: string[]): URLSearchParams {
  const p = new URLSearchParams();
  p.set("t", s.mix.map((e) => `${names[e.id]}:${round(e.weight, 3)}`).join(","));
  p.set("seed", String(s.seed));
  p.set("size", `${s.width}x${s.height}`);
  if (s.mode === "morph") {
    p.set("morph", s.shape);
    if (s.repeat) p.set("repeat", "1");
    if (s.softness !== 0.5) p.set("soft", String(round(s.softness, 3)));
  }
  const numbers: [string, number, number, number][] = [
    ["scale", s.scale, 1, 3], ["var", s.variation, 1, 3], ["hue", s.hue, 0, 1],
    ["sat", s.saturation, 1, 3], ["bri", s.brightness, 0, 3], ["con", s.contrast, 1, 3],
  ];
  for (const [key, value, neutral, digits] of numbers) if (value !== neutral) p.set(key, String(round(value, digits)));
  return p;
}

export interface Decoded {
  settings: BackgroundSettings;
  /** One sentence per parameter that was refused (and replaced by its default). */
  problems: string[];
}

/**
 * Settings from URL parameters, over `base` (defaults): every bad parameter is named in
 * `problems` with what was used instead; the rest still applies.
 */
export function decodeSettings(params: URLSearchParams, names: string[], base: BackgroundSettings): Decoded {
  const s = cloneSettings(base);
  const problems: string[] = [];
  const number = (key: string, [lo, hi]: [number, number], what: string, apply: (v: number) => void) => {
    const text = params.get(key);
    if (text === null) return;
    const v = Number(text);
    if (text.trim() === "" || !Number.isFinite(v)) problems.push(`${key}=${text}: ${what} must be a number from ${lo} to ${hi}; using the default.`);
    else if (v < lo || v > hi) problems.push(`${key}=${text}: ${what} must be from ${lo} to ${hi}; using the default.`);
    else apply(v);
  };

  const t = params.get("t");
  if (t !== null) {
    const mix: MixEntry[] = [];
    const bad: string[] = [];
    for (const part of t.split(",").filter((x) => x.trim())) {
      const [name, weightText] = part.split(":");
      const id = names.indexOf(name.trim());
      const weight = weightText === undefined ? 1 : Number(weightText);
      if (id < 0 || !Number.isFinite(weight) || weight < 0 || weight > 1 || mix.some((e) => e.id === id)) bad.push(part);
      else mix.push({ id, weight });
    }
    if (bad.length) problems.push(`t=${t}: ${bad.map((b) => `“${b}”`).join(", ")} ${bad.length > 1 ? "are" : "is"} not a texture of this model with a weight from 0 to 1; ${mix.length ? "left out" : "using the default texture"}.`);
    if (mix.length > LIMITS.textures) problems.push(`t: at most ${LIMITS.textures} textures; using the first ${LIMITS.textures}.`);
    const kept = mix.slice(0, LIMITS.textures);
    if (kept.length && kept.some((e) => e.weight > 0)) s.mix = kept;
    else if (kept.length) problems.push("t: every weight is 0; using the default texture.");
  }

  const seedText = params.get("seed");
  if (seedText !== null) {
    if (/^\d{1,10}$/.test(seedText) && Number(seedText) <= LIMITS.seed[1]) s.seed = Number(seedText);
    else problems.push(`seed=${seedText}: a seed is a whole number from 0 to ${LIMITS.seed[1]}; using ${s.seed}.`);
  }

  const size = params.get("size");
  if (size !== null) {
    const m = /^\s*(\d{1,9})\s*[x×]\s*(\d{1,9})\s*$/i.exec(size);
    const fallback = `using ${s.width}×${s.height}`;
    if (!m) problems.push(`size=${size}: a size is WIDTHxHEIGHT in pixels, such as 1920x1080; ${fallback}.`);
    else {
      const width = Number(m[1]);
      const height = Number(m[2]);
      const why = sizeProblem(width, height);
      if (why) problems.push(`size=${size}: ${why}; ${fallback}.`);
      else Object.assign(s, { width, height });
    }
  }

  const morph = params.get("morph");
  if (morph !== null) {
    if ((MORPH_SHAPES as string[]).includes(morph)) Object.assign(s, { mode: "morph", shape: morph as MorphShape });
    else problems.push(`morph=${morph}: a morph is ${MORPH_SHAPES.join(", ")}; showing a blend.`);
  }
  const repeat = params.get("repeat");
  if (repeat !== null) {
    if (repeat === "1" || repeat === "0") s.repeat = repeat === "1";
    else problems.push(`repeat=${repeat}: 1 or 0; using 0.`);
  }
  number("soft", LIMITS.softness, "the morph's softness", (v) => (s.softness = v));
  number("scale", LIMITS.scale, "the scale", (v) => (s.scale = v));
  number("var", LIMITS.variation, "the variation", (v) => (s.variation = v));
  number("hue", LIMITS.hue, "the hue shift (degrees)", (v) => (s.hue = v));
  number("sat", LIMITS.saturation, "the saturation", (v) => (s.saturation = v));
  number("bri", LIMITS.brightness, "the brightness", (v) => (s.brightness = v));
  number("con", LIMITS.contrast, "the contrast", (v) => (s.contrast = v));
  const minScale = minScaleFor(s.width, s.height);
  if (s.scale < minScale) {
    problems.push(`scale=${s.scale}: at ${s.width}×${s.height} the scale must be at least ${minScale}; using ${minScale}.`);
    s.scale = minScale;
  }
  return { settings: s, problems };
}

/** A short file-name part: texture names, seed and size. */
export function fileStem(s: BackgroundSettings, names: string[]): string {
  const textures = s.mix.filter((e) => e.weight > 0 || s.mode === "morph").map((e) => names[e.id]).slice(0, 3).join("+");
  return `muza-${textures}-${s.mode === "morph" ? `${s.shape}-` : ""}${s.seed}-${s.width}x${s.height}`;
}
