// The Poems studio's page: pick a poet, write from a first line with streaming output, watch
// the next-character distribution, compare with early snapshots, play "Real or fake?".
// The inference lives in poet.ts / generator.ts / engine.ts; this file wires the DOM.
import { loadedText } from "../ui/catalogue_list";
import * as tf from "@tensorflow/tfjs";
import { h } from "../ui/dom";
import { downloadBlob } from "../ui/download";
import { messageBox, noticeElement } from "../ui/progress";
import { initialized, loadAndCheck, studioModels } from "../models";
import type { StudioContext } from "../studio";
import { WriteControls } from "./controls";
import { GamePanel } from "./game";
import { CharGenerator, type GeneratedChunk, type GenerateResult } from "./generator";
import { Throttle } from "./throttle";
import { JobRunner } from "./jobs";
import { LearnPanel } from "./learn";
import { NextCharView } from "./next_char";
import { renderPicker, type PickerCard } from "./picker";
import { isCharModel, notCharModel, poemsExtras, Poet, PoetCheckError, SnapshotCache } from "./poet";
import { randomSeed } from "../random";
import { visibleChar } from "./vocab";

/** Everything a mounted studio holds; dropped on unmount. */
export class PoemsStudio {
  readonly jobs = new JobRunner();
  readonly controls = new WriteControls();
  readonly nextChar = new NextCharView();
  readonly learn: LearnPanel;
  readonly game: GamePanel;
  private poet: Poet | null = null;
  private writer: CharGenerator | null = null;
  private readonly snapshots = new SnapshotCache();
  private choosing = 0;
  private lastSettings: ReturnType<WriteControls["read"]> | null = null;
  private poemText = "";
  private readonly root: HTMLElement;
  private readonly unknownNotice = h("p", { class: "notice unknown-chars", role: "status", hidden: true });
  private readonly status = h("p", { class: "status write-status", role: "status" });
  private readonly error = messageBox();
  private readonly poem = h("pre", { class: "poem", tabindex: 0, "aria-label": "The poem", "aria-busy": "false" });
  private readonly buttons = {
    generate: h("button", { type: "button", class: "generate", text: "Generate", disabled: true }),
    stop: h("button", { type: "button", class: "secondary stop", text: "Stop", disabled: true }),
    regenerate: h("button", { type: "button", class: "secondary regenerate", text: "Regenerate", disabled: true }),
    copy: h("button", { type: "button", class: "secondary copy", text: "Copy", disabled: true }),
    download: h("button", { type: "button", class: "secondary download", text: "Download .txt", disabled: true }),
  };
  private readonly pickerSlot = h("div", { class: "picker-slot" });
  private readonly workspace: HTMLElement;
  private entries: PickerCard[] = [];

