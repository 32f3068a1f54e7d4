"""The header policy (server/policy.py) applied to every response of the Flask app (WSGI
middleware): refused methods and paths are answered here; every other response gets the
security headers and the policy's Cache-Control, whatever the app below set."""
from __future__ import annotations

from http import HTTPStatus

from . import policy
from .policy import CSP, SECURITY_HEADERS  # noqa: F401  (re-exported)

_REPLACED = {name.lower() for name, _ in SECURITY_HEADERS} | {"cache-control"}


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        if method not in policy.ALLOWED_METHODS:
            return self._page(405, method, path, start_response, [("Allow", ", ".join(policy.ALLOWED_METHODS))])
        if policy.is_refused(path):
            return self._page(404, method, path, start_response)

        def start(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if k.lower() not in _REPLACED]
            cache = ("Cache-Control", policy.cache_control(path, int(status.split(" ", 1)[0])))
            return start_response(status, kept + [cache] + SECURITY_HEADERS, exc_info)

        return self.app(environ, start)

    @staticmethod
    def _page(status: int, method: str, path: str, start_response, extra=()):
        body = policy.error_page(status).encode()
        headers = [("Content-Type", policy.PAGE_TYPE), ("Content-Length", str(len(body))), *extra]
        headers += [("Cache-Control", policy.cache_control(path, status)), *SECURITY_HEADERS]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [] if method == "HEAD" else [body]
