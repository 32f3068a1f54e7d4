import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeSettings, defaultSettings, encodeSettings, fileStem, gridFor, minScaleFor, sizeProblem } from "../src/backgrounds/bg_state";

const NAMES = ["stone_rock058", "sand_damp_sand", "nebula_lagoon_center"];
const base = () => defaultSettings(0, 7);
const decode = (query: string) => decodeSettings(new URLSearchParams(query), NAMES, base());

test("a share link round-trips every setting", () => {
  const s = { ...base(), mix: [{ id: 1, weight: 0.6 }, { id: 2, weight: 0.4 }], mode: "morph" as const, shape: "radial" as const, repeat: true, softness: 0.25,
    seed: 4294967295, scale: 1.5, variation: 0.7, hue: -40, saturation: 1.3, brightness: 0.1, contrast: 0.8, width: 3840, height: 2160 };
  const query = encodeSettings(s, NAMES).toString();
  assert.match(query, /t=sand_damp_sand%3A0\.6%2Cnebula_lagoon_center%3A0\.4/);
  const { settings, problems } = decode(query);
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, s);
});

test("defaults stay out of the link", () => {
  assert.equal(encodeSettings(base(), NAMES).toString(), "t=stone_rock058%3A1&seed=7&size=1920x1080");
});

test("bad sizes are named, and the default size is used", () => {
  for (const [size, why] of [["0", /WIDTHxHEIGHT/], ["100000", /WIDTHxHEIGHT/], ["wide", /WIDTHxHEIGHT/], ["0x0", /between 32 and 8192/],
    ["100000x100000", /between 32 and 8192/], ["8192x8192", /megapixels/], ["1920x1080.5", /WIDTHxHEIGHT/]] as [string, RegExp][]) {
    const { settings, problems } = decode(`size=${size}&seed=3`);
    assert.equal(problems.length, 1, size);
    assert.match(problems[0], why);
    assert.match(problems[0], new RegExp(`^size=${size.replace(".", "\\.")}: .*using 1920×1080\\.$`));
    assert.deepEqual([settings.width, settings.height, settings.seed], [1920, 1080, 3]); // the rest still applies
  }
  assert.equal(decode("size=7680x4320").settings.width, 7680);
  assert.equal(decode("size=1080×1920").settings.height, 1920);
});

test("other bad parameters: unknown textures, weights, seeds, numbers out of range", () => {
  const t = decode("t=stone_rock058:0.5,granite:1,sand_damp_sand:7");
  assert.deepEqual(t.settings.mix, [{ id: 0, weight: 0.5 }]);
  assert.match(t.problems[0], /“granite:1”, “sand_damp_sand:7” are not a texture of this model/);
  assert.deepEqual(decode("t=granite").settings.mix, [{ id: 0, weight: 1 }]);
  assert.match(decode("t=granite").problems[0], /using the default texture/);
  assert.match(decode("t=stone_rock058:0").problems[0], /every weight is 0/);
  assert.match(decode("seed=-1").problems[0], /^seed=-1: a seed is a whole number/);
  assert.match(decode("seed=4294967296").problems[0], /using 7/);
  assert.match(decode("scale=9").problems[0], /^scale=9: the scale must be from 0.5 to 3/);
  assert.match(decode("hue=abc").problems[0], /must be a number/);
  assert.match(decode("morph=spiral").problems[0], /horizontal, vertical, diagonal, radial/);
  assert.equal(decode("var=1.2&con=0.5").problems.length, 0);
});

test("noise grids: cells of 32 px at scale 1, fewer at larger scales, at least one", () => {
  assert.deepEqual(gridFor(1920, 1080, 1), { w: 60, h: 34, sourceW: 1920, sourceH: 1088 });
  assert.deepEqual(gridFor(1920, 1080, 2), { w: 30, h: 17, sourceW: 960, sourceH: 544 });
  assert.deepEqual(gridFor(3840, 2160, 0.5), { w: 240, h: 135, sourceW: 7680, sourceH: 4320 });
  assert.deepEqual(gridFor(32, 32, 3), { w: 1, h: 1, sourceW: 32, sourceH: 32 });
});

test("size limits and the smallest scale for big outputs", () => {
  assert.equal(sizeProblem(7680, 4320), null);
  assert.match(sizeProblem(31, 100) ?? "", /between/);
  assert.equal(minScaleFor(1920, 1080), 0.5);
  // 8K is 33.2 MP; at most 37.7 MP are generated: √(33.2 / 37.7) = 0.938, rounded up to 0.94
  assert.equal(minScaleFor(7680, 4320), 0.94);
  assert.match(decode("size=7680x4320&scale=0.5").problems[0], /at least 0.94; using 0.94/);
});

test("file names say textures, morph, seed and size", () => {
  assert.equal(fileStem({ ...base(), mix: [{ id: 0, weight: 1 }, { id: 1, weight: 0 }] }, NAMES), "muza-stone_rock058-7-1920x1080");
  assert.equal(fileStem({ ...base(), mode: "morph", mix: [{ id: 0, weight: 1 }, { id: 1, weight: 0 }] }, NAMES), "muza-stone_rock058+sand_damp_sand-horizontal-7-1920x1080");
});
