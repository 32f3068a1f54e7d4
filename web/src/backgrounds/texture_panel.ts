// The texture picker: a grid of every texture the model knows (thumbnails drawn by the model
// itself, CC BY ones marked), and the mix: the chosen textures with their weights (blend) or
// in order across the frame (morph: shape, repeat, softness).
import { h, uniqueId } from "../ui/dom";
import { sliderRow, type SliderRow } from "../ui/slider_row";
import { LIMITS, type BackgroundSettings } from "./bg_state";
import type { TextureInfo } from "./generator";
import { MORPH_SHAPES, type MorphShape } from "./morph";
import { blankCanvas, context2d } from "./stage";

const SHAPE_LABELS: Record<MorphShape, string> = {
  horizontal: "Left → right",
  vertical: "Top → bottom",
  diagonal: "Diagonal",
  radial: "Centre → edges",
};

export interface TextureHost {
  readonly textures: TextureInfo[];
  settings(): BackgroundSettings;
  /** Changes the settings and re-renders; `resync` = false leaves the panels' controls as they are (a dragged slider). */
  update(change: (s: BackgroundSettings) => void, resync?: boolean): void;
  error(text: string): void;
}

export class TexturePanel {
  readonly element: HTMLElement;
  private readonly buttons: HTMLButtonElement[] = [];
  private readonly thumbs: HTMLCanvasElement[] = [];
  private readonly mixList = h("ol", { class: "bg-mix", "aria-label": "Textures in use" });
  private readonly several: HTMLInputElement;
  private readonly modeInputs: Record<"blend" | "morph", HTMLInputElement>;
  private readonly morphOptions: HTMLElement;
  private readonly shape: HTMLSelectElement;
  private readonly repeat: HTMLInputElement;
  private readonly softness: SliderRow;

  constructor(private readonly host: TextureHost) {
    const grid = h("div", { class: "bg-texture-grid", role: "group", "aria-label": "Textures" });
    host.textures.forEach((t) => {
      const thumb = blankCanvas(1, 1, "bg-thumb");
      const ccBy = t.attribution !== null;
      const button = h("button", {
        type: "button", class: "bg-texture", "data-texture": t.name, "aria-pressed": "false", "aria-label": t.label,
        title: `${t.label} (${t.category})\n${t.credit}\n${t.licence}${ccBy ? `\n${t.attribution}` : ""}`,
      }, thumb, h("span", { class: "bg-order-badge", "aria-hidden": "true" }), ccBy ? h("span", { class: "bg-ccby", text: "CC BY" }) : null);
      button.addEventListener("click", (event) => this.pick(t.id, this.several.checked || event.ctrlKey || event.metaKey || event.shiftKey));
      this.buttons.push(button);
      this.thumbs.push(thumb);
      grid.append(button);
    });

    const severalId = uniqueId("several");
    this.several = h("input", { type: "checkbox", id: severalId, class: "bg-several" });
    const mode = (value: "blend" | "morph", text: string) => {
      const id = uniqueId("mode");
      const input = h("input", { type: "radio", name: `bg-mode-${severalId}`, id, value, class: `bg-mode-${value}` });
      input.addEventListener("change", () => input.checked && this.host.update((s) => (s.mode = value)));
      return { input, label: h("label", { for: id, text }) };
    };
    const blend = mode("blend", "Blend");
    const morph = mode("morph", "Morph across the frame");
    this.modeInputs = { blend: blend.input, morph: morph.input };

    const shapeId = uniqueId("shape");
    this.shape = h("select", { id: shapeId, class: "bg-shape" }, ...MORPH_SHAPES.map((s) => h("option", { value: s, text: SHAPE_LABELS[s] })));
    this.shape.addEventListener("change", () => this.host.update((s) => (s.shape = this.shape.value as MorphShape)));
    const repeatId = uniqueId("repeat");
    this.repeat = h("input", { type: "checkbox", id: repeatId, class: "bg-repeat" });
    this.repeat.addEventListener("change", () => this.host.update((s) => (s.repeat = this.repeat.checked)));
    this.softness = sliderRow({
      label: "Softness", title: "How wide each change from one texture to the next is, as a share of the space between them",
      min: LIMITS.softness[0], max: LIMITS.softness[1], step: 0.05, value: 0.5, format: (v) => `${Math.round(v * 100)}%`,
      onInput: (v) => this.host.update((s) => (s.softness = v), false), data: { control: "softness" },
    });
    this.morphOptions = h("div", { class: "bg-morph-options" },
      h("div", { class: "bg-row" }, h("label", { for: shapeId, text: "Direction" }), this.shape,
        h("span", { class: "toggle" }, this.repeat, h("label", { for: repeatId, text: "Back to the first at the far edge (tiles)" }))),
      this.softness.element);

    this.element = h("section", { class: "panel bg-textures", "aria-labelledby": "bg-textures-title" },
      h("h2", { id: "bg-textures-title", text: "Textures" }),
      h("p", { class: "hint", text: `Click a texture to use it. To blend or morph, tick “Pick several” (or Ctrl-click): up to ${LIMITS.textures}. Hover for credits; CC BY textures are credited wherever they are used.` }),
      h("div", { class: "bg-row" }, h("span", { class: "toggle" }, this.several, h("label", { for: severalId, text: "Pick several" })),
        h("span", { class: "bg-modes", role: "radiogroup", "aria-label": "Mix" }, blend.input, blend.label, morph.input, morph.label)),
      grid, this.mixList, this.morphOptions);
  }

