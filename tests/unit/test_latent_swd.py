"""Sliced Wasserstein distance on Laplacian-pyramid patches (training.kit.swd), with known answers."""
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import norm

from training.kit.swd import (
    PyramidDescriptors,
    _upsample,
    default_levels,
    laplacian_pyramid,
    sliced_wasserstein,
    swd,
    swd_images,
)


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


def test_1d_wasserstein_of_two_gaussians_is_the_analytic_value():
    """W1(N(0, 1), N(1, 2^2)) = E|Z + 1| = 2 phi(1) + (2 Phi(1) - 1) = 1.16663 (Z ~ N(0, 1)), from the
    quantile functions; in 1-D every unit direction is +1 or -1, so the sliced distance is W1 itself."""
    n = 4000
    a = norm.ppf((np.arange(n) + 0.5) / n)[:, None].astype(np.float32)  # N(0, 1) quantiles, shuffled below
    b = 1.0 + 2.0 * a  # N(1, 4) quantiles
    rng = np.random.default_rng(0)
    a, b = rng.permutation(a), rng.permutation(b)  # sorting is the method's job
    expected = 2 * norm.pdf(1.0) + (2 * norm.cdf(1.0) - 1)
    assert expected == pytest.approx(1.16663, abs=1e-5)
    assert sliced_wasserstein(a, b, directions=8, repeats=2, rng=rng) == pytest.approx(expected, abs=2e-3)
    assert sliced_wasserstein(a, a + 0.75, directions=8, repeats=2, rng=rng) == pytest.approx(0.75, abs=1e-5)


def test_sliced_wasserstein_of_a_3d_shift_is_half_its_length():
    """Shifting a set by t moves every projection on a unit direction u by u.t, so the sliced W1 is
    |t| E|u_1|; on the 2-sphere u_1 is uniform on [-1, 1] (Archimedes), so E|u_1| = 1/2."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((300, 3)).astype(np.float32)
    t = np.array([0.6, 0.0, 0.8], np.float32)  # |t| = 1
    # 64 x 128 random directions: the Monte Carlo standard error of E|u_1| is 0.289 / sqrt(8192) = 0.0032
    assert sliced_wasserstein(a, a + t, directions=128, repeats=64, rng=rng) == pytest.approx(0.5, abs=0.015)
    assert sliced_wasserstein(a, a + 3 * t, directions=128, repeats=64, rng=rng) == pytest.approx(1.5, abs=0.045)


def test_swd_reports_each_level_times_1e3_and_their_mean():
    shifted = [np.linspace(0, 1, 50, dtype=np.float32)[:, None] + d for d in (0.0, 0.002, 0.004)]
    a = SimpleNamespace(count=50, levels=2, resolutions=[32, 16], descriptors=[shifted[0], shifted[0]])
    b = SimpleNamespace(count=50, levels=2, resolutions=[32, 16], descriptors=[shifted[1], shifted[2]])
    result = swd(a, b, directions=4, repeats=1)
    assert result["per_level"] == pytest.approx([2.0, 4.0], abs=1e-3)  # shifts of 0.002 and 0.004, x1e3
    assert result["mean"] == pytest.approx(3.0, abs=1e-3) and result["resolutions"] == [32, 16]
