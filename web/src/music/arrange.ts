// From a performance (abc_events.ts) to the notes that sound: the melody (first note of each
// bar a little louder) and, from the chord symbols, an oom-pah accompaniment (bass on the
// first beat of each pair, the chord on the second). The same list feeds the live player, the
// .wav render and the .mid file. Pure.
import type { Performance } from "./abc_events";
import { isCompoundMeter, keyFifths } from "./abc_theory";
import type { MidiSong } from "./midi";

export type Part = "melody" | "bass" | "chord";

export interface PlayNote {
  /** Start and length in whole notes. */
  start: number;
  duration: number;
  pitch: number;
  /** 0–1. */
  velocity: number;
  part: Part;
  /** The melody note's character range in the tune text (highlighting); -1 for accompaniment. */
  from: number;
  to: number;
}

/** The beat in whole notes: a dotted note in compound meters (6/8: 3/8), else 1/denominator. */
export function beatLength(meter: string): number {
  const m = /^(\d+)\/(\d+)$/.exec(meter.trim());
  if (!m) return 0.25;
  const den = Number(m[2]);
  return isCompoundMeter(meter) ? 3 / den : 1 / den;
}

export function arrange(performance: Performance, accompaniment: boolean): PlayNote[] {
  const notes: PlayNote[] = [];
  let bar = -1;
  for (const n of performance.notes) {
    const accent = n.bar !== bar;
    bar = n.bar;
    for (const pitch of n.pitches) {
      notes.push({ start: n.start, duration: n.duration, pitch, velocity: accent ? 0.9 : 0.75, part: "melody", from: n.from, to: n.to });
    }
  }
  if (accompaniment) {
    const beat = beatLength(performance.meter);
    for (const h of performance.harmony) {
      for (let t = 0, i = 0; t < h.duration - 1e-9; t += beat, i++) {
        const length = Math.min(beat, h.duration - t) * 0.9;
        const start = h.start + t;
        if (i % 2 === 0) notes.push({ start, duration: length, pitch: h.bass, velocity: 0.5, part: "bass", from: -1, to: -1 });
        else for (const pitch of h.tones) notes.push({ start, duration: length, pitch, velocity: 0.3, part: "chord", from: -1, to: -1 });
      }
    }
    notes.sort((a, b) => a.start - b.start);
  }
  return notes;
}

/** General MIDI programs per instrument: melody on channel 0, accompaniment on channel 1. */
const PROGRAMS: Record<string, number> = { harp: 46, flute: 73, piano: 0 };

export function midiSong(performance: Performance, notes: PlayNote[], quarterBpm: number, instrument: string): MidiSong {
  const meter = /^(\d+)\/(\d+)$/.exec(performance.meter);
  const fifths = keyFifths(performance.key);
  return {
    title: performance.title,
    quarterBpm,
    meter: meter ? [Number(meter[1]), Number(meter[2])] : performance.meter === "C|" ? [2, 2] : [4, 4],
    key: fifths === null ? undefined : { fifths, minor: /^[A-G][#b]?(m|min)$/.test(performance.key.trim()) },
    programs: { 0: PROGRAMS[instrument] ?? 0, 1: 24 },
    notes: notes.map((n) => ({
      start: n.start * 4,
      duration: n.duration * 4,
      pitch: n.pitch,
      velocity: Math.round(n.velocity * 127),
      channel: n.part === "melody" ? 0 : 1,
    })),
  };
}
