#!/usr/bin/env bash
# `make test`: every check CI runs, in order, with one summary line per stage.
#
#   scripts/test.sh [pytest args...]       e.g. scripts/test.sh -k audit -x
#
# Stages: bootstrap (with Chromium) → ruff → makemigrations --check →
# check --deploy (production settings) → pytest on SQLite → pytest on PostgreSQL
# (when 127.0.0.1:5432 answers; REQUIRE_POSTGRES=1 makes its absence a failure).
# A failing stage does not stop the later ones; the exit status is non-zero if any failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_URL="postgres://postgres@${PG_HOST}:${PG_PORT}/hezuo"
XDIST=(-n "${PYTEST_WORKERS:-2}" --dist loadgroup)

summary=()
failed=0

stage() {  # stage NAME COMMAND... : run, time and record one stage
    local name="$1"; shift
    local start rc
    start=$(date +%s)
    printf '\n===== %s =====\n' "$name"
    "$@"
    rc=$?
    local secs=$(($(date +%s) - start))
    if ((rc == 0)); then
        summary+=("$(printf 'PASS  %-34s %4ss' "$name" "$secs")")
    else
        local why="exit $rc"
        ((rc == 5)) && why="no tests were collected"
        summary+=("$(printf 'FAIL  %-34s %4ss  (%s)' "$name" "$secs" "$why")")
        failed=1
    fi
    return "$rc"
}

skip() { summary+=("$(printf 'SKIP  %-34s        (%s)' "$1" "$2")"); }

print_summary() {
    printf '\n===== summary =====\n'
    printf '%s\n' "${summary[@]}"
    if ((failed)); then echo "make test: FAILED"; else echo "make test: all stages passed"; fi
}

if ! stage "bootstrap (packages, venv, db)" scripts/bootstrap.sh --browser; then
    print_summary
    exit 1
fi
export PATH="$ROOT/.venv/bin:$PATH"
export VIRTUAL_ENV="$ROOT/.venv"

stage "ruff check" ruff check .

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

sqlite_suite() { env -u DATABASE_URL pytest "${XDIST[@]}" "$@"; }
stage "pytest on SQLite" sqlite_suite "$@"

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

postgres_suite() { DATABASE_URL="$PG_URL" pytest "${XDIST[@]}" "$@"; }
if pg_reachable; then
    stage "pytest on PostgreSQL" postgres_suite "$@"
elif [[ "${REQUIRE_POSTGRES:-0}" == "1" ]]; then
    echo "ERROR: REQUIRE_POSTGRES=1 but PostgreSQL does not answer at ${PG_HOST}:${PG_PORT}." >&2
    summary+=("$(printf 'FAIL  %-34s        (%s)' "pytest on PostgreSQL" "REQUIRE_POSTGRES=1 and ${PG_HOST}:${PG_PORT} is unreachable")")
    failed=1
else
    skip "pytest on PostgreSQL" "nothing answers at ${PG_HOST}:${PG_PORT}; set REQUIRE_POSTGRES=1 to make this fail"
fi

print_summary
exit "$failed"
