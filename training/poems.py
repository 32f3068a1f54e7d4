"""Poems studio: a character-level LSTM (seed 000, seed 001) — train, sample, export.

    python -m training poems train  --corpus PATH --name NAME [options]
    python -m training poems sample --model DIR --seed "First line" [--temperature T --top-k K --top-p P --length N]
    python -m training poems export --name NAME [--out exported_models/poems/NAME]

Training is stateless, on windows of `--seq-len` characters:
Embedding -> LSTM x layers (-> Dropout) -> Dense logits. The run folder
(`$MUZA_RUNS/poems/NAME`, default ~/.cache/muza/runs/poems/NAME) holds the
configuration, the latest checkpoint (weights + optimizer + epoch/step counters),
the best-validation weights, snapshots, a CSV log, a loss curve and samples.
`--resume` continues exactly where the last checkpoint left off.

Export builds a *stateful, batch-1, one-step* copy of the network (the browser
feeds one character at a time and keeps the LSTM state inside the layers),
copies the best weights into it and writes a tensorflowjs layers model.

Distributed training: `--strategy mirrored` uses tf.distribute.MirroredStrategy
over the local devices (GPUs, or logical CPU devices); `--strategy multiworker`
uses MultiWorkerMirroredStrategy, configured by the TF_CONFIG environment
variable on every worker, e.g. for two machines

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}'   # index 1 on host2

and the same train command on both. `--batch` is the global batch. Worker 0 is the
chief and writes the run folder; the other workers write theirs into
`<run>/workers/<index>` (needed by the collective checkpoint save, then unused).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from training.kit import runs
from training.text_corpus import CorpusError, encode, load_corpus, real_lines

# tensorflowjs imports TF-DF, whose welcome banner imports IPython when stdout is not a terminal file (pytest)
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

STUDIO = "poems"
LN2 = math.log(2.0)
CONFIG = "config.json"
STATE = "state.json"
BEST = "best.weights.npz"
DEFAULT_SEED_TEXT = "\n"
ARCH_KEYS = ("layers", "units", "embed", "dropout")


# ---------------------------------------------------------------- small helpers
def _keras():
    import tf_keras as keras  # noqa: PLC0415  (TF is imported lazily: the CLI help and corpus errors stay fast)

    return keras


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_json(path: Path, data) -> None:
    _atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def bits(nats: float) -> float:
    return float(nats) / LN2


def set_threads(threads: int | None) -> None:
    if threads:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already started in this process (tests, notebooks): keep its setting
            print(f"note: --threads {threads} ignored, TensorFlow is already initialised", file=sys.stderr)


# ---------------------------------------------------------------- the network
def build_model(vocab_size: int, layers: int = 1, units: int = 256, embed: int = 64, dropout: float = 0.0,
                stateful: bool = False):
    """Training model (stateful=False): ids [B, T] -> logits [B, T, V].

    One-step model (stateful=True): ids [1, 1] -> logits [1, V], LSTM state kept in the layers.
    Layer names are shared, so weights copy by name.
    """
    keras = _keras()
    if stateful:
        inp = keras.Input(batch_shape=(1, 1), dtype="int32", name="chars")
    else:
        inp = keras.Input(shape=(None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, embed, name="embed")(inp)
    for i in range(layers):
        last = i == layers - 1
        x = keras.layers.LSTM(units, return_sequences=not (stateful and last), stateful=stateful, name=f"lstm{i + 1}")(x)
        if dropout and not stateful:
            x = keras.layers.Dropout(dropout, name=f"drop{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(inp, logits, name="poet_step" if stateful else "poet")


def weights_by_layer(model) -> dict[str, list[np.ndarray]]:
    """Weights of the layers that matter for inference (dropout RNG state left out), by layer name."""
    return {layer.name: layer.get_weights() for layer in model.layers
            if layer.get_weights() and layer.name.split("_")[0][:4] != "drop"}


def save_weights_npz(model, path: Path) -> None:
    """Weights by layer name in a plain .npz (atomic): independent of Keras' weight-file formats."""
    arrays = {f"{name}/{i}": w for name, ws in weights_by_layer(model).items() for i, w in enumerate(ws)}
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_weights_npz(path: Path) -> dict[str, list[np.ndarray]]:
    with np.load(path) as data:
        out: dict[str, list] = {}
        for key in sorted(data.files, key=lambda k: (k.rsplit("/", 1)[0], int(k.rsplit("/", 1)[1]))):
            out.setdefault(key.rsplit("/", 1)[0], []).append(data[key])
    return out


def set_weights_by_layer(model, weights: dict[str, list[np.ndarray]]) -> None:
    for layer in model.layers:
        if layer.name in weights:
            layer.set_weights(weights[layer.name])


def step_model_from(weights: dict, arch: dict, vocab_size: int):
    model = build_model(vocab_size, arch["layers"], arch["units"], arch["embed"], 0.0, stateful=True)
    set_weights_by_layer(model, weights)
    return model


def load_run_weights(run: Path, which: str = "best") -> tuple[dict, dict]:
    """(config, weights by layer) of a run folder: `best`, `last` or `snapshot:N`."""
    config = _read_json(run / CONFIG)
    if which == "best":
        path = run / BEST
    elif which.startswith("snapshot:"):
        path = run / "snapshots" / f"epoch-{int(which.split(':')[1]):03d}.weights.npz"
    else:
        path = run / "last.weights.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: has run {run} finished an epoch yet?")
    return config, load_weights_npz(path)


