import { test } from "node:test";
import assert from "node:assert/strict";
import {
  backSpans, magnification, pieceBorders, planAxis, planBands, planOutput, reach, resampleTaps, samplePosition, sourceSpan, tileStarts, windowFlop, wrappedIndices,
  type SpatialOp,
} from "../src/backgrounds/plan";

const conv = (pad: number, inChannels: number, outChannels: number): SpatialOp => ({ kind: "conv", pad, kernel: 2 * pad + 1, inChannels, outChannels });
const up: SpatialOp = { kind: "up", factor: 2 };
const relu: SpatialOp = { kind: "point" };
// The shipped generator's last segment (cells -> pixels): [up, pad+conv, relu] x 4 at 1/16..1/2, then up, pad+conv (RGB).
const FINAL: SpatialOp[] = [up, conv(1, 192, 64), relu, up, conv(1, 64, 32), relu, up, conv(1, 32, 16), relu, up, conv(1, 16, 8), relu, up, conv(1, 8, 3)];

test("the last segment needs one cell around a window of whole cells", () => {
  assert.deepEqual(backSpans(FINAL, [64, 128]).input, [1, 5]); // pixels 64..128 = cells 2..4, plus one each side
  assert.deepEqual(backSpans(FINAL, [0, 32]).input, [-1, 2]);
  assert.equal(magnification(FINAL), 32);
  assert.equal(reach(FINAL), 0.5 + 0.25 + 0.125 + 0.0625 + 0.03125);
});

test("after an upsampling the window is cut to what the rest needs", () => {
  const { input, after } = backSpans([up, conv(1, 1, 1)], [3, 7]);
  // the conv needs rows 2..8 of the upsampled grid, i.e. input rows 1..4 (which upsample to 2..8)
  assert.deepEqual(input, [1, 4]);
  assert.deepEqual(after, [[2, 8], [3, 7]]);
  const odd = backSpans([up, conv(1, 1, 1)], [4, 6]);
  assert.deepEqual(odd.input, [1, 4]); // rows 3..7 needed; input rows 1..4 give 2..8: one row each side is cut
  assert.deepEqual(odd.after[0], [3, 7]);
});

test("FLOP of a window count the convolutions' positions (valid, so the input window is larger)", () => {
  // one 3x3 conv 2 -> 4 channels on a 5 x 6 output: 30 positions x 4 x (2*9*2 + 1)
  assert.equal(windowFlop([conv(1, 2, 4)], [0, 5], [0, 6]), 30 * 4 * 37);
  // upsampling then conv: the conv runs on exactly the output window
  assert.equal(windowFlop([up, conv(1, 1, 1)], [0, 4], [0, 4]), 16 * 19);
});

test("equal pieces: the last one moves back so all have one shape", () => {
  assert.deepEqual(tileStarts(1080, 384), [0, 384, 696]);
  assert.deepEqual(tileStarts(100, 100), [0]);
  assert.deepEqual(tileStarts(50, 100), [0]);
  assert.deepEqual(tileStarts(96, 32), [0, 32, 64]);
  assert.throws(() => tileStarts(0, 10));
});

test("circular resampling: pixel centres map onto the source; neighbours for bilinear", () => {
  assert.equal(samplePosition(0, 1080, 1088), 0.5 * 1088 / 1080 - 0.5);
  assert.deepEqual(sourceSpan(0, 10, 1080, 1080), [0, 10]);
  assert.deepEqual(sourceSpan(0, 1080, 1080, 1088), [0, 1088]); // the last centre, 1079.5 · 1088/1080 − 0.5 = 1086.996, reads pixels 1086 and 1087
  // upscaling (scale 2): the first target pixel reads source pixel -1 (the far edge) and 0
  assert.deepEqual(sourceSpan(0, 1, 64, 32), [-1, 1]);
  // downscaling x2: pixel j averages source 2j and 2j + 1
  assert.equal(samplePosition(3, 16, 32), 6.5);
});

