"""Poems studio: a character-level LSTM (seed 000, seed 001) — train, sample, export.

    python -m training poems train  --corpus PATH --name NAME [options]
    python -m training poems sample --name NAME | --model DIR  --seed "First line" [--temperature T --top-k K --top-p P --length N]
    python -m training poems export --name NAME [--out exported_models/poems/NAME]

| room | what it holds |
| --- | --- |
| `cli` | the flags and the command table (`commands(studio, reader)`), dispatched by kit.cli |
| `corpus` | the corpus interface, the text reader, the held-out split (tail, files, blocks) |
| `batches` | the training batches (streams for the carried state, shuffled windows) and the scoring windows |
| `model` | the network (training model, with the state in and out, and stateful one-step copy), its weights by layer |
| `lstm` | the CPU training kernel of the LSTM (Keras' weights, written-out backward pass, bfloat16 option) |
| `sizing` | the network and batch shape for a time budget and a corpus size |
| `schedule` | the plan (steps that fit the budget, or the caps), the learning rate, the budget clock |
| `run` | starting or resuming a run folder, and the command that reproduces it |
| `steps` | the training step on a tf.distribute strategy and the LSTM state it carries |
| `evaluate` | the held-out loss, windowed and stateful |
| `train` | the training loop (`report`: progress lines and the loss curve) |
| `sample` | the reference sampler and the `sample` command |
| `export` | the tensorflowjs export, its parity checks and the card |

The trainer is not tied to poems: `train`, `export` and `sample` take the studio name (run
folders `<runs>/<studio>/`, exports `exported_models/<studio>/`, the card's studio) and a
corpus reader (`corpus.Reader`), so another character studio supplies its own reader and
reuses everything else.
"""
