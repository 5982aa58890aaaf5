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
    for c in plugins ping sql; do
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
    run 1 "$retort" ping "${url%%:*}://nobody:secret-pw@127.0.0.1:1/none?connect_timeout=2"
    if [[ "$backend" != sqlite ]]; then
      grep -q "retort: error: " <<<"$out" || fail "an unreachable server is not reported"
      if grep -qF "secret-pw" <<<"$out"; then fail "an error printed the password"; fi
    fi
    ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
exit 0
