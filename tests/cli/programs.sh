#!/usr/bin/env bash
# End-to-end checks of gan_train and gan_sample as a user runs them:
#   programs.sh <gan_train> <gan_sample> <tiny_gan> <work dir>
# Bad input must end with one line on stderr and exit code 2, and never touch a good
# checkpoint; Ctrl-C must save a checkpoint that resumes.
set -uo pipefail
train=$1 sample=$2 work=$4
attack=$(dirname "$train")/gan_attack
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=harness.sh
source "$(dirname "$0")/harness.sh"

# In-run evaluation is tested by tests/run and eval.sh; here it would only cost time
# (it classifies the 10,000 real digits first), minutes under the sanitizers.
quick=(--model mlp --epochs 1 --batch 500 --sample-every 10 --threads 1 --eval-every 0)

expect_error "negative batch" "batch must be >= 1" "$train" --batch -5 --out "$work/a"
expect_error "unknown loss" "unknown loss 'wgan'" "$train" --loss wgan --out "$work/a"
expect_error "negative learning rate of D" "learning rates must be finite and > 0" \
  "$train" "${quick[@]}" --lr-d -5 --out "$work/a"
expect_error "learning rate that is not a number" "--lr-d" "$train" "${quick[@]}" --lr-d fast --out "$work/a"
expect_error "unknown model" "unknown model 'resnet'" "$train" --model resnet --out "$work/a"
expect_error "missing data" "does not exist" "$train" --data "$work/nowhere" --out "$work/a"
printf 'not an idx file at all' >"$work/bad-images-idx3-ubyte"
expect_error "corrupt data" "bad-images-idx3-ubyte" "$train" --data "$work/bad-images-idx3-ubyte" --out "$work/a"
touch "$work/a-file"
expect_error "unwritable output" "not writable" "$train" "${quick[@]}" --out "$work/a-file/out"
expect_error "conditional without labels" "needs labels" \
  bash -c "cp '$(dirname "$0")/../../data/mnist/mnist-10k-images-idx3-ubyte.gz' '$work/only-images-idx3-ubyte.gz' && \
           '$train' --conditional --data '$work/only-images-idx3-ubyte.gz' --out '$work/a'"

expect_error "empty output folder" "must name a folder" "$train" "${quick[@]}" --out ""
expect_error "negative seed" "seed" "$train" "${quick[@]}" --seed -1 --out "$work/a"
expect_error "seed beyond 2^63" "seed" "$train" "${quick[@]}" --seed 18446744073709551616 --out "$work/a"
expect_error "image size the model cannot make" "makes 28 pixel images, not 32" \
  "$train" "${quick[@]}" --image-size 32 --out "$work/a"
expect_error "data of another shape than the model's" "but model dcgan32 makes 1x32x32" \
  "$train" --model dcgan32 --epochs 1 --out "$work/a"
expect_error "width of a fixed-width model" "fixed width" "$train" "${quick[@]}" --width 32 --out "$work/a"
expect_error "attacks that do not fit K" "--d-attacks lists 2 attacks for 3 discriminators" \
  "$train" "${quick[@]}" --discriminators 3 --d-attacks none,fgsm:0.1 --out "$work/a"
expect_error "unknown conditioning" "unknown --conditioning 'onehot'" \
  "$train" "${quick[@]}" --conditional --conditioning onehot --out "$work/a"
expect_error "projection on a model without one" "model mlp has no projection discriminator" \
  "$train" "${quick[@]}" --conditional --conditioning projection --out "$work/a"
expect_error "unknown aggregate" "unknown aggregate 'median'" "$train" "${quick[@]}" --aggregate median --out "$work/a"
expect_error "unknown attack" "unknown attack 'cw:1'" "$train" "${quick[@]}" --d-attacks cw:1 --out "$work/a"
expect_error "unknown variant" "unknown discriminator variant 'big'" \
  "$train" "${quick[@]}" --discriminators 2 --d-variants model,big --out "$work/a"
[[ ! -e $work/a ]] && pass "refused options wrote nothing" || fail "refused options left $work/a behind"

# Built without MPI but started as one of N processes (the environment mpirun gives its
# processes): refused with one line (from process 0 only), rather than N copies training
# over one folder. A build with MPI trains data-parallel instead (tests/dist/mpi.sh).
if [[ ${GAN_WITH_MPI:-OFF} != ON ]]; then
  expect_error "started by mpirun without MPI" "started as one of 2 processes (mpirun?), but this build has no MPI" \
    env OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 "$train" "${quick[@]}" --out "$work/a"
  OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$train" "${quick[@]}" --out "$work/a" 2>"$work/err.txt"
  [[ $? -eq 2 && ! -s $work/err.txt && ! -e $work/a ]] && pass "the other processes refuse quietly" ||
    fail "process 1 without MPI: $(cat "$work/err.txt")"
