"""The musical figures of a set of tunes, measured the same way for sampled and real tunes.

* **parse rate** (`abc2midi_parse_share`): the share of tunes that Debian's abc2midi (abcmidi)
  turns into MIDI without one "Error" line. Each tune is written to its own file (with its
  header) and converted; warnings do not count as errors.
* **bar-length correctness** (`bar_length_share`): the share of bars whose duration, by our own
  parser (training.music.durations), equals the bar length implied by `M:` and `L:`. A bar next to
  the start or end of the tune or next to a section bar line (anything but a plain `|`: `|:`,
  `:|`, `::`, `||`, `|]`) may also be shorter than a full bar, since that is where a pickup
  (anacrusis) or the partial bar that completes it stands; a longer bar never matches. Empty
  segments between two bar lines are not bars. Shares are over all bars of all tunes.
* **complete repeat structure** (`repeat_structure_share`): the share of tunes whose sections are
  well formed and whole, see `structure`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from training.kit.errors import UserError
from training.music.durations import PLAIN_BAR, Parsed, parse_bars

PHRASE_BARS = 4  # a section must be a whole number of 4-bar phrases (4, 8, 12, 16 ...)


@dataclass
class Structure:
    complete: bool
    form: str  # e.g. "AABB", sections in played order
    sections: list[int] = field(default_factory=list)  # bars in each section (as written, first ending)
    problems: list[str] = field(default_factory=list)


def bar_count(bar, first_of_section: bool) -> int:
    """How many bars `bar` adds to its section: a short first bar (a pickup, which the section's
    short last bar completes) adds none; a multi-bar rest Zn adds n; every other bar one."""
    if bar.rest_bars:
        return bar.rest_bars
    return 0 if first_of_section and bar.duration < bar.full else 1


def _with_merged_lines(bars):
    """Each bar with the bar line before it that no earlier bar closed with: the start's `|:` and
    lines merged over empty segments ("|: ||" or ":|" then "|:")."""
    before = ""
    for bar in bars:
        yield bar, (bar.opens[len(before):] if bar.opens.startswith(before) else bar.opens)
        before = bar.closes


def structure(parsed: Parsed) -> Structure:
    """Sections and repeats of a tune, and whether they make a complete structure.

    Sections end at section bar lines (`:|`, `|:`, `::`, `||`, `|]`) and at the end. A section that
    ends with `:|` is played twice (its start is the previous `|:`, or else the previous section end
    or the tune's start, as ABC allows). A first ending `[1` must end with `:|` and be followed by a
    `[2`; the section's length counts the first ending, the second replaces it. Complete means: no
    problem (no `|:` left open or opened twice, endings as above), at least two sections in played
    order (AA, AB, AABB ...), and every section a whole number of 4-bar phrases, counting its bars
    without a short first bar (a pickup and the short last bar that completes it are one bar).
    """
    sections: list[tuple[int, bool]] = []
    problems: list[str] = []
    length, open_repeat, ending = 0, False, ""  # ending: "", "1", "after1", "2"
    for bar, merged in _with_merged_lines(parsed.bars):
        if merged.endswith(":") and not merged.startswith(":"):  # a |: that opened an empty segment
            if open_repeat:
                problems.append("|: after |: without :| between them")
            open_repeat = True
        if ending == "after1" and bar.ending != "2":
            problems.append("a first ending without a second")
            ending = ""
        if bar.ending == "1":
            ending = "1"
        elif bar.ending and bar.ending != "1":
            if ending != "after1":
                problems.append(f"ending [{bar.ending} without a first ending before it")
            ending = "2"
        if ending != "2":
            length += bar_count(bar, first_of_section=length == 0)
        closes = bar.closes
        if closes.startswith(":"):  # end of a repeat
            if ending == "1":
                ending, open_repeat = "after1", False
            else:
                if ending == "2":
                    problems.append("a repeat sign at the end of a second ending")
                sections.append((length, True))
                length, open_repeat, ending = 0, False, ""
        elif closes != PLAIN_BAR:  # ||, |], |: or the end of the tune
            if ending == "1":
                problems.append("a first ending that does not end with :|")
            if open_repeat and closes != "" and not closes.endswith(":"):
                problems.append(f"|: closed by {closes} instead of :|")
                open_repeat = False
            if ending == "2":
                sections.append((length, True))
                length, ending = 0, ""
            elif length > 0:  # (a lone pickup before |: counts 0 bars and joins the next section)
                sections.append((length, False))
                length = 0
        if closes.endswith(":"):
            if open_repeat and not closes.startswith(":"):
                problems.append("|: after |: without :| between them")
            open_repeat = True
    if length > 0:
        sections.append((length, False))
    if open_repeat:
        problems.append("|: never closed by :|")
    if ending in ("1", "after1"):
        problems.append("a first ending without a second")
    counts = [n for n, _ in sections]
    form, letter = "", ord("A")
    for (_, repeated), _count in zip(sections, counts):
        form += chr(letter) * (2 if repeated else 1)
        letter = min(letter + 1, ord("Z"))
    whole = bool(counts) and all(c > 0 and c % PHRASE_BARS == 0 for c in counts)
    return Structure(complete=not problems and len(form) >= 2 and whole, form=form, sections=counts, problems=problems)


# ---------------------------------------------------------------- abc2midi
def abc2midi_path() -> str:
    path = shutil.which("abc2midi")
    if not path:
        raise UserError("abc2midi is not installed (Debian: apt-get install abcmidi); the music figures need it")
    return path


def abc2midi_errors(text: str, folder: Path | None = None, midi: Path | None = None, timeout: float = 20.0) -> list[str]:
    """The "Error" lines abc2midi prints for one tune (empty: it parses). `midi` keeps the file."""
    tool = abc2midi_path()
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        abc, out = Path(tmp) / "tune.abc", midi or Path(tmp) / "tune.mid"
        abc.write_text(text if text.startswith("X:") else "X:1\n" + text, encoding="utf-8")
        try:
            proc = subprocess.run([tool, str(abc), "-o", str(out)], capture_output=True, timeout=timeout,
                                  cwd=tmp, env={**os.environ, "LC_ALL": "C"})
        except subprocess.TimeoutExpired:
            return [f"abc2midi did not finish in {timeout:.0f} s"]
        lines = (proc.stdout + proc.stderr).decode("utf-8", "replace").splitlines()
        errors = [line.strip() for line in lines if line.lstrip().startswith("Error")]
        if proc.returncode not in (0,) and not errors:
            errors.append(f"abc2midi exit status {proc.returncode}")
        if not errors and not out.exists():
            errors.append("abc2midi wrote no MIDI file")
        return errors


# ---------------------------------------------------------------- figures of a set of tunes
@dataclass
class TuneFigures:
    parses: bool
    bars: int
    matching_bars: int
    structure: Structure
    errors: list[str]


def measure_tune(text: str, meter: str, unit: str, body: str, check_parse: bool = True) -> TuneFigures:
    parsed = parse_bars(body, meter, unit)
    errors = abc2midi_errors(text) if check_parse else []
    return TuneFigures(parses=not errors, bars=parsed.counted_bars, matching_bars=parsed.matching_bars,
                       structure=structure(parsed), errors=errors)


def split_text(text: str) -> tuple[dict[str, str], str]:
    """(header fields, music) of one tune text in normal form (header lines up to K:)."""
    fields, lines = {}, text.strip("\n").split("\n")
    for i, line in enumerate(lines):
        if len(line) > 1 and line[1] == ":" and line[0].isalpha():
            fields.setdefault(line[0], line[2:].strip())
            if line[0] == "K":
                return fields, "\n".join(lines[i + 1:])
        else:
            return fields, "\n".join(lines[i:])
    return fields, ""


def figures(texts: list[str], check_parse: bool = True) -> dict:
    """The three shares (and their counts) for tunes in normal form."""
    per_tune = []
    for text in texts:
        fields, body = split_text(text)
        meter = fields.get("M", "4/4")
        unit = fields.get("L") or "1/8"
        per_tune.append(measure_tune(text, meter, unit, body, check_parse))
    n = len(per_tune)
    bars = sum(t.bars for t in per_tune)
    out = {
        "tunes": n,
        "bar_length_share": round(sum(t.matching_bars for t in per_tune) / bars, 4) if bars else 0.0,
        "bars": bars,
        "repeat_structure_share": round(sum(t.structure.complete for t in per_tune) / n, 4) if n else 0.0,
    }
    if check_parse:
        out["abc2midi_parse_share"] = round(sum(t.parses for t in per_tune) / n, 4) if n else 0.0
    forms: dict[str, int] = {}
    for t in per_tune:
        if t.structure.complete:
            forms[t.structure.form] = forms.get(t.structure.form, 0) + 1
    out["forms"] = dict(sorted(forms.items(), key=lambda kv: -kv[1])[:5])
    return out
