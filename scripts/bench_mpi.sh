#!/usr/bin/env bash
# Processes against threads on one machine, in one session (docs/distributed.md): for each
# model, one process of 2 threads, then 2 processes of one thread each (mpirun -np 2), on
# the same global batch; images/s and the share of a step spent in MPI_Allreduce, medians
# of the repeats. The machine's load is printed before and after: measure when it is low.
#   scripts/bench_mpi.sh                   dcgan28 and dcgan28-bn, batch 64
#   scripts/bench_mpi.sh dcgan32 ...       other models (extra arguments: --batch, --steps,
#                                          --repeats, --warmup go to every run)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --mpi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_WITH_MPI=ON -DGAN_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build -j "$(nproc)" --target bench_data_parallel
bench=build/bench/bench_data_parallel

models=()
while [[ $# -gt 0 && $1 != --* ]]; do models+=("$1"); shift; done
[[ ${#models[@]} -eq 0 ]] && models=(dcgan28 dcgan28-bn)
mpi=(mpirun -np 2)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

echo "== load before: $(uptime)"
for model in "${models[@]}"; do
  echo "== $model: 1 process x 2 threads"
  OMP_NUM_THREADS=2 "$bench" --model "$model" --threads 2 "$@"
  echo "== $model: 2 processes x 1 thread (mpirun binds each to a core)"
  "${mpi[@]}" -x OMP_NUM_THREADS=1 "$bench" --model "$model" --threads 1 "$@"
done
echo "== load after: $(uptime)"
