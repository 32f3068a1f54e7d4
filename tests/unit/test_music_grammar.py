"""The bar-aware grammar (training/music/grammar.py) and the sampler that masks with it: hand-written
tunes it takes and refuses, and seeded random walks through it, which our duration parser finds
without an overfull bar and abc2midi parses."""
from __future__ import annotations

import numpy as np
import pytest

from training.music.durations import parse_bars
from training.music.grammar import AbcState, field_ok, symbol_ok
from training.music.metrics import abc2midi_errors, split_text
from training.music.sampler import write_tunes

JIG = "X:1\nT:Test Jig\nM:6/8\nL:1/8\nK:G\n"
REEL = "X:1\nT:Test Reel\nM:4/4\nL:1/8\nK:D\n"
ALPHABET = list("\n !\"#'()+,-./0123456789:=<>ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz|~")


def takes(text: str) -> bool:
    try:
        AbcState().feed(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("music", [
    'D|"G"GAB "D"AFD|"G"G2B d2B|"C"c2e "G"dBG|"D7"A3 -A2D:|\n|:g2g fed|[1e3 e2f:|[2e3 d3||\n\n',
    "GAB (3cBA d|G>AB c2B|[G2B2]A [G3B3]|~G3 !trill!A3|",  # (a chord's length is on its notes)
    "G2 z/x/ G/4A/4B/4c/4 d2|",
    "g'2 f'2 e'2|G,A,B, C3|",
])
def test_tunes_it_takes(music):
    assert takes(JIG + music)


@pytest.mark.parametrize("music, why", [
    ("GAB cdef|", "overfull bar"),
    ("GAB c2B|GA B2c|\n", "a short bar mid-tune closed by a plain bar line"),
    ("GAB cdB|[DF]2 [E2G]A3|", "a chord with a length after ]"),
    ("GAB cdB|[D2F2] [E2G]A3|", "a chord note shorter than the first"),
    ("|:GAB cdB|:GAB cdB:|", "|: while a repeat is open"),
    ("GAB cdB|[1GAB cdB||", "a first ending that does not end with :|"),
    ("GAB cdB:|GAB cdB|\n\n", "a tune may not end after a plain bar line"),
    ("GAB c2-d|", "a tie to another note"),
    ("G^A2-A B2|", "a tie after an accidental"),
    ('GAB "Hm"cdB|', "an unknown chord name"),
    ("GAB ~ cdB|", "a space between a decoration and its note"),
    ("GAB cd(3Bcd|", "a tuplet that runs past the bar"),
    ("a:|", "a line that would read as a field"),
    (" GAB cdB|", "a line that starts with a space"),
])
def test_tunes_it_refuses(music, why):
    assert not takes(JIG + music), why


def test_pickup_and_the_end_of_a_tune():
    state = AbcState().feed(JIG + "D|GAB AFD|G3 G2:|\n")
    assert state.advance("\n").mode == "end"  # after a section bar line, with the bar closed
    assert AbcState().feed(JIG + "D|GAB AFD|\n").advance("\n") is None  # a plain | cannot end a tune
    assert AbcState().feed(JIG + "|:GAB AFD:|\n").bars == 1
    assert AbcState().feed(JIG + "|:GAB AFD|\n").advance("\n") is None  # an open |: cannot end it either
    bar = AbcState().feed(JIG + "GAB AF ")
    assert (bar.full, bar.bar_ticks) == (6 * 96, 5 * 96)
    last = bar.advance("D")  # one unit left: D, D/, D3/4 fit, D2 does not
    assert [c for c in "2/3|" if last.advance(c)] == ["/", "3", "|"]


def test_header_fields_and_chord_symbols():
    assert field_ok("K", "Ador", True) and field_ok("K", "Ad", False) and not field_ok("K", "H", False)
    assert field_ok("M", "6/8", True) and not field_ok("M", "7/9", True)
    assert field_ok("Q", "1/4=120", True) and not field_ok("Q", "1/4=", True)
    assert symbol_ok("A7/c+", True) and symbol_ok("Bbm", True) and symbol_ok("D/", False)
    assert not symbol_ok("D/", True) and not symbol_ok("H", False)
    assert AbcState().feed("X:1\nT:a\nM:3/4\nL:1/4\nK:F\n").full == 3 * 96
    assert AbcState().feed("X:1\nT:a\nM:2/4\nK:F\n").full == 8 * 96  # L: by default 1/16 below 3/4
    assert AbcState().advance("G") is None  # no music before the header


def walk(header: str, rng: np.random.Generator, end_after: int = 250) -> str:
    """A random tune: every step a random allowed character, biased to notes, later to endings."""
    state, text = AbcState().feed(header), ""
    for step in range(4000):
        ok = [c for c in ALPHABET if state.advance(c) is not None]
        assert ok, f"dead end after {text[-40:]!r}"
        weights = np.array([(8 if c in "ABCDEFGabcdefg" else 4 if c in "|2/ " else 1)
                            * (40 if step > end_after and c in "\n:|]" else 1) for c in ok], float)
        c = ok[rng.choice(len(ok), p=weights / weights.sum())]
        state, text = state.advance(c), text + c
        if state.mode == "end":
            return header + text.rstrip("\n") + "\n"
    raise AssertionError("the walk did not end")


def test_random_walks_have_no_overfull_bar_and_parse():
    rng = np.random.default_rng(0)
    headers = [JIG, REEL, "X:1\nT:W\nM:3/4\nL:1/4\nK:Am\n", "X:1\nT:P\nM:2/4\nL:1/16\nQ:1/4=100\nK:Bb\n"]
    tunes = [walk(headers[i % len(headers)], rng) for i in range(24)]
    failed = 0
    for tune in tunes:
        fields, body = split_text(tune)
        parsed = parse_bars(body, fields["M"], fields["L"])
        assert parsed.unknown == ""
        assert all(b.duration <= b.full for b in parsed.bars)  # never overfull
        assert all(b.matches for b in parsed.bars), tune  # and short only at edges
        failed += bool(abc2midi_errors(tune))
    assert failed <= 1  # (abc2midi's repeat bookkeeping may still differ on a pathological walk)


class Uniform:
    """A 'model' that likes every character the same: what the mask alone makes of it."""

    def __init__(self, size: int):
        self.size = size

    def reset(self):
        pass

    def step(self, ids):
        return np.zeros((len(ids), self.size))


def test_the_sampler_masks_with_the_grammar():
    chars = sorted(set(ALPHABET))
    headers = [REEL, JIG, "X:1\nT:W\nM:3/4\nL:1/4\nK:Am\n"]
    masked = write_tunes(Uniform(len(chars)), chars, headers, seed=1, bar_aware=True, max_chars=300)
    for tune, header in zip(masked, headers):
        assert tune.fallbacks == 0 and tune.text.startswith(header)
        AbcState().feed(tune.text if tune.ended else tune.text[:-1])  # every character was allowed
        fields, body = split_text(tune.text)
        assert all(b.duration <= b.full for b in parse_bars(body, fields["M"], fields["L"]).bars)
    plain = write_tunes(Uniform(len(chars)), chars, headers, seed=1, bar_aware=False, max_chars=300)
    assert not any(takes(t.text) for t in plain)
    assert write_tunes(Uniform(len(chars)), chars, headers, seed=1, bar_aware=True, max_chars=300) == masked  # seeded
    alone = write_tunes(Uniform(len(chars)), chars, headers[:1], seed=1, bar_aware=True, max_chars=300)[0]
    assert alone == masked[0]  # row i draws with generator (seed, i), whatever the other rows do
