// The model catalogue for people: each studio's models (the studios' pickers), and the
// #/models page that shows every card in full with a "load and check" action.
import * as tf from "@tensorflow/tfjs";
import { formatBytes, h } from "./dom";
import { ProgressBar, messageBox } from "./progress";
import { fetchCatalogue, loadAndCheck, totalBytes, type Catalogue, type ModelCard } from "../models";
import { STUDIOS } from "../studios";

/** What a verified model load says, everywhere a model is loaded from the catalogue. */
export function loadedText(parameters?: number): string {
  return `Loaded on ${tf.getBackend().toUpperCase()}${parameters !== undefined ? `: ${parameters.toLocaleString("en")} parameters` : ""}, checksums verified.`;
}

function number(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en");
  return Math.abs(value) >= 100 ? value.toFixed(1) : Math.abs(value) >= 0.01 ? value.toFixed(3) : value.toPrecision(3);
}

/** The card's numeric metrics (lists and histories left to the JSON), as "name: value" lines; the
 * Models page and the studios' "about" panels share it. */
export function metricLines(card: ModelCard): string[] {
  return Object.entries(card.metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === "number")
    .map(([key, value]) => `${key.replaceAll("_", " ")}: ${number(value)}`);
}

function duration(seconds: unknown): string | null {
  if (typeof seconds !== "number") return null;
  return seconds >= 5400 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`;
}

function fact(term: string, ...value: (Node | string | null)[]): HTMLElement[] {
  return value.some((v) => v) ? [h("dt", { text: term }), h("dd", {}, ...value)] : [];
}

/** One model card, in full: what it learnt from, how long, how good, and the command that reproduces it. */
export function cardDetails(card: ModelCard): HTMLElement {
  const t = card.training;
  const size = formatBytes(totalBytes(card));
  const run = [
    t.epochs !== undefined ? `${number(t.epochs)} epochs` : null,
    t.steps !== undefined ? `${number(t.steps)} steps` : null,
    duration(t.wall_time_s),
    t.date ? `finished ${t.date}` : null,
  ].filter(Boolean).join(" · ");
  const metrics = metricLines(card);
  return h("dl", { class: "card-facts" },
    ...fact("Model", [card.parameters ? `${card.parameters.toLocaleString("en")} parameters` : null, `${size} (${card.weights_dtype ?? "float32"} weights)`, `tfjs ${card.format} model`].filter(Boolean).join(" · ")),
    ...fact("Data", [t.dataset, typeof t.dataset_licence === "string" ? `Licence: ${t.dataset_licence}` : null].filter(Boolean).join(". ")),
    ...fact("Training", run),
    ...fact("Hardware", typeof t.hardware === "string" ? t.hardware : null),
    ...fact("Metrics", metrics.length ? h("ul", { class: "metric-list" }, ...metrics.map((m) => h("li", { text: m }))) : null),
    ...fact("Command", h("pre", { class: "command" }, h("code", { text: t.command }))),
    ...fact("Credits", card.credits ?? null),
    ...fact("Files", h("a", { href: `${card.base_url}card.json`, text: "card.json" }), ` · ${Object.keys(card.files).length} files, sha256-checked on load`),
  );
}

/** Every studio's models with their full cards and a "load and check" action (the #/models page). */
export async function renderCatalogue(root: HTMLElement): Promise<void> {
  let catalogue: Catalogue;
  try {
    catalogue = await fetchCatalogue();
  } catch (error) {
    root.append(h("p", { class: "message error", role: "alert", text: (error as Error).message }));
    return;
  }
  if (catalogue.invalid.length) {
    root.append(h("div", { class: "message error", role: "alert" },
      h("p", { text: `${catalogue.invalid.length} model folder${catalogue.invalid.length === 1 ? " was" : "s were"} skipped because their card is invalid:` }),
      h("ul", {}, ...catalogue.invalid.map((bad) => h("li", { text: `${bad.path}: ${bad.error}` })))));
  }
  for (const studio of STUDIOS) {
    const cards = catalogue.models.filter((card) => card.studio === studio.id);
    const section = h("section", { class: "catalogue-studio", "data-studio-models": studio.id },
      h("h2", {}, `${studio.title} `, h("a", { href: `#/${studio.route}`, class: "open-studio", text: "open the studio →" })));
    root.append(section);
    if (!cards.length) {
      section.append(h("p", { class: "empty", text: "No models exported for this studio yet. Train one with the command in the README." }));
      continue;
    }
    const list = h("ul", { class: "model-list wide", "aria-label": `${studio.title} models` });
    section.append(list);
    for (const card of cards) list.append(catalogueEntry(card));
  }
}

function catalogueEntry(card: ModelCard): HTMLElement {
  const progress = ProgressBar.download(card.title);
  const message = messageBox();
  const button = h("button", { type: "button", class: "secondary", text: `Load and check (${formatBytes(totalBytes(card))})` });
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.clear();
    try {
      message.info(loadedText(await loadAndCheck(card, (loaded, total) => progress.bytes(loaded, total))));
    } catch (error) {
      message.error((error as Error).message);
    } finally {
      button.disabled = false;
    }
  });
  return h("li", { class: "model-card", "data-model": `${card.studio}/${card.name}` },
    h("h3", { text: card.title }),
    h("p", { text: card.description }),
    cardDetails(card),
    button,
    progress.element,
    message.element);
}
