// Writing one tune with a character generator (poems/generator.ts): prime with the header (and
// what is written so far), then stream characters through the bar-aware constraint until the
// length in bars or the tune's own end. No DOM.
import type { CharGenerator } from "../poems/generator";
import type { SamplingOptions } from "../poems/sampling";
import type { Vocabulary } from "../poems/vocab";
import { TuneConstraint, type TuneRules } from "./bar_sampler";

export interface TuneRequest {
  primer: string;
  rules: TuneRules;
  sampling: SamplingOptions;
  seed: number;
  signal?: AbortSignal;
  /** After each chunk: everything written so far (after the primer). */
  onText?: (written: string, constraint: TuneConstraint) => void;
}

export interface TuneResult {
  /** What the model wrote after the primer (trailing line breaks removed). */
  written: string;
  stopped: boolean;
  ended: "tune" | "bars" | "length" | "stopped";
  bars: number;
  fallbacks: number;
  /** Whether the grammar still masked at the end (false with the mask off or after a fallback). */
  masking: boolean;
  ms: number;
  msPerChar: number;
  /** The longest stretch of main-thread work the generator did between yields. */
  longestSyncMs: number;
  seed: number;
}

/** Characters allowed per bar before writing gives up on reaching the length in bars. */
const CHARS_PER_BAR = 64;

/** The primer's characters that the model does not know (they would be skipped). */
export function unknownChars(vocab: Vocabulary, text: string): string[] {
  return vocab.encode(text).unknown;
}

export async function writeTune(generator: CharGenerator, request: TuneRequest): Promise<TuneResult> {
  const vocab = generator.vocab;
  // Throws a GrammarError when the bar-aware sampler is on and the primer is not ABC it accepts.
  const constraint = new TuneConstraint(vocab.chars, request.primer, request.rules);
  await generator.prime(request.primer, request.signal);
  const result = await generator.generate({
    ...request.sampling,
    length: CHARS_PER_BAR * Math.max(1, request.rules.untilBars - constraint.bars) + 64,
    seed: request.seed,
    signal: request.signal,
    constraint,
    // The constraint's text is what counts (it leaves out the character after the last bar line).
    onChunk: () => request.onText?.(constraint.written, constraint),
  });
  return {
    written: constraint.written,
    stopped: result.stopped,
    ended: result.stopped ? "stopped" : constraint.ended ?? "length",
    bars: constraint.bars,
    fallbacks: constraint.fallbacks,
    masking: constraint.masking,
    ms: result.ms,
    msPerChar: result.msPerChar,
    longestSyncMs: result.longestSyncMs,
    seed: result.seed,
  };
}
