"""The one command-line shape: `python -m training <studio> <command> [options]`.

Each studio's `cli.py` lists its commands as `{name: (add_arguments, run)}` and calls
`kit.cli.main`; the same things have the same flags everywhere (`--name` for the run,
`--corpus` / `--images` for data, `--max-minutes`, `--resume`, `--strategy`, `--threads`,
`--deterministic`, `--runs-dir`, `--out`). A `UserError` is reported as one line and
exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from training.kit.errors import UserError
from training.kit.machine import STRATEGIES

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], object]]


def add_name(p: argparse.ArgumentParser, what: str = "run") -> None:
    p.add_argument("--name", required=True, help=f"the {what}'s name (lowercase letters, digits, '-'); "
                                                  "also the exported model's folder name")


def add_runs_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", default=None, help="root of run folders (default $MUZA_RUNS or ~/.cache/muza/runs)")


def add_machine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=None, help="TensorFlow threads (default: all cores)")
    p.add_argument("--deterministic", action="store_true",
                   help="TensorFlow op determinism: bit-identical results and resumes, somewhat slower")


def add_training(p: argparse.ArgumentParser) -> None:
    """The flags every trainer has: run name and folder, budget, resume, distribution, threads."""
    add_name(p)
    add_runs_dir(p)
    p.add_argument("--max-minutes", type=float, default=None,
                   help="wall-clock budget of this session; the run checkpoints and stops (resume with --resume)")
    p.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    p.add_argument("--strategy", choices=STRATEGIES, default="default",
                   help="tf.distribute: mirrored (local devices) or multiworker (TF_CONFIG)")
    add_machine(p)


def add_export(p: argparse.ArgumentParser) -> None:
    """The flags every export has."""
    add_name(p)
    add_runs_dir(p)
    p.add_argument("--out", default=None, help="model folder (default exported_models/<studio>/<name>)")
    p.add_argument("--title", default=None, help="title shown in the web app")
    p.add_argument("--description", default=None, help="one or two sentences for visitors")
    p.add_argument("--credits", default=None, help="attribution shown on the page")
    add_machine(p)


def parser(prog: str, description: str, commands: dict[str, Command]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="{" + ",".join(commands) + "}")
    for name, (add_arguments, run) in commands.items():
        doc = (run.__doc__ or "").strip().split("\n")[0]
        cp = sub.add_parser(name, help=doc, description=doc)
        add_arguments(cp)
        cp.set_defaults(run=run)
    return p


def report(error: BaseException) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 2


def main(studio: str, description: str, commands: dict[str, Command], argv: list[str]) -> int:
    """Parse `argv`, run the command, report a UserError as one line with exit status 2.
    The command sees its own argv as `args.argv` (recorded for the card's command)."""
    args = parser(f"python -m training {studio}", description, commands).parse_args(argv)
    args.argv = list(argv[1:])
    try:
        result = args.run(args)
    except UserError as error:
        return report(error)
    return result if isinstance(result, int) else 0
