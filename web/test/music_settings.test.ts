import { test } from "node:test";
import assert from "node:assert/strict";
import { cleanTitle, decodeShare, DEFAULTS, encodeShare, header, primer, quarterBpm, type TuneSettings } from "../src/music/settings";
import { AbcState } from "../src/music/grammar";

const reel: TuneSettings = { ...DEFAULTS, title: "Morning Star", meter: "4/4", unit: "1/8", key: "Dmix", tempo: 96, firstBar: "A2 |" };

test("the header and the primer", () => {
  assert.equal(header(reel), "X:1\nT:Morning Star\nM:4/4\nL:1/8\nQ:1/4=96\nK:Dmix\n");
  // The model reads no Q: (hardly any training tune has one), then the first bar.
  assert.equal(primer(reel), "X:1\nT:Morning Star\nM:4/4\nL:1/8\nK:Dmix\nA2 |");
  assert.equal(header({ ...DEFAULTS, meter: "6/8", tempo: 110 }), "X:1\nT:The Muza Jig\nM:6/8\nL:1/8\nQ:3/8=110\nK:G\n");
  assert.equal(quarterBpm({ meter: "6/8", tempo: 100 }), 150);
  assert.equal(quarterBpm({ meter: "3/4", tempo: 100 }), 100);
  // Both are ABC the bar-aware grammar accepts.
  new AbcState().feed(header(reel));
  new AbcState().feed(primer(reel));
});

test("titles are one line without quotes", () => {
  assert.equal(cleanTitle(' The "Wild"\nRover % '), "The Wild Rover");
  assert.equal(cleanTitle("x".repeat(200)).length, 60);
});

test("a share link round-trips every setting and the model", () => {
  const settings: TuneSettings = { ...reel, temperature: 0.65, topP: 0.9, bars: 24, barAware: false, seed: 4294967295, instrument: "flute", accompaniment: false };
  const query = encodeShare(settings, "folk");
  const back = decodeShare(query);
  assert.deepEqual(back.problems, []);
  assert.equal(back.model, "folk");
  assert.deepEqual(back.settings, settings);
  // Without a seed the link leaves it out; decoding keeps null.
  assert.equal(decodeShare(encodeShare({ ...settings, seed: null }, null)).settings.seed, null);
});

test("bad parameters are named, and their defaults used", () => {
  const { settings, problems } = decodeShare("meter=7/8&key=H&bpm=1000&temp=x&p=0&bars=3.5&mask=yes&seed=-1&inst=banjo&unit=1/2&t=Fine");
  assert.equal(problems.length, 10);
  assert.match(problems[0], /meter must be one of 4\/4, 6\/8/);
  assert.ok(problems.some((p) => /tempo must be a whole number from 40 to 240, not “1000”/.test(p)));
  assert.ok(problems.some((p) => /instrument must be one of harp, flute, piano, not “banjo”/.test(p)));
  assert.deepEqual({ ...settings, title: DEFAULTS.title }, DEFAULTS);
  assert.equal(settings.title, "Fine");
});
