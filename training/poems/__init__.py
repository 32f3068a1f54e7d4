"""Poems studio: a character-level LSTM (seed 000, seed 001) — train, sample, export.

    python -m training poems train  --corpus PATH --name NAME [options]
    python -m training poems sample --name NAME | --model DIR  --seed "First line" [--temperature T --top-k K --top-p P --length N]
    python -m training poems export --name NAME [--out exported_models/poems/NAME]

| room | what it holds |
| --- | --- |
| `cli` | the flags and the command table (`commands(studio, reader)`), dispatched by kit.cli |
| `corpus` | the corpus interface, the text reader, the validation split and the training windows |
| `model` | the network (training model and stateful one-step copy) and its weights by layer |
| `run` | starting or resuming a run folder, and the command that reproduces it |
| `train` | the training loop (`callbacks`: its Keras callback) |
| `sample` | the reference sampler and the `sample` command |
| `export` | the tensorflowjs export, its parity checks and the card |

The trainer is not tied to poems: `train`, `export` and `sample` take the studio name (run
folders `<runs>/<studio>/`, exports `exported_models/<studio>/`, the card's studio) and a
corpus reader (`corpus.Reader`), so another character studio supplies its own reader and
reuses everything else.
"""
