"""The training loop of the fast multi-style network: one network for all the paintings of a folder.

Each step takes one painting (its index drawn from the step's seed) and a batch of random content
crops, stylises them with that painting's one-hot style vector and follows the perceptual loss
(training/style/losses.py) with Adam. Batches depend only on `(seed, step)`, so a resumed run
(`--resume`) trains on exactly the batches an uninterrupted one would.

`--strategy mirrored|multiworker` (tf.distribute) splits every batch evenly over the replicas;
each replica's loss is divided by their number and the optimizer sums the gradients, so a step
follows the same gradient as the single-device step on the whole batch. With `multiworker` every
worker computes the same global batch and keeps its slice; worker 0 writes the run folder, the
others their own copy in `<run>/workers/<index>` (which they resume from).
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from training.kit import runs
from training.kit.errors import UserError
from training.kit.lr import cosine
from training.kit.files import append_csv, trim_csv
from training.kit.machine import is_chief, make_strategy, set_threads, worker_dir
from training.style import data
from training.style.progress import Progress

STUDIO = "style"
# the config keys that define what a run trains (the comparison in `export` lists those that differ)
TRAIN_KEYS = ("arch", "styles", "content", "size", "style_size", "batch", "lr", "style_weight", "content_weight",
              "tv_weight", "loss_net", "vgg_weights", "seed", "skimage", "holdout", "min_scale", "centre_gram",
              "padding", "lr_decay_steps", "lr_floor", "loss_seeds")
LOG_FIELDS = ["step", "style", "loss", "content", "style_loss", "tv", "wall_time_s"]


class ReplicaSlices:
    """`value_fn` of `experimental_distribute_values_from_function`: replica r of n gets the r-th
    n-th of the global batch."""

    def __init__(self, images: np.ndarray, replicas: int):
        self.parts = np.split(np.asarray(images, np.float32), replicas)

    def __call__(self, context):
        import tensorflow as tf

        return tf.constant(self.parts[context.replica_id_in_sync_group])


class Trainer:
    """Everything a training run needs; rebuilt identically on --resume from config.json.
    `home` is the run folder (or a worker's own folder below it)."""

    def __init__(self, config: dict, home: Path, strategy=None):
        import tensorflow as tf
        import tf_keras as keras

        from training.style.losses import loss_net_for
        from training.style.nets import build_transformer

        self.config, self.run = config, Path(home)
        self.strategy = strategy or tf.distribute.get_strategy()
        self.replicas = int(self.strategy.num_replicas_in_sync)
        if config["batch"] % self.replicas:
            raise UserError(f"--batch {config['batch']} does not split evenly over {self.replicas} replicas")
        self.style_ids, self.style_images = data.load_styles(config["styles"], config["style_size"])
        content = data.load_content(config["content"], config["holdout"], config["size"], config["skimage"])
        self.pool, self.pool_names, self.eval = content.pool, content.names, content.eval
        self.kodak_count = content.kodak_count
        self.num_styles = len(self.style_ids)
        self.weights = {"content": config["content_weight"], "style": config["style_weight"], "tv": config["tv_weight"]}

        keras.utils.set_random_seed(config["seed"])
        with self.strategy.scope():
            # one loss network, or with --loss-seeds a bank of them (training follows one member per step)
            self.lossnet = loss_net_for(config["loss_net"], config.get("vgg_weights"), config.get("centre_gram", []),
                                        config.get("loss_seeds"))
            self.members = getattr(self.lossnet, "members", [self.lossnet])
            self.model = build_transformer(config["arch"], self.num_styles, padding=config.get("padding", "zeros"),
                                           **net_shape(config))
            self.optimizer = keras.optimizers.Adam(config["lr"])
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.ckpt = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step)
        self.manager = tf.train.CheckpointManager(self.ckpt, str(self.run / "ckpt"), max_to_keep=1)
        # member_grams[k][l]: [S, C, C], member k's Gram targets of every style at style layer l
        self.member_grams = []
        for member in self.members:
            per_style = [member.style_targets(s) for s in self.style_images]
            self.member_grams.append([tf.stack([g[l] for g in per_style]) for l in range(len(member.style_layers))])
        self.grams = self.member_grams[0]
        self._distributed_steps = [tf.function(lambda i, s, k=k: self._global_step(i, s, k), reduce_retracing=True)
                                   for k in range(len(self.members))]

    def targets(self, style_index: int) -> list:
        """What `self.lossnet.losses` takes as the style targets of painting `style_index`."""
        per_member = [[g[style_index] for g in grams] for grams in self.member_grams]
        return per_member if len(self.members) > 1 else per_member[0]

    def member_for(self, step: int) -> int:
        """The loss network step `step` (0-based) trains with: step modulo the number of members."""
        return step % len(self.members)

    def _replica_step(self, images, style_index, member: int = 0):
        import tensorflow as tf

        lossnet, grams = self.members[member], self.member_grams[member]
        onehot = tf.one_hot(tf.fill([tf.shape(images)[0]], style_index), self.num_styles)
        content_feats = lossnet.features(images)
        targets = [g[style_index] for g in grams]
        with tf.GradientTape() as tape:
            out = self.model([images, onehot], training=True)
            terms = lossnet.losses(out, content_feats, targets, self.weights)
            share = terms["total"] / self.replicas  # the optimizer sums the replicas' gradients
        grads = tape.gradient(share, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return terms

    def _global_step(self, images, style_index, member: int = 0):
        import tensorflow as tf

        terms = self.strategy.run(self._replica_step, args=(images, style_index, member))
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in terms.items()}

    def train_step(self, images, style_index, member: int = 0) -> dict:
        """One optimizer step on the global batch `images` [B, H, W, 3] with painting `style_index` and
        loss network `member` (of --loss-seeds); the loss terms (means over the batch)."""
        import tensorflow as tf

        if self.replicas > 1:
            images = self.strategy.experimental_distribute_values_from_function(ReplicaSlices(images, self.replicas))
        else:
            images = tf.constant(images, tf.float32)
        return self._distributed_steps[member](images, tf.constant(style_index, tf.int32))

    def agree(self, flag: bool) -> bool:
        """True when any worker says so (multiworker: every worker must stop at the same step)."""
        import tensorflow as tf

        if not isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return flag
        votes = self.strategy.experimental_distribute_values_from_function(
            ReplicaSlices(np.full(self.replicas, float(flag)), self.replicas))
        return bool(self.strategy.reduce(tf.distribute.ReduceOp.SUM, votes, axis=None).numpy().sum() > 0)

    def batch(self, step: int):
        c = self.config
        return data.batch_for_step(c["seed"], step, self.pool, c["batch"], c["size"], self.num_styles, c["min_scale"])

    def restore(self) -> int:
        latest = self.manager.latest_checkpoint
        if latest:
            self.ckpt.restore(latest).assert_existing_objects_matched()
        return int(self.step.numpy())

    def save(self) -> str:
        """Save a checkpoint; its path relative to the run folder."""
        path = self.manager.save(checkpoint_number=int(self.step.numpy()))
        return Path(path).relative_to(self.run).as_posix()

    def stylise(self, images: np.ndarray, style_vec) -> np.ndarray:
        import tensorflow as tf

        images = np.asarray(images, np.float32)
        if images.ndim == 3:
            images = images[None]
        style = np.broadcast_to(np.asarray(style_vec, np.float32), (len(images), self.num_styles))
        return self.model([tf.constant(images), tf.constant(style)], training=False).numpy()


