"""Reading an ABC corpus: files -> tunes (`X:` records) -> one normal form -> a split by whole tunes.

A corpus is one `.abc` file or a folder of them (other files in the folder, such as a
LICENSE.md, are left alone). Each tune starts at an `X:` line and ends at the next `X:` line
or at the first blank line after its music. What is kept:

* the header fields that shape the music, in one order: `X:1` (the number is not music, so
  every tune is tune 1), `T:` (the first title), `M:`, `L:`, `Q:` (when present), `K:` last.
  `L:` is always written: when a tune has none, the ABC standard's default (1/16 when the
  meter is below 3/4, else 1/8). `M:` fields that come after `K:` but before the first line of
  music (the Nottingham files do this) are the meter that holds, so they move into the header;
* the music lines, with `M:`, `L:` and `K:` field lines (changes of meter, unit or key) and the
  inline `[K:..]`, `[M:..]`, `[L:..]` fields.

Dropped: every other field (`S:` source, `P:` parts, `Y:`, `R:`, `N:`, `Z:`, `w:` ...), `%`
comments, line-continuation backslashes, text outside tunes. Whitespace is normalised: runs of
spaces and tabs become one space, lines are stripped, empty lines inside a tune disappear, and
the tune text ends with one newline. Chord symbols keep their spelling except the Nottingham
files' `d` for diminished and `a` for augmented (`"Gd"` -> `"Gdim"`, `"Fa7"` -> `"Faug7"`),
which abc2midi (and abcjs) do not know.

Bad input raises `AbcError` (a `UserError`) naming the file and the tune: a path without ABC
files, a file with no `X:` tune (not ABC), a tune without `K:` or without music; a file that is
binary or not UTF-8 is refused by the poems reader's `read_text_file` (its `CorpusError`).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from training.kit.errors import UserError
from training.poems.corpus import read_text_file

HEADER_ORDER = ("X", "T", "M", "L", "Q", "K")
BODY_FIELDS = ("M", "L", "K")  # field lines kept inside the music

_FIELD_LINE = re.compile(r"^([A-Za-z]):(.*)$")
_MUSIC_START = re.compile(r"^[A-Ga-g]:")  # after K:, "a:|" is music, not a field
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_CHORD_SYMBOL = re.compile(r'"([^"\n]*)"')
_NOTTINGHAM_QUALITY = re.compile(r"^([A-G][#b]?)([da])(?![a-z])")
_SPACES = re.compile(r"[ \t]+")


class AbcError(UserError):
    """An ABC corpus that cannot be read; the message names the file (and the tune)."""


@dataclass(frozen=True)
class Tune:
    """One tune in normal form. `text` is what the model reads and writes."""

    source: str  # file name the tune came from
    number: str  # its X: number there
    title: str
    meter: str  # M: value, e.g. "6/8"
    unit: str  # L: value, e.g. "1/8"
    key: str  # K: value, e.g. "G", "Am"
    tempo: str  # Q: value or ""
    body: str  # music lines, "\n"-separated, no trailing newline

    @property
    def header(self) -> str:
        lines = ["X:1", f"T:{self.title}", f"M:{self.meter}", f"L:{self.unit}"]
        if self.tempo:
            lines.append(f"Q:{self.tempo}")
        lines.append(f"K:{self.key}")
        return "\n".join(lines) + "\n"

    @property
    def text(self) -> str:
        return self.header + self.body + "\n"

    def where(self) -> str:
        return f"{self.source}, tune X:{self.number}" + (f" ({self.title!r})" if self.title else "")


def meter_fraction(meter: str) -> Fraction | None:
    """The bar length of an M: value in whole notes (C = 4/4, C| = 2/2); None for free meter."""
    meter = meter.strip()
    if meter == "C":
        return Fraction(4, 4)
    if meter == "C|":
        return Fraction(2, 2)
    m = re.fullmatch(r"(\d+)/(\d+)", meter)
    if not m or int(m.group(2)) == 0 or int(m.group(1)) == 0:
        return None
    return Fraction(int(m.group(1)), int(m.group(2)))


def unit_fraction(unit: str) -> Fraction | None:
    m = re.fullmatch(r"\s*(\d+)/(\d+)\s*", unit or "")
    if not m or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        return None
    return Fraction(int(m.group(1)), int(m.group(2)))


def default_unit(meter: str) -> str:
    """The ABC standard's L: when a tune gives none: 1/16 below 3/4, else 1/8."""
    bar = meter_fraction(meter)
    return "1/16" if bar is not None and bar < Fraction(3, 4) else "1/8"


def normalise_chord_symbol(text: str) -> str:
    return _NOTTINGHAM_QUALITY.sub(lambda m: m.group(1) + ("dim" if m.group(2) == "d" else "aug"), text)


