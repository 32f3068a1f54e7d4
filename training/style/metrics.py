"""The style card's metrics, gathered from the run's reports, and how each one was measured.

`gather` turns the reports (report.json of the run, the comparison run's report, the run's
report at the comparison's step) into the card's `metrics`; `methods` writes the card's
`metrics_method` for them from the same facts, so the two cannot drift apart.
"""
from __future__ import annotations

from pathlib import Path

from training.kit import runs
from training.kit.errors import UserError
from training.kit.files import read_json
from training.style.report import REPORT_FILE, report_file
from training.style.train import STUDIO, TRAIN_KEYS


def load_comparison(args, run: Path, config: dict) -> dict | None:
    """The comparison run's report (its final checkpoint, or its snapshot at --compare-step) with its
    config differences and wall time, and this run's report at the same step if there is one
    (`report --snapshot N`), for an equal-step ratio."""
    if not args.compare_run:
        return None
    crun = runs.existing_run(STUDIO, args.compare_run, args.runs_dir)
    path = crun / report_file(args.compare_step)
    if not path.exists():
        raise UserError(f"{path}: no report; run python -m training style report --name {args.compare_run}"
                        + (f" --snapshot {args.compare_step}" if args.compare_step else ""))
    compare = read_json(path)
    ccfg = runs.read_config(crun)
    compare["run_name"] = args.compare_run
    compare["config"] = ccfg
    compare["config_differences"] = {k: [config.get(k), ccfg.get(k)] for k in TRAIN_KEYS
                                     if k != "arch" and config.get(k) != ccfg.get(k)}
    cstate = runs.RunState(crun)
    compare["wall_time_s"] = cstate.get("wall_time_s")
    compare["final_steps"] = cstate.get("step")
    if args.compare_step and (crun / REPORT_FILE).exists():
        compare["final_report"] = read_json(crun / REPORT_FILE)
    equal_step = run / report_file(compare["steps"])
    compare["light_at_equal_steps"] = read_json(equal_step) if equal_step.exists() else None
    return compare


def gather(arch: str, report: dict | None, compare: dict | None, wall_time_s) -> dict:
    """Card metrics from the reports (the parity figures are added by the export itself)."""
    metrics = {}
    if report:
        metrics.update({
            "perceptual_loss": report["fast"]["mean"]["total"],
            f"perceptual_loss_{arch}": report["fast"]["mean"]["total"],
            "content_loss": report["fast"]["mean"]["content"], "style_loss": report["fast"]["mean"]["style_loss"],
            "python_cpu_ms_256": report["python_cpu_ms_256"]["min"],
            "python_cpu_ms_256_median": report["python_cpu_ms_256"]["median"], "eval_images": report["eval_images"],
            "eval_steps": report["steps"]})
        if report["fast"]["mean"].get("stripes") is not None:
            metrics["stripes"] = report["fast"]["mean"]["stripes"]
            metrics["stripes_photos"] = report["content_stripes"]
            if (report.get("gatys") or {}).get("mean", {}).get("stripes") is not None:
                metrics["stripes_gatys"] = report["gatys"]["mean"]["stripes"]
        if report.get("gatys"):
            metrics.update({"gatys_loss_reference": report["gatys"]["mean"]["total"],
                            "gatys_iterations": report["gatys"]["iterations"],
                            "fast_loss_same_pairs": report["gatys"]["fast_mean_same_pairs"],
                            "ratio_to_gatys": report["gatys"]["ratio_fast_to_gatys"]})
            if report["gatys"].get("matched_at_iteration_median") is not None:
                metrics["gatys_iterations_matched"] = report["gatys"]["matched_at_iteration_median"]
            judges = report["gatys"].get("judges")
            if judges:
                metrics.update({"ratio_to_gatys_held_out_judges": judges["ratio_fast_to_gatys"],
                                "ratio_to_gatys_per_judge": {str(j["seed"]): j["ratio_fast_to_gatys"]
                                                             for j in judges["per_judge"]}})
    if not compare:
        return metrics
    # main numbers: the other run as trained (its final checkpoint); equal-step numbers: snapshots
    other = compare.get("final_report") or compare
    oa = compare["arch"]
    metrics.update({f"perceptual_loss_{oa}": other["fast"]["mean"]["total"], f"{oa}_steps": other["steps"],
                    f"{oa}_parameters": other["parameters"],
                    f"{oa}_python_cpu_ms_256": other["python_cpu_ms_256"]["min"],
                    f"{oa}_wall_time_s": compare["wall_time_s"],
                    "comparison_config_differences": compare["config_differences"] or "none besides arch and steps"})
    if report:
        metrics["ratio"] = report["fast"]["mean"]["total"] / other["fast"]["mean"]["total"]
        metrics["cpu_speedup_vs_" + oa] = other["python_cpu_ms_256"]["min"] / report["python_cpu_ms_256"]["min"]
        metrics["comparison_note"] = (
            f"ratio: {arch} after {report['steps']} steps ({wall_time_s} s of training) vs "
            f"{oa} after {other['steps']} steps ({compare['wall_time_s']} s); ratio_at_equal_steps compares both "
            f"after {compare['steps']} steps (the {arch} run's snapshot), which is the like-for-like "
            f"test. Same data, loss network, loss weights, image size, batch and learning rate; losses are means "
            f"over the held-out photos x all styles.")
    eq = compare.get("light_at_equal_steps")
    if eq:
        metrics[f"perceptual_loss_{arch}_at_{compare['steps']}_steps"] = eq["fast"]["mean"]["total"]
        metrics[f"perceptual_loss_{oa}_at_{compare['steps']}_steps"] = compare["fast"]["mean"]["total"]
        metrics["ratio_at_equal_steps"] = eq["fast"]["mean"]["total"] / compare["fast"]["mean"]["total"]
    return metrics