def train_config(args) -> dict:
    return {
        "arch": args.arch, "styles": str(args.styles), "content": [str(c) for c in args.content],
        "size": args.size, "style_size": args.style_size or args.size, "batch": args.batch, "lr": args.lr,
        "style_weight": args.style_weight, "content_weight": args.content_weight, "tv_weight": args.tv_weight,
        "loss_net": args.loss_net, "vgg_weights": str(args.vgg_weights) if args.vgg_weights else None,
        "seed": args.seed, "skimage": not args.no_skimage,
        "holdout": [h for h in args.holdout.split(",") if h], "min_scale": args.min_scale,
        "centre_gram": centre_gram(args),
        # only when set, so the configs (and cards) of earlier runs read as before
        **({"padding": args.padding} if args.padding != "zeros" else {}),
        **shape_args(args),
        **loss_seeds(args),
        **({"lr_decay_steps": args.lr_decay_steps, "lr_floor": args.lr_floor} if args.lr_decay_steps else {}),
    }


def shape_args(args) -> dict:
    """--widths / --blocks as config keys (only when given; light network only)."""
    out = {}
    if getattr(args, "widths", None):
        try:
            widths = [int(w) for w in args.widths.split(",")]
        except ValueError:
            widths = []
        if len(widths) != 5 or min(widths) < 1:
            raise UserError(f"--widths {args.widths}: five positive channel counts W1,W2,WR,U1,U2, e.g. 16,32,64,32,16")
        out["widths"] = widths
    if getattr(args, "blocks", None) is not None:
        if args.blocks < 0:
            raise UserError(f"--blocks {args.blocks}: a count of residual blocks, 0 or more")
        out["blocks"] = args.blocks
    if getattr(args, "input_skip", False):
        out["input_skip"] = True
    if out and args.arch != "light":
        raise UserError("--widths, --blocks and --input-skip shape the light network only (not --arch johnson)")
    return out


