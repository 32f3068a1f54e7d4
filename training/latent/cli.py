"""`python -m training latent <command>` (alias `gan`): the Latent studio's command line.

    python -m training latent train --images PATH --name NAME [--size 64 ...] [--strategy mirrored]
    python -m training latent directions --name NAME [--samples 10000 --count 16 --labels "PC1=..."]
    python -m training latent export --name NAME [--out exported_models/latent/NAME]
    python -m training latent sample --name NAME --out grid.png

The commands' modules import TensorFlow, so they are imported when a command runs.
"""
from __future__ import annotations

import argparse

from training.kit import cli
from training.latent.images import BACKGROUNDS, SUBSETS

DESCRIPTION = "Latent studio: train an image GAN, find GANSpace directions, export the generator for the browser."


def add_train(p: argparse.ArgumentParser) -> None:
    cli.add_training(p)
    p.add_argument("--images", help="folder of images or .npz with an 'images' array (not needed with --resume)")
    p.add_argument("--size", type=int, default=64, choices=(32, 64, 128))
    p.add_argument("--background", default="white", choices=BACKGROUNDS)
    p.add_argument("--subset", default="all", choices=SUBSETS)
    p.add_argument("--latent-dim", type=int, default=128)
    p.add_argument("--batch", type=int, default=64, help="global batch (split over the replicas of --strategy)")
    p.add_argument("--epochs", type=int, default=None, help="total epochs (default 100; on --resume: extend to this)")
    p.add_argument("--diffaugment", default="color,translation,cutout", help="comma list or 'none'")
    p.add_argument("--ema", type=float, default=0.999, help="decay of the exported EMA generator")
    p.add_argument("--ema-warmup-from", type=int, default=0,
                   help="EMA warm-up (decay min(ema, (1+t)/(10+t))) from this step on; -1: none")
    p.add_argument("--g-width", type=int, default=256, help="channels of the generator's 4x4 map")
    p.add_argument("--g-upsample", default="nearest", choices=("nearest", "transpose"),
                   help="generator upsampling: nearest + 3x3 conv (fast in tfjs-wasm) or 4x4 transposed conv")
    p.add_argument("--g-min-channels", type=int, default=16,
                   help="floor on the channels of the generator's upsampling blocks (default 16: width 256 at 64 px "
                        "gives 128, 64, 32, 16; 32 gives 128, 64, 32, 32)")
    p.add_argument("--d-width", type=int, default=32, help="channels of the discriminator's first conv")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--lr-decay-from", type=int, default=None,
                   help="from this epoch on, both learning rates fall linearly to --lr-final x --lr at the last epoch "
                        "(default: constant)")
    p.add_argument("--lr-final", type=float, default=None,
                   help="with --lr-decay-from: the fraction of --lr reached at the end (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--swd-every", type=int, default=5, help="SWD every N epochs (0: never)")
    p.add_argument("--swd-images", type=int, default=None, help="cap on images per SWD set")
    p.add_argument("--keep-best", action="store_true",
                   help="also keep the EMA generator of the SWD check with the lowest SWD; directions, export and "
                        "sample then use it (the card names its epoch)")
    p.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2), help="Keras progress (default: bar on a tty)")


def add_directions(p: argparse.ArgumentParser) -> None:
    cli.add_name(p)
    cli.add_runs_dir(p)
    cli.add_machine(p)
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--count", type=int, default=16)
    p.add_argument("--layer", default=None, help="generator layer for PCA (default fc_act)")
    p.add_argument("--labels", default=None, help='names for components, e.g. "PC1=skin tone,PC2=colour"')
    p.add_argument("--truncation", type=float, default=None,
                   help="truncation the studio starts from (directions.json truncation_default; default 0.8)")


def add_export(p: argparse.ArgumentParser) -> None:
    cli.add_export(p)
    p.add_argument("--float32", action="store_true", help="never store float16 weights")
    p.add_argument("--dataset-licence", default=None)


def add_sample(p: argparse.ArgumentParser) -> None:
    cli.add_name(p)
    cli.add_runs_dir(p)
    cli.add_machine(p)
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=1.0)


def train(args):
    """Train or resume a GAN."""
    from training.latent.train import train as run

    return run(args)


def directions(args):
    """GANSpace directions and preview strips of a run."""
    from training.latent.directions import directions as run

    return run(args)


def export(args):
    """Export the EMA generator for the web app."""
    from training.latent.export import export as run

    return run(args)


def sample(args):
    """PNG grid from the EMA generator."""
    from training.latent.sample import sample as run

    return run(args)


COMMANDS = {"train": (add_train, train), "directions": (add_directions, directions),
            "export": (add_export, export), "sample": (add_sample, sample)}


def main(argv: list[str]) -> int:
    return cli.main("latent", DESCRIPTION, COMMANDS, argv)
