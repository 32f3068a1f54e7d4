// The page side of offline use: registers /sw.js, asks for persistent storage, and hands the
// worker the model files the page loaded before the worker controlled it (a first visit), so
// that every model the visitor loaded is stored for offline use.

/** Dispatched on window after the worker stored files the page handed it. */
export const STORED_EVENT = "muza:offline-stored";

const pending = new Set<string>();
let flushing: Promise<void> = Promise.resolve();
let registered = false;

function supported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator && typeof caches !== "undefined";
}

/** Called by models.ts for every model file it fetched and checked. */
export function noteModelFile(url: string): void {
  if (!supported()) return;
  // Also when the page is controlled: the fetch may have started before the worker took over,
  // and for a file it stored already the worker only checks its copy.
  pending.add(new URL(url, location.href).pathname);
  if (registered) scheduleFlush();
}

function scheduleFlush(): void {
  flushing = flushing.then(flush, flush);
}

async function flush(): Promise<void> {
  const controller = navigator.serviceWorker.controller;
  if (!controller || !pending.size) return;
  const paths = [...pending];
  pending.clear();
  const channel = new MessageChannel();
  const reply = new Promise<void>((resolve) => {
    channel.port1.onmessage = () => resolve();
  });
  controller.postMessage({ type: "store", paths }, [channel.port2]);
  await reply;
  window.dispatchEvent(new Event(STORED_EVENT));
}

/** Registers the worker; resolves once it controls the page and holds what the page loaded. */
export async function registerOffline(): Promise<void> {
  if (!supported()) return;
  navigator.serviceWorker.addEventListener("controllerchange", scheduleFlush);
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  registered = true;
  void navigator.storage?.persist?.().catch(() => false);
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener("controllerchange", () => resolve(), { once: true }));
  }
  scheduleFlush();
  await flushing;
}

/** Resolves when every model file noted so far has been handed to the worker and stored. */
export async function offlineSettled(): Promise<void> {
  await flushing;
  if (pending.size && navigator.serviceWorker.controller) {
    scheduleFlush();
    await flushing;
  }
}
