"""Backgrounds studio: a conditional spatial GAN that paints seamless textures of any size.

    python -m training backgrounds train --images DIR --name NAME [--steps 6000 ...]
    python -m training backgrounds sample --name NAME --textures a,b --out image.png
    python -m training backgrounds export --name NAME [--out exported_models/backgrounds/NAME]

| room | what it holds |
| --- | --- |
| `data` | the texture folder: manifest, CC BY attribution lines, images, random crops, bad-data errors |
| `models` | `WrapPad2D`, the fully convolutional generator (and its BatchNorm-folded export form), the patch projection discriminator, FLOP per pixel |
| `sample` | noise grids (local noise, texture weights, morphs), generation, the `sample` command |
| `train` | the distributed training loop, checkpoints, exact resume, sample grids |
| `metrics` | seam figure, SWD per texture with its real-vs-real floor |
| `export` | tensorflowjs model, textures.json, reference.json, card |

The exported files and the noise layout are described for the web side in
docs/backgrounds-training.md.
"""
