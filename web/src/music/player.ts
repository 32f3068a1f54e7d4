// Playback on a live AudioContext while the tune may still be growing: every 25 ms the player
// asks its source for the notes that will not change any more and schedules those that start in
// the next 150 ms (Web Audio's clock, so timing does not depend on the main thread). When the
// writer is behind, the clock waits for it. Tempo changes take effect from the current position.
// The melody note sounding now is reported for highlighting. Also: the offline render for .wav.
import type { PlayNote } from "./arrange";
import type { InstrumentId } from "./settings";
import { Synth } from "./synth";

export interface PlaySource {
  /** Notes that will not change any more (sorted by start), and whether the tune is finished. */
  notes(): { notes: readonly PlayNote[]; complete: boolean };
}

export interface PlayOptions {
  quarterBpm: number;
  instrument: () => InstrumentId;
  /** Called with the melody note now sounding (null when none). */
  onNote?: (note: PlayNote | null) => void;
  onEnd?: () => void;
}

const LOOKAHEAD = 0.15;
const TICK_MS = 25;
const START_DELAY = 0.06;

/** Seconds per whole note at a tempo in quarter notes per minute. */
export function secondsPerWhole(quarterBpm: number): number {
  return (4 * 60) / quarterBpm;
}

interface Sounding {
  note: PlayNote;
  at: number;
  end: number;
  sources: AudioScheduledSourceNode[];
}

export class TunePlayer {
  private synth: Synth | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private frame = 0;
  private source: PlaySource | null = null;
  private options: PlayOptions | null = null;
  private anchorPos = 0;
  private anchorTime = 0;
  private spw = 1;
  private scheduledUntil = -1;
  private scheduledHere = new Set<string>();
  private sounding: Sounding[] = [];
  private current: PlayNote | null = null;
  /** performance.now() when the first note is due to sound, once it is scheduled. */
  firstSoundAt: number | null = null;
  startedAt = 0;

  constructor(private readonly ctx: AudioContext) {}

  get playing(): boolean {
    return this.timer !== null;
  }

  get context(): AudioContext {
    return this.ctx;
  }

  play(source: PlaySource, options: PlayOptions): void {
    this.stop();
    this.synth ??= new Synth(this.ctx);
    this.source = source;
    this.options = options;
    this.spw = secondsPerWhole(options.quarterBpm);
    this.anchorPos = 0;
    this.anchorTime = this.ctx.currentTime + START_DELAY;
    this.scheduledUntil = -1;
    this.scheduledHere.clear();
    this.firstSoundAt = null;
    this.startedAt = performance.now();
    if (this.ctx.state !== "running") void this.ctx.resume();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
    const follow = () => {
      this.follow();
      if (this.timer !== null) this.frame = requestAnimationFrame(follow);
    };
    this.frame = requestAnimationFrame(follow);
  }

  /** A new tempo from the current position on. */
  setTempo(quarterBpm: number): void {
    if (!this.playing) return;
    const now = this.ctx.currentTime;
    this.anchorPos = this.position(now);
    this.anchorTime = now;
    this.spw = secondsPerWhole(quarterBpm);
  }

  /** Where the performance is (in whole notes) at audio time t. */
  private position(t: number): number {
    return this.anchorPos + (t - this.anchorTime) / this.spw;
  }

  private tick(): void {
    const source = this.source;
    const synth = this.synth;
    const options = this.options;
    if (!source || !synth || !options) return;
    const now = this.ctx.currentTime;
    const { notes, complete } = source.notes();
    const instrument = options.instrument();
    for (const note of notes) {
      if (note.start < this.scheduledUntil - 1e-9) continue;
      const key = `${note.part}:${note.start.toFixed(6)}:${note.pitch}`;
      if (this.scheduledHere.has(key)) continue;
      let at = this.anchorTime + (note.start - this.anchorPos) * this.spw;
      if (at < now + 0.01) {
        // Behind (the writer made us wait, or the page was busy): carry on from here.
        this.anchorPos = note.start;
        this.anchorTime = now + 0.03;
        at = this.anchorTime;
      }
      if (at > now + LOOKAHEAD) break;
      const duration = note.duration * this.spw;
      const sources = synth.note(note.part === "melody" ? instrument : "piano", note.pitch, at, duration, note.velocity);
      this.sounding.push({ note, at, end: at + duration, sources });
      this.scheduledHere.add(key);
      this.scheduledUntil = note.start;
      if (this.firstSoundAt === null) this.firstSoundAt = performance.now() + (at - now) * 1000;
    }
    this.sounding = this.sounding.filter((s) => s.end + 2 > now);
    const last = notes[notes.length - 1];
    const allScheduled = !last || this.scheduledHere.has(`${last.part}:${last.start.toFixed(6)}:${last.pitch}`);
    if (complete && allScheduled && this.sounding.every((s) => s.end < now)) {
      this.finish();
      options.onEnd?.();
    }
  }

  /** Reports the melody note sounding now. */
  private follow(): void {
    const latency = (this.ctx as AudioContext & { outputLatency?: number }).outputLatency ?? 0;
    const t = this.ctx.currentTime - latency;
    let now: PlayNote | null = null;
    for (const s of this.sounding) if (s.note.part === "melody" && s.at <= t && t < s.end) now = s.note;
    if (now !== this.current) {
      this.current = now;
      this.options?.onNote?.(now);
    }
  }

  private finish(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    cancelAnimationFrame(this.frame);
    if (this.current) this.options?.onNote?.(null);
    this.current = null;
  }

  /** Silences everything scheduled and stops. */
  stop(): void {
    const now = this.ctx.currentTime;
    for (const s of this.sounding) {
      for (const node of s.sources) {
        try {
          node.stop(now);
        } catch {
          // never started or already stopped
        }
      }
    }
    this.sounding = [];
    this.finish();
  }

  dispose(): void {
    this.stop();
    void this.ctx.close();
  }
}

/** Renders notes offline (faster than real time, no speakers) to mono samples. */
export async function renderOffline(notes: readonly PlayNote[], quarterBpm: number, instrument: InstrumentId, sampleRate = 44100): Promise<Float32Array> {
  const spw = secondsPerWhole(quarterBpm);
  const end = notes.reduce((m, n) => Math.max(m, n.start + n.duration), 0) * spw;
  const ctx = new OfflineAudioContext(1, Math.ceil((end + 1.8) * sampleRate), sampleRate);
  const synth = new Synth(ctx);
  const lead = 0.05;
  for (const n of notes) synth.note(n.part === "melody" ? instrument : "piano", n.pitch, lead + n.start * spw, n.duration * spw, n.velocity);
  const buffer = await ctx.startRendering();
  return buffer.getChannelData(0);
}
