// "2 · Style": the style thumbnails (style A), the blend partner (style B) and the mix.
import { h } from "../ui/dom";
import { fetchModelFile, type ModelCard } from "../models";
import { blendLabel, styleWeights } from "./settings";
import type { StyleInfo } from "./stylizer";

export class StylePanel {
  readonly element: HTMLElement;
  private styles: StyleInfo[] = [];
  private styleA = 0;
  private styleB: number | null = null;
  private blend = 0.5;
  private readonly urls: string[] = [];
  private readonly grid = h("div", { class: "style-grid", role: "group", "aria-label": "Styles" });
  private readonly caption = h("p", { class: "style-caption" });
  private readonly blendSelect = h("select", { id: "style-blend-with" }, h("option", { value: "", text: "Nothing (one style)" }));
  private readonly blendSlider = h("input", { type: "range", id: "style-blend", min: 0, max: 100, step: 1, value: 50, disabled: true });
  private readonly blendText = h("output", { for: "style-blend", class: "style-value" });

  /** `onChange` runs whenever the weights change (a new stylisation is due). */
  constructor(private readonly onChange: () => void) {
    this.element = h("section", { class: "panel" },
      h("h2", { text: "2 · Style" }),
      this.grid,
      this.caption,
      h("div", { class: "style-field" }, h("label", { for: "style-blend-with", text: "Blend with" }), this.blendSelect),
      h("div", { class: "style-field" }, h("label", { for: "style-blend", text: "Mix" }), this.blendSlider, this.blendText),
    );
    this.blendSelect.addEventListener("change", () => {
      this.styleB = this.blendSelect.value === "" ? null : Number(this.blendSelect.value);
      this.blendSlider.disabled = this.styleB === null;
      this.markThumbs();
      this.updateBlendText();
      this.onChange();
    });
    this.blendSlider.addEventListener("input", () => {
      this.blend = Number(this.blendSlider.value) / 100;
      this.updateBlendText();
    });
    this.blendSlider.addEventListener("change", () => this.onChange());
    this.updateBlendText();
  }

  /** The model's styles: one thumbnail button each, and each a blend partner. */
  setStyles(card: ModelCard, styles: StyleInfo[]): void {
    this.styles = styles;
    this.grid.replaceChildren();
    styles.forEach((style, i) => {
      const img = h("img", { alt: "", width: 96, height: 96 });
      void this.loadThumbnail(card, style.thumbnail, img);
      const button = h("button", { type: "button", class: "style-thumb", "aria-pressed": i === this.styleA ? "true" : "false", "data-style": style.id, title: `${style.title} — ${style.artist}, ${style.year}` },
        img, h("span", { text: style.title }));
      button.addEventListener("click", () => this.pick(i));
      this.grid.append(button);
      this.blendSelect.append(h("option", { value: i, text: `${style.title} (${style.artist})` }));
    });
    this.updateCaption();
  }

  /** The current style mixing weights (sum 1). */
  weights(): number[] {
    return styleWeights(this.styles.length, this.styleA, this.styleB, this.blend);
  }

  dispose(): void {
    for (const url of this.urls.splice(0)) URL.revokeObjectURL(url);
  }

  /** Thumbnails go through the checksummed loader too, then into a blob: URL. */
  private async loadThumbnail(card: ModelCard, file: string, img: HTMLImageElement): Promise<void> {
    try {
      const bytes = await fetchModelFile(card, file);
      const url = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
      img.src = url;
      this.urls.push(url);
    } catch {
      img.alt = "(thumbnail missing)";
    }
  }

  private pick(index: number): void {
    this.styleA = index;
    this.markThumbs();
    this.updateCaption();
    this.updateBlendText();
    this.onChange();
  }

  /** Marks the picked style (A) and its blend partner (B) on the thumbnails. */
  private markThumbs(): void {
    for (const [i, button] of [...this.grid.children].entries()) {
      button.setAttribute("aria-pressed", i === this.styleA ? "true" : "false");
      if (this.styleB === i && this.styleB !== this.styleA) (button as HTMLElement).dataset.blend = "true";
      else delete (button as HTMLElement).dataset.blend;
    }
  }

  private updateCaption(): void {
    const s = this.styles[this.styleA];
    this.caption.textContent = s ? `${s.title} — ${s.artist}, ${s.year}` : "";
  }

  private updateBlendText(): void {
    this.blendText.textContent = blendLabel(this.styles.map((s) => s.title), this.styleA, this.styleB, this.blend);
  }
}
