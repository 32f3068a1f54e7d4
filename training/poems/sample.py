"""Sampling from a character model in Python: the reference sampler (temperature, top-k,
top-p), the stateful step runner the export's parity checks use, and the `sample` command."""
from __future__ import annotations

import sys

import numpy as np

from training.kit import runs
from training.kit.machine import set_threads
from training.poems.model import architecture, load_model_dir, resolve_model_path, step_model_from

DEFAULT_SEED_TEXT = "\n"


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, np.float64) / max(temperature, 1e-6)
    z -= z.max()
    p = np.exp(z)
    return p / p.sum()


def filter_probs(p: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    p = np.array(p, np.float64)
    if top_k and 0 < top_k < len(p):
        cutoff = np.sort(p)[-top_k]
        p[p < cutoff] = 0.0
    if 0.0 < top_p < 1.0:
        order = np.argsort(-p)
        cum = np.cumsum(p[order])
        keep = order[: int(np.searchsorted(cum, top_p * cum[-1])) + 1]
        mask = np.zeros_like(p, bool)
        mask[keep] = True
        p[~mask] = 0.0
    return p / p.sum()


class StepRunner:
    """Drives a stateful one-step model from Python (reference sampler, parity fixtures)."""

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self._step = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def reset(self):
        self.model.reset_states()

    def step(self, char_id: int) -> np.ndarray:
        return self._step(np.array([[char_id]], np.int32)).numpy()[0]

    def prime(self, ids: list[int]) -> np.ndarray:
        self.reset()
        logits = None
        for i in ids:
            logits = self.step(i)
        return logits

    def distributions(self, ids: list[int]) -> np.ndarray:
        """The next-character distribution after each of `ids`, fed one at a time from a reset state."""
        self.reset()
        return np.stack([softmax(self.step(i)) for i in ids])

    def greedy(self, ids: list[int], chars: list[str], length: int) -> str:
        """The likeliest continuation of `ids`, `length` characters long."""
        out, logits = [], self.prime(ids)
        for _ in range(length):
            nxt = int(np.argmax(logits))
            out.append(chars[nxt])
            logits = self.step(nxt)
        return "".join(out)


def generate(runner: StepRunner, chars: list[str], seed_text: str, length: int = 400, temperature: float = 0.8,
             top_k: int = 0, top_p: float = 1.0, rng: np.random.Generator | None = None) -> tuple[str, list[str]]:
    """Sample `length` characters after `seed_text`; returns (text, unknown seed characters skipped)."""
    rng = rng or np.random.default_rng()
    index = {c: i for i, c in enumerate(chars)}
    unknown = sorted({c for c in seed_text if c not in index})
    ids = [index[c] for c in seed_text if c in index] or [index.get("\n", 0)]
    logits = runner.prime(ids)
    out = []
    for _ in range(length):
        p = filter_probs(softmax(logits, temperature), top_k, top_p)
        nxt = int(rng.choice(len(p), p=p))
        out.append(chars[nxt])
        logits = runner.step(nxt)
    return "".join(out), unknown


def sample(args, studio: str) -> int:
    """Generate text from a run (its best weights) or an exported model."""
    if args.model:
        path = resolve_model_path(args.model, studio, args.runs_dir)
    else:
        path = runs.existing_run(studio, args.name, args.runs_dir)
    set_threads(args.threads, args.deterministic)  # after the checks above: they need no TensorFlow
    config, weights = load_model_dir(path)
    runner = StepRunner(step_model_from(weights, architecture(config), len(config["chars"])))
    text, unknown = generate(runner, config["chars"], args.seed, args.length, args.temperature, args.top_k, args.top_p,
                             np.random.default_rng(args.rng_seed))
    if unknown:
        print(f"note: characters not in the vocabulary were skipped: {''.join(unknown)!r}", file=sys.stderr)
    print(args.seed + text)
    return 0
