// A model's alphabet (vocab.json): character <-> id, with the normalisation the
// trainer used. Pure TypeScript, no tensors.

export interface VocabJson {
  chars: string[];
  normalization?: string;
}

export interface EncodedText {
  ids: number[];
  /** Distinct characters that are not in the alphabet (skipped), in order of appearance. */
  unknown: string[];
  /** The normalised text with the unknown characters removed. */
  kept: string;
}

export class Vocabulary {
  readonly chars: readonly string[];
  readonly normalization: "NFC" | "NFD" | "NFKC" | "NFKD" | null;
  private readonly index = new Map<string, number>();

  constructor(json: VocabJson) {
    if (!Array.isArray(json.chars) || json.chars.length < 2) throw new Error("vocab.json: `chars` must list at least two characters");
    this.chars = json.chars;
    const norm = json.normalization ?? null;
    if (norm !== null && !["NFC", "NFD", "NFKC", "NFKD"].includes(norm)) throw new Error(`vocab.json: unknown normalization ${norm}`);
    this.normalization = norm as Vocabulary["normalization"];
    json.chars.forEach((c, i) => {
      if (this.index.has(c)) throw new Error(`vocab.json: character ${JSON.stringify(c)} is listed twice`);
      this.index.set(c, i);
    });
  }

  get size(): number {
    return this.chars.length;
  }

  normalize(text: string): string {
    return this.normalization ? text.normalize(this.normalization) : text;
  }

  has(char: string): boolean {
    return this.index.has(char);
  }

  id(char: string): number | undefined {
    return this.index.get(char);
  }

  /** Normalises, then maps characters (code points, so emoji stay whole) to ids, skipping unknown ones. */
  encode(text: string): EncodedText {
    const ids: number[] = [];
    const unknown: string[] = [];
    let kept = "";
    for (const char of this.normalize(text)) {
      const id = this.index.get(char);
      if (id === undefined) {
        if (!unknown.includes(char)) unknown.push(char);
      } else {
        ids.push(id);
        kept += char;
      }
    }
    return { ids, unknown, kept };
  }

  decode(ids: ArrayLike<number>): string {
    let out = "";
    for (let i = 0; i < ids.length; i++) out += this.chars[ids[i]] ?? "";
    return out;
  }

  /** The id to prime with when the seed has no usable character: a newline if there is one. */
  get fallbackId(): number {
    return this.index.get("\n") ?? 0;
  }
}

/** How a character is shown in lists (next-character view, unknown-character notice). */
export function visibleChar(char: string): string {
  if (char === " ") return "␣ space";
  if (char === "\n") return "↵ new line";
  if (char === "\t") return "⇥ tab";
  const code = char.codePointAt(0) ?? 0;
  if (code < 32 || (code >= 0x7f && code < 0xa0)) return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (/\p{M}/u.test(char) || /\s/u.test(char)) return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return char;
}
