"""Networks, augmentation, the GAN training step and the networks of a run (Latent studio).

* Generator: Dense -> Reshape -> [upsample x2 + BatchNorm + ReLU] x k -> Conv2D tanh, where
  the upsampling is nearest-neighbour UpSampling2D + 3x3 Conv2D (default) or a 4x4 stride-2
  Conv2DTranspose. Only stock layers, so tensorflowjs converts it to a layers model as is.
  In tfjs-backend-wasm, Conv2DTranspose has no XNNPACK kernel: the transposed generator of
  width 256 takes 36 ms per image there, the nearest + conv one 9 ms (measured in Chromium).
* Discriminator: strided convolutions with our own spectral normalisation and
  LeakyReLU, one logit. It never leaves Python, so custom layers are fine.
* DiffAugment (Zhao et al. 2020): colour, translation and cutout, differentiable,
  applied to real and generated images alike before the discriminator.
* `GAN.train_step`: hinge loss, one generator forward per step, EMA of the
  generator's weights. All randomness comes from one `tf.random.Generator`, whose
  state is checkpointed, so a resumed run continues exactly.
* `Run`: the networks of a run rebuilt from its config.json, with their checkpoint;
  `load_run(args)` restores the last one (for directions, export and sample).

Under tf.distribute (`--strategy mirrored|multiworker`) the networks and the GAN are built
in the strategy's scope: each replica's losses are divided by the number of replicas (the
optimisers sum the replicas' gradients), the EMA is updated once per variable in cross-replica
context, and the random generator gives each replica a stream of its own. BatchNorm in the
generator uses each replica's own batch statistics.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from training.kit.batchnorm import recalibrate
from training.kit.machine import set_threads
from training.kit.runs import RunState, checkpointed_run

STUDIO = "latent"
AUGMENTATIONS = ("color", "translation", "cutout")


G_MIN_CHANNELS = 16  # the shipped generator's floor (and that of runs made before --g-min-channels)


def generator_channels(size: int, width: int, min_channels: int = G_MIN_CHANNELS) -> list[int]:
    """Channels after each upsampling block, from 4x4 up to `size`: `width` halved per block, at
    least `min_channels` (width 256 at 64 px: 128, 64, 32, 16 with the default floor of 16)."""
    blocks = int(np.log2(size // 4))
    if 4 * 2 ** blocks != size:
        raise ValueError(f"image size must be 4 * 2^k, got {size}")
    if min_channels < 1:
        raise ValueError(f"min_channels must be positive, got {min_channels}")
    return [max(width // 2 ** i, min_channels) for i in range(1, blocks + 1)]


UPSAMPLING = ("nearest", "transpose")


def build_generator(latent_dim: int = 128, size: int = 64, width: int = 256, name: str = "generator",
                    upsample: str = "nearest", min_channels: int = G_MIN_CHANNELS) -> keras.Model:
    """DCGAN-style generator: N(0, I) latent [N, Z] -> image [N, size, size, 3] in [-1, 1]."""
    if upsample not in UPSAMPLING:
        raise ValueError(f"upsample must be one of {UPSAMPLING}, got {upsample!r}")
    z = keras.Input(shape=(latent_dim,), name="latent")
    x = keras.layers.Dense(4 * 4 * width, use_bias=False, name="fc")(z)
    x = keras.layers.Reshape((4, 4, width), name="fc_reshape")(x)
    x = keras.layers.BatchNormalization(name="fc_bn")(x)
    x = keras.layers.ReLU(name="fc_act")(x)
    for i, ch in enumerate(generator_channels(size, width, min_channels), start=1):
        if upsample == "transpose":
            x = keras.layers.Conv2DTranspose(ch, 4, strides=2, padding="same", use_bias=False, name=f"up{i}_conv")(x)
        else:
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"up{i}_resize")(x)
            x = keras.layers.Conv2D(ch, 3, padding="same", use_bias=False, name=f"up{i}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"up{i}_bn")(x)
        x = keras.layers.ReLU(name=f"up{i}_act")(x)
    x = keras.layers.Conv2D(3, 3, padding="same", activation="tanh", name="to_rgb")(x)
    return keras.Model(z, x, name=name)


def _l2_normalise(v, eps=1e-12):
    return v / (tf.norm(v) + eps)


class _SpectralNorm:
    """Mixin: divide the kernel by its largest singular value (one power iteration per training call)."""

    def _build_u(self):
        out = self.kernel.shape[-1]
        # every replica computes the same u from the same kernel: keep the first replica's
        self.sn_u = self.add_weight(
            name="sn_u", shape=(1, out), initializer=keras.initializers.RandomNormal(0.0, 1.0), trainable=False,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
        )

    def normalised_kernel(self, training):
        w = tf.reshape(self.kernel, (-1, self.kernel.shape[-1]))
        v = _l2_normalise(tf.matmul(self.sn_u, w, transpose_b=True))
        u = _l2_normalise(tf.matmul(v, w))
        u = tf.stop_gradient(u)
        v = tf.stop_gradient(v)
        sigma = tf.reduce_sum(tf.matmul(v, w) * u)
        if training:
            self.sn_u.assign(u)
        return self.kernel / sigma


class SNConv2D(_SpectralNorm, keras.layers.Conv2D):
    def build(self, input_shape):
        super().build(input_shape)
        self._build_u()

    def call(self, inputs, training=None):
        kernel = self.normalised_kernel(training)
        out = tf.nn.conv2d(inputs, kernel, strides=self.strides, padding=self.padding.upper())
        if self.use_bias:
            out = tf.nn.bias_add(out, self.bias)
        return self.activation(out) if self.activation is not None else out


class SNDense(_SpectralNorm, keras.layers.Dense):
    def build(self, input_shape):
        super().build(input_shape)
        self._build_u()

    def call(self, inputs, training=None):
        out = tf.matmul(inputs, self.normalised_kernel(training))
        if self.use_bias:
            out = tf.nn.bias_add(out, self.bias)
        return self.activation(out) if self.activation is not None else out


def build_discriminator(size: int = 64, width: int = 32, spectral_norm: bool = True) -> keras.Model:
    """Strided 4x4 convolutions down to 4x4, then one logit."""
    conv = SNConv2D if spectral_norm else keras.layers.Conv2D
    dense = SNDense if spectral_norm else keras.layers.Dense
    image = keras.Input(shape=(size, size, 3), name="image")
    x, ch, res, i = image, width, size, 0
    while res > 4:
        i += 1
        x = conv(ch, 4, strides=2, padding="same", name=f"d{i}_conv")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"d{i}_act")(x)
        ch, res = min(ch * 2, 512), res // 2
    x = keras.layers.Flatten(name="flatten")(x)
    logit = dense(1, name="logit")(x)
    return keras.Model(image, logit, name="discriminator")


def parse_policy(policy: str | None) -> tuple[str, ...]:
    if not policy or policy.lower() == "none":
        return ()
    parts = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in parts if p not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown DiffAugment part(s) {unknown}; choose from {', '.join(AUGMENTATIONS)}")
    return parts


def diff_augment(x, rng: tf.random.Generator, policy: tuple[str, ...]):
    """Differentiable augmentation of a batch in [-1, 1] (same transforms for gradients to flow through)."""
    if not policy:
        return x
    n = tf.shape(x)[0]
    h, w = x.shape[1], x.shape[2]
    if "color" in policy:
        x = x + (rng.uniform((n, 1, 1, 1)) - 0.5)  # brightness
        grey = tf.reduce_mean(x, axis=3, keepdims=True)
        x = (x - grey) * (rng.uniform((n, 1, 1, 1)) * 2.0) + grey  # saturation
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * (rng.uniform((n, 1, 1, 1)) + 0.5) + mean  # contrast
    if "translation" in policy:
        # shift by up to 1/8 of the size; uncovered pixels become 0 (mid grey)
        max_y, max_x = h // 8, w // 8
        dy = rng.uniform((n, 1), -max_y, max_y + 1, dtype=tf.int32)
        dx = rng.uniform((n, 1), -max_x, max_x + 1, dtype=tf.int32)
        padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        rows = tf.clip_by_value(tf.range(h, dtype=dy.dtype)[None, :] - dy + 1, 0, h + 1)
        cols = tf.clip_by_value(tf.range(w, dtype=dx.dtype)[None, :] - dx + 1, 0, w + 1)
        x = tf.gather(padded, rows, axis=1, batch_dims=1)
        x = tf.gather(x, cols, axis=2, batch_dims=1)
    if "cutout" in policy:
        # one zeroed square of half the size per image, centre anywhere
        ch, cw = h // 2, w // 2
        cy = rng.uniform((n, 1, 1), 0, h, dtype=tf.int32)
        cx = rng.uniform((n, 1, 1), 0, w, dtype=tf.int32)
        ys = tf.range(h)[None, :, None]
        xs = tf.range(w)[None, None, :]
        inside = (tf.abs(ys - cy) * 2 < ch) & (tf.abs(xs - cx) * 2 < cw)
        x = x * tf.cast(~inside, x.dtype)[..., None]
    return x


class GAN(keras.Model):
    """Hinge-loss GAN with DiffAugment and an EMA generator (the one exported)."""

    def __init__(self, generator, discriminator, ema_generator, latent_dim, policy=(), ema_decay=0.999, seed=0,
                 ema_warmup_from=0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.ema_generator = ema_generator
        self.latent_dim = int(latent_dim)
        self.policy = tuple(policy)
        self.ema_decay = float(ema_decay)
        # EMA warm-up: decay min(ema, (1+t)/(10+t)) from step `ema_warmup_from` on, so the
        # random initial weights do not linger in the EMA of a short run (-1: never)
        self.ema_warmup_from = int(ema_warmup_from)
        self.rng = tf.random.Generator.from_seed(seed)
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("d_loss", "g_loss", "d_real", "d_fake")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

    def call(self, z, training=False):
        return self.ema_generator(z, training=training)

    @tf.autograph.experimental.do_not_convert  # plain Python control flow only: skip autograph (faster tracing)
    def train_step(self, batch):
        real = tf.cast(batch, tf.float32) / 127.5 - 1.0
        n = tf.shape(real)[0]
        z = self.rng.normal((n, self.latent_dim))
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(z, training=True)
            both = diff_augment(tf.concat([real, fake], axis=0), self.rng, self.policy)
            logits = self.discriminator(both, training=True)
            real_logit, fake_logit = logits[:n], logits[n:]
            d_loss = tf.reduce_mean(tf.nn.relu(1.0 - real_logit)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logit))
            g_loss = -tf.reduce_mean(fake_logit)
            # the optimisers sum the replicas' gradients: scale so that they average them
            d_scaled, g_scaled = (d_loss, g_loss) if replicas == 1 else (d_loss / replicas, g_loss / replicas)
        d_grads = d_tape.gradient(d_scaled, self.discriminator.trainable_variables)
        g_grads = g_tape.gradient(g_scaled, self.generator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        decay = tf.constant(self.ema_decay, tf.float32)
        if self.ema_warmup_from >= 0:
            step = tf.cast(self.g_optimizer.iterations, tf.float32)  # already counts this step
            warm = tf.minimum(decay, step / (9.0 + step))
            decay = tf.where(step > float(self.ema_warmup_from), warm, decay)
        tf.distribute.get_replica_context().merge_call(self._update_ema, args=(decay,))
        for key, value in (("d_loss", d_loss), ("g_loss", g_loss), ("d_real", real_logit), ("d_fake", fake_logit)):
            self.trackers[key].update_state(tf.reduce_mean(value))
        return {k: t.result() for k, t in self.trackers.items()}

    def _update_ema(self, strategy, decay):
        """EMA of the generator's weights, in cross-replica context (once per mirrored variable)."""
        for ema_w, w in zip(self.ema_generator.trainable_variables, self.generator.trainable_variables):
            strategy.extended.update(ema_w, _blend, args=(w, decay))


