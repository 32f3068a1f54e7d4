"""Music studio: a character LSTM (the poems trainer) that writes folk tunes in ABC notation.

    python -m training music train  --corpus DIR --name NAME [--transpose -2,0,2,5] [poems train flags]
    python -m training music export --name NAME [--out exported_models/music/NAME]
    python -m training music sample --name NAME [--seed HEADER] [--no-bar-aware] [--midi tune.mid]

| room | what it holds |
| --- | --- |
| `cli` | the flags (poems' train / export / sample flags plus music's) and the command table |
| `abc` | the ABC corpus reader: files -> tunes (X: records) -> normal form; the split by whole tunes |
| `transpose` | keys, and moving a tune to another key (data augmentation) |
| `corpus` | the reader the poems trainer calls (`read_abc_corpus`: a `training.poems.corpus.Reader`) |
| `durations` | our ABC duration parser: the bars of a tune and how long each is |
| `metrics` | the musical figures: abc2midi parse share, bar-length share, repeat structure |
| `grammar` | the bar-aware ABC grammar: which character may come next (ported to the browser) |
| `sampler` | writing tunes with or without the grammar's mask; the `sample` command |
| `train` | glue: the poems trainer with the ABC reader, runs in `<runs>/music/` |
| `export` | glue: the poems export plus the musical figures, into `exported_models/music/` |

See docs/music-training.md for the data, the figures and what the export holds.
"""
