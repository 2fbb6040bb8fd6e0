#!/usr/bin/env bash
# Installs what is missing, builds gan_train and trains it on the bundled MNIST digits.
# Extra arguments go to gan_train (try --help), e.g. --data some/folder --model dcgan32.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j "$(nproc)" --target gan_train gan_sample
build/examples/gan_train --out out "$@"
echo "samples: out/samples/ (latest grid: out/samples/final.png), checkpoint: out/checkpoints/final.safetensors"
