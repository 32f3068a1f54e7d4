// The controls: scale and variation of the noise, the seed (type one, or reseed), colour
// (hue, saturation, brightness, contrast), Randomise and Reset.
import { h, uniqueId } from "../ui/dom";
import { sliderRow, type SliderRow } from "../ui/slider_row";
import { LIMITS } from "./bg_state";
import type { TextureHost } from "./texture_panel";

export interface ControlsHost extends TextureHost {
  randomise(): void;
  reset(): void;
  reseed(): void;
}

type NumberKey = "scale" | "variation" | "hue" | "saturation" | "brightness" | "contrast";

const signed = (v: number, digits: number) => `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v).toFixed(digits)}`;

export class ControlsPanel {
  readonly element: HTMLElement;
  private readonly rows = new Map<NumberKey, SliderRow>();
  private readonly seed: HTMLInputElement;

  constructor(private readonly host: ControlsHost) {
    const row = (key: NumberKey, label: string, title: string, step: number, format: (v: number) => string) => {
      const [min, max] = LIMITS[key];
      const r = sliderRow({
        label, title, min, max, step, value: host.settings()[key], format,
        onInput: (v) => host.update((s) => (s[key] = v), false), data: { control: key },
      });
      this.rows.set(key, r);
      return r.element;
    };
    const seedId = uniqueId("seed");
    this.seed = h("input", { type: "number", id: seedId, class: "seed", min: 0, max: LIMITS.seed[1], step: 1, inputmode: "numeric" });
    this.seed.addEventListener("change", () => {
      const v = Number(this.seed.value);
      if (!Number.isInteger(v) || v < 0 || v > LIMITS.seed[1]) return host.error(`A seed is a whole number from 0 to ${LIMITS.seed[1]}.`);
      host.update((s) => (s.seed = v));
    });
    const button = (text: string, cls: string, title: string, action: () => void) => {
      const b = h("button", { type: "button", class: cls, text, title });
      b.addEventListener("click", action);
      return b;
    };
    const neutral = button("Neutral colour", "secondary bg-neutral", "Hue, saturation, brightness and contrast as generated", () =>
      host.update((s) => Object.assign(s, { hue: 0, saturation: 1, brightness: 0, contrast: 1 })));

    this.element = h("section", { class: "panel bg-controls", "aria-labelledby": "bg-controls-title" },
      h("h2", { id: "bg-controls-title", text: "Noise" }),
      h("div", { class: "slider-list" },
        row("scale", "Scale", "Size of the texture's features: 1 = the model's own (32 px per noise cell); 2 = twice as big (fewer noise cells per pixel)", 0.05, (v) => `${v.toFixed(2)}×`),
        row("variation", "Variation", "Amplitude of the local noise: 0 = the texture's average look, 1 = as trained, more = wilder", 0.05, (v) => v.toFixed(2))),
      h("div", { class: "toolbar" },
        button("Randomise", "randomise", "New seed and new textures (keeps size, scale and colour)", () => host.randomise()),
        h("label", { for: seedId, class: "seed-label", text: "Seed" }), this.seed,
        button("Reseed", "secondary bg-reseed", "Same textures, new local noise", () => host.reseed()),
        button("Reset", "secondary reset", "Everything but the size and seed back to the start", () => host.reset())),
      h("h2", { class: "bg-subhead", text: "Colour" }),
      h("div", { class: "slider-list" },
        row("hue", "Hue", "Turns every colour around the colour wheel (degrees)", 1, (v) => `${signed(v, 0)}°`),
        row("saturation", "Saturation", "0 = grey, 1 = as generated", 0.01, (v) => v.toFixed(2)),
        row("brightness", "Brightness", "Added to every channel", 0.01, (v) => signed(v, 2)),
        row("contrast", "Contrast", "About mid-grey: 1 = as generated", 0.01, (v) => v.toFixed(2))),
      h("div", { class: "toolbar" }, neutral));
  }

  sync(): void {
    const s = this.host.settings();
    for (const [key, r] of this.rows) r.set(s[key]);
    this.seed.value = String(s.seed);
  }
}
