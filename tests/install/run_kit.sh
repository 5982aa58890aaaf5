#!/usr/bin/env bash
# run_kit.sh PREFIX TARGET [LEVEL]: `retort conformance` from the installed
# prefix, as a dialect's author runs it. TARGET is a built-in backend (its URL
# from the environment tools/test sets up; exit 77 without a server), minisql
# (installed into the prefix) or kitdb (the new-dialect project, by --plugin).
set -euo pipefail
prefix=$1 target=$2 level=${3:-full}
work="$(dirname "$prefix")"
args=()
case "$target" in
  sqlite) url="sqlite:///$work/kit-sqlite.db" ;;
  postgresql) url=${RETORT_TEST_POSTGRESQL_URL:-}; args=(--terminate-session-sql "SELECT pg_terminate_backend({id})") ;;
  mysql) url=${RETORT_TEST_MYSQL_URL:-}; args=(--terminate-session-sql "KILL {id}") ;;
  minisql) url="minisql:///$work/kit-minisql.db" ;;
  kitdb) url="kitdb:///$work/kit-kitdb.db"; args=(--plugin "$work/kitdb/build/libretort_dialect_kitdb.so") ;;
  *) echo "unknown target $target"; exit 2 ;;
esac
[[ -n "$url" ]] || { echo "no $target server"; exit 77; }
rm -f "$work/kit-$target.db"*
exec env -u RETORT_PLUGIN_PATH -u LD_LIBRARY_PATH "$prefix/bin/retort" conformance "$url" --level "$level" \
     ${args[@]+"${args[@]}"}
