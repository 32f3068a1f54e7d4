// The bar-aware ABC grammar: a port of training/music/grammar.py (the Python reference, whose
// docstring has the table of modes and the rules). `state.advance(c)` is the state after
// character c, or null when c would make the tune unparsable or a bar longer than M:/L: allows;
// the sampler masks every character whose advance is null. Same rules, same names (camelCase),
// integer tick arithmetic as in Python. web/test/music_grammar.test.ts checks it against masks
// computed by the Python module (web/test/fixtures/music_grammar.json). Pure: no DOM, no tensors.

export const TICKS = 96; // ticks per L: unit
type Ratio = readonly [number, number];
export const LENGTHS: Readonly<Record<string, Ratio>> = {
  "": [1, 1], "2": [2, 1], "3": [3, 1], "4": [4, 1], "6": [6, 1], "8": [8, 1], "/": [1, 2], "/2": [1, 2],
  "/4": [1, 4], "/8": [1, 8], "3/2": [3, 2], "3/4": [3, 4],
};
const LENGTH_KEYS = Object.keys(LENGTHS);
const TUPLETS: Readonly<Record<string, Ratio>> = { "2": [3, 2], "3": [2, 3], "4": [3, 4] };
export const BARLINES = ["|", "||", "|]", "|:", ":|", ":||", "::", ":||:"] as const; // (abc2midi reads :|: as :| alone)
export const METERS = ["2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "3/8", "2/2", "3/2", "5/4", "6/4", "C", "C|"] as const;
export const UNITS = ["1/4", "1/8", "1/16"] as const;
const TONICS = ["C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B"];
const MODES = ["", "m", "maj", "min", "dor", "mix", "lyd", "phr", "loc"];
export const KEYS: readonly string[] = TONICS.flatMap((t) => MODES.map((m) => t + m));
const QUALITIES = ["", "m", "7", "m7", "maj7", "dim", "dim7", "aug", "6", "m6", "9", "sus4", "sus2", "7sus4"];
const DECORATIONS = ["trill", "accent", "roll", "turn", "mordent", "tenuto", "staccato"]; // (not fermata: abc2midi lengthens its note)
const HEADER_FIELDS = "XTMLQK";
const BODY_FIELDS = "MLK";
const NOTES = "ABCDEFGabcdefg";
const RESTS = "zx";
const ACCIDENTALS = "^_=";
const MAX_TITLE = 80;
const MAX_OCTAVE_MARKS = 2;
const MAX_CHORD_NOTES = 3;
const ONE: Ratio = [1, 1];

const has = (set: string, c: string) => c.length === 1 && set.includes(c);
const isOne = (r: Ratio) => r[0] === 1 && r[1] === 1;
const isDigits = (s: string) => /^[0-9]+$/.test(s);

export function fraction(text: string): Ratio {
  if (text === "C" || text === "C|") return text === "C" ? [4, 4] : [2, 2];
  const [a, b] = text.split("/");
  return [Number(a), Number(b)];
}

/** Whether `text` is an allowed value of field `key` (complete) or the start of one. */
export function fieldOk(key: string, text: string, complete: boolean): boolean {
  const options = ({ M: METERS, L: UNITS, K: KEYS } as Record<string, readonly string[]>)[key];
  if (options !== undefined) return complete ? options.includes(text) : options.some((o) => o.startsWith(text));
  if (key === "X") return (isDigits(text) || (text === "" && !complete)) && text.length <= 4;
  if (key === "T") return text.length <= MAX_TITLE && !text.includes('"') && (!complete || text.trim() !== "");
  if (key === "Q") {
    const head = text.slice(0, 4);
    const tail = text.slice(4);
    const ok = ["1/4=", "1/8=", "3/8="].some((p) => p.startsWith(head)) && (tail === "" || isDigits(tail));
    return ok && tail.length <= 3 && (!complete || tail.length >= 2);
  }
  return false;
}

/** A chord symbol ROOT [#b] QUALITY [/ BASS [#b+]] (or the start of one). */
export function symbolOk(text: string, complete: boolean): boolean {
  if (!text) return !complete;
  if (!"ABCDEFG".includes(text[0])) return false;
  let rest = text.slice(1);
  if (rest[0] === "#" || rest[0] === "b") rest = rest.slice(1);
  const at = rest.indexOf("/");
  if (at < 0) return complete ? QUALITIES.includes(rest) : QUALITIES.some((q) => q.startsWith(rest));
  const quality = rest.slice(0, at);
  const bass = rest.slice(at + 1);
  if (!QUALITIES.includes(quality) || bass.length > 2 || (bass && !has(NOTES, bass[0]))) return false;
  return ["", "#", "b", "+"].includes(bass.slice(1)) && (bass.length > 0 || !complete);
}

type Mode = "line" | "field" | "music" | "acc" | "note" | "bar" | "bracket" | "chord" | "symbol" | "deco" | "paren" | "end";

/** Where the writing of a tune stands (see training/music/grammar.py). */
export class AbcState {
  mode: Mode;
  text: string;
  inHeader: boolean;
  fieldKey: string;
  colon: boolean;
  meter: string;
  unit: string;
  full: number;
  barTicks: number;
  bars: number;
  opensSection: boolean;
  lastBar: string;
  afterBar: boolean;
  afterNote: boolean;
  needNote: boolean;
  decorated: boolean;
  tupletLeft: number;
  tuplet: Ratio;
  broken: Ratio;
  lastTicks: number;
  lastLength: string; // the last note's length suffix
  pairLength: string | null; // the suffix a > or < asks of the next note
  letter: string;
  accidental: string;
  tied: string;
  tieTo: string;
  barAccidentals: readonly string[];
  chord: boolean;
  chordNotes: number;
  chordLength: string; // the first chord note's length suffix
  repeatOpen: boolean;
  repeats: number;
  ending: string; // "", "1", "after1", "2"
  lineStart: boolean; // this character starts a line
  firstOnLine: boolean; // the note being read started its line

  /** A fresh state, or a copy of `source` (what advance steps from): every field written once,
   * in one order, so that V8 gives all states one shape and copying is cheap. */
  constructor(source?: AbcState) {
    const s = source;
    this.mode = s ? s.mode : "line";
    this.text = s ? s.text : "";
    this.inHeader = s ? s.inHeader : true;
    this.fieldKey = s ? s.fieldKey : "";
    this.colon = s ? s.colon : false;
    this.meter = s ? s.meter : "4/4";
    this.unit = s ? s.unit : "";
    this.full = s ? s.full : 0;
    this.barTicks = s ? s.barTicks : 0;
    this.bars = s ? s.bars : 0;
    this.opensSection = s ? s.opensSection : true;
    this.lastBar = s ? s.lastBar : "";
    this.afterBar = s ? s.afterBar : false;
    this.afterNote = s ? s.afterNote : false;
    this.needNote = s ? s.needNote : false;
    this.decorated = s ? s.decorated : false;
    this.tupletLeft = s ? s.tupletLeft : 0;
    this.tuplet = s ? s.tuplet : ONE;
    this.broken = s ? s.broken : ONE;
    this.lastTicks = s ? s.lastTicks : 0;
    this.lastLength = s ? s.lastLength : "";
    this.pairLength = s ? s.pairLength : null;
    this.letter = s ? s.letter : "";
    this.accidental = s ? s.accidental : "";
    this.tied = s ? s.tied : "";
    this.tieTo = s ? s.tieTo : "";
    this.barAccidentals = s ? s.barAccidentals : [];
    this.chord = s ? s.chord : false;
    this.chordNotes = s ? s.chordNotes : 0;
    this.chordLength = s ? s.chordLength : "";
    this.repeatOpen = s ? s.repeatOpen : false;
    this.repeats = s ? s.repeats : 0;
    this.ending = s ? s.ending : "";
    this.lineStart = s ? s.lineStart : false;
    this.firstOnLine = s ? s.firstOnLine : false;
    if (!s) this.setBarLength();
  }

  // ------------------------------------------------------------ durations
  setBarLength(): void {
    const [a, b] = fraction(this.meter);
    const [, d] = fraction(this.unit || (4 * a < 3 * b ? "1/16" : "1/8"));
    this.full = Math.floor((TICKS * a * d) / b);
  }

  /** Ticks of the next note with this length suffix (tuplet and broken rhythm applied), or null when not whole. */
  ticks(suffix: string): number | null {
    const [num, den] = LENGTHS[suffix];
    const t = this.tupletLeft ? this.tuplet : ONE;
    const top = TICKS * num * t[0] * this.broken[0];
    const bottom = den * t[1] * this.broken[1];
    return top % bottom === 0 ? top / bottom : null;
  }

  /** The length suffixes the next note may have (after > or <: the same as the note before). */
  lengths(): readonly string[] {
    return this.pairLength === null ? LENGTH_KEYS : [this.pairLength];
  }

  minTicks(): number {
    let best = Infinity;
    for (const s of this.lengths()) {
      const t = this.ticks(s);
      if (t) best = Math.min(best, t);
    }
    return best;
  }

  /** Ticks the next note may take: what the bar has left minus what later tuplet notes need. */
  room(): number {
    return this.full - this.barTicks - Math.max(0, this.tupletLeft - 1) * this.minTicks();
  }

  /** Some length starting with `prefix` is whole ticks within the room. */
  fits(prefix: string): boolean {
    if (this.chord && this.chordNotes > 0) return this.chordLength.startsWith(prefix); // later chord notes are as long as the first
    return this.lengths().some((s) => {
      if (!s.startsWith(prefix)) return false;
      const t = this.ticks(s);
      return t !== null && t <= this.room();
    });
  }

  /** Something started that only a note can finish (no bar line or line end before it). */
  waiting(): boolean {
    return this.needNote || this.tupletLeft > 0 || !isOne(this.broken);
  }

  // ------------------------------------------------------------ the machine
  advance(c: string): AbcState | null {
    const next = new AbcState(this);
    next.lineStart = this.mode === "line";
    return next.step(c) ? next : null;
  }

  /** Per character of `chars`, whether it may come next. */
  allowed(chars: readonly string[]): boolean[] {
    return chars.map((c) => this.advance(c) !== null);
  }

  /** The state after `text`; throws at the first character the grammar refuses. */
  feed(text: string): AbcState {
    let state: AbcState = this;
    let i = 0;
    for (const c of text) {
      const next = state.advance(c);
      if (next === null) {
        throw new GrammarError(i, c, text.slice(Math.max(0, i - 30), i), state.mode);
      }
      state = next;
      i += 1;
    }
    return state;
  }

  private step(c: string): boolean {
    switch (this.mode) {
      case "line": return this.line(c);
      case "field": return this.field(c);
      case "music": return this.music(c);
      case "acc": return this.acc(c);
      case "note": return this.note(c);
      case "bar": return this.barLine(c);
      case "bracket": return this.bracket(c);
      case "chord": return this.chordStep(c);
      case "symbol": return this.symbol(c);
      case "deco": return this.deco(c);
      case "paren": return this.paren(c);
      case "end": return false;
    }
  }

  private line(c: string): boolean {
    if (c === "\n") {
      // A blank line ends the tune.
      if (!this.inHeader && this.bars > 0 && !this.barTicks && this.lastBar !== "" && this.lastBar !== "|" && !this.repeatOpen && this.ending === "" && !this.tieTo) {
        this.mode = "end";
        return true;
      }
      return false;
    }
    const fields = this.inHeader ? HEADER_FIELDS : BODY_FIELDS;
    if (has(fields, c) && (this.inHeader || (!this.barTicks && !this.tieTo && this.ending !== "after1"))) {
      this.mode = "field";
      this.fieldKey = c;
      this.colon = false;
      this.text = "";
      return true;
    }
    if (this.inHeader || c === " ") return false;
    this.mode = "music";
    return this.music(c);
  }

  private field(c: string): boolean {
    if (!this.colon) {
      this.colon = c === ":";
      return this.colon;
    }
    if (c !== "\n") {
      this.text += c;
      return fieldOk(this.fieldKey, this.text, false);
    }
    if (!fieldOk(this.fieldKey, this.text, true)) return false;
    if (this.fieldKey === "M" || this.fieldKey === "L") {
      if (this.fieldKey === "M") this.meter = this.text;
      else this.unit = this.text;
      this.setBarLength();
    }
    this.inHeader = this.inHeader && this.fieldKey !== "K";
    this.mode = "line";
    return true;
  }

  private music(c: string): boolean {
    if (this.decorated) return !has(RESTS, c) && this.noteStart(c); // a decoration sits right before its note
    if (c === " ") return true; // (a tie or a broken rhythm may still follow: "c3 -c")
    if (this.ending === "after1") {
      // After the first ending's :| only the second ending may come.
      if (c !== "\n" && c !== "[") return false;
      this.mode = c === "\n" ? "line" : "bracket";
      return true;
    }
    if (this.tieTo && c !== "\n" && c !== "|" && !has(NOTES, c)) return false; // a tie waits for its note
    if (c === "\n") {
      this.mode = "line";
      this.afterNote = false;
      return !this.waiting();
    }
    if (c === "|" || c === ":") {
      const ok = !this.waiting() && BARLINES.some((b) => b.startsWith(c) && this.barOk(b));
      this.mode = "bar";
      this.text = c;
      return ok;
    }
    if (c === "-") {
      // (the tied note must fit next: in this bar, or after a bar line when it is full)
      const room = this.full - this.barTicks;
      const ok = this.afterNote && !!this.tied && !this.chord && (room === 0 || room >= this.minTicks());
      this.tieTo = this.tied;
      this.afterNote = false;
      return ok;
    }
    if (c === ">" || c === "<") return this.brokenRhythm(c);
    const afterBar = this.afterBar;
    this.afterNote = false;
    this.afterBar = false;
    if (c === ")") return !this.tieTo;
    if (this.room() < this.minTicks()) return false; // everything below starts something that takes time
    if (c === "[") {
      this.afterBar = afterBar;
      if (this.decorated || this.tieTo) return false;
      this.mode = "bracket";
      return true;
    }
    if (c === '"' || c === "!") {
      this.mode = c === '"' ? "symbol" : "deco";
      this.text = "";
      this.needNote = true;
      return true;
    }
    if (c === "~") {
      this.needNote = true;
      this.decorated = true;
      return true;
    }
    if (c === "(") {
      this.mode = "paren";
      return true;
    }
    return this.noteStart(c);
  }

  private noteStart(c: string): boolean {
    if (has(ACCIDENTALS, c)) {
      this.mode = "acc";
      this.accidental = c;
      return !(this.tieTo && !this.chord);
    }
    if (has(NOTES, c) || (has(RESTS, c) && !this.chord)) {
      this.mode = "note";
      this.text = "";
      this.letter = c;
      this.accidental = "";
      this.firstOnLine = this.lineStart;
      this.needNote = false;
      this.decorated = false;
      return !this.tieTo || this.chord || c === this.tieTo[0];
    }
    return false;
  }

  private acc(c: string): boolean {
    if ((c === "^" || c === "_") && this.accidental === c) {
      this.accidental += c;
      return true;
    }
    if (has(NOTES, c)) {
      this.mode = "note";
      this.text = "";
      this.letter = c;
      this.needNote = false;
      this.decorated = false;
      return true;
    }
    return false;
  }

  private note(c: string): boolean {
    const tieCheck = !!this.tieTo && !this.chord;
    if (c === "'" || c === ",") {
      const octaves = this.letter.length - 1;
      if (this.text || has(RESTS, this.letter[0]) || octaves >= MAX_OCTAVE_MARKS) return false;
      const lower = this.letter[0] === this.letter[0].toLowerCase();
      if (c !== (lower ? "'" : ",")) return false;
      this.letter += c;
      return !tieCheck || this.tieTo.startsWith(this.letter);
    }
    if (!this.text && tieCheck && this.letter !== this.tieTo) return false;
    if (c === ":" && this.firstOnLine && this.letter.length === 1) return false; // "a:" would read as a field line
    if (this.fits(this.text + c)) {
      this.text += c;
      return true;
    }
    return this.endNote() && this.afterNoteStep(c);
  }

  private endNote(): boolean {
    if (!(this.text in LENGTHS)) return false;
    this.tieTo = "";
    if (this.chord && this.chordNotes > 0) {
      this.chordNotes += 1;
      return this.text === this.chordLength;
    }
    const ticks = this.ticks(this.text);
    if (ticks === null || ticks > this.room() || !this.lengths().includes(this.text)) return false;
    this.barTicks += ticks;
    this.lastTicks = ticks;
    this.broken = ONE;
    this.lastLength = this.text;
    this.pairLength = null;
    this.tupletLeft = Math.max(0, this.tupletLeft - 1);
    this.chordNotes += this.chord ? 1 : 0;
    this.chordLength = this.text;
    if (this.accidental) this.barAccidentals = [...this.barAccidentals, this.letter];
    const plain = !has(RESTS, this.letter[0]) && !this.accidental && !this.barAccidentals.includes(this.letter);
    this.tied = plain && !this.chord ? this.letter : "";
    return true;
  }

  private afterNoteStep(c: string): boolean {
    if (this.chord) {
      this.mode = "chord";
      return this.chordStep(c);
    }
    this.mode = "music";
    this.afterNote = true;
    return this.music(c);
  }

  private brokenRhythm(c: string): boolean {
    if (!this.afterNote || this.tupletLeft || !isOne(this.broken) || this.lastTicks % 2) return false;
    const half = this.lastTicks / 2;
    this.barTicks += c === ">" ? half : -half;
    this.broken = c === ">" ? [1, 2] : [3, 2];
    this.afterNote = false;
    this.tied = "";
    this.pairLength = this.lastLength; // abc2midi pairs notes of equal length only
    const pair = this.ticks(this.pairLength);
    return pair !== null && this.room() >= pair;
  }

  private barLine(c: string): boolean {
    if (BARLINES.some((b) => b.startsWith(this.text + c) && this.barOk(b))) {
      this.text += c;
      return true;
    }
    const line = this.text;
    if (c === "|" || c === ":" || !this.barOk(line)) return false; // (two bar lines in a row would read as another one)
    const closes = line.startsWith(":");
    const opens = line.endsWith(":");
    if (line !== "|") {
      // Repeats and endings.
      if (this.ending === "1" || this.ending === "2") this.ending = this.ending === "1" ? "after1" : "";
      if (opens || closes) {
        this.repeatOpen = opens;
        this.repeats += 1;
      }
    }
    if (this.barTicks) {
      this.bars += 1;
      this.opensSection = line !== "|";
    } else this.opensSection = this.opensSection || line !== "|";
    this.barTicks = 0;
    this.lastBar = line;
    this.tied = "";
    this.barAccidentals = [];
    this.mode = "music";
    this.afterNote = false;
    this.afterBar = true;
    return this.music(c);
  }

  /** Whether bar line `line` may close the bar here (see the rules in grammar.py). */
  barOk(line: string): boolean {
    // (a tie crosses one plain bar line, straight to its note)
    if (!(BARLINES as readonly string[]).includes(line) || (this.tieTo && (line !== "|" || !this.barTicks))) return false;
    if (line === "|") return !(this.barTicks > 0 && this.barTicks < this.full && !this.opensSection);
    const closes = line.startsWith(":");
    const opens = line.endsWith(":");
    if ((this.ending === "1" && !closes) || (this.ending === "2" && closes)) return false;
    if (closes && opens) return this.repeatOpen || this.repeats === 0;
    return !(opens && this.repeatOpen);
  }

  private bracket(c: string): boolean {
    if (c === "1" || c === "2") {
      const wanted = c === "2" ? "after1" : "";
      const ok = this.afterBar && this.barTicks === 0 && !this.needNote && this.ending === wanted;
      this.mode = "music";
      this.ending = c;
      this.afterBar = false;
      return ok;
    }
    if (this.ending === "after1") return false;
    this.chord = true;
    this.chordNotes = 0;
    this.mode = "chord";
    return this.noteStart(c);
  }

  private chordStep(c: string): boolean {
    if (c === "]") {
      this.chord = false;
      this.mode = "music";
      this.afterNote = true;
      return this.chordNotes > 0;
    }
    return this.chordNotes < MAX_CHORD_NOTES && this.noteStart(c);
  }

  private symbol(c: string): boolean {
    if (c === '"') {
      this.mode = "music";
      return symbolOk(this.text, true);
    }
    this.text += c;
    return symbolOk(this.text, false);
  }

  private deco(c: string): boolean {
    if (c === "!") {
      this.mode = "music";
      this.decorated = true;
      return DECORATIONS.includes(this.text);
    }
    this.text += c;
    return DECORATIONS.some((d) => d.startsWith(this.text));
  }

  private paren(c: string): boolean {
    if (c in TUPLETS) {
      if (this.tupletLeft || !isOne(this.broken)) return false;
      this.tupletLeft = Number(c);
      this.tuplet = TUPLETS[c];
      this.mode = "music";
      return this.room() >= this.minTicks();
    }
    this.mode = "music";
    return !"|:\n)".includes(c) && this.music(c);
  }
}

export class GrammarError extends Error {
  constructor(
    readonly index: number,
    readonly char: string,
    readonly before: string,
    readonly mode: string,
  ) {
    super(`character ${index + 1} ${JSON.stringify(char)} is not ABC the grammar allows after ${JSON.stringify(before)}`);
  }
}
