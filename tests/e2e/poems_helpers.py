"""Shared pieces of the Poems end-to-end tests: the shipped poems models and page helpers."""
from __future__ import annotations

import json
import urllib.request

from tests.conftest import open_studio

STUDIO = "section[data-studio='poems']"


def poems_cards(base_url: str) -> list[dict]:
    """The character models in the catalogue; fails (never skips) when none is shipped."""
    with urllib.request.urlopen(base_url + "/api/models", timeout=10) as response:
        catalogue = json.load(response)
    cards = [c for c in catalogue["models"] if c["studio"] == "poems" and isinstance((c.get("extras") or {}).get("vocab"), str)]
    assert cards, (
        "No poems model in the catalogue: export one into exported_models/poems/ "
        "(python -m training poems export --name NAME), or point MUZA_MODELS_ROOT at a models folder. "
        f"Invalid cards: {catalogue.get('invalid')}"
    )
    return cards


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
