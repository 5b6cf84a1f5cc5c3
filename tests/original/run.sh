#!/usr/bin/env bash
# make test-original: the Django original on databases it made (the v1.14
# fixtures in tests/fixtures/original/, on SQLite and, with
# TEST_POSTGRES_URL, on PostgreSQL) once `todoapi add-indexes` has given
# them the list's index: `todoapi check` reports the index missing before
# and not after, and the original still lists, creates and edits tasks.
# Needs Python 3 (the original's stack comes from PyPI into
# target/original-venv).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
command -v python3 >/dev/null 2>&1 || { echo "== the original on its databases SKIPPED: Python 3 is not installed"; exit 0; }
VENV="$ROOT/target/original-venv"
STAMP="$VENV/requirements.stamp"
if [ ! -f "$STAMP" ] || ! cat "$HERE/requirements.txt" "$ROOT/bench/original/requirements.txt" | cmp -s - "$STAMP"; then
  python3 -m venv "$VENV"
  (cd "$HERE" && "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt)
  cat "$HERE/requirements.txt" "$ROOT/bench/original/requirements.txt" >"$STAMP"
fi
(cd "$ROOT" && cargo build --quiet --bin todoapi)
echo "== the original on its databases, after todoapi add-indexes"
exec "$VENV/bin/python" "$HERE/run.py" "$ROOT/target/debug/todoapi"
