"""Style losses and loss networks against hand-computed values on tiny arrays."""
import numpy as np
import pytest

pytestmark = pytest.mark.train

from training.kit.errors import UserError  # noqa: E402
from training.style.losses import (  # noqa: E402
    RANDOM_NET,
    LossNet,
    content_loss,
    gram_matrix,
    random_filter_weights,
    style_loss,
    tv_loss,
)


def test_gram_matrix_hand_computed():
    # one image, 2x2 positions, 2 channels: rows are positions
    f = np.array([[[[1.0, 2.0], [0.0, 1.0]], [[3.0, 0.0], [1.0, 1.0]]]], np.float32)
    # positions: (1,2), (0,1), (3,0), (1,1)
    # sum c0*c0 = 1+0+9+1 = 11; c0*c1 = 2+0+0+1 = 3; c1*c1 = 4+1+0+1 = 6; divided by 4 positions
    expected = np.array([[11, 3], [3, 6]], np.float32) / 4
    g = gram_matrix(f).numpy()
    assert g.shape == (1, 2, 2)
    np.testing.assert_allclose(g[0], expected, rtol=1e-6)


def test_gram_matrix_is_per_image_and_symmetric():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(3, 4, 5, 6)).astype(np.float32)
    g = gram_matrix(f).numpy()
    for b in range(3):
        flat = f[b].reshape(-1, 6)
        np.testing.assert_allclose(g[b], flat.T @ flat / 20, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(g[b], g[b].T, rtol=1e-6)


def test_content_loss_hand_computed():
    target = np.array([[[[1.0, 2.0]], [[2.0, 0.0]]]], np.float32)  # sum of squares 1+4+4 = 9
    value = np.array([[[[2.0, 2.0]], [[2.0, 3.0]]]], np.float32)   # squared diff 1 + 0 + 0 + 9 = 10
    assert content_loss(value, target).numpy() == pytest.approx(10 / 9, rel=1e-5)
    assert content_loss(target, target).numpy() == pytest.approx(0.0, abs=1e-7)


def test_content_loss_averages_over_batch():
    t = np.ones((2, 1, 1, 2), np.float32)            # each image: sum sq = 2
    v = np.array([[[[1, 1]]], [[[3, 1]]]], np.float32)  # image 0: 0, image 1: 4 -> 2
    assert content_loss(v, t).numpy() == pytest.approx((0 + 2) / 2, rel=1e-5)


def test_style_loss_hand_computed_and_broadcast():
    target = np.array([[2.0, 1.0], [1.0, 2.0]], np.float32)       # sum sq = 10
    g = np.array([[[2.0, 0.0], [0.0, 4.0]], [[2.0, 1.0], [1.0, 2.0]]], np.float32)
    # image 0: diffs 0, -1, -1, 2 -> 6 / 10; image 1: 0
    assert style_loss(g, target).numpy() == pytest.approx((0.6 + 0.0) / 2, rel=1e-5)


def test_tv_loss_hand_computed():
    img = np.zeros((1, 2, 3, 1), np.float32)
    img[0, :, :, 0] = [[0, 255, 0], [255, 255, 0]]
    img = np.repeat(img, 3, axis=-1)
    # in 0..1: vertical diffs (1,0,0) -> mean of squares over 1*1*3*3 = 1/3;
    # horizontal diffs row0 (1,-1), row1 (0,-1) -> 3/4
    assert tv_loss(img).numpy() == pytest.approx(1 / 3 + 3 / 4, rel=1e-5)
    assert tv_loss(np.full((1, 4, 4, 3), 77.0, np.float32)).numpy() == 0.0


def test_random_filters_fixed_by_seed():
    a, b, c = random_filter_weights(1), random_filter_weights(1), random_filter_weights(2)
    assert len(a) == 2 * len(RANDOM_NET)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a[0], c[0])
    # He-normal scale of the first kernel (fan-in 27)
    assert a[0].std() == pytest.approx(np.sqrt(2 / 27), rel=0.15)


def test_random_loss_net_is_multiscale_and_frozen():
    net = LossNet("random")
    feats = net.features(np.random.default_rng(0).uniform(0, 255, (1, 64, 48, 3)).astype(np.float32))
    sizes = [feats[n].shape[1:3] for n, _ in RANDOM_NET]
    assert sizes == [(64, 48), (32, 24), (16, 12), (8, 6), (4, 3)]
    assert net.model.trainable_weights == []
    assert "random-filters" in net.description and "seed" in net.description
    # features react to image content (not all dead ReLUs)
    assert all(float(np.mean(feats[n] > 0)) > 0.05 for n in net.style_layers)


def test_losses_zero_for_identical_images_and_positive_otherwise():
    net = LossNet("random")
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
    other = rng.uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
    weights = {"content": 1.0, "style": 10.0, "tv": 1.0}
    same = net.losses(img, net.features(img), net.style_targets(img[0]), weights)
    assert float(same["content"]) == pytest.approx(0, abs=1e-6)
    assert float(same["style"]) == pytest.approx(0, abs=1e-6)
    diff = net.losses(img, net.features(other), net.style_targets(np.full((32, 32, 3), 30.0, np.float32)), weights)
    assert float(diff["content"]) > 0.01 and float(diff["style"]) > 0.01
    total = weights["content"] * diff["content"] + weights["style"] * diff["style"] + weights["tv"] * diff["tv"]
    assert float(diff["total"]) == pytest.approx(float(total), rel=1e-5)


def test_vgg16_path_loads_weights_file(tmp_path):
    import tf_keras as keras

    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg16_notop.h5"
    vgg.save_weights(str(path))
    net = LossNet("vgg16", path)
    assert net.kind == "vgg16" and net.description.startswith("vgg16")
    feats = net.features(np.full((1, 32, 32, 3), 100.0, np.float32))
    assert set(feats) == set(net.style_layers) | set(net.content_layers)
    np.testing.assert_allclose(net.model.get_layer("block1_conv1").get_weights()[0],
                               vgg.get_layer("block1_conv1").get_weights()[0])
    with pytest.raises(UserError, match="--vgg-weights"):
        LossNet("vgg16")
    with pytest.raises(UserError, match="missing.h5"):
        LossNet("vgg16", tmp_path / "missing.h5")
