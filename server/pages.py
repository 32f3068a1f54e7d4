"""HTML error pages: the policy's pages (server/policy.py), which nginx serves too."""
from flask import Blueprint, current_app

from . import policy

bp = Blueprint("pages", __name__)


def page(status: int):
    return current_app.response_class(policy.error_page(status), status=status, content_type=policy.PAGE_TYPE)


@bp.app_errorhandler(404)
def not_found(_error):
    return page(404)


@bp.app_errorhandler(405)
def not_allowed(_error):
    return page(405)


@bp.get("/")
def index_missing():
    # Reached only when WhiteNoise has no index.html, i.e. the web app is not built.
    return page(503)
