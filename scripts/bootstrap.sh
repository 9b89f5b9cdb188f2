#!/usr/bin/env bash
# Bring a checkout to a runnable state: Debian packages, .venv, translations, database.
#
#   scripts/bootstrap.sh            what `make demo` needs
#   scripts/bootstrap.sh --browser  also Chromium, for the browser tests (`make test`)
#
# Idempotent, and quick when nothing changed: each step first checks whether it
# has anything to do. Run it (don't source it); callers then use .venv/bin.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# WeasyPrint's native libraries; fontconfig (fc-list, for the CJK font check) and a CJK
# font for PDFs; msgfmt for translations; pdftoppm for the PDF tests.
DEB_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk gettext poppler-utils)
for arg in "$@"; do
    case "$arg" in
        --browser) DEB_PACKAGES+=(chromium) ;;
        *) echo "bootstrap: unknown option $arg (use --browser)" >&2; exit 2 ;;
    esac
done

VENV="$ROOT/.venv"
STAMP="$VENV/.hezuo-installed"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

# One bootstrap at a time per checkout: `make demo` and `make test` may start together.
exec 9>"${TMPDIR:-/tmp}/hezuo-bootstrap-$(id -u)-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16).lock"
flock 9

# 1. Debian packages ----------------------------------------------------------
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ "$(id -u)" -eq 0 ]]; then
        say "installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
            "${missing[@]}" >/dev/null
    else
        {
            echo "bootstrap: missing Debian packages: ${missing[*]}"
            echo "bootstrap: install them as root, then run this again:"
            echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
        } >&2
        exit 1
    fi
fi

# 2. Python 3.11 and the virtualenv -------------------------------------------
venv_ok() { [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

if ! venv_ok; then
    PYTHON="${HEZUO_PYTHON:-python3.11}"
    command -v "$PYTHON" >/dev/null 2>&1 \
        || die "Python 3.11 not found: put python3.11 on PATH (or set HEZUO_PYTHON=/path/to/python3.11)."
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
        || die "$PYTHON does not run as Python 3.11 ($("$PYTHON" --version 2>&1 || true))."
    say "creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv --clear "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
    say "installing the project and its dev dependencies ($([[ -n "$have" ]] && echo "pyproject.toml changed" || echo "first install"))"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
    echo "$want" >"$STAMP"
fi

PY="$VENV/bin/python"

# 3. Translations: compile only when a .po is newer than its .mo (.mo files are not committed).
stale_po=0
while IFS= read -r -d '' po; do
    mo="${po%.po}.mo"
    if [[ ! -f "$mo" || "$po" -nt "$mo" ]]; then stale_po=1; break; fi
done < <(find "$ROOT" -path "$VENV" -prune -o -path "$ROOT/.git" -prune -o \
              -path '*/LC_MESSAGES/*' -name '*.po' -print0)
if ((stale_po)); then
    say "compiling translations"
    "$PY" manage.py compilemessages --ignore=.venv --verbosity 0
fi

# 4. Database (DATABASE_URL, or SQLite in db.sqlite3) ---------------------------
"$PY" manage.py migrate --noinput --verbosity 0
# Never print a password that DATABASE_URL may carry.
say "ready ($("$PY" --version), database: $(printf '%s' "${DATABASE_URL:-sqlite:///db.sqlite3}" | sed -E 's#//[^@/]*@#//#'))"
