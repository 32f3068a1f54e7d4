"""Muza's web server: serves the built web app and the exported models.

The server never runs a model. `create_app(config)` returns a Flask app whose WSGI
pipeline is: header policy (server/policy.py: security headers, cache rules, refused methods
and paths) → WhiteNoise (static files with validators, precompressed variants, the policy's
MIME types) → Flask (health check, model catalogue, 404 page). `python -m server.nginx`
builds the production nginx set-up from the same policy and catalogue code.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

from . import policy
from .catalogue import Catalogue, bp as api_bp
from .security import SecurityHeaders

REPO_ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("muza.server")


class StaticFiles(WhiteNoise):
    """WhiteNoise that answers 404 (through Flask) for a file deleted after start-up,
    instead of dropping the connection."""

    def serve(self, static_file, environ, start_response):
        try:
            return WhiteNoise.serve(static_file, environ, start_response)
        except FileNotFoundError:
            return self.application(environ, start_response)


def _policy_headers(headers, path, url):
    """Content-Type and Cache-Control of a file, from the policy (nginx gets the same)."""
    headers["Content-Type"] = policy.content_type(path)
    headers["Cache-Control"] = policy.cache_control(url, 200)


def default_config() -> dict:
    return {
        "WEB_ROOT": Path(os.environ.get("MUZA_WEB_ROOT", REPO_ROOT / "web" / "dist")),
        "MODELS_ROOT": Path(os.environ.get("MUZA_MODELS_ROOT", REPO_ROOT / "exported_models")),
        "STATIC_MAX_AGE": 0,
    }


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.update(default_config())
    if config:
        app.config.update(config)
    web_root = Path(app.config["WEB_ROOT"])
    models_root = Path(app.config["MODELS_ROOT"])

    app.extensions["muza_catalogue"] = Catalogue(models_root)
    app.register_blueprint(api_bp)
    from . import pages

    app.register_blueprint(pages.bp)
    app.config["WEB_BUILT"] = (web_root / "index.html").is_file()
    if not app.config["WEB_BUILT"]:
        log.warning("web app not built: %s/index.html missing (run `npm run build`)", web_root)

    static = StaticFiles(
        app.wsgi_app,
        max_age=app.config["STATIC_MAX_AGE"],
        index_file=True,
        allow_all_origins=False,
        add_headers_function=_policy_headers,
    )
    if web_root.is_dir():
        static.add_files(str(web_root), prefix="/")
    if models_root.is_dir():
        static.add_files(str(models_root), prefix="/models/")
    app.wsgi_app = SecurityHeaders(static)
    return app
