"""ConditionalInstanceNorm against numpy, and the transformer networks."""
import json

import numpy as np
import pytest

pytestmark = pytest.mark.train

import tf_keras as keras  # noqa: E402

from training.style.layers import ConditionalInstanceNorm, ReflectPad  # noqa: E402
from training.style.nets import build_transformer  # noqa: E402


def numpy_cin(x, style, gamma, beta, eps):
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(1, 2), keepdims=True)
    g = (style @ gamma)[:, None, None, :]
    b = (style @ beta)[:, None, None, :]
    return (x - mean) / np.sqrt(var + eps) * g + b


def make_layer(num_styles, channels, seed=0, eps=1e-3):
    rng = np.random.default_rng(seed)
    layer = ConditionalInstanceNorm(num_styles, epsilon=eps)
    layer.build([(None, None, None, channels), (None, num_styles)])
    gamma = rng.normal(1, 0.5, (num_styles, channels)).astype(np.float32)
    beta = rng.normal(0, 2, (num_styles, channels)).astype(np.float32)
    layer.set_weights([gamma, beta])
    return layer, gamma, beta


def test_cin_matches_numpy_one_hot():
    rng = np.random.default_rng(3)
    layer, gamma, beta = make_layer(3, 4)
    x = rng.normal(5, 3, (2, 5, 7, 4)).astype(np.float32)
    style = np.eye(3, dtype=np.float32)[[2, 0]]
    out = layer([x, style]).numpy()
    np.testing.assert_allclose(out, numpy_cin(x, style, gamma, beta, 1e-3), rtol=1e-4, atol=1e-4)
    # one-hot picks the row: per-channel mean of the output is beta[s], std ~ |gamma[s]|
    np.testing.assert_allclose(out[0].mean(axis=(0, 1)), beta[2], atol=1e-4)
    np.testing.assert_allclose(out[0].std(axis=(0, 1)), np.abs(gamma[2]), rtol=1e-3)


def test_cin_blends_two_styles_by_averaging_parameters():
    rng = np.random.default_rng(4)
    layer, gamma, beta = make_layer(2, 3, seed=5)
    x = rng.normal(0, 1, (1, 6, 6, 3)).astype(np.float32)
    w = 0.3
    out = layer([x, np.array([[w, 1 - w]], np.float32)]).numpy()
    single, _, _ = make_layer(1, 3)
    single.set_weights([w * gamma[:1] + (1 - w) * gamma[1:], w * beta[:1] + (1 - w) * beta[1:]])
    np.testing.assert_allclose(out, single([x, np.ones((1, 1), np.float32)]).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out, numpy_cin(x, np.array([[w, 1 - w]]), gamma, beta, 1e-3), rtol=1e-4, atol=1e-4)
    # the blend lies between the two pure styles (affine in the weights)
    a = layer([x, np.array([[1, 0]], np.float32)]).numpy()
    b = layer([x, np.array([[0, 1]], np.float32)]).numpy()
    np.testing.assert_allclose(out, w * a + (1 - w) * b, rtol=1e-4, atol=1e-4)


def test_cin_epsilon_matters_for_flat_input():
    layer, gamma, beta = make_layer(1, 2, eps=1e-3)
    x = np.full((1, 3, 3, 2), 7.0, np.float32)
    out = layer([x, np.ones((1, 1), np.float32)]).numpy()
    np.testing.assert_allclose(out, np.broadcast_to(beta[0], out.shape), atol=1e-5)


def test_cin_config_and_weight_names():
    layer, _, _ = make_layer(8, 4)
    cfg = layer.get_config()
    assert cfg["num_styles"] == 8 and cfg["epsilon"] == pytest.approx(1e-3)
    clone = ConditionalInstanceNorm.from_config(cfg)
    assert clone.num_styles == 8
    names = sorted(w.name.split("/")[-1].split(":")[0] for w in layer.weights)
    assert names == ["beta", "gamma"]
    assert keras.utils.get_registered_name(ConditionalInstanceNorm) == "ConditionalInstanceNorm"


def test_reflect_pad_matches_numpy_and_keeps_no_zeros():
    x = np.random.default_rng(1).uniform(1, 2, (2, 5, 7, 3)).astype(np.float32)
    y = ReflectPad(2)(x).numpy()
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect"))
    assert y.shape == (2, 9, 11, 3) and y.min() >= 1  # no zero border
    np.testing.assert_array_equal(y[:, 0, 2:-2], x[:, 2])  # the edge row itself is not repeated
    assert ReflectPad.from_config(ReflectPad(3).get_config()).pad == 3
    assert keras.utils.get_registered_name(ReflectPad) == "ReflectPad"


@pytest.mark.parametrize("arch", ["light", "johnson"])
def test_reflect_padding_keeps_the_contract_and_the_weights(arch):
    zeros = build_transformer(arch, num_styles=3)
    reflect = build_transformer(arch, num_styles=3, padding="reflect")
    assert zeros.count_params() == reflect.count_params()
    reflect.set_weights(zeros.get_weights())  # the same weights fit both
    x = np.random.default_rng(0).uniform(0, 255, (1, 48, 64, 3)).astype(np.float32)
    s = np.array([[0.0, 1.0, 0.0]], np.float32)
    a, b = zeros([x, s]).numpy(), reflect([x, s]).numpy()
    assert a.shape == b.shape == (1, 48, 64, 3)
    layers = json.loads(reflect.to_json())["config"]["layers"]
    convs = [l for l in layers if l["class_name"] in ("Conv2D", "SeparableConv2D")]
    assert convs and all(l["config"]["padding"] == "valid" for l in convs)
    assert sum(l["class_name"] == "ReflectPad" for l in layers) == len(convs)
    # the border differs: no zeros around it
    edge = np.abs(a - b)[0, :4].mean() + np.abs(a - b)[0, -4:].mean()
    assert edge > 0.1
    with pytest.raises(ValueError, match="unknown padding"):
        build_transformer(arch, 3, padding="wrap")


@pytest.mark.parametrize("arch", ["light", "johnson"])
def test_transformer_contract(arch):
    model = build_transformer(arch, num_styles=3)
    assert [i.name for i in model.inputs] == ["image", "style"]
    x = np.random.default_rng(0).uniform(0, 255, (1, 48, 64, 3)).astype(np.float32)
    out = model([x, np.array([[0.2, 0.8, 0.0]], np.float32)]).numpy()
    assert out.shape == (1, 48, 64, 3)
    assert out.min() >= 0 and out.max() <= 255
    topology = json.loads(model.to_json())
    cins = [l for l in topology["config"]["layers"] if l["class_name"] == "ConditionalInstanceNorm"]
    assert cins and all(set(l["config"]) >= {"num_styles", "epsilon"} for l in cins)
    assert not any(l["class_name"] in ("Lambda", "Conv2DTranspose") for l in topology["config"]["layers"])


def test_light_is_much_smaller_than_johnson():
    light = build_transformer("light", 8).count_params()
    johnson = build_transformer("johnson", 8).count_params()
    assert 1.6e6 <= johnson <= 1.8e6
    assert light * 10 < johnson
