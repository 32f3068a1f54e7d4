"""Learning-rate curves shared by the trainers (no TensorFlow here)."""
from __future__ import annotations

import math


def cosine(peak: float, floor: float, progress: float) -> float:
    """A cosine from `peak` at progress 0 down to `floor` x `peak` at progress 1 (clamped to 0..1)."""
    progress = min(1.0, max(0.0, progress))
    return peak * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))
