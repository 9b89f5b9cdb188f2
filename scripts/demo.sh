#!/usr/bin/env bash
# `make demo`: bootstrap, load the demo data, serve on http://127.0.0.1:8000.
#
# Uses config.settings.dev (manage.py's default) and the database in DATABASE_URL,
# or SQLite in db.sqlite3. Safe to run again: bootstrap skips what is done and
# seed_demo leaves demo rows that exist alone. DEMO_ADDR overrides the address.
# The demo's stories and the seed_demo command live in demo/ (one module per story).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/bootstrap.sh
export PATH="$ROOT/.venv/bin:$PATH"
export VIRTUAL_ENV="$ROOT/.venv"

ADDR="${DEMO_ADDR:-127.0.0.1:8000}"
# Printed QR codes and PDF verification links point here, so they must reach this server.
export HEZUO_PUBLIC_URL="${HEZUO_PUBLIC_URL:-http://$ADDR}"

python manage.py seed_demo

echo "demo: http://${ADDR}/ — log in as ws-admin / hezuo-demo (see README.md for every login)"
exec python manage.py runserver "$ADDR"
