// An animated background: a seamless loop whose local noise drifts (noise.ts loopNoise: frame
// i of N at θ = 2πi/N, so frame N would be frame 0 again), rendered frame by frame, kept as
// JPEG, then played in real time into a canvas that MediaRecorder records to WebM.
import type { BackgroundSettings } from "./bg_state";
import { gridFor } from "./bg_state";
import { webmWithTags } from "./file_metadata";
import { localNoise, loopNoise } from "./noise";
import { CancelledError, type RenderReport } from "./render";
import { blankCanvas, context2d } from "./stage";

export interface LoopOptions {
  seconds: number;
  fps: number;
  width: number;
  height: number;
  /** How far the texture drifts from its still form (0..1). */
  motion: number;
}

export interface LoopHost {
  readonly generator: { localChannels: number; cellPx: number };
  renderCanvas(s: BackgroundSettings, signal: AbortSignal, local?: Float32Array): Promise<{ canvas: HTMLCanvasElement; report: RenderReport }>;
  localFor(seed: number, w: number, h: number, stream?: number): Float32Array;
}

export interface LoopResult {
  blob: Blob;
  bytes: Uint8Array;
  frames: number;
  renderMs: number;
  recordMs: number;
  mimeType: string;
}

/** The settings of the loop's frames: the picture's, at the loop's size. */
export function loopSettings(s: BackgroundSettings, o: LoopOptions): BackgroundSettings {
  return { ...s, mix: s.mix.map((e) => ({ ...e })), width: o.width, height: o.height };
}

function jpeg(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("Could not encode a frame"))), "image/jpeg", 0.92));
}

const sleepUntil = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

export function recorderType(): string | null {
  if (typeof MediaRecorder === "undefined") return null;
  return ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"].find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

export class LoopRecorder {
  constructor(private readonly host: LoopHost) {}

  /** The local noise of the loop's three fields for settings `s` at its size. */
  private fields(s: BackgroundSettings): Float32Array[] {
    const grid = gridFor(s.width, s.height, s.scale, this.host.generator.cellPx);
    const l = this.host.generator.localChannels;
    return [this.host.localFor(s.seed, grid.w, grid.h, 0), localNoise(s.seed, 1, grid.h, grid.w, l), localNoise(s.seed, 2, grid.h, grid.w, l)];
  }

  /** Milliseconds per frame at this size on this machine: one frame to warm up, then the median of `runs`. */
  async measure(s: BackgroundSettings, o: LoopOptions, signal: AbortSignal, runs = 2): Promise<number> {
    const fs = loopSettings(s, o);
    const [a, b, c] = this.fields(fs);
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      await this.host.renderCanvas(fs, signal, loopNoise(a, b, c, o.motion, (2 * Math.PI * i) / 7));
      if (i > 0) times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    return times[times.length >> 1];
  }

  /** Renders every frame (JPEG in memory), then records them in real time; `credits` become WebM tags. */
  async record(s: BackgroundSettings, o: LoopOptions, credits: [string, string][], signal: AbortSignal,
    onProgress: (phase: "render" | "record", done: number, total: number) => void): Promise<LoopResult> {
    const mimeType = recorderType();
    if (!mimeType) throw new Error("This browser cannot record WebM (no MediaRecorder for video/webm).");
    const fs = loopSettings(s, o);
    const [a, b, c] = this.fields(fs);
    const count = Math.max(2, Math.round(o.seconds * o.fps));
    const frames: Blob[] = [];
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      if (signal.aborted) throw new CancelledError();
      const { canvas } = await this.host.renderCanvas(fs, signal, loopNoise(a, b, c, o.motion, (2 * Math.PI * i) / count));
      frames.push(await jpeg(canvas));
      onProgress("render", i + 1, count);
    }
    const renderMs = performance.now() - t0;
    const t1 = performance.now();
    const raw = await this.play(frames, o, mimeType, signal, (done) => onProgress("record", done, count));
    const bytes = webmWithTags(new Uint8Array(await raw.arrayBuffer()), credits);
    return { blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "video/webm" }), bytes, frames: count, renderMs, recordMs: performance.now() - t1, mimeType };
  }

  /** Plays the frames into a captured canvas at `fps`, recording it. */
  private async play(frames: Blob[], o: LoopOptions, mimeType: string, signal: AbortSignal, onFrame: (done: number) => void): Promise<Blob> {
    const canvas = blankCanvas(o.width, o.height);
    const ctx = context2d(canvas);
    const stream = canvas.captureStream(0);
    const track = stream.getVideoTracks()[0] as CanvasCaptureMediaStreamTrack;
    const recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: Math.round(Math.min(16e6, Math.max(1e6, o.width * o.height * o.fps * 0.12))) });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    const stopped = new Promise<void>((resolve) => (recorder.onstop = () => resolve()));
    const ahead = 8;
    const decoded: Promise<ImageBitmap>[] = [];
    const decode = (i: number) => i < frames.length && (decoded[i] = createImageBitmap(frames[i]));
    for (let i = 0; i < ahead; i++) decode(i);
    const first = await decoded[0];
    ctx.drawImage(first, 0, 0);
    recorder.start();
    const frameMs = 1000 / o.fps;
    const start = performance.now();
    try {
      for (let i = 0; i < frames.length; i++) {
        if (signal.aborted) throw new CancelledError();
        const bitmap = i === 0 ? first : await decoded[i];
        decode(i + ahead);
        await sleepUntil(start + i * frameMs);
        ctx.drawImage(bitmap, 0, 0);
        track.requestFrame();
        bitmap.close();
        onFrame(i + 1);
      }
      await sleepUntil(start + frames.length * frameMs);
    } finally {
      recorder.stop();
      track.stop();
      await stopped;
    }
    return new Blob(chunks, { type: "video/webm" });
  }
}
