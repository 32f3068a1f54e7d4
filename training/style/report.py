"""Samples and reports: sample grids during training, and the held-out report of a run.

`report` measures a run's fast network (its checkpoint, or a snapshot with `--snapshot STEP`) on
every held-out photo x painting with the run's own loss network and weights, times a 256x256
prediction on this CPU, and optimises a Gatys reference for the first `--gatys-images` photos x
every painting (cached per run: it does not depend on the fast network), with the iteration at which Gatys
reaches the fast network's loss and both scored again by held-out judges (`--judge-seeds`: random loss
networks of seeds the run never trained with). It writes report.json
(report_stepNNNNNN.json for a snapshot) and report.md into the run folder; `export` reads them.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from training.kit import command, runs
from training.kit.errors import UserError
from training.kit.files import read_json, write_json
from training.kit.machine import set_threads
from training.style import data
from training.style.gatys import gatys_optimize
from training.style.progress import Progress
from training.style.train import STUDIO, Trainer

REPORT_FILE = "report.json"
TERMS = ("total", "content", "style_loss", "tv", "stripes")
# what a cached Gatys result depends on besides the pair (bump when the optimisation changes)
GATYS_CACHE_VERSION = "lbfgs-unit-scaled"


def report_file(step: int | None = None) -> str:
    """report.json (the final checkpoint) or report_stepNNNNNN.json (a snapshot)."""
    return f"report_step{step:06d}.json" if step else REPORT_FILE


def sample_grid(trainer: Trainer, path: Path, cell: int = 128) -> None:
    """Rows: styles (painting thumbnail, then the held-out photos stylised)."""
    from PIL import Image

    photos = [img for _, img in trainer.eval[:3]]
    cols = 1 + len(photos)
    grid = Image.new("RGB", (cols * cell, (trainer.num_styles + 1) * cell), "white")
    for j, img in enumerate(photos):
        grid.paste(Image.fromarray(img).resize((cell, cell)), ((j + 1) * cell, 0))
    batch = np.stack(photos).astype(np.float32)
    for s in range(trainer.num_styles):
        thumb = data.center_square(trainer.style_images[s], cell)
        grid.paste(Image.fromarray(thumb), (0, (s + 1) * cell))
        out = trainer.stylise(batch, np.eye(trainer.num_styles)[s])
        for j, o in enumerate(out):
            tile = Image.fromarray(np.clip(o, 0, 255).astype(np.uint8)).resize((cell, cell))
            grid.paste(tile, ((j + 1) * cell, (s + 1) * cell))
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.save(path)


def terms_row(terms) -> dict:
    """Loss terms as floats; the style term is stored as `style_loss` (`style` names the painting)."""
    t = {k: float(v) for k, v in terms.items()}
    return {"total": t["total"], "content": t["content"], "style_loss": t["style"], "tv": t["tv"]}


def evaluate_fast(trainer: Trainer) -> list[dict]:
    """Losses of the fast network on every held-out photo x style."""
    import tensorflow as tf

    rows = []
    for name, img in trainer.eval:
        x = img[None].astype(np.float32)
        feats = trainer.lossnet.features(x)
        outs = trainer.stylise(np.repeat(x, trainer.num_styles, 0), np.eye(trainer.num_styles))
        for s in range(trainer.num_styles):
            terms = trainer.lossnet.losses(tf.constant(outs[s:s + 1]), feats, trainer.targets(s), trainer.weights)
            rows.append({"image": name, "style": trainer.style_ids[s], **terms_row(terms), "stripes": stripe_excess(outs[s])})
    return rows


def stripe_excess(image) -> float:
    """training/style/stripes.py: the share of the image's spectral energy in narrow peaks at the
    frequencies of stripes repeating every 2, 4 or 8 pixels (0 for a photo, 1 for pure stripes)."""
    from training.style.stripes import peak_share

    return peak_share(image)["excess"]


def time_predict(model, num_styles: int, size: int = 256, repeats: int = 10) -> dict:
    """ms of one prediction of a random size x size image (style 0), after two warm-up runs."""
    import tensorflow as tf

    fn = tf.function(lambda a, b: model([a, b], training=False))
    x = tf.random.uniform((1, size, size, 3), 0, 255, seed=1)
    s = tf.one_hot([0], num_styles)
    for _ in range(2):
        fn(x, s).numpy()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x, s).numpy()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median": round(float(np.median(times)), 1), "min": round(float(np.min(times)), 1)}


def mean(rows, key="total"):
    return float(np.mean([r[key] for r in rows])) if rows else None


def load_run(args):
    """(run folder, config, state, Trainer) of the run `args.name`, which has saved a checkpoint."""
    set_threads(args.threads, args.deterministic)
    run, config, state = runs.checkpointed_run(STUDIO, args.name, args.runs_dir)
    return run, config, state.data, Trainer(config, run)


def gatys_reference(args, run: Path, config: dict, trainer: Trainer, fast: list[dict]) -> dict:
    """Gatys L-BFGS for the first --gatys-images held-out photos x every style, with side-by-side
    images (content | fast | Gatys) in report/; results cached in gatys_cache.json. `fast`: the rows of
    `evaluate_fast`, whose losses the Gatys histories are matched against."""
    from PIL import Image

    pairs = [(n, img, s) for n, img in trainer.eval[:args.gatys_images] for s in range(trainer.num_styles)]
    bar = Progress(len(pairs), label="gatys reference", every=1)
    t0 = time.monotonic()
    compare_dir = run / "report"
    cache_path = run / "gatys_cache.json"
    cache = read_json(cache_path) if cache_path.exists() else {}
    history_path = run / "gatys_history.json"
    histories = read_json(history_path) if history_path.exists() else {}
    rows, judged = [], []
    fast_total = {pair_key(r): r["total"] for r in fast}
    for i, (name, img, s) in enumerate(pairs):
        sid = trainer.style_ids[s]
        key = json.dumps([GATYS_CACHE_VERSION, name, sid, args.gatys_iterations, list(img.shape), trainer.weights,
                          trainer.lossnet.description, config["style_size"]])
        png = compare_dir / "gatys" / f"{name}_{sid}.png"
        if key in cache and key in histories and png.exists():
            final = cache[key]
        else:
            # a no-op callback makes gatys_optimize record the loss after every iteration
            image, final, history = gatys_optimize(img, trainer.style_images[s], trainer.lossnet, trainer.weights,
                                                   args.gatys_iterations, callback=lambda *_: None)
            data.save_png(image, png)
            cache[key], histories[key] = final, history
            write_json(cache_path, cache)
            write_json(history_path, histories)
        with Image.open(png) as im:  # the saved (rounded) image, fresh or cached, is what the judges see
            image = np.asarray(im.convert("RGB"), np.float32)
        fast_out = trainer.stylise(img, np.eye(trainer.num_styles)[s])[0]
        rows.append({"image": name, "style": sid, **terms_row(final), "stripes": stripe_excess(image),
                     "matched_at_iteration": matched_at(histories[key], fast_total[(name, sid)])})
        judged.append((name, img, s, fast_out, image))
        data.save_png(np.concatenate([img, fast_out, image], axis=1), compare_dir / f"{name}_{sid}.png")
        bar.update(i + 1, f"{name}/{sid} {final['total']:.4f}")
    bar.close()
    matched = [r["matched_at_iteration"] for r in rows]
    return {"iterations": args.gatys_iterations, "init": "content image", "seconds": round(time.monotonic() - t0, 1),
            "mean": {k: mean(rows, k) for k in TERMS}, "rows": rows,
            # the fast network's loss equals Gatys' after this many L-BFGS iterations (median over the pairs;
            # None for a pair Gatys never reaches down to within its iterations)
            "matched_at_iteration_median": finite_or_none(np.median([m if m is not None else np.inf for m in matched])),
            "judges": judge_reference(args, config, trainer, judged)}


def finite_or_none(x) -> float | None:
    """JSON has no infinity: None stands for it."""
    return float(x) if np.isfinite(x) else None


def matched_at(history: list[float], fast_total: float) -> int | None:
    """The first L-BFGS iteration (0: the content photo itself) whose Gatys loss is at or below
    `fast_total`; None when none of them is."""
    return next((i for i, h in enumerate(history) if h <= fast_total), None)


def judge_seeds(args, config: dict) -> list[int]:
    """The seeds of --judge-seeds (none for a VGG16 run), refused as one error line when malformed or when
    one of them is a loss network the run trained with."""
    from training.style.losses import RANDOM_SEED, parse_seeds

    if not args.judge_seeds or config["loss_net"] != "random":
        return []
    seeds = parse_seeds(args.judge_seeds, "--judge-seeds")
    trained = config.get("loss_seeds") or [RANDOM_SEED]
    if set(seeds) & set(trained):
        raise UserError(f"--judge-seeds {args.judge_seeds}: seed {sorted(set(seeds) & set(trained))[0]} is a loss "
                        f"network the run trained with ({', '.join(map(str, trained))}); a judge must be new to it")
    return seeds


def judge_reference(args, config: dict, trainer: Trainer, judged: list) -> dict | None:
    """The fast outputs and the Gatys images of the same pairs, scored by random-filter loss networks of
    other seeds (`--judge-seeds`): same layout, centring, weights and style-image size, but filters that
    neither the network's training nor the Gatys optimisation saw (held-out judges, as the photos are
    held out). None without judges, or for a VGG16 run."""
    import tensorflow as tf

    from training.style.losses import LossNet

    seeds = judge_seeds(args, config)
    if not seeds:
        return None
    per_judge = []
    for seed in seeds:
        judge = LossNet("random", seed=seed, centre_gram=config.get("centre_gram", []))
        targets = [judge.style_targets(im) for im in trainer.style_images]
        fast, gatys, photo_feats = [], [], {}
        for name, img, s, fast_out, image in judged:
            if name not in photo_feats:  # once per photo, not per photo x style
                photo_feats[name] = judge.features(tf.constant(img[None], tf.float32))
            feats = photo_feats[name]
            fast.append(float(judge.losses(fast_out[None], feats, targets[s], trainer.weights)["total"]))
            gatys.append(float(judge.losses(image[None], feats, targets[s], trainer.weights)["total"]))
        per_judge.append({"seed": seed, "fast_mean": float(np.mean(fast)), "gatys_mean": float(np.mean(gatys)),
                          "ratio_fast_to_gatys": float(np.mean(np.array(fast) / np.array(gatys)))})
    return {"seeds": seeds, "per_judge": per_judge,
            "ratio_fast_to_gatys": float(np.mean([j["ratio_fast_to_gatys"] for j in per_judge]))}


def pair_key(row: dict) -> tuple[str, str]:
    return row["image"], row["style"]


def report(args) -> int:
    """Held-out losses of a run (checkpoint or snapshot) vs. the Gatys reference, CPU timing"""
    run, config, state, trainer = load_run(args)
    if args.gatys_iterations > 0:
        judge_seeds(args, config)  # a bad --judge-seeds fails now, not after the Gatys optimisations
    if args.snapshot:
        trainer.model.load_weights(str(run / "snapshots" / f"step_{args.snapshot:06d}.weights.h5"))
        steps = args.snapshot
    else:
        steps = trainer.restore()
    fast = evaluate_fast(trainer)
    result = {"run": args.name, "arch": config["arch"], "steps": steps, "parameters": trainer.model.count_params(),
              "loss_network": trainer.lossnet.description, "weights": trainer.weights,
              "eval_images": [n for n, _ in trainer.eval], "styles": trainer.style_ids,
              "fast": {"mean": {k: mean(fast, k) for k in TERMS}, "rows": fast},
              "content_stripes": float(np.mean([stripe_excess(img) for _, img in trainer.eval])),
              "python_cpu_ms_256": time_predict(trainer.model, trainer.num_styles, 256),
              "command": command.reproduce(STUDIO, "report", args.argv)}
    if args.gatys_iterations > 0:
        gatys = gatys_reference(args, run, config, trainer, fast)
        pairs = {pair_key(g) for g in gatys["rows"]}
        fast_same = sorted((r for r in fast if pair_key(r) in pairs), key=pair_key)
        ratios = [f["total"] / g["total"] for f, g in zip(fast_same, sorted(gatys["rows"], key=pair_key))]
        gatys.update(fast_mean_same_pairs=mean(fast_same), ratio_fast_to_gatys=float(np.mean(ratios)) if ratios else None)
        result["gatys"] = gatys
    result["wall_time_s"] = state.get("wall_time_s")
    out = run / report_file(args.snapshot)
    write_json(out, result)
    out.with_suffix(".md").write_text(report_markdown(result), encoding="utf-8")
    print(report_markdown(result))
    return 0


def report_markdown(r: dict) -> str:
    f = r["fast"]["mean"]
    lines = [f"# Style report: {r['run']} ({r['arch']}, {r['parameters']} parameters, step {r['steps']})", "",
             f"Loss network: {r['loss_network']}", f"Loss weights: {r['weights']}",
             f"Held-out photos: {', '.join(r['eval_images'])}; styles: {', '.join(r['styles'])}",
             f"Python CPU predict at 256x256: {r['python_cpu_ms_256']['median']} ms (median), "
             f"{r['python_cpu_ms_256']['min']} ms (min)", "",
             "| method | total | content | style | tv |", "|---|---|---|---|---|",
             f"| fast network (all photos x styles) | {f['total']:.4f} | {f['content']:.4f} | {f['style_loss']:.4f} | {f['tv']:.5f} |"]
    if f.get("stripes") is not None:
        gs = (r.get("gatys") or {}).get("mean", {}).get("stripes")
        lines[-3:-3] = [f"Stripes (share of spectral energy in narrow peaks at periods 2, 4, 8 px; training/style/stripes.py): "
                        f"fast network {f['stripes'] * 100:.2f}%" + (f", Gatys {gs * 100:.2f}%" if gs is not None else "")
                        + f", the held-out photos themselves {r['content_stripes'] * 100:.2f}%", ""]
    g = r.get("gatys")
    if g:
        m = g["mean"]
        lines.append(f"| Gatys L-BFGS, {g['iterations']} iterations from the content image | {m['total']:.4f} | "
                     f"{m['content']:.4f} | {m['style_loss']:.4f} | {m['tv']:.5f} |")
        lines += ["", f"On the same {len(g['rows'])} photo x style pairs the fast network's total loss is "
                      f"{g['fast_mean_same_pairs']:.4f} vs Gatys {m['total']:.4f}; mean per-pair ratio fast/Gatys = "
                      f"{g['ratio_fast_to_gatys']:.3f}.",
                  "Side-by-side images (content | fast | Gatys) are in report/."]
        if g.get("matched_at_iteration_median") is not None:
            lines.append(f"Gatys reaches the fast network's loss after {g['matched_at_iteration_median']:g} L-BFGS "
                         f"iterations (median over the pairs).")
        j = g.get("judges")
        if j:
            lines += ["", "Held-out judges (random loss networks of other seeds; neither the network nor Gatys saw them): "
                      "per-pair ratio fast/Gatys " + ", ".join(f"seed {x['seed']} {x['ratio_fast_to_gatys']:.3f}"
                                                               for x in j["per_judge"])
                      + f"; mean {j['ratio_fast_to_gatys']:.3f}."]
    lines += ["", "Per held-out photo and style (fast network):", "",
              "| photo | style | total | content | style | tv |", "|---|---|---|---|---|---|"]
    for x in r["fast"]["rows"]:
        lines.append(f"| {x['image']} | {x['style']} | {x['total']:.4f} | {x['content']:.4f} | {x['style_loss']:.4f} | {x['tv']:.5f} |")
    return "\n".join(lines) + "\n"
