"""`python -m training backgrounds <command>`: train, sample, export (see training/backgrounds/__init__.py)."""
from __future__ import annotations

from training.backgrounds import export, sample, train
from training.kit import cli

COMMANDS = {
    "train": (train.add_arguments, train.train),
    "sample": (sample.add_arguments, sample.run),
    "export": (export.add_arguments, export.run),
}


def main(argv: list[str]) -> int:
    return cli.main("backgrounds", __doc__, COMMANDS, argv)
