// "Real or fake?": a held-out corpus line and a line the poet writes, in random order. A
// GameVariant lets another character studio (music: a tune to listen to) play it with its own
// items; the poems one is the default.
import { h } from "../ui/dom";
import { messageBox } from "../ui/progress";
import type { WriteSettings } from "./controls";
import type { JobRunner } from "./jobs";
import { loadRealLines, type Poet } from "./poet";
import { randomSeed, seededUniform as seededRandom } from "../random";

export interface GameHost {
  poet(): Poet | null;
  settings(): WriteSettings;
  jobs: JobRunner;
  variant?: GameVariant;
}

export interface GameVariant {
  lead: string;
  /** What is being guessed ("line", "tune") and who writes the fakes ("poet", "model"). */
  item: string;
  maker: string;
  /** The real items (held out from training). */
  real(poet: Poet): Promise<string[]>;
  /** A fake to set against `real` (`pick` draws another real item), or null when this attempt failed. */
  fake(poet: Poet, real: string, pick: () => string, signal: AbortSignal): Promise<string | null>;
  /** What a choice button says about an item. */
  label(text: string): string;
  /** Shown above the choices for the round (e.g. buttons to listen to each), or null. */
  present?(shown: string[]): HTMLElement | null;
  /** Called once the visitor has guessed (e.g. to show what was only heard). */
  revealed?(realIndex: number): void;
}

const MIN_LINE = 12;
const MAX_LINE = 110;

/** The first whole line of generated text that looks like a line of verse, if any. */
export function firstLine(text: string): string | null {
  for (const raw of text.split("\n").slice(0, -1)) {
    const line = raw.trim();
    if (line.length >= MIN_LINE && line.length <= MAX_LINE) return line;
  }
  return null;
}

export class GamePanel {
  readonly element: HTMLElement;
  private readonly choices: HTMLButtonElement[];
  private readonly texts: HTMLElement[];
  private readonly verdicts: HTMLElement[];
  private readonly next: HTMLButtonElement;
  private readonly score: HTMLElement;
  private readonly result: HTMLElement;
  private readonly message = messageBox();
  private lines: string[] = [];
  private linesFor: Poet | null = null;
  private realIndex = -1;
  private answered = true;
  private right = 0;
  private played = 0;
  private readonly variant: GameVariant;
  private readonly stage = h("div", { class: "game-stage", hidden: true });

  constructor(private readonly host: GameHost) {
    this.variant = host.variant ?? this.poemsVariant();
    const item = this.variant.item;
    this.texts = [];
    this.verdicts = [];
    this.choices = ["A", "B"].map((letter) => {
      const text = h("span", { class: "line-text", text: "…" });
      const verdict = h("span", { class: "verdict" });
      this.texts.push(text);
      this.verdicts.push(verdict);
      return h(
        "button",
        { type: "button", class: "choice", "data-choice": letter, disabled: true, "aria-label": `${item[0].toUpperCase()}${item.slice(1)} ${letter} is the real one` },
        h("span", { class: "letter", "aria-hidden": "true", text: letter }),
        text,
        verdict,
      );
    });
    this.next = h("button", { type: "button", class: "new-round", text: "New round" });
    this.score = h("p", { class: "score", "aria-live": "polite", text: "Score: 0 of 0" });
    this.result = h("p", { class: "game-result", role: "status" });
    this.element = h(
      "section",
      { class: "panel game", "aria-labelledby": "game-title" },
      h("h2", { id: "game-title", text: "Real or fake?" }),
      h("p", { class: "lead", text: this.variant.lead }),
      this.stage,
      h("div", { class: "choices", role: "group", "aria-label": `Which ${item} is real?` }, ...this.choices),
      h("div", { class: "row" }, this.next, this.score),
      this.result,
      this.message.element,
    );
    this.choices.forEach((button, i) => button.addEventListener("click", () => this.guess(i)));
    this.next.addEventListener("click", () => void this.round());
  }

