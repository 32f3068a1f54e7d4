"""Shared fixtures: a Flask app/client on synthetic folders, a real gunicorn and a real nginx
(the production set-up, server/nginx.py) on free loopback ports, and a real Chromium driven
by Playwright."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WEB_DIST = Path(os.environ.get("MUZA_WEB_ROOT", REPO / "web" / "dist"))
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
BROWSER_HELP = (
    "No Chromium for the end-to-end tests. Either run `python -m playwright install chromium` "
    "(Playwright's own browser), or install Debian/Ubuntu's `chromium` package "
    "(`sudo apt-get install chromium`), or set CHROMIUM_PATH to a Chromium/Chrome binary."
)


# ---------------------------------------------------------------- Flask app on tmp folders
def build_web_root(root: Path) -> Path:
    """A small stand-in for web/dist: page, hashed bundle and WASM binary, unhashed icon."""
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Muza test</title><p>index</p>" + " " * 2000)
    (root / "assets" / "main-ABCDEFGH.js").write_text("console.log('hashed');\n" * 200)
    (root / "assets" / "tfjs-backend-wasm-IJKLMNOP.wasm").write_bytes(b"\0asm\1\0\0\0" + bytes(64))
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return root


def build_models_root(root: Path) -> Path:
    """exported_models with one valid model (poems/tiny) and one whose card is invalid."""
    from tests.helpers import write_fake_model

    write_fake_model(root, "poems", "tiny")
    bad = write_fake_model(root, "latent", "broken")
    card = json.loads((bad / "card.json").read_text())
    del card["training"]
    (bad / "card.json").write_text(json.dumps(card))
    return root


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    return build_web_root(tmp_path / "dist")


@pytest.fixture
def models_root(tmp_path: Path) -> Path:
    return build_models_root(tmp_path / "exported_models")


@pytest.fixture
def app(web_root: Path, models_root: Path):
    from server import create_app

    return create_app({"WEB_ROOT": web_root, "MODELS_ROOT": models_root, "TESTING": True})


def closing_client(app):
    """A Flask test client that reads and closes every response as a real server does, so the
    files WhiteNoise opens are closed at once (an unclosed file is a warning, i.e. an error)."""
    from flask.testing import FlaskClient

    class ClosingClient(FlaskClient):
        def open(self, *args, **kwargs):
            kwargs.setdefault("buffered", True)
            return super().open(*args, **kwargs)

    app.test_client_class = ClosingClient
    return app.test_client()


@pytest.fixture
def client(app):
    return closing_client(app)


# ---------------------------------------------------------------- real gunicorn
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_built(web_root: Path) -> None:
    if not (web_root / "index.html").is_file():
        pytest.fail(f"{web_root}/index.html is missing: build the web app first (`npm ci && npm run build`, or `make test`).")


def _wait_healthy(server) -> None:
    """Waits for server.url/healthz; fails the test with the server's log if it never answers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            server.log.seek(0)
            pytest.fail(f"{server.name} exited: {server.log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    server.stop()
    pytest.fail(f"{server.name} did not answer /healthz within 30 s")


class LiveServer:
    """gunicorn with server/gunicorn.conf.py on a free loopback port."""

    name = "gunicorn"

    def __init__(self, models_root: Path | None = None, web_root: Path = WEB_DIST, port: int | None = None):
        _require_built(web_root)
        self.port = port or free_port()  # a fixed port: a restart keeps the origin (and its caches)
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY="2", ACCESS_LOG="-")
        env["MUZA_WEB_ROOT"] = str(web_root)
        if models_root is not None:
            env["MUZA_MODELS_ROOT"] = str(models_root)
        self.log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"muza-gunicorn-{self.port}.log", "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(REPO / "server" / "gunicorn.conf.py"), "server:create_app()"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        _wait_healthy(self)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class NginxServer(LiveServer):
    """The production set-up (`python -m server.nginx`, Debian's nginx) on a free loopback
    port, its run folder in a temporary folder. Fails, never skips, without nginx."""

    name = "nginx"

    def __init__(self, models_root: Path | None = None, web_root: Path = WEB_DIST, workers: int = 2):
        from server import nginx

        _require_built(web_root)
        try:
            binary = nginx.find_nginx()
        except nginx.SetupError as error:
            pytest.fail(str(error))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"muza-nginx-{self.port}-"))
        # Started as root, nginx's workers would run as nobody, who cannot read pytest's
        # private temporary folders: let them run as whoever runs the tests.
        user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
        try:
            conf = nginx.build(self.run_dir, port=self.port, web_root=web_root, models_root=models_root,
                               workers=str(workers), user=user)
        except nginx.SetupError as error:
            pytest.fail(str(error))
        self.log = open(self.run_dir / "logs" / "stderr.log", "w+")
        self.proc = subprocess.Popen(nginx.command(conf, binary), stdout=self.log, stderr=subprocess.STDOUT)
        _wait_healthy(self)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server():
    """gunicorn serving web/dist and the committed exported_models/."""
    server = LiveServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nginx_server():
    """nginx (the production set-up) serving web/dist and the committed exported_models/."""
    server = NginxServer()
    yield server
    server.stop()


# ---------------------------------------------------------------- Chromium via Playwright
def launch_chromium(browser_type, extra_args=()):
    """Launches Playwright's Chromium, else the system's; exits with advice if there is none."""
    from playwright.sync_api import Error as PlaywrightError

    explicit = os.environ.get("CHROMIUM_PATH")
    candidates = [explicit] if explicit else [None, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    problems = []
    for path in candidates:
        if path is not None and not Path(path).exists():
            problems.append(f"{path}: not found")
            continue
        try:
            return browser_type.launch(executable_path=path, args=CHROMIUM_ARGS + list(extra_args))
        except PlaywrightError as error:
            problems.append(f"{path or 'Playwright chromium'}: {str(error).splitlines()[0]}")
    pytest.exit(f"{BROWSER_HELP}\nTried: " + "; ".join(problems), returncode=3)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright.chromium)
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors, page errors and failed requests seen by a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 860})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.problems = PageProblems(page)
    yield page
    context.close()


def open_studio(page, base_url: str, route: str = "poems", query: str = "") -> dict:
    """Opens a route and waits for the backend and the studio; returns the backend info."""
    page.goto(f"{base_url}/{query}#/{route}")
    info = page.evaluate("() => window.muza.ready")
    page.wait_for_selector(f"section[data-studio='{route}'][data-ready='true']")
    return info