fi

# A short run writes samples, a log and checkpoints.
if "$train" "${quick[@]}" --out "$work/run" 2>"$work/run.err" &&
   [[ -f $work/run/samples/step_000010.png && -f $work/run/samples/final.png &&
      -f $work/run/checkpoints/final.safetensors && -f $work/run/log.csv ]] &&
   [[ $(wc -l <"$work/run/log.csv") -eq 21 ]]; then
  pass "short run writes samples, log and checkpoints"
else
  fail "short run: $(tail -3 "$work/run.err")"
fi

good=$work/run/checkpoints/latest.safetensors
sum_before=$(cksum <"$good")
head -c 1000 "$good" >"$work/cut.safetensors"
expect_error "truncated checkpoint (resume)" "cut.safetensors" "$train" --resume "$work/cut.safetensors" --out "$work/run"
expect_error "truncated checkpoint (sample)" "cut.safetensors" "$sample" --checkpoint "$work/cut.safetensors" --out "$work/x.png"
expect_error "digit on unconditional model" "needs a conditional model" "$sample" --checkpoint "$good" --digit 3 --out "$work/x.png"
expect_error "sample count" "--n must be >= 1" "$sample" --checkpoint "$good" --n 0 --out "$work/x.png"
expect_error "resume with a conflicting option" "--model conflicts with the checkpoint's mlp" \
  "$train" --resume "$good" --model dcgan28 --out "$work/run"
expect_error "resume with another conditioning" "--conditioning conflicts with the checkpoint's planes" \
  "$train" --resume "$good" --conditioning projection --out "$work/run"
[[ $(cksum <"$good") == "$sum_before" ]] && pass "refused input left the checkpoint alone" || fail "checkpoint changed"

if "$sample" --checkpoint "$good" --n 16 --out "$work/grid.png" >/dev/null && [[ -s $work/grid.png ]] &&
   "$sample" --checkpoint "$good" --n 3 --out "$work/singles" >/dev/null && [[ -s $work/singles/sample_000002.png ]]; then
  pass "gan_sample writes a grid and single images"
else
  fail "gan_sample"
fi

if "$sample" --checkpoint "$good" --interpolate 8 --n 24 --out "$work/walk.png" >/dev/null && [[ -s $work/walk.png ]]; then
  pass "gan_sample --interpolate writes a grid of walks"
else
  fail "gan_sample --interpolate"
fi
expect_error "interpolate of one step" "--interpolate must be" "$sample" --checkpoint "$good" --interpolate 1 --out "$work/x.png"
expect_error "grid too large" "too many for one grid" "$sample" --checkpoint "$good" --n 200000 --out "$work/x.png"
# Resuming on another data set would silently change the run's batches: refused.
mkdir -p "$work/other-data"
python3 - "$(dirname "$0")/../../data/mnist/mnist-10k-images-idx3-ubyte.gz" "$work/other-data/half-images-idx3-ubyte.gz" <<'PY'
import gzip, struct, sys
raw = gzip.open(sys.argv[1]).read()
n = 5000
gzip.open(sys.argv[2], "wb").write(raw[:4] + struct.pack(">I", n) + raw[8:16] + raw[16:16 + n * 784])
PY
expect_error "resume on another data set" "its data.count is 10000, this run's is 5000" \
  "$train" --resume "$good" --data "$work/other-data" --out "$work/run"

# Resume continues where the checkpoint stopped, with the saved options; an explicit
# --conditioning auto agrees with what auto chose for the saved model (planes for mlp).
if "$train" --resume "$work/run/checkpoints/final.safetensors" --epochs 2 --out "$work/run" --sample-every 10 --eval-every 0 --conditioning auto 2>"$work/resume.err" &&
   grep -q "resumed from .* at step 20" "$work/resume.err" && [[ $(wc -l <"$work/run/log.csv") -eq 41 ]]; then
  pass "resume extends a run"
else
  fail "resume: $(tail -3 "$work/resume.err")"
fi

# Three discriminators of two kinds, hardened against different attacks (docs/multi_discriminator.md).
multi=(--model mlp --epochs 1 --batch 500 --sample-every 10 --threads 1 --discriminators 3
       --d-variants model,model,half --d-attacks none,fgsm:0.05,noise:0.1 --aggregate softmean:1 --eval-every 0)
if "$train" "${multi[@]}" --out "$work/multi" 2>"$work/multi.err" &&
   grep -q "3 discriminators" "$work/multi.err" && [[ -f $work/multi/checkpoints/final.safetensors ]]; then
  pass "a run with three hardened discriminators"
else
  fail "three discriminators: $(tail -3 "$work/multi.err")"
