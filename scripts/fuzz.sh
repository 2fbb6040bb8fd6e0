#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) and runs each for as long
# as asked, starting from the committed seeds (tests/fuzz/corpus/<target>) and the corpus
# of earlier runs (build-fuzz/corpus/<target>), with the target's dictionary.
#   scripts/fuzz.sh                  60 s per target
#   scripts/fuzz.sh 3600             an hour per target
#   scripts/fuzz.sh 600 idx          one target
#   scripts/fuzz.sh --seeds          rewrite the committed seed corpora (tests/fuzz/make_seeds.cpp)
# Runs under nice (FUZZ_NICE, default 10). Ends non-zero when a target finds a crash; the input that did it is kept
# as build-fuzz/artifacts/<target>-crash-* (reproduce: build-fuzz/tests/fuzz/fuzz_<target> FILE).
# Where clang++ or libFuzzer is missing it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-fuzz}
cxx=${FUZZ_CXX:-clang++}

if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx not found (apt-get install clang libclang-rt-dev): fuzzing skipped"
  exit 0
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" 2>/dev/null; then
  echo "fuzz: $cxx cannot link libFuzzer (apt-get install libclang-rt-dev): fuzzing skipped"
  exit 0
fi

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DGAN_BUILD_FUZZERS=ON -DGAN_BUILD_TESTS=OFF -DGAN_BUILD_EXAMPLES=OFF \
      -DGAN_BUILD_BENCHMARKS=OFF -DGAN_NATIVE=OFF -DGAN_USE_OPENMP=OFF >/dev/null

if [[ "${1:-}" == "--seeds" ]]; then
  cmake --build "$build" -j "$(nproc)" --target fuzz_make_seeds
  "$build/tests/fuzz/fuzz_make_seeds" . tests/fuzz/corpus
  exit 0
fi

seconds=${1:-60}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(idx idx_gzip safetensors checkpoint)
  [[ -f include/gan/io/image.hpp && -f tests/fuzz/fuzz_image.cpp ]] && targets+=(image)
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

failed=0
summary=""
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus" "$build/artifacts"
  dict=()
  [[ -f "tests/fuzz/$t.dict" ]] && dict=(-dict="tests/fuzz/$t.dict")
  # libFuzzer exits at once on a corpus folder that does not exist.
  seeds=()
  [[ -d "tests/fuzz/corpus/$t" ]] && seeds=("tests/fuzz/corpus/$t")
  echo "== fuzz_$t for $seconds s"
  log="$build/fuzz_$t.log"
  # -rss_limit_mb: every input's memory stays well under 2 GB (the limits of idx.hpp and
  # safetensors.hpp); -timeout: no input takes a second, let alone ten.
  # UBSan: stop at the first report, except those of tests/fuzz/ubsan.supp (known stb defects).
  if UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp" \
       nice -n "${FUZZ_NICE:-10}" "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
       -artifact_prefix="$build/artifacts/$t-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -20 || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  summary+=$(printf '%-12s %-7s %12s execs %8s exec/s  corpus %s files' "$t" "$status" \
                    "${execs:-?}" "${rate:-?}" "$(ls "$corpus" | wc -l)")$'\n'
done
echo "== fuzz summary ($seconds s per target; logs in $build/fuzz_*.log)"
printf '%s' "$summary"
exit "$failed"
