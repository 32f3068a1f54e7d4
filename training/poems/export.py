"""Export of a character model for the browser: `export(args, studio, reader)` writes
`exported_models/<studio>/<name>/` (the studio is a parameter, as in train.py).

Export builds a *stateful, batch-1, one-step* copy of the network (the browser feeds one
character at a time and keeps the LSTM state inside the layers), copies the run's best
weights into it and writes a tensorflowjs layers model (float16 when the next-character
probabilities stay within `--float16-tolerance`), the vocabulary, held-out lines for
"Real or fake?", a parity reference, uint8 snapshots for "watch it learn" and the card
(kit.card.build_card; kit.export.atomic_export checks it and renames it into place).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from training.kit import runs
from training.kit.card import build_card
from training.kit.errors import UserError
from training.kit.export import DEFAULT_EXPORT_ROOT, atomic_export, save_tfjs_layers
from training.kit.files import folder_bytes, write_json
from training.kit.machine import set_threads
from training.kit.quantise import choose_dtype, round_weights
from training.poems.corpus import MAX_VOCAB, Corpus, Reader, encode
from training.poems.model import (BEST, architecture, build_model, load_model_dir, load_run_weights,
                                  set_weights_by_layer, step_model_from)
from training.poems.evaluate import STATEFUL_METHOD, windowed_method
from training.poems.run import read_run_corpus, run_command, source_command, takes_split
from training.poems.sample import DEFAULT_SEED_TEXT, StepRunner, softmax
from training.poems.report import bits

PARITY_BOUND = 1e-4  # one-step copy vs training model, float32 weights
GREEDY_CHARS = 40


def split_text(config: dict) -> str:
    if config.get("split_by") == "tail":
        return f"the last {config['val_fraction']:.0%} of the corpus text (tail split, cut at a character)"
    return (f"{config['val_fraction']:.0%} of the corpus in whole {config['split_by']} "
            f"(seeded shuffle with seed {config['seed']})")


def metrics_method(config: dict, probe_chars: int, primer_chars: int) -> dict[str, str]:
    """How each card metric is computed, in the run's own terms."""
    seq = config["seq_len"]
    scored = (f"held-out split ({split_text(config)}), every target of it (each character after the first, "
              "predicted from the held-out characters before it); mean cross-entropy of the float32 best weights "
              "(the best validation of the run), dropout off, before rounding for storage")
    windowed = f"{scored}; {windowed_method(seq)} — the figure compared across runs"
    stateful = f"{scored}; {STATEFUL_METHOD}"
    return {
        "val_bits_per_char": windowed + "; in bits (nats / ln 2)",
        "val_nats_per_char": windowed + "; in nats",
        "val_bits_per_char_stateful": stateful + "; in bits (nats / ln 2)",
        "val_nats_per_char_stateful": stateful + "; in nats",
        "train_bits_per_char": ("training split, at the best validation: mean of the per-batch training losses since "
                                f"the start of that epoch (batches of {config['batch']} x {seq} characters, "
                                f"{'state carried across batches' if config.get('carry') else 'windows from a zero state'}), "
                                "dropout on, weights changing during the epoch; in bits"),
        "corpus_chars": "characters of every corpus file as read (NFC, \\n line endings)",
        "corpus_lines": "lines of every corpus file (newlines, plus a last line without one)",
        "train_chars": "characters of the training split",
        "val_chars": "characters of the held-out split",
        "vocab_size": "distinct characters of the corpus and newline (after the source model's when fine-tuned)",
        "float16_max_prob_diff": (f"max |Δp| over the next-character distributions after each of the first "
                                  f"{probe_chars} validation characters, fed one at a time to the stateful one-step "
                                  "model from a reset state: float16-rounded against float32 best weights"),
        "step_vs_training_max_prob_diff": (f"max |Δp| between the stateful one-step model after the "
                                           f"{primer_chars}-character primer (reference.json) fed one character at "
                                           "a time and the training model's last-step distribution over the whole "
                                           "primer; float32 best weights"),
    }


def held_out_losses(config: dict, weights: dict, corpus: Corpus) -> tuple[float, float]:
    """(windowed, stateful) held-out loss in nats of `weights` (evaluate.py)."""
    from training.poems.evaluate import Scorer

    model = build_model(len(config["chars"]), **architecture(config), carry=True, kernel=config.get("lstm_kernel", "keras"))
    set_weights_by_layer(model, weights)
    scorer = Scorer(model, config["layers"], config["units"], config["seq_len"])
    ids = np.array(encode(corpus.val_text, config["chars"]), np.int32)
    return scorer.windowed(ids), scorer.stateful(ids)


