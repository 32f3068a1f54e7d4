"""Run folders, the wall-clock budget and resume state, shared by every trainer.

A run lives in `<runs root>/<studio>/<name>/`, outside the work tree: the root is
`--runs-dir`, else `$MUZA_RUNS`, else `~/.cache/muza/runs`. It holds everything needed
to resume (`--resume`) and to export again later: `config.json` (what the run is),
`state.json` (how far it got; written atomically after each checkpoint), checkpoints,
logs and samples.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from training.kit.errors import UserError
from training.kit.files import read_json, write_json

CONFIG = "config.json"
STATE = "state.json"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def runs_root() -> Path:
    return Path(os.environ.get("MUZA_RUNS", Path.home() / ".cache" / "muza" / "runs")).expanduser()


def check_name(name: str) -> str:
    """Run and model names become folder names and URL parts: lowercase letters, digits, '-'."""
    if not NAME_PATTERN.match(name or ""):
        raise UserError(f"--name {name!r}: use lowercase letters, digits and '-' (at most 64 characters)")
    return name


def run_dir(studio: str, name: str, root: str | os.PathLike | None = None, create: bool = True) -> Path:
    base = Path(root).expanduser() if root else runs_root()
    path = base / studio / check_name(name)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def existing_run(studio: str, name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of a run that has been started, or a UserError that says how to start it."""
    path = run_dir(studio, name, root, create=False)
    if not (path / CONFIG).exists():
        raise UserError(f"no {studio} training run {name!r} in {path.parent}; train it first "
                        f"(python -m training {studio} train --name {name} ...)")
    return path


class WallClock:
    """Wall-clock budget shared by all training loops (`--max-minutes`)."""

    def __init__(self, max_minutes: float | None):
        self.start = time.monotonic()
        self.limit = None if not max_minutes else max_minutes * 60.0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    @property
    def remaining(self) -> float | None:
        return None if self.limit is None else max(0.0, self.limit - self.elapsed)

    def exhausted(self) -> bool:
        return self.limit is not None and self.elapsed >= self.limit


class RunState:
    """`state.json` of a run: a dict saved atomically, so a kill between checkpoints leaves the
    last complete state; `wall_time_s` sums training time over every session."""

    def __init__(self, run: Path, defaults: dict | None = None):
        self.path = Path(run) / STATE
        self.data = dict(defaults or {})
        if self.path.exists():
            self.data.update(read_json(self.path))

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def get(self, key, default=None):
        return self.data.get(key, default)

    def save(self) -> None:
        write_json(self.path, self.data)


def read_config(run: Path) -> dict:
    return read_json(Path(run) / CONFIG)


def write_config(run: Path, config: dict) -> None:
    write_json(Path(run) / CONFIG, config)


def checkpointed_run(studio: str, name: str, root: str | os.PathLike | None = None,
                     how: str = "train it first") -> tuple[Path, dict, RunState]:
    """(folder, config, state) of a run that has saved a checkpoint (`state["checkpoint"]`, its
    path inside the folder), or a UserError that ends with `how` to get one."""
    run = existing_run(studio, name, root)
    state = RunState(run)
    if not state.get("checkpoint"):
        raise UserError(f"run {name!r} has no checkpoint yet ({how})")
    return run, read_config(run), state
