#!/usr/bin/env python3
"""The storage pool benchmark's report: reads the raw CSV that run.sh wrote (one row per tool, run and step) and the
run's facts from BENCH_* environment variables; prints a markdown report (medians per tool and step, then ratios of
the first tool to each other one) and writes the raw rows, the medians and the facts as JSON.

    report.py RESULTS.csv RESULTS.json
"""
import csv
import json
import os
import statistics
import sys

MIB = 1024 * 1024
STEPS = ["full", "incremental", "restore", "verify"]
STEP_NAMES = {"full": "full backup", "incremental": "incremental backup", "restore": "restore (latest)", "verify": "verify"}
# (key, column title, lower is better)
METRICS = [("wall_s", "wall s", True), ("cpu_s", "CPU s", True), ("rss_mib", "peak RSS MiB", True),
           ("stored_mib", "stored MiB", True), ("mib_s", "MiB/s", False)]


def num(text):
    return float(text) if text not in ("", None) else None


def main(csv_path, json_path):
    env = os.environ
    rows = list(csv.DictReader(open(csv_path, newline="")))
    tools = env.get("BENCH_TOOL_LIST", "").split() or sorted({r["tool"] for r in rows})
    facts = {
        "stamp": env.get("BENCH_STAMP"), "size_mb": int(env.get("BENCH_SIZE_MB", "0")),
        "seed": env.get("BENCH_SEED"), "change_seed": env.get("BENCH_CHANGE_SEED"), "runs": int(env.get("BENCH_RUNS", "0")),
        "tools": tools, "source_files": int(env.get("BENCH_SOURCE_FILES", "0")),
        "source_bytes": int(env.get("BENCH_SOURCE_BYTES", "0")),
        "source_bytes_after_change": int(env.get("BENCH_SOURCE_BYTES_AFTER", "0")),
        "dataset": env.get("BENCH_DATASET"), "generation_seconds": num(env.get("BENCH_GENERATION_SECONDS")),
        "change": env.get("BENCH_CHANGE_SUMMARY"), "cold_cache": env.get("BENCH_COLD_CACHE") == "yes",
        "machine": env.get("BENCH_MACHINE"),
        "versions": {k: env.get("BENCH_VERSION_" + k.upper().replace("-", "_")) for k in ("dpm", "restic", "borg", "dotnet")},
        "settings": {
            "dpm": "dpm-pool defaults, passphrase from DPM_POOL_PASSPHRASE",
            "restic": "restic defaults (repository format and compression 'auto' of its version), RESTIC_PASSWORD",
            "borg": "borg init --encryption=repokey-blake2, borg create --compression zstd,3",
            "borg-lz4": "borg init --encryption=repokey-blake2, borg create --compression lz4",
        },
    }

    # Per run: the derived metrics. Stored for the incremental is what it added to the repository.
    per_run = {}
    for r in rows:
        per_run.setdefault((r["tool"], r["run"]), {})[r["step"]] = r
    samples = {}  # (tool, step) -> metric -> [values]
    for (tool, run), steps in per_run.items():
        for step, r in steps.items():
            wall = num(r["wall_s"])
            m = {"wall_s": wall, "cpu_s": num(r["cpu_s"]), "rss_mib": num(r["max_rss_kb"]) / 1024}
            repo = num(r["repo_bytes"])
            if step == "full" and repo is not None:
                m["stored_mib"] = repo / MIB
                m["reduction"] = num(r["source_bytes"]) / repo if repo else None
            if step == "incremental" and repo is not None and "full" in steps and steps["full"]["repo_bytes"]:
                m["stored_mib"] = (repo - num(steps["full"]["repo_bytes"])) / MIB
                m["repository_mib"] = repo / MIB
            source = num(r["source_bytes"])
            if step in ("full", "incremental", "restore") and source and wall:
                m["mib_s"] = source / MIB / wall
            for key, value in m.items():
                if value is not None:
                    samples.setdefault((tool, step), {}).setdefault(key, []).append(value)
    medians = {(tool, step): {k: statistics.median(v) for k, v in metrics.items()} for (tool, step), metrics in samples.items()}
    ranges = {f"{tool}/{step}": {k: [min(v), max(v)] for k, v in metrics.items()} for (tool, step), metrics in samples.items()}

    out = []
    p = out.append
    p(f"## Storage pool benchmark {facts['stamp']}")
    p("")
    p(f"- dataset: {facts['source_files']} files, {facts['source_bytes'] / MIB:.1f} MiB "
      f"({facts['source_bytes_after_change'] / MIB:.1f} MiB after the change), seed {facts['seed']}, "
      f"change seed {facts['change_seed']}" + (f", generated in {facts['generation_seconds']:.1f} s" if facts["generation_seconds"] else ""))
    p(f"- change: {facts['change']}")
    p(f"- runs: {facts['runs']} per tool, medians shown; page cache dropped before every step: "
      f"{'yes' if facts['cold_cache'] else 'NO (warm-cache numbers)'}")
    p(f"- machine: {facts['machine']}")
    shown = [k for k, v in facts["versions"].items() if v and (k in tools or k == "dotnet" or (k == "borg" and "borg-lz4" in tools))]
    p("- versions: " + ", ".join(facts["versions"][k] if facts["versions"][k].startswith(k) else f"{k} {facts['versions'][k]}" for k in shown))
    p("- settings: " + "; ".join(f"{t}: {facts['settings'][t]}" for t in tools if t in facts["settings"]))
    p("")
    p("| tool | step | wall s (min–max) | CPU s | peak RSS MiB | stored MiB | MiB/s |")
    p("|---|---|---:|---:|---:|---:|---:|")
    for step in STEPS:
        for tool in tools:
            m = medians.get((tool, step))
            if not m:
                continue
            stored = ""
            if "stored_mib" in m:
                if step == "full":
                    stored = f"{m['stored_mib']:.1f} ({m['reduction']:.2f}:1)" if m.get("reduction") else f"{m['stored_mib']:.1f}"
                else:
                    stored = f"+{m['stored_mib']:.1f} (total {m['repository_mib']:.1f})"
            speed = f"{m['mib_s']:.1f}" if "mib_s" in m else ""
            walls = samples[(tool, step)]["wall_s"]
            wall = f"{m['wall_s']:.1f}" + (f" ({min(walls):.1f}–{max(walls):.1f})" if len(walls) > 1 else "")
            p(f"| {tool} | {STEP_NAMES[step]} | {wall} | {m['cpu_s']:.1f} | {m['rss_mib']:.0f} | {stored} | {speed} |")

    ratios = {}
    reference = tools[0]
    others = [t for t in tools[1:] if any(k[0] == t for k in medians)]
    if any(k[0] == reference for k in medians) and others:
        p("")
        p(f"Ratios {reference}/other (medians). Below 1 is better for wall, CPU, RSS and stored; above 1 is better for MiB/s.")
        p("")
        p("| step | ratio | " + " | ".join(title for _, title, _ in METRICS) + " |")
        p("|---|---|" + "---:|" * len(METRICS))
        for step in STEPS:
            for other in others:
                a, b = medians.get((reference, step)), medians.get((other, step))
                if not a or not b:
                    continue
                cells = []
                for key, _, _ in METRICS:
                    if key in a and key in b and b[key]:
                        value = a[key] / b[key]
                        ratios[f"{step}/{reference}/{other}/{key}"] = value
                        cells.append(f"{value:.2f}")
                    else:
                        cells.append("")
                p(f"| {STEP_NAMES[step]} | {reference}/{other} | " + " | ".join(cells) + " |")
    elif len(tools) > 1:
        p("")
        p(f"No results for {reference}: no ratios.")

    print("\n".join(out))
    json.dump({
        "facts": facts,
        "rows": rows,
        "medians": [{"tool": t, "step": s, **m} for (t, s), m in sorted(medians.items(), key=lambda x: (tools.index(x[0][0]) if x[0][0] in tools else 99, STEPS.index(x[0][1])))],
        "ranges": ranges,
        "ratios": ratios,
    }, open(json_path, "w"), indent=2)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
