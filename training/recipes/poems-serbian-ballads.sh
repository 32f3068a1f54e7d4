#!/usr/bin/env bash
# poems/serbian-ballads: fine-tuned from the shakespeare run on the 1913 English translation.
# The exact training command used is in exported_models/poems/serbian-ballads/card.json
# (training.command); this script exports the run as shipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
$PY -m training poems export --name serbian-ballads --threads 1 \
 --title "Serbian heroic ballads" \
 --description "A character LSTM fine-tuned from the Shakespeare poet on the 1913 English verse translation of the Serbian heroic ballads (Prince Marko, Kosovo). It stands in for seed 000's Serbian epic poems, which could not be obtained." \
 --dataset "Heroic Ballads of Servia, translated by George Rapall Noyes and Leonard Bacon (Boston, 1913): all 37 ballads, 212,087 characters, from the sacred-texts.com transcription; 6 whole ballads held out for validation" \
 --dataset-licence "Public domain (published 1913 in the USA; the translators died in 1952 and 1954)" \
 --credits "Translation: George Rapall Noyes and Leonard Bacon, Heroic Ballads of Servia (1913), public domain; transcription: sacred-texts.com." \
 --hardware "x86_64 CPU, 2 cores shared with other training jobs, no GPU" --default-seed $'Prince Marko rode across the plain of Kósovo,\n'
