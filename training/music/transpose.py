"""Moving a tune to another key (data augmentation): every pitch moves by the same number of
semitones, the key field changes to match, and the spelling follows the new key.

The transposition is *diatonic*: the new tonic is the spelling of (old tonic + semitones) whose
key signature has the fewest sharps or flats, and every note letter moves by the same number of
letter steps as the tonic (G -> C is 3 steps up). A note's explicit accidental is rewritten for its
new letter (`=f` in G, up a fourth, becomes `_b` in C); a note without one stays without one,
because the key signature moves with the notes and so does every accidental within a bar. Chord
symbols (`"D7/f+"`), `K:` field lines and inline `[K:..]` fields move too. A tune that would need
a triple sharp or flat, or whose key cannot be read (K:none, K:HP), raises TranspositionError.
"""
from __future__ import annotations

import re
from dataclasses import replace

from training.kit.errors import UserError

LETTERS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)  # semitones of C D E F G A B above C
LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}  # place on the circle of fifths
MODE_FIFTHS = {"maj": 0, "ion": 0, "min": -3, "aeo": -3, "m": -3, "dor": -2, "mix": -1, "lyd": 1, "phr": -4, "loc": -5}
ACCIDENTALS = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}
ACCIDENTAL_TEXT = {v: k for k, v in ACCIDENTALS.items()}

_KEY = re.compile(r"^\s*([A-G])([#b]?)\s*([A-Za-z]*)(.*)$")
_TOKEN = re.compile(
    r'(?P<symbol>"[^"\n]*")'  # chord symbol (accompaniment)
    r"|(?P<deco>![^!\n]*!)"  # decoration
    r"|\[(?P<field>[KML]):(?P<value>[^\]\n]*)\]"  # inline field
    r"|(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<octave>[,']*)"  # a note
)
_SYMBOL_NOTE = re.compile(r"(^|/|\()([A-Ga-g])(#|\+|b)?")


class TranspositionError(UserError):
    """A tune that cannot be moved to the asked key (unknown key, a triple accidental needed)."""


def mode_fifths(mode: str) -> int:
    m = mode.lower()
    if m in ("", "major"):
        return 0
    if m in ("m", "minor"):
        return -3
    if m[:3] in MODE_FIFTHS:
        return MODE_FIFTHS[m[:3]]
    raise TranspositionError(f"unknown mode {mode!r}")


def parse_key(value: str) -> tuple[str, int, str, str]:
    """(tonic letter, accidental -1/0/1, mode text as written, rest of the field)."""
    m = _KEY.match(value)
    if not m:
        raise TranspositionError(f"K:{value}: no tonic to transpose")
    mode_fifths(m.group(3))
    return m.group(1), {"#": 1, "b": -1, "": 0}[m.group(2)], m.group(3), m.group(4)


def key_fifths(letter: str, alt: int, mode: str) -> int:
    """Sharps (+) or flats (-) in the key signature."""
    return LETTER_FIFTHS[letter] + 7 * alt + mode_fifths(mode)


