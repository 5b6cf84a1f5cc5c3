#!/usr/bin/env bash
# make test-containers, part three: the development variant,
# docker/compose.yaml with compose.dev.yaml (the development issuer, a
# self-signed certificate made by its tls service), images renamed only
# (compose.override.yaml, compose.dev.override.yaml), then Chromium through
# web's published https port (browser.mjs): the SPA signs in and adds a
# task, the tutorial's auth0-js app signs in. The api service is scaled to
# two replicas while running: each answers the task made through the other.
# Called by run.sh once localhost/todoapi:dev-test is built.
set -euo pipefail
. "$(dirname "$0")/compose-lib.sh"
. "$ROOT/tests/e2e/common.sh"
COMPOSE_FILES=(-f "$ROOT/docker/compose.yaml" -f "$ROOT/docker/compose.dev.yaml" -f "$HERE/compose.override.yaml" -f "$HERE/compose.dev.override.yaml")
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
apt_install "$CHROMIUM" chromium
[ -x "$CHROMIUM" ] || { echo "  FAIL  no $CHROMIUM: the development variant's sign-in needs a browser"; exit 1; }
npm_ready "$ROOT/tests/e2e"
# The certificate the stack made, in its tls volume, is the one trusted.
https_get() { curl -s --cacert "$(podman volume inspect --format '{{.Mountpoint}}' "${P}_tls")/cert.pem" "$@"; }
# docker/.env.example for the development variant: no tenant; each user their own tasks.
cat >"$WORK/.env" <<ENV
POSTGRES_PASSWORD=compose-test-$$
AUTH0_DOMAIN=
API_IDENTIFIER=
TASKS_OWNERSHIP=creator
WEB_PORT=$WEB_PORT
TLS_PORT=$TLS_PORT
ENV
start_health_checks

echo "== the development variant (docker/compose.dev.yaml) under podman-compose"
started=$(date +%s)
up tls
first=$(containers api)
[ "$(echo "$first" | wc -l)" = 1 ] || fail "the development variant runs one replica, not: $first"
ok "up in $(( $(date +%s) - started )) s: tls made the certificate, web on https with it, one replica ($first)"
redirect=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$WEB_PORT/")
[ "$redirect" = "308 https://localhost:$TLS_PORT/" ] || fail "plain http: $redirect"
hsts=$(https_get -D - -o /dev/null "https://localhost:$TLS_PORT/" | tr -d '\r' | grep -ci '^strict-transport-security' || true)
[ "$hsts" = 0 ] || fail "HSTS in development (it would hold localhost's every port to https)"
ok "plain http sent to https, no HSTS for localhost"

# A second replica while running: nginx's API upstream finds it (resolve);
# the development issuer stays on the replica nginx started with (its
# sign-ins live in that process), and both share its key (the dev-issuer volume).
id_before=$(podman inspect --format '{{.Id}}' "$first")
quiet compose up -d --no-deps --scale api=2 api
replicas=$(containers api)
[ "$(echo "$replicas" | wc -l)" = 2 ] || fail "--scale api=2 gave: $replicas"
[ "$(podman inspect --format '{{.Id}}' "$first")" = "$id_before" ] || fail "scaling recreated $first"
# shellcheck disable=SC2046
wait_healthy $replicas || fail "the second replica never became healthy"
second=$(echo "$replicas" | grep -vx "$first")
for i in $(seq 1 60); do # nginx looks the name up again within 10 s (valid=10s)
  https_get -o /dev/null "https://127.0.0.1:$TLS_PORT/api/task/?found=$i"
  podman logs "$second" 2>&1 | grep -q '"path":"/api/task/"' && break
  [ "$i" = 60 ] && fail "web never sent a request to $second"
  sleep 0.5
done
ok "scaled to two replicas while running ($(echo $replicas)), web reaches the new one"

CHROMIUM="$CHROMIUM" node "$HERE/browser.mjs" "https://localhost:$TLS_PORT" "$WORK/task-id" || fail "the browser scenario"
id=$(cat "$WORK/task-id")
for r in $replicas; do
  n=$(podman logs "$r" 2>&1 | grep -F "\"path\":\"/api/task/$id/\"" | grep -c '"status":200' || true)
  [ "$n" -gt 0 ] || fail "replica $r answered none of the 20 reads of task $id"
  echo "     $r answered $n of the reads of task $id"
done
ok "the task made in Chromium read through either replica"
# podman-compose's down removes only the replicas the files declare (one):
# the one --scale added goes first, or it would keep its volume and network.
quiet podman rm -f -t 40 "$second"
quiet compose down -v -t 40
left=$(podman ps -a -q --filter "label=io.podman.compose.project=$P"; podman volume ls -q --filter "label=io.podman.compose.project=$P")
[ -z "$left" ] || fail "down -v left: $left"
echo "compose (development): all passed"
