// What every studio module provides to the shell.
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
