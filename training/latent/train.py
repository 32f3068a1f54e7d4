"""Training loop of the Latent studio: data pipeline, end-of-epoch callback, `train`.

A run lives in <runs>/latent/<NAME>/ (training.kit.runs): config.json (the options and the
command's argv), state.json (epoch, summed wall time, SWD), log.csv, samples/epoch_NNNN.png,
ckpt/ (generator, discriminator, EMA generator, optimisers, random generator state).
Resuming is exact: each epoch's order comes from a stateless seed, every other random draw
from the checkpointed tf.random.Generator (see training.latent.models).

`--strategy mirrored|multiworker` trains under tf.distribute: the global batch `--batch` is
split over the replicas; with several workers each writes its own run folder (the chief's is
the run, the others' are <run>/workers/<index>) and all stop at the same epoch.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from training.kit.command import clean_argv
from training.kit.errors import UserError
from training.kit.files import append_csv, trim_csv
from training.kit.machine import make_strategy, set_threads, worker_dir
from training.kit.runs import CONFIG, RunState, WallClock, read_config, run_dir, write_config
from training.latent.images import load_image_set, save_grid
from training.latent.models import STUDIO, Run, parse_policy
from training.latent.sample import SwdReference, fixed_latents, generated_uint8

TRAIN_KEYS = ("images", "size", "background", "subset", "latent_dim", "batch", "epochs", "diffaugment",
              "ema", "ema_warmup_from", "g_width", "g_upsample", "g_min_channels", "d_width", "lr", "lr_decay_from",
              "lr_final", "seed", "swd_every", "swd_images")
DEFAULT_EPOCHS = 100
BEST_DIR = "best"  # --keep-best: the EMA generator of the lowest SWD so far
PRINT_ONLY_FLAGS = {"--verbose": 1}  # change what a session prints, not the model: left out of the recorded argv
LOSSES = ("d_loss", "g_loss", "d_real", "d_fake")


def epoch_learning_rate(cfg: dict, epoch: int) -> float:
    """Learning rate of both optimisers during epoch `epoch` (0-based).

    --lr throughout without --lr-decay-from. With it, --lr until that epoch, then a straight line
    from --lr at the start of epoch --lr-decay-from to --lr-final x --lr at the end of the last
    epoch (--epochs), each epoch taking the line's value at its middle. A function of the epoch
    alone, so a resumed run follows the same schedule; extending --epochs on --resume re-plans it."""
    base, start = float(cfg["lr"]), cfg.get("lr_decay_from")
    if start is None or epoch < start:
        return base
    final = float(cfg.get("lr_final") or 0.0)
    progress = min(1.0, (epoch - start + 0.5) / max(1, cfg["epochs"] - start))
    return base * (1.0 - (1.0 - final) * progress)


def check_options(cfg: dict) -> None:
    """The options new runs check before their config is written: a decay that starts within the run and
    ends at a fraction of --lr in [0, 1], a positive channel floor."""
    start, final = cfg.get("lr_decay_from"), cfg.get("lr_final")
    if start is not None and not 0 <= start < cfg["epochs"]:
        raise UserError(f"--lr-decay-from {start}: the decay must start within the run's {cfg['epochs']} epochs")
    if final is not None and not 0.0 <= final <= 1.0:
        raise UserError(f"--lr-final {final}: a fraction of --lr between 0 and 1")
    if final is not None and start is None:
        raise UserError("--lr-final needs --lr-decay-from (the epoch the decay starts)")
    if cfg.get("g_min_channels") is not None and cfg["g_min_channels"] < 1:
        raise UserError(f"--g-min-channels {cfg['g_min_channels']}: at least 1")


def epoch_dataset(images: np.ndarray, batch: int, start: int, epochs: int, seed: int):
    """Batches of uint8 images, reshuffled per epoch with a stateless seed (resume-exact)."""
    data = tf.constant(images)
    count = images.shape[0]

    def one_epoch(epoch):
        keys = tf.random.stateless_uniform((count,), seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys)).batch(batch, drop_remainder=True)

    ds = tf.data.Dataset.range(start, epochs).flat_map(one_epoch)
    options = tf.data.Options()  # several workers: each takes its share of the batches
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.map(lambda idx: tf.gather(data, idx)).prefetch(2).with_options(options)


def any_worker(strategy, flag: bool) -> bool:
    """`flag` or-ed over the workers of a MultiWorkerMirroredStrategy (so that all stop at the
    same epoch and none waits for the others in a collective); `flag` itself otherwise."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return flag
    votes = strategy.run(lambda: tf.constant(1.0 if flag else 0.0))
    return bool(strategy.reduce(tf.distribute.ReduceOp.SUM, votes, axis=None).numpy() > 0)


