"""The style network's custom Keras layers, which the browser re-implements in JavaScript
(web/src/style/cin_layer.ts, web/src/style/reflect_pad.ts).

Keep it small and its math spelled out in the docstring: the web app registers a JS
`tf.layers.Layer` under the *bare* class name (no `register_keras_serializable`, whose
`Package>Name` class name tfjs would not find), with the same config keys and weight names.
"""
from __future__ import annotations

import tensorflow as tf
import tf_keras as keras

DEFAULT_EPSILON = 1e-3


class ConditionalInstanceNorm(keras.layers.Layer):
    """Conditional instance normalisation (Dumoulin, Shlens & Kudlur 2017).

    Inputs: ``[x, style]`` with ``x`` of shape [B, H, W, C] and ``style`` of shape
    [B, S] (mixing weights over the S styles, normally summing to 1; a one-hot
    row selects one style, a convex combination blends styles).

    Weights: ``gamma`` and ``beta``, each of shape [S, C] (one scale/shift row per
    style; initialised to ones and zeros).

    Math, per image b and channel c (population statistics over H and W only)::

        mean[b, c]   = mean over (h, w) of x[b, h, w, c]
        var[b, c]    = mean over (h, w) of (x[b, h, w, c] - mean[b, c]) ** 2
        gamma_mix    = style @ gamma            # [B, C], weighted average of rows
        beta_mix     = style @ beta             # [B, C]
        y[b,h,w,c]   = (x[b,h,w,c] - mean[b,c]) / sqrt(var[b,c] + epsilon)
                       * gamma_mix[b, c] + beta_mix[b, c]

    ``epsilon`` defaults to 1e-3. Config: ``{"num_styles": S, "epsilon": eps}`` (plus
    the usual Keras ``name``/``trainable``/``dtype``). Output shape = shape of x.

    When an image is processed in tiles, mean/var may be replaced by statistics of
    the whole image (the browser does so); the rest of the formula is unchanged.
    """

    def __init__(self, num_styles: int, epsilon: float = DEFAULT_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.num_styles = int(num_styles)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        x_shape, style_shape = input_shape
        channels = int(x_shape[-1])
        if style_shape[-1] is not None and int(style_shape[-1]) != self.num_styles:
            raise ValueError(f"style input has {style_shape[-1]} entries, expected {self.num_styles}")
        self.gamma = self.add_weight(name="gamma", shape=(self.num_styles, channels), initializer="ones", trainable=True)
        self.beta = self.add_weight(name="beta", shape=(self.num_styles, channels), initializer="zeros", trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        x, style = inputs
        mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        gamma = tf.matmul(style, self.gamma)[:, tf.newaxis, tf.newaxis, :]
        beta = tf.matmul(style, self.beta)[:, tf.newaxis, tf.newaxis, :]
        return (x - mean) / tf.sqrt(var + self.epsilon) * gamma + beta

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"num_styles": self.num_styles, "epsilon": self.epsilon})
        return config


class ReflectPad(keras.layers.Layer):
    """Pads H and W by ``pad`` pixels on every side with their mirror image, the edge pixel not
    repeated (``tf.pad(..., mode="REFLECT")``; tf.mirrorPad(..., "reflect") in the browser). Config:
    ``{"pad": p}``; no weights. Put before a ``padding="valid"`` convolution of kernel 2p+1, it gives
    the output size of ``padding="same"`` for even sizes without the zeros, whose border the network
    can see (``--padding reflect``, training/style/nets.py). Needs ``pad`` < H and W."""

    def __init__(self, pad: int, **kwargs):
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x):
        p = self.pad
        return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h + 2 * self.pad, None if w is None else w + 2 * self.pad, c)

    def get_config(self):
        config = super().get_config()
        config.update({"pad": self.pad})
        return config


CUSTOM_OBJECTS = {"ConditionalInstanceNorm": ConditionalInstanceNorm, "ReflectPad": ReflectPad}
