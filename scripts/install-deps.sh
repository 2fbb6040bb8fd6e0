#!/usr/bin/env bash
# Installs the Debian packages gan needs, only those that are missing.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --torch    also python3-torch (PyTorch cross-checks, benchmarks)
#   scripts/install-deps.sh --bench    also python3-torch and libdnnl-dev (the benchmarks' peers)
#   scripts/install-deps.sh --mpi      also Open MPI (data-parallel training, docs/distributed.md)
#   scripts/install-deps.sh --browser  also chromium (the training report's browser test)
#   scripts/install-deps.sh --fuzz     also clang and libFuzzer;  --format  also clang-format
# The options combine: scripts/install-deps.sh --torch --mpi.
set -euo pipefail

packages=(cmake g++ make libeigen3-dev libxsimd-dev catch2 libbenchmark-dev zlib1g-dev
          libstb-dev nlohmann-json3-dev libcli11-dev)
for option in "$@"; do
  case "$option" in
    --torch) packages+=(python3-torch python3-numpy) ;;
    --bench) packages+=(python3-torch python3-numpy libdnnl-dev) ;;
    --mpi) packages+=(libopenmpi-dev openmpi-bin) ;;
    # the report_browser test opens the training report in headless chromium
    --browser) packages+=(chromium) ;;
    # CI's fuzzing (scripts/fuzz.sh) and formatting check (scripts/format.sh)
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --format) packages+=(clang-format) ;;
    *) echo "install-deps.sh: unknown option '$option' (--torch, --bench, --mpi, --browser, --fuzz, --format)" >&2
       exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
