import { test } from "node:test";
import assert from "node:assert/strict";
import type { BackendInfo } from "../src/backend";
import { badgeText, isSoftwareRenderer, shortRenderer } from "../src/renderer";

const SWIFTSHADER = "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)";

test("software rasterisers are recognised, GPUs are not", () => {
  for (const r of [SWIFTSHADER, "llvmpipe (LLVM 15.0.6, 256 bits)", "Microsoft Basic Render Driver", "softpipe", "Google SwiftShader"]) {
    assert.equal(isSoftwareRenderer(r), true, r);
  }
  for (const r of ["ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)", "Apple M1", "Mali-G78", ""]) {
    assert.equal(isSoftwareRenderer(r), false, r);
  }
  assert.equal(isSoftwareRenderer(null), false);
});

test("renderer names are shortened for the badge", () => {
  assert.equal(shortRenderer(SWIFTSHADER), "SwiftShader");
  assert.equal(shortRenderer("llvmpipe (LLVM 15.0.6, 256 bits)"), "llvmpipe");
  assert.equal(shortRenderer("x".repeat(80)), "x".repeat(60));
  assert.equal(shortRenderer(null), "unknown");
});

const info = (over: Partial<BackendInfo>): BackendInfo => ({ name: "webgl", reason: "GPU: Apple M1", forced: false, renderer: "Apple M1", software: false, crossOriginIsolated: true, ...over });

test("the badge says the backend, WASM's SIMD and threads, and why", () => {
  assert.equal(badgeText(info({})), "WEBGL — GPU: Apple M1");
  assert.equal(badgeText(info({ name: "wasm", reason: "WebGL is unavailable in this browser", wasmSimd: true, wasmThreads: 4 })), "WASM · SIMD, 4 threads — WebGL is unavailable in this browser");
  assert.equal(badgeText(info({ name: "wasm", reason: "forced with ?backend=wasm", wasmSimd: false, wasmThreads: 1 })), "WASM · no SIMD, 1 thread — forced with ?backend=wasm");
  assert.equal(badgeText(info({ name: "cpu", reason: "wasm failed (x); fell back to cpu" })), "CPU — wasm failed (x); fell back to cpu");
});
