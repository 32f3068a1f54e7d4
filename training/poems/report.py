"""What a training session shows: progress lines and the loss curve (loss.png)."""
from __future__ import annotations

import math
import os
from pathlib import Path

LN2 = math.log(2.0)


def bits(nats: float) -> float:
    return float(nats) / LN2


def progress_line(state, steps_per_epoch: int, plan: int | None, lr: float, wall: float) -> str:
    k = state["step_in_epoch"]
    train = bits(state["partial_loss_sum"] / k) if k else float("nan")
    of = f"/{plan}" if plan else ""
    return (f"step {state['steps']}{of} (epoch {state['epoch'] + 1}, {k}/{steps_per_epoch}): train {train:.4f} bits/char "
            f"this epoch, learning rate {lr:.2e}, {wall:.0f} s")


def plot_history(history: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ep = [h["epoch"] for h in history]
    ax.plot(ep, [h["train_bpc"] for h in history], "o-", label="train")
    ax.plot(ep, [h["val_bpc"] for h in history], "o-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per character")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
