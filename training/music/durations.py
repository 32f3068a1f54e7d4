"""An ABC duration parser for the subset folk-tune files use: the bars of a tune and how long each is.

It reads the music of a normalised tune (training.music.abc.Tune) and returns its bars, each
with its duration in units of the tune's `L:` and the bar lines on both sides. Durations are
exact fractions. What it understands:

* notes `^c'2`, rests `z3/2` `x`, lengths `2` `/` `//` `/4` `3/2`; multi-bar rests `Z4` (4 bars);
* broken rhythm `a>b` (3/2 + 1/2), `a<b`, `a>>b` (7/4 + 1/4);
* tuplets `(3abc` (3 in the time of 2), `(p:q:r`, with the standard's q for 2..9 (q depends on a
  compound meter for 5, 7, 9);
* chords `[CEG]2`: as long as their first note, times the length after `]`;
* ties `-`, slurs `( )`, grace notes `{..}` (no time), decorations `~ . H..W u v` and `!..!`,
  chord symbols `".."`, inline fields `[K:..]` `[M:..]` `[L:..]` and `M:`/`L:` field lines
  (a new meter or unit holds from there on);
* bar lines `|` `||` `|]` `[|` `|:` `:|` `::` `:|:` and endings `[1` `|1` `:|2`.

Anything else is counted in `unknown` (a character the parser does not know).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from training.music.abc import meter_fraction, unit_fraction

PLAIN_BAR = "|"
FIELD_LINE = re.compile(r"^([H-Zh-z]):(.*)$")  # in the music "a:|" is a note and a bar line, not a field
_BARLINE = re.compile(r"\[\||:*\|+[\]:]*[0-9]?|:{2,}[0-9]?|\|?\[[0-9](?:[,-][0-9])*")
_NOTE_LENGTH = r"(?P<num>\d+)?(?P<slashes>/+)?(?P<den>\d+)?"
_ITEM = re.compile(
    r'(?P<symbol>"[^"]*")'
    r"|(?P<deco>![^!\n]*!|\+[^+\n]*\+)"
    r"|\[(?P<field>[A-Za-z]):(?P<value>[^\]\n]*)\]"
    r"|(?P<grace>\{[^}]*\})"
    r"|(?P<tuplet>\((?P<p>[2-9])(?::(?P<q>\d*))?(?::(?P<r>\d*))?)"
    r"|(?P<bar>" + _BARLINE.pattern + r")"
    r"|(?P<chord>\[(?:[\^_=]*[A-Ga-g][,']*[0-9/]*-?\s*)+\])(?P<chordlen>" + _NOTE_LENGTH.replace("P<", "P<c") + r")"
    r"|(?P<note>(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*|[zx])" + _NOTE_LENGTH
    + r"|(?P<multirest>[ZX])(?P<bars>\d*)"
    r"|(?P<broken>>+|<+)"
    r"|(?P<ignore>[\s\-()~.HIJKLMNOPQRSTUVWuv`\\])"
)
_FIRST_CHORD_NOTE = re.compile(r"\[[\^_=]*[A-Ga-g][,']*" + _NOTE_LENGTH)
TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}


def length(num: str | None, slashes: str | None, den: str | None) -> Fraction:
    """A note length suffix: "" 1, "2" 2, "/" 1/2, "//" 1/4, "/4" 1/4, "3/2" 3/2."""
    value = Fraction(int(num) if num else 1)
    if slashes:
        value /= (int(den) if den else 2) * 2 ** (len(slashes) - 1)
    return value


@dataclass
class Bar:
    duration: Fraction  # in units of L:
    full: Fraction  # the bar length M:/L: in units of L: (0 for free meter)
    opens: str  # bar line before it ("" at the start of the tune)
    closes: str  # bar line after it ("" at the end of the tune)
    notes: int = 0
    rest_bars: int = 0  # a multi-bar rest Zn stands for n full bars
    ending: str = ""  # "1", "2" ... when a [1 / [2 ending starts at this bar
    final: bool = False  # the last bar of the tune (whatever bar line follows it)

    @property
    def edge(self) -> bool:
        """A bar next to the tune's start or end or to a section bar line (anything but a plain |)."""
        return self.opens != PLAIN_BAR or self.closes != PLAIN_BAR or self.final

    @property
    def matches(self) -> bool:
        """Full bars match exactly; an edge bar may also be short (a pickup or its complement)."""
        if self.full <= 0:
            return False
        if self.rest_bars:
            return self.duration == 0
        return self.duration == self.full or (self.edge and 0 < self.duration < self.full)


