// "Watch it learn": the same seed and settings through a snapshot from an early epoch
// and through the final model, side by side.
import { h, uniqueId } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import type { WriteSettings } from "./controls";
import type { JobRunner } from "./jobs";
import { poemsExtras, valBitsPerChar, type Poet, type Snapshot } from "./poet";
import { randomSeed } from "../random";
import type { GenerateResult } from "./generator";
import { Throttle } from "./throttle";

export interface LearnHost {
  poet(): Poet | null;
  settings(): WriteSettings;
  jobs: JobRunner;
  snapshot(poet: Poet, snapshot: Snapshot, onProgress: (loaded: number, total: number) => void): Promise<Poet>;
  paintIntervalMs(): number;
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
  private readonly early: { caption: HTMLElement; text: HTMLElement };
  private readonly final: { caption: HTMLElement; text: HTMLElement };
  private readonly status: HTMLElement;

  constructor(private readonly host: LearnHost) {
    const selectId = uniqueId("snapshot");
    const lengthId = uniqueId("compare-length");
    this.select = h("select", { id: selectId, name: "snapshot" });
    this.lengthInput = h("input", { id: lengthId, type: "number", name: "compare-length", min: 20, max: 2000, step: 20, value: 300, inputmode: "numeric" });
    this.compare = h("button", { type: "button", class: "compare", text: "Write side by side" });
    this.stop = h("button", { type: "button", class: "secondary stop-compare", text: "Stop", disabled: true });
    const column = (cls: string) => {
      const caption = h("figcaption", {});
      const text = h("pre", { class: "poem-text", tabindex: 0 });
      return { figure: h("figure", { class: `learn-column ${cls}` }, caption, text), caption, text };
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
      h("p", { class: "lead", text: "The same training run, saved after a few epochs. Early poets babble and loop; later ones find words, rhythm and line breaks. Same first line, same settings, same dice." }),
      h(
        "div",
        { class: "row" },
        h("div", { class: "field" }, h("label", { for: selectId, text: "Snapshot" }), this.select),
        h("div", { class: "field narrow" }, h("label", { for: lengthId, text: "Characters" }), this.lengthInput),
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
    this.early.text.textContent = "";
    this.final.text.textContent = "";
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
          const generators = pairs.map((p) => p.poet.generator());
          try {
            for (const [i, g] of generators.entries()) {
              const primed = await g.prime(settings.seedText, signal);
              pairs[i].view.text.replaceChildren(h("span", { class: "seed", text: primed.kept }), document.createTextNode(""));
            }
            this.status.textContent = `Writing ${length} characters with each…`;
            const pending = ["", ""];
            const view = new Throttle(() => {
              pending.forEach((text, i) => (pairs[i].view.text.lastChild as Text).appendData(text));
              pending.fill("");
            }, this.host.paintIntervalMs());
            let results: GenerateResult[];
            try {
              results = await Promise.all(
                generators.map((g, i) =>
                  g.generate({
                    ...settings,
                    length,
                    seed,
                    signal,
                    onChunk: (chunk) => {
                      pending[i] += chunk.text;
                      view.request();
                    },
                  }),
                ),
              );
            } finally {
              view.now();
            }
            const stopped = results.some((r) => r.stopped);
            this.status.textContent = stopped ? "Stopped." : `Done: ${length} characters each (random seed ${seed}).`;
          } finally {
            for (const g of generators) g.dispose();
          }
        } finally {
          this.compare.disabled = false;
        }
      },
      (error) => this.message.error(error.message),
    );
    if (this.status.textContent?.startsWith("Writing")) this.status.textContent = "Stopped.";
  }
}
