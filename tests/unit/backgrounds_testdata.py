"""Tiny texture folders for the Backgrounds tests (a manifest, CREDITS.md and three images)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

TINY = ["--crop", "32", "--batch", "4", "--local-channels", "4", "--global-channels", "4", "--g-low", "8",
        "--g-low-convs", "1", "--g-up", "8,8,8,8", "--d-width", "4", "--log-every", "1", "--lr-g", "0.001",
        "--lr-d", "0.001"]


def write_textures(folder: Path, size: int = 80) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:size, 0:size]
    images = {
        "stripes_a.png": np.stack([127 + 120 * np.sin(xs / 3.0)] * 3, -1),
        "noise_b.jpg": rng.integers(0, 255, (size, size, 3)),
        "checks_c.png": ((ys // 8 + xs // 8) % 2)[..., None] * np.array([200, 60, 30]) + 20,
    }
    entries = []
    for (name, pixels), (kind, licence) in zip(images.items(), [("stripes", "CC0-1.0"), ("noise", "CC-BY-4.0"),
                                                                 ("checks", "Public domain")]):
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / name)
        entries.append({"file": name, "kind": kind, "licence": licence, "credit": f"Maker of {name}"})
    (folder / "manifest.json").write_text(json.dumps({"description": "three test textures", "images": entries}))
    (folder / "CREDITS.md").write_text(
        "# credits\n\n| file | credit | licence | changes made here |\n|---|---|---|---|\n"
        "| noise_b.jpg | Maker of noise_b.jpg | CC BY 4.0, https://creativecommons.org/licenses/by/4.0/ | none |\n")
    return folder
