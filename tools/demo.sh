#!/usr/bin/env bash
# Runs DpmPlugins on its embedded defaults (no configuration, no external server) and shows it at work:
# the server starts (data under ~/.local/share/dpm), then the dpm shell protects a sample folder, changes it,
# protects it again (an express full), lists the recovery points, browses one, recovers it elsewhere,
# checks the recovery is exact, and verifies the storage pool. The server stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/dpm-demo.XXXXXX)
url=${DPM_SERVER:-http://127.0.0.1:5718}
export DPM_SERVER=$url

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
dpm() { dotnet "$root/tools/Dpm.Shell/bin/Debug/net10.0/dpm.dll" "$@"; }

say "building"
dotnet build DpmPlugins.sln -nologo -v:q -clp:ErrorsOnly

say "starting the server on its embedded defaults"
dotnet "$root/host/Dpm.Server/bin/Debug/net10.0/Dpm.Server.dll" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "$url/api/health" > /dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.2
done
sed -n '1,20p' "$work/server.log"

say "plugins and licence"
dpm plugin list
dpm licence show

say "a sample folder to protect: $work/data"
mkdir -p "$work/data/reports" "$work/data/db"
for i in $(seq 1 200); do seq 1 $((i * 50)) > "$work/data/reports/report-$i.txt"; done
head -c 64M /dev/urandom > "$work/data/db/sales.mdf"
ln -s reports/report-1.txt "$work/data/latest-report"
dpm datasource get --inquire --parent "folder:$work"

say "replica creation (the first synchronization)"
dpm datasource sync "folder:$work/data"

say "a day of change: one report edited, 1 MiB rewritten inside the database file, a file added"
echo "corrected total: 42" >> "$work/data/reports/report-7.txt"
dd if=/dev/urandom of="$work/data/db/sales.mdf" bs=1M count=1 seek=20 conv=notrunc status=none
echo "new" > "$work/data/reports/new.txt"

say "express full (only what changed is read and stored)"
dpm datasource sync "folder:$work/data"

say "recovery points"
dpm recovery-point get --datasource "folder:$work/data"
first=$(dpm recovery-point get --datasource "folder:$work/data" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

say "browse the first recovery point, and search it"
dpm recoverable-item get --recovery-point "$first"
dpm recoverable-item get --recovery-point "$first" --search report-7

say "recover the whole first recovery point to an alternate folder"
dpm recover --recovery-point "$first" --target "$work/recovered"
git -C "$root" --no-pager diff --no-index --stat "$work/data/reports/report-7.txt" "$work/recovered/reports/report-7.txt" || true
echo "the recovered report-7.txt is the version from before the edit (the change above is the one line appended since)"

say "verify the storage pool (re-reads and checks every chunk)"
dpm pool verify
say "done: the server's data is in ~/.local/share/dpm; the demo's files are in $work"
