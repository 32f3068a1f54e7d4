#!/usr/bin/env bash
# latent/emoji, next version (issue 15 "Latent: closer to the data"; not trained yet): the shipped
# recipe (latent-emoji.sh) with three changes, aimed at SWD x1e3 within 2x of the 9.3 real-vs-real
# floor (<= 18.6; the shipped model scores 20.6):
#   --lr-decay-from 80 --lr-final 0   both learning rates constant to epoch 80, then straight down to 0
#                                     at epoch 140. The shipped run (constant 2e-4) reached 18.4 around
#                                     epochs 105-140 and drifted back to 20.6 by 180; this run was at
#                                     18.2 by epoch 40 and 15.9 by epoch 55 (the wider last block).
#   --g-min-channels 32              the generator's last block (64x64) gets 32 channels instead of 16:
#                                     the 64 px band is the level furthest from its floor (18.0 vs 5.9).
#                                     +5,104 parameters, +26 % multiply-adds per image in the browser,
#                                     about +15 % time per training step.
#   directions --truncation 1.0       the studio starts untruncated: at the old 0.8 the shipped
#                                     generator scores SWD 69.4 (objects shrink and fade).
# Everything else is as shipped (data, batch 32, DiffAugment, EMA 0.999, widths, seed, SWD set-up), so
# the SWD history up to epoch 80 is directly comparable with the shipped card's.
#
# About 75 min on 2 idle cores, 31 s an epoch (the shipped run: 83 min for 180 epochs; see
# docs/latent-training.md). If it is interrupted, run the script again with --resume: resuming is
# exact. Do not pass --max-minutes: directions and export would then run on an unfinished run.
# Longer: EPOCHS=240 DECAY_FROM=120 (a new run; on --resume a longer EPOCHS re-plans the decay).
# The export replaces exported_models/latent/emoji; compare its SWD with the shipped 20.6 before
# committing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
PY=${PY:-.venv/bin/python}
EPOCHS=${EPOCHS:-140}
DECAY_FROM=${DECAY_FROM:-80}
$PY -m training latent train --images "$DATA/gan/emoji64.npz" --name emoji-decay --size 64 --background white \
  --subset no-flags --latent-dim 128 --batch 32 --epochs "$EPOCHS" --diffaugment color,translation,cutout \
  --ema 0.999 --ema-warmup-from 0 --g-width 256 --g-min-channels 32 --g-upsample nearest --d-width 32 \
  --lr 0.0002 --lr-decay-from "$DECAY_FROM" --lr-final 0 --seed 0 --swd-every 5 --swd-images 1000 \
  --threads 2 --deterministic --verbose 2 "$@"
$PY -m training latent directions --name emoji-decay --samples 10000 --count 16 --layer fc_act --truncation 1.0 \
  --deterministic
$PY -m training latent export --name emoji-decay --out exported_models/latent/emoji --deterministic
