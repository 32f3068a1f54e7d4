"""Export glue: the poems export (training.poems.export) of a music run, plus the musical figures.

1. The poems export writes the model folder into a staging folder inside the run (the same
   files as a poems model: model.json + shards, vocab.json, real_lines.json — here whole held-out
   tunes —, reference.json, snapshots/ for "watch it learn", the card).
2. The figures are measured on the model *as exported* (the tensorflowjs files read back): for
   `--figure-tunes` held-out tunes, the tune itself, and one tune written by the model after the
   same header, without and with the bar-aware mask (training.music.sampler, the browser's
   defaults: temperature 0.8, top-p 0.95). Each set is measured by training.music.metrics.
3. The card gets the figures (metrics, each with its metrics_method) and the music extras, and
   kit.export.atomic_export puts the folder in place (exported_models/music/NAME).
"""
from __future__ import annotations

import copy
import random
import shutil
from pathlib import Path

from training.kit import runs
from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export
from training.kit.files import read_json, write_json
from training.music import grammar
from training.music.metrics import figures as measure
from training.music.sampler import BatchRunner, write_tunes
from training.music.train import STUDIO, recorded_shifts, run_reader
from training.poems.corpus import MAX_VOCAB
from training.poems.export import export as poems_export
from training.poems.run import read_run_corpus

FIGURES_FILE = "figures.json"
SETS = (("real", "held-out tunes as written"), ("sampled", "written by the model, plain sampling"),
        ("bar_aware", "written by the model with the bar-aware mask"))
SHARES = ("abc2midi_parse_share", "bar_length_share", "repeat_structure_share")


def share_method(share: str, which: str, n: int, settings: str) -> str:
    what = {
        "abc2midi_parse_share": "share of tunes that Debian's abc2midi converts to MIDI without an 'Error' line "
                                "(each tune alone in a file; warnings allowed)",
        "bar_length_share": "share of bars whose duration (our ABC duration parser, training/music/durations.py) equals "
                            "M:/L:, over all bars of the set; a bar next to the tune's start or end or to a section bar "
                            "line (|: :| :: || |]) may also be short (pickup or its complement), never long; empty "
                            "segments between bar lines are not bars",
        "repeat_structure_share": "share of tunes whose sections are well formed (|: closed by :|, [1 ending in :| "
                                  "and followed by [2) and whole (at least two sections in played order, each a "
                                  "multiple of 4 bars, a short first bar not counted), training/music/metrics.py "
                                  "structure()",
    }[share]
    if which == "real":
        return f"{what}; {n} held-out tunes (validation split, whole tunes, seeded pick), as written in normal form"
    mask = "with the bar-aware mask (training/music/grammar.py)" if which == "bar_aware" else "without any mask"
    return (f"{what}; {n} tunes written by the exported weights (as stored, read back from the tensorflowjs files) "
            f"after the header (X, T, M, L, Q, K) of each of the same {n} held-out tunes, {settings}, {mask}")


def pick_tunes(corpus, count: int, seed: int):
    tunes = list(corpus.val_tunes)
    random.Random(f"{seed}:figures").shuffle(tunes)
    return tunes[:count]