def load_model_dir(path: Path) -> tuple[dict, dict]:
    """(config-like dict with chars and architecture, weights by layer) of a run folder or exported model."""
    path = Path(path)
    if (path / CONFIG).exists():
        return load_run_weights(path)
    if (path / "model.json").exists() and (path / "vocab.json").exists():
        import tensorflowjs as tfjs

        model = tfjs.converters.load_keras_model(str(path / "model.json"))
        chars = _read_json(path / "vocab.json")["chars"]
        lstms = [l for l in model.layers if l.name.startswith("lstm")]
        emb = model.get_layer("embed")
        arch = {"layers": len(lstms), "units": lstms[0].units, "embed": emb.output_dim, "dropout": 0.0}
        card = _read_json(path / "card.json") if (path / "card.json").exists() else {}
        config = {"chars": chars, **arch, "command": card.get("training", {}).get("command", ""), "exported": str(path)}
        return config, weights_by_layer(model)
    raise FileNotFoundError(f"{path} is neither a poems run folder (config.json) nor an exported model (model.json + vocab.json)")


def resolve_model_path(spec: str, runs_dir: str | None = None) -> Path:
    path = Path(spec).expanduser()
    if path.exists():
        return path
    candidate = (Path(runs_dir).expanduser() if runs_dir else runs.runs_root()) / STUDIO / spec
    if candidate.exists():
        return candidate
    raise FileNotFoundError(f"--init-from/--model {spec}: no such folder, and no run {candidate}")


def extend_vocab_weights(weights: dict, old_chars: list[str], new_chars: list[str], seed: int = 0) -> dict:
    """Weights for a vocabulary that starts with `old_chars` and appends new characters.

    Known rows of the embedding and columns of the output layer are copied; new
    embedding rows start small, new output biases low (new characters start rare).
    """
    assert new_chars[:len(old_chars)] == old_chars, "the new vocabulary must start with the old one"
    extra = len(new_chars) - len(old_chars)
    if extra == 0:
        return weights
    rng = np.random.default_rng(seed)
    out = dict(weights)
    (emb,) = weights["embed"]
    out["embed"] = [np.concatenate([emb, rng.normal(0, 0.01, (extra, emb.shape[1])).astype(emb.dtype)])]
    kernel, bias = weights["logits"]
    out["logits"] = [
        np.concatenate([kernel, rng.normal(0, 0.01, (kernel.shape[0], extra)).astype(kernel.dtype)], axis=1),
        np.concatenate([bias, np.full(extra, bias.min() - 1.0, bias.dtype)]),
    ]
    return out


# ---------------------------------------------------------------- sampling
def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, np.float64) / max(temperature, 1e-6)
    z -= z.max()
    p = np.exp(z)
    return p / p.sum()