def loss_seeds(args) -> dict:
    """--loss-seeds as a config key (only when given): the seeds of a bank of random loss networks."""
    from training.style.losses import check_bank, parse_seeds

    text = getattr(args, "loss_seeds", None)
    if not text:
        return {}
    seeds = parse_seeds(text, "--loss-seeds")
    check_bank(args.loss_net)
    return {"loss_seeds": seeds}


def net_shape(config: dict) -> dict:
    """build_transformer's widths/blocks from a run config (the defaults when it has none)."""
    from training.style.nets import LIGHT_BLOCKS, LIGHT_WIDTHS

    if config["arch"] != "light":
        return {}
    return {"widths": tuple(config.get("widths", LIGHT_WIDTHS)), "blocks": int(config.get("blocks", LIGHT_BLOCKS)),
            "input_skip": bool(config.get("input_skip", False))}


def lr_at(config: dict, step: int) -> float:
    """The learning rate of step `step` (0-based): --lr, or with --lr-decay-steps N a cosine from --lr down to
    --lr-floor x --lr at step N, the floor after it. A function of the step alone, so a resumed run follows it."""
    lr, n = config["lr"], config.get("lr_decay_steps") or 0
    if not n:
        return lr
    return cosine(lr, config.get("lr_floor", 0.1), step / n)


def centre_gram(args) -> list[str]:
    """The style layers of --centre-gram (comma-separated; none by default)."""
    return [n for n in (getattr(args, "centre_gram", "") or "").split(",") if n]


def open_run(args, strategy) -> tuple[Path, dict]:
    """(this process's run folder, config): the config of `--resume`, or a new one from the flags."""
    run = runs.run_dir(STUDIO, args.name, args.runs_dir)
    home = worker_dir(run, strategy)
    if args.resume:
        if is_chief(strategy):
            runs.existing_run(STUDIO, args.name, args.runs_dir)
        return home, runs.read_config(home)
    if not args.styles or not args.content:
        raise UserError("train needs --styles and --content (or --resume)")
    ckpt = home / "ckpt"
    if ckpt.exists() and any(ckpt.iterdir()):
        raise UserError(f"{run} already holds a run: pass --resume to continue it, or choose another --name")
    config = {**train_config(args), "argv": list(args.argv)}
    runs.write_config(home, config)
    return home, config


def interrupt(signum, frame):
    """SIGTERM (`kill PID`) saves a checkpoint like Ctrl-C."""
    raise KeyboardInterrupt


