// Latent studio (placeholder until its issue fills it): lists its models from the catalogue.
import { h } from "../ui/dom";
import { renderCatalogueList } from "../ui/catalogue_list";
import type { StudioView } from "../studio";

export const view: StudioView = {
  async mount(root) {
    root.append(h("h1", { text: "Latent" }), h("p", { class: "lead", text: "Steer a GAN with latent sliders." }));
    await renderCatalogueList(root, "latent");
  },
  unmount() {},
};
