// Backend choice: WebGL on a real GPU; WASM when WebGL is missing, fails, loses its
// context or is a software rasteriser; CPU last. The reason is always reported.
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { isSoftwareRenderer, shortRenderer } from "./renderer";
import { exposeForTests } from "./test_hooks";

export type BackendName = "webgl" | "wasm" | "cpu";

export interface BackendInfo {
  name: BackendName;
  reason: string;
  forced: boolean;
  renderer: string | null;
  software: boolean;
  wasmSimd?: boolean;
  wasmThreads?: number;
  crossOriginIsolated: boolean;
}

const ORDER: BackendName[] = ["webgl", "wasm", "cpu"];

setWasmPaths(__WASM_FILES__);

/** The threaded binary caps its pool at 8 threads (the pthread workers it starts up front). */
export const MAX_WASM_THREADS = 8;

/**
 * WASM threads (only when cross-origin isolated): `?threads=N` (1 to MAX_WASM_THREADS), else half
 * the cores, at least 1 and at most 4 (tfjs' own choice). On 2 idle cores a second thread gave
 * 0-15% (style 512 px, backgrounds 1080p) and made batch-1 LSTM steps no faster; with another job
 * on the machine it made them several times slower (each op waits for the preempted thread), so
 * the page keeps a core for itself. The published binary caps any request at half the cores;
 * web/tfjs_wasm_threads.mjs lifts that cap at build time so `?threads=N` gets N.
 */
export function configureWasmThreads(requested: string | null): void {
  const cores = navigator.hardwareConcurrency || 1;
  const wanted = requested && /^\d+$/.test(requested) ? Number(requested) : Math.min(4, Math.floor(cores / 2));
  setThreadsCount(Math.max(1, Math.min(wanted, MAX_WASM_THREADS)));
}

// tfjs' own count (the XNNPACK pool's size, read from the WASM module) for the tests.
exposeForTests("wasmThreads", { getThreadsCount });

export function isBackendName(value: string | null): value is BackendName {
  return value !== null && (ORDER as string[]).includes(value);
}

/** The WebGL renderer string, or null when no WebGL context can be made. */
export function probeWebGL(): { renderer: string | null; available: boolean } {
  const canvas = document.createElement("canvas");
  const gl = (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext | null;
  if (!gl) return { renderer: null, available: false };
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return { renderer, available: true };
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`${name} backend did not initialise`);
  await tf.ready();
  // A tiny op proves the backend really computes.
  const probe = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
  const value = (await probe.data())[0];
  probe.dispose();
  if (value !== 3) throw new Error(`${name} backend computed ${value} for 1 + 2`);
}

async function describe(name: BackendName, reason: string, forced: boolean, renderer: string | null): Promise<BackendInfo> {
  const info: BackendInfo = {
    name,
    reason,
    forced,
    renderer,
    software: isSoftwareRenderer(renderer),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
  if (name === "wasm") {
    info.wasmSimd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    info.wasmThreads = getThreadsCount();
  }
  return info;
}

/** Picks and activates a backend. `forced` comes from `?backend=`. */
export async function chooseBackend(forced: BackendName | null): Promise<BackendInfo> {
  const webgl = probeWebGL();
  const failures: string[] = [];
  let candidates: { name: BackendName; reason: string }[];
  if (forced) {
    candidates = [{ name: forced, reason: `forced with ?backend=${forced}` }];
    for (const other of ORDER) {
      if (other !== forced) candidates.push({ name: other, reason: "" });
    }
  } else if (!webgl.available) {
    candidates = [
      { name: "wasm", reason: "WebGL is unavailable in this browser" },
      { name: "cpu", reason: "" },
    ];
  } else if (isSoftwareRenderer(webgl.renderer)) {
    candidates = [
      { name: "wasm", reason: `WebGL is a software renderer (${shortRenderer(webgl.renderer)}), slower than WASM here` },
      { name: "webgl", reason: "" },
      { name: "cpu", reason: "" },
    ];
  } else {
    candidates = [
      { name: "webgl", reason: `GPU: ${shortRenderer(webgl.renderer)}` },
      { name: "wasm", reason: "" },
      { name: "cpu", reason: "" },
    ];
  }
  for (const candidate of candidates) {
    try {
      await activate(candidate.name);
      const reason = failures.length ? `${failures.join("; ")}; fell back to ${candidate.name}` : candidate.reason;
      return await describe(candidate.name, reason, forced === candidate.name, webgl.renderer);
    } catch (error) {
      failures.push(`${candidate.name} failed (${(error as Error).message})`);
    }
  }
  throw new Error(`No TensorFlow.js backend works: ${failures.join("; ")}`);
}

/** Calls `onLost` once if the WebGL backend's context is lost (after switching to WASM). */
export function watchContextLoss(onLost: (info: BackendInfo) => void): void {
  if (tf.getBackend() !== "webgl") return;
  const backend = tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } };
  const canvas = backend.gpgpu?.gl?.canvas as HTMLCanvasElement | undefined;
  if (!canvas || !("addEventListener" in canvas)) return;
  canvas.addEventListener(
    "webglcontextlost",
    async (event) => {
      event.preventDefault();
      const renderer = probeWebGL().renderer;
      for (const name of ["wasm", "cpu"] as BackendName[]) {
        try {
          await activate(name);
          onLost(await describe(name, "the WebGL context was lost; switched to " + name, false, renderer));
          return;
        } catch {
          // try the next one
        }
      }
    },
    { once: true },
  );
}