def previous_model(folder: Path, config: dict, corpus: Corpus, reader: Reader) -> tuple[dict, dict]:
    """(metrics, methods) of an earlier export of this model scored on this run's held-out split the way
    this run is (windows of this run's --seq-len), and how much of that held-out text it trained on."""
    from training.kit.files import read_json
    from training.poems.evaluate import Scorer

    old, weights = load_model_dir(folder)
    if old["chars"] != config["chars"]:
        raise UserError(f"--previous {folder}: its vocabulary differs from this run's; it cannot be scored on this split")
    model = build_model(len(old["chars"]), old["layers"], old["units"], old["embed"], carry=True)
    set_weights_by_layer(model, weights)
    ids = np.array(encode(corpus.val_text, config["chars"]), np.int32)
    scorer = Scorer(model, old["layers"], old["units"], config["seq_len"])
    windowed, stateful = scorer.windowed(ids), scorer.stateful(ids)
    card = read_json(folder / "card.json") if (folder / "card.json").exists() else {}
    said = card.get("training", {}).get("split", "")
    old_split = next((k for k in ("tail", "files", "blocks") if k in said), None)
    metrics = {"previous_model_val_nats_per_char": round(windowed, 4),
               "previous_model_val_nats_per_char_stateful": round(stateful, 4)}
    what = (f"the model shipped before this one ({old['layers']} x {old['units']} LSTM, "
            f"{card.get('training', {}).get('epochs', '?')} epochs, {said or 'split unknown'}; trained "
            f"{card.get('training', {}).get('date', card.get('date', '?'))}), its exported weights scored on this "
            "card's held-out split exactly as val_nats_per_char")
    methods = {"previous_model_val_nats_per_char": f"{what}; windowed",
               "previous_model_val_nats_per_char_stateful": f"{what}; stateful"}
    if old_split and old_split != config.get("split_by") and takes_split(reader):
        own = reader(config["corpus"], val_fraction=config["val_fraction"], seed=config["seed"],
                     max_vocab=max(MAX_VOCAB, len(config["chars"])), split=old_split)
        seen = set(own.train_text.split("\n"))
        lines = [line for line in corpus.val_text.split("\n") if len(line) >= 20]
        share = sum(len(line) for line in lines if line in seen) / max(1, sum(len(line) for line in lines))
        metrics["previous_model_heldout_seen"] = round(share, 4)
        methods["previous_model_heldout_seen"] = (
            f"share (by characters) of this held-out text's lines of 20+ characters that occur as lines of the previous "
            f"model's own training text ({old_split} split): it trained on them, so its figure here is not a held-out one")
    print(f"previous model {folder}: {windowed:.4f} nats windowed, {stateful:.4f} stateful on this split"
          + (f"; {metrics['previous_model_heldout_seen']:.1%} of these lines were in its training text"
             if "previous_model_heldout_seen" in metrics else ""))
    return metrics, methods


def epochs_trained(state) -> float:
    per_epoch = state.get("steps_per_epoch")
    if per_epoch and state.get("step_in_epoch"):
        return round(state["epoch"] + state["step_in_epoch"] / per_epoch, 3)
    return state["epoch"]


def schedule_record(config: dict, state) -> dict:
    """How the run's batches and learning rate went, for the card (runs before plans: nothing)."""
    if not state.get("plan_from"):
        return {}
    return {"carry": bool(config.get("carry")), "lr_schedule": config.get("lr_schedule"),
            "warmup": config.get("warmup"), "lr_floor": config.get("lr_floor"), "clip": config.get("clip"),
            **({"average_from": config["average_from"]} if config.get("average_from") is not None else {}),
            **({"reset_rows": config["reset_rows"]} if config.get("reset_rows") else {}),
            **({"weight_decay": config["weight_decay"]} if config.get("weight_decay") else {}),
            "plan_from": state["plan_from"], "planned_steps": state.get("plan_steps"),
            "chosen_by_sizing": config.get("chosen", [])}


