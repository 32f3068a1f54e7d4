"""Export of the Latent studio: the EMA generator as a tensorflowjs layers model for the browser.

The folder holds model.json + weights, directions.json (GANSpace), reference.json (two latents
and the Keras output of the shipped weights, the browser's parity fixture) and card.json. The
weights ship as float16 when that moves no output pixel by more than FLOAT16_MAX_ABS_DIFF on
64 fixed latents, else float32. The card's SWD is measured on the shipped weights.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from training.kit.card import build_card
from training.kit.command import SESSION_FLAGS, chain, clean_argv, reproduce
from training.kit.errors import UserError
from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers
from training.kit.files import read_json, write_json
from training.kit.quantise import choose_dtype, rounded_clone
from training.latent.images import load_image_set
from training.latent.models import STUDIO, generate, load_run, weights_epoch
from training.latent.sample import SwdReference, fixed_latents, swd_method
from training.latent.train import TRAIN_KEYS

CREDITS_NOTO = "Noto Emoji, Copyright 2013 Google LLC (Apache-2.0 / SIL OFL 1.1)"
OTHER_LATENTS_SALT = 12  # training.latent.sample's salts: latents only swd_other_latents_x1e3 uses
FLOAT16_MAX_ABS_DIFF = 0.02  # ~2.5 grey levels of 255: invisible, so ship float16 below this
EXPORT_ONLY_FLAGS = {**SESSION_FLAGS, "--out": 1}  # where a model is written does not change it (but see
# reproduce_command: a folder named otherwise than the run is named on the card, repo-relative)


def train_argv(cfg: dict) -> list[str]:
    """The argv the run was started with (runs made before it was recorded: every option written out)."""
    if "argv" in cfg:
        return cfg["argv"]
    words = ["--name", cfg["name"]]
    for key in TRAIN_KEYS:
        value = {"diffaugment": cfg.get("diffaugment") or "none", "g_upsample": cfg.get("g_upsample", "transpose"),
                 "ema_warmup_from": cfg.get("ema_warmup_from", -1)}.get(key, cfg.get(key))
        if value is not None:
            words += ["--" + key.replace("_", "-"), str(value)]
    return words


def directions_argv(doc: dict, name: str) -> list[str]:
    if "argv" in doc:
        return doc["argv"]
    opts = doc.get("command_options") or {}  # directions computed before the argv was recorded
    words = ["--name", name] + [w for k in ("samples", "count", "layer") if k in opts for w in (f"--{k}", str(opts[k]))]
    return words + (["--labels", opts["labels"]] if opts.get("labels") else [])


def reproduce_command(cfg: dict, epochs: int, doc: dict, export_args: list[str], folder: str | None = None) -> str:
    """Train (with the epochs actually trained), directions, export: the model from scratch. `folder`:
    the exported folder's name; when it is not the run's name the export gets `--out
    exported_models/latent/FOLDER`, so the command rebuilds the model where it ships."""
    export_words = clean_argv(export_args, EXPORT_ONLY_FLAGS)
    if folder and folder != cfg["name"]:
        export_words += ["--out", f"exported_models/{STUDIO}/{folder}"]
    return chain(reproduce(STUDIO, "train", train_argv(cfg), epochs=epochs),
                 reproduce(STUDIO, "directions", directions_argv(doc, cfg["name"])),
                 reproduce(STUDIO, "export", export_words))


def metrics_method(cfg: dict, images: int, swd_images: int, resolutions: list[int], dtype: str,
                   truncation: float, selected: int | None = None) -> dict[str, str]:
    """How each card metric is computed (the same code computed those of the shipped model): for every
    SWD figure, which sets it compares, the reference set (training images: how many, at which size, how
    they are drawn) and how the pyramid levels and patches are taken (training.latent.sample.swd_method)."""
    levels = "/".join(str(r) for r in resolutions)
    words = swd_method(cfg, images, swd_images, resolutions)
    reference = f"the reference set, {words['reference']}"
    swd = (f"sliced Wasserstein distance x1e3 (training.kit.swd, Progressive GAN appendix D) between "
           f"{words['generated']} through the exported generator (EMA weights as shipped, {dtype}; BatchNorm "
           f"statistics recalibrated on 512 fixed latents) and {reference}; {words['measure']}")
    chosen = "" if selected is None else (
        f"; these are the weights of epoch {selected}, kept by --keep-best as the lowest SWD of swd_history, so this "
        "figure was the selection criterion (swd_other_latents_x1e3 was not)")
    return {
        "swd_x1e3": f"mean over the pyramid levels of the {swd}{chosen}",
        "swd_other_latents_x1e3": (f"swd_x1e3 with {swd_images:,} other fixed latents (numpy seed [{cfg['seed']}, "
                                   f"{OTHER_LATENTS_SALT}], used nowhere else), same reference set: how much of "
                                   "swd_x1e3 depends on the latents drawn"
                                   + ("" if selected is None else ", and a figure the epoch was not chosen by")),
        "swd_per_level": f"per pyramid level, finest first ({levels} px), of the {swd}",
        "swd_truncated_x1e3": (f"swd_x1e3 with the same fixed latents scaled by {truncation} (directions.json's "
                               "truncation_default, the truncation the studio starts from): the SWD of what visitors "
                               "see first, against the same reference set"),
        "swd_truncated_per_level": f"per pyramid level, finest first ({levels} px), of swd_truncated_x1e3",
        "swd_resolutions": "side in px of each Laplacian-pyramid level of the SWD metrics, finest first",
        "swd_real_floor_x1e3": (f"real-vs-real floor: the same SWD (mean over levels, same pyramid, patches and "
                                f"directions) between {words['floor']} and the same reference set of {swd_images:,} "
                                "training images; two disjoint random draws from the training images, so this is what "
                                "a generator indistinguishable from the data would score at this sample size"),
        "swd_real_floor_per_level": f"per pyramid level, finest first ({levels} px), of swd_real_floor_x1e3",
        "swd_images": (f"images in each SWD set (generated, reference, floor): {swd_images:,}, at most half of the "
                       f"{images:,} training images so that the reference and floor sets are disjoint"
                       + (f", capped by --swd-images {cfg['swd_images']}" if cfg.get("swd_images") else "")),
        "swd_history": (f"[epoch, SWD x1e3 mean over levels] measured while training, after every {cfg['swd_every']}th "
                        "epoch and after each session's last epoch: the EMA generator in float32 (BatchNorm "
                        "recalibrated), same fixed latents and reference as swd_x1e3"),
        "float16_max_abs_diff": ("largest absolute difference of output pixels (range -1..1) between the EMA generator "
                                 "with float32 weights and with its weights rounded to float16 as tensorflowjs stores "
                                 f"them, over 64 fixed latents (seed {cfg['seed']}); float16 ships when it is at most "
                                 f"{FLOAT16_MAX_ABS_DIFF}"),
    }


def browser_reference(shipped, cfg: dict, dtype: str, f16_diff: float) -> dict:
    """Two latents and the Keras output of the shipped weights, for the browser's parity check."""
    ref_z = np.round(fixed_latents(2, cfg["latent_dim"], cfg["seed"], 6), 6).astype(np.float32)
    ref_out = generate(shipped, ref_z)
    return {
        "latents": [[float(round(float(v), 6)) for v in row] for row in ref_z],
        "shape": list(ref_out.shape[1:]),
        "layout": "NHWC, row-major, values in [-1, 1] rounded to 5 decimals",
        "pixels": [[round(float(v), 5) for v in img.reshape(-1)] for img in ref_out],
        "weights": dtype,
        "note": "Keras output of the exported weights (float16 weights are dequantised exactly as tfjs does)",
        "float32_vs_float16_max_abs_diff": round(f16_diff, 6),
    }


