#!/usr/bin/env bash
# check_bench.sh RETORT_BENCH CASE [BACKEND]: the benchmark suite works (never
# how fast: timings are for tools/bench on a quiet machine). Exits 0 when the
# case holds, 77 (a skip) when the backend has no server, 1 otherwise.
#   phases BACKEND  every phase runs on Retort, on the raw loop and (when the
#                   bench was built with it) on SOCI, each checking that the
#                   database ended up as the phase says, and the table, CSV and
#                   chart come out
#   baseline        a ratio that dropped against a saved CSV is flagged (exit 3);
#                   one that held is not
#   usage           bad arguments exit 2 with a message
set -uo pipefail
bench=$1 case=$2
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
phases="insert selectin joined stream update get concurrent delete core_insert core_select"

case "$case" in
  phases)
    backend=$3
    case "$backend" in
      sqlite) url="sqlite:///$dir/bench.db" ;;
      postgresql) url=${RETORT_TEST_POSTGRESQL_URL:-} ;;
      mysql) url=${RETORT_TEST_MYSQL_URL:-} ;;
    esac
    [[ -n "$url" ]] || { echo "no $backend server"; exit 77; }
    run 0 "$bench" --backend "$backend" "--$backend-url" "$url" -n 40 --gets 15 --operations 160 --reps 2 \
      --csv "$dir/out.csv" --svg "$dir/out.svg" --caption "check"
    for p in $phases; do
      grep -qE "^$backend +$p " <<<"$out" || fail "the table has no $p line"
      grep -q "^$backend,$p," "$dir/out.csv" || fail "the CSV has no $p line"
    done
    # 40 parents with two children each: 120 rows, except the 40 streamed and updated and the 15 gets.
    grep -qE "^$backend +insert +120 " <<<"$out" || fail "insert did not count 120 rows"
    grep -qE "^$backend +get +15 " <<<"$out" || fail "get did not count 15 rows"
    grep -qE "^$backend +concurrent +160 " <<<"$out" || fail "concurrent did not count 160 operations"
    [[ $(grep -c "<rect x=" "$dir/out.svg") -ge 7 ]] || fail "the chart has no bars"
    # SOCI's columns (12th on) are filled exactly when the bench was built with it.
    if grep -q "^SOCI: not in this build" <<<"$out"; then
      awk -F, 'NR > 1 && $12 != "" { exit 1 }' "$dir/out.csv" || fail "SOCI figures without SOCI"
    else
      grep -qE "retort/soci" <<<"$out" || fail "the table has no SOCI columns"
      awk -F, 'NR > 1 && ($12 == "" || $13 == "") { exit 1 }' "$dir/out.csv" || fail "the CSV lacks SOCI figures"
      grep -q "retort/soci" "$dir/out.svg" || fail "the chart does not mark SOCI"
    fi
    ;;
  baseline)
    run 0 "$bench" --backend sqlite --sqlite-url "sqlite:///$dir/bench.db" -n 20 --gets 5 --reps 1 --phase get --csv "$dir/now.csv"
    # A baseline whose get ratio was a hundred times better: flagged.
    sed 's/^\(sqlite,get,[^,]*,[^,]*,[^,]*,[^,]*\),\([^,]*\),/\1,1000,/' "$dir/now.csv" > "$dir/better.csv"
    grep -q "^sqlite,get,.*,1000," "$dir/better.csv" || fail "could not write the test baseline"
    run 3 "$bench" --backend sqlite --sqlite-url "sqlite:///$dir/bench.db" -n 20 --gets 5 --reps 1 --phase get --baseline "$dir/better.csv"
    grep -q "sqlite/get .*REGRESSION" <<<"$out" || fail "the drop is not named"
    # A baseline ratio of zero: nothing to flag.
    sed 's/^\(sqlite,get,[^,]*,[^,]*,[^,]*,[^,]*\),\([^,]*\),/\1,0,/' "$dir/now.csv" > "$dir/worse.csv"
    run 0 "$bench" --backend sqlite --sqlite-url "sqlite:///$dir/bench.db" -n 20 --gets 5 --reps 1 --phase get --baseline "$dir/worse.csv"
    grep -q "REGRESSION" <<<"$out" && fail "a ratio that held was flagged"
    ;;
  usage)
    run 0 "$bench" --help
    grep -q "^usage: retort_bench" <<<"$out" || fail "--help shows no usage"
    run 2 "$bench" --backend oracle
    grep -q "unknown backend 'oracle'" <<<"$out" || fail "no message for an unknown backend"
    run 2 "$bench" --phase nap
    run 2 "$bench" -n 0
    run 2 "$bench" --reps
    run 1 "$bench" --backend sqlite --sqlite-url "sqlite:///$dir/bench.db" --baseline "$dir/missing.csv" -n 5 --gets 1 --reps 1
    grep -q "cannot read the baseline" <<<"$out" || fail "a missing baseline is not explained"
    ;;
  *) fail "unknown case $case" ;;
esac
echo "OK"
