// A background of any size, made in pieces: the low-resolution layers run on the whole noise
// grid in bands of rows, the rest per output piece, each piece's window cut circularly out of
// the whole grid (plan.ts), resampled to the output size if it is not a multiple of the cell
// size, coloured (colour.ts), and handed over as RGBA bytes. Between pieces the page gets the
// main thread back; the pieces are sized so each takes about `budgetMs` on this backend.
import * as tf from "@tensorflow/tfjs";
import type { ColourMap } from "./colour";
import type { BackgroundGenerator } from "./generator";
import { planBands, planOutput, resampleTaps, type OutputPlan, type Piece, type Taps } from "./plan";

export class CancelledError extends Error {
  constructor() {
    super("Cancelled");
    this.name = "CancelledError";
  }
}

/**
 * Gives the page the main thread back between pieces: a timer task, queued behind the input,
 * rendering and timers waiting (`scheduler.yield()` continuations would run ahead of the
 * page's own timers, which then wait for the whole render).
 */
export function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The smallest output piece (cells a side) a time budget may ask for. */
export const MIN_PIECE_CELLS = 4;
/** The largest output piece (cells a side: 1024 px) and band of the low-resolution layers (cells), whatever the speed: texture limits. */
export const MAX_PIECE_CELLS = 32;
export const MAX_BAND_CELLS = 8192;

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
  /** Fixed FLOP per piece instead of the time budget (tests: many small pieces, or one); no smallest piece then. */
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

/** Linear resampling along one axis of x (1: rows, 2: columns) with taps from plan.ts: a + (b − a) · f per target pixel. */
function resampleAxis(x: tf.Tensor4D, axis: 1 | 2, taps: Taps): tf.Tensor4D {
  return tf.tidy(() => {
    const n = taps.f.length;
    const a = tf.gather(x, tf.tensor1d(taps.i0, "int32"), axis);
    const b = tf.gather(x, tf.tensor1d(taps.i1, "int32"), axis);
    const f = tf.tensor4d(taps.f, axis === 1 ? [1, n, 1, 1] : [1, 1, n, 1]);
    return a.add(b.sub(a).mul(f)) as tf.Tensor4D;
  });
}

/**
 * The piece's output pixels from the last segment's window output `y` ([1, 32n, 32m, 3]):
 * cut out along an axis on the cell grid, else resampled with the taps the whole image
 * would use (the same arithmetic for a pixel whatever the pieces, so any plan gives the
 * same bytes).
 */
function pieceLevels(y: tf.Tensor4D, piece: Piece, cellPx: number, source: { w: number; h: number }, target: { w: number; h: number }): tf.Tensor3D {
  return tf.tidy(() => {
    const top = piece.cellRow * cellPx;
    const left = piece.cellCol * cellPx;
    let out = y;
    if (source.h === target.h) out = out.slice([0, piece.y - top, 0, 0], [1, piece.height, -1, 3]);
    else out = resampleAxis(out, 1, resampleTaps(piece.y, piece.height, target.h, source.h, top));
    if (source.w === target.w) out = out.slice([0, 0, piece.x - left, 0], [1, -1, piece.width, 3]);
    else out = resampleAxis(out, 2, resampleTaps(piece.x, piece.width, target.w, source.w, left));
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
  const plan = planOutput(last.ops, width, height, gridW, gridH, cellPx, budget(), req.pieceFlop === undefined ? MIN_PIECE_CELLS : 1, MAX_PIECE_CELLS);
  const bandPlans = segments.slice(0, -1).map((s) => planBands(s.ops, gridW, gridH, budget(), MAX_BAND_CELLS));
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
