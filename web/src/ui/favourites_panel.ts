// The favourites grid: thumbnails to open, each removable.
import { h } from "./dom";
import type { FavouriteStore } from "./favourites";

/** What the panel needs from its studio. */
export interface FavouritesHost {
  readonly favourites: FavouriteStore;
  /** Makes the favourite with this share code current (reporting a damaged code itself). */
  openFavourite(code: string): void;
  removeFavourite(id: string): void;
  /** Called by the studio whenever its favourites (or its current image) change. */
  onChange(listener: (what: "favourites" | "current") => void): void;
}

/** The panel: `<prefix>-favourites` section, thumbnails `thumbSize` px. */
export function favouritesPanel(host: FavouritesHost, prefix = "latent", thumbSize = 64): HTMLElement {
  const list = h("ul", { class: "favourites", "aria-label": "Favourites" });
  const empty = h("p", { class: "empty", text: "No favourites yet: press “Save favourite” to keep the current image here (in this browser only)." });
  const panel = h("section", { class: `panel ${prefix}-favourites`, "aria-labelledby": `${prefix}-fav-title` },
    h("h2", { id: `${prefix}-fav-title`, text: "Favourites" }), empty, list);

  const refresh = () => {
    const items = host.favourites.list();
    empty.hidden = items.length > 0;
    list.replaceChildren(
      ...items.map((fav) => {
        const open = h("button", { type: "button", class: "favourite-open", title: `Open ${fav.name}` },
          h("img", { src: fav.thumbnail, alt: "", width: thumbSize, height: thumbSize }), h("span", { text: fav.name }));
        open.addEventListener("click", () => host.openFavourite(fav.code));
        const remove = h("button", { type: "button", class: "favourite-remove", "aria-label": `Remove ${fav.name}`, title: "Remove", text: "×" });
        remove.addEventListener("click", () => {
          host.removeFavourite(fav.id);
        });
        return h("li", { "data-favourite": fav.id }, open, remove);
      }),
    );
  };
  host.onChange((what) => {
    if (what === "favourites") refresh();
  });
  refresh();
  return panel;
}
