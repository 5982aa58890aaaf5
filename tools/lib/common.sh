# shellcheck shell=bash
# Shared by the scripts in tools/: where things are, quiet command running,
# configure + build, and the throwaway database servers for the tests.
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
# RETORT_CMAKE_ARGS (an array, if set) adds configure options, such as
# -DRETORT_SANITIZE=ON for tools/test --sanitize.
retort_build() {
  if [[ ! -f "$RETORT_BUILD/CMakeCache.txt" || ! -f "$RETORT_BUILD/build.ninja" ]]; then
    retort_say "configuring $RETORT_BUILD"
    run_logged "$RETORT_LOG_DIR/configure.log" \
      cmake -S "$RETORT_ROOT" -B "$RETORT_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      ${RETORT_CMAKE_ARGS[@]+"${RETORT_CMAKE_ARGS[@]}"}
  fi
  retort_say "building (log: $RETORT_LOG_DIR/build.log)"
  run_logged "$RETORT_LOG_DIR/build.log" cmake --build "$RETORT_BUILD" -j2
}

# ---------------------------------------------------------------------------
# Throwaway database servers for the tests.
#
# start_servers starts a fresh PostgreSQL and MariaDB (new data directories on
# every run) listening on free ports of 127.0.0.1, and exports for ctest:
#   RETORT_TEST_POSTGRESQL_URL  RETORT_TEST_POSTGRESQL_SOCKET  RETORT_TEST_POSTGRESQL_TLS_URL
#   RETORT_TEST_MYSQL_URL       RETORT_TEST_MYSQL_SOCKET       RETORT_TEST_MYSQL_TLS_URL
# A server whose URL is already set (a developer's own server) is not started.
# stop_servers stops what start_servers started in this shell. tools/test calls
# it from its EXIT trap, after CTest's summary line: so it prints nothing and
# never fails, not even after a start that failed half-way.
#
# All that a server leaves behind is in "$RETORT_SERVERS_DIR", so that
# tools/servers can start the servers in one process and stop them in another,
# and tools/test goes through the very same files. For NAME in postgresql,
# mariadb:
#   NAME/        the data directory, or a symlink to one under /tmp when the
#                server's account cannot reach the build tree
#   NAME.log     setup output (and PostgreSQL's server log)
#   NAME.state   key=value lines (sockdir, datadir, pid, port, log), written as each
#                thing comes into existence, so that a half-way start can be undone
#   NAME.env     the `export` lines, written once the server accepts the tests
# Starting again stops a leftover server (of a killed run, or of tools/servers
# start) and wipes its directory. Stopping keeps the data directory and the
# logs for a post-mortem; the next start deletes them.
#
# Written to work whatever the caller's shell options (tools/ sets -euo
# pipefail, an interactive shell usually nothing, and bash ignores -e in
# `cmd || ...` contexts): every step that matters is checked explicitly.
# ---------------------------------------------------------------------------
# A caller may choose another directory: another set of servers, apart from
# these (the fault suite starts its own, to kill them).
RETORT_SERVERS_DIR="${RETORT_SERVERS_DIR:-$RETORT_BUILD/test-servers}"
RETORT_TEST_SERVER_USER=retort
# Goes percent-encoded into the URLs, so every run exercises the URL parser's
# decoding. It holds no quote or backslash, so it goes into SQL literals as is.
RETORT_TEST_SERVER_PASSWORD='retort p@ss'
RETORT_TEST_SERVER_DATABASE=retort_test
RETORT_SERVER_START_SECONDS=60

# The servers start_servers started in this shell: what stop_servers stops.
_retort_servers_started=()

