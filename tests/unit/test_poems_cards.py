"""The poems extras schema (server/card.schema.json $defs/extras_poems): the fields the web app reads are typed."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "server" / "card.schema.json").read_text(encoding="utf-8"))
SHIPPED = REPO / "exported_models" / "poems" / "shakespeare"


def shipped(path: Path = SHIPPED / "card.json") -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_shipped_model_and_snapshot_cards_follow_the_poems_extras():
    jsonschema.validate(shipped(), SCHEMA)
    for snapshot in sorted(SHIPPED.glob("snapshots/*/card.json")):
        jsonschema.validate(shipped(snapshot), SCHEMA)


@pytest.mark.parametrize("change", [
    lambda e: e.update(vocab=["\n", "a"]),
    lambda e: e.pop("vocab"),
    lambda e: e.update(stateful=False),
    lambda e: e["snapshots"][0].update(epoch=0),
    lambda e: e["snapshots"][0].pop("entry"),
    lambda e: e["snapshots"][0].update(weights_dtype="int4"),
    lambda e: e.update(default_seed=7),
])
def test_poems_extras_that_the_web_app_cannot_read_are_refused(change):
    card = copy.deepcopy(shipped())
    change(card["extras"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(card, SCHEMA)
