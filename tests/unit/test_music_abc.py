"""The ABC corpus reader (normal form, bad files), the split by whole tunes, the corpus the poems
trainer reads, and transposition (a known tune moved up a fourth parses and changes key)."""
from __future__ import annotations

import mido
import pytest

from training.kit.errors import UserError
from training.music.abc import AbcError, read_tunes, split_by_tune, split_tunes
from training.music.corpus import read_abc_corpus
from training.music.metrics import abc2midi_errors
from training.music.transpose import TranspositionError, parse_shifts, transpose_tune
from training.poems.corpus import Corpus

FILE = """%abc-2.1
% a file header the reader skips
X: 7
T:The Test Jig
T:Second title (dropped)
% Nottingham Music Database
S:via a test
Y:AB
M:4/4
K:G
M:6/8
P:A
D|"G"GAB  "D"AFD|\\
"G"G2B d2B|"Cd"c2e "G"dBG|"D7"A3 -A2D:|  % a comment
P:B
|:"G"g2g "Bm/f+"fed|[P:x]"Em"e3 [K:D]e2f|"C"g2e "D"fed|"G"G3 G2:|


X: 8
T:Reel With Unit
L:1/4
M:2/4
Q:1/4=120
R:reel
K:Ador
A/B/|c2|BA|G2|A2:|
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tunes_in_normal_form(tmp_path):
    tunes = read_tunes(write(tmp_path, "tunes.abc", FILE))
    assert [t.number for t in tunes] == ["7", "8"]
    jig, reel = tunes
    assert jig.text == (
        "X:1\nT:The Test Jig\nM:6/8\nL:1/8\nK:G\n"  # M: after K: (before the music) is the meter; L: by default
        'D|"G"GAB "D"AFD|\n'  # spaces collapsed, the continuation backslash gone
        '"G"G2B d2B|"Cdim"c2e "G"dBG|"D7"A3 -A2D:|\n'  # Nottingham's "d" for diminished, comment gone
        '|:"G"g2g "Bm/f+"fed|"Em"e3 [K:D]e2f|"C"g2e "D"fed|"G"G3 G2:|\n')  # P: lines and [P:] gone, [K:] kept
    assert reel.header == "X:1\nT:Reel With Unit\nM:2/4\nL:1/4\nQ:1/4=120\nK:Ador\n"  # R: dropped, fixed order
    assert reel.where() == "tunes.abc, tune X:8 ('Reel With Unit')"


def test_default_unit_follows_the_meter(tmp_path):
    two_four = read_tunes(write(tmp_path, "a.abc", "X:1\nT:a\nM:2/4\nK:D\nABcd|\n"))[0]
    assert two_four.unit == "1/16"  # below 3/4
    no_meter = read_tunes(write(tmp_path, "b.abc", "X:1\nT:b\nK:D\nABcd|\n"))[0]
    assert (no_meter.meter, no_meter.unit) == ("4/4", "1/8")


def test_a_folder_reads_its_abc_files_in_order_and_leaves_other_files(tmp_path):
    write(tmp_path, "b.abc", "X:1\nT:B\nM:4/4\nK:C\nCDEF|\n")
    write(tmp_path, "a.abc", "X:1\nT:A\nM:4/4\nK:C\nGABc|\n")
    write(tmp_path, "LICENSE.md", "GNU GENERAL PUBLIC LICENSE\n")
    assert [(t.source, t.title) for t in read_tunes(tmp_path)] == [("a.abc", "A"), ("b.abc", "B")]


@pytest.mark.parametrize("text, message", [
    ("Just some words.\nNo tunes at all.\n", "notes.txt: no tunes (no line starts with 'X:'); is this an ABC file?"),
    ("X:3\nT:Keyless\nM:4/4\nL:1/8\nCDEF GABc|\n", "notes.txt, tune X:3 ('Keyless'): music before the K: field"),
    ("X:4\nT:Keyless at the end\nM:4/4\n", "notes.txt, tune X:4 ('Keyless at the end'): no K: (key) field"),
    ("X:5\nT:Silent\nM:4/4\nK:G\n\n", "notes.txt, tune X:5 ('Silent'): no music after K:G"),
])
def test_bad_files_name_the_file_and_the_tune(tmp_path, text, message):
    with pytest.raises(AbcError) as err:
        read_tunes(write(tmp_path, "notes.txt", text))
    assert isinstance(err.value, UserError)
    assert message in str(err.value)


def test_binary_missing_and_empty_inputs(tmp_path):
    with pytest.raises(UserError, match="binary file"):
        read_tunes(write(tmp_path, "x.abc", "X:1\x00\x00"))
    with pytest.raises(AbcError, match="corpus not found"):
        read_tunes(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AbcError, match="no .abc files"):
        read_tunes(empty)


def many_tunes(n: int, source: str) -> str:
    return "\n".join(f"X:{i}\nT:{source} {i}\nM:4/4\nL:1/8\nK:G\nGABc dBAG|\n" for i in range(1, n + 1))


def test_split_by_whole_tunes_is_seeded_and_takes_every_file_alike():
    tunes = split_tunes(many_tunes(30, "jig"), "jigs.abc") + split_tunes(many_tunes(10, "reel"), "reels.abc")
    train, val = split_by_tune(tunes, 0.2, seed=0)
    assert len(val) == 8 and len(train) == 32
    assert sum(t.source == "jigs.abc" for t in val) == 6 and sum(t.source == "reels.abc" for t in val) == 2
    assert split_by_tune(tunes, 0.2, seed=0) == (train, val)
    assert split_by_tune(tunes, 0.2, seed=1)[1] != val
    with pytest.raises(AbcError, match="leaves no tune"):
        split_by_tune(tunes[:2], 1.0, 0)


def test_corpus_for_the_poems_trainer(tmp_path):
    write(tmp_path, "jigs.abc", many_tunes(20, "jig"))
    corpus = read_abc_corpus(tmp_path, val_fraction=0.2, seed=0, transpose=[0, 5])
    assert isinstance(corpus, Corpus) and corpus.split_by == "tunes"
    assert len(corpus.val_tunes) == 4 and len(corpus.train_tunes) == 16 and corpus.train_copies == 32
    assert corpus.train_text.count("X:1\n") == 32 and corpus.val_text.count("X:1\n") == 4
    assert corpus.train_text.count("K:C\n") == 16  # G moved up a fourth
    assert "K:C" not in corpus.val_text  # held-out tunes stay as written
    assert "\n\nX:1\n" in corpus.train_text and corpus.train_text.endswith("|\n")
    assert corpus.chars == sorted(set(corpus.train_text + corpus.val_text))
    real = corpus.real_lines(10, seed=0)
    assert len(real) == 4 and all(t.startswith("X:1\nT:") and t.endswith("|") for t in real)
    assert corpus.extras() == {"split_units": "tunes", "transpose": [0, 5]}
    base = ["\n", "~"] + [c for c in corpus.chars if c != "\n"]
    assert read_abc_corpus(tmp_path, base_vocab=base).chars[:len(base)] == base
    with pytest.raises(AbcError, match="more than --max-vocab 10"):
        read_abc_corpus(tmp_path, max_vocab=10)


KNOWN = "X:1\nT:Known Tune\nM:6/8\nL:1/8\nK:G\n|:\"G\"GAB \"D7/f+\"AF=f|\"Em\"e2B, \"C\"c'2^c|[1\"G\"G3 G2D:|[2[GB]3 G3|]\n"


def test_a_known_tune_moved_up_a_fourth_parses_and_changes_key(tmp_path):
    tune = split_tunes(KNOWN, "known.abc")[0]
    up = transpose_tune(tune, 5)
    assert up.key == "C"
    assert up.body == '|:"C"cde "G7/b"dB_b|"Am"a2E "F"f\'2^f|[1"C"c3 c2G:|[2[ce]3 c3|]'
    midis = []
    for name, t in (("original", tune), ("up", up)):
        midi = tmp_path / f"{name}.mid"
        assert abc2midi_errors(t.text, midi=midi) == []
        melody = mido.MidiFile(midi).tracks[1]  # (track 2 holds the accompaniment of the chord symbols)
        midis.append([m.note for m in melody if m.type == "note_on" and m.velocity > 0])
    assert midis[0] and len(midis[0]) == len(midis[1])
    assert [b - a for a, b in zip(*midis)] == [5] * len(midis[0])  # every note a fourth (5 semitones) higher


def test_transposition_spells_in_the_new_key():
    tune = split_tunes("X:1\nT:t\nM:4/4\nK:Dm\n\"Gm/bb\"_B^cd=e|\nK:F\nf4|\n", "t.abc")[0]
    down = transpose_tune(tune, -2)
    assert down.key == "Cm" and down.body == '"Fm/ab"_A=Bc=d|\nK:Eb\ne4|'  # Cm and Eb, not B#m and D#
    assert transpose_tune(tune, 0) is tune
    with pytest.raises(TranspositionError):
        transpose_tune(split_tunes("X:1\nT:t\nK:none\nCDEF|\n", "t.abc")[0], 2)
    assert parse_shifts("-2, 0,2,5") == [-2, 0, 2, 5]
    for bad in ("up", "12", ""):
        with pytest.raises(UserError, match="--transpose"):
            parse_shifts(bad)
