"""Training steps, exact resume, budget, Gatys, report and export round trip on tiny images."""
import csv
import json
import shlex

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.train

from training.kit import cli as kit_cli  # noqa: E402
from training.kit.command import reproduce  # noqa: E402
from training.kit.export import validate_card  # noqa: E402
from training.style import cli, export, gatys, train  # noqa: E402
from training.style.losses import LossNet  # noqa: E402

from tests.unit.style_testdata import SIZE, train_args, write_style_data  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def eager():
    """Run tf.functions eagerly: on 32x32 images a step costs milliseconds, while
    tracing and optimising the training graph takes tens of seconds on a busy CPU."""
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_style_data(tmp_path_factory.mktemp("style_data"))


def restored(runs, name):
    run = runs / "style" / name
    trainer = train.Trainer(json.loads((run / "config.json").read_text()), run)
    step = trainer.restore()
    return trainer, step


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """A run trained 4 steps straight (a snapshot after 2); used by resume, report and export tests."""
    runs = tmp_path_factory.mktemp("runs")
    assert cli.main(train_args(data, runs, "straight", 4, "--sample-every", "2", "--snapshot-every", "2")) == 0
    return runs


def test_training_steps_decrease_the_loss(trained):
    import tensorflow as tf

    trainer, _ = restored(trained, "straight")  # changed in memory only
    images, _ = trainer.batch(0)
    losses = [float(trainer.train_step(tf.constant(images), tf.constant(1, tf.int32))["total"]) for _ in range(12)]
    assert losses[-1] < 0.8 * losses[0], losses
    assert all(np.isfinite(losses))


