// "Real or fake?": a held-out corpus line and a line the poet writes, in random order.
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

  constructor(private readonly host: GameHost) {
    this.texts = [];
    this.verdicts = [];
    this.choices = ["A", "B"].map((letter) => {
      const text = h("span", { class: "line-text", text: "…" });
      const verdict = h("span", { class: "verdict" });
      this.texts.push(text);
      this.verdicts.push(verdict);
      return h(
        "button",
        { type: "button", class: "choice", "data-choice": letter, disabled: true, "aria-label": `Line ${letter} is the real one` },
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
      h("p", { class: "lead", text: "One line comes from the poems the model never saw in training, the other was just written by the poet (with your temperature and filters). Pick the real one." }),
      h("div", { class: "choices", role: "group", "aria-label": "Which line is real?" }, ...this.choices),
      h("div", { class: "row" }, this.next, this.score),
      this.result,
      this.message.element,
    );
    this.choices.forEach((button, i) => button.addEventListener("click", () => this.guess(i)));
    this.next.addEventListener("click", () => void this.round());
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
        this.result.textContent = "The poet is writing a line…";
        try {
          if (this.linesFor !== poet) {
            this.lines = await loadRealLines(poet.card);
            this.linesFor = poet;
          }
          if (this.lines.length < 2) throw new Error(`${poet.card.title} ships no corpus lines for this game`);
          const random = seededRandom(randomSeed());
          const pick = () => this.lines[Math.floor(random() * this.lines.length)];
          const real = pick();
          const settings = this.host.settings();
          const generator = poet.generator();
          let fake: string | null = null;
          try {
            // Prime with another real line, so the poet starts at the beginning of a line.
            for (let attempt = 0; attempt < 6 && fake === null && !signal.aborted; attempt++) {
              let context = pick();
              if (context === real) context = pick();
              await generator.prime(`${context}\n`, signal);
              const { text } = await generator.generate({ ...settings, length: 160, signal });
              fake = firstLine(text);
            }
          } finally {
            generator.dispose();
          }
          if (signal.aborted) return;
          if (fake === null) throw new Error("The poet did not manage a whole line this time (try a lower temperature), then a new round.");
          this.realIndex = random() < 0.5 ? 0 : 1;
          const shown = this.realIndex === 0 ? [real, fake] : [fake, real];
          for (const [i, t] of this.texts.entries()) {
            t.textContent = shown[i];
            this.verdicts[i].textContent = "";
            this.choices[i].disabled = false;
            this.choices[i].classList.remove("real", "fake", "picked");
          }
          this.answered = false;
          this.result.textContent = "Which line is real: A or B?";
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
    const correct = index === this.realIndex;
    this.played += 1;
    if (correct) this.right += 1;
    for (const [i, button] of this.choices.entries()) {
      const real = i === this.realIndex;
      button.classList.add(real ? "real" : "fake");
      if (i === index) button.classList.add("picked");
      this.verdicts[i].textContent = real ? "Real: from the corpus" : "Fake: written by the poet";
      button.disabled = true;
    }
    this.result.textContent = correct ? "Right! That one is from the corpus." : "Fooled! That one was written by the poet.";
    this.score.textContent = `Score: ${this.right} of ${this.played}`;
    this.next.focus();
  }
}
