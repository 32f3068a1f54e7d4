"""WASM threads, in real Chromium against a real gunicorn: by default the threaded SIMD backend
runs half the cores, at least one, up to 4 (tfjs' own count, read from the WASM module), `?threads=N`
sets it, the pthread workers are our own script (no blob:, no CSP violation), and poems and
style outputs do not depend on the thread count."""
from __future__ import annotations

import urllib.request

import numpy as np
import pytest

from tests.conftest import PageProblems, open_studio

pytestmark = pytest.mark.e2e

# Every CSP violation the document sees, and every worker the page starts.
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""

# Three views of the thread count: the WASM module's own (XNNPACK's pool), tfjs' getThreadsCount
# and the app's report; plus whether the heap is shared memory (the threaded binary).
THREADS_JS = """async () => {
  const tf = window.muza.tf, backend = tf.backend();
  return {
    backend: tf.getBackend(),
    module: backend.wasm.tfjs.getThreadsCount(),
    tfjs: window.muza.wasmThreads.getThreadsCount(),
    app: (await window.muza.ready).wasmThreads,
    shared: backend.wasm.HEAPU8.buffer instanceof SharedArrayBuffer,
    cores: navigator.hardwareConcurrency,
    badge: document.querySelector('#backend-badge').textContent,
  };
}"""

# A matmul big enough for XNNPACK to split it across the pool; small integers, so exact in float32.
MATMUL_JS = """([a, b, m, k, n]) => {
  const tf = window.muza.tf;
  return tf.tidy(() => Array.from(tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])).dataSync()));
}"""


def open_watched(page, base_url: str, route: str, query: str = "") -> tuple[dict, list[str]]:
    workers: list[str] = []
    page.on("worker", lambda w: workers.append(w.url))
    page.add_init_script(WATCH_CSP)
    info = open_studio(page, base_url, route, query)
    return info, workers


def assert_clean(page, base_url: str, workers: list[str]) -> None:
    assert page.evaluate("() => window.__csp") == []
    assert page.problems.errors == []
    # The pthread workers run our own script from our origin, never a blob:.
    assert workers and all(w.startswith(f"{base_url}/assets/") and ".worker-" in w for w in workers), workers


