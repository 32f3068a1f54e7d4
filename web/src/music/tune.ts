// The tune on the page: the settings it was written with, its body (first bar and what the model
// wrote) and whether writing has finished. Its text is header + body (the header with the tempo
// chosen now); what to play comes from the settled part while it is still being written.
// No DOM, no audio.
import { bodyStart, perform, settledPrefix, type Performance } from "./abc_events";
import { arrange, type PlayNote } from "./arrange";
import type { PlaySource } from "./player";
import { header, primer, quarterBpm, type TuneSettings } from "./settings";

export class Tune implements PlaySource {
  complete = false;
  /** Bars and whether the grammar still masked, as the writer last reported. */
  bars = 0;
  private cache: { text: string; chords: boolean; performance: Performance; notes: PlayNote[] } | null = null;

  constructor(
    /** The settings the tune was written with (the tempo follows the control). */
    readonly settings: TuneSettings,
    public body: string,
    readonly seed: number,
    private readonly chords: () => boolean = () => settings.accompaniment,
  ) {}

  tempo = 0;

  get quarterBpm(): number {
    return quarterBpm({ meter: this.settings.meter, tempo: this.tempo || this.settings.tempo });
  }

  /** The whole tune as ABC (what is drawn, played and downloaded). */
  text(): string {
    return header({ ...this.settings, tempo: this.tempo || this.settings.tempo }) + this.body;
  }

  /** What the model reads to continue this tune (the header without Q:, then the body). */
  continuation(): string {
    return primer({ ...this.settings, firstBar: "" }) + this.body;
  }

  /** The part that will not change any more: all of it once written, else up to the last bar line. */
  settledText(): string {
    const text = this.text();
    return this.complete ? text : settledPrefix(text);
  }

  performance(): Performance {
    return this.arranged().performance;
  }

  notes(): { notes: readonly PlayNote[]; complete: boolean } {
    return { notes: this.arranged().notes, complete: this.complete };
  }

  private arranged(): { performance: Performance; notes: PlayNote[] } {
    const text = this.settledText();
    const chords = this.chords();
    if (this.cache?.text !== text || this.cache.chords !== chords) {
      const p = perform(text);
      this.cache = { text, chords, performance: p, notes: arrange(p, chords) };
    }
    return this.cache;
  }
}

/** A file name for the tune: its title in lowercase letters, digits and dashes. */
export function fileStem(title: string): string {
  const stem = title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  return stem || "tune";
}

/** A finished tune from ABC text with its own header (a held-out tune, a snapshot's tune). */
export function tuneFromText(text: string, base: TuneSettings): Tune {
  const p = perform(text);
  const settings = { ...base, meter: p.meter, unit: p.unit, key: p.key, title: p.title, firstBar: "" };
  const tune = new Tune(settings, text.slice(bodyStart(text)).replace(/\n+$/, ""), 0);
  tune.complete = true;
  tune.bars = p.bars;
  return tune;
}
