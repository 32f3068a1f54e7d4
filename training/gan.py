"""Latent studio: train an image GAN, find GANSpace directions, export for the browser.

    python -m training gan train --images PATH --name NAME --size 64 [options]
    python -m training gan directions --name NAME [--samples 10000 --count 16]
    python -m training gan export --name NAME [--out exported_models/latent/NAME]
    python -m training gan sample --name NAME --out grid.png

A run lives in <runs>/latent/<NAME>/ (see training.runs): config.json, state.json,
log.csv, samples/epoch_NNNN.png, ckpt/ (generator, discriminator, EMA generator,
optimisers, random generator state), directions/ (directions.json + preview strips).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers, today
from training.images import BACKGROUNDS, SUBSETS, ImageSetError, load_image_set, save_grid, to_uint8
from training.kit.runs import WallClock, run_dir
from training.kit.machine import hardware

# tensorflowjs imports TF Decision Forests, whose welcome banner imports IPython when
# stdout is not a terminal (pytest, nohup); the variable skips the banner.
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

STUDIO = "latent"
CREDITS_NOTO = "Noto Emoji, Copyright 2013 Google LLC (Apache-2.0 / SIL OFL 1.1)"
FLOAT16_MAX_ABS_DIFF = 0.02  # ~2.5 grey levels of 255: invisible, so ship float16 below this
TRAIN_KEYS = ("images", "size", "background", "subset", "latent_dim", "batch", "epochs", "diffaugment",
              "ema", "ema_warmup_from", "g_width", "g_upsample", "d_width", "lr", "seed", "swd_every", "swd_images")


# ----------------------------------------------------------------------------- helpers

def configure_threads(threads: int | None) -> None:
    import tensorflow as tf

    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TF already initialised (e.g. inside pytest): keep its setting
            pass
    tf.config.experimental.enable_op_determinism()


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_json(path: Path, data) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def existing_run(name: str, runs_dir) -> Path:
    run = run_dir(STUDIO, name, runs_dir)
    if not (run / "config.json").exists():
        raise SystemExit(f"no training run {name!r} in {run.parent}; train it first")
    return run


def real_halves(images: np.ndarray, seed: int, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of the real set (for the SWD floor and reference)."""
    order = np.random.default_rng(seed + 101).permutation(len(images))
    half = len(images) // 2
    if limit:
        half = min(half, limit)
    return images[order[:half]], images[order[half:2 * half]]


def fixed_latents(count: int, dim: int, seed: int, salt: int) -> np.ndarray:
    return np.random.default_rng([seed, salt]).standard_normal((count, dim)).astype(np.float32)


class Run:
    """Rebuilds the networks of a run from its config and restores a checkpoint."""

    def __init__(self, cfg: dict):
        import tf_keras as keras

        from training import gan_models as gm

        self.cfg = cfg
        keras.utils.set_random_seed(cfg["seed"])  # deterministic initial weights: reproducible from scratch
        upsample = cfg.get("g_upsample", "transpose")  # runs made before the option used transposed convs
        self.generator = gm.build_generator(cfg["latent_dim"], cfg["size"], cfg["g_width"], upsample=upsample)
        self.ema_generator = gm.build_generator(cfg["latent_dim"], cfg["size"], cfg["g_width"], name="ema_generator",
                                                upsample=upsample)
        self.ema_generator.set_weights(self.generator.get_weights())
        self.discriminator = gm.build_discriminator(cfg["size"], cfg["d_width"])
        self.gan = gm.GAN(self.generator, self.discriminator, self.ema_generator, cfg["latent_dim"],
                          gm.parse_policy(cfg["diffaugment"]), cfg["ema"], cfg["seed"],
                          ema_warmup_from=cfg.get("ema_warmup_from", -1))
        self.gan.compile(keras.optimizers.Adam(cfg["lr"], beta_1=0.0, beta_2=0.99),
                         keras.optimizers.Adam(cfg["lr"], beta_1=0.0, beta_2=0.99))
        import tensorflow as tf

        self.checkpoint = tf.train.Checkpoint(
            generator=self.generator, discriminator=self.discriminator, ema_generator=self.ema_generator,
            g_optimizer=self.gan.g_optimizer, d_optimizer=self.gan.d_optimizer, rng=self.gan.rng)

    def restore(self, path: str) -> None:
        self.checkpoint.read(path).assert_consumed()

    def ema_ready(self):
        from training.gan_models import recalibrate_batchnorm

        recalibrate_batchnorm(self.ema_generator, self.cfg["latent_dim"], seed=self.cfg["seed"])
        return self.ema_generator