class Session:
    """One session of a run: the loop from the checkpoint to `--steps`, the log, checkpoints,
    snapshots and sample grids, the wall time summed over sessions in state.json."""

    def __init__(self, args, trainer: Trainer, chief: bool):
        self.args, self.trainer, self.chief = args, trainer, chief
        self.home = trainer.run
        self.start = trainer.restore() if args.resume else 0
        self.state = runs.RunState(self.home, {"wall_time_s": 0.0, "sessions": []})
        if not args.resume:
            self.state.data = {"wall_time_s": 0.0, "sessions": []}
        self.log_path = self.home / "log.csv"
        trim_csv(self.log_path, "step", self.start)
        self.clock = runs.WallClock(args.max_minutes)
        self.base_wall = float(self.state.get("wall_time_s", 0.0))
        self.sessions = list(self.state.get("sessions", []))
        self.sessions.append({"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "from_step": self.start,
                              "threads": args.threads, "strategy": args.strategy, "replicas": trainer.replicas})

    def checkpoint(self) -> None:
        step = int(self.trainer.step.numpy())
        self.sessions[-1].update({"to_step": step, "seconds": round(self.clock.elapsed, 1)})
        checkpoint = self.trainer.save()
        self.state.data.update(step=step, checkpoint=checkpoint, wall_time_s=round(self.base_wall + self.clock.elapsed, 2),
                               sessions=self.sessions)
        self.state.save()

    def one_step(self, step: int) -> dict:
        images, style_index = self.trainer.batch(step)
        if self.trainer.config.get("lr_decay_steps"):
            self.trainer.optimizer.learning_rate.assign(lr_at(self.trainer.config, step))
        member = self.trainer.member_for(step)
        terms = {k: float(v) for k, v in self.trainer.train_step(images, style_index, member).items()}
        self.trainer.step.assign(step + 1)
        append_csv(self.log_path, {
            "step": step + 1, "style": style_index, "loss": f"{terms['total']:.6f}", "content": f"{terms['content']:.6f}",
            "style_loss": f"{terms['style']:.6f}", "tv": f"{terms['tv']:.6f}",
            "wall_time_s": f"{self.base_wall + self.clock.elapsed:.1f}"}, LOG_FIELDS)
        if not np.isfinite(terms["total"]):
            raise UserError(f"the loss is {terms['total']} at step {step + 1}; try a lower --lr")
        return terms

    def after_step(self, step: int) -> None:
        from training.style.report import sample_grid

        args = self.args
        if args.ckpt_every and step % args.ckpt_every == 0:
            self.checkpoint()
        if self.chief and args.snapshot_every and step % args.snapshot_every == 0:
            (self.home / "snapshots").mkdir(exist_ok=True)
            self.trainer.model.save_weights(str(self.home / "snapshots" / f"step_{step:06d}.weights.h5"))
        if self.chief and args.sample_every and step % args.sample_every == 0:
            sample_grid(self.trainer, self.home / "samples" / f"step_{step:06d}.png")

    def loop(self) -> str:
        """Train up to --steps; why it stopped ("steps", "time budget" or "interrupted")."""
        args, step = self.args, self.start
        bar = Progress(args.steps, self.start, label=args.name, every=args.log_every)
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, interrupt) if main_thread else None
        stopped = "steps"
        try:
            while step < args.steps:
                if self.trainer.agree(self.clock.exhausted()):
                    stopped = "time budget"
                    break
                terms = self.one_step(step)
                step += 1
                bar.update(step, f"loss {terms['total']:.4f} c {terms['content']:.3f} s {terms['style']:.4f}")
                self.after_step(step)
        except KeyboardInterrupt:
            stopped = "interrupted"
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        bar.close()
        return stopped


def train(args) -> int:
    """Train a fast multi-style transformer network (resumable, --strategy mirrored|multiworker)"""
    set_threads(args.threads, args.deterministic)
    strategy = make_strategy(args.strategy)
    chief = is_chief(strategy)
    home, config = open_run(args, strategy)
    trainer = Trainer(config, home, strategy)
    session = Session(args, trainer, chief)
    print(f"run {home}: {config['arch']} net, {trainer.model.count_params()} parameters, {trainer.num_styles} styles, "
          f"{len(trainer.pool)} content images, from step {session.start} to {args.steps}; "
          f"strategy {args.strategy} ({trainer.replicas} replica(s))", file=sys.stderr)
    stopped = session.loop()
    session.checkpoint()
    if chief and args.sample_every:
        from training.style.report import sample_grid

        sample_grid(trainer, home / "samples" / "latest.png")
    print(f"stopped ({stopped}) at step {int(trainer.step.numpy())}; checkpoint in {home / 'ckpt'}; "
          f"resume: python -m training style train --name {args.name} --resume --steps {args.steps}"
          + (f" --runs-dir {args.runs_dir}" if args.runs_dir else ""), file=sys.stderr)
    return 130 if stopped == "interrupted" else 0
