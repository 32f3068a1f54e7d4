"""Style studio: fast neural style transfer with conditional instance normalisation, and the
Gatys et al. optimisation it is measured against.

`python -m training style <command>` (training/style/cli.py):

* `gatys`  -- Gatys et al. 2016: content loss, Gram-matrix style loss and total variation,
  minimised over the pixels with L-BFGS (the quality reference).
* `train`  -- a feed-forward transformer with conditional instance normalisation, one network for
  all the paintings of a folder (`--arch light`, shipped, or `johnson` for comparison).
* `report` -- held-out losses of a run vs. the Gatys reference, CPU timing.
* `export` -- tensorflowjs layers model + card + thumbnails + parity fixture.

| module | what it holds |
| --- | --- |
| `cli` | the parser and dispatch |
| `data` | style and content images, held-out split, per-step augmented batches, painting metadata |
| `layers` | `ConditionalInstanceNorm` and `ReflectPad`, the custom layers the browser re-implements |
| `nets` | the transformer networks (`light`, `johnson`; `padding` zeros or reflect) |
| `losses` | Gram/content/TV losses and the loss networks (`random` filters, `vgg16`) |
| `gatys` | the optimisation over the pixels and the `gatys` command |
| `train` | `Trainer` (model, optimizer, distributed step, checkpoints) and the training loop |
| `report` | sample grids, held-out evaluation, Gatys reference, report.json |
| `metrics` | the card's metrics from the reports, and how each was measured |
| `stripes` | the stripe figure: spectral energy in narrow peaks at 2, 4, 8 px periods (benchmarks/style_stripes) |
| `artefacts` | edge bands and the streak ratio (benchmarks/style_stripes) |
| `export` | float16 choice, tfjs files, reference.json, thumbnails, card |
| `progress` | the progress line |

The loss network is `--loss-net random` (fixed random filters, default here) or
`--loss-net vgg16 --vgg-weights FILE` (see training/style/losses.py).
"""
