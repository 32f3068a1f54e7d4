"""Helpers shared by tests: fake model folders with valid cards."""
from __future__ import annotations

import json
from pathlib import Path

from training.kit.export import file_manifest


def base_card(studio: str, name: str) -> dict:
    return {
        "schema_version": 1,
        "name": name,
        "studio": studio,
        "title": f"Test {name}",
        "description": "A model folder written by the tests.",
        "format": "layers",
        "entry": "model.json",
        "parameters": 3,
        "weights_dtype": "float32",
        "training": {
            "dataset": "synthetic",
            "dataset_licence": "CC0",
            "command": "python -m training poems train --corpus x --name tiny",
            "epochs": 1,
            "wall_time_s": 0.1,
            "date": "2026-11-23",
        },
        "metrics": {"val_bits_per_char": 4.2},
        "metrics_method": {"val_bits_per_char": "synthetic test value"},
    }


def write_fake_model(root: Path, studio: str, name: str, files: dict[str, bytes] | None = None) -> Path:
    """A folder with arbitrary model files and a card whose checksums match them."""
    folder = root / studio / name
    folder.mkdir(parents=True)
    files = files or {
        "model.json": json.dumps({"modelTopology": {}, "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": []}]}).encode(),
        "group1-shard1of1.bin": bytes(range(256)) * 4,
    }
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    card = base_card(studio, name)
    card["files"] = file_manifest(folder)
    (folder / "card.json").write_text(json.dumps(card, indent=2))
    return folder
