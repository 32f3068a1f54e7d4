"""The ABC corpus as the poems trainer reads it: `read_abc_corpus` is a `training.poems.corpus.Reader`.

Units are whole tunes in normal form (training.music.abc). The held-out tunes are chosen by
`abc.split_by_tune` (whole tunes, the same share of every file, seeded). The training text is
every training tune once per `--transpose` shift (0 is the tune as written), in a seeded
shuffled order so that the copies of one tune do not follow each other, joined as poems joins
its units (a blank line between tunes). The held-out text is never transposed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from training.music.abc import AbcError, Tune, read_tunes, split_by_tune
from training.music.transpose import TranspositionError, transpose_tune
from training.poems.corpus import MAX_VOCAB, Corpus, join_units

NORMALIZATION = "NFC"  # ABC is ASCII in practice; titles are NFC like every character corpus


@dataclass
class MusicCorpus(Corpus):
    """A poems `Corpus` whose units are tunes, with the tunes themselves kept."""

    tunes: list[Tune] = field(default_factory=list)
    train_tunes: list[Tune] = field(default_factory=list)
    val_tunes: list[Tune] = field(default_factory=list)
    transpose: list[int] = field(default_factory=lambda: [0])
    train_copies: int = 0
    skipped_transpositions: int = 0

    def summary(self) -> str:
        files = len({t.source for t in self.tunes})
        skipped = f", {self.skipped_transpositions} transpositions skipped" if self.skipped_transpositions else ""
        return (f"ABC corpus {self.source}: {files} file(s), {len(self.tunes):,} tunes, {self.n_chars:,} characters in "
                f"normal form, vocabulary {len(self.chars)}; split by whole tunes: training {len(self.train_tunes):,} "
                f"tunes x shifts {self.transpose} = {self.train_copies:,} tunes{skipped}, {len(self.train_text):,} "
                f"characters; validation {len(self.val_tunes):,} tunes, {len(self.val_text):,} characters")

    def real_lines(self, limit: int = 300, seed: int = 0, min_len: int = 0, max_len: int = 0) -> list[str]:
        """Held-out tunes (whole, header included) for "Real or fake?", in a seeded order. The
        length bounds of the poems interface do not apply to tunes."""
        tunes = [t.text.rstrip("\n") for t in self.val_tunes]
        random.Random(seed).shuffle(tunes)
        return tunes[:limit]

    def extras(self) -> dict:
        return {"split_units": "tunes", "transpose": list(self.transpose)}


def build_chars(texts: list[str], max_vocab: int, base: list[str] | None, where: str) -> list[str]:
    """Vocabulary in id order: `base` first (fine-tuning keeps its ids), then new characters sorted."""
    base = list(base or [])
    new = sorted((set("".join(texts)) | {"\n"}) - set(base))
    if len(base) + len(new) > max_vocab:
        raise AbcError(f"{where}: {len(base) + len(new)} distinct characters, more than --max-vocab {max_vocab}")
    return base + new


def read_abc_corpus(path, *, val_fraction: float = 0.2, seed: int = 0, max_vocab: int = MAX_VOCAB,
                    base_vocab: list[str] | None = None, transpose: list[int] | None = None) -> MusicCorpus:
    """Read, normalise and split an ABC file or folder (see the module docstring)."""
    path = Path(path)
    tunes = read_tunes(path)
    if len(tunes) < 2:
        raise AbcError(f"{path}: {len(tunes)} tune(s); at least two are needed to hold one out for validation")
    train, val = split_by_tune(tunes, val_fraction, seed)
    shifts = list(dict.fromkeys(transpose or [0]))
    texts, skipped = [], 0
    for tune in train:
        for s in shifts:
            try:
                texts.append(transpose_tune(tune, s).text.rstrip("\n"))
            except TranspositionError:
                skipped += 1
    random.Random(f"{seed}:order").shuffle(texts)
    val_units = [t.text.rstrip("\n") for t in val]
    chars = build_chars(texts + val_units, max_vocab, base_vocab, str(path))
    return MusicCorpus(
        source=path, texts=[(Path(t.source), t.text) for t in tunes], chars=chars, train_text=join_units(texts),
        val_text=join_units(val_units), val_units=val_units, split_by="tunes", name=path.resolve().name,
        normalization=NORMALIZATION, tunes=tunes, train_tunes=train, val_tunes=val, transpose=shifts,
        train_copies=len(texts), skipped_transpositions=skipped)
