#!/bin/sh
# Starts PostgreSQL with the contract the chart relies on: arguments that begin with "-" are the server's; an
# empty $PGDATA is initialised with POSTGRES_USER and POSTGRES_PASSWORD, and the *.sh and *.sql files of
# /docker-entrypoint-initdb.d run once against a server that listens on its socket only.
set -eu

if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?an empty data directory needs POSTGRES_PASSWORD}"
  POSTGRES_USER=${POSTGRES_USER:-postgres}
  echo "initialising $PGDATA for superuser $POSTGRES_USER"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  password_file=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
  initdb --username="$POSTGRES_USER" --pwfile="$password_file" --auth=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$password_file"
  # clients come over the network (the chart's pg_hba.conf decides who); initdb listens on localhost only
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start >/dev/null
  export PGPASSWORD="$POSTGRES_PASSWORD" PGHOST=/var/run/postgresql
  for script in /docker-entrypoint-initdb.d/*; do
    case $script in
      *.sh)
        echo "running $script"
        # sourced, as the official image does, with this shell's environment
        . "$script"
        ;;
      *.sql)
        echo "running $script"
        psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -f "$script"
        ;;
    esac
  done
  unset PGPASSWORD PGHOST
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "initialised; starting the server"
fi

exec "$@"
