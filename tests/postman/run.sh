#!/usr/bin/env bash
# Runs the Postman collection with newman against a freshly started server
# (development profile, its development issuer, a throw-away SQLite database
# and key), then the collection Postman makes when it imports GET /api/schema/
# (imported.mjs), and fails when any assertion fails. Part of `make test`.
# Needs Node.js and npm; without them it says so and skips.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== Postman collection SKIPPED: Node.js and npm are not installed"
  exit 0
fi
echo "== Postman collection (newman)"
# Installs exactly what package-lock.json pins, from the npm registry.
if [ ! -x "$HERE/node_modules/.bin/newman" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$ROOT" && cargo build --quiet --bin todoapi)

TMP=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
APP_ENV=development APP_CONFIG_DIR="$ROOT/config" \
  APP__SERVER__PORT=0 APP__SERVER__WORKERS=2 \
  APP__DATABASE__URL="$TMP/todoapi.sqlite3" \
  APP__AUTH__DEV_ISSUER__KEY_PATH="$TMP/dev_issuer_key.pem" \
  RUST_LOG=warn "$ROOT/target/debug/todoapi" serve >"$TMP/server.out" 2>"$TMP/server.err" &
PID=$!

BASE=
for _ in $(seq 300); do
  BASE=$(sed -n 's/^todoapi is listening on //p' "$TMP/server.out")
  [ -n "$BASE" ] && break
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "the server did not start:" >&2; cat "$TMP/server.err" >&2; exit 1
  fi
  sleep 0.1
done
[ -n "$BASE" ] || { echo "the server did not say where it listens" >&2; exit 1; }

"$HERE/node_modules/.bin/newman" run "$HERE/todoapi.postman_collection.json" \
  --environment "$HERE/development.postman_environment.json" \
  --env-var "baseUrl=$BASE" --env-var "tokenUrl=$BASE/oauth/token" \
  --reporters cli --color off --disable-unicode

echo "== the schema as Postman imports it (openapi-to-postmanv2), run with newman"
curl -fsS "$BASE/api/schema/" >"$TMP/openapi.json"
node "$HERE/imported.mjs" "$TMP/openapi.json" "$TMP/imported.postman_collection.json"
PORT=${BASE##*:}
TOKEN=$(APP_ENV=development APP_CONFIG_DIR="$ROOT/config" APP__SERVER__PORT="$PORT" \
  APP__AUTH__DEV_ISSUER__KEY_PATH="$TMP/dev_issuer_key.pem" RUST_LOG=warn \
  "$ROOT/target/debug/todoapi" token)
"$HERE/node_modules/.bin/newman" run "$TMP/imported.postman_collection.json" \
  --env-var "baseUrl=$BASE" --env-var "bearerToken=$TOKEN" \
  --reporters cli --color off --disable-unicode
