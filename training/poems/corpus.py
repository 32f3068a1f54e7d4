"""The corpus a character model trains on, and the one place that splits and windows it
(no TensorFlow here).

**The corpus interface.** The trainer (`train.py`), the export and the sampler take a
`Corpus` made by a *reader*: a function `reader(path, *, val_fraction, seed, max_vocab,
base_vocab) -> Corpus` (a reader that also takes `split` gets the train command's `--split`). `read_text_corpus` below is the poems reader; another studio (folk
tunes in ABC notation, say) supplies its own reader that fills the same fields from its
own units (tunes instead of poems) and overrides `real_lines` when its "Real or fake?"
lines are cut differently. What the trainer uses:

| field / method | what it is |
| --- | --- |
| `chars` | the vocabulary in id order (`base_vocab` first when fine-tuning) |
| `train_text`, `val_text` | the two sides of the split (units joined with blank lines, or the two sides of the tail cut) |
| `val_units` | the held-out units themselves (real lines and the default seed come from them) |
| `split_by` | what a unit is ("files", "blocks", "tunes"...) or "tail", for the log and the card |
| `source`, `name` | where it was read and its short name for the card |
| `n_chars`, `n_lines`, `summary()` | counts for the log and the card |
| `real_lines(limit, seed)` | held-out lines for the "Real or fake?" game |
| `normalization`, `extras()` | written into vocab.json and the card's extras |

**The text reader.** A corpus is one UTF-8 file or a folder of UTF-8 files. Text is
normalised to Unicode NFC (so "č" is one character whether the file spelled it precomposed
or as c + combining caron), line endings become "\\n" and a leading BOM is dropped.

**Split.** The validation split (`split`, the train command's `--split`) is one of

* `tail`: the last `val_fraction` of the text, cut at a character (as char-rnn and nanoGPT
  hold out the last 10% of tiny Shakespeare); the default for a single file;
* `files`: whole files, drawn in a seeded random order (`split_units`); the default for a
  folder of at least 10 files (one poem per file, as in seed 000's corpus);
* `blocks`: whole blank-line separated blocks (speeches, stanzas), drawn the same way; the
  default for a folder of fewer files.

Readers of other studios split by their own units with `split_units`. The windows and
batches cut from the two texts are in `batches.py`.
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


from training.kit.errors import UserError

MAX_VOCAB = 500
MIN_FILES_FOR_FILE_SPLIT = 10
MAX_FILE_BYTES = 200 * 1024 * 1024
BLOCK_SEPARATOR = "\n\n"
SPLITS = ("auto", "tail", "files", "blocks")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


class CorpusError(UserError):
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
    name: str = ""
    normalization: str = "NFC"

    def __post_init__(self):
        self.name = self.name or Path(self.source).resolve().name

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
            f"validation {len(self.val_text):,} chars "
            + ("(the end of the text)" if self.split_by == "tail" else f"({len(self.val_units)} {self.split_by})")
        )

    def real_lines(self, limit: int = 300, seed: int = 0, min_len: int = 25, max_len: int = 90) -> list[str]:
        """Held-out lines for the "Real or fake?" game (and the default seed line)."""
        return real_lines(self.val_units, min_len, max_len, limit, seed)

    def extras(self) -> dict:
        """Reader-specific entries for the card's extras (none for plain text)."""
        return {}


Reader = Callable[..., Corpus]  # reader(path, *, val_fraction, seed, max_vocab, base_vocab) -> Corpus


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


def read_text_files(path: Path) -> list[tuple[Path, str]]:
    """Every file of a corpus as (path, normalised text); empty files are refused by name."""
    texts = []
    for f in corpus_files(path):
        text = read_text_file(f)
        if not text.strip():
            raise CorpusError(f"{f}: corpus file is empty (no text after reading it as UTF-8)")
        texts.append((f, text))
    return texts


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


def split_units(units: list[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train units, validation units): whole units drawn in a seeded random order until they
    hold `val_fraction` of the characters; at least one unit stays for training. Both lists
    keep the corpus order. Every reader splits here."""
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
    return ([u for i, u in enumerate(units) if i not in val_idx], [u for i, u in enumerate(units) if i in val_idx])


def join_units(units: list[str]) -> str:
    """Units as one text: blank lines between them, a newline at the end ("" for none)."""
    return BLOCK_SEPARATOR.join(units) + "\n" if units else ""


def tail_split(text: str, val_fraction: float) -> tuple[str, str]:
    """(training text, held-out text): the held-out text is the last `val_fraction` of `text`,
    from character int(len * (1 - val_fraction)) on (nanoGPT's cut of tiny Shakespeare)."""
    cut = int(len(text) * (1 - val_fraction))
    return text[:cut], text[cut:]


def auto_split(n_files: int) -> str:
    """The split of `--split auto`: the tail of a single file, whole files of a folder of at
    least MIN_FILES_FOR_FILE_SPLIT files, whole blocks otherwise."""
    return "tail" if n_files == 1 else "files" if n_files >= MIN_FILES_FOR_FILE_SPLIT else "blocks"


def read_text_corpus(path, val_fraction: float = 0.1, seed: int = 0, max_vocab: int = MAX_VOCAB,
                     base_vocab: list[str] | None = None, split: str = "auto") -> Corpus:
    """The poems reader: a UTF-8 file or folder, split by its tail, whole files or blank-line blocks."""
    path = Path(path)
    texts = read_text_files(path)
    chars = build_vocab(texts, max_vocab, base_vocab)
    split = auto_split(len(texts)) if split == "auto" else split
    if split == "tail":
        text = join_units([t.strip("\n") for _, t in texts]) if len(texts) > 1 else texts[0][1]
        train_text, val_text = tail_split(text, val_fraction)
        if len(val_text) < 2 or len(train_text) < 2:
            raise CorpusError(f"{path}: --val-fraction {val_fraction} leaves {len(train_text)} training and "
                              f"{len(val_text)} held-out characters of {len(text)}")
        whole_lines = val_text.split("\n", 1)[1] if "\n" in val_text else ""  # the cut may split a line
        return Corpus(source=path, texts=texts, chars=chars, train_text=train_text, val_text=val_text,
                      val_units=split_blocks(whole_lines), split_by="tail")
    if split == "files":
        if len(texts) < 2:
            raise CorpusError(f"{path}: --split files needs a folder of at least two files")
        units = [t.strip("\n") for _, t in texts]
    else:
        units = [b for _, t in texts for b in split_blocks(t)]
    if len(units) < 2:
        raise CorpusError(
            f"{path}: needs at least two files or two blank-line separated blocks to hold some out for validation"
        )
    train_units, val_units = split_units(units, val_fraction, seed)
    return Corpus(source=path, texts=texts, chars=chars, train_text=join_units(train_units),
                  val_text=join_units(val_units), val_units=val_units, split_by=split)


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
