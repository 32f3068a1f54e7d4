"""The recipe scripts in training/recipes/ run exactly the commands recorded in the shipped cards.

Each recipe is run by bash with `PY` pointing at a recorder instead of Python, and each card's
command is run by bash with a `python` function pointing at the same recorder, so shell quoting
is resolved by the shell on both sides. Flags that only steer a session (threads, budgets,
verbosity, checkpoint cadence) are ignored.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "training" / "recipes").glob("*.sh"))
CARDS = sorted((REPO / "exported_models").glob("*/*/card.json"))
SESSION_FLAGS = {"--threads": 1, "--max-minutes": 1, "--verbose": 1, "--checkpoint-minutes": 1, "--resume": 0}

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def recorder(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "calls.jsonl"
    script = tmp_path / "record"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \"$@\" >> {log}\n")
    script.chmod(0o755)
    return script, log


def essential(argv: list[str]) -> tuple:
    """(sub-command words, sorted (flag, values) pairs): argparse does not care about flag order."""
    words, flags, i = [], [], 0
    while i < len(argv):
        if argv[i] in SESSION_FLAGS:
            i += 1 + SESSION_FLAGS[argv[i]]
        elif argv[i].startswith("--"):
            flags.append([argv[i]])
            i += 1
        else:
            (flags[-1] if flags else words).append(argv[i])
            i += 1
    return tuple(words), tuple(sorted(tuple(f) for f in flags))


def calls(log: Path) -> list[tuple]:
    return [essential(json.loads(line)) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


@pytest.fixture(scope="module")
def recipe_calls(tmp_path_factory) -> dict[tuple, str]:
    """Every command the recipes run (each recipe run once for the whole module)."""
    found = {}
    for recipe in RECIPES:
        script, log = recorder(tmp_path_factory.mktemp(recipe.stem))
        env = {**os.environ, "PY": str(script)}
        env.pop("EPOCHS", None)
        subprocess.run(["bash", str(recipe)], check=True, env=env, capture_output=True)
        found.update({call: recipe.name for call in calls(log)})
    return found


def card_calls(card: dict, tmp_path: Path) -> list[tuple]:
    script, log = recorder(tmp_path)
    subprocess.run(["bash", "-c", f'set -e; python() {{ "{script}" "$@"; }}; {card["training"]["command"]}'],
                   check=True, capture_output=True, cwd=REPO)
    return calls(log)


@pytest.mark.parametrize("card_path", CARDS, ids=[p.parent.relative_to(REPO / "exported_models").as_posix() for p in CARDS])
def test_a_recipe_runs_each_command_of_the_card(card_path, tmp_path, recipe_calls):
    card = json.loads(card_path.read_text(encoding="utf-8"))
    recorded = card_calls(card, tmp_path)
    assert recorded and all(call[0][:2] == ("-m", "training") for call in recorded)
    missing = [call for call in recorded if call not in recipe_calls]
    assert not missing, f"{card_path.parent.name}: no recipe runs {missing}"


def test_session_flags_and_flag_order_are_ignored_but_values_are_not():
    a = essential(["-m", "training", "x", "--threads", "2", "--resume", "--epochs", "9", "--seed", "0", "--verbose", "2"])
    assert a == (("-m", "training", "x"), (("--epochs", "9"), ("--seed", "0")))
    assert a == essential(["-m", "training", "x", "--seed", "0", "--epochs", "9"])
    assert a != essential(["-m", "training", "x", "--seed", "0", "--epochs", "60"])
    assert a != essential(["-m", "training", "y", "--seed", "0", "--epochs", "9"])