# _retort_urlencode STRING: STRING with everything but RFC 3986's unreserved
# characters percent-encoded, byte by byte.
_retort_urlencode() {
  local LC_ALL=C s="$1" out="" c i
  for (( i = 0; i < ${#s}; i++ )); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# _retort_server_account NAME: the account the server runs as, or nothing for
# "as ourselves". Root must pick one (PostgreSQL refuses to run as root) and
# takes the account the server's Debian package created, rather than one of
# our own: it exists wherever the server is installed, so nothing has to be
# added to (and later removed from) the machine. The price: our server could
# write the machine's own cluster files, which it has no reason to touch.
_retort_server_account() {
  (( EUID == 0 )) || return 0
  local account
  case "$1" in
    postgresql) account=postgres ;;
    mariadb) account=mysql ;;
  esac
  id -u "$account" >/dev/null 2>&1 || {
    printf 'retort: error: no account "%s" to run %s as (running as root; the server package creates it)\n' "$account" "$1" >&2
    return 1
  }
  printf '%s\n' "$account"
}

# _retort_exec_as ACCOUNT CMD...: replaces the current (sub)shell with CMD run
# as ACCOUNT (empty: as ourselves), from / since the caller's directory may be
# out of the account's reach. setpriv rather than runuser/su: it execs without
# forking, so the caller's $! is the server itself, and it goes through no PAM
# session (nothing logged, nothing to configure in a container). --reset-env
# keeps root's HOME, TMPDIR and the like away from the server.
_retort_exec_as() {
  local account="$1"; shift
  cd / || return 1
  if [[ -n "$account" ]]; then
    exec setpriv --reuid="$account" --regid="$(id -g "$account")" --init-groups --reset-env -- "$@"
  fi
  exec "$@"
}
_retort_as() { ( _retort_exec_as "$@" ); }

# _retort_alive PID: true while PID runs. A zombie counts as gone: PID 1 of a
# container may take its time (or forever) to reap the servers we orphan.
_retort_alive() {
  local stat=""
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

# _retort_state_get FILE KEY: the last value recorded for KEY in a NAME.state file.
_retort_state_get() {
  local key value="" found=""
  [[ -r "$1" ]] || return 0
  while IFS='=' read -r key value; do
    [[ "$key" == "$2" ]] && found="$value"
  done <"$1"
  printf '%s' "$found"
}

# _retort_free_port EXCLUDED...: a TCP port nothing uses on this machine. It
# is taken below the kernel's ephemeral range, so that no outgoing connection
# can grab it between this check and the server's bind, and far from 5432 and
# 3306 where a developer's own servers live. /proc/net/tcp* is what `ss -ltn`
# reads, and is there even where iproute2 is not (minimal CI images).
_retort_free_port() {
  local low=32768 high port hex tries
  { read -r low _ </proc/sys/net/ipv4/ip_local_port_range; } 2>/dev/null || low=32768
  if (( low > 21000 )); then high=$(( low - 1 )); else high=29999; fi
  for (( tries = 0; tries < 500; tries++ )); do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % (high - 20000 + 1) ))
    [[ " $* " == *" $port "* ]] && continue
    printf -v hex ':%04X ' "$port"
    grep -qiF -- "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null && continue
    printf '%s\n' "$port"
    return 0
  done
  return 1
}

# _retort_server_fail LABEL LOG MESSAGE: says what failed, then the end of LOG.
_retort_server_fail() {
  printf 'retort: error: %s: %s; the end of %s:\n' "$1" "$3" "$2" >&2
  tail -n 30 -- "$2" >&2 2>/dev/null || true
  return 1
}

# _retort_wait_ready PID CMD...: polls CMD until it succeeds (0), PID exits (2),
# or RETORT_SERVER_START_SECONDS pass (1).
_retort_wait_ready() {
  local pid="$1"; shift
  local deadline=$(( SECONDS + RETORT_SERVER_START_SECONDS ))
  while (( SECONDS < deadline )); do
    "$@" >/dev/null 2>&1 </dev/null && return 0
    _retort_alive "$pid" || return 2
    sleep 0.2
  done
  return 1
}

# _retort_wait_gone TENTHS PID...: waits up to TENTHS tenths of a second for
# every PID to exit; false if some still run.
_retort_wait_gone() {
  local tenths="$1" pid alive; shift
  while :; do
    alive=0
    for pid in "$@"; do _retort_alive "$pid" && alive=1; done
    (( alive )) || return 0
    (( tenths-- > 0 )) || return 1
    sleep 0.1
  done
}

# _retort_record_launch STATE ACCOUNT LOG -- CMD...: records how the server is
# started (as ACCOUNT, output to LOG), so that it can be started again on the
# same data directory after a crash (retort_server_relaunch).
_retort_record_launch() {
  local state="$1" account="$2" log="$3" quoted
  shift 4
  printf -v quoted '%q ' "$@"
  printf 'account=%s\nlaunchlog=%s\nlaunch=%s\n' "$account" "$log" "$quoted" >>"$state"
}
# _retort_record_ready STATE CMD...: records the command that succeeds once the server accepts connections.
_retort_record_ready() {
  local state="$1" quoted
  shift
  printf -v quoted '%q ' "$@"
  printf 'ready=%s\n' "$quoted" >>"$state"
}
# _retort_launch STATE: starts the recorded command in the background, in a
# session of its own (setsid: a server of `tools/servers start` outlives the
# script, and must not get the SIGINT of a Ctrl-C typed later in the
# developer's terminal; its whole process group can be killed at once), and
# records its pid.
_retort_launch() {
  local state="$1" account launch log
  account="$(_retort_state_get "$state" account)"
  launch="$(_retort_state_get "$state" launch)"
  log="$(_retort_state_get "$state" launchlog)"
  [[ -n "$launch" ]] || return 1
  local -a cmd
  eval "cmd=($launch)"
  { _retort_exec_as "$account" setsid "${cmd[@]}"; } >>"$log" 2>&1 </dev/null &
  printf 'pid=%s\n' "$!" >>"$state"
}

# retort_server_crash NAME: kills the running server of NAME with SIGKILL, the
# whole process group (PostgreSQL's backends too), as a crash or an OOM kill
# would: no shutdown, no goodbye to the clients. Its data stays.
retort_server_crash() {
  local state="$RETORT_SERVERS_DIR/$1.state" pid
  pid="$(_retort_state_get "$state" pid)"
  [[ "$pid" =~ ^[0-9]+$ ]] && _retort_alive "$pid" || retort_die "$1 is not running"
  kill -s KILL -- "-$pid" 2>/dev/null || kill -s KILL "$pid"
  _retort_wait_gone 100 "$pid" || retort_die "$1 (pid $pid) did not die"
  # PostgreSQL's backends notice their postmaster is gone on their own; a new
  # postmaster refuses to start while one of them still holds the shared memory.
  sleep 0.3
}

# retort_server_relaunch NAME: starts NAME again on its data directory and
# port (after retort_server_crash) and waits until it accepts connections.
retort_server_relaunch() {
  local state="$RETORT_SERVERS_DIR/$1.state" pid ready status=0 tries
  for (( tries = 0; tries < 3; tries++ )); do
    _retort_launch "$state" || retort_die "$1: no launch command recorded"
    pid="$(_retort_state_get "$state" pid)"
    ready="$(_retort_state_get "$state" ready)"
    local -a check
    eval "check=($ready)"
    status=0
    _retort_wait_ready "$pid" "${check[@]}" || status=$?
    (( status == 0 )) && return 0
    sleep 1  # exited while starting (shared memory still held): try again
  done
  retort_die "$1 did not come back (see $(_retort_state_get "$state" launchlog))"
}

# _retort_server_stop NAME: stops the server of NAME recorded in
# $RETORT_SERVERS_DIR, or left behind by a killed run (found through the pid
# file in its data directory), and removes its socket directory and state.
# Signals rather than pg_ctl/mariadb-admin: as root we need no account switch
# and no working client connection, which a half-started server may not
# offer. SIGINT is PostgreSQL's fast shutdown (what pg_ctl stop -m fast
# sends), SIGTERM MariaDB's normal one. A pid is signalled only when its
# command line names our data directory, so a reused pid is never hit.
_retort_server_stop() {
  local name="$1" link="$RETORT_SERVERS_DIR/$1" state="$RETORT_SERVERS_DIR/$1.state"
  local data sockdir pid pidfile signal cmdline candidate
  local -a dirs=() pids=()
  case "$name" in
    postgresql) pidfile=postmaster.pid; signal=INT ;;
    mariadb) pidfile=mariadbd.pid; signal=TERM ;;
    *) return 1 ;;
  esac
  data="$(_retort_state_get "$state" datadir)"
  sockdir="$(_retort_state_get "$state" sockdir)"
  [[ -n "$data" ]] && dirs+=("$data")
  dirs+=("$link")
  [[ -L "$link" ]] && dirs+=("$(readlink -- "$link")")

  local -a candidates=("$(_retort_state_get "$state" pid)")
  for data in "${dirs[@]}"; do
    candidate=""
    { read -r candidate <"$data/$pidfile"; } 2>/dev/null || true
    candidates+=("$candidate")
  done
  for pid in "${candidates[@]}"; do
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    [[ " ${pids[*]} " == *" $pid "* ]] && continue
    _retort_alive "$pid" || continue
    cmdline=""
    { cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"; } 2>/dev/null || continue
    for data in "${dirs[@]}"; do
      if [[ "$cmdline" == *"$data"* ]]; then
        pids+=("$pid")
        break
      fi
    done
  done

  if (( ${#pids[@]} > 0 )); then
    kill -s "$signal" "${pids[@]}" 2>/dev/null
    if ! _retort_wait_gone 300 "${pids[@]}"; then
      kill -s KILL "${pids[@]}" 2>/dev/null
      # Still running: not ours to kill (a run as another user); keep the state
      # so that user (or root) can stop it.
      _retort_wait_gone 50 "${pids[@]}" || return 1
    fi
  fi
  # The guard keeps a damaged state file from pointing rm at anything else.
  [[ "$sockdir" == /tmp/retort-srv.* ]] && rm -rf -- "$sockdir"
  rm -f -- "$state" "$RETORT_SERVERS_DIR/$name.env"
  return 0
}

# _retort_server_prepare NAME ACCOUNT: stops a leftover server of NAME, wipes
# its files, and creates a fresh data directory and socket directory owned by
# ACCOUNT. Sets _retort_data and _retort_sockdir (it runs in the subshell
# start_servers gives each server).
_retort_server_prepare() {
  local name="$1" account="$2" link="$RETORT_SERVERS_DIR/$1" target
  local log="$RETORT_SERVERS_DIR/$1.log" state="$RETORT_SERVERS_DIR/$1.state"
  _retort_server_stop "$name" >/dev/null 2>&1 ||
    { printf 'retort: error: %s: a server left by an earlier run (see %s) could not be stopped\n' "$name" "$state" >&2; return 1; }
  if [[ -L "$link" ]]; then
    target="$(readlink -- "$link")"
    [[ "$target" == /tmp/retort-"$name".* ]] && rm -rf -- "$target"
    rm -f -- "$link"
  fi
  rm -rf -- "$link" 2>/dev/null ||
    { printf 'retort: error: %s: cannot delete %s (made by a run as another user? delete it as that user)\n' "$name" "$link" >&2; return 1; }
  : >"$log" || return 1

  # The socket directory: a short path, since a unix socket's path must fit in
  # 107 bytes and a build tree's path may not leave room. Recorded at once, so
  # that stop_servers removes it even if what follows fails.
  _retort_sockdir="$(mktemp -d /tmp/retort-srv.XXXXXX)" || return 1
  printf 'sockdir=%s\n' "$_retort_sockdir" >>"$state" || return 1
  [[ -z "$account" ]] || chown -- "$account:" "$_retort_sockdir" || return 1

  mkdir -m 700 -- "$link" || return 1
  _retort_data="$link"
  if [[ -n "$account" ]]; then
    chown -- "$account:" "$link" || return 1
    # The account must be able to reach the data directory: it cannot when the
    # clone lives under a private home directory (0700). Asking the account
    # itself is the only reliable test (ACLs, group membership...).
    if ! _retort_as "$account" test -w "$link" -a -x "$link" 2>/dev/null; then
      rmdir -- "$link" || return 1
      _retort_data="$(mktemp -d "/tmp/retort-$name.XXXXXX")" || return 1
      chown -- "$account:" "$_retort_data" && ln -s -- "$_retort_data" "$link" || return 1
    fi
  fi
  printf 'datadir=%s\n' "$_retort_data" >>"$state"
}

# _retort_pg_bindir: where initdb and postgres are. Debian keeps them out of
# PATH, by major version; postgresql-15 is what tools/setup installs.
_retort_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/postgres" ]] && { printf '%s\n' "$d"; return 0; }
  done
  d="$(command -v initdb)" || return 1
  dirname -- "$d"
}

# _retort_start_postgresql PORT: one fresh PostgreSQL; writes postgresql.env.
# _retort_tls_files DATA ACCOUNT: a certificate authority of this run (made
# once, in "$RETORT_SERVERS_DIR/tls") and a server certificate it signed for
# 127.0.0.1 and localhost, copied into DATA as server.crt and server.key,
# owned by ACCOUNT (PostgreSQL insists on a key only its own account can read).
# The tests connect with the CA to prove that TLS works end to end.
_retort_tls_files() {
  local data="$1" account="$2" tls="$RETORT_SERVERS_DIR/tls" log="$RETORT_SERVERS_DIR/tls.log"
  # Both servers start in parallel: the first one makes the files, under a lock.
  (
    flock 9
    [[ -s "$tls/server.crt" ]] && exit 0
    rm -rf -- "$tls" && mkdir -p -- "$tls" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=Retort test CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" >>"$log" 2>&1 &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" >>"$log" 2>&1 &&
      openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
        -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n') -out "$tls/server.crt" >>"$log" 2>&1
  ) 9>"$RETORT_SERVERS_DIR/tls.lock" || { printf 'retort: error: making TLS certificates failed; see %s\n' "$log" >&2; return 1; }
  install -m 600 -- "$tls/server.key" "$data/server.key" && install -m 644 -- "$tls/server.crt" "$data/server.crt" || return 1
  [[ -z "$account" ]] || chown -- "$account:" "$data/server.key" "$data/server.crt"
}

_retort_start_postgresql() {
  local port="$1" label=PostgreSQL
  local log="$RETORT_SERVERS_DIR/postgresql.log" state="$RETORT_SERVERS_DIR/postgresql.state"
  local bin account pid status=0 password_enc
  bin="$(_retort_pg_bindir)" ||
    { printf 'retort: error: %s: initdb not found (tools/setup installs postgresql-15)\n' "$label" >&2; return 1; }
  account="$(_retort_server_account postgresql)" || return 1
  _retort_server_prepare postgresql "$account" || return 1
  local data="$_retort_data" sockdir="$_retort_sockdir"

  # C collation: byte order, as SQLite's BINARY and MariaDB's utf8mb4_bin below,
  # so ORDER BY on text gives every backend of the matrix the same rows; a
  # UTF-8 ctype keeps upper()/lower() right beyond ASCII. -N: no fsync, the
  # directory is thrown away anyway.
  _retort_as "$account" "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --lc-collate=C \
      --auth-local=trust --auth-host=scram-sha-256 -N --no-instructions >>"$log" 2>&1 ||
    { _retort_server_fail "$label" "$log" "initdb failed"; return 1; }
  # Durability against a machine crash buys nothing on a throwaway server;
  # speed does (fsync off). A commit still reaches the OS before it returns
  # (synchronous_commit on): the fault suite kills the server process and reads
  # every committed row back. UTC makes timestamp tests independent of the
  # machine's time zone.
  cat >>"$data/postgresql.conf" <<CONF || return 1

# Added by tools/lib/common.sh: a throwaway server for the tests.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 200
fsync = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
# TLS is offered, not required: the tests use both (RETORT_TEST_POSTGRESQL_TLS_URL).
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
  _retort_tls_files "$data" "$account" || return 1

  # setsid: a server of `tools/servers start` outlives the script, and must not
  # get the SIGINT of a Ctrl-C typed later in the developer's terminal.
  _retort_record_launch "$state" "$account" "$log" -- "$bin/postgres" -D "$data" || return 1
  _retort_record_ready "$state" "$bin/pg_isready" -q -h "$sockdir" -p "$port" -U postgres -d postgres || return 1
  _retort_launch "$state" || return 1
  pid="$(_retort_state_get "$state" pid)"
  printf 'port=%s\nlog=%s\n' "$port" "$log" >>"$state"
  _retort_wait_ready "$pid" "$bin/pg_isready" -q -h "$sockdir" -p "$port" -U postgres -d postgres || status=$?
  case "$status" in
    0) ;;
    2) _retort_server_fail "$label" "$log" "the server exited while starting"; return 1 ;;
    *) _retort_server_fail "$label" "$log" "not accepting connections after ${RETORT_SERVER_START_SECONDS}s"; return 1 ;;
  esac

  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres -d postgres >>"$log" 2>&1 <<SQL ||
