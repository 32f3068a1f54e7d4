"""End-to-end: the shell in real Chromium against real gunicorn."""
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM_ARGS, REPO, LiveServer, open_studio
from tests.e2e.poems_helpers import STUDIO as POEMS_STUDIO, write

pytestmark = pytest.mark.e2e
ROUTES = {"poems": "Poems", "style": "Style", "latent": "Latent", "backgrounds": "Backgrounds", "music": "Music"}
SCREENSHOT_SEEDS = (1, 7, 16)  # latent favourites in the README screenshot: a face, a smiley, a face
# The backgrounds screenshot: a morph across the frame, moss -> a nebula (CC BY) -> a skybox
# (names of the shipped model; the first three textures when it lacks them).
SCREENSHOT_BACKGROUND = """async () => {
  const bg = window.muza.backgrounds;
  if (!bg) return false;
  const names = bg.generator.textures.map((t) => t.name);
  const pick = (name, fallback) => (names.includes(name) ? names.indexOf(name) : fallback);
  const mix = ['grass_moss003', 'nebula_red_spider', 'nebula_blue_skybox_a'].map((name, i) => ({ id: pick(name, i), weight: 1 }));
  bg.studio.update((s) => Object.assign(s, { mix, mode: 'morph', shape: 'horizontal', seed: 7, width: 1920, height: 1080 }));
  await bg.idle();
  return true;
}"""


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_renders_without_errors(page, live_server, route):
    open_studio(page, live_server.url, route)
    assert page.locator("main h1").first.inner_text() == ROUTES[route]
    assert page.locator(f"nav a[data-route='{route}']").get_attribute("aria-current") == "page"
    assert page.problems.errors == []


# The test's own look at WebGL, independent of the app's detector in backend.ts.
RENDERER_JS = """() => {
  const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}"""


def test_default_backend_avoids_software_webgl(page, live_server):
    """The tests' Chromium renders WebGL with SwiftShader (conftest.CHROMIUM_ARGS), here and on
    CI alike: a software rasteriser, so the app must choose WASM and say why on the badge."""
    assert "--use-angle=swiftshader" in CHROMIUM_ARGS
    info = open_studio(page, live_server.url)
    renderer = page.evaluate(RENDERER_JS)
    assert renderer and "swiftshader" in renderer.lower(), f"the test environment should render WebGL with SwiftShader, got {renderer!r}"
    assert info["name"] == "wasm" and info["forced"] is False and info["software"] is True
    assert page.evaluate("() => window.muza.tf.getBackend()") == "wasm"
    badge = page.locator("#backend-badge")
    assert badge.get_attribute("data-backend") == "wasm"
    text = badge.inner_text()
    assert text.startswith("WASM"), text
    assert "WebGL is a software renderer (SwiftShader)" in text, text
    assert page.problems.errors == []


def test_navigation_comes_from_the_studio_registry(page, live_server):
    open_studio(page, live_server.url)
    links = page.locator("nav a[data-route]")
    assert links.evaluate_all("els => els.map((a) => [a.dataset.route, a.getAttribute('href'), a.textContent])") == [
        [route, f"#/{route}", title] for route, title in ROUTES.items()
    ]


def test_a_first_visit_downloads_the_shell_and_one_studio(browser, live_server):
    """Each studio's code is a chunk of its own, fetched when its route opens."""
    scripts = {}
    for route in ROUTES:
        context = browser.new_context()
        page = context.new_page()
        urls = set()
        page.on("request", lambda r, urls=urls: re.search(r"/assets/(main|chunk)-[A-Z2-7]{8}\.js$", r.url) and urls.add(r.url))
        open_studio(page, live_server.url, route)
        scripts[route] = set(urls)
        # Moving to another studio fetches that studio's own chunk then.
        other = next(r for r in ROUTES if r != route)
        page.locator(f"nav a[data-route='{other}']").click()
        page.wait_for_selector(f"section[data-studio='{other}'][data-ready='true']")
        assert urls - scripts[route], f"#/{other} after #/{route} fetched no code of its own"
        context.close()
    shell = set.intersection(*scripts.values())
    assert any("/assets/main-" in url for url in shell)
    for route, urls in scripts.items():
        others = set.union(*(scripts[r] for r in ROUTES if r != route))
        assert urls - others, f"#/{route} has no chunk of its own: {sorted(urls)}"