  constructor(
    root: HTMLElement,
    private readonly ctx: StudioContext,
  ) {
    this.root = root;
    const host = {
      poet: () => this.poet,
      settings: () => this.controls.read(),
      jobs: this.jobs,
      snapshot: this.snapshots.load,
      paintIntervalMs: () => this.paintIntervalMs(),
    };
    this.learn = new LearnPanel(host);
    this.game = new GamePanel(host);
    const b = this.buttons;
    const composer = h(
      "section",
      { class: "panel composer", "aria-labelledby": "write-title" },
      h("h2", { id: "write-title", text: "Write" }),
      this.controls.element,
      this.unknownNotice,
      h("div", { class: "buttons" }, b.generate, b.stop, b.regenerate, b.copy, b.download),
      this.status,
      this.error.element,
      this.poem,
    );
    this.workspace = h("div", { class: "poems-workspace", hidden: true }, composer, this.nextChar.element);
    root.append(
      h("h1", { text: "Poems" }),
      h("p", { class: "lead", text: "A character-level LSTM writes one letter at a time, right here in your browser. Pick a poet, give it a first line and watch the poem stream in." }),
      h("section", { class: "poets", "aria-labelledby": "poets-title" }, h("h2", { id: "poets-title", text: "Choose a poet" }), this.pickerSlot),
      this.workspace,
      this.learn.element,
      this.game.element,
    );
    this.learn.element.hidden = true;
    this.game.element.hidden = true;

    b.generate.addEventListener("click", () => void this.write(false));
    b.regenerate.addEventListener("click", () => void this.write(true));
    b.stop.addEventListener("click", () => void this.jobs.stop());
    b.copy.addEventListener("click", () => void this.copy());
    b.download.addEventListener("click", () => this.download());
    this.controls.seed.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (!b.generate.disabled) void this.write(false);
      }
    });
    document.addEventListener("keydown", this.onKey);
    this.controls.seed.addEventListener("input", () => this.showUnknown(this.controls.seed.value));
    this.jobs.onChange((job) => {
      root.dataset.job = job ?? "idle";
      b.stop.disabled = job !== "write";
      this.poem.setAttribute("aria-busy", String(job === "write"));
    });
    root.dataset.job = "idle";
  }

  get currentPoet(): Poet | null {
    return this.poet;
  }

  /** Escape stops whatever is writing (the focus may be anywhere, even on the page body). */
  private readonly onKey = (event: KeyboardEvent) => {
    if (event.key === "Escape" && this.jobs.running) void this.jobs.stop();
  };

  async start(): Promise<void> {
    const cards = await studioModels("poems", "No poets exported yet. Train one with `python -m training poems train …` and export it (see the README).");
    if (!Array.isArray(cards)) {
      this.pickerSlot.replaceChildren(noticeElement(cards));
      return;
    }
    const picker = renderPicker(cards, (entry) => void this.choose(entry));
    this.entries = picker.entries;
    this.pickerSlot.replaceChildren(picker.element);
    const first = picker.entries.find((e) => isCharModel(e.card));
    if (first) void this.choose(first);
  }

  /** Loads a poet (or, for a card that is not a character model, loads and checks its files). */
  private async choose(entry: PickerCard): Promise<void> {
    const { card, button, progress, message, notice } = entry;
    if (this.poet?.card === card) return;
    const token = ++this.choosing;
    await this.jobs.stop();
    message.clear();
    notice.hidden = true;
    button.disabled = true;
    this.root.dataset.loading = `${card.studio}/${card.name}`;
    const onProgress = (loaded: number, total: number) => progress.bytes(loaded, total);
    try {
      if (!isCharModel(card)) {
        // Not a poet: load and check its files all the same, then say why it cannot write.
        message.info(loadedText(await loadAndCheck(card, onProgress)));
        throw new PoetCheckError(notCharModel(card));
      }
      let poet: Poet;
      try {
        poet = await initialized(new Poet(card), onProgress);
      } catch (error) {
        if (error instanceof PoetCheckError) message.info(loadedText());
        throw error;
      }
      // One short run compiles the backend's kernels (WebGL shaders) before the visitor's first poem.
      message.info(`${loadedText(poet.parameters)} Warming up…`);
      const warm = poet.generator();
      try {
        await warm.prime("\n");
        await warm.generate({ temperature: 1, topK: 0, topP: 1, length: 2, candidates: 10 });
      } finally {
        warm.dispose();
      }
      message.info(loadedText(poet.parameters));
      if (token !== this.choosing) {
        poet.dispose();
        return;
      }
      this.setPoet(poet, entry);
    } catch (error) {
      if (error instanceof PoetCheckError) {
        notice.textContent = error.message;
        notice.hidden = false;
      } else {
        message.error((error as Error).message);
      }
    } finally {
      button.disabled = false;
      if (token === this.choosing) delete this.root.dataset.loading;
    }
  }

  private setPoet(poet: Poet, entry: PickerCard): void {
    this.dropPoet();
    this.poet = poet;
    this.writer = poet.generator();
    for (const e of this.entries) {
      const active = e === entry;
      e.element.classList.toggle("active", active);
      e.button.setAttribute("aria-pressed", String(active));
      e.button.textContent = active ? "In use ✓" : isCharModel(e.card) ? "Use this poet" : "Load and check";
    }
    const extras = poemsExtras(poet.card);
    if (!this.controls.seed.value.trim() || this.controls.seed.dataset.fromCard === "true") {
      this.controls.setSeedText(extras?.default_seed ?? "");
      this.controls.seed.dataset.fromCard = "true";
    }
    this.poem.replaceChildren();
    this.poemText = "";
    this.status.textContent = `${poet.card.title} is ready: ${poet.arch.units.length} × LSTM ${poet.arch.units.join("/")} over ${poet.vocab.size} characters, on ${tf.getBackend().toUpperCase()}.`;
    this.nextChar.clear();
    this.showUnknown(this.controls.seed.value);
    this.workspace.hidden = false;
    this.learn.setPoet(poet);
    this.game.element.hidden = false;
    this.game.setPoet(poet);
    this.buttons.generate.disabled = false;
    this.buttons.regenerate.disabled = true;
    this.buttons.copy.disabled = true;
    this.buttons.download.disabled = true;
    this.root.dataset.poet = `${poet.card.studio}/${poet.card.name}`;
  }

  /**
   * How often to repaint a streaming poem. WebGL on a software rasteriser shares it with
   * the page's painting, where a repaint costs as much as dozens of LSTM steps.
   */
  paintIntervalMs(): number {
    const backend = this.ctx.backend();
    return tf.getBackend() === "webgl" && backend?.software ? 500 : 80;
  }

  private dropPoet(): void {
    this.writer?.dispose();
    this.writer = null;
    this.snapshots.dispose();
    this.poet?.dispose();
    this.poet = null;
    delete this.root.dataset.poet;
  }

  private showUnknown(text: string): string[] {
    const poet = this.poet;
    const unknown = poet ? poet.vocab.encode(text).unknown : [];
    if (unknown.length === 0 || !poet) {
      this.unknownNotice.hidden = true;
      this.unknownNotice.replaceChildren();
      return [];
    }
    this.unknownNotice.hidden = false;
    this.unknownNotice.replaceChildren(
      `Not in ${poet.card.title}’s alphabet, so skipped: `,
      ...unknown.flatMap((c, i) => [i ? ", " : "", h("kbd", { class: "unknown-char", "data-char": c, text: visibleChar(c) })]),
      ".",
    );
    return unknown;
  }

  private async write(again: boolean): Promise<void> {
    const poet = this.poet;
    const writer = this.writer;
    if (!poet || !writer) return;
    const settings = again && this.lastSettings ? { ...this.controls.read(), seedText: this.lastSettings.seedText } : this.controls.read();
    this.lastSettings = settings;
    this.error.clear();
    await this.jobs.run(
      "write",
      async (signal) => {
        // Generate and Regenerate are disabled while writing: hand their focus to Stop and back.
        const hadFocus = document.activeElement === this.buttons.generate || document.activeElement === this.buttons.regenerate;
        this.buttons.generate.disabled = true;
        this.buttons.regenerate.disabled = true;
        if (hadFocus) this.buttons.stop.focus();
        try {
          this.showUnknown(settings.seedText);
          const primed = await writer.prime(settings.seedText, signal);
          const generated = document.createTextNode("");
          this.poem.replaceChildren(h("span", { class: "seed", text: primed.kept }), h("span", { class: "generated" }, generated));
          this.poemText = primed.kept;
          if (primed.fallback && primed.unknown.length) {
            this.unknownNotice.hidden = false;
            this.unknownNotice.append(" Nothing usable was left, so the poet starts from a new line.");
          }
          const seed = settings.randomSeed ?? randomSeed();
          this.status.textContent = `Writing ${settings.length} characters…`;
          let pending = "";
          let last: GeneratedChunk | null = null;
          const view = new Throttle(() => {
            const nearBottom = this.poem.scrollTop + this.poem.clientHeight >= this.poem.scrollHeight - 24;
            generated.appendData(pending);
            pending = "";
            if (nearBottom) this.poem.scrollTop = this.poem.scrollHeight;
            if (last?.candidates) this.nextChar.show(last.candidates, this.poemText, settings.temperature);
            if (last) this.status.textContent = `Writing… ${last.written} of ${last.total} characters`;
          }, this.paintIntervalMs());
          let result: GenerateResult;
          try {
            result = await writer.generate({
              ...settings,
              seed,
              signal,
              candidates: 10,
              onChunk: (chunk) => {
                pending += chunk.text;
                this.poemText += chunk.text;
                last = chunk;
                view.request();
              },
            });
          } finally {
            view.now();
          }
          const written = result.text.length;
          const speed = `${result.msPerChar.toFixed(2)} ms per character on ${tf.getBackend().toUpperCase()}`;
          this.status.textContent = result.stopped
            ? `Stopped after ${written} characters (${speed}).`
            : `Done: ${written} characters, ${speed}, random seed ${result.seed}.`;
          this.root.dataset.lastSeed = String(result.seed);
        } finally {
          this.buttons.generate.disabled = false;
          this.buttons.regenerate.disabled = false;
          if (hadFocus && (document.activeElement === this.buttons.stop || document.activeElement === document.body)) this.buttons.generate.focus();
          const has = this.poemText.length > 0;
          this.buttons.copy.disabled = !has;
          this.buttons.download.disabled = !has;
        }
      },
      (error) => this.error.error(`Could not write: ${error.message}`),
    );
    if (this.status.textContent?.startsWith("Writing")) this.status.textContent = `Stopped after ${this.poemText.length} characters.`;
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.poemText);
      this.status.textContent = "Copied the poem to the clipboard.";
    } catch {
      // Older browsers or no permission: select the text so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents(this.poem);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      this.status.textContent = "Could not reach the clipboard: the poem is selected, press Ctrl+C.";
    }
  }

  private download(): void {
    const name = (this.poet?.card.name ?? "poem").replace(/[^a-z0-9-]/gi, "");
    downloadBlob(new Blob([this.poemText], { type: "text/plain;charset=utf-8" }), `muza-${name}-poem.txt`);
  }

  async dispose(): Promise<void> {
    document.removeEventListener("keydown", this.onKey);
    await this.jobs.stop();
    this.dropPoet();
  }
}
