"""Sampling and the quality report of the Latent studio.

Fixed latents (one seeded stream per use, told apart by a salt), generated images as uint8,
the SWD reference that training and export both score against (one random half of the real
set; the other half gives the real-vs-real floor), and the `sample` command (a PNG grid).

Salts of `fixed_latents`: 1 sample grids, 2 SWD, 3 GANSpace, 4 direction strips,
5 float16 probe, 6 browser reference, 9 `sample`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from training.kit.swd import PyramidDescriptors, swd
from training.latent.images import save_grid, to_uint8
from training.latent.models import generate, load_run


def fixed_latents(count: int, dim: int, seed: int, salt: int) -> np.ndarray:
    return np.random.default_rng([seed, salt]).standard_normal((count, dim)).astype(np.float32)


def generated_uint8(generator, z: np.ndarray) -> np.ndarray:
    return to_uint8(generate(generator, z))


def real_halves(images: np.ndarray, seed: int, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of the real set (the SWD reference and the floor), each capped at `limit`."""
    order = np.random.default_rng(seed + 101).permutation(len(images))
    half = len(images) // 2
    if limit:
        half = min(half, limit)
    return images[order[:half]], images[order[half:2 * half]]


class SwdReference:
    """SWD (training.kit.swd, x1e3) against one random half of the real set, from fixed latents.

    `score(generator)`: generated images (salt 2, no truncation) vs the reference half;
    `floor()`: the other real half vs the same reference half."""

    def __init__(self, images: np.ndarray, cfg: dict):
        self.seed = cfg["seed"]
        reference, self.other = real_halves(images, self.seed, cfg["swd_images"])
        self.reference = PyramidDescriptors(reference, seed=self.seed + 5)
        self.count = self.reference.count
        self.levels = self.reference.levels
        self.latents = fixed_latents(self.count, cfg["latent_dim"], self.seed, 2)

    def _against(self, images_uint8: np.ndarray) -> dict:
        return swd(PyramidDescriptors(images_uint8, seed=self.seed + 3), self.reference, seed=self.seed + 4)

    def score(self, generator) -> dict:
        return self._against(generated_uint8(generator, self.latents))

    def floor(self) -> dict:
        return {**self._against(self.other), "images": self.count}


def sample(args) -> Path:
    """PNG grid from the EMA generator of a run."""
    _, cfg, _, model = load_run(args)
    z = fixed_latents(args.count, cfg["latent_dim"], args.seed, 9) * args.truncation
    path = save_grid(generated_uint8(model.ema_ready(), z), Path(args.out), cols=int(np.ceil(np.sqrt(args.count))))
    print(f"wrote {path}")
    return path
