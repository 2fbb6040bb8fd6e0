#!/usr/bin/env bash
# Installs what is missing, builds every test and runs them.
#   scripts/test.sh                  Release build in build/
#   BUILD_DIR=build-asan CXXFLAGS="-fsanitize=address,undefined" BENCHMARKS=OFF scripts/test.sh
#   CTEST_ARGS="-LE training" scripts/test.sh      extra ctest arguments (here: skip the
#                                                  tests that train until a GAN learns)
#   MPI=OFF scripts/test.sh          without the MPI part (data-parallel training and its
#                                    tests under mpirun, docs/distributed.md); default ON
#   EXAMPLES=OFF TARGETS=gan_tests scripts/test.sh   only the unit tests (with
#                                    CTEST_ARGS="-L unit"): what .ci/run's sanitizer leg runs
set -euo pipefail
cd "$(dirname "$0")/.."

mpi=${MPI:-ON}
if [[ $mpi == ON ]]; then scripts/install-deps.sh --torch --browser --mpi; else scripts/install-deps.sh --torch --browser; fi
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DGAN_BUILD_TESTS=ON \
      -DGAN_BUILD_EXAMPLES="${EXAMPLES:-ON}" -DGAN_BUILD_BENCHMARKS="${BENCHMARKS:-ON}" -DGAN_WITH_MPI="$mpi" \
      -DGAN_TEST_ONLY= >/dev/null
# shellcheck disable=SC2086  # TARGETS is a list of target names
cmake --build "$build" -j "$(nproc)" ${TARGETS:+--target $TARGETS}
cd "$build"
# Test processes run side by side: OpenMP threads that wait should sleep, not spin.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
ctest --output-on-failure -j "$(nproc)" --timeout 900 ${CTEST_ARGS:-}
