"""The musical figures on hand-written tunes with known answers: our ABC duration parser (notes,
rests, broken rhythm, tuplets, chords, ties, grace notes, decorations, repeats, pickup and last
bar), the repeat structure, abc2midi's parse check and the shares of a set of tunes."""
from __future__ import annotations

from fractions import Fraction as F

import pytest

from training.music.durations import length, parse_bars
from training.music.metrics import abc2midi_errors, figures, structure


def durations(body: str, meter: str = "4/4", unit: str = "1/8") -> list[F]:
    return [b.duration for b in parse_bars(body, meter, unit).bars]


@pytest.mark.parametrize("suffix, value", [
    (("", "", ""), F(1)), (("2", "", ""), F(2)), (("", "/", ""), F(1, 2)), (("", "//", ""), F(1, 4)),
    (("", "/", "4"), F(1, 4)), (("3", "/", "2"), F(3, 2)), (("", "///", ""), F(1, 8)),
])
def test_length_suffixes(suffix, value):
    assert length(*suffix) == value


def test_notes_rests_and_lengths():
    assert durations("CDEF GABc|C2E2 G4|z8|x2 z/z/ z3/2z/2 z3|") == [8, 8, 8, 8]
    assert durations("^C,2 =D,, _e'' __f'/ ^^g/4 a3/4 b|") == [2 + 1 + 1 + F(1, 2) + F(1, 4) + F(3, 4) + 1]


def test_broken_rhythm_tuplets_chords_ties_grace_notes_and_decorations():
    assert durations("A>B c<d e>>f g2|") == [F(3, 2) + F(1, 2) + F(1, 2) + F(3, 2) + F(7, 4) + F(1, 4) + 2]
    assert durations("(3ABc d2 (3d/e/f/ g3|") == [2 + 2 + 1 + 3]  # (3: three in the time of two
    assert durations("(3:2:2AB c2 (2AB c|", "6/8") == [F(4, 3) + 2 + 3 + 1]  # (p:q:r; (2 is two in three
    assert durations("(5ABcde f|", "6/8") == [F(3, 5) * 5 + 1]  # compound meter: five in the time of three
    assert durations("[CEG]2 [C2E2] [CE]/2 z/ [c3e]|") == [2 + 2 + F(1, 2) + F(1, 2) + 3]  # the first note's length
    assert durations("A2-A2 {g}A2 {ag}B2|~c2 !trill!d2 .e2 Hf2|\"Am\"a8|") == [8, 8, 8]
    assert durations("ABcd [K:D] efga|ab [M:3/4] c'2|") == [8, 4]  # inline fields take no time


def test_bars_across_lines_multi_bar_rests_and_unknown_characters():
    parsed = parse_bars("ABcd\nefga|Z2|\nM:3/4\nABc|%|", "4/4", "1/8")
    assert [b.duration for b in parsed.bars] == [8, 0, 3]
    assert [b.full for b in parsed.bars] == [8, 8, 6]  # the M: line holds from there on
    assert parsed.bars[-1].final and not parsed.bars[0].final  # (so the short "ABc" may end the tune)
    assert parsed.counted_bars == 4 and parsed.matching_bars == 4  # Z2 stands for two full bars
    assert parsed.unknown == "%"


def test_pickup_and_last_bar_may_be_short_at_edges_only():
    parsed = parse_bars("D|GAB AFD|G3 G2:|\n|:d|efg fed|e3 d2|c3 B2|A3 A2||", "6/8", "1/8")
    rows = [(str(b.duration), b.opens, b.closes, b.matches) for b in parsed.bars]
    assert rows == [
        ("1", "", "|", True),  # pickup: the first bar of the tune
        ("6", "|", "|", True),
        ("5", "|", ":|", True),  # short before a section bar line
        ("1", ":||:", "|", True),  # pickup of the second section (":|" and "|:" around an empty segment)
        ("6", "|", "|", True),
        ("5", "|", "|", False),  # short in the middle: wrong
        ("5", "|", "|", False),
        ("5", "|", "||", True),
    ]
    assert parsed.counted_bars == 8 and parsed.matching_bars == 6
    over = parse_bars("GABc|", "3/4", "1/4").bars[0]
    assert over.edge and not over.matches  # too long never matches, even at an edge


