# shellcheck shell=bash
# Shared by the scripts in tools/: where things are, quiet command running,
# configure + build, and the (for now empty) test-server hooks.
# Sourced, not executed: the caller has already set `set -euo pipefail`.

# The repository root, from this file's own location, so that every script
# works from any current directory.
RETORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

# The build tree: <repo>/build unless RETORT_BUILD_DIR says otherwise (a
# relative value is taken relative to the caller's current directory).
RETORT_BUILD="${RETORT_BUILD_DIR:-$RETORT_ROOT/build}"
case "$RETORT_BUILD" in
  /*) ;;
  *) RETORT_BUILD="$PWD/$RETORT_BUILD" ;;
esac

# Logs of the quiet steps live here, so a failure can be read in full later.
RETORT_LOG_DIR="$RETORT_BUILD/tools-logs"

retort_say() { printf 'retort: %s\n' "$*" >&2; }
retort_die() { printf 'retort: error: %s\n' "$*" >&2; exit 1; }

# run_logged LOGFILE CMD...: runs CMD with its output in LOGFILE. On failure,
# shows the part of the log that matters (from ninja's first "FAILED:" when
# there is one, else the end) and exits with CMD's status. RETORT_VERBOSE=1
# streams the output instead.
run_logged() {
  local log="$1"; shift
  mkdir -p "$(dirname "$log")"
  if [[ "${RETORT_VERBOSE:-0}" == 1 ]]; then
    "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
  fi
  local status=0
  "$@" >"$log" 2>&1 </dev/null || status=$?
  if (( status != 0 )); then
    printf 'retort: error: command failed (exit %d): %s\n' "$status" "$*" >&2
    if grep -q '^FAILED: ' "$log"; then
      sed -n '/^FAILED: /,$p' "$log" | head -n 200 >&2
    else
      tail -n 60 "$log" >&2
    fi
    printf 'retort: full log: %s\n' "$log" >&2
    exit "$status"
  fi
}

# Configure (only the first time: afterwards the build itself re-runs CMake
# when a CMakeLists.txt changes) and build.
retort_build() {
  if [[ ! -f "$RETORT_BUILD/CMakeCache.txt" || ! -f "$RETORT_BUILD/build.ninja" ]]; then
    retort_say "configuring $RETORT_BUILD"
    run_logged "$RETORT_LOG_DIR/configure.log" \
      cmake -S "$RETORT_ROOT" -B "$RETORT_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  retort_say "building (log: $RETORT_LOG_DIR/build.log)"
  run_logged "$RETORT_LOG_DIR/build.log" cmake --build "$RETORT_BUILD" -j2
}

# ---------------------------------------------------------------------------
# HOOKS: throwaway database servers for the test suite. Currently no-ops.
#
# tools/test calls start_servers just before ctest, with stop_servers already
# installed as its EXIT trap, so servers are stopped even when tests fail or
# start_servers itself fails half-way. To be filled in by a later issue:
#   start_servers: start PostgreSQL (as an unprivileged user when run as root)
#     and MariaDB on 127.0.0.1, data directories under "$RETORT_BUILD", and
#     export RETORT_TEST_POSTGRESQL_URL / RETORT_TEST_MYSQL_URL for the tests.
#   stop_servers: stop whatever start_servers started; safe to call when
#     nothing was started, and silent: nothing may be printed after ctest's
#     summary line.
# ---------------------------------------------------------------------------
start_servers() { :; }
stop_servers() { :; }