@pytest.mark.parametrize("server_name", ["live_server", "nginx_server"])
def test_default_is_half_the_cores_up_to_four(page, request, server_name):
    server = request.getfixturevalue(server_name)
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        csp = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    # No blob: where scripts and workers come from.
    assert csp["worker-src"] == "'self'" and csp["script-src"] == "'self' 'wasm-unsafe-eval'", csp
    info, workers = open_watched(page, server.url, "poems")
    assert info["name"] == "wasm", info  # headless Chromium's WebGL is SwiftShader here
    threads = page.evaluate(THREADS_JS)
    want = max(1, min(4, threads["cores"] // 2))
    assert threads["cores"] >= 2, "this test wants a machine with at least 2 cores"
    assert threads["shared"] is True
    assert (threads["module"], threads["tfjs"], threads["app"]) == (want, want, want), threads
    assert f"{want} thread{'' if want == 1 else 's'}" in threads["badge"], threads["badge"]

    rng = np.random.default_rng(3)
    m, k, n = 96, 256, 160
    a = rng.integers(-8, 9, (m, k))
    b = rng.integers(-8, 9, (k, n))
    got = np.array(page.evaluate(MATMUL_JS, [a.ravel().tolist(), b.ravel().tolist(), m, k, n]))
    assert np.array_equal(got, (a @ b).ravel())
    assert_clean(page, server.url, workers)


@pytest.mark.parametrize("threads", [1, 3])
def test_threads_query_is_honoured(page, live_server, threads):
    info, workers = open_watched(page, live_server.url, "poems", f"?threads={threads}")
    got = page.evaluate(THREADS_JS)
    assert got["backend"] == "wasm" and got["shared"] is True
    assert (got["module"], got["tfjs"], got["app"], info["wasmThreads"]) == (threads,) * 4, got
    assert f"{threads} thread{'' if threads == 1 else 's'}" in got["badge"], got["badge"]
    assert_clean(page, live_server.url, workers)


# The poems engine after a fixed primer: the next-character distribution and 400 greedy characters.
POEMS_JS = """async () => {
  const api = window.muza.poems, poet = api.currentPoet();
  const g = poet.generator('fused');
  await g.prime('When the night ');
  const probs = Array.from(await g.distribution());
  const t0 = performance.now();
  const out = await g.generate({ temperature: 0, topK: 0, topP: 1, length: 400 });
  const ms = performance.now() - t0;
  g.dispose();
  return { name: poet.card.name, probs, text: out.text, ms };
}"""

# The style network on a seeded 256x256 photo: the output, and the median time of three runs.
STYLE_JS = """async () => {
  const st = window.muza.style.studio(), tf = window.muza.tf, s = st.currentStylizer;
  const weights = st.testState().styleWeights;
  const x = tf.randomUniform([256, 256, 3], 0, 255, 'float32', 11);
  const first = s.run(x, weights);
  const out = Array.from(await first.data());
  first.dispose();
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const y = s.run(x, weights);
    await y.data();
    times.push(performance.now() - t0);
    y.dispose();
  }
  x.dispose();
  times.sort((a, b) => a - b);
  return { out, ms: times[1] };
}"""


def run_both(page, base_url: str, query: str) -> dict:
    info, workers = open_watched(page, base_url, "poems", query)
    page.wait_for_selector("section[data-studio='poems'][data-poet]")
    poems = page.evaluate(POEMS_JS)
    page.evaluate("() => { location.hash = '#/style'; }")
    page.wait_for_selector("section[data-studio='style'][data-ready='true'][data-model]")
    page.wait_for_function("() => document.querySelector(\"section[data-studio='style']\").dataset.busy !== 'true' && window.muza.style?.studio()?.currentStylizer")
    style = page.evaluate(STYLE_JS)
    assert_clean(page, base_url, workers)
    return {"threads": info["wasmThreads"], "poems": poems, "style": style}


def test_outputs_do_not_depend_on_the_thread_count(browser, live_server):
    results = []
    for query in ["?threads=1", "?threads=2"]:
        context = browser.new_context(viewport={"width": 1200, "height": 860})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.problems = PageProblems(page)
        try:
            results.append(run_both(page, live_server.url, query))
        finally:
            context.close()
    one, many = results
    assert one["threads"] == 1 and many["threads"] >= 2, (one["threads"], many["threads"])
    print(f"poems ({one['poems']['name']}, 400 greedy characters): {one['poems']['ms']:.0f} ms with 1 thread, "
          f"{many['poems']['ms']:.0f} ms with {many['threads']}; style 256x256 (median of 3): "
          f"{one['style']['ms']:.0f} ms with 1 thread, {many['style']['ms']:.0f} ms with {many['threads']}")

    assert one["poems"]["name"] == many["poems"]["name"]
    p1, p2 = np.array(one["poems"]["probs"]), np.array(many["poems"]["probs"])
    assert np.abs(p1 - p2).max() < 1e-5
    assert one["poems"]["text"] == many["poems"]["text"]
    s1, s2 = np.array(one["style"]["out"]), np.array(many["style"]["out"])
    assert s1.shape == s2.shape == (256 * 256 * 3,)
    assert np.abs(s1 - s2).max() < 1e-3  # 0..255 units


def test_threads_work_offline_from_the_precache(browser, live_server):
    """The worker script and the glue are in the service worker's precache: offline, the
    threaded backend starts as online."""
    context = browser.new_context(viewport={"width": 1200, "height": 860})
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.problems = PageProblems(page)
        open_watched(page, live_server.url, "poems", "?threads=2")  # the pthread workers start
        page.evaluate("() => window.muza.offline.ready")
        page.evaluate("() => window.muza.offline.settled()")
        online = page.evaluate(THREADS_JS)
        cached = page.evaluate("""async () => {
          const name = (await caches.keys()).find((k) => k.startsWith('muza-shell-'));
          return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
        }""")
        assert [p for p in cached if p.startswith("/assets/tfjs-backend-wasm-threaded-simd.worker-")], cached
        assert len([p for p in cached if p.startswith("/assets/tfjs-backend-wasm-threaded-simd-") and p.endswith(".js")]) == 1, cached

        context.set_offline(True)
        workers: list[str] = []
        page.on("worker", lambda w: workers.append(w.url))
        try:
            page.reload()
            page.evaluate("() => window.muza.ready")
            assert page.evaluate("() => !!navigator.serviceWorker.controller")
            offline = page.evaluate(THREADS_JS)
            assert offline["module"] == online["module"] == 2 and offline["shared"], (online, offline)
            assert page.evaluate(MATMUL_JS, [[1, 2, 3, 4], [5, 6, 7, 8], 2, 2, 2]) == [19, 22, 43, 50]
            assert_clean(page, live_server.url, workers)
        finally:
            context.set_offline(False)
    finally:
        context.close()
