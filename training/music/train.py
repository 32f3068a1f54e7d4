"""Training glue: the poems trainer (training.poems.train) with the ABC reader, in `<runs>/music/`.

The only state of its own is the key shifts (`--transpose`): they shape the training text, so a
resumed run and its export read the corpus with the shifts the run started with (kept in the
run's recorded argv, as its card command shows them).
"""
from __future__ import annotations

import functools

from training.kit import runs
from training.kit.errors import UserError
from training.music.corpus import read_abc_corpus
from training.music.transpose import parse_shifts
from training.poems.train import train as poems_train

STUDIO = "music"


def recorded_shifts(config: dict) -> list[int]:
    """The --transpose of a run, from its recorded argv (0 when it had none)."""
    argv = list(config.get("argv") or [])
    for i, word in enumerate(argv):
        if word == "--transpose" and i + 1 < len(argv):
            return parse_shifts(argv[i + 1])
        if word.startswith("--transpose="):
            return parse_shifts(word.split("=", 1)[1])
    return [0]


def reader_for(shifts: list[int]):
    """A poems corpus reader for ABC that writes the training tunes in these key shifts."""
    return functools.partial(read_abc_corpus, transpose=shifts)


def run_reader(config: dict):
    return reader_for(recorded_shifts(config))


def train(args) -> int:
    shifts = parse_shifts(args.transpose) if args.transpose is not None else [0]
    run = runs.run_dir(STUDIO, args.name, args.runs_dir, create=False)
    if args.resume and (run / runs.STATE).exists():
        recorded = recorded_shifts(runs.read_config(run))
        if args.transpose is not None and shifts != recorded:
            raise UserError(f"--transpose {args.transpose}: run {args.name} was started with {recorded}; "
                            "the training text cannot change on --resume")
        shifts = recorded
    return poems_train(args, STUDIO, reader_for(shifts))