def test_endings_and_empty_segments():
    parsed = parse_bars("|: GABc dedB | [1 c4 B4 :| [2 c8 || d8 |]", "4/4", "1/8")
    assert [(str(b.duration), b.ending) for b in parsed.bars] == [("8", ""), ("8", "1"), ("8", "2"), ("8", "")]
    assert [b.opens for b in parsed.bars] == ["|:", "|", ":|", "||"]


AABB = """A|:GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|
GABc dedB|dedB dedB|c2ec B2dB|[1 A2G2 G3A:|[2 A2G2 G4||
|:g2gf gdBd|g2f2 e2d2|c2ec B2dB|c2A2 A2df|
g2gf g2Bd|g2f2 e2d2|c2ec B2dB|A2G2 G4:|"""


def test_a_complete_aabb_tune():
    s = structure(parse_bars(AABB, "4/4", "1/8"))
    assert s.complete and s.form == "AABB" and s.sections == [8, 8] and s.problems == []


@pytest.mark.parametrize("body, form, sections, problems", [
    ("GABc dedB|" * 7 + "G8||\n" + "gfed cBAG|" * 7 + "G8|]", "AB", [8, 8], []),  # no repeats, two 8-bar halves
    ("GABc dedB|" * 7 + "G8:|\n" + "|:gfed cBAG|" + "gfed cBAG|" * 6 + "G8:|", "AABB", [8, 8], []),
])
def test_complete_structures(body, form, sections, problems):
    s = structure(parse_bars(body, "4/4", "1/8"))
    assert (s.complete, s.form, s.sections, s.problems) == (True, form, sections, problems)


@pytest.mark.parametrize("body, form, problem", [
    ("GABc dedB|" * 32, "A", None),  # one section, no repeat: no structure
    ("|:" + "GABc dedB|" * 6 + "G8:|\n" + "gfed cBAG|" * 7 + "G8|]", "AAB", None),  # 7-bar A: not whole phrases
    ("|:" + "GABc dedB|" * 7 + "G8||\n" + "gfed cBAG|" * 7 + "G8:|", "ABB", "|: closed by || instead of :|"),
    ("|:" + "GABc dedB|" * 7 + "G8|:" + "gfed cBAG|" * 7 + "G8:|", "ABB", "|: after |: without :| between them"),
    ("GABc dedB|" * 7 + "[1 G8:|\n" + "gfed cBAG|" * 8, "A", "a first ending without a second"),
    ("|:" + "GABc dedB|" * 8, "A", "|: never closed by :|"),
])
def test_incomplete_structures(body, form, problem):
    s = structure(parse_bars(body, "4/4", "1/8"))
    assert not s.complete and s.form == form
    assert (problem in s.problems) if problem else s.problems == []


def test_abc2midi_finds_errors():
    good = "X:1\nT:Good\nM:4/4\nL:1/8\nK:G\n" + AABB + "\n"
    assert abc2midi_errors(good) == []
    assert abc2midi_errors("T:No X\nM:4/4\nL:1/8\nK:G\nGABc dedB|\n") == []  # X:1 is added when missing
    bad = abc2midi_errors("X:1\nT:Bad\nM:4/4\nL:1/8\nK:G\n|:GABc dedB|:gfed cBAG:|\nA2-B2 c4|\n")
    assert any("|:" in e for e in bad) and any("tied" in e for e in bad)


def test_figures_of_a_set():
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\n"
    tunes = [head + AABB + "\n", head + "GABc dedB|" * 32 + "\n", head + "|:GABc dedB|:gfed cBAG:|\nGABc2|\n"]
    got = figures(tunes)
    # bars: 18 + 32 + 3 (the last, "GABc2", is 6 of 8 units but the last bar of the tune may be short)
    assert got == {"tunes": 3, "bar_length_share": 1.0, "bars": 18 + 32 + 3, "repeat_structure_share": round(1 / 3, 4),
                   "abc2midi_parse_share": round(2 / 3, 4), "forms": {"AABB": 1}}
    assert figures([head + "GABcdefg|GAB|GABcdefg|\n"], check_parse=False)["bar_length_share"] == 0.6667
