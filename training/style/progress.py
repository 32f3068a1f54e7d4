"""The progress line of the style commands (training steps, L-BFGS iterations, report pairs)."""
from __future__ import annotations

import sys
import time


class Progress:
    """A one-line progress bar on a terminal; plain lines every `every` steps otherwise."""

    def __init__(self, total: int, start: int = 0, label: str = "", every: int = 25, stream=None):
        self.total, self.start, self.label = max(1, total), start, label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = max(1, every)
        self.t0 = time.monotonic()

    def update(self, done: int, text: str = "") -> None:
        if not self.tty and done % self.every and done != self.total:
            return
        frac = min(1.0, done / self.total)
        rate = (time.monotonic() - self.t0) / max(1, done - self.start)
        eta = rate * (self.total - done)
        bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
        line = f"{self.label} [{bar}] {done}/{self.total} {text} {rate:.2f}s/it eta {eta / 60:.1f}min"
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(160))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
