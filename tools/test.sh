#!/usr/bin/env bash
# Runs every test of DpmPlugins on a fresh Debian machine with the .NET SDK:
# installs what the tests need, builds the solution, runs all test projects, and ends with one line
#   tests: N passed, M failed
# The exit code is non-zero when anything failed or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/TestResults"
rm -rf "$results"
mkdir -p "$results"

finish() { # passed failed
  echo "tests: $1 passed, $2 failed"
  if [ "$2" -ne 0 ] || [ "$1" -eq 0 ]; then exit 1; fi
  exit 0
}

# Debian packages the tests need (installed only when missing).
packages=(acl attr btrfs-progs e2fsprogs postgresql-15 nodejs chromium python3-aiosmtpd)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$results/apt.log" 2>&1 || { tail -n 30 "$results/apt.log"; finish 0 1; }
fi

# The object storage emulators the cloud tests run against (Azurite, s3rver), from npm.
node_dir=/var/cache/dpm-tests/node
if ! command -v npm >/dev/null; then # Debian's nodejs comes without npm; other builds of nodejs carry their own
  { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq npm; } >>"$results/apt.log" 2>&1 || { tail -n 30 "$results/apt.log"; finish 0 1; }
fi
if [ ! -x "$node_dir/node_modules/.bin/azurite-blob" ] || [ ! -x "$node_dir/node_modules/.bin/s3rver" ]; then
  echo "installing azurite and s3rver from npm"
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --no-audit --no-fund --silent azurite@3.35.0 s3rver@3.7.1) >"$results/npm.log" 2>&1 || { tail -n 30 "$results/npm.log"; finish 0 1; }
fi

echo "building DpmPlugins.sln"
if ! dotnet build DpmPlugins.sln -nologo -v:q -clp:NoSummary >"$results/build.log" 2>&1; then
  grep -E "error|warning" "$results/build.log" | sort -u | head -n 50
  echo "build failed (full log: $results/build.log)"
  finish 0 1
fi
grep -E " warning " "$results/build.log" | sort -u | head -n 20

echo "running tests"
dotnet test DpmPlugins.sln --no-build -nologo --results-directory "$results" --logger "console;verbosity=minimal" 2>&1 | tee "$results/test.log"
rc=${PIPESTATUS[0]}

read -r passed failed < <(awk '/^(Passed|Failed)! +- Failed:/ { gsub(",", ""); f += $4; p += $6 } END { printf "%d %d\n", p, f }' "$results/test.log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $rc without reporting a failed test (a test host crashed?)"
  failed=1
fi
finish "$passed" "$failed"
