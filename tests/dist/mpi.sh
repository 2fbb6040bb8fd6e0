#!/usr/bin/env bash
# Data-parallel training as a user runs it, under mpirun (docs/distributed.md):
#   mpi.sh <mpirun> <gan_train> <gan_sample> <compare_checkpoints> <dist_checks> <work dir>
# N processes train the model one process trains (within a stated tolerance), a resumed
# job ends with the bits of an uninterrupted one, a killed process ends the job with a
# non-zero exit and leaves the last checkpoint loadable, and --help and bad input behave
# as without MPI.
set -uo pipefail
mpirun=$1 train=$2 sample=$3 compare=$4 checks=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# -q: no banners of mpirun's own, so that our one-line errors stay one line. Root (a
# container) may start processes only when it says so. The shared-memory transport's
# single-copy mode needs ptrace rights that containers often withhold.
mpi=("$mpirun" --oversubscribe -q)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=1

# 320 of the bundled digits: 5 steps of 64 per epoch.
mkdir -p "$work/data"
python3 - "$(dirname "$0")/../../data/mnist" "$work/data" <<'PY'
import gzip, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], 320
images = gzip.open(src + "/mnist-10k-images-idx3-ubyte.gz").read()
labels = gzip.open(src + "/mnist-10k-labels-idx1-ubyte.gz").read()
gzip.open(dst + "/small-images-idx3-ubyte.gz", "wb").write(
    images[:4] + struct.pack(">I", n) + images[8:16] + images[16:16 + n * 784])
gzip.open(dst + "/small-labels-idx1-ubyte.gz", "wb").write(
    labels[:4] + struct.pack(">I", n) + labels[8:8 + n])
PY
quick=(--data "$work/data" --sample-every 1000 --threads 1)

for np in 2 3; do
  if "${mpi[@]}" -np $np "$checks" >"$work/checks.txt" 2>&1; then
    pass "dist_checks on $np processes"
  else
    fail "dist_checks on $np processes: $(grep -m3 FAIL "$work/checks.txt")"
  fi
done

# final NAME: the final checkpoint of run NAME.
final() { echo "$work/$1/checkpoints/final.safetensors"; }

# N processes against one, same global batch and seed. Not bit for bit: each weight
# gradient is a sum over the batch computed in blocks, and N shares are summed in another
# order than one batch (float addition is not associative), ~1e-7 relative. Adam's step
# divides by sqrt(v) + eps, so in an element whose gradient is near zero (~eps) such a
# difference moves the step by a fraction of lr: a few parameters drift apart by up to
# ~lr / 10 in 5 steps while the rest agree to rounding. Asked: max < lr / 2 = 1e-4 and
# rms < 1e-6; a missing or wrong reduction gives rms ~1e-4 (docs/distributed.md).
equivalent() {
  local name=$1 np=$2; shift 2
  "$train" --eval-every 0 "$@" --out "$work/$name-1" 2>"$work/$name-1.err" &&
    "${mpi[@]}" -np "$np" "$train" --eval-every 0 "$@" --out "$work/$name-$np" 2>"$work/$name-$np.err" &&
    "$compare" "$(final "$name-1")" "$(final "$name-$np")" 1e-4 1e-6 >"$work/$name.cmp"
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    pass "$name: $np processes train what one does ($(head -1 "$work/$name.cmp"))"
  else
    fail "$name: $np processes against one: $(cat "$work/$name.cmp" 2>/dev/null) $(tail -2 "$work/$name-$np.err")"
  fi
}
equivalent dcgan28 2 "${quick[@]}" --epochs 1 --batch 64 --model dcgan28
# Uneven shares (17, 17, 16 of 50), conditional, lsgan with a reconstruction term, 2 D steps.
equivalent mlp-uneven 3 "${quick[@]}" --epochs 1 --batch 50 --model mlp --conditional \
  --loss lsgan --recon 0.5 --d-steps 2

