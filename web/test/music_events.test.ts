import { test } from "node:test";
import assert from "node:assert/strict";
import { perform, settledPrefix } from "../src/music/abc_events";
import { chordSymbol, keyAccidentals, keyFifths, lengthValue, tempoQuarterBpm } from "../src/music/abc_theory";
import { arrange, beatLength } from "../src/music/arrange";

const JIG = "X:1\nT:T\nM:6/8\nL:1/8\nK:G\n";

test("keys: sharps and flats of tonic and mode", () => {
  assert.equal(keyFifths("G"), 1);
  assert.equal(keyFifths("Em"), 1);
  assert.equal(keyFifths("Dm"), -1);
  assert.equal(keyFifths("Ador"), 1);
  assert.equal(keyFifths("Ddor"), 0);
  assert.equal(keyFifths("Dmix"), 1);
  assert.equal(keyFifths("Bb"), -2);
  assert.equal(keyFifths("F#m"), 3);
  assert.equal(keyFifths("H"), null);
  assert.deepEqual(keyAccidentals(2), { F: 1, C: 1 });
  assert.deepEqual(keyAccidentals(-2), { B: -1, E: -1 });
});

test("lengths and tempos", () => {
  assert.deepEqual(["", "2", "/", "//", "/4", "3/2", "3/4"].map(lengthValue), [1, 2, 0.5, 0.25, 0.25, 1.5, 0.75]);
  assert.equal(tempoQuarterBpm("1/4=120"), 120);
  assert.equal(tempoQuarterBpm("3/8=80"), 120);
  assert.equal(tempoQuarterBpm("1/8=200"), 100);
  assert.equal(tempoQuarterBpm("fast"), null);
});

test("pitches: the key signature, accidentals for the rest of the bar, octaves", () => {
  const p = perform(`${JIG}FGA ^c=cc|c'C,F f2z|`);
  // F is F# in G; ^c makes the next c sharp too until =c; C, is an octave below middle C.
  assert.deepEqual(p.notes.map((n) => n.pitches[0]), [66, 67, 69, 73, 72, 72, 84, 48, 66, 78]);
  assert.deepEqual(p.notes.map((n) => n.duration * 8), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  assert.equal(p.length, 12 / 8);
  assert.equal(p.bars, 2);
  // Character ranges point at the notes in the text.
  const text = `${JIG}FGA ^c=cc|c'C,F f2z|`;
  assert.deepEqual(p.notes.slice(3, 5).map((n) => text.slice(n.from, n.to)), ["^c", "=c"]);
});

test("broken rhythm, tuplets, ties and chords", () => {
  const p = perform(`X:1\nT:T\nM:4/4\nL:1/8\nK:C\nA>B A<B (3cde f2|g2-g2 [CEG]2 [C2E]/ z/|`);
  const d = p.notes.map((n) => n.duration * 8);
  assert.deepEqual(d.slice(0, 4), [1.5, 0.5, 0.5, 1.5]);
  assert.ok(Math.abs(d[4] - 2 / 3) < 1e-12 && Math.abs(d[6] - 2 / 3) < 1e-12);
  assert.equal(d[7], 2);
  assert.equal(d[8], 4, "g2-g2 is one note of 4 units");
  assert.deepEqual(p.notes[9].pitches, [60, 64, 67]);
  assert.equal(d[9], 2);
  assert.equal(d[10], 1, "[C2E]/ lasts as its first note times the chord's own length");
  assert.equal(p.notes.length, 11);
});

test("repeats and first and second endings unfold in played order", () => {
  const p = perform(`${JIG}|:A3 B3:|\n|:c3|[1d3:|[2e3|]\n`);
  const names = p.notes.map((n) => n.pitches[0]);
  // A B A B, c d, c e
  assert.deepEqual(names, [69, 71, 69, 71, 72, 74, 72, 76]);
  assert.deepEqual(p.notes.map((n) => n.start * 8), [0, 3, 6, 9, 12, 15, 18, 21]);
  assert.equal(p.bars, 4, "bars as written");
  // A :| with no |: repeats from the start of the tune.
  assert.deepEqual(perform(`${JIG}A3|B3:|c3|]`).notes.map((n) => n.pitches[0]), [69, 71, 69, 71, 72]);
});

test("chord symbols become harmony, bass and chord notes in beats", () => {
  assert.deepEqual(chordSymbol("G"), { bass: 43, tones: [55, 59, 62] });
  assert.deepEqual(chordSymbol("Am"), { bass: 45, tones: [57, 60, 64] });
  assert.deepEqual(chordSymbol("D7")?.tones, [62, 66, 69, 72]);
  assert.equal(chordSymbol("D/f+")?.bass, 42);
  assert.equal(chordSymbol("xyz"), null);
  const p = perform(`${JIG}"G"GAB "D7"AFD|`);
  assert.deepEqual(p.harmony.map((h) => [h.name, h.start * 8, h.duration * 8]), [["G", 0, 3], ["D7", 3, 3]]);
  assert.equal(beatLength("6/8"), 3 / 8);
  assert.equal(beatLength("3/4"), 1 / 4);
  const notes = arrange(p, true);
  assert.equal(notes.filter((n) => n.part === "melody").length, 6);
  assert.deepEqual(notes.filter((n) => n.part === "bass").map((n) => n.pitch), [43, 50]);
  assert.equal(arrange(p, false).length, 6);
  assert.ok(notes[0].velocity > notes[1].velocity, "the first note of a bar is accented");
});

test("the settled prefix ends at the last complete bar line", () => {
  const head = JIG.length;
  assert.equal(settledPrefix(`${JIG}GAB cde|fg`), `${JIG}GAB cde|`);
  assert.equal(settledPrefix(`${JIG}GAB cde|fga bag|`), `${JIG}GAB cde|`, "a bar line at the end may still grow");
  assert.equal(settledPrefix(`${JIG}GAB`), JIG);
  assert.equal(settledPrefix(`${JIG}GAB cde:|`).length, head);
  assert.equal(settledPrefix(`${JIG}GAB cde:|[2fg`), `${JIG}GAB cde:|`);
});

test("a blank line ends the tune; fields in the body change meter, unit and key", () => {
  const p = perform(`${JIG}G6|]\n\nX:2\nK:C\ncde|`);
  assert.equal(p.notes.length, 1);
  const q = perform(`${JIG}G6|\nM:2/4\nL:1/4\nK:D\nFF|`);
  assert.deepEqual(q.notes.map((n) => [n.pitches[0], n.duration]), [[67, 0.75], [66, 0.25], [66, 0.25]]);
});
