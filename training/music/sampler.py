"""Writing tunes with a character model, with or without the bar-aware mask (Python reference of
what the browser does).

One tune: the header (`X:1`, `T:`, `M:`, `L:`, [`Q:`], `K:`) is the primer; then, one character
at a time: logits -> softmax at the temperature -> (bar-aware) zero every character that
`grammar.AbcState.advance` refuses and renormalise -> top-k / top-p on what is left -> draw.
The tune ends at a blank line (the corpus separates tunes by one) or at `max_chars`.

When the mask leaves nothing (the model and the grammar disagree about every character; rare),
or the drawn character is refused after all, the sampler counts a *fallback*, draws from the
unmasked distribution and stops masking that tune.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.music.grammar import AbcState
from training.poems.sample import filter_probs, softmax

END = "\n\n"


@dataclass
class Written:
    text: str  # header + music, ending with one newline
    chars: int  # characters the model wrote
    ended: bool  # reached the blank line that ends a tune (not max_chars)
    fallbacks: int = 0  # steps where the mask had to be dropped


def write_tune(runner, chars: list[str], header: str, rng: np.random.Generator, bar_aware: bool = True,
               temperature: float = 0.8, top_k: int = 0, top_p: float = 1.0, max_chars: int = 1500) -> Written:
    """One tune after `header`. `runner` has prime(ids) -> logits and step(id) -> logits (a
    stateful one-step model, as in the browser)."""
    index = {c: i for i, c in enumerate(chars)}
    state = AbcState().feed(header) if bar_aware else None
    logits = runner.prime([index[c] for c in header])
    out: list[str] = []
    fallbacks = 0
    while len(out) < max_chars:
        p = softmax(logits, temperature)
        if state is not None:
            allowed = np.array(state.allowed(chars))
            if p[allowed].sum() > 0:
                p = np.where(allowed, p, 0.0)
                p /= p.sum()
            else:
                fallbacks, state = fallbacks + 1, None
        p = filter_probs(p, top_k, top_p)
        c = chars[int(rng.choice(len(p), p=p))]
        out.append(c)
        if state is not None:
            state = state.advance(c)
            fallbacks += state is None
        last_two = (out[-2] if len(out) > 1 else header[-1:]) + c
        if last_two == END:  # (with a working mask, only where the grammar allows a tune to end)
            ended = True
            break
        logits = runner.step(index[c])
    else:
        ended = False
    text = (header + "".join(out)).rstrip("\n") + "\n"
    return Written(text=text, chars=len(out), ended=ended, fallbacks=fallbacks)


def write_tunes(runner, chars: list[str], headers: list[str], seed: int, bar_aware: bool, **kwargs) -> list[Written]:
    """One tune per header, each with its own random generator (seeded by (seed, index))."""
    return [write_tune(runner, chars, h, np.random.default_rng([seed, i]), bar_aware=bar_aware, **kwargs)
            for i, h in enumerate(headers)]


def sample(args) -> int:
    """`python -m training music sample`: one tune after `--seed` (a header), printed."""
    import sys
    from pathlib import Path

    from training.kit import runs
    from training.kit.errors import UserError
    from training.kit.machine import set_threads
    from training.music.metrics import abc2midi_errors
    from training.poems.model import architecture, load_model_dir, resolve_model_path, step_model_from
    from training.poems.sample import StepRunner

    path = (resolve_model_path(args.model, "music", args.runs_dir) if args.model
            else runs.existing_run("music", args.name, args.runs_dir))
    header = args.seed if args.seed.endswith("\n") else args.seed + "\n"
    set_threads(args.threads, args.deterministic)
    config, weights = load_model_dir(path)
    chars = config["chars"]
    unknown = sorted({c for c in header if c not in chars})
    if unknown:
        raise UserError(f"the header has characters the model does not know: {''.join(unknown)!r}")
    if args.bar_aware:
        try:
            AbcState().feed(header)
        except ValueError as err:
            raise UserError(f"the header is not one the bar-aware grammar accepts: {err}") from None
    runner = StepRunner(step_model_from(weights, architecture(config), len(chars)))
    written = write_tune(runner, chars, header, np.random.default_rng(args.rng_seed), bar_aware=args.bar_aware,
                         temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, max_chars=args.length)
    print(written.text, end="")
    print(f"note: {written.chars} characters, {'ended' if written.ended else f'stopped at --length {args.length}'}"
          + (f", {written.fallbacks} mask fallback(s)" if written.fallbacks else ""), file=sys.stderr)
    if args.midi:
        errors = abc2midi_errors(written.text, midi=Path(args.midi).resolve())
        print(f"MIDI: {args.midi}" if not errors else "abc2midi: " + "; ".join(errors), file=sys.stderr)
    return 0
