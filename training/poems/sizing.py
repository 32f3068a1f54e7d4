"""The network and batch shape a run gets when the command line does not say: chosen from the
time budget and the corpus size (no TensorFlow here).

The table is what trained best on tiny Shakespeare (1 M characters) on 2 CPU cores for each
budget (docs/poems-training.md has the candidates and their held-out losses): a larger
network pays only when the budget lets it read the corpus several times. For a smaller
corpus the budget is scaled by how many times longer the corpus takes to read — a 100 k
character corpus read for 10 minutes is read as often as tiny Shakespeare in 100 minutes —
so small corpora get the shapes of long budgets capped by `MAX_PARAMS_PER_CHAR`, with
dropout once they are read many times.
"""
from __future__ import annotations

REFERENCE_CHARS = 1_000_000
NO_BUDGET_MINUTES = 60.0  # what a run without --max-minutes is sized for
MAX_PARAMS_PER_CHAR = 4.0  # larger networks only memorise a small corpus

# (up to this many reference minutes, shape). Measured on tiny Shakespeare, tail split, windowed
# (docs/poems-training.md, "What was tried"): at 110 s batches of 16 beat 32 (1.764 against 1.922
# nats in one benchmark run); at 600 s 1 x 512 with batches of 16 and lr 0.004 gave 1.508 (batches of 32:
# 1.519; 1 x 384, batches of 32: 1.535; all on an idle machine). On a machine that steps 1.6x faster (session 10)
# the same budget buys 8 epochs, where no dropout overfits (1.528); dropout 0.2 with a quarter of the rows
# restarting from a zero state each step (--reset-rows 0.25) gave 1.470. The longer rows are extrapolated.
TABLE = [
    (3.0, {"layers": 1, "units": 256, "embed": 48, "batch": 16, "seq_len": 128, "lr": 0.004, "dropout": 0.0,
           "reset_rows": 0.0}),
    (20.0, {"layers": 1, "units": 512, "embed": 64, "batch": 16, "seq_len": 128, "lr": 0.004, "dropout": 0.2,
            "reset_rows": 0.25}),
    (90.0, {"layers": 2, "units": 512, "embed": 64, "batch": 64, "seq_len": 128, "lr": 0.002, "dropout": 0.1,
            "reset_rows": 0.0}),
    (float("inf"), {"layers": 2, "units": 640, "embed": 64, "batch": 64, "seq_len": 128, "lr": 0.002, "dropout": 0.2,
                    "reset_rows": 0.0}),
]
KEYS = ("layers", "units", "embed", "batch", "seq_len", "lr", "dropout", "reset_rows")


def parameters(layers: int, units: int, embed: int, vocab: int = 80) -> int:
    lstm = sum(4 * units * ((embed if i == 0 else units) + units + 1) for i in range(layers))
    return vocab * embed + lstm + units * vocab + vocab


def choose(budget_minutes: float | None, train_chars: int) -> dict:
    """The shape for a budget (None: a run without one) and a training text of `train_chars`."""
    minutes = NO_BUDGET_MINUTES if not budget_minutes else float(budget_minutes)
    reference_minutes = minutes * REFERENCE_CHARS / max(train_chars, 1)
    i = next(i for i, (limit, _) in enumerate(TABLE) if reference_minutes <= limit)
    shape = dict(TABLE[i][1])
    while i > 0 and parameters(shape["layers"], shape["units"], shape["embed"]) > MAX_PARAMS_PER_CHAR * train_chars:
        i -= 1
        shape = {**TABLE[i][1], "dropout": max(TABLE[i][1]["dropout"], 0.2)}
    return shape

def describe(budget_minutes: float | None, train_chars: int) -> str:
    what = f"a {budget_minutes:g}-minute budget" if budget_minutes else f"no budget (sized for {NO_BUDGET_MINUTES:g} min)"
    return f"chosen for {what} and {train_chars:,} training characters (training/poems/sizing.py)"
