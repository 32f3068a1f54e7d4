// A Standard MIDI File writer (format 0: one track): header chunk, then the track's meta
// events (name, tempo, time and key signature), a program change per channel and note on/off
// pairs with variable-length delta times, ending with End of Track. Pure: bytes in a Uint8Array.

export interface MidiNote {
  /** Start and length in quarter notes. */
  start: number;
  duration: number;
  /** MIDI note number 0–127. */
  pitch: number;
  /** 1–127. */
  velocity: number;
  /** 0–15 (9 is percussion). */
  channel: number;
}

export interface MidiSong {
  notes: MidiNote[];
  quarterBpm: number;
  title?: string;
  /** e.g. [6, 8]. */
  meter?: [number, number];
  /** Sharps (+) / flats (−) and minor, for the key signature meta event. */
  key?: { fifths: number; minor: boolean };
  /** General MIDI program (0–127) per channel. */
  programs?: Record<number, number>;
  /** Ticks per quarter note (default 480). */
  ppq?: number;
}

/** A number as a MIDI variable-length quantity (7 bits per byte, high bit set on all but the last). */
export function varLength(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0x0fffffff) throw new RangeError(`not a MIDI variable-length value: ${value}`);
  const bytes = [value & 0x7f];
  for (let v = value >>> 7; v > 0; v >>>= 7) bytes.unshift((v & 0x7f) | 0x80);
  return bytes;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

const ascii = (text: string): number[] => Array.from(text, (c) => (c.charCodeAt(0) < 128 ? c.charCodeAt(0) : 63));

interface TimedEvent {
  tick: number;
  /** Order at the same tick: meta first, then note offs, then note ons. */
  order: number;
  bytes: number[];
}

function meta(type: number, data: number[]): number[] {
  return [0xff, type, ...varLength(data.length), ...data];
}

export function writeMidi(song: MidiSong): Uint8Array {
  const ppq = song.ppq ?? 480;
  if (!(song.quarterBpm > 0)) throw new RangeError(`tempo must be positive, got ${song.quarterBpm}`);
  const events: TimedEvent[] = [];
  const head = (bytes: number[]) => events.push({ tick: 0, order: 0, bytes });
  if (song.title) head(meta(0x03, ascii(song.title.slice(0, 120))));
  head(meta(0x51, u32(Math.round(60_000_000 / song.quarterBpm)).slice(1)));
  if (song.meter) {
    const [num, den] = song.meter;
    head(meta(0x58, [num, Math.round(Math.log2(den)), 24, 8]));
  }
  if (song.key) head(meta(0x59, [Math.max(-7, Math.min(7, song.key.fifths)) & 0xff, song.key.minor ? 1 : 0]));
  for (const [channel, program] of Object.entries(song.programs ?? {})) head([0xc0 | (Number(channel) & 0x0f), program & 0x7f]);
  for (const note of song.notes) {
    const on = Math.max(0, Math.round(note.start * ppq));
    const off = Math.max(on + 1, Math.round((note.start + note.duration) * ppq));
    const pitch = Math.max(0, Math.min(127, Math.round(note.pitch)));
    const velocity = Math.max(1, Math.min(127, Math.round(note.velocity)));
    const channel = note.channel & 0x0f;
    events.push({ tick: on, order: 2, bytes: [0x90 | channel, pitch, velocity] });
    events.push({ tick: off, order: 1, bytes: [0x80 | channel, pitch, 0] });
  }
  events.sort((a, b) => a.tick - b.tick || a.order - b.order);
  const track: number[] = [];
  let last = 0;
  for (const e of events) {
    track.push(...varLength(e.tick - last), ...e.bytes);
    last = e.tick;
  }
  track.push(0, 0xff, 0x2f, 0x00);
  const bytes = [...ascii("MThd"), ...u32(6), ...u16(0), ...u16(1), ...u16(ppq), ...ascii("MTrk"), ...u32(track.length), ...track];
  return Uint8Array.from(bytes);
}
