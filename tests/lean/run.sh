#!/usr/bin/env bash
# make test-lean: the build without the development issuer (the production
# image's: cargo's --no-default-features). Told to enable it, it says so at
# start-up and stops before touching the database; with it off it serves,
# and it has no `token` command.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CARGO=${CARGO:-cargo}
echo "== the build without the development issuer"
$CARGO build --quiet --no-default-features --bin todoapi
mkdir -p target/lean
cp target/debug/todoapi target/lean/todoapi
# Back to the default build, which the other targets run (cargo keeps both).
$CARGO build --quiet --bin todoapi
LEAN="$ROOT/target/lean/todoapi"
WORK=$(mktemp -d)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export APP_CONFIG_DIR="$ROOT/config" APP_ENV=development RUST_LOG=warn
export APP__DATABASE__URL="$WORK/todoapi.sqlite3"

if APP__SERVER__PORT=0 timeout 20 "$LEAN" serve >"$WORK/out" 2>"$WORK/err"; then
  echo "FAIL: the lean build served with auth.dev_issuer.enabled"; exit 1
fi
grep -q "auth.dev_issuer.enabled (from $ROOT/config/development.toml): this build has no development issuer" "$WORK/err" \
  || { echo "FAIL: no clear refusal:"; cat "$WORK/err"; exit 1; }
[ ! -e "$WORK/todoapi.sqlite3" ] || { echo "FAIL: the database was touched"; exit 1; }
echo "  ok  told to enable the development issuer, it says so and stops"

if "$LEAN" token >/dev/null 2>&1; then echo "FAIL: the lean build mints tokens"; exit 1; fi
echo "  ok  no token command"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
APP__SERVER__PORT=$PORT APP__AUTH__DEV_ISSUER__ENABLED=false \
  APP__AUTH__ISSUER=https://tenant.lean.example/ APP__AUTH__JWKS_URI=http://127.0.0.1:9/jwks.json \
  "$LEAN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  if APP__SERVER__PORT=$PORT "$LEAN" probe >/dev/null 2>&1; then break; fi
  sleep 0.1
done
APP__SERVER__PORT=$PORT "$LEAN" probe >/dev/null || { echo "FAIL: it does not serve:"; cat "$WORK/serve.log"; exit 1; }
echo "  ok  with it off, it serves"
