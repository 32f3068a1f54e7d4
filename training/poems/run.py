"""A character model's run folder: starting a run (its config, first state and fine-tuning
source) or resuming one, and the command that reproduces it for the card.

The run lives in `<runs>/<studio>/<name>/` (kit.runs). `config.json` says what the run is
(corpus, vocabulary, network, schedule, the train argv); `state.json` how far it got
(epoch, step inside the epoch, best validation loss, history, snapshots, wall time).
"""
from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from training.kit import command, runs
from training.kit.errors import UserError
from training.kit.files import read_json
from training.poems.corpus import Corpus, Reader
from training.poems.model import load_model_dir, resolve_model_path


def fresh_state() -> dict:
    return {"epoch": 0, "step_in_epoch": 0, "partial_loss_sum": 0.0, "best_val_bpc": None, "best_epoch": 0,
            "bad_epochs": 0, "wall_time_s": 0.0, "history": [], "snapshots": {}, "finished": None,
            "ckpt": None, "steps": 0}


def reproduce_command(config: dict, epochs: int | None, studio: str) -> str:
    """The run's train command with the epochs actually trained (across resumes) and without
    the session-only flags. Runs recorded before the argv was kept are parsed from their
    command; an exported model's command is already final."""
    prefix = f"python -m training {studio} train "
    if config.get("argv") is not None:
        words = list(config["argv"])
        words = words[1:] if words[:1] == ["train"] else words  # older runs kept the sub-command too
    elif config.get("command", "").startswith(prefix) and not config.get("exported") and "&&" not in config["command"]:
        words = shlex.split(config["command"])[5:]
    else:
        return config.get("command", "")
    return command.reproduce(studio, "train", words, epochs=epochs or None)


def corpus_options(args, base_vocab: list[str] | None = None) -> dict:
    return {"val_fraction": args.val_fraction, "seed": args.seed, "max_vocab": args.max_vocab, "base_vocab": base_vocab}


def read_run_corpus(config: dict, reader: Reader, max_vocab: int) -> Corpus:
    """The corpus of a run, read again the way the run first read it; refused if it changed."""
    corpus = reader(config["corpus"], val_fraction=config["val_fraction"], seed=config["seed"],
                    max_vocab=max(max_vocab, len(config["chars"])),
                    base_vocab=config["chars"] if config.get("init_from") else None)
    if corpus.chars != config["chars"]:
        raise UserError(f"the corpus at {config['corpus']} changed since the run started (vocabulary differs)")
    return corpus


def _clear(run: Path) -> None:
    """Empty a run folder for a new start (--force, or a run that never reached its first checkpoint)."""
    for stale in run.iterdir():
        if stale.is_dir() and stale.name != "workers":
            shutil.rmtree(stale)
        elif stale.is_file() and stale.suffix != ".log":  # keep the log a nohup may be writing
            stale.unlink()


def _init_source(args, studio: str, arch: dict) -> tuple[list[str], dict]:
    """(source vocabulary, config["init_from"]) of a fine-tuning run; the network shape comes from the source."""
    src = resolve_model_path(args.init_from, studio, args.runs_dir)
    src_config, _ = load_model_dir(src)
    for k in ("layers", "units", "embed"):
        if arch[k] != src_config[k] and getattr(args, f"{k}_given"):
            print(f"note: --{k} {arch[k]} ignored, the network comes from {src} ({k}={src_config[k]})")
        arch[k] = src_config[k]
    src_state = read_json(src / runs.STATE) if (src / runs.STATE).exists() else {}
    return src_config["chars"], {
        "path": str(src.resolve()), "command": src_config.get("command", ""), "argv": src_config.get("argv"),
        "epochs": src_state.get("epoch"), "best_epoch": src_state.get("best_epoch"),
        "val_bits_per_char": src_state.get("best_val_bpc")}


def new_config(args, studio: str, reader: Reader) -> dict:
    arch = {"layers": args.layers, "units": args.units, "embed": args.embed, "dropout": args.dropout}
    base_chars, init = _init_source(args, studio, arch) if args.init_from else (None, None)
    corpus = reader(args.corpus, **corpus_options(args, base_chars))
    return {
        "version": 1,
        "studio": studio,
        "name": args.name,
        "corpus": str(Path(args.corpus).resolve()),
        "corpus_name": args.corpus_name or corpus.name,
        "chars": corpus.chars,
        **arch,
        "seq_len": args.seq_len,
        "batch": args.batch,
        "lr": args.lr,
        "lr_decay": args.lr_decay,
        "lr_decay_after": args.lr_decay_after,
        "val_fraction": args.val_fraction,
        "seed": args.seed,
        "patience": args.patience,
        "epochs": args.epochs,
        "snapshots": sorted(set(args.snapshots)),
        "strategy": args.strategy,
        "init_from": init,
        "command": command.reproduce(studio, "train", args.argv),
        "argv": command.clean_argv(args.argv),
        "split_by": corpus.split_by,
    }


def open_run(args, studio: str, reader: Reader, run: Path) -> tuple[dict, runs.RunState] | None:
    """(config, state) of the run in `run`: resumed with --resume, else started afresh.
    None when a resumed run has already finished and no larger --epochs asks for more."""
    if args.resume and (run / runs.STATE).exists():
        config, state = runs.read_config(run), runs.RunState(run, fresh_state())
        best = "none yet" if state["best_val_bpc"] is None else f"{state['best_val_bpc']:.4f} bits/char"
        print(f"resuming run {run} at epoch {state['epoch']} step {state['step_in_epoch']} "
              f"(best validation {best}, {state['wall_time_s']:.0f} s so far)")
        if state.get("finished") and not args.epochs_given:
            print(f"run already finished ({state['finished']}); pass a larger --epochs to train further")
            return None
        return config, state
    if (run / runs.STATE).exists() and not args.force:
        raise UserError(f"run {run} exists; use --resume to continue it or --force to start over")
    _clear(run)
    config = new_config(args, studio, reader)
    runs.write_config(run, config)  # every worker keeps its own copy (multiworker resume)
    return config, runs.RunState(run, fresh_state())