test("an axis plan covers the target with equal pieces and equal cell windows", () => {
  const exact = planAxis(1920, 60, 32, 320);
  assert.deepEqual(exact.starts, [0, 320, 640, 960, 1280, 1600]);
  assert.deepEqual(exact.cellStarts, [0, 10, 20, 30, 40, 50]);
  assert.equal(exact.cells, 10);
  const resampled = planAxis(1080, 34, 32, 320); // 1088 px resampled to 1080
  assert.deepEqual(resampled.starts, [0, 320, 640, 760]);
  assert.equal(resampled.cells, 11);
  for (const [i, t0] of resampled.starts.entries()) {
    const [a, b] = sourceSpan(t0, t0 + 320, 1080, 1088);
    assert.ok(resampled.cellStarts[i] * 32 <= a && (resampled.cellStarts[i] + resampled.cells) * 32 >= b);
  }
});

test("an output plan: pieces within the budget cover every pixel; borders are the later pieces' starts", () => {
  const plan = planOutput(FINAL, 1920, 1080, 60, 34, 32, 4e8);
  assert.ok(plan.pieceFlop <= 4e8 && plan.pieces.length > 1);
  const bigger = planOutput(FINAL, 1920, 1080, 60, 34, 32, 4e10);
  assert.equal(bigger.pieces.length, 1);
  assert.deepEqual(bigger.pieces[0], { x: 0, y: 0, width: 1920, height: 1080, cellRow: 0, cellCol: 0 });
  const hits = new Uint8Array(1920 * 1080);
  for (const p of plan.pieces) for (let y = p.y; y < p.y + p.height; y++) hits.fill(1, y * 1920 + p.x, y * 1920 + p.x + p.width);
  assert.ok(hits.every((v) => v === 1));
  const { xs, ys } = pieceBorders(plan);
  assert.deepEqual(xs, plan.cols.starts.slice(1));
  assert.deepEqual(ys, plan.rows.starts.slice(1));
  // a budget below one cell still makes one-cell pieces
  const tiny = planOutput(FINAL, 64, 64, 2, 2, 32, 1);
  assert.equal(tiny.pieces.length, 4);
});

test("bands of whole rows for the low-resolution layers", () => {
  const low = [conv(1, 192, 192)];
  const perRow = windowFlop(low, [0, 1], [0, 60]);
  assert.equal(perRow, 60 * 192 * (2 * 9 * 192 + 1));
  assert.deepEqual(planBands(low, 60, 34, 10 * perRow), { starts: [0, 10, 20, 24], rows: 10, bandFlop: 10 * perRow });
  assert.equal(planBands(low, 60, 34, 1).rows, 1);
});

test("wrapped indices take rows from the opposite edge", () => {
  assert.deepEqual(wrappedIndices(-2, 3, 5), [3, 4, 0, 1, 2]);
  assert.deepEqual(wrappedIndices(4, 7, 5), [4, 0, 1]);
});

test("resampling taps: neighbours either side of each pixel centre, relative to the window, the same for a pixel in any window", () => {
  const x2 = resampleTaps(0, 3, 16, 32, 0); // halving: pixel j is the mean of source 2j and 2j + 1
  assert.deepEqual(Array.from(x2.i0), [0, 2, 4]);
  assert.deepEqual(Array.from(x2.i1), [1, 3, 5]);
  assert.deepEqual(Array.from(x2.f), [0.5, 0.5, 0.5]);
  const up = resampleTaps(0, 2, 64, 32, -32); // doubling, window starting a cell early
  assert.deepEqual(Array.from(up.i0), [31, 32]); // pixel 0 reads source -1 (the far edge) and 0
  assert.deepEqual(Array.from(up.f), [0.75, 0.25]);
  const a = resampleTaps(100, 20, 1080, 1088, 96);
  const b = resampleTaps(110, 10, 1080, 1088, 64);
  assert.deepEqual(Array.from(a.f.subarray(10)), Array.from(b.f));
  assert.deepEqual(Array.from(a.i0.subarray(10)).map((i) => i + 96), Array.from(b.i0).map((i) => i + 64));
});

test("a smallest piece keeps time budgets from shrinking pieces to nothing; a largest keeps fast GPUs within texture limits", () => {
  assert.equal(planOutput(FINAL, 1920, 1080, 60, 34, 32, 1, 4).pieces[0].width, 128);
  assert.equal(planOutput(FINAL, 64, 64, 2, 2, 32, 1, 4).pieces.length, 1);
  const capped = planOutput(FINAL, 7680, 4320, 240, 135, 32, 1e15, 4, 32);
  assert.equal(capped.pieces[0].width, 1024);
  assert.equal(capped.pieces.length, 8 * 5);
  assert.equal(planBands([conv(1, 192, 192)], 240, 135, 1e15, 8192).rows, 34);
});
