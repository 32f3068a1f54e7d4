"""The bar-aware ABC grammar: a small state machine that says, character by character, which
characters may come next (the Python reference; the browser's sampler ports this file).

`AbcState.advance(c)` returns the state after character `c`, or None when `c` would make the
tune unparsable (by abc2midi) or a bar longer than `M:`/`L:` allows. The sampler masks every
vocabulary character whose `advance` is None. All arithmetic is on integers: a duration is a
number of ticks, `TICKS` per `L:` unit, and every length the grammar allows is whole ticks.
A state is a flat record of small immutable values, so `advance` is a shallow copy + one step.

| mode | where | accepts |
| --- | --- | --- |
| `line` | start of a line | `\\n` (a blank line: the end of the tune), a field letter (`X T M L Q K` in the header, `M L K` between bars), else music but not a space (a line of spaces reads as blank) |
| `field` | in `K:G` | `:`, then a value that stays a prefix of an allowed one (`METERS`, `UNITS`, `KEYS` ...), `\\n` once complete |
| `music` | between items | space, `\\n`, bar line, `[`, `"`, `!`, `~`, `(`, `)`, `-` (a tie), `>` `<` (broken rhythm), accidental, note, rest |
| `acc` | after `^ _ =` | a second `^`/`_`, a note letter |
| `note` | after a note or rest letter | octave marks (`'` after a-g, `,` after A-G), a length (a prefix of a `LENGTHS` key that fits), else the note ends |
| `bar` | in a bar line | what extends it to one of `BARLINES`, else it ends (not followed by `|` or `:`) |
| `bracket` | after `[` | `1` / `2` (an ending, right after a bar line) or a chord's first note |
| `chord` | in `[..]` | up to `MAX_CHORD_NOTES` notes as long as the first, then `]` |
| `symbol` | in `".."` | a chord name `ROOT [#b] QUALITY [/BASS]`, then `"` |
| `deco` | in `!..!` | the letters of one of `DECORATIONS`, then `!` |
| `paren` | after `(` | `2 3 4` (a tuplet), else what music accepts (a slur) |
| `end` | after the blank line | nothing |

Rules beyond the syntax:
* bars: a note may not take the bar past its length; a plain `|` needs a full bar, except the
  first bar of the tune and the first bar after a section bar line (a pickup); the other bar
  lines (`||`, `|]`, `|:`, `:|`, `::` ...) may close a short bar. A tuplet, a broken rhythm, a
  chord symbol or a decoration must be completed by notes within the bar; the two notes of a
  broken rhythm (`>` `<`) have the same length suffix.
* repeats: no `|:` while one is open, `::` only while one is open (or as the first repeat sign),
  `[1` ends with `:|` and is followed by `[2`; the tune may end (blank line) only after a section
  bar line, with no repeat or ending open.
* ties: `-` only after a note without an accidental in its bar, and only where the tied note
  fits (the bar is full, or has room for a note); the next note is the same letter and octave,
  with no accidental and no chord, rest or section bar line in between.
"""
from __future__ import annotations

import copy

TICKS = 96  # ticks per L: unit
LENGTHS = {"": (1, 1), "2": (2, 1), "3": (3, 1), "4": (4, 1), "6": (6, 1), "8": (8, 1), "/": (1, 2), "/2": (1, 2),
           "/4": (1, 4), "/8": (1, 8), "3/2": (3, 2), "3/4": (3, 4)}