def normalise_music_line(line: str) -> str:
    """One music line: comment, continuation and unkept inline fields removed, spaces collapsed."""
    line = line.split("%", 1)[0]
    line = line.rstrip()
    if line.endswith("\\"):
        line = line[:-1]
    line = _INLINE_FIELD.sub(lambda m: m.group(0) if m.group(1) in BODY_FIELDS else "", line)
    line = _CHORD_SYMBOL.sub(lambda m: '"' + normalise_chord_symbol(m.group(1).strip()) + '"', line)
    return _SPACES.sub(" ", line).strip()


def _clean_field(value: str) -> str:
    return _SPACES.sub(" ", value.split("%", 1)[0]).strip()


def parse_tune(lines: list[str], source: str, number: str) -> Tune:
    """A tune from its lines (the X: line first)."""
    fields: dict[str, str] = {}
    body: list[str] = []
    in_header = True
    title = ""
    for raw in lines[1:]:
        line = raw.rstrip()
        if not line.strip():
            if body:  # the first blank line after the music ends the tune
                break
            continue
        if line.lstrip().startswith("%"):
            continue
        m = _FIELD_LINE.match(line.strip())
        if m and not (not in_header and body and _MUSIC_START.match(line.strip())):
            key, value = m.group(1), _clean_field(m.group(2))
            if in_header or not body:  # a header field, or a field after K: before any music
                if key == "T":
                    title = title or value
                elif key in HEADER_ORDER[2:]:
                    fields[key] = value
                if key == "K":
                    in_header = False
            elif key in BODY_FIELDS and value:
                body.append(f"{key}:{value}")
            continue
        if in_header:
            raise AbcError(f"{source}, tune X:{number}" + (f" ({title!r})" if title else "")
                           + f": music before the K: field (line {raw.strip()[:40]!r}); every tune needs K: "
                             "as the last header line")
        music = normalise_music_line(line)
        if music:
            body.append(music)
    where = f"{source}, tune X:{number}" + (f" ({title!r})" if title else "")
    if "K" not in fields or not fields["K"]:
        raise AbcError(f"{where}: no K: (key) field; every ABC tune ends its header with K:")
    if not body:
        raise AbcError(f"{where}: no music after K:{fields['K']}")
    meter = fields.get("M") or "4/4"
    unit = fields.get("L") or default_unit(meter)
    return Tune(source=source, number=number, title=title, meter=meter, unit=unit, key=fields["K"],
                tempo=fields.get("Q", ""), body="\n".join(body))


def split_tunes(text: str, source: str) -> list[Tune]:
    """Every X: record of one file's text, in order."""
    tunes, current = [], None
    for line in text.split("\n"):
        m = re.match(r"^X:\s*(\S*)", line)
        if m:
            if current:
                tunes.append(parse_tune(current, source, current_number))
            current, current_number = [line], m.group(1) or "?"
        elif current is not None:
            current.append(line)
    if current:
        tunes.append(parse_tune(current, source, current_number))
    if not tunes:
        raise AbcError(f"{source}: no tunes (no line starts with 'X:'); is this an ABC file?")
    return tunes


def abc_files(path: Path) -> list[Path]:
    path = Path(path)
    if not path.exists():
        raise AbcError(f"corpus not found: {path}")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*.abc") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not files:
        raise AbcError(f"{path}: no .abc files in this folder")
    return files


def read_tunes(path) -> list[Tune]:
    """Every tune of a file or folder, files in name order."""
    root = Path(path)
    tunes = []
    for f in abc_files(root):
        name = f.name if root.is_file() else f.relative_to(root).as_posix()
        tunes.extend(split_tunes(read_text_file(f), name))
    return tunes


def split_by_tune(tunes: list[Tune], val_fraction: float, seed: int) -> tuple[list[Tune], list[Tune]]:
    """(train, validation) by whole tunes, stratified by source file so that each file (jigs,
    reels, waltzes ...) gives the same share; a function of (tunes, fraction, seed) only."""
    by_file: dict[str, list[int]] = {}
    for i, t in enumerate(tunes):
        by_file.setdefault(t.source, []).append(i)
    val: set[int] = set()
    for source, idx in sorted(by_file.items()):
        order = list(idx)
        random.Random(f"{seed}:{source}").shuffle(order)
        val.update(order[:int(round(len(order) * val_fraction))])
    if val_fraction > 0 and not val and len(tunes) > 1:
        val.add(random.Random(seed).randrange(len(tunes)))
    if len(val) >= len(tunes):
        raise AbcError(f"--val-fraction {val_fraction} leaves no tune for training ({len(tunes)} tunes)")
    return [t for i, t in enumerate(tunes) if i not in val], [t for i, t in enumerate(tunes) if i in val]
