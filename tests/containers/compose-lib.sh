# Sourced by compose.sh, compose-dev.sh and tutorial.sh: a compose project of the test's
# own, brought up by podman-compose (PyPI, pinned in compose-tools.txt) with
# only its images renamed, and what they check it with. The caller sets
# COMPOSE_FILES (the -f arguments, the user's files then the test's), defines
# https_get (curl trusting web's certificate), writes "$WORK/.env" and calls
# start_health_checks.
#
# Debian's podman (4.3) runs no health check by itself (it needs systemd
# timers), and podman-compose ignores `condition: service_healthy` before
# podman 4.6 (and its --requires would start the exited migrate again with
# each replica). So the test runs the health checks (podman healthcheck
# run, every second) and brings the services up one by one (--no-deps) in
# the order compose.yaml's depends_on gives, checking each gate itself.
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
COMPOSE_FILES=()
compose() {
  "$VENV/bin/podman-compose" --env-file "$WORK/.env" -p "$P" "${COMPOSE_FILES[@]}" "$@"
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
  echo "--- nginx's first errors"
  for web in $(containers web) $(containers tenant); do
    podman logs "$web" 2>&1 | grep -m 20 -e '\[error\]' -e '\[warn\]' -e '\[crit\]' || true
  done
  exit 1
}
ok() { echo "  ok  $1"; }
# The health checks compose.yaml and the image declare, run as Docker runs them.
start_health_checks() {
  ( while true; do
      for c in $(podman ps --filter "label=io.podman.compose.project=$P" --format '{{.Names}}'); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
      sleep 1
    done ) &
  HEALTH_PID=$!
}
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
one_shot() { # SERVICE: started, and exited 0
  quiet compose up -d --no-deps "$1"
  local c; c=$(containers "$1")
  podman wait "$c" >/dev/null
  [ "$(podman inspect --format '{{.State.ExitCode}}' "$c")" = 0 ] || fail "$1 exited $(podman inspect --format '{{.State.ExitCode}}' "$c")"
}
up() { # [ONE_SHOT...]: the stack, service by service as depends_on orders it; ONE_SHOTs just before web
  quiet compose up -d --no-deps db
  wait_healthy "$(containers db)" || fail "db never became healthy (pg_isready)"
  one_shot migrate
  quiet compose up -d --no-deps api
  # shellcheck disable=SC2046
  wait_healthy $(containers api) || fail "the api replicas never became healthy (todoapi probe)"
  for s in "$@"; do one_shot "$s"; done
  quiet compose up -d --no-deps web
  for _ in $(seq 1 60); do
    [ "$(https_get -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/api/health/")" = 200 ] && return 0
    sleep 0.5
  done
  fail "web never answered https://127.0.0.1:$TLS_PORT/api/health/"
}
db_check_needs_tcp() { # DB: its health check fails on a socket-only server (the first start's init server)
  local check image env c
  check=$(podman inspect --format '{{index .Config.Healthcheck.Test 1}}' "$1")
  image=$(podman inspect --format '{{.ImageName}}' "$1")
  env=$(podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" | grep '^POSTGRES_' || true)
  echo "$env" >"$WORK/db-socket-only.env"
  c=$(podman run -d --env-file "$WORK/db-socket-only.env" --health-cmd "$check" \
    -v "$HERE/postgres-socket-only.sh:/socket-only.sh:ro" --entrypoint /socket-only.sh "$image" 2>/dev/null) || fail "could not start $image on its socket only"
  for _ in $(seq 1 60); do
    podman exec "$c" pg_isready -q && break
    sleep 0.5
  done
  podman exec "$c" pg_isready -q || { podman rm -f -t 0 "$c" >/dev/null; fail "the socket-only server never answered on its socket"; }
  local status=healthy
  podman healthcheck run "$c" >/dev/null 2>&1 || status=unhealthy
  podman rm -f -t 0 "$c" >/dev/null 2>&1
  [ "$status" = unhealthy ] || fail "db's health check ($check) passes on a server answering on its socket only"
}
migrate_before_replicas() { # the migrate container exited before every replica started
  local m; m=$(containers migrate)
  [ "$(echo "$m" | wc -l)" = 1 ] || fail "more than one migrate container: $m"
  local done_at; done_at=$(finished_at "$m")
  for r in $(containers api); do
    awk -v a="$(started_at "$r")" -v b="$done_at" 'BEGIN { exit !(a > b) }' || fail "$r started before migrate finished"
  done
}
