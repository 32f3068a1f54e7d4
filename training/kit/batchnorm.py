"""BatchNorm statistics of a network that never runs in training mode (an EMA generator).

An EMA copy of a generator gets the averaged weights but never sees a batch in training mode,
so its BatchNorm moving statistics stay stale. `recalibrate` runs one fixed batch through it
in training mode with momentum 0: every moving mean and variance becomes that batch's
statistics, the same for the same input every time.
"""
from __future__ import annotations


def recalibrate(model, inputs) -> None:
    """Set every BatchNorm's moving statistics (in `model` and its sub-models) to the batch
    statistics of `inputs`."""
    import tf_keras as keras

    bns = [layer for layer in model.submodules if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [bn.momentum for bn in bns]
    try:
        for bn in bns:
            bn.momentum = 0.0
        model(inputs, training=True)
    finally:
        for bn, momentum in zip(bns, saved):
            bn.momentum = momentum
