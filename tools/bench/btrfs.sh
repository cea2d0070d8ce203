#!/usr/bin/env bash
# Express full on btrfs against restic's incremental, on the same data and the same change.
# The dataset is copied onto a btrfs loop volume; each tool backs it up, the day of change (about 1% of the
# bytes, mostly 8 KiB page writes inside large files) is applied, and each tool backs it up again. For each
# step: wall time, bytes read from the btrfs volume (the loop device's own counter, page cache dropped first),
# and bytes added to the repository. Run as root. Repositories live outside the volume.
# Ours runs as the product does: a resident server protecting the folder, driven by `dpm datasource sync`
# (the wall time is the dpm command's, start to end); restic runs as its command.
#
#   tools/bench/btrfs.sh                  # BENCH_RUNS=3 by default
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-/var/tmp/dpm-bench}
runs=${BENCH_RUNS:-3}
seed=${BENCH_SEED:-42}
change_seed=${BENCH_CHANGE_SEED:-43}
export DPM_POOL_PASSPHRASE=${BENCH_PASSPHRASE:-dpm-bench-not-a-secret}
export RESTIC_PASSWORD=$DPM_POOL_PASSPHRASE
dataset=$(ls -d "$work"/dataset/seed${seed}-2048m-* 2>/dev/null | grep -v '\.sums$' | head -1 || true)
[ -n "$dataset" ] || { echo "no 2 GiB dataset in $work/dataset: run tools/bench/run.sh once first" >&2; exit 1; }
say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v mkfs.btrfs >/dev/null && command -v restic >/dev/null || apt-get install -y -qq btrfs-progs restic >/dev/null
for project in host/Dpm.Server tools/Dpm.Shell tools/bench/Dpm.Bench.Dataset; do dotnet build -c Release -nologo -v:q "$repo/$project" >/dev/null; done
dpm="dotnet $repo/tools/Dpm.Shell/bin/Release/net10.0/dpm.dll"
changer="dotnet $repo/tools/bench/Dpm.Bench.Dataset/bin/Release/net10.0/dpm-bench-dataset.dll"

volume="$work/btrfs-volume"
image="$work/btrfs.img"
mkdir -p "$volume"
mountpoint -q "$volume" && umount "$volume"
rm -f "$image"; truncate -s 8G "$image"; mkfs.btrfs -q -f "$image"
mount -o loop "$image" "$volume"
server_pid=
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; umount "$volume" 2>/dev/null; rm -f "$image"' EXIT
port=$((20000 + RANDOM % 20000))
export DPM_SERVER="http://127.0.0.1:$port"

start_server() { # a fresh server with its own data directory (and pool)
  [ -n "$server_pid" ] && { kill $server_pid; wait $server_pid 2>/dev/null || true; }
  rm -rf "$work/dpm-server"
  dotnet "$repo/host/Dpm.Server/bin/Release/net10.0/Dpm.Server.dll" --urls "$DPM_SERVER" --Dpm:DataDirectory="$work/dpm-server" > "$work/dpm-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fs "$DPM_SERVER/api/health" > /dev/null 2>&1 && return 0; sleep 0.2; done
  echo "the server did not start: $(tail -5 "$work/dpm-server.log")" >&2; exit 1
}
device=$(basename "$(findmnt -no SOURCE "$volume")")
src="$volume/src"

sectors_read() { awk '{print $3}' "/sys/block/$device/stat"; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }
results="$work/results/btrfs-$(date +%Y%m%d-%H%M%S).tsv"
printf 'run\ttool\tstep\twall_s\tread_bytes\tadded_bytes\n' > "$results"

measure() { # run tool step repository command...
  local run=$1 tool=$2 step=$3 repository=$4; shift 4
  cold
  local before_read before_size start end
  before_read=$(sectors_read); before_size=$(du -sb "$repository" | cut -f1); start=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s.%N)
  printf '%s\t%s\t%s\t%.2f\t%d\t%d\n' "$run" "$tool" "$step" "$(echo "$end - $start" | bc)" \
    $(( ($(sectors_read) - before_read) * 512 )) $(( $(du -sb "$repository" | cut -f1) - before_size )) | tee -a "$results" >&2
}

reset_source() { rm -rf "$src"; cp -a "$dataset" "$src"; sync; }

for run in $(seq 1 "$runs"); do
  for tool in dpm restic; do
    reset_source
    repository="$work/repo-btrfs-$tool"; rm -rf "$repository"
    if [ $tool = dpm ]; then
      start_server
      repository="$work/dpm-server/pool"
      measure "$run" dpm full "$repository" $dpm datasource sync "folder:$src"
      $changer change --seed "$change_seed" "$src" > /dev/null; sync
      measure "$run" dpm "after 1% change" "$repository" $dpm datasource sync "folder:$src"
    else
      restic init -r "$repository" > /dev/null
      measure "$run" restic full "$repository" restic -r "$repository" backup "$src"
      $changer change --seed "$change_seed" "$src" > /dev/null; sync
      measure "$run" restic "after 1% change" "$repository" restic -r "$repository" backup "$src"
    fi
    rm -rf "$repository"
  done
done
kill $server_pid; wait $server_pid 2>/dev/null || true; server_pid=

python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
print("| tool | step | wall s (median) | read from the volume | added to the repository |")
print("|---|---|---:|---:|---:|")
med = {}
for tool in ("dpm", "restic"):
    for step in ("full", "after 1% change"):
        sel = [r for r in rows if r["tool"] == tool and r["step"] == step]
        w = statistics.median(float(r["wall_s"]) for r in sel)
        rd = statistics.median(int(r["read_bytes"]) for r in sel)
        ad = statistics.median(int(r["added_bytes"]) for r in sel)
        med[(tool, step)] = (w, rd, ad)
        print(f"| {tool} | {step} | {w:.2f} | {rd/2**20:.1f} MiB | {ad/2**20:.1f} MiB |")
d, r = med[("dpm", "after 1% change")], med[("restic", "after 1% change")]
full = med[("dpm", "full")][1]
print(f"\nExpress full vs restic incremental: {r[0]/d[0]:.1f}x faster; read {d[1]/2**20:.1f} MiB = {100*d[1]/full:.2f}% of what the full read ({r[1]/2**20:.1f} MiB for restic).")
PY
