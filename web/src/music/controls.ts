// The Music studio's controls: the tune's header (title, meter, key, unit length, tempo, an
// optional first bar), the sampling (temperature, top-p, length in bars, the bar-aware switch,
// the random seed) and the sound (instrument, chords). Every input has a label and a hint.
import { numberField, rangeField, type Field } from "../poems/controls";
import { h, uniqueId } from "../ui/dom";
import {
  cleanFirstBar, cleanTitle, defaultTitle, DEFAULTS, INSTRUMENTS, isKey, LIMITS, METERS, MODES, TONICS, UNITS,
  type InstrumentId, type TuneSettings,
} from "./settings";

function selectField(name: string, label: string, hint: string, options: [string, string][], value: string): { element: HTMLElement; select: HTMLSelectElement } {
  const id = uniqueId(`music-${name}`);
  const select = h("select", { id, name, "aria-describedby": `${id}-hint` }, ...options.map(([v, text]) => h("option", { value: v, text, selected: v === value })));
  const element = h("div", { class: "field" }, h("label", { for: id, text: label }), select, h("p", { class: "hint", id: `${id}-hint`, text: hint }));
  return { element, select };
}

function textField(name: string, label: string, hint: string, placeholder: string, maxlength: number): { element: HTMLElement; input: HTMLInputElement } {
  const id = uniqueId(`music-${name}`);
  const input = h("input", { id, name, type: "text", maxlength, placeholder, spellcheck: "false", autocomplete: "off", "aria-describedby": `${id}-hint` });
  const element = h("div", { class: "field" }, h("label", { for: id, text: label }), input, h("p", { class: "hint", id: `${id}-hint`, text: hint }));
  return { element, input };
}

function checkField(name: string, label: string, hint: string, checked: boolean): { element: HTMLElement; input: HTMLInputElement } {
  const id = uniqueId(`music-${name}`);
  const input = h("input", { id, name, type: "checkbox", checked, "aria-describedby": `${id}-hint` });
  const element = h("div", { class: "field check" }, h("div", { class: "check-row" }, input, h("label", { for: id, text: label })), h("p", { class: "hint", id: `${id}-hint`, text: hint }));
  return { element, input };
}

const KEY_OPTIONS: [string, string][] = TONICS.flatMap((t) => Object.entries(MODES).map(([m, name]): [string, string] => [t + m, `${t.replace("b", "♭")} ${name}`]));

export class MusicControls {
  readonly element: HTMLElement;
  readonly title = textField("title", "Title", "The T: line. Empty: named after the meter.", defaultTitle(DEFAULTS.meter), LIMITS.title);
  readonly meter = selectField("meter", "Meter", "M: beats in a bar. 6/8 jigs, 4/4 reels, 3/4 waltzes…", METERS.map((m) => [m, m]), DEFAULTS.meter);
  readonly key = selectField("key", "Key", "K: the tonic and the mode.", KEY_OPTIONS, DEFAULTS.key);
  readonly unit = selectField("unit", "Unit length", "L: the length of a note without a number.", UNITS.map((u) => [u, u]), DEFAULTS.unit);
  readonly tempo: Field;
  readonly firstBar = textField("first-bar", "First bar (optional)", "ABC the tune starts with, e.g. GAB c2d|", "e.g. GAB c2d|", LIMITS.firstBar);
  readonly temperature: Field;
  readonly topP: Field;
  readonly bars: Field;
  readonly barAware = checkField("bar-aware", "Bar-aware sampler", "Masks characters that would break the ABC or overfill a bar, as the model writes.", DEFAULTS.barAware);
  readonly seed: Field;
  readonly instrument = selectField("instrument", "Instrument", "Synthesised in the page.", Object.entries(INSTRUMENTS), DEFAULTS.instrument);
  readonly chords = checkField("chords", "Chords", "Bass and chords from the tune's chord symbols.", DEFAULTS.accompaniment);
  readonly playAlong = checkField("play-along", "Play while writing", "Start the sound as soon as the first bar is written.", true);
  readonly soundControls: HTMLElement;

