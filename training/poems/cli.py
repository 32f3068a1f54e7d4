"""`python -m training poems train|sample|export`: the command line of the character studios.

`commands(studio, reader)` is the whole command table, so a studio built on this trainer
(another corpus reader, its own run and export folders) has the same commands and flags:
`kit.cli.main("music", ..., commands("music", read_abc), argv)`.
"""
from __future__ import annotations

import argparse
import functools

from training.kit import cli as kit_cli
from training.poems.corpus import MAX_VOCAB, SPLITS, Reader, read_text_corpus
from training.poems.export import export
from training.poems.sample import sample
from training.poems.schedule import DEFAULT_EPOCHS, SCHEDULES
from training.poems.train import train

DESCRIPTION = "Poems studio: a character-level LSTM (seed 000, seed 001) — train, sample, export."


def number(text: str) -> int | float:
    """A float flag written back as an int when it is one (`--epochs 3`, not 3.0, in the card)."""
    value = float(text)
    return int(value) if value.is_integer() else value


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
    t.add_argument("--split", choices=SPLITS, default="auto",
                   help="held-out part: tail (the last --val-fraction of the text), files or blocks (whole units, "
                        "seeded); auto: tail for one file, files for a folder of 10 or more, else blocks")
    t.add_argument("--val-fraction", type=float, default=0.1, help="held-out fraction of the corpus (0.1)")
    auto = "default: chosen from the time budget and the corpus size"
    tracked = [("--layers", int, "LSTM layers"), ("--units", int, "units per LSTM layer"),
               ("--embed", int, "character embedding size"), ("--batch", int, "batch size, global across replicas"),
               ("--seq-len", int, "characters per batch row (and the scoring window)"),
               ("--lr", float, "peak Adam learning rate"), ("--dropout", float, "dropout after each LSTM layer"),
               ("--epochs", number, "plan: epochs in all (counting resumed ones); default: what fits the time "
                                   f"budget, or {DEFAULT_EPOCHS} without one"),
               ("--steps", int, "plan: training steps in all; default: as --epochs")]
    for flag, kind, helptext in tracked:
        t.add_argument(flag, type=kind, default=None, action=Given,
                       help=helptext if flag in ("--epochs", "--steps") else f"{helptext} ({auto})")
    t.add_argument("--plan-minutes", type=float, default=None,
                   help="plan the run for this many minutes of training in all, across resumed sessions (default: "
                        "the --max-minutes of the session that starts it; 0: no time plan, --max-minutes only stops "
                        "the session). Given again on --resume, it re-plans the run")
    t.add_argument("--patience", type=int, default=0, action=Given,
                   help="early stop after this many evaluations without a better validation loss (default 0: never)")
    t.set_defaults(**{f"{k}_given": False for k in ("layers", "units", "embed", "batch", "seq_len", "lr", "dropout",
                                                    "reset_rows", "epochs", "steps", "patience")})
    t.add_argument("--carry", action=argparse.BooleanOptionalAction, default=True,
                   help="carry the LSTM state from one batch to the next along contiguous streams (truncated BPTT; "
                        "default); --no-carry: shuffled windows, each from a zero state")
    t.add_argument("--reset-rows", type=float, action=Given,
                   help="with --carry: the chance that a batch row starts its next window from a zero LSTM state "
                        "instead of the carried one (seeded by seed, epoch and step), so the network also learns to "
                        "start cold, as the windowed held-out figure reads it (default: chosen from the budget; "
                        "0: only at epoch starts)")
    t.add_argument("--lstm-kernel", choices=("auto", "loop", "loop-bf16", "keras"), default="auto",
                   help="how training reads sequences: loop (lstm.py, faster on a CPU; loop-bf16: its recurrent "
                        "products in bfloat16) or keras (cuDNN on a GPU); auto: keras when a GPU is visible, else "
                        "loop-bf16 on a CPU with AVX512-BF16 or AMX, else loop. The weights and the export are the same")
    t.add_argument("--lr-schedule", choices=SCHEDULES, default="cosine",
                   help="after the warm-up, decay to --lr-floor x --lr at the end of the plan (cosine, linear), stay "
                        "(constant), or epoch-decay (--lr-decay every epoch after --lr-decay-after)")
    t.add_argument("--warmup", type=float, default=0.02, help="linear warm-up, as a fraction of the plan (0.02)")
    t.add_argument("--lr-floor", type=float, default=0.1, help="final learning rate as a fraction of --lr (0.1)")
    t.add_argument("--clip", type=float, default=0.0, help="clip the gradient to this global norm (default 0: off)")
    t.add_argument("--weight-decay", type=float, default=0.0, metavar="W",
                   help="decoupled weight decay (AdamW) of the kernels and the embedding, scaled by the learning "
                        "rate each step, e.g. 0.1 (default 0: Adam)")
    t.add_argument("--average-from", type=float, default=None, metavar="F",
                   help="keep the running mean of the weights after every step from F x the plan on (stochastic "
                        "weight averaging, e.g. 0.5); evaluations score and keep the mean (default: off)")
    t.add_argument("--lr-decay", type=float, default=1.0, help="epoch-decay: factor per epoch (default 1)")
    t.add_argument("--lr-decay-after", type=int, default=10, help="epoch-decay: first epoch of the decay (10)")
    t.add_argument("--snapshots", type=int_list, default=[1, 10, 40],
                   help="epochs whose weights are kept for 'watch it learn' (default 1,10,40)")
    t.add_argument("--init-from", help="fine-tune: a run folder/name of this studio or an exported model folder")
    t.add_argument("--force", action="store_true", help="start the run over even if it exists")
    t.add_argument("--seed", type=int, default=0, help="random seed: initial weights, split, data order")
    t.add_argument("--checkpoint-minutes", type=float, default=10.0,
                   help="also checkpoint inside an epoch this often (default 10; 0: only at epoch ends)")
    t.add_argument("--checkpoint-steps", type=int, default=0, help="also checkpoint every N training steps")
    t.add_argument("--sample-length", type=int, default=300,
                   help="characters sampled after an epoch, at most once a minute, and at the end (0: none)")
    t.add_argument("--sample-seed", help="seed text for the samples printed after each epoch (default: newline)")
    t.add_argument("--max-vocab", type=int, default=MAX_VOCAB, help="refuse corpora with more distinct characters")
    t.add_argument("--verbose", type=int, default=1,
                   help="1: a progress line every 10 s and a line per evaluation; 0 or 2: evaluations only")
    t.add_argument("--halt-after-steps", type=int, help=argparse.SUPPRESS)  # tests: simulate a kill
    t.add_argument("--budget-clock", choices=("wall", "cpu"), default="wall", help=argparse.SUPPRESS)  # experiments


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
    e.add_argument("--max-mb", type=float, default=10.0, help="refuse an export folder larger than this many MiB (2^20 bytes)")
    e.add_argument("--real-lines", type=int, default=300)
    e.add_argument("--dataset")
    e.add_argument("--dataset-licence")
    e.add_argument("--default-seed", help="seed line suggested in the web app")
    e.add_argument("--hardware-note", help="added to the card's hardware line, e.g. '2 cores shared with other jobs'")
    e.add_argument("--primer", help="text for reference.json (default: the default seed)")
    e.add_argument("--previous", help="an earlier export of this model (same vocabulary): scored on this run's "
                                      "held-out split for the card (previous_model_* metrics)")


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
