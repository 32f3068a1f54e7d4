// Poems studio (placeholder until its issue fills it): lists its models from the catalogue.
import { h } from "../ui/dom";
import { renderCatalogueList } from "../ui/catalogue_list";
import type { StudioView } from "../studio";

export const view: StudioView = {
  async mount(root) {
    root.append(h("h1", { text: "Poems" }), h("p", { class: "lead", text: "Write poems with a character-level LSTM that streams one character at a time." }));
    await renderCatalogueList(root, "poems");
  },
  unmount() {},
};
