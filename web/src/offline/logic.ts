// Offline use: the pure parts shared by the service worker (sw.ts), the page side (register.ts)
// and the Models page (storage_panel.ts): cache names, which request goes where, which cached
// model file is still good, and what is stored per model. No DOM, no Cache API: Node tests it.

/** The app shell's cache is named after the build (the precache manifest's version). */
export const SHELL_PREFIX = "muza-shell-";
/** Model files, verified against their card's sha256 before they are stored. */
export const MODELS_CACHE = "muza-models-v1";
/** The catalogue (/api/models), fetched network-first; the copy is used offline. */
export const DATA_CACHE = "muza-data-v1";
/** Every cache Muza owns starts with this; others on the origin are left alone. */
export const OWN_PREFIX = "muza-";
export const CATALOGUE_URL = "/api/models";
export const MODELS_PREFIX = "/models/";
/** The header a stored model file carries: the sha256 it was verified against. */
export const SHA_HEADER = "x-muza-sha256";

export interface Precache {
  /** Changes whenever any precached file does (a hash of the names and index.html). */
  version: string;
  /** URL paths, "/" being index.html. */
  files: string[];
}

export interface FileEntry {
  sha256: string;
  bytes: number;
}

/** The part of a model card offline use needs. */
export interface CardFiles {
  studio: string;
  name: string;
  title: string;
  base_url: string;
  files: Record<string, FileEntry>;
}

export function shellCacheName(version: string): string {
  return SHELL_PREFIX + version;
}

/** Caches to delete when a worker for `version` activates: our own, other than the current ones. */
export function cachesToDelete(names: readonly string[], version: string): string[] {
  const keep = new Set([shellCacheName(version), MODELS_CACHE, DATA_CACHE]);
  return names.filter((n) => n.startsWith(OWN_PREFIX) && !keep.has(n));
}

export interface ModelFile {
  card: CardFiles;
  file: string;
  expected: FileEntry;
}

/** The card and file a URL path names, if a card lists it. */
export function modelFileOf(pathname: string, cards: readonly CardFiles[]): ModelFile | null {
  if (!pathname.startsWith(MODELS_PREFIX)) return null;
  for (const card of cards) {
    if (!pathname.startsWith(card.base_url)) continue;
    let file: string;
    try {
      file = decodeURIComponent(pathname.slice(card.base_url.length));
    } catch {
      return null;
    }
    const expected = Object.prototype.hasOwnProperty.call(card.files, file) ? card.files[file] : undefined;
    if (expected) return { card, file, expected };
  }
  return null;
}

export type Route = "navigation" | "shell" | "catalogue" | "model" | "network" | "ignore";

/** What the worker does with a request: which strategy, or nothing at all (`ignore`). */
export function routeOf(
  request: { method: string; mode: string; url: string },
  origin: string,
  precached: ReadonlySet<string>,
): Route {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== origin) return "ignore";
  if (request.mode === "navigate") return "navigation";
  if (url.pathname === CATALOGUE_URL) return "catalogue";
  if (url.pathname.startsWith(MODELS_PREFIX)) return "model";
  if (precached.has(url.pathname) && !url.search) return "shell";
  return "network";
}

/** A stored file is served only if it is what the card says now (size, then sha256). */
export function matchesCard(expected: FileEntry, bytes: number, sha256: string): boolean {
  return bytes === expected.bytes && sha256 === expected.sha256;
}

/** Stored model paths no card lists any more, or stored under another checksum than the card's. */
export function staleModelEntries(entries: readonly { path: string; sha256: string | null }[], cards: readonly CardFiles[]): string[] {
  return entries.filter(({ path, sha256 }) => {
    const found = modelFileOf(path, cards);
    return !found || (sha256 !== null && sha256 !== found.expected.sha256);
  }).map((e) => e.path);
}

export interface StoredModel {
  card: CardFiles;
  /** Paths of this model's files that are stored. */
  paths: string[];
  /** Files the card lists. */
  total: number;
  /** Bytes of the stored files (by the card's sizes). */
  bytes: number;
}

/** Per card, which of its files are stored (paths as the cache holds them); cards with none are left out. */
export function storedModels(cards: readonly CardFiles[], storedPaths: Iterable<string>): StoredModel[] {
  const byCard = new Map<CardFiles, { paths: string[]; files: Set<string> }>();
  for (const path of storedPaths) {
    const found = modelFileOf(path, cards);
    if (!found) continue;
    const entry = byCard.get(found.card) ?? { paths: [], files: new Set<string>() };
    if (entry.files.has(found.file)) continue;
    entry.paths.push(path);
    entry.files.add(found.file);
    byCard.set(found.card, entry);
  }
  return cards.filter((card) => byCard.has(card)).map((card) => {
    const { paths, files } = byCard.get(card)!;
    const bytes = [...files].reduce((sum, f) => sum + card.files[f].bytes, 0);
    return { card, paths, total: Object.keys(card.files).length, bytes };
  });
}

/** Lower-case hex of a digest. */
export function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}
