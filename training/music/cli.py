"""`python -m training music <command>`: the Music studio's command line (the poems trainer's
commands and flags, with an ABC corpus reader, plus what music needs).

    python -m training music train  --corpus DIR --name NAME [--transpose 0,-2,2,5] [poems train flags]
    python -m training music export --name NAME [--figure-tunes 200] [poems export flags]
    python -m training music sample --name NAME [--header "X:1..K:G\\n"] [--no-bar-aware]
"""
from __future__ import annotations

import argparse

from training.kit import cli
from training.poems import cli as poems_cli

DESCRIPTION = "Music studio: a character LSTM that writes folk tunes in ABC notation — train, sample, export."
DEFAULT_HEADER = "X:1\nT:A Jig\nM:6/8\nL:1/8\nK:G\n"


def add_train(p: argparse.ArgumentParser) -> None:
    poems_cli.add_train(p)
    p.add_argument("--transpose", default=None,
                   help="also train on every training tune moved by these semitones, e.g. 0,-2,2,5 (0: as written; "
                        "default 0 only; start the list with 0 or a positive shift, as a leading '-' reads as a "
                        "flag); the held-out tunes are never moved")
    p.set_defaults(val_fraction=0.2, sample_seed=DEFAULT_HEADER)


def add_export(p: argparse.ArgumentParser) -> None:
    poems_cli.add_export(p)
    p.add_argument("--figure-tunes", type=int, default=200,
                   help="held-out tunes measured, and tunes written (each way) for the card's musical figures (200)")
    p.add_argument("--figure-temperature", type=float, default=0.8, help="temperature of those tunes (0.8)")
    p.add_argument("--figure-top-p", type=float, default=0.95, help="top-p of those tunes (0.95)")
    p.add_argument("--figure-max-chars", type=int, default=1500, help="a written tune stops here if it has not ended")


def add_sample(p: argparse.ArgumentParser) -> None:
    poems_cli.add_sample(p)
    p.add_argument("--bar-aware", action=argparse.BooleanOptionalAction, default=True,
                   help="mask characters that would break the ABC or overfill a bar (default on)")
    p.add_argument("--midi", help="also write the tune as MIDI here (abc2midi)")
    p.set_defaults(seed=DEFAULT_HEADER, length=1500)


def _command(module: str, doc: str):
    """`training.music.<module>.<module's command>(args)`, imported when the command runs (TensorFlow
    loads only then, so help and argument errors stay fast)."""
    def run(args):
        import importlib

        return getattr(importlib.import_module(f"training.music.{module}"), RUNS[module])(args)

    run.__doc__ = doc
    return run


RUNS = {"train": "train", "export": "export", "sampler": "sample"}
COMMANDS = {
    "train": (add_train, _command("train", "Train the character model on an ABC corpus (runs in <runs>/music/NAME).")),
    "export": (add_export, _command("export", "Export the best weights with the musical figures (exported_models/music/NAME).")),
    "sample": (add_sample, _command("sampler", "Write one tune after a header, bar-aware by default.")),
}


def main(argv: list[str]) -> int:
    return cli.main("music", DESCRIPTION, COMMANDS, argv)
