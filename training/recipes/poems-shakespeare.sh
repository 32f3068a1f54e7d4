#!/usr/bin/env bash
# poems/shakespeare: 2×384 char-LSTM on Tiny Shakespeare. Pass --resume to continue a run;
# EPOCHS=N (default: the 12 the shipped model trained) trains further.
# These are the commands the shipped card records, made with the trainer's defaults of the time.
# Today's defaults read the same train command differently (the tail of the file held out, the
# state carried across batches, a cosine schedule); add
#   --split blocks --no-carry --lr-schedule epoch-decay --warmup 0 --embed 64
# to train as the first shipped model was. The shipped one now comes from poems-shakespeare-tail.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
PY=${PY:-.venv/bin/python}
EPOCHS=${EPOCHS:-12}
$PY -m training poems train --corpus "$DATA/poems/tinyshakespeare/input.txt" --name shakespeare \
  --corpus-name "Tiny Shakespeare" --layers 2 --units 384 --dropout 0.2 --seq-len 100 --batch 128 \
  --lr 0.002 --lr-decay 0.9 --lr-decay-after 6 --epochs "$EPOCHS" --patience 5 --snapshots 1,2,5,10,20,40 \
  --threads 2 --checkpoint-minutes 10 --sample-seed $'JULIET:\n' "$@"
$PY -m training poems export --name shakespeare --threads 2 --snapshots 1,5,10 \
 --title "Shakespeare" \
 --description "A two-layer character LSTM trained on Tiny Shakespeare (seed 001's char-rnn corpus). It writes a play one character at a time: start with a speaker's name and a colon." \
 --dataset "Tiny Shakespeare: Shakespeare's plays as collected in karpathy/char-rnn data/tinyshakespeare/input.txt (1,115,394 characters, 40,000 lines); 10% of the speeches (blank-line separated blocks) held out for validation" \
 --dataset-licence "Public domain (Shakespeare's plays); the file is distributed in karpathy/char-rnn (MIT)" \
 --credits "Text: William Shakespeare (public domain), from Andrej Karpathy's char-rnn 'tiny shakespeare' file." \
 --hardware-note "2 cores shared with other training jobs" --default-seed $'ROMEO:\n'