@dataclass
class Parsed:
    bars: list[Bar] = field(default_factory=list)
    unknown: str = ""  # characters the parser did not know

    @property
    def counted_bars(self) -> int:
        return sum(max(1, b.rest_bars) for b in self.bars)

    @property
    def matching_bars(self) -> int:
        return sum(max(1, b.rest_bars) for b in self.bars if b.matches)


def is_compound(meter: str) -> bool:
    """6/8, 9/8, 12/8 ... (a written numerator above 3 that 3 divides)."""
    top = meter.split("/")[0].strip()
    return top.isdigit() and int(top) > 3 and int(top) % 3 == 0


class _Bars:
    """Accumulates note durations into bars while the items of a tune go by."""

    def __init__(self, meter: str, unit: str):
        self.meter_text, self.meter, self.unit = meter, meter_fraction(meter), unit_fraction(unit) or Fraction(1, 8)
        self.bars: list[Bar] = []
        self.duration, self.notes, self.rest_bars, self.opens = Fraction(0), 0, 0, ""
        self.tuplet_left, self.tuplet_factor = 0, Fraction(1)
        self.last: Fraction | None = None  # duration of the last note, for broken rhythm
        self.next_factor = Fraction(1)
        self.ending = ""

    @property
    def full(self) -> Fraction:
        return self.meter / self.unit if self.meter else Fraction(0)

    def set_field(self, key: str, value: str) -> None:
        if key == "M":
            self.meter_text, self.meter = value, meter_fraction(value)
        elif key == "L":
            self.unit = unit_fraction(value) or self.unit

    def note(self, duration: Fraction) -> None:
        duration *= self.next_factor
        self.next_factor = Fraction(1)
        if self.tuplet_left:
            duration *= self.tuplet_factor
            self.tuplet_left -= 1
        self.duration += duration
        self.notes += 1
        self.last = duration

    def broken(self, marks: str) -> None:
        if self.last is None:
            return
        shorter = Fraction(1, 2 ** len(marks))
        first, second = (2 - shorter, shorter) if marks[0] == ">" else (shorter, 2 - shorter)
        self.duration += self.last * (first - 1)
        self.next_factor = second
        self.last = None

    def tuplet(self, p: int, q: str | None, r: str | None) -> None:
        q_value = int(q) if q else TUPLET_Q.get(p, 3 if is_compound(self.meter_text) else 2)
        self.tuplet_factor = Fraction(q_value, p)
        self.tuplet_left = int(r) if r else p

    def bar(self, line: str) -> None:
        if self.notes or self.rest_bars:
            self.bars.append(Bar(self.duration, self.full, self.opens, line, self.notes, self.rest_bars, self.ending))
            self.ending = ""
        else:  # an empty segment ("|: ||", "| [1"): the section bar line, if either is one, holds
            line = self.opens if line == PLAIN_BAR else (line if self.opens == PLAIN_BAR else self.opens + line)
        self.duration, self.notes, self.rest_bars, self.last = Fraction(0), 0, 0, None
        self.opens = line


def parse_bars(body: str, meter: str, unit: str) -> Parsed:
    """The bars of a tune's music (see the module docstring)."""
    acc, unknown = _Bars(meter, unit), []
    for line in body.split("\n"):
        m = FIELD_LINE.match(line)
        if m:
            acc.set_field(m.group(1), m.group(2).strip())
            continue
        pos = 0
        while pos < len(line):
            item = _ITEM.match(line, pos)
            if not item or item.end() == pos:
                unknown.append(line[pos])
                pos += 1
                continue
            pos = item.end()
            g = item.groupdict()
            if g["field"]:
                acc.set_field(g["field"], g["value"])
            elif g["tuplet"]:
                acc.tuplet(int(g["p"]), g["q"], g["r"])
            elif g["bar"]:
                bar = g["bar"]
                ending = re.search(r"\[?[0-9].*$", bar)
                line_part = bar[:ending.start()] if ending else bar
                if line_part:
                    acc.bar(line_part)
                if ending:
                    acc.ending = ending.group(0).lstrip("[")[:1]
            elif g["chord"]:
                first = _FIRST_CHORD_NOTE.match(g["chord"])
                inner = length(first.group("num"), first.group("slashes"), first.group("den")) if first else Fraction(1)
                acc.note(inner * length(g["cnum"], g["cslashes"], g["cden"]))
            elif g["note"]:
                acc.note(length(g["num"], g["slashes"], g["den"]))
            elif g["multirest"]:
                acc.rest_bars += int(g["bars"] or 1)
                acc.notes += 1
            elif g["broken"]:
                acc.broken(g["broken"])
    acc.bar("")
    if acc.bars:
        acc.bars[-1].final = True
    return Parsed(acc.bars, "".join(unknown))
