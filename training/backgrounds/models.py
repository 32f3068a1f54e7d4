"""Networks of the Backgrounds studio: a fully convolutional, seamless texture generator
(spatial GAN) and a texture-conditioned patch discriminator.

Generator (the part that ships; see docs/backgrounds-training.md for the noise layout)::

    noise [N, h, w, L + G]  (h, w = output size / 32)
      -> [WrapPad2D(1) -> Conv3x3 -> BN -> ReLU] x low_convs        at 1/32, `low` channels
      -> [UpSampling2D(2, nearest) -> WrapPad2D(1) -> Conv3x3 -> BN -> ReLU] per entry of `up`
      -> UpSampling2D(2) -> WrapPad2D(1) -> Conv3x3 -> tanh          RGB in [-1, 1]

The noise holds L local channels (i.i.d. N(0, 1) per position) followed by G global channels
(one vector per texture, a learned point per texture id: `TextureEmbedding`, broadcast over
the grid, or varied over it to morph between textures). Every convolution pads circularly
(`WrapPad2D`, then a "valid" convolution), so the output of an h x w grid is a torus: it tiles
edge to edge. The channels drop fast with resolution (e.g. 128 at 1/32 down to 8 at 1/2), so a
pixel costs a few thousand FLOP (`flop_per_pixel`). The export folds each BatchNorm into its
convolution (`folded_generator`): the browser runs pads, convolutions, ReLUs and upsamplings.

Discriminator: spectrally normalised strided convolutions down to 1/32 of the crop, one logit per
noise cell (a patch discriminator) plus a projection of the per-cell texture label (Miyato &
Koyama 2018), so a morphing fake is judged cell by cell against its blended label. It never
leaves Python.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from training.backgrounds.sample import FACTOR_LOG2
from training.latent.models import SNConv2D


class WrapPad2D(keras.layers.Layer):
    """Circular padding of an NHWC tensor by `pad` rows and columns on every side.

    Math: out = concat([x[:, -p:], x, x[:, :p]], axis=1), then the same along axis 2 (the
    corners come from the opposite corner). Config: `{"pad": p}`; output [N, H + 2p, W + 2p, C].
    The web app registers a tfjs layer of the same bare class name (no `Package>` prefix)."""

    def __init__(self, pad: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x):
        p = self.pad
        x = tf.concat([x[:, -p:], x, x[:, :p]], axis=1)
        return tf.concat([x[:, :, -p:], x, x[:, :, :p]], axis=2)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda d: None if d is None else d + 2 * self.pad  # noqa: E731
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


class TextureEmbedding(keras.layers.Layer):
    """Per-cell texture weights [N, h, w, T] -> global channels [N, h, w, G]: `weights @ points`
    (a one-hot cell picks a texture's point; soft weights blend points)."""

    def __init__(self, textures: int, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.textures, self.channels = int(textures), int(channels)

    def build(self, input_shape):
        self.points = self.add_weight(name="points", shape=(self.textures, self.channels),
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0))

    def call(self, weights):
        return tf.einsum("nhwt,tg->nhwg", weights, self.points)

    def get_config(self):
        return {**super().get_config(), "textures": self.textures, "channels": self.channels}


CUSTOM_OBJECTS = {"WrapPad2D": WrapPad2D, "TextureEmbedding": TextureEmbedding}


def parse_channels(text: str) -> list[int]:
    return [int(c) for c in str(text).split(",") if c.strip()]


def build_core(local: int, global_: int, low: int, low_convs: int, up: list[int], fold: bool = False,
               name: str = "generator") -> keras.Model:
    """The generator the browser runs: noise [N, h, w, local + global] -> RGB [N, h*2^k, w*2^k, 3],
    k = len(up) + 1. `fold=True` builds the export form: convolutions with biases, no BatchNorm."""
    noise = keras.Input(shape=(None, None, local + global_), name="noise")
    x = noise
    stages = [(low, False)] * low_convs + [(ch, True) for ch in up]
    for i, (ch, upsample) in enumerate(stages, start=1):
        if upsample:
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"g{i}_up")(x)
        x = WrapPad2D(1, name=f"g{i}_pad")(x)
        x = keras.layers.Conv2D(ch, 3, padding="valid", use_bias=fold, name=f"g{i}_conv")(x)
        if not fold:
            x = keras.layers.BatchNormalization(name=f"g{i}_bn")(x)
        x = keras.layers.ReLU(name=f"g{i}_act")(x)
    x = keras.layers.UpSampling2D(2, interpolation="nearest", name="rgb_up")(x)
    x = WrapPad2D(1, name="rgb_pad")(x)
    rgb = keras.layers.Conv2D(3, 3, padding="valid", activation="tanh", name="rgb_conv")(x)
    return keras.Model(noise, rgb, name=name)