def log_fields(path: Path, levels: int) -> list[str]:
    """Columns of log.csv: the existing header when resuming, else losses, SWD, times."""
    if path.exists() and path.stat().st_size:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().strip().split(",")
    return ["epoch", *LOSSES, "swd_x1e3", *(f"swd_l{i}" for i in range(levels)), "epoch_s", "wall_time_s", "lr"]


def remove_checkpoint(prefix: Path) -> None:
    for f in prefix.parent.glob(prefix.name + ".*"):
        f.unlink(missing_ok=True)


class EpochEnd(keras.callbacks.Callback):
    """After each epoch: sample grid, SWD (every --swd-every epochs and at a session's last epoch),
    a log.csv row, a checkpoint (the previous one removed), state.json, and the budget check."""

    def __init__(self, run: Path, networks: Run, state: RunState, clock: WallClock, swd_ref: SwdReference | None,
                 strategy, log=print):
        super().__init__()
        self.run, self.networks, self.state, self.clock = run, networks, state, clock
        self.swd_ref, self.strategy, self.log = swd_ref, strategy, log
        self.cfg = networks.cfg
        self.grid_z = fixed_latents(64, self.cfg["latent_dim"], self.cfg["seed"], 1)
        self.prior_wall = float(state.get("wall_time_s", 0.0))
        self.fields = log_fields(run / "log.csv", swd_ref.levels if swd_ref else 0)
        self.t0 = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        if self.cfg.get("lr_decay_from") is not None:  # else the optimisers keep --lr as built
            for optimizer in (self.networks.gan.g_optimizer, self.networks.gan.d_optimizer):
                optimizer.learning_rate = epoch_learning_rate(self.cfg, epoch)
        self.t0 = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        cfg, run, state, clock = self.cfg, self.run, self.state, self.clock
        done = epoch + 1
        train_s = time.monotonic() - self.t0
        ema = self.networks.ema_ready()
        grid = generated_uint8(ema, self.grid_z)
        save_grid(grid, run / "samples" / f"epoch_{done:04d}.png", cols=8)
        save_grid(grid, run / "samples" / "latest.png", cols=8)
        row = {"epoch": done, **{k: round(float(v), 5) for k, v in (logs or {}).items()},
               "lr": float(f"{epoch_learning_rate(cfg, epoch):.6g}")}
        # stop when the budget is spent, or when another epoch as long as this one would overrun it
        out_of_time = clock.exhausted() or (clock.limit is not None and clock.elapsed + train_s > clock.limit)
        last = any_worker(self.strategy, out_of_time) or done == cfg["epochs"]
        if self.swd_ref is not None and (done % cfg["swd_every"] == 0 or last):
            result = self.swd_ref.score(ema)
            row["swd_x1e3"] = round(result["mean"], 3)
            for i, v in enumerate(result["per_level"]):
                row[f"swd_l{i}"] = round(v, 3)
            state.data.setdefault("swd_history", []).append([done, round(result["mean"], 3)])
            state["swd"] = {"epoch": done, **result}
            replaced = self.keep_if_best(ema, done, result["mean"])
        else:
            replaced = None
        row["epoch_s"] = round(train_s, 1)
        row["wall_time_s"] = round(self.prior_wall + clock.elapsed, 1)
        append_csv(run / "log.csv", row, self.fields)
        path = self.networks.checkpoint.write(str(run / "ckpt" / f"epoch_{done:04d}"))
        previous = state.get("checkpoint")
        state.data.update(epoch=done, checkpoint=os.path.relpath(path, run),
                          wall_time_s=self.prior_wall + clock.elapsed, epoch_s=train_s)
        state.save()
        if previous:
            remove_checkpoint(run / previous)
        if replaced:
            (run / replaced).unlink(missing_ok=True)
        if "swd_x1e3" in row:
            self.log(f"epoch {done}: SWD x1e3 {row['swd_x1e3']:.2f} (real floor {state['swd_floor']['mean']:.2f})")
        if last and done < cfg["epochs"]:
            self.log(f"stopping after epoch {done}: time budget reached; continue with --resume")
            self.model.stop_training = True

    def keep_if_best(self, ema, epoch: int, swd_mean: float) -> str | None:
        """With --keep-best: when this SWD is the lowest so far, write the EMA generator (as scored:
        BatchNorm recalibrated) to best/epoch_NNNN.h5 and point state["best"] at it. Returns the
        file it replaces, which the caller removes once state.json names the new one."""
        if not self.cfg.get("keep_best"):
            return None
        best = self.state.get("best")
        if best is not None and best["swd_x1e3"] <= round(swd_mean, 3):
            return None
        rel = f"{BEST_DIR}/epoch_{epoch:04d}.h5"  # HDF5 weights (a .weights.h5 name means the Keras 3 format)
        path = self.run / rel
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f"epoch_{epoch:04d}.tmp.h5")
        ema.save_weights(str(tmp))
        os.replace(tmp, path)
        self.state["best"] = {"epoch": epoch, "swd_x1e3": round(swd_mean, 3), "weights": rel}
        self.log(f"epoch {epoch}: lowest SWD so far, EMA generator kept in {rel}")
        return best["weights"] if best and best["weights"] != rel else None


