// The writing controls: seed text, temperature, top-k, top-p, length, random seed.
// Every input has a visible label and a hint tied to it with aria-describedby.
import { h, uniqueId } from "../ui/dom";
import type { SamplingOptions } from "./sampling";

export interface WriteSettings extends SamplingOptions {
  seedText: string;
  length: number;
  /** Fixed random seed, or null for a fresh one each time. */
  randomSeed: number | null;
}

export interface Field {
  element: HTMLElement;
  input: HTMLInputElement;
}

/** A labelled slider with its value shown beside the label and a hint (the music studio uses it too). */
export function rangeField(name: string, label: string, hint: string, min: number, max: number, step: number, value: number, format: (v: number) => string): Field {
  const id = uniqueId(`poem-${name}`);
  const hintId = `${id}-hint`;
  const input = h("input", { id, name, type: "range", min, max, step, value, "aria-describedby": hintId });
  const output = h("output", { for: id, class: "value", text: format(value) });
  const sync = () => {
    output.textContent = format(Number(input.value));
    input.setAttribute("aria-valuetext", format(Number(input.value)));
  };
  input.addEventListener("input", sync);
  sync();
  const element = h(
    "div",
    { class: "field" },
    h("div", { class: "field-head" }, h("label", { for: id, text: label }), output),
    input,
    h("p", { class: "hint", id: hintId, text: hint }),
  );
  return { element, input };
}

/** A labelled number input with a hint. */
export function numberField(name: string, label: string, hint: string, min: number, max: number, step: number, value: number | ""): Field {
  const id = uniqueId(`poem-${name}`);
  const hintId = `${id}-hint`;
  const input = h("input", { id, name, type: "number", min, max, step, value, inputmode: "numeric", "aria-describedby": hintId });
  const element = h("div", { class: "field" }, h("label", { for: id, text: label }), input, h("p", { class: "hint", id: hintId, text: hint }));
  return { element, input };
}

export class WriteControls {
  readonly element: HTMLElement;
  readonly seed: HTMLTextAreaElement;
  private readonly temperature: Field;
  private readonly topK: Field;
  private readonly topP: Field;
  private readonly length: Field;
  private readonly randomSeed: Field;

  constructor() {
    const seedId = uniqueId("poem-seed");
    this.seed = h("textarea", {
      id: seedId,
      name: "seed",
      rows: 3,
      spellcheck: "false",
      "aria-describedby": `${seedId}-hint`,
      placeholder: "Type a first line…",
    });
    this.temperature = rangeField("temperature", "Temperature", "Low: safe and repetitive. High: surprising, then nonsense. 0 always takes the likeliest character.", 0, 2, 0.05, 0.8, (v) => v.toFixed(2));
    this.topK = numberField("top-k", "Top-k", "Only the k likeliest characters may come next (0: no limit).", 0, 500, 1, 0);
    this.topP = rangeField("top-p", "Top-p", "Only the likeliest characters that together make up this much probability.", 0.05, 1, 0.01, 1, (v) => (v >= 1 ? "off" : v.toFixed(2)));
    this.length = numberField("length", "Length", "Characters to write (1–10,000).", 1, 10000, 50, 400);
    this.randomSeed = numberField("random-seed", "Random seed", "Same seed, same settings, same poem. Empty: a new one each time.", 0, 4294967295, 1, "");
    this.element = h(
      "div",
      { class: "write-controls" },
      h(
        "div",
        { class: "field seed-field" },
        h("label", { for: seedId, text: "First line" }),
        this.seed,
        h("p", { class: "hint", id: `${seedId}-hint`, text: "The poet reads this first and carries on from it. Ctrl+Enter writes, Escape stops." }),
      ),
      h("div", { class: "sliders" }, this.temperature.element, this.topP.element, this.topK.element, this.length.element),
      h("details", { class: "more" }, h("summary", { text: "Reproducible runs" }), this.randomSeed.element),
    );
  }

  setSeedText(text: string): void {
    this.seed.value = text;
  }

  /** Current settings, clamped to sensible ranges (the inputs stay as typed). */
  read(): WriteSettings {
    const num = (f: Field, fallback: number) => {
      const v = Number(f.input.value);
      return f.input.value.trim() === "" || !Number.isFinite(v) ? fallback : v;
    };
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    const seedValue = this.randomSeed.input.value.trim();
    return {
      seedText: this.seed.value,
      temperature: clamp(num(this.temperature, 0.8), 0, 2),
      topK: Math.round(clamp(num(this.topK, 0), 0, 500)),
      topP: clamp(num(this.topP, 1), 0.01, 1),
      length: Math.round(clamp(num(this.length, 400), 1, 10000)),
      randomSeed: seedValue === "" || !Number.isFinite(Number(seedValue)) ? null : Math.floor(clamp(Number(seedValue), 0, 4294967295)),
    };
  }
}
