#!/usr/bin/env bash
# check_tpcb.sh RETORT_BENCH_TPCB CASE: the TPC-B check works (never how fast:
# timings are for tools/bench on a quiet machine). Exits 0 when the case
# holds, 77 (a skip) when there is no PostgreSQL server or no pgbench, 1 otherwise.
#   usage  bad arguments exit 2 with a message; --help exits 0
#   run    pgbench and Retort each run the transaction (both statement styles,
#          two pgbench protocols), the balances add up, the table and CSV come
#          out, and the database made for the run is gone afterwards; a
#          pgbench that cannot be run is an error (exit 1) that says so
set -uo pipefail
tpcb=$1 case=$2
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$case" in
  usage)
    run 0 "$tpcb" --help
    grep -q "^usage: retort_bench_tpcb" <<<"$out" || fail "--help shows no usage"
    run 2 "$tpcb" --postgresql-url postgresql://u@127.0.0.1/db --scale 0
    grep -q "scale needs a whole number" <<<"$out" || fail "no message for a bad scale"
    run 2 "$tpcb" --postgresql-url postgresql://u@127.0.0.1/db --protocol fast
    run 2 "$tpcb" --postgresql-url postgresql://u@127.0.0.1/db --retort-statements raw
    run 2 "$tpcb" --postgresql-url postgresql://u@127.0.0.1/db --seconds
    run 2 "$tpcb" --postgresql-url postgresql://u@127.0.0.1/db --nap
    run 2 "$tpcb" --postgresql-url "sqlite:///$dir/x.db"
    grep -q "not PostgreSQL" <<<"$out" || fail "a URL of another database is not explained"
    run 2 env -u RETORT_BENCH_POSTGRESQL_URL -u RETORT_TEST_POSTGRESQL_URL "$tpcb"
    grep -q "no PostgreSQL URL" <<<"$out" || fail "a missing URL is not explained"
    ;;
  run)
    url=${RETORT_TEST_POSTGRESQL_URL:-}
    [[ -n "$url" ]] || { echo "no postgresql server"; exit 77; }
    compgen -G "/usr/lib/postgresql/*/bin/pgbench" >/dev/null || command -v pgbench >/dev/null ||
      { echo "no pgbench"; exit 77; }
    run 0 "$tpcb" --postgresql-url "$url" --scale 1 --seconds 1 --reps 1 --csv "$dir/out.csv"
    grep -q "balances: accounts, tellers, branches and history add up" <<<"$out" || fail "the balances were not checked"
    for client in pgbench retort retort/pgbench; do
      grep -qE "^$client +[0-9]" <<<"$out" || fail "the table has no $client line"
      grep -q "^$client," "$dir/out.csv" || fail "the CSV has no $client line"
    done
    grep -q "^pgbench,prepared,1,8,1,1," "$dir/out.csv" || fail "the CSV does not state the settings"
    database=$(sed -n 's|^database: .*/\(retort_tpcb_[0-9]*\)$|\1|p' <<<"$out")
    [[ -n "$database" ]] || fail "the run did not name its database"
    run 0 "$tpcb" --postgresql-url "$url" --scale 1 --seconds 1 --reps 1 --clients 2 --protocol simple \
      --retort-statements inline
    grep -q "balances: accounts, tellers, branches and history add up" <<<"$out" || fail "the balances were not checked"
    if command -v psql >/dev/null; then
      left=$(psql "$url" -Atc "SELECT count(*) FROM pg_database WHERE datname = '$database'") || fail "psql failed"
      [[ "$left" == 0 ]] || fail "the database $database was not dropped"
    fi
    run 1 "$tpcb" --postgresql-url "$url" --scale 1 --seconds 1 --reps 1 --pgbench "$dir/no-such-pgbench"
    grep -q "cannot run $dir/no-such-pgbench" <<<"$out" || fail "a missing pgbench is not explained"
    ;;
  *) fail "unknown case $case" ;;
esac
echo "OK"