def remove_unreferenced_best(run: Path, state: RunState) -> None:
    """Weights in best/ that state.json does not name (a session killed between writing them and
    saving the state)."""
    keep = (state.get("best") or {}).get("weights")
    for f in (run / BEST_DIR).glob("*"):
        if f.relative_to(run).as_posix() != keep:
            f.unlink(missing_ok=True)


def new_config(args) -> dict:
    """config.json of a new run: its options, the resolved image path and the command's argv."""
    try:
        parse_policy(args.diffaugment)
    except ValueError as error:
        raise UserError(f"--diffaugment {args.diffaugment!r}: {error}") from None
    cfg = {k: getattr(args, k) for k in TRAIN_KEYS}
    cfg["epochs"] = cfg["epochs"] if cfg["epochs"] is not None else DEFAULT_EPOCHS
    cfg["name"] = args.name
    cfg["keep_best"] = bool(getattr(args, "keep_best", False))
    cfg["images_path"] = str(Path(args.images).resolve())
    cfg["argv"] = clean_argv(args.argv, PRINT_ONLY_FLAGS)
    check_options(cfg)
    return cfg


def open_run(args, strategy) -> tuple[Path, dict, RunState]:
    """This worker's run folder, config and state: a new run, or the one to resume."""
    if not args.resume and not args.images:
        raise UserError("train needs --images (or --resume)")
    run = worker_dir(run_dir(STUDIO, args.name, args.runs_dir), strategy)
    state = RunState(run, {"epoch": 0, "wall_time_s": 0.0, "sessions": 0})
    if args.resume:
        if not (run / CONFIG).exists():
            raise UserError(f"nothing to resume in {run}; start the run without --resume")
        cfg = read_config(run)
        if args.epochs is not None and args.epochs != cfg["epochs"]:
            cfg["epochs"] = args.epochs
            check_options(cfg)
            write_config(run, cfg)
    else:
        if state.exists:
            raise UserError(f"{run} already holds a run; use --resume to continue it, or another --name")
        cfg = new_config(args)
        write_config(run, cfg)
    state["sessions"] = state.get("sessions", 0) + 1
    return run, cfg, state


def train(args) -> RunState:
    """Train (or resume) a run; returns its state."""
    clock = WallClock(args.max_minutes)
    set_threads(args.threads, args.deterministic)
    strategy = make_strategy(args.strategy)
    run, cfg, state = open_run(args, strategy)

    data = load_image_set(cfg["images_path"], cfg["size"], cfg["background"], cfg["subset"], seed=cfg["seed"])
    print(f"{len(data.images)} images from {cfg['images']} ({cfg['subset']}, {cfg['background']} background;"
          f" {data.filtered} filtered out, {len(data.skipped)} skipped)")
    if len(data.images) < cfg["batch"]:
        raise UserError(f"only {len(data.images)} images: fewer than one batch of {cfg['batch']} (lower --batch)")
    save_grid(data.images[:64], run / "samples" / "real.png", cols=8)

    model = Run(cfg, strategy)
    if args.resume and state.get("checkpoint"):
        model.restore(str(run / state["checkpoint"]))
        print(f"resumed {args.name} after epoch {state['epoch']}")
    print(f"generator {model.generator.count_params():,} parameters, "
          f"discriminator {model.discriminator.count_params():,}; "
          f"strategy {args.strategy} ({strategy.num_replicas_in_sync} replica(s))")

    swd_ref = None
    if cfg["swd_every"] and len(data.images) >= 4:
        swd_ref = SwdReference(data.images, cfg)
        if "swd_floor" not in state.data:
            state["swd_floor"] = swd_ref.floor()
            print(f"SWD x1e3 real half vs half (floor): {state['swd_floor']['mean']:.2f}")

    start = int(state["epoch"])
    if start >= cfg["epochs"]:
        print(f"run {args.name} already trained {start} epochs (of {cfg['epochs']}); pass a larger --epochs with --resume")
        return state
    trim_csv(run / "log.csv", "epoch", start)  # rows written after the checkpoint we resume from
    remove_unreferenced_best(run, state)
    steps = len(data.images) // cfg["batch"]
    ds = epoch_dataset(data.images, cfg["batch"], start, cfg["epochs"], cfg["seed"])
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    model.gan.fit(ds, epochs=cfg["epochs"], initial_epoch=start, steps_per_epoch=steps,
                  callbacks=[EpochEnd(run, model, state, clock, swd_ref, strategy)], verbose=verbose)
    print(f"{args.name}: {state['epoch']} epochs, {state['wall_time_s'] / 60:.1f} min of training in total; run folder {run}")
    return state
