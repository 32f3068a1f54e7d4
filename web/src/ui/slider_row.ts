// One labelled range slider with a value read-out and an optional lock toggle.
import { h, uniqueId } from "./dom";

export interface SliderOptions {
  label: string;
  title?: string;
  min: number;
  max: number;
  step: number;
  value: number;
  format: (value: number) => string;
  onInput: (value: number) => void;
  /** Present when the slider can be locked against Randomise / Reset. */
  onLock?: () => boolean;
  data?: Record<string, string>;
}

export interface SliderRow {
  element: HTMLElement;
  input: HTMLInputElement;
  set(value: number): void;
  setLocked(locked: boolean): void;
}

const SVG = "http://www.w3.org/2000/svg";

function padlockIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "padlock");
  const shackle = document.createElementNS(SVG, "path");
  shackle.setAttribute("class", "shackle");
  shackle.setAttribute("d", "M4.5 7V5a3.5 3.5 0 0 1 7 0v2");
  const body = document.createElementNS(SVG, "rect");
  body.setAttribute("x", "2.5");
  body.setAttribute("y", "7");
  body.setAttribute("width", "11");
  body.setAttribute("height", "8");
  body.setAttribute("rx", "1.5");
  svg.append(shackle, body);
  return svg;
}

export function sliderRow(options: SliderOptions): SliderRow {
  const id = uniqueId("slider");
  const input = h("input", { type: "range", id, min: options.min, max: options.max, step: options.step });
  input.value = String(options.value);
  const output = h("output", { for: id, text: options.format(options.value) });
  const element = h("div", { class: "slider-row" }, h("label", { for: id, text: options.label, title: options.title }));
  for (const [key, value] of Object.entries(options.data ?? {})) element.dataset[key] = value;
  let lock: HTMLButtonElement | null = null;
  if (options.onLock) {
    lock = h("button", { type: "button", class: "lock", "aria-pressed": "false", "aria-label": `Lock ${options.label}`, title: "Lock: Randomise and Reset leave it alone" });
    lock.append(padlockIcon());
    const toggle = options.onLock;
    lock.addEventListener("click", () => row.setLocked(toggle()));
    element.append(lock);
  } else {
    element.classList.add("no-lock");
  }
  element.append(input, output);
  input.addEventListener("input", () => {
    const value = Number(input.value);
    output.textContent = options.format(value);
    options.onInput(value);
  });
  const row: SliderRow = {
    element,
    input,
    set(value: number) {
      input.value = String(value);
      output.textContent = options.format(value);
    },
    setLocked(locked: boolean) {
      lock?.setAttribute("aria-pressed", String(locked));
      element.classList.toggle("locked", locked);
    },
  };
  return row;
}