# Process 0 alone writes: one log of 5 steps, one grid per name, the report, no stray files.
if [[ $(wc -l <"$work/dcgan28-2/log.csv") -eq 6 ]] &&
   [[ $(cut -d, -f1 "$work/dcgan28-2/log.csv" | tr '\n' ' ') == "step 1 2 3 4 5 " ]] &&
   [[ -f $work/dcgan28-2/samples/final.png ]] &&
   [[ -f $work/dcgan28-2/report.html ]] &&
   [[ $(find "$work/dcgan28-2" -type f | wc -l) -eq 6 ]]; then
  pass "process 0 alone writes the log, the grids and the checkpoints"
else
  fail "files of a 2-process run: $(find "$work/dcgan28-2" -type f | tr '\n' ' ')"
fi
grep -q "data parallel: 2 processes, 32 images of each batch of 64" "$work/dcgan28-2.err" &&
  grep -q "allreduce calls" "$work/dcgan28-2.err" &&
  [[ $(grep -c "^gan_train:" "$work/dcgan28-2.err") -eq 1 ]] &&
  pass "process 0 alone reports" || fail "report: $(cat "$work/dcgan28-2.err")"

# Resume under 2 processes is exact: 2 epochs in one go against 1 + 1 resumed, with the
# default model (BatchNorm: per-process statistics, the same in both jobs).
"${mpi[@]}" -np 2 "$train" --eval-every 0 "${quick[@]}" --batch 64 --epochs 2 --out "$work/whole" 2>"$work/whole.err"
"${mpi[@]}" -np 2 "$train" --eval-every 0 "${quick[@]}" --batch 64 --epochs 1 --out "$work/halves" 2>"$work/halves.err"
"${mpi[@]}" -np 2 "$train" --eval-every 0 --resume "$(final halves)" --epochs 2 --data "$work/data" \
  --sample-every 1000 --threads 1 --out "$work/halves" 2>"$work/resume.err"
if "$compare" "$(final whole)" "$(final halves)" 0 >"$work/resume.cmp" &&
   grep -q "resumed from .* at step 5" "$work/resume.err" &&
   diff <(cut -d, -f1-6 "$work/whole/log.csv") <(cut -d, -f1-6 "$work/halves/log.csv") >/dev/null; then
  pass "resume under 2 processes ends with the same bits and log"
else
  fail "resume under 2 processes: $(cat "$work/resume.cmp") $(tail -2 "$work/resume.err")"
fi

# --help and bad input, as without MPI: one help text, one error line, exit 2.
"${mpi[@]}" -np 2 "$train" --eval-every 0 --help >"$work/help.txt" 2>&1
rc=$?
[[ $rc -eq 0 && $(grep -c "^Usage" "$work/help.txt") -eq 1 ]] && pass "--help under mpirun" ||
  fail "--help under mpirun (exit $rc): $(head -3 "$work/help.txt")"
expect_error() {
  local name=$1 pattern=$2; shift 2
  "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$? lines
  lines=$(wc -l <"$work/err.txt")
  if [[ $rc -eq 2 && $lines -eq 1 ]] && grep -q -- "$pattern" "$work/err.txt"; then
    pass "$name"
  else
    fail "$name (exit $rc, $lines lines): $(cat "$work/err.txt")"
  fi
}
expect_error "bad option under mpirun" "batch must be >= 1" \
  "${mpi[@]}" -np 2 "$train" --eval-every 0 --batch -5 --out "$work/bad"
expect_error "unknown flag under mpirun" "gan_train: error: The following argument" \
  "${mpi[@]}" -np 2 "$train" --eval-every 0 --no-such-flag --out "$work/bad"
expect_error "a batch too small to share" "a batch of 1 cannot be shared by 2 processes" \
  "${mpi[@]}" -np 2 "$train" --eval-every 0 "${quick[@]}" --batch 1 --out "$work/bad"
expect_error "resume with a conflicting option" "--model conflicts with the checkpoint.s dcgan28" \
  "${mpi[@]}" -np 2 "$train" --eval-every 0 --resume "$(final dcgan28-1)" --model mlp --out "$work/bad"
[[ ! -e $work/bad ]] && pass "refused jobs wrote nothing" || fail "a refused job left $work/bad"