def _snapshots(state, wanted: list[int] | None) -> list[tuple[int, float]]:
    return [(int(ep), val) for ep, val in sorted(state.get("snapshots", {}).items(), key=lambda kv: int(kv[0]))
            if wanted is None or int(ep) in wanted]


class Check:
    """The parity checks of one export: which dtype the weights ship as, and the reference."""

    def __init__(self, args, config: dict, weights: dict, corpus: Corpus):
        chars = config["chars"]
        self.step_model = step_model_from(weights, architecture(config), len(chars))
        runner = StepRunner(self.step_model)
        self.probe = encode(corpus.val_text, chars)[: args.probe_chars] or encode(DEFAULT_SEED_TEXT, chars)
        p32 = runner.distributions(self.probe)

        def prob_diff(dtype: str) -> float:
            set_weights_by_layer(self.step_model, round_weights(weights, dtype))
            return float(np.abs(runner.distributions(self.probe) - p32).max())

        self.dtype, diffs = choose_dtype(prob_diff, args.float16_tolerance, ("float16",))
        self.dtype = self.dtype if args.float16 else "float32"
        self.f16_diff = diffs["float16"]
        print(f"float16 weights: max |Δp| over {len(self.probe)} validation characters = {self.f16_diff:.2e} "
              f"(tolerance {args.float16_tolerance:g}) -> {self.dtype}")
        self.stored = round_weights(weights, self.dtype)

        self.default_seed = args.default_seed
        if self.default_seed is None:
            lines = corpus.real_lines(1, config["seed"], 15, 60)
            self.default_seed = lines[0] + "\n" if lines else "\n"
        primer = args.primer or self.default_seed
        unknown = sorted({c for c in primer if c not in chars})
        if unknown:
            raise UserError(f"the primer has characters outside the vocabulary: {unknown}")
        ids = encode(primer, chars)
        set_weights_by_layer(self.step_model, weights)
        ref32 = softmax(runner.prime(ids))
        set_weights_by_layer(self.step_model, self.stored)
        self.reference = {
            "primer": primer,
            "primer_ids": ids,
            "dtype": self.dtype,
            "probs_float32": [float(v) for v in ref32.astype(np.float32)],
            "probs_exported": [float(v) for v in softmax(runner.prime(ids)).astype(np.float32)],
            "greedy_continuation": runner.greedy(ids, chars, GREEDY_CHARS),
            "note": "softmax of the one-step model's logits after feeding the primer one character at a time "
                    "from a reset state; probs_exported uses the weights as stored in the shards",
        }
        # the training (stateless) model's last-step distribution for the same text: parity of the step copy
        train_model = build_model(len(chars), **architecture(config))
        set_weights_by_layer(train_model, weights)
        train_last = softmax(train_model(np.array([ids], np.int32), training=False).numpy()[0, -1])
        self.parity = float(np.abs(train_last - ref32).max())
        print(f"one-step model vs training model, last-step distribution after the primer: max |Δp| = {self.parity:.2e}")
        if self.parity > PARITY_BOUND:
            raise UserError("the stateful one-step copy does not reproduce the training model "
                            f"(max |Δp| {self.parity:.2e} > {PARITY_BOUND:g})")


