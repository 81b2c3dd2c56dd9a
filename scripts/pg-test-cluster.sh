#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite.
#
#   scripts/pg-test-cluster.sh start   # wipe + initdb + start; prints the SQLAlchemy URL on stdout
#   scripts/pg-test-cluster.sh stop    # stop the server and delete its directory (no-op if absent)
#   scripts/pg-test-cluster.sh url     # print the SQLAlchemy URL
#   scripts/pg-test-cluster.sh status  # exit 0 when the server answers
#
# Environment: PGTEST_DIR (default /tmp/shizuishan-pgtest), PGTEST_PORT (default 54329),
# PG_BINDIR (default: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin).
# The server listens on 127.0.0.1 only, trusts every local connection and runs without fsync:
# it is for tests only and holds nothing worth keeping. PostgreSQL refuses to run as root, so as
# root everything runs as the `postgres` system user (runuser) and the directory is owned by it.
# Messages go to stderr; only the URL goes to stdout.
set -euo pipefail

PGTEST_DIR="${PGTEST_DIR:-/tmp/shizuishan-pgtest}"
PGTEST_PORT="${PGTEST_PORT:-54329}"
DATA="$PGTEST_DIR/data"
LOG="$PGTEST_DIR/server.log"
MARKER="$PGTEST_DIR/.pg-test-cluster"
URL="postgresql+psycopg://postgres@127.0.0.1:${PGTEST_PORT}/postgres"
PG_OPTS="-p ${PGTEST_PORT} -k '${PGTEST_DIR}' -c listen_addresses=127.0.0.1 \
-c fsync=off -c full_page_writes=off -c synchronous_commit=off"

say() { echo "pg-test-cluster: $*" >&2; }
die() {
    say "$*"
    exit 1
}

usage() {
    echo "usage: $0 start|stop|url|status" >&2
    exit 2
}

