"""The training step of the character trainer on a tf.distribute strategy, and the LSTM state
it carries from one batch to the next (this module imports TensorFlow).

`Replicated` holds the carry model (model.build_model(carry=True)), its Adam optimizer and the
step function. The global batch's rows are split between the replicas in order (replica r
reads rows [r * B/R, (r + 1) * B/R)), so every batch row — every stream of `batches.py` —
stays on the same replica, which keeps that row's LSTM state. The state after a step is the
initial state of the next (`--carry`), or zero for every batch (`--no-carry`); `reset()`
zeroes it at the start of each epoch. `carried()` / `restore()` read and write it as arrays
by global replica id: the trainer saves them beside each checkpoint, so a resumed run starts
its next batch from the state the uninterrupted run had.

The loss is the mean cross-entropy over every character of the global batch (each replica
sums its characters' losses and divides by the global count; the optimizer adds the
replicas' gradients), clipped to `--clip` global norm after that sum when set.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from training.kit.errors import UserError
from training.poems.model import architecture, build_model, zero_states


def make_optimizer(config: dict):
    """Adam; with `weight_decay` > 0 AdamW, whose decoupled decay (var -= lr x decay x var each step, so it
    follows the learning-rate schedule) shrinks the kernels and the embedding but not the biases."""
    clip = config.get("clip") or None
    decay = config.get("weight_decay") or 0.0
    if not decay:
        return keras.optimizers.Adam(config["lr"], global_clipnorm=clip)
    optimizer = keras.optimizers.AdamW(config["lr"], weight_decay=decay, global_clipnorm=clip)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


class Replicated:
    """The carry model, its optimizer and the training step on `strategy`."""

    def __init__(self, strategy, config: dict, vocab: int):
        self.strategy, self.layers, self.units, self.batch = strategy, config["layers"], config["units"], config["batch"]
        replicas = strategy.num_replicas_in_sync
        if self.batch % replicas:
            raise UserError(f"--batch {self.batch} must be a multiple of the {replicas} replicas")
        self.per_replica = self.batch // replicas
        with strategy.scope():
            self.model = build_model(vocab, **architecture(config), carry=True, kernel=config.get("lstm_kernel", "keras"))
            self.optimizer = make_optimizer(config)
            self.optimizer.build(self.model.trainable_variables)
        ids = strategy.experimental_distribute_values_from_function(lambda ctx: tf.constant(ctx.replica_id_in_sync_group))
        self.replica_ids = [int(v) for v in strategy.experimental_local_results(ids)]
        self._step = tf.function(self._distributed_step)
        self.states = None
        self.reset()

    def distribute(self, rows: np.ndarray):
        """A global-batch array as each replica's rows."""
        per = self.per_replica
        return self.strategy.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(rows[ctx.replica_id_in_sync_group * per:(ctx.replica_id_in_sync_group + 1) * per]))

    def reset(self) -> None:
        """Zero LSTM state for every row (the start of an epoch, or every batch without carry)."""
        self.states = [self.distribute(z) for z in zero_states(self.layers, self.units, self.batch)]

    def _distributed_step(self, x, y, states):
        model, optimizer, replicas = self.model, self.optimizer, float(self.strategy.num_replicas_in_sync)

        def replica_step(x, y, states):
            with tf.GradientTape() as tape:
                logits, *new_states = model([x, *states], training=True)
                total = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
                loss = total / (tf.cast(tf.size(y), tf.float32) * replicas)  # mean over the global batch
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return total, new_states

        totals, new_states = self.strategy.run(replica_step, args=(x, y, states))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, totals, axis=None), new_states

    def train(self, x: np.ndarray, y: np.ndarray, lr: float, carry: bool, cold: np.ndarray | None = None) -> float:
        """One optimizer step on the global batch (x, y) [B, T]; the batch's mean loss in nats. `cold`
        [B] bool: rows that start from a zero state instead of the carried one (`--reset-rows`)."""
        self.optimizer.learning_rate = lr
        if not carry:
            self.reset()
        elif cold is not None and cold.any():
            keep = self.distribute((~cold).astype(np.float32)[:, None])
            self.states = [self.strategy.run(tf.multiply, args=(state, keep)) for state in self.states]
        total, new_states = self._step(self.distribute(x), self.distribute(y), self.states)
        self.states = list(new_states)
        return float(total) / x.size

    def carried(self) -> dict[str, np.ndarray]:
        """The carried state of this worker's replicas: {"<replica id>/<k>": [B/R, units]}."""
        out = {}
        for k, state in enumerate(self.states):
            for rid, value in zip(self.replica_ids, self.strategy.experimental_local_results(state)):
                out[f"{rid}/{k}"] = np.asarray(value)
        return out

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.states = [self.strategy.experimental_distribute_values_from_function(
            lambda ctx, k=k: tf.constant(arrays[f"{ctx.replica_id_in_sync_group}/{k}"]))
            for k in range(2 * self.layers)]

