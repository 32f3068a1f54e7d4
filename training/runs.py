"""Where training runs keep checkpoints and logs: outside the work tree.

`MUZA_RUNS` overrides the default `~/.cache/muza/runs`. A run folder holds
everything needed to resume (`--resume`) and to export again later.
"""
import os
import platform
import time
from pathlib import Path


def runs_root() -> Path:
    return Path(os.environ.get("MUZA_RUNS", Path.home() / ".cache" / "muza" / "runs")).expanduser()


def run_dir(studio: str, name: str, root: str | os.PathLike | None = None) -> Path:
    base = Path(root).expanduser() if root else runs_root()
    path = base / studio / name
    path.mkdir(parents=True, exist_ok=True)
    return path


class WallClock:
    """Wall-clock budget shared by all training loops (`--max-minutes`)."""

    def __init__(self, max_minutes: float | None):
        self.start = time.monotonic()
        self.limit = None if not max_minutes else max_minutes * 60.0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def exhausted(self) -> bool:
        return self.limit is not None and self.elapsed >= self.limit


def hardware() -> str:
    """One line about the machine, for model cards."""
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import tensorflow as tf

    return f"{os.cpu_count()}-core CPU ({model}), no GPU; TensorFlow {tf.__version__} (tf_keras)"
