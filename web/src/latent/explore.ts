// Interpolation (slerp between two points, scrubbed or played, with a strip of
// frames) and vector arithmetic A − B + C between favourites.
import { h, uniqueId } from "../ui/dom";
import { drawPixels, pixelCanvas } from "./canvas";
import type { StudioHost } from "./host";
import { analogy, slerp } from "./latent_math";
import { composeLatent, pointFromLatent, type LatentPoint } from "./latent_state";
import { LatestRenderQueue } from "./render_queue";

export interface Panel {
  element: HTMLElement;
  /** Resolves when the panel has no render waiting or running. */
  idle(): Promise<void>;
  dispose(): void;
}

const CURRENT = "current";
export const STRIP_FRAMES = 8;

interface PointPicker {
  element: HTMLElement;
  select: HTMLSelectElement;
  point(): LatentPoint;
  usesCurrent(): boolean;
  refresh(): void;
}

/**
 * A select of "Current image" and the favourites. Picker `slot` of `slots` defaults to
 * favourite `slot` when there are enough favourites, else the first picker takes the
 * current image and the others the favourites there are.
 */
function pointPicker(host: StudioHost, label: string, slot: number, slots: number): PointPicker {
  const id = uniqueId("pick");
  const select = h("select", { id, "data-pick": label });
  let touched = false;
  select.addEventListener("change", () => (touched = true));
  const picker: PointPicker = {
    element: h("div", { class: "picker" }, h("label", { for: id, text: label }), select),
    select,
    point() {
      const fav = select.value === CURRENT ? undefined : host.favourites.get(select.value);
      return fav ? host.decode(fav.code) : host.currentPoint();
    },
    usesCurrent: () => select.value === CURRENT,
    refresh() {
      const favs = host.favourites.list();
      const keep = touched && (select.value === CURRENT || favs.some((f) => f.id === select.value)) ? select.value : null;
      select.replaceChildren(h("option", { value: CURRENT, text: "Current image" }), ...favs.map((f) => h("option", { value: f.id, text: f.name })));
      select.value = keep ?? defaultChoice(favs.map((f) => f.id), slot, slots);
    },
  };
  picker.refresh();
  return picker;
}

function defaultChoice(ids: string[], slot: number, slots: number): string {
  if (ids.length >= slots) return ids[slot];
  if (slot === 0 || ids.length === 0) return CURRENT;
  return ids[Math.min(slot - 1, ids.length - 1)];
}

interface DebouncedTask {
  (): void;
  cancel(): void;
  /** Resolves when no run is waiting or running. */
  idle(): Promise<void>;
}

/**
 * Runs `task` `ms` after the last call, and only while `element` is on screen: a panel
 * scrolled out of view remembers that it is stale and renders when it comes back.
 */
function visibleDebouncedTask(element: HTMLElement, task: () => Promise<void>, ms: number): DebouncedTask {
  let timer = 0;
  let running = 0;
  let visible = false;
  let stale = false;
  let waiters: (() => void)[] = [];
  const settle = () => {
    if (timer || running) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  };
  const fire = () => {
    timer = 0;
    if (!visible) {
      stale = true;
      return settle();
    }
    stale = false;
    running += 1;
    void task().finally(() => {
      running -= 1;
      settle();
    });
  };
  const run = () => {
    clearTimeout(timer);
    timer = window.setTimeout(fire, ms);
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = 0;
    observer.disconnect();
    settle();
  };
  run.idle = () => (timer || running ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve());
  const observer = new IntersectionObserver(
    (entries) => {
      visible = entries.some((e) => e.isIntersecting);
      if (visible && stale && !timer) run();
    },
    { rootMargin: "25% 0px" },
  );
  observer.observe(element);
  return run;
}

