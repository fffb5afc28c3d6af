#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a folder, run as an
# unprivileged user (`nobody` when called as root: PostgreSQL refuses to run as root),
# listening on 127.0.0.1 at a free port and on a Unix socket in the folder, with trust
# authentication for its one role `tuidang` (nothing but this machine can reach it).
# fsync and synchronous_commit stay on: the tests check durability against it.
#
#   scripts/pg-cluster.sh start DIR     initdb (if needed) and start; prints the conninfo
#   scripts/pg-cluster.sh stop DIR      stop (fast shutdown)
#   scripts/pg-cluster.sh url DIR       print the conninfo of a started cluster
#   scripts/pg-cluster.sh replica PRIMARY DIR
#                                       a streaming replica of the started cluster in
#                                       PRIMARY: pg_basebackup -R into DIR, started as a hot
#                                       standby on a free port; prints its conninfo (stop
#                                       it with `stop DIR`)
#   scripts/pg-cluster.sh run CMD...    a new cluster in a temporary folder, CMD run with
#                                       TUIDANG_TEST_POSTGRES (and PGHOST, PGPORT, PGUSER,
#                                       PGDATABASE) set to it, then the cluster stopped and
#                                       the folder removed; exits with CMD's status
set -euo pipefail

bindir="$(pg_config --bindir 2>/dev/null || true)"
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  echo "pg-cluster: PostgreSQL's server is not installed (scripts/setup.sh --test installs it)" >&2
  exit 2
fi

as_owner() {  # runs "$@" as the cluster's unprivileged owner
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

url_of() {
  local dir="$1"
  local port
  port="$(cat "$dir/port")"
  echo "postgresql://tuidang@127.0.0.1:$port/tuidang"
}

start() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ $(id -u) -eq 0 ]]; then
    chown nobody: "$dir"
  fi
  chmod 0700 "$dir"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_owner "$bindir/initdb" -D "$dir/data" -U tuidang --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local port
  port="$(free_port)"
  as_owner sh -c "echo $port > '$dir/port'"
  if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c max_connections=200 -c fsync=on -c synchronous_commit=on" \
    start >/dev/null; then
    cat "$dir/server.log" >&2
    exit 1
  fi
  for _ in $(seq 1 100); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.1
  done
  if ! "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U tuidang -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='tuidang'" | grep -q 1; then
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U tuidang tuidang
  fi
  url_of "$dir"
}

# A hot standby of the cluster in $1, in $2: a base backup with its replication settings
# (-R: standby.signal and primary_conninfo), streaming the WAL, on a port of its own.
replica() {
  local primary="$1" dir="$2"
  [[ -f "$primary/port" ]] || { echo "pg-cluster: $primary is not a started cluster" >&2; exit 2; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ $(id -u) -eq 0 ]]; then
    chown nobody: "$dir"
  fi
  chmod 0700 "$dir"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$(cat "$primary/port")" -U tuidang \
      -D "$dir/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 ||
      { cat "$dir/basebackup.log" >&2; exit 1; }
  fi
  start "$dir"
}

stop() {
  local dir="$1"
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
  fi
}

case "${1:-}" in
  start) start "${2:?usage: pg-cluster.sh start DIR}" ;;
  stop) stop "${2:?usage: pg-cluster.sh stop DIR}" ;;
  url) url_of "${2:?usage: pg-cluster.sh url DIR}" ;;
  replica) replica "${2:?usage: pg-cluster.sh replica PRIMARY DIR}" \
    "${3:?usage: pg-cluster.sh replica PRIMARY DIR}" ;;
  run)
    shift
    (($#)) || { echo "usage: pg-cluster.sh run CMD..." >&2; exit 2; }
    dir="$(mktemp -d /tmp/tuidang-pg.XXXXXX)"
    trap 'stop "$dir"; rm -rf "$dir"' EXIT
    url="$(start "$dir")"
    export TUIDANG_TEST_POSTGRES="$url"
    export PGHOST=127.0.0.1 PGPORT="$(cat "$dir/port")" PGUSER=tuidang PGDATABASE=tuidang
    export TUIDANG_TEST_POSTGRES_BIN="$bindir" TUIDANG_TEST_POSTGRES_DIR="$dir"
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