@pytest.mark.parametrize("backend", ["webgl", "wasm", "cpu"])
def test_backend_can_be_forced(page, live_server, backend):
    info = open_studio(page, live_server.url, "poems", f"?backend={backend}")
    assert info["name"] == backend and info["forced"] is True
    assert page.evaluate("() => window.muza.tf.getBackend()") == backend
    assert page.locator("#backend-badge").inner_text().startswith(backend.upper())
    # The backend really computes.
    assert page.evaluate("() => window.muza.tf.tidy(() => window.muza.tf.matMul([[1, 2]], [[3], [4]]).dataSync()[0])") == 11


def test_cross_origin_isolated_and_wasm_threads(page, live_server):
    wasm_requests = []
    page.on("request", lambda r: r.url.endswith(".wasm") and wasm_requests.append(r.url))
    info = open_studio(page, live_server.url, "poems", "?backend=wasm")
    assert page.evaluate("() => crossOriginIsolated") is True
    assert page.evaluate("() => window.muza.tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')") is True
    assert any("threaded-simd" in url for url in wasm_requests), wasm_requests
    assert info["wasmThreads"] >= 1
    # A convolution big enough to go through XNNPACK's thread pool gives the right answer.
    total = page.evaluate(
        """() => window.muza.tf.tidy(() => {
             const tf = window.muza.tf;
             const x = tf.ones([1, 64, 64, 8]);
             const w = tf.ones([3, 3, 8, 16]);
             return tf.conv2d(x, w, 1, 'valid').mean().dataSync()[0];
           })"""
    )
    assert total == 72
    assert page.problems.errors == []


def test_no_request_leaves_our_origin(page, live_server):
    urls = []
    page.on("request", lambda r: urls.append(r.url))
    for route in ROUTES:
        open_studio(page, live_server.url, route)
    assert urls and all(u.startswith(live_server.url) or u.startswith(("blob:", "data:")) for u in urls), urls


def test_keyboard_navigation_between_studios(page, live_server):
    open_studio(page, live_server.url, "poems")
    page.keyboard.press("Tab")  # skip link
    assert page.evaluate("() => document.activeElement.className") == "skip"
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.route") == "style"
    page.keyboard.press("Enter")
    page.wait_for_selector("section[data-studio='style'][data-ready='true']")
    assert page.locator("main h1").inner_text() == "Style"


def test_phone_viewport_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    for route in ROUTES:
        open_studio(page, live_server.url, route)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), route
    context.close()