# Refuse to wipe anything that does not look like our own directory.
check_dir_safe() {
    case "$PGTEST_DIR" in
    "" | / | /tmp | /tmp/ | /root | /home | /work | "$HOME") die "refusing to use PGTEST_DIR=$PGTEST_DIR" ;;
    /*) ;;
    *) die "PGTEST_DIR must be an absolute path (got $PGTEST_DIR)" ;;
    esac
    if [[ -d "$PGTEST_DIR" && ! -e "$MARKER" ]] && [[ -n "$(ls -A "$PGTEST_DIR" 2>/dev/null)" ]]; then
        die "$PGTEST_DIR exists, is not empty and was not made by this script; refusing to wipe it"
    fi
}

find_bindir() {
    local d
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/initdb" && -x "$PG_BINDIR/pg_ctl" ]] || die "PG_BINDIR=$PG_BINDIR has no initdb/pg_ctl"
        echo "$PG_BINDIR"
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
            echo "$d"
            return
        fi
    fi
    d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
        echo "$d"
        return
    fi
    die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found.
  Install them with: apt-get install postgresql  (Debian; needs root)
  or point PG_BINDIR at the directory that holds them."
}

# Run a command as the cluster owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$PGTEST_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$PGTEST_DIR" && "$@")
    fi
}

server_answers() {
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PGTEST_PORT" -t 2 >/dev/null 2>&1
}

# Stop a server in our data dir, if one runs (or left a pid file behind).
stop_ours() {
    if [[ -f "$DATA/postmaster.pid" ]]; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -s -m fast -t 30 stop >/dev/null 2>&1 ||
            as_owner "$BINDIR/pg_ctl" -D "$DATA" -s -m immediate -t 30 stop >/dev/null 2>&1 || true
    fi
}

# Stop a stale test server left on our port by an earlier run from another PGTEST_DIR.
# Only a postmaster started by this script (its tell-tale options) is touched.
stop_stale_on_port() {
    local pid args datadir
    server_answers || return 0
    for pid in $(pgrep -x postgres 2>/dev/null || true); do
        args="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)"
        [[ "$args" == *"-p $PGTEST_PORT "* && "$args" == *"fsync=off"* && "$args" == *"listen_addresses=127.0.0.1"* ]] || continue
        # Only the postmaster (whose parent is not a postgres process).
        [[ "$(ps -o comm= -p "$(ps -o ppid= -p "$pid" | tr -d ' ')" 2>/dev/null)" == postgres ]] && continue
        datadir="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
        say "stopping a stale test server on port $PGTEST_PORT (pid $pid, data ${datadir:-?})"
        if [[ -n "$datadir" && -f "$datadir/postmaster.pid" ]]; then
            if [[ "$(id -u)" -eq 0 ]]; then
                runuser -u postgres -- "$BINDIR/pg_ctl" -D "$datadir" -s -m immediate -t 30 stop >/dev/null 2>&1 || true
            else
                "$BINDIR/pg_ctl" -D "$datadir" -s -m immediate -t 30 stop >/dev/null 2>&1 || true
            fi
        fi
        if kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
            sleep 1
        fi
    done
    for _ in $(seq 1 20); do
        server_answers || return 0
        sleep 0.5
    done
    die "port $PGTEST_PORT is taken by a PostgreSQL server this script did not start; set PGTEST_PORT"
}

port_in_use() {
    # Something (not necessarily PostgreSQL) listening on 127.0.0.1:PORT?
    (exec 3<>"/dev/tcp/127.0.0.1/$PGTEST_PORT") 2>/dev/null
}

make_dir() {
    rm -rf "$PGTEST_DIR"
    mkdir -p "$PGTEST_DIR"
    touch "$MARKER"
    chmod 700 "$PGTEST_DIR"
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server"
        chown -R postgres: "$PGTEST_DIR"
        runuser -u postgres -- test -w "$PGTEST_DIR" ||
            die "user postgres cannot reach $PGTEST_DIR (check the permissions of its parents)"
    fi
}

run_initdb() {
    local locale_opt=(--locale=C.UTF-8)
    if ! locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        locale_opt=(--no-locale)
    fi
    if ! as_owner "$BINDIR/initdb" -D "$DATA" --auth=trust -U postgres -E UTF8 "${locale_opt[@]}" \
        >"$PGTEST_DIR/initdb.log" 2>&1; then
        if [[ "${locale_opt[0]}" != --no-locale ]]; then
            say "initdb with C.UTF-8 failed; retrying with --no-locale"
            as_owner rm -rf "$DATA"
            as_owner "$BINDIR/initdb" -D "$DATA" --auth=trust -U postgres -E UTF8 --no-locale \
                >"$PGTEST_DIR/initdb.log" 2>&1 || {
                tail -n 20 "$PGTEST_DIR/initdb.log" >&2
                die "initdb failed (log: $PGTEST_DIR/initdb.log)"
            }
        else
            tail -n 20 "$PGTEST_DIR/initdb.log" >&2
            die "initdb failed (log: $PGTEST_DIR/initdb.log)"
        fi
    fi
}

cmd_start() {
    check_dir_safe
    BINDIR="$(find_bindir)"
    stop_ours
    stop_stale_on_port
    if port_in_use; then
        die "port $PGTEST_PORT on 127.0.0.1 is in use by another program; set PGTEST_PORT"
    fi
    make_dir
    run_initdb
    if ! as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -s -o "$PG_OPTS" start >/dev/null 2>&1; then
        tail -n 20 "$LOG" >&2 2>/dev/null || true
        die "server did not start (log: $LOG)"
    fi
    server_answers || die "server started but does not answer on 127.0.0.1:$PGTEST_PORT (log: $LOG)"
    say "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') running on 127.0.0.1:$PGTEST_PORT (data $DATA)"
    echo "$URL"
}

cmd_stop() {
    [[ -d "$PGTEST_DIR" ]] || return 0
    check_dir_safe
    BINDIR="$(find_bindir)"
    stop_ours
    rm -rf "$PGTEST_DIR"
}

cmd_status() {
    BINDIR="$(find_bindir)"
    server_answers
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
url) echo "$URL" ;;
status) cmd_status ;;
*) usage ;;
esac
