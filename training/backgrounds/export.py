"""Export a Backgrounds run for the browser: exported_models/backgrounds/<name>/.

    python -m training backgrounds export --name NAME [--out DIR]

Files (documented for the web side in docs/backgrounds-training.md):
* model.json + weight shards: the EMA generator with its BatchNorms folded into the
  convolutions (custom layer: WrapPad2D); input `noise` [N, h, w, local + global], output
  RGB [N, 32h, 32w, 3] in [-1, 1].
* textures.json: every texture (id, name, category, credit, licence, attribution) with its
  point of the global latent.
* reference.json: a small noise input and the exported model's output (with the weights as
  stored), for a browser parity test.
* card.json: metrics (SWD per texture and overall with its floor, seam figure, FLOP per pixel)
  and extras (noise layout, files, attribution lines).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from training.backgrounds.data import load_textures
from training.backgrounds.sample import CELL, local_noise, noise_input, ramp
from training.kit.card import build_card
from training.kit.command import chain, reproduce
from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers
from training.kit.files import write_json
from training.kit.machine import set_threads
from training.kit.quantise import choose_dtype, rounded_clone

STUDIO = "backgrounds"
FLOAT16_BOUND = 0.02  # max |output change| in [-1, 1] units (2.55 grey levels): ship float16 below it
PERIODIC_WHY = ("no periodic channels: a wrapped image tiles only if every wave fits a whole number of times "
                "into its noise grid, which the browser picks per output size; the 1/32 stack's receptive field "
                "(see receptive_field_cells) carries the regular textures' repeats instead")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from training.kit.cli import add_export

    add_export(p)
    p.add_argument("--dtype", choices=("float32", "float16"), default=None,
                   help="weights as stored (default: float16 when the output moves less than "
                        f"{FLOAT16_BOUND} in [-1, 1] units, else float32)")
    p.add_argument("--crops-per-texture", type=int, default=32, help="crops per texture for SWD")


def reference_noise(cfg: dict, points: np.ndarray) -> np.ndarray:
    """A 2 x 4-cell grid morphing from texture 0 to texture 1 (non-square, so H/W mix-ups show)."""
    h, w, count = 2, 4, cfg["textures"]
    alpha = ramp(h, w, 0.0, 2.0)
    weights = np.zeros((1, h, w, count), np.float32)
    weights[0, :, :, 0] = 1.0 - alpha
    weights[0, :, :, min(1, count - 1)] += alpha
    local = local_noise(1, h, w, cfg["local_channels"], np.random.default_rng([cfg["seed"], 17]))
    return noise_input(local, weights, points)


def probe_noise(cfg: dict, points: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng([cfg["seed"], 19])
    count = min(cfg["textures"], 8)
    weights = np.zeros((count, 8, 8, cfg["textures"]), np.float32)
    weights[np.arange(count), :, :, np.arange(count)] = 1.0
    return noise_input(local_noise(count, 8, 8, cfg["local_channels"], rng), weights, points)


def noise_layout(cfg: dict, reach: float) -> dict:
    local, global_ = cfg["local_channels"], cfg["global_channels"]
    return {
        "layout": "NHWC float32; one cell = cell_px x cell_px output pixels",
        "cell_px": CELL,
        "channels": local + global_,
        "local": {"start": 0, "count": local, "distribution": "i.i.d. N(0, 1) per cell and channel"},
        "global": {"start": local, "count": global_,
                   "value": "sum over textures of weight[t] * point[t] (points in textures.json; weights per cell, "
                            "summing to 1: one-hot = that texture, constant mix = blend, varying = spatial morph)"},
        "periodic": {"start": local + global_, "count": 0, "why": PERIODIC_WHY},
        "receptive_field_cells": reach,
        "strip_overlap_cells": int(math.ceil(reach)),
    }


def write_model(folder: Path, args, run: Path, cfg: dict, state, nets) -> dict:
    from training.backgrounds.metrics import evaluate, methods
    from training.backgrounds.models import (CUSTOM_OBJECTS, core_of, flop_per_pixel, folded_generator,
                                             receptive_field_cells, texture_points)

    texture_set = load_textures(cfg["images_path"], cfg["crop"])
    if texture_set.names != cfg["texture_names"]:
        raise ValueError(f"{cfg['images_path']} no longer holds the textures the run trained on")
    snapshot = nets.ema_snapshot()
    core, points = core_of(snapshot), texture_points(snapshot)
    folded = folded_generator(core, cfg)
    probe = probe_noise(cfg, points)
    fold_error = float(np.abs(folded(probe).numpy() - core(probe, training=False).numpy()).max())
    if fold_error > 1e-4:
        raise RuntimeError(f"folding BatchNorm moved the output by {fold_error:.2e}")
    full = folded(probe).numpy()

    def max_abs_diff(dtype: str) -> float:
        return float(np.abs(rounded_clone(folded, dtype, CUSTOM_OBJECTS)(probe).numpy() - full).max())

    dtype, diffs = choose_dtype(max_abs_diff, FLOAT16_BOUND, forced=args.dtype)
    shipped = folded if dtype == "float32" else rounded_clone(folded, dtype, CUSTOM_OBJECTS)
    save_tfjs_layers(shipped, folder, dtype)

    noise = np.round(reference_noise(cfg, points), 6)  # as written, so the output is exactly the file's input's
    output = shipped(noise).numpy()
    write_json(folder / "reference.json", {
        "description": "noise input (NHWC, row-major) and the Keras output of this model with its weights as stored",
        "input_shape": list(noise.shape), "input": [round(float(v), 6) for v in noise.ravel()],
        "output_shape": list(output.shape), "output": [round(float(v), 7) for v in output.ravel()],
        "output_range": [-1, 1], "weights_dtype": dtype}, compact=True)
    write_json(folder / "textures.json", {
        "global_channels": cfg["global_channels"], "local_channels": cfg["local_channels"],
        "textures": [{**{k: v for k, v in t.describe().items() if k not in ("width", "height")},
                      "point": [round(float(v), 6) for v in points[t.id]]} for t in texture_set.textures]})

    result = evaluate(snapshot, texture_set, cfg, args.crops_per_texture, seed=cfg["seed"])
    flop = flop_per_pixel(folded)
    reach = receptive_field_cells(folded)
    metrics = {k: result[k] for k in ("swd_x1e3", "swd_floor_x1e3", "seam", "seam_worst", "seam_cells")}
    metrics.update(swd_per_texture=result["per_texture"], flop_per_pixel=round(flop["conv"]))
    metrics_method = methods(result, cfg["crop"], state["step"])
    metrics_method["flop_per_pixel"] = ("2 x multiply-adds (+1 bias add) of every convolution of the exported "
                                        "generator per output pixel, counted from its layer shapes; elementwise work "
                                        f"(ReLU, padding, upsampling copies) adds {flop['elementwise']:.0f} more")
    licences = ", ".join(f"{k} x{v}" for k, v in sorted(texture_set.licences().items(), key=lambda kv: -kv[1]))
    attributions = texture_set.attributions()
    train_cmd = reproduce(STUDIO, "train", cfg["argv"], steps=state["step"])
    export_cmd = reproduce(STUDIO, "export", args.argv)
    credits = args.credits or ("Textures: CC0 and public domain images (credits in textures.json) and, under CC BY: "
                               + "; ".join(attributions))
    return build_card(
        studio=STUDIO, name=args.name,
        title=args.title or f"Seamless backgrounds ({len(texture_set.textures)} textures)",
        description=args.description or ("A spatial GAN that paints seamless, tileable textures of any size: pick a "
                                         "texture, blend several, or morph one into another across the frame."),
        training={"dataset": f"{len(texture_set.textures)} texture images, {texture_set.description}",
                  "dataset_licence": f"per texture (textures.json): {licences}",
                  "command": chain(train_cmd, export_cmd), "steps": int(state["step"]),
                  "wall_time_s": round(float(state["wall_time_s"]), 1)},
        metrics=metrics, metrics_method=metrics_method, parameters=folded.count_params(), weights_dtype=dtype,
        credits=credits,
        extras={
            "textures_file": "textures.json", "reference_file": "reference.json",
            "textures": len(texture_set.textures), "texture_names": texture_set.names,
            "noise": noise_layout(cfg, reach),
            "output": {"range": [-1, 1], "to_pixels": "round((y + 1) * 127.5), clipped to 0..255",
                       "size": "32h x 32w for an h x w noise grid; it wraps around (tiles edge to edge)"},
            "custom_layers": ["WrapPad2D"],
            "flop_per_pixel": round(flop["conv"]), "elementwise_per_pixel": round(flop["elementwise"]),
            "attributions": attributions,
            "dtype_max_abs_diff": diffs, "fold_max_abs_diff": fold_error,
        })


def run(args: argparse.Namespace) -> int:
    """Export a run's EMA generator to tensorflowjs with its card, textures.json and reference.json."""
    from training.backgrounds.train import load_run

    set_threads(args.threads, args.deterministic)
    run_folder, cfg, state, nets = load_run(args.name, args.runs_dir)
    target = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / args.name
    atomic_export(target, lambda tmp: write_model(tmp, args, run_folder, cfg, state, nets))
    return 0
