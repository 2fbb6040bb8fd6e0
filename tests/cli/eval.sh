#!/usr/bin/env bash
# End-to-end checks of gan_eval (and gan_train_classifier's refusals) as a user runs them:
#   eval.sh <gan_eval> <gan_train> <gan_train_classifier> <work dir>
# Images come from a PNG grid, a folder of PNGs or a checkpoint; bad input must end with
# one line on stderr and exit code 2.
set -uo pipefail
eval_bin=$1 train=$2 train_classifier=$3 work=$4
repo=$(cd "$(dirname "$0")/../.." && pwd)
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=harness.sh
source "$(dirname "$0")/harness.sh"

# expect_ok NAME PATTERN COMMAND...: exit 0 and stdout matching PATTERN.
expect_ok() {
  local name=$1 pattern=$2; shift 2
  if "$@" >"$work/out.txt" 2>"$work/err.txt" && grep -q -- "$pattern" "$work/out.txt"; then
    pass "$name"
  else
    fail "$name: $(tail -3 "$work/err.txt") $(head -3 "$work/out.txt")"
  fi
}

# write_png PATH W H VALUE: a grey W x H PNG of constant VALUE, written with zlib alone.
write_png() {
  "$python" - "$@" <<'PY'
import struct, sys, zlib
path, w, h, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
raw = b"".join(b"\0" + bytes([v] * w) for _ in range(h))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(path, "wb").write(png)
PY
}

grid=$repo/docs/images/mnist_dcgan28bn_40epochs.png
# The real set: the first 1,200 bundled digits, not all 10,000, so each score classifies
# 1,200 real images (reference 600, floor pool 600): seconds under the sanitizers, not minutes.
mkdir -p "$work/real"
"$python" - "$repo/data/mnist" "$work/real" <<'PY'
import gzip, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], 1200
for name, header, size in (("images-idx3-ubyte", 16, 784), ("labels-idx1-ubyte", 8, 1)):
    raw = gzip.open("%s/mnist-10k-%s.gz" % (src, name)).read()
    out = raw[:4] + struct.pack(">I", n) + raw[8:header] + raw[header:header + n * size]
    gzip.open("%s/real-%s.gz" % (dst, name), "wb").write(out)
PY
score=("$eval_bin" --real "$work/real")

expect_ok "a committed sample grid" "100 images from the 10x10 grid" "${score[@]}" --images "$grid" --threads 1
grep -q "^FID " "$work/out.txt" && grep -q "real-vs-real" "$work/out.txt" &&
  pass "the table shows FID beside its floor" || fail "no FID row: $(cat "$work/out.txt")"
expect_ok "--json" '"fid_floor"' "${score[@]}" --images "$grid" --json --count 50 --threads 1
"$python" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['samples'] == 50 and d['label_agreement'] is None" \
  "$work/out.txt" && pass "--json is valid JSON with 50 samples" || fail "--json: $(head -c 300 "$work/out.txt")"

# A folder of 28x28 PNGs.
mkdir -p "$work/folder"
for i in 0 1 2 3 4 5; do write_png "$work/folder/img_$i.png" 28 28 $((i * 40)); done
echo "notes" >"$work/folder/README.txt"
expect_ok "a folder of PNGs (other files ignored)" "6 images from folder" "${score[@]}" --images "$work/folder" --threads 1
expect_ok "--labels with one class" "label agreement" "${score[@]}" --images "$work/folder" --labels 3 --threads 1

# Bad input.
expect_error "missing path" "does not exist" "${score[@]}" --images "$work/nowhere"
mkdir -p "$work/empty"
expect_error "an empty folder" "holds no .png files" "${score[@]}" --images "$work/empty"
mkdir -p "$work/texts" && echo a >"$work/texts/a.txt" && echo b >"$work/texts/b.md"
expect_error "a folder of non-images" "holds no .png files" "${score[@]}" --images "$work/texts"
mkdir -p "$work/fake" && echo "not a png" >"$work/fake/x.png"
expect_error "a .png that is not a PNG" "not a readable PNG image" "${score[@]}" --images "$work/fake"
mkdir -p "$work/big" && write_png "$work/big/a.png" 32 32 9 && write_png "$work/big/b.png" 32 32 9
expect_error "images of the wrong size" "is 32x32, expected 28x28" "${score[@]}" --images "$work/big"
write_png "$work/odd.png" 100 64 0
expect_error "a grid of another layout" "neither a 28x28 image nor a grid" "${score[@]}" --images "$work/odd.png"
expect_error "too few images for k-NN" "cannot score 1 images" "${score[@]}" --images "$work/folder/img_0.png"
expect_error "--count beyond the images" "--count 7 exceeds the 6 images" "${score[@]}" --images "$work/folder" --count 7
expect_error "--labels columns on a folder" "needs a grid" "${score[@]}" --images "$work/folder" --labels columns
expect_error "--labels out of range" "--labels" "${score[@]}" --images "$work/folder" --labels 10
expect_error "neither images nor checkpoint" "give --images" "${score[@]}"
expect_error "both images and checkpoint" "excludes" "${score[@]}" --images "$grid" --checkpoint "$grid"
expect_error "a checkpoint that is not one" "safetensors" "${score[@]}" --checkpoint "$grid"
expect_error "weights of another file" "safetensors" "${score[@]}" --images "$grid" --weights "$grid"
expect_error "classifier without labels" "has no labels" \
  bash -c "cp '$repo/data/mnist/mnist-10k-images-idx3-ubyte.gz' '$work/only-images-idx3-ubyte.gz' && \
           '$train_classifier' --data '$work/only-images-idx3-ubyte.gz' --out '$work/c.safetensors'"
expect_error "classifier split beyond the data" "cannot split" \
  "$train_classifier" --train-count 10000 --out "$work/c.safetensors"

# Phase B: a checkpoint's own samples, unconditional and conditional (label agreement).
quick=(--model mlp --epochs 1 --batch 500 --sample-every 10 --threads 1 --eval-every 0)
if "$train" "${quick[@]}" --out "$work/run" 2>"$work/run.err"; then
  expect_ok "--checkpoint draws its samples" "500 samples (seed 1) of mlp" \
    "${score[@]}" --checkpoint "$work/run/checkpoints/final.safetensors" --n 500 --threads 1
  expect_ok "gan_train's own grid" "100 images from the 10x10 grid" \
    "${score[@]}" --images "$work/run/samples/final.png" --threads 1
else
  fail "gan_train quick run: $(tail -3 "$work/run.err")"
fi
if "$train" "${quick[@]}" --conditional --out "$work/cond" 2>"$work/cond.err"; then
  expect_ok "a conditional checkpoint reports label agreement" "label agreement" \
    "${score[@]}" --checkpoint "$work/cond/checkpoints/final.safetensors" --n 500 --threads 1
  expect_ok "a conditional grid, one class per row" "label agreement" \
    "${score[@]}" --images "$work/cond/samples/final.png" --labels rows --threads 1
else
  fail "gan_train conditional quick run: $(tail -3 "$work/cond.err")"
fi
expect_error "--labels with a checkpoint" "takes no other value" \
  "${score[@]}" --checkpoint "$work/run/checkpoints/final.safetensors" --labels columns

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
