"""Export a style run for the browser: tensorflowjs layers model, card, thumbnails, parity fixture.

The weights ship as float16 when that moves no output pixel by more than `--float16-tolerance`
(of 0..255) on the parity probes, else as float32. `reference.json` holds a formula-generated
input and the Keras output of the shipped (dequantised) weights for a pure and a blended style,
which the browser's parity test compares against. The card's metrics come from the run's reports
(training/style/metrics.py says how each was measured); its command chains every command that
made the model: the comparison run's training and report, this run's training and reports, and
this export.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from training.kit.card import build_card
from training.kit.command import chain, reproduce
from training.kit.errors import UserError
from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers
from training.kit.files import read_json, write_json
from training.kit.quantise import choose_dtype, rounded_clone
from training.style import data, metrics
from training.style.report import REPORT_FILE, load_run
from training.style.train import STUDIO, Trainer

RELOAD_TOLERANCE = 1e-2
DATASET_LICENCE = (
    "Paintings: public domain (artists died before 1956; faithful reproductions). Kodak images: described as "
    "released by Eastman Kodak for unrestricted usage (not verified against a primary source). scikit-image "
    "photos: public domain (NASA, SpaceX) and CC0 (Rachel Michetti, Stefan van der Walt).")


def reference_input(height: int = 32, width: int = 48) -> np.ndarray:
    """A deterministic test image (uint8 values as float32), [H, W, 3]:
    r = (4*x + 2*y) mod 256, g = 128 + 100*sin(x/5) * cos(y/7) rounded,
    b = 255 if (x//8 + y//8) is even else 40 (a checkerboard)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = np.mod(4 * x + 2 * y, 256)
    g = np.round(128 + 100 * np.sin(x / 5) * np.cos(y / 7))
    b = np.where(((x // 8) + (y // 8)) % 2 == 0, 255, 40)
    return np.stack([r, g, b], -1).astype(np.float32)


def load_exported(folder: Path):
    """Reload an exported tfjs layers model into tf_keras (with our custom layer)."""
    import tensorflowjs as tfjs
    import tf_keras as keras

    from training.style.layers import CUSTOM_OBJECTS

    with keras.utils.custom_object_scope(CUSTOM_OBJECTS):
        return tfjs.converters.load_keras_model(str(Path(folder) / "model.json"))


def predict(model, image, style_vec) -> np.ndarray:
    import tensorflow as tf

    return model([tf.constant(np.asarray(image, np.float32)[None]), tf.constant(np.asarray(style_vec, np.float32)[None])],
                 training=False).numpy()[0]


def blend_vector(num_styles: int) -> np.ndarray:
    """50/50 of styles 0 and 1 (style 0 alone when there is one style)."""
    blend = np.zeros(num_styles, np.float32)
    blend[0], blend[min(1, num_styles - 1)] = 0.5, 0.5
    return blend


class Rounding:
    """`max_abs_diff(dtype)` for kit.quantise.choose_dtype: the largest output change of the model with
    its weights rounded as `dtype` over the probes (reference input with a pure and a blended style,
    the first two held-out photos); keeps each rounded model."""

    def __init__(self, model, probes: list[tuple[np.ndarray, np.ndarray]]):
        self.model, self.probes, self.models = model, probes, {"float32": model}

    def rounded(self, dtype: str):
        from training.style.layers import CUSTOM_OBJECTS

        if dtype not in self.models:
            self.models[dtype] = rounded_clone(self.model, dtype, CUSTOM_OBJECTS)
        return self.models[dtype]

    def __call__(self, dtype: str) -> float:
        other = self.rounded(dtype)
        return max(float(np.max(np.abs(predict(self.model, x, s) - predict(other, x, s)))) for x, s in self.probes)


def card_command(args, config: dict, steps: int, report: dict | None, compare: dict | None) -> str:
    """Every command that made this model, in order."""
    commands = []
    if compare:
        commands.append(reproduce(STUDIO, "train", compare["config"]["argv"], steps=compare["final_steps"]))
        commands += [r.get("command") for r in (compare.get("final_report"), compare) if r]
    commands.append(reproduce(STUDIO, "train", config["argv"], steps=steps))
    equal = (compare or {}).get("light_at_equal_steps")
    commands += [r.get("command") for r in (equal, report) if r]
    return chain(*commands, reproduce(STUDIO, "export", args.argv))


class ModelFolder:
    """`write(tmp)` of kit.export.atomic_export: the model files, reference.json and thumbnails in
    `tmp`, and the card (without `files`)."""

    def __init__(self, args, trainer: Trainer, state: dict, steps: int, report: dict | None, compare: dict | None):
        self.args, self.trainer, self.state, self.steps = args, trainer, state, steps
        self.report, self.compare = report, compare
        S = trainer.num_styles
        self.ref_in = reference_input()
        probes = [(self.ref_in, np.eye(S)[0]), (self.ref_in, blend_vector(S))]
        probes += [(img.astype(np.float32), np.eye(S)[s % S]) for s, (_, img) in enumerate(trainer.eval[:2])]
        self.rounding = Rounding(trainer.model, probes)
        self.dtype, self.diffs = choose_dtype(self.rounding, args.float16_tolerance, ("float16",))
        if args.float32:
            self.dtype = "float32"
        self.shipped = self.rounding.rounded(self.dtype)
        self.cases = [{"style": [round(float(v), 6) for v in vec],
                       "output": np.round(predict(self.shipped, self.ref_in, vec), 4).ravel().tolist()}
                      for vec in (np.eye(S)[0], blend_vector(S))]

    def reload_diff(self, folder: Path) -> float:
        reloaded = load_exported(folder)
        return max(float(np.max(np.abs(predict(reloaded, self.ref_in, c["style"]).ravel() - np.asarray(c["output"]))))
                   for c in self.cases)

    def write_reference(self, folder: Path, reload_diff: float) -> None:
        ref_in = self.ref_in
        write_json(folder / "reference.json", compact=True, data={
            "description": "Parity fixture: Keras output of this model (with the shipped, dequantised weights) for a "
                           "deterministic input. input: [1, H, W, 3] float32 0..255, row-major (y, x, channel).",
            "input_formula": reference_input.__doc__.strip(), "height": int(ref_in.shape[0]), "width": int(ref_in.shape[1]),
            "input": ref_in.astype(np.uint8).ravel().tolist(), "cases": self.cases,
            "output_shape": [1, int(ref_in.shape[0]), int(ref_in.shape[1]), 3], "output_rounding": 0.0001,
            "keras_reload_max_abs_diff": reload_diff})

    def write_thumbnails(self, folder: Path) -> list[dict]:
        from PIL import Image

        (folder / "thumbnails").mkdir()
        styles = []
        for i, (sid, simg) in enumerate(zip(self.trainer.style_ids, self.trainer.style_images)):
            thumb = data.center_square(simg, self.args.thumbnail_size)
            Image.fromarray(thumb).save(folder / "thumbnails" / f"{sid}.jpg", quality=85)
            styles.append({**data.style_meta(sid), "index": i, "thumbnail": f"thumbnails/{sid}.jpg"})
        return styles

    def __call__(self, tmp: Path) -> dict:
        save_tfjs_layers(self.trainer.model, tmp, self.dtype)
        reload_diff = self.reload_diff(tmp)
        if reload_diff > RELOAD_TOLERANCE:
            raise RuntimeError(f"reloaded model differs from Keras by {reload_diff}")
        self.write_reference(tmp, reload_diff)
        styles = self.write_thumbnails(tmp)
        return self.card(styles, reload_diff)

    def dataset(self) -> str:
        t, c = self.trainer, self.trainer.config
        n_sk = len(t.pool_names) - t.kodak_count
        return (f"Styles: {t.num_styles} paintings from {c['styles']} ({', '.join(t.style_ids)}; see SOURCES.md section 5). "
                f"Content: {t.kodak_count} Kodak crops from {', '.join(c['content'])} (held out: {', '.join(c['holdout'])})"
                + (f" + {n_sk} scikit-image sample photos ({', '.join(data.SKIMAGE_PHOTOS)})" if n_sk else "")
                + f"; training crops: random squares ({c['min_scale']}-1 of the short side) resized to "
                  f"{c['size']}x{c['size']} px (the crop size the network and the loss network train on), flipped "
                  f"left-right half the time.")

    def card(self, styles: list[dict], reload_diff: float) -> dict:
        from training.style.layers import DEFAULT_EPSILON

        args, t, c, S = self.args, self.trainer, self.trainer.config, self.trainer.num_styles
        model = t.model
        found = {"float16_max_abs_diff": round(self.diffs["float16"], 4), "keras_reload_max_abs_diff": reload_diff}
        found.update(metrics.gather(c["arch"], self.report, self.compare, self.state.get("wall_time_s")))
        facts = metrics.facts_of(c, self.report, self.compare, t.style_ids, self.dtype, args.compare_run)
        facts["eval_images"] = facts["eval_images"] or [n for n, _ in t.eval]
        return build_card(
            studio=STUDIO, name=args.name, title=args.title or f"{S} paintings ({c['arch']} network)",
            description=args.description or (
                f"One fast style-transfer network for {S} public-domain paintings; blend two styles by mixing their "
                f"conditional instance-normalisation parameters. {model.count_params():,} parameters."),
            parameters=model.count_params(), weights_dtype=self.dtype,
            training={"dataset": self.dataset(), "dataset_licence": DATASET_LICENCE,
                      "command": card_command(args, c, self.steps, self.report, self.compare),
                      "steps": self.steps, "batch": c["batch"], "image_size": c["size"],
                      "wall_time_s": round(float(self.state.get("wall_time_s", 0.0)), 1),
                      "sessions": len(self.state.get("sessions", [])),
                      **({"lr_decay_steps": c["lr_decay_steps"], "lr_floor": c["lr_floor"]} if c.get("lr_decay_steps") else {})},
            metrics=found, metrics_method=metrics.methods(found, facts), hardware_note="shared with other jobs",
            credits=args.credits or ("Paintings: " + "; ".join(f"{m['title']}, {m['artist']} ({m['year']})" for m in styles)
                                     + ". Training photos: Kodak Lossless True Color Image Suite; scikit-image sample images."),
            extras={"arch": c["arch"], "loss_network": t.lossnet.description, "loss_weights": t.weights,
                    "custom_layers": ["ConditionalInstanceNorm"] + (["ReflectPad"] if c.get("padding") == "reflect" else []),
                    "padding": c.get("padding", "zeros"), "input_range": [0, 255], "output_range": [0, 255],
                    "inputs": {"image": "[1,H,W,3]", "style": f"[1,{S}]"}, "input_names": ["image", "style"],
                    "size_multiple": 4, "cin_epsilon": DEFAULT_EPSILON, "reference": "reference.json", "styles": styles})


def export(args) -> int:
    """Export a run to a tensorflowjs layers model folder (card, thumbnails, parity fixture)"""
    run, config, state, trainer = load_run(args)
    steps = trainer.restore()
    if "argv" not in config:
        raise UserError(f"{run}/config.json does not record the command that trained it; train the run again")
    target = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / args.name
    report = read_json(run / REPORT_FILE) if (run / REPORT_FILE).exists() else None
    if report and report.get("steps") != steps:
        print(f"warning: {run / REPORT_FILE} was made at step {report.get('steps')}, the checkpoint is at {steps}",
              file=sys.stderr)
    folder = ModelFolder(args, trainer, state, steps, report, metrics.load_comparison(args, run, config))
    atomic_export(target, folder)
    print(f"weights {folder.dtype} (float16 moves outputs by {folder.diffs['float16']:.3f} of 255)")
    return 0
