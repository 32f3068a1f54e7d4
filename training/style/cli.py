"""`python -m training style <command>`: the style studio's command line (parser and dispatch only)."""
from __future__ import annotations

import argparse

from training.kit import cli
from training.style import data
from training.style.export import export
from training.style.gatys import gatys
from training.style.report import report
from training.style.train import train

DESCRIPTION = "Style studio: Gatys reference, fast multi-style network training, held-out report, export."


def add_loss(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=int, default=256, help="content image side (training crops, held-out photos)")
    p.add_argument("--style-size", type=int, default=None, help="long side of the style image (default: --size)")
    p.add_argument("--content-weight", type=float, default=1.0)
    p.add_argument("--style-weight", type=float, default=10.0)
    p.add_argument("--tv-weight", type=float, default=1.0)
    p.add_argument("--loss-net", choices=["random", "vgg16"], default="random")
    p.add_argument("--vgg-weights", default=None, help="VGG16 ImageNet notop weights (.h5) for --loss-net vgg16")
    p.add_argument("--centre-gram", default="", metavar="LAYERS",
                   help="style layers whose Gram matrices are centred (channel covariances), e.g. r4,r5; "
                        "default: none (Gatys' uncentred Grams)")


def add_gatys(p: argparse.ArgumentParser) -> None:
    p.add_argument("--content", required=True, help="the photo")
    p.add_argument("--style", required=True, help="the painting")
    p.add_argument("--out", required=True, help="output PNG; intermediates go beside it")
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--save-every", type=int, default=50, help="save an intermediate image every N iterations (0: never)")
    add_loss(p)
    cli.add_machine(p)


def add_train(p: argparse.ArgumentParser) -> None:
    cli.add_training(p)
    p.add_argument("--styles", help="folder of style images (one style each)")
    p.add_argument("--content", nargs="+", help="content image folders/files")
    p.add_argument("--arch", choices=["light", "johnson"], default="light")
    p.add_argument("--batch", type=int, default=4, help="global batch (split evenly over the --strategy replicas)")
    p.add_argument("--steps", type=int, default=4000, help="total steps (a resumed run continues up to this)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-decay-steps", type=int, default=0, metavar="N",
                   help="cosine decay of the learning rate from --lr to --lr-floor x --lr over the first N steps, "
                        "then the floor (default 0: constant)")
    p.add_argument("--lr-floor", type=float, default=0.1, help="with --lr-decay-steps: the final fraction of --lr (0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-scale", type=float, default=0.5, help="smallest random crop, as a fraction of the short side")
    p.add_argument("--widths", default=None, metavar="W1,W2,WR,U1,U2",
                   help="light network only: channels of the two downsampling convs, the residual trunk and the two "
                        "upsampling stages (default 16,32,64,32,16)")
    p.add_argument("--blocks", type=int, default=None, help="light network only: residual blocks (default 4)")
    p.add_argument("--input-skip", action="store_true",
                   help="light network only: the last convolution also sees the photo (concatenated with the "
                        "upsampled features)")
    p.add_argument("--loss-seeds", default=None, metavar="S1,S2,...",
                   help="random loss network only: a bank of loss networks of these seeds (default: one, seed 20160); "
                        "each step trains with one of them in turn, Gatys and the reports use their mean")
    p.add_argument("--padding", choices=["zeros", "reflect"], default="zeros",
                   help="the network's border: zeros (Keras 'same') or reflect (mirror padding before every convolution)")
    p.add_argument("--holdout", default=",".join(data.DEFAULT_HOLDOUT), help="comma-separated content names kept out")
    p.add_argument("--no-skimage", action="store_true", help="do not add the scikit-image sample photos to the content")
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--snapshot-every", type=int, default=500, help="keep the weights every N steps (for comparisons)")
    p.add_argument("--sample-every", type=int, default=250)
    p.add_argument("--log-every", type=int, default=25)
    add_loss(p)


def add_report(p: argparse.ArgumentParser) -> None:
    cli.add_name(p)
    cli.add_runs_dir(p)
    p.add_argument("--gatys-iterations", type=int, default=60)
    p.add_argument("--gatys-images", type=int, default=2, help="how many held-out photos get a Gatys reference (x every style)")
    p.add_argument("--snapshot", type=int, default=None, help="evaluate the snapshot of this step instead of the checkpoint")
    p.add_argument("--judge-seeds", default="1,2,3,4", metavar="S1,S2,...",
                   help="random loss networks of these seeds, new to the run, also score the fast and Gatys images of "
                        "the Gatys pairs (held-out judges; '' for none)")
    cli.add_machine(p)


def add_export(p: argparse.ArgumentParser) -> None:
    cli.add_export(p)
    p.add_argument("--compare-run", default=None, help="a run (e.g. the Johnson-size one) whose report goes into the metrics")
    p.add_argument("--compare-step", type=int, default=None, help="use the compare run's report of this snapshot step")
    p.add_argument("--float16-tolerance", type=float, default=3.0,
                   help="largest output change (0..255) accepted for float16 weights")
    p.add_argument("--float32", action="store_true", help="never quantise to float16")
    p.add_argument("--thumbnail-size", type=int, default=96)


COMMANDS = {"gatys": (add_gatys, gatys), "train": (add_train, train), "report": (add_report, report),
            "export": (add_export, export)}


def main(argv: list[str]) -> int:
    return cli.main("style", DESCRIPTION, COMMANDS, argv)
