#!/usr/bin/env bash
# The base images docker/ names, made from Debian's packages where no image
# registry can be reached, under the names the files use (so the Dockerfile
# and compose.yaml build and run unchanged). Each is made once per machine
# and kept in podman's storage; a missing one is made again.
#   debian:bookworm-slim   mmdebstrap's minbase of bookworm
#   rust:1.95-bookworm     bookworm's build tools and this machine's toolchain
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

exists() { podman image exists "$1"; }

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