def natural(n: int) -> int:
    """Semitones above middle C of the natural note with diatonic index n (C = 0, c = 7)."""
    return 12 * (n // 7) + NATURAL[n % 7]


def new_tonic(letter: str, alt: int, mode: str, semitones: int) -> tuple[str, int, int]:
    """(letter, accidental, letter steps) of the transposed tonic with the fewest accidentals."""
    idx, best = LETTERS.index(letter), None
    for steps in range(-6, 7):
        new_alt = Interval(steps, semitones).alteration(idx, alt)
        if new_alt not in (-1, 0, 1):
            continue
        name = LETTERS[(idx + steps) % 7]
        cost = (abs(key_fifths(name, new_alt, mode)), abs(steps * 12 / 7 - semitones))
        if best is None or cost < best[0]:
            best = (cost, name, new_alt, steps)
    if best is None:
        raise TranspositionError(f"no spelling for {letter} moved {semitones} semitones")
    return best[1], best[2], best[3]


class Interval:
    """`steps` letter steps and `semitones` semitones: what every pitch of the tune moves by."""

    def __init__(self, steps: int, semitones: int):
        self.steps, self.semitones = steps, semitones

    def alteration(self, n: int, alt: int) -> int:
        """The accidental the note with diatonic index n and accidental alt gets on its new letter."""
        return alt + self.semitones - (natural(n + self.steps) - natural(n))

    def key(self, value: str) -> str:
        letter, alt, mode, rest = parse_key(value)
        new_alt = self.alteration(LETTERS.index(letter), alt)
        if new_alt not in (-1, 0, 1):
            raise TranspositionError(f"K:{value} moved {self.semitones} semitones needs a double accidental")
        new_letter = LETTERS[(LETTERS.index(letter) + self.steps) % 7]
        return new_letter + {1: "#", -1: "b", 0: ""}[new_alt] + mode + rest

    def note(self, acc: str | None, letter: str, octave: str) -> str:
        n = LETTERS.index(letter.upper()) + (7 if letter.islower() else 0) + 7 * (octave.count("'") - octave.count(","))
        new = n + self.steps
        text = ""
        if acc is not None:
            alt = self.alteration(n, ACCIDENTALS[acc])
            if alt not in ACCIDENTAL_TEXT:
                raise TranspositionError(f"{acc}{letter}{octave} moved {self.semitones} semitones needs a triple accidental")
            text = ACCIDENTAL_TEXT[alt]
        o, name = divmod(new, 7)
        return text + (LETTERS[name].lower() + "'" * (o - 1) if o >= 1 else LETTERS[name] + "," * (-o))

    def symbol(self, text: str) -> str:
        """A chord symbol such as "A7/c+" (Nottingham writes a bass note in lower case, + for sharp)."""
        def move(m):
            lead, letter, acc = m.group(1), m.group(2), m.group(3) or ""
            if lead == "(" and letter.islower():
                return m.group(0)
            sharp = "+" if (acc == "+" or (letter.islower() and acc != "#")) else "#"
            alt = {"#": 1, "+": 1, "b": -1, "": 0}[acc]
            n = LETTERS.index(letter.upper())
            new_alt = self.alteration(n, alt)
            new_letter = LETTERS[(n + self.steps) % 7]
            if new_alt not in (-1, 0, 1):  # respell enharmonically on the neighbouring letter
                step = 1 if new_alt > 0 else -1
                new_alt -= natural(LETTERS.index(new_letter) + step) - natural(LETTERS.index(new_letter))
                new_letter = LETTERS[(LETTERS.index(new_letter) + step) % 7]
            new_letter = new_letter.lower() if letter.islower() else new_letter
            return lead + new_letter + {1: sharp, -1: "b", 0: ""}[new_alt]

        return '"' + _SYMBOL_NOTE.sub(move, text[1:-1]) + '"'

    def line(self, line: str) -> str:
        if line[:2] in ("K:", "M:", "L:"):
            return "K:" + self.key(line[2:]) if line.startswith("K:") else line

        def token(m):
            if m.group("symbol"):
                return self.symbol(m.group("symbol"))
            if m.group("deco"):
                return m.group("deco")
            if m.group("field"):
                value = m.group("value")
                return f"[{m.group('field')}:{self.key(value) if m.group('field') == 'K' else value}]"
            return self.note(m.group("acc"), m.group("letter"), m.group("octave"))

        return _TOKEN.sub(token, line)


def transpose_tune(tune, semitones: int):
    """The tune moved by `semitones` (-11..11), with its key field changed to match."""
    if semitones == 0:
        return tune
    letter, alt, mode, _ = parse_key(tune.key)
    _, _, steps = new_tonic(letter, alt, mode, semitones)
    interval = Interval(steps, semitones)
    body = "\n".join(interval.line(line) for line in tune.body.split("\n"))
    return replace(tune, key=interval.key(tune.key), body=body)


def parse_shifts(text: str) -> list[int]:
    """`--transpose -2,0,2,5` -> [-2, 0, 2, 5]; each shift must be within an octave."""
    try:
        shifts = [int(t) for t in text.replace(" ", "").split(",") if t]
    except ValueError:
        raise UserError(f"--transpose {text!r}: give semitone shifts separated by commas, e.g. -2,0,2,5") from None
    bad = [s for s in shifts if not -11 <= s <= 11]
    if bad or not shifts:
        raise UserError(f"--transpose {text!r}: shifts must be between -11 and 11 semitones")
    return shifts
