// Music theory for ABC, the little the studio needs: key signatures (tonic and mode to sharps or
// flats), meters, unit lengths, note-length suffixes, Q: tempos and chord symbols. Pure.

export const LETTER_SEMITONES: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
const SHARP_ORDER = "FCGDAEB";
const MAJOR_FIFTHS: Record<string, number> = { C: 0, G: 1, D: 2, A: 3, E: 4, B: 5, "F#": 6, "C#": 7, F: -1, Bb: -2, Eb: -3, Ab: -4, Db: -5, Gb: -6, Cb: -7 };
const MODE_SHIFT: Record<string, number> = { "": 0, maj: 0, ion: 0, m: -3, min: -3, aeo: -3, dor: -2, mix: -1, lyd: 1, phr: -4, loc: -5 };
const PITCH_CLASS: Record<string, number> = { C: 0, "C#": 1, Db: 1, D: 2, "D#": 3, Eb: 3, E: 4, F: 5, "F#": 6, Gb: 6, G: 7, "G#": 8, Ab: 8, A: 9, "A#": 10, Bb: 10, B: 11, Cb: 11 };
const CHORD_INTERVALS: Record<string, number[]> = {
  "": [0, 4, 7], m: [0, 3, 7], "7": [0, 4, 7, 10], m7: [0, 3, 7, 10], maj7: [0, 4, 7, 11], dim: [0, 3, 6], dim7: [0, 3, 6, 9],
  aug: [0, 4, 8], "6": [0, 4, 7, 9], m6: [0, 3, 7, 9], "9": [0, 4, 7, 10, 14], sus4: [0, 5, 7], sus2: [0, 2, 7], "7sus4": [0, 5, 7, 10],
};

/** Sharps (+) or flats (−) of a K: value: "G" 1, "Dm" −1, "Ador" 0, "Bb" −2; null when not a key. */
export function keyFifths(key: string): number | null {
  const m = /^\s*([A-G])([#b]?)\s*([A-Za-z]*)/.exec(key);
  if (!m) return key.trim() === "" || /^none\b/i.test(key.trim()) ? 0 : null;
  const tonic = m[1] + m[2];
  const shift = MODE_SHIFT[m[3].toLowerCase().slice(0, 3)];
  if (shift === undefined) return null;
  // Fifths of the tonic as a major key; other spellings (D#, G#) by pitch class.
  const major = MAJOR_FIFTHS[tonic] ?? ((((PITCH_CLASS[tonic] * 7) % 12) + 5) % 12) - 5;
  return major + shift;
}

/** Semitone offset the key signature gives each letter: {F: 1, C: 1} for D major. */
export function keyAccidentals(fifths: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < Math.min(7, Math.abs(fifths)); i++) {
    if (fifths > 0) out[SHARP_ORDER[i]] = 1;
    else out[SHARP_ORDER[6 - i]] = -1;
  }
  return out;
}

/** A meter as a fraction of a whole note (C = 4/4, C| = 2/2); null for free meter or nonsense. */
export function meterLength(meter: string): number | null {
  const m = meter.trim();
  if (m === "C") return 1;
  if (m === "C|") return 1;
  const f = /^(\d+)\/(\d+)$/.exec(m);
  if (!f || Number(f[1]) === 0 || Number(f[2]) === 0) return null;
  return Number(f[1]) / Number(f[2]);
}

export function unitLength(unit: string): number | null {
  const f = /^\s*(\d+)\/(\d+)\s*$/.exec(unit);
  return f && Number(f[1]) > 0 && Number(f[2]) > 0 ? Number(f[1]) / Number(f[2]) : null;
}

/** The ABC standard's L: when a tune gives none: 1/16 below 3/4, else 1/8. */
export function defaultUnit(meter: string): string {
  const bar = meterLength(meter);
  return bar !== null && bar < 0.75 ? "1/16" : "1/8";
}

/** 6/8, 9/8, 12/8, 6/4 …: beats of three. */
export function isCompoundMeter(meter: string): boolean {
  const f = /^(\d+)\/(\d+)$/.exec(meter.trim());
  return !!f && Number(f[1]) % 3 === 0 && Number(f[1]) > 3;
}

/** Quarter notes per minute of a Q: value ("1/4=120", "3/8=80", "120"); null when unreadable. */
export function tempoQuarterBpm(tempo: string): number | null {
  const m = /^\s*(?:(\d+)\/(\d+)\s*=\s*)?(\d+(?:\.\d+)?)\s*$/.exec(tempo);
  if (!m) return null;
  const beat = m[1] ? Number(m[1]) / Number(m[2]) : 0.25;
  const bpm = Number(m[3]);
  return beat > 0 && bpm > 0 ? bpm * (beat / 0.25) : null;
}

/** A length suffix: "" 1, "2" 2, "/" 1/2, "//" 1/4, "/4" 1/4, "3/2" 3/2. */
export function lengthValue(suffix: string): number {
  const m = /^(\d*)(\/*)(\d*)$/.exec(suffix);
  if (!m) return 1;
  let value = m[1] ? Number(m[1]) : 1;
  if (m[2]) value /= (m[3] ? Number(m[3]) : 2) * 2 ** (m[2].length - 1);
  return value;
}

/** The harmony of a chord symbol ("G", "Em", "D7", "A/c+"), or null when it names none. */
export function chordSymbol(name: string): { bass: number; tones: number[] } | null {
  const m = /^([A-G][#b]?)([a-z0-9]*)(?:\/([A-Ga-g][#b+]?))?$/.exec(name.trim());
  if (!m) return null;
  const root = PITCH_CLASS[m[1]];
  const intervals = CHORD_INTERVALS[m[2]] ?? (m[2].startsWith("m") ? CHORD_INTERVALS.m : CHORD_INTERVALS[""]);
  let bassPc = root;
  if (m[3]) {
    const letter = m[3][0].toUpperCase();
    const mod = m[3][1] === "#" || m[3][1] === "+" ? 1 : m[3][1] === "b" ? -1 : 0;
    bassPc = (LETTER_SEMITONES[letter] + mod + 12) % 12;
  }
  const bass = 40 + ((bassPc + 8) % 12); // E2 .. D#3
  const rootNote = 55 + ((root + 5) % 12); // G3 .. F#4
  return { bass, tones: intervals.map((i) => rootNote + i) };
}
