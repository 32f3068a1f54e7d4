// Muza shell: backend choice and badge, hash routes and navigation from the studio
// registry (studios.ts), loading and mounting a route's chunk.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "./styles.css";
import { chooseBackend, configureWasmThreads, isBackendName, watchContextLoss, type BackendInfo } from "./backend";
import { badgeText } from "./renderer";
import { fetchCatalogue, loadGraphModel, loadLayersModel, fetchModelJson } from "./models";
import { offlineSettled, registerOffline } from "./offline/register";
import type { RouteEntry, StudioView } from "./studio";
import { ROUTES, STUDIOS } from "./studios";
import { exposeForTests } from "./test_hooks";
import { h } from "./ui/dom";

const DEFAULT_ROUTE = ROUTES[0];

const badge = document.getElementById("backend-badge") as HTMLElement;
const main = document.getElementById("main") as HTMLElement;
let backend: BackendInfo;
let current: StudioView | null = null;
let mountToken = 0;

(document.getElementById("studio-nav") as HTMLElement).replaceChildren(
  ...STUDIOS.map((s) => h("li", {}, h("a", { href: `#/${s.route}`, "data-route": s.route, text: s.title }))),
);

function showBackend(info: BackendInfo): void {
  backend = info;
  badge.textContent = badgeText(info);
  badge.dataset.backend = info.name;
  badge.title = info.renderer ? `WebGL renderer: ${info.renderer}` : "No WebGL renderer";
}

function currentRoute(): RouteEntry {
  const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return ROUTES.find((r) => r.route === name) ?? DEFAULT_ROUTE;
}

async function render(): Promise<void> {
  const route = currentRoute();
  const token = ++mountToken;
  current?.unmount();
  current = null;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("a[data-route]")) {
    if (link.dataset.route === route.route) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${route.title} · Muza`;
  const root = document.createElement("section");
  root.className = `studio studio-${route.route}`;
  root.dataset.studio = route.route;
  main.replaceChildren(root);
  let view: StudioView;
  try {
    view = (await route.load()).view;
  } catch (error) {
    if (token === mountToken) root.append(h("p", { class: "message error", role: "alert", text: `The ${route.title} page could not be loaded: ${(error as Error).message}` }));
    return;
  }
  if (token !== mountToken) return; // the visitor moved on while the chunk downloaded
  current = view;
  await view.mount(root, { backend: () => backend });
  if (token === mountToken) root.dataset.ready = "true";
}

async function boot(): Promise<BackendInfo> {
  const params = new URLSearchParams(location.search);
  const requested = params.get("backend");
  configureWasmThreads(params.get("threads"));
  const info = await chooseBackend(isBackendName(requested) ? requested : null);
  showBackend(info);
  watchContextLoss(showBackend);
  window.addEventListener("hashchange", () => {
    void render();
    main.focus({ preventScroll: true });
  });
  await render();
  return info;
}

const ready = boot().catch((error: Error) => {
  badge.textContent = `No backend: ${error.message}`;
  badge.dataset.backend = "none";
  throw error;
});

// Offline use (offline/sw.ts) starts once the first route is up, so that it never delays it.
const offline = ready.then(registerOffline, registerOffline).catch((error: Error) => console.warn(`Offline use unavailable: ${error.message}`));

const shellHooks = { tf, ready, offline: { ready: offline, settled: offlineSettled }, fetchCatalogue, loadLayersModel, loadGraphModel, fetchModelJson, backend: () => backend };
for (const [name, value] of Object.entries(shellHooks)) exposeForTests(name, value);
