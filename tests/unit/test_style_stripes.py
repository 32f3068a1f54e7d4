"""The stripe figure (training/style/stripes.py) on patterns with a known answer, and the centred
Gram matrices of --centre-gram (the change that removes the stripes, docs/style-training.md)."""
import json

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from training.style import stripes

Y, X = np.mgrid[0:256, 0:256].astype(float)


def smooth_picture(seed: int = 0, shape=(256, 256)) -> np.ndarray:
    """A photo-like image: smooth noise (most energy at low frequencies) plus a few soft edges."""
    rng = np.random.default_rng(seed)
    h, w = shape
    y, x = np.mgrid[0:h, 0:w]
    image = 40 * gaussian_filter(rng.standard_normal(shape), 6) / 0.05 + 60 * (x > w / 3) + 30 * (y + x > h)
    return np.stack([image, image * 0.8, image * 0.6], -1)


@pytest.mark.parametrize(("pattern", "period", "axis"), [
    (np.cos(2 * np.pi * Y / 4), 4, "rows"),
    (np.cos(2 * np.pi * X / 8), 8, "columns"),
    (((Y % 8) < 4).astype(float), 8, "rows"),  # a square wave: its harmonics are on the period-8 lines too
    (((X + Y) % 2).astype(float), 2, "rows"),  # a checkerboard: on a row line and a column line at once
])
def test_pure_stripes_are_all_peak(pattern, period, axis):
    result = stripes.peak_share(pattern)
    assert result["excess"] == pytest.approx(1, abs=1e-3)
    assert result["excess_by_period"][period] == pytest.approx(1, abs=1e-3)
    assert result[f"excess_{axis}"] == pytest.approx(1, abs=1e-3)


def test_pictures_without_a_pattern_have_next_to_none():
    rng = np.random.default_rng(1)
    assert stripes.peak_share(smooth_picture())["excess"] < 1e-3
    assert stripes.peak_share(gaussian_filter(rng.standard_normal((256, 256)), 3))["excess"] < 1e-3
    # white noise has power on the lines like everywhere else: its share is the lines' area, its excess small
    noise = stripes.peak_share(rng.standard_normal((256, 256)))
    assert 0.1 < noise["share"] < 0.2 and noise["excess"] < 0.01


def test_the_excess_is_the_share_of_the_added_stripes():
    """A picture plus stripes holding a known share of the energy reads back about that share."""
    picture = stripes.luminance(smooth_picture())
    window = np.outer(np.hanning(256), np.hanning(256))
    power = stripes.power_spectrum(picture)
    outside = float(power.sum() - power[[0, 0, 0, 1, 1, 1, -1, -1, -1], [0, 1, -1] * 3].sum()) / power.size  # Parseval
    for target in (0.02, 0.1):
        amplitude = np.sqrt(target / (1 - target) * outside / ((window ** 2).sum() / 2))
        striped = picture + amplitude * np.cos(2 * np.pi * Y / 4 + 0.3)
        assert stripes.peak_share(striped)["excess"] == pytest.approx(target, rel=0.05)


def test_other_sizes_and_periods():
    y, x = np.mgrid[0:120, 0:200].astype(float)
    assert stripes.peak_share(np.cos(2 * np.pi * y / 4))["excess"] == pytest.approx(1, abs=1e-3)
    assert stripes.line_frequencies(256) == {2: [128], 4: [64, 192], 8: [32, 96, 160, 224]}
    # a period that is not one of the grid's is not counted
    assert stripes.peak_share(np.cos(2 * np.pi * Y / 5.3))["excess"] < 0.05
    peaks = stripes.strongest_peaks(smooth_picture() + 50 * np.cos(2 * np.pi * Y / 8)[..., None], count=3)
    assert (abs(peaks[0]["fy"]), peaks[0]["fx"]) == (32, 0)
    assert peaks[0]["period_y"] == 8 and peaks[0]["period_x"] == float("inf")


@pytest.mark.train
def test_centred_gram_is_the_channel_covariance():
    import tensorflow as tf

    from training.style.losses import gram_matrix

    rng = np.random.default_rng(2)
    f = rng.standard_normal((2, 5, 6, 3)).astype(np.float32) + np.array([3.0, -1.0, 0.5], np.float32)
    flat = f.reshape(2, 30, 3)
    centred = flat - flat.mean(1, keepdims=True)
    np.testing.assert_allclose(gram_matrix(f, centred=True).numpy(), np.einsum("bpi,bpj->bij", centred, centred) / 30, atol=1e-5)
    np.testing.assert_allclose(gram_matrix(f).numpy(), np.einsum("bpi,bpj->bij", flat, flat) / 30, atol=1e-4)
    # a constant added to every channel moves the uncentred Gram, not the centred one
    shifted = tf.constant(f + 2.0)
    np.testing.assert_allclose(gram_matrix(shifted, centred=True).numpy(), gram_matrix(f, centred=True).numpy(), atol=1e-4)
    assert np.abs(gram_matrix(shifted).numpy() - gram_matrix(f).numpy()).max() > 1


@pytest.mark.train
def test_loss_net_centres_only_the_layers_asked_for():
    from training.kit.errors import UserError
    from training.style.losses import LossNet, gram_matrix

    plain, centred = LossNet("random"), LossNet("random", centre_gram=["r4", "r5"])
    assert "centred" not in plain.description
    assert centred.description == plain.description + "; centred Gram matrices (channel covariances) at r4, r5"
    painting = smooth_picture(3, (64, 48)).astype(np.float32)
    a, b = plain.style_targets(painting), centred.style_targets(painting)
    feats = centred.features(painting[None])
    for name, ga, gb in zip(plain.style_layers, a, b):
        if name in ("r4", "r5"):
            np.testing.assert_allclose(gb.numpy(), gram_matrix(feats[name], centred=True)[0].numpy(), rtol=1e-4, atol=1e-6)
            assert not np.allclose(ga.numpy(), gb.numpy())
        else:
            np.testing.assert_array_equal(ga.numpy(), gb.numpy())
    with pytest.raises(UserError, match="--centre-gram r9: not a style layer"):
        LossNet("random", centre_gram=["r9"])


@pytest.mark.train
def test_train_flag_centre_gram_reaches_the_config_and_the_loss(tmp_path):
    import tensorflow as tf

    from tests.unit.style_testdata import train_args, write_style_data
    from training.style import cli, train

    tf.config.run_functions_eagerly(True)
    try:
        data = write_style_data(tmp_path / "data")
        runs = tmp_path / "runs"
        assert cli.main(train_args(data, runs, "centred", 1, "--centre-gram", "r4,r5")) == 0
        config = json.loads((runs / "style" / "centred" / "config.json").read_text())
        assert config["centre_gram"] == ["r4", "r5"] and "--centre-gram r4,r5" in " ".join(config["argv"])
        trainer = train.Trainer(config, runs / "style" / "centred")
        assert trainer.lossnet.centred == ("r4", "r5")
        # a run made before the flag existed (no key in its config) trains with uncentred Grams
        del config["centre_gram"]
        assert train.Trainer(config, tmp_path / "old").lossnet.centred == ()
        assert cli.main(train_args(data, runs, "bad", 1, "--centre-gram", "r9")) == 2
    finally:
        tf.config.run_functions_eagerly(False)
