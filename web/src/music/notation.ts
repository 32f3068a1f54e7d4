// The score, drawn by abcjs (MIT) from the ABC text as it grows, and the note being played
// highlighted by its character position (abcjs keeps each drawn element's startChar/endChar).
// Each line of music is drawn as a staff of its own (with the clef and key signature, as printed
// music has on every line), so that a growing tune redraws only its last line: a whole 32-bar
// tune at once takes abcjs 100-250 ms here, a line 10-20 ms.
// Under our CSP abcjs needs the build's abcjs-csp plugin (web/abcjs_csp.mjs).
import { renderAbc, type TuneObject } from "abcjs";
import { h } from "../ui/dom";
import { bodyStart } from "./abc_events";
import { defaultUnit } from "./abc_theory";

export interface RenderResult {
  warnings: string[];
  /** Time spent in abcjs (0 when nothing changed) and the longest single line. */
  ms: number;
  longestMs: number;
}

const PLAYING = "muza-playing";

interface Staff {
  /** The ABC drawn for this staff: a header, then one line of the tune. */
  source: string;
  /** Where the line starts in the whole text, and in `source`. */
  start: number;
  end: number;
  offset: number;
  element: HTMLElement;
  notes: { from: number; to: number; el: SVGElement }[];
  warnings: string[];
}

const BARS_PER_STAFF = 4;

/** Splits a line of music after every BARS_PER_STAFF-th bar line: [start, end, bars] in the line. */
export function staffBreaks(line: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  let start = 0;
  let bars = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    if (quoted || c !== "|") continue;
    let end = i + 1;
    while (end < line.length && "|:]".includes(line[end])) end += 1;
    if (/^\[?[12]/.test(line.slice(end))) continue; // keep an ending with its bar line
    bars += 1;
    i = end - 1;
    if (bars === BARS_PER_STAFF && line.slice(end).trim()) {
      out.push([start, end, bars]);
      start = end;
      bars = 0;
    }
  }
  out.push([start, line.length, bars]);
  return out;
}

/** The staves of a tune: each music line (long ones split every few bars) with the header that
 * holds there (M:/L:/K: lines fold in). */
export function staffSources(text: string): { source: string; start: number; end: number; offset: number }[] {
  const head = bodyStart(text);
  const fields: Record<string, string> = {};
  let title = "";
  let tempo = "";
  for (const line of text.slice(0, head).split("\n")) {
    const m = /^([A-Za-z]):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "T" && !title) title = m[2];
    else if (m[1] === "Q") tempo = m[2];
    else fields[m[1]] = m[2];
  }
  const out: { source: string; start: number; end: number; offset: number }[] = [];
  let pos = head;
  while (pos < text.length) {
    const stop = text.indexOf("\n", pos);
    const end = stop < 0 ? text.length : stop;
    const line = text.slice(pos, end);
    const field = /^([MLK]):(.*)$/.exec(line);
    if (field) fields[field[1]] = field[2];
    else if (line.trim()) {
      for (const [from, to, bars] of staffBreaks(line)) {
        // A piece without a note or rest (a lone bar line, a chord symbol) would draw an empty staff.
        if (!/[A-Ga-gzx]/.test(line.slice(from, to).replace(/"[^"]*"|![^!]*!/g, ""))) continue;
        const first = out.length === 0;
        // A full staff is stretched to the width, as the lines of printed music are.
        const header = ["X:1", bars >= BARS_PER_STAFF - 1 ? "%%stretchlast 1" : null, first && title ? `T:${title}` : null, `M:${first ? fields.M ?? "none" : "none"}`, `L:${fields.L ?? defaultUnit(fields.M ?? "4/4")}`, first && tempo ? `Q:${tempo}` : null, `K:${fields.K ?? "C"}`]
          .filter(Boolean).join("\n") + "\n";
        out.push({ source: header + line.slice(from, to), start: pos + from, end: pos + to, offset: header.length });
      }
    }
    pos = end + 1;
  }
  return out;
}

export class Notation {
  readonly element: HTMLElement;
  private readonly paper: HTMLElement;
  private staves: Staff[] = [];
  private lit: SVGElement | null = null;
  private text = "";
  /** Warnings of the last render (abcjs reports what it could not read). */
  warnings: string[] = [];

  constructor(label = "The tune as sheet music") {
    this.paper = h("div", { class: "abc-paper" });
    this.element = h("figure", { class: "notation", "aria-label": label }, this.paper);
  }

  /** Draws `text` (only the staves whose ABC changed). */
  render(text: string): RenderResult {
    if (text === this.text) return { warnings: this.warnings, ms: 0, longestMs: 0 };
    this.text = text;
    this.highlight(null);
    const sources = staffSources(text);
    let ms = 0;
    let longestMs = 0;
    const next: Staff[] = [];
    sources.forEach((s, i) => {
      const old = this.staves[i];
      if (old && old.source === s.source) {
        next.push({ ...old, start: s.start, end: s.end });
        return;
      }
      const t0 = performance.now();
      const staff = this.draw(s, old?.element ?? h("div", { class: "abc-staff" }));
      const took = performance.now() - t0;
      ms += took;
      longestMs = Math.max(longestMs, took);
      next.push(staff);
    });
    for (const gone of this.staves.slice(sources.length)) gone.element.remove();
    next.forEach((s, i) => {
      if (this.paper.children[i] !== s.element) this.paper.insertBefore(s.element, this.paper.children[i] ?? null);
    });
    this.staves = next;
    this.warnings = next.flatMap((s) => s.warnings);
    return { warnings: this.warnings, ms, longestMs };
  }

  private draw(s: { source: string; start: number; end: number; offset: number }, element: HTMLElement): Staff {
    const [tune] = renderAbc(element, s.source, {
      add_classes: true,
      responsive: "resize",
      staffwidth: 740,
      paddingtop: 2,
      paddingbottom: 2,
      paddingleft: 2,
      paddingright: 6,
      foregroundColor: "#1f2430",
    }) as TuneObject[];
    const notes: Staff["notes"] = [];
    for (const sel of tune?.getSelectableArray() ?? []) {
      const abc = (sel.absEl as unknown as { abcelem?: { el_type?: string; startChar?: number; endChar?: number } }).abcelem;
      if (abc?.el_type === "note" && typeof abc.startChar === "number" && typeof abc.endChar === "number") {
        notes.push({ from: abc.startChar - s.offset, to: abc.endChar - s.offset, el: sel.svgEl });
      }
    }
    const warnings = (tune?.warnings ?? []).map((w) => w.replace(/<[^>]*>/g, ""));
    return { ...s, element, notes, warnings };
  }

  /** Highlights the note drawn for character `from` of the text (null: none). */
  highlight(from: number | null): void {
    let next: SVGElement | null = null;
    if (from !== null) {
      const staff = this.staves.find((s) => s.start <= from && from < s.end);
      const local = staff ? from - staff.start : -1;
      next = staff?.notes.find((n) => n.from <= local && local < n.to)?.el ?? null;
    }
    if (next === this.lit) return;
    this.lit?.classList.remove(PLAYING);
    next?.classList.add(PLAYING);
    this.lit = next;
  }

  /** How many notes (and rests) the drawing holds (tests). */
  get noteCount(): number {
    return this.staves.reduce((n, s) => n + s.notes.length, 0);
  }

  clear(): void {
    this.render("");
  }
}