  constructor() {
    this.tempo = rangeField("tempo", "Tempo", "Beats per minute (a beat is a dotted quarter in 6/8 and 9/8). Changes the playing tune too.", LIMITS.tempo[0], LIMITS.tempo[1], 1, DEFAULTS.tempo, (v) => `${v} bpm`);
    this.temperature = rangeField("temperature", "Temperature", "Low: safe and repetitive. High: surprising, then chaotic.", 0, 2, 0.05, DEFAULTS.temperature, (v) => v.toFixed(2));
    this.topP = rangeField("top-p", "Top-p", "Only the likeliest characters that together make up this much probability.", LIMITS.topP[0], 1, 0.01, DEFAULTS.topP, (v) => (v >= 1 ? "off" : v.toFixed(2)));
    this.bars = numberField("bars", "Length in bars", `Bars to write (${LIMITS.bars[0]}–${LIMITS.bars[1]}).`, LIMITS.bars[0], LIMITS.bars[1], 1, DEFAULTS.bars);
    this.seed = numberField("random-seed", "Random seed", "Same seed and settings, same tune. Empty: new dice each time.", 0, 4294967295, 1, "");
    this.meter.select.addEventListener("change", () => (this.title.input.placeholder = defaultTitle(this.meter.select.value)));
    this.soundControls = h("div", { class: "sound-controls" }, this.instrument.element, this.chords.element, this.playAlong.element);
    this.element = h(
      "div",
      { class: "music-controls" },
      h("fieldset", { class: "header-fields" }, h("legend", { text: "The tune" }), this.title.element, this.meter.element, this.key.element, this.unit.element, this.tempo.element, this.firstBar.element),
      h("fieldset", { class: "sampling-fields" }, h("legend", { text: "The dice" }), this.temperature.element, this.topP.element, this.bars.element, this.barAware.element,
        h("details", { class: "more" }, h("summary", { text: "Reproducible runs" }), this.seed.element)),
    );
  }

  /** Current settings, clamped to their ranges (the inputs stay as typed). */
  read(): TuneSettings {
    const num = (f: Field, fallback: number) => {
      const v = Number(f.input.value);
      return f.input.value.trim() === "" || !Number.isFinite(v) ? fallback : v;
    };
    const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));
    const seed = this.seed.input.value.trim();
    return {
      title: cleanTitle(this.title.input.value),
      meter: this.meter.select.value,
      unit: this.unit.select.value,
      key: isKey(this.key.select.value) ? this.key.select.value : DEFAULTS.key,
      tempo: Math.round(clamp(num(this.tempo, DEFAULTS.tempo), LIMITS.tempo)),
      firstBar: cleanFirstBar(this.firstBar.input.value),
      temperature: clamp(num(this.temperature, DEFAULTS.temperature), LIMITS.temperature),
      topP: clamp(num(this.topP, DEFAULTS.topP), LIMITS.topP),
      bars: Math.round(clamp(num(this.bars, DEFAULTS.bars), LIMITS.bars)),
      barAware: this.barAware.input.checked,
      seed: seed === "" || !Number.isFinite(Number(seed)) ? null : Math.floor(clamp(Number(seed), [0, 4294967295])),
      instrument: this.instrument.select.value as InstrumentId,
      accompaniment: this.chords.input.checked,
    };
  }

  /** Puts settings (a share link's) into the inputs. */
  write(s: TuneSettings): void {
    this.title.input.value = s.title;
    this.meter.select.value = s.meter;
    this.key.select.value = s.key;
    this.unit.select.value = s.unit;
    this.firstBar.input.value = s.firstBar;
    this.bars.input.value = String(s.bars);
    this.barAware.input.checked = s.barAware;
    this.seed.input.value = s.seed === null ? "" : String(s.seed);
    this.instrument.select.value = s.instrument;
    this.chords.input.checked = s.accompaniment;
    for (const [field, value] of [[this.tempo, s.tempo], [this.temperature, s.temperature], [this.topP, s.topP]] as const) {
      field.input.value = String(value);
      field.input.dispatchEvent(new Event("input"));
    }
    this.title.input.placeholder = defaultTitle(s.meter);
  }
}
