#!/usr/bin/env bash
# Runs the browser tests (run.mjs) in Debian's Chromium: the SPA's sign-in
# (code + PKCE) and tasks, and auth0-js v9 as the tutorial's Angular app uses
# it, behind a loopback TLS proxy. Part of `make test`.
# Needs Node.js and npm (playwright-core and auth0-js come from the npm
# registry through package-lock.json), openssl, and /usr/bin/chromium: as
# root it installs Debian's chromium itself; otherwise, without it, it says
# so and skips.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

. "$HERE/common.sh"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || skip "browser tests" "Node.js and npm are not installed"
apt_install "$CHROMIUM" chromium
[ -x "$CHROMIUM" ] || skip "browser tests" "no $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
echo "== browser tests (Chromium)"
npm_ready "$HERE"
# The SPA's vendored SDK is the one its lock file names.
ROOT=$(cd "$HERE/../.." && pwd)
(cd "$ROOT/docker/spa-vendor" && npm ci --no-audit --no-fund --loglevel=error)
SDK=node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js
cmp -s "$ROOT/docker/spa-vendor/$SDK" "$ROOT/docker/spa/vendor/auth0-spa-js.production.js" \
  || { echo "docker/spa/vendor/ differs from docker/spa-vendor/package-lock.json: run make spa-vendor"; exit 1; }
CHROMIUM="$CHROMIUM" node "$HERE/run.mjs"
