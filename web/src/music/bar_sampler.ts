// The bar-aware sampler as a SamplingConstraint for the character generator (poems/generator.ts):
// before every step the ABC grammar (grammar.ts) says which characters of the vocabulary may come
// next, as training/music/sampler.py does; on top, the studio's length in bars: the tune may not
// end before it, its last bar closes with a section bar line (|], ||, :|) and writing stops there.
// Without the mask (the toggle off) only the length rule counts bars. Pure: no DOM, no tensors.
import type { SamplingConstraint } from "../poems/generator";
import { perform } from "./abc_events";
import { AbcState } from "./grammar";

export interface TuneRules {
  /** Mask what the grammar refuses (the bar-aware sampler); false: only count bars. */
  barAware: boolean;
  /** Stop once the tune (primer included) has this many bars. */
  untilBars: number;
}

const FINAL_BAR_CHARS = "]|";

export class TuneConstraint implements SamplingConstraint {
  /** What has been written after the primer. */
  written = "";
  /** Steps where the grammar and the model disagreed about every character, or the grammar was dropped. */
  fallbacks = 0;
  /** Why writing stopped: the tune's own end (a blank line), the length in bars, or not yet. */
  ended: "tune" | "bars" | null = null;
  private state: AbcState | null;
  private barsSoFar = 0;

  constructor(
    private readonly chars: readonly string[],
    readonly primer: string,
    readonly rules: TuneRules,
  ) {
    // Throws GrammarError when the primer (header and first bar) is not ABC the grammar accepts.
    this.state = rules.barAware ? new AbcState().feed(primer) : null;
    this.barsSoFar = perform(primer).bars;
  }

  /** Whether the grammar is still masking (false after a fallback, or with the mask off). */
  get masking(): boolean {
    return this.state !== null;
  }

  get bars(): number {
    return this.state ? Math.max(this.state.bars, this.barsSoFar) : this.barsSoFar;
  }

  allowed(): Uint8Array | null {
    const state = this.state;
    if (!state) return null;
    const grammar = new Uint8Array(this.chars.length);
    const mask = new Uint8Array(this.chars.length);
    let allowed = 0;
    let preferred = 0;
    const lastBar = state.bars >= this.rules.untilBars - 1 && state.barTicks > 0;
    for (let i = 0; i < this.chars.length; i++) {
      const c = this.chars[i];
      const next = state.advance(c);
      if (!next) continue;
      grammar[i] = 1;
      allowed += 1;
      if (next.mode === "end" && next.bars < this.rules.untilBars) continue; // not before the length in bars
      // The last bar closes with a section bar line: after its "|" only "]" or "|" may follow.
      if (lastBar && state.mode === "bar" && state.text === "|" && !FINAL_BAR_CHARS.includes(c)) continue;
      mask[i] = 1;
      preferred += 1;
    }
    if (preferred) return mask;
    if (allowed) return grammar; // (the length rules give way to the grammar: a tie into the next bar, say)
    this.fallbacks += 1;
    this.dropGrammar();
    return null;
  }

  accept(id: number): boolean {
    const c = this.chars[id] ?? "";
    this.written += c;
    if (this.state) {
      const next = this.state.advance(c);
      if (next) this.state = next;
      else {
        this.fallbacks += 1;
        this.dropGrammar();
      }
    }
    if (this.state) {
      if (this.state.mode === "end") return this.stop("tune");
      // The bar line that closes the last bar is complete once the next character begins.
      if (this.state.bars >= this.rules.untilBars) return this.stop("bars", true);
      return true;
    }
    if ((this.primer.slice(-1) + this.written).endsWith("\n\n")) return this.stop("tune");
    if (c === "|" || c === ":" || c === "]") this.barsSoFar = perform(this.primer + this.written).bars;
    else if (this.barsSoFar >= this.rules.untilBars) return this.stop("bars", true);
    return true;
  }

  private dropGrammar(): void {
    this.state = null;
    this.barsSoFar = perform(this.primer + this.written).bars;
  }

  private stop(why: "tune" | "bars", dropLast = false): boolean {
    this.ended = why;
    // The character that told us the bar line was over belongs to the next bar: leave it out.
    if (dropLast) this.written = this.written.slice(0, -1);
    this.written = this.written.replace(/\n+$/, "");
    return false;
  }
}