CREATE ROLE $RETORT_TEST_SERVER_USER LOGIN SUPERUSER PASSWORD '$RETORT_TEST_SERVER_PASSWORD';
CREATE DATABASE $RETORT_TEST_SERVER_DATABASE OWNER $RETORT_TEST_SERVER_USER;
SQL
    { _retort_server_fail "$label" "$log" "creating the role and database failed"; return 1; }

  password_enc="$(_retort_urlencode "$RETORT_TEST_SERVER_PASSWORD")"
  {
    printf 'export RETORT_TEST_POSTGRESQL_URL=%q\n' \
      "postgresql://$RETORT_TEST_SERVER_USER:$password_enc@127.0.0.1:$port/$RETORT_TEST_SERVER_DATABASE"
    printf 'export RETORT_TEST_POSTGRESQL_SOCKET=%q\n' "$sockdir/.s.PGSQL.$port"
    printf 'export RETORT_TEST_POSTGRESQL_TLS_URL=%q\n' \
      "postgresql://$RETORT_TEST_SERVER_USER:$password_enc@127.0.0.1:$port/$RETORT_TEST_SERVER_DATABASE?sslmode=verify-full&sslrootcert=$RETORT_SERVERS_DIR/tls/ca.crt"
  } >"$RETORT_SERVERS_DIR/postgresql.env" || return 1
  retort_say "started PostgreSQL on 127.0.0.1:$port (log: $log)"
}

