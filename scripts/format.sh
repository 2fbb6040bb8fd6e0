#!/usr/bin/env bash
# Formats our C++ sources with the committed .clang-format; --check only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.hpp' '*.cpp')
if ! command -v clang-format >/dev/null; then
  # A check that cannot run has not passed: CI must not report unformatted code as clean.
  echo "clang-format not found (apt-get install clang-format): cannot format or check" >&2
  exit 1
fi
if [[ "${1:-}" == "--check" ]]; then
  clang-format --dry-run --Werror $files
  echo "clang-format: all files formatted"
else
  clang-format -i $files
fi
