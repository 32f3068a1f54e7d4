"""Held-out loss of a character model, two ways (`Scorer` imports TensorFlow).

* **windowed** (`val_loss`, the figure that is compared): the held-out text in consecutive
  non-overlapping windows of the training sequence length, each read from a zero LSTM state
  (batches.score_windows; the last window is shorter, so every target is scored once);
* **stateful**: the whole held-out text read as one stream, the state carried from the
  first character to the last (as the browser generates).

Both are the mean cross-entropy in nats over every target of the held-out text (characters
1 to N-1, each predicted from the held-out characters before it), dropout off; bits are
nats / ln 2. `METHODS` says so in the card's words.
"""
from __future__ import annotations

import numpy as np

from training.poems.batches import score_windows
from training.poems.model import zero_states

STREAM_CHUNK = 4096  # characters per call of the stateful pass (the state is carried between calls)


def windowed_method(seq_len: int) -> str:
    return (f"consecutive non-overlapping windows of {seq_len} characters (the training sequence length; the "
            "last one shorter), each read from a zero LSTM state")


STATEFUL_METHOD = "the whole held-out text read as one stream, the LSTM state carried from its first character to its last"


class Scorer:
    """Cross-entropy sums of a carry model (build_model(carry=True)) over held-out ids."""

    def __init__(self, model, layers: int, units: int, seq_len: int, batch: int = 256):
        import tensorflow as tf

        self.model, self.layers, self.units, self.seq_len, self.batch = model, layers, units, seq_len, batch

        def ce_sum(x, y, states):
            logits, *new_states = model([x, *states], training=False)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
            return tf.reduce_sum(tf.cast(ce, tf.float64)), new_states

        self._ce_sum = tf.function(ce_sum, reduce_retracing=True)

    def windowed(self, ids) -> float:
        """Mean nats per target over windows of the training length (see the module doc)."""
        total, count = 0.0, 0
        for x, y in score_windows(np.asarray(ids, np.int32), self.seq_len):
            for i in range(0, len(x), self.batch):
                xb, yb = x[i:i + self.batch], y[i:i + self.batch]
                s, _ = self._ce_sum(xb, yb, zero_states(self.layers, self.units, len(xb)))
                total, count = total + float(s), count + yb.size
        return total / count if count else float("nan")

    def stateful(self, ids) -> float:
        """Mean nats per target with the state carried through the whole text."""
        ids = np.asarray(ids, np.int32)
        states, total, n = zero_states(self.layers, self.units, 1), 0.0, len(ids) - 1
        for i in range(0, n, STREAM_CHUNK):
            end = min(i + STREAM_CHUNK, n)
            s, states = self._ce_sum(ids[None, i:end], ids[None, i + 1:end + 1], states)
            total += float(s)
        return total / n if n > 0 else float("nan")
