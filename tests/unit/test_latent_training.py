"""GAN training on a tiny synthetic set: steps, exact resume, budget, directions, export round trip,
MirroredStrategy over two logical CPUs."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from training.kit.errors import UserError
from training.kit.export import validate_card
from training.latent import cli
from training.latent import models as gm
from training.latent.export import FLOAT16_MAX_ABS_DIFF
from training.latent.models import Run

pytestmark = pytest.mark.train
REPO = Path(__file__).resolve().parents[2]
# No --deterministic: these tiny CPU runs resume bit-exactly without op determinism (checked in
# fresh processes with 1, 2 and 8 threads), and the switch would stay on for the whole pytest process.
TINY = ["--size", "32", "--latent-dim", "16", "--batch", "4", "--g-width", "32", "--d-width", "8",
        "--swd-every", "1", "--threads", "1", "--verbose", "0"]


def _tiny_npz(path):
    """12 RGBA images 40x40: coloured squares and discs on transparency."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:40, :40]
    images = np.zeros((12, 40, 40, 4), np.uint8)
    for i in range(12):
        cy, cx, r = rng.uniform(12, 28, 2).tolist() + [rng.uniform(6, 12)]
        mask = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r) if i % 2 else (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        images[i][mask] = np.append(rng.integers(0, 256, 3), 255)
    names = np.array([f"{0x1f600 + i:x}" + ("_1f3fd" if i % 3 == 0 else "") for i in range(12)])
    np.savez(path, images=images, names=names, is_flag=np.zeros(12, bool))
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("gan")
    data = _tiny_npz(root / "tiny.npz")
    runs = root / "runs"
    assert cli.main(["train", "--images", str(data), "--name", "full", "--epochs", "2", "--runs-dir", str(runs), *TINY]) == 0
    return {"root": root, "data": data, "runs": runs}


def _weights(name, runs):
    run = runs / "latent" / name
    cfg = json.loads((run / "config.json").read_text())
    state = json.loads((run / "state.json").read_text())
    model = Run(cfg)
    model.restore(str(run / state["checkpoint"]))
    return model, state


def test_training_steps_change_weights_and_write_progress(work):
    run = work["runs"] / "latent" / "full"
    cfg = json.loads((run / "config.json").read_text())
    fresh = Run(cfg)  # same seed: the initial weights of the run
    trained, state = _weights("full", work["runs"])
    assert state["epoch"] == 2
    for a, b in ((fresh.generator, trained.generator), (fresh.discriminator, trained.discriminator),
                 (fresh.ema_generator, trained.ema_generator)):
        changed = [not np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights())]
        assert sum(changed) >= len(changed) // 2
    assert int(trained.gan.g_optimizer.iterations.numpy()) == 2 * (12 // 4)
    rows = (run / "log.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch,d_loss,g_loss") and len(rows) == 3
    assert "swd_x1e3" in rows[0] and all(np.isfinite(float(v)) for v in rows[2].split(",") if v)
    assert (run / "samples" / "epoch_0001.png").exists() and (run / "samples" / "epoch_0002.png").exists()
    assert state["swd_floor"]["mean"] > 0 and len(state["swd_history"]) == 2
    assert sorted(p.name for p in (run / "ckpt").iterdir()) == ["epoch_0002.data-00000-of-00001", "epoch_0002.index"]


def test_budget_stop_then_resume_equals_uninterrupted_run(work, capsys):
    args = ["train", "--images", str(work["data"]), "--name", "parts", "--epochs", "2", "--runs-dir", str(work["runs"]), *TINY]
    assert cli.main([*args, "--max-minutes", "0.00001"]) == 0
    assert "time budget" in capsys.readouterr().out
    _, half = _weights("parts", work["runs"])
    assert half["epoch"] == 1
    capsys.readouterr()
    assert cli.main(args) == 2  # the run exists: a one-line error, not a traceback
    assert "--resume" in capsys.readouterr().err
    assert cli.main(["train", "--name", "parts", "--resume", "--runs-dir", str(work["runs"]), "--threads", "1", "--verbose", "0"]) == 0
    resumed, state = _weights("parts", work["runs"])
    full, _ = _weights("full", work["runs"])
    assert state["epoch"] == 2 and state["sessions"] == 2
    for net in ("generator", "ema_generator", "discriminator"):
        for x, y in zip(getattr(full, net).get_weights(), getattr(resumed, net).get_weights()):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(full.gan.rng.state.numpy(), resumed.gan.rng.state.numpy())
    a = (work["runs"] / "latent" / "full" / "log.csv").read_text().splitlines()
    b = (work["runs"] / "latent" / "parts" / "log.csv").read_text().splitlines()
    assert [r.split(",")[:6] for r in a] == [r.split(",")[:6] for r in b]  # same losses and SWD


def test_learning_rate_decay_is_applied_logged_and_resumed_exactly(work, capsys):
    """A run with --lr-decay-from trains each epoch at the schedule's rate (log.csv's lr column, the
    optimisers' rate after the run), and a budget stop plus --resume gives the uninterrupted weights."""
    from training.latent.train import epoch_learning_rate

    decay = ["--epochs", "3", "--lr-decay-from", "1", "--lr-final", "0.25", "--lr", "0.001", "--swd-every", "0"]
    base = ["train", "--images", str(work["data"]), "--runs-dir", str(work["runs"]), *TINY, *decay]
    assert cli.main([*base, "--name", "decay"]) == 0
    cfg = json.loads((work["runs"] / "latent" / "decay" / "config.json").read_text())
    expected = [epoch_learning_rate(cfg, e) for e in range(3)]
    assert expected == pytest.approx([1e-3, 1e-3 * (1 - 0.75 * 0.25), 1e-3 * (1 - 0.75 * 0.75)])
    rows = (work["runs"] / "latent" / "decay" / "log.csv").read_text().strip().splitlines()
    column = rows[0].split(",").index("lr")
    assert [float(r.split(",")[column]) for r in rows[1:]] == pytest.approx(expected, rel=1e-5)
    full, _ = _weights("decay", work["runs"])
    for optimizer in (full.gan.g_optimizer, full.gan.d_optimizer):  # restored from the checkpoint
        assert float(optimizer.learning_rate.numpy()) == pytest.approx(expected[-1], rel=1e-6)

    assert cli.main([*base, "--name", "decay-parts", "--max-minutes", "0.00001"]) == 0
    assert cli.main(["train", "--name", "decay-parts", "--resume", "--runs-dir", str(work["runs"]), "--threads", "1",
                     "--verbose", "0"]) == 0
    resumed, state = _weights("decay-parts", work["runs"])
    assert state["epoch"] == 3 and state["sessions"] >= 2
    for net in ("generator", "ema_generator", "discriminator"):
        for x, y in zip(getattr(full, net).get_weights(), getattr(resumed, net).get_weights()):
            np.testing.assert_array_equal(x, y)
    capsys.readouterr()
    assert cli.main([*base, "--name", "bad-decay", "--lr-decay-from", "3"]) == 2
    assert "--lr-decay-from 3" in capsys.readouterr().err


def test_cli_reports_an_empty_image_set(tmp_path, capsys):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    code = cli.main(["train", "--images", str(tmp_path), "--name", "empty", "--runs-dir", str(tmp_path / "runs"), *TINY])
    err = capsys.readouterr()
    assert code == 2 and "no usable images" in err.err and "broken.png" in err.out


def test_diffaugment_and_spectral_norm():
    rng = tf.random.Generator.from_seed(1)
    x = tf.random.stateless_uniform((6, 16, 16, 3), seed=(1, 2), minval=-1, maxval=1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = gm.diff_augment(x, rng, gm.parse_policy("color,translation,cutout"))
        loss = tf.reduce_sum(y)
    assert y.shape == x.shape and not np.allclose(y.numpy(), x.numpy())
    assert tape.gradient(loss, x) is not None
    cut = gm.diff_augment(tf.ones((4, 16, 16, 3)), rng, ("cutout",)).numpy()
    assert all(0 < (img == 0).mean() <= 0.25 for img in cut)  # a square of at most half the side
    assert gm.diff_augment(x, rng, ()) is x
    with pytest.raises(ValueError):
        gm.parse_policy("color,zoom")

    layer = gm.SNDense(8)
    layer.build((None, 12))
    layer.kernel.assign(tf.random.stateless_normal((12, 8), seed=(3, 4)) * 5.0)
    for _ in range(30):
        kernel = layer.normalised_kernel(training=True)
    assert np.linalg.svd(kernel.numpy(), compute_uv=False)[0] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("upsample, conv", [("nearest", "UpSampling2D"), ("transpose", "Conv2DTranspose")])
def test_generator_contract(upsample, conv):
    g = gm.build_generator(latent_dim=128, size=64, width=256, upsample=upsample)
    assert g.input_shape == (None, 128) and g.output_shape == (None, 64, 64, 3)
    assert 800_000 <= g.count_params() <= 3_000_000
    kinds = {type(layer).__name__ for layer in g.layers}
    assert kinds <= {"InputLayer", "Dense", "Reshape", "BatchNormalization", "ReLU", "UpSampling2D", "Conv2DTranspose", "Conv2D"}
    assert conv in kinds
    out = g(tf.random.stateless_normal((2, 128), seed=(0, 1)), training=False).numpy()
    assert out.min() >= -1 and out.max() <= 1
    with pytest.raises(ValueError, match="upsample"):
        gm.build_generator(upsample="bilinear")


def test_generator_channel_floor_keeps_the_shipped_shape_by_default():
    """--g-min-channels: the default floor of 16 is the generator the first emoji model shipped with
    (918,387 parameters); 32 (the shipped model's) widens only the last block (and to_rgb's input)."""
    shipped = json.loads((REPO / "exported_models" / "latent" / "emoji" / "card.json").read_text(encoding="utf-8"))
    default = gm.build_generator(128, 64, 256, upsample="nearest")
    assert default.count_params() == 918_387
    assert gm.generator_channels(64, 256) == [128, 64, 32, 16]
    assert gm.generator_channels(64, 256, 32) == [128, 64, 32, 32]
    wider = gm.build_generator(128, 64, 256, upsample="nearest", min_channels=32)
    assert wider.get_layer("up4_conv").kernel.shape == (3, 3, 32, 32)
    assert wider.get_layer("to_rgb").kernel.shape == (3, 3, 32, 3)
    # 3x3x32x16 more weights in up4_conv, 4 x 16 more in up4_bn (scale, offset, moving mean and variance),
    # 3x3x16x3 more in to_rgb
    assert wider.count_params() - default.count_params() == 9 * 32 * 16 + 4 * 16 + 9 * 16 * 3
    assert "--g-min-channels 32" in shipped["training"]["command"] and wider.count_params() == shipped["parameters"]
    old_run = {"latent_dim": 16, "size": 32, "g_width": 32, "d_width": 8, "seed": 0, "diffaugment": "none",
               "ema": 0.99, "lr": 1e-3, "g_upsample": "nearest"}  # a config written before the option
    assert Run(old_run).generator.count_params() == gm.build_generator(16, 32, 32).count_params()
    with pytest.raises(ValueError, match="min_channels"):
        gm.generator_channels(64, 256, 0)


def test_learning_rate_schedule():
    from training.latent.train import check_options, epoch_learning_rate

    constant = {"lr": 2e-4, "epochs": 10}
    assert [epoch_learning_rate(constant, e) for e in range(10)] == [2e-4] * 10
    decay = {"lr": 2e-4, "epochs": 10, "lr_decay_from": 6, "lr_final": 0.0}
    lrs = [epoch_learning_rate(decay, e) for e in range(10)]
    assert lrs[:6] == [2e-4] * 6
    # a line from 2e-4 at the start of epoch 6 to 0 at the end of epoch 9, taken at each epoch's middle
    assert lrs[6:] == pytest.approx([2e-4 * (1 - (k + 0.5) / 4) for k in range(4)])
    tenth = {**decay, "lr_final": 0.1}
    assert epoch_learning_rate(tenth, 9) == pytest.approx(2e-4 * (1 - 0.9 * 3.5 / 4))
    assert epoch_learning_rate(tenth, 12) == pytest.approx(2e-5)  # past the end: the final rate
    for bad, message in (({**decay, "lr_decay_from": 10}, "--lr-decay-from 10"),
                         ({**decay, "lr_final": 1.5}, "--lr-final 1.5"),
                         ({**constant, "lr_final": 0.1}, "needs --lr-decay-from"),
                         ({**constant, "g_min_channels": 0}, "--g-min-channels 0")):
        with pytest.raises(UserError, match=message):
            check_options(bad)
    check_options(decay)


@pytest.fixture(scope="module")
def exported(work):
    runs = str(work["runs"])
    assert cli.main(["directions", "--name", "full", "--samples", "300", "--count", "8", "--runs-dir", runs,
                     "--labels", "PC1=size,PC2=colour"]) == 0
    out = work["root"] / "exported" / "full"
    assert cli.main(["export", "--name", "full", "--out", str(out), "--runs-dir", runs]) == 0
    return out


def test_directions_file(work, exported):
    doc = json.loads((exported / "directions.json").read_text())
    assert doc["latent_dim"] == 16 and doc["layer"] == "fc_act" and doc["truncation_default"] == 0.8
    dirs = doc["directions"]
    assert [d["index"] for d in dirs] == list(range(8))
    assert [d["label"] for d in dirs[:3]] == ["size", "colour", "PC3"]
    ev = [d["explained_variance"] for d in dirs]
    assert ev == sorted(ev, reverse=True) and 0 < sum(ev) <= 1
    for d in dirs:
        assert len(d["vector"]) == 16 and np.linalg.norm(d["vector"]) == pytest.approx(1.0, abs=1e-5)
        assert 0.5 < d["std"] < 1.5
    strips = work["runs"] / "latent" / "full" / "directions"
    assert len(list(strips.glob("pc*.png"))) == 8 and (strips / "overview.png").exists()


def test_export_round_trip(work, exported):
    import tensorflowjs as tfjs

    card = json.loads((exported / "card.json").read_text())
    validate_card(card)
    assert card["studio"] == "latent" and card["format"] == "layers" and card["entry"] == "model.json"
    on_disk = {p.name for p in exported.iterdir()} - {"card.json"}
    assert set(card["files"]) == on_disk and {"model.json", "directions.json", "reference.json"} <= on_disk
    for name, meta in card["files"].items():
        blob = (exported / name).read_bytes()
        assert meta["bytes"] == len(blob) and meta["sha256"] == hashlib.sha256(blob).hexdigest()
    assert card["extras"]["latent_dim"] == 16 and card["extras"]["image_size"] == 32
    assert card["extras"]["output_range"] == [-1, 1]
    m = card["metrics"]
    assert m["swd_x1e3"] > 0 and m["swd_real_floor_x1e3"] > 0 and len(m["swd_per_level"]) == 2
    assert card["training"]["epochs"] == 2 and "--epochs 2" in card["training"]["command"]
    assert set(card["metrics_method"]) == set(m) and all(card["metrics_method"].values())
    method = card["metrics_method"]
    assert "the reference set, 6 of the 12 training images exactly as the GAN sees them" in method["swd_x1e3"]
    assert "centre-cropped to 32x32 RGB" in method["swd_x1e3"] and "32/16 px" in method["swd_x1e3"]
    assert "the next 6 of that permutation are the floor set, disjoint from it (half each)" in method["swd_x1e3"]
    assert "the floor set (6 training images" in method["swd_real_floor_x1e3"]
    assert m["swd_truncated_x1e3"] > 0 and "scaled by 0.8" in method["swd_truncated_x1e3"]
    train_cmd, directions_cmd, export_cmd = card["training"]["command"].split(" && ")
    assert train_cmd.startswith("python -m training latent train --images ") and "--verbose" not in train_cmd
    assert directions_cmd.startswith("python -m training latent directions --name full --samples 300 --count 8")
    assert export_cmd == "python -m training latent export --name full"
    assert card["weights_dtype"] == ("float16" if m["float16_max_abs_diff"] <= FLOAT16_MAX_ABS_DIFF else "float32")

    reloaded = tfjs.converters.load_keras_model(str(exported / "model.json"))
    ref = json.loads((exported / "reference.json").read_text())
    z = np.array(ref["latents"], np.float32)
    out = reloaded(z, training=False).numpy()
    assert out.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(out.reshape(2, -1), np.array(ref["pixels"]), atol=2e-5)
    trained, _ = _weights("full", work["runs"])
    ema = trained.ema_ready()
    direct = ema(z, training=False).numpy()
    assert np.abs(direct - out).max() <= m["float16_max_abs_diff"] + 1e-5
    assert isinstance(reloaded, keras.Model)


def test_directions_truncation_sets_the_studio_default(work, exported, capsys):
    runs = str(work["runs"])
    base = ["directions", "--name", "full", "--samples", "300", "--count", "8", "--runs-dir", runs]
    assert cli.main([*base, "--truncation", "3"]) == 2
    assert "--truncation 3.0: between 0 (excluded) and 2" in capsys.readouterr().err
    assert cli.main([*base, "--truncation", "1.0"]) == 0
    doc = json.loads((work["runs"] / "latent" / "full" / "directions" / "directions.json").read_text())
    assert doc["truncation_default"] == 1.0 and "--truncation" in doc["argv"]
    assert json.loads((exported / "directions.json").read_text())["truncation_default"] == 0.8  # the default
    # exported under another folder name: the card is named after its folder; at truncation 1 the
    # truncated SWD is the plain one
    out = work["root"] / "exported" / "renamed"
    assert cli.main(["export", "--name", "full", "--out", str(out), "--runs-dir", runs]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "renamed" and card["extras"]["truncation_default"] == 1.0
    # the card's command rebuilds the model in a folder of that name (the run is named "full")
    assert card["training"]["command"].endswith("latent export --name full --out exported_models/latent/renamed")
    assert card["metrics"]["swd_truncated_x1e3"] == card["metrics"]["swd_x1e3"]


def test_shipped_card_says_what_its_swd_compares():
    """The shipped card's metrics_method is what the export code writes for the card's own training
    command: the reference set is 1,000 of the training images at 64x64, the floor set the next 1,000."""
    import argparse
    import shlex

    from training.latent.export import metrics_method

    card = json.loads((REPO / "exported_models" / "latent" / "emoji" / "card.json").read_text(encoding="utf-8"))
    words = shlex.split(card["training"]["command"].split(" && ")[0])
    assert words[:5] == ["python", "-m", "training", "latent", "train"]
    parser = argparse.ArgumentParser()
    cli.add_train(parser)
    cfg = vars(parser.parse_args(words[5:]))
    m = card["metrics"]
    assert card["metrics_method"] == metrics_method(cfg, 3557, m["swd_images"], m["swd_resolutions"], card["weights_dtype"],
                                                    card["extras"]["truncation_default"],
                                                    card["training"].get("weights_epoch"))
    text = card["metrics_method"]["swd_x1e3"]
    for words in ("the reference set, 1,000 of the 3,557 training images", "centre-cropped to 64x64 RGB",
                  "the next 1,000 of that permutation are the floor set, disjoint from it",
                  "the remaining 1,557 are in neither", "at 64/32/16 px, the 16 px level being the low-pass residual",
                  "128 7x7x3 neighbourhoods per image and level", "Wasserstein-1"):
        assert words in text, words
    assert "the floor set (1,000 training images" in card["metrics_method"]["swd_real_floor_x1e3"]
    truncation = card["extras"]["truncation_default"]
    assert f"scaled by {truncation} (directions.json's truncation_default" in card["metrics_method"]["swd_truncated_x1e3"]
    assert "other fixed latents (numpy seed [0, 12]" in card["metrics_method"]["swd_other_latents_x1e3"]


def test_user_errors_are_one_line_with_status_2(work, tmp_path, capsys):
    runs = str(work["runs"])
    cases = [
        (["export", "--name", "nothing", "--runs-dir", runs], "no latent training run 'nothing'"),
        (["directions", "--name", "full", "--labels", "PC99=x", "--runs-dir", runs], "bad --labels entry"),
        (["train", "--name", "nothing", "--resume", "--runs-dir", runs], "nothing to resume"),
        (["train", "--name", "new", "--runs-dir", runs], "needs --images"),
        (["train", "--images", str(work["data"]), "--name", "zoom", "--diffaugment", "zoom", "--runs-dir", runs],
         "--diffaugment 'zoom'"),
        (["train", "--images", str(work["data"]), "--name", "Bad Name", "--runs-dir", runs], "--name 'Bad Name'"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)


MIRRORED = """
import sys
from training.kit.machine import logical_cpus
logical_cpus(2)
from training.latent import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_mirrored_strategy_on_two_logical_cpus(work):
    """A fresh process with two logical CPU devices trains one epoch under MirroredStrategy; the
    checkpoint restores without a strategy (as directions and export do)."""
    args = ["train", "--images", str(work["data"]), "--name", "mirrored", "--epochs", "1", "--runs-dir", str(work["runs"]),
            *TINY, "--strategy", "mirrored"]
    proc = subprocess.run([sys.executable, "-c", MIRRORED, *args], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "strategy mirrored (2 replica(s))" in proc.stdout
    trained, state = _weights("mirrored", work["runs"])
    assert state["epoch"] == 1
    assert int(trained.gan.g_optimizer.iterations.numpy()) == 12 // 4  # the global batch of 4 is split over 2 replicas
    fresh = Run(json.loads((work["runs"] / "latent" / "mirrored" / "config.json").read_text()))
    for a, b in ((fresh.generator, trained.generator), (fresh.ema_generator, trained.ema_generator)):
        changed = [not np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights())]
        assert sum(changed) >= len(changed) // 2
    assert all(np.isfinite(w).all() for w in trained.ema_generator.get_weights())
    row = (work["runs"] / "latent" / "mirrored" / "log.csv").read_text().splitlines()[1].split(",")
    assert all(np.isfinite(float(v)) for v in row[:6])  # losses and SWD


def test_keep_best_exports_the_lowest_swd_epoch(work, capsys):
    """--keep-best keeps the EMA generator of the lowest SWD check (one file, named in state.json);
    directions and export then use it, and the card says which epoch it is."""
    runs = str(work["runs"])
    base = ["train", "--images", str(work["data"]), "--name", "best", "--runs-dir", runs, *TINY, "--keep-best",
            "--lr", "0.02"]  # a rate this high makes the SWD of the tiny run go up and down
    assert cli.main([*base, "--epochs", "2"]) == 0
    run = work["runs"] / "latent" / "best"
    (run / "best" / "epoch_0099.h5").write_bytes(b"left by a killed session")
    assert cli.main(["train", "--name", "best", "--resume", "--epochs", "5", "--runs-dir", runs, "--threads", "1",
                     "--verbose", "0"]) == 0
    state = json.loads((run / "state.json").read_text())
    history = state["swd_history"]
    assert [e for e, _ in history] == [1, 2, 3, 4, 5]
    lowest = min(history, key=lambda h: h[1])
    assert state["best"]["epoch"] == lowest[0] and state["best"]["swd_x1e3"] == lowest[1]
    assert [p.name for p in (run / "best").iterdir()] == [f"epoch_{lowest[0]:04d}.h5"]

    capsys.readouterr()
    out = work["root"] / "exported" / "best"
    assert cli.main(["directions", "--name", "best", "--samples", "300", "--count", "4", "--runs-dir", runs]) == 0
    assert f"the EMA generator of epoch {lowest[0]}" in capsys.readouterr().out
    assert cli.main(["export", "--name", "best", "--out", str(out), "--runs-dir", runs]) == 0
    card = json.loads((out / "card.json").read_text())
    ref = json.loads((out / "reference.json").read_text())
    z = np.array(ref["latents"], np.float32)
    cfg = json.loads((run / "config.json").read_text())
    kept = Run(cfg)
    kept.ema_generator.load_weights(str(run / state["best"]["weights"]))
    last, _ = _weights("best", work["runs"])
    from_best = kept.ema_ready()(z, training=False).numpy().reshape(2, -1)
    from_last = last.ema_ready()(z, training=False).numpy().reshape(2, -1)
    shipped = np.array(ref["pixels"])
    assert np.abs(shipped - from_best).max() <= card["metrics"]["float16_max_abs_diff"] + 1e-5
    assert card["training"]["epochs"] == 5 and "--keep-best" in card["training"]["command"]
    assert lowest[0] != 5, "the set-up (seeded) is meant to make an earlier epoch the best"
    assert np.abs(from_best - from_last).max() > 1e-3
    assert card["training"]["weights_epoch"] == lowest[0]
    assert f"weights of epoch {lowest[0]}, kept by --keep-best" in card["metrics_method"]["swd_x1e3"]
    assert card["metrics"]["swd_other_latents_x1e3"] > 0
    assert card["metrics"]["swd_other_latents_x1e3"] != card["metrics"]["swd_x1e3"]
