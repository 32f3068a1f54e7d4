"""The production set-up: nginx serving web/dist and exported_models/ under Muza's header policy.

    python -m server.nginx --out run/nginx [--host 127.0.0.1] [--port 8080] [--run]

writes into the run folder (everything nginx needs; nothing outside it is touched):
    nginx.conf            generated from server/policy.py (headers, cache rules, MIME types,
                          methods, refused paths, precompressed variants, error pages)
    site/api-models.json  the `/api/models` body, by the same code as the Flask endpoint
                          (server/catalogue.py), with its .gz; site/healthz.json likewise
    policy/*.conf         the header sets (security headers + Cache-Control) locations include
    pages/_muza/*.html    the policy's 404 and 405 pages
    models-root/models    a symlink to the models folder (served under /models/)
    nginx.pid, logs/, tmp/
and with --run replaces itself with nginx in the foreground (`daemon off`), as a non-root user
too. Regenerate after exporting a model: the catalogue is a file. HOST and PORT come from the
environment when not given. The brotli variants need Debian's libnginx-mod-http-brotli-static.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from . import REPO_ROOT, policy
from .catalogue import Catalogue

BROTLI_MODULE = "ngx_http_brotli_static_module.so"
MODULES_DIR = Path("/usr/lib/nginx/modules")
INSTALL_HELP = "sudo apt-get install nginx libnginx-mod-http-brotli-static"

# policy.is_refused() for nginx. nginx decodes and normalises the path before any location
# sees it (and answers 400 for paths that climb above the root), so non-canonical paths are
# recognised in the raw request ($request_uri, still percent-encoded) and dotfiles in the
# decoded one ($uri). The key is "$request_uri $uri": a raw request line holds no space.
REFUSED_PATTERNS = [
    (r"^\S* /_muza/", "0"),  # our own error pages (after error_page's internal redirect): never refused
    (r"^[^?\s]*(/|%2[fF])(\.|%2[eE]){1,2}(/|%2[fF]|[?\s])", "1"),  # . and .. segments
    (r"^[^?\s]*(/|%2[fF])(/|%2[fF])", "1"),  # empty segments
    (r"^[^?\s]*(\\|%5[cC]|%00)", "1"),  # backslashes, NUL
    (r"^\S* .*/\.", "1"),  # dotfiles and dot-folders
]


class SetupError(Exception):
    pass


def _quote(text: str, regex: bool = False) -> str:
    """A double-quoted nginx string (nginx unescapes \\\\ and \\" inside quotes). A header
    value must not hold `$` (nginx would read a variable); a regex may (nginx does not)."""
    if (not regex and "$" in text) or "\n" in text:
        raise SetupError(f"cannot write {text!r} literally in nginx.conf")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path(path: Path | str) -> str:
    return _quote(str(path))


def _header_lines(cache_control: str, extra: tuple[tuple[str, str], ...] = ()) -> list[str]:
    headers = [("Cache-Control", cache_control), *policy.SECURITY_HEADERS, *extra]
    return [f"add_header {name} {_quote(value)} always;" for name, value in headers]


# The header sets every location includes (add_header is not inherited by a location that has
# its own, so each location includes exactly one set): file name -> lines.
def _header_sets() -> dict[str, list[str]]:
    return {
        "revalidate.conf": _header_lines(policy.REVALIDATE),
        "immutable.conf": _header_lines(policy.IMMUTABLE),
        "not-allowed.conf": _header_lines(policy.REVALIDATE, (("Allow", ", ".join(policy.ALLOWED_METHODS)),)),
    }


def _block(head: str, body: list[str]) -> list[str]:
    return [f"{head} {{", *(f"    {line}" if line else "" for line in body), "}"]


def _file_locations(prefix: str, root: Path | None, folder_location: str, headers: Path) -> list[str]:
    """Locations serving files below `prefix` as WhiteNoise does: a folder URL serves its
    index.html, .../index.html redirects (302) to ./ and a folder holding an index.html to
    folder/, anything else that is not a file (folders included) is 404, and compressed
    variants are never served under their own name."""
    revalidate, immutable = f"include {_path(headers / 'revalidate.conf')};", f"include {_path(headers / 'immutable.conf')};"
    no_variant = "if (-f $muza_compressed_base) { return 404; }"
    rooted = [f"root {_path(root)};"] if root else []
    body = [
        *rooted, revalidate, no_variant, f"try_files $uri {folder_location};",
        *_block(f"location ~ {_quote(policy.HASHED_NAME, regex=True)}", [immutable, no_variant, "try_files $uri =404;"]),
        *_block(r"location ~ /index\.html$", [revalidate, "if (-f $request_filename) { return 302 ./; }", "return 404;"]),
        *_block("location ~ /$", [revalidate, "try_files ${uri}index.html =404;"]),
    ]
    folder = [*rooted, revalidate, "if (-f $request_filename/index.html) { return 302 $muza_last_segment/; }", "return 404;"]
    return [*_block(f"location {prefix}", body), *_block(f"location {folder_location}", folder)]


def _map(head: str, entries: list[tuple[str, str]], default: str) -> list[str]:
    """A map of regexes, evaluated afresh at each use (`volatile`: error_page redirects and
    locations change what it reads)."""
    lines = ["volatile;", *(f"{_quote('~' + pattern, regex=True)} {value};" for pattern, value in entries)]
    return _block(f"map {head}", [*lines, f"default {default};"])


def render(*, host: str, port: int, web_root: Path, models_root: Path, run_dir: Path, workers: str = "auto",
           user: str | None = None, brotli_module: Path | None = None, access_log: str | None = None,
           error_log: str | None = None) -> str:
    """nginx.conf for the run folder; the header sets it includes are `_header_sets()`."""
    run_dir = run_dir.resolve()
    headers = run_dir / "policy"
    access = {None: _path(run_dir / "logs" / "access.log"), "-": "/dev/stdout", "off": "off"}.get(access_log) or _path(access_log)
    errors = {None: _path(run_dir / "logs" / "error.log"), "-": "stderr"}.get(error_log) or _path(error_log)
    by_type: dict[str, list[str]] = {}
    for ext, media_type in policy.MIME_TYPES.items():
        by_type.setdefault(media_type, []).append(ext.lstrip("."))
    # nginx always adds the charset to text/html; naming it again is a warning.
    text_types = sorted(t for t in by_type if policy.is_text(t) and t != "text/html")
    methods = "|".join(re.escape(m) for m in policy.ALLOWED_METHODS)
    static_modules = {"br": ["brotli_static on;"], "gzip": ["gzip_static on;", "gzip_vary on;", "gzip_proxied any;"]}
    encodings = [e for e, _ in policy.PRECOMPRESSED if e != "br" or brotli_module]
    # Error pages carry no validators, as in Flask.
    page = ["internal;", f"root {_path(run_dir / 'pages')};", "etag off;"]
    json_file = ["types { }", "default_type application/json;", f"include {_path(headers / 'revalidate.conf')};"]
    server = [
        f"listen {host}:{port} default_server;",
        "server_name _;",
        f"root {_path(web_root.resolve())};",
        "# nginx answers 400 for paths above the root before any location, and 403 for a",
        "# folder without index: Flask answers 404 with its page for both, so nginx does too.",
        "error_page 400 403 404 =404 /_muza/404.html;",
        "error_page 405 /_muza/405.html;",
        f"if ($request_method !~ ^({methods})$) {{ return 405; }}",
        "if ($muza_refused) { return 404; }",
        "",
        *_block("location = /_muza/405.html", [*page, f"include {_path(headers / 'not-allowed.conf')};"]),
        *_block("location ^~ /_muza/", [*page, f"include {_path(headers / 'revalidate.conf')};"]),
        *_block("location = /api/models", [f"alias {_path(run_dir / 'site' / 'api-models.json')};", *json_file]),
        *_block("location = /healthz", [f"alias {_path(run_dir / 'site' / 'healthz.json')};", *json_file]),
        *_file_locations("/", None, "@web_folder", headers),
        *_file_locations("/models/", run_dir / "models-root", "@models_folder", headers),
    ]
    http = [
        *_block("types", [f"{t} {' '.join(exts)};" for t, exts in by_type.items()]),
        f"default_type {policy.DEFAULT_TYPE};",
        f"charset {policy.CHARSET};",
        f"charset_types {' '.join(text_types)};",
        f"access_log {access};",
        *(f"{kind}_temp_path {_path(run_dir / 'tmp' / kind)};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        "sendfile on;",
        "tcp_nopush on;",
        "server_tokens off;",
        "autoindex off;",
        "etag on;",
        "if_modified_since before;",
        "absolute_redirect off;",
        "gzip off;",
        *(line for encoding in encodings for line in static_modules[encoding]),
        "",
        "# policy.is_refused(): non-canonical paths (raw request) and dotfiles (decoded path).",
        *_map('"$request_uri $uri" $muza_refused', REFUSED_PATTERNS, "0"),
        "# name.gz / name.br beside name: served in its place only, never under its own name.",
        *_map("$request_filename $muza_compressed_base", [(r"^(?<muza_base>.+)\.(gz|br)$", "$muza_base")], '""'),
        "# A folder's last segment as the client sent it (never decoded: no header injection).",
        *_map("$request_uri $muza_last_segment", [(r"^[^?]*/(?<muza_seg>[^/?]+)(\?|$)", "$muza_seg")], '""'),
        "",
        *_block("server", server),
    ]
    head = [
        "# Generated by `python -m server.nginx` from server/policy.py: do not edit, regenerate.",
        f"# web root {web_root.resolve()}, models {models_root.resolve()}",
        *([f"load_module {_path(brotli_module)};"] if brotli_module else []),
        *([f"user {user};"] if user else []),
        f"worker_processes {workers};",
        "daemon off;",
        f"pid {_path(run_dir / 'nginx.pid')};",
        f"error_log {errors} warn;",
        "",
        *_block("events", ["worker_connections 1024;"]),
        "",
    ]
    return "\n".join([*head, *_block("http", http), ""])


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def find_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        raise SetupError(f"nginx is not installed: {INSTALL_HELP}")
    return found


def find_brotli(modules_dir: Path = MODULES_DIR) -> Path:
    module = modules_dir / BROTLI_MODULE
    if not module.is_file():
        raise SetupError(f"nginx's brotli_static module is missing ({module}): {INSTALL_HELP} "
                         "(or pass --no-brotli to serve the .gz variants only)")
    return module


def build(out: Path, *, host: str = "127.0.0.1", port: int = 8080, web_root: Path | None = None,
          models_root: Path | None = None, brotli: bool = True, **options) -> Path:
    """Writes the run folder; returns the path of nginx.conf."""
    out = Path(out).resolve()
    web_root = Path(web_root or os.environ.get("MUZA_WEB_ROOT", REPO_ROOT / "web" / "dist")).resolve()
    models_root = Path(models_root or os.environ.get("MUZA_MODELS_ROOT", REPO_ROOT / "exported_models")).resolve()
    if not (web_root / "index.html").is_file():
        raise SetupError(f"{web_root}/index.html is missing: build the web app first (`npm ci && npm run build`)")
    catalogue = Catalogue(models_root)
    site = out / "site"
    _write(site / "api-models.json", catalogue.body)
    for encoding in policy.CATALOGUE_ENCODINGS:
        suffix = dict(policy.PRECOMPRESSED)[encoding]
        _write(site / f"api-models.json{suffix}", catalogue.encoded(encoding))
    _write(site / "healthz.json", catalogue.health(web_built=True))
    for status in (404, 405):
        _write(out / "pages" / "_muza" / f"{status}.html", policy.error_page(status).encode())
    link = out / "models-root" / "models"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(models_root, target_is_directory=True)
    for name, lines in _header_sets().items():
        _write(out / "policy" / name, ("\n".join(lines) + "\n").encode())
    for folder in ("logs", "tmp"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    config = render(host=host, port=port, web_root=web_root, models_root=models_root, run_dir=out,
                    brotli_module=find_brotli(options.pop("modules_dir", MODULES_DIR)) if brotli else None, **options)
    _write(out / "nginx.conf", config.encode())
    return out / "nginx.conf"


def command(conf: Path, nginx: str | None = None, *extra: str) -> list[str]:
    """The nginx command line for a generated run folder (prefix = the run folder)."""
    conf = Path(conf).resolve()
    return [nginx or find_nginx(), "-p", str(conf.parent), "-c", str(conf), "-e", "stderr", *extra]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="the run folder to write")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--web-root", type=Path, help="default: MUZA_WEB_ROOT or web/dist")
    parser.add_argument("--models-root", type=Path, help="default: MUZA_MODELS_ROOT or exported_models")
    parser.add_argument("--workers", default=os.environ.get("NGINX_WORKERS", "auto"), help="worker processes (default auto: one per core)")
    parser.add_argument("--user", help="user the workers run as when nginx starts as root (nginx's default: nobody)")
    parser.add_argument("--access-log", help="a file, '-' for stdout or 'off' (default: logs/access.log in the run folder)")
    parser.add_argument("--error-log", help="a file or '-' for stderr (default: logs/error.log in the run folder)")
    parser.add_argument("--no-brotli", action="store_true", help="serve the .gz variants only (no brotli_static module)")
    parser.add_argument("--run", action="store_true", help="then run nginx in the foreground")
    args = parser.parse_args(argv)
    try:
        conf = build(args.out, host=args.host, port=args.port, web_root=args.web_root, models_root=args.models_root,
                     brotli=not args.no_brotli, workers=args.workers, user=args.user,
                     access_log=args.access_log, error_log=args.error_log)
        print(f"wrote {conf}", file=sys.stderr)
        if args.run:
            argv_nginx = command(conf)
            print(f"nginx on http://{args.host}:{args.port} (Ctrl-C stops it): {' '.join(argv_nginx)}", file=sys.stderr)
            os.execv(argv_nginx[0], argv_nginx)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
