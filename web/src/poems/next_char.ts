// The next-character view: the ten likeliest next characters with their probabilities.
import { h } from "../ui/dom";
import type { Candidate } from "./sampling";
import { visibleChar } from "./vocab";

export class NextCharView {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly caption: HTMLElement;

  constructor() {
    this.list = h("ol", { class: "candidates", "aria-label": "Likeliest next characters" });
    this.caption = h("p", { class: "hint", text: "Write something to see what the poet considers next." });
    this.element = h(
      "aside",
      { class: "panel next-char", "aria-labelledby": "next-char-title" },
      h("h2", { id: "next-char-title", text: "Next character" }),
      this.caption,
      this.list,
    );
  }

  clear(text = "Write something to see what the poet considers next."): void {
    this.list.replaceChildren();
    this.caption.textContent = text;
  }

  show(candidates: Candidate[], context: string, temperature: number): void {
    const tail = context.slice(-24).replaceAll("\n", " ↵ ");
    this.caption.textContent = `After “…${tail}” at temperature ${temperature <= 0.01 ? "0 (likeliest)" : temperature.toFixed(2)}:`;
    const rows = candidates.map((c) => {
      const percent = c.probability * 100;
      const bar = h("span", { class: "bar" });
      bar.style.width = `${Math.max(0.5, Math.min(100, percent)).toFixed(1)}%`;
      const label = visibleChar(c.char);
      return h(
        "li",
        { class: c.excluded ? "candidate excluded" : "candidate", "data-char": c.char, title: c.excluded ? "Left out by top-k / top-p" : "" },
        h("span", { class: label.length > 1 ? "char named" : "char", text: label }),
        h("span", { class: "track", "aria-hidden": "true" }, bar),
        h("span", { class: "prob", text: percent >= 10 ? `${percent.toFixed(0)}%` : `${percent.toFixed(1)}%` }),
        c.excluded ? h("span", { class: "visually-hidden", text: " (left out by top-k or top-p)" }) : null,
      );
    });
    this.list.replaceChildren(...rows);
  }
}