# _retort_start_mariadb PORT: one fresh MariaDB; writes mariadb.env.
_retort_start_mariadb() {
  local port="$1" label=MariaDB
  local log="$RETORT_SERVERS_DIR/mariadb.log" state="$RETORT_SERVERS_DIR/mariadb.state"
  local mariadbd d account pid status=0 password_enc
  # Outside a non-root user's PATH on Debian (/usr/sbin), and on some systems
  # in /usr/libexec.
  mariadbd="$(command -v mariadbd)" || mariadbd=""
  for d in /usr/sbin /usr/libexec; do
    [[ -z "$mariadbd" && -x "$d/mariadbd" ]] && mariadbd="$d/mariadbd"
  done
  if [[ -z "$mariadbd" ]] || ! command -v mariadb-install-db >/dev/null 2>&1; then
    printf 'retort: error: %s: mariadbd or mariadb-install-db not found (tools/setup installs mariadb-server)\n' "$label" >&2
    return 1
  fi
  account="$(_retort_server_account mariadb)" || return 1
  _retort_server_prepare mariadb "$account" || return 1
  local data="$_retort_data" sock="$_retort_sockdir/mariadbd.sock"

  # For the bootstrap as well as the server. Durability against a machine
  # crash buys nothing on a throwaway server, but a commit must survive the
  # server process being killed (the fault suite): the log is written to the
  # OS at each commit, flushed once a second (=2). A small buffer pool and redo log keep memory and the
  # install's file writing small. utf8mb4_bin: byte order and case-sensitive
  # comparison, as SQLite's BINARY and the C collation of the PostgreSQL above,
  # so the matrix's expected rows do not depend on the backend (a test that
  # wants case-insensitivity can ask for a collation).
  local -a options=(
    --skip-name-resolve
    --skip-log-bin
    --innodb-flush-log-at-trx-commit=2
    --skip-innodb-doublewrite
    --innodb-buffer-pool-size=64M
    --innodb-log-file-size=16M
    --character-set-server=utf8mb4
    --collation-server=utf8mb4_bin
  )
  # --no-defaults: /etc/mysql/ and ~/.my.cnf belong to the machine's own server.
  # --auth-root-authentication-method=normal: root@localhost without password,
  # so the setup below needs no OS-user mapping. --force: skip resolving the
  # host name, which fails (or waits on DNS) in containers whose name is not in
  # /etc/hosts; with skip-name-resolve no grant uses a host name anyway.
  _retort_as "$account" mariadb-install-db --no-defaults --datadir="$data" \
      --auth-root-authentication-method=normal --skip-test-db --force "${options[@]}" >>"$log" 2>&1 ||
    { _retort_server_fail "$label" "$log" "mariadb-install-db failed"; return 1; }

  # TLS is offered, not required: the tests use both (RETORT_TEST_MYSQL_TLS_URL).
  _retort_tls_files "$data" "$account" || return 1
  # Named through the build tree for us, but the server needs the real path.
  local errlog="$RETORT_SERVERS_DIR/mariadb/mariadbd.err"
  # setsid: see _retort_start_postgresql. --no-defaults must come first.
  _retort_record_launch "$state" "$account" "$log" -- "$mariadbd" --no-defaults --datadir="$data" \
      --bind-address=127.0.0.1 --port="$port" --socket="$sock" \
      --pid-file="$data/mariadbd.pid" --log-error="$data/mariadbd.err" \
      --max-connections=300 --default-time-zone=+00:00 "${options[@]}" \
      --ssl-ca="$RETORT_SERVERS_DIR/tls/ca.crt" --ssl-cert="$data/server.crt" --ssl-key="$data/server.key" || return 1
  _retort_record_ready "$state" mariadb-admin --no-defaults --socket="$sock" --user=root --connect-timeout=2 ping || return 1
  _retort_launch "$state" || return 1
  pid="$(_retort_state_get "$state" pid)"
  printf 'port=%s\nlog=%s\n' "$port" "$errlog" >>"$state"
  _retort_wait_ready "$pid" mariadb-admin --no-defaults --socket="$sock" --user=root --connect-timeout=2 ping || status=$?
  [[ -s "$errlog" ]] || errlog="$log"
  case "$status" in
    0) ;;
    2) _retort_server_fail "$label" "$errlog" "the server exited while starting"; return 1 ;;
    *) _retort_server_fail "$label" "$errlog" "not accepting connections after ${RETORT_SERVER_START_SECONDS}s"; return 1 ;;
  esac

  # '%' also matches connections over the socket (host 'localhost'): the
  # install made no anonymous user that would take precedence there.
  mariadb --no-defaults --socket="$sock" --user=root --batch >>"$log" 2>&1 <<SQL ||