def musical_figures(folder: Path, corpus, args, seed: int) -> tuple[dict, dict, dict]:
    """(metrics, metrics_method, figures.json) of the model in `folder` (an exported model)."""
    from training.poems.model import architecture, load_model_dir, step_model_from

    config, weights = load_model_dir(folder)
    tunes = pick_tunes(corpus, args.figure_tunes, seed)
    runner = BatchRunner(step_model_from(weights, architecture(config), len(config["chars"])), len(tunes))
    headers = [t.header for t in tunes]
    sampling = dict(temperature=args.figure_temperature, top_p=args.figure_top_p, max_chars=args.figure_max_chars)
    settings = (f"temperature {args.figure_temperature:g}, top-p {args.figure_top_p:g}, until the blank line that "
                f"ends a tune or {args.figure_max_chars} characters, one seeded generator per tune (all tunes "
                "written at once, one row each of a batched copy of the model, each row its own LSTM state)")
    written = {"sampled": write_tunes(runner, config["chars"], headers, seed, bar_aware=False, **sampling),
               "bar_aware": write_tunes(runner, config["chars"], headers, seed, bar_aware=True, **sampling)}
    texts = {"real": [t.text for t in tunes], **{k: [w.text for w in v] for k, v in written.items()}}
    measured = {k: measure(v) for k, v in texts.items()}
    metrics, methods = {"figure_tunes": len(tunes)}, {"figure_tunes": "held-out tunes measured, and tunes written "
                                                                      "each way, for the musical figures"}
    for which, _ in SETS:
        for share in SHARES:
            key = f"{share}_{which}"
            metrics[key] = measured[which][share]
            methods[key] = share_method(share, which, len(tunes), settings)
    for which in written:
        key = f"ended_share_{which}"
        metrics[key] = round(sum(w.ended for w in written[which]) / len(tunes), 4)
        methods[key] = f"share of the {which.replace('_', '-')} tunes that ended by themselves (blank line) before {args.figure_max_chars} characters"
    metrics["mask_fallbacks_bar_aware"] = sum(w.fallbacks for w in written["bar_aware"])
    methods["mask_fallbacks_bar_aware"] = ("steps, over all bar-aware tunes, where the mask left no character the model "
                                           "gave probability, so the tune went on unmasked")
    report = {"settings": {"tunes": len(tunes), "seed": seed, **sampling},
              "sets": {which: {"about": about, **measured[which]} for which, about in SETS},
              "examples": {k: [w.text for w in v[:3]] for k, v in written.items()}}
    return metrics, methods, report


def corpus_methods(shifts: list[int]) -> dict[str, str]:
    """The poems card's corpus counts, said for tunes."""
    return {
        "corpus_chars": "characters of every tune of the corpus in normal form (training/music/abc.py), tunes joined "
                        "by a blank line not counted",
        "corpus_lines": "lines of every tune of the corpus in normal form",
        "train_chars": f"characters of the training text: the training tunes in the key shifts {shifts} (semitones), "
                       "shuffled, joined by blank lines",
        "val_chars": "characters of the held-out text: the validation tunes as written, joined by blank lines",
    }


def music_extras(corpus) -> dict:
    return {"figures": FIGURES_FILE, "grammar": "training/music/grammar.py", "ticks_per_unit": grammar.TICKS,
            "header_values": {"M": list(grammar.METERS), "L": list(grammar.UNITS), "K": list(grammar.KEYS)},
            "train_tunes": len(corpus.train_tunes), "val_tunes": len(corpus.val_tunes)}


def export(args) -> int:
    run = runs.existing_run(STUDIO, args.name, args.runs_dir)
    config = runs.read_config(run)
    corpus = read_run_corpus(config, run_reader(config), MAX_VOCAB)
    target = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / STUDIO / args.name
    staging = run / "staging" / target.name
    shutil.rmtree(staging.parent, ignore_errors=True)
    staged = copy.copy(args)
    staged.out = str(staging)
    if staged.default_seed is None:  # a header the model knows: the first held-out tune's
        staged.default_seed = pick_tunes(corpus, 1, config["seed"])[0].header
    poems_export(staged, STUDIO, run_reader(config))
    card = read_json(staging / "card.json")
    metrics, methods, report = musical_figures(staging, corpus, args, config["seed"])
    card["metrics"].update(metrics)
    card["metrics_method"].update(methods)
    card["extras"].update(music_extras(corpus))
    card["metrics_method"].update(corpus_methods(recorded_shifts(config)))
    card.pop("files", None)

    def write(tmp: Path) -> dict:
        for path in sorted(staging.rglob("*")):
            if path.is_file() and path.name != "card.json":
                (tmp / path.relative_to(staging)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, tmp / path.relative_to(staging))
        write_json(tmp / FIGURES_FILE, report)
        return card

    atomic_export(target, write)
    shutil.rmtree(staging.parent, ignore_errors=True)
    for which, about in SETS:
        print(f"{about}: " + ", ".join(f"{s} {metrics[f'{s}_{which}']:.3f}" for s in SHARES))
    return 0
