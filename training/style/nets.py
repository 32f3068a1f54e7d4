"""Feed-forward style transformer networks with conditional instance normalisation.

Both take two inputs and return one output:

* ``image``: float32 [B, H, W, 3], values 0..255, any H and W. The output is
  4*ceil(H/4) x 4*ceil(W/4) (two stride-2 convolutions, two 2x upsamplings), so
  callers feed sizes that are multiples of 4 (or crop the output);
* ``style``: float32 [B, S], mixing weights over the S styles (one-hot = one style);
* output ``stylised``: float32 [B, H, W, 3], values 0..255.

``light`` (shipped to the browser): early downsampling and few channels.
  conv5x5/2 (16) -> conv3x3/2 (32) -> conv3x3 (64) at 1/4 resolution ->
  4 residual blocks of two depthwise-separable 3x3 convolutions (64) ->
  2x nearest upsampling + separable conv3x3 (32) -> 2x nearest upsampling +
  separable conv3x3 (16) ->
  conv3x3 (3) -> tanh -> 0..255.
``johnson`` (comparison baseline, Johnson et al. 2016, ~1.68 M parameters):
  conv9x9 (32) -> conv3x3/2 (64) -> conv3x3/2 (128) -> 5 residual blocks of two
  3x3 convolutions (128) -> 2x nearest upsampling + conv3x3 (64) -> 2x upsampling
  + conv3x3 (32) -> conv9x9 (3) -> tanh -> 0..255.

``padding``: "zeros" (Keras ``padding="same"``; the models shipped before session 6) or "reflect"
(every convolution is ``padding="valid"`` after a ReflectPad of half its kernel, so no layer sees a
border of zeros: docs/style-training.md, "Edge bands and streaks"). The weights of one fit the
other; the output size is the same for sizes that are multiples of 4.

Every convolution except the last is followed by ConditionalInstanceNorm (and
ReLU, except in the second half of a residual block); those convolutions carry
no bias, because the normalisation removes it. Upsampling is nearest-neighbour
followed by a convolution, which avoids the checkerboard artefacts of
transposed convolutions.
"""
from __future__ import annotations

import tf_keras as keras

from training.style.layers import DEFAULT_EPSILON, ConditionalInstanceNorm, ReflectPad

ARCHS = ("light", "johnson")
PADDINGS = ("zeros", "reflect")


LIGHT_WIDTHS = (16, 32, 64, 32, 16)
LIGHT_BLOCKS = 4


def build_transformer(arch: str = "light", num_styles: int = 8, epsilon: float = DEFAULT_EPSILON,
                      widths: tuple = LIGHT_WIDTHS, blocks: int = LIGHT_BLOCKS,
                      upsampling: str = "nearest", padding: str = "zeros", input_skip: bool = False) -> keras.Model:
    """`widths` (light only): channels of the two downsampling convs, the residual
    trunk, and the two upsampling stages. `upsampling`: "nearest" (the shipped models) or
    "bilinear" (measured in benchmarks/style_stripes; the same weights fit both).
    `input_skip` (light only): the last convolution also sees the photo itself (its input is the
    upsampled features concatenated with the scaled photo), so full-resolution detail that the
    1/4-resolution trunk cannot carry reaches the output without being re-synthesised."""
    if upsampling not in ("nearest", "bilinear"):
        raise ValueError(f"unknown upsampling {upsampling!r} (nearest|bilinear)")
    if padding not in PADDINGS:
        raise ValueError(f"unknown padding {padding!r} ({'|'.join(PADDINGS)})")
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r} ({'|'.join(ARCHS)})")
    L = keras.layers
    image = keras.Input((None, None, 3), name="image")
    style = keras.Input((num_styles,), name="style")
    counter = {"n": 0}

    def name(kind):
        counter["n"] += 1
        return f"{kind}_{counter['n']}"

    def norm(x, relu=True):
        x = ConditionalInstanceNorm(num_styles, epsilon, name=name("cin"))([x, style])
        return L.Activation("relu", name=name("relu"))(x) if relu else x

    def padded(x, kernel):
        """(input, Keras padding) of a convolution of this kernel size."""
        if padding == "zeros":
            return x, "same"
        return ReflectPad(kernel // 2, name=name("pad"))(x), "valid"

    def conv(x, filters, kernel, stride=1, relu=True):
        x, pad = padded(x, kernel)
        x = L.Conv2D(filters, kernel, strides=stride, padding=pad, use_bias=False, name=name("conv"))(x)
        return norm(x, relu)

    def sep(x, filters, relu=True):
        x, pad = padded(x, 3)
        x = L.SeparableConv2D(filters, 3, padding=pad, use_bias=False, name=name("sepconv"))(x)
        return norm(x, relu)

    def last(x, kernel):
        x, pad = padded(x, kernel)
        return L.Conv2D(3, kernel, padding=pad, name=name("conv"))(x)

    def up(x, filters, separable=False):
        x = L.UpSampling2D(2, interpolation=upsampling, name=name("up"))(x)
        return sep(x, filters) if separable else conv(x, filters, 3)

    x = L.Rescaling(1.0 / 127.5, offset=-1.0, name="scale_in")(image)
    photo = x
    if input_skip and arch != "light":
        raise ValueError("input_skip is for the light network only")
    if arch == "light":
        w1, w2, wr, u1, u2 = widths
        x = conv(x, w1, 5, 2)
        x = conv(x, w2, 3, 2)
        x = conv(x, wr, 3)
        for _ in range(blocks):
            y = sep(x, wr)
            y = sep(y, wr, relu=False)
            x = L.Add(name=name("add"))([x, y])
        x = up(x, u1, separable=True)
        x = up(x, u2, separable=True)
        if input_skip:
            x = L.Concatenate(name="with_photo")([x, photo])
        x = last(x, 3)
    else:
        x = conv(x, 32, 9)
        x = conv(x, 64, 3, 2)
        x = conv(x, 128, 3, 2)
        for _ in range(5):
            y = conv(x, 128, 3)
            y = conv(y, 128, 3, relu=False)
            x = L.Add(name=name("add"))([x, y])
        x = up(x, 64)
        x = up(x, 32)
        x = last(x, 9)
    x = L.Activation("tanh", name="tanh")(x)
    out = L.Rescaling(127.5, offset=127.5, name="stylised")(x)
    return keras.Model([image, style], out, name=f"style_{arch}")
