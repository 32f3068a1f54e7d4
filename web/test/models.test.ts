import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  ModelFileError, fetchModelFile, fetchModelJson, initialized, loadArtifacts, studioModels, totalBytes, type ModelCard, type StudioModel,
} from "../src/models";

// A fake server: path -> bytes (or an HTTP status).
const files = new Map<string, Uint8Array<ArrayBuffer> | number>();
globalThis.fetch = (async (input: string | URL) => {
  const body = files.get(String(input));
  if (body === undefined) throw new TypeError("connection refused");
  if (typeof body === "number") return new Response("nope", { status: body });
  return new Response(body);
}) as typeof fetch;

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const text = (s: string) => new TextEncoder().encode(s);

function card(entries: Record<string, Uint8Array>, over: Partial<ModelCard> = {}): ModelCard {
  const listed = Object.fromEntries(Object.entries(entries).map(([name, bytes]) => [name, { sha256: sha(bytes), bytes: bytes.length }]));
  return {
    name: "tiny", studio: "poems", title: "Tiny", description: "", format: "layers", entry: "model.json", files: listed,
    training: { dataset: "", command: "", date: "" }, metrics: {}, base_url: "/models/poems/tiny/", ...over,
  };
}

function serve(c: ModelCard, entries: Record<string, Uint8Array<ArrayBuffer> | number>): void {
  for (const [name, body] of Object.entries(entries)) files.set(c.base_url + name, body);
}

test("a listed file arrives whole, with its bytes reported", async () => {
  const bytes = text("hello, model");
  const c = card({ "a.bin": bytes });
  serve(c, { "a.bin": bytes });
  let reported = 0;
  const got = new Uint8Array(await fetchModelFile(c, "a.bin", (delta) => (reported += delta)));
  assert.deepEqual(got, bytes);
  assert.equal(reported, bytes.length);
  assert.equal(totalBytes(c), bytes.length);
});

test("unlisted, missing, short, corrupt and unreachable files are refused with the reason", async () => {
  const good = text("four");
  const c = card({ "a.bin": good, "b.bin": good, "c.bin": good, "d.bin": good, "e.bin": good });
  serve(c, { "a.bin": 404, "b.bin": text("fou"), "c.bin": text("fouR") });
  const refusal = (file: string, pattern: RegExp) => assert.rejects(fetchModelFile(c, file), (e: Error) => e instanceof ModelFileError && pattern.test(e.message));
  await refusal("z.bin", /^Tiny: z\.bin is not listed in the model card$/);
  await refusal("a.bin", /a\.bin is missing on the server \(HTTP 404\)/);
  await refusal("b.bin", /b\.bin has 3 bytes, the model card says 4/);
  await refusal("c.bin", /c\.bin is corrupt \(sha256 [0-9a-f]{12}… ≠ [0-9a-f]{12}…\)/);
  await refusal("d.bin", /could not fetch d\.bin \(connection refused\)/);
});

test("JSON files are parsed, or refused as not JSON", async () => {
  const c = card({ "v.json": text('{"chars": ["a", "b"]}'), "bad.json": text("{chars") });
  serve(c, { "v.json": text('{"chars": ["a", "b"]}'), "bad.json": text("{chars") });
  assert.deepEqual(await fetchModelJson(c, "v.json"), { chars: ["a", "b"] });
  await assert.rejects(fetchModelJson(c, "bad.json"), /bad\.json is not valid JSON/);
});

test("a tensorflowjs model folder: shards joined in manifest order, progress up to the total", async () => {
  const json = text(JSON.stringify({
    modelTopology: { class_name: "Sequential" },
    weightsManifest: [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights: [{ name: "w", shape: [3], dtype: "float32" }] }],
  }));
  const shard1 = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const shard2 = Uint8Array.from([9, 10, 11, 12]);
  const c = card({ "snap/model.json": json, "snap/group1-shard1of2.bin": shard1, "snap/group1-shard2of2.bin": shard2 });
  serve(c, { "snap/model.json": json, "snap/group1-shard1of2.bin": shard1, "snap/group1-shard2of2.bin": shard2 });
  const progress: [number, number][] = [];
  const artifacts = await loadArtifacts(c, "snap/model.json", (loaded, total) => progress.push([loaded, total]));
  assert.deepEqual(Array.from(new Uint8Array(artifacts.weightData as ArrayBuffer)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(artifacts.weightSpecs, [{ name: "w", shape: [3], dtype: "float32" }]);
  assert.deepEqual(progress.at(-1), [json.length + 12, json.length + 12]);
  assert.ok(progress.every(([loaded], i) => i === 0 || loaded >= progress[i - 1][0]));
  serve(c, { "snap/model.json": text("{}") });
  c.files["snap/model.json"] = { sha256: sha(text("{}")), bytes: 2 };
  await assert.rejects(loadArtifacts(c, "snap/model.json"), /snap\/model\.json is not a tensorflowjs model file/);
});

test("a studio's models, or the notice it shows instead", async () => {
  const poems = card({});
  files.set("/api/models", text(JSON.stringify({ models: [poems, { ...poems, name: "gan", studio: "latent" }], invalid: [] })));
  const got = await studioModels("poems", "none yet");
  assert.ok(Array.isArray(got));
  assert.deepEqual(got.map((m) => m.name), ["tiny"]);
  assert.deepEqual(await studioModels("style", "No style model yet."), { text: "No style model yet.", error: false });
});

test("initialized() disposes a model whose initialize() fails", async () => {
  const log: string[] = [];
  const model = (fail: boolean): StudioModel => ({
    card: card({}),
    async initialize() {
      log.push("initialize");
      if (fail) throw new Error("shard missing");
    },
    dispose() {
      log.push("dispose");
    },
  });
  const ok = model(false);
  assert.equal(await initialized(ok), ok);
  assert.deepEqual(log, ["initialize"]);
  await assert.rejects(initialized(model(true)), /shard missing/);
  assert.deepEqual(log, ["initialize", "initialize", "dispose"]);
});
