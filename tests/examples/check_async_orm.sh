#!/usr/bin/env bash
# Runs examples/async_orm on the backend under test and checks that its output
# shows what SQLAlchemy's seed shows: three A rows with create dates and their
# five B rows, the same again streamed, then "new data" read back after commit.
#   check_async_orm.sh BACKEND EXAMPLE_BINARY
set -euo pipefail
backend=$1 example=$2
skip=77

case "$backend" in
  sqlite) url="sqlite://" ;;  # in memory, as the seed runs
  *)
    var="RETORT_TEST_${backend^^}_URL"
    url=${!var:-}
    [[ -n "$url" ]] || { echo "skipped: $var is not set"; exit $skip; }
    ;;
esac

out=$("$example" "$url" 2>&1) || { echo "$out"; echo "FAIL: the example exited with an error"; exit 1; }
echo "$out"

fail() { echo "FAIL: $*"; exit 1; }
expected_a=$'A(id=1, data=\'a1\')\nA(id=2, data=\'a2\')\nA(id=3, data=\'a3\')'
[[ $(grep -c '^A(' <<<"$out") == 6 ]] || fail "expected the 3 A rows twice (buffered, then streamed)"
[[ $(grep '^A(' <<<"$out" | head -3) == "$expected_a" ]] || fail "the buffered A rows differ"
[[ $(grep '^A(' <<<"$out" | tail -3) == "$expected_a" ]] || fail "the streamed A rows differ"
[[ $(grep -cE '^created at: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}' <<<"$out") == 3 ]] ||
  fail "expected a create date for each of the 3 A rows"
# 5 B rows buffered, 5 streamed, 2 loaded explicitly for the first A.
[[ $(grep -c '^B(' <<<"$out") == 12 ]] || fail "expected 12 B lines"
for id in 1 2 3 4 5; do
  [[ $(grep -c "^B(id=$id, " <<<"$out") -ge 2 ]] || fail "B $id is missing"
done
grep -qx "read back after commit: A(id=1, data='new data')" <<<"$out" || fail "\"new data\" was not read back"
echo "PASS"
