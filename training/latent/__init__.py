"""The Latent studio's trainer: an image GAN, its GANSpace directions, the browser export.

| room | what it holds |
| --- | --- |
| `cli` | `python -m training latent train|directions|export|sample` (parser and dispatch only) |
| `images` | image sets: folders or .npz, compositing, square crops, subsets, PNG grids |
| `models` | generator, spectral-norm discriminator, DiffAugment, `GAN.train_step`, `Run` (a run's networks) |
| `train` | the data pipeline, the end-of-epoch callback (samples, SWD, log, checkpoint, budget), `train` |
| `directions` | GANSpace (PCA of a layer, regressed onto the latent), labels, preview strips |
| `sample` | fixed latents, generated images, the SWD reference, the `sample` grid |
| `export` | float16/float32 choice, SWD of the shipped weights, browser reference, card |

The metric itself (SWD on Laplacian-pyramid patches) is `training.kit.swd`.
"""
