#!/bin/sh
# First start: create the cluster with a `tutti` role and database; then run PostgreSQL in the
# foreground, listening on every interface of the container.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username=postgres --auth=trust --encoding=UTF8 -D "$PGDATA" >/dev/null
  echo "host all all 0.0.0.0/0 trust" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  createuser -U postgres tutti
  createdb -U postgres -O tutti tutti
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
