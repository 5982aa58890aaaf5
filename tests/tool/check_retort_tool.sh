#!/usr/bin/env bash
# check_retort_tool.sh RETORT CASE [ARGS...]: one behaviour of the `retort` tool
# per CASE, as a user meets it. Exits 0 when it holds, 77 (a skip) when the
# backend it needs has no server, 1 otherwise with what was seen.
set -uo pipefail
retort=$1 case=$2
shift 2
fail() { echo "FAILED: $*"; exit 1; }
# run EXPECTED_STATUS CMD...: runs CMD, keeps its stdout+stderr in $out.
run() {
  local expected=$1; shift
  out=$("$@" 2>&1); local status=$?
  echo "\$ ${*}"; echo "$out"
  [[ $status == "$expected" ]] || fail "exit status $status, expected $expected"
}
backend_url() {
  case "$1" in
    sqlite) url="sqlite:///$(mktemp -d)/tool.db" ;;
    postgresql) url=${RETORT_TEST_POSTGRESQL_URL:-} ;;
    mysql) url=${RETORT_TEST_MYSQL_URL:-} ;;
  esac
  [[ -n "$url" ]] || { echo "no $1 server"; exit 77; }
}

case "$case" in
  help)
    run 0 "$retort" --help
    overview=$out
    for c in plugins ping sql compile conformance new-dialect; do
      grep -q "^  $c" <<<"$overview" || fail "--help does not list $c"
      run 0 "$retort" "$c" --help
      grep -q "^usage: retort $c" <<<"$out" || fail "$c --help shows no usage"
    done
    run 2 "$retort"
    run 2 "$retort" no-such-command
    grep -q "unknown command 'no-such-command'" <<<"$out" || fail "no message for an unknown command"
    run 2 "$retort" sql sqlite://
    grep -q "^usage: retort sql" <<<"$out" || fail "a misused command shows no usage"
    run 2 "$retort" ping sqlite:// --count 0
    run 2 "$retort" conformance sqlite:// --level bogus
    run 2 "$retort" new-dialect 9lives /tmp/never-made
    grep -q "is not a dialect name" <<<"$out" || fail "a bad dialect name is not explained"
    for taken in sqlite mariadb retort sqlite3 new; do
      run 2 "$retort" new-dialect "$taken" /tmp/never-made
      grep -q "is taken" <<<"$out" || fail "the name $taken is not refused"
    done
    run 2 "$retort" conformance sqlite:// --timeout 10s
    run 2 "$retort" compile sqlite --plugin /tmp/never.so
    ;;
  compile)
    run 0 "$retort" compile sqlite
    grep -q "^-- create_users$" <<<"$out" && grep -q "^CREATE TABLE users (" <<<"$out" || fail "no DDL shown"
    grep -q "^-- [0-9]* statements compiled by sqlite" <<<"$out" || fail "no summary"
    run 0 "$retort" compile mysql upsert
    grep -q "ON DUPLICATE KEY UPDATE" <<<"$out" || fail "mysql's upsert is not shown"
    run 0 "$retort" compile postgresql upsert
    grep -q "ON CONFLICT (name)" <<<"$out" || fail "postgresql's upsert is not shown"
    run 1 "$retort" compile nosuchdialect
    grep -q "dialect 'nosuchdialect' not found" <<<"$out" || fail "an unknown dialect is not explained"
    run 1 "$retort" compile sqlite no_statement_is_called_this
    run 0 "$retort" compile --plugin "$(dirname "$retort")/../lib/libretort_dialect_mysql.so" upsert_do_update
    [[ $(grep -c "^-- upsert" <<<"$out") == 1 ]] || fail "compile --plugin FILE NAME does not filter by NAME"
    ;;
  kit)
    run 0 "$retort" conformance --list
    grep -q "^types: values of every type round-trip$" <<<"$out" || fail "the kit lists no types case"
    [[ $(grep -c . <<<"$out") -ge 100 ]] || fail "the kit lists fewer than 100 cases"
    run 0 "$retort" conformance --list "[smoke]"
    [[ $(grep -c . <<<"$out") -ge 5 && $(grep -c . <<<"$out") -le 12 ]] || fail "the smoke level is not a handful of cases"
    # A URL no plugin serves fails before any case runs.
    run 1 "$retort" conformance nosuchdialect://x
    grep -q "not found" <<<"$out" || fail "an unknown dialect is not explained"
    # A plugin file not named for its dialect would not be the one the cases load.
    dir=$(mktemp -d)
    cp "$(dirname "$retort")/../lib/libretort_dialect_sqlite.so" "$dir/sqlite-copy.so"
    run 1 "$retort" conformance "sqlite:///$dir/kit.db" --plugin "$dir/sqlite-copy.so" "[smoke]"
    grep -q "must be named libretort_dialect_sqlite.so" <<<"$out" || fail "a misnamed --plugin file is not refused"
    # A case that fails is reported with its output, and the run fails.
    dir=$(mktemp -d)
    run 1 "$retort" conformance "sqlite:///$dir/missing-dir/kit.db" "[smoke]"
    grep -q "^FAIL  " <<<"$out" && grep -q "unable to open database file" <<<"$out" || fail "a failing case is not shown"
    ;;
  new-dialect)
    dir=$(mktemp -d)
    run 0 "$retort" new-dialect shop_db "$dir/shop"
    [[ -f "$dir/shop/src/shop_db_connection.cpp" && -f "$dir/shop/CMakeLists.txt" ]] || fail "files missing"
    grep -q "retort_add_dialect_plugin(shop_db" "$dir/shop/CMakeLists.txt" || fail "the plugin is not renamed"
    grep -q "class ShopDbConnection" "$dir/shop/src/shop_db_connection.hpp" || fail "the classes are not renamed"
    if grep -rqi "minisql" "$dir/shop"; then fail "the template's name is left in the project"; fi
    run 1 "$retort" new-dialect other "$dir/shop"
    grep -q "exists and is not empty" <<<"$out" || fail "an existing project is not protected"
    ;;
  plugins)
    # Only the plugins beside the library: the three built in, all loaded.
    run 0 env -u RETORT_PLUGIN_PATH "$retort" plugins
    for d in sqlite postgresql mysql; do
      grep -q "^$d [0-9.]*, plugin interface [0-9]*$" <<<"$out" || fail "$d is not listed"
    done
    grep -q "URL schemes:  mysql, mariadb" <<<"$out" || fail "mysql's alias is not listed"
    grep -q "capabilities: .*savepoints" <<<"$out" || fail "no capabilities"
    ;;
  plugins-refused)
    # A directory of broken plugins first on the path: each is listed with why,
    # the good ones still load, and the status says something was refused.
    bad_dir=$1
    run 1 env RETORT_PLUGIN_PATH="$bad_dir" "$retort" plugins
    grep -q "^refused: $bad_dir/libretort_dialect_wrong_abi.so" <<<"$out" || fail "wrong_abi not refused"
    grep -q "why: .*plugin interface version" <<<"$out" || fail "no reason given"
    grep -q "^sqlite " <<<"$out" || fail "the good plugins did not load beside the refused ones"
    ;;
  backend)
    backend=$1; backend_url "$backend"
    run 0 "$retort" ping "$url" --count 2
    grep -q "server: " <<<"$out" && grep -q "SELECT 1:   fastest .* ms, median .* ms (2 round trips)" <<<"$out" \
      || fail "ping reported no server or round trip"
    password=$(sed -n 's|^[a-z]*://[^:/@]*:\([^@]*\)@.*|\1|p' <<<"$url")
    if [[ -n "$password" ]] && grep -qF "$password" <<<"$out"; then fail "ping printed the password"; fi
    run 0 "$retort" sql "$url" "CREATE TABLE retort_tool_check (id INTEGER PRIMARY KEY, name VARCHAR(20))"
    run 0 "$retort" sql "$url" "INSERT INTO retort_tool_check (id, name) VALUES (1, 'ann'), (2, NULL), (3, 'héloïse')"
    grep -q "(3 rows changed)" <<<"$out" || fail "the rows changed are not reported"
    run 0 "$retort" sql "$url" "SELECT id, name FROM retort_tool_check ORDER BY id"
    expected="id | name
