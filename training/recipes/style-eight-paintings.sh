#!/usr/bin/env bash
# style/eight-paintings: the light multi-style network (shipped) and the Johnson-size network
# it is compared with, both trained the same way on the eight paintings; then the reports
# (held-out losses, Gatys reference, equal-step comparison) and the export.
# --centre-gram r4,r5: channel covariances instead of Gatys' Grams at the loss network's two deepest
# style layers, which removes the stripe pattern's reward (docs/style-training.md, "Stripes").
# Pass --resume to continue both runs. Each step is resumable; re-running is safe.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
PY=${PY:-.venv/bin/python}
LIGHT_STEPS=${LIGHT_STEPS:-8000}
JOHNSON_STEPS=${JOHNSON_STEPS:-1000}
COMMON=(--styles "$DATA/style/styles" --content "$DATA/style/content" --size 128 --style-size 256
        --batch 4 --lr 0.001 --style-weight 10.0 --content-weight 1.0 --tv-weight 1.0 --loss-net random --seed 0
        --holdout kodim21,kodim22,kodim23,kodim24 --min-scale 0.5 --centre-gram r4,r5 --threads 2)
resume() { for a in "$@"; do [[ $a == --resume ]] && return 0; done; return 1; }
if resume "$@"; then
  $PY -m training style train --name johnson-eight --resume --steps "$JOHNSON_STEPS" --threads 2
  $PY -m training style train --name eight-paintings --resume --steps "$LIGHT_STEPS" --threads 2
else
  $PY -m training style train --name johnson-eight --arch johnson --steps "$JOHNSON_STEPS" "${COMMON[@]}"
  $PY -m training style train --name eight-paintings --arch light --steps "$LIGHT_STEPS" "${COMMON[@]}"
fi
# Johnson-size network at its last step (no Gatys: the light run's report holds it)
$PY -m training style report --name johnson-eight --gatys-iterations 0 --threads 2
# the light network at the same step (its snapshot), and at its last step with the Gatys reference
$PY -m training style report --name eight-paintings --snapshot "$JOHNSON_STEPS" --gatys-iterations 0 --threads 2
$PY -m training style report --name eight-paintings --gatys-iterations 50 --gatys-images 2 --threads 2
$PY -m training style export --name eight-paintings --compare-run johnson-eight --threads 2 \
  --title "Eight paintings" \
  --description "One light fast style-transfer network (76k parameters) for eight public-domain paintings; blend two styles by mixing their conditional instance-normalisation parameters. Trained for 8,000 steps on a 2-core CPU with a random-filter loss network (no pretrained VGG weights here), so expect painterly colour and texture rather than faithful brushwork."