def load_run(name: str, runs_dir=None) -> tuple[Path, dict, dict, Run]:
    run = existing_run(name, runs_dir)
    cfg, state = read_json(run / "config.json"), read_json(run / "state.json") if (run / "state.json").exists() else {}
    if not state.get("checkpoint"):
        raise SystemExit(f"run {name!r} has no checkpoint yet (train at least one epoch)")
    model = Run(cfg)
    model.restore(str(run / state["checkpoint"]))
    return run, cfg, state, model


def generated_uint8(generator, z: np.ndarray) -> np.ndarray:
    from training.gan_models import generate

    return to_uint8(generate(generator, z))


# ----------------------------------------------------------------------------- train

class EpochEnd:
    """Keras callback: sample grid, SWD, CSV log, checkpoint, budget. Built lazily (keras import)."""

    @staticmethod
    def make(run: Path, model: Run, state: dict, clock: WallClock, swd_ref, log=print):
        import tf_keras as keras

        from training.kit.swd import PyramidDescriptors, swd

        cfg = model.cfg
        grid_z = fixed_latents(64, cfg["latent_dim"], cfg["seed"], 1)
        swd_z = fixed_latents(swd_ref.count, cfg["latent_dim"], cfg["seed"], 2) if swd_ref else None
        prior_wall = float(state.get("wall_time_s", 0.0))

        class _Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t0 = time.monotonic()

            def on_epoch_end(self, epoch, logs=None):
                done = epoch + 1
                train_s = time.monotonic() - self.t0
                ema = model.ema_ready()
                grid = generated_uint8(ema, grid_z)
                save_grid(grid, run / "samples" / f"epoch_{done:04d}.png", cols=8)
                save_grid(grid, run / "samples" / "latest.png", cols=8)
                row = {"epoch": done, **{k: round(float(v), 5) for k, v in (logs or {}).items()}}
                last = done == cfg["epochs"] or clock.exhausted() or (
                    clock.limit is not None and clock.elapsed + train_s > clock.limit)
                if swd_ref is not None and (done % cfg["swd_every"] == 0 or last):
                    fake = PyramidDescriptors(generated_uint8(ema, swd_z), seed=cfg["seed"] + 3)
                    result = swd(fake, swd_ref, seed=cfg["seed"] + 4)
                    row["swd_x1e3"] = round(result["mean"], 3)
                    for i, v in enumerate(result["per_level"]):
                        row[f"swd_l{i}"] = round(v, 3)
                    state.setdefault("swd_history", []).append([done, round(result["mean"], 3)])
                    state["swd"] = {"epoch": done, **result}
                row["epoch_s"] = round(train_s, 1)
                row["wall_time_s"] = round(prior_wall + clock.elapsed, 1)
                _append_csv(run / "log.csv", row)
                path = model.checkpoint.write(str(run / "ckpt" / f"epoch_{done:04d}"))
                previous = state.get("checkpoint")
                state.update(epoch=done, checkpoint=os.path.relpath(path, run),
                             wall_time_s=prior_wall + clock.elapsed, epoch_s=train_s)
                write_json(run / "state.json", state)
                if previous:
                    _remove_checkpoint(run / previous)
                if swd_ref is not None and "swd_x1e3" in row:
                    log(f"epoch {done}: SWD x1e3 {row['swd_x1e3']:.2f} (real floor {state['swd_floor']['mean']:.2f})")
                if last and done < cfg["epochs"]:
                    log(f"stopping after epoch {done}: time budget reached; continue with --resume")
                    self.model.stop_training = True

        return _Callback()


def _append_csv(path: Path, row: dict) -> None:
    rows = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if int(r["epoch"]) < row["epoch"]]
    rows.append({k: str(v) for k, v in row.items()})
    fields = []
    for r in rows:
        fields += [k for k in r if k not in fields]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _remove_checkpoint(prefix: Path) -> None:
    for f in prefix.parent.glob(prefix.name + ".*"):
        f.unlink(missing_ok=True)