def test_run_folder_log_samples_and_card_command(trained):
    run = trained / "style" / "straight"
    with open(run / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert {int(r["style"]) for r in rows} <= {0, 1}
    assert (run / "samples" / "step_000002.png").exists() and (run / "samples" / "latest.png").exists()
    with Image.open(run / "samples" / "latest.png") as grid:
        assert grid.size[1] == 3 * 128  # header row + 2 styles
    state = json.loads((run / "state.json").read_text())
    assert state["step"] == 4 and state["wall_time_s"] > 0 and state["checkpoint"] == "ckpt/ckpt-4"
    config = json.loads((run / "config.json").read_text())
    cmd = reproduce("style", "train", config["argv"], steps=4)
    assert "--steps 4" in cmd and "--resume" not in cmd and "--no-skimage" in cmd and "--runs-dir" not in cmd
    # the reproduce command parses back into the same config
    args = kit_cli.parser("style", cli.DESCRIPTION, cli.COMMANDS).parse_args(shlex.split(cmd)[4:])
    assert train.train_config(args) == {k: v for k, v in config.items() if k != "argv"}


def test_exact_resume(data, trained, tmp_path, capsys):
    runs = trained
    assert cli.main(train_args(data, runs, "split", 2)) == 0
    capsys.readouterr()
    assert cli.main(train_args(data, runs, "split", 4)) == 2  # refuses to overwrite without --resume
    assert "pass --resume" in capsys.readouterr().err
    assert cli.main(["train", "--name", "split", "--resume", "--steps", "4", "--runs-dir", str(runs),
                     "--sample-every", "0", "--snapshot-every", "0"]) == 0
    a, step_a = restored(runs, "straight")
    b, step_b = restored(runs, "split")
    assert step_a == step_b == 4
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    assert int(a.optimizer.iterations.numpy()) == int(b.optimizer.iterations.numpy()) == 4
    log_a = (runs / "style" / "straight" / "log.csv").read_text().splitlines()
    log_b = (runs / "style" / "split" / "log.csv").read_text().splitlines()
    assert [r.split(",")[:6] for r in log_a] == [r.split(",")[:6] for r in log_b]
    state = json.loads((runs / "style" / "split" / "state.json").read_text())
    assert len(state["sessions"]) == 2 and state["wall_time_s"] >= state["sessions"][0]["seconds"]


def test_cosine_learning_rate_is_applied_and_resumes_exactly(data, tmp_path):
    """--lr-decay-steps: the optimizer's rate follows the cosine (the checkpoint holds the last step's), and a run
    split over two sessions ends where the straight one does."""
    config = {"lr": 0.01, "lr_decay_steps": 4, "lr_floor": 0.1}
    assert [round(train.lr_at(config, s), 6) for s in range(6)] == [0.01, 0.008682, 0.0055, 0.002318, 0.001, 0.001]
    assert train.lr_at({"lr": 0.01}, 3) == 0.01
    decay = ("--lr-decay-steps", "4", "--lr-floor", "0.1")
    assert cli.main(train_args(data, tmp_path, "cos", 4, *decay)) == 0
    assert cli.main(train_args(data, tmp_path, "cos-split", 2, *decay)) == 0
    assert cli.main(["train", "--name", "cos-split", "--resume", "--steps", "4", "--runs-dir", str(tmp_path),
                     "--sample-every", "0", "--snapshot-every", "0"]) == 0
    a, _ = restored(tmp_path, "cos")
    b, _ = restored(tmp_path, "cos-split")
    assert float(a.optimizer.learning_rate.numpy()) == pytest.approx(0.002318, abs=1e-6)  # the last step's rate
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    config = json.loads((tmp_path / "style" / "cos" / "config.json").read_text())
    assert (config["lr_decay_steps"], config["lr_floor"]) == (4, 0.1)


def test_wall_clock_budget_stops_early(data, tmp_path):
    assert cli.main(train_args(data, tmp_path, "budget", 1000, "--max-minutes", "0.0001")) == 0
    state = json.loads((tmp_path / "style" / "budget" / "state.json").read_text())
    assert state["step"] < 1000
    assert (tmp_path / "style" / "budget" / "ckpt" / "checkpoint").exists()


def test_gatys_lowers_its_loss(data, tmp_path):
    styles, content = data
    net = LossNet("random")
    with Image.open(content / "photo0.png") as im:
        c = np.asarray(im.convert("RGB"), np.float32)[:SIZE, :SIZE]
    with Image.open(styles / "stripes.png") as im:
        s = np.asarray(im.convert("RGB"), np.float32)
    seen = []
    image, final, history = gatys.gatys_optimize(c, s, net, {"content": 1.0, "style": 10.0, "tv": 1.0}, 8,
                                                 callback=lambda it, img, terms: seen.append(it))
    assert final["total"] < 0.7 * history[0]
    assert seen and seen[0] == 1
    assert image.shape == c.shape and image.min() >= 0 and image.max() <= 255
    out = tmp_path / "g" / "out.png"
    assert cli.main(["gatys", "--content", str(content / "photo1.png"), "--style", str(styles / "checks.png"),
                       "--out", str(out), "--size", "32", "--iterations", "4", "--save-every", "2"]) == 0
    assert out.exists() and (tmp_path / "g" / "out_iter0002.png").exists()
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["final"]["total"] < summary["initial_loss"]


def test_report_and_export_round_trip(trained, tmp_path):
    runs = trained
    assert cli.main(["report", "--name", "straight", "--runs-dir", str(runs), "--gatys-iterations", "3",
                     "--gatys-images", "1"]) == 0
    report = json.loads((runs / "style" / "straight" / "report.json").read_text())
    assert report["steps"] == 4 and report["eval_images"] == ["photo5"]
    assert len(report["fast"]["rows"]) == 2 and len(report["gatys"]["rows"]) == 2
    assert report["gatys"]["ratio_fast_to_gatys"] > 0
    assert report["command"] == ("python -m training style report --name straight --gatys-iterations 3 "
                                 "--gatys-images 1")
    # the Gatys results are cached for later reports of the same run (they do not depend on the fast net)
    cache = json.loads((runs / "style" / "straight" / "gatys_cache.json").read_text())
    assert sorted(v["total"] for v in cache.values()) == sorted(r["total"] for r in report["gatys"]["rows"])
    assert (runs / "style" / "straight" / "report" / "photo5_checks.png").exists()
    # Gatys' loss after every iteration is kept, and the iteration that reaches the fast net's loss read from it
    histories = json.loads((runs / "style" / "straight" / "gatys_history.json").read_text())
    assert set(histories) == set(cache) and all(2 <= len(h) <= 4 and h[-1] < h[0] for h in histories.values())
    for row in report["gatys"]["rows"]:
        h = next(h for k, h in histories.items() if json.loads(k)[2] == row["style"])
        assert h[-1] == pytest.approx(row["total"], rel=1e-5)
        m = row["matched_at_iteration"]
        assert m is None or (0 <= m < len(h) and all(x > h[m] for x in h[:m]))
    # held-out judges (default seeds 1-4): the same images scored by loss networks the run never used,
    # recomputed here from the saved Gatys PNG and the fast network's output
    judges = report["gatys"]["judges"]
    assert judges["seeds"] == [1, 2, 3, 4] and len(judges["per_judge"]) == 4
    trainer, _ = restored(runs, "straight")
    name, img = trainer.eval[0]
    per_pair = []
    judge = LossNet("random", seed=1, centre_gram=trainer.config["centre_gram"])
    feats = judge.features(img[None].astype(np.float32))
    for s in range(trainer.num_styles):
        with Image.open(runs / "style" / "straight" / "report" / "gatys" / f"{name}_{trainer.style_ids[s]}.png") as im:
            g = np.asarray(im.convert("RGB"), np.float32)
        target = judge.style_targets(trainer.style_images[s])
        f_out = trainer.stylise(img, np.eye(trainer.num_styles)[s])[0]
        per_pair.append((float(judge.losses(f_out[None], feats, target, trainer.weights)["total"]),
                         float(judge.losses(g[None], feats, target, trainer.weights)["total"])))
    first = judges["per_judge"][0]
    assert first["seed"] == 1
    assert first["fast_mean"] == pytest.approx(np.mean([f for f, _ in per_pair]), rel=1e-4)
    assert first["gatys_mean"] == pytest.approx(np.mean([g for _, g in per_pair]), rel=1e-4)
    assert first["ratio_fast_to_gatys"] == pytest.approx(np.mean([f / g for f, g in per_pair]), rel=1e-4)
    # another seed is another judge: its scores differ from the run's own loss network's
    assert abs(first["gatys_mean"] - report["gatys"]["mean"]["total"]) > 1e-3 * report["gatys"]["mean"]["total"]
    assert judges["ratio_fast_to_gatys"] == pytest.approx(np.mean([j["ratio_fast_to_gatys"] for j in judges["per_judge"]]))
    assert "Held-out judges" in (runs / "style" / "straight" / "report.md").read_text()

    out = tmp_path / "exported" / "straight"
    assert cli.main(["export", "--name", "straight", "--runs-dir", str(runs), "--out", str(out)]) == 0
    card = json.loads((out / "card.json").read_text())
    validate_card(card)
    assert card["name"] == "straight" and card["studio"] == "style" and card["format"] == "layers"
    assert set(card["files"]) >= {"model.json", "reference.json", "thumbnails/checks.jpg", "thumbnails/stripes.jpg"}
    assert [s["id"] for s in card["extras"]["styles"]] == ["checks", "stripes"]
    assert card["extras"]["custom_layers"] == ["ConditionalInstanceNorm"]
    assert card["extras"]["loss_network"].startswith("random-filters")
    assert card["metrics"]["perceptual_loss_light"] == pytest.approx(report["fast"]["mean"]["total"])
    assert "gatys_loss_reference" in card["metrics"] and card["training"]["steps"] == 4
    assert set(card["metrics_method"]) == set(card["metrics"])
    assert "photo5" in card["metrics_method"]["perceptual_loss"]
    # the stripe figure (training/style/stripes.py) of the fast network, the photos and Gatys
    assert 0 <= card["metrics"]["stripes"] <= 1 and card["metrics"]["stripes"] == pytest.approx(report["fast"]["mean"]["stripes"])
    assert 0 <= card["metrics"]["stripes_photos"] < 0.05 and 0 <= card["metrics"]["stripes_gatys"] <= 1
    assert all(0 <= r["stripes"] <= 1 for r in report["fast"]["rows"] + report["gatys"]["rows"])
    assert "Stripes (share of spectral energy" in (runs / "style" / "straight" / "report.md").read_text()
    assert "3 iterations" in card["metrics_method"]["gatys_loss_reference"]
    assert card["metrics"]["ratio_to_gatys_held_out_judges"] == pytest.approx(judges["ratio_fast_to_gatys"])
    assert card["metrics"]["ratio_to_gatys_per_judge"]["1"] == pytest.approx(first["ratio_fast_to_gatys"])
    # the card's command: the training (with the steps trained), the report, the export
    train_cmd, report_cmd, export_cmd = card["training"]["command"].split(" && ")
    assert train_cmd.startswith("python -m training style train --name straight ") and "--steps 4" in train_cmd
    assert report_cmd == report["command"]
    assert export_cmd == f"python -m training style export --name straight --out {out}"
    with Image.open(out / "thumbnails" / "checks.jpg") as thumb:
        assert thumb.size == (96, 96)

    topology = json.loads((out / "model.json").read_text())
    classes = [l["class_name"] for l in topology["modelTopology"]["model_config"]["config"]["layers"]]
    assert "ConditionalInstanceNorm" in classes
    # stock tfjs-layers refuses these SeparableConv2D fields: the export leaves them out
    separable = [l for l in topology["modelTopology"]["model_config"]["config"]["layers"]
                 if l["class_name"] == "SeparableConv2D"]
    assert separable and not any(k in l["config"] for l in separable
                                 for k in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"))
    names = [w["name"] for g in topology["weightsManifest"] for w in g["weights"]]
    assert any(n.endswith("/gamma") for n in names) and any(n.endswith("/beta") for n in names)

    ref = json.loads((out / "reference.json").read_text())
    x = np.asarray(ref["input"], np.float32).reshape(ref["height"], ref["width"], 3)
    np.testing.assert_array_equal(x, export.reference_input())
    reloaded = export.load_exported(out)
    for case in ref["cases"]:
        got = export.predict(reloaded, x, case["style"])
        np.testing.assert_allclose(got.ravel(), case["output"], atol=5e-4)
    # the original Keras model agrees within the float16 difference recorded in the card
    trainer, _ = restored(runs, "straight")
    keras_out = export.predict(trainer.model, x, ref["cases"][0]["style"])
    assert np.max(np.abs(keras_out.ravel() - np.asarray(ref["cases"][0]["output"]))) <= card["metrics"]["float16_max_abs_diff"] + 2e-3
    assert (out / "reference.json").stat().st_size < 300_000


def test_export_compares_with_another_run_at_equal_steps(data, trained, tmp_path):
    """The recipe's comparison: a Johnson-size run's report, and this run's snapshot at the same step."""
    runs = trained
    assert cli.main(train_args(data, runs, "johnson-tiny", 2, "--arch", "johnson")) == 0
    assert cli.main(["report", "--name", "johnson-tiny", "--runs-dir", str(runs), "--gatys-iterations", "0"]) == 0
    assert cli.main(["report", "--name", "straight", "--runs-dir", str(runs), "--snapshot", "2",
                     "--gatys-iterations", "0"]) == 0
    assert cli.main(["report", "--name", "straight", "--runs-dir", str(runs), "--gatys-iterations", "0"]) == 0
    out = tmp_path / "straight"
    assert cli.main(["export", "--name", "straight", "--runs-dir", str(runs), "--out", str(out),
                     "--compare-run", "johnson-tiny", "--float32"]) == 0
    card = json.loads((out / "card.json").read_text())
    m = card["metrics"]
    assert card["weights_dtype"] == "float32" and m["johnson_steps"] == 2 and m["johnson_parameters"] > 1.6e6
    assert m["comparison_config_differences"] == "none besides arch and steps"
    assert m["ratio_at_equal_steps"] == pytest.approx(m["perceptual_loss_light_at_2_steps"] / m["perceptual_loss_johnson_at_2_steps"])
    assert m["ratio"] == pytest.approx(m["perceptual_loss_light"] / m["perceptual_loss_johnson"])
    assert set(card["metrics_method"]) == set(m) and "johnson-tiny" in card["metrics_method"]["perceptual_loss_johnson"]
    commands = card["training"]["command"].split(" && ")
    assert [c.split()[4] for c in commands] == ["train", "report", "train", "report", "report", "export"]
    assert "--name johnson-tiny" in commands[0] and "--steps 2" in commands[0] and "--snapshot 2" in commands[3]


def test_export_compare_step_and_refused_comparisons(data, trained, tmp_path, capsys):
    """--compare-step: the comparison run's snapshot gives the equal-step figures, its final checkpoint
    the main ones; an unknown comparison run, or one without the report asked for, is a one-line error
    and writes nothing."""
    runs = trained
    out = tmp_path / "straight"
    base = ["export", "--name", "straight", "--runs-dir", str(runs), "--out", str(out), "--float32"]
    assert cli.main(base + ["--compare-run", "nobody"]) == 2
    assert "no style training run 'nobody'" in capsys.readouterr().err
    assert cli.main(train_args(data, runs, "johnson-steps", 4, "--arch", "johnson", "--snapshot-every", "2")) == 0
    capsys.readouterr()
    assert cli.main(base + ["--compare-run", "johnson-steps"]) == 2
    assert "no report; run python -m training style report --name johnson-steps" in capsys.readouterr().err
    assert cli.main(["report", "--name", "johnson-steps", "--runs-dir", str(runs), "--gatys-iterations", "0"]) == 0
    assert cli.main(base + ["--compare-run", "johnson-steps", "--compare-step", "2"]) == 2
    assert "--name johnson-steps --snapshot 2" in capsys.readouterr().err
    assert not out.exists()

    for name, snapshot in [("johnson-steps", "2"), ("straight", "2"), ("straight", None)]:
        assert cli.main(["report", "--name", name, "--runs-dir", str(runs), "--gatys-iterations", "0"]
                        + (["--snapshot", snapshot] if snapshot else [])) == 0
    assert cli.main(base + ["--compare-run", "johnson-steps", "--compare-step", "2"]) == 0
    card = json.loads((out / "card.json").read_text())
    validate_card(card)
    m = card["metrics"]
    report = lambda run, file: json.loads((runs / "style" / run / file).read_text())  # noqa: E731
    j_final, j_two = report("johnson-steps", "report.json"), report("johnson-steps", "report_step000002.json")
    light_two, light = report("straight", "report_step000002.json"), report("straight", "report.json")
    assert (j_final["steps"], j_two["steps"], light_two["steps"], light["steps"]) == (4, 2, 2, 4)
    assert m["johnson_steps"] == 4 and m["perceptual_loss_johnson"] == pytest.approx(j_final["fast"]["mean"]["total"])
    assert m["perceptual_loss_johnson_at_2_steps"] == pytest.approx(j_two["fast"]["mean"]["total"])
    assert m["perceptual_loss_light_at_2_steps"] == pytest.approx(light_two["fast"]["mean"]["total"])
    assert m["ratio_at_equal_steps"] == pytest.approx(light_two["fast"]["mean"]["total"] / j_two["fast"]["mean"]["total"])
    assert m["ratio"] == pytest.approx(light["fast"]["mean"]["total"] / j_final["fast"]["mean"]["total"])
    assert "at step 4" in card["metrics_method"]["perceptual_loss_johnson"]
    assert set(card["metrics_method"]) == set(m)
    commands = card["training"]["command"].split(" && ")
    assert [c.split()[4] for c in commands] == ["train", "report", "report", "train", "report", "report", "export"]
    assert "--name johnson-steps" in commands[0] and "--steps 4" in commands[0]
    assert "--snapshot" not in commands[1] and "--name johnson-steps" in commands[1]
    assert "--name johnson-steps " in commands[2] and commands[2].endswith("--snapshot 2")
    assert "--name straight " in commands[4] and commands[4].endswith("--snapshot 2") and "--snapshot" not in commands[5]
    assert commands[6].endswith("--compare-run johnson-steps --compare-step 2")


def test_user_errors_are_one_line(data, tmp_path, capsys):
    styles, content = data
    assert cli.main(["train", "--name", "x", "--runs-dir", str(tmp_path)]) == 2
    assert "needs --styles and --content" in capsys.readouterr().err
    assert cli.main(["train", "--name", "nostyles", "--styles", str(tmp_path / "missing"), "--content", str(content),
                     "--runs-dir", str(tmp_path)]) == 2
    assert "missing: no such image file or folder" in capsys.readouterr().err
    assert cli.main(["report", "--name", "never-trained", "--runs-dir", str(tmp_path)]) == 2
    assert "no style training run 'never-trained'" in capsys.readouterr().err
    assert cli.main(["gatys", "--content", str(tmp_path / "nope.png"), "--style", str(styles / "checks.png"),
                     "--out", str(tmp_path / "o.png")]) == 2
    assert "not a readable image" in capsys.readouterr().err


def test_reflect_padded_run_exports_its_pad_layers(data, tmp_path):
    """--padding reflect: the config keeps it (a resume rebuilds the same network), and the export names
    the ReflectPad layer for the browser and reloads to the same output."""
    runs = tmp_path / "runs"
    assert cli.main(train_args(data, runs, "mirror", 2, "--padding", "reflect")) == 0
    config = json.loads((runs / "style" / "mirror" / "config.json").read_text())
    assert config["padding"] == "reflect"
    assert cli.main(train_args(data, runs, "mirror", 3, "--resume")) == 0
    out = tmp_path / "exported" / "mirror"
    assert cli.main(["export", "--name", "mirror", "--runs-dir", str(runs), "--out", str(out)]) == 0
    card = json.loads((out / "card.json").read_text())
    validate_card(card)
    assert card["extras"]["custom_layers"] == ["ConditionalInstanceNorm", "ReflectPad"]
    assert card["extras"]["padding"] == "reflect" and card["training"]["steps"] == 3
    layers = json.loads((out / "model.json").read_text())["modelTopology"]["model_config"]["config"]["layers"]
    pads = [l for l in layers if l["class_name"] == "ReflectPad"]
    convs = [l for l in layers if l["class_name"] in ("Conv2D", "SeparableConv2D")]
    assert len(pads) == len(convs) and all(l["config"]["padding"] == "valid" for l in convs)
    model = export.load_exported(out)  # the tfjs files back into Keras
    ref = json.loads((out / "reference.json").read_text())
    image = np.asarray(ref["input"], np.float32).reshape(ref["height"], ref["width"], 3)
    for case in ref["cases"]:
        y = export.predict(model, image, np.asarray(case["style"], np.float32))
        assert np.abs(y.ravel() - np.asarray(case["output"])).max() < 1e-2


def test_widths_and_blocks_shape_the_light_network_through_resume_and_export(data, tmp_path, capsys):
    """--widths/--blocks: the config keeps them, a resume rebuilds that network (its checkpoint loads), and the
    export writes those layers; a malformed shape, or one for the Johnson network, is one error line."""
    runs = tmp_path / "runs"
    assert cli.main(train_args(data, runs, "wide", 2, "--widths", "8,16,24,16,8", "--blocks", "2")) == 0
    config = json.loads((runs / "style" / "wide" / "config.json").read_text())
    assert config["widths"] == [8, 16, 24, 16, 8] and config["blocks"] == 2
    assert cli.main(train_args(data, runs, "wide", 3, "--resume")) == 0
    trainer, step = restored(runs, "wide")
    assert step == 3
    sep = [l for l in trainer.model.layers if l.__class__.__name__ == "SeparableConv2D"]
    assert [l.filters for l in sep] == [24] * 4 + [16, 8]  # two blocks of two, then the two upsampling stages
    out = tmp_path / "exported" / "wide"
    assert cli.main(["export", "--name", "wide", "--runs-dir", str(runs), "--out", str(out)]) == 0
    layers = json.loads((out / "model.json").read_text())["modelTopology"]["model_config"]["config"]["layers"]
    assert [l["config"]["filters"] for l in layers if l["class_name"] in ("Conv2D", "SeparableConv2D")] == \
        [8, 16, 24, 24, 24, 24, 24, 16, 8, 3]
    assert json.loads((out / "card.json").read_text())["parameters"] == trainer.model.count_params()
    for bad, message in ((["--widths", "8,16,24"], "five positive channel counts"),
                         (["--widths", "8,16,x,16,8"], "five positive channel counts"),
                         (["--blocks", "-1"], "a count of residual blocks"),
                         (["--arch", "johnson", "--blocks", "3"], "light network only")):
        assert cli.main(train_args(data, runs, "bad", 1, *bad)) == 2
        assert message in capsys.readouterr().err


def test_input_skip_feeds_the_photo_to_the_last_convolution_through_resume_and_export(data, tmp_path, capsys):
    """--input-skip: the config keeps it, a resume rebuilds that network, the exported last convolution reads the
    upsampled features and the scaled photo (a Concatenate of both), and the output depends on the photo's pixels
    through that path; the Johnson network refuses it."""
    import numpy as np
    import tensorflow as tf

    runs = tmp_path / "runs"
    assert cli.main(train_args(data, runs, "skip", 2, "--input-skip")) == 0
    config = json.loads((runs / "style" / "skip" / "config.json").read_text())
    assert config["input_skip"] is True
    assert cli.main(train_args(data, runs, "skip", 3, "--resume")) == 0
    trainer, step = restored(runs, "skip")
    assert step == 3
    concat = trainer.model.get_layer("with_photo")
    assert [t.name.split("/")[0] for t in concat.input] [1:] == ["scale_in"]
    last = [l for l in trainer.model.layers if l.__class__.__name__ == "Conv2D"][-1]
    assert last.kernel.shape[2] == 16 + 3  # the second upsampling stage's channels plus the photo's RGB
    # The photo path carries signal: without the kernel's photo channels the output changes.
    images, _ = trainer.batch(0)
    inputs = [tf.constant(images[:1], tf.float32), tf.one_hot([0], trainer.num_styles)]
    before = trainer.model(inputs, training=False).numpy()
    kernel = last.kernel.numpy()
    kernel[:, :, 16:, :] = 0.0
    last.kernel.assign(kernel)
    after = trainer.model(inputs, training=False).numpy()
    assert np.abs(before - after).max() > 0.5
    out = tmp_path / "exported" / "skip"
    assert cli.main(["export", "--name", "skip", "--runs-dir", str(runs), "--out", str(out)]) == 0
    layers = json.loads((out / "model.json").read_text())["modelTopology"]["model_config"]["config"]["layers"]
    joined = [l for l in layers if l["class_name"] == "Concatenate"]
    assert len(joined) == 1 and any(n[0] == "scale_in" for n in joined[0]["inbound_nodes"][0])
    assert cli.main(train_args(data, runs, "bad", 1, "--arch", "johnson", "--input-skip")) == 2
    assert "light network only" in capsys.readouterr().err


def test_loss_seeds_train_with_one_member_per_step_and_judges_must_be_new(data, tmp_path, capsys):
    """--loss-seeds: the config keeps the bank, a step trains with member step % K (its terms are that member's
    loss), the bank's loss is the members' mean, a resume continues; malformed seeds, a VGG16 bank and a judge
    the run trained with are refused as one error line."""
    import tensorflow as tf

    from training.style.losses import LossBank

    runs = tmp_path / "runs"
    assert cli.main(train_args(data, runs, "bank", 2, "--loss-seeds", "20160,7")) == 0
    config = json.loads((runs / "style" / "bank" / "config.json").read_text())
    assert config["loss_seeds"] == [20160, 7]
    assert cli.main(train_args(data, runs, "bank", 3, "--resume")) == 0
    trainer, step = restored(runs, "bank")
    assert step == 3 and isinstance(trainer.lossnet, LossBank) and trainer.lossnet.seeds == [20160, 7]
    assert [trainer.member_for(k) for k in range(4)] == [0, 1, 0, 1]
    images, style = trainer.batch(5)
    x = tf.constant(images, tf.float32)
    onehot = tf.one_hot([style] * len(images), trainer.num_styles)
    out = trainer.model([x, onehot], training=True)
    seven = LossNet("random", seed=7, centre_gram=config["centre_gram"])
    grams7 = [g[style] for g in trainer.member_grams[1]]
    np.testing.assert_allclose(np.asarray(grams7[0]), np.asarray(seven.style_targets(trainer.style_images[style])[0]), rtol=1e-5)
    expected = seven.losses(out, seven.features(x), grams7, trainer.weights)
    own = trainer.members[0].losses(out, trainer.members[0].features(x), [g[style] for g in trainer.member_grams[0]],
                                    trainer.weights)
    assert abs(float(own["total"]) - float(expected["total"])) > 1e-4  # two different loss networks
    bank = trainer.lossnet.losses(out, trainer.lossnet.features(x), trainer.targets(style), trainer.weights)
    assert float(bank["total"]) == pytest.approx((float(own["total"]) + float(expected["total"])) / 2, rel=1e-5)
    got = trainer.train_step(images, style, 1)
    assert float(got["total"]) == pytest.approx(float(expected["total"]), rel=1e-4)
    for bad, message in ((["--loss-seeds", "1,1"], "distinct non-negative integer seeds"),
                         (["--loss-seeds", "1,x"], "distinct non-negative integer seeds"),
                         (["--loss-seeds", "1,2", "--loss-net", "vgg16", "--vgg-weights", str(tmp_path / "none.h5")],
                          "random-filter loss networks")):
        assert cli.main(train_args(data, runs, "badbank", 1, *bad)) == 2
        assert message in capsys.readouterr().err
    assert cli.main(["report", "--name", "bank", "--runs-dir", str(runs), "--gatys-iterations", "1",
                     "--gatys-images", "1", "--judge-seeds", "3,7"]) == 2
    assert "seed 7 is a loss network the run trained with" in capsys.readouterr().err
    assert not (runs / "style" / "bank" / "gatys_cache.json").exists()  # refused before any Gatys optimisation
