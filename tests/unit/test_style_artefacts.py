"""Edge bands and streaks (training/style/artefacts.py) on images with a known answer."""
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from training.style import artefacts


def picture(seed=0, shape=(128, 160)):
    rng = np.random.default_rng(seed)
    return 100 + 200 * gaussian_filter(rng.standard_normal(shape), 4)


def test_a_flat_image_has_no_band_and_a_dark_last_row_band_is_measured_in_levels():
    flat = np.full((96, 96, 3), 120.0)
    assert artefacts.edge_band(flat)["mean"] == 0
    banded = flat.copy()
    banded[-4:] = 80.0  # the outer 4 rows 40 levels darker than the 8 inside them
    found = artefacts.edge_band(banded)
    assert found["bottom"] == pytest.approx(40.0)
    assert found["top"] == 0
    assert found["left"] == 0 and found["right"] == 0  # the dark rows are in both bands of the sides
    assert found["mean"] == pytest.approx(10.0)


def test_a_band_counts_over_texture_stretch_by_stretch():
    img = picture()  # texture of std ~15 levels
    base = artefacts.edge_band(img)
    img[:, -4:] += np.where(np.arange(128) < 64, 30.0, -30.0)[:, None]  # a band whose sign flips halfway
    found = artefacts.edge_band(img)
    assert found["right"] > base["right"] + 20
    assert found["left"] == base["left"] and found["top"] == base["top"]


def test_streak_ratio_sign_and_scale():
    y, x = np.mgrid[0:96, 0:96].astype(float)
    vertical = 50 * np.sin(2 * np.pi * x / 6)  # varies along x: vertical streaks
    horizontal = vertical.T
    assert artefacts.streak_ratio(vertical) > 10
    assert artefacts.streak_ratio(horizontal) < -10
    # twice the difference energy along x as along y: +1
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((200, 200))
    sx = np.sqrt(2) * np.cumsum(noise, axis=1)  # increments of variance 2 along x
    sy = np.cumsum(rng.standard_normal((200, 200)), axis=0)  # variance 1 along y
    field = sx + sy
    dx, dy = np.diff(field, axis=1), np.diff(field, axis=0)
    expected = np.log2(np.mean(dx[8:-8, 8:-8] ** 2) / np.mean(dy[8:-8, 8:-8] ** 2))
    assert artefacts.streak_ratio(field) == pytest.approx(expected, abs=0.2)
    iso = picture(3, (128, 128))
    assert abs(artefacts.streak_ratio(iso)) < 0.3


def test_tiny_images_are_refused():
    with pytest.raises(ValueError, match="too small"):
        artefacts.edge_band(np.zeros((20, 20)))
    with pytest.raises(ValueError, match="too small"):
        artefacts.streak_ratio(np.zeros((16, 16)))
