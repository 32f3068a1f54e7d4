// Lists a studio's models from the catalogue, each with a "load and check" action.
// Studios without their own UI yet show this; the others reuse it for their picker info.
import * as tf from "@tensorflow/tfjs";
import { formatBytes, h } from "./dom";
import { ProgressBar, messageBox } from "./progress";
import { loadGraphModel, loadLayersModel, modelsFor, totalBytes, type ModelCard, type Studio } from "../models";

export function metricSummary(card: ModelCard): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(card.metrics)) {
    if (typeof value === "number") parts.push(`${key.replaceAll("_", " ")}: ${Number.isInteger(value) ? value : value.toFixed(3)}`);
    if (parts.length >= 4) break;
  }
  return parts.join(" · ");
}

/** A studio's models from the catalogue, or a notice to show instead (an error, or `noneText`). */
export async function studioModels(studio: Studio, noneText: string): Promise<ModelCard[] | HTMLElement> {
  try {
    const cards = await modelsFor(studio);
    return cards.length ? cards : h("p", { class: "empty", text: noneText });
  } catch (error) {
    return h("p", { class: "message error", role: "alert", text: (error as Error).message });
  }
}

export async function renderCatalogueList(root: HTMLElement, studio: Studio): Promise<void> {
  const list = h("ul", { class: "model-list", "aria-label": `${studio} models` });
  root.append(list);
  const cards = await studioModels(studio, "No models exported for this studio yet. Train one with the command in the README.");
  if (cards instanceof HTMLElement) {
    list.replaceWith(cards);
    return;
  }
  for (const card of cards) {
    const progress = new ProgressBar(`Loading ${card.title}`, `Downloaded ${card.title}`);
    const message = messageBox();
    const button = h("button", { type: "button", text: `Load and check (${formatBytes(totalBytes(card))})` });
    button.addEventListener("click", async () => {
      button.disabled = true;
      message.clear();
      try {
        const load = card.format === "graph" ? loadGraphModel : loadLayersModel;
        const model = await load(card, card.entry, (loaded, total) => progress.bytes(loaded, total));
        const params = "countParams" in model ? (model as tf.LayersModel).countParams() : undefined;
        message.info(`Loaded on ${tf.getBackend()}${params !== undefined ? `: ${params.toLocaleString()} parameters` : ""}, checksums verified.`);
        model.dispose();
      } catch (error) {
        message.error((error as Error).message);
      } finally {
        button.disabled = false;
      }
    });
    list.append(
      h(
        "li",
        { class: "model-card", "data-model": `${card.studio}/${card.name}` },
        h("h3", { text: card.title }),
        h("p", { text: card.description }),
        h("p", { class: "meta", text: [card.training.dataset, metricSummary(card)].filter(Boolean).join(" · ") }),
        card.credits ? h("p", { class: "credits", text: card.credits }) : null,
        button,
        progress.element,
        message.element,
      ),
    );
  }
}
