// The favourites grid: thumbnails to open, each removable.
import { h } from "../ui/dom";
import type { StudioHost } from "./host";

export function favouritesPanel(host: StudioHost): HTMLElement {
  const list = h("ul", { class: "favourites", "aria-label": "Favourites" });
  const empty = h("p", { class: "empty", text: "No favourites yet: press “Save favourite” to keep the current image here (in this browser only)." });
  const panel = h("section", { class: "panel latent-favourites", "aria-labelledby": "latent-fav-title" },
    h("h2", { id: "latent-fav-title", text: "Favourites" }), empty, list);

  const refresh = () => {
    const items = host.favourites.list();
    empty.hidden = items.length > 0;
    list.replaceChildren(
      ...items.map((fav) => {
        const open = h("button", { type: "button", class: "favourite-open", title: `Open ${fav.name}` },
          h("img", { src: fav.thumbnail, alt: "", width: 64, height: 64 }), h("span", { text: fav.name }));
        open.addEventListener("click", () => {
          try {
            host.loadPoint(host.decode(fav.code));
          } catch (error) {
            host.error((error as Error).message);
          }
        });
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
