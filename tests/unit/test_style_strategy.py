"""`--strategy mirrored` over two logical CPU devices takes the same steps as the default strategy,
and so does `--strategy multiworker` with two worker processes on this machine."""
import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.train

from tests.unit.style_testdata import train_args, write_style_data  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STEPS = 3

# A fresh TensorFlow process whose CPU is split into two logical devices before TF starts. The same
# tiny run (batch 2) is trained with the default strategy and with MirroredStrategy (2 replicas,
# one image each): first as the trainer is (Adam), then with plain SGD, whose steps, unlike Adam's,
# scale with the gradient, so a wrongly scaled or unsummed replica gradient would show.
RUNS = """
import sys
import training
from training.kit.machine import logical_cpus
logical_cpus(2)
import tensorflow as tf
import tf_keras
tf.config.run_functions_eagerly(True)  # tiny images: tracing would cost more than the steps
from training.style import cli
args = sys.argv[1:]
for optimizer in ("adam", "sgd"):
    if optimizer == "sgd":
        tf_keras.optimizers.Adam = tf_keras.optimizers.SGD
    assert cli.main(args + ["--name", f"{optimizer}-default"]) == 0
    assert cli.main(args + ["--name", f"{optimizer}-mirrored", "--strategy", "mirrored"]) == 0
"""


WORKER = """
import sys
import training
import tensorflow as tf
tf.config.run_functions_eagerly(True)
from training.style import cli
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("strategy")
    write_style_data(root / "data")
    return root


def run_args(root: Path) -> list[str]:
    args = train_args((root / "data" / "styles", root / "data" / "content"), root / "runs", "x", STEPS,
                      "--threads", "1", "--snapshot-every", str(STEPS))
    del args[1:3]  # each run gets its own --name
    return args


def environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return {**env, "PYTHONPATH": str(REPO), **extra}


@pytest.fixture(scope="module")
def runs(root):
    proc = subprocess.run([sys.executable, "-c", RUNS, *run_args(root)], cwd=REPO, env=environment(),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("strategy mirrored (2 replica(s))") == 2
    assert proc.stderr.count("strategy default (1 replica(s))") == 2
    return root / "runs" / "style"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def multiworker(root, runs):
    """Two worker processes (TF_CONFIG on loopback ports) train one run together."""
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    args = [*run_args(root), "--name", "adam-multiworker", "--strategy", "multiworker"]
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, *args], cwd=REPO, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=environment(TF_CONFIG=json.dumps({"cluster": cluster,
                                                                      "task": {"type": "worker", "index": i}})))
               for i in range(2)]
    try:
        outputs = [w.communicate(timeout=600) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (_, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
        assert "strategy multiworker (2 replica(s))" in err
    return runs


def weights(runs: Path, name: str, step: int = STEPS) -> np.ndarray:
    """All the network's weights in one vector: at `step` (its snapshot), or as initialised (0)."""
    import tf_keras as keras

    from training.style.nets import build_transformer

    config = json.loads((runs / name / "config.json").read_text())
    keras.utils.set_random_seed(config["seed"])  # as the trainer initialises it
    model = build_transformer(config["arch"], 2)
    if step:
        model.load_weights(str(runs / name / "snapshots" / f"step_{step:06d}.weights.h5"))
    return np.concatenate([w.ravel() for w in model.get_weights()])


def losses(runs: Path, name: str) -> list[float]:
    with open(runs / name / "log.csv") as handle:
        return [float(row["loss"]) for row in csv.DictReader(handle)]


def test_mirrored_runs_record_their_replicas(runs):
    state = json.loads((runs / "adam-mirrored" / "state.json").read_text())
    assert state["step"] == STEPS and state["sessions"][0]["replicas"] == 2
    config = json.loads((runs / "adam-mirrored" / "config.json").read_text())
    assert config["argv"][-2:] == ["--strategy", "mirrored"]


def test_mirrored_sgd_steps_equal_the_default_ones(runs):
    start, default, mirrored = weights(runs, "sgd-default", 0), weights(runs, "sgd-default"), weights(runs, "sgd-mirrored")
    assert np.abs(default - start).max() > 1e-3  # the steps moved the weights
    np.testing.assert_allclose(mirrored, default, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(losses(runs, "sgd-mirrored"), losses(runs, "sgd-default"), rtol=1e-5)


def test_mirrored_adam_training_follows_the_default_one(runs):
    np.testing.assert_allclose(losses(runs, "adam-mirrored"), losses(runs, "adam-default"), rtol=1e-4)
    start, default, mirrored = weights(runs, "adam-default", 0), weights(runs, "adam-default"), weights(runs, "adam-mirrored")
    moved, apart = np.abs(default - start).max(), np.abs(mirrored - default)
    assert moved > 0.01
    # Adam divides by the gradient's size, so float sums taken in another order move weights whose
    # gradient is nearly zero by up to a step; all others agree closely
    assert apart.max() < 0.05 * moved and np.mean(apart > 1e-4) < 0.01


def test_multiworker_training_follows_the_default_one(multiworker):
    runs = multiworker
    np.testing.assert_allclose(losses(runs, "adam-multiworker"), losses(runs, "adam-default"), rtol=1e-4)
    default, chief = weights(runs, "adam-default"), weights(runs, "adam-multiworker")
    moved = np.abs(default - weights(runs, "adam-default", 0)).max()
    assert np.abs(chief - default).max() < 0.05 * moved
    # worker 0 writes the run folder; worker 1 keeps its own copy to resume from
    other = runs / "adam-multiworker" / "workers" / "1"
    assert json.loads((other / "state.json").read_text())["step"] == STEPS and (other / "ckpt" / "checkpoint").exists()
    assert not (other / "snapshots").exists()
