"""Shared pieces of the Poems end-to-end tests: the shipped poems models and page helpers."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.conftest import open_studio

STUDIO = "section[data-studio='poems']"


def char_cards(base_url: str, studio: str) -> list[dict]:
    """A character studio's models in the catalogue (poems, music); fails (never skips) when none is shipped."""
    with urllib.request.urlopen(base_url + "/api/models", timeout=10) as response:
        catalogue = json.load(response)
    cards = [c for c in catalogue["models"] if c["studio"] == studio and isinstance((c.get("extras") or {}).get("vocab"), str)]
    assert cards, (
        f"No {studio} model in the catalogue: export one into exported_models/{studio}/ "
        f"(python -m training {studio} export --name NAME), or point MUZA_MODELS_ROOT at a models folder. "
        f"Invalid cards: {catalogue.get('invalid')}"
    )
    return cards


def poems_cards(base_url: str) -> list[dict]:
    return char_cards(base_url, "poems")


def fetch_json(base_url: str, card: dict, file: str):
    with urllib.request.urlopen(base_url + card["base_url"] + file, timeout=10) as response:
        return json.load(response)


def open_poems(page, base_url: str, backend: str | None = None) -> dict:
    """Opens the studio and waits until the first poet is loaded; returns the backend info."""
    info = open_studio(page, base_url, "poems", f"?backend={backend}" if backend else "")
    page.wait_for_selector(f"{STUDIO}[data-poet]")
    return info


def write(page, length: int, timeout: float = 120_000) -> str:
    """Sets the length, presses Generate and waits for the end; returns the generated text."""
    page.fill("input[name='length']", str(length))
    page.click("button.generate")
    page.wait_for_function(
        "() => { const s = document.querySelector(\"section[data-studio='poems']\"); return s.dataset.job === 'idle' && s.querySelector('.poem .generated'); }",
        timeout=timeout,
    )
    return generated_text(page)


def generated_text(page) -> str:
    return page.evaluate("() => document.querySelector('.poem .generated')?.textContent ?? ''")


def current_poet_info(page) -> dict:
    return page.evaluate(
        """() => { const p = window.muza.poems.currentPoet();
                   return { name: p.card.name, chars: [...p.vocab.chars], tensors: window.muza.tf.memory().numTensors }; }"""
    )


# tensorflowjs' float16 export stores weights as float16; the trainer only picks float16
# when the next-character probabilities move by at most this much (export --float16-tolerance).
FLOAT16_BOUND = 5e-3

PARITY_JS = """async ({ api, name }) => {
  const studio = window.muza[api];
  const poet = await studio.load(name);
  const ref = await studio.loadReference(poet.card);
  const out = { dtype: ref.dtype, primer: ref.primer, engines: {} };
  for (const variant of ['fused', 'fused-ops', 'layers']) {
    const kind = variant === 'layers' ? 'layers' : 'fused';
    studio.useCustomKernels(variant !== 'fused-ops');  // wasm: our kernels, then the plain ops
    const g = poet.generator(kind);
    await g.prime(ref.primer);
    const probs = Array.from(await g.distribution());
    const greedy = await g.generate({ temperature: 0, topK: 0, topP: 1, length: (ref.greedy_continuation || '').length });
    out.engines[variant] = { probs, greedy: greedy.text };
    g.dispose();
  }
  studio.useCustomKernels(true);
  poet.dispose();
  return out;
}"""


def check_parity(page, base_url: str, studio: str, backend: str, open_page) -> None:
    """Opens the studio on `backend` (`open_page(page, base_url, backend)`), then checks each of its
    cards: the next-character distribution after the reference primer, on every engine, against the
    probabilities Keras computed at export (reference.json), and the greedy continuation. The
    studio's test hook is window.muza.<studio>."""
    cards = char_cards(base_url, studio)
    info = open_page(page, base_url, backend)
    assert info["name"] == backend
    api = studio
    for card in cards:
        reference = fetch_json(base_url, card, card["extras"]["reference"])
        got = page.evaluate(PARITY_JS, {"api": api, "name": card["name"]})
        for kind, result in got["engines"].items():
            probs = result["probs"]
            assert len(probs) == len(reference["probs_exported"])
            assert sum(probs) == pytest.approx(1, abs=1e-4)
            # Same weights as stored in the shards: tight.
            stored = max(abs(a - b) for a, b in zip(probs, reference["probs_exported"]))
            assert stored < 1e-4, f"{card['name']} {kind} on {backend}: max |Δp| {stored:.2e} vs Keras with the stored weights"
            # Against the float32 training weights: 1e-4, or the float16 bound when stored as float16.
            bound = FLOAT16_BOUND if reference["dtype"] == "float16" else 1e-4
            full = max(abs(a - b) for a, b in zip(probs, reference["probs_float32"]))
            assert full < bound, f"{card['name']} {kind} on {backend}: max |Δp| {full:.2e} vs float32 Keras (bound {bound})"
            if reference.get("greedy_continuation"):
                assert result["greedy"] == reference["greedy_continuation"], f"{card['name']} {kind} greedy continuation on {backend}"
    assert page.problems.errors == []
