#!/usr/bin/env bash
# `make test`: every check CI runs, in order, with one summary line per stage.
#
#   scripts/test.sh [pytest args...]       e.g. scripts/test.sh -k audit -x
#
# Stages: bootstrap (with Chromium) → ruff check → ruff format --check → import layers
# (lint-imports) → makemigrations --check →
# check --deploy (production settings) → pytest on PostgreSQL → pytest on SQLite.
#
# PostgreSQL, the production database, runs the whole suite. SQLite, the embedded
# default that `make demo` serves, runs the tests marked `sqlite` (SQLITE_TESTS in
# tests/conftest.py: the demo seed, the authorization matrix, the browser, and what
# differs between the two databases). When nothing answers at 127.0.0.1:5432 and
# REQUIRE_POSTGRES is not 1 (a developer without a server), SQLite runs the WHOLE
# suite instead, so nothing goes untested, and its summary line says so.
# REQUIRE_POSTGRES=1 (CI) makes an unreachable PostgreSQL a failure.
# A failing stage does not stop the later ones; the exit status is non-zero if any failed.
#
# A new stage is one line: `stage "NAME" COMMAND...` (or a function, as deploy_check).
# HEZUO_TEST_PG_URL names the PostgreSQL server and database (the test database is test_<name>).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_URL="${HEZUO_TEST_PG_URL:-postgres://postgres@${PG_HOST}:${PG_PORT}/hezuo}"
# Two workers on CI's two cores; loadgroup keeps the browser tests on one worker (one Chromium).
XDIST=(-n "${PYTEST_WORKERS:-2}" --dist loadgroup)

summary=()
failed=0
started=$(date +%s)

stage() {  # stage NAME COMMAND... : run, time and record one stage
    local name="$1"; shift
    local start rc
    start=$(date +%s)
    printf '\n===== %s =====\n' "$name"
    "$@"
    rc=$?
    local secs=$(($(date +%s) - start))
    if ((rc == 0)); then
        summary+=("$(printf 'PASS  %-40s %4ss' "$name" "$secs")")
    else
        local why="exit $rc"
        ((rc == 5)) && why="no tests were collected"
        summary+=("$(printf 'FAIL  %-40s %4ss  (%s)' "$name" "$secs" "$why")")
        failed=1
    fi
    return "$rc"
}

skip() { summary+=("$(printf 'SKIP  %-40s        (%s)' "$1" "$2")"); }

print_summary() {
    printf '\n===== summary =====\n'
    printf '%s\n' "${summary[@]}"
    printf '      %-40s %4ss\n' "total" "$(($(date +%s) - started))"
    if ((failed)); then echo "make test: FAILED"; else echo "make test: all stages passed"; fi
}

if ! stage "bootstrap (packages, venv, db)" scripts/bootstrap.sh --browser; then
    print_summary
    exit 1
fi
export PATH="$ROOT/.venv/bin:$PATH"
export VIRTUAL_ENV="$ROOT/.venv"

stage "ruff check" ruff check .

stage "ruff format --check" ruff format --check .

# The import layers and no cycles (the contracts are [tool.importlinter] in pyproject.toml).
stage "import layers (lint-imports)" lint-imports --no-cache

stage "makemigrations --check" python manage.py makemigrations --check --dry-run

deploy_check() {
    # A fresh random key each run, so nothing real is ever needed or printed.
    local key
    key="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
    DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY="$key" \
        ALLOWED_HOSTS=hezuo.example.cn HEZUO_PUBLIC_URL=https://hezuo.example.cn \
        python manage.py check --deploy --fail-level WARNING
}
stage "check --deploy (production)" deploy_check

# The test settings come from pyproject (config.settings.test); drop any
# DJANGO_SETTINGS_MODULE the caller's shell may carry.
unset DJANGO_SETTINGS_MODULE

pg_reachable() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 5
    else
        python - "$PG_HOST" "$PG_PORT" <<'EOF'
import sys

import psycopg

try:
    psycopg.connect(host=sys.argv[1], port=int(sys.argv[2]), user="postgres",
                    dbname="postgres", connect_timeout=5).close()
except psycopg.Error:
    sys.exit(1)
EOF
    fi
}

# The browser tests drive the pages in Chromium: what they check does not differ between the
# databases, so they run once, on SQLite, the database `make demo` serves.
postgres_suite() { DATABASE_URL="$PG_URL" pytest "${XDIST[@]}" -m "not browser" "$@"; }
sqlite_suite() { env -u DATABASE_URL pytest "${XDIST[@]}" "$@"; }
sqlite_marked() {  # the tests marked sqlite; a -k or path given that selects none of them is no failure
    sqlite_suite -m sqlite "$@"
    local rc=$?
    if ((rc == 5 && $# > 0)); then
        echo "None of the tests that '$*' selects is marked sqlite: nothing to run on SQLite."
        return 0
    fi
    return "$rc"
}

if pg_reachable; then
    stage "pytest on PostgreSQL (all but browser)" postgres_suite "$@"
    stage "pytest on SQLite (-m sqlite)" sqlite_marked "$@"
elif [[ "${REQUIRE_POSTGRES:-0}" == "1" ]]; then
    echo "ERROR: REQUIRE_POSTGRES=1 but PostgreSQL does not answer at ${PG_HOST}:${PG_PORT}." >&2
    summary+=("$(printf 'FAIL  %-40s        (%s)' "pytest on PostgreSQL" "REQUIRE_POSTGRES=1 and ${PG_HOST}:${PG_PORT} is unreachable")")
    failed=1
    stage "pytest on SQLite (-m sqlite)" sqlite_marked "$@"
else
    echo "No PostgreSQL at ${PG_HOST}:${PG_PORT}: the whole suite runs on SQLite instead (REQUIRE_POSTGRES=1 makes this a failure)."
    skip "pytest on PostgreSQL" "nothing answers at ${PG_HOST}:${PG_PORT}; set REQUIRE_POSTGRES=1 to make this fail"
    stage "pytest on SQLite (all: no PostgreSQL)" sqlite_suite "$@"
fi

print_summary
exit "$failed"
