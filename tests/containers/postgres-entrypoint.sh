#!/bin/sh
# Stands in for the official postgres image's entrypoint (the parts
# docker/compose.yaml uses): a first start makes the cluster in $PGDATA with
# POSTGRES_USER (its password POSTGRES_PASSWORD, checked over the network)
# and POSTGRES_DB, or with POSTGRES_HOST_AUTH_METHOD=trust no password at all
# (the tutorial's db); every start runs postgres as the postgres user.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ "${POSTGRES_HOST_AUTH_METHOD:-}" = trust ]; then
    initdb -D "$PGDATA" -U "$user" --auth=trust >/dev/null
    echo "host all all all trust" >>"$PGDATA/pg_hba.conf"
  else
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:?the official image needs POSTGRES_PASSWORD too}" >"$pwfile"
    initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  fi
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  db=${POSTGRES_DB:-$user}
  [ "$db" = postgres ] || psql -q -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@" -D "$PGDATA" -c listen_addresses='*'
