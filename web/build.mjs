// Builds web/dist: a bundled, minified, content-hashed app with the tfjs WASM binaries.
// Usage: node web/build.mjs [--dev]   (npm run build)
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { abcjsCspPlugin } from "./abcjs_csp.mjs";
import { precacheManifest } from "./precache.mjs";
import { tfjsWasmThreads } from "./tfjs_wasm_threads.mjs";

const webDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(webDir);
// MUZA_WEB_ROOT (also read by the server) lets parallel builds use their own folders.
const dist = path.resolve(process.env.MUZA_WEB_ROOT || path.join(webDir, "dist"));
const assets = path.join(dist, "assets");
const dev = process.argv.includes("--dev");
const HASH_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Eight base32 characters, like esbuild's [hash]: the server marks such names immutable.
function contentHash(buffer) {
  const digest = createHash("sha256").update(buffer).digest();
  let out = "";
  for (let i = 0; i < 8; i++) out += HASH_ALPHABET[digest[i] % 32];
  return out;
}

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(assets, { recursive: true });

// 1. WASM binaries under hashed names; the map is compiled into the bundle.
const wasmSource = path.join(root, "node_modules/@tensorflow/tfjs-backend-wasm/dist");
const wasmFiles = {};
for (const name of fs.readdirSync(wasmSource).filter((f) => f.endsWith(".wasm"))) {
  const bytes = fs.readFileSync(path.join(wasmSource, name));
  const hashed = `${name.replace(/\.wasm$/, "")}-${contentHash(bytes)}.wasm`;
  fs.writeFileSync(path.join(assets, hashed), bytes);
  wasmFiles[name] = `/assets/${hashed}`;
}

// The threaded backend's pthread worker script and Emscripten glue as files of our own, and the
// thread count we ask for honoured (web/tfjs_wasm_threads.mjs says why).
const wasmThreads = tfjsWasmThreads({
  root,
  assets,
  hashedName: (base, ext, bytes) => `${base}-${contentHash(bytes)}${ext}`,
});

// 2. The app bundle (ES2017+ module builds of tfjs: they run under a CSP without unsafe-eval).
// Code splitting: each route's `load: () => import(...)` in src/studios.ts becomes a chunk of its
// own, code shared by several chunks (tfjs, ui/) goes into shared chunks; hashed names throughout.
const result = await build({
  absWorkingDir: root,
  entryPoints: [path.join(webDir, "src/main.ts")],
  bundle: true,
  splitting: true,
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  format: "esm",
  target: "es2020",
  outdir: assets,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  define: { __WASM_FILES__: JSON.stringify(wasmFiles), __DEV__: String(dev) },
  logLevel: "warning",
  plugins: [wasmThreads.plugin, abcjsCspPlugin()],
});
wasmThreads.check();
const metaOutputs = result.metafile.outputs;
const url = (output) => `/${path.relative(dist, path.resolve(root, output)).split(path.sep).join("/")}`;
const mainOutput = Object.keys(metaOutputs).find((p) => metaOutputs[p].entryPoint === "web/src/main.ts" && p.endsWith(".js"));
const mainCssOutput = mainOutput && metaOutputs[mainOutput].cssBundle;
if (!mainOutput || !mainCssOutput) throw new Error(`bundle outputs missing: ${Object.keys(metaOutputs).join(", ")}`);
const mainJs = url(mainOutput);
const mainCss = url(mainCssOutput);
// esbuild also writes a stylesheet per route chunk, but the main one already holds every
// stylesheet the chunks import (each studio's CSS is small): drop the copies.
for (const output of Object.keys(metaOutputs)) {
  if (output.endsWith(".css") && output !== mainCssOutput) fs.rmSync(path.resolve(root, output));
}

/** An output and every chunk it imports statically, transitively. */
function staticClosure(output, into = new Set()) {
  if (into.has(output)) return into;
  into.add(output);
  for (const imported of metaOutputs[output].imports) {
    if (imported.kind === "import-statement" && metaOutputs[imported.path]) staticClosure(imported.path, into);
  }
  return into;
}
const shell = staticClosure(mainOutput);
// Route chunks: every dynamic import target (the registry's loaders).
const routeChunks = [...new Set(Object.values(metaOutputs).flatMap((o) => o.imports.filter((i) => i.kind === "dynamic-import").map((i) => i.path)))];

// 3. Static files and index.html pointing at the hashed names; the shell's shared chunks are
// preloaded so that they download alongside main instead of after it.
const publicDir = path.join(webDir, "public");
if (fs.existsSync(publicDir)) fs.cpSync(publicDir, dist, { recursive: true });
const template = fs.readFileSync(path.join(webDir, "index.html"), "utf8");
const preloads = [...shell].filter((o) => o !== mainOutput).map((o) => `<link rel="modulepreload" href="${url(o)}">`);
fs.writeFileSync(
  path.join(dist, "index.html"),
  template.replaceAll("{{main.js}}", mainJs).replaceAll("{{main.css}}", mainCss).replaceAll("{{modulepreload}}", preloads.join("\n  ")),
);

