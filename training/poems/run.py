"""A character model's run folder: starting a run (its config, first state and fine-tuning
source) or resuming one, and the command that reproduces it for the card.

The run lives in `<runs>/<studio>/<name>/` (kit.runs). `config.json` says what the run is
(corpus and split, vocabulary, network and batch shape — those the command line did not give
are chosen by sizing.py and listed in `chosen` —, schedule, caps, the train argv);
`state.json` how far it got (epoch, step inside the epoch, global step, the plan, best
validation loss, history, snapshots, wall time).
"""
from __future__ import annotations

import inspect
import shlex
import shutil
from pathlib import Path

from training.kit import command, runs
from training.kit.errors import UserError
from training.kit.files import read_json
from training.poems import sizing
from training.poems.corpus import Corpus, Reader
from training.poems.model import load_model_dir, resolve_model_path


def fresh_state() -> dict:
    return {"epoch": 0, "step_in_epoch": 0, "partial_loss_sum": 0.0, "best_val_bpc": None, "best_epoch": 0,
            "bad_epochs": 0, "wall_time_s": 0.0, "history": [], "snapshots": {}, "finished": None,
            "ckpt": None, "steps": 0, "plan_steps": None}


def reproduce_command(config: dict, epochs: float | None, studio: str, steps: int | None = None) -> str:
    """The run's train command with the amount trained (`--epochs`, or `--steps` for a run planned
    from a time budget), the shape sizing.py chose written out, and without the session-only
    flags. Runs recorded before the argv was kept are parsed from their command; an exported
    model's command is already final."""
    prefix = f"python -m training {studio} train "
    if config.get("argv") is not None:
        words = list(config["argv"])
        words = words[1:] if words[:1] == ["train"] else words  # older runs kept the sub-command too
    elif config.get("command", "").startswith(prefix) and not config.get("exported") and "&&" not in config["command"]:
        words = shlex.split(config["command"])[5:]
    else:
        return config.get("command", "")
    drop = {**command.SESSION_FLAGS, "--budget-clock": 1, **({"--plan-minutes": 1} if steps else {})}
    words = command.clean_argv(words, drop)  # with the steps trained written in, the time plan is not needed
    for key in config.get("chosen", []):
        words = command.set_flag(words, "--" + key.replace("_", "-"), config[key])
    return command.reproduce(studio, "train", words, epochs=epochs or None, steps=steps)


def run_command(config: dict, state, studio: str) -> str:
    """The card's command of a run: what its plan was made of (see schedule.py)."""
    if state.get("plan_from") == "budget":
        return reproduce_command(config, None, studio, steps=state["steps"])
    if state.get("plan_from"):
        return reproduce_command(config, config.get("epochs"), studio, steps=config.get("steps"))
    return reproduce_command(config, state["epoch"], studio)  # runs before plans: the epochs trained


def source_command(init: dict, studio: str) -> str:
    """The command of a fine-tuning run's source (its config as recorded in `init_from`)."""
    if init.get("plan_from") == "budget":
        return reproduce_command(init, None, studio, steps=init.get("trained_steps"))
    if init.get("plan_from"):
        return reproduce_command(init, init.get("epochs"), studio, steps=init.get("steps"))
    return reproduce_command(init, init.get("best_epoch") or init.get("epochs"), studio)  # sources before plans


def takes_split(reader: Reader) -> bool:
    params = inspect.signature(reader).parameters.values()
    return any(p.name == "split" or p.kind is p.VAR_KEYWORD for p in params)


def corpus_options(args, reader: Reader, base_vocab: list[str] | None = None) -> dict:
    options = {"val_fraction": args.val_fraction, "seed": args.seed, "max_vocab": args.max_vocab,
               "base_vocab": base_vocab}
    if takes_split(reader):
        options["split"] = args.split
    elif args.split != "auto":
        raise UserError(f"--split {args.split}: this studio's corpora are split by their own units")
    return options


