// Saving and sharing a tune: .abc (the text), .mid (a Standard MIDI File we write), .wav (the
// synthesised sound rendered offline), with the training data's licence named beside them, and a
// share link (header, settings, seed).
import { h } from "../ui/dom";
import { downloadBlob } from "../ui/download";
import { messageBox } from "../ui/progress";
import { showShareLink } from "../ui/share";
import type { ModelCard } from "../models";
import { midiSong } from "./arrange";
import { writeMidi } from "./midi";
import { renderOffline } from "./player";
import { encodeShare, type InstrumentId } from "./settings";
import { fileStem, type Tune } from "./tune";
import { audioFigures, limitPeak, writeWav } from "./wav";

export const WAV_RATE = 44100;

/** The .mid bytes of a tune. */
export function tuneMidi(tune: Tune, instrument: InstrumentId): Uint8Array {
  const performance = tune.performance();
  return writeMidi(midiSong(performance, tune.notes().notes as never, tune.quarterBpm, instrument));
}

/** The tune rendered to mono samples at WAV_RATE, its peak kept below full scale. */
export async function tuneSamples(tune: Tune, instrument: InstrumentId): Promise<Float32Array> {
  const samples = await renderOffline(tune.notes().notes, tune.quarterBpm, instrument, WAV_RATE);
  limitPeak([samples]);
  return samples;
}

/** What the card says about the data the model learnt from, for the line beside the downloads. */
export function dataLine(card: ModelCard): string {
  const t = card.training;
  // The card's full wording can run to a paragraph: its first clause here, the rest on #/models.
  const first = (text: string) => text.split(/ \(|; /)[0].trim();
  const licence = typeof t.dataset_licence === "string" ? first(t.dataset_licence) : "see the model card";
  return `Written by a model trained on ${first(t.dataset)}. Training data licence: ${licence}.`;
}

export class OutputPanel {
  readonly element: HTMLElement;
  readonly buttons = {
    abc: h("button", { type: "button", class: "secondary download-abc", text: "Download .abc", disabled: true }),
    midi: h("button", { type: "button", class: "secondary download-mid", text: "Download .mid", disabled: true }),
    wav: h("button", { type: "button", class: "secondary download-wav", text: "Download .wav", disabled: true }),
    share: h("button", { type: "button", class: "secondary share", text: "Share", disabled: true }),
  };
  private readonly licence = h("p", { class: "licence" });
  private readonly shareBox = h("div", { class: "share-box", hidden: true });
  private readonly message = messageBox();
  private tune: Tune | null = null;
  /** Figures of the last .wav render (tests and benchmarks). */
  lastWav: { bytes: number; seconds: number; rms: number; peak: number; clipped: number } | null = null;

  constructor(
    private readonly instrument: () => InstrumentId,
    private readonly modelName: () => string | null,
  ) {
    const b = this.buttons;
    this.element = h("div", { class: "output" }, h("div", { class: "buttons" }, b.abc, b.midi, b.wav, b.share), this.licence, this.message.element, this.shareBox);
    b.abc.addEventListener("click", () => this.save("abc"));
    b.midi.addEventListener("click", () => this.save("mid"));
    b.wav.addEventListener("click", () => void this.saveWav());
    b.share.addEventListener("click", () => void this.share());
  }

  setCard(card: ModelCard | null): void {
    this.licence.textContent = card ? dataLine(card) : "";
  }

  setTune(tune: Tune | null, ready: boolean): void {
    this.tune = tune;
    for (const button of Object.values(this.buttons)) button.disabled = !tune || !ready;
    if (!tune) this.shareBox.hidden = true;
  }

  private stem(): string {
    return `muza-${fileStem(this.tune?.performance().title ?? "tune")}`;
  }

  private save(kind: "abc" | "mid"): void {
    const tune = this.tune;
    if (!tune) return;
    if (kind === "abc") downloadBlob(new Blob([`${tune.text()}\n`], { type: "text/vnd.abc;charset=utf-8" }), `${this.stem()}.abc`);
    else downloadBlob(new Blob([tuneMidi(tune, this.instrument()) as Uint8Array<ArrayBuffer>], { type: "audio/midi" }), `${this.stem()}.mid`);
  }

  private async saveWav(): Promise<void> {
    const tune = this.tune;
    if (!tune) return;
    const button = this.buttons.wav;
    button.disabled = true;
    button.textContent = "Rendering…";
    this.message.clear();
    try {
      const samples = await tuneSamples(tune, this.instrument());
      const wav = writeWav([samples], WAV_RATE);
      this.lastWav = { bytes: wav.length, ...audioFigures([samples], WAV_RATE) };
      downloadBlob(new Blob([wav as Uint8Array<ArrayBuffer>], { type: "audio/wav" }), `${this.stem()}.wav`);
    } catch (error) {
      this.message.error(`Could not render the sound: ${(error as Error).message}`);
    } finally {
      button.textContent = "Download .wav";
      button.disabled = this.tune === null;
    }
  }

  shareUrl(): string | null {
    const tune = this.tune;
    if (!tune) return null;
    const query = encodeShare({ ...tune.settings, tempo: tune.tempo || tune.settings.tempo, seed: tune.seed }, this.modelName());
    return `${location.origin}${location.pathname}${location.search}#/music?${query}`;
  }

  private async share(): Promise<void> {
    const url = this.shareUrl();
    if (url) await showShareLink(this.shareBox, url, "Link to this tune (same model, header, settings and dice)");
  }
}
