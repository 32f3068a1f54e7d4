// The poems studio's "Watch it learn" and "Real or fake?" panels, played with tunes: the
// columns and the choices show sheet music and sound instead of text (LearnVariant, GameVariant).
import { GamePanel } from "../poems/game";
import { LearnPanel, type LearnColumn } from "../poems/learn";
import { loadRealLines, type Poet, type SnapshotCache } from "../poems/poet";
import { Throttle } from "../poems/throttle";
import type { WriteSettings } from "../poems/controls";
import { h } from "../ui/dom";
import { bodyStart, perform } from "./abc_events";
import type { MusicStudio } from "./music_studio";
import { Notation } from "./notation";
import { primer, type TuneSettings } from "./settings";
import { Tune, tuneFromText } from "./tune";
import { writeTune } from "./tune_writer";

/** What the poems panels ask of a host, answered by the music studio. */
function host(studio: MusicStudio, snapshots: SnapshotCache) {
  return {
    poet: () => studio.poet,
    jobs: studio.jobs,
    settings: (): WriteSettings => {
      const s = studio.controls.read();
      return { seedText: primer(s), temperature: s.temperature, topK: 0, topP: s.topP, length: 64 * s.bars, randomSeed: s.seed };
    },
    paintIntervalMs: () => 250,
    snapshot: snapshots.load,
  };
}

/** One tune written with `poet` from the studio's settings (the bar-aware sampler as set). */
async function writeWith(poet: Poet, settings: TuneSettings, primerText: string, untilBars: number, seed: number, signal: AbortSignal, onText?: (written: string) => void): Promise<{ written: string; stopped: boolean }> {
  const generator = poet.generator();
  try {
    const result = await writeTune(generator, {
      primer: primerText,
      rules: { barAware: settings.barAware, untilBars },
      sampling: { temperature: settings.temperature, topK: 0, topP: settings.topP },
      seed,
      signal,
      onText: (written) => onText?.(written),
    });
    return { written: result.written, stopped: result.stopped };
  } finally {
    generator.dispose();
  }
}

function listenButton(label: string, onClick: () => void): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary listen", text: label });
  button.addEventListener("click", onClick);
  return button;
}

export function musicLearnPanel(studio: MusicStudio, snapshots: SnapshotCache): LearnPanel {
  return new LearnPanel({
    ...host(studio, snapshots),
    variant: {
      lead: "The same training run, saved after an early epoch, against the final model: same header, same settings, same dice. Early models scatter notes; later ones find bars, phrases and repeats.",
      lengthInput: false,
      column(): LearnColumn {
        const notation = new Notation("A tune from this model");
        let tune: Tune | null = null;
        let text = "";
        const view = new Throttle(() => notation.render(text), 250);
        const listen = listenButton("▶ Listen", () => tune && studio.playTune(tune, notation));
        listen.disabled = true;
        return {
          element: h("div", { class: "learn-tune" }, listen, notation.element),
          show(seedText: string, written: string) {
            text = seedText + written;
            tune = written ? tuneFromText(text, studio.controls.read()) : null;
            listen.disabled = tune === null;
            if (written) view.request();
            else view.now();
          },
          flush: () => view.now(),
        };
      },
      async write(poet, seed, _length, signal, show) {
        const settings = studio.controls.read();
        const text = primer(settings);
        show(text, "");
        return writeWith(poet, settings, text, Math.min(settings.bars, 16), seed, signal, (written) => show(text, written));
      },
    },
  });
}

/** Held-out tunes in the card's real_lines file (whole tunes: a header with K: and bars). */
async function realTunes(poet: Poet): Promise<string[]> {
  return (await loadRealLines(poet.card)).filter((t) => /^K:/m.test(t) && t.includes("|") && perform(t).bars >= 4);
}

/** The header of a tune (its X: to K: lines) without its title and tempo. */
function plainHeader(text: string): string {
  const p = perform(text);
  return `X:1\nT:Tune\nM:${p.meter}\nL:${p.unit}\nK:${p.key}\n`;
}

export function musicGamePanel(studio: MusicStudio, snapshots: SnapshotCache): GamePanel {
  let sheets: { figure: HTMLElement; caption: HTMLElement; notation: Notation }[] = [];
  return new GamePanel({
    ...host(studio, snapshots),
    variant: {
      lead: "Listen to two tunes: one is a held-out tune from the training data the model never saw, the other the model just wrote in the same meter and key (with your temperature and filters). Which is real?",
      item: "tune",
      maker: "model",
      real: realTunes,
      async fake(poet, real, _pick, signal) {
        const settings = studio.controls.read();
        const head = plainHeader(real);
        const bars = Math.min(32, perform(real).bars);
        const { written, stopped } = await writeWith(poet, settings, head, bars, Math.floor(Math.random() * 2 ** 32), signal);
        return stopped || perform(head + written).bars < Math.min(4, bars) ? null : head + written;
      },
      label: (text) => `${perform(text).bars} bars`,
      present(shown) {
        const settings = studio.controls.read();
        const tunes = shown.map((text) => tuneFromText(plainHeader(text) + text.slice(bodyStart(text)), settings));
        // The sheets stay hidden until the guess: the game is to listen.
        sheets = tunes.map((tune, i) => {
          const notation = new Notation(`Tune ${"AB"[i]}`);
          const caption = h("figcaption", { text: `Tune ${"AB"[i]}` });
          notation.element.prepend(caption);
          notation.element.hidden = true;
          notation.element.dataset.text = tune.text();
          return { figure: notation.element, caption, notation };
        });
        return h("div", { class: "game-tunes" },
          h("div", { class: "buttons listen-row" }, ...tunes.map((tune, i) => listenButton(`▶ Listen to ${"AB"[i]}`, () => studio.playTune(tune, sheets[i].notation)))),
          h("div", { class: "learn-columns game-sheets" }, ...sheets.map((s) => s.figure)));
      },
      revealed(realIndex) {
        sheets.forEach((s, i) => {
          s.figure.hidden = false;
          s.notation.render(s.figure.dataset.text ?? "");
          s.caption.textContent = `Tune ${"AB"[i]}: ${i === realIndex ? "real, held out from training" : "written by the model"}`;
        });
      },
    },
  });
}
