"""The training loop of the character studios: one LSTM trainer for any corpus a reader makes
(`corpus.Reader`: poems' text files today, another studio's own notation tomorrow).

`train(args, studio, reader)` trains in `<runs>/<studio>/<name>/` (kit.runs); the studio is a
parameter, so another studio calls the same function with its own name and reader.

**Batches.** By default (`--carry`) truncated back-propagation through time, as char-rnn does:
`--batch` contiguous streams of the training text, `--seq-len` characters of each per batch,
the LSTM state carried from one batch to the next and zeroed at the start of each epoch
(batches.py, steps.py). `--no-carry` reads shuffled windows, each from a zero state.

**Plan and learning rate** (schedule.py): the run is planned for a number of steps — what
fits in `--max-minutes`, measured as it trains, or `--steps` / `--epochs` — and the
learning rate warms up and decays to the end of that plan. The network's size, batch and
sequence length not given on the command line are chosen from the budget and the corpus
size (sizing.py).

**Evaluation** (evaluate.py): the held-out loss over windows of `--seq-len` from a zero
state, at epoch ends (with a budget, at most every tenth of it, and at snapshot epochs) and
when the session stops; the best weights are kept. When the session ends, the best weights
are also scored with the state carried through the whole held-out text.

**Run folder and resume.** The folder holds the configuration, the latest checkpoint
(weights, optimizer, dropout RNG, the carried LSTM state of every replica, the step
counters and the plan), the best weights, snapshots, a CSV log, a loss curve and samples.
`--resume` continues exactly where the last checkpoint left off: the batches depend only on
(seed, epoch, step), the learning rate on (step, plan), and the carried state comes back
from the checkpoint.

Distributed training: `--strategy mirrored` uses tf.distribute.MirroredStrategy over the
local devices (GPUs, or logical CPU devices); `--strategy multiworker` uses
MultiWorkerMirroredStrategy, configured by the TF_CONFIG environment variable on every
worker, e.g. for two machines

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}'   # index 1 on host2

and the same train command on both. `--batch` is the global batch (a multiple of the
replicas; each replica keeps its own rows' state). Worker 0 is the chief and writes the run
folder; the other workers write theirs into `<run>/workers/<index>` (needed by the
collective checkpoint save and for their carried state).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from training.kit import runs
from training.kit.errors import Halted
from training.kit.files import append_csv
from training.kit.machine import hardware, is_chief, make_strategy, set_threads, worker_dir
from training.poems.batches import epoch_windows, stream_batch, stream_steps, window_steps
from training.poems.corpus import Reader, encode
from training.poems.model import (BEST, LAST, architecture, build_model, extend_vocab_weights, load_model_dir,
                                  load_weights_npz, save_weights_npz, set_weights_by_layer, snapshot_path,
                                  weights_by_layer)
from training.poems.report import bits, plot_history, progress_line
from training.poems.run import corpus_options, open_run, read_run_corpus
from training.poems.sample import DEFAULT_SEED_TEXT, StepRunner, generate
from training.poems.schedule import BudgetPlan, ProcessClock, lr_at, plan_session

EVAL_SHARE = 0.25  # with a run budget, evaluate at an epoch end once this share of it has passed since the last
SAMPLE_EVERY_S = 60.0  # samples and the loss plot at most this often (and when the session ends)


def train(args, studio: str, reader: Reader) -> int:
    """Train a character model on a UTF-8 corpus (file or folder)."""
    clock = ProcessClock(args.max_minutes, cpu=args.budget_clock == "cpu", threads=args.threads)
    if not args.resume:  # check the corpus before the slow TensorFlow import
        reader(args.corpus, **corpus_options(args, reader))
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
    session = Session(args, run, config, state, read_run_corpus(config, reader, args.max_vocab), strategy, clock)
    if session.budget is None and session.plan is not None and state["steps"] >= session.plan:
        print(f"run already finished ({state['steps']} of {session.plan} planned steps); "
              "pass a larger --epochs or --steps to train further")
        return 0
    try:
        stop_reason = session.loop()
    except Halted as err:
        print(str(err), file=sys.stderr)
        return 3
    session.finish(stop_reason)
    return 0


class Session:
    """One training session of a run: the model, its checkpoint, the plan, the step loop."""

    def __init__(self, args, run: Path, config: dict, state: runs.RunState, corpus, strategy, clock):
        import tensorflow as tf

        from training.poems.evaluate import Scorer
        from training.poems.steps import Replicated

        self.args, self.run, self.config, self.state, self.clock = args, run, config, state, clock
        self.chief = is_chief(strategy)
        print(corpus.summary())
        self.chars = config["chars"]
        self.seq_len, self.batch, self.carry = config["seq_len"], config["batch"], config.get("carry", False)
        self.train_ids = np.array(encode(corpus.train_text, self.chars), np.int32)
        self.val_ids = np.array(encode(corpus.val_text, self.chars), np.int32)
        count = stream_steps if self.carry else window_steps
        self.steps_per_epoch = state["steps_per_epoch"] = count(len(self.train_ids), self.batch, self.seq_len)
        self.patience = args.patience if args.patience_given or not args.resume else config.get("patience", 0)
        self.net = Replicated(strategy, config, len(self.chars))
        model = self.net.model
        # Keras keeps the dropout RNG out of checkpoints; add its state so that a resumed run draws the same masks
        rng_states = {f"rng_{layer.name}": layer._random_generator._generator.state for layer in model.layers
                      if getattr(getattr(layer, "_random_generator", None), "_generator", None) is not None}
        self.ckpt = tf.train.Checkpoint(model=model, optimizer=self.net.optimizer, **rng_states)
        self.average = Average(config.get("average_from"))
        self._restore()
        self.scorer = Scorer(model, config["layers"], config["units"], self.seq_len)
        self.sampler = StepRunner(build_model(len(self.chars), config["layers"], config["units"], config["embed"],
                                              0.0, stateful=True))
        self.state["hardware"] = hardware()
        self.wall_base = state["wall_time_s"]
        self.ckpt_seconds = args.checkpoint_minutes * 60 if args.checkpoint_minutes else None
        self.sample_seed = args.sample_seed if args.sample_seed is not None else DEFAULT_SEED_TEXT
        self.plan, self.budget = self._plan()
        self._windows = (None, None, None)
        self.last_sample = self.last_print = time.monotonic()
        self.last_eval = self.clock.elapsed
        print(f"model: {config['layers']} x LSTM {config['units']}, embed {config['embed']}, "
              f"dropout {config['dropout']}, vocab {len(self.chars)}, {model.count_params():,} parameters; "
              f"{self.steps_per_epoch} batches of {self.batch} x {self.seq_len} per epoch "
              f"({'state carried across batches' if self.carry else 'each window from a zero state'}); "
              f"strategy {args.strategy} ({strategy.num_replicas_in_sync} replica(s)); {self.plan_text()}", flush=True)

    def _restore(self) -> None:
        config, state = self.config, self.state
        if state.get("ckpt"):
            self.ckpt.restore(str(self.run / state["ckpt"])).assert_existing_objects_matched()
            carry = self.run / f"{state['ckpt']}.carry.npz"
            if self.carry and state["step_in_epoch"] and carry.exists():
                with np.load(carry) as saved:
                    self.net.restore({k: saved[k] for k in saved.files})
            self.average.load(self.run / f"{state['ckpt']}.avg.npz")
        elif config.get("init_from"):
            src_config, src_weights = load_model_dir(Path(config["init_from"]["path"]))
            src_chars = src_config["chars"]
            set_weights_by_layer(self.net.model, extend_vocab_weights(src_weights, src_chars, self.chars,
                                                                      config["seed"]))
            print(f"initialised from {config['init_from']['path']} (+{len(self.chars) - len(src_chars)} new characters)")

    def _plan(self) -> tuple[int | None, BudgetPlan | None]:
        config, state = self.config, self.state
        minutes = config.get("plan_minutes")
        run_limit = minutes * 60.0 - self.wall_base if minutes else None
        plan, budget, state["plan_from"] = plan_session(self.steps_per_epoch, config.get("epochs"), config.get("steps"),
                                                        run_limit, self.clock.limit, state["steps"],
                                                        state.get("plan_steps"), state.get("plan_from"))
        return plan, budget

    def plan_text(self) -> str:
        where = f"{self.plan} steps" if self.plan else "the steps that fit"
        minutes = self.config.get("plan_minutes")
        budget = f" in a {minutes:g}-minute budget ({self.wall_base:.0f} s used before)" if minutes else ""
        if self.clock.limit is not None:
            budget += f"; this session stops after {self.clock.limit / 60:g} min"
        return f"planned for {where}{budget} ({self.config.get('lr_schedule', 'epoch-decay')} learning rate)"

    def wall(self) -> float:
        return self.wall_base + self.clock.elapsed

    def checkpoint_due(self, last_save: float) -> bool:
        every = self.args.checkpoint_steps
        return bool((self.ckpt_seconds and time.monotonic() - last_save >= self.ckpt_seconds)
                    or (every and self.state["steps"] % every == 0))

    def save_checkpoint(self) -> None:
        # multiworker: every worker must take part in the save; each keeps its own replicas' state
        state = self.state
        path = self.ckpt.save(str(self.run / f"ckpt-e{state['epoch']:04d}-s{state['step_in_epoch']:06d}"))
        np.savez(self.run / f"{Path(path).name}.carry.npz", **self.net.carried())
        self.average.save(self.run / f"{Path(path).name}.avg.npz")
        previous = state.get("ckpt")
        state.data.update({"wall_time_s": self.wall(), "ckpt": Path(path).name, "plan_steps": self.plan})
        state.save()
        if previous and previous != state["ckpt"]:
            for old in self.run.glob(f"{previous}.*"):
                old.unlink()

    def batch_at(self, epoch: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.carry:
            return stream_batch(self.train_ids, self.batch, self.seq_len, self.config["seed"], epoch, k)
        if self._windows[0] != epoch:
            self._windows = (epoch, *epoch_windows(self.train_ids, self.seq_len, self.config["seed"], epoch))
        _, x, y = self._windows
        return x[k * self.batch:(k + 1) * self.batch], y[k * self.batch:(k + 1) * self.batch]

    def cold_rows(self, epoch: int, k: int) -> np.ndarray | None:
        """`--reset-rows`: the rows of step k of `epoch` that start from a zero state (a function of
        seed, epoch and step, so a resumed run draws the same rows)."""
        p = self.config.get("reset_rows") or 0.0
        if not self.carry or p <= 0 or k == 0:
            return None
        # the trailing 7 keeps this stream apart from the other (seed, epoch, ...) draws (batches.py)
        return np.random.default_rng((self.config["seed"], epoch, k, 7)).random(self.batch) < p

    def step(self) -> None:
        """One training step of the current epoch, then the plan and the counters."""
        state = self.state
        epoch, k = state["epoch"], state["step_in_epoch"]
        if k == 0:
            self.net.reset()
        x, y = self.batch_at(epoch, k)
        lr = lr_at(self.config, state["steps"], self.plan, epoch)
        loss = self.net.train(x, y, lr, self.carry, self.cold_rows(epoch, k))
        state.data.update(steps=state["steps"] + 1, step_in_epoch=k + 1,
                          partial_loss_sum=state["partial_loss_sum"] + loss)
        if self.budget is not None:
            new_plan = self.budget.observe(state["steps"], self.clock.elapsed)
            self.plan = new_plan if new_plan is not None else self.plan
        if self.average.due(state["steps"], self.plan):
            self.average.add(self.net.model.get_weights())
        if self.args.verbose == 1 and time.monotonic() - self.last_print >= 10:
            self.last_print = time.monotonic()
            print(progress_line(state, self.steps_per_epoch, self.plan, lr, self.wall()), flush=True)

    def loop(self) -> str:
        """Train until the plan, the patience or the time budget run out; says which."""
        state, last_save, first = self.state, time.monotonic(), self.state["steps"]
        while True:
            budget, elapsed = self.budget, self.clock.elapsed
            measured = budget is None or not budget.plans or budget.plan is not None  # a budget is measured first
            if self.plan is not None and state["steps"] >= self.plan and measured:
                return f"reached the planned {self.plan} steps"
            if budget is not None and state["steps"] > first:  # every session makes a step
                if budget.plans and not budget.fits(elapsed, budget.limit):
                    return f"reached the planned {state['steps']} steps (the {self.config['plan_minutes']:g}-minute budget)"
                if budget.session_limit is not None and not budget.fits(elapsed, budget.session_limit):
                    return f"time budget of this session ({self.args.max_minutes:g} min) used"
            self.step()
            halt = self.args.halt_after_steps
            if state["step_in_epoch"] == self.steps_per_epoch:
                state.data.update(epoch=state["epoch"] + 1, step_in_epoch=0)
                stop = self.end_epoch()
                last_save = time.monotonic()
                if stop:
                    return stop
            elif self.checkpoint_due(last_save):
                self.save_checkpoint()
                last_save = time.monotonic()
            if halt and state["steps"] >= halt:
                raise Halted(f"halted after {state['steps']} steps (simulated kill)")

    def evaluate(self) -> dict:
        """Score the current weights, keep them if best, append the record to the history and log."""
        state, run = self.state, self.run
        k = state["step_in_epoch"] or self.steps_per_epoch
        train_loss = state["partial_loss_sum"] / k if state["step_in_epoch"] or state["partial_loss_sum"] else float("nan")
        score = (lambda: self.scorer.windowed(self.val_ids)) if len(self.val_ids) > 1 else (lambda: float("nan"))
        raw = None
        if self.average.count:  # score (and keep) the averaged weights; the raw ones for the log
            raw, current = score(), self.net.model.get_weights()
            self.net.model.set_weights(self.average.weights())
        val_loss = score()
        epoch = state["epoch"] + state["step_in_epoch"] / self.steps_per_epoch
        rec = {"epoch": round(epoch, 4) if state["step_in_epoch"] else state["epoch"], "train_loss": train_loss,
               "val_loss": val_loss, "train_bpc": bits(train_loss), "val_bpc": bits(val_loss),
               "wall_time_s": round(self.wall(), 1), "step": state["steps"],
               "lr": lr_at(self.config, max(0, state["steps"] - 1), self.plan, state["epoch"])}
        if self.average.config is not None:  # the log's columns stay the same from the first record on
            rec.update(val_loss_raw=val_loss if raw is None else raw, averaged_steps=self.average.count)
        state["history"].append(rec)
        improved = state["best_val_bpc"] is None or rec["val_bpc"] < state["best_val_bpc"] - 1e-6
        if improved:
            state.data.update(best_val_bpc=rec["val_bpc"], best_epoch=rec["epoch"], best_step=rec["step"], bad_epochs=0)
        else:
            state["bad_epochs"] += 1
        if self.chief and improved:
            save_weights_npz(self.net.model, run / BEST)
        if raw is not None:
            self.net.model.set_weights(current)
        if self.chief:
            save_weights_npz(self.net.model, run / LAST)
            append_csv(run / "log.csv", rec)
        self.last_eval = self.clock.elapsed
        averaged = f" (averaged over {self.average.count} steps; the last step's {raw:.4f} nats)" if raw is not None else ""
        print(f"epoch {rec['epoch']} (step {rec['step']}): train {rec['train_bpc']:.4f} bits/char, validation "
              f"{rec['val_bpc']:.4f} bits/char ({val_loss:.4f} nats){averaged}{' *best*' if improved else ''}; "
              f"{self.wall():.0f} s total", flush=True)
        return rec

    def eval_due(self, epoch: int) -> bool:
        if epoch in self.config["snapshots"] or self.budget is None or not self.budget.plans:
            return True
        return self.clock.elapsed - self.last_eval >= EVAL_SHARE * (self.budget.limit + self.wall_base)

    def end_epoch(self) -> str | None:
        """After an epoch: validation (when due), snapshot, checkpoint, sample; a reason to stop or None."""
        state, epoch = self.state, self.state["epoch"]
        rec = self.evaluate() if self.eval_due(epoch) else None
        if rec and epoch in self.config["snapshots"] and self.chief:
            (self.run / "snapshots").mkdir(exist_ok=True)
            save_weights_npz(self.net.model, snapshot_path(self.run, epoch))
            state["snapshots"][str(epoch)] = rec["val_bpc"]
        state["partial_loss_sum"] = 0.0
        self.save_checkpoint()
        if rec and time.monotonic() - self.last_sample >= SAMPLE_EVERY_S:
            self.report(rec)
        if rec and self.patience and state["bad_epochs"] >= self.patience:
            return f"early stop: validation did not improve for {self.patience} evaluations"
        return None

    def report(self, rec: dict) -> None:
        self.last_sample = time.monotonic()
        if not self.chief:
            return
        plot_history(self.state["history"], self.run / "loss.png", f"{self.config['name']} ({self.config['corpus_name']})")
        if self.args.sample_length:
            self.write_sample(rec["epoch"], rec["val_bpc"])

    def write_sample(self, epoch, val_bpc: float) -> None:
        set_weights_by_layer(self.sampler.model, weights_by_layer(self.net.model))
        text, _ = generate(self.sampler, self.chars, self.sample_seed, self.args.sample_length, 0.8,
                           rng=np.random.default_rng([self.config["seed"], int(self.state["steps"])]))
        print(f"--- sample after epoch {epoch} (temperature 0.8) ---\n{self.sample_seed}{text}\n---", flush=True)
        with open(self.run / "samples.txt", "a", encoding="utf-8") as handle:
            handle.write(f"=== epoch {epoch}, val {val_bpc:.4f} bits/char ===\n{self.sample_seed}{text}\n\n")

    def finish(self, stop_reason: str) -> None:
        """The last step's time, the stopped weights scored (unless just scored), the stateful figure."""
        state = self.state
        state["last_step_unix"] = time.time()
        state["last_step_wall_s"] = round(self.clock.elapsed, 2)
        history = state["history"]
        if state["steps"] and (not history or history[-1].get("step") != state["steps"]):
            self.report(self.evaluate())
        elif history:
            self.report(history[-1])
        planned = stop_reason.startswith("reached") or stop_reason.startswith("early")
        state["finished"] = stop_reason if planned else None
        self.save_checkpoint()
        if self.chief and (self.run / BEST).exists():
            state["best_val_stateful"] = self.stateful_best()
        state["wall_time_s"] = self.wall()
        state.save()
        best = "none yet" if state["best_val_bpc"] is None else f"{state['best_val_bpc']:.4f} bits/char"
        stateful = state.get("best_val_stateful")
        extra = f", {bits(stateful):.4f} bits/char with the state carried through the held-out text" if stateful else ""
        print(f"stopped: {stop_reason}. best validation {best} (windowed){extra} at epoch {state['best_epoch']}; "
              f"last training step {state['last_step_wall_s']:.1f} s after the process started; run folder {self.run}")

    def stateful_best(self) -> float:
        """The best weights' held-out loss with the state carried through the whole text (nats)."""
        from training.poems.evaluate import Scorer

        config = self.config
        model = build_model(len(self.chars), **architecture(config), carry=True, kernel=config.get("lstm_kernel", "keras"))
        set_weights_by_layer(model, load_weights_npz(self.run / BEST))
        return Scorer(model, config["layers"], config["units"], self.seq_len).stateful(self.val_ids)


class Average:
    """`--average-from F`: the running mean of the weights after every step from F x the plan on
    (stochastic weight averaging). Evaluations score, and keep as best, the mean; the
    checkpoint holds its sum (float64) and count, so a resumed run averages the same steps."""

    def __init__(self, start: float | None):
        self.config, self.sum, self.count = start, None, 0

    def due(self, step: int, plan: int | None) -> bool:
        return self.config is not None and plan is not None and step > self.config * plan

    def add(self, weights: list[np.ndarray]) -> None:
        if self.sum is None:
            self.sum = [np.zeros(w.shape, np.float64) for w in weights]
        for total, w in zip(self.sum, weights):
            total += w
        self.count += 1

    def weights(self) -> list[np.ndarray]:
        return [(total / self.count).astype(np.float32) for total in self.sum]

    def save(self, path: Path) -> None:
        if self.count:
            np.savez(path, count=self.count, **{f"w{i:03d}": total for i, total in enumerate(self.sum)})

    def load(self, path: Path) -> None:
        if self.config is not None and path.exists():
            with np.load(path) as saved:
                self.count = int(saved["count"])
                self.sum = [saved[k] for k in sorted(k for k in saved.files if k != "count")]
