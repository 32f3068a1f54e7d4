"""Sampling and the quality report of the Latent studio.

Fixed latents (one seeded stream per use, told apart by a salt), generated images as uint8,
the SWD reference that training and export both score against (one random half of the training
images, at most --swd-images; the other half, as many and disjoint from it, gives the
real-vs-real floor), the words that say so on the card (`swd_method`), and the `sample` command
(a PNG grid).

Salts of `fixed_latents`: 1 sample grids, 2 SWD, 3 GANSpace, 4 direction strips,
5 float16 probe, 6 browser reference, 9 `sample`, 12 the export's second SWD (other latents).
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


# how SwdReference measures (the card's metrics_method is written from these)
SWD_PATCHES = 128  # random neighbourhoods per image and pyramid level
SWD_PATCH = 7  # side of one neighbourhood: 7 x 7 x 3 = 147 numbers
SWD_DIRECTIONS, SWD_REPEATS = 128, 4  # random unit directions per repeat, repeats
SPLIT_SALT, REFERENCE_SALT, OTHER_SALT, DIRECTION_SALT = 101, 5, 3, 4  # added to the run's seed


def real_halves(images: np.ndarray, seed: int, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of the real set (the SWD reference and the floor), each capped at `limit`."""
    order = np.random.default_rng(seed + SPLIT_SALT).permutation(len(images))
    half = len(images) // 2
    if limit:
        half = min(half, limit)
    return images[order[:half]], images[order[half:2 * half]]


class SwdReference:
    """SWD (training.kit.swd, x1e3) against one random half of the real set, from fixed latents.

    `score(generator)`: generated images (salt 2, no truncation) vs the reference half (`truncation`:
    the same latents scaled by it); `floor()`: the other real half vs the same reference half."""

    def __init__(self, images: np.ndarray, cfg: dict):
        self.seed = cfg["seed"]
        reference, self.other = real_halves(images, self.seed, cfg["swd_images"])
        self.reference = PyramidDescriptors(reference, per_image=SWD_PATCHES, patch=SWD_PATCH,
                                            seed=self.seed + REFERENCE_SALT)
        self.count = self.reference.count
        self.levels = self.reference.levels
        self.latents = fixed_latents(self.count, cfg["latent_dim"], self.seed, 2)

    def _against(self, images_uint8: np.ndarray) -> dict:
        other = PyramidDescriptors(images_uint8, per_image=SWD_PATCHES, patch=SWD_PATCH, seed=self.seed + OTHER_SALT)
        return swd(other, self.reference, directions=SWD_DIRECTIONS, repeats=SWD_REPEATS,
                   seed=self.seed + DIRECTION_SALT)

    def score(self, generator, truncation: float = 1.0, salt: int = 2) -> dict:
        latents = self.latents if salt == 2 else fixed_latents(self.count, self.latents.shape[1], self.seed, salt)
        if truncation != 1.0:
            latents = (latents * np.float32(truncation)).astype(np.float32)
        return self._against(generated_uint8(generator, latents))

    def floor(self) -> dict:
        return {**self._against(self.other), "images": self.count}


def swd_method(cfg: dict, images: int, count: int, resolutions: list[int]) -> dict[str, str]:
    """What SwdReference compares, in words for the card: `reference` (the reference set), `floor`
    (the other real set), `generated` (the fixed latents) and `measure` (pyramid, patches, distance).
    `images` is the size of the training set, `count` the images in each SWD set."""
    size, seed = cfg["size"], cfg["seed"]
    unused = images - 2 * count
    capped = bool(cfg.get("swd_images")) and count == cfg["swd_images"]
    split = (f"{count:,} of the {images:,} training images exactly as the GAN sees them ({Path(cfg['images']).name}, "
             f"subset {cfg['subset']}, composited on {cfg['background']}, scaled to {size} px on the shorter side and "
             f"centre-cropped to {size}x{size} RGB): the first {count:,} of a random permutation of them (numpy seed "
             f"{seed + SPLIT_SALT}); the next {count:,} of that permutation are the floor set, disjoint from it"
             + (f", and the remaining {unused:,} are in neither" if unused else "")
             + (f" ({count:,} per set: --swd-images {cfg['swd_images']})" if capped else " (half each)")
             + "; no held-out images: the distribution a GAN learns is its training set")
    levels = "/".join(str(r) for r in resolutions)
    return {
        "reference": split,
        "floor": (f"the floor set ({count:,} training images: the next {count:,} of the same permutation, disjoint from "
                  "the reference set)"),
        "generated": f"{count:,} images from fixed N(0, I) latents (numpy seed [{seed}, 2], no truncation)",
        "measure": (f"pixels scaled to -1..1; Laplacian pyramid (5-tap binomial filter [1 4 6 4 1]/16, reflected "
                    f"borders) at {levels} px, the {resolutions[-1]} px level being the low-pass residual and the "
                    f"others band-pass; {SWD_PATCHES} {SWD_PATCH}x{SWD_PATCH}x3 neighbourhoods per image and level at "
                    f"uniformly random positions (seed {seed + REFERENCE_SALT} for the reference set, "
                    f"{seed + OTHER_SALT} for the set compared with it); each set's descriptors normalised per colour "
                    f"channel to zero mean and unit standard deviation; {SWD_REPEATS} x {SWD_DIRECTIONS} random unit "
                    f"directions (seed {seed + DIRECTION_SALT}), the Wasserstein-1 distance of the sorted projections "
                    "averaged over directions, x1e3"),
    }


def sample(args) -> Path:
    """PNG grid from the EMA generator of a run."""
    _, cfg, _, model = load_run(args)
    z = fixed_latents(args.count, cfg["latent_dim"], args.seed, 9) * args.truncation
    path = save_grid(generated_uint8(model.ema_ready(), z), Path(args.out), cols=int(np.ceil(np.sqrt(args.count))))
    print(f"wrote {path}")
    return path