def epoch_dataset(images: np.ndarray, batch: int, start: int, epochs: int, seed: int):
    """Batches of uint8 images, reshuffled per epoch with a stateless seed (resume-exact)."""
    import tensorflow as tf

    data = tf.constant(images)
    count = images.shape[0]

    def one_epoch(epoch):
        keys = tf.random.stateless_uniform((count,), seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys)).batch(batch, drop_remainder=True)

    ds = tf.data.Dataset.range(start, epochs).flat_map(one_epoch)
    return ds.map(lambda idx: tf.gather(data, idx)).prefetch(2)


def train(args) -> dict:
    """Train (or resume) a run; returns its state."""
    clock = WallClock(args.max_minutes)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", args.name):
        raise SystemExit(f"bad --name {args.name!r}: use lowercase letters, digits and '-'")
    run = run_dir(STUDIO, args.name, args.runs_dir)
    state_path, config_path = run / "state.json", run / "config.json"
    if args.resume:
        if not config_path.exists():
            raise SystemExit(f"nothing to resume in {run}")
        cfg = read_json(config_path)
        if args.epochs is not None and args.epochs != cfg["epochs"]:
            cfg["epochs"] = args.epochs
            write_json(config_path, cfg)
    else:
        if state_path.exists():
            raise SystemExit(f"{run} already holds a run; use --resume to continue it, or another --name")
        cfg = {k: getattr(args, k) for k in TRAIN_KEYS}
        cfg["epochs"] = cfg["epochs"] if cfg["epochs"] is not None else 100
        cfg["name"] = args.name
        cfg["images_path"] = str(Path(args.images).resolve())
        write_json(config_path, cfg)
    state = read_json(state_path) if state_path.exists() else {"epoch": 0, "wall_time_s": 0.0, "sessions": 0}
    state["sessions"] = state.get("sessions", 0) + 1

    data = load_image_set(cfg["images_path"], cfg["size"], cfg["background"], cfg["subset"], seed=cfg["seed"])
    print(f"{len(data.images)} images from {cfg['images']} ({cfg['subset']}, {cfg['background']} background;"
          f" {data.filtered} filtered out, {len(data.skipped)} skipped)")
    if len(data.images) < cfg["batch"]:
        raise SystemExit(f"only {len(data.images)} images: fewer than one batch of {cfg['batch']}")
    save_grid(data.images[:64], run / "samples" / "real.png", cols=8)

    model = Run(cfg)
    if args.resume and state.get("checkpoint"):
        model.restore(str(run / state["checkpoint"]))
        print(f"resumed {args.name} after epoch {state['epoch']}")
    print(f"generator {model.generator.count_params():,} parameters, "
          f"discriminator {model.discriminator.count_params():,}")

    swd_ref = None
    if cfg["swd_every"] and len(data.images) >= 4:
        from training.kit.swd import PyramidDescriptors, swd

        half_a, half_b = real_halves(data.images, cfg["seed"], cfg["swd_images"])
        swd_ref = PyramidDescriptors(half_a, seed=cfg["seed"] + 5)
        if "swd_floor" not in state:
            state["swd_floor"] = swd(PyramidDescriptors(half_b, seed=cfg["seed"] + 3), swd_ref, seed=cfg["seed"] + 4)
            state["swd_floor"]["images"] = swd_ref.count
            print(f"SWD x1e3 real half vs half (floor): {state['swd_floor']['mean']:.2f}")

    start = int(state["epoch"])
    if start >= cfg["epochs"]:
        print(f"run {args.name} already trained {start} epochs (of {cfg['epochs']})")
        return state
    steps = len(data.images) // cfg["batch"]
    ds = epoch_dataset(data.images, cfg["batch"], start, cfg["epochs"], cfg["seed"])
    callback = EpochEnd.make(run, model, state, clock, swd_ref)
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    model.gan.fit(ds, epochs=cfg["epochs"], initial_epoch=start, steps_per_epoch=steps,
                  callbacks=[callback], verbose=verbose)
    print(f"{args.name}: {state['epoch']} epochs, {state['wall_time_s'] / 60:.1f} min of training in total; run folder {run}")
    return state


