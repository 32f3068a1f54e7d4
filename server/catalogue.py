"""The model catalogue: `GET /api/models`, built from each model's card.json.

The response bodies of `/api/models` and `/healthz` are built here only: Flask serves them,
and `python -m server.nginx` writes the very same bytes to files for nginx."""
from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import jsonschema
from flask import Blueprint, current_app, request

from . import policy

SCHEMA = json.loads((Path(__file__).with_name("card.schema.json")).read_text(encoding="utf-8"))
log = logging.getLogger("muza.catalogue")
bp = Blueprint("api", __name__)


class Catalogue:
    """Reads exported_models/<studio>/<name>/card.json once, at start-up."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.models: list[dict] = []
        self.invalid: list[dict] = []
        self._encoded: dict[str, bytes] = {}
        for card_path in sorted(self.root.glob("*/*/card.json")):
            self._add(card_path)
        self.body = json.dumps({"models": self.models, "invalid": self.invalid}, ensure_ascii=False).encode()

    def health(self, web_built: bool) -> bytes:
        return json.dumps({"models": len(self.models), "status": "ok", "web_built": web_built}).encode()

    def encoded(self, encoding: str) -> bytes:
        """The catalogue body in one of policy.CATALOGUE_ENCODINGS (compressed once)."""
        if encoding != "gzip":
            raise ValueError(f"no {encoding} encoding for the catalogue")
        if encoding not in self._encoded:
            self._encoded[encoding] = gzip.compress(self.body, mtime=0)
        return self._encoded[encoding]

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
    return current_app.response_class(catalogue.health(current_app.config["WEB_BUILT"]), mimetype="application/json")


@bp.get("/api/models")
def models():
    catalogue = current_app.extensions["muza_catalogue"]
    response = current_app.response_class(catalogue.body, mimetype="application/json")
    response.add_etag()
    response.make_conditional(request)
    accepted = request.headers.get("Accept-Encoding", "")
    encoding = next((e for e in policy.CATALOGUE_ENCODINGS if e in accepted), None)
    if response.status_code == 200 and encoding:
        response.set_data(catalogue.encoded(encoding))
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response
