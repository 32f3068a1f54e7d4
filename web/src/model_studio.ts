// The common frame of a studio page built on one model of the catalogue: its heading and
// lead, the studio's models (or the catalogue's notice), the card to open (`#/<route>?m=NAME`,
// else a preferred name, else the first), and everything the page owns disposed when the
// visitor leaves, also when they leave while it is still loading.
import { studioModels, type ModelCard } from "./models";
import type { StudioView } from "./studio";
import type { StudioId } from "./studios";
import { h } from "./ui/dom";
import { noticeElement } from "./ui/progress";

/** The parameters after `?` in the hash route. */
export function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.split("?")[1] ?? "");
}

export interface Mount {
  /** False once the visitor has left the route. */
  readonly alive: boolean;
  /** Disposed (newest first) on unmount, and again once `open` has ended after an unmount; dispose() must be idempotent. */
  own<T extends { dispose(): void }>(thing: T): T;
  /** Called once on unmount (e.g. withdrawing test hooks). */
  onUnmount(fn: () => void): void;
}

export interface ModelStudioOptions {
  id: StudioId;
  title: string;
  lead: string;
  /** What the page says when no model of this studio is exported. */
  noneText: string;
  /** The card to open when the link names none. */
  preferred: string;
  open(root: HTMLElement, card: ModelCard, cards: ModelCard[], mount: Mount): Promise<void>;
}

class MountState implements Mount {
  alive = true;
  private readonly owned: { dispose(): void }[] = [];
  private readonly hooks: (() => void)[] = [];

  own<T extends { dispose(): void }>(thing: T): T {
    this.owned.push(thing);
    return thing;
  }

  onUnmount(fn: () => void): void {
    this.hooks.push(fn);
  }

  disposeAll(): void {
    for (const thing of [...this.owned].reverse()) thing.dispose();
  }

  unmount(): void {
    this.alive = false;
    this.disposeAll();
    for (const fn of this.hooks.splice(0)) fn();
  }
}

export function modelStudioView(options: ModelStudioOptions): StudioView {
  let mounted: MountState | null = null;
  return {
    async mount(root) {
      const state = new MountState();
      mounted = state;
      root.append(h("h1", { text: options.title }), h("p", { class: "lead", text: options.lead }));
      const cards = await studioModels(options.id, options.noneText);
      if (!Array.isArray(cards)) {
        root.append(noticeElement(cards));
        return;
      }
      const wanted = hashParams().get("m");
      const card = cards.find((c) => c.name === wanted) ?? cards.find((c) => c.name === options.preferred) ?? cards[0];
      try {
        await options.open(root, card, cards, state);
      } catch (error) {
        if (state.alive) root.append(h("p", { class: "message error", role: "alert", text: (error as Error).message }));
      }
      if (!state.alive) state.disposeAll();
    },
    unmount() {
      mounted?.unmount();
      mounted = null;
    },
  };
}

/** A "Model" picker when a studio has several cards (choosing one reopens the route with `?m=`). */
export function modelPicker(route: string, cards: ModelCard[], card: ModelCard, label: string, text = (c: ModelCard) => c.title): HTMLElement[] {
  if (cards.length < 2) return [];
  const id = `${route}-model`;
  const select = h("select", { id, "aria-label": label }, ...cards.map((c) => h("option", { value: c.name, text: text(c), selected: c.name === card.name })));
  select.addEventListener("change", () => (location.hash = `#/${route}?m=${encodeURIComponent(select.value)}`));
  return [h("label", { for: id, text: "Model" }), select];
}
