"""Corpus reading for the poems studio: NFC vocabulary, tail / whole-block / whole-file splits, bad corpora."""
from __future__ import annotations

import argparse
import unicodedata

import pytest

from tests.unit.poems_testdata import CYRILLIC_WORDS, decomposed, write_block_corpus, write_folder_corpus
from training.kit.errors import UserError
from training.poems import cli
from training.poems.corpus import CorpusError, encode, read_text_corpus, real_lines, split_blocks, split_units
from training.poems.run import reproduce_command


def test_vocabulary_is_nfc_and_sorted(tmp_path):
    nfc = write_block_corpus(tmp_path / "nfc" / "pjesme.txt")
    nfd = tmp_path / "nfd" / "pjesme.txt"
    nfd.parent.mkdir()
    text = nfc.read_text(encoding="utf-8")
    nfd.write_text(decomposed(text), encoding="utf-8")
    assert len(decomposed(text)) > len(text)  # the file really holds combining carons / acutes

    a, b = read_text_corpus(nfc), read_text_corpus(nfd)
    assert a.chars == b.chars
    assert a.train_text == b.train_text and a.val_text == b.val_text
    for ch in "čćšžđ":
        assert ch in a.chars
    assert "\u030c" not in a.chars and "\u0301" not in a.chars  # no combining marks
    assert a.chars[0] == "\n" and a.chars == ["\n"] + sorted(set(a.chars) - {"\n"})
    assert all(unicodedata.is_normalized("NFC", c) for c in a.chars)
    assert encode("čaša", a.chars) == [a.chars.index(c) for c in "čaša"]


def test_cyrillic_vocabulary_and_counts(tmp_path):
    path = write_block_corpus(tmp_path / "ћирилица.txt", CYRILLIC_WORDS, blocks=40)
    corpus = read_text_corpus(path)
    text = path.read_text(encoding="utf-8")
    assert set(corpus.chars) == set(text)
    for ch in "ћђчжшЛМК":
        assert ch in corpus.chars
    assert not any("a" <= c.lower() <= "z" for c in corpus.chars)  # no Latin letters leaked in
    assert corpus.n_chars == len(text)
    assert corpus.n_lines == text.count("\n")
    assert "vocabulary" in corpus.summary() and f"{corpus.n_chars:,}" in corpus.summary()


def test_split_takes_whole_blocks(tmp_path):
    path = write_block_corpus(tmp_path / "p.txt", blocks=80)
    blocks = split_blocks(path.read_text(encoding="utf-8"))
    corpus = read_text_corpus(path, val_fraction=0.2, seed=3, split="blocks")
    assert corpus.split_by == "blocks"
    assert corpus.val_units and set(corpus.val_units) <= set(blocks)
    train_blocks = split_blocks(corpus.train_text)
    assert sorted(train_blocks + corpus.val_units) == sorted(blocks)
    frac = len(corpus.val_text) / (len(corpus.val_text) + len(corpus.train_text))
    assert 0.15 < frac < 0.3
    # deterministic for a seed, different for another
    assert read_text_corpus(path, 0.2, seed=3, split="blocks").val_units == corpus.val_units
    assert read_text_corpus(path, 0.2, seed=4, split="blocks").val_units != corpus.val_units


