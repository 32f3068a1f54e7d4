// What every studio module provides to the shell, and what the registry says about it.
import type { BackendInfo } from "./backend";

export interface StudioContext {
  backend: () => BackendInfo;
}

export interface StudioView {
  /** Builds the studio inside `root`. */
  mount(root: HTMLElement, ctx: StudioContext): Promise<void> | void;
  /** Stops work and frees tensors when the visitor leaves the route. */
  unmount(): void;
}

/** A page of the app: its hash route, its title, and its code (a chunk of its own, loaded on first visit). */
export interface RouteEntry {
  /** `#/<route>` opens it. */
  route: string;
  /** The navigation label, the page's heading and the document title. */
  title: string;
  load(): Promise<{ view: StudioView }>;
}

/** A studio: a route whose models the catalogue lists under `id` (card.studio). */
export interface StudioEntry extends RouteEntry {
  id: string;
}
