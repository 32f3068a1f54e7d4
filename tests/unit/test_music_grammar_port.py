"""The browser's bar-aware sampler is a TypeScript port of training/music/grammar.py, checked by
web/test/music_grammar.test.ts against web/test/fixtures/music_grammar.json. This test keeps that
file honest: it must hold exactly the masks the Python grammar gives today (when the grammar
changes, regenerate it with `python -m tests.unit.music_grammar_cases` and port the change)."""
import functools
import json

from tests.unit.music_grammar_cases import FIXTURE, fixture as compute

fixture = functools.cache(compute)  # one pass of the Python grammar over the cases (seconds)


def test_fixture_matches_the_python_grammar():
    stored = json.loads(FIXTURE.read_text())
    fresh = fixture()
    assert stored["alphabet"] == fresh["alphabet"]
    assert len(stored["cases"]) == len(fresh["cases"])
    for old, new in zip(stored["cases"], fresh["cases"]):
        assert old == new, (
            f"the grammar changed for {new['text'][-60:]!r}: regenerate {FIXTURE.name} "
            "(python -m tests.unit.music_grammar_cases) and port the change to web/src/music/grammar.ts"
        )


def test_fixture_covers_refusals_and_the_end_of_a_tune():
    cases = fixture()["cases"]
    assert sum(c["refused_at"] is not None for c in cases) >= 10
    assert any(c["refused_at"] is None and c["text"].endswith("\n\n") for c in cases)
    assert sum(len(c["allowed"]) for c in cases) > 2000