# ----------------------------------------------------------------------------- directions

def layer_features(generator, layer: str, z: np.ndarray, batch: int = 500) -> np.ndarray:
    import tf_keras as keras

    probe = keras.Model(generator.input, generator.get_layer(layer).output)
    feats = [probe(z[i:i + batch], training=False).numpy().reshape(len(z[i:i + batch]), -1) for i in range(0, len(z), batch)]
    return np.concatenate(feats, axis=0).astype(np.float64)


def ganspace(generator, latent_dim: int, samples: int, count: int, layer: str, seed: int) -> dict:
    """PCA of one layer's activations, regressed back onto the latent (Härkönen et al. 2020)."""
    z = fixed_latents(samples, latent_dim, seed, 3).astype(np.float64)
    feats = layer_features(generator, layer, z.astype(np.float32))
    feats -= feats.mean(axis=0)
    total_var = float((feats ** 2).sum() / (samples - 1))
    # top principal axes of the centred features: Lanczos on F^T F (never forms a dense SVD)
    from scipy.sparse.linalg import LinearOperator, eigsh

    dim = feats.shape[1]
    count = min(count, latent_dim, dim - 1)
    cov = LinearOperator((dim, dim), matvec=lambda v: feats.T @ (feats @ v) / (samples - 1), dtype=np.float64)
    vals, vecs = eigsh(cov, k=count, which="LA", v0=np.full(dim, dim ** -0.5), tol=1e-8)
    order = np.argsort(vals)[::-1]
    variances, axes = vals[order], vecs[:, order].T
    axes *= np.sign(axes[np.arange(count), np.abs(axes).argmax(axis=1)])[:, None]  # deterministic signs
    coords = feats @ axes.T  # (samples, count) PCA coordinates
    # least squares z ~ coords @ U : row k of U is the latent move per unit of component k
    u, *_ = np.linalg.lstsq(coords, z, rcond=None)
    out = []
    for k in range(count):
        vec = u[k] / np.linalg.norm(u[k])
        out.append({
            "index": k,
            "label": f"PC{k + 1}",
            "component": f"PC{k + 1}",
            "vector": [round(float(v), 7) for v in vec],
            "std": round(float(np.std(z @ vec)), 5),
            "explained_variance": round(float(variances[k] / total_var), 6),
        })
    return {"latent_dim": latent_dim, "layer": layer, "samples": samples, "directions": out, "truncation_default": 0.8}


def apply_labels(doc: dict, labels: str | None) -> dict:
    """`--labels "PC1=skin tone,PC3=colour"` renames directions (component names stay)."""
    if not labels:
        return doc
    by_component = {d["component"]: d for d in doc["directions"]}
    for item in labels.split(","):
        key, _, value = item.partition("=")
        if key.strip() not in by_component or not value.strip():
            raise SystemExit(f"bad --labels entry {item!r} (expected e.g. PC1=skin tone)")
        by_component[key.strip()]["label"] = value.strip()
    return doc


def direction_strips(generator, doc: dict, folder: Path, seed: int, rows: int = 3, steps=(-2, -1, 0, 1, 2)) -> None:
    """Per direction: `rows` base latents moved by -2..+2 sigma; plus one overview sheet."""
    z0 = fixed_latents(rows, doc["latent_dim"], seed, 4) * doc["truncation_default"]
    overview = []
    for d in doc["directions"]:
        vec = np.asarray(d["vector"], np.float32)
        z = np.stack([base + s * d["std"] * vec for base in z0 for s in steps]).astype(np.float32)
        imgs = generated_uint8(generator, z)
        save_grid(imgs, folder / f"{d['component'].lower()}.png", cols=len(steps))
        overview.append(imgs[: len(steps)])
        overview.append(imgs[len(steps): 2 * len(steps)])
    save_grid(np.concatenate(overview), folder / "overview.png", cols=len(steps))