export function interpolationPanel(host: StudioHost): Panel {
  const size = host.generator.imageSize;
  const a = pointPicker(host, "A", 0, 2);
  const b = pointPicker(host, "B", 1, 2);
  const frames = Array.from({ length: STRIP_FRAMES }, (_, i) => pixelCanvas(size, "frame", `Frame ${i + 1} of ${STRIP_FRAMES}`));
  const scrubId = uniqueId("scrub");
  const scrub = h("input", { type: "range", id: scrubId, min: 0, max: 1, step: 0.01, value: 0, class: "scrub" });
  const play = h("button", { type: "button", class: "secondary play", "aria-pressed": "false", text: "Play" });
  const keep = h("button", { type: "button", class: "secondary", text: "Keep this frame" });
  const strip = h("div", { class: "strip", role: "group", "aria-label": "Frames from A to B" });
  const preview = pixelCanvas(size, "interp-preview", "Interpolated image");
  const position = h("output", { for: scrubId, class: "position", text: "0%" });
  frames.forEach((canvas, i) => {
    const button = h("button", { type: "button", class: "frame-button", title: `Show frame ${i + 1}` }, canvas);
    button.addEventListener("click", () => {
      stop();
      scrub.value = String(i / (STRIP_FRAMES - 1));
      show();
    });
    strip.append(button);
  });
  const element = h("section", { class: "panel latent-interpolate", "aria-labelledby": "latent-interp-title" },
    h("h2", { id: "latent-interp-title", text: "Interpolate" }),
    h("p", { class: "hint", text: "A spherical path (slerp) from A to B: scrub it, play it, or keep a frame." }),
    h("div", { class: "pickers" }, a.element, b.element),
    strip,
    h("div", { class: "interp-row" }, preview,
      h("div", { class: "interp-controls" },
        h("div", { class: "scrub-row" }, h("label", { for: scrubId, text: "A → B" }), scrub, position),
        h("div", { class: "scrub-row" }, play, keep))));
  // The panel's own picture (scrubbing and playback draw here, the stage keeps the current image).
  const queue = new LatestRenderQueue<Float32Array>(
    async (latent) => drawPixels(preview, await host.generator.render(latent)),
    (error) => host.error(error.message),
  );

  let ends: [Float32Array, Float32Array] | null = null;
  const endpoints = (): [Float32Array, Float32Array] => {
    ends ??= [composeLatent(a.point(), host.directions), composeLatent(b.point(), host.directions)];
    return ends;
  };
  const latentAt = (s: number) => {
    const [za, zb] = endpoints();
    return slerp(za, zb, s);
  };
  const show = () => {
    const s = Number(scrub.value);
    position.textContent = `${Math.round(s * 100)}%`;
    queue.request(latentAt(s));
  };
  let stripToken = 0;
  const drawStrip = visibleDebouncedTask(element, async () => {
    const token = ++stripToken;
    ends = null;
    try {
      const images = await host.generator.pixels(frames.map((_, i) => latentAt(i / (STRIP_FRAMES - 1))));
      if (token !== stripToken) return;
      images.forEach((rgba, i) => drawPixels(frames[i], rgba));
      show();
      await queue.idle();
    } catch (error) {
      host.error((error as Error).message);
    }
  }, 250);

  let raf = 0;
  const stop = () => {
    cancelAnimationFrame(raf);
    raf = 0;
    play.textContent = "Play";
    play.setAttribute("aria-pressed", "false");
  };
  play.addEventListener("click", () => {
    if (raf) return stop();
    play.textContent = "Stop";
    play.setAttribute("aria-pressed", "true");
    const start = performance.now() - Number(scrub.value) * 2500;
    const tick = (now: number) => {
      const phase = ((now - start) / 2500) % 2; // 2.5 s A → B, then back
      scrub.value = String(Math.round((phase <= 1 ? phase : 2 - phase) * 100) / 100);
      show();
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
  });
  scrub.addEventListener("input", () => {
    stop();
    show();
  });
  keep.addEventListener("click", () => {
    stop();
    const s = Number(scrub.value);
    host.loadPoint(s === 0 ? a.point() : s === 1 ? b.point() : pointFromLatent(latentAt(s), host.directions.length, a.point().seed));
  });
  for (const picker of [a, b]) {
    picker.select.addEventListener("change", () => {
      stop();
      ends = null;
      drawStrip();
    });
  }
  host.onChange((what) => {
    if (what === "favourites") {
      a.refresh();
      b.refresh();
    }
    if (what === "favourites" || a.usesCurrent() || b.usesCurrent()) {
      ends = null;
      drawStrip();
    }
  });
  drawStrip();
  return {
    element,
    idle: async () => {
      await drawStrip.idle();
      await queue.idle();
    },
    dispose() {
      stop();
      queue.close();
      drawStrip.cancel();
      stripToken += 1;
    },
  };
}

export function arithmeticPanel(host: StudioHost): Panel {
  const size = host.generator.imageSize;
  const pickers = [pointPicker(host, "A", 0, 3), pointPicker(host, "B", 1, 3), pointPicker(host, "C", 2, 3)];
  const result = pixelCanvas(size, "result", "Result of A − B + C");
  const use = h("button", { type: "button", class: "secondary", text: "Use as current" });
  const save = h("button", { type: "button", class: "secondary", text: "Save to favourites" });
  const norm = h("p", { class: "hint result-note" });
  const element = h("section", { class: "panel latent-arithmetic", "aria-labelledby": "latent-arith-title" },
    h("h2", { id: "latent-arith-title", text: "Arithmetic" }),
    h("p", { class: "hint", text: "Take what B has out of A and add C: A − B + C, on the latent vectors." }),
    h("div", { class: "pickers equation" }, pickers[0].element, h("span", { class: "op", text: "−" }), pickers[1].element,
      h("span", { class: "op", text: "+" }), pickers[2].element),
    h("div", { class: "result-row" }, h("span", { class: "op", text: "=" }), result, h("div", { class: "result-actions" }, use, save, norm)));

  let current: { point: LatentPoint; rgba: Uint8ClampedArray } | null = null;
  let token = 0;
  const compute = visibleDebouncedTask(element, async () => {
    const mine = ++token;
    try {
      const [za, zb, zc] = pickers.map((p) => composeLatent(p.point(), host.directions));
      const point = pointFromLatent(analogy(za, zb, zc), host.directions.length, pickers[0].point().seed);
      const latent = composeLatent(point, host.directions);
      const rgba = await host.generator.render(latent);
      if (mine !== token) return;
      drawPixels(result, rgba);
      current = { point, rgba };
      let sum = 0;
      for (const v of latent) sum += v * v;
      norm.textContent = `‖result‖ = ${Math.sqrt(sum).toFixed(1)} (a typical sample: ${Math.sqrt(latent.length).toFixed(1)})`;
      element.dataset.computed = String(mine);
    } catch (error) {
      host.error((error as Error).message);
    }
  }, 250);
  use.addEventListener("click", () => current && host.loadPoint(current.point));
  save.addEventListener("click", () => current && host.saveFavourite(current.point, current.rgba));
  for (const p of pickers) p.select.addEventListener("change", compute);
  host.onChange((what) => {
    if (what === "favourites") pickers.forEach((p) => p.refresh());
    if (what === "favourites" || pickers.some((p) => p.usesCurrent())) compute();
  });
  compute();
  return {
    element,
    idle: compute.idle,
    dispose() {
      compute.cancel();
      token += 1;
    },
  };
}
