"""The Keras callback of the character trainer (this module imports TensorFlow; `train.py`
imports it only once the corpus has been checked)."""
from __future__ import annotations

import time

import tf_keras as keras

from training.kit.errors import Halted
from training.poems.train import bits


class StepCheckpoints(keras.callbacks.Callback):
    """Counts training steps inside one epoch; checkpoints mid-epoch every --checkpoint-minutes
    or --checkpoint-steps and when the session's time budget is used (then stops training);
    raises Halted for the test hook --halt-after-steps.

    `session` is the train.Session: its state, batches per epoch, budget and checkpoint."""

    def __init__(self, session, epoch: int, skip: int, prior_sum: float):
        super().__init__()
        self.session, self.epoch, self.skip, self.prior_sum = session, epoch, skip, prior_sum
        self.last_save = time.monotonic()
        self.done = skip

    def on_train_batch_end(self, batch, logs=None):
        s = self.session
        s.state["steps"] += 1
        step = self.done = self.skip + batch + 1
        partial = self.prior_sum + float(logs["loss"]) * (batch + 1)
        if step < s.n_batches and (s.checkpoint_due(self.last_save) or s.clock.exhausted()):
            s.save_checkpoint(self.epoch, step, partial)
            self.last_save = time.monotonic()
            print(f"\n[checkpoint] epoch {self.epoch + 1} step {step}/{s.n_batches}: "
                  f"train {bits(partial / step):.4f} bits/char, {s.wall():.0f} s", flush=True)
            if s.clock.exhausted():
                self.model.stop_training = True
        halt = s.args.halt_after_steps
        if halt and s.state["steps"] >= halt:
            raise Halted(f"halted after {s.state['steps']} steps (simulated kill)")
