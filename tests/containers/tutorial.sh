#!/usr/bin/env bash
# make test-containers, part four: docs/tutorial.md's recipe, as a reader of
# the tutorial follows it. A folder laid out as the tutorial's repository:
# its compose file copied in as the page says, the original's v1.11
# database already in db (tests/fixtures/original/), and in angular/ a
# stand-in for the tutorial's Angular app (the real one needs its node 11
# build): tutorial-app.html, auth0-js v9 signing in as its AuthService does,
# with the environment.ts values read from docs/tutorial.md and the API at
# its API_URL, http://localhost/api. The ports are the tutorial's own (80,
# 8080, 8443): its app names them. Called by run.sh once
# localhost/todoapi:dev-test is built.
set -euo pipefail
. "$(dirname "$0")/compose-lib.sh"
. "$ROOT/tests/e2e/common.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
TUTORIAL="$WORK/drf-angular-docker-tutorial"
COMPOSE_FILES=(-f "$TUTORIAL/docker-compose.todoapi.yaml" -f "$HERE/tutorial.override.yaml")
for port in 80 8080 8443; do
  python3 -c 'import socket, sys; socket.socket().bind(("0.0.0.0", int(sys.argv[1])))' "$port" 2>/dev/null \
    || { echo "  FAIL  port $port is taken: the tutorial's app needs it (80 the API, 8080 the app, 8443 the tenant)"; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "  FAIL  no $CHROMIUM"; exit 1; }
npm_ready "$ROOT/tests/e2e"
echo "== docs/tutorial.md: the tutorial's stack with todoapi as its dj"

# The tutorial's folder, and what the page says to copy into it.
mkdir -p "$TUTORIAL/angular/app"
cp "$ROOT/docs/tutorial/docker-compose.todoapi.yaml" "$TUTORIAL/"
page_value() { # the environment.ts value docs/tutorial.md gives for $1
  sed -n '/^```ts$/,/^```$/p' "$ROOT/docs/tutorial.md" | sed -n "s/^ *$1: '\\([^']*\\)',\$/\\1/p"
}
client=$(page_value clientID) domain=$(page_value domain) audience=$(page_value audience)
[ -n "$client" ] && [ -n "$domain" ] && [ -n "$audience" ] || fail "docs/tutorial.md's environment.ts: clientID '$client', domain '$domain', audience '$audience'"
cat >"$TUTORIAL/angular/app/config.json" <<JSON
{"clientId": "$client", "auth0Domain": "$domain", "audience": "$audience", "apiUrl": "http://localhost/api"}
JSON
cp "$ROOT/tests/e2e/tutorial-app.html" "$TUTORIAL/angular/app/index.html"
cp "$ROOT/tests/e2e/node_modules/auth0-js/dist/auth0.min.js" "$TUTORIAL/angular/app/"
# The tutorial's angular/nginx/nginx.conf.
cat >"$TUTORIAL/angular/nginx.conf" <<'CONF'
server {
  listen 80;
  gzip on;
  location / {
    root /usr/share/nginx/html;
    index index.html index.htm;
    try_files $uri $uri/ /index.html =404;
  }
}
CONF
cat >"$TUTORIAL/angular/Dockerfile" <<'DOCKERFILE'
FROM localhost/todoapi-test/nginx:latest
COPY nginx.conf /etc/nginx/conf.d/default.conf
COPY app/ /usr/share/nginx/html/
DOCKERFILE
echo "TODOAPI_DIR=$ROOT" >"$WORK/.env"
start_health_checks

started=$(date +%s)
quiet compose up -d --no-deps db
db=$(containers db)
wait_healthy "$db" || fail "the tutorial's db never became healthy (its pg_isready)"
db_check_needs_tcp "$db"
ok "the recipe's db health check refuses a server on its socket only (a first start's init server)"
# The reader's data: the original at v1.11 made this database.
quiet podman exec -i "$db" psql -q -v ON_ERROR_STOP=1 -U postgres -d postgres <"$ROOT/tests/fixtures/original/v1.11-postgres.sql"
stored=$(podman exec "$db" psql -At -U postgres -d postgres -c "SELECT count(*) FROM task")
one_shot tls
quiet compose up -d --no-deps dj
wait_healthy "$(containers dj)" || fail "dj (todoapi) never became healthy"
quiet compose up -d --no-deps tenant
quiet compose build ng
quiet compose up -d --no-deps ng
for i in $(seq 1 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://localhost:8080/)" = 200 ] && break
  [ "$i" = 60 ] && fail "ng never answered http://localhost:8080/"
  sleep 0.5
done
ok "up in $(( $(date +%s) - started )) s: db with the original's $stored tasks, dj, tenant, ng"

body=$(curl -s http://localhost/api/task/)
[ "$body" = '{"detail":"Authentication credentials were not provided."}' ] || fail "http://localhost/api/task/ without a token: $body"
cert="$(podman volume inspect --format '{{.Mountpoint}}' "${P}_tls")/cert.pem"
issuer=$(curl -s --cacert "$cert" https://localhost:8443/.well-known/openid-configuration | python3 -c 'import json, sys; print(json.load(sys.stdin)["issuer"])')
[ "$issuer" = "https://localhost:8443/" ] || fail "the tenant's issuer: $issuer"
ok "the API at the app's API_URL, the development issuer at https://localhost:8443/ (its certificate from tls)"

CHROMIUM="$CHROMIUM" node "$HERE/tutorial.mjs" "$stored" || fail "the tutorial's app in Chromium"
migrations=$(podman exec "$db" psql -At -U postgres -d postgres -c "SELECT count(*) FROM django_migrations WHERE app = 'todoapi'")
[ "$migrations" = 3 ] || fail "the original's migrations in django_migrations: $migrations (3 at v1.11)"
kept=$(podman exec "$db" psql -At -U postgres -d postgres -c "SELECT title FROM task WHERE id = 5")
[ "$kept" = "Ship it" ] || fail "the original's task 5: $kept"
ok "the original's rows and migrations as they were"
quiet compose down -v -t 40
echo "tutorial: all passed"