def filter_probs(p: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    p = np.array(p, np.float64)
    if top_k and 0 < top_k < len(p):
        cutoff = np.sort(p)[-top_k]
        p[p < cutoff] = 0.0
    if 0.0 < top_p < 1.0:
        order = np.argsort(-p)
        cum = np.cumsum(p[order])
        keep = order[: int(np.searchsorted(cum, top_p * cum[-1])) + 1]
        mask = np.zeros_like(p, bool)
        mask[keep] = True
        p[~mask] = 0.0
    return p / p.sum()


class StepRunner:
    """Drives a stateful one-step model from Python (reference sampler, parity fixtures)."""

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self._step = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def reset(self):
        self.model.reset_states()

    def step(self, char_id: int) -> np.ndarray:
        return self._step(np.array([[char_id]], np.int32)).numpy()[0]

    def prime(self, ids: list[int]) -> np.ndarray:
        self.reset()
        logits = None
        for i in ids:
            logits = self.step(i)
        return logits


def generate(runner: StepRunner, chars: list[str], seed_text: str, length: int = 400, temperature: float = 0.8,
             top_k: int = 0, top_p: float = 1.0, rng: np.random.Generator | None = None) -> tuple[str, list[str]]:
    """Sample `length` characters after `seed_text`; returns (text, unknown seed characters skipped)."""
    rng = rng or np.random.default_rng()
    index = {c: i for i, c in enumerate(chars)}
    unknown = sorted({c for c in seed_text if c not in index})
    ids = [index[c] for c in seed_text if c in index] or [index.get("\n", 0)]
    logits = runner.prime(ids)
    out = []
    for _ in range(length):
        p = filter_probs(softmax(logits, temperature), top_k, top_p)
        nxt = int(rng.choice(len(p), p=p))
        out.append(chars[nxt])
        logits = runner.step(nxt)
    return "".join(out), unknown


# ---------------------------------------------------------------- data
def epoch_windows(ids: np.ndarray, seq_len: int, seed: int, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Input/target windows for one epoch: a random phase and a shuffled order, both a function of (seed, epoch).

    Because the order depends only on (seed, epoch), a resumed run sees exactly the
    batches the uninterrupted run would have seen.
    """
    rng = np.random.default_rng([seed, epoch])
    offset = int(rng.integers(0, seq_len)) if len(ids) > 2 * (seq_len + 1) else 0
    n = (len(ids) - 1 - offset) // seq_len
    if n < 1:
        raise CorpusError(f"training text has {len(ids)} characters, fewer than --seq-len {seq_len} + 1")
    starts = offset + np.arange(n) * seq_len
    starts = starts[rng.permutation(n)]
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]
    win = ids[idx]
    return win[:, :-1].astype(np.int32), win[:, 1:].astype(np.int32)


def val_windows(ids: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    if len(ids) < 2:
        return np.zeros((0, seq_len), np.int32), np.zeros((0, seq_len), np.int32)
    length = min(seq_len, len(ids) - 1)
    n = (len(ids) - 1) // length
    idx = (np.arange(n) * length)[:, None] + np.arange(length + 1)[None, :]
    win = ids[idx]
    return win[:, :-1].astype(np.int32), win[:, 1:].astype(np.int32)


# ---------------------------------------------------------------- training
def lr_at(config: dict, epoch: int) -> float:
    """Learning rate of 0-based `epoch`: a function of the epoch only, so resuming keeps the schedule."""
    decay, after = config.get("lr_decay", 1.0), config.get("lr_decay_after", 10)
    return float(config["lr"] * decay ** max(0, epoch + 1 - after))


class PoemsError(RuntimeError):
    """A user-facing failure (reported without a traceback)."""


class Halted(Exception):
    """Raised by --halt-after-steps: simulates the process being killed (nothing more is saved)."""


def make_strategy(name: str):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _is_chief(strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "cluster_spec", None) or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0
                                             and "chief" not in resolver.cluster_spec().as_dict())


def _quote(word: str) -> str:
    """Shell quoting that keeps a command on one line: newlines and tabs become bash $'...' escapes."""
    if "\n" in word or "\t" in word:
        esc = word.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
        return f"$'{esc}'"
    return shlex.quote(word)


def _command_line(argv: list[str]) -> str:
    return "python -m training poems " + " ".join(_quote(a) for a in _clean_argv(argv))


def _clean_argv(argv: list[str]) -> list[str]:
    """The train arguments without the ones that only steer a session (--resume, test hooks)."""
    drop_flags = {"--resume", "--force"}
    out, skip = [], False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a in drop_flags:
            continue
        if a in ("--halt-after-steps",):
            skip = True
            continue
        out.append(a)
    return out


def reproduce_command(config: dict, epochs: int | None) -> str:
    """The run's command with the epochs actually trained (across resumes) and without the session budget."""
    if config.get("argv") is not None:
        words = list(config["argv"])
    elif config.get("command", "").startswith("python -m training poems "):
        words = shlex.split(config["command"])[4:]  # runs recorded before "argv" was kept
    else:
        return config.get("command", "")  # e.g. an exported model's card command: already final
    words = [part for w in words for part in (w.split("=", 1) if w.startswith(("--epochs=", "--max-minutes=")) else [w])]
    out, i = [], 0
    while i < len(words):
        w = words[i]
        if w == "--max-minutes":
            i += 2
            continue
        if w == "--epochs" and epochs:
            out += [w, str(epochs)]
            i += 2
            continue
        out.append(w)
        i += 1
    if epochs and "--epochs" not in out:
        out += ["--epochs", str(epochs)]
    return "python -m training poems " + " ".join(_quote(w) for w in out)


def plot_history(history: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ep = [h["epoch"] for h in history]
    ax.plot(ep, [h["train_bpc"] for h in history], "o-", label="train")
    ax.plot(ep, [h["val_bpc"] for h in history], "o-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per character")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def train(args, argv: list[str]) -> int:
    if not args.resume:  # check the corpus before the slow TensorFlow import
        load_corpus(args.corpus, args.val_fraction, args.seed, args.max_vocab)
    import tensorflow as tf

    set_threads(args.threads)
    keras = _keras()
    keras.backend.experimental.enable_tf_random_generator()  # dropout RNG state lives in the checkpoint
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(args.seed)

    strategy = make_strategy(args.strategy)
    chief = _is_chief(strategy)
    run = runs.run_dir(STUDIO, args.name, args.runs_dir)
    if not chief:
        run = run / "workers" / str(strategy.cluster_resolver.task_id)
        run.mkdir(parents=True, exist_ok=True)
    config_path, state_path = run / CONFIG, run / STATE

    if args.resume and state_path.exists():
        config = _read_json(config_path)
        state = _read_json(state_path)
        best = "none yet" if state["best_val_bpc"] is None else f"{state['best_val_bpc']:.4f} bits/char"
        print(f"resuming run {run} at epoch {state['epoch']} step {state['step_in_epoch']} "
              f"(best validation {best}, {state['wall_time_s']:.0f} s so far)")
        if state.get("finished") and not args.epochs_given:
            print(f"run already finished ({state['finished']}); pass a larger --epochs to train further")
            return 0
    else:
        if state_path.exists() and not args.force:
            print(f"error: run {run} exists; use --resume to continue it or --force to start over", file=sys.stderr)
            return 2
        import shutil

        for stale in run.iterdir():  # --force, or a run that never finished its first checkpoint
            if stale.is_dir() and stale.name != "workers":
                shutil.rmtree(stale)
            elif stale.is_file() and stale.suffix != ".log":  # keep the log a nohup may be writing
                stale.unlink()
        arch = {"layers": args.layers, "units": args.units, "embed": args.embed, "dropout": args.dropout}
        base_chars, init = None, None
        if args.init_from:
            src = resolve_model_path(args.init_from, args.runs_dir)
            src_config, _ = load_model_dir(src)
            base_chars = src_config["chars"]
            for k in ("layers", "units", "embed"):
                if arch[k] != src_config[k] and getattr(args, f"{k}_given"):
                    print(f"note: --{k} {arch[k]} ignored, the network comes from {src} ({k}={src_config[k]})")
                arch[k] = src_config[k]
            src_state = _read_json(src / STATE) if (src / STATE).exists() else {}
            init = {"path": str(src.resolve()), "command": src_config.get("command", ""),
                    "argv": src_config.get("argv"),
                    "epochs": src_state.get("epoch"), "best_epoch": src_state.get("best_epoch"),
                    "val_bits_per_char": src_state.get("best_val_bpc")}
        corpus = load_corpus(args.corpus, args.val_fraction, args.seed, args.max_vocab, base_chars)
        config = {
            "version": 1,
            "name": args.name,
            "corpus": str(Path(args.corpus).resolve()),
            "corpus_name": args.corpus_name or Path(args.corpus).resolve().name,
            "chars": corpus.chars,
            **arch,
            "seq_len": args.seq_len,
            "batch": args.batch,
            "lr": args.lr,
            "lr_decay": args.lr_decay,
            "lr_decay_after": args.lr_decay_after,
            "val_fraction": args.val_fraction,
            "seed": args.seed,
            "patience": args.patience,
            "epochs": args.epochs,
            "snapshots": sorted(set(args.snapshots)),
            "strategy": args.strategy,
            "init_from": init,
            "command": _command_line(argv),
            "argv": _clean_argv(argv),
            "split_by": corpus.split_by,
        }
        state = {"epoch": 0, "step_in_epoch": 0, "partial_loss_sum": 0.0, "best_val_bpc": None, "best_epoch": 0,
                 "bad_epochs": 0, "wall_time_s": 0.0, "history": [], "snapshots": {}, "finished": None,
                 "ckpt": None, "steps": 0}
        _write_json(config_path, config)  # every worker keeps its own copy (multiworker resume)
    epochs = args.epochs if args.epochs_given or not args.resume else config.get("epochs", args.epochs)
    patience = args.patience if args.patience_given or not args.resume else config.get("patience", args.patience)

    corpus = load_corpus(config["corpus"], config["val_fraction"], config["seed"], max(args.max_vocab, len(config["chars"])),
                         config["chars"] if config.get("init_from") else None)
    if corpus.chars != config["chars"]:
        print(f"error: the corpus at {config['corpus']} changed since the run started (vocabulary differs)", file=sys.stderr)
        return 2
    print(corpus.summary())
    chars, V = config["chars"], len(config["chars"])
    train_ids = np.array(encode(corpus.train_text, chars), np.int32)
    val_ids = np.array(encode(corpus.val_text, chars), np.int32)
    seq_len, batch = config["seq_len"], config["batch"]
    vx, vy = val_windows(val_ids, seq_len)
    n_batches = len(epoch_windows(train_ids, seq_len, config["seed"], 0)[0]) // batch
    if n_batches < 1:
        print(f"error: the training text makes fewer windows than one batch of {batch}; lower --batch or --seq-len",
              file=sys.stderr)
        return 2

    with strategy.scope():
        model = build_model(V, *(config[k] for k in ARCH_KEYS))
        optimizer = keras.optimizers.Adam(config["lr"])
        model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    # build optimizer slots now so that the checkpoint restores them
    with strategy.scope():
        optimizer.build(model.trainable_variables)
    # Keras keeps the dropout RNG out of checkpoints; add its state so that a resumed run draws the same masks
    rng_states = {f"rng_{layer.name}": layer._random_generator._generator.state for layer in model.layers
                  if getattr(getattr(layer, "_random_generator", None), "_generator", None) is not None}
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer, **rng_states)
    if state.get("ckpt"):
        ckpt.restore(str(run / state["ckpt"])).assert_existing_objects_matched()
    elif config.get("init_from"):
        _, src_weights = load_model_dir(Path(config["init_from"]["path"]))
        src_chars = _read_json(Path(config["init_from"]["path"]) / CONFIG)["chars"] if (
            Path(config["init_from"]["path"]) / CONFIG).exists() else _read_json(
            Path(config["init_from"]["path"]) / "vocab.json")["chars"]
        set_weights_by_layer(model, extend_vocab_weights(src_weights, src_chars, chars, config["seed"]))
        print(f"initialised from {config['init_from']['path']} (+{V - len(src_chars)} new characters)")
    print(f"model: {config['layers']} x LSTM {config['units']}, embed {config['embed']}, dropout {config['dropout']}, "
          f"vocab {V}, {model.count_params():,} parameters; {n_batches} batches of {batch} x {seq_len} per epoch; "
          f"strategy {args.strategy} ({strategy.num_replicas_in_sync} replica(s))")

    step_model = build_model(V, config["layers"], config["units"], config["embed"], 0.0, stateful=True)
    sampler = StepRunner(step_model)
    session_start = time.monotonic()
    clock = runs.WallClock(args.max_minutes)
    wall_base = state["wall_time_s"]
    ckpt_seconds = args.checkpoint_minutes * 60 if args.checkpoint_minutes else None
    sample_seed = args.sample_seed if args.sample_seed is not None else DEFAULT_SEED_TEXT

    def wall() -> float:
        return wall_base + (time.monotonic() - session_start)

    def save_checkpoint(epoch: int, step_in_epoch: int, partial_sum: float, extra: dict | None = None) -> None:
        # multiworker: every worker must take part in the save; only the chief's copy is used
        prefix = f"ckpt-e{epoch:04d}-s{step_in_epoch:06d}"
        path = ckpt.save(str(run / prefix))
        previous = state.get("ckpt")
        state.update({"epoch": epoch, "step_in_epoch": step_in_epoch, "partial_loss_sum": partial_sum,
                      "wall_time_s": wall(), "ckpt": Path(path).name, **(extra or {})})
        _write_json(state_path, state)
        if previous and previous != state["ckpt"]:
            for old in run.glob(f"{previous}.*"):
                old.unlink()

    class Steps(keras.callbacks.Callback):
        def __init__(self, epoch: int, skip: int, prior_sum: float):
            super().__init__()
            self.epoch, self.skip, self.prior_sum = epoch, skip, prior_sum
            self.last_save = time.monotonic()
            self.done = skip

        def on_train_batch_end(self, batch, logs=None):
            state["steps"] += 1
            step = self.done = self.skip + batch + 1
            partial = self.prior_sum + float(logs["loss"]) * (batch + 1)
            due = (ckpt_seconds and time.monotonic() - self.last_save >= ckpt_seconds) or (
                args.checkpoint_steps and state["steps"] % args.checkpoint_steps == 0)
            if step < n_batches and (due or clock.exhausted()):
                save_checkpoint(self.epoch, step, partial)
                self.last_save = time.monotonic()
                print(f"\n[checkpoint] epoch {self.epoch + 1} step {step}/{n_batches}: "
                      f"train {bits(partial / step):.4f} bits/char, {wall():.0f} s", flush=True)
                if clock.exhausted():
                    self.model.stop_training = True
            if args.halt_after_steps and state["steps"] >= args.halt_after_steps:
                raise Halted(f"halted after {state['steps']} steps (simulated kill)")

    log_path = run / "log.csv"
    stop_reason = None
    epoch = state["epoch"]
    try:
        while epoch < epochs:
            if clock.exhausted():
                stop_reason = f"time budget of {args.max_minutes} min used"
                break
            x, y = epoch_windows(train_ids, seq_len, config["seed"], epoch)
            optimizer.learning_rate = lr_at(config, epoch)
            skip = state["step_in_epoch"]
            x, y = x[skip * batch:n_batches * batch], y[skip * batch:n_batches * batch]
            ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True)
            print(f"epoch {epoch + 1}/{epochs}" + (f" (from step {skip})" if skip else ""), flush=True)
            cb = Steps(epoch, skip, state["partial_loss_sum"])
            model.fit(ds, epochs=epoch + 1, initial_epoch=epoch, verbose=args.verbose, callbacks=[cb])
            done = cb.done
            if done < n_batches:
                # stopped inside the epoch by the time budget: the checkpoint was written by the callback
                stop_reason = f"time budget of {args.max_minutes} min used (inside epoch {epoch + 1})"
                break
            train_loss = (cb.prior_sum + float(model.history.history["loss"][-1]) * (done - skip)) / done
            val_loss = float(model.evaluate(vx, vy, batch_size=batch, verbose=0)) if len(vx) else float("nan")
            epoch += 1
            rec = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "train_bpc": bits(train_loss),
                   "val_bpc": bits(val_loss), "wall_time_s": round(wall(), 1)}
            state["history"].append(rec)
            improved = state["best_val_bpc"] is None or rec["val_bpc"] < state["best_val_bpc"] - 1e-6
            weights = None
            if chief:
                if improved:
                    save_weights_npz(model, run / BEST)
                if epoch in config["snapshots"]:
                    (run / "snapshots").mkdir(exist_ok=True)
                    save_weights_npz(model, run / "snapshots" / f"epoch-{epoch:03d}.weights.npz")
                    state["snapshots"][str(epoch)] = rec["val_bpc"]
                save_weights_npz(model, run / "last.weights.npz")
            if improved:
                state["best_val_bpc"], state["best_epoch"], state["bad_epochs"] = rec["val_bpc"], epoch, 0
            else:
                state["bad_epochs"] += 1
            save_checkpoint(epoch, 0, 0.0)
            if chief:
                new_file = not log_path.exists()
                with open(log_path, "a", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(handle, fieldnames=list(rec))
                    if new_file:
                        writer.writeheader()
                    writer.writerow(rec)
                plot_history(state["history"], run / "loss.png", f"{config['name']} ({config['corpus_name']})")
            print(f"epoch {epoch}: train {rec['train_bpc']:.4f} bits/char, validation {rec['val_bpc']:.4f} bits/char "
                  f"({val_loss:.4f} nats){' *best*' if improved else ''}; {wall():.0f} s total", flush=True)
            if args.sample_length and chief:
                weights = weights_by_layer(model)
                set_weights_by_layer(step_model, weights)
                text, _ = generate(sampler, chars, sample_seed, args.sample_length, 0.8,
                                   rng=np.random.default_rng([config["seed"], epoch]))
                print(f"--- sample after epoch {epoch} (temperature 0.8) ---\n{sample_seed}{text}\n---", flush=True)
                with open(run / "samples.txt", "a", encoding="utf-8") as handle:
                    handle.write(f"=== epoch {epoch}, val {rec['val_bpc']:.4f} bits/char ===\n{sample_seed}{text}\n\n")
            if patience and state["bad_epochs"] >= patience:
                stop_reason = f"early stop: validation did not improve for {patience} epochs"
                break
        else:
            stop_reason = f"reached {epochs} epochs"
    except Halted as err:
        print(str(err), file=sys.stderr)
        return 3
    state["finished"] = stop_reason if not (stop_reason or "").startswith("time budget") else None
    state["wall_time_s"] = wall()
    _write_json(state_path, state)
    best = "none yet" if state["best_val_bpc"] is None else f"{state['best_val_bpc']:.4f} bits/char"
    print(f"stopped: {stop_reason}. best validation {best} at epoch {state['best_epoch']}; run folder {run}")
    return 0


# ---------------------------------------------------------------- export
def float16_round(weights: dict) -> dict:
    return {k: [w.astype(np.float16).astype(np.float32) for w in ws] for k, ws in weights.items()}


def uint8_round(weights: dict) -> dict:
    """What tensorflowjs' uint8 affine quantisation gives back after dequantisation (per weight tensor)."""
    out = {}
    for k, ws in weights.items():
        res = []
        for w in ws:
            lo, hi = float(w.min()), float(w.max())
            scale = (hi - lo) / 255.0 if hi > lo else 1.0
            q = np.round((w - lo) / scale)
            res.append((q * scale + lo).astype(np.float32))
        out[k] = res
    return out


def distributions(runner: StepRunner, ids: list[int]) -> np.ndarray:
    runner.reset()
    return np.stack([softmax(runner.step(i)) for i in ids])


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def export(args) -> int:
    set_threads(args.threads)
    from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers, today

    run = runs.run_dir(STUDIO, args.name, args.runs_dir)
    if not (run / CONFIG).exists() or not (run / BEST).exists():
        print(f"error: {run} has no finished epoch to export", file=sys.stderr)
        return 2
    config, weights = load_run_weights(run)
    state = _read_json(run / STATE)
    chars, V = config["chars"], len(config["chars"])
    arch = {k: config[k] for k in ARCH_KEYS}
    best = next(h for h in state["history"] if h["epoch"] == state["best_epoch"])
    corpus = load_corpus(config["corpus"], config["val_fraction"], config["seed"], max(500, V),
                         chars if config.get("init_from") else None)
    val_ids = encode(corpus.val_text, chars)

    # one stateful step model (and one traced step function) serves every set of weights below
    step_model = step_model_from(weights, arch, V)
    runner = StepRunner(step_model)
    probe = val_ids[: args.probe_chars] or encode(DEFAULT_SEED_TEXT, chars)
    p32 = distributions(runner, probe)
    set_weights_by_layer(step_model, float16_round(weights))
    f16_diff = float(np.abs(distributions(runner, probe) - p32).max())
    set_weights_by_layer(step_model, weights)
    use16 = args.float16 and f16_diff <= args.float16_tolerance
    print(f"float16 weights: max |Δp| over {len(probe)} validation characters = {f16_diff:.2e} "
          f"(tolerance {args.float16_tolerance:g}) -> {'float16' if use16 else 'float32'}")
    stored = float16_round(weights) if use16 else weights

    default_seed = args.default_seed
    if default_seed is None:
        lines = real_lines(corpus.val_units, 15, 60, 1, config["seed"])
        default_seed = lines[0] + "\n" if lines else "\n"
    primer = args.primer or default_seed
    unknown = sorted({c for c in primer if c not in chars})
    if unknown:
        print(f"error: the primer has characters outside the vocabulary: {unknown}", file=sys.stderr)
        return 2
    primer_ids = encode(primer, chars)
    ref32 = softmax(runner.prime(primer_ids))
    set_weights_by_layer(step_model, stored)
    ref_stored = softmax(runner.prime(primer_ids))
    greedy, logits = [], runner.prime(primer_ids)
    for _ in range(40):
        nxt = int(np.argmax(logits))
        greedy.append(chars[nxt])
        logits = runner.step(nxt)
    # the training (stateless) model's last-step distribution for the same text: parity of the step copy
    train_model = build_model(V, **arch)
    set_weights_by_layer(train_model, weights)
    train_last = softmax(train_model(np.array([primer_ids], np.int32), training=False).numpy()[0, -1])
    parity = float(np.abs(train_last - ref32).max())
    print(f"one-step model vs training model, last-step distribution after the primer: max |Δp| = {parity:.2e}")
    if parity > 1e-4:
        print("error: the stateful one-step copy does not reproduce the training model", file=sys.stderr)
        return 2

    snaps = []
    for ep_s, val_bpc in sorted(state.get("snapshots", {}).items(), key=lambda kv: int(kv[0])):
        ep = int(ep_s)
        if args.snapshots is not None and ep not in args.snapshots:
            continue
        snaps.append((ep, val_bpc))

    out = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / args.name
    name = out.name
    params = int(step_model.count_params())
    hardware = args.hardware or f"{platform.machine()} CPU, {os.cpu_count()} cores, no GPU ({platform.system()})"

    def write(tmp: Path) -> dict:
        import tensorflowjs as tfjs

        set_weights_by_layer(step_model, stored)
        step_model.reset_states()
        save_tfjs_layers(step_model, tmp, "float16" if use16 else "float32")
        snap_entries = []
        for ep, val_bpc in snaps:
            _, sw = load_run_weights(run, f"snapshot:{ep}")
            folder = tmp / "snapshots" / f"epoch-{ep:03d}"
            folder.mkdir(parents=True)
            set_weights_by_layer(step_model, sw)
            tfjs.converters.save_keras_model(step_model, str(folder),
                                             quantization_dtype_map={args.snapshot_dtype: "*"}
                                             if args.snapshot_dtype != "float32" else None)
            snap_entries.append({"epoch": ep, "entry": f"snapshots/epoch-{ep:03d}/model.json",
                                 "val_bits_per_char": round(float(val_bpc), 4), "weights_dtype": args.snapshot_dtype})
        _write_json(tmp / "vocab.json", {"chars": chars, "normalization": "NFC"})
        lines = real_lines(corpus.val_units, 25, 90, args.real_lines, config["seed"])
        _write_json(tmp / "real_lines.json", {"lines": lines, "source": "held-out validation split of the corpus"})
        _write_json(tmp / "reference.json", {
            "primer": primer,
            "primer_ids": primer_ids,
            "dtype": "float16" if use16 else "float32",
            "probs_float32": [float(v) for v in ref32.astype(np.float32)],
            "probs_exported": [float(v) for v in ref_stored.astype(np.float32)],
            "greedy_continuation": "".join(greedy),
            "note": "softmax of the one-step model's logits after feeding the primer one character at a time "
                    "from a reset state; probs_exported uses the weights as stored in the shards",
        })
        size = _dir_bytes(tmp)
        if args.max_mb and size > args.max_mb * 1e6:
            raise PoemsError(f"export is {size / 1e6:.1f} MB, over --max-mb {args.max_mb}; "
                               "use fewer snapshots or a smaller network")
        init = config.get("init_from")
        command = reproduce_command(config, state["epoch"])
        if init and init.get("command"):
            command = f"{reproduce_command(init, init.get('best_epoch') or init.get('epochs'))}  &&  {command}"
        card = {
            "name": name,
            "studio": STUDIO,
            "title": args.title or f"{config['corpus_name']} poet",
            "description": args.description or (
                f"A character-level LSTM ({arch['layers']} x {arch['units']}) trained on {config['corpus_name']}; "
                "it writes one character at a time."),
            "format": "layers",
            "entry": "model.json",
            "parameters": params,
            "weights_dtype": "float16" if use16 else "float32",
            "training": {
                "dataset": args.dataset or f"{config['corpus_name']} ({corpus.n_chars:,} characters)",
                "dataset_licence": args.dataset_licence or "see the corpus",
                "command": command,
                "epochs": state["epoch"],
                "wall_time_s": round(float(state["wall_time_s"]), 1),
                "date": today(),
                "hardware": hardware,
                "best_epoch": state["best_epoch"],
                "architecture": {**arch, "seq_len": config["seq_len"], "batch": config["batch"], "lr": config["lr"],
                                 "optimizer": "Adam"},
                "split": f"validation = {config['val_fraction']:.0%} of the corpus by whole {config['split_by']}",
                **({"init_from": init} if init else {}),
                **({"stopped": state["finished"]} if state.get("finished") else {}),
            },
            "metrics": {
                "val_bits_per_char": round(best["val_bpc"], 4),
                "train_bits_per_char": round(best["train_bpc"], 4),
                "val_nats_per_char": round(best["val_loss"], 4),
                "corpus_chars": corpus.n_chars,
                "corpus_lines": corpus.n_lines,
                "train_chars": len(corpus.train_text),
                "val_chars": len(corpus.val_text),
                "vocab_size": V,
                "float16_max_prob_diff": f16_diff,
                "step_vs_training_max_prob_diff": parity,
            },
            "credits": args.credits or "",
            "extras": {
                "vocab": "vocab.json",
                "real_lines": "real_lines.json",
                "reference": "reference.json",
                "corpus": config["corpus_name"],
                "default_seed": default_seed,
                "snapshots": snap_entries,
                "stateful": True,
                "input": "char id int32 [1,1]",
                "output": "logits [1,V]",
            },
        }
        if not card["credits"]:
            del card["credits"]
        return card

    target = atomic_export(out, write)
    print(f"exported {target} ({_dir_bytes(target) / 1e6:.2f} MB; best epoch {state['best_epoch']}, "
          f"validation {best['val_bpc']:.4f} bits/char; {len(snaps)} snapshot(s))")
    return 0


# ---------------------------------------------------------------- sample
def sample(args) -> int:
    set_threads(args.threads)
    path = resolve_model_path(args.model, args.runs_dir)
    config, weights = load_model_dir(path)
    runner = StepRunner(step_model_from(weights, {k: config[k] for k in ARCH_KEYS}, len(config["chars"])))
    text, unknown = generate(runner, config["chars"], args.seed, args.length, args.temperature, args.top_k, args.top_p,
                             np.random.default_rng(args.rng_seed))
    if unknown:
        print(f"note: characters not in the vocabulary were skipped: {''.join(unknown)!r}", file=sys.stderr)
    print(args.seed + text)
    return 0


# ---------------------------------------------------------------- CLI
def _int_list(text: str) -> list[int]:
    return [int(t) for t in text.replace(" ", "").split(",") if t]


class _Given(argparse.Action):
    """Store the value and remember that the user gave it (resume keeps the run's own settings otherwise)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training poems", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a character model on a UTF-8 corpus (file or folder)")
    t.add_argument("--corpus", required=True, help="a UTF-8 text file or a folder of them")
    t.add_argument("--name", required=True, help="run name: the run folder is <runs>/poems/NAME")
    t.add_argument("--corpus-name", help="short corpus name for the card (default: file/folder name)")
    for flag, typ, default, helptext in [
        ("--layers", int, 1, "LSTM layers"), ("--units", int, 256, "units per LSTM layer"),
        ("--embed", int, 64, "character embedding size"),
        ("--epochs", int, 100, "epochs (total, counting resumed ones)"),
        ("--patience", int, 5, "early stop after this many epochs without a better validation loss (0: never)"),
    ]:
        t.add_argument(flag, type=typ, default=default, action=_Given, help=f"{helptext} (default {default})")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout after each LSTM layer (default 0)")
    t.add_argument("--seq-len", type=int, default=100, help="training window length in characters (default 100)")
    t.add_argument("--batch", type=int, default=256, help="batch size, global across replicas (default 256)")
    t.add_argument("--lr", type=float, default=0.002, help="Adam learning rate (default 0.002)")
    t.add_argument("--lr-decay", type=float, default=1.0,
                   help="multiply the learning rate by this every epoch after --lr-decay-after (default 1: constant)")
    t.add_argument("--lr-decay-after", type=int, default=10, help="first epoch of the decay (default 10)")
    t.add_argument("--max-minutes", type=float, help="wall-clock budget for this session (checkpoints and stops)")
    t.add_argument("--val-fraction", type=float, default=0.1, help="held-out fraction, by whole files/blocks (0.1)")
    t.add_argument("--snapshots", type=_int_list, default=[1, 10, 40],
                   help="epochs whose weights are kept for 'watch it learn' (default 1,10,40)")
    t.add_argument("--init-from", help="fine-tune: a poems run folder/name or an exported model folder")
    t.add_argument("--strategy", choices=["default", "mirrored", "multiworker"], default="default")
    t.add_argument("--runs-dir", help="root of run folders (default $MUZA_RUNS or ~/.cache/muza/runs)")
    t.add_argument("--threads", type=int, help="TensorFlow intra/inter-op threads")
    t.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    t.add_argument("--force", action="store_true", help="start the run over even if it exists")
    t.add_argument("--seed", type=int, default=0, help="random seed: initial weights, split, data order")
    t.add_argument("--checkpoint-minutes", type=float, default=10.0,
                   help="also checkpoint inside an epoch this often (default 10; 0: only at epoch ends)")
    t.add_argument("--checkpoint-steps", type=int, default=0, help="also checkpoint every N training steps")
    t.add_argument("--sample-length", type=int, default=300, help="characters sampled after each epoch (0: none)")
    t.add_argument("--sample-seed", help="seed text for the samples printed after each epoch (default: newline)")
    t.add_argument("--max-vocab", type=int, default=500, help="refuse corpora with more distinct characters")
    t.add_argument("--deterministic", action="store_true", help="enable TF op determinism (slower)")
    t.add_argument("--verbose", type=int, default=1, help="Keras progress: 1 bar, 2 one line per epoch, 0 none")
    t.add_argument("--halt-after-steps", type=int, help=argparse.SUPPRESS)  # tests: simulate a kill

    s = sub.add_parser("sample", help="generate text from a run folder or an exported model")
    s.add_argument("--model", required=True, help="run folder, run name, or exported model folder")
    s.add_argument("--seed", default="\n", help="seed text (first line)")
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int, default=0)
    s.add_argument("--top-p", type=float, default=1.0)
    s.add_argument("--length", type=int, default=400)
    s.add_argument("--rng-seed", type=int, help="random seed for sampling")
    s.add_argument("--runs-dir")
    s.add_argument("--threads", type=int)

    e = sub.add_parser("export", help="export the best weights of a run for the browser")
    e.add_argument("--name", required=True, help="run name")
    e.add_argument("--out", help="target folder (default exported_models/poems/NAME)")
    e.add_argument("--float16", action=argparse.BooleanOptionalAction, default=True,
                   help="store float16 weights when the probabilities stay within --float16-tolerance")
    e.add_argument("--float16-tolerance", type=float, default=5e-3)
    e.add_argument("--probe-chars", type=int, default=400, help="validation characters for the float16 check")
    e.add_argument("--snapshots", type=_int_list, help="which snapshot epochs to export (default: all saved)")
    e.add_argument("--snapshot-dtype", choices=["uint8", "float16", "float32"], default="uint8")
    e.add_argument("--max-mb", type=float, default=10.0, help="refuse an export folder larger than this")
    e.add_argument("--real-lines", type=int, default=300)
    e.add_argument("--title")
    e.add_argument("--description")
    e.add_argument("--dataset")
    e.add_argument("--dataset-licence")
    e.add_argument("--credits")
    e.add_argument("--default-seed", help="seed line suggested in the web app")
    e.add_argument("--hardware", help="what the run was trained on (default: this machine's CPU count)")
    e.add_argument("--primer", help="text for reference.json (default: the default seed)")
    e.add_argument("--runs-dir")
    e.add_argument("--threads", type=int)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    for k in ("layers", "units", "embed", "epochs", "patience"):
        if not hasattr(args, f"{k}_given"):
            setattr(args, f"{k}_given", False)
    try:
        if args.command == "train":
            return train(args, argv)
        if args.command == "sample":
            return sample(args)
        return export(args)
    except (CorpusError, FileNotFoundError, PoemsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
