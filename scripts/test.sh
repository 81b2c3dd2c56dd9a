#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. ruff check + ruff format --check
#   2. headless Chromium for the browser tests (scripts/ensure-chromium.sh)
#   3. a throw-away PostgreSQL cluster (scripts/pg-test-cluster.sh), stopped on exit
#   4. pytest on SQLite: every test under tests/
#   5. pytest on PostgreSQL (TEST_DATABASE_URL set): tests/integration, tests/functional, tests/browser
# Extra arguments and $PYTEST_ARGS go to both pytest runs:  scripts/test.sh -k ledger -x
# Environment:
#   CI=true            missing Chromium or PostgreSQL fails the run (never skipped)
#   SKIP_POSTGRES=1    (not in CI) run without PostgreSQL when it cannot be started, loudly
#   SKIP_BROWSER=1     set by this script when Chromium is missing outside CI; tests honour it
#   PYTEST_TIMEOUT     seconds allowed for each pytest run (default 2400)
# Exit status 0 only when every step passed; pytest's exit 5 (no tests collected) is a failure.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT="$(pwd)"
VENV_BIN="$ROOT/.venv/bin"
IN_CI=false
[[ "${CI:-}" == true || "${CI:-}" == 1 ]] && IN_CI=true
PYTEST_TIMEOUT="${PYTEST_TIMEOUT:-2400}"

extra_args=("$@")
if [[ -n "${PYTEST_ARGS:-}" ]]; then
    read -r -a _env_args <<<"$PYTEST_ARGS"
    extra_args=("${_env_args[@]}" "${extra_args[@]}")
fi

declare -a summary=()
failed=0

banner() { printf '\n==== %s ====\n' "$*"; }
warn() { printf '\n!!!! WARNING: %s\n\n' "$*" >&2; }
record() { # record NAME STATUS [DETAIL]
    summary+=("$(printf '%-12s %s' "$1:" "$2${3:+ ($3)}")")
}

for tool in python ruff pytest; do
    if [[ ! -x "$VENV_BIN/$tool" ]]; then
        echo "test.sh: $VENV_BIN/$tool is missing; run 'make test' (it installs requirements-dev.txt)" >&2
        exit 1
    fi
done

# Tests never touch a database named by the developer's environment.
unset DATABASE_URL TEST_DATABASE_URL

# ---- 1. lint ---------------------------------------------------------------------------------
banner "ruff"
lint_ok=true
"$VENV_BIN/ruff" check . || lint_ok=false
"$VENV_BIN/ruff" format --check . || lint_ok=false
if $lint_ok; then
    record lint passed
else
    record lint FAILED "ruff check / ruff format --check; 'make format' fixes most"
    failed=1
fi

# ---- 2. Chromium -----------------------------------------------------------------------------
banner "chromium"
if bash "$ROOT/scripts/ensure-chromium.sh"; then
    export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
    echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
    record chromium ready
else
    if $IN_CI; then
        record chromium FAILED "ensure-chromium.sh; browser tests skipped"
        failed=1
    else
        warn "Chromium is not available: browser tests will be SKIPPED (SKIP_BROWSER=1)."
        record chromium MISSING "browser tests skipped"
    fi
    export SKIP_BROWSER=1
fi

# ---- 3. PostgreSQL ---------------------------------------------------------------------------
banner "postgresql"
pg_url=""
pg_started=false
cleanup() {
    if $pg_started; then
        bash "$ROOT/scripts/pg-test-cluster.sh" stop || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_s=$SECONDS
if pg_url="$(bash "$ROOT/scripts/pg-test-cluster.sh" start)"; then
    pg_started=true
    echo "postgresql: $pg_url (up in $((SECONDS - start_s)) s)"
else
    pg_url=""
    if ! $IN_CI && [[ "${SKIP_POSTGRES:-}" == 1 ]]; then
        warn "PostgreSQL could not be started and SKIP_POSTGRES=1: the PostgreSQL run is SKIPPED.
!!!! This run does NOT show that the code works on PostgreSQL."
    else
        echo "test.sh: the PostgreSQL test cluster did not start (see above)." >&2
        $IN_CI || echo "test.sh: set SKIP_POSTGRES=1 to run without it (not in CI)." >&2
    fi
fi

# ---- pytest ----------------------------------------------------------------------------------
run_pytest() { # run_pytest LABEL [env assignments...] -- pytest args...
    local label="$1" rc t0
    shift
    local -a envs=()
    while [[ $# -gt 0 && "$1" != -- ]]; do
        envs+=("$1")
        shift
    done
    shift
    banner "pytest on $label"
    t0=$SECONDS
    # `python -m pytest` (not .venv/bin/pytest) puts the repository root on sys.path, so tests
    # import the top-level packages (app, cases, gis, ...) whatever pyproject says.
    env "${envs[@]}" timeout --foreground -k 30 "$PYTEST_TIMEOUT" "$VENV_BIN/python" -m pytest "$@"
    rc=$?
    local took="$((SECONDS - t0)) s"
    case $rc in
    0) record "$label" passed "$took" ;;
    5)
        record "$label" FAILED "no tests collected (pytest exit 5), $took"
        failed=1
        ;;
    124 | 137) record "$label" FAILED "timed out after ${PYTEST_TIMEOUT} s" && failed=1 ;;
    *) record "$label" FAILED "pytest exit $rc, $took" && failed=1 ;;
    esac
}

# ---- 4. SQLite: the whole suite --------------------------------------------------------------
run_pytest sqlite -- -W error -p no:cacheprovider tests "${extra_args[@]}"

# ---- 5. PostgreSQL: everything that touches a database ---------------------------------------
pg_dirs=()
for d in tests/integration tests/functional tests/browser; do
    [[ -d "$d" ]] && pg_dirs+=("$d")
done
if [[ -n "$pg_url" ]]; then
    if ((${#pg_dirs[@]} == 0)); then
        record postgresql FAILED "none of tests/integration, tests/functional, tests/browser exists"
        failed=1
    else
        run_pytest postgresql "TEST_DATABASE_URL=$pg_url" -- \
            -W error -p no:cacheprovider "${pg_dirs[@]}" "${extra_args[@]}"
    fi
elif ! $IN_CI && [[ "${SKIP_POSTGRES:-}" == 1 ]]; then
    record postgresql SKIPPED "SKIP_POSTGRES=1; not tested on PostgreSQL"
else
    record postgresql FAILED "test cluster did not start"
    failed=1
fi

# ---- summary ---------------------------------------------------------------------------------
banner "summary"
printf '%s\n' "${summary[@]}"
if ((failed)); then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: all passed"
exit 0