def directions(args) -> dict:
    run, cfg, state, model = load_run(args.name, args.runs_dir)
    generator = model.ema_ready()
    layer = args.layer or "fc_act"
    doc = ganspace(generator, cfg["latent_dim"], args.samples, args.count, layer, cfg["seed"])
    doc = apply_labels(doc, args.labels)
    doc["epoch"] = state["epoch"]
    doc["command_options"] = {"samples": args.samples, "count": args.count, "layer": layer, "labels": args.labels}
    folder = run / "directions"
    folder.mkdir(exist_ok=True)
    write_json(folder / "directions.json", doc)
    direction_strips(generator, doc, folder, cfg["seed"])
    print(f"{len(doc['directions'])} directions from layer {layer} over {args.samples} samples; strips in {folder}")
    print("explained variance: " + ", ".join(f"{d['label']} {d['explained_variance']:.3f}" for d in doc["directions"]))
    return doc


# ----------------------------------------------------------------------------- export

def reproduce_command(cfg: dict, epochs: int, dir_opts: dict | None) -> str:
    train_cmd = ["python", "-m", "training", "gan", "train", "--images", str(cfg["images"]), "--name", cfg["name"],
                 "--size", str(cfg["size"]), "--background", cfg["background"], "--subset", cfg["subset"],
                 "--latent-dim", str(cfg["latent_dim"]), "--batch", str(cfg["batch"]), "--epochs", str(epochs),
                 "--diffaugment", cfg["diffaugment"] or "none", "--ema", str(cfg["ema"]),
                 "--ema-warmup-from", str(cfg.get("ema_warmup_from", -1)),
                 "--g-width", str(cfg["g_width"]), "--g-upsample", cfg.get("g_upsample", "transpose"),
                 "--d-width", str(cfg["d_width"]), "--lr", str(cfg["lr"]),
                 "--seed", str(cfg["seed"]), "--swd-every", str(cfg["swd_every"])]
    if cfg.get("swd_images"):
        train_cmd += ["--swd-images", str(cfg["swd_images"])]
    parts = [shlex.join(train_cmd)]
    if dir_opts:
        d_cmd = ["python", "-m", "training", "gan", "directions", "--name", cfg["name"], "--samples",
                 str(dir_opts["samples"]), "--count", str(dir_opts["count"]), "--layer", dir_opts["layer"]]
        if dir_opts.get("labels"):
            d_cmd += ["--labels", dir_opts["labels"]]
        parts.append(shlex.join(d_cmd))
    parts.append(shlex.join(["python", "-m", "training", "gan", "export", "--name", cfg["name"]]))
    return " && ".join(parts)


def float16_copy(model):
    import tf_keras as keras

    clone = keras.models.clone_model(model)
    clone.set_weights([w.astype(np.float16).astype(np.float32) for w in model.get_weights()])
    return clone


