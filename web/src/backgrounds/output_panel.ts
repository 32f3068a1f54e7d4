// Under the picture: output size (presets for creators, or custom up to 8K), the 2x2 tile
// preview, the render's progress with Cancel, downloads (PNG, JPEG with a quality), share
// and favourite.
import { h, uniqueId } from "../ui/dom";
import { ProgressBar } from "../ui/progress";
import { LIMITS, SIZE_PRESETS, sizeProblem } from "./bg_state";

export interface OutputHost {
  setSize(width: number, height: number): void;
  setTiled(on: boolean): void;
  cancel(): void;
  rerender(): void;
  downloadPng(): void;
  downloadJpeg(quality: number): void;
  share(): void;
  saveFavourite(): void;
  error(text: string): void;
}

const CUSTOM = "custom";

export class OutputPanel {
  readonly element: HTMLElement;
  readonly progress = new ProgressBar("Rendering");
  readonly shareBox = h("div", { class: "share-box", hidden: true });
  private readonly size: HTMLSelectElement;
  private readonly customW: HTMLInputElement;
  private readonly customH: HTMLInputElement;
  private readonly custom: HTMLElement;
  private readonly cancel = h("button", { type: "button", class: "secondary bg-cancel", text: "Cancel", hidden: true });
  private readonly again = h("button", { type: "button", class: "secondary bg-render", text: "Render", hidden: true, title: "Render the current settings" });
  readonly quality: HTMLInputElement;

  constructor(host: OutputHost) {
    const sizeId = uniqueId("size");
    this.size = h("select", { id: sizeId, class: "bg-size" },
      ...SIZE_PRESETS.map((p) => h("option", { value: `${p.width}x${p.height}`, text: p.label })),
      h("option", { value: CUSTOM, text: "Custom…" }));
    const number = (cls: string, label: string) => h("input", { type: "number", class: cls, min: LIMITS.side[0], max: LIMITS.side[1], step: 1, "aria-label": label, inputmode: "numeric" });
    this.customW = number("bg-width", "Width (px)");
    this.customH = number("bg-height", "Height (px)");
    const apply = h("button", { type: "button", class: "secondary bg-apply-size", text: "Apply" });
    this.custom = h("span", { class: "bg-custom", hidden: true }, this.customW, h("span", { text: "×" }), this.customH, apply);
    this.size.addEventListener("change", () => {
      if (this.size.value === CUSTOM) {
        this.custom.hidden = false;
        this.customW.focus();
        return;
      }
      this.custom.hidden = true;
      const [w, hgt] = this.size.value.split("x").map(Number);
      host.setSize(w, hgt);
    });
    const applyCustom = () => {
      const w = Number(this.customW.value);
      const hgt = Number(this.customH.value);
      const why = sizeProblem(w, hgt);
      if (why) return host.error(`${this.customW.value || "?"}×${this.customH.value || "?"}: ${why}.`);
      host.setSize(w, hgt);
    };
    apply.addEventListener("click", applyCustom);
    for (const input of [this.customW, this.customH]) input.addEventListener("keydown", (e) => e.key === "Enter" && applyCustom());

    const tileId = uniqueId("tile");
    const tile = h("input", { type: "checkbox", id: tileId, class: "bg-tile" });
    tile.addEventListener("change", () => host.setTiled(tile.checked));
    this.cancel.addEventListener("click", () => host.cancel());
    this.again.addEventListener("click", () => host.rerender());

    const qualityId = uniqueId("quality");
    this.quality = h("input", { type: "range", id: qualityId, class: "bg-quality", min: 0.5, max: 1, step: 0.01, value: 0.92 });
    const qualityOut = h("output", { for: qualityId, text: "92%" });
    this.quality.addEventListener("input", () => (qualityOut.textContent = `${Math.round(Number(this.quality.value) * 100)}%`));
    const button = (text: string, cls: string, action: () => void, title = "") => {
      const b = h("button", { type: "button", class: cls, text, title });
      b.addEventListener("click", action);
      return b;
    };

    this.element = h("div", { class: "bg-output-panel" },
      h("div", { class: "toolbar" },
        h("label", { for: sizeId, text: "Size" }), this.size, this.custom,
        h("span", { class: "toggle" }, tile, h("label", { for: tileId, text: "Tile preview 2×2" }))),
      h("div", { class: "bg-progress-row" }, this.progress.element, this.cancel, this.again),
      h("div", { class: "toolbar downloads", role: "group", "aria-label": "Download" },
        button("Download PNG", "bg-png", () => host.downloadPng(), "Lossless, with the credits in its text chunks"),
        button("Download JPEG", "secondary bg-jpeg", () => host.downloadJpeg(Number(this.quality.value)), "Smaller, with the credits in a comment"),
        h("label", { for: qualityId, class: "bg-quality-label", text: "Quality" }), this.quality, qualityOut),
      h("div", { class: "toolbar" },
        button("Save favourite", "secondary save-favourite", () => host.saveFavourite()),
        button("Share", "secondary share", () => host.share())),
      this.shareBox);
  }

  /** Shows the size in the picker (a preset, or Custom with its numbers). */
  showSize(width: number, height: number): void {
    const value = `${width}x${height}`;
    const preset = SIZE_PRESETS.some((p) => `${p.width}x${p.height}` === value);
    this.size.value = preset ? value : CUSTOM;
    this.custom.hidden = preset;
    this.customW.value = String(width);
    this.customH.value = String(height);
  }

  /** A render is running (Cancel shows) or not; `stale`: the picture does not show the current settings. */
  busy(running: boolean, stale: boolean): void {
    this.cancel.hidden = !running;
    this.again.hidden = running || !stale;
    if (!running) this.progress.hide();
  }
}
