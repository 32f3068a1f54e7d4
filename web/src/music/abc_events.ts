// ABC text -> what to play: note events with pitches (MIDI numbers), start and length in
// whole notes, repeats and first/second endings unfolded in played order, chord symbols as
// harmony events, and each note's character range in the text (for highlighting). Pure: no
// DOM, no audio. The subset: the folk-tune ABC the training corpus and the grammar use
// (notes, rests, lengths, broken rhythm, tuplets, ties, chords, chord symbols, bar lines,
// repeats, endings, M:/L:/K: changes), with decorations, slurs and grace notes skipped.

import { chordSymbol, defaultUnit, isCompoundMeter, keyAccidentals, keyFifths, LETTER_SEMITONES, lengthValue, meterLength, tempoQuarterBpm, unitLength } from "./abc_theory";

export interface NoteEvent {
  /** Start in whole notes from the beginning of the performance. */
  start: number;
  /** Length in whole notes (tied notes joined). */
  duration: number;
  /** MIDI note numbers (several for a chord). */
  pitches: number[];
  /** Character range of the note in the text: [from, to). */
  from: number;
  to: number;
  /** Index of the written bar the note is in (0 = first bar with notes). */
  bar: number;
}

export interface HarmonyEvent {
  start: number;
  duration: number;
  /** MIDI number of the bass note (octave 2–3) and of the chord tones (octave 3–4). */
  bass: number;
  tones: number[];
  name: string;
}

export interface Performance {
  notes: NoteEvent[];
  harmony: HarmonyEvent[];
  /** Whole notes from the start to the end of the last note or rest. */
  length: number;
  /** Bars written (with at least one note or rest), not counting repeats. */
  bars: number;
  meter: string;
  unit: string;
  key: string;
  title: string;
  /** Q: as quarter notes per minute, or null when the tune gives no tempo. */
  quarterBpm: number | null;
}

// ------------------------------------------------------------------ the written items
type Item =
  | { kind: "note"; duration: number; pitches: number[]; from: number; to: number; bar: number }
  | { kind: "rest"; duration: number; bar: number }
  | { kind: "bar"; line: string }
  | { kind: "ending"; n: number }
  | { kind: "harmony"; name: string };

interface Header {
  meter: string;
  unit: string;
  key: string;
  title: string;
  tempo: string;
  bodyStart: number;
}

const HEADER_FIELD = /^([A-Za-z]):(.*)$/;

function readHeader(text: string): Header {
  const header: Header = { meter: "4/4", unit: "", key: "C", title: "", tempo: "", bodyStart: 0 };
  let pos = 0;
  let sawKey = false;
  while (pos < text.length && !sawKey) {
    const end = text.indexOf("\n", pos);
    const line = text.slice(pos, end < 0 ? text.length : end);
    const m = HEADER_FIELD.exec(line);
    if (!m || (end < 0 && m[1] !== "K")) break;
    const value = m[2].trim();
    if (m[1] === "M") header.meter = value;
    else if (m[1] === "L") header.unit = value;
    else if (m[1] === "T" && !header.title) header.title = value;
    else if (m[1] === "Q") header.tempo = value;
    else if (m[1] === "K") {
      header.key = value;
      sawKey = true;
    }
    pos = end < 0 ? text.length : end + 1;
  }
  header.bodyStart = pos;
  return header;
}

