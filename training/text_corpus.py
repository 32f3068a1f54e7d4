"""Reading a text corpus for the character models (no TensorFlow here).

A corpus is one UTF-8 file or a folder of UTF-8 files. Text is normalised to
Unicode NFC (so "č" is one character whether the file spelled it precomposed or
as c + combining caron), line endings become "\\n" and a leading BOM is dropped.

The validation split takes whole units, never random characters: whole files
when the corpus is a folder of enough files (one poem per file, as in seed 000's
corpus), otherwise whole blocks separated by blank lines (speeches, stanzas).
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

MAX_VOCAB = 500
MIN_FILES_FOR_FILE_SPLIT = 10
MAX_FILE_BYTES = 200 * 1024 * 1024
BLOCK_SEPARATOR = "\n\n"
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


class CorpusError(ValueError):
    """A corpus that a character model cannot be trained on; the message names the file."""


@dataclass
class Corpus:
    source: Path
    texts: list[tuple[Path, str]]  # (file, normalised text), in reading order
    chars: list[str]  # vocabulary in id order
    train_text: str
    val_text: str
    val_units: list[str] = field(default_factory=list)
    split_by: str = "blocks"

    @property
    def n_chars(self) -> int:
        return sum(len(t) for _, t in self.texts)

    @property
    def n_lines(self) -> int:
        return sum(t.count("\n") + (0 if t.endswith("\n") else 1) for _, t in self.texts if t)

    def summary(self) -> str:
        return (
            f"corpus {self.source}: {len(self.texts)} file(s), {self.n_chars:,} characters, "
            f"{self.n_lines:,} lines, vocabulary {len(self.chars)}; "
            f"split by {self.split_by}: train {len(self.train_text):,} chars, "
            f"validation {len(self.val_text):,} chars ({len(self.val_units)} {self.split_by})"
        )


def corpus_files(path: Path) -> list[Path]:
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"corpus not found: {path}")
    if path.is_file():
        return [path]
    files = sorted(
        p for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise CorpusError(f"corpus folder {path} holds no files")
    return files


def read_text_file(path: Path) -> str:
    """Read one corpus file as NFC text with "\\n" line endings, or raise CorpusError naming it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(f"{path}: {size:,} bytes is too large for a corpus file (limit {MAX_FILE_BYTES:,})")
    data = path.read_bytes()
    if b"\x00" in data:
        raise CorpusError(f"{path}: looks like a binary file (it contains NUL bytes at offset {data.index(0)}), not UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        snippet = data[max(0, err.start - 20):err.start + 4]
        raise CorpusError(
            f"{path}: not valid UTF-8 at byte offset {err.start} (near {snippet!r}); "
            "convert it to UTF-8 first, e.g. iconv -f WINDOWS-1250 -t UTF-8"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def split_blocks(text: str) -> list[str]:
    """Blank-line separated blocks of a text, stripped, empty ones dropped."""
    return [b.strip("\n") for b in _BLANK_LINES.split(text) if b.strip()]


def build_vocab(texts: list[tuple[Path, str]], max_vocab: int = MAX_VOCAB, base: list[str] | None = None) -> list[str]:
    """Characters in id order: `base` first (fine-tuning keeps old ids), then new ones sorted."""
    base = list(base or [])
    known = set(base)
    seen: set[str] = set()
    for path, text in texts:
        seen.update(text)
        total = len(known | seen | {"\n"})
        if total > max_vocab:
            rare = sorted(set(text) - known, key=lambda c: text.count(c))[:12]
            raise CorpusError(
                f"{path}: the vocabulary grows to {total} distinct characters, more than a character model "
                f"should have (limit {max_vocab}); rare characters in this file: {''.join(rare)!r}. "
                "Is this really text in one or two scripts?"
            )
    seen.add("\n")  # blocks and files are joined with blank lines
    return base + sorted(seen - known)


def load_corpus(path, val_fraction: float = 0.1, seed: int = 0, max_vocab: int = MAX_VOCAB,
                base_vocab: list[str] | None = None) -> Corpus:
    path = Path(path)
    files = corpus_files(path)
    texts = []
    for f in files:
        text = read_text_file(f)
        if not text.strip():
            raise CorpusError(f"{f}: corpus file is empty (no text after reading it as UTF-8)")
        texts.append((f, text))
    chars = build_vocab(texts, max_vocab, base_vocab)

    if len(files) >= MIN_FILES_FOR_FILE_SPLIT:
        units = [t.strip("\n") for _, t in texts]
        split_by = "files"
    else:
        units = [b for _, t in texts for b in split_blocks(t)]
        split_by = "blocks"
    if len(units) < 2:
        raise CorpusError(
            f"{path}: needs at least two files or two blank-line separated blocks to hold some out for validation"
        )
    order = list(range(len(units)))
    random.Random(seed).shuffle(order)
    total = sum(len(u) for u in units)
    target = max(1, int(round(total * val_fraction))) if val_fraction > 0 else 0
    val_idx: set[int] = set()
    got = 0
    for i in order:
        if got >= target or len(val_idx) >= len(units) - 1:
            break
        val_idx.add(i)
        got += len(units[i])
    train_units = [u for i, u in enumerate(units) if i not in val_idx]
    val_units = [u for i, u in enumerate(units) if i in val_idx]
    return Corpus(
        source=path,
        texts=texts,
        chars=chars,
        train_text=BLOCK_SEPARATOR.join(train_units) + "\n",
        val_text=(BLOCK_SEPARATOR.join(val_units) + "\n") if val_units else "",
        val_units=val_units,
        split_by=split_by,
    )


def encode(text: str, chars: list[str]) -> list[int]:
    index = {c: i for i, c in enumerate(chars)}
    return [index[c] for c in text]


def real_lines(units: list[str], min_len: int = 25, max_len: int = 90, limit: int = 300, seed: int = 0) -> list[str]:
    """Held-out lines for the "Real or fake?" game: non-trivial, de-duplicated, shuffled deterministically."""
    seen, lines = set(), []
    for unit in units:
        for line in unit.split("\n"):
            line = line.strip()
            if min_len <= len(line) <= max_len and line not in seen and sum(c.isalpha() for c in line) >= min_len // 2:
                seen.add(line)
                lines.append(line)
    random.Random(seed).shuffle(lines)
    return lines[:limit]