TUPLETS = {"2": (3, 2), "3": (2, 3), "4": (3, 4)}  # (p -> the factor q/p as (num, den))
BARLINES = ("|", "||", "|]", "|:", ":|", ":||", "::", ":||:")  # (abc2midi reads :|: as :| alone)
METERS = ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "3/8", "2/2", "3/2", "5/4", "6/4", "C", "C|")
UNITS = ("1/4", "1/8", "1/16")
TONICS = ("C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B")
MODES = ("", "m", "maj", "min", "dor", "mix", "lyd", "phr", "loc")
KEYS = tuple(t + m for t in TONICS for m in MODES)
QUALITIES = ("", "m", "7", "m7", "maj7", "dim", "dim7", "aug", "6", "m6", "9", "sus4", "sus2", "7sus4")
DECORATIONS = ("trill", "accent", "roll", "turn", "mordent", "tenuto", "staccato")  # (not fermata: abc2midi lengthens its note)
HEADER_FIELDS, BODY_FIELDS = "XTMLQK", "MLK"
NOTES, RESTS, ACCIDENTALS = "ABCDEFGabcdefg", "zx", "^_="
MAX_TITLE, MAX_OCTAVE_MARKS, MAX_CHORD_NOTES = 80, 2, 3


def fraction(text: str) -> tuple[int, int]:
    if text in ("C", "C|"):
        return (4, 4) if text == "C" else (2, 2)
    a, b = text.split("/")
    return int(a), int(b)


def field_ok(key: str, text: str, complete: bool) -> bool:
    """Whether `text` is an allowed value of field `key` (complete) or the start of one."""
    options = {"M": METERS, "L": UNITS, "K": KEYS}.get(key)
    if options is not None:
        return text in options if complete else any(o.startswith(text) for o in options)
    if key == "X":
        return (text.isdigit() or (text == "" and not complete)) and len(text) <= 4
    if key == "T":
        return len(text) <= MAX_TITLE and '"' not in text and (not complete or text.strip() != "")
    if key == "Q":  # 1/4=120
        head, tail = text[:4], text[4:]
        ok = any(p.startswith(head) for p in ("1/4=", "1/8=", "3/8=")) and (tail == "" or tail.isdigit())
        return ok and len(tail) <= 3 and (not complete or len(tail) >= 2)
    return False


def symbol_ok(text: str, complete: bool) -> bool:
    """A chord symbol ROOT [#b] QUALITY [/ BASS [#b+]] (or the start of one)."""
    if not text:
        return not complete
    if text[0] not in "ABCDEFG":
        return False
    rest = text[1:]
    if rest[:1] in ("#", "b"):
        rest = rest[1:]
    quality, slash, bass = rest.partition("/")
    if not slash:
        return quality in QUALITIES if complete else any(q.startswith(quality) for q in QUALITIES)
    if quality not in QUALITIES or len(bass) > 2 or (bass and bass[0] not in NOTES):
        return False
    return (bass[1:] in ("", "#", "b", "+")) and (bool(bass) or not complete)


