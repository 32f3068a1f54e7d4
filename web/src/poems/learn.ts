// "Watch it learn": the same seed and settings through a snapshot from an early epoch
// and through the final model, side by side. A LearnVariant lets another character studio
// (music) write and show its own kind of text in the columns; the poems one is the default.
import { h, uniqueId } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import type { WriteSettings } from "./controls";
import type { JobRunner } from "./jobs";
import { poemsExtras, valBitsPerChar, type Poet, type Snapshot } from "./poet";
import { randomSeed } from "../random";
import { Throttle } from "./throttle";

export interface LearnHost {
  poet(): Poet | null;
  settings(): WriteSettings;
  jobs: JobRunner;
  snapshot(poet: Poet, snapshot: Snapshot, onProgress: (loaded: number, total: number) => void): Promise<Poet>;
  paintIntervalMs(): number;
  /** How the studio writes and shows text in the columns (default: poems). */
  variant?: LearnVariant;
}

/** One column's text area. */
export interface LearnColumn {
  element: HTMLElement;
  /** The seed it was given and everything written after it so far. */
  show(seed: string, written: string): void;
  /** Paints at once whatever `show` put off (called when the writing ends, before "Done"). */
  flush?(): void;
}

export interface LearnVariant {
  lead: string;
  /** Whether the panel asks for a length in characters (else `write` decides). */
  lengthInput: boolean;
  column(): LearnColumn;
  /** Writes with `poet` (same seed on both sides), calling `show` as the text grows. */
  write(poet: Poet, seed: number, length: number, signal: AbortSignal, show: (seedText: string, written: string) => void): Promise<{ stopped: boolean }>;
}

function bits(value: number | null | undefined): string {
  return typeof value === "number" ? ` · ${value.toFixed(2)} bits/char` : "";
}

export class LearnPanel {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly lengthInput: HTMLInputElement;
  private readonly compare: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly progress = new ProgressBar("Loading the snapshot");
  private readonly message = messageBox();
  private readonly early: { caption: HTMLElement; text: LearnColumn };
  private readonly final: { caption: HTMLElement; text: LearnColumn };
  private readonly status: HTMLElement;
  private readonly variant: LearnVariant;

  constructor(private readonly host: LearnHost) {
    this.variant = host.variant ?? this.poemsVariant();
    const selectId = uniqueId("snapshot");
    const lengthId = uniqueId("compare-length");
    this.select = h("select", { id: selectId, name: "snapshot" });
    this.lengthInput = h("input", { id: lengthId, type: "number", name: "compare-length", min: 20, max: 2000, step: 20, value: 300, inputmode: "numeric" });
    this.compare = h("button", { type: "button", class: "compare", text: "Write side by side" });
    this.stop = h("button", { type: "button", class: "secondary stop-compare", text: "Stop", disabled: true });
    const column = (cls: string) => {
      const caption = h("figcaption", {});
      const text = this.variant.column();
      return { figure: h("figure", { class: `learn-column ${cls}` }, caption, text.element), caption, text };
    };
    const early = column("early");
    const final = column("final");
    this.early = early;
    this.final = final;
    this.status = h("p", { class: "status", role: "status" });
    this.element = h(
      "section",
      { class: "panel learn", "aria-labelledby": "learn-title" },
      h("h2", { id: "learn-title", text: "Watch it learn" }),
      h("p", { class: "lead", text: this.variant.lead }),
      h(
        "div",
        { class: "row" },
        h("div", { class: "field" }, h("label", { for: selectId, text: "Snapshot" }), this.select),
        this.variant.lengthInput ? h("div", { class: "field narrow" }, h("label", { for: lengthId, text: "Characters" }), this.lengthInput) : null,
        h("div", { class: "buttons" }, this.compare, this.stop),
      ),
      this.progress.element,
      this.message.element,
      this.status,
      h("div", { class: "learn-columns" }, early.figure, final.figure),
    );
    this.compare.addEventListener("click", () => void this.run());
    this.stop.addEventListener("click", () => void this.host.jobs.stop());
    host.jobs.onChange((job) => {
      this.stop.disabled = job !== "compare";
    });
    this.setPoet(null);
  }