def test_a_single_file_holds_out_its_tail(tmp_path):
    """nanoGPT's cut of tiny Shakespeare: train = text[:int(n * 0.9)], held out = the rest, seed or not."""
    path = write_block_corpus(tmp_path / "p.txt", blocks=80)
    text = path.read_text(encoding="utf-8")
    corpus = read_text_corpus(path)
    cut = int(len(text) * 0.9)
    assert corpus.split_by == "tail" and corpus.train_text == text[:cut] and corpus.val_text == text[cut:]
    assert read_text_corpus(path, seed=5).val_text == corpus.val_text
    assert corpus.val_units and all(unit in corpus.val_text for unit in corpus.val_units)
    assert corpus.val_units == split_blocks(corpus.val_text.split("\n", 1)[1])  # not the line the cut splits
    assert "the end of the text" in corpus.summary()
    # a folder can be split by its tail too (files joined by blank lines, in reading order)
    folder = write_folder_corpus(tmp_path / "pjesme", files=12)
    tail = read_text_corpus(folder, split="tail")
    joined = "\n\n".join(p.read_text(encoding="utf-8").strip("\n") for p in sorted(folder.glob("*.txt"))) + "\n"
    assert tail.train_text + tail.val_text == joined and tail.split_by == "tail"
    assert read_text_corpus(folder).split_by == "files"
    with pytest.raises(CorpusError, match="--split files"):
        read_text_corpus(path, split="files")
    with pytest.raises(CorpusError, match="--val-fraction"):
        read_text_corpus(path, val_fraction=1e-6, split="tail")


def test_folder_split_takes_whole_files(tmp_path):
    folder = write_folder_corpus(tmp_path / "pjesme", files=12)
    (tmp_path / "pjesme" / ".hidden.txt").write_bytes(b"\x00\x01")  # hidden files are not read
    corpus = read_text_corpus(folder, val_fraction=0.2)
    assert corpus.split_by == "files" and len(corpus.texts) == 12
    files = {p.read_text(encoding="utf-8").strip("\n") for p in folder.glob("*.txt")}
    assert set(corpus.val_units) <= files and len(corpus.val_units) >= 1
    for unit in corpus.val_units:
        assert unit not in corpus.train_text


def test_real_lines_come_from_held_out_units(tmp_path):
    corpus = read_text_corpus(write_block_corpus(tmp_path / "p.txt", blocks=80), val_fraction=0.25, split="blocks")
    lines = real_lines(corpus.val_units, 20, 90, limit=50)
    assert lines
    assert all(20 <= len(line) <= 90 and line in corpus.val_text for line in lines)
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\n  \n\n", "empty"),
    (b"Pa on ode\x00\x01\x02 na kulu", "binary"),
    ("Pa on ode na bijelu kulu, čaša".encode("cp1250"), "not valid UTF-8"),
])
def test_bad_files_are_named(tmp_path, content, message):
    bad = tmp_path / "pjesme" / "loša-pjesma.txt"
    write_folder_corpus(tmp_path / "pjesme", files=3)
    bad.write_bytes(content)
    with pytest.raises(CorpusError) as err:
        read_text_corpus(tmp_path / "pjesme")
    assert message in str(err.value)
    assert str(bad) in str(err.value)


def test_huge_vocabulary_is_refused(tmp_path):
    good = write_block_corpus(tmp_path / "c" / "a.txt")
    huge = tmp_path / "c" / "b-ideographs.txt"
    huge.write_text("\n\n".join("".join(chr(0x4E00 + i + j) for j in range(30)) for i in range(0, 600, 30)),
                    encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_text_corpus(tmp_path / "c")
    assert str(huge) in str(err.value) and "500" in str(err.value)
    assert read_text_corpus(good).chars  # the other file alone is fine


def test_missing_and_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        read_text_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="holds no files"):
        read_text_corpus(tmp_path / "empty")


