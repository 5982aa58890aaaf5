# What the bench checks share (sourced): fail and run, and a scratch $dir
# removed on exit.
fail() { echo "FAILED: $*"; exit 1; }
run() {  # run EXPECTED_STATUS CMD...: runs CMD, keeps its stdout+stderr in $out
  local expected=$1; shift
  out=$("$@" 2>&1); local status=$?
  echo "\$ ${*}"; echo "$out"
  [[ $status == "$expected" ]] || fail "exit status $status, expected $expected"
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
