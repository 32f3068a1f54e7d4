"""`python -m training poems train|sample|export`: the command line of the character studios.

`commands(studio, reader)` is the whole command table, so a studio built on this trainer
(another corpus reader, its own run and export folders) has the same commands and flags:
`kit.cli.main("music", ..., commands("music", read_abc), argv)`.
"""
from __future__ import annotations

import argparse
import functools

from training.kit import cli as kit_cli
from training.poems.corpus import MAX_VOCAB, Reader, read_text_corpus
from training.poems.export import export
from training.poems.sample import sample
from training.poems.train import train

DESCRIPTION = "Poems studio: a character-level LSTM (seed 000, seed 001) — train, sample, export."


def int_list(text: str) -> list[int]:
    return [int(t) for t in text.replace(" ", "").split(",") if t]


class Given(argparse.Action):
    """Store the value and remember that the user gave it (resume keeps the run's own settings otherwise)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def add_train(t: argparse.ArgumentParser) -> None:
    kit_cli.add_training(t)
    t.add_argument("--corpus", required=True, help="a UTF-8 text file or a folder of them")
    t.add_argument("--corpus-name", help="short corpus name for the card (default: file/folder name)")
    for flag, default, helptext in [
        ("--layers", 1, "LSTM layers"), ("--units", 256, "units per LSTM layer"), ("--embed", 64, "character embedding size"),
        ("--epochs", 100, "epochs (total, counting resumed ones)"),
        ("--patience", 5, "early stop after this many epochs without a better validation loss (0: never)"),
    ]:
        t.add_argument(flag, type=int, default=default, action=Given, help=f"{helptext} (default {default})")
    t.set_defaults(**{f"{k}_given": False for k in ("layers", "units", "embed", "epochs", "patience")})
    t.add_argument("--dropout", type=float, default=0.0, help="dropout after each LSTM layer (default 0)")
    t.add_argument("--seq-len", type=int, default=100, help="training window length in characters (default 100)")
    t.add_argument("--batch", type=int, default=256, help="batch size, global across replicas (default 256)")
    t.add_argument("--lr", type=float, default=0.002, help="Adam learning rate (default 0.002)")
    t.add_argument("--lr-decay", type=float, default=1.0,
                   help="multiply the learning rate by this every epoch after --lr-decay-after (default 1: constant)")
    t.add_argument("--lr-decay-after", type=int, default=10, help="first epoch of the decay (default 10)")
    t.add_argument("--val-fraction", type=float, default=0.1, help="held-out fraction, by whole files/blocks (0.1)")
    t.add_argument("--snapshots", type=int_list, default=[1, 10, 40],
                   help="epochs whose weights are kept for 'watch it learn' (default 1,10,40)")
    t.add_argument("--init-from", help="fine-tune: a run folder/name of this studio or an exported model folder")
    t.add_argument("--force", action="store_true", help="start the run over even if it exists")
    t.add_argument("--seed", type=int, default=0, help="random seed: initial weights, split, data order")
    t.add_argument("--checkpoint-minutes", type=float, default=10.0,
                   help="also checkpoint inside an epoch this often (default 10; 0: only at epoch ends)")
    t.add_argument("--checkpoint-steps", type=int, default=0, help="also checkpoint every N training steps")
    t.add_argument("--sample-length", type=int, default=300, help="characters sampled after each epoch (0: none)")
    t.add_argument("--sample-seed", help="seed text for the samples printed after each epoch (default: newline)")
    t.add_argument("--max-vocab", type=int, default=MAX_VOCAB, help="refuse corpora with more distinct characters")
    t.add_argument("--verbose", type=int, default=1, help="Keras progress: 1 bar, 2 one line per epoch, 0 none")
    t.add_argument("--halt-after-steps", type=int, help=argparse.SUPPRESS)  # tests: simulate a kill


def add_sample(s: argparse.ArgumentParser) -> None:
    which = s.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="a run's name: sample its best weights")
    which.add_argument("--model", help="a run folder or an exported model folder (or a run's name)")
    kit_cli.add_runs_dir(s)
    kit_cli.add_machine(s)
    s.add_argument("--seed", default="\n", help="seed text (first line)")
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int, default=0)
    s.add_argument("--top-p", type=float, default=1.0)
    s.add_argument("--length", type=int, default=400)
    s.add_argument("--rng-seed", type=int, help="random seed for sampling")


def add_export(e: argparse.ArgumentParser) -> None:
    kit_cli.add_export(e)
    e.add_argument("--float16", action=argparse.BooleanOptionalAction, default=True,
                   help="store float16 weights when the probabilities stay within --float16-tolerance")
    e.add_argument("--float16-tolerance", type=float, default=5e-3)
    e.add_argument("--probe-chars", type=int, default=400, help="validation characters for the float16 check")
    e.add_argument("--snapshots", type=int_list, help="which snapshot epochs to export (default: all saved)")
    e.add_argument("--snapshot-dtype", choices=["uint8", "float16", "float32"], default="uint8")
    e.add_argument("--max-mb", type=float, default=10.0, help="refuse an export folder larger than this")
    e.add_argument("--real-lines", type=int, default=300)
    e.add_argument("--dataset")
    e.add_argument("--dataset-licence")
    e.add_argument("--default-seed", help="seed line suggested in the web app")
    e.add_argument("--hardware-note", help="added to the card's hardware line, e.g. '2 cores shared with other jobs'")
    e.add_argument("--primer", help="text for reference.json (default: the default seed)")


def _bound(run, **kwargs):
    """`run(args, **kwargs)` as a one-argument command that keeps run's help line."""
    return functools.wraps(run)(lambda args: run(args, **kwargs))


def commands(studio: str, reader: Reader) -> dict[str, kit_cli.Command]:
    """train / sample / export for a character studio: runs in <runs>/<studio>/, exports in
    exported_models/<studio>/, corpora read by `reader`."""
    return {
        "train": (add_train, _bound(train, studio=studio, reader=reader)),
        "sample": (add_sample, _bound(sample, studio=studio)),
        "export": (add_export, _bound(export, studio=studio, reader=reader)),
    }


def main(argv: list[str]) -> int:
    return kit_cli.main("poems", DESCRIPTION, commands("poems", read_text_corpus), argv)
