"""Sliced Wasserstein distance on Laplacian-pyramid patches (numpy only).

The quality metric of Karras et al. 2018 (Progressive GAN, appendix D), written
from the paper's description: build a Laplacian pyramid of every image, cut random
7x7 neighbourhoods (7*7*3 = 147 numbers) out of each level, normalise each set of
descriptors per colour channel, and compare the two sets with the sliced
Wasserstein distance (random unit directions, sorted projections). Reported x1e3
per level (finest first) and as the mean over the levels. It needs no pretrained
network, so it also works for emoji, textures or anything else.
"""
from __future__ import annotations

import numpy as np

_KERNEL_1D = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _blur(images: np.ndarray) -> np.ndarray:
    """Separable 5-tap binomial blur of (N, H, W, C) with reflected borders."""
    out = images
    for axis in (1, 2):
        pad = [(0, 0)] * 4
        pad[axis] = (2, 2)
        padded = np.pad(out, pad, mode="reflect")
        size = out.shape[axis]
        out = sum(
            w * np.take(padded, np.arange(k, k + size), axis=axis) for k, w in enumerate(_KERNEL_1D)
        )
    return out


def _downsample(images: np.ndarray) -> np.ndarray:
    return _blur(images)[:, ::2, ::2, :]


def _upsample(images: np.ndarray) -> np.ndarray:
    n, h, w, c = images.shape
    up = np.zeros((n, h * 2, w * 2, c), images.dtype)
    up[:, ::2, ::2, :] = images
    return _blur(up) * 4.0


def laplacian_pyramid(images: np.ndarray, levels: int) -> list[np.ndarray]:
    """Finest band first; the last entry is the low-pass residual."""
    pyramid, current = [], images.astype(np.float32)
    for _ in range(levels - 1):
        smaller = _downsample(current)
        pyramid.append(current - _upsample(smaller))
        current = smaller
    pyramid.append(current)
    return pyramid


def default_levels(size: int, smallest: int = 16) -> int:
    """Levels down to `smallest` px (64 px -> 64, 32, 16), as in the paper."""
    levels = 1
    while size // (2 ** levels) >= smallest:
        levels += 1
    return levels


def patch_descriptors(level: np.ndarray, per_image: int, patch: int, rng: np.random.Generator) -> np.ndarray:
    """(N * per_image, patch*patch*C) random neighbourhoods of one pyramid level."""
    n, h, w, c = level.shape
    ys = rng.integers(0, h - patch + 1, size=(n, per_image))
    xs = rng.integers(0, w - patch + 1, size=(n, per_image))
    offs = np.arange(patch)
    rows = (ys[..., None] + offs)[..., :, None]  # (n, p, patch, 1)
    cols = (xs[..., None] + offs)[..., None, :]  # (n, p, 1, patch)
    idx = np.arange(n)[:, None, None, None]
    patches = level[idx, rows, cols]  # (n, p, patch, patch, c)
    return patches.reshape(n * per_image, patch * patch * c)


def normalise(desc: np.ndarray, channels: int = 3) -> np.ndarray:
    """Zero mean, unit std per colour channel over all patches and positions."""
    d = desc.reshape(desc.shape[0], -1, channels).astype(np.float64)
    d = d - d.mean(axis=(0, 1), keepdims=True)
    d = d / np.maximum(d.std(axis=(0, 1), keepdims=True), 1e-8)
    return d.reshape(desc.shape[0], -1).astype(np.float32)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, directions: int, repeats: int, rng: np.random.Generator) -> float:
    """Mean over random unit directions of the 1-D Wasserstein-1 distance between projections."""
    if a.shape != b.shape:
        raise ValueError(f"descriptor sets differ in shape: {a.shape} vs {b.shape}")
    results = []
    for _ in range(repeats):
        dirs = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
        dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
        pa = np.sort(a @ dirs, axis=0)
        pb = np.sort(b @ dirs, axis=0)
        results.append(np.abs(pa - pb).mean(axis=0))
    return float(np.mean(results))


class PyramidDescriptors:
    """Descriptors of one image set, computed once and compared to many others."""

    def __init__(self, images_uint8: np.ndarray, per_image: int = 128, patch: int = 7, levels: int | None = None, seed: int = 0):
        images = np.asarray(images_uint8)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected (N, H, W, 3) images, got {images.shape}")
        self.count = images.shape[0]
        self.levels = levels or default_levels(images.shape[1])
        self.resolutions = [images.shape[1] // 2 ** i for i in range(self.levels)]
        rng = np.random.default_rng(seed)
        pyramid = laplacian_pyramid(images.astype(np.float32) / 127.5 - 1.0, self.levels)
        self.descriptors = [normalise(patch_descriptors(level, per_image, patch, rng)) for level in pyramid]


def swd(a: PyramidDescriptors, b: PyramidDescriptors, directions: int = 128, repeats: int = 4, seed: int = 0) -> dict:
    """{'per_level': [x1e3 per level, finest first], 'mean': x1e3, 'resolutions': [...]}."""
    if a.count != b.count or a.levels != b.levels:
        raise ValueError("compare sets of the same size and pyramid depth")
    rng = np.random.default_rng(seed)
    per_level = [1e3 * sliced_wasserstein(da, db, directions, repeats, rng) for da, db in zip(a.descriptors, b.descriptors)]
    return {"per_level": per_level, "mean": float(np.mean(per_level)), "resolutions": a.resolutions}


def swd_images(images_a: np.ndarray, images_b: np.ndarray, seed: int = 0, **kwargs) -> dict:
    """One-shot SWD between two uint8 image sets of the same size."""
    return swd(PyramidDescriptors(images_a, seed=seed), PyramidDescriptors(images_b, seed=seed + 1), seed=seed + 2, **kwargs)
