"""Backgrounds networks: the wrap padding tiles, the generator wraps around and works in strips,
BatchNorm folds exactly, FLOP per pixel; the seam figure."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from training.backgrounds import models as m
from training.backgrounds.metrics import seam_figure
from training.backgrounds.sample import ramp
from training.kit.batchnorm import recalibrate

CFG = {"local_channels": 3, "global_channels": 2, "textures": 3, "g_low": 8, "g_low_convs": 2, "g_up": "8,6,4,4"}


def tiled(x: np.ndarray, axes=(1, 2)) -> np.ndarray:
    reps = [1] * x.ndim
    for a in axes:
        reps[a] = 3
    return np.tile(x, reps)


def test_wrapped_conv_equals_the_centre_of_the_same_conv_on_the_3x3_tiled_image():
    rng = np.random.default_rng(0)
    image = rng.standard_normal((2, 7, 5, 3)).astype(np.float32)
    conv = keras.layers.Conv2D(4, 3, padding="valid")
    wrapped = conv(m.WrapPad2D(1)(image)).numpy()
    big = keras.layers.Conv2D(4, 3, padding="same")
    big.build((None, None, None, 3))
    big.set_weights(conv.get_weights())
    centre = big(tiled(image)).numpy()[:, 7:14, 5:10]
    assert wrapped.shape == (2, 7, 5, 4)
    np.testing.assert_allclose(wrapped, centre, atol=1e-5)


def test_wrap_pad_copies_the_opposite_edges_and_round_trips_its_config():
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    out = m.WrapPad2D(2)(x).numpy()[0, :, :, 0]
    assert out.shape == (7, 8)
    np.testing.assert_array_equal(out[2:5, 2:6], x[0, :, :, 0])
    np.testing.assert_array_equal(out[0], np.roll(np.roll(x[0, :, :, 0], 2, 0), 2, 1)[0, np.r_[0:4, 0:4]])
    layer = m.WrapPad2D.from_config(m.WrapPad2D(2, name="pad").get_config())
    assert layer.pad == 2 and layer.name == "pad"
    assert layer.compute_output_shape((None, None, 5, 3)) == (None, None, 9, 3)


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(0)
    g = m.build_generator(CFG)
    rng = np.random.default_rng(1)
    # non-trivial BatchNorm statistics, as after training
    recalibrate(g, [rng.standard_normal((6, 3, 3, 3)).astype(np.float32),
                                np.eye(3, dtype=np.float32)[rng.integers(0, 3, (6, 3, 3))]])
    return g


def test_generator_output_wraps_around_so_it_tiles(generator):
    core = m.core_of(generator)
    noise = np.random.default_rng(2).standard_normal((1, 2, 3, 5)).astype(np.float32)
    image = core(noise).numpy()
    assert image.shape == (1, 64, 96, 3)
    big = core(tiled(noise)).numpy()
    np.testing.assert_allclose(big[:, 64:128, 96:192], image, atol=1e-5)
    assert seam_figure(image[0] * 127.5) < 1.3


def test_folded_generator_equals_the_batchnorm_one_and_counts_its_flop(generator):
    core = m.core_of(generator)
    folded = m.folded_generator(core, CFG)
    noise = np.random.default_rng(3).standard_normal((2, 3, 2, 5)).astype(np.float32)
    np.testing.assert_allclose(folded(noise).numpy(), core(noise, training=False).numpy(), atol=1e-5)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    flop = m.flop_per_pixel(folded)
    # by hand: 2*9*cin*cout (+1 per output for the bias) at each resolution, per output pixel
    stages = [(5, 8, 32), (8, 8, 32), (8, 8, 16), (8, 6, 8), (6, 4, 4), (4, 4, 2), (4, 3, 1)]
    expected = sum((18 * cin + 1) * cout / scale ** 2 for cin, cout, scale in stages)
    assert flop["conv"] == pytest.approx(expected)


def test_a_strip_of_noise_with_the_stated_overlap_gives_the_same_pixels_as_the_whole_grid(generator):
    core = m.folded_generator(m.core_of(generator), CFG)
    overlap = int(np.ceil(m.receptive_field_cells(core)))
    noise = np.random.default_rng(4).standard_normal((1, 4, 12, 5)).astype(np.float32)
    whole = core(noise).numpy()
    # columns 4..7 of the grid, with `overlap` wrapped cells on both sides
    cols = np.arange(4 - overlap, 8 + overlap) % 12
    strip = core(noise[:, :, cols]).numpy()[:, :, overlap * 32:(overlap + 4) * 32]
    np.testing.assert_allclose(strip, whole[:, :, 4 * 32:8 * 32], atol=1e-5)


def test_texture_points_map_one_hot_cells_to_rows_and_blend_linearly(generator):
    points = m.texture_points(generator)
    layer = generator.get_layer("texture_points")
    weights = np.zeros((1, 1, 2, 3), np.float32)
    weights[0, 0, 0, 1] = 1.0
    weights[0, 0, 1] = [0.5, 0.0, 0.5]
    out = layer(weights).numpy()[0, 0]
    np.testing.assert_allclose(out[0], points[1], atol=1e-6)
    np.testing.assert_allclose(out[1], (points[0] + points[2]) / 2, atol=1e-6)


def test_discriminator_gives_one_logit_per_noise_cell():
    d = m.build_discriminator(64, 3, width=4)
    logits = d([np.zeros((2, 64, 64, 3), np.float32), np.ones((2, 2, 2, 3), np.float32) / 3])
    assert logits.shape == (2, 2, 2, 1)


def smooth_periodic_field(size: int, seed: int) -> np.ndarray:
    """A smooth random field on the torus: low-pass filtered white noise (FFT, so periodic)."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.fft2(rng.standard_normal((size, size, 3)), axes=(0, 1))
    f = np.fft.fftfreq(size)
    keep = (np.abs(f)[:, None] < 0.05) & (np.abs(f)[None, :] < 0.05)
    return np.real(np.fft.ifft2(spectrum * keep[..., None], axes=(0, 1)))


def test_seam_figure_is_about_one_for_a_periodic_image_and_above_for_a_crop_of_one():
    field = smooth_periodic_field(256, 0)
    assert seam_figure(field) == pytest.approx(1.0, abs=0.1)
    assert seam_figure(field[:150, :150]) > 3.0
    assert seam_figure(np.roll(field, (77, 31), axis=(0, 1))) == pytest.approx(1.0, abs=0.1)
    assert seam_figure(smooth_periodic_field(128, 1)) == pytest.approx(1.0, abs=0.15)
    # pooled over images, and the cell-boundary control
    fields = [smooth_periodic_field(128, s) for s in (2, 3, 4)]
    assert seam_figure(fields) == pytest.approx(1.0, abs=0.1)
    assert seam_figure(fields, period=32) == pytest.approx(1.0, abs=0.15)
    assert seam_figure([f[:100, :100] for f in fields], period=25) > 3.0


def test_ramp_goes_from_zero_to_one_along_its_direction():
    r = ramp(2, 8, 0.0, 4.0)
    assert r.shape == (2, 8) and r[0, 0] == 0.0 and r[0, -1] == 1.0
    assert np.all(np.diff(r[0]) >= 0) and np.allclose(r[0], r[1])
    assert tf.is_tensor(tf.constant(r))
