#!/usr/bin/env bash
# Installs what is missing, builds mnist_gan and trains it on the bundled MNIST digits.
# Extra arguments go to mnist_gan (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j "$(nproc)" --target mnist_gan gan_sample
build/examples/mnist_gan --out out "$@"
echo "samples: out/samples/ (latest grid: out/samples/final.png), checkpoint: out/checkpoints/final.safetensors"
