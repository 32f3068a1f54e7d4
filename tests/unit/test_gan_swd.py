"""Sliced Wasserstein distance on Laplacian-pyramid patches."""
import numpy as np
import pytest

from training.kit.swd import PyramidDescriptors, _upsample, default_levels, laplacian_pyramid, swd, swd_images


def _blobs(n, seed, sharp):
    """Random coloured discs; `sharp` decides hard edges vs blurred ones."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:32, :32]
    out = np.full((n, 32, 32, 3), 255.0)
    for i in range(n):
        for _ in range(3):
            cy, cx, r = rng.uniform(6, 26), rng.uniform(6, 26), rng.uniform(3, 8)
            d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
            mask = (d < r).astype(float) if sharp else np.clip((r + 4 - d) / 8, 0, 1)
            out[i] = out[i] * (1 - mask[..., None]) + rng.uniform(0, 255, 3) * mask[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def test_pyramid_reconstructs_the_image():
    img = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    pyr = laplacian_pyramid(img, 3)
    assert [p.shape[1] for p in pyr] == [32, 16, 8]
    rebuilt = pyr[-1]
    for band in reversed(pyr[:-1]):
        rebuilt = band + _upsample(rebuilt)
    assert np.abs(rebuilt - img).max() < 1e-5
    assert default_levels(64) == 3 and default_levels(128) == 4


def test_identical_sets_are_zero_and_different_sets_are_far():
    a = _blobs(40, 1, sharp=True)
    desc = PyramidDescriptors(a, per_image=32, seed=0)
    assert swd(desc, desc)["mean"] == pytest.approx(0.0, abs=1e-9)

    near = swd(PyramidDescriptors(a, per_image=32, seed=0), PyramidDescriptors(_blobs(40, 2, sharp=True), per_image=32, seed=1))
    far = swd(PyramidDescriptors(a, per_image=32, seed=0), PyramidDescriptors(_blobs(40, 3, sharp=False), per_image=32, seed=1))
    noise = np.random.default_rng(5).integers(0, 256, a.shape, dtype=np.uint8)
    farther = swd(PyramidDescriptors(a, per_image=32, seed=0), PyramidDescriptors(noise, per_image=32, seed=1))
    assert len(near["per_level"]) == 2 and near["resolutions"] == [32, 16]
    assert 0 < near["mean"] < far["mean"] < farther["mean"]
    assert far["per_level"][0] > 2 * near["per_level"][0]  # blur shows in the finest band


def test_swd_is_seeded_and_checks_sizes():
    a, b = _blobs(20, 1, True), _blobs(20, 2, False)
    assert swd_images(a, b, seed=3) == swd_images(a, b, seed=3)
    with pytest.raises(ValueError):
        swd(PyramidDescriptors(a), PyramidDescriptors(b[:10]))
    with pytest.raises(ValueError):
        PyramidDescriptors(a[..., 0])
