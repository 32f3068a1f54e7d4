// Planning a tiled run of the background generator. Pure arithmetic: no tensors, no DOM.
//
// The generator is a chain of wrap-padded 3x3 convolutions, ReLUs and nearest upsamplings.
// Run on a window of its input, with the padding left out ("valid" convolutions), it gives
// exactly the whole image's pixels for the window minus a border as wide as the receptive
// field. So a piece of the output is made from a window of the input grown by that reach,
// cut circularly out of the whole input (rows and columns past an edge come from the opposite
// edge): that keeps the wrap-around of the whole image, and pieces join without a seam.
// Spans are [start, end) in rows (or columns) of one resolution, unwrapped: a start below 0
// or an end past the size means rows taken from the other side.

export type Span = [number, number];

/** What a layer does to space: a (wrap-padded) convolution, an upsampling, or a per-pixel op. */
export type SpatialOp =
  | { kind: "conv"; pad: number; kernel: number; inChannels: number; outChannels: number }
  | { kind: "up"; factor: number }
  | { kind: "point" };

/**
 * The input span a run of `ops` needs for the output span `out`, and the span each op's
 * output must be cut to (an upsampling can produce a row more than the rest needs).
 */
export function backSpans(ops: SpatialOp[], out: Span): { input: Span; after: Span[] } {
  const after: Span[] = new Array(ops.length);
  let [a, b] = out;
  for (let i = ops.length - 1; i >= 0; i--) {
    after[i] = [a, b];
    const op = ops[i];
    if (op.kind === "conv") {
      a -= op.pad;
      b += op.pad;
    } else if (op.kind === "up") {
      a = Math.floor(a / op.factor);
      b = Math.ceil(b / op.factor);
    }
  }
  return { input: [a, b], after };
}

/** The span an op produces from the span it is given (valid convolutions shrink, upsamplings grow). */
export function forwardSpan(op: SpatialOp, span: Span): Span {
  if (op.kind === "conv") return [span[0] + op.pad, span[1] - op.pad];
  if (op.kind === "up") return [span[0] * op.factor, span[1] * op.factor];
  return span;
}

/** Multiply-adds x 2 (+ bias) of the convolutions that make the output window rows x cols. */
export function windowFlop(ops: SpatialOp[], rows: Span, cols: Span): number {
  const r = backSpans(ops, rows);
  const c = backSpans(ops, cols);
  let spanR = r.input;
  let spanC = c.input;
  let flop = 0;
  ops.forEach((op, i) => {
    spanR = forwardSpan(op, spanR);
    spanC = forwardSpan(op, spanC);
    if (op.kind === "conv") {
      const positions = (spanR[1] - spanR[0]) * (spanC[1] - spanC[0]);
      flop += positions * op.outChannels * (2 * op.kernel * op.kernel * op.inChannels + 1);
    }
    spanR = r.after[i];
    spanC = c.after[i];
  });
  return flop;
}

/** How far (in input units, each side) an output pixel of `ops` looks. */
export function reach(ops: SpatialOp[]): number {
  let scale = 1;
  let total = 0;
  for (const op of ops) {
    if (op.kind === "up") scale /= op.factor;
    else if (op.kind === "conv") total += op.pad * scale;
  }
  return total;
}

/** Output units per input unit of `ops` (the product of the upsampling factors). */
export function magnification(ops: SpatialOp[]): number {
  return ops.reduce((m, op) => (op.kind === "up" ? m * op.factor : m), 1);
}

/**
 * Starts of equal pieces of `size` covering [0, total): every piece the same shape (the
 * backends compile one kernel per shape), the last one moved back to end at `total`, so it
 * overlaps its neighbour (those rows are made twice, identically).
 */
export function tileStarts(total: number, size: number): number[] {
  if (total < 1 || size < 1) throw new Error(`cannot cover ${total} with pieces of ${size}`);
  if (size >= total) return [0];
  const n = Math.ceil(total / size);
  const starts: number[] = [];
  for (let i = 0; i < n - 1; i++) starts.push(i * size);
  starts.push(total - size);
  return starts;
}

/** Where target pixel j samples the source (pixel centres; circular resampling of `source` to `target` pixels). */
export function samplePosition(j: number, target: number, source: number): number {
  return ((j + 0.5) * source) / target - 0.5;
}

/** The source pixels (unwrapped) that target pixels [t0, t1) read: themselves, or their bilinear neighbours. */
export function sourceSpan(t0: number, t1: number, target: number, source: number): Span {
  if (target === source) return [t0, t1];
  return [Math.floor(samplePosition(t0, target, source)), Math.floor(samplePosition(t1 - 1, target, source)) + 2];
}

/** Linear resampling taps of target pixels [t0, t0 + n): source indices (relative to `offset`) either side and the weight of the second. */
export interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

