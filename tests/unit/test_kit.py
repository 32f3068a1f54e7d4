"""The shared training kit: quantisation, reproduce-commands, atomic files, card builder, CLI errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training.kit import command, files, quantise, runs
from training.kit.card import build_card
from training.kit.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def test_uint8_rounding_is_affine_per_tensor():
    w = np.array([-1.0, 0.0, 0.3, 1.0], np.float32)
    got = quantise.round_array(w, "uint8")
    scale = 2.0 / 255.0
    assert got[0] == pytest.approx(-1.0) and got[-1] == pytest.approx(1.0)
    assert got[2] == pytest.approx(-1.0 + round(1.3 / scale) * scale)
    assert np.abs(got - w).max() <= scale / 2 + 1e-7


def test_float16_rounding_loses_what_half_precision_loses():
    w = np.array([1.0 + 2 ** -12, 65504.0, 1e-8], np.float32)
    got = quantise.round_array(w, "float16")
    assert got[0] == 1.0 and got[1] == 65504.0 and got[2] == 0.0


def test_choose_dtype_takes_the_smallest_within_the_bound():
    diffs = {"uint8": 0.5, "float16": 0.01}
    assert quantise.choose_dtype(diffs.get, bound=0.02, candidates=("float16", "uint8")) == ("float16", diffs)
    assert quantise.choose_dtype(diffs.get, bound=0.001, candidates=("float16",)) == ("float32", {"float16": 0.01})
    assert quantise.choose_dtype(diffs.get, bound=1.0, candidates=("float16", "uint8"))[0] == "uint8"


def test_reproduce_drops_session_flags_and_writes_the_trained_amount():
    argv = ["--corpus", "my texts/a.txt", "--name", "x", "--resume", "--max-minutes=5", "--epochs", "3",
            "--runs-dir", "/tmp/r", "--seed-text", "ROMEO:\n"]
    cmd = command.reproduce("poems", "train", argv, epochs=12)
    assert cmd == "python -m training poems train --corpus 'my texts/a.txt' --name x --epochs 12 --seed-text $'ROMEO:\\n'"
    assert command.reproduce("style", "train", ["--name", "a"], steps=40).endswith("--name a --steps 40")


def test_reproduced_command_round_trips_through_bash(tmp_path):
    words = ["--title", "it's \"quoted\"", "--seed", "A:\n\tB"]
    line = command.join(words)
    out = subprocess.run(["bash", "-c", f"printf '%s\\0' {line}"], capture_output=True, check=True).stdout
    assert out.decode().split("\0")[:-1] == words


def test_atomic_json_and_trimmed_csv(tmp_path):
    files.write_json(tmp_path / "a.json", {"č": [1, 2]})
    assert files.read_json(tmp_path / "a.json") == {"č": [1, 2]}
    assert "č" in (tmp_path / "a.json").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    log = tmp_path / "log.csv"
    for step in (1, 2, 3, 4):
        files.append_csv(log, {"step": step, "loss": 1.0 / step})
    files.trim_csv(log, "step", 2)
    assert [r["step"] for r in files.read_csv(log)] == ["1", "2"]
    assert files.folder_bytes(tmp_path) == sum(p.stat().st_size for p in tmp_path.iterdir())


def test_run_names_and_missing_runs_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="lowercase"):
        runs.run_dir("poems", "Bad Name", tmp_path)
    with pytest.raises(UserError, match="train it first"):
        runs.existing_run("poems", "nothing-here", tmp_path)
    state = runs.RunState(runs.run_dir("poems", "ok", tmp_path), {"epoch": 0})
    state["epoch"] = 3
    state.save()
    assert runs.RunState(tmp_path / "poems" / "ok")["epoch"] == 3


def test_clock_budget():
    assert not runs.WallClock(None).exhausted()
    assert runs.WallClock(1e-9).exhausted()
    assert runs.WallClock(10).remaining > 590


def test_card_builder_insists_every_metric_says_how_it_was_measured():
    base = dict(studio="poems", name="x", title="X", description="d",
                training={"dataset": "d", "dataset_licence": "CC0", "command": "c", "wall_time_s": 1, "epochs": 1,
                          "hardware": "test"})
    with pytest.raises(ValueError, match="val_bpc"):
        build_card(**base, metrics={"val_bpc": 1.0}, metrics_method={})
    with pytest.raises(ValueError, match="typo"):
        build_card(**base, metrics={"val_bpc": 1.0}, metrics_method={"val_bpc": "m", "typo": "m"})
    card = build_card(**base, metrics={"val_bpc": 1.0}, metrics_method={"val_bpc": "last 10%"})
    assert card["training"]["date"] and card["metrics_method"] == {"val_bpc": "last 10%"}


@pytest.mark.parametrize("argv", [
    ["poems", "train", "--corpus", "/nonexistent/corpus", "--name", "x"],
    ["latent", "export", "--name", "no-such-run"],
    ["gan", "export", "--name", "no-such-run"],
    ["style", "export", "--name", "no-such-run"],
])
def test_user_errors_are_one_line_and_exit_2(argv, tmp_path):
    env = {**os.environ, "MUZA_RUNS": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "training", *argv], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr


def test_unknown_studio_prints_usage():
    proc = subprocess.run([sys.executable, "-m", "training", "sculpture"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and "usage: python -m training {poems" in proc.stderr
