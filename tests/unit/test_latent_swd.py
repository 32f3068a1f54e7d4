"""Sliced Wasserstein distance on Laplacian-pyramid patches (training.kit.swd), with known answers (1-D
shifts and scalings, a shift along one axis in 2, 3 and 147 dimensions) that wrong implementations miss."""
import functools
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


# Known answers of the 1-D Wasserstein-1 distance W1(P, Q) = integral over p in (0, 1) of
# |F_P^-1(p) - F_Q^-1(p)| (the quantile functions), which is what sorted projections estimate:
#   shift by c (any distribution):          W1 = |c|
#   U(0, 1) vs U(0, s):                      W1 = |s - 1| / 2        (W2 would be |s - 1| / sqrt(3))
#   N(0, 1) vs N(0, s^2):                    W1 = |s - 1| sqrt(2/pi) (W2 would be |s - 1|)
# and of the sliced distance of a d-dimensional set shifted by t along one axis: every projection
# on a unit direction u moves by u_1 |t|, so SW1 = |t| E|u_1| with u uniform on the sphere,
# E|u_1| = Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)): 1 (d=1), 2/pi (d=2), 1/2 (d=3), 0.0659 (d=147,
# the size of one 7x7x3 patch descriptor). The scale cases tell W1 from W2; the shift along one
# axis checks that the directions are unit vectors spread evenly over the sphere.


def _quantiles(n, ppf):
    """n samples placed at the (i + 0.5) / n quantiles, shuffled (the method must sort them)."""
    values = ppf((np.arange(n) + 0.5) / n)
    return np.random.default_rng(n).permutation(values)[:, None].astype(np.float32)


def _unit_sphere_mean_abs(d):
    from scipy.special import gammaln

    return float(np.exp(gammaln(d / 2) - gammaln((d + 1) / 2)) / np.sqrt(np.pi))


@functools.lru_cache(maxsize=1)
def _known_answers():
    """(label, a, b, directions, repeats, expected, tolerance) cases."""
    n = 20000
    uniform = _quantiles(n, lambda p: p)
    normal = _quantiles(n, norm.ppf)
    rng = np.random.default_rng(7)
    cases = [  # b is shuffled apart from a: pairing the samples is the method's job
        ("uniform shifted by 0.3", uniform, rng.permutation(uniform + 0.3), 4, 1, 0.3, 1e-4),
        ("normal shifted by -1.25", normal, rng.permutation(normal - 1.25), 4, 1, 1.25, 1e-4),
        ("uniform scaled by 3", uniform, rng.permutation(3.0 * uniform), 4, 1, 1.0, 1e-3),
        ("normal scaled by 3", normal, rng.permutation(3.0 * normal), 4, 1, 2.0 * np.sqrt(2 / np.pi), 2e-3),
        # quantiles differ by 2 - z/2: W1 = E|2 - Z/2| = (4 (2 Phi(4) - 1) + 2 phi(4)) / 2 = 2.000007
        ("normal scaled by 0.5 and shifted by 2", normal, rng.permutation(0.5 * normal + 2.0), 4, 1, 2.0, 1e-3),
    ]
    for d in (2, 3, 147):  # a shift moves every sorted projection by the same amount: few points suffice
        a = rng.standard_normal((200, d)).astype(np.float32)
        shift = np.zeros(d, np.float32)
        shift[0] = 2.0
        # 256 x 128 directions: the Monte Carlo standard error of E|u_1| is at most 0.42 % (d = 147:
        # sd(|u_1|) / E|u_1| = 0.75 per direction); 2 % is about 5 standard errors
        cases.append((f"{d}-D set shifted by 2 along one axis", a, rng.permutation(a + shift), 128, 256,
                      2.0 * _unit_sphere_mean_abs(d), 0.02 * 2.0 * _unit_sphere_mean_abs(d)))
    return cases


def _misses(distance):
    """Labels of the known-answer cases `distance` gets wrong (seeded, so the same every time)."""
    rng = np.random.default_rng(11)
    missed = []
    for label, a, b, directions, repeats, expected, tolerance in _known_answers():
        got = distance(a, b, directions=directions, repeats=repeats, rng=rng)
        if abs(got - expected) > tolerance:
            missed.append(label)
    return missed


