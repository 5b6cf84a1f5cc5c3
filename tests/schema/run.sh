#!/usr/bin/env bash
# make test-schema: the OpenAPI document validated as OpenAPI 3.1
# (openapi-spec-validator), then schemathesis against fresh servers, every
# operation, four times: with a development token, without a token, and on
# a server whose permission classes ask for scopes, with a token lacking
# them and with one that has them; with throttles on (some answers 429);
# then once per pagination class, with
# search and ordering on. schemathesis' default checks (all of
# them: no server error; statuses, content types, headers and bodies as
# documented; invalid data refused, valid data accepted; 405 for other
# methods; deleted objects gone; authentication not ignored), its coverage,
# fuzzing and stateful phases, a fixed seed. Fails on any failure.
# Needs Python 3 (the tools come from PyPI through requirements.txt).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EXAMPLES=${SCHEMA_EXAMPLES:-100}
command -v python3 >/dev/null 2>&1 || { echo "== schema tests SKIPPED: Python 3 is not installed"; exit 0; }

VENV="$ROOT/target/schema-venv"
if [ ! -x "$VENV/bin/schemathesis" ] || [ "$HERE/requirements.txt" -nt "$VENV/bin/schemathesis" ] || [ "$HERE/constraints.txt" -nt "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" -c "$HERE/constraints.txt"
  touch "$VENV/bin/schemathesis"
fi
(cd "$ROOT" && cargo build --quiet --bin todoapi)
BIN="$ROOT/target/debug/todoapi"
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

# serve NAME [VAR=VALUE...]: a server on a free port; sets PORT and BASE.
serve() {
  local name=$1; shift
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env -i PATH="$PATH" APP_ENV=development APP_CONFIG_DIR="$ROOT/config" \
    APP__SERVER__PORT="$PORT" APP__SERVER__STATIC_DIR="" \
    APP__DATABASE__URL="$TMP/$name.sqlite3" APP__AUTH__DEV_ISSUER__KEY_PATH="$TMP/key.pem" \
    RUST_LOG=warn "$@" "$BIN" serve >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  BASE="http://127.0.0.1:$PORT"
  for _ in $(seq 100); do
    curl -fs "$BASE/api/health/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the $name server did not start:"; cat "$TMP/$name.log"; exit 1
}
token() {  # token PORT [ARGS...]
  local port=$1; shift
  env -i PATH="$PATH" APP_ENV=development APP_CONFIG_DIR="$ROOT/config" APP__SERVER__PORT="$port" \
    APP__AUTH__DEV_ISSUER__KEY_PATH="$TMP/key.pem" RUST_LOG=warn "$BIN" token "$@"
}
schemathesis() {  # schemathesis LABEL SCHEMA_URL [HEADER]
  local label=$1 url=$2; shift 2
  echo "== schemathesis: $label"
  local args=(run "$url" --max-examples "$EXAMPLES" --seed 1 --suppress-health-check all)
  [ $# -gt 0 ] && args+=(--header "$1")
  # from $TMP: schemathesis keeps its example cache in the working directory
  (cd "$TMP" && "$VENV/bin/schemathesis" "${args[@]}") >"$TMP/st.log" 2>&1 || { cat "$TMP/st.log"; exit 1; }
  grep -E "^\s+[0-9]+ generated" "$TMP/st.log" || { cat "$TMP/st.log"; exit 1; }
}

serve plain
curl -fs "$BASE/api/schema/" >"$TMP/openapi.json"
"$VENV/bin/openapi-spec-validator" "$TMP/openapi.json"
"$BIN" openapi >/dev/null
schemathesis "with a development token" "$BASE/api/schema/" "Authorization: Bearer $(token "$PORT")"
schemathesis "without a token" "$BASE/api/schema/"

serve scoped APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES="IsAuthenticated, ReadScope:read:tasks, WriteScope:write:tasks"
schemathesis "scopes required, a token without them" "$BASE/api/schema/" "Authorization: Bearer $(token "$PORT" --scope "")"
schemathesis "scopes required, a token with them" "$BASE/api/schema/" "Authorization: Bearer $(token "$PORT")"

# Throttles on, low enough that schemathesis meets 429s (body and Retry-After as documented).
serve throttled APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES="AnonRateThrottle,UserRateThrottle,ScopedRateThrottle" \
  APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__ANON=20/s APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER=50/s \
  APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__TASKS=30/s
schemathesis "throttled, with a token" "$BASE/api/schema/" "Authorization: Bearer $(token "$PORT")"
schemathesis "throttled, without a token" "$BASE/api/schema/"
# That server did throttle: a burst meets a 429.
urls=(); for _ in $(seq 100); do urls+=("$BASE/api/task/"); done
codes=$(curl -s -H "Authorization: Bearer $(token "$PORT")" -w '\n%{http_code}\n' "${urls[@]}")
grep -qx 429 <<<"$codes" || { echo "the throttled server never answered 429"; exit 1; }

# Each pagination class, with search and ordering on and a page size the
# client may set: the list's parameters, page bodies, Link and 404s.
for class in PageNumberPagination LimitOffsetPagination CursorPagination; do
  serve "$class" APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS="$class" APP__REST_FRAMEWORK__PAGE_SIZE=2 \
    APP__REST_FRAMEWORK__PAGE_SIZE_QUERY_PARAM=page_size APP__REST_FRAMEWORK__MAX_PAGE_SIZE=5 \
    APP__REST_FRAMEWORK__DEFAULT_FILTER_BACKENDS="SearchFilter,OrderingFilter"
  curl -fs "$BASE/api/schema/" >"$TMP/openapi-$class.json"
  "$VENV/bin/openapi-spec-validator" "$TMP/openapi-$class.json"
  schemathesis "$class, with search and ordering" "$BASE/api/schema/" "Authorization: Bearer $(token "$PORT")"
done
echo "schema tests: all passed"
