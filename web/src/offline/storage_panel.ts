// The Models page's "Stored for offline use" section: which models the service worker holds,
// how much space they take, the quota left (navigator.storage.estimate()), a Remove button each.
import { fetchCatalogue } from "../models";
import { formatBytes, h } from "../ui/dom";
import { MODELS_CACHE, storedModels, type StoredModel } from "./logic";
import { STORED_EVENT } from "./register";

async function storedPaths(): Promise<string[]> {
  const cache = await caches.open(MODELS_CACHE);
  return (await cache.keys()).map((r) => new URL(r.url).pathname);
}

async function quotaText(): Promise<string> {
  const estimate = await navigator.storage?.estimate?.().catch(() => null);
  if (!estimate || estimate.quota === undefined) return "This browser does not say how much space is left.";
  const usage = estimate.usage ?? 0;
  const persisted = await navigator.storage.persisted?.().catch(() => false);
  return `Muza uses ${formatBytes(usage)} of ${formatBytes(estimate.quota)} this browser allows it; ` +
    `${formatBytes(Math.max(0, estimate.quota - usage))} left. ` +
    (persisted ? "Storage is persistent: the browser keeps it under pressure." : "Storage is not persistent: the browser may clear it when space runs low.");
}

function modelItem(stored: StoredModel, onRemove: () => void): HTMLElement {
  const { card } = stored;
  const complete = stored.paths.length === stored.total;
  const remove = h("button", { type: "button", class: "secondary remove-offline", text: "Remove" });
  remove.addEventListener("click", async () => {
    remove.disabled = true;
    const cache = await caches.open(MODELS_CACHE);
    for (const path of stored.paths) await cache.delete(path);
    onRemove();
  });
  return h("li", { class: "offline-model", "data-model": `${card.studio}/${card.name}`, "data-bytes": stored.bytes },
    h("span", { text: `${card.title} (${card.studio}): ${formatBytes(stored.bytes)}, ${stored.paths.length} of ${stored.total} files${complete ? "" : " (the rest are stored when a studio uses them)"}` }),
    " ", remove);
}

/** Appends the section to the Models page and keeps it current after a Remove. */
export async function renderOfflineStorage(root: HTMLElement): Promise<void> {
  const section = h("section", { class: "offline-storage", "aria-labelledby": "offline-storage-title" });
  root.append(section);
  async function render(): Promise<void> {
    const title = h("h2", { id: "offline-storage-title", text: "Stored for offline use" });
    if (typeof caches === "undefined" || !("serviceWorker" in navigator)) {
      section.replaceChildren(title, h("p", { class: "empty", text: "This browser cannot keep Muza for offline use (no service workers or Cache API here)." }));
      return;
    }
    let stored: StoredModel[];
    try {
      stored = storedModels((await fetchCatalogue()).models, await storedPaths());
    } catch (error) {
      section.replaceChildren(title, h("p", { class: "message error", role: "alert", text: `Stored models unavailable: ${(error as Error).message}` }));
      return;
    }
    const total = stored.reduce((sum, s) => sum + s.bytes, 0);
    section.replaceChildren(
      title,
      h("p", { text: "Muza keeps its pages and every model you load, checked against the model card, so that the studios work without a network." }),
      h("p", { class: "offline-quota", text: await quotaText() }),
      stored.length
        ? h("ul", { class: "offline-models", "aria-label": "Models stored for offline use", "data-total-bytes": total },
          ...stored.map((s) => modelItem(s, () => void render())))
        : h("p", { class: "empty offline-none", text: "No model is stored yet: open a studio and its model is kept." }),
    );
    section.dataset.ready = "true";
  }
  // "Load and check" above stores a model too: show it once the worker has it.
  const onStored = () => {
    if (section.isConnected) void render();
    else window.removeEventListener(STORED_EVENT, onStored);
  };
  window.addEventListener(STORED_EVENT, onStored);
  await render();
}
