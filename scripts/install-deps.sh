#!/usr/bin/env bash
# Installs the Debian packages gan needs, only those that are missing.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --torch    also python3-torch (PyTorch cross-checks, benchmarks)
#   scripts/install-deps.sh --bench    also python3-torch and libdnnl-dev (the benchmarks' peers)
set -euo pipefail

# chromium: the report_browser test opens the training report in headless chromium.
packages=(cmake g++ make libeigen3-dev libxsimd-dev catch2 libbenchmark-dev zlib1g-dev
<<<<<<< HEAD
          libstb-dev nlohmann-json3-dev libcli11-dev)
if [[ "${1:-}" == "--torch" || "${1:-}" == "--bench" ]]; then
=======
          libstb-dev nlohmann-json3-dev libcli11-dev chromium)
if [[ "${1:-}" == "--torch" ]]; then
>>>>>>> report
  packages+=(python3-torch python3-numpy)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(libdnnl-dev)
fi

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