def export(args) -> Path:
    """Export the EMA generator, its directions and card for the web app."""
    run, cfg, state, model = load_run(args)
    generator = model.ema_ready()
    dir_path = run / "directions" / "directions.json"
    if not dir_path.exists():
        raise UserError(f"no directions for {args.name}: run `python -m training latent directions --name {args.name}` first")
    doc = read_json(dir_path)
    used = weights_epoch(cfg, state)
    if doc.get("epoch") != state["epoch"] or doc.get("weights_epoch", doc.get("epoch")) != used:
        raise UserError(f"directions were computed after epoch {doc.get('epoch')} on the generator of epoch "
                        f"{doc.get('weights_epoch', doc.get('epoch'))}, the run is at epoch {state['epoch']} and "
                        f"exports the generator of epoch {used}: run `python -m training latent directions` again")

    probe_z = fixed_latents(64, cfg["latent_dim"], cfg["seed"], 5)
    f32_out = generate(generator, probe_z)
    dtype, diffs = choose_dtype(lambda d: np.abs(generate(rounded_clone(generator, d), probe_z) - f32_out).max(),
                                FLOAT16_MAX_ABS_DIFF, candidates=("float16",))
    dtype = "float32" if args.float32 else dtype
    f16_diff = diffs["float16"]
    shipped = generator if dtype == "float32" else rounded_clone(generator, dtype)
    print(f"float16 max abs pixel diff {f16_diff:.5f} -> weights {dtype}")

    data = load_image_set(cfg["images_path"], cfg["size"], cfg["background"], cfg["subset"], seed=cfg["seed"],
                          log=lambda m: None)
    swd_ref = SwdReference(data.images, cfg)
    truncation = float(doc["truncation_default"])
    result, floor = swd_ref.score(shipped), swd_ref.floor()
    truncated = swd_ref.score(shipped, truncation)
    fresh = swd_ref.score(shipped, salt=OTHER_LATENTS_SALT)
    print(f"SWD x1e3 {result['mean']:.2f} (per level {', '.join(f'{v:.2f}' for v in result['per_level'])}); "
          f"at truncation {truncation}: {truncated['mean']:.2f}; floor {floor['mean']:.2f}")

    reference = browser_reference(shipped, cfg, dtype, f16_diff)
    directions_doc = {k: doc[k] for k in ("latent_dim", "layer", "samples", "directions", "truncation_default")}
    out = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / args.name
    is_emoji = "emoji" in Path(cfg["images"]).name.lower()
    count = len(data.images)
    metrics = {
        "swd_x1e3": round(result["mean"], 3),
        "swd_per_level": [round(v, 3) for v in result["per_level"]],
        "swd_other_latents_x1e3": round(fresh["mean"], 3),
        "swd_truncated_x1e3": round(truncated["mean"], 3),
        "swd_truncated_per_level": [round(v, 3) for v in truncated["per_level"]],
        "swd_resolutions": result["resolutions"],
        "swd_real_floor_x1e3": round(floor["mean"], 3),
        "swd_real_floor_per_level": [round(v, 3) for v in floor["per_level"]],
        "swd_images": swd_ref.count,
        "swd_history": state.get("swd_history", []),
        "float16_max_abs_diff": round(f16_diff, 6),
    }
    training = {
        "dataset": (f"Noto Emoji PNGs (googlefonts/noto-emoji png/128, resized to 64 px), {count} images, "
                    f"subset {cfg['subset']}, composited on {cfg['background']}") if is_emoji
                   else f"{cfg['images']} ({count} images, subset {cfg['subset']}, {cfg['background']} background)",
        "dataset_licence": args.dataset_licence or ("Apache-2.0 / SIL OFL 1.1" if is_emoji else "unknown"),
        "command": reproduce_command(cfg, state["epoch"], doc, args.argv, out.name),
        "epochs": state["epoch"],
        **({"weights_epoch": used} if used != state["epoch"] else {}),
        "steps": int(state["epoch"] * (count // cfg["batch"])),
        "wall_time_s": round(float(state["wall_time_s"]), 1),
        "batch": cfg["batch"],
        "diffaugment": cfg["diffaugment"],
        "ema": cfg["ema"],
        "loss": "hinge, spectral-norm discriminator",
    }
    card = build_card(
        studio=STUDIO, name=out.name, title=args.title or ("Emoji GAN" if is_emoji else f"GAN: {args.name}"),
        description=args.description or (
            f"A DCGAN-style generator trained by Muza on {count:,} images" + (" of Noto Emoji" if is_emoji else "")
            + f" ({cfg['size']}x{cfg['size']}); drag the sliders to move along its principal directions."),
        training=training, metrics=metrics,
        metrics_method=metrics_method(cfg, count, swd_ref.count, result["resolutions"], dtype, truncation,
                                      used if used != state["epoch"] else None),
        parameters=shipped.count_params(), weights_dtype=dtype,
        credits=args.credits or (CREDITS_NOTO if is_emoji else ""),
        extras={
            "latent_dim": cfg["latent_dim"],
            "output_range": [-1, 1],
            "image_size": cfg["size"],
            "directions": "directions.json",
            "reference": "reference.json",
            "background": cfg["background"],
            "subset": cfg["subset"],
            "truncation_default": doc["truncation_default"],
        })

    def write(tmp: Path) -> dict:
        save_tfjs_layers(shipped, tmp, dtype)
        write_json(tmp / "directions.json", directions_doc)
        write_json(tmp / "reference.json", reference, compact=True)
        return card

    return atomic_export(out, write)