# ------------------------------------------------------------ model loading: progress, checks
@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A real tensorflowjs conversion of a tiny Keras model, in three folders: good,
    one with a corrupted shard, one whose shard disappears after the server starts."""
    import numpy as np

    import training  # noqa: F401  (sets TF_USE_LEGACY_KERAS)
    import tf_keras as keras
    from training.kit.export import atomic_export, save_tfjs_layers
    from tests.helpers import base_card

    root = tmp_path_factory.mktemp("models")
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    model.set_weights([np.arange(w.size, dtype="float32").reshape(w.shape) / 100 for w in model.get_weights()])

    def writer(name):
        def write(tmp):
            save_tfjs_layers(model, tmp)
            card = base_card("poems", name)
            card["title"] = f"Tiny {name}"
            return card
        return write

    for name in ("good", "corrupt", "vanishing"):
        atomic_export(root / "poems" / name, writer(name))
    shard = next((root / "poems" / "corrupt").glob("*.bin"))
    data = bytearray(shard.read_bytes())
    data[0] ^= 0xFF
    shard.write_bytes(bytes(data))
    expected = model.predict(np.ones((1, 4), "float32"), verbose=0)[0].tolist()
    return root, expected


@pytest.fixture(scope="module")
def tiny_server(tiny_models):
    root, _ = tiny_models
    server = LiveServer(models_root=root)
    for shard in (root / "poems" / "vanishing").glob("*.bin"):
        shard.unlink()  # gone after start-up: the server answers 404
    yield server
    server.stop()


def card_button(page, name):
    return page.locator(f"li[data-model='poems/{name}'] button")


def test_model_loads_with_byte_progress_and_verified_checksums(page, tiny_server, tiny_models):
    _, expected = tiny_models
    open_studio(page, tiny_server.url, "poems")
    card_button(page, "good").click()
    message = page.locator("li[data-model='poems/good'] .message")
    message.wait_for(state="visible")
    assert "checksums verified" in message.inner_text()
    progress = page.locator("li[data-model='poems/good'] .progress-text").inner_text()
    assert re.match(r"[\d.]+ (B|KB) of [\d.]+ (B|KB)$", progress)
    loaded, total = progress.split(" of ")
    assert loaded == total
    got = page.evaluate(
        """async () => {
             const cards = (await window.muza.fetchCatalogue()).models;
             const model = await window.muza.loadLayersModel(cards.find(c => c.name === 'good'));
             const out = window.muza.tf.tidy(() => Array.from(model.predict(window.muza.tf.ones([1, 4])).dataSync()));
             model.dispose();
             return out;
           }"""
    )
    assert got == pytest.approx(expected, abs=1e-5)


def test_corrupt_shard_is_refused_with_a_clear_message(page, tiny_server):
    open_studio(page, tiny_server.url, "poems")
    card_button(page, "corrupt").click()
    alert = page.locator("li[data-model='poems/corrupt'] .message.error")
    alert.wait_for()
    assert re.search(r"Tiny corrupt: group1-shard1of1\.bin is corrupt \(sha256", alert.inner_text())


def test_missing_shard_is_reported(page, tiny_server):
    open_studio(page, tiny_server.url, "poems")
    card_button(page, "vanishing").click()
    alert = page.locator("li[data-model='poems/vanishing'] .message.error")
    alert.wait_for()
    assert "group1-shard1of1.bin is missing on the server (HTTP 404)" in alert.inner_text()


def test_screenshots_of_each_route(browser, live_server, tmp_path):
    """Screenshots for the README; MUZA_UPDATE_SCREENSHOTS=1 writes them into docs/."""
    out = REPO / "docs" / "screenshots" if os.environ.get("MUZA_UPDATE_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    for route in ROUTES:
        open_studio(page, live_server.url, route)
        if route == "poems":  # a written poem, not an empty page
            page.wait_for_selector(f"{POEMS_STUDIO}[data-poet]")
            assert len(write(page, 320)) == 320
        if route == "style":  # show a result: Chelsea the cat as The Starry Night
            page.wait_for_selector("section[data-studio='style'][data-model]")
            page.locator(".style-thumb").nth(4).click()
            page.locator(".style-sample").nth(2).click()
            page.wait_for_function("() => Number(document.querySelector(\"section[data-studio='style']\").dataset.stylisations || 0) >= 1",
                                   timeout=120_000)
            page.evaluate("() => window.scrollTo(0, 0)")  # the result column is sticky: show it in place
        if route == "latent":  # three favourites, so the interpolation strip and A - B + C show pictures
            page.wait_for_selector("section[data-studio='latent'][data-ready='true']")
            for seed in SCREENSHOT_SEEDS:
                page.locator("input.seed").fill(str(seed))
                page.locator("input.seed").press("Enter")
                page.evaluate("() => window.muza.latent.settled()")
                count = page.locator(".favourites li").count()
                page.locator("button.save-favourite").click()
                page.wait_for_function(f"() => document.querySelectorAll('.favourites li').length === {count + 1}")
            for panel in (".latent-interpolate", ".latent-arithmetic"):
                page.locator(panel).scroll_into_view_if_needed()
                page.evaluate("() => window.muza.latent.settled()")
            page.locator(".latent-interpolate input.scrub").fill("0.5")
            page.evaluate("() => window.muza.latent.settled()")
            page.evaluate("() => window.scrollTo(0, 0)")
            page.locator(".studio-latent > .message.info").wait_for(state="hidden", timeout=10_000)  # the "Saved" toast
        if route == "backgrounds":  # a morph, rendered (when a texture model is exported)
            page.evaluate(SCREENSHOT_BACKGROUND)
        path = out / f"{route}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000
    context.close()


def test_lost_webgl_context_falls_back_to_wasm(page, live_server):
    open_studio(page, live_server.url, "poems", "?backend=webgl")
    page.evaluate("() => window.muza.tf.backend().gpgpu.gl.getExtension('WEBGL_lose_context').loseContext()")
    page.wait_for_function("() => document.querySelector('#backend-badge').dataset.backend === 'wasm'")
    assert "WebGL context was lost" in page.locator("#backend-badge").inner_text()
    assert page.evaluate("() => window.muza.tf.getBackend()") == "wasm"
    assert page.evaluate("() => window.muza.tf.tidy(() => window.muza.tf.add(2, 3).dataSync()[0])") == 5


def test_without_webgl_the_badge_says_so(browser, live_server):
    from tests.conftest import launch_chromium

    chromium = launch_chromium(browser.browser_type, ["--disable-3d-apis"])
    try:
        page = chromium.new_page()
        info = open_studio(page, live_server.url, "poems")
        assert info["name"] == "wasm"
        assert info["reason"] == "WebGL is unavailable in this browser"
        assert "WebGL is unavailable" in page.locator("#backend-badge").inner_text()
    finally:
        chromium.close()


# ------------------------------------------------------------ the models page
def test_models_page_shows_every_card_in_full_and_loads_a_model(page, live_server):
    catalogue = page.request.get(f"{live_server.url}/api/models").json()
    page.goto(f"{live_server.url}/#/poems")
    page.wait_for_selector("section[data-studio='poems'][data-ready='true']")
    page.locator("footer a[data-route='models']").click()
    page.wait_for_selector("section[data-studio='models'][data-ready='true']")
    assert page.locator("main h1").inner_text() == "Models"
    assert page.locator("footer a[data-route='models']").get_attribute("aria-current") == "page"
    assert page.locator(".model-card").count() == len(catalogue["models"]) > 0
    for card in catalogue["models"]:
        item = page.locator(f".catalogue-studio[data-studio-models='{card['studio']}'] li[data-model='{card['studio']}/{card['name']}']")
        assert item.locator("h3").inner_text() == card["title"]
        assert item.locator("pre.command").inner_text() == card["training"]["command"]
        facts = item.locator(".card-facts").inner_text()
        assert card["training"]["date"] in facts
        assert f"{card['parameters']:,} parameters" in facts
        metric, value = next((k, v) for k, v in card["metrics"].items() if isinstance(v, (int, float)))
        assert metric.replace("_", " ") + ":" in facts
        link = item.locator("a", has_text="card.json").get_attribute("href")
        assert page.request.get(live_server.url + link).json()["name"] == card["name"]
    # Load and check one model from the page: bytes, checksums and its parameter count.
    card = next(c for c in catalogue["models"] if c["studio"] == "latent")
    item = page.locator(f"li[data-model='latent/{card['name']}']")
    item.locator("button").click()
    item.locator(".message").wait_for()
    page.wait_for_function(f"() => /checksums verified/.test(document.querySelector(\"li[data-model='latent/{card['name']}'] .message\").textContent)", timeout=60_000)
    assert f"{card['parameters']:,} parameters" in item.locator(".message").inner_text()
    assert item.locator(".progress label").inner_text() == f"Downloaded {card['title']}"
    assert page.problems.errors == []


def test_models_page_lists_invalid_cards_and_empty_studios(page, tiny_models, tmp_path):
    root, _ = tiny_models
    shutil.copytree(root / "poems" / "good", tmp_path / "poems" / "good")
    shutil.copytree(root / "poems" / "good", tmp_path / "poems" / "misfiled")  # its card says poems/good
    server = LiveServer(models_root=tmp_path)
    try:
        open_studio(page, server.url, "models")
        assert page.locator(".model-card").count() == 1
        alert = page.locator("main .message.error").inner_text()
        assert "1 model folder was skipped" in alert and "poems/misfiled: card says poems/good" in alert
        for studio in ("style", "latent"):
            assert "No models exported for this studio yet" in page.locator(f".catalogue-studio[data-studio-models='{studio}']").inner_text()
    finally:
        server.stop()
