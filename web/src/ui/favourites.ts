// Favourites of a studio (a share code and a thumbnail each), kept in this browser
// (localStorage), one list per studio and model.

export interface Favourite {
  id: string;
  name: string;
  /** The studio's share code of the favourite (the latent studio's encodePoint, the backgrounds' URL parameters). */
  code: string;
  /** A small PNG data: URL of the image, so the list shows without running the model. */
  thumbnail: string;
  created: string;
}

const LIMIT = 60;

export class FavouriteStore {
  private readonly key: string;
  private items: Favourite[];

  constructor(modelKey: string, studio = "latent") {
    this.key = `muza.${studio}.favourites.${modelKey}`;
    this.items = this.read();
  }

  list(): Favourite[] {
    return [...this.items];
  }

  get(id: string): Favourite | undefined {
    return this.items.find((f) => f.id === id);
  }

  /** Adds a favourite; returns it, or throws if the browser refuses to store it. */
  add(name: string, code: string, thumbnail: string): Favourite {
    const favourite: Favourite = { id: newId(), name, code, thumbnail, created: new Date().toISOString() };
    const next = [...this.items, favourite].slice(-LIMIT);
    this.write(next);
    this.items = next;
    return favourite;
  }

  remove(id: string): void {
    const next = this.items.filter((f) => f.id !== id);
    this.write(next);
    this.items = next;
  }

  nextName(): string {
    let n = this.items.length + 1;
    const names = new Set(this.items.map((f) => f.name));
    while (names.has(`Favourite ${n}`)) n += 1;
    return `Favourite ${n}`;
  }

  private read(): Favourite[] {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.key) ?? "[]");
      return Array.isArray(parsed) ? parsed.filter(isFavourite) : [];
    } catch {
      return [];
    }
  }

  private write(items: Favourite[]): void {
    try {
      localStorage.setItem(this.key, JSON.stringify(items));
    } catch (error) {
      throw new Error(`This browser would not store the favourite (${(error as Error).name}).`);
    }
  }
}

function isFavourite(value: unknown): value is Favourite {
  const f = value as Favourite;
  return typeof f === "object" && f !== null && typeof f.id === "string" && typeof f.code === "string" && typeof f.name === "string";
}

function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
}
