"""Style models with random weights, exported like the real one (tfjs layers model + card).

For tests that need a cheaper network than the shipped one (the 2048 px tiling test) and
for the benchmark's Johnson-size comparison. The network comes from training/style/nets.py;
gamma/beta get random per-style values so every style (and every statistic) visibly matters.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

STYLE_IDS = ("red", "green", "blue", "gold")


def build_random_style_model(arch: str = "light", num_styles: int = 4, seed: int = 0, **net_args):
    from training.style.nets import build_transformer

    model = build_transformer(arch, num_styles, **net_args)
    rng = np.random.default_rng(seed)
    weights = []
    for variable, value in zip(model.weights, model.get_weights()):
        if variable.name.endswith("gamma:0"):
            value = 1.0 + 0.5 * rng.standard_normal(value.shape)
        elif variable.name.endswith("beta:0"):
            value = 0.5 * rng.standard_normal(value.shape)
        weights.append(value.astype("float32"))
    model.set_weights(weights)
    return model


def export_random_style_model(target: Path, arch: str = "light", num_styles: int = 4, seed: int = 0, **net_args) -> Path:
    """Writes <target>/{model.json, shards, card.json, thumbnails/} atomically; returns target."""
    from PIL import Image

    from training.kit.card import build_card
    from training.kit.export import atomic_export, save_tfjs_layers

    model = build_random_style_model(arch, num_styles, seed, **net_args)
    ids = [STYLE_IDS[i % len(STYLE_IDS)] + (str(i) if i >= len(STYLE_IDS) else "") for i in range(num_styles)]

    def write(tmp: Path) -> dict:
        save_tfjs_layers(model, tmp)
        (tmp / "thumbnails").mkdir()
        styles = []
        for i, sid in enumerate(ids):
            colour = tuple(int(c) for c in np.random.default_rng(i).integers(0, 256, 3))
            Image.new("RGB", (32, 32), colour).save(tmp / "thumbnails" / f"{sid}.jpg")
            styles.append({"id": sid, "index": i, "title": sid.title(), "artist": "random weights", "year": "2026",
                           "thumbnail": f"thumbnails/{sid}.jpg"})
        name = target.name
        return build_card(
            studio="style", name=name, title=f"Random {arch} network ({name})",
            description="Random weights, for tests and benchmarks.", parameters=model.count_params(),
            training={"dataset": "none (random weights)", "dataset_licence": "n/a", "command": "tests/e2e/style_models.py",
                      "steps": 0, "wall_time_s": 0, "date": "2026-01-01", "hardware": "n/a"},
            metrics={}, metrics_method={},
            extras={"arch": arch, "custom_layers": ["ConditionalInstanceNorm"], "input_range": [0, 255],
                    "output_range": [0, 255], "inputs": {"image": "[1,H,W,3]", "style": f"[1,{num_styles}]"},
                    "size_multiple": 4, "styles": styles})

    return atomic_export(Path(target), write)
