// Muza shell: backend choice and badge, hash routes, studio mounting.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "./styles.css";
import { badgeText, chooseBackend, configureWasmThreads, isBackendName, watchContextLoss, type BackendInfo } from "./backend";
import { fetchCatalogue, loadGraphModel, loadLayersModel, fetchModelJson } from "./models";
import type { StudioView } from "./studio";
import { view as poems } from "./poems/index";
import { view as style } from "./style/index";
import { view as latent } from "./latent/index";
import { view as models } from "./models_page";

const ROUTES: Record<string, StudioView> = { poems, style, latent, models };
const DEFAULT_ROUTE = "poems";

const badge = document.getElementById("backend-badge") as HTMLElement;
const main = document.getElementById("main") as HTMLElement;
let backend: BackendInfo;
let current: StudioView | null = null;
let mountToken = 0;

function showBackend(info: BackendInfo): void {
  backend = info;
  badge.textContent = badgeText(info);
  badge.dataset.backend = info.name;
  badge.title = info.renderer ? `WebGL renderer: ${info.renderer}` : "No WebGL renderer";
}

function routeName(): string {
  const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return name in ROUTES ? name : DEFAULT_ROUTE;
}

async function render(): Promise<void> {
  const name = routeName();
  const token = ++mountToken;
  current?.unmount();
  current = ROUTES[name];
  for (const link of document.querySelectorAll<HTMLAnchorElement>("a[data-route]")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · Muza`;
  const root = document.createElement("section");
  root.className = `studio studio-${name}`;
  root.dataset.studio = name;
  main.replaceChildren(root);
  await current.mount(root, { backend: () => backend });
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

// For the console, the end-to-end tests and the benchmarks.
Object.assign(window, {
  muza: { tf, ready, fetchCatalogue, loadLayersModel, loadGraphModel, fetchModelJson, backend: () => backend },
});