def facts_of(config: dict, report: dict | None, compare: dict | None, styles: list[str], weights_dtype: str,
             compare_run: str | None = None) -> dict:
    """What `methods` needs to know: the run's set-up and which reports the metrics came from."""
    other = (compare.get("final_report") or compare) if compare else None
    return {
        "arch": config["arch"], "size": config["size"], "style_size": config["style_size"], "styles": len(styles),
        "weights": {"content": config["content_weight"], "style": config["style_weight"], "tv": config["tv_weight"]},
        "weights_dtype": weights_dtype,
        "eval_images": (report or {}).get("eval_images", []), "steps": (report or {}).get("steps"),
        "held_out": bool(config.get("holdout")),
        "gatys_iterations": ((report or {}).get("gatys") or {}).get("iterations"),
        "gatys_pairs": len(((report or {}).get("gatys") or {}).get("rows", [])),
        "compare_run": compare_run, "compare_arch": compare["arch"] if compare else None,
        "compare_steps": other["steps"] if other else None, "equal_steps": compare["steps"] if compare else None,
    }


def methods(metrics: dict, f: dict) -> dict[str, str]:
    """`metrics_method` for every key of `metrics`, from the facts `facts_of` collected."""
    w, n, S, size = f["weights"], len(f["eval_images"]), f["styles"], f["size"]
    if f.get("held_out", True):
        photos = f"{n} held-out photos ({', '.join(f['eval_images'])}; kept out of training by --holdout, centre-cropped " \
                 f"and resized to {size}x{size})"
    else:
        photos = f"{n} training photos ({', '.join(f['eval_images'])}; no --holdout was given, so they are NOT held out; " \
                 f"centre-cropped and resized to {size}x{size})"
    loss = (f"total perceptual loss ({w['content']} x content + {w['style']} x style + {w['tv']} x total variation, "
            f"the training objective) with the run's loss network (extras.loss_network) and each painting's Gram "
            f"targets at long side {f['style_size']}")
    fast = f"the fast network's weights at step {f['steps']} (report.json of the run)"
    k = f["gatys_pairs"] // max(1, S)
    gatys_pairs = f"{k} held-out photos (the first {k} of eval_images) x all {S} styles ({f['gatys_pairs']} pairs)"
    timing = ("fastest of 10 timed predictions (tf.function, one random uniform 0..255 image, style 0) after 2 "
              "warm-up runs, Python TensorFlow on the training machine's CPU (training.hardware), not the browser")
    out = {
        "float16_max_abs_diff": (
            "largest absolute output difference (0..255 scale) between the float32 Keras model and the same model "
            "with its weights rounded to float16 as tensorflowjs stores them, over 4 probes: the reference.json input "
            "(48x32 formula image) with style 0 and with a 50/50 blend of styles 0 and 1, and the first two held-out "
            f"photos ({size}x{size}), the first with style 0, the second with style 1; the run's last checkpoint"),
        "keras_reload_max_abs_diff": (
            "largest absolute difference between the exported tensorflowjs files reloaded into tf_keras "
            "(tensorflowjs.converters.load_keras_model) and the Keras output of the shipped "
            f"({f['weights_dtype']}) weights recorded in reference.json (rounded to 1e-4), on the reference.json "
            "input with its two style vectors"),
        "perceptual_loss": f"mean {loss}, of {fast}, over {photos} x all {S} styles",
        f"perceptual_loss_{f['arch']}": "perceptual_loss, named by the network architecture for the comparison",
        "content_loss": f"mean unweighted content term (relative squared error of the content-layer features) of "
                        f"perceptual_loss: same weights, photos and styles",
        "style_loss": "mean unweighted style term (relative squared error of the Gram matrices, mean over the style "
                      "layers) of perceptual_loss: same weights, photos and styles",
        "python_cpu_ms_256": f"ms per 256x256 image: {timing}; {fast}",
        "python_cpu_ms_256_median": "median of the same 10 timed predictions as python_cpu_ms_256",
        "eval_images": "the held-out photos behind perceptual_loss, content_loss and style_loss",
        "eval_steps": "training step of the weights report.json evaluated (the export warns when it is not the "
                      "checkpoint it ships)",
        "gatys_loss_reference": (
            f"mean {loss}, of Gatys et al. images (L-BFGS-B over the pixels, {f['gatys_iterations']} iterations "
            f"starting from the content photo, pixels bounded to 0..255), over {gatys_pairs}"),
        "gatys_iterations": "L-BFGS-B iterations per Gatys image",
        "fast_loss_same_pairs": f"mean total loss of {fast} on the same {gatys_pairs} as gatys_loss_reference",
        "ratio_to_gatys": "mean over those pairs of fast-network total loss / Gatys total loss (1: as good as the "
                          "per-image optimisation)",
        "gatys_iterations_matched": (
            "median over the pairs of gatys_loss_reference of the first L-BFGS iteration at which the Gatys image's loss "
            "is at or below the fast network's loss on the same pair (0: the content photo itself; absent when the median "
            "pair is not matched within gatys_iterations); Johnson et al. 2016 report their VGG-16 network as comparable to 50 to 100 iterations"),
        "ratio_to_gatys_held_out_judges": (
            f"ratio_to_gatys with the loss measured by random-filter loss networks of other seeds (held-out judges: "
            f"the same layout, centring, weights and style-image size, filters that neither the network's training nor "
            f"the Gatys optimisation saw): the same fast outputs and Gatys images (the saved, rounded PNGs) on the same "
            f"{gatys_pairs}, the mean over the judges of the mean per-pair ratio"),
        "ratio_to_gatys_per_judge": "the per-judge ratios behind ratio_to_gatys_held_out_judges, keyed by judge seed",
        "stripes": f"mean over {photos} x all {S} styles, of {fast}, of the share of the output's spectral energy in "
                   f"narrow peaks at the frequencies of stripes repeating every 2, 4 or 8 px along y or x (luminance, "
                   f"mean removed, 2-D Hann window, FFT; power on those 3-bin-wide lines above the local background, "
                   f"over all power outside the origin; training/style/stripes.py); 0 for a photo, 1 for pure stripes",
        "stripes_photos": "the same stripe share of the held-out photos themselves (what a faithful output keeps)",
        "stripes_gatys": f"the same stripe share of the Gatys images of gatys_loss_reference ({gatys_pairs})",
    }
    if f["compare_arch"]:
        oa, osteps, eq, arch = f["compare_arch"], f["compare_steps"], f["equal_steps"], f["arch"]
        other = f"the comparison run {f['compare_run']} ({oa} network)"
        weights = f"the {oa} network's weights (comparison run {f['compare_run']})"
        out.update({
            f"perceptual_loss_{oa}": f"perceptual_loss of {other} at step {osteps}, from its own report: same "
                                     f"held-out photos, styles, loss network and loss weights",
            f"{oa}_steps": f"training step of {weights} that perceptual_loss_{oa} evaluated",
            f"{oa}_parameters": f"parameter count of {other}",
            f"{oa}_python_cpu_ms_256": f"python_cpu_ms_256 of {other}, timed the same way by its report",
            f"{oa}_wall_time_s": f"training wall time of {other} (its state.json, summed over sessions)",
            "comparison_config_differences": "training-config keys besides arch whose values differ between this "
                                             "run and the comparison run ([this, other] per key)",
            "ratio": f"perceptual_loss / perceptual_loss_{oa}: each network at its own last evaluated step "
                     f"({f['steps']} vs {osteps})",
            f"cpu_speedup_vs_{oa}": f"{oa}_python_cpu_ms_256 / python_cpu_ms_256 (fastest times, same machine)",
            "comparison_note": "text: how ratio and ratio_at_equal_steps were measured",
            f"perceptual_loss_{arch}_at_{eq}_steps": f"perceptual_loss of this run's snapshot at step {eq} "
                                                     f"(report --snapshot {eq}): same photos, styles and loss",
            f"perceptual_loss_{oa}_at_{eq}_steps": f"perceptual_loss of {other} at step {eq} (the report the "
                                                   f"comparison read)",
            "ratio_at_equal_steps": f"perceptual_loss_{arch}_at_{eq}_steps / perceptual_loss_{oa}_at_{eq}_steps: both "
                                    f"networks after the same number of steps, the like-for-like comparison",
        })
    return {key: out[key] for key in metrics}
