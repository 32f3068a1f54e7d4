import { test } from "node:test";
import assert from "node:assert/strict";
import { AbcState, fieldOk, GrammarError, symbolOk } from "../src/music/grammar";
import stored from "./fixtures/music_grammar.json";

interface Case {
  text: string;
  allowed: string[];
  refused_at: number | null;
}

// Masks computed by training/music/grammar.py (tests/unit/music_grammar_cases.py writes the file,
// tests/unit/test_music_grammar_port.py checks it is current).
const fixture = stored as { alphabet: string[]; cases: Case[] };

test("the port gives the Python grammar's mask after every character of every case", () => {
  let masks = 0;
  for (const c of fixture.cases) {
    let state = new AbcState();
    const chars = [...c.text];
    for (let i = 0; i < chars.length; i++) {
      const next = state.advance(chars[i]);
      if (c.refused_at === i) {
        assert.equal(next, null, `${JSON.stringify(c.text.slice(0, i + 1).slice(-40))} should be refused at ${i}`);
        break;
      }
      assert.ok(next, `refused ${JSON.stringify(chars[i])} at ${i} of ${JSON.stringify(c.text.slice(Math.max(0, i - 40), i))}`);
      state = next;
      const mask = state.allowed(fixture.alphabet);
      const allowed = fixture.alphabet.filter((_, j) => mask[j]).join("");
      assert.equal(allowed, c.allowed[i], `mask after ${JSON.stringify(c.text.slice(Math.max(0, i - 40), i + 1))}`);
      masks += 1;
    }
  }
  assert.ok(masks > 2000, `only ${masks} masks compared`);
});

test("feed names the first refused character", () => {
  const header = "X:1\nT:T\nM:6/8\nL:1/8\nK:G\n";
  assert.equal(new AbcState().feed(`${header}GAB cde|`).bars, 0); // the bar line is still open
  assert.equal(new AbcState().feed(`${header}GAB cde|f`).bars, 1);
  assert.throws(() => new AbcState().feed(`${header}GAB cdef|`), (e: unknown) => e instanceof GrammarError && e.index === header.length + 7 && e.char === "f");
});

test("field and chord-symbol values, complete and as prefixes", () => {
  assert.equal(fieldOk("M", "6/", false), true);
  assert.equal(fieldOk("M", "6/", true), false);
  assert.equal(fieldOk("K", "Ador", true), true);
  assert.equal(fieldOk("Q", "1/4=12", true), true);
  assert.equal(fieldOk("Q", "1/4=1", true), false);
  assert.equal(fieldOk("T", 'A "quoted" title', false), false);
  assert.equal(symbolOk("D/f+", true), true);
  assert.equal(symbolOk("Bbmaj", false), true);
  assert.equal(symbolOk("Bbmaj", true), false);
  assert.equal(symbolOk("H", false), false);
});