export function resampleTaps(t0: number, n: number, target: number, source: number, offset: number): Taps {
  const taps = { i0: new Int32Array(n), i1: new Int32Array(n), f: new Float32Array(n) };
  for (let k = 0; k < n; k++) {
    const p = samplePosition(t0 + k, target, source);
    const i = Math.floor(p);
    taps.i0[k] = i - offset;
    taps.i1[k] = i + 1 - offset;
    taps.f[k] = p - i;
  }
  return taps;
}

/** One axis of the output's pieces: target pixel spans and the source cell window of each (all windows the same length). */
export interface AxisPlan {
  /** Target pixels [start, start + size) of each piece. */
  starts: number[];
  size: number;
  /** First source cell of each piece's window (unwrapped). */
  cellStarts: number[];
  /** Cells in every window. */
  cells: number;
}

/** Pieces of `size` target pixels along an axis of `target` pixels made from `gridCells` cells of `cellPx` pixels. */
export function planAxis(target: number, gridCells: number, cellPx: number, size: number): AxisPlan {
  const source = gridCells * cellPx;
  const tile = Math.min(size, target);
  const starts = tileStarts(target, tile);
  const windows = starts.map((t0) => {
    const [sa, sb] = sourceSpan(t0, t0 + tile, target, source);
    return [Math.floor(sa / cellPx), Math.ceil(sb / cellPx)];
  });
  const cells = Math.max(...windows.map(([a, b]) => b - a));
  return { starts, size: tile, cellStarts: windows.map(([a]) => a), cells };
}

/** The pieces of a whole output, row-major, each with its target rectangle and its source cell window. */
export interface Piece {
  x: number;
  y: number;
  width: number;
  height: number;
  cellRow: number;
  cellCol: number;
}

export interface OutputPlan {
  rows: AxisPlan;
  cols: AxisPlan;
  pieces: Piece[];
  /** FLOP of one piece (all pieces have the same shape). */
  pieceFlop: number;
}

/**
 * Square-ish pieces (multiples of `cellPx`) as large as `maxFlop` allows for the run of
 * `ops` from cells to pixels, at least `minCells` cells a side (smaller pieces cost more in
 * overhead than they save in latency) and at most `maxCells` (a fast GPU would otherwise get
 * pieces beyond its texture limits): the output of `width` x `height` pixels from a
 * `gridW` x `gridH` cell grid.
 */
export function planOutput(ops: SpatialOp[], width: number, height: number, gridW: number, gridH: number, cellPx: number, maxFlop: number, minCells = 1, maxCells = Infinity): OutputPlan {
  const flopFor = (rows: AxisPlan, cols: AxisPlan) =>
    windowFlop(ops, [rows.cellStarts[0] * cellPx, (rows.cellStarts[0] + rows.cells) * cellPx], [cols.cellStarts[0] * cellPx, (cols.cellStarts[0] + cols.cells) * cellPx]);
  const longest = Math.min(maxCells, Math.ceil(Math.max(width, height) / cellPx));
  let best: { rows: AxisPlan; cols: AxisPlan; flop: number } | null = null;
  for (let k = Math.min(minCells, longest); k <= longest; k++) {
    const rows = planAxis(height, gridH, cellPx, k * cellPx);
    const cols = planAxis(width, gridW, cellPx, k * cellPx);
    const flop = flopFor(rows, cols);
    if (best && flop > maxFlop) break;
    best = { rows, cols, flop };
    if (rows.size === height && cols.size === width) break;
  }
  const { rows, cols, flop } = best as { rows: AxisPlan; cols: AxisPlan; flop: number };
  const pieces: Piece[] = [];
  rows.starts.forEach((y, i) => {
    cols.starts.forEach((x, j) => {
      pieces.push({ x, y, width: cols.size, height: rows.size, cellRow: rows.cellStarts[i], cellCol: cols.cellStarts[j] });
    });
  });
  return { rows, cols, pieces, pieceFlop: flop };
}

/**
 * Bands of whole rows of a `gridW` x `gridH` grid for a run of `ops` at cell resolution, each
 * at most `maxFlop` and `maxCells` cells (at least one row).
 */
export function planBands(ops: SpatialOp[], gridW: number, gridH: number, maxFlop: number, maxCells = Infinity): { starts: number[]; rows: number; bandFlop: number } {
  let rows = 1;
  while (rows < gridH && (rows + 1) * gridW <= maxCells && windowFlop(ops, [0, rows + 1], [0, gridW]) <= maxFlop) rows += 1;
  return { starts: tileStarts(gridH, rows), rows, bandFlop: windowFlop(ops, [0, rows], [0, gridW]) };
}

/** Indices of the unwrapped span [a, b) in an axis of `size`: rows past an edge come from the other side. */
export function wrappedIndices(a: number, b: number, size: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(((i % size) + size) % size);
  return out;
}

/** Inner borders of a plan's pieces (where a later piece's pixels begin), for seam checks. */
export function pieceBorders(plan: OutputPlan): { xs: number[]; ys: number[] } {
  return { xs: plan.cols.starts.slice(1), ys: plan.rows.starts.slice(1) };
}
