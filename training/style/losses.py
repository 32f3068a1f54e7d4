"""Perceptual losses for style transfer and the networks that compute them.

Losses (Gatys, Ecker & Bethge 2016; Johnson, Alahi & Fei-Fei 2016), all on
feature maps F of shape [B, H, W, C] from a fixed "loss network":

* Gram matrix: ``G[b] = F[b]^T F[b] / (H * W)`` with F[b] flattened to [H*W, C]; for the layers
  named in ``centre_gram`` (``--centre-gram``), of F less its channel means (the covariance). The
  uncentred Gram of a ReLU layer is dominated by its channel means, and for the deep layers of the
  random-filter network (r4, r5) a transformer can raise those means with a regular stripe pattern
  at its own stride instead of painting texture (docs/style-training.md, "Stripes: the cause,
  measured"); a covariance is not lowered by such a pattern.
* content loss (one layer): ``sum((F - Fc)^2) / sum(Fc^2)`` per image, averaged
  over the batch (a relative squared error, so layers and loss networks of any
  activation scale are comparable).
* style loss (one layer): ``sum((G - Gs)^2) / sum(Gs^2)`` per image, averaged over
  the batch; the total style loss is the mean over the style layers.
* total variation: with the image scaled to [0, 1],
  ``mean((x[:, i+1, j] - x[:, i, j])^2) + mean((x[:, i, j+1] - x[:, i, j])^2)``.
* total = content_weight * content + style_weight * style + tv_weight * tv.

Two loss networks share one interface (`LossNet`), picked by name:

* ``vgg16``: keras.applications.VGG16(include_top=False) with ImageNet weights read
  from a file (``--vgg-weights``); caffe preprocessing (RGB->BGR, mean subtraction).
  Style layers block1_conv2, block2_conv2, block3_conv3, block4_conv3; content
  layer block3_conv3.
* ``random`` (default, because no pretrained weights can be had here): a
  multi-scale network of fixed random filters. Random, untrained convolutional
  features already capture texture statistics (Ustyuzhaninov, Brendel, Gatys &
  Bethge 2016, "Texture synthesis using shallow convolutional networks with random
  filters"; He, Wang & Hopcroft 2016, "A powerful generative model using random
  weights for the deep image representation"). See `RANDOM_NET` for the layout.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import tensorflow as tf
import tf_keras as keras

from training.kit.errors import UserError

# ---------------------------------------------------------------------------
# losses


def gram_matrix(features, centred: bool = False):
    """[B, H, W, C] -> [B, C, C], normalised by the number of positions H*W. `centred`: of the
    features less their per-image channel means, i.e. the channel covariance matrix."""
    features = tf.convert_to_tensor(features, tf.float32)
    if centred:
        features = features - tf.reduce_mean(features, axis=[1, 2], keepdims=True)
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], shape[1] * shape[2], shape[3]])
    positions = tf.cast(shape[1] * shape[2], tf.float32)
    return tf.matmul(flat, flat, transpose_a=True) / positions


def _relative_sq_error(value, target, axes):
    value = tf.convert_to_tensor(value, tf.float32)
    target = tf.convert_to_tensor(target, tf.float32)
    num = tf.reduce_sum(tf.square(value - target), axis=axes)
    den = tf.reduce_sum(tf.square(target), axis=axes) + 1e-8
    return tf.reduce_mean(num / den)


def content_loss(features, target):
    """Relative squared error of feature maps [B, H, W, C], mean over the batch."""
    return _relative_sq_error(features, target, axes=[1, 2, 3])


def style_loss(gram, target_gram):
    """Relative squared error of Gram matrices [B, C, C] (target may be [C, C])."""
    gram = tf.convert_to_tensor(gram, tf.float32)
    target_gram = tf.broadcast_to(tf.convert_to_tensor(target_gram, tf.float32), tf.shape(gram))
    return _relative_sq_error(gram, target_gram, axes=[1, 2])


def tv_loss(images):
    """Total variation of images in 0..255, [B, H, W, 3]: mean squared neighbour
    differences (vertical + horizontal) after scaling to 0..1."""
    x = tf.convert_to_tensor(images, tf.float32) / 255.0
    dy = x[:, 1:, :, :] - x[:, :-1, :, :]
    dx = x[:, :, 1:, :] - x[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))


# ---------------------------------------------------------------------------
# loss networks

RANDOM_SEED = 20160
# (name, filters) of the conv3x3+ReLU blocks; a 2x2 average pooling precedes every
# block but the first, so the five blocks see the image at 1, 1/2, 1/4, 1/8, 1/16
# of its resolution (receptive fields of 3, 8, 18, 38, 78 pixels).
RANDOM_NET = [("r1", 32), ("r2", 64), ("r3", 128), ("r4", 128), ("r5", 128)]
RANDOM_STYLE_LAYERS = ["r1", "r2", "r3", "r4", "r5"]
RANDOM_CONTENT_LAYERS = ["r3"]
RANDOM_DESCRIPTION = (
    "random-filters: our own untrained loss network (fixed random weights, seed {seed}; no pretrained VGG), "
    "{depth} conv3x3+ReLU layers deep ({widths} filters) with 2x2 average pooling before every layer but the "
    "first, i.e. {depth} scales (receptive fields {fields} px); He-normal weights from numpy default_rng, zero "
    "biases; input scaled to -1..1; style layers {style}, content layer {content}; after Ustyuzhaninov et al. "
    "2016 and He, Wang & Hopcroft 2016"
)


def random_net_fields() -> list[int]:
    """Receptive field (pixels) of each block of RANDOM_NET: 3, 8, 18, 38, 78."""
    fields, field, jump = [], 1, 1
    for i, _ in enumerate(RANDOM_NET):
        if i:
            field, jump = field + jump, jump * 2  # 2x2 average pooling, stride 2
        field += 2 * jump  # conv3x3
        fields.append(field)
    return fields


VGG_STYLE_LAYERS = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"]
VGG_CONTENT_LAYERS = ["block3_conv3"]
VGG_MEAN_BGR = (103.939, 116.779, 123.68)


def random_filter_weights(seed: int = RANDOM_SEED) -> list[np.ndarray]:
    """The fixed kernels and biases of the random loss network (numpy, so they are
    the same on every TensorFlow version)."""
    rng = np.random.default_rng(seed)
    weights, channels = [], 3
    for _name, filters in RANDOM_NET:
        fan_in = 3 * 3 * channels
        kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(3, 3, channels, filters)).astype(np.float32)
        weights += [kernel, np.zeros(filters, np.float32)]
        channels = filters
    return weights


def build_random_net(seed: int = RANDOM_SEED) -> keras.Model:
    inp = keras.Input((None, None, 3), name="loss_in")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)(inp)
    outputs = []
    for i, (name, filters) in enumerate(RANDOM_NET):
        if i:
            x = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)(x)
        outputs.append(x)
    model = keras.Model(inp, outputs, name="random_loss_net")
    model.set_weights(random_filter_weights(seed))
    model.trainable = False
    return model


def build_vgg16_net(weights_file: str | Path) -> keras.Model:
    weights_file = Path(weights_file)
    if not weights_file.is_file():
        raise UserError(f"--vgg-weights {weights_file}: no such file (ImageNet VGG16 notop weights, .h5)")
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    vgg.load_weights(str(weights_file))
    vgg.trainable = False
    names = VGG_STYLE_LAYERS + [n for n in VGG_CONTENT_LAYERS if n not in VGG_STYLE_LAYERS]
    return keras.Model(vgg.input, [vgg.get_layer(n).output for n in names], name="vgg16_loss_net")


class LossNet:
    """A frozen feature extractor plus the layer names used for style and content.

    Call `features(images)` with images in 0..255 ([B, H, W, 3]); it returns a
    dict layer name -> feature map.
    """

    def __init__(self, kind: str = "random", vgg_weights: str | Path | None = None, seed: int = RANDOM_SEED,
                 centre_gram=()):
        self.kind, self.seed = kind, seed
        if kind == "random":
            self.model = build_random_net(seed)
            self.names = [n for n, _ in RANDOM_NET]
            self.style_layers, self.content_layers = RANDOM_STYLE_LAYERS, RANDOM_CONTENT_LAYERS
            self.description = RANDOM_DESCRIPTION.format(
                seed=seed, depth=len(RANDOM_NET), widths="-".join(str(f) for _, f in RANDOM_NET),
                fields=", ".join(map(str, random_net_fields())),
                style=", ".join(self.style_layers), content=", ".join(self.content_layers))
        elif kind == "vgg16":
            if not vgg_weights:
                raise UserError("--loss-net vgg16 needs --vgg-weights FILE (ImageNet VGG16 notop weights, .h5)")
            self.model = build_vgg16_net(vgg_weights)
            self.names = VGG_STYLE_LAYERS + [n for n in VGG_CONTENT_LAYERS if n not in VGG_STYLE_LAYERS]
            self.style_layers, self.content_layers = VGG_STYLE_LAYERS, VGG_CONTENT_LAYERS
            self.description = f"vgg16 (ImageNet weights from {Path(vgg_weights).name}; style {', '.join(VGG_STYLE_LAYERS)}; content {', '.join(VGG_CONTENT_LAYERS)})"
        else:
            raise ValueError(f"unknown loss network {kind!r} (random|vgg16)")
        self.centred = tuple(centre_gram)
        unknown = [n for n in self.centred if n not in self.style_layers]
        if unknown:
            raise UserError(f"--centre-gram {','.join(unknown)}: not a style layer of the {kind} loss network "
                            f"({', '.join(self.style_layers)})")
        if self.centred:
            self.description += f"; centred Gram matrices (channel covariances) at {', '.join(self.centred)}"

    def gram(self, name: str, features):
        """The Gram matrix of layer `name` (centred when the layer is in `centre_gram`)."""
        return gram_matrix(features, centred=name in self.centred)

    def preprocess(self, images):
        images = tf.convert_to_tensor(images, tf.float32)
        if self.kind == "vgg16":
            return images[..., ::-1] - tf.constant(VGG_MEAN_BGR, tf.float32)
        return images

    def features(self, images) -> dict:
        outs = self.model(self.preprocess(images), training=False)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        return dict(zip(self.names, outs))

    def style_targets(self, style_image) -> list:
        """Gram matrices [C, C] of one style image [H, W, 3] (0..255), per style layer."""
        feats = self.features(tf.convert_to_tensor(style_image, tf.float32)[tf.newaxis])
        return [self.gram(n, feats[n])[0] for n in self.style_layers]

    def losses(self, images, content_feats: dict, style_grams: list, weights: dict) -> dict:
        """All loss terms for `images`; `style_grams[i]` is [C, C] or [B, C, C]."""
        feats = self.features(images)
        c = tf.add_n([content_loss(feats[n], content_feats[n]) for n in self.content_layers]) / len(self.content_layers)
        s = tf.add_n([style_loss(self.gram(n, feats[n]), g) for n, g in zip(self.style_layers, style_grams)]) / len(self.style_layers)
        t = tv_loss(images)
        total = weights["content"] * c + weights["style"] * s + weights["tv"] * t
        return {"total": total, "content": c, "style": s, "tv": t}


class LossBank:
    """Several random-filter loss networks (one per seed, same layout and centring) as one loss: the
    features and style targets per member, every loss term the mean over the members. Training with
    `--loss-seeds` follows one member per step (step modulo their number); Gatys and the reports use
    the mean. The same interface as `LossNet` (features, style_targets, losses), so `gatys_optimize`
    takes either."""

    def __init__(self, members: list[LossNet]):
        self.members = list(members)
        first = self.members[0]
        self.kind, self.centred = first.kind, first.centred
        self.style_layers, self.content_layers = first.style_layers, first.content_layers
        self.seeds = [m.seed for m in self.members]
        self.description = (f"the mean of {len(self.members)} loss networks of seeds {', '.join(map(str, self.seeds))}, "
                            f"each {first.description.replace(f'seed {first.seed}', 'its seed')}")

    def features(self, images) -> list:
        return [m.features(images) for m in self.members]

    def style_targets(self, style_image) -> list:
        return [m.style_targets(style_image) for m in self.members]

    def losses(self, images, content_feats: list, style_grams: list, weights: dict) -> dict:
        terms = [m.losses(images, f, g, weights) for m, f, g in zip(self.members, content_feats, style_grams)]
        return {k: tf.add_n([t[k] for t in terms]) / len(terms) for k in terms[0]}


def loss_net_for(kind: str, vgg_weights=None, centre_gram=(), seeds=None):
    """The loss of a run: one `LossNet` (`seeds` None or one seed), or a `LossBank` of random-filter
    networks of several seeds."""
    seeds = list(seeds or [RANDOM_SEED])
    if len(seeds) == 1:
        return LossNet(kind, vgg_weights, seed=seeds[0], centre_gram=centre_gram)
    check_bank(kind)
    return LossBank([LossNet(kind, seed=s, centre_gram=centre_gram) for s in seeds])


def check_bank(kind: str) -> None:
    """Seeds choose random-filter networks: a bank of any other loss network is a one-line error."""
    if kind != "random":
        raise UserError("--loss-seeds: seeds choose random-filter loss networks (--loss-net random)")


def parse_seeds(text: str, flag: str) -> list[int]:
    """A comma-separated list of distinct non-negative integer seeds, or a one-line error."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise UserError(f"{flag} {text}: distinct non-negative integer seeds, comma-separated, e.g. 20160,11,12")
    return seeds
