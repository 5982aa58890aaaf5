#!/usr/bin/env bash
# Runs an example on the backend under test and checks that its output holds
# each expected line.   check_output.sh BACKEND EXAMPLE_BINARY EXPECTED_LINE...
set -euo pipefail
backend=$1 example=$2
shift 2
case "$backend" in
  sqlite) url="sqlite://" ;;
  *)
    var="RETORT_TEST_${backend^^}_URL"
    url=${!var:-}
    [[ -n "$url" ]] || { echo "skipped: $var is not set"; exit 77; }
    ;;
esac
out=$("$example" "$url" 2>&1) || { echo "$out"; echo "FAIL: the example exited with an error"; exit 1; }
echo "$out"
for line in "$@"; do
  grep -qxF -- "$line" <<<"$out" || { echo "FAIL: missing line: $line"; exit 1; }
done
echo "PASS"