  /** Draws thumbnail `id` (RGBA bytes of a square of `size` px). */
  setThumbnail(id: number, rgba: Uint8ClampedArray, size: number): void {
    const canvas = this.thumbs[id];
    canvas.width = size;
    canvas.height = size;
    context2d(canvas).putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, size, size), 0, 0);
  }

  thumbnail(id: number): HTMLCanvasElement {
    return this.thumbs[id];
  }

  private pick(id: number, several: boolean): void {
    const mix = this.host.settings().mix;
    const at = mix.findIndex((e) => e.id === id);
    if (!several) return this.host.update((s) => (s.mix = [{ id, weight: 1 }]));
    if (at >= 0) {
      if (mix.length === 1) return this.host.error("Keep at least one texture: pick another one first.");
      return this.host.update((s) => s.mix.splice(at, 1));
    }
    if (mix.length >= LIMITS.textures) return this.host.error(`At most ${LIMITS.textures} textures at once.`);
    this.host.update((s) => s.mix.push({ id, weight: 0.5 }));
  }

  /** Follows the settings: pressed thumbnails, the mix list, the mode and morph controls. */
  sync(): void {
    const s = this.host.settings();
    const order = new Map(s.mix.map((e, k) => [e.id, k + 1]));
    this.buttons.forEach((b, i) => {
      b.setAttribute("aria-pressed", String(order.has(i)));
      (b.querySelector(".bg-order-badge") as HTMLElement).textContent = s.mix.length > 1 && order.has(i) ? String(order.get(i)) : "";
    });
    this.modeInputs[s.mode].checked = true;
    this.morphOptions.hidden = s.mode !== "morph";
    this.shape.value = s.shape;
    this.repeat.checked = s.repeat;
    this.softness.set(s.softness);
    this.mixList.replaceChildren(...s.mix.map((entry, k) => this.mixRow(s, entry.id, k)));
  }

  private mixRow(s: BackgroundSettings, id: number, k: number): HTMLElement {
    const t = this.host.textures[id];
    const thumb = blankCanvas(1, 1, "bg-mix-thumb");
    const source = this.thumbs[id];
    if (source.width > 1) {
      thumb.width = source.width;
      thumb.height = source.height;
      context2d(thumb).drawImage(source, 0, 0);
    }
    const remove = h("button", { type: "button", class: "bg-remove", "aria-label": `Remove ${t.label}`, title: "Remove from the mix", text: "×", disabled: s.mix.length === 1 });
    remove.addEventListener("click", () => this.host.update((st) => st.mix.splice(k, 1)));
    const row = h("li", { "data-texture": t.name }, thumb,
      h("div", { class: "bg-mix-info" }, h("strong", { text: t.label }),
        h("span", { class: "credits", text: `${t.credit} · ${t.licence}` }),
        t.attribution ? h("span", { class: "bg-attribution", text: `CC BY: ${t.attribution}` }) : null));
    if (s.mode === "blend" && s.mix.length > 1) {
      const weight = sliderRow({
        label: "Weight", min: 0, max: 1, step: 0.01, value: s.mix[k].weight, format: (v) => v.toFixed(2),
        onInput: (v) => this.host.update((st) => (st.mix[k].weight = v), false), data: { weight: t.name },
      });
      row.append(weight.element);
    } else if (s.mode === "morph" && s.mix.length > 1) {
      const move = (by: number, text: string, label: string) => {
        const b = h("button", { type: "button", class: "secondary bg-move", text, "aria-label": `${label} ${t.label}`, disabled: k + by < 0 || k + by >= s.mix.length });
        b.addEventListener("click", () => this.host.update((st) => st.mix.splice(k + by, 0, ...st.mix.splice(k, 1))));
        return b;
      };
      row.append(h("span", { class: "bg-order" }, h("span", { class: "bg-stop", text: k === 0 ? "from" : k === s.mix.length - 1 ? "to" : "then" }), move(-1, "↑", "Earlier:"), move(1, "↓", "Later:")));
    }
    row.append(remove);
    return row;
  }
}
