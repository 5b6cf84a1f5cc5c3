#!/bin/sh
# What the postgres image runs during a first start's initialisation: a
# server on the Unix socket only (listen_addresses=''), which then stops.
# compose-lib.sh's db_check_needs_tcp runs it under db's own health check.
set -eu
mkdir -p /var/run/postgresql
chown postgres /var/run/postgresql
exec setpriv --reuid=postgres --regid=postgres --init-groups sh -c \
  'initdb -D /tmp/pg -U "${POSTGRES_USER:-postgres}" --auth=trust >/dev/null && exec postgres -D /tmp/pg -c listen_addresses='"''"
