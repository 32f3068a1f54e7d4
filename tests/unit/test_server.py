"""Server unit tests: headers, MIME types, caching, traversal, 404, health, catalogue."""
import gzip
import json

import pytest

from server.security import CSP
from tests.conftest import closing_client

TRAVERSALS = [
    "/../pyproject.toml",
    "/..%2fpyproject.toml",
    "/%2e%2e/pyproject.toml",
    "/%2e%2e%2fpyproject.toml",
    "/%252e%252e%252fpyproject.toml",
    "/assets/..%5c..%5cpyproject.toml",
    "/assets\\..\\..\\pyproject.toml",
    "/models/../../server/__init__.py",
    "/models/poems/tiny/..%2fcard.json/../../../etc/passwd",
    "//etc/passwd",
    "/etc/passwd",
    "/models//etc/passwd",
    "/index.html%00.json",
    "/models/poems/tiny/model.json%00",
    "/%c0%ae%c0%ae/pyproject.toml",
    "/models/%2e%2e/%2e%2e/pyproject.toml",
]


def test_index_has_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "index" in response.get_data(as_text=True)
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert "script-src 'self' 'wasm-unsafe-eval'" in CSP
    assert "unsafe-inline" not in CSP and "'unsafe-eval'" not in CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "camera=(self)" in headers["Permissions-Policy"]
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"


@pytest.mark.parametrize("path", ["/api/models", "/healthz", "/nothing-here", "/assets/main-ABCDEFGH.js"])
def test_every_response_has_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/assets/tfjs-backend-wasm-IJKLMNOP.wasm", "application/wasm"),
        ("/models/poems/tiny/group1-shard1of1.bin", "application/octet-stream"),
        ("/models/poems/tiny/model.json", "application/json"),
        ("/models/poems/tiny/card.json", "application/json"),
        ("/assets/main-ABCDEFGH.js", "text/javascript"),
        ("/favicon.svg", "image/svg+xml"),
        ("/api/models", "application/json"),
    ],
)
def test_mime_types(client, path, mime):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == mime


def test_hashed_files_are_immutable(client):
    cache = client.get("/assets/main-ABCDEFGH.js").headers["Cache-Control"]
    assert "immutable" in cache and "max-age=315360000" in cache


@pytest.mark.parametrize("path", ["/", "/models/poems/tiny/model.json", "/favicon.svg"])
def test_unhashed_files_revalidate_with_304(client, path):
    first = client.get(path)
    assert first.headers["Cache-Control"] == "no-cache"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_precompressed_variant_is_served(client, web_root):
    (web_root / "assets" / "main-ABCDEFGH.js.gz").write_bytes(gzip.compress((web_root / "assets" / "main-ABCDEFGH.js").read_bytes()))
    from server import create_app

    fresh = closing_client(create_app({"WEB_ROOT": web_root, "MODELS_ROOT": web_root / "none"}))
    response = fresh.get("/assets/main-ABCDEFGH.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).startswith(b"console.log('hashed');")
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_attempts_get_404_and_no_content(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "[project]" not in body and "root:" not in body and "create_app" not in body
    assert "Not found" in body


@pytest.mark.parametrize("path", ["/models/", "/models/poems/", "/models/poems/tiny/", "/assets/", "/assets"])
def test_no_directory_listings(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "group1-shard1of1.bin" not in response.get_data(as_text=True)


def test_unknown_path_gets_html_404_page(client):
    response = client.get("/does/not/exist.js")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<script" not in response.get_data(as_text=True)


def test_post_is_refused(client):
    assert client.post("/api/models").status_code == 405


def test_healthz(client):
    data = client.get("/healthz").get_json()
    assert data == {"status": "ok", "models": 1, "web_built": True}


def test_catalogue_lists_valid_cards_and_reports_invalid_ones(client):
    response = client.get("/api/models")
    data = json.loads(response.data)
    assert [(m["studio"], m["name"]) for m in data["models"]] == [("poems", "tiny")]
    assert data["models"][0]["base_url"] == "/models/poems/tiny/"
    assert data["invalid"][0]["path"] == "latent/broken"
    assert "training" in data["invalid"][0]["error"]
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/api/models", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_catalogue_is_gzipped_when_accepted(client):
    response = client.get("/api/models", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["models"][0]["name"] == "tiny"


def test_catalogue_rejects_card_in_wrong_folder_and_missing_files(tmp_path, web_root):
    from server import create_app
    from tests.helpers import write_fake_model

    root = tmp_path / "models"
    moved = write_fake_model(root, "poems", "one")
    moved.rename(root / "poems" / "renamed")
    missing = write_fake_model(root, "style", "two")
    (missing / "group1-shard1of1.bin").unlink()
    (root / "poems" / "garbage").mkdir()
    (root / "poems" / "garbage" / "card.json").write_text("{not json")
    data = closing_client(create_app({"WEB_ROOT": web_root, "MODELS_ROOT": root})).get("/api/models").get_json()
    assert data["models"] == []
    errors = {item["path"]: item["error"] for item in data["invalid"]}
    assert "lives in poems/renamed" in errors["poems/renamed"]
    assert "missing" in errors["style/two"]
    assert "poems/garbage" in errors


def test_unbuilt_web_app_explains_itself(tmp_path, models_root):
    from server import create_app

    client = closing_client(create_app({"WEB_ROOT": tmp_path / "nothing", "MODELS_ROOT": models_root}))
    response = client.get("/")
    assert response.status_code == 503
    assert "npm run build" in response.get_data(as_text=True)
    assert client.get("/healthz").get_json()["web_built"] is False


def test_file_deleted_after_start_up_gets_404(client, models_root):
    (models_root / "poems" / "tiny" / "group1-shard1of1.bin").unlink()
    response = client.get("/models/poems/tiny/group1-shard1of1.bin")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
