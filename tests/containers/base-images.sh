#!/usr/bin/env bash
# The base images docker/ names, made from Debian's packages where no image
# registry can be reached, under the names the files use (so the Dockerfile
# and compose.yaml build and run unchanged). Each is made once per machine
# and kept in podman's storage; a missing one is made again, and a stand-in
# whose files here changed.
#   debian:bookworm-slim   mmdebstrap's minbase of bookworm
#   rust:1.95-bookworm     bookworm's build tools and this machine's toolchain
# and, for compose.yaml's other services (named in compose.override.yaml):
#   localhost/todoapi-test/postgres  bookworm's PostgreSQL 15 for postgres:16-alpine
#   localhost/todoapi-test/nginx     Debian testing's nginx (1.27.3 or later:
#                                    `server ... resolve`) for nginx:1.28-alpine
#   localhost/todoapi-test/openssl   bookworm's openssl for alpine/openssl (compose.dev.yaml)
# each with an entrypoint doing what the official one does for compose.yaml.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

exists() { podman image exists "$1"; }
# A stand-in made from files of ours is made again when one of them changed:
# its label todoapi.inputs holds their hash.
inputs() { (cd "$HERE" && cat "$@" | sha256sum | cut -c1-16); }
current() { # IMAGE FILE...: made from these files as they are now
  [ "$(podman image inspect --format '{{index .Labels "todoapi.inputs"}}' "$1" 2>/dev/null)" = "$(inputs "${@:2}")" ]
}

if ! exists docker.io/library/debian:bookworm-slim; then
  echo "== base image debian:bookworm-slim (mmdebstrap minbase)"
  mmdebstrap --quiet --variant=minbase bookworm "$WORK/slim.tar"
  podman import --quiet "$WORK/slim.tar" docker.io/library/debian:bookworm-slim >/dev/null
  rm -f "$WORK/slim.tar"
fi

if ! exists docker.io/library/rust:1.95-bookworm; then
  echo "== base image rust:1.95-bookworm (bookworm's build tools, this machine's Rust)"
  SYSROOT=$(rustc --print sysroot)
  VERSION=$(rustc --version | cut -d' ' -f2)
  [ "${VERSION%.*}" = "1.95" ] || echo "   note: this machine's Rust is $VERSION, named 1.95 for the Dockerfile"
  # The machine reaches the registries through a proxy whose CA it trusts:
  # the builder trusts what the machine trusts (cargo fetches crates.io).
  mmdebstrap --quiet --variant=minbase \
    --include=ca-certificates,gcc,libc6-dev,make,perl,pkg-config,git \
    --customize-hook='upload /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt' \
    bookworm "$WORK/build.tar"
  podman import --quiet "$WORK/build.tar" localhost/todoapi-test/bookworm-build:latest >/dev/null
  rm -f "$WORK/build.tar"
  # The toolchain without its documentation (800 MB of it).
  tar -C "$SYSROOT" --exclude=./share -cf "$WORK/rust-toolchain.tar" .
  cp "$HERE/Containerfile.rust" "$WORK/Containerfile"
  podman build --quiet --format docker -t docker.io/library/rust:1.95-bookworm "$WORK" >/dev/null
fi

if ! current localhost/todoapi-test/postgres:latest postgres-entrypoint.sh; then
  echo "== stand-in for postgres:16-alpine (bookworm's postgresql-15)"
  mmdebstrap --quiet --variant=minbase --include=postgresql-15 \
    --essential-hook='mkdir -p "$1/etc/postgresql-common" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.conf"' \
    --customize-hook="upload $HERE/postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh" \
    --customize-hook='chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"' \
    bookworm "$WORK/postgres.tar"
  podman import --quiet \
    --change "LABEL todoapi.inputs=$(inputs postgres-entrypoint.sh)" \
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change 'STOPSIGNAL SIGINT' \
    "$WORK/postgres.tar" localhost/todoapi-test/postgres:latest >/dev/null
  rm -f "$WORK/postgres.tar"
fi

if ! current localhost/todoapi-test/nginx:latest nginx-entrypoint.sh nginx.conf; then
  echo "== stand-in for nginx:1.28-alpine (Debian testing's nginx)"
  # The mirror's testing may be older than its Release file's Valid-Until.
  mmdebstrap --quiet --variant=minbase --include=nginx,gettext-base \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --customize-hook="upload $HERE/nginx-entrypoint.sh /docker-entrypoint.sh" \
    --customize-hook='chmod 755 "$1/docker-entrypoint.sh"' \
    --customize-hook='rm -f "$1/etc/nginx/sites-enabled/default"' \
    --customize-hook="upload $HERE/nginx.conf /etc/nginx/nginx.conf" \
    --customize-hook='ln -sf /dev/stdout "$1/var/log/nginx/access.log" && ln -sf /dev/stderr "$1/var/log/nginx/error.log"' \
    testing "$WORK/nginx.tar"
  podman import --quiet \
    --change "LABEL todoapi.inputs=$(inputs nginx-entrypoint.sh nginx.conf)" \
    --change 'ENTRYPOINT ["/docker-entrypoint.sh"]' \
    --change 'CMD ["nginx", "-g", "daemon off;"]' \
    --change 'STOPSIGNAL SIGQUIT' \
    "$WORK/nginx.tar" localhost/todoapi-test/nginx:latest >/dev/null
  rm -f "$WORK/nginx.tar"
fi

if ! exists localhost/todoapi-test/openssl:latest; then
  echo "== stand-in for alpine/openssl (bookworm's openssl)"
  mmdebstrap --quiet --variant=minbase --include=openssl bookworm "$WORK/openssl.tar"
  podman import --quiet --change 'ENTRYPOINT ["openssl"]' \
    "$WORK/openssl.tar" localhost/todoapi-test/openssl:latest >/dev/null
  rm -f "$WORK/openssl.tar"
fi
