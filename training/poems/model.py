"""The network of the character studios and its weights (run folders and exported models).

Embedding -> LSTM x layers (-> Dropout) -> Dense logits. The training model reads a batch of
id sequences and, built with `carry=True`, takes each layer's initial state (h, c) as inputs
and returns the final states beside the logits, so that the trainer carries the state from
one batch to the next (truncated back-propagation through time) and scores a text as one
stream. The one-step copy is stateful with batch 1 (the browser feeds one character at a
time and keeps the LSTM state inside the layers). Layer names are shared, so weights copy
by name. Weights are kept by layer name in plain .npz files, independent of
Keras' weight-file formats.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from training.kit import runs
from training.kit.errors import UserError
from training.kit.files import read_json

BEST = "best.weights.npz"
LAST = "last.weights.npz"
ARCH_KEYS = ("layers", "units", "embed", "dropout")


def build_model(vocab_size: int, layers: int = 1, units: int = 256, embed: int = 64, dropout: float = 0.0,
                stateful: bool = False, carry: bool = False, kernel: str = "keras"):
    """Training model (stateful=False): ids [B, T] -> logits [B, T, V], from a zero state; with
    `carry`: [ids, h1, c1, h2, c2, ...] -> [logits, h1, c1, ...] (states [B, units]); `kernel`
    "loop" (or "loop-bf16") reads the sequences with lstm.SequenceLSTM (same weights, faster on a CPU).

    One-step model (stateful=True): ids [1, 1] -> logits [1, V], LSTM state kept in the layers.
    """
    import tf_keras as keras  # TF is imported lazily: the CLI help and corpus errors stay fast

    if stateful:
        inp = keras.Input(batch_shape=(1, 1), dtype="int32", name="chars")
    else:
        inp = keras.Input(shape=(None,), dtype="int32", name="chars")
    states_in = [keras.Input(shape=(units,), name=f"{k}{i + 1}_in") for i in range(layers) for k in "hc"] \
        if carry else []
    states_out = []
    x = keras.layers.Embedding(vocab_size, embed, name="embed")(inp)
    for i in range(layers):
        last = i == layers - 1
        if carry and kernel.startswith("loop"):
            from training.poems.lstm import SequenceLSTM

            lstm = SequenceLSTM(units, "bfloat16" if kernel == "loop-bf16" else "float32", name=f"lstm{i + 1}")
        else:
            lstm = keras.layers.LSTM(units, return_sequences=not (stateful and last), stateful=stateful,
                                     return_state=carry, name=f"lstm{i + 1}")
        if carry:
            x, h, c = lstm(x, initial_state=states_in[2 * i:2 * i + 2])
            states_out += [h, c]
        else:
            x = lstm(x)
        if dropout and not stateful:
            x = keras.layers.Dropout(dropout, name=f"drop{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    if carry:
        return keras.Model([inp, *states_in], [logits, *states_out], name="poet_carry")
    return keras.Model(inp, logits, name="poet_step" if stateful else "poet")


def zero_states(layers: int, units: int, batch: int) -> list[np.ndarray]:
    """The carry model's zero initial states: (h, c) per layer, [batch, units] each."""
    return [np.zeros((batch, units), np.float32) for _ in range(2 * layers)]


def architecture(config: dict) -> dict:
    return {k: config[k] for k in ARCH_KEYS}


def weights_by_layer(model) -> dict[str, list[np.ndarray]]:
    """Weights of the layers that matter for inference (dropout RNG state left out), by layer name."""
    return {layer.name: layer.get_weights() for layer in model.layers
            if layer.get_weights() and layer.name.split("_")[0][:4] != "drop"}


def save_weights_npz(model, path: Path) -> None:
    """Weights by layer name in a plain .npz (atomic)."""
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


def snapshot_path(run: Path, epoch: int) -> Path:
    return Path(run) / "snapshots" / f"epoch-{int(epoch):03d}.weights.npz"


def load_run_weights(run: Path, which: str = "best") -> tuple[dict, dict]:
    """(config, weights by layer) of a run folder: `best`, `last` or `snapshot:N`."""
    config = runs.read_config(run)
    if which == "best":
        path = run / BEST
    elif which.startswith("snapshot:"):
        path = snapshot_path(run, int(which.split(":")[1]))
    else:
        path = run / LAST
    if not path.exists():
        raise UserError(f"{path} not found: has run {run} finished an epoch yet?")
    return config, load_weights_npz(path)


def load_model_dir(path: Path) -> tuple[dict, dict]:
    """(config-like dict with chars and architecture, weights by layer) of a run folder or exported model."""
    path = Path(path)
    if (path / runs.CONFIG).exists():
        return load_run_weights(path)
    if (path / "model.json").exists() and (path / "vocab.json").exists():
        import tensorflowjs as tfjs

        model = tfjs.converters.load_keras_model(str(path / "model.json"))
        chars = read_json(path / "vocab.json")["chars"]
        lstms = [layer for layer in model.layers if layer.name.startswith("lstm")]
        emb = model.get_layer("embed")
        arch = {"layers": len(lstms), "units": lstms[0].units, "embed": emb.output_dim, "dropout": 0.0}
        card = read_json(path / "card.json") if (path / "card.json").exists() else {}
        config = {"chars": chars, **arch, "command": card.get("training", {}).get("command", ""), "exported": str(path)}
        return config, weights_by_layer(model)
    raise UserError(f"{path} is neither a run folder (config.json) nor an exported character model "
                    "(model.json + vocab.json)")


def resolve_model_path(spec: str, studio: str, runs_dir: str | None = None) -> Path:
    """A folder as given, else the run of that name in `<runs>/<studio>/`."""
    path = Path(spec).expanduser()
    if path.exists():
        return path
    candidate = (Path(runs_dir).expanduser() if runs_dir else runs.runs_root()) / studio / spec
    if candidate.exists():
        return candidate
    raise UserError(f"--init-from/--model {spec}: no such folder, and no run {candidate}")


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
