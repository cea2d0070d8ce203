#!/usr/bin/env bash
# The SQL workload's express full beside pg_basebackup, on the same PostgreSQL 15 database: a pgbench database
# of about 2 GB (BENCH_SCALE=130), protected once (replica creation), then about 1% of it changed (the first 1% of
# pgbench_accounts updated, then a checkpoint), then an express full; pg_basebackup copies the same cluster
# right after. Prints wall time, bytes read and bytes stored for each. Run as root (PostgreSQL runs as postgres).
#
#   tools/bench/sql.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-/var/tmp/dpm-bench-sql}
scale=${BENCH_SCALE:-130}
bin=/usr/lib/postgresql/15/bin
say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
as_postgres() { runuser -u postgres -- "$@"; }

for project in host/Dpm.Server tools/Dpm.Shell; do dotnet build -c Release -nologo -v:q "$repo/$project" >/dev/null; done
dpm="dotnet $repo/tools/Dpm.Shell/bin/Release/net10.0/dpm.dll"
rm -rf "$work"; mkdir -p "$work/pg/archive"; chown -R postgres: "$work/pg"
pgport=$((20000 + RANDOM % 20000)); port=$((pgport + 1))
server_pid=
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; as_postgres $bin/pg_ctl -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true' EXIT

say "initdb and pgbench -i -s $scale"
as_postgres $bin/initdb -D "$work/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
cat >> "$work/pg/data/postgresql.conf" <<CONF
listen_addresses='127.0.0.1'
port=$pgport
unix_socket_directories='$work/pg'
archive_mode=on
archive_command='cp %p $work/pg/archive/%f.tmp && mv $work/pg/archive/%f.tmp $work/pg/archive/%f'
max_wal_size=4GB
CONF
as_postgres $bin/pg_ctl -D "$work/pg/data" -l "$work/pg/server.log" -w start >/dev/null
as_postgres $bin/pgbench -i -s "$scale" -q -h 127.0.0.1 -p "$pgport" postgres >/dev/null 2>&1
psql() { as_postgres $bin/psql -qAt -h 127.0.0.1 -p "$pgport" postgres -c "$1"; }
psql "CHECKPOINT"
size=$(psql "SELECT pg_database_size('postgres')")
say "database: $size bytes"

export DPM_SERVER="http://127.0.0.1:$port"
dotnet "$repo/host/Dpm.Server/bin/Release/net10.0/Dpm.Server.dll" --urls "$DPM_SERVER" --Dpm:DataDirectory="$work/server" --Dpm:Scheduler:Enabled=false \
  --Dpm:Agents:Url="https://127.0.0.1:$((port + 1))" \
  --Plugins:Dpm.Workloads.Sql:PostgreSql:0:Name=bench --Plugins:Dpm.Workloads.Sql:PostgreSql:0:Port="$pgport" \
  --Plugins:Dpm.Workloads.Sql:PostgreSql:0:ArchiveDirectory="$work/pg/archive" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do curl -fs "$DPM_SERVER/api/health" > /dev/null 2>&1 && break; sleep 0.2; done

sync_once() { # prints: seconds bytesRead newBytes storedBytes
  local start end out
  sync; echo 3 > /proc/sys/vm/drop_caches
  start=$(date +%s.%N)
  out=$($dpm datasource sync pgsql:bench --plugin Dpm.Workloads.Sql --json)
  end=$(date +%s.%N)
  echo "$out" | python3 -c "import json,sys; o=json.load(sys.stdin)['recoveryPoint']; print('%.1f %d %d %d' % ($end - $start, o['bytesRead'], o['newBytes'], o['storedBytes']))"
}

say "replica creation"
read -r r_s r_read r_new r_stored < <(sync_once)
say "changing about 1%"
psql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $((scale * 1000))" >/dev/null
psql "CHECKPOINT"
say "express full"
read -r e_s e_read e_new e_stored < <(sync_once)
say "pg_basebackup"
sync; echo 3 > /proc/sys/vm/drop_caches
start=$(date +%s.%N)
as_postgres $bin/pg_basebackup -h 127.0.0.1 -p "$pgport" -D "$work/pg/basebackup" -X fetch -c fast
end=$(date +%s.%N)
b_s=$(echo "$end - $start" | bc); b_bytes=$(du -sb "$work/pg/basebackup" | cut -f1)

cat <<TABLE
| step (database $size bytes) | wall s | bytes read | bytes stored |
|---|---|---|---|
| dpm replica creation | $r_s | $r_read | $r_stored |
| dpm express full after ~1% change | $e_s | $e_read | $e_stored (new data $e_new) |
| pg_basebackup -X fetch | $b_s | $b_bytes | $b_bytes |
TABLE
