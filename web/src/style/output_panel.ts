// "3 · Output": strength (mixed in the browser) and resolution (a new stylisation).
import { h } from "../ui/dom";
import { RESOLUTIONS, SINGLE_PASS_MAX } from "./settings";

export class OutputPanel {
  readonly element: HTMLElement;
  strength = 1;
  resolution = 512;
  private readonly strengthSlider = h("input", { type: "range", id: "style-strength", min: 0, max: 100, step: 1, value: 100 });
  private readonly strengthText = h("output", { for: "style-strength", class: "style-value", text: "100%" });
  private readonly resolutionSelect = h("select", { id: "style-resolution" });

  constructor(handlers: { onStrength(strength: number): void; onResolution(side: number): void }) {
    for (const size of RESOLUTIONS) {
      this.resolutionSelect.append(h("option", { value: size, text: `${size} px${size > SINGLE_PASS_MAX ? " (tiled)" : ""}`, selected: size === this.resolution }));
    }
    this.element = h("section", { class: "panel" },
      h("h2", { text: "3 · Output" }),
      h("div", { class: "style-field" }, h("label", { for: "style-strength", text: "Strength" }), this.strengthSlider, this.strengthText),
      h("div", { class: "style-field" }, h("label", { for: "style-resolution", text: "Resolution" }), this.resolutionSelect),
    );
    this.strengthSlider.addEventListener("input", () => {
      this.strength = Number(this.strengthSlider.value) / 100;
      this.strengthText.textContent = `${Math.round(this.strength * 100)}%`;
      handlers.onStrength(this.strength);
    });
    this.resolutionSelect.addEventListener("change", () => {
      this.resolution = Number(this.resolutionSelect.value);
      handlers.onResolution(this.resolution);
    });
  }
}
