#!/usr/bin/env bash
# The suite's PostgreSQL needs room for its peak: two test workers' pools and the fault
# tests' served processes (two web workers and a worker, about 12 connections a web
# process and 19 the worker's) reach about 105 client connections, over the default 100.
# On the local test server (127.0.0.1:5432, user postgres) this raises max_connections to
# 300 and restarts the cluster once; anywhere else it changes nothing.
set -euo pipefail
want=300
have="$(psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'show max_connections' 2>/dev/null || true)"
if [ -z "$have" ] || [ "$have" -ge "$want" ]; then
  exit 0
fi
cluster="$(ls /etc/postgresql 2>/dev/null | head -n1)"
if [ -z "$cluster" ] || ! command -v pg_ctlcluster >/dev/null; then
  echo "PostgreSQL allows $have connections; the suite needs $want (set max_connections)" >&2
  exit 0
fi
psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qc "ALTER SYSTEM SET max_connections = $want"
pg_ctlcluster --skip-systemctl-redirect "$cluster" main restart
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
echo "PostgreSQL: max_connections $have -> $want"
