// The studio registry: the one list the shell (routes, navigation) and the Models page read.
// Adding a studio is one entry here plus its folder (see docs/adding-a-studio.md). Each
// `load` is a dynamic import, so each studio is a chunk of its own, fetched when its route opens.
import type { RouteEntry, StudioEntry } from "./studio";

export const STUDIOS = [
  { id: "poems", route: "poems", title: "Poems", load: () => import("./poems/index") },
  { id: "style", route: "style", title: "Style", load: () => import("./style/index") },
  { id: "latent", route: "latent", title: "Latent", load: () => import("./latent/index") },
  { id: "backgrounds", route: "backgrounds", title: "Backgrounds", load: () => import("./backgrounds/index") },
  { id: "music", route: "music", title: "Music", load: () => import("./music/index") },
] as const satisfies readonly StudioEntry[];

/** A studio's id, as model cards name it (`card.studio`). */
export type StudioId = (typeof STUDIOS)[number]["id"];

/** The footer's Models page: every studio's model cards. */
export const MODELS_PAGE: RouteEntry = { route: "models", title: "Models", load: () => import("./models_page") };

/** Every route the shell knows; the first is the default. */
export const ROUTES: readonly RouteEntry[] = [...STUDIOS, MODELS_PAGE];
