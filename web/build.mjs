// Builds web/dist: a bundled, minified, content-hashed app with the tfjs WASM binaries.
// Usage: node web/build.mjs [--dev]   (npm run build)
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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

// The threaded WASM backend's pthread workers load the Emscripten glue with importScripts.
// tfjs 4.22 hands them a blob: URL, which a CSP without `blob:` in script-src refuses; we
// serve the same glue as a hashed file of our own and point the backend at it instead.
const glueSource = path.join(root, "node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js");
const glue = fs.readFileSync(glueSource);
const glueName = `tfjs-backend-wasm-threaded-simd-${contentHash(glue)}.js`;
fs.writeFileSync(path.join(assets, glueName), glue);
const MAIN_SCRIPT_BLOB = /factoryConfig\.mainScriptUrlOrBlob = new Blob\(\[`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)\], \{ type: 'text\/javascript' \}\);/;
const threadedGluePlugin = {
  name: "tfjs-wasm-threaded-glue",
  setup(b) {
    b.onLoad({ filter: /tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, "utf8");
      if (!MAIN_SCRIPT_BLOB.test(source)) throw new Error(`${args.path}: mainScriptUrlOrBlob pattern not found (tfjs version changed?)`);
      const url = JSON.stringify(`/assets/${glueName}`);
      return { contents: source.replace(MAIN_SCRIPT_BLOB, `factoryConfig.mainScriptUrlOrBlob = new URL(${url}, location.href).href;`), loader: "js" };
    });
  },
};

// 2. The app bundle (ES2017+ module builds of tfjs: they run under a CSP without unsafe-eval).
const result = await build({
  entryPoints: [path.join(webDir, "src/main.ts")],
  bundle: true,
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  format: "esm",
  target: "es2020",
  outdir: assets,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  define: { __WASM_FILES__: JSON.stringify(wasmFiles), __DEV__: String(dev) },
  logLevel: "warning",
  plugins: [threadedGluePlugin],
});
const outputs = Object.keys(result.metafile.outputs).map((p) => path.relative(dist, path.resolve(root, p)));
const mainJs = outputs.find((p) => /main-[A-Z0-9]{8}\.js$/.test(p));
const mainCss = outputs.find((p) => /main-[A-Z0-9]{8}\.css$/.test(p));
if (!mainJs || !mainCss) throw new Error(`bundle outputs missing: ${outputs.join(", ")}`);

// 3. Static files and index.html pointing at the hashed names.
const publicDir = path.join(webDir, "public");
if (fs.existsSync(publicDir)) fs.cpSync(publicDir, dist, { recursive: true });
const template = fs.readFileSync(path.join(webDir, "index.html"), "utf8");
fs.writeFileSync(
  path.join(dist, "index.html"),
  template.replaceAll("{{main.js}}", `/${mainJs}`).replaceAll("{{main.css}}", `/${mainCss}`),
);

// 4. Precompressed variants, served by WhiteNoise when the browser accepts them.
const compressible = /\.(js|css|html|json|svg|wasm|txt|map)$/;
let raw = 0;
let brotli = 0;
for (const file of fs.readdirSync(dist, { recursive: true })) {
  const full = path.join(dist, file);
  if (!compressible.test(file) || !fs.statSync(full).isFile()) continue;
  const bytes = fs.readFileSync(full);
  if (bytes.length < 1024) continue;
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: dev ? 4 : 11 } });
  fs.writeFileSync(`${full}.gz`, gzipSync(bytes, { level: 9 }));
  fs.writeFileSync(`${full}.br`, br);
  raw += bytes.length;
  brotli += br.length;
}
console.log(`${path.relative(root, dist)}: ${mainJs}, ${mainCss}, ${Object.keys(wasmFiles).length} wasm; ${(raw / 1e6).toFixed(2)} MB raw, ${(brotli / 1e6).toFixed(2)} MB brotli`);
