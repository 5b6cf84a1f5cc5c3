#!/usr/bin/env bash
# make test-containers: docker/Dockerfile built and its image run for real,
# by podman with the runc runtime (there is no Docker engine here), on base
# images made from Debian's packages (base-images.sh; no image registry is
# reachable). As root only (CI): elsewhere it says so and skips.
#
# What it shows: the build as `docker build -f docker/Dockerfile .` does it
# (the dependency layer cached between runs), the build context, the build's
# time and the image's size (under 40 MiB); then one container as compose
# runs the api service (read-only root filesystem, a volume at /app/var): it
# runs as uid 10001, cannot write its root filesystem, passes its own
# HEALTHCHECK (the image has no shell), answers through its published port,
# and exits 0 on SIGTERM. Then compose.sh brings up docker/compose.yaml,
# compose-dev.sh its development variant with Chromium as the client, and
# tutorial.sh docs/tutorial.md's recipe.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/e2e/common.sh"

[ "$(id -u)" = 0 ] || skip "container tests" "podman with runc needs root here (CI runs them as root)"
apt_install podman podman
apt_install runc runc
apt_install mmdebstrap mmdebstrap
apt_install curl curl
apt_install openssl openssl
for tool in podman runc mmdebstrap curl openssl; do
  command -v "$tool" >/dev/null 2>&1 || skip "container tests" "no $tool (apt-get install podman runc mmdebstrap curl openssl)"
done
export CONTAINERS_CONF="$HERE/containers.conf"
IMAGE=localhost/todoapi:test
NAME="todoapi-test-$$"
cleanup() {
  podman rm -f "$NAME" >/dev/null 2>&1 || true
  podman volume rm -f "$NAME-var" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "  FAIL  $1"; podman logs "$NAME" 2>&1 | tail -20 || true; exit 1; }
ok() { echo "  ok  $1"; }

"$HERE/base-images.sh"

echo "== building docker/Dockerfile (podman build; unchanged layers come from its cache)"
# The build context as the engine sees it through .dockerignore: copied whole
# into a throwaway image and measured there.
CONTEXT_KIB=$(podman build --quiet --no-cache -t localhost/todoapi-test/context:latest -f "$HERE/Containerfile.context" "$ROOT" >/dev/null \
  && podman run --rm localhost/todoapi-test/context:latest du -sk /context | cut -f1)
[ "$CONTEXT_KIB" -lt 10240 ] || { echo "  FAIL  the build context is ${CONTEXT_KIB} KiB: .dockerignore lets too much through"; exit 1; }
build() {
  podman build --quiet --network=host --format docker -f "$ROOT/docker/Dockerfile" \
    --build-arg TODOAPI_GIT_COMMIT="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || true)" \
    "$@" "$ROOT" >/dev/null
}
started=$(date +%s)
build -t "$IMAGE"
built=$(( $(date +%s) - started ))
# The development variant's image (compose.dev.yaml builds todoapi:dev with
# the dev-issuer feature): the same dependency layer, its own crate build.
started=$(date +%s)
build --build-arg CARGO_FEATURES=dev-issuer -t localhost/todoapi:dev-test
dev_built=$(( $(date +%s) - started ))
# The build stage tagged too (from the cache, at once), so that its
# dependency layer survives the prune of what earlier builds left (each
# commit's crate layers, gigabytes over time).
build --target build -t localhost/todoapi-test/build-stage:latest
podman image prune -f >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
ok "built in ${built} s (the development variant's image then in ${dev_built} s); build context ${CONTEXT_KIB} KiB (.dockerignore); image $(( size / 1048576 )) MiB"
[ "$size" -lt $(( 40 * 1048576 )) ] || fail "the image is $(( size / 1048576 )) MiB, over 40"

echo "== the image run as compose runs the api service"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
METRICS_PORT=$(free_port)
# The health check is run by hand below: without systemd, podman cannot
# schedule it and says so (two lines filtered out).
podman run -d --name "$NAME" --read-only --health-interval=disable \
  -v "$NAME-var:/app/var" \
  -p "127.0.0.1:$PORT:8000" -p "127.0.0.1:$METRICS_PORT:9464" -e APP__METRICS__LISTEN=0.0.0.0:9464 \
  -e AUTH0_DOMAIN=tenant.example.com -e API_IDENTIFIER=https://todo.example/api \
  -e DATABASE_URL=/app/var/todoapi.sqlite3 \
  "$IMAGE" 2> >(grep -v 'systemd connection' >&2) >/dev/null
healthy=""
for _ in $(seq 1 60); do
  if podman healthcheck run "$NAME" >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 0.5
done
[ -n "$healthy" ] || fail "the image's own HEALTHCHECK (todoapi probe) never passed"
ok "its HEALTHCHECK (todoapi probe, no shell or curl) passes"
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" = 10001 ] || fail "the server runs as uid $uid, not 10001"
ok "the server runs as uid 10001"
[ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$NAME")" = true ] || fail "the root filesystem is writable"
# Through the container's own view of its files (it has no shell to try with):
# even root cannot write there.
if : 2>/dev/null >"/proc/$pid/root/app/written"; then fail "a file was written to the root filesystem"; fi
: >"/proc/$pid/root/app/var/written" || fail "its volume (/app/var) is not writable"
ok "its root filesystem is read-only"
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health/")
body=$(curl -s "http://127.0.0.1:$PORT/api/task/")
[ "$health" = 200 ] && [ "$body" = '{"detail":"Authentication credentials were not provided."}' ] \
  || fail "through the published port: health $health, task list $body"
ok "through its published port: /api/health/ 200, /api/task/ 401 with DRF's body"
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
build=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^todoapi_build_info')
case "$build" in
  *"commit=\"$commit\""*'backend="sqlite"'*) ok "its metrics listener (9464) names the build: $build" ;;
  *) fail "the metrics' build info is not this commit's ($commit): $build" ;;
esac
podman stop -t 40 "$NAME" 2> >(grep -v "systemd connection" >&2) >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
[ "$code" = 0 ] || fail "exit code $code on SIGTERM"
ok "SIGTERM (podman stop): drained and exited 0"
cleanup
"$HERE/compose.sh"
"$HERE/compose-dev.sh"
"$HERE/tutorial.sh"
echo "containers: all passed"
