"""The batches a character model trains on and the windows it is scored on (no TensorFlow here).

**Streams (the default, `--carry`).** Truncated back-propagation through time, as char-rnn
does: the training text is cut into `batch` contiguous streams, one per batch row; batch
`k` of an epoch holds the `k`-th piece of `seq_len` characters of every stream, so row `b`
of batch `k + 1` continues row `b` of batch `k` and the trainer carries the LSTM state from
one batch to the next. Each epoch starts the streams at its own phase (a seeded offset in
`[0, seq_len)`, a function of (seed, epoch)) and from a zero state; every epoch has the
same number of batches (`stream_steps`).

**Windows (`--no-carry`).** Every window of `seq_len` characters starts from a zero state:
the epoch's windows in a seeded random order (`epoch_windows`).

**Scoring.** `score_windows` cuts the held-out text into consecutive non-overlapping
windows of `seq_len` inputs that together predict *every* target of the text (characters 1
to N-1 from the characters before them), the last window shorter; the stateful figure
reads the whole held-out text as one stream (`evaluate.py`).
"""
from __future__ import annotations

import numpy as np

from training.poems.corpus import CorpusError


def _windows(ids: np.ndarray, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    win = ids[starts[:, None] + np.arange(length + 1)[None, :]]
    return win[:, :-1].astype(np.int32), win[:, 1:].astype(np.int32)


def epoch_phase(n_ids: int, seq_len: int, rng: np.random.Generator) -> int:
    return int(rng.integers(0, seq_len)) if n_ids > 2 * (seq_len + 1) else 0


def _too_short(n_ids: int, what: str) -> CorpusError:
    return CorpusError(f"the training text has {n_ids:,} characters, too few for {what}; "
                       "lower --batch or --seq-len")


# ---------------------------------------------------------------- streams (state carried)
def stream_steps(n_ids: int, batch: int, seq_len: int) -> int:
    """Batches per epoch of `batch` streams of `seq_len`-character pieces: the same for every
    epoch whatever its phase (the streams are as long as the largest phase allows)."""
    steps = stream_length(n_ids, batch, seq_len) // seq_len
    if steps < 1:
        raise _too_short(n_ids, f"{batch} streams of at least --seq-len {seq_len} characters")
    return steps


def stream_length(n_ids: int, batch: int, seq_len: int) -> int:
    largest_phase = seq_len - 1 if n_ids > 2 * (seq_len + 1) else 0
    return max(0, (n_ids - 1 - largest_phase) // batch)


def stream_batch(ids: np.ndarray, batch: int, seq_len: int, seed: int, epoch: int, step: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets [batch, seq_len] of batch `step` of 0-based `epoch`: row b is piece
    `step` of stream b. A function of (seed, epoch, step) only, so a resumed run reads the
    batches the uninterrupted run would have read."""
    offset = epoch_phase(len(ids), seq_len, np.random.default_rng([seed, epoch]))
    length = stream_length(len(ids), batch, seq_len)
    starts = offset + np.arange(batch) * length + step * seq_len
    return _windows(ids, starts, seq_len)


# ---------------------------------------------------------------- windows (state reset)
def windows_per_epoch(n_ids: int, seq_len: int) -> int:
    """Training windows every epoch has at least (whatever its phase): the number of batches
    per epoch is counted from it, so no epoch runs short of batches."""
    largest_phase = seq_len - 1 if n_ids > 2 * (seq_len + 1) else 0
    n = (n_ids - 1 - largest_phase) // seq_len
    if n < 1:
        raise _too_short(n_ids, f"one window of --seq-len {seq_len} + 1")
    return n


def window_steps(n_ids: int, batch: int, seq_len: int) -> int:
    steps = windows_per_epoch(n_ids, seq_len) // batch
    if steps < 1:
        raise _too_short(n_ids, f"one batch of {batch} windows of --seq-len {seq_len}")
    return steps


def epoch_windows(ids: np.ndarray, seq_len: int, seed: int, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Input/target windows for one epoch: a random phase and a shuffled order, both a function of (seed, epoch).

    Because the order depends only on (seed, epoch), a resumed run sees exactly the
    batches the uninterrupted run would have seen.
    """
    rng = np.random.default_rng([seed, epoch])
    offset = epoch_phase(len(ids), seq_len, rng)
    n = (len(ids) - 1 - offset) // seq_len
    if n < 1:
        raise _too_short(len(ids), f"one window of --seq-len {seq_len} + 1")
    starts = offset + np.arange(n) * seq_len
    return _windows(ids, starts[rng.permutation(n)], seq_len)


# ---------------------------------------------------------------- held-out scoring
def score_windows(ids: np.ndarray, seq_len: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The held-out text as consecutive non-overlapping windows of `seq_len` inputs, each read
    from a zero state: [(inputs [K, seq_len], targets [K, seq_len]), (inputs [1, r], targets [1, r])]
    (the second only when a shorter last window remains). Together they score every target
    of the text once: len(ids) - 1 characters."""
    ids = np.asarray(ids, np.int32)
    n_targets = len(ids) - 1
    if n_targets < 1:
        return []
    full = n_targets // seq_len
    out = [_windows(ids, np.arange(full) * seq_len, seq_len)] if full else []
    rest = n_targets - full * seq_len
    if rest:
        out.append(_windows(ids, np.array([full * seq_len]), rest))
    return out
