#!/usr/bin/env bash
# The storage pool benchmark: our pool (dpm-pool), restic and borg back up, restore and verify the same
# deterministic file-server dataset in the same run; prints a markdown table of medians and ratios.
# Run as root (it installs packages with apt-get and drops the page cache). See tools/bench/README.md.
#
#   tools/bench/run.sh
#   BENCH_SIZE_MB=300 BENCH_RUNS=1 BENCH_TOOLS="restic borg" tools/bench/run.sh
#
# Environment (all optional):
#   BENCH_DIR          work folder (default /var/tmp/dpm-bench): dataset, repositories, logs, results
#   BENCH_SIZE_MB      dataset size in MiB (default 2048)
#   BENCH_RUNS         runs per tool (default 3); the table shows medians
#   BENCH_TOOLS        tools to run, in order (default "dpm restic borg"); the first is the one the ratios are
#                      about (ours/each other). Also known: borg-lz4 (borg with lz4 instead of zstd,3)
#   BENCH_BORG_LZ4     1 (default): when borg runs, borg-lz4 runs right after it; 0: not
#   BENCH_SEED         dataset seed (default 42); BENCH_CHANGE_SEED the day of change's seed (default 43)
#   BENCH_PASSPHRASE   passphrase for every repository (default: a fixed benchmark passphrase)
#   BENCH_KEEP=1       keep the repositories of the last run and the source copy (default: deleted)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-/var/tmp/dpm-bench}
size_mb=${BENCH_SIZE_MB:-2048}
runs=${BENCH_RUNS:-3}
read -r -a tools <<<"${BENCH_TOOLS:-dpm restic borg}"
seed=${BENCH_SEED:-42}
change_seed=${BENCH_CHANGE_SEED:-43}
keep=${BENCH_KEEP:-0}
passphrase=${BENCH_PASSPHRASE:-dpm-bench-not-a-secret}

dataset_tool="$repo/tools/bench/Dpm.Bench.Dataset/bin/Release/net10.0/dpm-bench-dataset.dll"
pool_project="$repo/tools/Dpm.PoolTool"
pool_dll="$pool_project/bin/Release/net10.0/dpm-pool.dll"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number, not '$runs'"
[[ "$size_mb" =~ ^[0-9]+$ ]] && [ "$size_mb" -ge 8 ] || die "BENCH_SIZE_MB must be a number >= 8, not '$size_mb'"
[ ${#tools[@]} -gt 0 ] || die "BENCH_TOOLS is empty"
for t in "${tools[@]}"; do
  case "$t" in dpm | restic | borg | borg-lz4) ;; *) die "unknown tool '$t' in BENCH_TOOLS (known: dpm restic borg borg-lz4)" ;; esac
