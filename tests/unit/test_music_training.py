"""`python -m training music train | export | sample` on a tiny ABC corpus: the poems trainer with the
ABC reader (runs/music/NAME, key shifts kept on resume), the export with the musical figures on the
card, the sampler command, errors as one line, and MirroredStrategy over two logical CPUs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.__main__ import main as training_main
from training.kit.export import validate_card
from training.music import cli

pytestmark = pytest.mark.train
REPO = Path(__file__).resolve().parents[2]
TINY = ["--layers", "1", "--units", "24", "--embed", "8", "--batch", "8", "--seq-len", "32", "--lr", "0.01",
        "--sample-length", "0", "--verbose", "0", "--threads", "1"]
PHRASES = ["GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|", "g2gf gdBd|g2f2 e2d2|c2ec B2dB|c2A2 A2df|",
           "ABcd efga|g2e2 d2B2|c2A2 B2G2|A4 A4|", "d2fd Adfd|g2bg egfe|d2fd Adfd|e2A2 A4|"]


def write_corpus(folder: Path, tunes: int = 16) -> Path:
    folder.mkdir(parents=True)
    for f in range(2):
        text = "\n".join(
            f"X:{i}\nT:Tune {f}-{i}\nS:a source line the reader drops\nM:4/4\nL:1/8\nK:{'GDAC'[i % 4]}\n"
            f"|:{PHRASES[i % 4]}\n{PHRASES[(i + 1) % 4][:-1]}:|\n|:{PHRASES[(i + 2) % 4]}\n{PHRASES[(i + 3) % 4][:-1]}:|\n"
            for i in range(1, tunes // 2 + 1))
        (folder / f"file{f}.abc").write_text(text, encoding="utf-8")
    (folder / "LICENSE.md").write_text("not a tune file\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("music")
    corpus = write_corpus(root / "tunes")
    runs = root / "runs"
    assert cli.main(["train", "--corpus", str(corpus), "--name", "folk", "--runs-dir", str(runs), *TINY,
                     "--epochs", "2", "--snapshots", "1", "--transpose", "0,5", "--val-fraction", "0.25"]) == 0
    out = root / "exported" / "folk"
    assert cli.main(["export", "--name", "folk", "--runs-dir", str(runs), "--out", str(out), "--probe-chars", "40",
                     "--figure-tunes", "3", "--figure-max-chars", "120", "--dataset-licence", "GPL-3.0"]) == 0
    return {"root": root, "corpus": corpus, "runs": runs, "run": runs / "music" / "folk", "out": out}


def test_the_run_reads_tunes_in_every_key_shift(work):
    config = json.loads((work["run"] / "config.json").read_text())
    assert config["studio"] == "music" and config["split_by"] == "tunes" and config["val_fraction"] == 0.25
    assert "--transpose" in config["argv"] and config["command"].startswith("python -m training music train ")
    assert (work["run"] / "best.weights.npz").exists()


def test_export_holds_the_model_the_tunes_and_the_figures(work):
    out = work["out"]
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    validate_card(card)
    assert card["studio"] == "music" and card["name"] == "folk" and card["training"]["dataset_licence"] == "GPL-3.0"
    assert "--transpose 0,5" in card["training"]["command"]
    for which in ("real", "sampled", "bar_aware"):
        for share in ("abc2midi_parse_share", "bar_length_share", "repeat_structure_share"):
            assert 0 <= card["metrics"][f"{share}_{which}"] <= 1 and card["metrics_method"][f"{share}_{which}"]
    assert card["metrics"]["figure_tunes"] == 3
    assert card["metrics"]["bar_length_share_real"] == 1.0 and card["metrics"]["repeat_structure_share_real"] == 1.0
    assert "bar-aware mask" in card["metrics_method"]["bar_length_share_bar_aware"]
    extras = card["extras"]
    assert extras["split_units"] == "tunes" and extras["transpose"] == [0, 5] and extras["ticks_per_unit"] == 96
    assert extras["default_seed"].startswith("X:1\nT:") and extras["default_seed"].endswith("\n")
    assert [s["epoch"] for s in extras["snapshots"]] == [1]
    assert set(card["files"]) >= {"model.json", "vocab.json", "real_lines.json", "reference.json", "figures.json",
                                  "snapshots/epoch-001/model.json"}
    real = json.loads((out / "real_lines.json").read_text())["lines"]
    assert len(real) == 4 and all(t.startswith("X:1\nT:Tune ") and "\nK:" in t and "S:" not in t for t in real)
    figures = json.loads((out / "figures.json").read_text())
    assert set(figures["sets"]) == {"real", "sampled", "bar_aware"} and len(figures["examples"]["bar_aware"]) == 3
    snap = json.loads((out / "snapshots" / "epoch-001" / "card.json").read_text())
    validate_card(snap)
    assert snap["extras"] == {"snapshot_of": "music/folk", "epoch": 1}
    assert not (work["run"] / "staging").exists()


def test_sample_writes_a_tune_after_a_header(work, capsys, tmp_path):
    midi = tmp_path / "tune.mid"
    header = "X:1\nT:Tune\nM:4/4\nL:1/8\nK:G\n"
    assert cli.main(["sample", "--name", "folk", "--runs-dir", str(work["runs"]), "--rng-seed", "3", "--seed", header,
                     "--length", "200", "--midi", str(midi)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(header) and "characters" in out.err
    assert cli.main(["sample", "--name", "folk", "--runs-dir", str(work["runs"])]) == 2  # "A Jig": J, i unknown here
    assert "characters the model does not know: 'Ji'" in capsys.readouterr().err
    assert cli.main(["sample", "--model", str(work["out"]), "--seed", "X:1\nT:Tune\nM:8/4\nK:G\n"]) == 2
    assert "bar-aware grammar" in capsys.readouterr().err


def test_resume_keeps_the_key_shifts_and_errors_are_one_line(work, capsys):
    args = ["train", "--corpus", str(work["corpus"]), "--name", "folk", "--runs-dir", str(work["runs"]), *TINY]
    assert cli.main([*args, "--resume", "--transpose", "0,7"]) == 2
    assert "was started with [0, 5]" in capsys.readouterr().err
    bad = work["root"] / "bad"
    bad.mkdir()
    (bad / "x.abc").write_text("X:1\nT:No key\nM:4/4\nABcd|\n", encoding="utf-8")
    assert training_main(["music", "train", "--corpus", str(bad), "--name", "bad", "--runs-dir", str(work["runs"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: x.abc, tune X:1 ('No key'): music before the K: field") and err.count("\n") == 1
    assert training_main(["music", "export", "--name", "nothing", "--runs-dir", str(work["runs"])]) == 2
    assert "no music training run 'nothing'" in capsys.readouterr().err


MIRRORED = """
import sys
from training.kit.machine import logical_cpus
logical_cpus(2)
from training.music import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_mirrored_strategy_on_two_logical_cpus(work):
    args = ["train", "--corpus", str(work["corpus"]), "--name", "mirrored", "--runs-dir", str(work["runs"]), *TINY,
            "--epochs", "1", "--strategy", "mirrored", "--transpose", "0,2"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", MIRRORED, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 replica(s)" in proc.stdout
    state = json.loads((work["runs"] / "music" / "mirrored" / "state.json").read_text())
    assert state["epoch"] == 1 and state["best_val_bpc"] is not None


def test_batched_rows_step_as_the_one_step_model_alone(work):
    import numpy as np

    from training.music.sampler import BatchRunner
    from training.poems.model import architecture, load_model_dir, step_model_from
    from training.poems.sample import StepRunner

    config, weights = load_model_dir(work["out"])
    model = step_model_from(weights, architecture(config), len(config["chars"]))
    ids = [[config["chars"].index(c) for c in text] for text in ("X:1\nT:Tune\nK:G\nGABc|", "X:1\nT:Tune\nK:D\nd2fd|")]
    batch = BatchRunner(model, 2)
    batch.reset()
    rows = [batch.step([a, b]) for a, b in zip(*ids)]
    alone = StepRunner(model)
    for r, seq in enumerate(ids):
        alone.reset()
        for t, i in enumerate(seq):
            assert np.abs(alone.step(i) - rows[t][r]).max() < 1e-5
