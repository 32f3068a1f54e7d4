"""The command a model card records: the one that reproduces the model from scratch.

A trainer keeps its own argv in the run's config; at export the reproduce-command is that
argv with the flags that only steer one session removed (`--resume`, budgets, test hooks)
and with the amount actually trained (epochs or steps, summed over resumes) written in.
Words are shell-quoted so the card's command can be pasted into bash; newlines and tabs
become $'...' escapes so the command stays on one line.
"""
from __future__ import annotations

import shlex

# flag -> how many values follow it
SESSION_FLAGS = {"--resume": 0, "--force": 0, "--halt-after-steps": 1, "--max-minutes": 1, "--runs-dir": 1}


def quote(word: str) -> str:
    if "\n" in word or "\t" in word:
        esc = word.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
        return f"$'{esc}'"
    return shlex.quote(word)


def join(words: list[str]) -> str:
    return " ".join(quote(str(w)) for w in words)


def _split_equals(words: list[str]) -> list[str]:
    out = []
    for w in words:
        if w.startswith("--") and "=" in w:
            out += w.split("=", 1)
        else:
            out.append(w)
    return out


def clean_argv(argv: list[str], drop: dict[str, int] | None = None) -> list[str]:
    """`argv` without the session-only flags (and their values)."""
    drop = SESSION_FLAGS if drop is None else drop
    words, out, i = _split_equals(list(argv)), [], 0
    while i < len(words):
        if words[i] in drop:
            i += 1 + drop[words[i]]
            continue
        out.append(words[i])
        i += 1
    return out


def set_flag(words: list[str], flag: str, value) -> list[str]:
    """Replace the value of `flag` in `words`, or append it."""
    words, out, i, found = _split_equals(list(words)), [], 0, False
    while i < len(words):
        if words[i] == flag:
            out += [flag, str(value)]
            i += 2
            found = True
            continue
        out.append(words[i])
        i += 1
    return out if found else out + [flag, str(value)]


def reproduce(studio: str, command: str, argv: list[str], **values) -> str:
    """`python -m training <studio> <command> <argv>` for a card: session flags dropped, and each
    keyword (e.g. epochs=12) written as its flag (`--epochs 12`)."""
    words = clean_argv(argv)
    for key, value in values.items():
        if value is not None:
            words = set_flag(words, "--" + key.replace("_", "-"), value)
    return f"python -m training {studio} {command} " + join(words) if words else f"python -m training {studio} {command}"


def chain(*commands: str) -> str:
    """Several commands that together make the model (train, then directions, then export)."""
    return " && ".join(c for c in commands if c)
