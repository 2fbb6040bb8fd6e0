#!/usr/bin/env bash
# Builds the benchmarks and runs ours and PyTorch's one after the other in one session, so
# every comparison in docs/benchmarks.md is a ratio taken on the same machine at the same
# time. Run it on a quiet machine: anything else running makes 2-thread figures noisy.
#   scripts/bench.sh                      everything (~10 minutes)
#   scripts/bench.sh train                the training step only (ours + PyTorch)
#   scripts/bench.sh conv                 the conv kernels only (ours + PyTorch)
# PyTorch's side needs python3-torch and the peer benchmark bench/torch_dcgan28.py (another
# one: TORCH_BENCH=path); it is skipped without them.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

scripts/install-deps.sh --bench
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build -j "$(nproc)" --target bench_peak bench_train_step bench_conv
threads=$(nproc)

torch_bench=${TORCH_BENCH:-bench/torch_dcgan28.py}
torch_run() {
  if [[ ! -f "$torch_bench" ]] || ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "(PyTorch side skipped: no $torch_bench or no python3-torch)"
    return
  fi
  echo "== PyTorch $1, tuned (the allocator settings of the speed issue)"
  env MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_MMAP_THRESHOLD_=1000000000 \
      OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS="$threads" \
      /usr/bin/python3 "$torch_bench" "$1" --threads "$threads"
  if [[ "$1" == train ]]; then
    for size in 32 64; do
      echo "== PyTorch dcgan${size}_rgb train, tuned (bench/torch_dcgan.py)"
      env MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_MMAP_THRESHOLD_=1000000000 \
          OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS="$threads" \
          /usr/bin/python3 bench/torch_dcgan.py --size "$size" --threads "$threads"
    done
    echo "== PyTorch train, default settings"
    /usr/bin/python3 "$torch_bench" train --threads "$threads"
    echo "== PyTorch train, 1 thread, tuned"
    env MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_MMAP_THRESHOLD_=1000000000 \
        OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=1 \
        /usr/bin/python3 "$torch_bench" train --threads 1
  fi
}

echo "== FMA peak of this machine (FP32 GFLOP/s, 1 thread then $threads; bench_peak)"
# Measured once, for every %peak counter below (bench_util.hpp).
peak=$(build/bench/bench_peak --benchmark_filter=float --benchmark_format=json 2>/dev/null |
       /usr/bin/python3 -c 'import json, sys
runs = [b for b in json.load(sys.stdin)["benchmarks"] if b.get("aggregate_name") == "median"]
print(",".join("%.0f" % b["GFLOP/s"] for b in runs))')
export GAN_PEAK_GFLOPS=$peak
echo "GAN_PEAK_GFLOPS=$GAN_PEAK_GFLOPS"

if [[ "$what" == all || "$what" == train ]]; then
  echo "== gan training step"
  build/bench/bench_train_step
  torch_run train
fi
if [[ "$what" == all || "$what" == conv ]]; then
  echo "== gan conv kernels"
  build/bench/bench_conv --benchmark_filter='/threads:'"$threads"'|naive'
  torch_run layers
fi