done
uses() { local t; for t in "${tools[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
# borg with lz4 costs about a minute a run at 2 GiB: recorded beside borg unless BENCH_BORG_LZ4=0.
if [ "${BENCH_BORG_LZ4:-1}" = 1 ] && uses borg && ! uses borg-lz4; then
  with_lz4=()
  for t in "${tools[@]}"; do with_lz4+=("$t"); [ "$t" = borg ] && with_lz4+=(borg-lz4); done
  tools=("${with_lz4[@]}")
fi

mkdir -p "$work"/{logs,results,dataset}
work=$(cd "$work" && pwd)
exec 9>"$work/.lock"
flock -n 9 || die "another run.sh is using $work (set BENCH_DIR to use another folder)"
stamp=$(date +%Y%m%d-%H%M%S)
logs="$work/logs/$stamp"
mkdir -p "$logs"
src="$work/src"            # the folder every tool backs up (always this path, so incrementals find their parent)
restore_dir="$work/restore"
# The dataset's folder names the generator's source: a changed generator makes (and checks against) a new dataset.
generator_id=$(cat "$repo"/tools/bench/Dpm.Bench.Dataset/*.cs "$repo"/tools/bench/Dpm.Bench.Dataset/*.csproj | sha256sum | cut -c1-8)
dataset="$work/dataset/seed$seed-${size_mb}m-$generator_id"
base_sums="$dataset.sums"  # manifest of the generated state; its presence marks the dataset complete
after_sums="$dataset-change$change_seed.sums"

# ---------------------------------------------------------------------------------------------------------------
# 1. What the benchmark needs: restic, borg, GNU time, util-linux, rsync, python3 (for the report), our tools.
# ---------------------------------------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  say "warning: not root: packages cannot be installed and the page cache cannot be dropped"
fi
needed=(time util-linux rsync python3 diffutils)
uses restic && needed+=(restic)
{ uses borg || uses borg-lz4; } && needed+=(borgbackup)
missing=()
for p in "${needed[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$logs/apt.log" 2>&1 ||
    { tail -n 20 "$logs/apt.log" >&2; die "apt-get install ${missing[*]} (log: $logs/apt.log)"; }
fi
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing"
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3) || die "python3 is missing"

build() { # project
  say "building $1 (Release)"
  dotnet build -c Release "$1" -nologo -v:q -clp:NoSummary >"$logs/build-$(basename "$1").log" 2>&1 ||
    { grep -E "error|warning" "$logs/build-$(basename "$1").log" | sort -u | head -n 30 >&2; die "build of $1 (log: $logs/build-$(basename "$1").log)"; }
}
build "$repo/tools/bench/Dpm.Bench.Dataset"
if uses dpm; then
  [ -d "$pool_project" ] || die "$pool_project does not exist yet: our pool tool (dpm-pool) is needed for 'dpm'; run without it with BENCH_TOOLS=\"restic borg\""
  build "$pool_project"
  [ -f "$pool_dll" ] || die "$pool_dll is missing after the build: is the AssemblyName dpm-pool?"
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. The dataset: generated once per seed and size, kept in $work/dataset; manifests prove every tool gets the same bytes.
# ---------------------------------------------------------------------------------------------------------------
manifest() { # dir -> sorted list of sha256 and path of every file, then every folder
  (cd "$1" && find . -type f -print0 | xargs -0 -r -P "$(nproc)" -n 256 sha256sum | LC_ALL=C sort &&
    find . -type d | LC_ALL=C sort)
}
tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }'; }

gen_seconds=""
if [ -s "$base_sums" ] && [ -d "$dataset" ]; then
  say "dataset: reusing $dataset"
else
  rm -rf "$dataset" "$base_sums" "$after_sums" "$work/dataset/seed$seed-${size_mb}m-"*  # and those of older generators
  free_mb=$(df -Pm "$work" | awk 'NR == 2 { print $4 }')
  [ "$free_mb" -gt $((size_mb * 5)) ] || die "$work has $free_mb MiB free; the benchmark needs about $((size_mb * 5)) MiB (dataset, source copy, restore, repository)"
  say "dataset: generating ${size_mb} MiB (seed $seed) into $dataset"
  t0=$(date +%s.%N)
  dotnet "$dataset_tool" generate --seed "$seed" --size-mb "$size_mb" "$dataset" | tee "$logs/dataset.log" >&2 ||
    die "dataset generation (log: $logs/dataset.log)"
  sync
  gen_seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  say "dataset: generated in $gen_seconds s (with sync)"
  manifest "$dataset" >"$base_sums.tmp" && mv "$base_sums.tmp" "$base_sums"
fi
base_bytes=$(tree_bytes "$dataset")
base_files=$(find "$dataset" -type f | wc -l)

reset_source() { # brings $src to the generated state and proves it
  rsync -a --delete "$dataset/" "$src/"
  manifest "$src" | cmp -s - "$base_sums" || die "$src does not match the generated dataset after rsync"
}
apply_change() { # applies the day of change to $src and proves it gives the same bytes as every other time
  dotnet "$dataset_tool" change --seed "$change_seed" "$src" >>"$logs/change.log" || die "the day of change (log: $logs/change.log)"
  [ -n "$after_bytes" ] || say "$(tail -n 1 "$logs/change.log")"
  if [ -s "$after_sums" ]; then
    manifest "$src" | cmp -s - "$after_sums" || die "the day of change gave other bytes than before (compare $after_sums with $src)"
  else
    manifest "$src" >"$after_sums.tmp" && mv "$after_sums.tmp" "$after_sums"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# 3. The tools: one function per step; each gets the repository folder (and the target for restore).
# ---------------------------------------------------------------------------------------------------------------
export RESTIC_PASSWORD="$passphrase" BORG_PASSPHRASE="$passphrase" DPM_POOL_PASSPHRASE="$passphrase"
export BORG_DISPLAY_PASSPHRASE=no BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
cache="$work/cache" # per-tool client caches (restic's cache, borg's chunks and files caches): new for every run

# One step of one tool: tool step repo [target]. Runs under GNU time in a child bash, so it and what it uses are exported.
bench_step() {
  local tool=$1 step=$2 r=$3 target=${4:-} rc=0
  case "$tool" in
  dpm)
    case "$step" in
    init) dotnet "$pool_dll" init --pool "$r" ;;
    full | incremental) dotnet "$pool_dll" backup --pool "$r" --name bench "$src" ;;
    restore) dotnet "$pool_dll" restore --pool "$r" --recovery-point latest --name bench "$target" ;;
    verify) dotnet "$pool_dll" verify --pool "$r" ;;
    esac
    ;;
  restic)
    local restic=(restic --repo "$r" --cache-dir "$cache/restic")
    case "$step" in
    init) "${restic[@]}" init ;;
    full | incremental) "${restic[@]}" backup --host bench "$src" ;;
    restore) "${restic[@]}" restore latest --host bench --target "$target" ;;
    verify) "${restic[@]}" check --read-data ;;
    esac
    ;;
  borg | borg-lz4)
    local compression=zstd,3
    [ "$tool" = borg-lz4 ] && compression=lz4
    export BORG_BASE_DIR="$cache/borg"
    case "$step" in
    init) borg init --encryption=repokey-blake2 "$r" || rc=$? ;;
    full | incremental) borg create --stats --compression "$compression" "$r::$step" "$src" || rc=$? ;;
    restore) (cd "$target" && borg extract "$r::incremental") || rc=$? ;;
    verify) borg check --verify-data "$r" || rc=$? ;;
    esac
    # borg exits 1 for warnings (a file changed while it was read...): the archive is there, so say so and go on.
    if [ "$rc" -eq 1 ] && [ "$step" != init ]; then echo "borg: exit code 1 (a warning)" >&2; else return "$rc"; fi
    ;;
  esac
}
export -f bench_step
export src cache pool_dll

cold_note=""
drop_caches() {
  sync
  if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
    if [ -z "$cold_note" ]; then say "warning: cannot drop the page cache: timings are NOT cold-cache"; fi
    cold_note=warm
    return 0
  fi
}

csv="$work/results/$stamp.csv"
echo "tool,run,step,wall_s,user_s,sys_s,cpu_s,max_rss_kb,repo_bytes,source_bytes,cold_cache" >"$csv"

record() { # tool run step repo_bytes source_bytes
  local tfile="$logs/$1-run$2-$3.time" wall user sys rss
  read -r wall user sys rss < <(tail -n 1 "$tfile")
  echo "$1,$2,$3,$wall,$user,$sys,$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }'),$rss,$4,$5,$([ -z "$cold_note" ] && echo 1 || echo 0)" >>"$csv"
  say "$1 run $2: $3: wall ${wall}s, cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')s, peak rss $((rss / 1024)) MiB${4:+, repository $(($4 / 1048576)) MiB}"
}
timed() { # tool run step repo [target]: drops the cache, runs the step under GNU time
  local tool=$1 run=$2 step=$3 log="$logs/$1-run$2-$3.log" tfile="$logs/$1-run$2-$3.time"
  drop_caches
  say "$tool run $run: $step"
  if ! /usr/bin/time -f '%e %U %S %M' -o "$tfile" bash -c 'bench_step "$@"' bench_step "$tool" "$step" "${@:4}" </dev/null >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "$tool run $run: $step (log: $log)"
  fi
}

find_restored_root() { # target -> the folder in it that holds the restored source
  local c
  for c in "$1$src" "$1/$(basename "$src")" "$1"; do
    if [ -d "$c/Servers" ]; then echo "$c"; return 0; fi
  done
  return 1
}

cleanup() {
  if [ "$keep" != 1 ]; then
    rm -rf "$work"/repo-* "$cache" "$restore_dir" "$src"
  fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------------------
# 4. The runs: tools interleaved in every run, so a slow period of the machine hits all of them.
# ---------------------------------------------------------------------------------------------------------------
after_bytes=""
declare -A restore_checked=()
for run in $(seq 1 "$runs"); do
  for tool in "${tools[@]}"; do
    r="$work/repo-$tool"
    rm -rf "$r" "$cache" "$restore_dir"
    mkdir -p "$cache"
    say "$tool run $run: preparing the source (rsync from the dataset, manifest check)"
    reset_source
    bench_step "$tool" init "$r" </dev/null >"$logs/$tool-run$run-init.log" 2>&1 || { tail -n 20 "$logs/$tool-run$run-init.log" >&2; die "$tool init"; }

    timed "$tool" "$run" full "$r"
    record "$tool" "$run" full "$(du -sb "$r" | cut -f1)" "$base_bytes"

    apply_change
    [ -n "$after_bytes" ] || after_bytes=$(tree_bytes "$src")
    timed "$tool" "$run" incremental "$r"
    record "$tool" "$run" incremental "$(du -sb "$r" | cut -f1)" "$after_bytes"

    mkdir -p "$restore_dir"
    timed "$tool" "$run" restore "$r" "$restore_dir"
    record "$tool" "$run" restore "" "$after_bytes"
    if [ -z "${restore_checked[$tool]:-}" ]; then
      root=$(find_restored_root "$restore_dir") || die "$tool: the restore in $restore_dir holds no copy of $src"
      say "$tool run $run: checking the restore is byte-identical (diff -r $src $root)"
      diff -r --no-dereference "$src" "$root" >"$logs/$tool-restore-diff.log" 2>&1 ||
        { head -n 20 "$logs/$tool-restore-diff.log" >&2; die "$tool: the restored files differ from the source (log: $logs/$tool-restore-diff.log)"; }
      restore_checked[$tool]=1
    fi
    rm -rf "$restore_dir"

    timed "$tool" "$run" verify "$r"
    record "$tool" "$run" verify "" ""
    [ "$keep" = 1 ] || rm -rf "$r" "$cache"
  done
done

# ---------------------------------------------------------------------------------------------------------------
# 5. The report: markdown on stdout (and beside the CSV), raw rows and medians as JSON.
# ---------------------------------------------------------------------------------------------------------------
export BENCH_STAMP="$stamp" BENCH_SIZE_MB="$size_mb" BENCH_SEED="$seed" BENCH_CHANGE_SEED="$change_seed" BENCH_RUNS="$runs"
export BENCH_TOOL_LIST="${tools[*]}" BENCH_SOURCE_FILES="$base_files" BENCH_SOURCE_BYTES="$base_bytes"
export BENCH_SOURCE_BYTES_AFTER="${after_bytes:-0}" BENCH_DATASET="$dataset" BENCH_GENERATION_SECONDS="$gen_seconds"
export BENCH_CHANGE_SUMMARY="$(head -n 1 "$logs/change.log")" BENCH_COLD_CACHE=$([ -z "$cold_note" ] && echo yes || echo no)
export BENCH_MACHINE="$(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
export BENCH_VERSION_RESTIC="$(command -v restic >/dev/null && restic version | head -n 1)"
export BENCH_VERSION_BORG="$(command -v borg >/dev/null && borg --version)"
export BENCH_VERSION_DOTNET="$(dotnet --version)"
export BENCH_VERSION_DPM="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" status --porcelain -- tools/Dpm.PoolTool host 2>/dev/null | grep -q . && echo ' + local changes')"
"$python" "$repo/tools/bench/report.py" "$csv" "$work/results/$stamp.json" | tee "$work/results/$stamp.md"
say "results: $csv, $work/results/$stamp.json, $work/results/$stamp.md; logs: $logs"
