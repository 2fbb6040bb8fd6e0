# The checks the CLI test scripts share; source it after setting $work (a scratch folder).
#   pass NAME / fail NAME      report one check (fail counts into $failures)
#   expect_error NAME PATTERN COMMAND...   exit 2, one stderr line that matches PATTERN
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

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
