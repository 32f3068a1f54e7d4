"""Style studio: Gatys reference, fast multi-style transformer training, report, export.

Commands (``python -m training style <command> ...`` or ``python -m training.style``):

* ``gatys``  -- seed 003's optimisation (Gatys et al. 2016): content loss, Gram-matrix
  style loss and total variation, minimised over the pixels with L-BFGS
  (scipy.optimize, L-BFGS-B with the pixels bounded to 0..255).
* ``train``  -- a feed-forward transformer with conditional instance normalisation,
  one network for all styles of a folder (training/style_nets.py).
* ``report`` -- held-out losses of the fast network vs. the Gatys reference.
* ``export`` -- tensorflowjs layers model + card + thumbnails + parity fixture.

The loss network is ``--loss-net random`` (fixed random filters, default here) or
``--loss-net vgg16 --vgg-weights FILE`` (see training/style_losses.py).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

import training  # noqa: F401
from training import style_data
from training.kit import runs

# tensorflowjs imports TF-DF, whose welcome banner imports IPython when stdout is not a terminal.
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

STUDIO = "style"
STATE_FILE = "state.json"
CONFIG_FILE = "config.json"
REPORT_FILE = "report.json"


# ---------------------------------------------------------------------------
# small utilities


def set_threads(n: int | None) -> None:
    import tensorflow as tf

    if n:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(n))
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # TensorFlow already initialised (e.g. inside tests)
            pass


class Progress:
    """A one-line progress bar on a terminal; plain lines every `every` steps otherwise."""

    def __init__(self, total: int, start: int = 0, label: str = "", every: int = 25, stream=None):
        self.total, self.start, self.label = max(1, total), start, label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every
        self.t0 = time.monotonic()

    def update(self, done: int, text: str = "") -> None:
        if not self.tty and done % self.every and done != self.total:
            return
        frac = min(1.0, done / self.total)
        rate = (time.monotonic() - self.t0) / max(1, done - self.start)
        eta = rate * (self.total - done)
        bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
        line = f"{self.label} [{bar}] {done}/{self.total} {text} {rate:.2f}s/it eta {eta / 60:.1f}min"
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(160))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def save_png(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(np.round(image), 0, 255).astype(np.uint8)).save(path)


def write_json(path: Path, data, indent: int | None = 2) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    seps = None if indent else (",", ":")
    tmp.write_text(json.dumps(data, indent=indent, ensure_ascii=False, separators=seps) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def hardware() -> str:
    from training.kit.machine import hardware as describe

    return describe() + ", shared with other jobs"


def loss_weights(args) -> dict:
    return {"content": float(args.content_weight), "style": float(args.style_weight), "tv": float(args.tv_weight)}


# ---------------------------------------------------------------------------
# Gatys et al.: optimisation over the pixels


OBJECTIVE_SCALE = 1000.0


def gatys_optimize(content: np.ndarray, style: np.ndarray, lossnet, weights: dict, iterations: int,
                   init: np.ndarray | None = None, callback=None):
    """Minimise the perceptual loss over the pixels of an image the size of `content`.

    content, style: float/uint8 [H, W, 3] in 0..255. Starts from `init` (default:
    the content image). `callback(iteration, image, losses)` is called after each
    L-BFGS iteration. Returns (image float32 [H, W, 3], final losses dict, history
    of total losses starting with the initial one).
    """
    import scipy.optimize
    import tensorflow as tf

    content = np.asarray(content, np.float32)
    shape = (1,) + content.shape
    c_feats = lossnet.features(content[None])
    grams = lossnet.style_targets(np.asarray(style, np.float32))

    @tf.function(reduce_retracing=True)
    def loss_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            terms = lossnet.losses(x, c_feats, grams, weights)
        return terms, tape.gradient(terms["total"], x)

    # L-BFGS runs over u = x / 255 in [0, 1] on the loss times OBJECTIVE_SCALE: with pixel units and the
    # mean-normalised losses the gradients are ~1e-5, and scipy's line search stalls at the first step.
    def f(u):
        terms, grad = loss_and_grad(tf.constant((u * 255.0).reshape(shape), tf.float32))
        return (float(terms["total"]) * OBJECTIVE_SCALE,
                grad.numpy().astype(np.float64).ravel() * (255.0 * OBJECTIVE_SCALE))

    def terms_of(u):
        terms, _ = loss_and_grad(tf.constant((u * 255.0).reshape(shape), tf.float32))
        return {k: float(v) for k, v in terms.items()}

    u0 = (content if init is None else np.asarray(init, np.float32)).astype(np.float64).ravel() / 255.0
    history = [terms_of(u0)["total"]]
    state = {"it": 0}

    def on_iter(uk):
        state["it"] += 1
        terms = terms_of(uk) if callback else None
        if terms:
            history.append(terms["total"])
        if callback:
            callback(state["it"], (uk * 255.0).reshape(content.shape).astype(np.float32), terms)

    result = scipy.optimize.minimize(
        f, u0, jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(0.0, 1.0), callback=on_iter,
        options={"maxiter": int(iterations), "maxfun": int(iterations) * 2 + 20, "gtol": 1e-12, "ftol": 1e-12})
    x = result.x * 255.0
    final = terms_of(result.x)
    if not callback:
        history.append(final["total"])
    return x.reshape(content.shape).astype(np.float32), final, history


def cmd_gatys(args) -> int:
    from training.style_losses import LossNet

    set_threads(args.threads)
    content = style_data.load_rgb(args.content, args.size)
    style = style_data.load_rgb(args.style, args.style_size or args.size)
    lossnet = LossNet(args.loss_net, args.vgg_weights)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    weights = loss_weights(args)
    bar = Progress(args.iterations, label="gatys", every=10)

    def cb(it, image, terms):
        bar.update(it, f"loss {terms['total']:.4f} (c {terms['content']:.3f} s {terms['style']:.4f} tv {terms['tv']:.4f})")
        if args.save_every and it % args.save_every == 0:
            save_png(image, out.with_name(f"{out.stem}_iter{it:04d}.png"))

    t0 = time.monotonic()
    image, final, history = gatys_optimize(content, style, lossnet, weights, args.iterations, callback=cb)
    bar.close()
    save_png(image, out)
    summary = {"content": str(args.content), "style": str(args.style), "size": list(content.shape[:2]),
               "loss_network": lossnet.description, "weights": weights, "iterations": len(history) - 1,
               "initial_loss": history[0], "final": final, "seconds": round(time.monotonic() - t0, 1)}
    write_json(out.with_suffix(".json"), summary)
    print(f"wrote {out}: loss {history[0]:.4f} -> {final['total']:.4f} in {summary['seconds']} s")
    return 0


# ---------------------------------------------------------------------------
# training


TRAIN_KEYS = ("arch", "styles", "content", "size", "style_size", "batch", "lr", "style_weight", "content_weight",
              "tv_weight", "loss_net", "vgg_weights", "seed", "skimage", "holdout", "min_scale")


class Trainer:
    """Everything a training run needs; rebuilt identically on --resume from config.json."""

    def __init__(self, config: dict, run: Path):
        import tensorflow as tf
        import tf_keras as keras

        from training.style_losses import LossNet
        from training.style_nets import build_transformer

        self.config, self.run = config, run
        style_files = style_data.list_images([config["styles"]])
        if not style_files:
            raise SystemExit(f"no style images in {config['styles']}")
        self.style_ids = [f.stem for f in style_files]
        self.style_images = [style_data.load_rgb(f, config["style_size"]) for f in style_files]
        content_files = style_data.list_images(config["content"])
        train_files, held = style_data.split_content(content_files, config["holdout"])
        self.pool = [style_data.load_rgb(f) for f in train_files]
        self.pool_names = [f.stem for f in train_files]
        if config["skimage"]:
            for name, image in style_data.skimage_photos().items():
                self.pool.append(image)
                self.pool_names.append(f"skimage:{name}")
        if not self.pool:
            raise SystemExit("no content images for training")
        self.eval = style_data.eval_images(held, config["size"]) if held else [
            (f.stem, style_data.center_square(style_data.load_rgb(f), config["size"])) for f in train_files[:3]]
        self.num_styles = len(self.style_ids)
        self.weights = {"content": config["content_weight"], "style": config["style_weight"], "tv": config["tv_weight"]}

        keras.utils.set_random_seed(config["seed"])
        self.lossnet = LossNet(config["loss_net"], config.get("vgg_weights"))
        self.model = build_transformer(config["arch"], self.num_styles)
        self.optimizer = keras.optimizers.Adam(config["lr"])
        self.optimizer.build(self.model.trainable_variables)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.ckpt = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step)
        self.manager = tf.train.CheckpointManager(self.ckpt, str(run / "ckpt"), max_to_keep=1)
        per_style = [self.lossnet.style_targets(s) for s in self.style_images]
        # grams[l]: [S, C, C] for style layer l
        self.grams = [tf.stack([g[l] for g in per_style]) for l in range(len(self.lossnet.style_layers))]

        model, lossnet, optimizer, weights, grams, S = self.model, self.lossnet, self.optimizer, self.weights, self.grams, self.num_styles

        @tf.function(reduce_retracing=True)
        def train_step(images, style_index):
            onehot = tf.one_hot(tf.fill([tf.shape(images)[0]], style_index), S)
            content_feats = lossnet.features(images)
            targets = [g[style_index] for g in grams]
            with tf.GradientTape() as tape:
                out = model([images, onehot], training=True)
                terms = lossnet.losses(out, content_feats, targets, weights)
            grads = tape.gradient(terms["total"], model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return terms

        self.train_step = train_step

    def batch(self, step: int):
        c = self.config
        return style_data.batch_for_step(c["seed"], step, self.pool, c["batch"], c["size"], self.num_styles, c["min_scale"])

    def restore(self) -> int:
        latest = self.manager.latest_checkpoint
        if latest:
            self.ckpt.restore(latest).assert_existing_objects_matched()
        return int(self.step.numpy())

    def save(self, wall_time_s: float, sessions: list) -> None:
        self.manager.save(checkpoint_number=int(self.step.numpy()))
        write_json(self.run / STATE_FILE, {"step": int(self.step.numpy()), "wall_time_s": round(wall_time_s, 2),
                                           "sessions": sessions})

    def stylise(self, images: np.ndarray, style_vec) -> np.ndarray:
        import tensorflow as tf

        images = np.asarray(images, np.float32)
        if images.ndim == 3:
            images = images[None]
        style = np.broadcast_to(np.asarray(style_vec, np.float32), (len(images), self.num_styles))
        return self.model([tf.constant(images), tf.constant(style)], training=False).numpy()

    def sample_grid(self, path: Path, cell: int = 128) -> None:
        """Rows: styles (painting thumbnail, then the held-out photos stylised)."""
        from PIL import Image

        photos = [img for _, img in self.eval[:3]]
        cols = 1 + len(photos)
        grid = Image.new("RGB", (cols * cell, (self.num_styles + 1) * cell), "white")
        for j, img in enumerate(photos):
            grid.paste(Image.fromarray(img).resize((cell, cell)), ((j + 1) * cell, 0))
        batch = np.stack(photos).astype(np.float32)
        for s in range(self.num_styles):
            thumb = style_data.center_square(self.style_images[s], cell)
            grid.paste(Image.fromarray(thumb), (0, (s + 1) * cell))
            out = self.stylise(batch, np.eye(self.num_styles)[s])
            for j, o in enumerate(out):
                grid.paste(Image.fromarray(np.clip(o, 0, 255).astype(np.uint8)).resize((cell, cell)), ((j + 1) * cell, (s + 1) * cell))
        path.parent.mkdir(parents=True, exist_ok=True)
        grid.save(path)


def train_config(args) -> dict:
    return {
        "arch": args.arch, "styles": str(args.styles), "content": [str(c) for c in args.content],
        "size": args.size, "style_size": args.style_size or args.size, "batch": args.batch, "lr": args.lr,
        "style_weight": args.style_weight, "content_weight": args.content_weight, "tv_weight": args.tv_weight,
        "loss_net": args.loss_net, "vgg_weights": str(args.vgg_weights) if args.vgg_weights else None,
        "seed": args.seed, "skimage": not args.no_skimage,
        "holdout": [h for h in args.holdout.split(",") if h], "min_scale": args.min_scale,
    }


def reproduce_command(name: str, config: dict, steps: int) -> str:
    """The command line that trains this run from scratch for `steps` steps."""
    parts = ["python", "-m", "training", "style", "train", "--name", name, "--arch", config["arch"],
             "--styles", config["styles"], "--content", *config["content"], "--size", str(config["size"]),
             "--style-size", str(config["style_size"]), "--batch", str(config["batch"]), "--steps", str(steps),
             "--lr", repr(config["lr"]), "--style-weight", repr(config["style_weight"]),
             "--content-weight", repr(config["content_weight"]), "--tv-weight", repr(config["tv_weight"]),
             "--loss-net", config["loss_net"], "--seed", str(config["seed"]), "--holdout", ",".join(config["holdout"]),
             "--min-scale", repr(config["min_scale"])]
    if config.get("vgg_weights"):
        parts += ["--vgg-weights", config["vgg_weights"]]
    if not config["skimage"]:
        parts.append("--no-skimage")
    return shlex.join(parts)


LOG_FIELDS = ["step", "style", "loss", "content", "style_loss", "tv", "wall_time_s"]


def _trim_log(path: Path, last_step: int) -> None:
    """Drop log rows after `last_step` (written after the checkpoint we resume from)."""
    if not path.exists():
        return
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= last_step]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, LOG_FIELDS)
        w.writeheader()
        w.writerows(rows)


def cmd_train(args) -> int:
    set_threads(args.threads)
    import tensorflow as tf

    run = runs.run_dir(STUDIO, args.name, args.runs_dir)
    config_path = run / CONFIG_FILE
    if args.resume:
        if not config_path.exists():
            raise SystemExit(f"--resume: no run at {run}")
        config = json.loads(config_path.read_text())
    else:
        if (run / "ckpt").exists() and any((run / "ckpt").iterdir()):
            raise SystemExit(f"{run} already holds a run: pass --resume to continue it, or choose another --name")
        config = train_config(args)
        write_json(config_path, config)
    trainer = Trainer(config, run)
    state = json.loads((run / STATE_FILE).read_text()) if (run / STATE_FILE).exists() else {"wall_time_s": 0.0, "sessions": []}
    start = trainer.restore() if args.resume else 0
    log_path = run / "log.csv"
    _trim_log(log_path, start)
    new_log = not log_path.exists()
    clock = runs.WallClock(args.max_minutes)
    base_wall = float(state.get("wall_time_s", 0.0))
    sessions = list(state.get("sessions", []))
    sessions.append({"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "from_step": start, "threads": args.threads})
    print(f"run {run}: {trainer.config['arch']} net, {trainer.model.count_params()} parameters, "
          f"{trainer.num_styles} styles, {len(trainer.pool)} content images, from step {start} to {args.steps}",
          file=sys.stderr)

    def checkpoint():
        sessions[-1].update({"to_step": int(trainer.step.numpy()), "seconds": round(clock.elapsed, 1)})
        trainer.save(base_wall + clock.elapsed, sessions)

    bar = Progress(args.steps, start, label=args.name, every=args.log_every)
    step = start

    def on_term(signum, frame):  # `kill PID` saves a checkpoint like Ctrl-C
        raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None
    stopped = "steps"
    try:
        with open(log_path, "a", newline="") as logf:
            log = csv.DictWriter(logf, LOG_FIELDS)
            if new_log:
                log.writeheader()
            while step < args.steps:
                if clock.exhausted():
                    stopped = "time budget"
                    break
                images, style_index = trainer.batch(step)
                terms = trainer.train_step(tf.constant(images), tf.constant(style_index, tf.int32))
                step += 1
                trainer.step.assign(step)
                t = {k: float(v) for k, v in terms.items()}
                log.writerow({"step": step, "style": style_index, "loss": f"{t['total']:.6f}", "content": f"{t['content']:.6f}",
                              "style_loss": f"{t['style']:.6f}", "tv": f"{t['tv']:.6f}",
                              "wall_time_s": f"{base_wall + clock.elapsed:.1f}"})
                if step % args.log_every == 0:
                    logf.flush()
                bar.update(step, f"loss {t['total']:.4f} c {t['content']:.3f} s {t['style']:.4f}")
                if not np.isfinite(t["total"]):
                    raise FloatingPointError(f"loss is {t['total']} at step {step}")
                if args.ckpt_every and step % args.ckpt_every == 0:
                    logf.flush()
                    checkpoint()
                if args.snapshot_every and step % args.snapshot_every == 0:
                    (run / "snapshots").mkdir(exist_ok=True)
                    trainer.model.save_weights(str(run / "snapshots" / f"step_{step:06d}.weights.h5"))
                if args.sample_every and step % args.sample_every == 0:
                    trainer.sample_grid(run / "samples" / f"step_{step:06d}.png")
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    bar.close()
    checkpoint()
    if args.sample_every:
        trainer.sample_grid(run / "samples" / "latest.png")
    print(f"stopped ({stopped}) at step {step}; checkpoint in {run / 'ckpt'}; "
          f"resume: python -m training style train --name {args.name} --resume --steps {args.steps}"
          + (f" --runs-dir {args.runs_dir}" if args.runs_dir else ""), file=sys.stderr)
    return 130 if stopped == "interrupted" else 0


# ---------------------------------------------------------------------------
# report


def _terms_row(terms) -> dict:
    """Loss terms as floats; the style term is stored as `style_loss` (`style` names the painting)."""
    t = {k: float(v) for k, v in terms.items()}
    return {"total": t["total"], "content": t["content"], "style_loss": t["style"], "tv": t["tv"]}


def evaluate_fast(trainer: Trainer) -> list[dict]:
    """Losses of the fast network on every held-out photo x style."""
    import tensorflow as tf

    rows = []
    for name, img in trainer.eval:
        x = img[None].astype(np.float32)
        feats = trainer.lossnet.features(x)
        outs = trainer.stylise(np.repeat(x, trainer.num_styles, 0), np.eye(trainer.num_styles))
        for s in range(trainer.num_styles):
            terms = trainer.lossnet.losses(tf.constant(outs[s:s + 1]), feats, [g[s] for g in trainer.grams], trainer.weights)
            rows.append({"image": name, "style": trainer.style_ids[s], **_terms_row(terms)})
    return rows


def time_predict(model, num_styles: int, size: int = 256, repeats: int = 10) -> dict:
    import tensorflow as tf

    fn = tf.function(lambda a, b: model([a, b], training=False))
    x = tf.random.uniform((1, size, size, 3), 0, 255, seed=1)
    s = tf.one_hot([0], num_styles)
    for _ in range(2):
        fn(x, s).numpy()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x, s).numpy()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median": round(float(np.median(times)), 1), "min": round(float(np.min(times)), 1)}


def _mean(rows, key="total"):
    return float(np.mean([r[key] for r in rows])) if rows else None


def load_run(args):
    """(run folder, config, state, Trainer) of an existing run `args.run`."""
    set_threads(args.threads)
    run = runs.run_dir(STUDIO, args.run, args.runs_dir)
    config = json.loads((run / CONFIG_FILE).read_text())
    state = json.loads((run / STATE_FILE).read_text())
    return run, config, state, Trainer(config, run)


def cmd_report(args) -> int:
    from PIL import Image

    run, config, state, trainer = load_run(args)
    if args.snapshot:
        trainer.model.load_weights(str(run / "snapshots" / f"step_{args.snapshot:06d}.weights.h5"))
        steps = args.snapshot
    else:
        steps = trainer.restore()
    fast = evaluate_fast(trainer)
    report = {"run": args.run, "arch": config["arch"], "steps": steps, "parameters": trainer.model.count_params(),
              "loss_network": trainer.lossnet.description, "weights": trainer.weights,
              "eval_images": [n for n, _ in trainer.eval], "styles": trainer.style_ids,
              "fast": {"mean": {k: _mean(fast, k) for k in ("total", "content", "style_loss", "tv")}, "rows": fast},
              "python_cpu_ms_256": time_predict(trainer.model, trainer.num_styles, 256)}
    gatys_rows = []
    if args.gatys_iterations > 0:
        pairs = [(n, img, s) for n, img in trainer.eval[:args.gatys_images] for s in range(trainer.num_styles)]
        bar = Progress(len(pairs), label="gatys reference", every=1)
        t0 = time.monotonic()
        compare_dir = run / "report"
        # Gatys results do not depend on the fast network: keep them, keyed by everything they do depend on
        cache_path = run / "gatys_cache.json"
        cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
        for i, (name, img, s) in enumerate(pairs):
            sid = trainer.style_ids[s]
            key = json.dumps(["lbfgs-unit-scaled", name, sid, args.gatys_iterations, list(img.shape), trainer.weights,
                              trainer.lossnet.description, config["style_size"]])
            png = compare_dir / "gatys" / f"{name}_{sid}.png"
            if key in cache and png.exists():
                final = cache[key]
                with Image.open(png) as im:
                    image = np.asarray(im.convert("RGB"), np.float32)
            else:
                image, final, _ = gatys_optimize(img, trainer.style_images[s], trainer.lossnet, trainer.weights, args.gatys_iterations)
                save_png(image, png)
                cache[key] = final
                write_json(cache_path, cache)
            gatys_rows.append({"image": name, "style": sid, **_terms_row(final)})
            fast_out = trainer.stylise(img, np.eye(trainer.num_styles)[s])[0]
            save_png(np.concatenate([img, fast_out, image], axis=1), compare_dir / f"{name}_{sid}.png")
            bar.update(i + 1, f"{name}/{sid} {final['total']:.4f}")
        bar.close()
        fast_same = [r for r in fast if any(r["image"] == g["image"] and r["style"] == g["style"] for g in gatys_rows)]
        ratios = [f["total"] / g["total"] for f, g in zip(
            sorted(fast_same, key=lambda r: (r["image"], r["style"])), sorted(gatys_rows, key=lambda r: (r["image"], r["style"])))]
        report["gatys"] = {"iterations": args.gatys_iterations, "init": "content image", "seconds": round(time.monotonic() - t0, 1),
                           "mean": {k: _mean(gatys_rows, k) for k in ("total", "content", "style_loss", "tv")},
                           "fast_mean_same_pairs": _mean(fast_same),
                           "ratio_fast_to_gatys": float(np.mean(ratios)) if ratios else None,
                           "rows": gatys_rows}
    report["wall_time_s"] = state.get("wall_time_s")
    out = run / (REPORT_FILE if not args.snapshot else f"report_step{args.snapshot:06d}.json")
    write_json(out, report)
    (out.with_suffix(".md")).write_text(report_markdown(report), encoding="utf-8")
    print(report_markdown(report))
    return 0


def report_markdown(r: dict) -> str:
    f = r["fast"]["mean"]
    lines = [f"# Style report: {r['run']} ({r['arch']}, {r['parameters']} parameters, step {r['steps']})", "",
             f"Loss network: {r['loss_network']}", f"Loss weights: {r['weights']}",
             f"Held-out photos: {', '.join(r['eval_images'])}; styles: {', '.join(r['styles'])}",
             f"Python CPU predict at 256x256: {r['python_cpu_ms_256']['median']} ms (median), {r['python_cpu_ms_256']['min']} ms (min)", "",
             "| method | total | content | style | tv |", "|---|---|---|---|---|",
             f"| fast network (all photos x styles) | {f['total']:.4f} | {f['content']:.4f} | {f['style_loss']:.4f} | {f['tv']:.5f} |"]
    g = r.get("gatys")
    if g:
        m = g["mean"]
        lines.append(f"| Gatys L-BFGS, {g['iterations']} iterations from the content image | {m['total']:.4f} | {m['content']:.4f} | {m['style_loss']:.4f} | {m['tv']:.5f} |")
        lines += ["", f"On the same {len(g['rows'])} photo x style pairs the fast network's total loss is "
                      f"{g['fast_mean_same_pairs']:.4f} vs Gatys {m['total']:.4f}; mean per-pair ratio fast/Gatys = {g['ratio_fast_to_gatys']:.3f}.",
                  "Side-by-side images (content | fast | Gatys) are in report/."]
    lines += ["", "Per held-out photo and style (fast network):", "",
              "| photo | style | total | content | style | tv |", "|---|---|---|---|---|---|"]
    for x in r["fast"]["rows"]:
        lines.append(f"| {x['image']} | {x['style']} | {x['total']:.4f} | {x['content']:.4f} | {x['style_loss']:.4f} | {x['tv']:.5f} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# export


def reference_input(height: int = 32, width: int = 48) -> np.ndarray:
    """A deterministic test image (uint8 values as float32), [H, W, 3]:
    r = (4*x + 2*y) mod 256, g = 128 + 100*sin(x/5) * cos(y/7) rounded,
    b = 255 if (x//8 + y//8) is even else 40 (a checkerboard)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = np.mod(4 * x + 2 * y, 256)
    g = np.round(128 + 100 * np.sin(x / 5) * np.cos(y / 7))
    b = np.where(((x // 8) + (y // 8)) % 2 == 0, 255, 40)
    return np.stack([r, g, b], -1).astype(np.float32)


def _rounded_model(model, dtype):
    import tf_keras as keras

    from training.layers import CUSTOM_OBJECTS

    clone = keras.Model.from_config(model.get_config(), custom_objects=CUSTOM_OBJECTS)
    clone.set_weights([w.astype(dtype).astype(np.float32) for w in model.get_weights()])
    return clone


def load_exported(folder: Path):
    """Reload an exported tfjs layers model into tf_keras (with our custom layer)."""
    import tensorflowjs as tfjs
    import tf_keras as keras

    from training.layers import CUSTOM_OBJECTS

    with keras.utils.custom_object_scope(CUSTOM_OBJECTS):
        return tfjs.converters.load_keras_model(str(Path(folder) / "model.json"))


def _predict(model, image, style_vec):
    import tensorflow as tf

    return model([tf.constant(np.asarray(image, np.float32)[None]), tf.constant(np.asarray(style_vec, np.float32)[None])],
                 training=False).numpy()[0]


def cmd_export(args) -> int:
    from PIL import Image

    from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers, today

    run, config, state, trainer = load_run(args)
    steps = trainer.restore()
    if steps == 0:
        raise SystemExit(f"{run} has no checkpoint")
    name = args.export_name or args.run
    target = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / name
    model, S = trainer.model, trainer.num_styles
    report_path = run / REPORT_FILE
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    if report and report.get("steps") != steps:
        print(f"warning: {report_path} was made at step {report.get('steps')}, the checkpoint is at {steps}", file=sys.stderr)

    # float16 parity: reference input and a held-out photo, pure and blended styles
    ref_in = reference_input()
    blend = np.zeros(S, np.float32)
    blend[0], blend[min(1, S - 1)] = 0.5, 0.5
    probes = [(ref_in, np.eye(S)[0]), (ref_in, blend)] + [(img.astype(np.float32), np.eye(S)[s % S]) for s, (_, img) in enumerate(trainer.eval[:2])]
    half = _rounded_model(model, np.float16)
    f16_diff = max(float(np.max(np.abs(_predict(model, x, s) - _predict(half, x, s)))) for x, s in probes)
    use_f16 = f16_diff <= args.float16_tolerance and not args.float32
    shipped = half if use_f16 else model
    cases = [{"style": [round(float(v), 6) for v in vec], "output": None} for vec in (np.eye(S)[0], blend)]
    for case in cases:
        case["output"] = np.round(_predict(shipped, ref_in, case["style"]), 4).ravel().tolist()

    compare = None
    if args.compare_run:
        # the other run's report (its final checkpoint, or its snapshot at --compare-step), and this
        # run's report at the same step if there is one (report --snapshot N), for an equal-step ratio
        crun = runs.run_dir(STUDIO, args.compare_run, args.runs_dir)
        cname = f"report_step{args.compare_step:06d}.json" if args.compare_step else REPORT_FILE
        compare = json.loads((crun / cname).read_text())
        ccfg = json.loads((crun / CONFIG_FILE).read_text())
        compare["config_differences"] = {k: [config.get(k), ccfg.get(k)] for k in TRAIN_KEYS
                                         if k != "arch" and config.get(k) != ccfg.get(k)}
        cstate = json.loads((crun / STATE_FILE).read_text())
        compare["wall_time_s"] = cstate.get("wall_time_s")
        compare["final_steps"] = cstate.get("step")
        if args.compare_step and (crun / REPORT_FILE).exists():
            compare["final_report"] = json.loads((crun / REPORT_FILE).read_text())
        equal_step = run / f"report_step{compare['steps']:06d}.json"
        compare["light_at_equal_steps"] = json.loads(equal_step.read_text()) if equal_step.exists() else None

    def write(tmp: Path) -> dict:
        save_tfjs_layers(model, tmp, "float16" if use_f16 else "float32")
        reloaded = load_exported(tmp)
        reload_diff = max(float(np.max(np.abs(_predict(reloaded, ref_in, c["style"]) - np.asarray(c["output"]).reshape(_predict(reloaded, ref_in, c["style"]).shape))))
                          for c in cases)
        if reload_diff > 1e-2:
            raise RuntimeError(f"reloaded model differs from Keras by {reload_diff}")
        write_json(tmp / "reference.json", indent=None, data={
            "description": "Parity fixture: Keras output of this model (with the shipped, dequantised weights) for a "
                           "deterministic input. input: [1, H, W, 3] float32 0..255, row-major (y, x, channel).",
            "input_formula": reference_input.__doc__.strip(), "height": int(ref_in.shape[0]), "width": int(ref_in.shape[1]),
            "input": ref_in.astype(np.uint8).ravel().tolist(), "cases": cases,
            "output_shape": [1, int(ref_in.shape[0]), int(ref_in.shape[1]), 3], "output_rounding": 0.0001,
            "keras_reload_max_abs_diff": reload_diff})
        thumbs = tmp / "thumbnails"
        thumbs.mkdir()
        styles = []
        for i, (sid, simg) in enumerate(zip(trainer.style_ids, trainer.style_images)):
            Image.fromarray(style_data.center_square(simg, args.thumbnail_size)).save(thumbs / f"{sid}.jpg", quality=85)
            styles.append({**style_data.style_meta(sid), "index": i, "thumbnail": f"thumbnails/{sid}.jpg"})
        metrics = {"float16_max_abs_diff": round(f16_diff, 4), "keras_reload_max_abs_diff": reload_diff}
        if report:
            metrics.update({
                "perceptual_loss": report["fast"]["mean"]["total"],
                f"perceptual_loss_{config['arch']}": report["fast"]["mean"]["total"],
                "content_loss": report["fast"]["mean"]["content"], "style_loss": report["fast"]["mean"]["style_loss"],
                "python_cpu_ms_256": report["python_cpu_ms_256"]["min"],
                "python_cpu_ms_256_median": report["python_cpu_ms_256"]["median"], "eval_images": report["eval_images"],
                "eval_steps": report["steps"]})
            if report.get("gatys"):
                metrics.update({"gatys_loss_reference": report["gatys"]["mean"]["total"],
                                "gatys_iterations": report["gatys"]["iterations"],
                                "fast_loss_same_pairs": report["gatys"]["fast_mean_same_pairs"],
                                "ratio_to_gatys": report["gatys"]["ratio_fast_to_gatys"]})
        if compare:
            # main numbers: the other run as trained (its final checkpoint); equal-step numbers: snapshots
            other = compare.get("final_report") or compare
            oa = compare["arch"]
            metrics.update({f"perceptual_loss_{oa}": other["fast"]["mean"]["total"], f"{oa}_steps": other["steps"],
                            f"{oa}_parameters": other["parameters"],
                            f"{oa}_python_cpu_ms_256": other["python_cpu_ms_256"]["min"],
                            f"{oa}_wall_time_s": compare["wall_time_s"],
                            "comparison_config_differences": compare["config_differences"] or "none besides arch and steps"})
            if report:
                metrics["ratio"] = report["fast"]["mean"]["total"] / other["fast"]["mean"]["total"]
                metrics["cpu_speedup_vs_" + oa] = other["python_cpu_ms_256"]["min"] / report["python_cpu_ms_256"]["min"]
                metrics["comparison_note"] = (
                    f"ratio: {config['arch']} after {report['steps']} steps ({state.get('wall_time_s')} s of training) vs "
                    f"{oa} after {other['steps']} steps ({compare['wall_time_s']} s); ratio_at_equal_steps compares both "
                    f"after {compare['steps']} steps (the {config['arch']} run's snapshot), which is the like-for-like "
                    f"test. Same data, loss network, loss weights, image size, batch and learning rate; losses are means "
                    f"over the held-out photos x all styles.")
            eq = compare.get("light_at_equal_steps")
            if eq:
                metrics[f"perceptual_loss_{config['arch']}_at_{compare['steps']}_steps"] = eq["fast"]["mean"]["total"]
                metrics[f"perceptual_loss_{oa}_at_{compare['steps']}_steps"] = compare["fast"]["mean"]["total"]
                metrics["ratio_at_equal_steps"] = eq["fast"]["mean"]["total"] / compare["fast"]["mean"]["total"]
        n_kodak = sum(1 for n in trainer.pool_names if not n.startswith("skimage:"))
        n_sk = len(trainer.pool_names) - n_kodak
        card = {
            "name": name, "studio": STUDIO, "title": args.title or f"{S} paintings ({config['arch']} network)",
            "description": args.description or (
                f"One fast style-transfer network for {S} public-domain paintings; blend two styles by mixing their "
                f"conditional instance-normalisation parameters. {model.count_params():,} parameters."),
            "format": "layers", "entry": "model.json", "parameters": int(model.count_params()),
            "weights_dtype": "float16" if use_f16 else "float32",
            "training": {
                "dataset": (f"Styles: {S} paintings from {config['styles']} ({', '.join(trainer.style_ids)}; see SOURCES.md section 5). "
                            f"Content: {n_kodak} Kodak crops from {', '.join(config['content'])} (held out: {', '.join(config['holdout'])})"
                            + (f" + {n_sk} scikit-image sample photos ({', '.join(style_data.SKIMAGE_PHOTOS)})" if n_sk else "")
                            + f"; random crops ({config['min_scale']}-1 of the short side), flips, scaled to {config['size']}x{config['size']}."),
                "dataset_licence": ("Paintings: public domain (artists died before 1956; faithful reproductions). Kodak images: "
                                    "described as released by Eastman Kodak for unrestricted usage (not verified against a primary source). "
                                    "scikit-image photos: public domain (NASA, SpaceX) and CC0 (Rachel Michetti, Stefan van der Walt)."),
                "command": reproduce_command(args.run, config, steps),
                "steps": steps, "batch": config["batch"], "image_size": config["size"],
                "wall_time_s": round(float(state.get("wall_time_s", 0.0)), 1), "sessions": len(state.get("sessions", [])),
                "date": today(), "hardware": hardware(),
            },
            "metrics": metrics,
            "credits": "Paintings: " + "; ".join(f"{m['title']}, {m['artist']} ({m['year']})" for m in styles)
                       + ". Training photos: Kodak Lossless True Color Image Suite; scikit-image sample images.",
            "extras": {
                "arch": config["arch"], "loss_network": trainer.lossnet.description,
                "loss_weights": trainer.weights,
                "custom_layers": ["ConditionalInstanceNorm"],
                "input_range": [0, 255], "output_range": [0, 255],
                "inputs": {"image": "[1,H,W,3]", "style": f"[1,{S}]"}, "input_names": ["image", "style"],
                "size_multiple": 4, "cin_epsilon": 1e-3, "reference": "reference.json", "styles": styles,
            },
        }
        return card

    atomic_export(target, write)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"exported {target} ({size / 1e6:.2f} MB, weights {'float16' if use_f16 else 'float32'}, float16 diff {f16_diff:.3f})")
    return 0


# ---------------------------------------------------------------------------
# command line


def add_loss_args(p, style_weight=10.0, content_weight=1.0, tv_weight=1.0) -> None:
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--style-size", type=int, default=None, help="long side of the style image (default: --size)")
    p.add_argument("--content-weight", type=float, default=content_weight)
    p.add_argument("--style-weight", type=float, default=style_weight)
    p.add_argument("--tv-weight", type=float, default=tv_weight)
    p.add_argument("--loss-net", choices=["random", "vgg16"], default="random")
    p.add_argument("--vgg-weights", default=None, help="VGG16 ImageNet notop weights (.h5) for --loss-net vgg16")
    p.add_argument("--threads", type=int, default=None, help="TensorFlow intra-op threads")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m training style", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)

    g = sub.add_parser("gatys", help="Gatys et al. optimisation over pixels (reference quality, slow)")
    g.add_argument("--content", required=True)
    g.add_argument("--style", required=True)
    g.add_argument("--out", required=True, help="output PNG; intermediates go beside it")
    g.add_argument("--iterations", type=int, default=200)
    g.add_argument("--save-every", type=int, default=50, help="save an intermediate image every N iterations (0: never)")
    add_loss_args(g)
    g.set_defaults(func=cmd_gatys)

    t = sub.add_parser("train", help="train a fast multi-style transformer network")
    t.add_argument("--name", required=True)
    t.add_argument("--styles", help="folder of style images (one style each)")
    t.add_argument("--content", nargs="+", help="content image folders/files")
    t.add_argument("--arch", choices=["light", "johnson"], default="light")
    t.add_argument("--batch", type=int, default=4)
    t.add_argument("--steps", type=int, default=4000, help="total steps (a resumed run continues up to this)")
    t.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget of this session")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--min-scale", type=float, default=0.5, help="smallest random crop, as a fraction of the short side")
    t.add_argument("--holdout", default=",".join(style_data.DEFAULT_HOLDOUT), help="comma-separated content names kept out")
    t.add_argument("--no-skimage", action="store_true", help="do not add the scikit-image sample photos to the content")
    t.add_argument("--runs-dir", default=None)
    t.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint (its config is kept)")
    t.add_argument("--ckpt-every", type=int, default=100)
    t.add_argument("--snapshot-every", type=int, default=500, help="keep the weights every N steps (for comparisons)")
    t.add_argument("--sample-every", type=int, default=250)
    t.add_argument("--log-every", type=int, default=25)
    add_loss_args(t)
    t.set_defaults(func=cmd_train)

    r = sub.add_parser("report", help="held-out losses of a run vs. the Gatys reference")
    r.add_argument("--run", required=True)
    r.add_argument("--runs-dir", default=None)
    r.add_argument("--gatys-iterations", type=int, default=60)
    r.add_argument("--gatys-images", type=int, default=2, help="how many held-out photos get a Gatys reference (x every style)")
    r.add_argument("--snapshot", type=int, default=None, help="evaluate the snapshot of this step instead of the checkpoint")
    r.add_argument("--threads", type=int, default=None)
    r.set_defaults(func=cmd_report)

    e = sub.add_parser("export", help="export a run to a tensorflowjs layers model folder")
    e.add_argument("--run", required=True)
    e.add_argument("--runs-dir", default=None)
    e.add_argument("--export-name", default=None, help="model folder name (default: the run name)")
    e.add_argument("--out", default=None, help="target folder (default exported_models/style/<name>)")
    e.add_argument("--compare-run", default=None, help="a run (e.g. the Johnson-size one) whose report goes into the metrics")
    e.add_argument("--compare-step", type=int, default=None, help="use the compare run's report of this snapshot step")
    e.add_argument("--title", default=None)
    e.add_argument("--description", default=None)
    e.add_argument("--float16-tolerance", type=float, default=3.0, help="largest output change (0..255) accepted for float16 weights")
    e.add_argument("--float32", action="store_true", help="never quantise to float16")
    e.add_argument("--thumbnail-size", type=int, default=96)
    e.add_argument("--threads", type=int, default=None)
    e.set_defaults(func=cmd_export)
    return ap


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "train" and not args.resume and (not args.styles or not args.content):
        parser().error("train needs --styles and --content (or --resume)")
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
