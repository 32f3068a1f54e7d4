"""Writing tunes with a character model, with or without the bar-aware mask (Python reference of
what the browser does).

One tune: the header (`X:1`, `T:`, `M:`, `L:`, [`Q:`], `K:`) is the primer; then, one character
at a time: logits -> softmax at the temperature -> (bar-aware) zero every character that
`grammar.AbcState.advance` refuses and renormalise -> top-k / top-p on what is left -> draw.
The tune ends at a blank line (the corpus separates tunes by one) or at `max_chars`. Many tunes
are written at once, one row each of a batched copy of the one-step model (`BatchRunner`), each
row with its own state and random generator.

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


class BatchRunner:
    """A stateful one-step model rebuilt for `rows` rows (its own config with a batch of `rows`,
    the same weights): every row keeps its own LSTM state, as if each ran alone in the browser."""

    def __init__(self, step_model, rows: int):
        import json

        import tensorflow as tf
        import tf_keras as keras

        config = json.loads(step_model.to_json())
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "InputLayer":
                layer["config"]["batch_input_shape"] = [rows, 1]
        self.model = keras.models.model_from_json(json.dumps(config))
        self.model.set_weights(step_model.get_weights())
        self._step = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)

    def reset(self) -> None:
        self.model.reset_states()

    def step(self, ids: list[int]) -> np.ndarray:
        return self._step(np.array(ids, np.int32)[:, None]).numpy()


class Row:
    """One tune being written: its header, its draws, its grammar state."""

    def __init__(self, header: str, rng: np.random.Generator, bar_aware: bool):
        self.header, self.rng, self.fed = header, rng, 1  # header characters given to the model so far
        self.state = AbcState().feed(header) if bar_aware else None
        self.out: list[str] = []
        self.fallbacks, self.ended, self.done = 0, False, False

    def draw(self, logits: np.ndarray, chars: list[str], temperature: float, top_k: int, top_p: float) -> str:
        p = softmax(logits, temperature)
        if self.state is not None:
            allowed = np.array(self.state.allowed(chars))
            if p[allowed].sum() > 0:
                p = np.where(allowed, p, 0.0)
                p /= p.sum()
            else:
                self.fallbacks, self.state = self.fallbacks + 1, None
        p = filter_probs(p, top_k, top_p)
        c = chars[int(self.rng.choice(len(p), p=p))]
        if self.state is not None:
            self.state = self.state.advance(c)
            self.fallbacks += self.state is None
        self.out.append(c)
        return c

    def written(self) -> Written:
        return Written(text=(self.header + "".join(self.out)).rstrip("\n") + "\n", chars=len(self.out),
                       ended=self.ended, fallbacks=self.fallbacks)


def write_tunes(runner, chars: list[str], headers: list[str], seed: int, bar_aware: bool = True,
                temperature: float = 0.8, top_k: int = 0, top_p: float = 1.0, max_chars: int = 1500) -> list[Written]:
    """One tune after each header, the rows stepped together through `runner` (reset(), and
    step(ids) -> logits [rows, V]: a BatchRunner); row i draws with its own generator, seeded
    (seed, i), so a tune does not depend on the others."""
    index = {c: i for i, c in enumerate(chars)}
    rows = [Row(h, np.random.default_rng([seed, i]), bar_aware) for i, h in enumerate(headers)]
    runner.reset()
    ids = [index[h[0]] for h in headers]
    while not all(r.done for r in rows):
        logits = runner.step(ids)
        for i, row in enumerate(rows):
            if row.done:
                continue
            if row.fed < len(row.header):  # still reading its header
                ids[i], row.fed = index[row.header[row.fed]], row.fed + 1
                continue
            c = row.draw(logits[i], chars, temperature, top_k, top_p)
            last_two = (row.out[-2] if len(row.out) > 1 else row.header[-1]) + c
            row.ended = last_two == END  # (with a working mask, only where the grammar allows a tune to end)
            row.done = row.ended or len(row.out) >= max_chars
            ids[i] = index[c]
    return [r.written() for r in rows]


def sample(args) -> int:
    """`python -m training music sample`: one tune after `--seed` (a header), printed."""
    import sys
    from pathlib import Path

    from training.kit import runs
    from training.kit.errors import UserError
    from training.kit.machine import set_threads
    from training.music.metrics import abc2midi_errors
    from training.poems.model import architecture, load_model_dir, resolve_model_path, step_model_from

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
    runner = BatchRunner(step_model_from(weights, architecture(config), len(chars)), 1)
    seed = args.rng_seed if args.rng_seed is not None else int(np.random.default_rng().integers(2 ** 31))
    (written,) = write_tunes(runner, chars, [header], seed, bar_aware=args.bar_aware, temperature=args.temperature,
                             top_k=args.top_k, top_p=args.top_p, max_chars=args.length)
    print(written.text, end="")
    print(f"note: {written.chars} characters, {'ended' if written.ended else f'stopped at --length {args.length}'}"
          + (f", {written.fallbacks} mask fallback(s)" if written.fallbacks else ""), file=sys.stderr)
    if args.midi:
        errors = abc2midi_errors(written.text, midi=Path(args.midi).resolve())
        print(f"MIDI: {args.midi}" if not errors else "abc2midi: " + "; ".join(errors), file=sys.stderr)
    return 0
