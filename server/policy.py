"""Muza's header policy: the one description of what every response must carry.

Both servers are built from this module and nothing else: the Flask app applies it as WSGI
middleware (`server.security`), and `python -m server.nginx` turns it into an nginx
configuration. Change a rule here and both follow; tests/unit/test_servers.py runs the same
checks against a real gunicorn and a real nginx.

The rules:
- every response (files, JSON, redirects, 304s, errors) carries SECURITY_HEADERS;
- a file whose name carries a content hash (HASHED_NAME) is cached forever (IMMUTABLE) when
  served; everything else, errors included, must be revalidated (REVALIDATE) and files carry
  validators (ETag, Last-Modified) so a revalidation is a 304;
- Content-Type comes from MIME_TYPES (text types with "; charset=utf-8"), anything else is
  DEFAULT_TYPE;
- only ALLOWED_METHODS are answered; anything else is 405 with the 405 page and `Allow`;
- a path that is not canonical (`..`, `.`, `//`, backslashes, also when percent-encoded) or
  that names a dotfile is 404 with the 404 page, as is anything that is not a file;
- `name.br` / `name.gz` beside `name` are served in its place to clients that accept them
  (PRECOMPRESSED, best first) and never under their own name; such responses say
  `Vary: Accept-Encoding`.
"""
from __future__ import annotations

import posixpath
import re

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "style-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: list[tuple[str, str]] = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]

# esbuild names bundles and copied assets `name-XXXXXXXX.ext` (web/build.mjs).
HASHED_NAME = r"-[A-Z0-9]{8}\.[a-z0-9]+$"
IMMUTABLE = "max-age=315360000, public, immutable"
REVALIDATE = "no-cache"
# Statuses whose body is the hashed file itself (a 304 confirms it): only these are immutable.
FILE_STATUSES = (200, 206, 304)

CHARSET = "utf-8"
DEFAULT_TYPE = "application/octet-stream"
MIME_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".abc": "text/vnd.abc",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".bin": "application/octet-stream",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".mid": "audio/midi",
    ".midi": "audio/midi",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".gz": "application/gzip",
    ".br": "application/octet-stream",
}

ALLOWED_METHODS = ("GET", "HEAD")
# (Content-Encoding, file suffix), best first.
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
# The catalogue is small and generated: gzip only, on the fly in Flask, written beside it for nginx.
CATALOGUE_ENCODINGS = ("gzip",)

PAGES = {
    404: ("Not found", "There is nothing at this address."),
    405: ("Method not allowed", "This address only answers GET and HEAD."),
    503: ("Web app not built", "Run <code>make serve</code> (or <code>npm ci &amp;&amp; npm run build</code>) to build it."),
}
PAGE_TYPE = f"text/html; charset={CHARSET}"
# No inline script or style in error pages: the CSP forbids them.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Muza</title></head>
<body><main><h1>{title}</h1><p>{text}</p><p><a href="/">Back to Muza</a></p></main></body></html>
"""

_HASHED = re.compile(HASHED_NAME)


def is_text(media_type: str) -> bool:
    return media_type.startswith("text/")


def content_type(path: str) -> str:
    """The Content-Type header for a file name or URL path."""
    ext = posixpath.splitext(path)[1].lower()
    media_type = MIME_TYPES.get(ext, DEFAULT_TYPE)
    return f"{media_type}; charset={CHARSET}" if is_text(media_type) else media_type


def is_hashed(path: str) -> bool:
    return bool(_HASHED.search(path))


def cache_control(path: str, status: int) -> str:
    return IMMUTABLE if status in FILE_STATUSES and is_hashed(path) else REVALIDATE


def is_canonical(path: str) -> bool:
    """A decoded URL path with no `.`/`..` segments, no empty segments and no backslash."""
    if "\\" in path or "\0" in path or not path.startswith("/"):
        return False
    segments = path[1:].split("/")
    inner, last = segments[:-1], segments[-1]
    return all(s not in ("", ".", "..") for s in inner) and last not in (".", "..")


def is_refused(path: str) -> bool:
    """Paths answered with 404 whatever the folders hold: non-canonical ones and dotfiles."""
    return not is_canonical(path) or any(s.startswith(".") for s in path.split("/"))


def error_page(status: int) -> str:
    title, text = PAGES[status]
    return _PAGE.format(title=title, text=text)
