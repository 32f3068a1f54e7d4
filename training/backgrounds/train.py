"""The training loop of the Backgrounds studio (hinge-loss conditional spatial GAN).

    python -m training backgrounds train --images DIR --name NAME [--steps 6000 ...]

Each step: a batch of random crops (one texture each, `--augment`), local noise for the same
number of fakes, each fake one texture or (`--morph` of them) a morph between two; one
generator forward, the patch discriminator on reals and fakes with their per-cell texture
weights, hinge losses, Adam on both, EMA of the generator's weights. Every batch is made in
numpy from a seed of (run seed, step, replica), so a resumed run sees exactly the batches it
would have seen (bit-identical with `--deterministic`). A run lives in
<runs>/backgrounds/<NAME>/: config.json, state.json, log.csv, ckpt/ (last checkpoint),
samples/step_NNNNNN.png (one tile per texture from the EMA generator) and samples/real.png.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from training.backgrounds.data import AUGMENTATIONS, load_textures, random_crops
from training.backgrounds.sample import FACTOR_LOG2, local_noise, morph_weights, one_hot_weights, texture_grid
from training.kit.errors import Halted, UserError
from training.kit.files import append_csv, trim_csv
from training.kit.machine import is_chief, make_strategy, set_threads, worker_dir
from training.kit.runs import RunState, WallClock, checkpointed_run, existing_run, read_config, run_dir, write_config
from training.latent.images import save_grid

STUDIO = "backgrounds"
CONFIG_KEYS = ("images", "crop", "batch", "steps", "local_channels", "global_channels", "g_low", "g_low_convs",
               "g_up", "d_width", "lr_g", "lr_d", "ema", "morph", "diversity", "augment", "seed", "checkpoint_every", "log_every")
LOG_FIELDS = ["step", "d_loss", "g_loss", "d_real", "d_fake", "diversity", "steps_per_s", "wall_time_s"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    from training.kit.cli import add_training

    add_training(p)
    p.add_argument("--images", required=True, help="folder of texture images (with manifest.json and CREDITS.md)")
    p.add_argument("--steps", type=int, default=None, help="total training steps (default 6000; raise with --resume)")
    p.add_argument("--crop", type=int, default=96, help="training crop in px, a multiple of 32")
    p.add_argument("--batch", type=int, default=16, help="reals (and as many fakes) per step, over all replicas")
    p.add_argument("--local-channels", type=int, default=32, help="i.i.d. noise channels per cell")
    p.add_argument("--global-channels", type=int, default=32, help="channels of the texture points")
    p.add_argument("--g-low", type=int, default=192, help="generator channels at 1/32 resolution")
    p.add_argument("--g-low-convs", type=int, default=3, help="3x3 convolutions at 1/32 resolution")
    p.add_argument("--g-up", default="64,32,16,8", help="channels after each x2 upsampling but the last (to RGB)")
    p.add_argument("--d-width", type=int, default=32, help="discriminator channels of its first layer")
    p.add_argument("--lr-g", type=float, default=2e-4)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay of the exported generator's weights")
    p.add_argument("--morph", type=float, default=0.25, help="fraction of fakes that morph between two textures")
    p.add_argument("--diversity", type=float, default=0.1,
                   help="weight of the mode-seeking term (Mao et al. 2019): fakes come in pairs with the same "
                        "textures and different local noise, and the generator is pushed to make them differ "
                        "(0: off)")
    p.add_argument("--augment", choices=AUGMENTATIONS, default="flip", help="augmentation of the real crops")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints and sample grids")
    p.add_argument("--log-every", type=int, default=50, help="steps between log.csv rows")
    p.add_argument("--halt-after-steps", type=int, default=None, help=argparse.SUPPRESS)  # test hook: a kill


def check_config(cfg: dict) -> None:
    cell = 1 << FACTOR_LOG2
    if cfg["crop"] < cell or cfg["crop"] % cell:
        raise UserError(f"--crop must be a positive multiple of {cell} (got {cfg['crop']})")
    if cfg["batch"] < 1 or cfg["steps"] < 1:
        raise UserError("--batch and --steps must be at least 1")
    if len([c for c in str(cfg["g_up"]).split(",") if c.strip()]) != FACTOR_LOG2 - 1:
        raise UserError(f"--g-up lists the channels of {FACTOR_LOG2 - 1} upsampling stages (got {cfg['g_up']!r})")
    if not 0.0 <= cfg["morph"] <= 1.0:
        raise UserError("--morph is a fraction between 0 and 1")
    if cfg["diversity"] and cfg["batch"] % 2:
        raise UserError("--diversity pairs the fakes: use an even --batch per replica")


class Networks:
    """The networks, optimisers and checkpoint of a run, built under a tf.distribute strategy."""

    def __init__(self, cfg: dict, strategy=None):
        import tensorflow as tf
        import tf_keras as keras

        from training.backgrounds.models import build_discriminator, build_generator

        self.cfg = cfg
        self.strategy = strategy or tf.distribute.get_strategy()
        with self.strategy.scope():
            keras.utils.set_random_seed(cfg["seed"])  # the same initial weights on every replica and rerun
            self.generator = build_generator(cfg)
            self.ema = build_generator(cfg, name="ema_generator")
            self.ema.set_weights(self.generator.get_weights())
            self.discriminator = build_discriminator(cfg["crop"], cfg["textures"], cfg["d_width"])
            self.g_opt = keras.optimizers.Adam(cfg["lr_g"], beta_1=0.0, beta_2=0.99)
            self.d_opt = keras.optimizers.Adam(cfg["lr_d"], beta_1=0.0, beta_2=0.99)
            self.g_opt.build(self.generator.trainable_variables)
            self.d_opt.build(self.discriminator.trainable_variables)
        self.checkpoint = tf.train.Checkpoint(generator=self.generator, ema=self.ema, discriminator=self.discriminator,
                                              g_opt=self.g_opt, d_opt=self.d_opt)

    def restore(self, path: str) -> None:
        self.checkpoint.read(path).assert_consumed()

    def ema_snapshot(self):
        """A plain (undistributed) copy of the EMA generator, its BatchNorm statistics set from a
        fixed batch: two 4x4-cell images of every texture."""
        from training.backgrounds.models import build_generator
        from training.kit.batchnorm import recalibrate

        cfg = self.cfg
        snapshot = build_generator(cfg, name="ema_generator")
        snapshot.set_weights(self.ema.get_weights())
        ids = np.repeat(np.arange(cfg["textures"]), 2)
        rng = np.random.default_rng([cfg["seed"], 7919])
        recalibrate(snapshot, [local_noise(len(ids), 4, 4, cfg["local_channels"], rng),
                                         one_hot_weights(ids, 4, 4, cfg["textures"])])
        return snapshot


def make_batch(cfg: dict, textures, step: int, stream: int, batch: int):
    """One replica's batch of `step`: real crops, their weights, local noise, fake weights."""
    rng = np.random.default_rng([cfg["seed"], step, stream])
    cells, count = cfg["crop"] >> FACTOR_LOG2, cfg["textures"]
    real_ids = rng.integers(0, count, batch)
    real = random_crops(textures, real_ids, cfg["crop"], rng, cfg["augment"])
    fake_ids = rng.integers(0, count, batch)
    fake_w = one_hot_weights(fake_ids, cells, cells, count)
    morphs = np.flatnonzero(rng.random(batch) < cfg["morph"])
    if len(morphs):
        other = (fake_ids[morphs] + rng.integers(1, count, len(morphs))) % count if count > 1 else fake_ids[morphs]
        fake_w[morphs] = morph_weights(fake_ids[morphs], other, cells, cells, count, rng)
    if cfg.get("diversity"):  # pairs: the second half repeats the first half's textures
        fake_w[batch // 2:2 * (batch // 2)] = fake_w[:batch // 2]
    noise = local_noise(batch, cells, cells, cfg["local_channels"], rng)
    return real, one_hot_weights(real_ids, cells, cells, count), noise, fake_w


def distributed_batches(cfg: dict, textures, strategy, start: int):
    """Per-replica batches from step `start` on (one input pipeline per worker)."""
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    if cfg["batch"] % replicas:
        raise UserError(f"--batch {cfg['batch']} does not split over {replicas} replicas")
    cells, crop = cfg["crop"] >> FACTOR_LOG2, cfg["crop"]
    spec = (tf.TensorSpec((None, crop, crop, 3), tf.uint8), tf.TensorSpec((None, cells, cells, cfg["textures"])),
            tf.TensorSpec((None, cells, cells, cfg["local_channels"])), tf.TensorSpec((None, cells, cells, cfg["textures"])))

    def pipeline(context):
        local = replicas // context.num_input_pipelines
        per_replica = cfg["batch"] // replicas

        def elements():
            for step in range(start, cfg["steps"]):
                for j in range(local):
                    yield make_batch(cfg, textures, step, context.input_pipeline_id * local + j, per_replica)

        return tf.data.Dataset.from_generator(elements, output_signature=spec).prefetch(2)

    return strategy.distribute_datasets_from_function(pipeline)


def make_train_step(nets: Networks):
    import tensorflow as tf

    strategy, cfg = nets.strategy, nets.cfg
    g, d, ema = nets.generator, nets.discriminator, nets.ema

    def replica_step(real_u8, real_w, noise, fake_w):
        real = tf.cast(real_u8, tf.float32) / 127.5 - 1.0
        n = tf.shape(real)[0]
        replicas = tf.cast(strategy.num_replicas_in_sync, tf.float32)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = g([noise, fake_w], training=True)
            logits = d([tf.concat([real, fake], 0), tf.concat([real_w, fake_w], 0)], training=True)
            real_logit, fake_logit = logits[:n], logits[n:]
            d_loss = tf.reduce_mean(tf.nn.relu(1.0 - real_logit)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logit))
            g_loss = -tf.reduce_mean(fake_logit)
            half = n // 2
            # mode seeking: image distance over noise distance of each pair (same textures)
            ratio = tf.reduce_mean(tf.abs(fake[:half] - fake[half:2 * half])) / tf.reduce_mean(
                tf.abs(noise[:half] - noise[half:2 * half]))
            g_total = g_loss + cfg.get("diversity", 0.0) / (ratio + 1e-5) if cfg.get("diversity") else g_loss
            # the optimisers sum the replicas' gradients: scale so that they average them
            d_scaled, g_scaled = d_loss / replicas, g_total / replicas
        d_grads = d_tape.gradient(d_scaled, d.trainable_variables)
        g_grads = g_tape.gradient(g_scaled, g.trainable_variables)
        nets.d_opt.apply_gradients(zip(d_grads, d.trainable_variables))
        nets.g_opt.apply_gradients(zip(g_grads, g.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": tf.reduce_mean(real_logit),
                "d_fake": tf.reduce_mean(fake_logit), "diversity": ratio}

    @tf.function
    def train_step(batch):
        out = strategy.run(replica_step, args=batch)
        # EMA in cross-replica context, with a warm-up so the random start does not linger
        t = tf.cast(nets.g_opt.iterations, tf.float32)
        decay = tf.minimum(tf.constant(cfg["ema"], tf.float32), (1.0 + t) / (10.0 + t))
        for ema_w, w in zip(ema.trainable_variables, g.trainable_variables):
            ema_w.assign(decay * ema_w + (1.0 - decay) * w)
        return {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in out.items()}

    return train_step


def start_run(args) -> tuple[Path, dict]:
    run = run_dir(STUDIO, args.name, args.runs_dir)
    if args.resume:
        cfg = read_config(existing_run(STUDIO, args.name, args.runs_dir))
        if args.steps is not None and args.steps != cfg["steps"]:
            cfg["steps"] = args.steps
            write_config(run, cfg)
        return run, cfg
    if (run / "state.json").exists():
        raise UserError(f"{run} already holds a run; continue it with --resume, or choose another --name")
    cfg = {k: getattr(args, k) for k in CONFIG_KEYS}
    cfg["steps"] = 6000 if cfg["steps"] is None else cfg["steps"]
    cfg.update(name=args.name, images_path=str(Path(args.images).expanduser().resolve()), argv=list(args.argv))
    check_config(cfg)
    return run, cfg


def checkpoint(run: Path, out: Path, nets: Networks, state: RunState, step: int, prior_wall: float,
               clock: WallClock, chief: bool) -> None:
    path = nets.checkpoint.write(str(out / "ckpt" / f"step_{step:06d}"))
    if not chief:
        return
    previous = state.get("checkpoint")
    state.data.update(step=step, checkpoint=os.path.relpath(path, run), wall_time_s=prior_wall + clock.elapsed)
    state.save()
    if previous and previous != state["checkpoint"]:
        for f in (run / previous).parent.glob(Path(previous).name + ".*"):
            f.unlink(missing_ok=True)
    grid = texture_grid(nets.ema_snapshot(), nets.cfg["textures"], nets.cfg["local_channels"], 4, nets.cfg["seed"])
    cols = int(np.ceil(np.sqrt(len(grid) * 16 / 9)))
    save_grid(grid, run / "samples" / f"step_{step:06d}.png", cols=cols)
    save_grid(grid, run / "samples" / "latest.png", cols=cols)


def train(args) -> int:
    """Train (or resume) a backgrounds run: conditional spatial GAN on random texture crops."""
    clock = WallClock(args.max_minutes)
    set_threads(args.threads, args.deterministic)
    run, cfg = start_run(args)
    textures = load_textures(cfg["images_path"], cfg["crop"]).textures
    if args.resume and [t.name for t in textures] != cfg.get("texture_names"):
        raise UserError(f"{cfg['images_path']} no longer holds the textures this run trained on")
    cfg.update(textures=len(textures), texture_names=[t.name for t in textures])
    strategy = make_strategy(args.strategy)
    chief = is_chief(strategy)
    out = worker_dir(run, strategy)
    if chief and not args.resume:
        write_config(run, cfg)
    state = RunState(run, {"step": 0, "wall_time_s": 0.0, "sessions": 0})
    state["sessions"] = state.get("sessions", 0) + 1
    nets = Networks(cfg, strategy)
    start = int(state["step"])
    if args.resume and state.get("checkpoint"):
        nets.restore(str(run / state["checkpoint"]))
        trim_csv(run / "log.csv", "step", start)
        print(f"resumed {args.name} at step {start}")
    elif chief:
        rng = np.random.default_rng([cfg["seed"], 5])
        save_grid(random_crops(textures, np.arange(len(textures)), cfg["crop"], rng), run / "samples" / "real.png",
                  cols=int(np.ceil(np.sqrt(len(textures) * 16 / 9))))
    print(f"{len(textures)} textures; generator {nets.generator.count_params():,} parameters, discriminator "
          f"{nets.discriminator.count_params():,}; strategy {args.strategy} ({strategy.num_replicas_in_sync} replica(s))")
    if start >= cfg["steps"]:
        print(f"run {args.name} already trained {start} steps (of {cfg['steps']})")
        return 0
    train_step = make_train_step(nets)
    batches = iter(distributed_batches(cfg, textures, strategy, start))
    prior_wall, t0, step = float(state["wall_time_s"]), time.monotonic(), start
    while step < cfg["steps"]:
        logs = train_step(next(batches))
        step += 1
        if step % cfg["log_every"] == 0 and chief:
            rate = cfg["log_every"] / max(time.monotonic() - t0, 1e-9)
            t0 = time.monotonic()
            append_csv(run / "log.csv", {"step": step, **{k: round(float(v), 5) for k, v in logs.items()},
                                         "steps_per_s": round(rate, 3),
                                         "wall_time_s": round(prior_wall + clock.elapsed, 1)}, LOG_FIELDS)
            print(f"step {step}: d {float(logs['d_loss']):.3f} g {float(logs['g_loss']):.3f} ({rate:.2f} steps/s)",
                  flush=True)
        if args.halt_after_steps is not None and step >= args.halt_after_steps:
            raise Halted(f"halted after step {step} (test hook)")
        if step % cfg["checkpoint_every"] == 0 or step == cfg["steps"] or clock.exhausted():
            checkpoint(run, out, nets, state, step, prior_wall, clock, chief)
            if clock.exhausted() and step < cfg["steps"]:
                print(f"stopping at step {step}: time budget reached; continue with --resume")
                break
    print(f"{args.name}: step {step} of {cfg['steps']}, {state['wall_time_s'] / 60:.1f} min of training in total; "
          f"run folder {run}", file=sys.stdout)
    return 0


def load_run(name: str, runs_dir=None) -> tuple[Path, dict, RunState, Networks]:
    run, cfg, state = checkpointed_run(STUDIO, name, runs_dir, "train it for --checkpoint-every steps first")
    nets = Networks(cfg)
    nets.restore(str(run / state["checkpoint"]))
    return run, cfg, state, nets
