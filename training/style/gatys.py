"""Gatys, Ecker & Bethge 2016: the optimisation over the pixels (seed 003), the quality reference.

Content loss, Gram-matrix style loss and total variation (training/style/losses.py), minimised
over the pixels of one image with L-BFGS (scipy.optimize, L-BFGS-B with the pixels bounded to
0..255), starting from the content image. `python -m training style gatys` runs it on one photo
and one painting; `report` uses it as the reference the fast network is measured against.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from training.kit.files import write_json
from training.kit.machine import set_threads
from training.style import data
from training.style.progress import Progress

# L-BFGS runs over u = x / 255 in [0, 1] on the loss times OBJECTIVE_SCALE: with pixel units and the
# mean-normalised losses the gradients are ~1e-5, and scipy's line search stalls at the first step.
OBJECTIVE_SCALE = 1000.0


def loss_weights(args) -> dict:
    return {"content": float(args.content_weight), "style": float(args.style_weight), "tv": float(args.tv_weight)}


class Objective:
    """The perceptual loss of one image and its gradient, in the units L-BFGS works in."""

    def __init__(self, content: np.ndarray, style: np.ndarray, lossnet, weights: dict):
        import tensorflow as tf

        self.shape = (1,) + content.shape
        self.lossnet, self.weights = lossnet, weights
        self.content_feats = lossnet.features(content[None])
        self.grams = lossnet.style_targets(np.asarray(style, np.float32))
        self.loss_and_grad = tf.function(self._loss_and_grad, reduce_retracing=True)

    def _loss_and_grad(self, x):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            terms = self.lossnet.losses(x, self.content_feats, self.grams, self.weights)
        return terms, tape.gradient(terms["total"], x)

    def _at(self, u: np.ndarray):
        import tensorflow as tf

        return self.loss_and_grad(tf.constant((u * 255.0).reshape(self.shape), tf.float32))

    def __call__(self, u: np.ndarray):
        terms, grad = self._at(u)
        return (float(terms["total"]) * OBJECTIVE_SCALE,
                grad.numpy().astype(np.float64).ravel() * (255.0 * OBJECTIVE_SCALE))

    def terms(self, u: np.ndarray) -> dict:
        terms, _ = self._at(u)
        return {k: float(v) for k, v in terms.items()}


class IterationMonitor:
    """scipy's per-iteration callback: records the loss history and passes each iterate on to
    `callback(iteration, image, losses)` when one is given."""

    def __init__(self, objective: Objective, image_shape: tuple, callback=None):
        self.objective, self.image_shape, self.callback = objective, image_shape, callback
        self.iteration = 0
        self.history: list[float] = []

    def __call__(self, uk: np.ndarray) -> None:
        self.iteration += 1
        if self.callback:
            terms = self.objective.terms(uk)
            self.history.append(terms["total"])
            self.callback(self.iteration, (uk * 255.0).reshape(self.image_shape).astype(np.float32), terms)


def gatys_optimize(content: np.ndarray, style: np.ndarray, lossnet, weights: dict, iterations: int,
                   init: np.ndarray | None = None, callback=None):
    """Minimise the perceptual loss over the pixels of an image the size of `content`.

    content, style: float/uint8 [H, W, 3] in 0..255. Starts from `init` (default:
    the content image). `callback(iteration, image, losses)` is called after each
    L-BFGS iteration. Returns (image float32 [H, W, 3], final losses dict, history
    of total losses starting with the initial one).
    """
    import scipy.optimize

    content = np.asarray(content, np.float32)
    objective = Objective(content, style, lossnet, weights)
    u0 = (content if init is None else np.asarray(init, np.float32)).astype(np.float64).ravel() / 255.0
    monitor = IterationMonitor(objective, content.shape, callback)
    monitor.history.append(objective.terms(u0)["total"])
    result = scipy.optimize.minimize(
        objective, u0, jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(0.0, 1.0), callback=monitor,
        options={"maxiter": int(iterations), "maxfun": int(iterations) * 2 + 20, "gtol": 1e-12, "ftol": 1e-12})
    final = objective.terms(result.x)
    history = monitor.history if callback else monitor.history + [final["total"]]
    return (result.x * 255.0).reshape(content.shape).astype(np.float32), final, history


class GatysProgress:
    """The `gatys` command's callback: a progress line, and an intermediate PNG every `save_every`
    iterations beside the output (`<out>_iter0050.png`)."""

    def __init__(self, out: Path, iterations: int, save_every: int):
        self.out, self.save_every = Path(out), save_every
        self.bar = Progress(iterations, label="gatys", every=10)

    def __call__(self, iteration: int, image: np.ndarray, terms: dict) -> None:
        self.bar.update(iteration, f"loss {terms['total']:.4f} (c {terms['content']:.3f} "
                                   f"s {terms['style']:.4f} tv {terms['tv']:.4f})")
        if self.save_every and iteration % self.save_every == 0:
            data.save_png(image, self.out.with_name(f"{self.out.stem}_iter{iteration:04d}.png"))


def gatys(args) -> int:
    """Gatys et al. optimisation over the pixels of one image (reference quality, slow)"""
    from training.style.losses import LossNet

    set_threads(args.threads, args.deterministic)
    content = data.load_rgb(args.content, args.size)
    style = data.load_rgb(args.style, args.style_size or args.size)
    lossnet = LossNet(args.loss_net, args.vgg_weights, centre_gram=[n for n in args.centre_gram.split(",") if n])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    weights = loss_weights(args)
    progress = GatysProgress(out, args.iterations, args.save_every)
    t0 = time.monotonic()
    image, final, history = gatys_optimize(content, style, lossnet, weights, args.iterations, callback=progress)
    progress.bar.close()
    data.save_png(image, out)
    summary = {"content": str(args.content), "style": str(args.style), "size": list(content.shape[:2]),
               "loss_network": lossnet.description, "weights": weights, "iterations": len(history) - 1,
               "initial_loss": history[0], "final": final, "seconds": round(time.monotonic() - t0, 1)}
    write_json(out.with_suffix(".json"), summary)
    print(f"wrote {out}: loss {history[0]:.4f} -> {final['total']:.4f} in {summary['seconds']} s")
    return 0
