"""Poems training, exact resume, export round trip, fine-tuning and MirroredStrategy on tiny corpora."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.unit.poems_testdata import CYRILLIC_WORDS, LATIN_WORDS, write_block_corpus, write_folder_corpus
from training.kit.export import sha256_file, validate_card
from training.poems import cli
from training.poems.batches import stream_steps
from training.poems.corpus import read_text_corpus
from training.poems.model import build_model, extend_vocab_weights, load_weights_npz, set_weights_by_layer
from training.poems.sample import softmax

pytestmark = pytest.mark.train
REPO = Path(__file__).resolve().parents[2]
TINY = ["--layers", "2", "--units", "24", "--embed", "8", "--batch", "8", "--seq-len", "32", "--lr", "0.01",
        "--sample-length", "0", "--verbose", "0", "--patience", "0"]


def train(runs: Path, corpus: Path, name: str, *extra: str) -> int:
    return cli.main(["train", "--corpus", str(corpus), "--name", name, "--runs-dir", str(runs), *TINY, *extra])


def npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("poems")
    latin = write_block_corpus(root / "latin" / "pjesme.txt", LATIN_WORDS, blocks=50)
    cyr = write_block_corpus(root / "cyr" / "песме.txt", CYRILLIC_WORDS, blocks=50, seed=5)
    runs = root / "runs"
    assert train(runs, latin, "latin", "--epochs", "3", "--dropout", "0.1", "--snapshots", "1,3",
                 "--sample-length", "20") == 0
    return {"root": root, "latin": latin, "cyr": cyr, "runs": runs, "run": runs / "poems" / "latin"}


@pytest.fixture(scope="module")
def latin_export(work):
    out = work["root"] / "exported" / "latin"
    assert cli.main(["export", "--name", "latin", "--runs-dir", str(work["runs"]), "--out", str(out),
                       "--float16-tolerance", "1", "--probe-chars", "40"]) == 0
    return out


def test_run_folder_has_logs_checkpoint_and_snapshots(work):
    run = work["run"]
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 3 and state["step_in_epoch"] == 0
    assert state["finished"] == f"reached the planned {3 * state['steps_per_epoch']} steps" == f"reached the planned {state['steps']} steps"
    rows = (run / "log.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch,train_loss,val_loss,train_bpc,val_bpc") and len(rows) == 4
    vals = [h["val_bpc"] for h in state["history"]]
    assert all(np.isfinite(vals)) and vals[-1] < vals[0]  # it learns something
    assert state["best_val_bpc"] == min(vals)
    assert abs(state["history"][0]["val_bpc"] - state["history"][0]["val_loss"] / np.log(2)) < 1e-9
    assert (run / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (run / "samples.txt").read_text(encoding="utf-8").count("=== epoch") >= 1  # at most once a minute, and at the end
    assert sorted(p.name for p in (run / "snapshots").iterdir()) == ["epoch-001.weights.npz", "epoch-003.weights.npz"]
    assert len(list(run.glob("ckpt-*.index"))) == 1  # older checkpoints are pruned
    config = json.loads((run / "config.json").read_text())
    assert config["command"].startswith("python -m training poems train --corpus ")


def test_refuses_to_overwrite_a_run_without_resume(work, capsys):
    assert train(work["runs"], work["latin"], "latin", "--epochs", "1") == 2
    assert "--resume" in capsys.readouterr().err


def test_killed_run_resumes_exactly(work):
    """Kill (simulated) inside epoch 2 after a mid-epoch checkpoint; the resumed run ends with the same weights."""
    args = ("--epochs", "3", "--dropout", "0.1", "--snapshots", "1,3", "--checkpoint-steps", "5")
    n_batches = stream_steps(len(read_text_corpus(work["latin"]).train_text), 8, 32)
    halt = n_batches + 7  # epoch 2, two steps after the checkpoint at step 5 of the epoch
    assert train(work["runs"], work["latin"], "killed", *args, "--halt-after-steps", str(halt)) == 3
    run = work["runs"] / "poems" / "killed"
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 1 and 0 < state["step_in_epoch"] < n_batches  # the last checkpoint is mid-epoch
    assert train(work["runs"], work["latin"], "killed", "--resume") == 0  # epochs etc. come from the run


    ref, got = npz(work["run"] / "last.weights.npz"), npz(run / "last.weights.npz")
    assert ref.keys() == got.keys()
    for key in ref:
        np.testing.assert_array_equal(ref[key], got[key], err_msg=key)
    a = json.loads((work["run"] / "state.json").read_text())
    b = json.loads((run / "state.json").read_text())
    assert [h["val_loss"] for h in a["history"]] == [h["val_loss"] for h in b["history"]]
    assert b["best_epoch"] == a["best_epoch"] and b["snapshots"] == a["snapshots"]
    assert b["best_val_stateful"] == a["best_val_stateful"]
    assert b["wall_time_s"] > b["history"][0]["wall_time_s"] > 0
    # resuming a finished run trains no further
    assert train(work["runs"], work["latin"], "killed", "--resume") == 0
    assert json.loads((run / "state.json").read_text()) == b


@pytest.fixture(scope="module")
def cyr_run(work):
    """A Cyrillic run planned for 2 epochs whose first session is stopped by its own time limit inside epoch 1
    (the limit counts from the process start, long gone in pytest: the session makes its one step), then resumed."""
    runs, corpus = work["runs"], work["cyr"]
    args = ("--epochs", "2", "--snapshots", "1")
    assert train(runs, corpus, "cyr", *args, "--max-minutes", "0.0001", "--plan-minutes", "0") == 0
    run = runs / "poems" / "cyr"
    first = json.loads((run / "state.json").read_text())
    assert train(runs, corpus, "cyr", *args, "--resume") == 0
    return run, first


def test_time_budget_stops_inside_an_epoch_and_resumes(cyr_run):
    run, first = cyr_run
    assert first["epoch"] == 0 and first["step_in_epoch"] == first["steps"] == 1 and first["finished"] is None
    assert [h["step"] for h in first["history"]] == [1] and first["ckpt"] and first["plan_from"] == "caps"
    state = json.loads((run / "state.json").read_text())
    per_epoch = state["steps_per_epoch"]
    assert [h["epoch"] for h in state["history"]] == [round(1 / per_epoch, 4), 1, 2] and state["epoch"] == 2
    assert state["finished"] == f"reached the planned {2 * per_epoch} steps" and state["plan_from"] == "caps"
    assert state["wall_time_s"] >= first["wall_time_s"]


def _step_probs(model, ids):
    model.reset_states()
    out = None
    for i in ids:
        out = model(np.array([[i]], np.int32), training=False).numpy()[0]
    return softmax(out)


def _check_export(out: Path, run: Path, float16: bool):
    import tensorflowjs as tfjs

    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    validate_card(card)
    for rel, meta in card["files"].items():
        assert sha256_file(out / rel) == meta["sha256"] and (out / rel).stat().st_size == meta["bytes"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "card.json"}
    assert on_disk == set(card["files"])
    assert card["weights_dtype"] == ("float16" if float16 else "float32")

    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    vocab = json.loads((out / "vocab.json").read_text(encoding="utf-8"))
    assert vocab == {"chars": config["chars"], "normalization": "NFC"}
    assert card["metrics"]["vocab_size"] == len(vocab["chars"])
    state = json.loads((run / "state.json").read_text())
    assert card["metrics"]["val_bits_per_char"] == pytest.approx(state["best_val_bpc"], abs=2e-4)  # scored again
    assert card["metrics"]["val_nats_per_char_stateful"] == pytest.approx(state["best_val_stateful"], abs=2e-4)
    assert set(card["metrics"]) == set(card["metrics_method"])

    model_json = json.loads((out / "model.json").read_text())
    assert model_json["format"] == "layers-model"
    layers = model_json["modelTopology"]["model_config"]["config"]["layers"]
    assert layers[0]["config"]["batch_input_shape"] == [1, 1]
    assert all(l["config"].get("stateful") for l in layers if l["class_name"] == "LSTM")
    assert layers[-1]["class_name"] == "Dense" and layers[-1]["config"]["activation"] == "linear"

    # the stateful one-step copy, fed one character at a time, gives the training model's last-step distribution
    step = tfjs.converters.load_keras_model(str(out / "model.json"))
    assert step.output_shape == (1, len(vocab["chars"]))
    weights = load_weights_npz(run / "best.weights.npz")
    trainer = build_model(len(vocab["chars"]), config["layers"], config["units"], config["embed"])
    set_weights_by_layer(trainer, weights)
    ref = json.loads((out / "reference.json").read_text(encoding="utf-8"))
    ids = [vocab["chars"].index(c) for c in ref["primer"]]
    assert ids == ref["primer_ids"]
    train_last = softmax(trainer(np.array([ids], np.int32), training=False).numpy()[0, -1])
    got = _step_probs(step, ids)
    tol = 1e-5 + (card["metrics"]["float16_max_prob_diff"] * 2 if float16 else 0)
    assert np.abs(got - train_last).max() <= tol
    assert np.abs(got - np.array(ref["probs_exported"])).max() < 1e-5
    assert np.abs(np.array(ref["probs_float32"]) - train_last).max() < 1e-5
    assert abs(sum(ref["probs_float32"]) - 1) < 1e-4
    # reset between generations: the same primer gives the same distribution again
    assert np.abs(_step_probs(step, ids) - got).max() < 1e-6

    lines = json.loads((out / "real_lines.json").read_text(encoding="utf-8"))["lines"]
    corpus = read_text_corpus(config["corpus"], config["val_fraction"], config["seed"])
    assert lines and all(line in corpus.val_text for line in lines)
    return card


def test_export_round_trip_float16_with_snapshots(work, latin_export):
    out = latin_export
    card = _check_export(out, work["run"], float16=True)
    snaps = card["extras"]["snapshots"]
    assert [s["epoch"] for s in snaps] == [1, 3]
    state = json.loads((work["run"] / "state.json").read_text())
    for s in snaps:
        assert (out / s["entry"]).exists()
        assert s["val_bits_per_char"] == round(state["history"][s["epoch"] - 1]["val_bpc"], 4)
        manifest = json.loads((out / s["entry"]).read_text())["weightsManifest"]
        assert all(w["quantization"]["dtype"] == "uint8" for group in manifest for w in group["weights"])
    assert card["extras"]["stateful"] is True and card["extras"]["output"] == "logits [1,V]"
    assert "--init-from" not in card["training"]["command"] and "--epochs 3" in card["training"]["command"]


def test_export_cyrillic_float32_and_sampler(work, cyr_run, capsys):
    runs = work["runs"]
    out = work["root"] / "exported" / "cyr"
    assert cli.main(["export", "--name", "cyr", "--runs-dir", str(runs), "--out", str(out), "--no-float16",
                       "--probe-chars", "40"]) == 0
    card = _check_export(out, runs / "poems" / "cyr", float16=False)
    assert any("\u0400" <= c <= "\u04ff" for c in card["extras"]["default_seed"])
    capsys.readouterr()

    chars = set(json.loads((out / "vocab.json").read_text(encoding="utf-8"))["chars"])
    outputs = []
    for model in (str(out), str(runs / "poems" / "cyr")):
        assert cli.main(["sample", "--model", model, "--seed", "Марко QZ", "--length", "30", "--rng-seed", "7",
                           "--top-p", "0.9"]) == 0
        cap = capsys.readouterr()
        assert "Q" in cap.err and "Z" in cap.err  # unknown seed characters are reported, not a crash
        text = cap.out[:-1]
        assert text.startswith("Марко QZ") and len(text) == len("Марко QZ") + 30
        assert set(text[len("Марко QZ"):]) <= chars
        outputs.append(text)
    assert outputs[0] == outputs[1]  # the exported float32 model samples exactly like the run's weights


def test_previous_export_is_scored_on_the_runs_split(work, latin_export, cyr_run, capsys):
    """--previous: an earlier export scored on this run's held-out split, as the card's own figure is."""
    out = work["root"] / "exported" / "latin-again"
    assert cli.main(["export", "--name", "latin", "--runs-dir", str(work["runs"]), "--out", str(out), "--no-float16",
                     "--probe-chars", "20", "--previous", str(latin_export)]) == 0
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    m = card["metrics"]
    # the earlier export holds the same weights rounded to float16: through tfjs files and back, the same figure
    assert m["previous_model_val_nats_per_char"] == pytest.approx(m["val_nats_per_char"], abs=2e-3)
    assert m["previous_model_val_nats_per_char_stateful"] == pytest.approx(m["val_nats_per_char_stateful"], abs=2e-3)
    assert "previous_model_heldout_seen" not in m  # same split: nothing of it was trained on
    assert "exported weights scored on this card's held-out split" in card["metrics_method"]["previous_model_val_nats_per_char"]
    capsys.readouterr()
    rc = cli.main(["export", "--name", "latin", "--runs-dir", str(work["runs"]), "--out", str(out), "--no-float16",
                   "--probe-chars", "20", "--previous", str(work["runs"] / "poems" / "cyr")])
    assert rc == 2 and "vocabulary differs" in capsys.readouterr().err


def test_failed_export_keeps_previous_model(work, latin_export, capsys):
    out = latin_export
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rc = cli.main(["export", "--name", "latin", "--runs-dir", str(work["runs"]), "--out", str(out),
                     "--no-float16", "--max-mb", "0.001", "--probe-chars", "20"])
    assert rc == 2 and "--max-mb" in capsys.readouterr().err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_extend_vocab_copies_known_rows():
    rng = np.random.default_rng(0)
    old = ["\n", "a", "b"]
    w = {"embed": [rng.normal(size=(3, 4)).astype("float32")],
         "logits": [rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=3).astype("float32")],
         "lstm1": [np.ones((4, 20), "float32")]}
    new = extend_vocab_weights(w, old, old + ["č", "ж"])
    assert new["embed"][0].shape == (5, 4) and new["logits"][0].shape == (5, 5) and new["logits"][1].shape == (5,)
    np.testing.assert_array_equal(new["embed"][0][:3], w["embed"][0])
    np.testing.assert_array_equal(new["logits"][0][:, :3], w["logits"][0])
    np.testing.assert_array_equal(new["logits"][1][:3], w["logits"][1])
    assert np.abs(new["embed"][0][3:]).max() < 0.1 and (new["logits"][1][3:] < w["logits"][1].min()).all()
    assert new["lstm1"] is w["lstm1"]


def test_fine_tune_extends_vocabulary_and_helps(work):
    runs, root = work["runs"], work["root"]
    folder = write_folder_corpus(root / "ft", LATIN_WORDS, files=12, seed=9)
    (folder / "pjesma-000.txt").write_text("Über Qosovo ÿ polje\n" + (folder / "pjesma-000.txt").read_text("utf-8"),
                                           encoding="utf-8")
    assert train(runs, folder, "ft", "--epochs", "1", "--init-from", str(work["run"]), "--units", "99") == 0
    assert train(runs, folder, "scratch", "--epochs", "1") == 0
    src = json.loads((work["run"] / "config.json").read_text(encoding="utf-8"))
    cfg = json.loads((runs / "poems" / "ft" / "config.json").read_text(encoding="utf-8"))
    assert cfg["chars"][:len(src["chars"])] == src["chars"]
    assert {"Ü", "Q", "ÿ"} <= set(cfg["chars"][len(src["chars"]):])
    assert cfg["units"] == src["units"] == 24  # the network comes from the source run
    ft = json.loads((runs / "poems" / "ft" / "state.json").read_text())["best_val_bpc"]
    scratch = json.loads((runs / "poems" / "scratch" / "state.json").read_text())["best_val_bpc"]
    assert ft < scratch - 0.1
    out = root / "exported" / "ft"
    assert cli.main(["export", "--name", "ft", "--runs-dir", str(runs), "--out", str(out),
                       "--probe-chars", "20"]) == 0
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    command = card["training"]["command"]
    assert command.count("python -m training poems train ") == 2 and "--init-from" in command.split("&&")[1]
    assert f"--corpus {work['latin']}" in command.split("&&")[0]  # the source run's own command comes first
    assert card["training"]["init_from"]["path"] == str(work["run"].resolve())


def test_average_is_the_mean_of_the_steps_and_survives_a_checkpoint(tmp_path):
    from training.poems.train import Average

    rng = np.random.default_rng(3)
    steps = [[rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=4).astype(np.float32)] for _ in range(5)]
    avg = Average(0.5)
    assert not avg.due(5, 10) and avg.due(6, 10) and not avg.due(6, None) and not Average(None).due(9, 10)
    for w in steps[:2]:
        avg.add(w)
    avg.save(tmp_path / "a.npz")
    resumed = Average(0.5)
    resumed.load(tmp_path / "a.npz")
    for w in steps[2:]:
        resumed.add(w)
    assert resumed.count == 5
    for i, got in enumerate(resumed.weights()):
        np.testing.assert_allclose(got, np.mean([w[i] for w in steps], axis=0), rtol=1e-6)


def test_weight_averaging_run_keeps_the_mean_and_resumes_exactly(work):
    """--average-from: training itself is unchanged (the last weights equal a plain run's), the best weights are
    the mean of the last half of the steps, and a run killed after a checkpoint inside the averaging resumes to
    the same mean."""
    runs, corpus = work["runs"], work["latin"]
    common = ("--steps", "8", "--dropout", "0.1", "--snapshots", "99")
    assert train(runs, corpus, "plain8", *common) == 0
    assert train(runs, corpus, "avg8", *common, "--average-from", "0.5") == 0
    assert train(runs, corpus, "avg8-killed", *common, "--average-from", "0.5", "--checkpoint-steps", "6",
                 "--halt-after-steps", "7") == 3
    assert train(runs, corpus, "avg8-killed", "--resume") == 0
    plain, avg, killed = (runs / "poems" / n for n in ("plain8", "avg8", "avg8-killed"))
    for key, value in npz(plain / "last.weights.npz").items():
        np.testing.assert_array_equal(npz(avg / "last.weights.npz")[key], value, err_msg=key)
    best, last = npz(avg / "best.weights.npz"), npz(avg / "last.weights.npz")
    assert any(not np.array_equal(best[k], last[k]) for k in best)
    for key, value in best.items():
        np.testing.assert_array_equal(npz(killed / "best.weights.npz")[key], value, err_msg=key)
    state = json.loads((avg / "state.json").read_text())
    final = state["history"][-1]
    assert final["averaged_steps"] == 4 and final["val_loss"] != final["val_loss_raw"]
    assert json.loads((killed / "state.json").read_text())["history"][-1]["val_loss"] == final["val_loss"]
    rows = (avg / "log.csv").read_text().splitlines()
    assert rows[0].endswith("val_loss_raw,averaged_steps")


MIRRORED = """
import sys
from training.kit.machine import logical_cpus
logical_cpus(2)
from training.poems import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_mirrored_strategy_on_two_logical_cpus(work):
    args = ["train", "--corpus", str(work["cyr"]), "--name", "mirrored", "--runs-dir", str(work["runs"]), *TINY,
            "--epochs", "1", "--dropout", "0.1", "--strategy", "mirrored", "--threads", "1"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", MIRRORED, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 replica(s)" in proc.stdout
    state = json.loads((work["runs"] / "poems" / "mirrored" / "state.json").read_text())
    vocab = len(json.loads((work["runs"] / "poems" / "mirrored" / "config.json").read_text())["chars"])
    assert state["epoch"] == 1 and state["best_val_bpc"] < np.log2(vocab) - 0.5  # better than guessing uniformly


class TuneCorpus:
    """A reader of another studio: the poems text reader with its own unit name, lines and extras."""

    @staticmethod
    def read(path, **options):
        corpus = read_text_corpus(path, **options)
        corpus.split_by = "tunes"
        corpus.real_lines = lambda limit=300, seed=0, min_len=25, max_len=90: ["X:1 a real tune line"][:limit]
        corpus.extras = lambda: {"notation": "abc"}
        return corpus


def test_another_studio_reuses_the_trainer(work):
    """The studio name and the reader are parameters: runs/<studio>/, exported card studio, reader's lines."""
    from training.kit import cli as kit_cli

    commands = cli.commands("music", TuneCorpus.read)
    runs = work["runs"]
    assert kit_cli.main("music", "tunes", commands, ["train", "--corpus", str(work["latin"]), "--name", "tunes",
                                                     "--runs-dir", str(runs), *TINY, "--epochs", "1"]) == 0
    run = runs / "music" / "tunes"
    assert json.loads((run / "config.json").read_text())["split_by"] == "tunes"
    out = work["root"] / "exported" / "music" / "tunes"
    assert kit_cli.main("music", "tunes", commands, ["export", "--name", "tunes", "--runs-dir", str(runs), "--out",
                                                     str(out), "--probe-chars", "20", "--primer", "Marko"]) == 0
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    validate_card(card)
    assert card["studio"] == "music" and card["extras"]["notation"] == "abc"
    assert card["training"]["command"].startswith("python -m training music train ")
    assert "whole tunes" in card["metrics_method"]["val_bits_per_char"]
    assert json.loads((out / "real_lines.json").read_text())["lines"] == ["X:1 a real tune line"]
