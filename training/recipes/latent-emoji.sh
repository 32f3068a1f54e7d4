#!/usr/bin/env bash
# latent/emoji: DCGAN-style generator on the Noto Emoji set (no flags, white background),
# its GANSpace directions, and the export. Pass --resume to continue the run.
# --deterministic: the shipped model was made with TensorFlow op determinism on (every command).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
PY=${PY:-.venv/bin/python}
EPOCHS=${EPOCHS:-180}
$PY -m training latent train --images "$DATA/gan/emoji64.npz" --name emoji --size 64 --background white \
  --subset no-flags --latent-dim 128 --batch 32 --epochs "$EPOCHS" --diffaugment color,translation,cutout \
  --ema 0.999 --ema-warmup-from 0 --g-width 256 --g-upsample nearest --d-width 32 --lr 0.0002 --seed 0 \
  --swd-every 5 --swd-images 1000 --threads 2 --deterministic "$@"
$PY -m training latent directions --name emoji --samples 10000 --count 16 --layer fc_act \
  --labels "PC1=object → face,PC2=figure → smiley,PC3=wide → thin,PC4=light → dark" --deterministic
$PY -m training latent export --name emoji --deterministic