def read_run_corpus(config: dict, reader: Reader, max_vocab: int) -> Corpus:
    """The corpus of a run, read again the way the run first read it; refused if it changed."""
    split = {"split": config["split"]} if config.get("split") and takes_split(reader) else {}
    corpus = reader(config["corpus"], val_fraction=config["val_fraction"], seed=config["seed"],
                    max_vocab=max(max_vocab, len(config["chars"])),
                    base_vocab=config["chars"] if config.get("init_from") else None, **split)
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
        if arch[k] is not None and arch[k] != src_config[k]:
            print(f"note: --{k} {arch[k]} ignored, the network comes from {src} ({k}={src_config[k]})")
        arch[k] = src_config[k]
    src_state = read_json(src / runs.STATE) if (src / runs.STATE).exists() else {}
    return src_config["chars"], {
        "path": str(src.resolve()), "command": src_config.get("command", ""), "argv": src_config.get("argv"),
        "chosen": src_config.get("chosen", []), **{k: src_config.get(k) for k in sizing.KEYS + ("epochs", "steps")},
        "trained_epochs": src_state.get("epoch"), "trained_steps": src_state.get("steps"),
        "plan_from": src_state.get("plan_from"), "best_epoch": src_state.get("best_epoch"),
        "val_bits_per_char": src_state.get("best_val_bpc")}


def cpu_has_bf16() -> bool:
    """The CPU multiplies bfloat16 natively (AVX512-BF16 or AMX; Linux /proc/cpuinfo)."""
    try:
        flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


def lstm_kernel(choice: str) -> str:
    """`--lstm-kernel auto`: Keras' (cuDNN) with a GPU, the loop kernel in bfloat16 on a CPU that
    multiplies bfloat16 natively (elsewhere bfloat16 products are emulated, slower), else in float32."""
    if choice != "auto":
        return choice
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "keras"
    return "loop-bf16" if cpu_has_bf16() else "loop"


def new_config(args, studio: str, reader: Reader) -> dict:
    given = {k: getattr(args, k) for k in sizing.KEYS if getattr(args, k) is not None}
    arch = {k: given.get(k) for k in ("layers", "units", "embed")}
    base_chars, init = _init_source(args, studio, arch) if args.init_from else (None, None)
    given.update({k: v for k, v in arch.items() if v is not None})
    corpus = reader(args.corpus, **corpus_options(args, reader, base_chars))
    minutes = (args.max_minutes if args.plan_minutes is None else args.plan_minutes) or None
    shape = {**sizing.choose(minutes, len(corpus.train_text)), **given}
    return {
        "version": 2,
        "studio": studio,
        "name": args.name,
        "corpus": str(Path(args.corpus).resolve()),
        "corpus_name": args.corpus_name or corpus.name,
        "chars": corpus.chars,
        **{k: shape[k] for k in sizing.KEYS},
        "chosen": [k for k in sizing.KEYS if k not in given],
        "sizing": sizing.describe(minutes, len(corpus.train_text)),
        "carry": args.carry,
        "lstm_kernel": lstm_kernel(args.lstm_kernel),
        "lr_schedule": args.lr_schedule,
        "warmup": args.warmup,
        "lr_floor": args.lr_floor,
        "clip": args.clip,
        "weight_decay": args.weight_decay,
        "average_from": args.average_from,
        "lr_decay": args.lr_decay,
        "lr_decay_after": args.lr_decay_after,
        "split": args.split,
        "val_fraction": args.val_fraction,
        "seed": args.seed,
        "patience": args.patience,
        "epochs": args.epochs,
        "steps": args.steps,
        "plan_minutes": minutes,
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
        given = {"epochs": args.epochs_given, "steps": args.steps_given, "plan_minutes": args.plan_minutes is not None}
        for cap in (k for k, was_given in given.items() if was_given):  # given again: replaces the run's, re-plans
            if config.get(cap) != (getattr(args, cap) or None):
                config[cap] = getattr(args, cap) or None
                runs.write_config(run, config)
        best = "none yet" if state["best_val_bpc"] is None else f"{state['best_val_bpc']:.4f} bits/char"
        print(f"resuming run {run} at epoch {state['epoch']} step {state['step_in_epoch']} "
              f"(best validation {best}, {state['wall_time_s']:.0f} s so far)")
        if state.get("finished") and not (args.epochs_given or args.steps_given or args.plan_minutes is not None):
            print(f"run already finished ({state['finished']}); pass a larger --epochs, --steps or --plan-minutes "
                  "to train further")
            return None
        return config, state
    if (run / runs.STATE).exists() and not args.force:
        raise UserError(f"run {run} exists; use --resume to continue it or --force to start over")
    _clear(run)
    config = new_config(args, studio, reader)
    runs.write_config(run, config)  # every worker keeps its own copy (multiworker resume)
    return config, runs.RunState(run, fresh_state())
