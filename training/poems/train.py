"""The training loop of the character studios: one LSTM trainer for any corpus a reader makes
(`corpus.Reader`: poems' text files today, another studio's own notation tomorrow).

`train(args, studio, reader)` trains in `<runs>/<studio>/<name>/` (kit.runs); the studio is a
parameter, so another studio calls the same function with its own name and reader.

Training is stateless, on windows of `--seq-len` characters (corpus.epoch_windows):
Embedding -> LSTM x layers (-> Dropout) -> Dense logits. The run folder holds the
configuration, the latest checkpoint (weights + optimizer + dropout RNG + epoch/step
counters), the best-validation weights, snapshots, a CSV log, a loss curve and samples.
`--resume` continues exactly where the last checkpoint left off: the data order and the
learning rate depend only on (seed, epoch).

Distributed training: `--strategy mirrored` uses tf.distribute.MirroredStrategy over the
local devices (GPUs, or logical CPU devices); `--strategy multiworker` uses
MultiWorkerMirroredStrategy, configured by the TF_CONFIG environment variable on every
worker, e.g. for two machines

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}'   # index 1 on host2

and the same train command on both. `--batch` is the global batch. Worker 0 is the chief and
writes the run folder; the other workers write theirs into `<run>/workers/<index>` (needed by
the collective checkpoint save, then unused).
"""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from training.kit import runs
from training.kit.errors import Halted
from training.kit.files import append_csv
from training.kit.machine import hardware, is_chief, make_strategy, set_threads, worker_dir
from training.poems.corpus import CorpusError, Reader, encode, epoch_windows, val_windows, windows_per_epoch
from training.poems.model import (BEST, LAST, architecture, build_model, extend_vocab_weights, load_model_dir,
                                  save_weights_npz, set_weights_by_layer, snapshot_path, weights_by_layer)
from training.poems.run import corpus_options, open_run, read_run_corpus
from training.poems.sample import DEFAULT_SEED_TEXT, StepRunner, generate

LN2 = math.log(2.0)


def bits(nats: float) -> float:
    return float(nats) / LN2


def lr_at(config: dict, epoch: int) -> float:
    """Learning rate of 0-based `epoch`: a function of the epoch only, so resuming keeps the schedule."""
    decay, after = config.get("lr_decay", 1.0), config.get("lr_decay_after", 10)
    return float(config["lr"] * decay ** max(0, epoch + 1 - after))


