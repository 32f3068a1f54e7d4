// The Music studio's page: the controls write the header, Generate streams ABC through the
// bar-aware sampler while abcjs draws it and the synth plays it (from the first settled bar on),
// Continue and Another variation, Play / Stop, downloads and the share link. The model work is
// in tune_writer.ts (on the poems engine), the sound in player.ts / synth.ts.
import * as tf from "@tensorflow/tfjs";
import { JobRunner } from "../poems/jobs";
import { Throttle } from "../poems/throttle";
import type { Poet } from "../poems/poet";
import type { CharGenerator } from "../poems/generator";
import { randomSeed } from "../random";
import { h } from "../ui/dom";
import { messageBox } from "../ui/progress";
import { MusicControls } from "./controls";
import { GrammarError } from "./grammar";
import { Notation } from "./notation";
import { OutputPanel } from "./output_panel";
import { TunePlayer } from "./player";
import { decodeShare, DEFAULTS, header, primer, quarterBpm, type TuneSettings } from "./settings";
import { Tune } from "./tune";
import { writeTune, type TuneResult } from "./tune_writer";

export type WriteMode = "new" | "variation" | "continue";

/** How the last write went (tests and benchmarks). */
export interface WriteStats {
  result: TuneResult | null;
  /** ms from the click (or call) to the first character, and to the first sound. */
  firstCharMs: number | null;
  firstSoundMs: number | null;
  renders: number;
  longestRenderMs: number;
  warnings: string[];
}

export class MusicStudio {
  readonly element: HTMLElement;
  readonly jobs = new JobRunner();
  readonly controls = new MusicControls();
  readonly notation = new Notation();
  readonly output: OutputPanel;
  tune: Tune | null = null;
  stats: WriteStats = { result: null, firstCharMs: null, firstSoundMs: null, renders: 0, longestRenderMs: 0, warnings: [] };
  private readonly writer: CharGenerator;
  private player: TunePlayer | null = null;
  private highlighted: Notation | null = this.notation;
  private readonly status = h("p", { class: "status write-status", role: "status" });
  private readonly playStatus = h("p", { class: "status play-status", role: "status" });
  private readonly error = messageBox();
  private readonly buttons = {
    generate: h("button", { type: "button", class: "generate", text: "Generate" }),
    stop: h("button", { type: "button", class: "secondary stop", text: "Stop", disabled: true }),
    continue: h("button", { type: "button", class: "secondary continue", text: "Continue this tune", disabled: true }),
    variation: h("button", { type: "button", class: "secondary variation", text: "Another variation", disabled: true }),
    play: h("button", { type: "button", class: "play", text: "▶ Play", disabled: true }),
    stopSound: h("button", { type: "button", class: "secondary stop-sound", text: "■ Stop", disabled: true }),
  };

  constructor(readonly poet: Poet, private readonly backend: () => { software?: boolean } | undefined) {
    this.writer = poet.generator();
    this.output = new OutputPanel(() => this.controls.read().instrument, () => poet.card.name);
    this.output.setCard(poet.card);
    const b = this.buttons;
    const c = this.controls;
    this.element = h(
      "div",
      { class: "music-workspace" },
      h("section", { class: "panel composer", "aria-labelledby": "music-write-title" },
        h("h2", { id: "music-write-title", text: "Write a tune" }),
        c.element,
        h("div", { class: "buttons" }, b.generate, b.stop, b.continue, b.variation),
        this.status,
        this.error.element),
      h("section", { class: "panel tune-panel", "aria-labelledby": "music-score-title" },
        h("h2", { id: "music-score-title", text: "The tune" }),
        h("div", { class: "player-row" }, h("div", { class: "buttons" }, b.play, b.stopSound), c.soundControls),
        this.playStatus,
        this.notation.element,
        this.output.element),
    );
    b.generate.addEventListener("click", () => void this.write("new"));
    b.variation.addEventListener("click", () => void this.write("variation"));
    b.continue.addEventListener("click", () => void this.write("continue"));
    b.stop.addEventListener("click", () => void this.jobs.stop());
    b.play.addEventListener("click", () => this.play());
    b.stopSound.addEventListener("click", () => this.stopSound());
    c.tempo.input.addEventListener("input", () => this.tempoChanged());
    document.addEventListener("keydown", this.onKey);
    this.jobs.onChange((job) => {
      this.element.dataset.job = job ?? "idle";
      b.stop.disabled = job !== "write";
    });
    this.element.dataset.job = "idle";
    // abcjs measures its fonts on the first drawing: do that now rather than during the first tune.
    this.notation.render(`${header(DEFAULTS)}GAB c2d|`);
    this.notation.clear();
    this.status.textContent = `${poet.card.title} is ready: ${poet.arch.units.length} × LSTM ${poet.arch.units.join("/")} over ${poet.vocab.size} characters, on ${tf.getBackend().toUpperCase()}.`;
  }