CREATE USER '$RETORT_TEST_SERVER_USER'@'%' IDENTIFIED BY '$RETORT_TEST_SERVER_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$RETORT_TEST_SERVER_USER'@'%' WITH GRANT OPTION;
CREATE DATABASE $RETORT_TEST_SERVER_DATABASE;
SQL
    { _retort_server_fail "$label" "$log" "creating the user and database failed"; return 1; }

  password_enc="$(_retort_urlencode "$RETORT_TEST_SERVER_PASSWORD")"
  {
    printf 'export RETORT_TEST_MYSQL_URL=%q\n' \
      "mysql://$RETORT_TEST_SERVER_USER:$password_enc@127.0.0.1:$port/$RETORT_TEST_SERVER_DATABASE"
    printf 'export RETORT_TEST_MYSQL_SOCKET=%q\n' "$sock"
    # verify_ca, not verify_identity: Connector/C 3.3 cannot check a name while
    # connecting to an IP address, and "localhost" would mean its unix socket.
    printf 'export RETORT_TEST_MYSQL_TLS_URL=%q\n' \
      "mysql://$RETORT_TEST_SERVER_USER:$password_enc@127.0.0.1:$port/$RETORT_TEST_SERVER_DATABASE?ssl_mode=verify_ca&ssl_ca=$RETORT_SERVERS_DIR/tls/ca.crt"
  } >"$RETORT_SERVERS_DIR/mariadb.env" || return 1
  retort_say "started MariaDB on 127.0.0.1:$port (log: $errlog)"
}

