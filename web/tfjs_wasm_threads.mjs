// tfjs' multi-threaded WASM backend (tfjs-backend-wasm 4.22) under our CSP, with the thread
// count we ask for. Used by web/build.mjs. Three things stand in the way as published:
//
// 1. Its pthread workers are started from a blob: URL (the worker script is inlined in
//    backend_wasm.js as `wasmWorkerContents`), which needs `blob:` in worker-src. We write that
//    script as a hashed file of our own and point `locateFile` at it: worker-src 'self' suffices.
// 2. Each worker then loads the Emscripten glue with importScripts(); tfjs hands it a blob: made
//    from the glue's source (needs `blob:` in script-src). We serve the glue as a hashed file too.
// 3. The compiled backend caps the thread pool at emscripten_num_logical_cores() / 2, i.e. at
//    half of navigator.hardwareConcurrency (a guess at hyper-threading), whatever
//    setThreadsCount() asked for: one thread on a 2-core machine. The glue's JS implementation
//    of emscripten_num_logical_cores is the only input of that cap, so when the page asked for
//    N threads it answers 2 × N and the pool gets N (the binary still caps it at its 8
//    pre-started workers). getThreadsCount() reports the pool's real size.
//
// Every rewrite must match exactly once, or the build fails (the tfjs version changed).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

const PACKAGE = "node_modules/@tensorflow/tfjs-backend-wasm";
const GLUE = `${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.js`;
const WORKER = `${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`;
/** Module option the patched glue reads: the thread count the page asked for (-1: none). */
const THREADS_OPTION = "muzaThreads";

const LOGICAL_CORES = 'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return navigator["hardwareConcurrency"]}';
const MAIN_SCRIPT_BLOB = /factoryConfig\.mainScriptUrlOrBlob = new Blob\(\[`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)\], \{ type: 'text\/javascript' \}\);/;
const WORKER_BLOB = /const response = wasmWorkerContents\.replace\(\/\\n\/g, '\\\\n'\);\s*const blob = new Blob\(\[response\], \{ type: 'application\/javascript' \}\);\s*return URL\.createObjectURL\(blob\);/;

function replaceOnce(source, pattern, replacement, where) {
  const count = typeof pattern === "string" ? source.split(pattern).length - 1 : (source.match(new RegExp(pattern.source, "g")) ?? []).length;
  if (count !== 1) throw new Error(`${where}: expected one match of ${pattern}, found ${count} (tfjs-backend-wasm version changed?)`);
  return source.replace(pattern, () => replacement);
}

/** The glue with emscripten_num_logical_cores answering for the requested thread count. */
export function patchGlue(source) {
  const patched = LOGICAL_CORES.replace("{", `{var wanted=Module[${JSON.stringify(THREADS_OPTION)}];if(wanted>0)return 2*wanted;`);
  return replaceOnce(source, LOGICAL_CORES, patched, GLUE);
}

/** The pthread worker script exactly as tfjs would put it into its blob (newlines escaped). */
export function workerScript(root) {
  const { wasmWorkerContents } = createRequire(path.join(root, "package.json"))(path.join(root, WORKER));
  if (typeof wasmWorkerContents !== "string") throw new Error(`${WORKER}: no wasmWorkerContents (tfjs-backend-wasm version changed?)`);
  const script = wasmWorkerContents.replace(/\n/g, "\\n");
  new vm.Script(script, { filename: WORKER }); // fails the build if it does not parse
  return script;
}

/** backend_wasm.js pointing at our two files and passing the requested thread count on. */
export function patchBackend(source, urls) {
  const glue = `new URL(${JSON.stringify(urls.glue)}, location.href).href`;
  const worker = `new URL(${JSON.stringify(urls.worker)}, location.href).href`;
  let out = replaceOnce(source, MAIN_SCRIPT_BLOB, `factoryConfig.mainScriptUrlOrBlob = ${glue}; factoryConfig[${JSON.stringify(THREADS_OPTION)}] = threadsCount;`, "backend_wasm.js");
  out = replaceOnce(out, WORKER_BLOB, `return ${worker};`, "backend_wasm.js");
  return out;
}

/**
 * Writes the glue and the worker script into `assets` under hashed names and returns their
 * URLs and the esbuild plugin that bundles the patched glue and backend_wasm.js.
 */
export function tfjsWasmThreads({ root, assets, hashedName }) {
  const glue = patchGlue(fs.readFileSync(path.join(root, GLUE), "utf8"));
  const worker = workerScript(root);
  const urls = {};
  for (const [key, base, text] of [["glue", "tfjs-backend-wasm-threaded-simd", glue], ["worker", "tfjs-backend-wasm-threaded-simd.worker", worker]]) {
    const name = hashedName(base, ".js", Buffer.from(text));
    fs.writeFileSync(path.join(assets, name), text);
    urls[key] = `/assets/${name}`;
  }
  const applied = { glue: 0, backend: 0 };
  const plugin = {
    name: "tfjs-wasm-threads",
    setup(b) {
      b.onLoad({ filter: /tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/ }, () => {
        applied.glue += 1;
        return { contents: glue, loader: "js" };
      });
      b.onLoad({ filter: /tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/ }, async (args) => {
        applied.backend += 1;
        return { contents: patchBackend(await fs.promises.readFile(args.path, "utf8"), urls), loader: "js" };
      });
    },
  };
  /** Throws unless both files were bundled once (call after the build). */
  const check = () => {
    if (applied.glue !== 1 || applied.backend !== 1) {
      throw new Error(`tfjs-wasm-threads patched the glue ${applied.glue} and backend_wasm.js ${applied.backend} times (expected once each)`);
    }
  };
  return { urls, plugin, check };
}
