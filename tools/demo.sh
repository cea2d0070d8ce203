#!/usr/bin/env bash
# Runs DpmPlugins on its embedded defaults (no configuration, no external server) and shows it at work.
#
#   tools/demo.sh [FOLDER]
#
# The server starts (everything it keeps is under ~/.local/share/dpm), then the dpm shell puts FOLDER (or a
# sample folder the script makes) into a protection group with a 15-minute synchronization. The scheduler
# creates the replica at once; its progress is shown as it runs. With the sample folder the script then changes
# it, makes an express full, browses and recovers a recovery point and verifies the storage pool. At the end it
# prints how to list and recover; in a terminal the server keeps running (and synchronizing) until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/dpm-demo.XXXXXX)
url=${DPM_SERVER:-http://127.0.0.1:5718}
export DPM_SERVER=$url

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
dpm() { dotnet "$root/tools/Dpm.Shell/bin/Debug/net10.0/dpm.dll" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

if [ $# -gt 0 ]; then
  [ -d "$1" ] || { echo "demo: '$1' is not a folder" >&2; exit 2; }
  folder=$(cd "$1" && pwd)
  sample=false
else
  folder="$work/data"
  sample=true
fi
ds="folder:$folder"

say "building"
dotnet build DpmPlugins.sln -nologo -v:q -clp:ErrorsOnly

say "starting the server on its embedded defaults"
dotnet "$root/host/Dpm.Server/bin/Debug/net10.0/Dpm.Server.dll" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  curl -fs "$url/api/health" > /dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.2
done
sed -n '1,20p' "$work/server.log"

say "plugins and licence"
dpm plugin list
dpm licence show

if $sample; then
  say "a sample folder to protect: $folder"
  mkdir -p "$folder/reports" "$folder/db"
  for i in $(seq 1 200); do seq 1 $((i * 50)) > "$folder/reports/report-$i.txt"; done
  head -c 256M /dev/urandom > "$folder/db/sales.mdf"
  ln -s reports/report-1.txt "$folder/latest-report"
fi
dpm datasource get --inquire --parent "folder:$(dirname "$folder")"

say "protect it: a protection group with a 15-minute synchronization"
dpm protection-group new Demo --sync-minutes 15 --recovery-point-time "Daily 20:00" --retention-days 10 > /dev/null 2>&1 || true # kept from an earlier run
dpm protection-group add-datasource Demo "$ds"

say "the first recovery point (replica creation), made by the scheduler"
job=""
for _ in $(seq 1 50); do
  job=$(dpm job get --json | json "next((j['id'] for j in d if j.get('dataSourceId') == '$ds' and j['state'] == 'Running'), '')")
  [ -n "$job" ] && break
  if [ "$(dpm recovery-point get --datasource "$ds" --json | json 'len(d)')" != 0 ]; then
    # Protected already by an earlier run: the replica exists, so synchronize now to see a job at work.
    dpm datasource sync "$ds" > /dev/null &
  fi
  sleep 0.2
done
if [ -n "$job" ]; then dpm job watch "$job"; fi

if $sample; then
  say "a day of change: one report edited, 1 MiB rewritten inside the database file, a file added"
  echo "corrected total: 42" >> "$folder/reports/report-7.txt"
  dd if=/dev/urandom of="$folder/db/sales.mdf" bs=1M count=1 seek=20 conv=notrunc status=none
  echo "new" > "$folder/reports/new.txt"

  say "express full now (only what changed is read and stored; the scheduler does the same every 15 minutes)"
  dpm datasource sync "$ds"
fi

say "recovery points"
dpm recovery-point get --datasource "$ds"
first=$(dpm recovery-point get --datasource "$ds" --json | json "d[0]['id']")

say "browse the first recovery point"
dpm recoverable-item get --recovery-point "$first"

if $sample; then
  say "recover the whole first recovery point to an alternate folder"
  dpm recover --recovery-point "$first" --target "$work/recovered"
  cmp "$work/recovered/reports/report-1.txt" "$folder/reports/report-1.txt" && echo "report-1.txt recovered exactly"
  if ! cmp -s "$work/recovered/reports/report-7.txt" "$folder/reports/report-7.txt"; then
    echo "report-7.txt came back as it was before the edit"
  fi

  say "verify the storage pool (re-reads and checks every chunk)"
  dpm pool verify
fi

say "what to do next"
cat <<EOF
  dpm is: dotnet $root/tools/Dpm.Shell/bin/Debug/net10.0/dpm.dll
  dpm recovery-point get --datasource "$ds"
  dpm recoverable-item get --recovery-point $first --search NAME
  dpm recover --recovery-point $first --target /tmp/restored            # to another folder
  dpm recover --recovery-point $first --item PATH --original --existing KeepBoth
  dpm job get        dpm alert get --all        dpm protection-group get
EOF
if [ -t 0 ]; then
  say "the server keeps protecting $folder every 15 minutes; Ctrl+C stops it (its data stays in ~/.local/share/dpm)"
  wait $server
elif $sample; then
  dpm protection-group remove-datasource Demo "$ds" > /dev/null # the sample folder is temporary; its recovery points stay
fi
