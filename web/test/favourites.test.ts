import { test } from "node:test";
import assert from "node:assert/strict";
import { FavouriteStore } from "../src/ui/favourites";

class MemoryStorage {
  readonly items = new Map<string, string>();
  full = false;
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw Object.assign(new Error("quota"), { name: "QuotaExceededError" });
    this.items.set(key, value);
  }
}
const storage = new MemoryStorage();
Object.assign(globalThis, { localStorage: storage });

test("favourites are kept per model and survive a new store", () => {
  const store = new FavouriteStore("emoji");
  const fav = store.add(store.nextName(), "CODE1", "data:image/png;base64,AAAA");
  assert.equal(fav.name, "Favourite 1");
  assert.match(fav.id, /^[0-9a-f]{12}$/);
  assert.deepEqual(JSON.parse(storage.getItem("muza.latent.favourites.emoji") ?? "[]").map((f: { code: string }) => f.code), ["CODE1"]);
  assert.deepEqual(new FavouriteStore("emoji").list().map((f) => f.code), ["CODE1"]);
  assert.deepEqual(new FavouriteStore("faces").list(), []);
});

test("names skip ones in use; removing frees a slot", () => {
  const store = new FavouriteStore("names");
  const a = store.add("Favourite 2", "A", "");
  assert.equal(store.nextName(), "Favourite 3"); // 2 is taken
  store.add(store.nextName(), "B", "");
  store.remove(a.id);
  assert.deepEqual(store.list().map((f) => f.name), ["Favourite 3"]);
  assert.equal(store.nextName(), "Favourite 2");
  assert.equal(store.get(a.id), undefined);
});

test("at most 60 are kept, the oldest dropped first", () => {
  const store = new FavouriteStore("many");
  for (let i = 0; i < 65; i++) store.add(`f${i}`, `C${i}`, "");
  const codes = store.list().map((f) => f.code);
  assert.equal(codes.length, 60);
  assert.equal(codes[0], "C5");
  assert.equal(codes[59], "C64");
});

test("a full storage refuses with a message and keeps the list as it was", () => {
  const store = new FavouriteStore("full");
  store.add("one", "X", "");
  storage.full = true;
  try {
    assert.throws(() => store.add("two", "Y", ""), /would not store the favourite \(QuotaExceededError\)/);
    assert.deepEqual(store.list().map((f) => f.name), ["one"]);
  } finally {
    storage.full = false;
  }
});

test("damaged stored data reads as no favourites, and bad entries are skipped", () => {
  storage.setItem("muza.latent.favourites.broken", "{not json");
  assert.deepEqual(new FavouriteStore("broken").list(), []);
  storage.setItem("muza.latent.favourites.mixed", JSON.stringify([{ id: "1", name: "ok", code: "C" }, { id: 2 }, null, "x"]));
  assert.deepEqual(new FavouriteStore("mixed").list().map((f) => f.name), ["ok"]);
});