// 3b. The service worker (offline use) under a fixed name at the root, so that its scope is the
// whole app; the precache manifest lists every file written so far (web/precache.mjs).
const written = fs.readdirSync(dist, { recursive: true }).filter((f) => fs.statSync(path.join(dist, f)).isFile());
const precache = precacheManifest(written, (file) => fs.readFileSync(path.join(dist, file)));
// The pthread workers fetch these through the service worker: offline they must come from the precache.
for (const file of Object.values(wasmThreads.urls)) {
  if (!precache.files.includes(file)) throw new Error(`${file} is missing from the precache manifest`);
}
await build({
  absWorkingDir: root,
  entryPoints: [path.join(webDir, "src/offline/sw.ts")],
  bundle: true,
  minify: !dev,
  format: "iife",
  target: "es2020",
  outfile: path.join(dist, "sw.js"),
  define: { __PRECACHE__: JSON.stringify(precache) },
  logLevel: "warning",
});

// 4. Precompressed variants, served by WhiteNoise when the browser accepts them.
const compressible = /\.(js|css|html|json|svg|wasm|txt|map)$/;
const brotliOf = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: dev ? 4 : 11 } });
const sizes = new Map(); // path relative to dist -> { raw, brotli }
let raw = 0;
let brotli = 0;
for (const file of fs.readdirSync(dist, { recursive: true })) {
  const full = path.join(dist, file);
  if (!compressible.test(file) || !fs.statSync(full).isFile()) continue;
  const bytes = fs.readFileSync(full);
  const br = brotliOf(bytes);
  sizes.set(file.split(path.sep).join("/"), { raw: bytes.length, brotli: br.length });
  if (bytes.length < 1024) continue;
  fs.writeFileSync(`${full}.gz`, gzipSync(bytes, { level: 9 }));
  fs.writeFileSync(`${full}.br`, br);
  raw += bytes.length;
  brotli += br.length;
}
console.log(`${path.relative(root, dist)}: ${mainJs}, ${mainCss}, ${routeChunks.length} route chunks, ${Object.keys(wasmFiles).length} wasm; ${(raw / 1e6).toFixed(2)} MB raw, ${(brotli / 1e6).toFixed(2)} MB brotli`);
console.log(`/sw.js precaches ${precache.files.length} files (shell version ${precache.version})`);

// 5. What a first visit to each route downloads (index.html, the stylesheet, the shell with its
// shared chunks, and that route's chunks; the WASM binaries come on top when WASM runs).
const registry = fs.readFileSync(path.join(webDir, "src/studios.ts"), "utf8");
const routeOf = (entryPoint) => {
  const spec = `./${path.relative("web/src", entryPoint).replace(/\.ts$/, "")}`;
  const line = registry.split("\n").find((l) => l.includes(`import("${spec}")`));
  return line?.match(/route: "([^"]+)"/)?.[1] ?? spec;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const sum = (files) => files.reduce((t, f) => ({ raw: t.raw + sizes.get(f).raw, brotli: t.brotli + sizes.get(f).brotli }), { raw: 0, brotli: 0 });
const pageFiles = (outputs) => ["index.html", mainCss.slice(1), ...[...outputs].map((o) => url(o).slice(1))];
const base = sum(pageFiles(shell));
console.log(`bytes per route (first visit: index.html + CSS + shell ${shell.size} JS files + the route's own):`);
console.log(`  shell alone${" ".repeat(9)}${kb(base.raw).padStart(10)} raw ${kb(base.brotli).padStart(9)} brotli`);
const routes = routeChunks.map((chunk) => ({ chunk, route: routeOf(metaOutputs[chunk].entryPoint) })).sort((a, b) => a.route.localeCompare(b.route));
for (const { chunk, route } of routes) {
  const files = new Set([...shell, ...staticClosure(chunk)]);
  const total = sum(pageFiles(files));
  const own = files.size - shell.size;
  console.log(`  #/${route.padEnd(8)} ${own} file${own === 1 ? " " : "s"}  ${kb(total.raw).padStart(10)} raw ${kb(total.brotli).padStart(9)} brotli`);
}
console.log("  plus, on the WASM backend, one of (by SIMD and thread support):");
for (const [name, file] of Object.entries(wasmFiles)) {
  const size = sizes.get(file.slice(1));
  console.log(`    ${name.padEnd(37)} ${kb(size.raw).padStart(9)} raw ${kb(size.brotli).padStart(9)} brotli`);
}
