// What the backend badge says, and which WebGL renderers are software rasterisers (slower
// than WASM for our models). Pure functions: no tensors, no DOM.
import type { BackendInfo } from "./backend";

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

/** Is this WebGL renderer string a software rasteriser (SwiftShader, llvmpipe, …)? */
export function isSoftwareRenderer(renderer: string | null): boolean {
  return renderer !== null && SOFTWARE_RENDERER.test(renderer);
}

/** A renderer string short enough for the badge. */
export function shortRenderer(renderer: string | null): string {
  if (!renderer) return "unknown";
  const match = renderer.match(/swiftshader|llvmpipe|softpipe/i);
  return match ? (match[0].toLowerCase() === "swiftshader" ? "SwiftShader" : match[0]) : renderer.slice(0, 60);
}

export function badgeText(info: BackendInfo): string {
  let detail = "";
  if (info.name === "wasm") {
    detail = ` · ${info.wasmSimd ? "SIMD" : "no SIMD"}, ${info.wasmThreads ?? 1} thread${info.wasmThreads === 1 ? "" : "s"}`;
  }
  return `${info.name.toUpperCase()}${detail} — ${info.reason}`;
}
