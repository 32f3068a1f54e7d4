// Credits of a background: which textures it uses, each with its credit and licence, and the
// attribution line every CC BY texture requires. Shown under the picture and written into
// every download (PNG text chunks, JPEG comment, WebM tags). Pure.
import type { BackgroundSettings } from "./bg_state";

export interface CreditedTexture {
  id: number;
  label: string;
  credit: string;
  licence: string;
  attribution: string | null;
}

/** Textures with a share in the picture (every morph stop; blend entries above 0), in order, once each. */
export function usedTextures<T extends CreditedTexture>(settings: Pick<BackgroundSettings, "mix" | "mode">, textures: T[]): T[] {
  const ids = settings.mix.filter((e) => settings.mode === "morph" || e.weight > 0).map((e) => e.id);
  return [...new Set(ids)].map((id) => textures[id]).filter(Boolean);
}

/** "Label: credit (licence)" per texture. */
export function creditLines(used: CreditedTexture[]): string[] {
  return used.map((t) => `${t.label}: ${t.credit || "unknown author"} (${t.licence})`);
}

/** The CC BY attribution lines of the textures used (what the licence requires wherever the texture is used). */
export function attributionLines(used: CreditedTexture[]): string[] {
  return used.filter((t) => t.attribution).map((t) => t.attribution as string);
}

export interface FileCredits {
  title: string;
  modelTitle: string;
  settingsText: string;
  shareUrl: string;
}

/** Key/value text for a downloaded file: PNG keywords (Title, Author, Description, Copyright, Credits, Software, Source). */
export function metadataEntries(used: CreditedTexture[], info: FileCredits): [string, string][] {
  const attributions = attributionLines(used);
  const credits = creditLines(used);
  const copyright = attributions.length
    ? `Generated image; its textures' licences apply. CC BY attribution: ${attributions.join("; ")}`
    : `Generated image from CC0 / public-domain textures (${used.map((t) => t.licence).join(", ")}): no attribution required.`;
  return [
    ["Title", info.title],
    ["Author", `Muza Backgrounds studio (${info.modelTitle})`],
    ["Description", `A seamless background generated in the browser by a spatial GAN. ${info.settingsText}. Textures: ${credits.join("; ")}.`],
    ["Copyright", copyright],
    ["Credits", [...credits, ...attributions.map((a) => `CC BY: ${a}`)].join("\n")],
    ["Software", "Muza (TensorFlow.js)"],
    ["Source", info.shareUrl],
  ];
}
