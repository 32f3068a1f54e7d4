"""Backgrounds training on a tiny texture folder: run folder, exact resume, export round trip,
and MirroredStrategy over two logical CPUs (in a subprocess: a fresh TensorFlow)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from tests.unit.backgrounds_testdata import TINY, write_textures
from training.backgrounds import cli
from training.backgrounds.models import CUSTOM_OBJECTS
from training.kit.errors import Halted
from training.kit.export import validate_card
from training.kit.files import read_csv, read_json

pytestmark = pytest.mark.train
REPO = Path(__file__).resolve().parents[2]


def train(work, name: str, *extra: str) -> int:
    return cli.main(["train", "--images", str(work["textures"]), "--name", name, "--runs-dir", str(work["runs"]),
                     *TINY, "--deterministic", *extra])


def weights(run: Path) -> dict[str, np.ndarray]:
    state = read_json(run / "state.json")
    reader = tf.train.load_checkpoint(str(run / state["checkpoint"]))
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map() if "save_counter" not in k}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("backgrounds")
    work = {"root": root, "textures": write_textures(root / "textures"), "runs": root / "runs"}
    assert train(work, "straight", "--steps", "6", "--checkpoint-every", "2") == 0
    return work


def test_run_folder_has_config_state_log_checkpoint_and_sample_grids(work):
    run = work["runs"] / "backgrounds" / "straight"
    state, cfg = read_json(run / "state.json"), read_json(run / "config.json")
    assert state["step"] == 6 and state["checkpoint"] == "ckpt/step_000006" and state["wall_time_s"] > 0
    assert cfg["texture_names"] == ["stripes_a", "noise_b", "checks_c"] and cfg["textures"] == 3
    assert [int(r["step"]) for r in read_csv(run / "log.csv")] == [1, 2, 3, 4, 5, 6]
    assert {p.name for p in (run / "samples").iterdir()} == {"real.png", "latest.png", "step_000002.png",
                                                            "step_000004.png", "step_000006.png"}
    assert len(list((run / "ckpt").glob("step_*.index"))) == 1  # only the last checkpoint is kept


def test_resume_after_a_kill_continues_exactly(work):
    with pytest.raises(Halted):
        train(work, "halted", "--steps", "6", "--checkpoint-every", "2", "--halt-after-steps", "5")
    run = work["runs"] / "backgrounds" / "halted"
    assert read_json(run / "state.json")["step"] == 4  # step 5 was lost with the "kill"
    assert train(work, "halted", "--resume") == 0
    assert [int(r["step"]) for r in read_csv(run / "log.csv")] == [1, 2, 3, 4, 5, 6]
    straight, resumed = weights(work["runs"] / "backgrounds" / "straight"), weights(run)
    assert straight.keys() == resumed.keys() and len(straight) > 20
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)


def test_a_second_train_without_resume_is_refused(work, capsys):
    assert train(work, "straight", "--steps", "6") == 2
    assert "--resume" in capsys.readouterr().err


@pytest.fixture(scope="module")
def exported(work):
    out = work["root"] / "exported" / "tiny"
    assert cli.main(["export", "--name", "straight", "--runs-dir", str(work["runs"]), "--out", str(out),
                     "--crops-per-texture", "4"]) == 0
    return out


def test_export_writes_a_valid_card_textures_and_a_reference_the_model_reproduces(exported):
    card = read_json(exported / "card.json")
    validate_card(card)
    assert set(card["files"]) >= {"model.json", "textures.json", "reference.json"}
    assert card["training"]["steps"] == 6 and card["training"]["command"].startswith(
        "python -m training backgrounds train --images ")
    assert " --steps 6 " in card["training"]["command"] and " && python -m training backgrounds export " in \
        card["training"]["command"] and "--halt" not in card["training"]["command"]
    metrics = card["metrics"]
    assert set(metrics["swd_per_texture"]) == {"stripes_a", "noise_b", "checks_c"}
    assert metrics["seam"] < 1.3 and metrics["flop_per_pixel"] > 0
    assert card["extras"]["noise"]["channels"] == 8 and card["extras"]["noise"]["global"]["start"] == 4
    assert card["extras"]["attributions"] == ["noise_b: Maker of noise_b.jpg, CC BY 4.0, "
                                              "https://creativecommons.org/licenses/by/4.0/ (none)"]
    textures = read_json(exported / "textures.json")
    assert [t["name"] for t in textures["textures"]] == ["stripes_a", "noise_b", "checks_c"]
    assert all(len(t["point"]) == 4 for t in textures["textures"])
    assert textures["textures"][1]["licence"] == "CC-BY-4.0" and textures["textures"][0]["attribution"] is None
    # the model as stored (tensorflowjs weights) reproduces reference.json
    import tensorflowjs as tfjs

    with keras.utils.custom_object_scope(CUSTOM_OBJECTS):
        model = tfjs.converters.load_keras_model(str(exported / "model.json"))
    ref = read_json(exported / "reference.json")
    noise = np.array(ref["input"], np.float32).reshape(ref["input_shape"])
    assert ref["input_shape"] == [1, 2, 4, 8] and ref["output_shape"] == [1, 64, 128, 3]
    out = model(noise).numpy()
    np.testing.assert_allclose(out.ravel(), ref["output"], atol=2e-6)


# A tfjs WrapPad2D as the web app will write it (same bare class name and config), and the
# exported model run by tfjs-layers on WASM and CPU against reference.json.
TFJS_PARITY = r"""
const [repo, dir] = process.argv.slice(1);
const tf = require(repo + '/node_modules/@tensorflow/tfjs');
require(repo + '/node_modules/@tensorflow/tfjs-backend-wasm');
const fs = require('fs');
class WrapPad2D extends tf.layers.Layer {
  constructor(config) { super(config); this.pad = config.pad; }
  computeOutputShape(s) { const g = (d) => (d == null ? null : d + 2 * this.pad); return [s[0], g(s[1]), g(s[2]), s[3]]; }
  call(inputs) {
    return tf.tidy(() => {
      let x = Array.isArray(inputs) ? inputs[0] : inputs;
      const p = this.pad, [, h, w] = x.shape;
      x = tf.concat([x.slice([0, h - p, 0, 0], [-1, p, -1, -1]), x, x.slice([0, 0, 0, 0], [-1, p, -1, -1])], 1);
      return tf.concat([x.slice([0, 0, w - p, 0], [-1, -1, p, -1]), x, x.slice([0, 0, 0, 0], [-1, -1, p, -1])], 2);
    });
  }
  getConfig() { return { ...super.getConfig(), pad: this.pad }; }
  static get className() { return 'WrapPad2D'; }
}
tf.serialization.registerClass(WrapPad2D);
const io = { load: async () => {
  const j = JSON.parse(fs.readFileSync(dir + '/model.json'));
  const data = Buffer.concat(j.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(dir + '/' + p))));
  return { modelTopology: j.modelTopology, weightSpecs: j.weightsManifest.flatMap((g) => g.weights),
           weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) };
} };
(async () => {
  const ref = JSON.parse(fs.readFileSync(dir + '/reference.json'));
  const result = {};
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend); await tf.ready();
    const model = await tf.loadLayersModel(io);
    const y = model.predict(tf.tensor(ref.input, ref.input_shape));
    const out = await y.data();
    let m = 0; for (let i = 0; i < out.length; i++) m = Math.max(m, Math.abs(out[i] - ref.output[i]));
    result[backend] = { shape: y.shape, max_abs_diff: m };
  }
  console.log(JSON.stringify(result));
})();
"""


def test_tfjs_runs_the_export_with_a_js_wrap_pad_and_matches_the_reference(exported):
    proc = subprocess.run(["node", "-e", TFJS_PARITY, str(REPO), str(exported)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for backend in ("wasm", "cpu"):
        assert result[backend]["shape"] == [1, 64, 128, 3]
        assert result[backend]["max_abs_diff"] * 127.5 < 1e-3, result  # below 1e-3 in 0-255 units


def test_sample_writes_a_morph_png_of_the_asked_size(work, tmp_path):
    from PIL import Image

    out = tmp_path / "morph.png"
    assert cli.main(["sample", "--name", "straight", "--runs-dir", str(work["runs"]), "--textures",
                     "stripes_a,checks_c", "--width", "128", "--height", "64", "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (128, 64)
    assert cli.main(["sample", "--name", "straight", "--runs-dir", str(work["runs"]), "--textures", "nope",
                     "--out", str(out)]) == 2


MIRRORED = """
import sys
import training
from training.kit.machine import logical_cpus
logical_cpus(2)
from training.backgrounds import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_mirrored_strategy_on_two_logical_cpus(work):
    args = ["train", "--images", str(work["textures"]), "--name", "mirrored", "--runs-dir", str(work["runs"]),
            *TINY, "--steps", "3", "--checkpoint-every", "3", "--strategy", "mirrored", "--threads", "1"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", MIRRORED, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 replica(s)" in proc.stdout
    run = work["runs"] / "backgrounds" / "mirrored"
    assert read_json(run / "state.json")["step"] == 3 and (run / "samples" / "step_000003.png").exists()
    losses = [float(r["d_loss"]) for r in read_csv(run / "log.csv")]
    assert len(losses) == 3 and all(np.isfinite(losses))
