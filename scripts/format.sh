#!/usr/bin/env bash
# Formats our C++ sources with the committed .clang-format; --check only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.hpp' '*.cpp')
if ! command -v clang-format >/dev/null; then
  echo "clang-format not found: skipping the format check" >&2
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  clang-format --dry-run --Werror $files
  echo "clang-format: all files formatted"
else
  clang-format -i $files
fi