# start_servers [NAME...]: see the top of this section; NAME (postgresql,
# mariadb) limits it to those. Returns non-zero, with the servers it started
# stopped again, when one does not come up.
start_servers() {
  local -a names=() ports=()
  local name port failed=0
  (( $# > 0 )) || set -- postgresql mariadb
  for name in "$@"; do
    case "$name" in
      postgresql)
        if [[ -n "${RETORT_TEST_POSTGRESQL_URL:-}" ]]; then
          retort_say "PostgreSQL: using RETORT_TEST_POSTGRESQL_URL from the environment"
        else
          names+=(postgresql)
        fi ;;
      mariadb)
        if [[ -n "${RETORT_TEST_MYSQL_URL:-}" ]]; then
          retort_say "MariaDB: using RETORT_TEST_MYSQL_URL from the environment"
        else
          names+=(mariadb)
        fi ;;
      *) retort_say "error: no server named '$name' (postgresql, mariadb)"; return 1 ;;
    esac
  done
  (( ${#names[@]} > 0 )) || return 0
  mkdir -p -- "$RETORT_SERVERS_DIR" || return 1
  # Recorded before anything starts, so that stop_servers also undoes a start
  # that fails half-way.
  _retort_servers_started+=("${names[@]}")

  # Both ports are chosen here, before the servers start in parallel, so the
  # two cannot pick the same one.
  for name in "${names[@]}"; do
    port="$(_retort_free_port "${ports[@]}")" ||
      { retort_say "error: no free TCP port found for $name"; stop_servers; return 1; }
    ports+=("$port")
  done
  # In parallel: mariadb-install-db alone takes seconds. Each server gets a
  # subshell, so their variables cannot collide; the outer subshell keeps an
  # interactive caller's shell from announcing them as jobs.
  (
    jobs=()
    for i in "${!names[@]}"; do
      ( "_retort_start_${names[i]}" "${ports[i]}" ) &
      jobs+=("$!")
    done
    status=0
    for job in "${jobs[@]}"; do
      wait "$job" || status=1
    done
    exit "$status"
  ) || failed=1
  if (( failed == 0 )); then
    for name in "${names[@]}"; do
      # shellcheck source=/dev/null
      source "$RETORT_SERVERS_DIR/$name.env" || { failed=1; break; }
    done
  fi
  if (( failed )); then
    stop_servers
    return 1
  fi
  return 0
}

# stop_servers [NAME...]: stops the servers named (postgresql, mariadb), by
# default those start_servers started in this shell, and unsets their
# variables (a later start_servers in this shell would otherwise take the dead
# servers' URLs for a developer's own). Silent, and always succeeds: it runs
# in tools/test's EXIT trap, where a failing command under `set -e` would
# replace CTest's exit status.
stop_servers() {
  (( $# > 0 )) || set -- "${_retort_servers_started[@]}"
  local name
  for name in "$@"; do
    _retort_server_stop "$name"
    case "$name" in
      postgresql) unset RETORT_TEST_POSTGRESQL_URL RETORT_TEST_POSTGRESQL_SOCKET RETORT_TEST_POSTGRESQL_TLS_URL ;;
      mariadb) unset RETORT_TEST_MYSQL_URL RETORT_TEST_MYSQL_SOCKET RETORT_TEST_MYSQL_TLS_URL ;;
    esac
  done >/dev/null 2>&1 </dev/null || true
  _retort_servers_started=()
  return 0
}
