// A background of any size, made in pieces: the low-resolution layers run on the whole noise
// grid in bands of rows, the rest per output piece, each piece's window cut circularly out of
// the whole grid (plan.ts), resampled to the output size if it is not a multiple of the cell
// size, coloured (colour.ts), and handed over as RGBA bytes. Between pieces the page gets the
// main thread back; the pieces are sized so each takes about `budgetMs` on this backend.
import * as tf from "@tensorflow/tfjs";
import type { ColourMap } from "./colour";
import type { BackgroundGenerator } from "./generator";
import { planBands, planOutput, samplePosition, type OutputPlan } from "./plan";

export class CancelledError extends Error {
  constructor() {
    super("Cancelled");
    this.name = "CancelledError";
  }
}

/**
 * Gives the page the main thread back between pieces: `scheduler.yield()` where the browser
 * has it (input and rendering run, then this job continues ahead of other tasks), else a timer.
 */
export function yieldToPage(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === "function") return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export interface RenderRequest {
  /** The whole input grid, [h * w * channels]. */
  noise: Float32Array;
  gridW: number;
  gridH: number;
  width: number;
  height: number;
  colour: ColourMap;
  signal?: AbortSignal;
  /** Target time per piece (ms); default 80. */
  budgetMs?: number;
  /** Fixed FLOP per piece instead of the time budget (tests: many small pieces, or one). */
  pieceFlop?: number;
  onProgress?: (done: number, total: number) => void;
  /** Each finished piece: the generated pixels (raw) and the coloured ones (the same array when the colour is neutral). */
  write(x: number, y: number, width: number, height: number, raw: Uint8ClampedArray, coloured: Uint8ClampedArray): void;
}

export interface RenderReport {
  plan: OutputPlan;
  bands: number;
  ms: number;
  flop: number;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** round((y + 1) · 127.5) clipped to 0..255, as floats. */
function toLevels(y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => y.add(1).mul(127.5).round().clipByValue(0, 255));
}

/** Levels [h, w, 3] through the colour map, rounded and clipped. */
export function colourLevels(levels: tf.Tensor3D, map: ColourMap): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = levels.shape;
    const m = map.m;
    const transposed = tf.tensor2d([m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]], [3, 3]);
    const mapped = tf.matMul(levels.reshape([h * w, 3]), transposed).add(tf.tensor1d(map.t));
    return mapped.round().clipByValue(0, 255).reshape([h, w, 3]) as tf.Tensor3D;
  });
}

/** RGBA bytes of levels [h, w, 3]. */
async function rgbaBytes(levels: tf.Tensor3D): Promise<Uint8ClampedArray> {
  const rgba = tf.tidy(() => tf.concat([levels, tf.fill([levels.shape[0], levels.shape[1], 1], 255)], 2).cast("int32"));
  try {
    return new Uint8ClampedArray((await rgba.data()) as Int32Array);
  } finally {
    rgba.dispose();
  }
}

/**
 * The piece's output pixels from the last segment's window output `y` ([1, 32n, 32m, 3]):
 * cut out (sizes on the cell grid) or sampled bilinearly at the positions the whole image's
 * circular resize would use (target pixel centres mapped onto the source).
 */
function pieceLevels(y: tf.Tensor4D, piece: { x: number; y: number; width: number; height: number; cellRow: number; cellCol: number },
  cellPx: number, source: { w: number; h: number }, target: { w: number; h: number }): tf.Tensor3D {
  return tf.tidy(() => {
    const [, wh, ww] = y.shape;
    const top = piece.cellRow * cellPx;
    const left = piece.cellCol * cellPx;
    let out: tf.Tensor4D;
    if (source.w === target.w && source.h === target.h) {
      out = y.slice([0, piece.y - top, piece.x - left, 0], [1, piece.height, piece.width, 3]);
    } else {
      const rowAt = (j: number) => (source.h === target.h ? j : samplePosition(j, target.h, source.h)) - top;
      const colAt = (j: number) => (source.w === target.w ? j : samplePosition(j, target.w, source.w)) - left;
      const y1 = rowAt(piece.y) / (wh - 1);
      const y2 = rowAt(piece.y + piece.height - 1) / (wh - 1);
      const x1 = colAt(piece.x) / (ww - 1);
      const x2 = colAt(piece.x + piece.width - 1) / (ww - 1);
      out = tf.image.cropAndResize(y, tf.tensor2d([[y1, x1, y2, x2]]), tf.tensor1d([0], "int32"), [piece.height, piece.width], "bilinear");
    }
    return toLevels(out.squeeze([0])) as tf.Tensor3D;
  });
}