class AbcState:
    """Where the writing of a tune stands (see the module docstring)."""

    def __init__(self):
        self.mode, self.text = "line", ""  # the mode, and the token being read in it
        self.in_header, self.field_key, self.colon = True, "", False
        self.meter, self.unit, self.full = "4/4", "", 0  # full: ticks in a full bar
        self.bar_ticks, self.bars, self.opens_section, self.last_bar = 0, 0, True, ""
        self.after_bar = False  # only spaces since the last bar line (an ending may start here)
        self.after_note = False  # a note just ended (a tie or a broken rhythm may follow)
        self.need_note = False  # a chord symbol or decoration waits for its note
        self.decorated = False  # a decoration waits for its note (which may not be a chord)
        self.tuplet_left, self.tuplet = 0, (1, 1)
        self.broken, self.last_ticks = (1, 1), 0  # the next note's factor after > or <; the last note's ticks
        self.last_length, self.pair_length = "", None  # the last note's length suffix; the one > or < asks for
        self.letter, self.accidental = "", ""  # the note being read: letter with octave marks, accidental
        self.tied, self.tie_to = "", ""  # the last note (if it may be tied), the note a tie waits for
        self.bar_accidentals = ()  # notes with an accidental in this bar (their ties are refused)
        self.chord, self.chord_notes, self.chord_length = False, 0, ""  # chord_length: the first note's suffix
        self.line_start, self.first_on_line = False, False  # this character starts a line; the note does
        self.repeat_open, self.repeats, self.ending = False, 0, ""  # ending: "", "1", "after1", "2"
        self.set_bar_length()

    # ------------------------------------------------------------ durations
    def set_bar_length(self) -> None:
        a, b = fraction(self.meter)
        _, d = fraction(self.unit or ("1/16" if 4 * a < 3 * b else "1/8"))
        self.full = TICKS * a * d // b

    def ticks(self, suffix: str) -> int | None:
        """Ticks of the next note with this length suffix (tuplet and broken rhythm applied),
        or None when they are not whole."""
        num, den = LENGTHS[suffix]
        t = self.tuplet if self.tuplet_left else (1, 1)
        top, bottom = TICKS * num * t[0] * self.broken[0], den * t[1] * self.broken[1]
        return top // bottom if top % bottom == 0 else None

    def lengths(self):
        """The length suffixes the next note may have (after > or <: the same as the note before)."""
        return LENGTHS if self.pair_length is None else (self.pair_length,)

    def min_ticks(self) -> int:
        return min(t for t in (self.ticks(s) for s in self.lengths()) if t)

    def room(self) -> int:
        """Ticks the next note may take: what the bar has left minus what later tuplet notes need."""
        return self.full - self.bar_ticks - max(0, self.tuplet_left - 1) * self.min_ticks()

    def fits(self, prefix: str) -> bool:
        """Some length starting with `prefix` is whole ticks within the room."""
        if self.chord and self.chord_notes > 0:  # later chord notes are as long as the first
            return self.chord_length.startswith(prefix)
        return any(s.startswith(prefix) and (t := self.ticks(s)) is not None and t <= self.room()
                   for s in self.lengths())

    def waiting(self) -> bool:
        """Something started that only a note can finish (no bar line or line end before it)."""
        return self.need_note or self.tuplet_left > 0 or self.broken != (1, 1)

    # ------------------------------------------------------------ the machine
    def advance(self, c: str) -> "AbcState | None":
        new = copy.copy(self)
        new.line_start = self.mode == "line"
        return new if getattr(new, "_" + new.mode)(c) else None

    def allowed(self, chars) -> list[bool]:
        return [self.advance(c) is not None for c in chars]

    def feed(self, text: str) -> "AbcState":
        """The state after `text` (ValueError at the first character the grammar refuses)."""
        state = self
        for i, c in enumerate(text):
            nxt = state.advance(c)
            if nxt is None:
                raise ValueError(f"character {i} {c!r} refused after {text[max(0, i - 30):i]!r} (mode {state.mode})")
            state = nxt
        return state

    def _end(self, c: str) -> bool:
        return False

    def _line(self, c: str) -> bool:
        if c == "\n":  # a blank line ends the tune
            return (not self.in_header and self.bars > 0 and not self.bar_ticks and self.last_bar not in ("", "|")
                    and not self.repeat_open and self.ending == "" and not self.tie_to and self._set("mode", "end"))
        fields = HEADER_FIELDS if self.in_header else BODY_FIELDS
        if c in fields and (self.in_header or (not self.bar_ticks and not self.tie_to and self.ending != "after1")):
            self.mode, self.field_key, self.colon, self.text = "field", c, False, ""
            return True
        return not self.in_header and c != " " and self._set("mode", "music") and self._music(c)

    def _set(self, name: str, value) -> bool:
        setattr(self, name, value)
        return True

    def _field(self, c: str) -> bool:
        if not self.colon:
            self.colon = c == ":"
            return self.colon
        if c != "\n":
            self.text += c
            return field_ok(self.field_key, self.text, complete=False)
        if not field_ok(self.field_key, self.text, complete=True):
            return False
        if self.field_key in "ML":
            setattr(self, "meter" if self.field_key == "M" else "unit", self.text)
            self.set_bar_length()
        self.in_header = self.in_header and self.field_key != "K"
        self.mode = "line"
        return True

    def _music(self, c: str) -> bool:
        if self.decorated:  # a decoration sits right before its note
            return c not in RESTS and self._note_start(c)
        if c == " ":  # (a tie or a broken rhythm may still follow: "c3 -c")
            return True
        if self.ending == "after1":  # after the first ending's :| only the second ending may come
            return c in "\n[" and self._set("mode", "line" if c == "\n" else "bracket")
        if self.tie_to and c not in "\n|" and c not in NOTES:  # a tie waits for its note
            return False
        if c == "\n":
            self.mode, self.after_note = "line", False
            return not self.waiting()
        if c in "|:":
            ok = not self.waiting() and any(b.startswith(c) and self.bar_ok(b) for b in BARLINES)
            self.mode, self.text = "bar", c
            return ok
        if c == "-":  # (the tied note must fit next: in this bar, or after a bar line when it is full)
            room = self.full - self.bar_ticks
            ok = self.after_note and self.tied and not self.chord and (room == 0 or room >= self.min_ticks())
            self.tie_to, self.after_note = self.tied, False
            return bool(ok)
        if c in "><":
            return self._broken_rhythm(c)
        after_bar, self.after_note, self.after_bar = self.after_bar, False, False
        if c == ")":
            return not self.tie_to
        if self.room() < self.min_ticks():  # everything below starts something that takes time
            return False
        if c == "[":
            self.after_bar = after_bar
            return not self.decorated and not self.tie_to and self._set("mode", "bracket")
        if c in '"!':
            self.mode, self.text, self.need_note = ("symbol" if c == '"' else "deco"), "", True
            return True
        if c == "~":
            self.need_note = self.decorated = True
            return True
        if c == "(":
            return self._set("mode", "paren")
        return self._note_start(c)

    def _note_start(self, c: str) -> bool:
        if c in ACCIDENTALS:
            self.mode, self.accidental = "acc", c
            return not (self.tie_to and not self.chord)
        if c in NOTES or (c in RESTS and not self.chord):
            self.mode, self.text, self.letter, self.accidental = "note", "", c, ""
            self.first_on_line = self.line_start
            self.need_note = self.decorated = False
            return not self.tie_to or self.chord or c == self.tie_to[0]
        return False

    def _acc(self, c: str) -> bool:
        if c in "^_" and self.accidental == c:
            self.accidental += c
            return True
        if c in NOTES:
            self.mode, self.text, self.letter = "note", "", c
            self.need_note = self.decorated = False
            return True
        return False

    def _note(self, c: str) -> bool:
        tie_check = self.tie_to and not self.chord
        if c in "',":
            octaves = len(self.letter) - 1
            if self.text or self.letter[0] in RESTS or octaves >= MAX_OCTAVE_MARKS:
                return False
            if c != ("'" if self.letter[0].islower() else ","):
                return False
            self.letter += c
            return not tie_check or self.tie_to.startswith(self.letter)
        if not self.text and tie_check and self.letter != self.tie_to:
            return False
        if c == ":" and self.first_on_line and len(self.letter) == 1:  # "a:" would read as a field line
            return False
        if self.fits(self.text + c):
            self.text += c
            return True
        return self._end_note() and self._after_note(c)

    def _end_note(self) -> bool:
        if self.text not in LENGTHS:
            return False
        self.tie_to = ""
        if self.chord and self.chord_notes > 0:
            self.chord_notes += 1
            return self.text == self.chord_length
        ticks = self.ticks(self.text)
        if ticks is None or ticks > self.room() or self.text not in self.lengths():
            return False
        self.bar_ticks, self.last_ticks, self.broken = self.bar_ticks + ticks, ticks, (1, 1)
        self.last_length, self.pair_length = self.text, None
        self.tuplet_left = max(0, self.tuplet_left - 1)
        self.chord_notes += self.chord
        self.chord_length = self.text
        if self.accidental:
            self.bar_accidentals += (self.letter,)
        plain = self.letter[0] not in RESTS and not self.accidental and self.letter not in self.bar_accidentals
        self.tied = self.letter if plain and not self.chord else ""
        return True

    def _after_note(self, c: str) -> bool:
        if self.chord:
            self.mode = "chord"
            return self._chord(c)
        self.mode, self.after_note = "music", True
        return self._music(c)

    def _broken_rhythm(self, c: str) -> bool:
        if not self.after_note or self.tuplet_left or self.broken != (1, 1) or self.last_ticks % 2:
            return False
        half = self.last_ticks // 2
        self.bar_ticks += half if c == ">" else -half
        self.broken, self.after_note, self.tied = ((1, 2) if c == ">" else (3, 2)), False, ""
        self.pair_length = self.last_length  # abc2midi pairs notes of equal length only
        return self.ticks(self.pair_length) is not None and self.room() >= self.ticks(self.pair_length)

    def _bar(self, c: str) -> bool:
        if any(b.startswith(self.text + c) and self.bar_ok(b) for b in BARLINES):
            self.text += c
            return True
        line = self.text
        if c in "|:" or not self.bar_ok(line):  # (two bar lines in a row would read as another one)
            return False
        closes, opens = line.startswith(":"), line.endswith(":")
        if line != "|":  # repeats and endings
            if self.ending in ("1", "2"):
                self.ending = "after1" if self.ending == "1" else ""
            if opens or closes:
                self.repeat_open, self.repeats = opens, self.repeats + 1
        if self.bar_ticks:
            self.bars, self.opens_section = self.bars + 1, line != "|"
        else:
            self.opens_section = self.opens_section or line != "|"
        self.bar_ticks, self.last_bar, self.tied, self.bar_accidentals = 0, line, "", ()
        self.mode, self.after_note, self.after_bar = "music", False, True
        return self._music(c)

    def bar_ok(self, line: str) -> bool:
        """Whether bar line `line` may close the bar here (see the rules in the module docstring)."""
        if line not in BARLINES or (self.tie_to and (line != "|" or not self.bar_ticks)):
            return False  # (a tie crosses one plain bar line, straight to its note)
        if line == "|":
            return not (0 < self.bar_ticks < self.full and not self.opens_section)
        closes, opens = line.startswith(":"), line.endswith(":")
        if (self.ending == "1" and not closes) or (self.ending == "2" and closes):
            return False
        if closes and opens:
            return self.repeat_open or self.repeats == 0
        return not (opens and self.repeat_open)

    def _bracket(self, c: str) -> bool:
        if c in "12":
            wanted = "after1" if c == "2" else ""
            ok = self.after_bar and self.bar_ticks == 0 and not self.need_note and self.ending == wanted
            self.mode, self.ending, self.after_bar = "music", c, False
            return ok
        if self.ending == "after1":
            return False
        self.chord, self.chord_notes, self.mode = True, 0, "chord"
        return self._note_start(c)

    def _chord(self, c: str) -> bool:
        if c == "]":
            self.chord, self.mode, self.after_note = False, "music", True
            return self.chord_notes > 0
        return self.chord_notes < MAX_CHORD_NOTES and self._note_start(c)

    def _symbol(self, c: str) -> bool:
        if c == '"':
            self.mode = "music"
            return symbol_ok(self.text, complete=True)
        self.text += c
        return symbol_ok(self.text, complete=False)

    def _deco(self, c: str) -> bool:
        if c == "!":
            self.mode, self.decorated = "music", True
            return self.text in DECORATIONS
        self.text += c
        return any(d.startswith(self.text) for d in DECORATIONS)

    def _paren(self, c: str) -> bool:
        if c in TUPLETS:
            if self.tuplet_left or self.broken != (1, 1):
                return False
            self.tuplet_left, self.tuplet, self.mode = int(c), TUPLETS[c], "music"
            return self.room() >= self.min_ticks()
        self.mode = "music"
        return c not in "|:\n)" and self._music(c)
