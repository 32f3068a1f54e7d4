// The service worker's precache manifest (web/src/offline/sw.ts): every file a build wrote to
// web/dist, as URL paths, and a version that changes whenever any of them does.
// Used by web/build.mjs; pure apart from the `read` callback, so web/test checks it.
import { createHash } from "node:crypto";

/** Never precached: compressed variants (the browser gets the decoded file) and the worker itself. */
export const NOT_PRECACHED = [/\.(br|gz)$/, /^sw\.js$/, /(^|\/)\./];

/** URL paths for files relative to dist ("index.html" is "/"), sorted, skipped ones left out. */
export function precacheFiles(relativePaths) {
  const files = relativePaths
    .map((p) => p.split("\\").join("/"))
    .filter((p) => !NOT_PRECACHED.some((re) => re.test(p)))
    .map((p) => (p === "index.html" ? "/" : `/${p}`));
  return [...new Set(files)].sort();
}

/** { version, files }: the version is a hash of every precached path and its bytes. */
export function precacheManifest(relativePaths, read) {
  const files = precacheFiles(relativePaths);
  const hash = createHash("sha256");
  for (const url of files) {
    const bytes = read(url === "/" ? "index.html" : url.slice(1));
    hash.update(`${url}\0${createHash("sha256").update(bytes).digest("hex")}\n`);
  }
  return { version: hash.digest("hex").slice(0, 16), files };
}
