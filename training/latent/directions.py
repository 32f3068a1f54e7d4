"""GANSpace directions of a trained generator (Härkönen et al. 2020) and their preview strips.

`python -m training latent directions --name NAME` writes <run>/directions/: directions.json
(what the export ships, plus the command's argv for the card) and one strip per direction
(`pcN.png`: base latents moved by -2..+2 standard deviations) with an `overview.png`.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import tf_keras as keras

from training.kit.errors import UserError
from training.kit.files import write_json
from training.latent.images import save_grid
from training.latent.models import load_run, weights_epoch
from training.latent.sample import fixed_latents, generated_uint8

DEFAULT_LAYER = "fc_act"
TRUNCATION_DEFAULT = 0.8


def layer_features(generator, layer: str, z: np.ndarray, batch: int = 500) -> np.ndarray:
    probe = keras.Model(generator.input, generator.get_layer(layer).output)
    feats = [probe(z[i:i + batch], training=False).numpy().reshape(len(z[i:i + batch]), -1) for i in range(0, len(z), batch)]
    return np.concatenate(feats, axis=0).astype(np.float64)


def ganspace(generator, latent_dim: int, samples: int, count: int, layer: str, seed: int) -> dict:
    """PCA of one layer's activations, regressed back onto the latent."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    z = fixed_latents(samples, latent_dim, seed, 3).astype(np.float64)
    feats = layer_features(generator, layer, z.astype(np.float32))
    feats -= feats.mean(axis=0)
    total_var = float((feats ** 2).sum() / (samples - 1))
    # top principal axes of the centred features: Lanczos on F^T F (never forms a dense SVD)
    dim = feats.shape[1]
    count = min(count, latent_dim, dim - 1)
    cov = LinearOperator((dim, dim), matvec=lambda v: feats.T @ (feats @ v) / (samples - 1), dtype=np.float64)
    vals, vecs = eigsh(cov, k=count, which="LA", v0=np.full(dim, dim ** -0.5), tol=1e-8)
    order = np.argsort(vals)[::-1]
    variances, axes = vals[order], vecs[:, order].T
    axes *= np.sign(axes[np.arange(count), np.abs(axes).argmax(axis=1)])[:, None]  # deterministic signs
    coords = feats @ axes.T  # (samples, count) PCA coordinates
    # least squares z ~ coords @ U : row k of U is the latent move per unit of component k
    u, *_ = np.linalg.lstsq(coords, z, rcond=None)
    out = []
    for k in range(count):
        vec = u[k] / np.linalg.norm(u[k])
        out.append({
            "index": k,
            "label": f"PC{k + 1}",
            "component": f"PC{k + 1}",
            "vector": [round(float(v), 7) for v in vec],
            "std": round(float(np.std(z @ vec)), 5),
            "explained_variance": round(float(variances[k] / total_var), 6),
        })
    return {"latent_dim": latent_dim, "layer": layer, "samples": samples, "directions": out,
            "truncation_default": TRUNCATION_DEFAULT}


def parse_labels(labels: str | None, count: int) -> dict[str, str]:
    """`--labels "PC1=skin tone,PC3=colour"` -> {"PC1": "skin tone", "PC3": "colour"} (checked
    before the slow part: components PC1..PC<count>)."""
    names = {}
    for item in (labels or "").split(","):
        if not item.strip():
            continue
        key, _, value = item.partition("=")
        match = re.fullmatch(r"PC(\d+)", key.strip())
        if not match or not 1 <= int(match.group(1)) <= count or not value.strip():
            raise UserError(f"bad --labels entry {item!r} (expected e.g. PC1=skin tone, components PC1..PC{count})")
        names[key.strip()] = value.strip()
    return names


def apply_labels(doc: dict, names: dict[str, str]) -> dict:
    """Rename directions by component (the component names stay)."""
    by_component = {d["component"]: d for d in doc["directions"]}
    for component, label in names.items():
        if component not in by_component:
            raise UserError(f"--labels names {component}, but only {len(by_component)} directions were found")
        by_component[component]["label"] = label
    return doc


def direction_strips(generator, doc: dict, folder: Path, seed: int, rows: int = 3, steps=(-2, -1, 0, 1, 2)) -> None:
    """Per direction: `rows` base latents moved by -2..+2 sigma; plus one overview sheet."""
    z0 = fixed_latents(rows, doc["latent_dim"], seed, 4) * doc["truncation_default"]
    overview = []
    for d in doc["directions"]:
        vec = np.asarray(d["vector"], np.float32)
        z = np.stack([base + s * d["std"] * vec for base in z0 for s in steps]).astype(np.float32)
        imgs = generated_uint8(generator, z)
        save_grid(imgs, folder / f"{d['component'].lower()}.png", cols=len(steps))
        overview.append(imgs[: len(steps)])
        overview.append(imgs[len(steps): 2 * len(steps)])
    save_grid(np.concatenate(overview), folder / "overview.png", cols=len(steps))


def directions(args) -> dict:
    """GANSpace directions of a run's EMA generator, with preview strips."""
    names = parse_labels(args.labels, args.count)
    truncation = getattr(args, "truncation", None)
    if truncation is not None and not 0.0 < truncation <= 2.0:
        raise UserError(f"--truncation {truncation}: between 0 (excluded) and 2")
    run, cfg, state, model = load_run(args)
    generator = model.ema_ready()
    layer = args.layer or DEFAULT_LAYER
    try:
        generator.get_layer(layer)
    except ValueError:
        raise UserError(f"--layer {layer!r}: the generator has no such layer "
                        f"(e.g. {', '.join(l.name for l in generator.layers[1:5])})") from None
    doc = apply_labels(ganspace(generator, cfg["latent_dim"], args.samples, args.count, layer, cfg["seed"]), names)
    if truncation is not None:  # the studio's starting truncation (the export scores it: swd_truncated_x1e3)
        doc["truncation_default"] = float(truncation)
    doc["epoch"] = state["epoch"]
    doc["weights_epoch"] = weights_epoch(cfg, state)
    doc["argv"] = list(args.argv)
    folder = run / "directions"
    folder.mkdir(exist_ok=True)
    write_json(folder / "directions.json", doc)
    direction_strips(generator, doc, folder, cfg["seed"])
    print(f"{len(doc['directions'])} directions from layer {layer} over {args.samples} samples; strips in {folder}")
    print("explained variance: " + ", ".join(f"{d['label']} {d['explained_variance']:.3f}" for d in doc["directions"]))
    return doc
