"""The model catalogue: `GET /api/models`, built from each model's card.json."""
from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import jsonschema
from flask import Blueprint, current_app, request

SCHEMA = json.loads((Path(__file__).with_name("card.schema.json")).read_text(encoding="utf-8"))
log = logging.getLogger("muza.catalogue")
bp = Blueprint("api", __name__)


class Catalogue:
    """Reads exported_models/<studio>/<name>/card.json once, at start-up."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.models: list[dict] = []
        self.invalid: list[dict] = []
        for card_path in sorted(self.root.glob("*/*/card.json")):
            self._add(card_path)
        self.body = json.dumps({"models": self.models, "invalid": self.invalid}, ensure_ascii=False).encode()

    def _add(self, card_path: Path) -> None:
        folder = card_path.parent
        where = folder.relative_to(self.root).as_posix()
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
            jsonschema.validate(card, SCHEMA)
            if (card["studio"], card["name"]) != (folder.parent.name, folder.name):
                raise ValueError(f"card says {card['studio']}/{card['name']} but lives in {where}")
            missing = [f for f in card["files"] if not (folder / f).is_file()]
            if missing:
                raise ValueError(f"files listed in the card are missing: {', '.join(missing)}")
        except (OSError, ValueError, jsonschema.ValidationError) as error:
            message = getattr(error, "message", None) or str(error)
            log.warning("skipping model %s: %s", where, message)
            self.invalid.append({"path": where, "error": message})
            return
        card["base_url"] = f"/models/{where}/"
        self.models.append(card)


@bp.get("/healthz")
def healthz():
    catalogue = current_app.extensions["muza_catalogue"]
    return {"status": "ok", "models": len(catalogue.models), "web_built": current_app.config["WEB_BUILT"]}


@bp.get("/api/models")
def models():
    catalogue = current_app.extensions["muza_catalogue"]
    response = current_app.response_class(catalogue.body, mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)
    if response.status_code == 200 and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(catalogue.body, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