# A process killed mid-run (kill -9: no chance to clean up) ends the job with a non-zero
# exit, and the last checkpoint process 0 wrote still loads and resumes.
killed() {
  local rank=$1 out=$work/killed-$1
  "${mpi[@]}" -np 2 "$train" --eval-every 0 --data "$work/data" --model mlp --epochs 300 --batch 32 \
    --sample-every 2 --threads 1 --out "$out" 2>"$out.err" &
  local job=$! pid="" p
  for _ in $(seq 300); do
    [[ -f $out/log.csv && $(wc -l <"$out/log.csv") -gt 12 ]] && break
    sleep 0.1
  done
  for p in $(pgrep -P $job); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank" && pid=$p
  done
  [[ -n $pid ]] && kill -9 "$pid"
  wait $job
  local rc=$?
  local latest=$out/checkpoints/latest.safetensors steps
  steps=$(tail -1 "$out/log.csv" | cut -d, -f1)  # the checkpoint is at most this far
  if [[ -n $pid && $rc -ne 0 ]] && "$sample" --checkpoint "$latest" --n 4 --out "$out.png" >/dev/null &&
     "$train" --eval-every 0 --resume "$latest" --epochs $((steps / 10 + 1)) --data "$work/data" --threads 1 \
       --out "$out" 2>"$out.resume.err"; then
    pass "process $rank killed: the job exits with $rc, the last checkpoint loads and resumes"
  else
    fail "process $rank killed (pid '${pid}', exit $rc): $(tail -2 "$out.err") $(tail -1 "$out.resume.err" 2>/dev/null)"
  fi
}
killed 1
killed 0

# An error on one process mid-run (process 0 cannot write its grid: the samples folder
# became a file) ends the whole job with that process's message and exit 2, and the last
# checkpoint is whole.
out=$work/broken
"${mpi[@]}" -np 2 "$train" --eval-every 0 --data "$work/data" --model mlp --epochs 300 --batch 32 \
  --sample-every 2 --threads 1 --out "$out" 2>"$out.err" &
job=$!
for _ in $(seq 300); do
  [[ -f $out/log.csv && $(wc -l <"$out/log.csv") -gt 12 ]] && break
  sleep 0.1
done
# mv, not rm -rf: the run may write a grid into the folder while rm empties it, and then
# rm fails with "Directory not empty" and the folder stays (seen in CI).
mv "$out/samples" "$out/samples.gone" && touch "$out/samples"
wait $job
rc=$?
if [[ $rc -eq 2 ]] && grep -q "gan_train: error (process 0 of 2, ending the job): .*samples" "$out.err" &&
   "$sample" --checkpoint "$out/checkpoints/latest.safetensors" --n 4 --out "$out.png" >/dev/null; then
  pass "an error on process 0 mid-run ends the job with its message and exit 2"
else
  fail "error mid-run (exit $rc): $(tail -2 "$out.err")"
fi

# Ctrl-C: mpirun passes SIGTERM to every process and kills them about a second later; the
# processes agree to stop after the same step and process 0 saves if that second allows.
# Either way the job ends non-zero and the latest checkpoint loads.
out=$work/interrupted
"${mpi[@]}" -np 2 "$train" --eval-every 0 --data "$work/data" --model mlp --epochs 300 --batch 32 \
  --sample-every 5 --threads 1 --out "$out" 2>"$out.err" &
job=$!
for _ in $(seq 300); do
  [[ -f $out/log.csv && $(wc -l <"$out/log.csv") -gt 12 ]] && break
  sleep 0.1
done
kill -INT $job
wait $job
rc=$?
if [[ $rc -ne 0 ]] && "$sample" --checkpoint "$out/checkpoints/latest.safetensors" --n 4 --out "$out.png" >/dev/null; then
  pass "Ctrl-C under mpirun: exit $rc, the latest checkpoint loads ($(grep -o "interrupted at step [0-9]*" "$out.err" || echo "killed before the save"))"
else
  fail "Ctrl-C under mpirun (exit $rc): $(tail -2 "$out.err")"
fi

echo "mpi.sh: $failures failed"
exit $((failures > 0))
