#!/usr/bin/env bash
# The recipe ablation of docs/training.md: the default run with each piece of the modern
# recipe on and off, scored by the run's own evaluation (docs/eval.md), one table at the end.
#   scripts/ablation.sh                 5 epochs per configuration, 2 runs at a time
#   EPOCHS=20 JOBS=1 THREADS=2 scripts/ablation.sh     full-length runs, one at a time
# Results do not depend on the thread count (the kernels give the same bits on any), so
# runs side by side on one thread each give the figures of runs alone; their wall times
# are then each a one-core time.
set -euo pipefail
cd "$(dirname "$0")/.."

epochs=${EPOCHS:-5} jobs=${JOBS:-2} threads=${THREADS:-1}
out=${OUT:-out/ablation}
steps=$((10000 / 64 * epochs))
every=$((steps / 2))

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j "$(nproc)" --target gan_train >/dev/null

# name | gan_train flags. Every flag of the recipe is spelt out, so a row means the same
# whatever the defaults of the day (the default run is the last row, with D at twice G's
# learning rate; the row before it is the previous default).
configs=(
  "bce|--loss bce --recon 0 --ema 0 --lr 2e-4"
  "bce+ema|--loss bce --recon 0 --ema 0.999 --lr 2e-4"
  "bce+ema+ttur|--loss bce --recon 0 --ema 0.999 --lr-g 1e-4 --lr-d 4e-4"
  "ns+ema|--loss ns --recon 0 --ema 0.999 --lr 2e-4"
  "hinge+sn|--loss hinge --recon 0 --ema 0 --spectral-norm --lr 2e-4"
  "hinge+sn+ema|--loss hinge --recon 0 --ema 0.999 --spectral-norm --lr 2e-4"
  "hinge+sn+ema+aug|--loss hinge --recon 0 --ema 0.999 --spectral-norm --augment translation,cutout --lr 2e-4"
  "lsgan+recon|--loss lsgan --recon 1e-4 --ema 0 --lr 2e-4"
  "lsgan+recon+ema|--loss lsgan --recon 1e-4 --ema 0.999 --lr 2e-4"
  "lsgan+recon+ema+ttur|--loss lsgan --recon 1e-4 --ema 0.999 --lr-g 2e-4 --lr-d 4e-4"
)
mkdir -p "$out"
running=0
for config in "${configs[@]}"; do
  name=${config%%|*} flags=${config#*|}
  # shellcheck disable=SC2086
  (/usr/bin/time -f "%e" -o "$out/$name.time" build/examples/gan_train $flags --epochs "$epochs" \
     --threads "$threads" --sample-every "$every" --out "$out/$name" >/dev/null 2>"$out/$name.err" ||
     echo "$name failed: $(tail -1 "$out/$name.err")" >&2) &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then wait -n; running=$((running - 1)); fi
done
wait

printf "%-20s %8s %8s %7s %9s %7s %8s %8s %9s %8s\n" configuration FID floor ratio KID prec recall classes confident "time s"
for config in "${configs[@]}"; do
  name=${config%%|*}
  csv=$out/$name/eval.csv
  [[ -f $csv ]] || { echo "$name: no eval.csv"; continue; }
  # the last evaluation: step,fid,fid_floor,kid,kid_floor,precision,precision_floor,recall,...
  tail -1 "$csv" | awk -F, -v n="$name" -v t="$(cat "$out/$name.time" 2>/dev/null || echo -)" \
    '{printf "%-20s %8.3f %8.3f %7.1f %9.5f %7.3f %8.3f %8d %9.3f %8s\n", n, $2, $3, $2 / $3, $4, $6, $8, $10, $12, t}'
done
