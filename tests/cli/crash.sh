#!/usr/bin/env bash
# Crash safety of gan_train, as the reliability docs promise it:
#   crash.sh <gan_train> <gan_sample> <work dir>
# 1. SIGKILL at random moments (12 times, checkpoints written every few steps, so many kills
#    land inside a save): each time the latest checkpoint loads and the run resumes from it.
# 2. SIGTERM saves a checkpoint and exits cleanly (143).
# 3. A full disk during a save (a small tmpfs; skipped with a message where none can be
#    mounted): a clear one-line error, the previous checkpoint intact, no temporary files.
set -uo pipefail
train=$1 sample=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
run=(--model mlp --batch 32 --sample-every 3 --threads 1 --eval-every 0)  # evaluation: tests/run, eval.sh

# 1. kill -9 at random moments.
out=$work/kill
RANDOM=7
kills=0
for i in $(seq 12); do
  args=("${run[@]}" --epochs 200 --out "$out")
  [[ -f $out/checkpoints/latest.safetensors ]] && args+=(--resume "$out/checkpoints/latest.safetensors")
  "$train" "${args[@]}" >/dev/null 2>"$work/kill.err" &
  pid=$!
  # Between 0.3 and 1.5 s: past start-up, at a random point of a save or a step.
  sleep "$(printf '0.%d' $((3 + RANDOM % 9)))"
  [[ $((RANDOM % 2)) -eq 0 ]] && sleep 0.6
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null
  if [[ -f $out/checkpoints/latest.safetensors ]]; then
    if ! "$sample" --checkpoint "$out/checkpoints/latest.safetensors" --n 4 --out "$work/k.png" >/dev/null 2>"$work/k.err"; then
      fail "kill $i: latest checkpoint does not load: $(cat "$work/k.err")"
    fi
  fi
done
# After the kills, the run still resumes from its latest checkpoint (and Ctrl-C stops it).
rc=1
if [[ $kills -ge 10 && -f $out/checkpoints/latest.safetensors ]]; then
  "$train" "${run[@]}" --epochs 200 --out "$out" --resume "$out/checkpoints/latest.safetensors" \
    >/dev/null 2>"$work/resume.err" &
  pid=$!
  sleep 1
  kill -INT $pid
  wait $pid
  rc=$?
fi
if [[ $rc -eq 130 ]] && grep -q "resumed from" "$work/resume.err"; then
  pass "$kills kills with SIGKILL: every latest checkpoint loaded, and the run resumes"
else
  fail "kill test ($kills kills, exit $rc): $(tail -2 "$work/resume.err")"
fi
# Temporaries of killed writers do not pile up: at most the one a last kill left behind.
left=$(find "$out/checkpoints" -name '*.tmp*' | wc -l)
[[ $left -le 1 ]] && pass "killed saves left $left temporary files" || fail "killed saves left $left temporary files"

# 2. SIGTERM saves and exits.
"$train" "${run[@]}" --epochs 200 --out "$work/term" >/dev/null 2>"$work/term.err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
if [[ $rc -eq 143 ]] && grep -q "saved" "$work/term.err" &&
   "$sample" --checkpoint "$work/term/checkpoints/latest.safetensors" --n 4 --out "$work/t.png" >/dev/null; then
  pass "SIGTERM saves a checkpoint and exits with 143"
else
  fail "SIGTERM (exit $rc): $(tail -2 "$work/term.err")"
fi

# 3. A full disk during a save.
disk=$work/disk
mkdir -p "$disk"
if mount -t tmpfs -o size=4m tmpfs "$disk" 2>/dev/null; then
  # The first checkpoint of mlp (~2.3 MB) fits, a second one beside it does not.
  "$train" --model mlp --threads 1 --epochs 1 --batch 500 --sample-every 1000 --eval-every 0 --out "$disk/out" >/dev/null 2>"$work/disk.err"
  rc=$?
  lines=$(wc -l <"$work/disk.err")
  good=$disk/out/checkpoints/latest.safetensors
  if [[ $rc -eq 2 ]] && grep -q "No space left on device" "$work/disk.err" && [[ -f $good ]] &&
     "$sample" --checkpoint "$good" --n 4 --out "$work/d.png" >/dev/null &&
     [[ $(find "$disk" -name '*.tmp*' | wc -l) -eq 0 ]]; then
    pass "a full disk mid-save: one clear error, the previous checkpoint intact, no temporary files"
  else
    fail "full disk (exit $rc, $lines lines): $(tail -3 "$work/disk.err"); $(ls -la "$disk/out/checkpoints" 2>&1)"
  fi
  umount "$disk"
else
  echo "skip full-disk test: cannot mount a tmpfs here (needs root)"
fi

echo "crash.sh: $failures failed"
exit $((failures > 0))
