"""Training steps, exact resume, budget, Gatys, report and export round trip on tiny images."""
import csv
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.train

from training import style  # noqa: E402
from training.kit.export import validate_card  # noqa: E402
from training.style_losses import LossNet  # noqa: E402

SIZE = 32


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
    """Two generated 'paintings' and six generated content photos."""
    root = tmp_path_factory.mktemp("style_data")
    styles, content = root / "styles", root / "content"
    styles.mkdir()
    content.mkdir()
    y, x = np.mgrid[0:48, 0:48]
    stripes = np.stack([(np.sin(x / 2) > 0) * 220 + 20, 40 + 0 * x, (np.sin(x / 2) <= 0) * 200 + 30], -1)
    checks = np.stack([((x // 6 + y // 6) % 2) * 255, 128 + 0 * x, 255 - ((x // 6 + y // 6) % 2) * 255], -1)
    Image.fromarray(stripes.astype(np.uint8)).save(styles / "stripes.png")
    Image.fromarray(checks.astype(np.uint8)).save(styles / "checks.png")
    rng = np.random.default_rng(0)
    for i in range(6):
        base = np.stack([x * (3 + i), y * (2 + i), 100 + 40 * np.sin((x + y) / (3 + i))], -1) % 256
        noise = rng.normal(0, 10, base.shape)
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(content / f"photo{i}.png")
    return styles, content


def train_args(data, runs, name, steps, *extra):
    styles, content = data
    return ["train", "--name", name, "--styles", str(styles), "--content", str(content), "--size", str(SIZE),
            "--batch", "2", "--steps", str(steps), "--runs-dir", str(runs), "--no-skimage", "--holdout", "photo5",
            "--sample-every", "0", "--snapshot-every", "0", "--ckpt-every", "100", "--lr", "0.01", *extra]


def restored(runs, name):
    run = runs / "style" / name
    trainer = style.Trainer(json.loads((run / "config.json").read_text()), run)
    step = trainer.restore()
    return trainer, step


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """A run trained 4 steps straight; used by resume, report and export tests."""
    runs = tmp_path_factory.mktemp("runs")
    assert style.main(train_args(data, runs, "straight", 4, "--sample-every", "2")) == 0
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
    assert state["step"] == 4 and state["wall_time_s"] > 0
    cmd = style.reproduce_command("straight", json.loads((run / "config.json").read_text()), 4)
    assert "--steps 4" in cmd and "--resume" not in cmd and "--no-skimage" in cmd
    # the reproduce command parses back into the same config
    args = style.parser().parse_args(cmd.split()[4:])
    assert style.train_config(args) == json.loads((run / "config.json").read_text())


def test_exact_resume(data, trained, tmp_path):
    runs = trained
    assert style.main(train_args(data, runs, "split", 2)) == 0
    with pytest.raises(SystemExit):  # refuses to overwrite without --resume
        style.main(train_args(data, runs, "split", 4))
    assert style.main(["train", "--name", "split", "--resume", "--steps", "4", "--runs-dir", str(runs),
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


def test_wall_clock_budget_stops_early(data, tmp_path):
    assert style.main(train_args(data, tmp_path, "budget", 1000, "--max-minutes", "0.0001")) == 0
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
    image, final, history = style.gatys_optimize(c, s, net, {"content": 1.0, "style": 10.0, "tv": 1.0}, 8,
                                                 callback=lambda it, img, terms: seen.append(it))
    assert final["total"] < 0.7 * history[0]
    assert seen and seen[0] == 1
    assert image.shape == c.shape and image.min() >= 0 and image.max() <= 255
    out = tmp_path / "g" / "out.png"
    assert style.main(["gatys", "--content", str(content / "photo1.png"), "--style", str(styles / "checks.png"),
                       "--out", str(out), "--size", "32", "--iterations", "4", "--save-every", "2"]) == 0
    assert out.exists() and (tmp_path / "g" / "out_iter0002.png").exists()
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["final"]["total"] < summary["initial_loss"]


def test_report_and_export_round_trip(trained, tmp_path):
    runs = trained
    assert style.main(["report", "--run", "straight", "--runs-dir", str(runs), "--gatys-iterations", "3",
                       "--gatys-images", "1"]) == 0
    report = json.loads((runs / "style" / "straight" / "report.json").read_text())
    assert report["steps"] == 4 and report["eval_images"] == ["photo5"]
    assert len(report["fast"]["rows"]) == 2 and len(report["gatys"]["rows"]) == 2
    assert report["gatys"]["ratio_fast_to_gatys"] > 0
    # the Gatys results are cached for later reports of the same run (they do not depend on the fast net)
    cache = json.loads((runs / "style" / "straight" / "gatys_cache.json").read_text())
    assert sorted(v["total"] for v in cache.values()) == sorted(r["total"] for r in report["gatys"]["rows"])
    assert (runs / "style" / "straight" / "report" / "photo5_checks.png").exists()

    out = tmp_path / "exported" / "tiny"
    assert style.main(["export", "--run", "straight", "--runs-dir", str(runs), "--out", str(out),
                       "--export-name", "tiny"]) == 0
    card = json.loads((out / "card.json").read_text())
    validate_card(card)
    assert card["name"] == "tiny" and card["studio"] == "style" and card["format"] == "layers"
    assert set(card["files"]) >= {"model.json", "reference.json", "thumbnails/checks.jpg", "thumbnails/stripes.jpg"}
    assert [s["id"] for s in card["extras"]["styles"]] == ["checks", "stripes"]
    assert card["extras"]["custom_layers"] == ["ConditionalInstanceNorm"]
    assert card["extras"]["loss_network"].startswith("random-filters")
    assert card["metrics"]["perceptual_loss_light"] == pytest.approx(report["fast"]["mean"]["total"])
    assert "gatys_loss_reference" in card["metrics"] and card["training"]["steps"] == 4
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
    np.testing.assert_array_equal(x, style.reference_input())
    reloaded = style.load_exported(out)
    for case in ref["cases"]:
        got = style._predict(reloaded, x, case["style"])
        np.testing.assert_allclose(got.ravel(), case["output"], atol=5e-4)
    # the original Keras model agrees within the float16 difference recorded in the card
    trainer, _ = restored(runs, "straight")
    keras_out = style._predict(trainer.model, x, ref["cases"][0]["style"])
    assert np.max(np.abs(keras_out.ravel() - np.asarray(ref["cases"][0]["output"]))) <= card["metrics"]["float16_max_abs_diff"] + 2e-3
    assert (out / "reference.json").stat().st_size < 300_000
