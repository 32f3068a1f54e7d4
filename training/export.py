"""The export step shared by every studio.

`atomic_export` builds a model folder in a temporary directory beside the target,
checks it (card schema, checksums), and only then renames it into place, so a
failed or interrupted export never replaces a good model.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO_ROOT / "server" / "card.schema.json"
DEFAULT_EXPORT_ROOT = REPO_ROOT / "exported_models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def today() -> str:
    return _dt.date.today().isoformat()


def save_tfjs_layers(model, folder: Path, float16: bool = False) -> None:
    """Convert a tf_keras model into a tensorflowjs layers model in `folder`."""
    import tensorflowjs as tfjs

    quant = {"float16": "*"} if float16 else None
    tfjs.converters.save_keras_model(model, str(folder), quantization_dtype_map=quant)


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
        (tmp / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return target
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
