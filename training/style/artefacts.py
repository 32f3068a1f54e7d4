"""Two artefacts of a stylised image that the stripe figure (stripes.py) does not see: bands along
the image's edges, and streaks (texture drawn along one direction).

* ``edge_band``: per side, the mean over the side's length of |mean luminance of the outer `band`
  pixels - mean luminance of the next `ref` pixels inwards|, in levels of 0..255 (Rec. 601
  luminance); ``edge_band_mean`` is the mean of the four sides. A band of its own colour along an
  edge (a dark last row, a bright last column) raises it; a photo's edges sit near its interior
  (a few levels). The difference is averaged over `segment`-pixel stretches of the edge before its
  absolute value is taken: a band is the same along a stretch, texture is not and averages out; a
  band whose colour changes along the edge still counts, stretch by stretch.
* ``streak_ratio``: log2 of the energy of the horizontal luminance differences over that of the
  vertical ones, ``mean((L[:, x+1] - L[:, x])^2) / mean((L[y+1, :] - L[y, :])^2)``, in the interior
  (`border` pixels left out on every side, so edge bands do not count). 0 for texture without a
  preferred direction; +1 when the horizontal differences carry twice the energy, i.e. vertical
  streaks; negative for horizontal ones. Compare an output with its photo and with the Gatys image
  of the same pair: the painting's own strokes may have a direction.
"""
from __future__ import annotations

import numpy as np

from training.style.stripes import luminance

SIDES = ("top", "bottom", "left", "right")


def edge_band(image, band: int = 4, ref: int = 8, segment: int = 32) -> dict:
    """{"top", "bottom", "left", "right": levels, "mean": their mean} (see the module docstring)."""
    y = luminance(image)
    h, w = y.shape
    if min(h, w) < 2 * (band + ref):
        raise ValueError(f"a {h}x{w} image is too small for {band}-pixel bands against {ref} pixels inside")
    views = {"top": y, "bottom": y[::-1], "left": y.T, "right": y.T[::-1]}
    out = {}
    for side, v in views.items():
        diff = v[:band].mean(axis=0) - v[band:band + ref].mean(axis=0)
        n = max(1, len(diff) // segment)
        out[side] = float(np.mean([np.abs(part.mean()) for part in np.array_split(diff, n)]))
    out["mean"] = float(np.mean([out[s] for s in SIDES]))
    return out


def streak_ratio(image, border: int = 8) -> float:
    """log2(horizontal difference energy / vertical difference energy) of the interior."""
    y = luminance(image)
    h, w = y.shape
    if min(h, w) <= 2 * border + 2:
        raise ValueError(f"a {h}x{w} image is too small for a {border}-pixel border")
    y = y[border:h - border, border:w - border]
    ex = float(np.mean(np.square(np.diff(y, axis=1))))
    ey = float(np.mean(np.square(np.diff(y, axis=0))))
    return float(np.log2((ex + 1e-12) / (ey + 1e-12)))
