"""How long a run trains and at which learning rate (no TensorFlow here).

**The plan** is the number of training steps the run is scheduled for. A session plans it
when it starts, from

* the caps `--steps` and `--epochs` (given now, else the run's own), whichever is fewer;
* the run's time budget — `--plan-minutes`, by default the `--max-minutes` of the session
  that starts the run —: the steps that fit in what is left of it (the budget minus the
  wall time of earlier sessions), measured as the session goes (`BudgetPlan`: the seconds
  per step from step `MEASURE_FROM` on — the first steps trace the graph —, first after
  `FIRST_ESTIMATE` steps, then again every `REPLAN_EVERY` of the plan, evaluations and
  checkpoints included);
* without either, the plan a killed session recorded in state.json, else `DEFAULT_EPOCHS`.

`--max-minutes` is also this session's own limit: the session stops before a step that
would end after it (and resumes with `--resume`, on the same plan). Both count from the
start of the process (`process_age`), so that `--max-minutes` bounds the whole command.

**The learning rate** is a function of the step and the plan only (`lr_at`): a linear
warm-up over `--warmup` of the plan, then a cosine (or linear) decay from `--lr` to
`--lr-floor` times it at the end of the plan. `--lr-schedule epoch-decay` is the schedule
of the first poems models (`--lr` times `--lr-decay` every epoch after `--lr-decay-after`).
A resumed session reads the same batches and, with the same plan, the same learning rates;
a plan measured from a budget depends on the machine's speed, so two budget runs differ
(the card's command records the steps trained).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from training.kit import runs
from training.kit.lr import cosine

SCHEDULES = ("cosine", "linear", "constant", "epoch-decay")
DEFAULT_EPOCHS = 20
MEASURE_FROM = 2  # steps 1 and 2 trace the step function: the clock for the speed starts after them
FIRST_ESTIMATE = 4  # steps measured before the first plan
REPLAN_EVERY = 0.02  # of the plan
FIRST_PLAN = 500  # warm-up length before a budget run has measured its speed


def lr_at(config: dict, step: int, plan: int | None, epoch: int = 0) -> float:
    """Learning rate of 0-based global `step` in a run planned for `plan` steps (None: not
    known yet, the warm-up goes on as for a plan of `FIRST_PLAN` steps)."""
    peak, shape = float(config["lr"]), config.get("lr_schedule", "cosine")
    if shape == "epoch-decay":
        decay, after = config.get("lr_decay", 1.0), config.get("lr_decay_after", 10)
        return float(peak * decay ** max(0, epoch + 1 - after))
    warmup = warmup_steps(config, plan)
    if step < warmup:
        return peak * (step + 1) / warmup
    if shape == "constant" or not plan:
        return peak
    floor = float(config.get("lr_floor", 0.1))
    progress = min(1.0, (step - warmup) / max(1, plan - warmup))
    if shape == "linear":
        return peak * (1.0 - (1.0 - floor) * progress)
    return cosine(peak, floor, progress)



def warmup_steps(config: dict, plan: int | None) -> int:
    fraction = float(config.get("warmup", 0.02))
    return max(1, round(fraction * (plan or FIRST_PLAN))) if fraction > 0 else 0


def cap_plan(steps_per_epoch: int, epochs: float | None, steps: int | None) -> int | None:
    """The plan of the caps: the fewer of `steps` and `epochs` x steps per epoch (None: no cap)."""
    caps = [int(steps)] if steps else []
    if epochs:
        caps.append(max(1, round(float(epochs) * steps_per_epoch)))
    return min(caps) if caps else None


def plan_session(steps_per_epoch: int, epochs: float | None, steps: int | None, run_limit_s: float | None,
                 session_limit_s: float | None, done: int, recorded: int | None,
                 source: str | None) -> tuple[int | None, "BudgetPlan | None", str]:
    """(the plan a session starts with, its time measurement or None, where the plan comes from:
    "budget", "caps", "default" or the recorded plan's source). With a run budget the plan to
    start with is the caps' or the recorded one, until the speed is measured."""
    cap = cap_plan(steps_per_epoch, epochs, steps)
    timed = run_limit_s is not None or session_limit_s is not None
    budget = BudgetPlan(run_limit_s, session_limit_s, done, cap) if timed else None
    if run_limit_s is not None:
        return cap or recorded, budget, "budget"
    if cap is None and recorded:
        return int(recorded), budget, source or "budget"  # the plan a killed budget session recorded
    if cap is None:
        return cap_plan(steps_per_epoch, DEFAULT_EPOCHS, None), budget, "default"
    return cap, budget, "caps"


def process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 elsewhere)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


class ProcessClock(runs.WallClock):
    """The session budget (kit.runs.WallClock) counted from the start of the process.

    `cpu=True` (a hidden experiment aid, `--budget-clock cpu`) counts this process's CPU
    seconds divided by `threads` instead: on a machine shared with other jobs it estimates
    the wall time the same work takes on an idle one."""

    def __init__(self, max_minutes: float | None, cpu: bool = False, threads: int | None = None):
        super().__init__(max_minutes)
        self.cpu, self.threads = cpu, threads or os.cpu_count() or 1
        self.start -= process_age()

    @property
    def elapsed(self) -> float:
        if self.cpu:
            return time.process_time() / self.threads
        return time.monotonic() - self.start


class BudgetPlan:
    """The steps that fit the run's time budget and the session's limit, measured as it trains.

    Both limits are in seconds of the session's clock (ProcessClock). `observe(step, elapsed)`
    after each step (global count of steps done, seconds so far) returns the new plan when it
    is time to plan again (only with a run budget), else None. `fits(elapsed)` says whether
    one more step ends inside both limits."""

    def __init__(self, run_limit_s: float | None, session_limit_s: float | None, first_step: int,
                 cap: int | None = None):
        self.limit = None if run_limit_s is None else float(run_limit_s)
        self.session_limit = None if session_limit_s is None else float(session_limit_s)
        self.first, self.cap = int(first_step), cap
        self.ref_step = self.ref_time = None
        self.plan: int | None = None
        self.last_plan_step = first_step
        self.seconds_per_step: float | None = None

    @property
    def plans(self) -> bool:
        return self.limit is not None

    def observe(self, step: int, elapsed: float) -> int | None:
        done = step - self.first
        if done == MEASURE_FROM:
            self.ref_step, self.ref_time = step, elapsed
            return None
        if self.ref_step is None or done < MEASURE_FROM + FIRST_ESTIMATE:
            return None
        self.seconds_per_step = (elapsed - self.ref_time) / (step - self.ref_step)
        if not self.plans or (self.plan is not None and step - self.last_plan_step < max(1, REPLAN_EVERY * self.plan)):
            return None
        self.last_plan_step = step
        fit = step + int(max(0.0, self.limit - elapsed) / max(self.seconds_per_step, 1e-9))
        self.plan = min(fit, self.cap) if self.cap else fit
        return self.plan

    def fits(self, elapsed: float, limit: float | None = None) -> bool:
        """One more step ends inside `limit` (default: both limits)."""
        if limit is None:
            return all(self.fits(elapsed, lim) for lim in (self.limit, self.session_limit) if lim is not None)
        if elapsed >= limit:
            return False
        return self.seconds_per_step is None or elapsed + self.seconds_per_step <= limit
