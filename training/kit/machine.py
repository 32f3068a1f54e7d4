"""The machine a run trains on: threads, determinism, hardware string, tf.distribute."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def set_threads(threads: int | None = None, deterministic: bool = False) -> None:
    """One behaviour for every trainer: `threads` caps TensorFlow's intra- and inter-op pools
    (None keeps TensorFlow's default, all cores); `deterministic` switches on op determinism
    (bit-identical resume, slower on some ops). Called before any tensor is made; when
    TensorFlow has already started in this process (tests, notebooks), the thread setting
    cannot change and a note says so."""
    import tensorflow as tf

    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(int(threads))
        except RuntimeError:
            print(f"note: --threads {threads} ignored, TensorFlow is already initialised", file=sys.stderr)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def cpu_model() -> str:
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return model


def hardware(note: str | None = None) -> str:
    """One line about the machine, for model cards."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    accel = f"{len(gpus)} GPU" if gpus else "no GPU"
    text = f"{os.cpu_count()}-core CPU ({cpu_model()}), {accel}; TensorFlow {tf.__version__} (tf_keras)"
    return f"{text}, {note}" if note else text


STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name: str | None):
    """`mirrored`: MirroredStrategy over the local devices (GPUs, or logical CPU devices);
    `multiworker`: MultiWorkerMirroredStrategy, configured by TF_CONFIG on every worker;
    anything else: the default (no distribution)."""
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief(strategy) -> bool:
    """Worker 0 (or the chief) writes the run folder; the others write theirs into
    `<run>/workers/<index>`."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "cluster_spec", None) or not resolver.cluster_spec().as_dict():
        return True
    spec = resolver.cluster_spec().as_dict()
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0
                                             and "chief" not in spec)


def worker_dir(run: Path, strategy) -> Path:
    if is_chief(strategy):
        return Path(run)
    path = Path(run) / "workers" / str(strategy.cluster_resolver.task_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def logical_cpus(count: int = 2) -> None:
    """Split the CPU into `count` logical devices (tests of MirroredStrategy on one machine).
    Must run before TensorFlow initialises its devices."""
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        pass  # already initialised with the same split
