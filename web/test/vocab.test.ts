import { test } from "node:test";
import assert from "node:assert/strict";
import { Vocabulary, visibleChar } from "../src/poems/vocab";

const abc = new Vocabulary({ chars: ["\n", " ", "a", "b", "c", "é", "😀"] });

test("encode maps characters to ids and lists unknown ones once, in order", () => {
  const encoded = abc.encode("ab xa?c!?");
  assert.deepEqual(encoded.ids, [2, 3, 1, 2, 4]);
  assert.deepEqual(encoded.unknown, ["x", "?", "!"]);
  assert.equal(encoded.kept, "ab ac");
});

test("encode keeps an emoji whole (one code point, two UTF-16 units)", () => {
  assert.deepEqual(abc.encode("a😀").ids, [2, 6]);
  assert.deepEqual(abc.encode("🙂").unknown, ["🙂"]);
});

test("the trainer's normalisation applies before lookup", () => {
  const nfc = new Vocabulary({ chars: ["e", "é"], normalization: "NFC" });
  assert.deepEqual(nfc.encode("e\u0301").ids, [1]); // e + combining acute composes to é
  const raw = new Vocabulary({ chars: ["e", "é"] });
  assert.deepEqual(raw.encode("e\u0301"), { ids: [0], unknown: ["\u0301"], kept: "e" });
});

test("decode skips ids outside the alphabet", () => {
  assert.equal(abc.decode([2, 99, 3, -1, 0]), "ab\n");
  assert.equal(abc.decode(new Int32Array([5, 6])), "é😀");
});

test("the fallback id is the newline, else the first character", () => {
  assert.equal(abc.fallbackId, 0);
  assert.equal(new Vocabulary({ chars: ["x", "y", "\n"] }).fallbackId, 2);
  assert.equal(new Vocabulary({ chars: ["x", "y"] }).fallbackId, 0);
});

test("a bad vocab.json is refused with a reason", () => {
  assert.throws(() => new Vocabulary({ chars: ["a"] }), /at least two characters/);
  assert.throws(() => new Vocabulary({ chars: ["a", "b", "a"] }), /"a" is listed twice/);
  assert.throws(() => new Vocabulary({ chars: ["a", "b"], normalization: "NFX" }), /unknown normalization NFX/);
});

test("visibleChar names invisible characters", () => {
  assert.equal(visibleChar(" "), "␣ space");
  assert.equal(visibleChar("\n"), "↵ new line");
  assert.equal(visibleChar("\t"), "⇥ tab");
  assert.equal(visibleChar("\u0007"), "U+0007");
  assert.equal(visibleChar("\u0301"), "U+0301");
  assert.equal(visibleChar("\u00a0"), "U+00A0");
  assert.equal(visibleChar("ж"), "ж");
});
