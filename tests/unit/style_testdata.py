"""Tiny synthetic style data for the style tests: two generated 'paintings' and six generated
content photos, and the flags of a tiny training run on them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 32


def write_style_data(root: Path) -> tuple[Path, Path]:
    """(styles folder, content folder) under `root`; deterministic."""
    styles, content = root / "styles", root / "content"
    styles.mkdir(parents=True)
    content.mkdir()
    y, x = np.mgrid[0:48, 0:48]
    stripes = np.stack([(np.sin(x / 2) > 0) * 220 + 20, 40 + 0 * x, (np.sin(x / 2) <= 0) * 200 + 30], -1)
    checks = np.stack([((x // 6 + y // 6) % 2) * 255, 128 + 0 * x, 255 - ((x // 6 + y // 6) % 2) * 255], -1)
    Image.fromarray(stripes.astype(np.uint8)).save(styles / "stripes.png")
    Image.fromarray(checks.astype(np.uint8)).save(styles / "checks.png")
    rng = np.random.default_rng(0)
    for i in range(6):
        base = np.stack([x * (3 + i), y * (2 + i), 100 + 40 * np.sin((x + y) / (3 + i))], -1) % 256
        noise = rng.normal(0, 10, base.shape)
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(content / f"photo{i}.png")
    return styles, content


def train_args(data: tuple[Path, Path], runs: Path, name: str, steps: int, *extra: str) -> list[str]:
    styles, content = data
    return ["train", "--name", name, "--styles", str(styles), "--content", str(content), "--size", str(SIZE),
            "--batch", "2", "--steps", str(steps), "--runs-dir", str(runs), "--no-skimage", "--holdout", "photo5",
            "--sample-every", "0", "--snapshot-every", "0", "--ckpt-every", "100", "--lr", "0.01", *extra]
