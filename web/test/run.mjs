// Unit tests of the web app's pure modules: bundles web/test/*.test.ts with esbuild into a
// temporary folder and runs them with Node's built-in test runner (`npm test`).
// Usage: node web/test/run.mjs [name-filter]
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const testDir = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? "";
const tests = fs.readdirSync(testDir).filter((f) => f.endsWith(".test.ts") && f.includes(filter)).sort();
if (!tests.length) {
  console.error(`no tests match ${JSON.stringify(filter)} in ${testDir}`);
  process.exit(1);
}
const out = fs.mkdtempSync(path.join(os.tmpdir(), "muza-web-test-"));
try {
  await build({
    entryPoints: tests.map((f) => path.join(testDir, f)),
    bundle: true,
    platform: "node",
    // CommonJS: tfjs' Node build requires Node's own modules, which an ESM bundle cannot.
    format: "cjs",
    target: "node20",
    outdir: out,
    outExtension: { ".js": ".cjs" },
    sourcemap: "inline",
    loader: { ".css": "empty" },
    define: { __WASM_FILES__: "{}", __DEV__: "false" },
    logLevel: "warning",
  });
  const files = tests.map((f) => path.join(out, f.replace(/\.ts$/, ".cjs")));
  const run = spawnSync(process.execPath, ["--enable-source-maps", "--test", ...files], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