  private readonly onKey = (event: KeyboardEvent) => {
    if (event.key !== "Escape") return;
    if (this.jobs.running) void this.jobs.stop();
    this.stopSound();
  };

  /** Settings from a share link; returns the problems with its parameters. Writes the tune when the link has a seed. */
  start(params: URLSearchParams): string[] {
    if ([...params.keys()].length === 0) return [];
    const { settings, problems } = decodeShare(params, this.controls.read());
    this.controls.write(settings);
    if (params.has("seed") && problems.length === 0) void this.write("new");
    return problems;
  }

  /** The AudioContext, made (and resumed) inside a click so that the browser lets it sound. */
  private audio(): TunePlayer | null {
    try {
      this.player ??= new TunePlayer(new AudioContext({ latencyHint: "interactive" }));
      if (this.player.context.state !== "running") void this.player.context.resume();
      return this.player;
    } catch (error) {
      this.playStatus.textContent = `No sound: ${(error as Error).message}`;
      return null;
    }
  }

  private repaintMs(): number {
    return tf.getBackend() === "webgl" && this.backend()?.software ? 500 : 200;
  }

  /** Draws what is settled of the tune (all of it once written). */
  private draw(): void {
    const tune = this.tune;
    if (!tune) return;
    const { ms, longestMs, warnings } = this.notation.render(tune.settledText());
    if (ms > 0) {
      this.stats.renders += 1;
      this.stats.longestRenderMs = Math.max(this.stats.longestRenderMs, longestMs);
    }
    this.stats.warnings = warnings;
  }

  async write(mode: WriteMode): Promise<void> {
    const clicked = performance.now();
    const previous = this.tune;
    const chosen = this.controls.read();
    let settings: TuneSettings;
    let base = "";
    let untilBars: number;
    if (mode !== "new" && previous) {
      settings = { ...previous.settings, temperature: chosen.temperature, topP: chosen.topP, barAware: chosen.barAware, bars: chosen.bars };
      if (mode === "continue") base = previous.body;
      // Continue adds the length in bars to the tune; a variation has that length, same header.
      untilBars = mode === "continue" ? previous.bars + chosen.bars : chosen.bars;
    } else {
      settings = chosen;
      untilBars = chosen.bars;
    }
    const seed = mode === "new" && chosen.seed !== null ? chosen.seed : randomSeed();
    const title = [...settings.title].filter((ch) => this.poet.vocab.has(ch)).join("");
    if (title !== settings.title) settings = { ...settings, title };
    const text = mode === "continue" && previous ? previous.continuation() : primer(settings);
    const unknown = this.poet.vocab.encode(text).unknown;
    this.error.clear();
    if (unknown.length) {
      this.error.error(`The first bar uses characters the model does not know: ${unknown.join(" ")}`);
      return;
    }
    const playAlong = this.controls.playAlong.input.checked;
    const player = playAlong ? this.audio() : null;
    this.stopSound();
    const tune = new Tune(settings, mode === "continue" ? base : settings.firstBar, seed, () => this.controls.chords.input.checked);
    tune.tempo = chosen.tempo;
    this.stats = { result: null, firstCharMs: null, firstSoundMs: null, renders: 0, longestRenderMs: 0, warnings: [] };
    await this.jobs.run(
      "write",
      async (signal) => {
        this.tune = tune;
        this.setBusy(true);
        this.output.setTune(tune, false);
        const view = new Throttle(() => this.draw(), this.repaintMs());
        if (player) this.startPlaying(player, tune, clicked);
        this.status.textContent = `Writing ${untilBars - (mode === "continue" ? previous?.bars ?? 0 : 0)} bars…`;
        let result: TuneResult;
        try {
          result = await writeTune(this.writer, {
            primer: text,
            rules: { barAware: settings.barAware, untilBars },
            sampling: { temperature: settings.temperature, topK: 0, topP: settings.topP },
            seed,
            signal,
            onText: (written, constraint) => {
              if (this.stats.firstCharMs === null && written) this.stats.firstCharMs = performance.now() - clicked;
              tune.body = base + (mode === "continue" ? written : settings.firstBar + written);
              tune.bars = constraint.bars;
              this.status.textContent = `Writing… ${constraint.bars} of ${untilBars} bars`;
              view.request();
            },
          });
        } catch (error) {
          if (error instanceof GrammarError) throw new Error(`The bar-aware sampler cannot read the tune so far (${error.message}). Switch it off to carry on.`);
          throw error;
        } finally {
          tune.complete = true;
          view.now();
        }
        this.stats.result = result;
        tune.bars = result.bars;
        const speed = `${result.msPerChar.toFixed(2)} ms per character on ${tf.getBackend().toUpperCase()}`;
        const fallbacks = settings.barAware ? (result.fallbacks ? `, the mask gave way ${result.fallbacks}×` : ", bar-aware") : ", mask off";
        this.status.textContent = result.stopped
          ? `Stopped after ${result.bars} bars (${speed}).`
          : `Done: ${result.bars} bars, ${result.written.length} characters, ${speed}${fallbacks}, random seed ${seed}.`;
        this.element.dataset.lastSeed = String(seed);
      },
      (error) => this.error.error(`Could not write: ${error.message}`),
    );
    this.setBusy(false);
    this.output.setTune(this.tune, this.tune !== null && this.tune.body.length > 0);
  }

