#!/usr/bin/env bash
# Cuts Dungeon Crawl Stone Soup's 32x32 tile sheets into an image folder, one sub-folder per
# sheet (feat, floor, wall), for load_image_folder / --data:
#   scripts/prepare_crawl_tiles.sh OUT_DIR [SHEET ...]
# Installs Debian's crawl-tiles-data if it is missing (sudo when not root). Nothing of it is
# committed to this repository; see docs/data.md for the tiles' licence.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUT_DIR [feat|floor|wall ...]" >&2
  exit 2
fi
out=$1
shift

if ! dpkg-query -W -f='${Status}' crawl-tiles-data 2>/dev/null | grep -q "install ok installed"; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "installing: crawl-tiles-data" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    crawl-tiles-data >/dev/null
fi

tiles=/usr/share/crawl/dat/tiles
copyright=/usr/share/doc/crawl-tiles-data/copyright
# The package is GPL-2+ as a whole, and its copyright file says most tiles are public
# domain / CC0 (docs/data.md). Both allow using the tiles as training data; stop if a
# future package says otherwise, so that the licence is read again.
if ! grep -q "GNU General Public License" "$copyright" || ! grep -qi "CC0: most of tiles" "$copyright"; then
  echo "$copyright no longer reads as documented in docs/data.md: check the tiles' licence" >&2
  exit 1
fi

python3 scripts/cut_crawl_tiles.py "$tiles" "$out" "$@"