/** Renders a whole background (see the module comment); resolves with what it did, or throws CancelledError. */
export async function renderBackground(gen: BackgroundGenerator, req: RenderRequest): Promise<RenderReport> {
  const started = performance.now();
  const { gridW, gridH, width, height } = req;
  const budget = () => req.pieceFlop ?? ((req.budgetMs ?? 80) / gen.msPerGflop) * 1e9;
  const segments = gen.segments;
  const last = segments[segments.length - 1];
  const cellPx = gen.cellPx;
  const plan = planOutput(last.ops, width, height, gridW, gridH, cellPx, budget());
  const bandPlans = segments.slice(0, -1).map((s) => planBands(s.ops, gridW, gridH, budget()));
  const total = bandPlans.reduce((sum, b) => sum + b.starts.length * b.bandFlop, 0) + plan.pieces.length * plan.pieceFlop;
  let done = 0;
  let bands = 0;
  const progress = (flop: number, ms: number) => {
    gen.noteSpeed(flop, ms);
    done += flop;
    req.onProgress?.(done, total);
  };
  req.onProgress?.(0, total);

  let x: tf.Tensor4D = tf.tensor4d(req.noise, [1, gridH, gridW, gen.channels]);
  try {
    // 1. The low-resolution segments on the whole grid, in bands of whole rows.
    for (let s = 0; s < segments.length - 1; s++) {
      const { starts, rows, bandFlop } = bandPlans[s];
      const kept: tf.Tensor4D[] = [];
      let covered = 0;
      try {
        for (const r0 of starts) {
          checkAbort(req.signal);
          const t0 = performance.now();
          const band = gen.runWindow(segments[s], x, [r0, r0 + rows], [0, gridW]);
          const skip = covered - r0;
          kept.push(skip > 0 ? tf.tidy(() => band.slice([0, skip, 0, 0], [-1, rows - skip, -1, -1])) : band);
          if (skip > 0) band.dispose();
          covered = r0 + rows;
          const probe = tf.tidy(() => kept[kept.length - 1].slice([0, 0, 0, 0], [1, 1, 1, 1]));
          await probe.data(); // the band is done (on WebGL too)
          probe.dispose();
          progress(bandFlop, performance.now() - t0);
          bands += 1;
          await yieldToPage();
        }
        const next = kept.length === 1 ? kept[0] : tf.concat(kept, 1);
        if (kept.length > 1) kept.forEach((t) => t.dispose());
        kept.length = 0;
        x.dispose();
        x = next;
      } finally {
        kept.forEach((t) => t.dispose());
      }
    }

    // 2. The last segment per output piece.
    const source = { w: gridW * cellPx, h: gridH * cellPx };
    const target = { w: width, h: height };
    for (const piece of plan.pieces) {
      checkAbort(req.signal);
      const t0 = performance.now();
      const rows: [number, number] = [piece.cellRow * cellPx, (piece.cellRow + plan.rows.cells) * cellPx];
      const cols: [number, number] = [piece.cellCol * cellPx, (piece.cellCol + plan.cols.cells) * cellPx];
      const levels = tf.tidy(() => pieceLevels(gen.runWindow(last, x, rows, cols), piece, cellPx, source, target));
      let raw: Uint8ClampedArray;
      let coloured: Uint8ClampedArray;
      try {
        raw = await rgbaBytes(levels);
        if (req.colour.identity) coloured = raw;
        else {
          const c = colourLevels(levels, req.colour);
          try {
            coloured = await rgbaBytes(c);
          } finally {
            c.dispose();
          }
        }
      } finally {
        levels.dispose();
      }
      req.write(piece.x, piece.y, piece.width, piece.height, raw, coloured);
      progress(plan.pieceFlop, performance.now() - t0);
      await yieldToPage();
    }
  } finally {
    x.dispose();
  }
  return { plan, bands, ms: performance.now() - started, flop: total };
}

/** Re-colours generated pixels (RGBA, `width` x `height`) in bands of rows, handing each band to `write`. */
export async function recolour(raw: Uint8ClampedArray, width: number, height: number, map: ColourMap,
  write: (y: number, rows: number, rgba: Uint8ClampedArray) => void, signal?: AbortSignal): Promise<void> {
  const rowsPer = Math.max(1, Math.floor(262144 / width));
  for (let y = 0; y < height; y += rowsPer) {
    checkAbort(signal);
    const rows = Math.min(rowsPer, height - y);
    const band = raw.subarray(y * width * 4, (y + rows) * width * 4);
    if (map.identity) write(y, rows, band);
    else {
      const levels = tf.tidy(() => {
        const rgba = tf.tensor3d(Int32Array.from(band), [rows, width, 4], "int32");
        return colourLevels(rgba.slice([0, 0, 0], [-1, -1, 3]).cast("float32") as tf.Tensor3D, map);
      });
      try {
        write(y, rows, await rgbaBytes(levels));
      } finally {
        levels.dispose();
      }
    }
    await yieldToPage();
  }
}