def build_generator(cfg: dict, name: str = "generator") -> keras.Model:
    """Training form: [local noise, texture weights per cell] -> RGB. Its `core` sub-model
    (input: local and global channels concatenated) is what ships."""
    local, global_, textures = cfg["local_channels"], cfg["global_channels"], cfg["textures"]
    core = build_core(local, global_, cfg["g_low"], cfg["g_low_convs"], parse_channels(cfg["g_up"]),
                      name=f"{name}_core")
    noise = keras.Input(shape=(None, None, local), name="local")
    weights = keras.Input(shape=(None, None, textures), name="texture_weights")
    points = TextureEmbedding(textures, global_, name="texture_points")(weights)
    rgb = core(keras.layers.Concatenate(name="noise")([noise, points]))
    return keras.Model([noise, weights], rgb, name=name)


def core_of(generator: keras.Model) -> keras.Model:
    return next(layer for layer in generator.layers if isinstance(layer, keras.Model))


def texture_points(generator: keras.Model) -> np.ndarray:
    """[T, G]: each texture's point of the global latent."""
    return generator.get_layer("texture_points").points.numpy()


def folded_generator(core: keras.Model, cfg: dict) -> keras.Model:
    """The export form of `core`: each BatchNorm (inference statistics) folded into its conv,
    y = (W x - mean) * gamma / sqrt(var + eps) + beta  ==  (W * s) x + (beta - mean * s)."""
    folded = build_core(cfg["local_channels"], cfg["global_channels"], cfg["g_low"], cfg["g_low_convs"],
                        parse_channels(cfg["g_up"]), fold=True, name="generator")
    for layer in folded.layers:
        if not isinstance(layer, keras.layers.Conv2D):
            continue
        source = core.get_layer(layer.name)
        if layer.name == "rgb_conv":
            layer.set_weights(source.get_weights())
            continue
        kernel = source.get_weights()[0]
        bn = core.get_layer(layer.name.replace("_conv", "_bn"))
        gamma, beta, mean, var = bn.get_weights()
        scale = gamma / np.sqrt(var + bn.epsilon)
        layer.set_weights([kernel * scale, beta - mean * scale])
    return folded


def flop_per_pixel(core: keras.Model, cells: int = 4) -> dict:
    """Multiply-adds x 2 of every convolution (plus its bias) per output pixel, and the other
    elementwise work (BatchNorm folded away, so ReLU, tanh, padding and upsampling copies)."""
    shapes = {}
    probe = keras.Model(core.input, [layer.output for layer in core.layers[1:]])
    outputs = probe(np.zeros((1, cells, cells, core.input.shape[-1]), np.float32))
    for layer, out in zip(core.layers[1:], outputs):
        shapes[layer.name] = out.shape
    pixels = float(np.prod(outputs[-1].shape[1:3]))
    conv, other = 0.0, 0.0
    for layer in core.layers[1:]:
        n, h, w, c = shapes[layer.name]
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            conv += (2.0 * kh * kw * layer.input.shape[-1] + 1.0) * c * h * w
        elif not isinstance(layer, keras.layers.BatchNormalization):
            other += float(h * w * c)
    return {"conv": conv / pixels, "elementwise": other / pixels, "total": (conv + other) / pixels}


def receptive_field_cells(core: keras.Model) -> float:
    """How far (in noise cells, each side) an output pixel looks: the overlap a strip or tile of
    the noise grid needs for its output to equal the whole image's."""
    reach, scale = 0.0, 1.0  # scale: noise cells per pixel of the current resolution
    for layer in core.layers:
        if isinstance(layer, keras.layers.UpSampling2D):
            scale /= 2.0
        elif isinstance(layer, WrapPad2D):
            reach += layer.pad * scale
    return reach


def build_discriminator(crop: int, textures: int, width: int = 32, name: str = "discriminator") -> keras.Model:
    """[image [N, crop, crop, 3] in [-1, 1], texture weights [N, crop/32, crop/32, T]] -> logits
    [N, crop/32, crop/32, 1]: psi(h) + <embed(weights), h> per cell."""
    cells = crop >> FACTOR_LOG2
    image = keras.Input(shape=(crop, crop, 3), name="image")
    weights = keras.Input(shape=(cells, cells, textures), name="texture_weights")
    x, ch = image, width
    for i in range(1, FACTOR_LOG2 + 1):
        x = SNConv2D(ch, 4, strides=2, padding="same", name=f"d{i}_conv")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"d{i}_act")(x)
        ch = min(ch * 2, 256)
    x = SNConv2D(x.shape[-1], 3, padding="same", name="d_top_conv")(x)
    h = keras.layers.LeakyReLU(0.2, name="d_top_act")(x)
    psi = SNConv2D(1, 1, name="d_psi")(h)
    embedded = SNConv2D(h.shape[-1], 1, use_bias=False, name="d_embed")(weights)
    projection = tf.reduce_sum(embedded * h, axis=-1, keepdims=True)
    logits = keras.layers.Add(name="logits")([psi, projection])
    return keras.Model([image, weights], logits, name=name)
