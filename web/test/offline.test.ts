import { test } from "node:test";
import assert from "node:assert/strict";
import { precacheFiles, precacheManifest } from "../precache.mjs";
import {
  DATA_CACHE, MODELS_CACHE, cachesToDelete, hex, matchesCard, modelFileOf, routeOf, shellCacheName,
  staleModelEntries, storedModels, type CardFiles,
} from "../src/offline/logic";

const card: CardFiles = {
  studio: "poems",
  name: "shakespeare",
  title: "Shakespeare",
  base_url: "/models/poems/shakespeare/",
  files: {
    "model.json": { sha256: "a".repeat(64), bytes: 10 },
    "group1-shard1of1.bin": { sha256: "b".repeat(64), bytes: 1000 },
    "snapshots/epoch 1.json": { sha256: "c".repeat(64), bytes: 5 },
  },
};
const other: CardFiles = { ...card, name: "shake", base_url: "/models/poems/shake/", files: { "model.json": { sha256: "d".repeat(64), bytes: 3 } } };

test("the precache lists every built file once, index.html as /, without compressed variants or the worker", () => {
  const files = precacheFiles(["index.html", "index.html.br", "assets/main-ABCDEFGH.js", "assets/main-ABCDEFGH.js.gz", "sw.js", "sw.js.br", "icons\\icon-192.png", ".hidden", "assets/a.wasm"]);
  assert.deepEqual(files, ["/", "/assets/a.wasm", "/assets/main-ABCDEFGH.js", "/icons/icon-192.png"]);
});

test("the precache version follows every file's bytes, and only theirs", () => {
  const bytes: Record<string, string> = { "index.html": "<html>", "assets/main-ABCDEFGH.js": "main" };
  const read = (file: string) => bytes[file];
  const one = precacheManifest(Object.keys(bytes), read);
  assert.match(one.version, /^[0-9a-f]{16}$/);
  assert.deepEqual(precacheManifest([...Object.keys(bytes), "index.html.br"], read), one);
  bytes["index.html"] = "<html> ";
  const two = precacheManifest(Object.keys(bytes), read);
  assert.notEqual(two.version, one.version);
  assert.deepEqual(two.files, one.files);
});

test("activation deletes older shell caches and other caches of ours, nobody else's", () => {
  const names = [shellCacheName("old"), shellCacheName("new"), MODELS_CACHE, DATA_CACHE, "muza-models-v0", "someone-else"];
  assert.deepEqual(cachesToDelete(names, "new"), [shellCacheName("old"), "muza-models-v0"]);
});

test("a model URL maps to its card's file entry, decoded; unlisted files and other paths do not", () => {
  assert.equal(modelFileOf("/models/poems/shakespeare/model.json", [other, card])?.expected.bytes, 10);
  assert.equal(modelFileOf("/models/poems/shakespeare/snapshots/epoch%201.json", [card])?.file, "snapshots/epoch 1.json");
  assert.equal(modelFileOf("/models/poems/shake/model.json", [card, other])?.card, other);
  assert.equal(modelFileOf("/models/poems/shakespeare/card.json", [card]), null);
  assert.equal(modelFileOf("/models/poems/shakespeare/toString", [card]), null);
  assert.equal(modelFileOf("/models/poems/shakespeare/%E0%A4%A", [card]), null);
  assert.equal(modelFileOf("/assets/main.js", [card]), null);
});

test("requests are routed by kind; other origins and non-GETs are left alone", () => {
  const origin = "http://127.0.0.1:8000";
  const pre = new Set(["/", "/assets/main-ABCDEFGH.js"]);
  const r = (url: string, mode = "cors", method = "GET") => routeOf({ url: origin + url, mode, method }, origin, pre);
  assert.equal(r("/?backend=wasm", "navigate"), "navigation");
  assert.equal(r("/assets/main-ABCDEFGH.js"), "shell");
  assert.equal(r("/assets/main-ABCDEFGH.js?x=1"), "network");
  assert.equal(r("/api/models"), "catalogue");
  assert.equal(r("/models/poems/shakespeare/model.json"), "model");
  assert.equal(r("/healthz"), "network");
  assert.equal(r("/api/models", "cors", "POST"), "ignore");
  assert.equal(routeOf({ url: "https://example.org/x.js", mode: "cors", method: "GET" }, origin, pre), "ignore");
});

test("a stored file is good only with the card's size and sha256", () => {
  const entry = card.files["model.json"];
  assert.equal(matchesCard(entry, 10, "a".repeat(64)), true);
  assert.equal(matchesCard(entry, 11, "a".repeat(64)), false);
  assert.equal(matchesCard(entry, 10, "e".repeat(64)), false);
});

test("stale entries: files no card lists, or stored under another checksum", () => {
  const entries = [
    { path: "/models/poems/shakespeare/model.json", sha256: "a".repeat(64) },
    { path: "/models/poems/shakespeare/group1-shard1of1.bin", sha256: "f".repeat(64) },
    { path: "/models/poems/gone/model.json", sha256: "a".repeat(64) },
    { path: "/models/poems/shake/model.json", sha256: null },
  ];
  assert.deepEqual(staleModelEntries(entries, [card, other]), ["/models/poems/shakespeare/group1-shard1of1.bin", "/models/poems/gone/model.json"]);
});

test("stored models: per card the stored files and their bytes; cards with none are left out", () => {
  const stored = storedModels([card, other], ["/models/poems/shakespeare/model.json", "/models/poems/shakespeare/snapshots/epoch%201.json", "/assets/x.js"]);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].card, card);
  assert.deepEqual(stored[0].paths, ["/models/poems/shakespeare/model.json", "/models/poems/shakespeare/snapshots/epoch%201.json"]);
  assert.equal(stored[0].bytes, 15);
  assert.equal(stored[0].total, 3);
});

test("hex", () => {
  assert.equal(hex(new Uint8Array([0, 15, 255]).buffer), "000fff");
});
