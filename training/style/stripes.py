"""How striped an image is: the share of its spectral energy in narrow peaks at the frequencies
of a pattern that repeats every 2, 4 or 8 pixels along y or x (the stride grid of the style
network), whatever the pattern does along the other axis.

The spectrum: the luminance (Rec. 601 weights) with its mean removed, multiplied by a 2-D Hann
window, 2-D FFT, power |F|^2. Rows that repeat every p pixels (horizontal stripes) put their energy
on the lines of row frequency k*H/p (k = 1..p-1), at every column frequency the stripes' changing
strength across the picture needs; columns that repeat, on the lines of column frequency k*W/p. The
Hann window spreads a line over 3 bins, so a peak line is 3 bins wide. Periods are nested (the
period-2 lines are among the period-4 ones), so each line is counted with its smallest period.

Two shares of the energy outside the origin's 3x3 bins (what the mean removal and the window leave):

* ``share``: all the power on the peak lines;
* ``excess``: the power on them above the local background (per bin, the mean of the 6 bins 2..4
  away across the line, in the same column for a row line), summed over each line and taken as 0
  when negative: the energy of the narrow peaks alone. A photo has an excess near 0 (its spectrum
  falls smoothly; white noise: 0.004), a pure period-4 pattern 1. A bin on both a row line and a
  column line counts once, with its row line.
"""
from __future__ import annotations

import numpy as np

PERIODS = (2, 4, 8)


def luminance(image) -> np.ndarray:
    """[H, W, 3] (any range) -> [H, W] float64; [H, W] is returned as it is."""
    image = np.asarray(image, np.float64)
    if image.ndim == 2:
        return image
    return image[..., 0] * 0.299 + image[..., 1] * 0.587 + image[..., 2] * 0.114


def power_spectrum(image) -> np.ndarray:
    """|FFT|^2 of the windowed, mean-removed luminance, [H, W] (origin at [0, 0])."""
    y = luminance(image)
    y = y - y.mean()
    h, w = y.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    return np.abs(np.fft.fft2(y * window)) ** 2


def line_frequencies(size: int, periods=PERIODS) -> dict[int, list[int]]:
    """{period: the frequency bins k*size/p, k = 1..p-1, not already a smaller period's}."""
    taken, out = set(), {}
    for p in sorted(periods):
        bins = {int(round(k * size / p)) % size for k in range(1, p)} - {0}
        out[p] = sorted(bins - taken)
        taken |= bins
    return out


def _origin(shape) -> np.ndarray:
    h, w = shape
    mask = np.zeros(shape, bool)
    for du in (-1, 0, 1):
        for dv in (-1, 0, 1):
            mask[du % h, dv % w] = True
    return mask


def _lines(spectrum: np.ndarray, periods, skip: np.ndarray):
    """(period, power on the row line, its background) for every row line of `spectrum`, bins in
    `skip` left out; the background of a bin is the mean of the 6 bins 2..4 rows away (same column)."""
    h = spectrum.shape[0]
    for p, bins in line_frequencies(h, periods).items():
        for centre in bins:
            rows = [(centre + d) % h for d in (-1, 0, 1)]
            background = spectrum[[(centre + d) % h for d in (-4, -3, -2, 2, 3, 4)]].mean(axis=0)
            keep = ~skip[rows]
            yield p, rows, float(spectrum[rows][keep].sum()), float(np.broadcast_to(background, keep.shape)[keep].sum())


def peak_share(image, periods=PERIODS) -> dict:
    """{"share", "excess"} (see the module docstring), both per period ("by_period",
    "excess_by_period"), and the excess per direction ("excess_rows": rows that repeat, i.e.
    horizontal stripes; "excess_columns": vertical ones)."""
    power = power_spectrum(image)
    origin = _origin(power.shape)
    total = float(power[~origin].sum()) + 1e-30
    share = {p: 0.0 for p in periods}
    excess = {p: 0.0 for p in periods}
    direction = {"rows": 0.0, "columns": 0.0}
    taken = origin.copy()
    for name, spectrum in (("rows", power), ("columns", power.T)):
        skip = taken if name == "rows" else taken.T  # a bin on a row line is not counted again
        marked = []
        for p, rows, on, background in _lines(spectrum, periods, skip):
            share[p] += on / total
            gain = max(0.0, on - background) / total
            excess[p] += gain
            direction[name] += gain
            marked.append(rows)
        for rows in marked:
            if name == "rows":
                taken[rows, :] = True
            else:
                taken[:, rows] = True
    return {"share": sum(share.values()), "by_period": share, "excess": sum(excess.values()),
            "excess_by_period": excess, "excess_rows": direction["rows"], "excess_columns": direction["columns"]}


def strongest_peaks(image, count: int = 8, exclude: int = 2) -> list[dict]:
    """The `count` frequencies whose power stands out most above the median of their 9x9
    neighbourhood (for finding a pattern's periods): row/column frequency (signed bins), the
    period in pixels along y and x (inf: constant along that axis) and the ratio to the median.
    Frequencies within `exclude` bins of the origin are skipped; of a +/- pair only one is kept."""
    from scipy.ndimage import median_filter

    power = power_spectrum(image)
    h, w = power.shape
    ratio = power / (median_filter(power, size=9, mode="wrap") + 1e-30)
    out, seen = [], set()
    for index in np.argsort(ratio.ravel())[::-1]:
        u, v = divmod(int(index), w)
        fu, fv = (u if u <= h // 2 else u - h), (v if v <= w // 2 else v - w)
        if max(abs(fu), abs(fv)) <= exclude or ((-fu) % h, (-fv) % w) in seen:
            continue
        seen.add((u, v))
        out.append({"fy": fu, "fx": fv, "period_y": h / abs(fu) if fu else float("inf"),
                    "period_x": w / abs(fv) if fv else float("inf"), "ratio": float(ratio[u, v])})
        if len(out) == count:
            break
    return out
