import { test } from "node:test";
import assert from "node:assert/strict";
import { varLength, writeMidi } from "../src/music/midi";
import { audioFigures, limitPeak, writeWav } from "../src/music/wav";

test("MIDI variable-length quantities (the standard's examples)", () => {
  assert.deepEqual(varLength(0), [0x00]);
  assert.deepEqual(varLength(0x40), [0x40]);
  assert.deepEqual(varLength(0x7f), [0x7f]);
  assert.deepEqual(varLength(0x80), [0x81, 0x00]);
  assert.deepEqual(varLength(0x2000), [0xc0, 0x00]);
  assert.deepEqual(varLength(0x3fff), [0xff, 0x7f]);
  assert.deepEqual(varLength(0x1fffff), [0xff, 0xff, 0x7f]);
  assert.deepEqual(varLength(0x0fffffff), [0xff, 0xff, 0xff, 0x7f]);
  assert.throws(() => varLength(-1), RangeError);
  assert.throws(() => varLength(0.5), RangeError);
});

test("a Standard MIDI File: header, tempo, signatures, notes with delta times, end of track", () => {
  const bytes = writeMidi({
    quarterBpm: 120,
    meter: [6, 8],
    key: { fifths: 1, minor: false },
    programs: { 0: 73 },
    ppq: 96,
    notes: [
      { start: 0, duration: 0.5, pitch: 67, velocity: 100, channel: 0 },
      { start: 0.5, duration: 1, pitch: 69, velocity: 90, channel: 0 },
    ],
  });
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
  const header = "4d 54 68 64 00 00 00 06 00 00 00 01 00 60";
  const track = [
    "00 ff 51 03 07 a1 20", // 500,000 µs per quarter
    "00 ff 58 04 06 03 18 08", // 6/8
    "00 ff 59 02 01 00", // G major
    "00 c0 49", // flute
    "00 90 43 64", // G4 on
    "30 80 43 00", // 48 ticks later off
    "00 90 45 5a", // A4 on at the same tick (off first)
    "60 80 45 00",
    "00 ff 2f 00",
  ].join(" ");
  const length = track.split(" ").length;
  assert.equal(hex, `${header} 4d 54 72 6b 00 00 00 ${length.toString(16).padStart(2, "0")} ${track}`);
});

test("MIDI refuses a zero tempo and keeps notes in range", () => {
  assert.throws(() => writeMidi({ quarterBpm: 0, notes: [] }), RangeError);
  const bytes = writeMidi({ quarterBpm: 60, notes: [{ start: 0, duration: 0, pitch: 200, velocity: 0, channel: 0 }], ppq: 480 });
  // 1 s per quarter; the note is at least one tick long, pitch and velocity clamped.
  assert.deepEqual(Array.from(bytes.slice(-19)), [
    0x00, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40, // 1,000,000 µs per quarter
    0x00, 0x90, 127, 1, // on
    0x01, 0x80, 127, 0, // off one tick later
    0x00, 0xff, 0x2f, 0x00,
  ]);
});

test("WAV: a 44-byte RIFF header and interleaved 16-bit samples", () => {
  const left = Float32Array.from([0, 1, -1, 0.5]);
  const right = Float32Array.from([2, -2, 0.25, 0]);
  const bytes = writeWav([left, right], 8000);
  const view = new DataView(bytes.buffer);
  const text = (at: number) => String.fromCharCode(...bytes.slice(at, at + 4));
  assert.equal(bytes.length, 44 + 4 * 2 * 2);
  assert.deepEqual([text(0), text(8), text(12), text(36)], ["RIFF", "WAVE", "fmt ", "data"]);
  assert.equal(view.getUint32(4, true), bytes.length - 8);
  assert.deepEqual([view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true), view.getUint32(28, true), view.getUint16(32, true), view.getUint16(34, true)], [1, 2, 8000, 32000, 4, 16]);
  assert.equal(view.getUint32(40, true), 16);
  const samples = Array.from({ length: 8 }, (_, i) => view.getInt16(44 + 2 * i, true));
  assert.deepEqual(samples, [0, 32767, 32767, -32768, -32768, 8192, 16384, 0]);
  assert.throws(() => writeWav([left, Float32Array.from([0])], 8000), RangeError);
  assert.throws(() => writeWav([], 8000), RangeError);
});

test("audio figures and the peak limiter", () => {
  const sine = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 100 * i) / 8000));
  const f = audioFigures([sine], 8000);
  assert.equal(f.seconds, 1);
  assert.ok(Math.abs(f.rms - 0.5 / Math.SQRT2) < 1e-3);
  assert.ok(Math.abs(f.peak - 0.5) < 1e-3);
  assert.equal(f.clipped, 0);
  const loud = Float32Array.from([0, 2, -1]);
  assert.equal(limitPeak([loud], 0.5), 0.25);
  assert.deepEqual(Array.from(loud), [0, 0.5, -0.25]);
  assert.equal(limitPeak([Float32Array.from([0.1])], 0.5), 1);
});