def test_cli_reports_bad_corpus_without_traceback(tmp_path, capsys):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    rc = cli.main(["train", "--corpus", str(bad), "--name", "bad", "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert rc == 2 and str(bad) in err and "binary" in err and "Traceback" not in err
    assert issubclass(CorpusError, UserError)


def test_split_units_keeps_order_and_one_training_unit():
    units = [f"unit {i} " * (i + 1) for i in range(10)]
    train, val = split_units(units, 0.3, seed=1)
    assert sorted(train + val) == sorted(units) and train and val
    assert train == [u for u in units if u in train] and val == [u for u in units if u in val]
    assert split_units(units, 0.99, seed=1)[0]  # at least one unit stays for training
    assert split_units(units, 0.0, seed=1) == (units, [])


def test_card_command_reproduces_the_run():
    import shlex
    import subprocess

    from training.kit import command

    argv = ["--corpus", "pjesme/", "--name", "x", "--epochs=60", "--max-minutes", "30", "--resume",
            "--sample-seed", "JULIET:\n", "--corpus-name", "It's a corpus", "--force"]
    config = {"argv": command.clean_argv(argv), "command": command.reproduce("poems", "train", argv)}
    assert "\n" not in config["command"] and "--resume" not in config["command"]
    cmd = reproduce_command(config, 7, "poems")
    assert cmd.startswith("python -m training poems train ") and "--max-minutes" not in cmd
    words = subprocess.run(["bash", "-c", 'printf "%s\\0" ' + cmd.split(" ", 4)[4]], capture_output=True,
                           text=True, check=True).stdout.split("\0")[:-1]
    assert words == ["train", "--corpus", "pjesme/", "--name", "x", "--epochs", "7", "--sample-seed", "JULIET:\n",
                     "--corpus-name", "It's a corpus"]
    # the studio is a parameter: a music run reproduces as a music command
    assert reproduce_command(config, 7, "music").startswith("python -m training music train --corpus pjesme/ ")
    # runs recorded before argv was kept: the command string is parsed
    old = {"command": "python -m training poems train --corpus a.txt --epochs 60 --sample-seed " + shlex.quote("A:\n")}
    assert reproduce_command(old, 2, "poems") == "python -m training poems train --corpus a.txt --epochs 2 --sample-seed $'A:\\n'"
    # an exported model's command (a chain, or a fine-tuning source) is kept as it is
    chain = {"command": "python -m training poems train --corpus a --epochs 3 && python -m training poems train --corpus b"}
    assert reproduce_command(chain, 9, "poems") == chain["command"]


def test_card_command_of_planned_runs():
    """The shape sizing chose is written out; a run planned from a time budget records the steps it trained."""
    from training.poems.run import run_command, source_command

    argv = ["--corpus", "a.txt", "--name", "x", "--max-minutes", "10", "--plan-minutes", "10", "--units", "384",
            "--budget-clock", "cpu"]
    config = {"argv": argv, "chosen": ["layers", "batch"], "layers": 1, "batch": 32, "units": 384, "epochs": None,
              "steps": None}
    budget = run_command(config, {"plan_from": "budget", "steps": 1234, "epoch": 5}, "poems")
    assert budget == "python -m training poems train --corpus a.txt --name x --units 384 --layers 1 --batch 32 --steps 1234"
    caps = run_command({**config, "argv": argv[:4] + ["--epochs", "3"], "epochs": 3}, {"plan_from": "caps", "epoch": 3},
                       "poems")
    assert caps == "python -m training poems train --corpus a.txt --name x --epochs 3 --layers 1 --batch 32"
    old = run_command({"argv": ["--corpus", "a.txt", "--epochs", "60"]}, {"epoch": 12}, "poems")
    assert old == "python -m training poems train --corpus a.txt --epochs 12"  # runs from before plans
    init = {**config, "plan_from": "budget", "trained_steps": 99}
    assert source_command(init, "poems").endswith("--batch 32 --steps 99")
    assert source_command({"command": "python -m training poems train --corpus a --epochs 60", "epochs": 60,
                           "best_epoch": 7}, "poems").endswith("--epochs 7")


def test_split_flag_needs_a_reader_that_splits():
    from training.poems.run import corpus_options, takes_split

    def tunes(path, *, val_fraction, seed, max_vocab, base_vocab):
        raise AssertionError("not called")

    args = argparse.Namespace(val_fraction=0.1, seed=0, max_vocab=500, split="tail")
    assert takes_split(read_text_corpus) and not takes_split(tunes) and takes_split(lambda path, **kw: None)
    assert corpus_options(args, read_text_corpus)["split"] == "tail"
    with pytest.raises(UserError, match="--split tail"):
        corpus_options(args, tunes)
    args.split = "auto"
    assert "split" not in corpus_options(args, tunes)