  /** The poems studio's game: a held-out line against the first whole line the poet writes. */
  private poemsVariant(): GameVariant {
    const host = this.host;
    return {
      lead: "One line comes from the poems the model never saw in training, the other was just written by the poet (with your temperature and filters). Pick the real one.",
      item: "line",
      maker: "poet",
      real: (poet) => loadRealLines(poet.card),
      async fake(poet, real, pick, signal) {
        const generator = poet.generator();
        try {
          // Prime with another real line, so the poet starts at the beginning of a line.
          let context = pick();
          if (context === real) context = pick();
          await generator.prime(`${context}\n`, signal);
          const { text } = await generator.generate({ ...host.settings(), length: 160, signal });
          return firstLine(text);
        } finally {
          generator.dispose();
        }
      },
      label: (text) => text,
    };
  }

  setPoet(poet: Poet | null): void {
    this.right = 0;
    this.played = 0;
    this.answered = true;
    this.score.textContent = "Score: 0 of 0";
    this.result.textContent = "";
    this.message.clear();
    for (const [i, t] of this.texts.entries()) {
      t.textContent = "…";
      this.verdicts[i].textContent = "";
      this.choices[i].disabled = true;
      this.choices[i].classList.remove("real", "fake", "picked");
    }
    this.next.disabled = poet === null;
  }

  private async round(): Promise<void> {
    const poet = this.host.poet();
    if (!poet) return;
    this.message.clear();
    await this.host.jobs.run(
      "game",
      async (signal) => {
        this.next.disabled = true;
        const item = this.variant.item;
        this.result.textContent = `The ${this.variant.maker} is writing a ${item}…`;
        try {
          if (this.linesFor !== poet) {
            this.lines = await this.variant.real(poet);
            this.linesFor = poet;
          }
          if (this.lines.length < 2) throw new Error(`${poet.card.title} ships no held-out ${item}s for this game`);
          const random = seededRandom(randomSeed());
          const pick = () => this.lines[Math.floor(random() * this.lines.length)];
          const real = pick();
          let fake: string | null = null;
          for (let attempt = 0; attempt < 6 && fake === null && !signal.aborted; attempt++) fake = await this.variant.fake(poet, real, pick, signal);
          if (signal.aborted) return;
          if (fake === null) throw new Error(`The ${this.variant.maker} did not manage a whole ${item} this time (try a lower temperature), then a new round.`);
          this.realIndex = random() < 0.5 ? 0 : 1;
          const shown = this.realIndex === 0 ? [real, fake] : [fake, real];
          const stage = this.variant.present?.(shown) ?? null;
          this.stage.replaceChildren(...(stage ? [stage] : []));
          this.stage.hidden = !stage;
          for (const [i, t] of this.texts.entries()) {
            t.textContent = this.variant.label(shown[i]);
            this.verdicts[i].textContent = "";
            this.choices[i].disabled = false;
            this.choices[i].classList.remove("real", "fake", "picked");
          }
          this.answered = false;
          this.result.textContent = `Which ${item} is real: A or B?`;
          this.choices[0].focus();
        } finally {
          this.next.disabled = false;
        }
      },
      (error) => {
        this.result.textContent = "";
        this.message.error(error.message);
      },
    );
  }

  private guess(index: number): void {
    if (this.answered) return;
    this.answered = true;
    this.variant.revealed?.(this.realIndex);
    const correct = index === this.realIndex;
    this.played += 1;
    if (correct) this.right += 1;
    for (const [i, button] of this.choices.entries()) {
      const real = i === this.realIndex;
      button.classList.add(real ? "real" : "fake");
      if (i === index) button.classList.add("picked");
      this.verdicts[i].textContent = real ? "Real: from the corpus" : `Fake: written by the ${this.variant.maker}`;
      button.disabled = true;
    }
    this.result.textContent = correct ? "Right! That one is from the corpus." : `Fooled! That one was written by the ${this.variant.maker}.`;
    this.score.textContent = `Score: ${this.right} of ${this.played}`;
    this.next.focus();
  }
}