def _blend(ema_w, w, decay):
    return ema_w.assign(decay * ema_w + (1.0 - decay) * w)


def recalibrate_batchnorm(model: keras.Model, latent_dim: int, count: int = 512, seed: int = 0) -> None:
    """BatchNorm statistics of the EMA generator (which never runs in training mode) from one
    batch of `count` fixed latents (training.kit.batchnorm.recalibrate)."""
    recalibrate(model, tf.random.stateless_normal((count, latent_dim), seed=(seed, 7919)))


def generate(model: keras.Model, z: np.ndarray, batch: int = 256) -> np.ndarray:
    """EMA generator inference in batches -> float32 [-1, 1]."""
    outs = [model(tf.constant(z[i:i + batch], tf.float32), training=False).numpy() for i in range(0, len(z), batch)]
    return np.concatenate(outs, axis=0)


class Run:
    """The networks of a run, rebuilt from its config (in `strategy`'s scope), with a checkpoint
    that holds G, D, the EMA generator, both optimisers and the random generator."""

    def __init__(self, cfg: dict, strategy=None):
        self.cfg = cfg
        strategy = strategy or tf.distribute.get_strategy()
        keras.utils.set_random_seed(cfg["seed"])  # deterministic initial weights: reproducible from scratch
        upsample = cfg.get("g_upsample", "transpose")  # runs made before the option used transposed convs
        floor = cfg.get("g_min_channels") or G_MIN_CHANNELS  # runs made before the option: 16
        with strategy.scope():
            self.generator = build_generator(cfg["latent_dim"], cfg["size"], cfg["g_width"], upsample=upsample,
                                             min_channels=floor)
            self.ema_generator = build_generator(cfg["latent_dim"], cfg["size"], cfg["g_width"], name="ema_generator",
                                                 upsample=upsample, min_channels=floor)
            self.ema_generator.set_weights(self.generator.get_weights())
            self.discriminator = build_discriminator(cfg["size"], cfg["d_width"])
            self.gan = GAN(self.generator, self.discriminator, self.ema_generator, cfg["latent_dim"],
                           parse_policy(cfg["diffaugment"]), cfg["ema"], cfg["seed"],
                           ema_warmup_from=cfg.get("ema_warmup_from", -1))
            self.gan.compile(keras.optimizers.Adam(cfg["lr"], beta_1=0.0, beta_2=0.99),
                             keras.optimizers.Adam(cfg["lr"], beta_1=0.0, beta_2=0.99))
            self.checkpoint = tf.train.Checkpoint(
                generator=self.generator, discriminator=self.discriminator, ema_generator=self.ema_generator,
                g_optimizer=self.gan.g_optimizer, d_optimizer=self.gan.d_optimizer, rng=self.gan.rng)

    def restore(self, path: str) -> None:
        self.checkpoint.read(path).assert_consumed()

    def ema_ready(self) -> keras.Model:
        """The EMA generator with its BatchNorm statistics recalibrated: what samples and exports use."""
        recalibrate_batchnorm(self.ema_generator, self.cfg["latent_dim"], seed=self.cfg["seed"])
        return self.ema_generator


def load_run(args) -> tuple[Path, dict, RunState, Run]:
    """Thread set-up, then the run `args.name` restored from its last checkpoint (directions,
    export and sample start here)."""
    set_threads(args.threads, args.deterministic)
    run, cfg, state = checkpointed_run(STUDIO, args.name, args.runs_dir, "train at least one epoch")
    model = Run(cfg)
    model.restore(str(run / state["checkpoint"]))
    best = kept_best(cfg, state)
    if best:
        model.ema_generator.load_weights(str(run / best["weights"]))
        print(f"{args.name}: the EMA generator of epoch {best['epoch']} (lowest SWD x1e3 while training, "
              f"{best['swd_x1e3']:.2f}; --keep-best), not of the last epoch {state['epoch']}")
    return run, cfg, state, model


def kept_best(cfg: dict, state: RunState) -> dict | None:
    """state["best"] when the run keeps its best EMA generator (--keep-best) and has one."""
    return state.get("best") if cfg.get("keep_best") else None


def weights_epoch(cfg: dict, state: RunState) -> int:
    """The epoch whose EMA generator directions, export and sample use."""
    best = kept_best(cfg, state)
    return int(best["epoch"]) if best else int(state["epoch"])