def plot_history(history: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ep = [h["epoch"] for h in history]
    ax.plot(ep, [h["train_bpc"] for h in history], "o-", label="train")
    ax.plot(ep, [h["val_bpc"] for h in history], "o-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per character")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def train(args, studio: str, reader: Reader) -> int:
    """Train a character model on a UTF-8 corpus (file or folder)."""
    if not args.resume:  # check the corpus before the slow TensorFlow import
        reader(args.corpus, **corpus_options(args))
    import tf_keras as keras

    set_threads(args.threads, args.deterministic)
    keras.backend.experimental.enable_tf_random_generator()  # dropout RNG state lives in the checkpoint
    keras.utils.set_random_seed(args.seed)
    strategy = make_strategy(args.strategy)
    run = worker_dir(runs.run_dir(studio, args.name, args.runs_dir), strategy)
    opened = open_run(args, studio, reader, run)
    if opened is None:
        return 0
    config, state = opened
    session = Session(args, run, config, state, read_run_corpus(config, reader, args.max_vocab), strategy)
    try:
        stop_reason = session.loop()
    except Halted as err:
        print(str(err), file=sys.stderr)
        return 3
    session.finish(stop_reason)
    return 0


class Session:
    """One training session of a run: the model, its checkpoint, the epoch loop."""

    def __init__(self, args, run: Path, config: dict, state: runs.RunState, corpus, strategy):
        self.args, self.run, self.config, self.state, self.strategy = args, run, config, state, strategy
        self.chief = is_chief(strategy)
        print(corpus.summary())
        self.chars = config["chars"]
        self.seq_len, self.batch = config["seq_len"], config["batch"]
        self.train_ids = np.array(encode(corpus.train_text, self.chars), np.int32)
        self.vx, self.vy = val_windows(np.array(encode(corpus.val_text, self.chars), np.int32), self.seq_len)
        self.n_batches = windows_per_epoch(len(self.train_ids), self.seq_len) // self.batch
        if self.n_batches < 1:
            raise CorpusError(f"the training text makes fewer windows than one batch of {self.batch}; "
                              "lower --batch or --seq-len")
        given = not args.resume
        self.epochs = args.epochs if args.epochs_given or given else config.get("epochs", args.epochs)
        self.patience = args.patience if args.patience_given or given else config.get("patience", args.patience)
        self.model, self.optimizer, self.ckpt = self._build()
        self.sampler = StepRunner(build_model(len(self.chars), config["layers"], config["units"], config["embed"],
                                              0.0, stateful=True))
        self.state["hardware"] = hardware()
        self.clock = runs.WallClock(args.max_minutes)
        self.wall_base = state["wall_time_s"]
        self.ckpt_seconds = args.checkpoint_minutes * 60 if args.checkpoint_minutes else None
        self.sample_seed = args.sample_seed if args.sample_seed is not None else DEFAULT_SEED_TEXT

    def _build(self):
        import tensorflow as tf
        import tf_keras as keras

        config, state, vocab = self.config, self.state, len(self.chars)
        with self.strategy.scope():
            model = build_model(vocab, **architecture(config))
            optimizer = keras.optimizers.Adam(config["lr"])
            model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        with self.strategy.scope():  # build the optimizer slots now so that the checkpoint restores them
            optimizer.build(model.trainable_variables)
        # Keras keeps the dropout RNG out of checkpoints; add its state so that a resumed run draws the same masks
        rng_states = {f"rng_{layer.name}": layer._random_generator._generator.state for layer in model.layers
                      if getattr(getattr(layer, "_random_generator", None), "_generator", None) is not None}
        ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer, **rng_states)
        if state.get("ckpt"):
            ckpt.restore(str(self.run / state["ckpt"])).assert_existing_objects_matched()
        elif config.get("init_from"):
            src_config, src_weights = load_model_dir(Path(config["init_from"]["path"]))
            src_chars = src_config["chars"]
            set_weights_by_layer(model, extend_vocab_weights(src_weights, src_chars, self.chars, config["seed"]))
            print(f"initialised from {config['init_from']['path']} (+{vocab - len(src_chars)} new characters)")
        print(f"model: {config['layers']} x LSTM {config['units']}, embed {config['embed']}, "
              f"dropout {config['dropout']}, vocab {vocab}, {model.count_params():,} parameters; "
              f"{self.n_batches} batches of {self.batch} x {self.seq_len} per epoch; "
              f"strategy {self.args.strategy} ({self.strategy.num_replicas_in_sync} replica(s))")
        return model, optimizer, ckpt

    def wall(self) -> float:
        return self.wall_base + self.clock.elapsed

    def checkpoint_due(self, last_save: float) -> bool:
        every = self.args.checkpoint_steps
        return bool((self.ckpt_seconds and time.monotonic() - last_save >= self.ckpt_seconds)
                    or (every and self.state["steps"] % every == 0))

    def save_checkpoint(self, epoch: int, step_in_epoch: int, partial_sum: float) -> None:
        # multiworker: every worker must take part in the save; only the chief's copy is used
        path = self.ckpt.save(str(self.run / f"ckpt-e{epoch:04d}-s{step_in_epoch:06d}"))
        previous = self.state.get("ckpt")
        self.state.data.update({"epoch": epoch, "step_in_epoch": step_in_epoch, "partial_loss_sum": partial_sum,
                                "wall_time_s": self.wall(), "ckpt": Path(path).name})
        self.state.save()
        if previous and previous != self.state["ckpt"]:
            for old in self.run.glob(f"{previous}.*"):
                old.unlink()

    def run_epoch(self, epoch: int) -> float | None:
        """Train 0-based `epoch` from its checkpointed step; its mean training loss, or None when
        the time budget stopped it inside the epoch (the callback has checkpointed)."""
        import tensorflow as tf

        from training.poems.callbacks import StepCheckpoints

        x, y = epoch_windows(self.train_ids, self.seq_len, self.config["seed"], epoch)
        self.optimizer.learning_rate = lr_at(self.config, epoch)
        skip, end = self.state["step_in_epoch"], self.n_batches * self.batch
        ds = tf.data.Dataset.from_tensor_slices((x[skip * self.batch:end], y[skip * self.batch:end]))
        print(f"epoch {epoch + 1}/{self.epochs}" + (f" (from step {skip})" if skip else ""), flush=True)
        cb = StepCheckpoints(self, epoch, skip, self.state["partial_loss_sum"])
        self.model.fit(ds.batch(self.batch, drop_remainder=True), epochs=epoch + 1, initial_epoch=epoch,
                       verbose=self.args.verbose, callbacks=[cb])
        if cb.done < self.n_batches:
            return None
        return (cb.prior_sum + float(self.model.history.history["loss"][-1]) * (cb.done - skip)) / cb.done

    def end_epoch(self, epoch: int, train_loss: float) -> None:
        """After 1-based `epoch`: validation, best weights, snapshot, checkpoint, log, plot, sample."""
        state, run = self.state, self.run
        val_loss = float(self.model.evaluate(self.vx, self.vy, batch_size=self.batch, verbose=0)) \
            if len(self.vx) else float("nan")
        rec = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "train_bpc": bits(train_loss),
               "val_bpc": bits(val_loss), "wall_time_s": round(self.wall(), 1)}
        state["history"].append(rec)
        improved = state["best_val_bpc"] is None or rec["val_bpc"] < state["best_val_bpc"] - 1e-6
        if self.chief:
            if improved:
                save_weights_npz(self.model, run / BEST)
            if epoch in self.config["snapshots"]:
                (run / "snapshots").mkdir(exist_ok=True)
                save_weights_npz(self.model, snapshot_path(run, epoch))
                state["snapshots"][str(epoch)] = rec["val_bpc"]
            save_weights_npz(self.model, run / LAST)
        if improved:
            state.data.update(best_val_bpc=rec["val_bpc"], best_epoch=epoch, bad_epochs=0)
        else:
            state["bad_epochs"] += 1
        self.save_checkpoint(epoch, 0, 0.0)
        if self.chief:
            append_csv(run / "log.csv", rec)
            plot_history(state["history"], run / "loss.png", f"{self.config['name']} ({self.config['corpus_name']})")
        print(f"epoch {epoch}: train {rec['train_bpc']:.4f} bits/char, validation {rec['val_bpc']:.4f} bits/char "
              f"({val_loss:.4f} nats){' *best*' if improved else ''}; {self.wall():.0f} s total", flush=True)
        if self.args.sample_length and self.chief:
            self.write_sample(epoch, rec["val_bpc"])

    def write_sample(self, epoch: int, val_bpc: float) -> None:
        set_weights_by_layer(self.sampler.model, weights_by_layer(self.model))
        text, _ = generate(self.sampler, self.chars, self.sample_seed, self.args.sample_length, 0.8,
                           rng=np.random.default_rng([self.config["seed"], epoch]))
        print(f"--- sample after epoch {epoch} (temperature 0.8) ---\n{self.sample_seed}{text}\n---", flush=True)
        with open(self.run / "samples.txt", "a", encoding="utf-8") as handle:
            handle.write(f"=== epoch {epoch}, val {val_bpc:.4f} bits/char ===\n{self.sample_seed}{text}\n\n")

    def loop(self) -> str:
        """Train until the epochs, the patience or the time budget run out; says which."""
        epoch, budget = self.state["epoch"], self.args.max_minutes
        while epoch < self.epochs:
            if self.clock.exhausted():
                return f"time budget of {budget} min used"
            train_loss = self.run_epoch(epoch)
            if train_loss is None:
                return f"time budget of {budget} min used (inside epoch {epoch + 1})"
            epoch += 1
            self.end_epoch(epoch, train_loss)
            if self.patience and self.state["bad_epochs"] >= self.patience:
                return f"early stop: validation did not improve for {self.patience} epochs"
        return f"reached {self.epochs} epochs"

    def finish(self, stop_reason: str) -> None:
        state = self.state
        state["finished"] = None if stop_reason.startswith("time budget") else stop_reason
        state["wall_time_s"] = self.wall()
        state.save()
        best = "none yet" if state["best_val_bpc"] is None else f"{state['best_val_bpc']:.4f} bits/char"
        print(f"stopped: {stop_reason}. best validation {best} at epoch {state['best_epoch']}; run folder {self.run}")
