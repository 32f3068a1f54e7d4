"""Every committed model card follows the one schema, and its checksums are true."""
import json
from pathlib import Path

import jsonschema
import pytest

from training.kit.export import file_manifest
from tests.helpers import base_card

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "server" / "card.schema.json").read_text())
CARDS = sorted((REPO / "exported_models").glob("*/*/card.json"))


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("card_path", CARDS, ids=[p.parent.relative_to(REPO / "exported_models").as_posix() for p in CARDS])
def test_committed_card_is_valid_and_checksums_match(card_path):
    card = json.loads(card_path.read_text(encoding="utf-8"))
    jsonschema.validate(card, SCHEMA)
    assert (card["studio"], card["name"]) == (card_path.parent.parent.name, card_path.parent.name)
    assert card["files"] == file_manifest(card_path.parent)
    assert card["entry"] in card["files"]
    assert sum(f["bytes"] for f in card["files"].values()) <= 10 * 1024 * 1024
    undescribed = sorted(set(card["metrics"]) - set(card["metrics_method"]))
    assert not undescribed, f"metrics without a method: {undescribed}"


def test_all_models_together_stay_under_60_mb():
    total = sum(f.stat().st_size for f in (REPO / "exported_models").rglob("*") if f.is_file())
    assert total <= 60 * 1024 * 1024


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.pop("files"), "files"),
        (lambda c: c.update(studio="sculpture"), "studio"),
        (lambda c: c.pop("metrics_method"), "metrics_method"),
        (lambda c: c.update(metrics_method={"val_bits_per_char": ""}), "metrics_method"),
        (lambda c: c.update(name="Bad Name"), "name"),
        (lambda c: c.update(format="onnx"), "format"),
        (lambda c: c["training"].pop("command"), "command"),
        (lambda c: c["training"].pop("epochs"), "epochs"),
        (lambda c: c.update(files={"model.json": {"sha256": "xyz", "bytes": 1}}), "sha256"),
        (lambda c: c.update(files={"../escape.bin": {"sha256": "0" * 64, "bytes": 1}}), "files"),
    ],
)
def test_schema_rejects_broken_cards(change, field):
    card = base_card("poems", "tiny")
    card["files"] = {"model.json": {"sha256": "0" * 64, "bytes": 10}}
    jsonschema.validate(card, SCHEMA)
    change(card)
    with pytest.raises(jsonschema.ValidationError) as error:
        jsonschema.validate(card, SCHEMA)
    assert field in str(error.value) or field in error.value.json_path


SNAPSHOT_CARDS = sorted((REPO / "exported_models").glob("*/*/snapshots/*/card.json"))


@pytest.mark.parametrize("card_path", SNAPSHOT_CARDS, ids=[p.parent.relative_to(REPO / "exported_models").as_posix() for p in SNAPSHOT_CARDS])
def test_snapshot_cards_describe_their_folder_and_parent(card_path):
    card = json.loads(card_path.read_text(encoding="utf-8"))
    jsonschema.validate(card, SCHEMA)
    assert card["files"] == file_manifest(card_path.parent)
    parent_dir = card_path.parent.parent.parent
    parent = json.loads((parent_dir / "card.json").read_text(encoding="utf-8"))
    assert card["extras"]["snapshot_of"] == f"{parent['studio']}/{parent['name']}"
    listed = {s["entry"]: s for s in parent["extras"]["snapshots"]}
    entry = card_path.parent.relative_to(parent_dir).as_posix() + "/" + card["entry"]
    assert entry in listed and listed[entry]["epoch"] == card["extras"]["epoch"] == card["training"]["epochs"]
