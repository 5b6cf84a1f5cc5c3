# Sourced by run.sh and deploy.sh: what both need before Node runs.
# skip MESSAGE: says what was skipped and why, and ends the script (exit 0).
skip() {
  echo "== $1 SKIPPED: $2"
  exit 0
}

# apt_install BINARY PACKAGE: the Debian package when BINARY is missing and
# we are root with apt-get (CI); otherwise leaves it to the caller to skip.
apt_install() {
  if [ ! -x "$1" ] && ! command -v "$1" >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's $2"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
  fi
}

# npm_ready DIR: node_modules from DIR's lock file, when it is newer.
npm_ready() {
  if [ ! -d "$1/node_modules/playwright-core" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
