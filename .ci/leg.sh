#!/usr/bin/env bash
# One leg of the support matrix: pytest over the given test paths in a venv of Python X.Y (venv-NAME-pyX.Y/) that
# holds the pinned requirements/NAME.txt. Usage: .ci/leg.sh X.Y NAME TEST_PATH...
# Exit status: pytest's, or 3 (after saying so) when no Python X.Y is on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY_VERSION="$1"
REQUIREMENTS="$2"
shift 2
if ! INTERPRETER="$(bash .ci/find-python.sh "$PY_VERSION")"; then
  echo "== SKIPPED $REQUIREMENTS on Python $PY_VERSION: no Python $PY_VERSION here (looked in pyenv's versions" \
    "folder and for python$PY_VERSION on PATH)"
  exit 3
fi
VENV="venv-$REQUIREMENTS-py$PY_VERSION"
STAMP="$VENV/.installed-$REQUIREMENTS"
[ -x "$VENV/bin/python" ] || "$INTERPRETER" -m venv "$VENV"
if [ ! -f "$STAMP" ] || [ "requirements/$REQUIREMENTS.txt" -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  "$VENV/bin/python" -m pip install --quiet -r "requirements/$REQUIREMENTS.txt"
  touch "$STAMP"
fi
echo "== $("$VENV/bin/python" -c 'import sys, django; print(f"Django {django.get_version()} on Python {sys.version.split()[0]}")'):" \
  "$*"
"$VENV/bin/pytest" -q -p no:cacheprovider "$@"
