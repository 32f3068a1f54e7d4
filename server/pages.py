"""HTML error pages (no inline script or style: the CSP forbids them)."""
from flask import Blueprint, current_app

bp = Blueprint("pages", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Muza</title></head>
<body><main><h1>{title}</h1><p>{text}</p><p><a href="/">Back to Muza</a></p></main></body></html>
"""


def page(status: int, title: str, text: str):
    return current_app.response_class(PAGE.format(title=title, text=text), status=status, mimetype="text/html")


@bp.app_errorhandler(404)
def not_found(_error):
    return page(404, "Not found", "There is nothing at this address.")


@bp.app_errorhandler(405)
def not_allowed(_error):
    return page(405, "Method not allowed", "This address only answers GET and HEAD.")


@bp.get("/")
def index_missing():
    # Reached only when WhiteNoise has no index.html, i.e. the web app is not built.
    return page(503, "Web app not built", "Run <code>make serve</code> (or <code>npm ci &amp;&amp; npm run build</code>) to build it.")
