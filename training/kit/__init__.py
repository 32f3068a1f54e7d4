"""The training kit: what every studio's trainer shares, written once.

| module | what it holds |
| --- | --- |
| `errors` | `UserError`, the one type for failures a user can fix (reported as one line, exit 2) |
| `files` | atomic text/JSON writes, JSON reads, CSV logs that can be trimmed back on resume, folder size, sha256 |
| `runs` | run folders (`~/.cache/muza/runs`, `MUZA_RUNS`, `--runs-dir`), the wall-clock budget, resume state |
| `machine` | thread set-up (determinism a separate switch), hardware description, tf.distribute strategies |
| `quantise` | float16 / uint8 rounding as tensorflowjs stores weights, and the parity check that picks a dtype |
| `command` | the reproduce-command a card records (shell quoting, session-only flags dropped) |
| `card` | the one card builder (validated against `server/card.schema.json`) |
| `export` | tensorflowjs conversion, checksums, atomic export |
| `cli` | the shared flags and the one dispatch style of `python -m training <studio> <command>` |
| `swd` | sliced Wasserstein distance on Laplacian-pyramid patches (latent and backgrounds studios) |
| `lr` | the cosine learning-rate curve (poems' and style's schedules) |
| `batchnorm` | BatchNorm statistics of a network that never trains (an EMA generator): one fixed batch, momentum 0 |
"""