fi
mfinal=$work/multi/checkpoints/final.safetensors
expect_error "resume with another number of discriminators" "--discriminators conflicts with the checkpoint's 3" \
  "$train" --resume "$mfinal" --discriminators 2 --out "$work/multi"
expect_error "resume with another aggregate" "--aggregate conflicts with the checkpoint's softmean:1" \
  "$train" --resume "$mfinal" --aggregate max --out "$work/multi"
if "$train" --resume "$mfinal" --epochs 2 --eval-every 0 --out "$work/multi" 2>"$work/multi-resume.err" &&
   grep -q "resumed from .* at step 20" "$work/multi-resume.err"; then
  pass "a run with three discriminators resumes"
else
  fail "three discriminators resume: $(tail -3 "$work/multi-resume.err")"
fi
if "$attack" --checkpoint "$mfinal" --n 40 --eps 0.05 --pgd-steps 3 --threads 1 --json "$work/attack.json" >"$work/attack.txt" &&
   grep -q "ensemble of 3" "$work/attack.txt" && grep -q '"fake_flipped"' "$work/attack.json"; then
  pass "gan_attack measures each discriminator and the ensemble"
else
  fail "gan_attack: $(tail -3 "$work/attack.txt")"
fi
expect_error "gan_attack on a missing checkpoint" "nowhere.safetensors" "$attack" --checkpoint "$work/nowhere.safetensors"
expect_error "gan_attack with a bad epsilon" "--eps" "$attack" --checkpoint "$mfinal" --eps 0.1,x

# Ctrl-C saves a checkpoint and exits with 130; the checkpoint resumes.
"$train" --model mlp --epochs 200 --batch 32 --sample-every 100000 --threads 1 --eval-every 0 --out "$work/int" 2>"$work/int.err" &
pid=$!
for _ in $(seq 100); do
  [[ -f $work/int/log.csv && $(wc -l <"$work/int/log.csv") -gt 5 ]] && break
  sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
if [[ $rc -eq 130 && -f $work/int/checkpoints/latest.safetensors ]] &&
   "$sample" --checkpoint "$work/int/checkpoints/latest.safetensors" --n 4 --out "$work/int.png" >/dev/null; then
  pass "Ctrl-C saves a usable checkpoint"
else
  fail "Ctrl-C (exit $rc): $(tail -2 "$work/int.err")"
fi

# A folder of colour images of mixed sizes and formats, one sub-folder per class, trains
# dcgan32 (conditionally), a corrupt file is skipped with a warning, and gan_sample draws
# a class by its folder's name.
/usr/bin/python3 - "$work/sprites" <<'PY'
import os, struct, sys, zlib
root = sys.argv[1]
def png(path, w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    open(path, "wb").write(data)
def bmp(path, w, h, rgb):
    row = bytes(rgb[::-1]) * w + b"\x00" * ((4 - 3 * w % 4) % 4)
    pixels = row * h
    header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    open(path, "wb").write(header + info + pixels)
for c, (name, colour) in enumerate([("red", (220, 30, 30)), ("blue", (30, 30, 220))]):
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for i in range(6):
        size = (24 + 8 * i, 40 - 2 * i)
        (png if i % 2 else bmp)(os.path.join(root, name, "%d.%s" % (i, "png" if i % 2 else "bmp")),
                                size[0], size[1], colour)
open(os.path.join(root, "red", "broken.png"), "wb").write(b"\x89PNG\r\n\x1a\nnot really")
PY
if "$train" --data "$work/sprites" --model dcgan32 --width 8 --conditional --epochs 2 --batch 4 \
     --sample-every 1000 --threads 1 --out "$work/sprites-run" 2>"$work/sprites.err" &&
   grep -q "12 images of 3x32x32" "$work/sprites.err" && grep -q "broken.png" "$work/sprites.err" &&
   [[ -f $work/sprites-run/samples/final.png && -f $work/sprites-run/report.html ]] &&
   "$sample" --checkpoint "$work/sprites-run/checkpoints/final.safetensors" --class blue --n 4 \
     --out "$work/blue.png" >/dev/null 2>&1 && [[ -f $work/blue.png ]]; then
  pass "an image folder with class folders trains dcgan32 in colour; --class names a folder"
else
  fail "image folder run: $(tail -3 "$work/sprites.err")"
fi
expect_error "image folder at a size the model cannot make" "makes 32 pixel images, not 48" \
  "$train" --data "$work/sprites" --model dcgan32 --image-size 48 --out "$work/sprites-bad"
[[ ! -e $work/sprites-bad ]] && pass "nothing written for a refused folder run" ||
  fail "a refused folder run wrote $work/sprites-bad"

# The README's example runs.
"$3" >"$work/tiny.txt" 2>&1 && grep -q "step 500" "$work/tiny.txt" && pass "tiny_gan (README example)" || fail "tiny_gan"

echo "programs.sh: $failures failed"
exit $((failures > 0))
