#!/usr/bin/env bash
# make test-containers, part two: docker/compose.yaml brought up by
# podman-compose (PyPI, pinned in compose-tools.txt) with only its images
# renamed (compose.override.yaml), then used through web's published ports.
# Called by run.sh once the API's image (localhost/todoapi:test) is built.
#
# Debian's podman (4.3) runs no health check by itself (it needs systemd
# timers), and podman-compose ignores `condition: service_healthy` before
# podman 4.6 (and its --requires would start the exited migrate again with
# each replica). So the test runs the health checks (podman healthcheck
# run, every second) and brings the services up one by one (--no-deps) in
# the order compose.yaml's depends_on gives, checking each gate itself.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
P="todoapitest$$"
WORK=$(mktemp -d)
VENV="$ROOT/target/containers-venv"
if [ ! -x "$VENV/bin/podman-compose" ] || [ "$HERE/compose-tools.txt" -nt "$VENV/bin/podman-compose" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/compose-tools.txt"
  touch "$VENV/bin/podman-compose"
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WEB_PORT=$(free_port)
TLS_PORT=$(free_port)
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
chmod 644 "$WORK/tls/key.pem"
# What a user puts in docker/.env (docker/.env.example); the tenant is only
# configuration here (no token of it is ever checked).
cat >"$WORK/.env" <<ENV
POSTGRES_PASSWORD=compose-test-$$
AUTH0_DOMAIN=tenant.example.com
API_IDENTIFIER=https://todo.example/api
WEB_PORT=$WEB_PORT
TLS_PORT=$TLS_PORT
TLS_DIR=$WORK/tls
ENV
compose() {
  "$VENV/bin/podman-compose" --env-file "$WORK/.env" -p "$P" \
    -f "$ROOT/docker/compose.yaml" -f "$HERE/compose.override.yaml" "$@"
}
quiet() { "$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log"; return 1; }; }
containers() { # containers of a service, by name
  podman ps -a --filter "label=io.podman.compose.project=$P" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | sort
}
HEALTH_PID=""
cleanup() {
  [ -z "$HEALTH_PID" ] || kill "$HEALTH_PID" 2>/dev/null || true
  compose down -v -t 5 >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "  FAIL  $1"
  for c in $(podman ps -a --filter "label=io.podman.compose.project=$P" --format '{{.Names}}'); do
    # Not the routine lines (health checks, the API's 401s).
    echo "--- $c"; podman logs "$c" 2>&1 | grep -v -e '" 200 ' -e '" 401 ' -e ' 200 15 ' -e ' 401 58 ' | tail -15 || true
  done
  echo "--- web's first errors"
  podman logs "$(containers web)" 2>&1 | grep -m 20 -e '\[error\]' -e '\[warn\]' -e '\[crit\]' || true
  exit 1
}
ok() { echo "  ok  $1"; }
# The health checks compose.yaml and the image declare, run as Docker runs them.
( while true; do
    for c in $(podman ps --filter "label=io.podman.compose.project=$P" --format '{{.Names}}'); do
      podman healthcheck run "$c" >/dev/null 2>&1 || true
    done
    sleep 1
  done ) &
HEALTH_PID=$!
health() { podman inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null || true; }
wait_healthy() { # NAME...: all healthy within 90 s
  for _ in $(seq 1 180); do
    local all=yes
    for c in "$@"; do [ "$(health "$c")" = healthy ] || all=""; done
    [ -n "$all" ] && return 0
    sleep 0.5
  done
  return 1
}
started_at() { date -d "$(podman inspect --format '{{.State.StartedAt}}' "$1" | sed 's/ [A-Z]*$//')" +%s.%N; }
finished_at() { date -d "$(podman inspect --format '{{.State.FinishedAt}}' "$1" | sed 's/ [A-Z]*$//')" +%s.%N; }
https_get() { curl -s --cacert "$WORK/tls/cert.pem" "$@"; }
up() { # the stack, service by service as depends_on orders it
  quiet compose up -d --no-deps db
  wait_healthy "$(containers db)" || fail "db never became healthy (pg_isready)"
  quiet compose up -d --no-deps migrate
  local m; m=$(containers migrate)
  podman wait "$m" >/dev/null
  [ "$(podman inspect --format '{{.State.ExitCode}}' "$m")" = 0 ] || fail "migrate exited $(podman inspect --format '{{.State.ExitCode}}' "$m")"
  quiet compose up -d --no-deps api
  # shellcheck disable=SC2046
  wait_healthy $(containers api) || fail "the api replicas never became healthy (todoapi probe)"
  quiet compose up -d --no-deps web
  for _ in $(seq 1 60); do
    [ "$(https_get -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/api/health/")" = 200 ] && return 0
    sleep 0.5
  done
  fail "web never answered https://127.0.0.1:$TLS_PORT/api/health/"
}

