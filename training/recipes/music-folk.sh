#!/usr/bin/env bash
# music/folk: 2x384 character LSTM (the poems trainer) on the Nottingham Music Database in ABC
# (Jukedeck's cleaned copy, 1,034 folk tunes, GPL-3.0), the training tunes also in the keys two
# semitones down and up; 20% of the tunes held out. The plan is in epochs (--plan-minutes 0), so a
# session stopped by --max-minutes resumes bit for bit: run the script again with --resume.
# EPOCHS=N with --resume trains further. The export measures the musical figures (abc2midi needed).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
PY=${PY:-.venv/bin/python}
EPOCHS=${EPOCHS:-8}
MINUTES=${MINUTES:-40}
$PY -m training music train --corpus "$DATA/music/abc/nottingham" --name folk --corpus-name "Nottingham Music Database" \
  --layers 2 --units 384 --embed 48 --batch 64 --seq-len 128 --lr 0.002 --dropout 0.1 --transpose 0,-2,2 \
  --val-fraction 0.2 --epochs "$EPOCHS" --plan-minutes 0 --max-minutes "$MINUTES" --snapshots 1,3 --threads 2 \
  --checkpoint-minutes 10 --verbose 2 "$@"
$PY -m training music export --name folk --threads 2 --snapshots 1,3 --title "Folk tunes" \
 --description "A two-layer character LSTM that writes British and American folk tunes in ABC notation, one character at a time, trained on the Nottingham Music Database. Give it a header (meter, key, unit length) and it writes the bars." \
 --dataset "Nottingham Music Database in ABC, Jukedeck's cleaned copy (github.com/jukedeck/nottingham-dataset, ABC_cleaned: 14 files, 1,034 tunes; originally abc.sourceforge.net/NMD); 20% of the tunes held out (whole tunes, the same share of every file); the training tunes also moved 2 semitones down and up" \
 --dataset-licence "GPL-3.0 (the dataset repository's LICENSE.md); the tunes are traditional, the collection and its cleaning are GPL-3.0" \
 --credits "Tunes: the Nottingham Music Database (Eric Foxley and contributors), cleaned by Jukedeck; GPL-3.0." \
 --hardware-note "2 cores shared with other jobs"
