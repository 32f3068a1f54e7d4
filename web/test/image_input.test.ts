import { test } from "node:test";
import assert from "node:assert/strict";
import { ImageInputError, checkDimensions, readImageHeader } from "../src/style/image_input";

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le16 = (v: number) => [v & 255, v >>> 8];
const le24 = (v: number) => [v & 255, (v >>> 8) & 255, v >>> 16];
const le32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

const png = (w: number, h: number) => bytes([0x89], "PNG\r\n\x1a\n", be32(13), "IHDR", be32(w), be32(h), [8, 2, 0, 0, 0]);

test("PNG, GIF and BMP sizes come from their headers", () => {
  assert.deepEqual(readImageHeader(png(123, 45)), { format: "png", width: 123, height: 45 });
  assert.deepEqual(readImageHeader(bytes("GIF89a", le16(640), le16(480), [0, 0])), { format: "gif", width: 640, height: 480 });
  // A top-down BMP stores a negative height.
  const bmp = bytes("BM", new Array(16).fill(0), le32(300), le32(-200 >>> 0), [1, 0]);
  assert.deepEqual(readImageHeader(bmp), { format: "bmp", width: 300, height: 200 });
});

test("a JPEG's frame header is found after other segments", () => {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...new Array(14).fill(0)];
  const sof0 = [0xff, 0xc0, 0x00, 0x11, 8, 0x01, 0x2c, 0x02, 0x58, 3, ...new Array(9).fill(0)]; // 300 high, 600 wide
  assert.deepEqual(readImageHeader(bytes([0xff, 0xd8], app0, sof0)), { format: "jpeg", width: 600, height: 300 });
  // DHT (C4) is not a frame header; scan data before any frame header is damage.
  const dht = [0xff, 0xc4, 0x00, 0x04, 0, 0];
  const sos = [0xff, 0xda, 0x00, 0x08, ...new Array(6).fill(0)];
  assert.throws(() => readImageHeader(bytes([0xff, 0xd8], dht, sos, new Array(20).fill(0))), /JPEG file is damaged/);
});

test("WebP: the extended (VP8X) and lossless (VP8L) headers", () => {
  const vp8x = bytes("RIFF", le32(100), "WEBP", "VP8X", le32(10), [0, 0, 0, 0], le24(1919), le24(1079));
  assert.deepEqual(readImageHeader(vp8x), { format: "webp", width: 1920, height: 1080 });
  const bits = (99 & 0x3fff) | ((49 & 0x3fff) << 14); // width - 1, height - 1
  const vp8l = bytes("RIFF", le32(100), "WEBP", "VP8L", le32(10), [0x2f], le32(bits), [0, 0, 0, 0, 0]);
  assert.deepEqual(readImageHeader(vp8l), { format: "webp", width: 100, height: 50 });
});

test("non-images and impossible sizes are refused with a reason", () => {
  assert.throws(() => readImageHeader(bytes("Dear diary, this is not a picture.")), (e: Error) => e instanceof ImageInputError && /not an image Muza can read/.test(e.message));
  assert.throws(() => readImageHeader(bytes([0x89], "PNG")), /not an image/); // too short to be a PNG
  assert.throws(() => readImageHeader(png(0, 10)), /claims a size of 0×10/);
});

test("decompression bombs are refused before decoding", () => {
  assert.doesNotThrow(() => checkDimensions({ format: "png", width: 8000, height: 6000 }));
  assert.throws(() => checkDimensions({ format: "png", width: 20_001, height: 10 }), /20,001×10 pixels .* too large/);
  assert.throws(() => checkDimensions({ format: "png", width: 8000, height: 6500 }), /52 megapixels/);
});