  private setBusy(busy: boolean): void {
    const b = this.buttons;
    const has = !busy && this.tune !== null;
    b.generate.disabled = busy;
    b.continue.disabled = !has;
    b.variation.disabled = !has;
    b.play.disabled = !this.tune;
  }

  private startPlaying(player: TunePlayer, source: Tune, since: number, notation: Notation | null = this.notation): void {
    this.highlighted = notation;
    this.buttons.stopSound.disabled = false;
    this.element.dataset.playing = "true";
    this.playStatus.textContent = "Playing…";
    player.play(source, {
      quarterBpm: source.quarterBpm,
      instrument: () => this.controls.read().instrument,
      onNote: (note) => {
        if (note && this.stats.firstSoundMs === null) this.stats.firstSoundMs = performance.now() - since;
        notation?.highlight(note ? note.from : null);
      },
      onEnd: () => this.soundEnded("Played to the end."),
    });
  }

  /** Plays the tune from the start (while it is still being written, as far as it goes). */
  play(): void {
    const tune = this.tune;
    const player = tune ? this.audio() : null;
    if (!tune || !player) return;
    tune.tempo = this.controls.read().tempo;
    this.startPlaying(player, tune, performance.now());
  }

  /** Plays another tune (a snapshot's, a held-out one), highlighting its notes in `notation`. */
  playTune(tune: Tune, notation: Notation | null): void {
    const player = this.audio();
    if (!player) return;
    this.stopSound();
    tune.tempo = this.controls.read().tempo;
    this.startPlaying(player, tune, performance.now(), notation);
  }

  stopSound(): void {
    if (this.player?.playing) {
      this.player.stop();
      this.soundEnded("Stopped.");
    }
  }

  private soundEnded(text: string): void {
    this.buttons.stopSound.disabled = true;
    delete this.element.dataset.playing;
    this.playStatus.textContent = text;
    this.highlighted?.highlight(null);
    this.highlighted = this.notation;
  }

  private tempoChanged(): void {
    const tune = this.tune;
    if (!tune) return;
    tune.tempo = this.controls.read().tempo;
    this.player?.setTempo(quarterBpm({ meter: tune.settings.meter, tempo: tune.tempo }));
    if (!this.jobs.running) this.draw();
  }

  /** The player, for tests and benchmarks (null before the first sound). */
  get audioPlayer(): TunePlayer | null {
    return this.player;
  }

  async dispose(): Promise<void> {
    document.removeEventListener("keydown", this.onKey);
    await this.jobs.stop();
    this.player?.dispose();
    this.player = null;
    this.writer.dispose();
  }
}