---+--------
1  | ann
2  | NULL
3  | héloïse
(3 rows)"
    [[ "$out" == "$expected" ]] || fail "the table is not as expected"
    run 1 "$retort" sql "$url" "INSERT INTO retort_tool_check (id, name) VALUES (1, 'dup')"
    grep -q "retort: error: " <<<"$out" || fail "a constraint violation is not reported as an error"
    run 0 "$retort" sql "$url" "DROP TABLE retort_tool_check"
    # What a database refuses inside a transaction runs with --autocommit.
    case "$backend" in
      sqlite) outside="VACUUM" ;;
      postgresql) outside="CREATE INDEX CONCURRENTLY retort_tool_ix ON retort_tool_check2 (id)" ;;
      mysql) outside="" ;;  # (MySQL refuses nothing of the kind: DDL commits on its own)
    esac
    if [[ -n "$outside" ]]; then
      run 0 "$retort" sql "$url" "CREATE TABLE retort_tool_check2 (id INTEGER PRIMARY KEY)"
      run 1 "$retort" sql "$url" "$outside"
      run 0 "$retort" sql "$url" "$outside" --autocommit
      run 0 "$retort" sql "$url" "DROP TABLE retort_tool_check2"
    fi
    run 1 "$retort" ping "${url%%:*}://nobody:secret-pw@127.0.0.1:1/none?connect_timeout=2"
    if [[ "$backend" != sqlite ]]; then
      grep -q "retort: error: " <<<"$out" || fail "an unreachable server is not reported"
      if grep -qF "secret-pw" <<<"$out"; then fail "an error printed the password"; fi
    fi
    ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
exit 0