def test_unit_sphere_means_are_the_textbook_values():
    assert _unit_sphere_mean_abs(1) == pytest.approx(1.0)
    assert _unit_sphere_mean_abs(2) == pytest.approx(2 / np.pi)
    assert _unit_sphere_mean_abs(3) == pytest.approx(0.5)
    assert _unit_sphere_mean_abs(147) == pytest.approx(np.sqrt(2 / (np.pi * 147)), rel=0.01)  # large-d limit


def test_sliced_wasserstein_gives_every_known_answer():
    assert _misses(sliced_wasserstein) == []


def _w2(a, b, directions, repeats, rng):
    """Wrong on purpose: the sliced Wasserstein-2 distance (root mean square of the sorted differences)."""
    dirs = rng.standard_normal((a.shape[1], directions))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    return float(np.sqrt(np.mean((np.sort(a @ dirs, axis=0) - np.sort(b @ dirs, axis=0)) ** 2)))


def _unsorted(a, b, directions, repeats, rng):
    """Wrong on purpose: projections compared in the order given, not sorted."""
    dirs = rng.standard_normal((a.shape[1], directions))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    return float(np.abs(a @ dirs - b @ dirs).mean())


def _unnormalised(a, b, directions, repeats, rng):
    """Wrong on purpose: Gaussian directions used as they are (not unit length)."""
    dirs = rng.standard_normal((a.shape[1], directions))
    return float(np.abs(np.sort(a @ dirs, axis=0) - np.sort(b @ dirs, axis=0)).mean())


def _cube(a, b, directions, repeats, rng):
    """Wrong on purpose: unit directions drawn from a cube, so not evenly spread over the sphere."""
    dirs = rng.uniform(-1, 1, (a.shape[1], directions))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    return float(np.abs(np.sort(a @ dirs, axis=0) - np.sort(b @ dirs, axis=0)).mean())


def _first_axis(a, b, directions, repeats, rng):
    """Wrong on purpose: the distance of the first coordinates only."""
    return float(np.abs(np.sort(a[:, 0]) - np.sort(b[:, 0])).mean())


@pytest.mark.parametrize("wrong, should_miss", [
    (_w2, "uniform scaled by 3"),
    (_unsorted, "normal shifted by -1.25"),
    (_unnormalised, "3-D set shifted by 2 along one axis"),
    (_cube, "2-D set shifted by 2 along one axis"),
    (_first_axis, "147-D set shifted by 2 along one axis"),
])
def test_the_known_answers_catch_wrong_implementations(wrong, should_miss):
    assert should_miss in _misses(wrong)


def test_swd_of_a_set_and_its_per_channel_affine_recolouring_is_zero():
    """Each descriptor set is normalised per colour channel, and the Laplacian pyramid is linear, so a
    per-channel gain and offset of the pixels (exact in uint8 here) leaves every figure at 0; a pyramid
    or normalisation that mixed channels, or compared the sets before normalising, would not."""
    a = (_blobs(40, 4, sharp=True) // 4) * 4  # multiples of 4: the gains below stay exact in uint8
    b = np.empty_like(a)
    for c, (gain, offset) in enumerate(((0.5, 100), (0.25, 3), (1.0, 0))):
        b[..., c] = (a[..., c] * gain + offset).astype(np.uint8)
    assert np.array_equal(b[..., 0].astype(int) * 2, a[..., 0].astype(int) + 200)
    same = swd(PyramidDescriptors(a, per_image=16, seed=3), PyramidDescriptors(b, per_image=16, seed=3))
    assert max(same["per_level"]) < 1e-2  # x1e3, so below 1e-5 in the distance itself (float32 rounding)
    other_patches = swd(PyramidDescriptors(a, per_image=16, seed=3), PyramidDescriptors(b, per_image=16, seed=4))
    assert min(other_patches["per_level"]) > 1.0  # not zero by accident: other patch positions differ