const BARLINE = /^(?:\[\||:*\|+[\]:]*|:{2,})/;
const NOTE = /^(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)(\d*\/*\d*)/;

class Reader {
  items: Item[] = [];
  bars = 0;
  private unit: number;
  private meter: string;
  private key: Record<string, number>;
  private barAccidentals = new Map<string, number>();
  private barHasNotes = false;
  private tupletLeft = 0;
  private tupletFactor = 1;
  private nextFactor = 1;
  private lastNote: Extract<Item, { kind: "note" | "rest" }> | null = null;
  private tieOpen = false;

  constructor(header: Header) {
    this.meter = header.meter;
    this.unit = unitLength(header.unit || defaultUnit(header.meter)) ?? 0.125;
    this.key = keyAccidentals(keyFifths(header.key) ?? 0);
  }

  field(key: string, value: string): void {
    if (key === "M") this.meter = value.trim();
    else if (key === "L") this.unit = unitLength(value) ?? this.unit;
    else if (key === "K") this.key = keyAccidentals(keyFifths(value) ?? 0);
  }

  private pitch(accidental: string | undefined, letter: string, octaves: string): number {
    const upper = letter.toUpperCase();
    let octave = letter === upper ? 0 : 1;
    for (const c of octaves) octave += c === "'" ? 1 : -1;
    const slot = `${upper}${octave}`;
    let shift: number;
    if (accidental) {
      shift = { "^": 1, "^^": 2, _: -1, __: -2, "=": 0 }[accidental] ?? 0;
      this.barAccidentals.set(slot, shift);
    } else shift = this.barAccidentals.get(slot) ?? this.key[upper] ?? 0;
    return 60 + 12 * octave + LETTER_SEMITONES[upper] + shift;
  }

  private timed(length: number): number {
    let d = length * this.unit * this.nextFactor;
    this.nextFactor = 1;
    if (this.tupletLeft > 0) {
      d *= this.tupletFactor;
      this.tupletLeft -= 1;
    }
    return d;
  }

  note(pitches: number[], length: number, from: number, to: number): void {
    const duration = this.timed(length);
    this.barHasNotes = true;
    const last = this.lastNote;
    if (this.tieOpen && last?.kind === "note" && last.pitches.length === pitches.length && last.pitches.every((p, i) => p === pitches[i])) {
      last.duration += duration;
      this.tieOpen = false;
      return;
    }
    this.tieOpen = false;
    const item: Item = { kind: "note", duration, pitches, from, to, bar: this.bars };
    this.items.push(item);
    this.lastNote = item;
  }

  rest(length: number, wholeBars = 0): void {
    const bar = meterLength(this.meter) ?? 1;
    const item: Item = { kind: "rest", duration: wholeBars ? wholeBars * bar : this.timed(length), bar: this.bars };
    this.barHasNotes = true;
    this.tieOpen = false;
    this.items.push(item);
    this.lastNote = item;
  }

  tie(): void {
    this.tieOpen = this.lastNote?.kind === "note";
  }

  broken(marks: string): void {
    const last = this.lastNote;
    if (!last) return;
    const shorter = 1 / 2 ** marks.length;
    const [first, second] = marks[0] === ">" ? [2 - shorter, shorter] : [shorter, 2 - shorter];
    last.duration *= first;
    this.nextFactor = second;
  }

  tuplet(p: number, q: number | null, r: number | null): void {
    const qValue = q ?? ({ 2: 3, 3: 2, 4: 3, 6: 2, 8: 3 } as Record<number, number>)[p] ?? (isCompoundMeter(this.meter) ? 3 : 2);
    this.tupletFactor = qValue / p;
    this.tupletLeft = r ?? p;
  }

  bar(line: string): void {
    if (this.barHasNotes) this.bars += 1;
    this.barHasNotes = false;
    this.barAccidentals.clear();
    this.items.push({ kind: "bar", line });
  }

  parseChord(text: string, pos: number, offset: number): number {
    // [CEG]2: pitches of every note, as long as the first one times the length after ].
    const close = text.indexOf("]", pos);
    if (close < 0) return text.length;
    const inner = text.slice(pos + 1, close);
    const pitches: number[] = [];
    let first: number | null = null;
    let rest = inner;
    while (rest.length) {
      const m = NOTE.exec(rest);
      if (!m) {
        rest = rest.slice(1);
        continue;
      }
      pitches.push(this.pitch(m[1], m[2], m[3]));
      if (first === null) first = lengthValue(m[4]);
      rest = rest.slice(m[0].length);
    }
    const after = /^(\d*\/*\d*)/.exec(text.slice(close + 1))?.[1] ?? "";
    if (pitches.length) this.note(pitches, (first ?? 1) * lengthValue(after), offset + pos, offset + close + 1 + after.length);
    return close + 1 + after.length;
  }

  line(text: string, offset: number): void {
    let pos = 0;
    while (pos < text.length) {
      const rest = text.slice(pos);
      const c = text[pos];
      let m: RegExpExecArray | null;
      if (c === '"') {
        const close = text.indexOf('"', pos + 1);
        const name = text.slice(pos + 1, close < 0 ? text.length : close);
        if (close >= 0) this.items.push({ kind: "harmony", name });
        pos = close < 0 ? text.length : close + 1;
      } else if (c === "!" || c === "+") {
        const close = text.indexOf(c, pos + 1);
        pos = close < 0 ? text.length : close + 1;
      } else if (c === "{") {
        const close = text.indexOf("}", pos + 1);
        pos = close < 0 ? text.length : close + 1;
      } else if ((m = /^\[([KLM]):([^\]]*)\]/.exec(rest))) {
        this.field(m[1], m[2]);
        pos += m[0].length;
      } else if ((m = /^\[([1-9])/.exec(rest))) {
        this.items.push({ kind: "ending", n: Number(m[1]) });
        pos += m[0].length;
      } else if ((m = BARLINE.exec(rest))) {
        this.bar(m[0]);
        pos += m[0].length;
        const ending = /^[1-9]/.exec(text.slice(pos)); // |1, :|2
        if (ending) {
          this.items.push({ kind: "ending", n: Number(ending[0]) });
          pos += 1;
        }
      } else if (c === "[") {
        pos = this.parseChord(text, pos, offset);
      } else if ((m = /^\((\d)(?::(\d*))?(?::(\d*))?/.exec(rest))) {
        this.tuplet(Number(m[1]), m[2] ? Number(m[2]) : null, m[3] ? Number(m[3]) : null);
        pos += m[0].length;
      } else if ((m = NOTE.exec(rest))) {
        this.note([this.pitch(m[1], m[2], m[3])], lengthValue(m[4]), offset + pos, offset + pos + m[0].length);
        pos += m[0].length;
      } else if ((m = /^[zx](\d*\/*\d*)/.exec(rest))) {
        this.rest(lengthValue(m[1]));
        pos += m[0].length;
      } else if ((m = /^[ZX](\d*)/.exec(rest))) {
        this.rest(0, m[1] ? Number(m[1]) : 1);
        pos += m[0].length;
      } else if ((m = /^[<>]+/.exec(rest))) {
        this.broken(m[0]);
        pos += m[0].length;
      } else if (c === "-") {
        this.tie();
        pos += 1;
      } else pos += 1; // spaces, slurs, decorations ~ . H-W u v, continuation \
    }
  }
}

function written(text: string, header: Header): Reader {
  const reader = new Reader(header);
  let pos = header.bodyStart;
  while (pos < text.length) {
    const end = text.indexOf("\n", pos);
    const stop = end < 0 ? text.length : end;
    const line = text.slice(pos, stop);
    if (line.trim() === "" && end >= 0 && pos > header.bodyStart) break; // a blank line ends the tune
    const field = HEADER_FIELD.exec(line);
    if (field) reader.field(field[1], field[2]);
    else reader.line(line, pos);
    pos = stop + 1;
  }
  reader.bar(""); // counts a last bar without a closing bar line
  reader.items.pop();
  return reader;
}

/** Written order -> played order: `:|` jumps back once to the last `|:` (or section start), a first ending is skipped the second time. */
function unfold(items: Item[]): Item[] {
  const out: Item[] = [];
  const jumped = new Set<number>();
  let start = 0;
  let second = false;
  let i = 0;
  let guard = 0;
  while (i < items.length && guard++ < 100_000) {
    const it = items[i];
    if (it.kind === "bar") {
      const closes = it.line.startsWith(":");
      const opens = it.line.endsWith(":");
      if (closes && !jumped.has(i)) {
        jumped.add(i);
        second = true;
        i = start;
        continue;
      }
      if (closes || opens || it.line !== "|") {
        start = i + 1;
        second = false;
      }
    } else if (it.kind === "ending" && it.n === 1 && second) {
      let j = i + 1;
      while (j < items.length && !(items[j].kind === "ending" && (items[j] as { n: number }).n === 2)) j++;
      if (j >= items.length) break;
      second = false;
      start = j + 1;
      i = j + 1;
      continue;
    } else out.push(it);
    i += 1;
  }
  return out;
}

/** What to play for an ABC tune (header and music; stops at the blank line that ends it). */
export function perform(text: string): Performance {
  const header = readHeader(text);
  const reader = written(text, header);
  const played = unfold(reader.items);
  const notes: NoteEvent[] = [];
  const harmony: HarmonyEvent[] = [];
  let clock = 0;
  let open: HarmonyEvent | null = null;
  for (const it of played) {
    if (it.kind === "note") {
      notes.push({ start: clock, duration: it.duration, pitches: it.pitches, from: it.from, to: it.to, bar: it.bar });
      clock += it.duration;
    } else if (it.kind === "rest") clock += it.duration;
    else if (it.kind === "harmony") {
      const chord = chordSymbol(it.name);
      if (!chord) continue;
      if (open) open.duration = clock - open.start;
      open = { start: clock, duration: 0, bass: chord.bass, tones: chord.tones, name: it.name };
      harmony.push(open);
    }
  }
  if (open) open.duration = clock - open.start;
  return {
    notes,
    harmony: harmony.filter((h) => h.duration > 0),
    length: clock,
    bars: reader.bars,
    meter: header.meter,
    unit: header.unit || defaultUnit(header.meter),
    key: header.key,
    title: header.title,
    quarterBpm: header.tempo ? tempoQuarterBpm(header.tempo) : null,
  };
}

/**
 * The part of a tune still being written that will not change as more characters come:
 * everything up to the last complete bar line (a note at the very end may still grow a
 * length, a tie or a broken rhythm; a bar line may still become a repeat sign).
 */
export function settledPrefix(text: string, bodyStart = readHeader(text).bodyStart): string {
  let end = text.length;
  // Drop a trailing bar-line token and what follows the bar line before it.
  while (end > bodyStart && "|:]".includes(text[end - 1])) end -= 1;
  let i = end;
  while (i > bodyStart && !"|]".includes(text[i - 1])) i -= 1;
  return text.slice(0, i > bodyStart ? i : bodyStart);
}

export function bodyStart(text: string): number {
  return readHeader(text).bodyStart;
}
