"""Noise grids, texture weights and sampling of the Backgrounds studio.

The generator's input is a grid of noise cells (one cell = 32 x 32 output pixels). Each cell
holds `local` channels of i.i.d. N(0, 1) noise, then `global` channels: the texture weights of
the cell times the texture points (`weights @ points`), so one texture everywhere is its
point broadcast, a blend is a convex combination, and a morph is weights that vary over the
grid. `python -m training backgrounds sample` writes such an image from a run.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from training.kit.errors import UserError
from training.latent.images import to_uint8

FACTOR_LOG2 = 5  # the generator upsamples 5 times: a noise cell is 32 x 32 output pixels
CELL = 1 << FACTOR_LOG2


def one_hot_weights(ids, cells_h: int, cells_w: int, textures: int) -> np.ndarray:
    """[N, h, w, T]: texture ids[i] in every cell of image i."""
    ids = np.asarray(ids, np.int64)
    out = np.zeros((len(ids), cells_h, cells_w, textures), np.float32)
    out[np.arange(len(ids)), :, :, ids] = 1.0
    return out


def ramp(cells_h: int, cells_w: int, angle: float, width: float, offset: float = 0.0) -> np.ndarray:
    """[h, w] in [0, 1]: 0 on one side of a line through the centre (moved by `offset` cells),
    1 on the other, a linear transition `width` cells wide, along direction `angle`."""
    ys, xs = np.mgrid[0:cells_h, 0:cells_w].astype(np.float32)
    along = (xs + 0.5 - cells_w / 2) * np.cos(angle) + (ys + 0.5 - cells_h / 2) * np.sin(angle) - offset
    return np.clip(0.5 + along / max(width, 1e-6), 0.0, 1.0)


def morph_weights(a, b, cells_h: int, cells_w: int, textures: int, rng: np.random.Generator) -> np.ndarray:
    """[N, h, w, T]: texture a[i] turning into b[i] across image i (random direction, width, place)."""
    out = np.zeros((len(a), cells_h, cells_w, textures), np.float32)
    for i, (ta, tb) in enumerate(zip(a, b)):
        alpha = ramp(cells_h, cells_w, rng.uniform(0, 2 * np.pi), rng.uniform(1.0, max(cells_h, cells_w)),
                     rng.uniform(-0.25, 0.25) * min(cells_h, cells_w))
        out[i, :, :, ta] += 1.0 - alpha
        out[i, :, :, tb] += alpha
    return out


def local_noise(count: int, cells_h: int, cells_w: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((count, cells_h, cells_w, channels)).astype(np.float32)


def noise_input(local: np.ndarray, weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The exported model's input: [local | weights @ points] along the channels."""
    return np.concatenate([local, np.einsum("nhwt,tg->nhwg", weights, points)], axis=-1).astype(np.float32)


def generate(model, inputs, batch: int = 8) -> np.ndarray:
    """Inference in batches -> float32 in [-1, 1]. `inputs` is one array or a list of arrays."""
    arrays = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    outs = []
    for i in range(0, len(arrays[0]), batch):
        part = [a[i:i + batch] for a in arrays]
        outs.append(np.asarray(model(part if len(part) > 1 else part[0], training=False)))
    return np.concatenate(outs, axis=0)


def texture_grid(generator, textures: int, local_channels: int, cells: int, seed: int) -> np.ndarray:
    """(T, cells*32, cells*32, 3) uint8: one image per texture from fixed noise."""
    rng = np.random.default_rng([seed, 11])
    local = local_noise(textures, cells, cells, local_channels, rng)
    return to_uint8(generate(generator, [local, one_hot_weights(np.arange(textures), cells, cells, textures)]))


def parse_texture_ids(text: str, names: list[str]) -> list[int]:
    ids = []
    for word in [w.strip() for w in text.split(",") if w.strip()]:
        if word.isdigit() and int(word) < len(names):
            ids.append(int(word))
        elif word in names:
            ids.append(names.index(word))
        else:
            raise UserError(f"unknown texture {word!r}; the run knows: {', '.join(names)}")
    return ids


def add_arguments(p: argparse.ArgumentParser) -> None:
    from training.kit.cli import add_name, add_runs_dir

    add_name(p)
    add_runs_dir(p)
    p.add_argument("--textures", required=True,
                   help="texture names or ids; one = that texture, two = a morph from the first to the second "
                        "(left to right), more = an even blend")
    p.add_argument("--width", type=int, default=1024, help="pixels, a multiple of 32")
    p.add_argument("--height", type=int, default=512, help="pixels, a multiple of 32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    """Write one generated image (a texture, a morph or a blend) from a run's EMA generator."""
    from training.backgrounds.train import load_run

    if args.width % CELL or args.height % CELL or args.width <= 0 or args.height <= 0:
        raise UserError(f"--width and --height must be positive multiples of {CELL} (got {args.width}x{args.height})")
    run_folder, cfg, state, nets = load_run(args.name, args.runs_dir)
    generator = nets.ema_snapshot()
    ids = parse_texture_ids(args.textures, cfg["texture_names"])
    h, w, count = args.height // CELL, args.width // CELL, cfg["textures"]
    weights = np.zeros((1, h, w, count), np.float32)
    if len(ids) == 2:
        alpha = ramp(h, w, 0.0, w / 2)
        weights[0, :, :, ids[0]] += 1 - alpha
        weights[0, :, :, ids[1]] += alpha
    else:
        weights[0, :, :, ids] = 1.0 / len(ids)
    local = local_noise(1, h, w, cfg["local_channels"], np.random.default_rng(args.seed))
    image = to_uint8(generate(generator, [local, weights]))[0]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(args.out)
    print(f"wrote {args.out} ({args.width}x{args.height}, step {state['step']} of {run_folder.name})")
    return 0
