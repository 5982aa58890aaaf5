#!/usr/bin/env bash
# run_consumer.sh PROGRAM PREFIX BACKEND
#
# Runs an application built against the installed Retort at PREFIX on BACKEND
# (its URL from the environment tools/test sets up; exit 77, a skip, when the
# backend has no server) with no RETORT_PLUGIN_PATH: the installed library
# must find the installed plugins by itself, and no others. BACKEND may also be
# minisql, the out-of-tree dialect installed into PREFIX by install_and_build.sh,
# or kitdb, the new-dialect project, found through RETORT_PLUGIN_PATH.
set -euo pipefail
program=$1 prefix=$2 backend=$3
case "$backend" in
  sqlite) url="sqlite:///$(dirname "$program")/consumer.db" ;;
  minisql) url="minisql:///$(dirname "$program")/consumer-minisql.db" ;;
  kitdb) url="kitdb:///$(dirname "$program")/consumer-kitdb.db" ;;
  postgresql) url=${RETORT_TEST_POSTGRESQL_URL:-} ;;
  mysql) url=${RETORT_TEST_MYSQL_URL:-} ;;
  *) echo "unknown backend $backend"; exit 2 ;;
esac
[[ -n "$url" ]] || { echo "no $backend server"; exit 77; }

plugin_path=()
if [[ "$backend" == kitdb ]]; then plugin_path=(RETORT_PLUGIN_PATH="$(dirname "$prefix")/kitdb/build"); fi
case "$backend" in sqlite | minisql | kitdb) rm -f "${url#*://}"* ;; esac  # a fresh database file
out=$(env -u RETORT_PLUGIN_PATH -u LD_LIBRARY_PATH ${plugin_path[@]+"${plugin_path[@]}"} "$program" "$url") \
  || { echo "$out"; exit 1; }
echo "$out"
expected="dialect: $backend
note 1: written by an installed Retort done=0
note 2: it's 'quoted'; DROP TABLE x done=1"
[[ "$(grep -v '^plugin file: ' <<<"$out")" == "$expected" ]] || { echo "expected:"; echo "$expected"; exit 1; }
# Every plugin the library saw is an installed one (the built-in three, and
# minisql), and all of them loaded.
files=$(grep '^plugin file: ' <<<"$out" | grep -v "^plugin file: $(dirname "$prefix")/kitdb/build/libretort_dialect_kitdb\.so$")
[[ $(grep -c . <<<"$files") == 4 ]] || { echo "expected the four installed plugins"; exit 1; }
if grep -v "^plugin file: $prefix/lib/retort/libretort_dialect_[a-z]*\.so$" <<<"$files"; then
  echo "a plugin above is not the installed one, or was refused"; exit 1
fi