  /** The poems studio's columns: the poem as text, the seed line first. */
  private poemsVariant(): LearnVariant {
    const host = this.host;
    return {
      lead: "The same training run, saved after a few epochs. Early poets babble and loop; later ones find words, rhythm and line breaks. Same first line, same settings, same dice.",
      lengthInput: true,
      column: () => {
        const element = h("pre", { class: "poem-text", tabindex: 0 });
        const seedSpan = h("span", { class: "seed" });
        const generated = document.createTextNode("");
        return {
          element,
          show: (seedText: string, written: string) => {
            if (!seedText && !written) return element.replaceChildren();
            if (seedSpan.parentNode !== element || seedSpan.textContent !== seedText) {
              seedSpan.textContent = seedText;
              generated.data = "";
              element.replaceChildren(seedSpan, generated);
            }
            if (written.startsWith(generated.data)) generated.appendData(written.slice(generated.data.length));
            else generated.data = written;
          },
        };
      },
      async write(poet, seed, length, signal, show) {
        const settings = host.settings();
        const g = poet.generator();
        try {
          const primed = await g.prime(settings.seedText, signal);
          let text = "";
          show(primed.kept, text);
          const view = new Throttle(() => show(primed.kept, text), host.paintIntervalMs());
          try {
            const result = await g.generate({ ...settings, length, seed, signal, onChunk: (chunk) => { text += chunk.text; view.request(); } });
            return { stopped: result.stopped };
          } finally {
            view.now();
          }
        } finally {
          g.dispose();
        }
      },
    };
  }

  setPoet(poet: Poet | null): void {
    const snapshots = poet ? poemsExtras(poet.card)?.snapshots ?? [] : [];
    this.select.replaceChildren(
      ...snapshots.map((s, i) => h("option", { value: String(i), text: `After epoch ${s.epoch}${bits(s.val_bits_per_char)}` })),
    );
    const usable = snapshots.length > 0;
    this.select.disabled = !usable;
    this.compare.disabled = !usable;
    this.element.hidden = poet !== null && !usable;
    this.early.caption.textContent = "Snapshot";
    this.final.caption.textContent = poet ? `Final model · epoch ${poet.card.training.epochs ?? "?"}${bits(valBitsPerChar(poet.card))}` : "Final model";
    this.early.text.show("", "");
    this.final.text.show("", "");
    this.status.textContent = "";
    this.message.clear();
    this.progress.hide();
  }

  private async run(): Promise<void> {
    const poet = this.host.poet();
    const snapshots = poet ? poemsExtras(poet.card)?.snapshots ?? [] : [];
    const snapshot = snapshots[Number(this.select.value)];
    if (!poet || !snapshot) return;
    const settings = this.host.settings();
    const length = Math.min(2000, Math.max(20, Math.round(Number(this.lengthInput.value) || 300)));
    const seed = settings.randomSeed ?? randomSeed();
    this.message.clear();
    await this.host.jobs.run(
      "compare",
      async (signal) => {
        this.compare.disabled = true;
        try {
          this.status.textContent = `Loading the epoch ${snapshot.epoch} snapshot…`;
          const early = await this.host.snapshot(poet, snapshot, (loaded, total) => this.progress.bytes(loaded, total));
          this.progress.hide();
          if (signal.aborted) return;
          this.early.caption.textContent = `After epoch ${snapshot.epoch}${bits(snapshot.val_bits_per_char)}`;
          const pairs = [
            { poet: early, view: this.early },
            { poet, view: this.final },
          ];
          this.status.textContent = this.variant.lengthInput ? `Writing ${length} characters with each…` : "Writing with each…";
          const results = await Promise.all(pairs.map((p) => this.variant.write(p.poet, seed, length, signal, (seedText, written) => p.view.text.show(seedText, written))));
          for (const p of pairs) p.view.text.flush?.();
          const stopped = results.some((r) => r.stopped);
          this.status.textContent = stopped ? "Stopped." : `Done: ${this.variant.lengthInput ? `${length} characters each` : "both written"} (random seed ${seed}).`;
        } finally {
          this.compare.disabled = false;
        }
      },
      (error) => this.message.error(error.message),
    );
    if (this.status.textContent?.startsWith("Writing")) this.status.textContent = "Stopped.";
  }
}
