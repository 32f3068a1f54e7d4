"""The cases the browser's port of the bar-aware ABC grammar (web/src/music/grammar.ts) is checked
on, with the masks the Python reference (training/music/grammar.py) gives for them.

Each case is a text fed to the grammar one character at a time; after each character the case
records which characters of ALPHABET the grammar allows next (or where it refuses the text). The
texts: every tune the grammar's own unit tests (tests/unit/test_music_grammar.py) take or refuse,
read from their parametrize marks, and two of their random walks; hand-written tunes and edge
cases; seeded random walks through the grammar itself (every step a random allowed character), so
that many states are visited. No corpus tune is copied here. `python -m tests.unit.music_grammar_cases` rewrites web/test/fixtures/music_grammar.json;
tests/unit/test_music_grammar_port.py checks that the file still matches the Python grammar, and
web/test/music_grammar.test.ts that the TypeScript port gives the same masks.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from training.music.grammar import AbcState

FIXTURE = Path(__file__).resolve().parents[2] / "web" / "test" / "fixtures" / "music_grammar.json"
ALPHABET = list("\n !\"#'()+,-./0123456789:=<>ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz|~")

HEADERS = {
    "jig": "X:1\nT:Test Jig\nM:6/8\nL:1/8\nK:G\n",
    "reel": "X:1\nT:Test Reel\nM:4/4\nL:1/8\nK:D\n",
    "quarters": "X:1\nT:Quarters\nM:4/4\nL:1/4\nK:Am\n",
    "waltz": "X:1\nT:Test Waltz\nM:3/4\nL:1/8\nQ:1/4=120\nK:F\n",
    "polka": "X:1\nT:Polka\nM:2/4\nL:1/16\nK:Ador\n",
    "slip": "X:1\nT:Slip\nM:9/8\nL:1/8\nQ:3/8=80\nK:Emix\n",
}

# Hand-written music (after a header): every rule of the grammar at least once, some refused.
MUSIC = [
    ("jig", 'D|"G"GAB "D"AFD|"G"G2B d2B|"C"c2e "G"dBG|"D7"A3 -A2D|\n"G"GAB "D"AFD|"G"G2B d2B|"C"cBA "D"Bcd|"G"G3 G2:|\n'),
    ("jig", "|:GAB c2d|e3 e2f|g2e dBG|[1A3 A2D:|[2A3 A3||\n"),
    ("jig", "GAB (3cBA d|"),  # a triplet in 6/8
    ("jig", "G>AB c2|"),  # broken rhythm
    ("jig", "GAB cde|fga bag|"),
    ("jig", "GAB cdef|"),  # overfull: refused
    ("reel", "|:d2fd Adfd|~g3e fdBA|!trill!B4 A2FA|[D2F2A2] [E2G2] [F4A4]:|\n|:a2fa gfed|\n"),
    ("reel", "[DFA]2 [EG]2 [FA]4|"),  # a chord's length goes on its notes: refused
    ("reel", "[D2FA] [E2G2] [F4A4]|"),  # chord notes of different lengths: refused
    ("reel", "^c2 =c2 _B2 __B2|d8|z8|x4 z4|"),
    ("reel", "(3ABc (3dcB A2FA|(2AB (4cdef g|"),
    ("reel", "(3ABc (3dcB A2FA|(2AB (4cdef g4|"),  # overfull: refused
    ("reel", "d'2 c'2 b2 a2|A,2 B,2 C2 D2|"),
    ("reel", "d2-d2 e2-e2|^f2-f2|"),  # a tie after an accidental: refused
    ("reel", "A/B/c/d/ e/f/g/a/ b2 f2|A3/2B/ c3/4d/4 e4|"),
    ("reel", "d4 c4|"),  # a full bar ... then a short one
    ("reel", "d4 c2|"),
    ("quarters", "E|A2 cB|A3 E|\"Am\"A2 \"E7\"^GB|\"Am\"A3:|\n|:c|e2 dc|B3 A||\n"),
    ("quarters", "A B c d|e/2f/2 g a2|"),
    ("waltz", "C|F2 A2 c2|\"C7\"B2 G2 E2|\"F\"F6|]\n\n"),  # a whole tune: ends at the blank line
    ("waltz", "F2 A2 c2|F6|\n\n"),  # no section bar line before the end: refused
    ("waltz", "F2 A2 c2|\nM:2/4\nF2 A2|\nL:1/4\nF A|\nK:C\nC2|"),
    ("waltz", "F2 A2 c2|M:2/4\n"),  # a field in the middle of a line: refused
    ("polka", "A2B2 c2d2|e4 A4|\"Am/c\"A8|\"D/f+\"d8|\"Bbmaj7\"B8|"),
    ("polka", "\"H\"A8|"),  # not a chord symbol: refused
    ("slip", "B2A G2A B2d|e2d B2A G3|"),
    ("slip", "!fermata!G9|"),
    ("jig", "|:GAB:|:cde:|"),
    ("jig", "GAB::cde|"),
    ("jig", "|:GAB|:cde|"),  # a repeat opened twice: refused
]


def masks(text: str) -> dict:
    """After each character of `text`: the allowed characters of ALPHABET (or where it is refused)."""
    state = AbcState()
    steps = []
    for i, c in enumerate(text):
        nxt = state.advance(c)
        if nxt is None:
            return {"text": text, "allowed": steps, "refused_at": i}
        state = nxt
        steps.append("".join(ch for ch in ALPHABET if state.advance(ch) is not None))
    return {"text": text, "allowed": steps, "refused_at": None}


def random_walk(header: str, seed: int, steps: int) -> str:
    """A text the grammar accepts: after the header, `steps` random allowed characters (notes favoured)."""
    rng = random.Random(seed)
    state, text = AbcState().feed(header), header
    for _ in range(steps):
        allowed = [c for c in ALPHABET if state.advance(c) is not None]
        if not allowed:
            break
        weights = [6 if c in "ABCDEFGabcdefg" else 3 if c in "|2/ " else 1 for c in allowed]
        c = rng.choices(allowed, weights)[0]
        state, text = state.advance(c), text + c
        if state.mode == "end":
            break
    return text


def python_test_texts() -> list[str]:
    """The texts of the Python grammar tests: the tunes they take and refuse, and two of their walks."""
    import numpy as np

    from tests.unit import test_music_grammar as t

    def params(test):
        return next(m for m in test.pytestmark if m.name == "parametrize").args[1]

    texts = [t.JIG + music for music in params(t.test_tunes_it_takes)]
    texts += [t.JIG + music for music, _why in params(t.test_tunes_it_refuses)]
    rng = np.random.default_rng(0)
    texts += [t.walk(header, rng) for header in (t.JIG, t.REEL)]
    return texts


def cases() -> list[dict]:
    out = [masks(text) for text in python_test_texts()]
    out += [masks(HEADERS[h] + music) for h, music in MUSIC]
    out += [masks("X:1\nT:\nM:7/8\nL:1/8\nK:G\n"), masks("X:1\nT:Bad Unit\nM:4/4\nL:1/2\nK:G\n"),
            masks("X:1\nT:Bad Key\nM:4/4\nL:1/8\nK:H\n"), masks("T:No X\n")]
    for i, name in enumerate(sorted(HEADERS)):
        for seed in range(2):
            out.append(masks(random_walk(HEADERS[name], 1000 * i + seed, 160)))
    return out


def fixture() -> dict:
    return {"alphabet": ALPHABET, "cases": cases(),
            "about": "masks of training/music/grammar.py; regenerate with python -m tests.unit.music_grammar_cases"}


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture(), ensure_ascii=False, separators=(",", ":")) + "\n")
    data = json.loads(FIXTURE.read_text())
    print(f"wrote {FIXTURE}: {len(data['cases'])} cases, {sum(len(c['allowed']) for c in data['cases'])} masks, "
          f"{FIXTURE.stat().st_size / 1024:.1f} KB")
