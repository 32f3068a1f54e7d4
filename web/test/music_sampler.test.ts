import { test } from "node:test";
import assert from "node:assert/strict";
import { TuneConstraint } from "../src/music/bar_sampler";
import { GrammarError } from "../src/music/grammar";

const chars = [..."\n \"|:]ABCDEFGabcdefgz2/3"];
const id = (c: string) => chars.indexOf(c);
const allowedText = (mask: Uint8Array | null) => (mask ? chars.filter((_, i) => mask[i]).join("") : null);
const JIG = "X:1\nT:T\nM:6/8\nL:1/8\nK:G\n";

/** Feeds `text` through the constraint as the generator would; returns false where it asked to stop. */
function write(constraint: TuneConstraint, text: string): boolean {
  for (const c of text) {
    const mask = constraint.allowed();
    if (mask) assert.equal(mask[id(c)], 1, `${JSON.stringify(c)} masked after ${JSON.stringify(constraint.written)}`);
    if (!constraint.accept(id(c))) return false;
  }
  return true;
}

test("the mask refuses what would overfill the bar", () => {
  const c = new TuneConstraint(chars, JIG, { barAware: true, untilBars: 8 });
  assert.ok(write(c, "GAB cde|fga ba "));
  // One eighth left in the second bar: a note or rest (or a chord symbol before it, a space, a
  // line break), or a section bar line (|| |] :| may close a short bar; a plain | may not).
  assert.equal(allowedText(c.allowed()), '\n "|:ABCDEFGabcdefgz');
  assert.ok(write(c, "|"));
  assert.equal(allowedText(c.allowed()), "|:]", "after | only what makes a section bar line");
  const again = new TuneConstraint(chars, JIG, { barAware: true, untilBars: 8 });
  assert.ok(write(again, "GAB cde|fga ba "));
  assert.ok(write(again, "e"));
  assert.ok(allowedText(again.allowed())?.includes("|"));
  assert.equal(again.allowed()?.[id("2")], 0, "e2 would overfill the bar");
});

test("writing stops after the last bar, which closes with a section bar line", () => {
  const c = new TuneConstraint(chars, JIG, { barAware: true, untilBars: 2 });
  assert.ok(write(c, "GAB cde|fga bag|"));
  // In the last bar the model may not end with a plain bar line: after "|" only "]" or "|".
  assert.equal(allowedText(c.allowed()), "|]");
  assert.equal(write(c, "]\n"), false);
  assert.equal(c.ended, "bars");
  assert.equal(c.written, "GAB cde|fga bag|]");
  assert.equal(c.bars, 2);
});

test("the tune may not end (blank line) before its length in bars", () => {
  const c = new TuneConstraint(chars, JIG, { barAware: true, untilBars: 4 });
  assert.ok(write(c, "GAB cde:|\n"));
  assert.equal(c.allowed()?.[id("\n")], 0);
  const short = new TuneConstraint(chars, JIG, { barAware: true, untilBars: 1 });
  assert.equal(write(short, "GAB cde|]"), true);
  assert.equal(write(short, "\n"), false);
  assert.equal(short.ended, "bars");
});

test("without the mask only the bars are counted", () => {
  const c = new TuneConstraint(chars, JIG, { barAware: false, untilBars: 2 });
  assert.equal(c.allowed(), null);
  assert.ok(write(c, "GAB cdef|"), "an overfull bar passes");
  assert.ok(write(c, "ga|"));
  assert.equal(write(c, " "), false);
  assert.equal(c.written, "GAB cdef|ga|");
  const ends = new TuneConstraint(chars, `${JIG}GAB cde|`, { barAware: false, untilBars: 8 });
  assert.equal(write(ends, "\n\n"), false);
  assert.equal(ends.ended, "tune");
});

test("a character the grammar refuses drops the mask (a fallback); a bad primer is refused", () => {
  const c = new TuneConstraint(chars, JIG, { barAware: true, untilBars: 8 });
  c.accept(id("]"));
  assert.equal(c.fallbacks, 1);
  assert.equal(c.masking, false);
  assert.equal(c.allowed(), null);
  assert.throws(() => new TuneConstraint(chars, `${JIG}GAB cdef|`, { barAware: true, untilBars: 8 }), GrammarError);
});