echo "== docker/compose.yaml under podman-compose $("$VENV/bin/podman-compose" --version 2>/dev/null | head -1 | awk '{print $3}')"
started=$(date +%s)
up
ok "up in $(( $(date +%s) - started )) s: db healthy, migrate exited 0, the api replicas healthy, web on https"
replicas=$(containers api)
[ "$(echo "$replicas" | wc -l)" = 2 ] || fail "deploy.replicas: 2 gave: $replicas"
m=$(containers migrate)
[ "$(echo "$m" | wc -l)" = 1 ] || fail "more than one migrate container: $m"
done_at=$(finished_at "$m")
for r in $replicas; do
  awk -v a="$(started_at "$r")" -v b="$done_at" 'BEGIN { exit !(a > b) }' || fail "$r started before migrate finished"
done
ok "migrate ran once, and finished before either replica started ($(echo $replicas))"

# Through web's published ports only.
base="https://127.0.0.1:$TLS_PORT"
body=$(https_get "$base/api/task/")
[ "$body" = '{"detail":"Authentication credentials were not provided."}' ] || fail "no token: $body"
body=$(https_get -H 'Authorization: Bearer not.a.token' "$base/api/task/")
[ "$body" = '{"detail":"Error decoding signature."}' ] || fail "a bad token: $body"
wwwauth=$(https_get -D - -o /dev/null "$base/api/task/" | tr -d '\r' | awk -F': ' 'tolower($1)=="www-authenticate" {print $2}')
[ "$wwwauth" = 'Bearer realm="api"' ] || fail "WWW-Authenticate: $wwwauth"
ok "401 bodies and WWW-Authenticate unchanged through nginx"
redirect=$(curl -s -o "$WORK/redirect.json" -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$WEB_PORT/api/task/?x=1")
[ "$redirect" = "308 https://127.0.0.1:$TLS_PORT/api/task/?x=1" ] && [ "$(cat "$WORK/redirect.json")" = '{"detail":"This API is served over HTTPS only."}' ] \
  || fail "plain http: $redirect $(cat "$WORK/redirect.json")"
hsts=$(https_get -D - -o /dev/null "$base/" | tr -d '\r' | awk -F': ' 'tolower($1)=="strict-transport-security" {print $2}')
[ "$hsts" = "max-age=31536000" ] || fail "HSTS on the SPA: $hsts"
https_get "$base/" | grep -q '<title>' || fail "the SPA's index.html"
ok "plain http sent to https (the API's JSON), the SPA over https with HSTS"
# Either replica: nginx resolves the service name to both.
for i in $(seq 1 20); do https_get -o /dev/null "$base/api/task/?either=$i"; done
for r in $replicas; do
  n=$(podman logs "$r" 2>&1 | grep -c '"path":"/api/task/"' || true)
  [ "$n" -gt 0 ] || fail "replica $r got none of 20 requests through nginx"
  echo "     $r answered $n"
done
ok "requests through web reach both replicas (service name resolved by the engine's DNS)"

# A restart of one replica under load (SIGTERM, its drain): nothing lost.
first=$(echo "$replicas" | head -1)
touch "$WORK/loading"
python3 "$HERE/load.py" "$base/api/task/" "$WORK/tls/cert.pem" "$WORK/loading" >"$WORK/load.json" &
load=$!
sleep 1
podman restart -t 40 "$first" >/dev/null
wait_healthy "$first" || fail "$first not healthy after its restart"
sleep 1
rm -f "$WORK/loading"
wait "$load"
counts=$(cat "$WORK/load.json")
python3 -c 'import json, sys; c = json.loads(sys.argv[1]); sys.exit(0 if set(c) == {"401"} and c["401"] > 100 else 1)' "$counts" \
  || fail "requests during the restart of $first: $counts (every one should be the API's 401)"
ok "$first restarted under load: $counts"

# The data lives in the db-data volume: down and up keep it, down -v not.
db=$(containers db)
quiet podman exec "$db" psql -q -U todo -d todo -c \
  "INSERT INTO task (title, content, created_on, due_date) VALUES ('Kept', 'across down and up', CURRENT_DATE, CURRENT_DATE)"
quiet compose down -t 40
[ -z "$(podman ps -a --filter "label=io.podman.compose.project=$P" --format '{{.Names}}')" ] || fail "down left containers"
podman volume exists "${P}_db-data" || fail "down removed the volume ${P}_db-data"
up
db=$(containers db)
kept=$(podman exec "$db" psql -At -U todo -d todo -c "SELECT count(*) FROM task WHERE title = 'Kept'")
[ "$kept" = 1 ] || fail "after down and up, the row written before: $kept"
logs=$(podman logs "$(containers migrate)" 2>&1)
ok "down then up: the data kept in ${P}_db-data, migrate ran again and applied nothing new ($(echo "$logs" | tail -1 | cut -c1-100))"
quiet compose down -v -t 40
podman volume exists "${P}_db-data" && fail "down -v left the volume ${P}_db-data"
ok "down -v removed the volume"
echo "compose: all passed"
