"""Small synthetic corpora for the poems tests, written by the tests into tmp folders.

One in Latin script with č ć š ž đ (like seed 000's Serbian epic poems) and one in
Cyrillic (a known failure of other char-model tools). Deterministic for a given seed.
"""
from __future__ import annotations

import random
import unicodedata
from pathlib import Path

LATIN_WORDS = ("Marko Kraljević junak šarac sablja čaša ćuprija žuta đogat bijela kula vino gora "
               "Kosovo polje car Lazar Miloš vila sokol čelik ružica goluždrava đerdan").split()
CYRILLIC_WORDS = ("Марко Краљевић јунак шарац сабља чаша ћуприја жута ђогат бијела кула вино гора "
                  "Косово поље цар Лазар Милош вила соко челик ружица ђердан").split()


def verse(words, rng: random.Random) -> str:
    line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 6)))
    return line[0].upper() + line[1:] + rng.choice([",", ".", "", "!"])


def poem(words, rng: random.Random, lines: tuple[int, int] = (3, 7)) -> str:
    return "\n".join(verse(words, rng) for _ in range(rng.randint(*lines)))


def write_block_corpus(path: Path, words=LATIN_WORDS, blocks: int = 60, seed: int = 1) -> Path:
    """One file of blank-line separated blocks."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(poem(words, rng) for _ in range(blocks)) + "\n", encoding="utf-8")
    return path


def write_folder_corpus(folder: Path, words=LATIN_WORDS, files: int = 12, seed: int = 2) -> Path:
    """A folder of poems, one per file (seed 000's corpus layout)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / f"pjesma-{i:03d}.txt").write_text(poem(words, rng, (4, 10)) + "\n", encoding="utf-8")
    return folder


def decomposed(text: str) -> str:
    return unicodedata.normalize("NFD", text)
