"""The export step shared by every studio.

`atomic_export` builds a model folder in a temporary directory beside the target,
checks it (card schema, checksums), and only then renames it into place, so a
failed or interrupted export never replaces a good model.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from training.kit.card import today  # noqa: F401  (re-exported: the date a card records)
from training.kit.files import folder_bytes, sha256_file, write_json

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "server" / "card.schema.json"
DEFAULT_EXPORT_ROOT = REPO_ROOT / "exported_models"


def file_manifest(folder: Path) -> dict[str, dict]:
    """sha256 and size of every file in `folder` except card.json."""
    manifest = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "card.json":
            rel = path.relative_to(folder).as_posix()
            manifest[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return manifest


def validate_card(card: dict) -> None:
    """Raise jsonschema.ValidationError if the card does not follow the schema."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(card, schema)


# Config fields Keras writes but tfjs-layers 4.22 refuses ("Unknown config field"), by class.
# They only matter for training, so the exported topology leaves them out and the model
# loads in stock tfjs without hand-editing its JSON.
TFJS_REJECTED_FIELDS = {
    "SeparableConv2D": ("kernel_initializer", "kernel_regularizer", "kernel_constraint"),
}


def tfjs_compatible_topology(node):
    """Drop TFJS_REJECTED_FIELDS from every layer config in a Keras topology (recursively)."""
    if isinstance(node, dict):
        rejected = TFJS_REJECTED_FIELDS.get(node.get("class_name"), ())
        config = node.get("config")
        if rejected and isinstance(config, dict):
            for key in rejected:
                config.pop(key, None)
        for value in node.values():
            tfjs_compatible_topology(value)
    elif isinstance(node, list):
        for value in node:
            tfjs_compatible_topology(value)
    return node


def save_tfjs_layers(model, folder: Path, dtype: str = "float32") -> None:
    """Convert a tf_keras model into a tensorflowjs layers model in `folder`, its weights stored
    as `dtype` (float32, float16, or uint8 affine quantisation)."""
    import tensorflowjs as tfjs

    quant = None if dtype == "float32" else {dtype: "*"}
    tfjs.converters.save_keras_model(model, str(folder), quantization_dtype_map=quant)
    model_json = Path(folder) / "model.json"
    doc = json.loads(model_json.read_text(encoding="utf-8"))
    tfjs_compatible_topology(doc["modelTopology"])
    model_json.write_text(json.dumps(doc), encoding="utf-8")


def write_snapshot_cards(folder: Path, card: dict) -> None:
    """Each snapshot listed in `card.extras.snapshots` (an `entry` inside `folder`) gets a
    card of its own, derived from the model's card, so every exported model folder is
    described. The parent's `files` never lists card.json files, so it is unaffected."""
    for snap in (card.get("extras") or {}).get("snapshots", []):
        sub_folder = Path(folder) / Path(snap["entry"]).parent
        epoch = snap["epoch"]
        sub = dict(card)
        sub.update(
            name=f"{card['name']}-epoch-{epoch:03d}",
            title=f"{card['title']} after epoch {epoch}",
            description=f"Snapshot of {card['studio']}/{card['name']} after epoch {epoch} of the same run, for 'watch it learn'.",
            entry=Path(snap["entry"]).name,
            weights_dtype=snap.get("weights_dtype", card.get("weights_dtype", "float32")),
            files=file_manifest(sub_folder),
            training={**card["training"], "epochs": epoch},
            metrics=(metrics := {k: v for k, v in snap.items() if k not in ("epoch", "entry", "weights_dtype")}),
            metrics_method={k: m for k, m in (card.get("metrics_method") or {}).items() if k in metrics},
            extras={"snapshot_of": f"{card['studio']}/{card['name']}", "epoch": epoch},
        )
        validate_card(sub)
        write_json(sub_folder / "card.json", sub)


def atomic_export(target: Path, write: Callable[[Path], dict]) -> Path:
    """Export a model folder atomically.

    `write(tmp)` writes the model files into `tmp` and returns the card without
    `files` (filled in here). The card is validated before the rename.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        card = write(tmp)
        card.setdefault("schema_version", 1)
        card.setdefault("entry", "model.json")
        card["files"] = file_manifest(tmp)
        validate_card(card)
        write_json(tmp / "card.json", card)
        write_snapshot_cards(tmp, card)
        os.chmod(tmp, 0o755)
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        print(f"exported {target} ({folder_bytes(target) / 1e6:.2f} MB)")
        return target
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