def export(args) -> Path:
    from training.gan_models import generate
    from training.kit.swd import PyramidDescriptors, swd

    run, cfg, state, model = load_run(args.name, args.runs_dir)
    generator = model.ema_ready()
    dir_path = run / "directions" / "directions.json"
    if not dir_path.exists():
        raise SystemExit(f"no directions for {args.name}: run `python -m training gan directions --name {args.name}` first")
    doc = read_json(dir_path)
    if doc.get("epoch") != state["epoch"]:
        raise SystemExit(f"directions were computed after epoch {doc.get('epoch')}, the run is at epoch "
                         f"{state['epoch']}: run `directions` again")

    probe_z = fixed_latents(64, cfg["latent_dim"], cfg["seed"], 5)
    f32_out = generate(generator, probe_z)
    half = float16_copy(generator)
    f16_diff = float(np.abs(generate(half, probe_z) - f32_out).max())
    use_f16 = not args.float32 and f16_diff <= FLOAT16_MAX_ABS_DIFF
    shipped = half if use_f16 else generator
    print(f"float16 max abs pixel diff {f16_diff:.5f} -> weights {'float16' if use_f16 else 'float32'}")

    # SWD of the shipped weights against one real half; the other half is the floor
    data = load_image_set(cfg["images_path"], cfg["size"], cfg["background"], cfg["subset"], seed=cfg["seed"],
                          log=lambda m: None)
    half_a, half_b = real_halves(data.images, cfg["seed"], cfg["swd_images"])
    ref = PyramidDescriptors(half_a, seed=cfg["seed"] + 5)
    fake = PyramidDescriptors(generated_uint8(shipped, fixed_latents(ref.count, cfg["latent_dim"], cfg["seed"], 2)), seed=cfg["seed"] + 3)
    result = swd(fake, ref, seed=cfg["seed"] + 4)
    floor = swd(PyramidDescriptors(half_b, seed=cfg["seed"] + 3), ref, seed=cfg["seed"] + 4)
    print(f"SWD x1e3 {result['mean']:.2f} (per level {', '.join(f'{v:.2f}' for v in result['per_level'])}); floor {floor['mean']:.2f}")

    ref_z = np.round(fixed_latents(2, cfg["latent_dim"], cfg["seed"], 6), 6).astype(np.float32)
    ref_out = generate(shipped, ref_z)
    reference = {
        "latents": [[float(round(float(v), 6)) for v in row] for row in ref_z],
        "shape": list(ref_out.shape[1:]),
        "layout": "NHWC, row-major, values in [-1, 1] rounded to 5 decimals",
        "pixels": [[round(float(v), 5) for v in img.reshape(-1)] for img in ref_out],
        "weights": "float16" if use_f16 else "float32",
        "note": "Keras output of the exported weights (float16 weights are dequantised exactly as tfjs does)",
        "float32_vs_float16_max_abs_diff": round(f16_diff, 6),
    }

    directions_doc = {k: doc[k] for k in ("latent_dim", "layer", "samples", "directions", "truncation_default")}
    out = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / args.name
    is_emoji = "emoji" in Path(cfg["images"]).name.lower()

    def write(tmp: Path) -> dict:
        save_tfjs_layers(shipped, tmp, "float16" if use_f16 else "float32")
        write_json(tmp / "directions.json", directions_doc)
        (tmp / "reference.json").write_text(json.dumps(reference, separators=(",", ":")) + "\n", encoding="utf-8")
        return {
            "name": args.name,
            "studio": STUDIO,
            "title": args.title or ("Emoji GAN" if is_emoji else f"GAN: {args.name}"),
            "description": args.description or (
                f"A DCGAN-style generator trained by Muza on {len(data.images):,} images"
                + (" of Noto Emoji" if is_emoji else "") + f" ({cfg['size']}x{cfg['size']}); "
                "drag the sliders to move along its principal directions."),
            "format": "layers",
            "entry": "model.json",
            "parameters": int(shipped.count_params()),
            "weights_dtype": "float16" if use_f16 else "float32",
            "training": {
                "dataset": (f"Noto Emoji PNGs (googlefonts/noto-emoji png/128, resized to 64 px), {len(data.images)} images, "
                            f"subset {cfg['subset']}, composited on {cfg['background']}") if is_emoji
                           else f"{cfg['images']} ({len(data.images)} images, subset {cfg['subset']}, {cfg['background']} background)",
                "dataset_licence": args.dataset_licence or ("Apache-2.0 / SIL OFL 1.1" if is_emoji else "unknown"),
                "command": reproduce_command(cfg, state["epoch"], doc.get("command_options")),
                "epochs": state["epoch"],
                "steps": int(state["epoch"] * (len(data.images) // cfg["batch"])),
                "wall_time_s": round(float(state["wall_time_s"]), 1),
                "date": today(),
                "hardware": hardware(),
                "batch": cfg["batch"],
                "diffaugment": cfg["diffaugment"],
                "ema": cfg["ema"],
                "loss": "hinge, spectral-norm discriminator",
            },
            "metrics": {
                "swd_x1e3": round(result["mean"], 3),
                "swd_per_level": [round(v, 3) for v in result["per_level"]],
                "swd_resolutions": result["resolutions"],
                "swd_real_floor_x1e3": round(floor["mean"], 3),
                "swd_real_floor_per_level": [round(v, 3) for v in floor["per_level"]],
                "swd_images": ref.count,
                "swd_history": state.get("swd_history", []),
                "float16_max_abs_diff": round(f16_diff, 6),
            },
            "credits": args.credits or (CREDITS_NOTO if is_emoji else ""),
            "extras": {
                "latent_dim": cfg["latent_dim"],
                "output_range": [-1, 1],
                "image_size": cfg["size"],
                "directions": "directions.json",
                "reference": "reference.json",
                "background": cfg["background"],
                "subset": cfg["subset"],
                "truncation_default": doc["truncation_default"],
            },
        }

    target = atomic_export(out, write)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"exported {target} ({size / 1e6:.2f} MB)")
    return target


def sample(args) -> Path:
    _, cfg, _, model = load_run(args.name, args.runs_dir)
    z = fixed_latents(args.count, cfg["latent_dim"], args.seed, 9) * args.truncation
    path = save_grid(generated_uint8(model.ema_ready(), z), Path(args.out), cols=int(np.ceil(np.sqrt(args.count))))
    print(f"wrote {path}")
    return path


# ----------------------------------------------------------------------------- CLI

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training gan", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--name", required=True, help="run / model name (lowercase, digits, '-')")
    common.add_argument("--runs-dir", default=None, help="root of run folders (default $MUZA_RUNS or ~/.cache/muza/runs)")
    common.add_argument("--threads", type=int, default=None, help="TensorFlow intra/inter-op threads")

    t = sub.add_parser("train", parents=[common], help="train or resume a GAN")
    t.add_argument("--images", help="folder of images or .npz with an 'images' array")
    t.add_argument("--size", type=int, default=64, choices=(32, 64, 128))
    t.add_argument("--background", default="white", choices=BACKGROUNDS)
    t.add_argument("--subset", default="all", choices=SUBSETS)
    t.add_argument("--latent-dim", dest="latent_dim", type=int, default=128)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--epochs", type=int, default=None, help="total epochs (default 100; on --resume: extend to this)")
    t.add_argument("--max-minutes", dest="max_minutes", type=float, default=None, help="wall-clock budget of this session")
    t.add_argument("--diffaugment", default="color,translation,cutout", help="comma list or 'none'")
    t.add_argument("--ema", type=float, default=0.999, help="decay of the exported EMA generator")
    t.add_argument("--ema-warmup-from", dest="ema_warmup_from", type=int, default=0,
                   help="EMA warm-up (decay min(ema, (1+t)/(10+t))) from this step on; -1: none")
    t.add_argument("--g-width", dest="g_width", type=int, default=256, help="channels of the generator's 4x4 map")
    t.add_argument("--g-upsample", dest="g_upsample", default="nearest", choices=("nearest", "transpose"),
                   help="generator upsampling: nearest + 3x3 conv (fast in tfjs-wasm) or 4x4 transposed conv")
    t.add_argument("--d-width", dest="d_width", type=int, default=32, help="channels of the discriminator's first conv")
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--swd-every", dest="swd_every", type=int, default=5, help="SWD every N epochs (0: never)")
    t.add_argument("--swd-images", dest="swd_images", type=int, default=None, help="cap on images per SWD set")
    t.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    t.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2), help="Keras progress (default: bar on a tty)")

    d = sub.add_parser("directions", parents=[common], help="GANSpace directions + preview strips")
    d.add_argument("--samples", type=int, default=10000)
    d.add_argument("--count", type=int, default=16)
    d.add_argument("--layer", default=None, help="generator layer for PCA (default fc_act)")
    d.add_argument("--labels", default=None, help='names for components, e.g. "PC1=skin tone,PC2=colour"')

    e = sub.add_parser("export", parents=[common], help="export the EMA generator for the web app")
    e.add_argument("--out", default=None, help="default exported_models/latent/NAME")
    e.add_argument("--float32", action="store_true", help="never store float16 weights")
    e.add_argument("--title", default=None)
    e.add_argument("--description", default=None)
    e.add_argument("--credits", default=None)
    e.add_argument("--dataset-licence", dest="dataset_licence", default=None)

    s = sub.add_parser("sample", parents=[common], help="PNG grid from the EMA generator")
    s.add_argument("--out", required=True)
    s.add_argument("--count", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--truncation", type=float, default=1.0)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "train" and not args.resume and not args.images:
        parser().error("train needs --images (or --resume)")
    configure_threads(args.threads)
    try:
        {"train": train, "directions": directions, "export": export, "sample": sample}[args.command](args)
    except ImageSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
