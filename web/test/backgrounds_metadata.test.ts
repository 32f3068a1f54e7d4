import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { crc32, jpegWithComment, pngChunk, pngTexts, pngWithText, textChunk, webmTags, webmWithTags } from "../src/backgrounds/file_metadata";
import { attributionLines, metadataEntries, usedTextures } from "../src/backgrounds/credits";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A valid 2x1 RGB PNG made by hand (signature, IHDR, IDAT, IEND). */
function tinyPng(): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, 2);
  v.setUint32(4, 1);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Uint8Array.from([0, 255, 0, 0, 0, 0, 255]); // filter 0, red, blue
  return new Uint8Array(Buffer.concat([Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk("IHDR", ihdr), pngChunk("IDAT", new Uint8Array(deflateSync(raw))), pngChunk("IEND", new Uint8Array(0))]));
}

test("CRC-32 known answers", () => {
  assert.equal(crc32(ascii("123456789")), 0xcbf43926);
  assert.equal(crc32(ascii("IEND")), 0xae426082); // the CRC every PNG ends with
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test("a tEXt chunk: length, type, keyword NUL text, CRC over type and data", () => {
  const chunk = textChunk("Title", "Hi");
  assert.deepEqual(Array.from(chunk.subarray(0, 8)), [0, 0, 0, 8, ...ascii("tEXt")]);
  assert.deepEqual(Array.from(chunk.subarray(8, 16)), [...ascii("Title"), 0, ...ascii("Hi")]);
  const crc = new DataView(chunk.buffer).getUint32(16);
  assert.equal(crc, crc32(chunk.subarray(4, 16)));
  assert.throws(() => textChunk("", "x"));
  assert.throws(() => textChunk("x".repeat(80), "x"));
});

test("PNG text goes right after IHDR and reads back; Latin-1 as tEXt, the rest as iTXt", () => {
  const png = tinyPng();
  const out = pngWithText(png, [["Title", "Café"], ["Credits", "Łódź — ☃"]]);
  assert.deepEqual(Array.from(out.subarray(0, 33)), Array.from(png.subarray(0, 33)));
  assert.equal(String.fromCharCode(...out.subarray(37, 41)), "tEXt");
  assert.deepEqual(pngTexts(out), [["Title", "Café"], ["Credits", "Łódź — ☃"]]);
  assert.equal(out.length, png.length + textChunk("Title", "Café").length + textChunk("Credits", "Łódź — ☃").length);
  assert.ok(out.subarray(out.length - 12).every((b, i) => b === png[png.length - 12 + i])); // IEND last, unchanged
  assert.throws(() => pngWithText(ascii("GIF89a..........................."), []), /not a PNG/);
});

test("a JPEG comment segment follows SOI with its length", () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 2, 0xff, 0xd9]);
  const out = jpegWithComment(jpeg, "CC BY: Jane");
  assert.deepEqual(Array.from(out.subarray(0, 6)), [0xff, 0xd8, 0xff, 0xfe, 0, 13]);
  assert.equal(new TextDecoder().decode(out.subarray(6, 17)), "CC BY: Jane");
  assert.deepEqual(Array.from(out.subarray(17)), [0xff, 0xe0, 0, 2, 0xff, 0xd9]);
  assert.throws(() => jpegWithComment(ascii("nope"), "x"));
});

test("WebM tags go before the first Cluster of an unknown-size Segment", () => {
  const header = [0x1a, 0x45, 0xdf, 0xa3, 0x84, 0x42, 0x82, 0x81, 0x77]; // EBML { DocType-ish, 4 bytes }
  const segment = [0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  const info = [0x15, 0x49, 0xa9, 0x66, 0x83, 1, 2, 3];
  const cluster = [0x1f, 0x43, 0xb6, 0x75, 0x81, 9];
  const webm = Uint8Array.from([...header, ...segment, ...info, ...cluster]);
  const tags = webmTags([["COMMENT", "CC BY: Jane"]]);
  assert.deepEqual(Array.from(tags.subarray(0, 4)), [0x12, 0x54, 0xc3, 0x67]);
  const out = webmWithTags(webm, [["COMMENT", "CC BY: Jane"]]);
  const at = header.length + segment.length + info.length;
  assert.deepEqual(Array.from(out.subarray(0, at)), Array.from(webm.subarray(0, at)));
  assert.deepEqual(Array.from(out.subarray(at, at + tags.length)), Array.from(tags));
  assert.deepEqual(Array.from(out.subarray(at + tags.length)), cluster);
  assert.ok(new TextDecoder().decode(out).includes("CC BY: Jane"));
  // A Segment of known size grows by the tags.
  const sized = Uint8Array.from([...header, 0x18, 0x53, 0x80, 0x67, 0x80 | (info.length + cluster.length), ...info, ...cluster]);
  const grown = webmWithTags(sized, [["A", "b"]]);
  assert.equal(grown[header.length + 4], 0x80 | (info.length + cluster.length + webmTags([["A", "b"]]).length));
  assert.throws(() => webmWithTags(ascii("RIFF...."), []), /not a WebM/);
});

const TEXTURES = [
  { id: 0, label: "Rock", credit: "ambientCG Rock058", licence: "CC0-1.0", attribution: null },
  { id: 1, label: "Lagoon", credit: "NASA, ESA", licence: "CC-BY-4.0", attribution: "nebula_lagoon: NASA, ESA, CC BY 4.0" },
  { id: 2, label: "Sand", credit: "Poly Haven", licence: "CC0-1.0", attribution: null },
];

test("credits name the textures in use (a blend's zero weights do not count, a morph's stops do) and every CC BY line", () => {
  assert.deepEqual(usedTextures({ mode: "blend", mix: [{ id: 1, weight: 0 }, { id: 2, weight: 1 }] }, TEXTURES).map((t) => t.id), [2]);
  assert.deepEqual(usedTextures({ mode: "morph", mix: [{ id: 1, weight: 0 }, { id: 2, weight: 1 }] }, TEXTURES).map((t) => t.id), [1, 2]);
  const used = usedTextures({ mode: "blend", mix: [{ id: 0, weight: 1 }, { id: 1, weight: 0.5 }] }, TEXTURES);
  assert.deepEqual(attributionLines(used), ["nebula_lagoon: NASA, ESA, CC BY 4.0"]);
  const entries = Object.fromEntries(metadataEntries(used, { title: "T", modelTitle: "M", settingsText: "S", shareUrl: "http://x/#/backgrounds" }));
  assert.match(entries.Credits, /Rock: ambientCG Rock058 \(CC0-1.0\)/);
  assert.match(entries.Credits, /CC BY: nebula_lagoon: NASA, ESA, CC BY 4.0/);
  assert.match(entries.Copyright, /CC BY attribution: nebula_lagoon/);
  assert.equal(entries.Source, "http://x/#/backgrounds");
  const cc0 = Object.fromEntries(metadataEntries([TEXTURES[0]], { title: "T", modelTitle: "M", settingsText: "S", shareUrl: "u" }));
  assert.match(cc0.Copyright, /no attribution required/);
});
