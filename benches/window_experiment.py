#!/usr/bin/env python3
"""A window of baseline runs against a single stored run, on a real crate.

    window_experiment.py measure REPO OUT REPS [-- CRITERION ARGS...]
        Runs `cargo perf-gate run` REPS times on each of the branches main, slow5 and slow10 of
        REPO (in that order, rep by rep), keeping each results.json as OUT/<branch>-<rep>.json.
    window_experiment.py analyze OUT [--slowed PREFIX]... [--windows 1,2,5,10]
        Checks every run with the real binary against windows of K = 1, 2, 5 and 10 earlier
        main runs, and prints false alarms (A/A: a main run against earlier main runs) and
        detections (slow5 and slow10 runs against the main runs up to their rep) per K.

PERF_GATE names the binary (default: cargo-perf-gate on PATH). docs/statistics.md ("A window
of baseline runs") has the setup and the figures.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BRANCHES = ["main", "slow5", "slow10"]
WINDOWS = [1, 2, 5, 10]


def binary():
    return os.environ.get("PERF_GATE", "cargo-perf-gate")


def measure(repo, out, reps, criterion_args):
    out.mkdir(parents=True, exist_ok=True)
    for rep in range(1, reps + 1):
        for branch in BRANCHES:
            subprocess.run(["git", "checkout", "-q", branch], cwd=repo, check=True)
            with tempfile.TemporaryDirectory() as scratch:
                started = time.time()
                subprocess.run(
                    [binary(), "perf-gate", "run", "--quiet", "--out-dir", scratch, "--", *criterion_args],
                    cwd=repo, check=True, stdout=subprocess.DEVNULL)
                Path(scratch, "results.json").replace(out / f"{branch}-{rep:02}.json")
            print(f"{rep:02} {branch} {time.time() - started:.0f}s", flush=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def check(current, baselines):
    """The comparisons of `current` against `baselines` (one file, or a window)."""
    with tempfile.TemporaryDirectory() as scratch:
        # An empty config: the defaults (5 % threshold, Holm, alpha 0.05), no gates.
        Path(scratch, "config.json").write_text("{}")
        command = [binary(), "perf-gate", "check", "--results", str(current), "--out-dir", scratch,
                   "--config", str(Path(scratch, "config.json"))]
        for baseline in baselines:
            command += ["--baseline", str(baseline)]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr}")
        return json.loads(Path(scratch, "report.json").read_text())


def analyze(out, slowed, windows):
    runs = {branch: sorted(out.glob(f"{branch}-*.json")) for branch in BRANCHES}
    mains = runs["main"]
    first = max(windows)  # every K judges the same currents
    rows = []
    for k in windows:
        aa_jobs = aa_failed = aa_false = aa_improved = 0
        floors = []
        for i in range(first, len(mains)):
            report = check(mains[i], mains[i - k:i])
            regressed = [c for c in report["comparisons"] if c["verdict"] == "regressed"]
            aa_jobs += 1
            aa_failed += report["verdict"] == "fail"
            aa_false += len(regressed)
            aa_improved += sum(c["verdict"] == "improved" for c in report["comparisons"])
            floors += [c["window"]["noise_floor_percent"] for c in report["comparisons"] if c.get("window")]
        detected = {}
        for branch in ["slow5", "slow10"]:
            found = total = false = 0
            for current in runs[branch]:
                rep = int(current.stem.split("-")[1])
                if rep - 1 < first - 1 or rep > len(mains):
                    continue
                # The main run of the same rep was measured just before this one.
                report = check(current, mains[rep - k:rep])
                for c in report["comparisons"]:
                    hit = any(c["id"].startswith(p) for p in slowed)
                    total += hit
                    found += hit and c["verdict"] == "regressed"
                    false += (not hit) and c["verdict"] == "regressed"
            detected[branch] = (found, total, false)
        floors.sort()
        median_floor = floors[len(floors) // 2] if floors else None
        rows.append((k, aa_jobs, aa_failed, aa_false, aa_improved, detected, median_floor))
    print("| K | A/A jobs failed | false regressions (any severity) | spurious improvements | +5 % found | +10 % found | other regressions in slowed runs | median noise floor |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, jobs, failed, false, improved, detected, floor in rows:
        s5, s10 = detected["slow5"], detected["slow10"]
        floor_text = "-" if floor is None else f"{floor:.2f} %"
        print(f"| {k} | {failed} of {jobs} | {false} | {improved} | {s5[0]} of {s5[1]} | {s10[0]} of {s10[1]} | {s5[2] + s10[2]} | {floor_text} |")


def main(argv):
    if len(argv) >= 4 and argv[0] == "measure":
        extra = argv[argv.index("--") + 1:] if "--" in argv else []
        measure(Path(argv[1]), Path(argv[2]), int(argv[3]), extra)
    elif len(argv) >= 2 and argv[0] == "analyze":
        option = lambda name: [argv[i + 1] for i, a in enumerate(argv) if a == name and i + 1 < len(argv)]
        windows = [int(k) for k in option("--windows")[0].split(",")] if option("--windows") else WINDOWS
        analyze(Path(argv[1]), option("--slowed") or ["combine/"], windows)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
