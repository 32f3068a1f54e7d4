import { test } from "node:test";
import assert from "node:assert/strict";
import { blendLabel, downloadName, maxPassSide, styleWeights } from "../src/style/settings";

test("style weights: one style, a blend, the same style twice", () => {
  assert.deepEqual(styleWeights(4, 2, null, 0.3), [0, 0, 1, 0]);
  assert.deepEqual(styleWeights(4, 0, 3, 0.25), [0.75, 0, 0, 0.25]);
  assert.deepEqual(styleWeights(3, 1, 1, 0.9), [0, 1, 0]);
  assert.deepEqual(styleWeights(0, 0, null, 0.5), []);
});

test("the blend label names both styles with rounded percentages", () => {
  const titles = ["Starry Night", "The Scream"];
  assert.equal(blendLabel(titles, 0, 1, 0.333), "67% Starry Night · 33% The Scream");
  assert.equal(blendLabel(titles, 1, 0, 0), "100% The Scream · 0% Starry Night");
  assert.equal(blendLabel(titles, 0, null, 0.5), "—");
  assert.equal(blendLabel([], 0, 1, 0.5), "—");
});

test("one network pass: 512 px off WebGL; on WebGL bounded by the texture limit", () => {
  assert.equal(maxPassSide(null, 40), 512);
  assert.equal(maxPassSide(16384, 40), 512);
  assert.equal(maxPassSide(2048, 40), 432); // 2048 / 4 - 80
  assert.equal(maxPassSide(1024, 38), 180); // 256 - 76, down to a multiple of 4
  assert.equal(maxPassSide(512, 40), 128); // never below 128
});

test("the PNG is named after the photo", () => {
  assert.equal(downloadName("holiday.jpg"), "holiday-styled.png");
  assert.equal(downloadName("my photo (1).PNG"), "my-photo-1--styled.png");
  assert.equal(downloadName("archive.tar.gz"), "archive-tar-styled.png");
  assert.equal(downloadName(undefined), "muza-styled.png");
});
