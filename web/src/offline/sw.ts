// Muza's service worker, built by web/build.mjs to /sw.js (a fixed name, served no-cache) with
// the build's precache manifest compiled in. It keeps the app shell (index.html, the JS and CSS
// chunks, the WASM binaries and the WASM threads' worker script and glue, icons and samples: every
// file the build wrote) in a cache named after the build, and every model file the visitor loaded
// in MODELS_CACHE, each verified against its card's sha256 before it is stored and again before it
// is served. The catalogue is fetched network-first, so a card whose checksum changed makes the
// next request for that file refetch it.
import {
  CATALOGUE_URL, DATA_CACHE, MODELS_CACHE, SHA_HEADER, cachesToDelete, hex, matchesCard, modelFileOf,
  routeOf, shellCacheName, staleModelEntries, type CardFiles, type ModelFile, type Precache,
} from "./logic";

declare const __PRECACHE__: Precache;

// The few ServiceWorkerGlobalScope members used here (the DOM lib has no worker scope types).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response> | Response): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;
  addEventListener(type: "message", listener: (event: ExtendableMessageEvent) => void): void;
}

const worker = self as unknown as WorkerScope;
const SHELL = shellCacheName(__PRECACHE__.version);
const PRECACHED = new Set(__PRECACHE__.files);
const ORIGIN = worker.location.origin;

worker.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(__PRECACHE__.files.map((f) => new Request(f, { cache: "no-cache" })));
    // The catalogue too: a first visit's own request for it went past this worker.
    await catalogueResponse().catch(() => undefined);
    await worker.skipWaiting();
  })());
});

worker.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of cachesToDelete(await caches.keys(), __PRECACHE__.version)) await caches.delete(name);
    await worker.clients.claim();
  })());
});

worker.addEventListener("fetch", (event) => {
  const route = routeOf(event.request, ORIGIN, PRECACHED);
  if (route === "ignore") return;
  const path = new URL(event.request.url).pathname;
  if (route === "navigation") event.respondWith(navigation(event.request));
  else if (route === "shell") event.respondWith(shellFile(event.request, path));
  else if (route === "catalogue") event.respondWith(catalogueResponse());
  else if (route === "model") event.respondWith(modelResponse(event.request, path));
  else event.respondWith(networkThenCache(event.request));
});

// The page asks for files it loaded before this worker controlled it: {type: "store", paths}.
worker.addEventListener("message", (event) => {
  const data = event.data as { type?: string; paths?: unknown } | null;
  const port = event.ports[0];
  if (data?.type !== "store" || !Array.isArray(data.paths)) return;
  event.waitUntil((async () => {
    const results: Record<string, boolean> = {};
    for (const path of data.paths as string[]) {
      try {
        const response = await modelResponse(new Request(path), new URL(path, ORIGIN).pathname);
        results[path] = response.ok && response.headers.has(SHA_HEADER);
      } catch {
        results[path] = false;
      }
    }
    port?.postMessage(results);
  })());
});

async function navigation(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match("/", { cacheName: SHELL });
    if (cached) return cached;
    throw error;
  }
}

async function shellFile(request: Request, path: string): Promise<Response> {
  const cached = await caches.match(path, { cacheName: SHELL });
  return cached ?? fetch(request);
}

async function networkThenCache(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(request);
    if (cached) return cached;
    throw error;
  }
}

// ---------------------------------------------------------------- the catalogue, network-first
let latestCards: CardFiles[] | null = null;

async function catalogueResponse(): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(CATALOGUE_URL, { cache: "no-cache" });
  } catch (error) {
    const cached = await caches.match(CATALOGUE_URL, { cacheName: DATA_CACHE });
    if (cached) return cached;
    throw error;
  }
  if (response.ok) {
    const forCache = response.clone();
    try {
      latestCards = ((await response.clone().json()) as { models: CardFiles[] }).models;
      await (await caches.open(DATA_CACHE)).put(CATALOGUE_URL, forCache);
      await pruneModels(latestCards);
    } catch {
      // a catalogue we cannot read is passed on as it is; the page reports it
    }
  }
  return response;
}

/** The newest cards this worker knows: from memory, the stored catalogue, or the network. */
async function currentCards(): Promise<CardFiles[]> {
  if (latestCards) return latestCards;
  const cached = await caches.match(CATALOGUE_URL, { cacheName: DATA_CACHE });
  if (cached) return ((await cached.json()) as { models: CardFiles[] }).models;
  await catalogueResponse();
  return latestCards ?? [];
}

/** Drops stored files that no card lists, or that a card now lists under another checksum. */
async function pruneModels(cards: CardFiles[]): Promise<void> {
  const cache = await caches.open(MODELS_CACHE);
  const entries = [];
  for (const request of await cache.keys()) {
    const stored = await cache.match(request);
    entries.push({ path: new URL(request.url).pathname, sha256: stored?.headers.get(SHA_HEADER) ?? null });
  }
  for (const path of staleModelEntries(entries, cards)) await cache.delete(path);
}

// ---------------------------------------------------------------- model files, verified
async function sha256(bytes: ArrayBuffer): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

function fileHeaders(from: Headers, sha: string | null): Headers {
  const headers = new Headers(from);
  headers.delete("content-encoding");
  headers.delete("content-length");
  headers.delete(SHA_HEADER);
  if (sha) headers.set(SHA_HEADER, sha);
  return headers;
}

/** A stored copy if it still matches the card; else the network's, stored once it matches. */
async function modelResponse(request: Request, path: string): Promise<Response> {
  let found: ModelFile | null = null;
  try {
    found = modelFileOf(path, await currentCards());
  } catch {
    found = null;
  }
  if (!found) return fetch(request);
  const cache = await caches.open(MODELS_CACHE);
  const stored = await cache.match(path);
  if (stored) {
    const bytes = await stored.arrayBuffer();
    if (matchesCard(found.expected, bytes.byteLength, await sha256(bytes))) {
      return new Response(bytes, { status: 200, headers: fileHeaders(stored.headers, found.expected.sha256) });
    }
    await cache.delete(path); // corrupt, or the card changed: fetch it again
  }
  const response = await fetch(path, { cache: "no-cache" });
  if (!response.ok) return response;
  const bytes = await response.arrayBuffer();
  const sha = await sha256(bytes);
  if (!matchesCard(found.expected, bytes.byteLength, sha)) {
    // Not stored; the page's own check refuses it with the card's numbers.
    return new Response(bytes, { status: response.status, headers: fileHeaders(response.headers, null) });
  }
  const headers = fileHeaders(response.headers, sha);
  await cache.put(path, new Response(bytes, { status: 200, headers }));
  return new Response(bytes, { status: 200, headers });
}
