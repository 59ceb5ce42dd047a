#!/usr/bin/env bash
# Print the path of a Python X.Y interpreter (argument: "3.12"), or nothing and exit 1 when there is none.
# Looks in pyenv's versions folder first (`pyenv root`, else $PYENV_ROOT or ~/.pyenv), newest patch release first,
# then for pythonX.Y on PATH. A candidate counts only if it runs and reports that version (a pyenv shim for a
# version that is not installed does not).
set -uo pipefail
WANT="$1"

reports_version() {
  [ -x "$1" ] && [ "$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$WANT" ]
}

ROOT=""
if command -v pyenv >/dev/null 2>&1; then
  ROOT="$(pyenv root 2>/dev/null || true)"
fi
ROOT="${ROOT:-${PYENV_ROOT:-$HOME/.pyenv}}"
if [ -d "$ROOT/versions" ]; then
  while IFS= read -r candidate; do
    if reports_version "$candidate/bin/python$WANT"; then
      echo "$candidate/bin/python$WANT"
      exit 0
    fi
  done < <(find "$ROOT/versions" -mindepth 1 -maxdepth 1 -name "$WANT.*" | sort -V -r)
fi
ON_PATH="$(command -v "python$WANT" 2>/dev/null || true)"
if [ -n "$ON_PATH" ] && reports_version "$ON_PATH"; then
  echo "$ON_PATH"
  exit 0
fi
exit 1
