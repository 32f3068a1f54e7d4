// #/models: every model the studios use, with its full card (data, training, metrics, command).
import { renderOfflineStorage } from "./offline/storage_panel";
import { renderCatalogue } from "./ui/catalogue_list";
import { h } from "./ui/dom";
import type { StudioView } from "./studio";

export const view: StudioView = {
  async mount(root: HTMLElement) {
    root.append(
      h("h1", { text: "Models" }),
      h("p", { class: "lead", text: "Every model the studios run, trained by Muza's own scripts. Each card says what it learnt from, for how long, how good it is, and the command that trains it again from scratch." }),
    );
    await renderCatalogue(root);
    await renderOfflineStorage(root);
  },
  unmount() {},
};
