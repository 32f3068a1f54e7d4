#!/usr/bin/env bash
# backgrounds/textures: conditional spatial GAN on the 45 texture images of ../shared/data/textures
# (seamless by construction), then the export. Pass --resume to continue the run, and
# --max-minutes N to stop it after N minutes (a checkpoint; the export follows).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
PY=${PY:-.venv/bin/python}
STEPS=${STEPS:-6000}
$PY -m training backgrounds train --images "$DATA/textures" --name textures --steps "$STEPS" --crop 96 --batch 16 \
  --local-channels 32 --global-channels 32 --g-low 192 --g-low-convs 3 --g-up 64,32,16,8 --d-width 32 \
  --lr-g 0.0002 --lr-d 0.0002 --ema 0.999 --morph 0.25 --diversity 0.1 --augment flip --seed 0 --checkpoint-every 250 \
  --log-every 50 --threads 2 "$@"
$PY -m training backgrounds export --name textures
