// The Music studio's settings: what the controls hold, the tune header they write (and the
// primer the model reads), and the share link that carries them. Pure: no DOM, no tensors.
import { isCompoundMeter } from "./abc_theory";

export const INSTRUMENTS = {
  harp: "Plucked string",
  flute: "Flute",
  piano: "Piano",
} as const;
export type InstrumentId = keyof typeof INSTRUMENTS;

/** The meters, units and keys the controls offer (all of them the bar-aware grammar accepts). */
export const METERS = ["4/4", "6/8", "3/4", "2/4", "9/8", "2/2", "3/2", "6/4"] as const;
export const UNITS = ["1/8", "1/4", "1/16"] as const;
export const TONICS = ["C", "G", "D", "A", "E", "B", "F", "Bb", "Eb"] as const;
export const MODES = { "": "major", m: "minor", dor: "dorian", mix: "mixolydian" } as const;

export interface TuneSettings {
  title: string;
  meter: string;
  unit: string;
  key: string;
  /** Beats per minute: quarter notes, or dotted quarters in 6/8, 9/8 and friends. */
  tempo: number;
  /** Music written before the model starts (optional). */
  firstBar: string;
  temperature: number;
  topP: number;
  /** Bars to write. */
  bars: number;
  /** The bar-aware sampler on (characters that break the ABC or overfill a bar are masked). */
  barAware: boolean;
  /** Random seed, or null for a new one each time. */
  seed: number | null;
  instrument: InstrumentId;
  /** Chords from the tune's chord symbols under the melody. */
  accompaniment: boolean;
}

export const DEFAULTS: TuneSettings = {
  title: "",
  meter: "6/8",
  unit: "1/8",
  key: "G",
  tempo: 110,
  firstBar: "",
  temperature: 0.8,
  topP: 0.95,
  bars: 16,
  barAware: true,
  seed: null,
  instrument: "harp",
  accompaniment: true,
};

export const LIMITS = {
  tempo: [40, 240],
  temperature: [0, 2],
  topP: [0.05, 1],
  bars: [4, 64],
  title: 60,
  firstBar: 120,
} as const;

/** The Q: field's beat: a dotted quarter in 6/8, 9/8 and 12/8, else a quarter. */
export function tempoBeat(meter: string): "3/8" | "1/4" {
  // (Q: takes 1/4, 1/8 or 3/8 beats in the grammar: 6/4 counts quarters.)
  return isCompoundMeter(meter) && meter.endsWith("/8") ? "3/8" : "1/4";
}

/** Quarter notes per minute of the settings' tempo. */
export function quarterBpm(settings: Pick<TuneSettings, "meter" | "tempo">): number {
  return tempoBeat(settings.meter) === "3/8" ? settings.tempo * 1.5 : settings.tempo;
}

const KINDS: Record<string, string> = { "6/8": "Jig", "9/8": "Slip Jig", "3/4": "Waltz", "2/4": "Polka", "4/4": "Reel", "2/2": "Reel", "3/2": "Hornpipe", "6/4": "Air" };

export function defaultTitle(meter: string): string {
  return `The Muza ${KINDS[meter] ?? "Tune"}`;
}

