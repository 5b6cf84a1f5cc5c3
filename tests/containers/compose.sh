#!/usr/bin/env bash
# make test-containers, part two: docker/compose.yaml brought up by
# podman-compose with only its images renamed (compose.override.yaml), then
# used through web's published ports (compose-lib.sh says how).
# Called by run.sh once the API's image (localhost/todoapi:test) is built.
set -euo pipefail
. "$(dirname "$0")/compose-lib.sh"
COMPOSE_FILES=(-f "$ROOT/docker/compose.yaml" -f "$HERE/compose.override.yaml")
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
chmod 644 "$WORK/tls/key.pem"
https_get() { curl -s --cacert "$WORK/tls/cert.pem" "$@"; }
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
start_health_checks

echo "== docker/compose.yaml under podman-compose $("$VENV/bin/podman-compose" --version 2>/dev/null | head -1 | awk '{print $3}')"
started=$(date +%s)
up
ok "up in $(( $(date +%s) - started )) s: db healthy, migrate exited 0, the api replicas healthy, web on https"
replicas=$(containers api)
[ "$(echo "$replicas" | wc -l)" = 2 ] || fail "deploy.replicas: 2 gave: $replicas"
migrate_before_replicas
errors=$(podman logs "$(containers db)" 2>&1 | grep -c ' ERROR: ' || true)
[ "$errors" = 0 ] || fail "PostgreSQL logged $errors errors while the stack came up"
ok "migrate ran once, and finished before either replica started ($(echo $replicas)); PostgreSQL logged no error"
db_check_needs_tcp "$(containers db)"
ok "db's health check refuses a server on its socket only (a first start's init server), as migrate needs TCP"

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
