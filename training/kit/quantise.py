"""Weights as tensorflowjs stores them, and the parity check that decides what a model ships as.

`round_weights(ws, dtype)` returns what the browser gets back after tensorflowjs quantises
and dequantises each weight tensor: float16 (IEEE half) or uint8 (affine per tensor:
min + scale * q, scale = (max - min) / 255). `choose_dtype` tries the candidates from the
smallest and keeps the first whose output stays within the studio's bound.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

DTYPES = ("float32", "float16", "uint8")


def round_array(w: np.ndarray, dtype: str) -> np.ndarray:
    w = np.asarray(w)
    if dtype == "float32" or not np.issubdtype(w.dtype, np.floating):
        return w
    if dtype == "float16":
        return w.astype(np.float16).astype(np.float32)
    if dtype == "uint8":
        lo, hi = float(w.min()), float(w.max())
        scale = (hi - lo) / 255.0 if hi > lo else 1.0
        return (np.round((w - lo) / scale) * scale + lo).astype(np.float32)
    raise ValueError(f"unknown weights dtype {dtype!r} (one of {', '.join(DTYPES)})")


def round_weights(weights, dtype: str):
    """`weights`: a list of arrays (model.get_weights()) or a dict of such lists (by layer)."""
    if isinstance(weights, dict):
        return {k: round_weights(v, dtype) for k, v in weights.items()}
    return [round_array(w, dtype) for w in weights]


def rounded_clone(model, dtype: str, custom_objects: dict | None = None):
    """A copy of a tf_keras model whose weights are rounded as `dtype` would store them."""
    import tf_keras as keras

    with keras.utils.custom_object_scope(custom_objects or {}):
        clone = keras.models.clone_model(model)
    clone.set_weights(round_weights(model.get_weights(), dtype))
    return clone


def choose_dtype(max_abs_diff: Callable[[str], float], bound: float,
                 candidates: Iterable[str] = ("float16",), forced: str | None = None) -> tuple[str, dict]:
    """Measure `max_abs_diff(dtype)` (the studio's output difference against float32) for each
    candidate, smallest storage first, and return the first within `bound` (else float32),
    with every figure measured: `{"float16": 0.0003, ...}`. `forced` skips the choice."""
    diffs: dict[str, float] = {}
    order = [d for d in ("uint8", "float16") if d in set(candidates)]
    if forced:
        if forced != "float32":
            diffs[forced] = float(max_abs_diff(forced))
        return forced, diffs
    chosen = "float32"
    for dtype in order:
        diffs[dtype] = float(max_abs_diff(dtype))
        if diffs[dtype] <= bound:
            chosen = dtype
            break
    return chosen, diffs