/** A title as the header may hold it: one line, no double quotes, at most LIMITS.title characters. */
export function cleanTitle(title: string): string {
  return title.replace(/[\r\n"%\\]+/g, " ").replace(/\s+/g, " ").trim().slice(0, LIMITS.title).trim();
}

/** A first bar as the music may hold it: one line, spaces collapsed. */
export function cleanFirstBar(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[ \t]+/g, " ").trim().slice(0, LIMITS.firstBar);
}

/** The tune's header, as the downloaded .abc and the notation show it (Q: included): the tune is
 * `header(s) + body`, where the body is the first bar and what the model wrote after it. */
export function header(s: TuneSettings): string {
  return headerLines(s, true);
}

/**
 * What the model reads before writing: the header without Q: (one training tune in a thousand
 * has one, so it only confuses the model) and the first bar. The grammar accepts both.
 */
export function primer(s: TuneSettings): string {
  return headerLines(s, false) + cleanFirstBar(s.firstBar);
}

function headerLines(s: TuneSettings, withTempo: boolean): string {
  const lines = ["X:1", `T:${cleanTitle(s.title) || defaultTitle(s.meter)}`, `M:${s.meter}`, `L:${s.unit}`];
  if (withTempo) lines.push(`Q:${tempoBeat(s.meter)}=${Math.round(s.tempo)}`);
  lines.push(`K:${s.key}`);
  return `${lines.join("\n")}\n`;
}

export function isKey(key: string): boolean {
  const m = /^([A-G][#b]?)(.*)$/.exec(key);
  return !!m && (TONICS as readonly string[]).includes(m[1]) && m[2] in MODES;
}

// ------------------------------------------------------------------ share links
const PARAMS = {
  title: "t", meter: "meter", unit: "unit", key: "key", tempo: "bpm", firstBar: "bar", temperature: "temp", topP: "p",
  bars: "bars", barAware: "mask", seed: "seed", instrument: "inst", accompaniment: "chords",
} as const satisfies Record<keyof TuneSettings, string>;

/** The query of a share link (after `#/music?`): every setting, the model's name and the seed. */
export function encodeShare(s: TuneSettings, model: string | null): string {
  const q = new URLSearchParams();
  if (model) q.set("m", model);
  q.set(PARAMS.title, cleanTitle(s.title));
  q.set(PARAMS.meter, s.meter);
  q.set(PARAMS.unit, s.unit);
  q.set(PARAMS.key, s.key);
  q.set(PARAMS.tempo, String(Math.round(s.tempo)));
  if (s.firstBar) q.set(PARAMS.firstBar, cleanFirstBar(s.firstBar));
  q.set(PARAMS.temperature, String(s.temperature));
  q.set(PARAMS.topP, String(s.topP));
  q.set(PARAMS.bars, String(s.bars));
  q.set(PARAMS.barAware, s.barAware ? "1" : "0");
  if (s.seed !== null) q.set(PARAMS.seed, String(s.seed));
  q.set(PARAMS.instrument, s.instrument);
  q.set(PARAMS.accompaniment, s.accompaniment ? "1" : "0");
  return q.toString();
}

export interface DecodedShare {
  settings: TuneSettings;
  model: string | null;
  /** One sentence per parameter that was refused (its default is used instead). */
  problems: string[];
}

function numberParam(value: string, name: string, [lo, hi]: readonly [number, number], integer: boolean, problems: string[]): number | null {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < lo || n > hi) {
    problems.push(`${name} must be ${integer ? "a whole number" : "a number"} from ${lo} to ${hi}, not “${value}”.`);
    return null;
  }
  return n;
}

function flagParam(value: string, name: string, problems: string[]): boolean | null {
  if (value === "1" || value === "0") return value === "1";
  problems.push(`${name} must be 1 (on) or 0 (off), not “${value}”.`);
  return null;
}

/** Reads a share link's query; a bad parameter is named in `problems` and left at its default. */
export function decodeShare(query: string | URLSearchParams, base: TuneSettings = DEFAULTS): DecodedShare {
  const q = typeof query === "string" ? new URLSearchParams(query) : query;
  const s: TuneSettings = { ...base };
  const problems: string[] = [];
  const get = (key: keyof typeof PARAMS) => q.get(PARAMS[key]);
  let v: string | null;
  if ((v = get("title")) !== null) s.title = cleanTitle(v);
  if ((v = get("meter")) !== null) {
    if ((METERS as readonly string[]).includes(v)) s.meter = v;
    else problems.push(`The meter must be one of ${METERS.join(", ")}, not “${v}”.`);
  }
  if ((v = get("unit")) !== null) {
    if ((UNITS as readonly string[]).includes(v)) s.unit = v;
    else problems.push(`The unit length must be one of ${UNITS.join(", ")}, not “${v}”.`);
  }
  if ((v = get("key")) !== null) {
    if (isKey(v)) s.key = v;
    else problems.push(`The key must be a tonic (${TONICS.join(", ")}) with an optional mode (m, dor, mix), not “${v}”.`);
  }
  if ((v = get("tempo")) !== null) s.tempo = numberParam(v, "The tempo", LIMITS.tempo, true, problems) ?? s.tempo;
  if ((v = get("firstBar")) !== null) s.firstBar = cleanFirstBar(v);
  if ((v = get("temperature")) !== null) s.temperature = numberParam(v, "The temperature", LIMITS.temperature, false, problems) ?? s.temperature;
  if ((v = get("topP")) !== null) s.topP = numberParam(v, "Top-p", LIMITS.topP, false, problems) ?? s.topP;
  if ((v = get("bars")) !== null) s.bars = numberParam(v, "The length in bars", LIMITS.bars, true, problems) ?? s.bars;
  if ((v = get("barAware")) !== null) s.barAware = flagParam(v, "The bar-aware switch", problems) ?? s.barAware;
  if ((v = get("accompaniment")) !== null) s.accompaniment = flagParam(v, "The chords switch", problems) ?? s.accompaniment;
  if ((v = get("seed")) !== null) s.seed = numberParam(v, "The random seed", [0, 4294967295], true, problems) ?? s.seed;
  if ((v = get("instrument")) !== null) {
    if (v in INSTRUMENTS) s.instrument = v as InstrumentId;
    else problems.push(`The instrument must be one of ${Object.keys(INSTRUMENTS).join(", ")}, not “${v}”.`);
  }
  const model = q.get("m");
  return { settings: s, model: model && model.trim() ? model.trim() : null, problems };
}
