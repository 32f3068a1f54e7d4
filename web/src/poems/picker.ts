// The model picker: one card per poems model in the catalogue (title, corpus,
// validation bits/char, size), each with a "use" button, byte progress and messages.
import { formatBytes, h } from "../ui/dom";
import { ProgressBar, messageBox } from "../ui/progress";
import { totalBytes, type ModelCard } from "../models";
import { isCharModel, poemsExtras, valBitsPerChar } from "./poet";

export interface PickerCard {
  card: ModelCard;
  element: HTMLLIElement;
  button: HTMLButtonElement;
  progress: ProgressBar;
  message: ReturnType<typeof messageBox>;
  /** A second line for problems found after the files loaded (not a char model, …). */
  notice: HTMLElement;
}

export function corpusName(card: ModelCard): string {
  return poemsExtras(card)?.corpus ?? card.training.dataset;
}

function bitsText(card: ModelCard): string | null {
  const bits = valBitsPerChar(card);
  return bits === null ? null : `${bits.toFixed(2)} bits/char on held-out text`;
}

export function renderPicker(cards: ModelCard[], onChoose: (entry: PickerCard) => void): { element: HTMLElement; entries: PickerCard[] } {
  const list = h("ul", { class: "model-list poet-list", "aria-label": "Poets" });
  const entries: PickerCard[] = [];
  for (const card of cards) {
    const extras = poemsExtras(card);
    const snapshots = extras?.snapshots?.length ?? 0;
    const facts = [
      bitsText(card),
      card.parameters ? `${card.parameters.toLocaleString("en")} parameters` : null,
      formatBytes(totalBytes(card)),
      snapshots ? `${snapshots} snapshot${snapshots === 1 ? "" : "s"}` : null,
    ].filter(Boolean);
    const progress = ProgressBar.download(card.title);
    const message = messageBox();
    const notice = h("p", { class: "notice error", role: "alert", hidden: true });
    const button = h("button", { type: "button", class: "use-poet", "aria-pressed": "false", text: isCharModel(card) ? "Use this poet" : "Load and check" });
    const element = h(
      "li",
      { class: "model-card poet-card", "data-model": `${card.studio}/${card.name}` },
      h("h3", { text: card.title }),
      h("p", { class: "corpus", text: `Corpus: ${corpusName(card)}` }),
      h("p", { class: "meta", text: facts.join(" · ") }),
      card.credits ? h("p", { class: "credits", text: card.credits }) : null,
      button,
      progress.element,
      message.element,
      notice,
    );
    const entry = { card, element, button, progress, message, notice };
    button.addEventListener("click", () => onChoose(entry));
    entries.push(entry);
    list.append(element);
  }
  return { element: list, entries };
}