def export(args, studio: str, reader: Reader) -> int:
    """Export the best weights of a run for the browser."""
    run = runs.existing_run(studio, args.name, args.runs_dir)
    if not (run / BEST).exists():
        raise UserError(f"{run} has no finished epoch to export")
    set_threads(args.threads, args.deterministic)  # after the checks above: they need no TensorFlow
    config, weights = load_run_weights(run)
    state = runs.RunState(run)
    chars, arch = config["chars"], architecture(config)
    best = next(h for h in state["history"] if h.get("step", h["epoch"]) == state.get("best_step", state["best_epoch"]))
    corpus = read_run_corpus(config, reader, MAX_VOCAB)
    check = Check(args, config, weights, corpus)
    windowed, stateful = held_out_losses(config, weights, corpus)
    previous = previous_model(Path(args.previous), config, corpus, reader) if args.previous else ({}, {})
    print(f"held-out loss of the best weights: {windowed:.4f} nats/char windowed ({bits(windowed):.4f} bits; "
          f"recorded in training {best['val_loss']:.4f}), {stateful:.4f} nats/char stateful ({bits(stateful):.4f} bits)")
    snaps = _snapshots(state, args.snapshots)
    out = Path(args.out) if args.out else DEFAULT_EXPORT_ROOT / studio / args.name
    step_model = check.step_model

    def write(tmp: Path) -> dict:
        set_weights_by_layer(step_model, check.stored)
        step_model.reset_states()
        save_tfjs_layers(step_model, tmp, check.dtype)
        snap_entries = []
        for ep, val_bpc in snaps:
            set_weights_by_layer(step_model, load_run_weights(run, f"snapshot:{ep}")[1])
            entry = f"snapshots/epoch-{ep:03d}/model.json"
            (tmp / entry).parent.mkdir(parents=True)
            save_tfjs_layers(step_model, (tmp / entry).parent, args.snapshot_dtype)
            snap_entries.append({"epoch": ep, "entry": entry, "val_bits_per_char": round(float(val_bpc), 4),
                                 "weights_dtype": args.snapshot_dtype})
        write_json(tmp / "vocab.json", {"chars": chars, "normalization": corpus.normalization})
        write_json(tmp / "real_lines.json", {"lines": corpus.real_lines(args.real_lines, config["seed"]),
                                             "source": "held-out validation split of the corpus"})
        write_json(tmp / "reference.json", check.reference)
        size = folder_bytes(tmp)
        if args.max_mb and size > args.max_mb * 2 ** 20:  # MiB, as tests/unit/test_cards.py counts
            raise UserError(f"export is {size / 2 ** 20:.2f} MiB, over --max-mb {args.max_mb}; "
                            "use fewer snapshots or a smaller network")
        init = config.get("init_from")
        cmd = run_command(config, state, studio)
        if init and init.get("command"):
            cmd = f"{source_command(init, studio)} && {cmd}"
        note, trained_on = args.hardware_note, state.get("hardware")
        metrics = {
            "val_bits_per_char": round(bits(windowed), 4),
            "train_bits_per_char": round(best["train_bpc"], 4),
            "val_nats_per_char": round(windowed, 4),
            "val_bits_per_char_stateful": round(bits(stateful), 4),
            "val_nats_per_char_stateful": round(stateful, 4),
            "corpus_chars": corpus.n_chars,
            "corpus_lines": corpus.n_lines,
            "train_chars": len(corpus.train_text),
            "val_chars": len(corpus.val_text),
            "vocab_size": len(chars),
            "float16_max_prob_diff": check.f16_diff,
            "step_vs_training_max_prob_diff": check.parity,
            **previous[0],
        }
        return build_card(
            studio=studio, name=out.name, title=args.title or f"{config['corpus_name']} poet",
            description=args.description or (
                f"A character-level LSTM ({arch['layers']} x {arch['units']}) trained on {config['corpus_name']}; "
                "it writes one character at a time."),
            parameters=int(step_model.count_params()), weights_dtype=check.dtype, credits=args.credits or "",
            training={
                "dataset": args.dataset or f"{config['corpus_name']} ({corpus.n_chars:,} characters)",
                "dataset_licence": args.dataset_licence or "see the corpus",
                "command": cmd,
                "epochs": epochs_trained(state),
                "steps": int(state.get("steps", 0)),
                "wall_time_s": round(float(state["wall_time_s"]), 1),
                **({"hardware": ", ".join(filter(None, [trained_on, note]))} if trained_on else {}),
                "best_epoch": state["best_epoch"],
                "architecture": {**arch, "seq_len": config["seq_len"], "batch": config["batch"], "lr": config["lr"],
                                 "optimizer": "AdamW" if config.get("weight_decay") else "Adam", **schedule_record(config, state)},
                "split": f"validation = {split_text(config)}",
                **({"init_from": init} if init else {}),
                **({"stopped": state["finished"]} if state.get("finished") else {}),
            },
            metrics=metrics,
            metrics_method={**metrics_method(config, len(check.probe), len(check.reference["primer"])), **previous[1]},
            hardware_note=note,
            extras={
                "vocab": "vocab.json",
                "real_lines": "real_lines.json",
                "reference": "reference.json",
                "corpus": config["corpus_name"],
                "default_seed": check.default_seed,
                "snapshots": snap_entries,
                "stateful": True,
                "input": "char id int32 [1,1]",
                "output": "logits [1,V]",
                **corpus.extras(),
            },
        )

    atomic_export(out, write)
    print(f"best epoch {state['best_epoch']}, validation {best['val_bpc']:.4f} bits/char; {len(snaps)} snapshot(s)")
    return 0
