#!/usr/bin/env python3
"""A window of baseline runs against a single stored run, on a real crate.

    window_experiment.py measure REPO OUT REPS [--branches main,slow5,slow10] [--first-rep N]
                                  [-- CRITERION ARGS...]
        Runs `cargo perf-gate run` REPS times on each of the branches of REPO (in that order,
        rep by rep, reps numbered from N), keeping each results.json as OUT/<branch>-<rep>.json.
    window_experiment.py analyze OUT [--slowed PREFIX]... [--windows 1,2,5,10]
                                  [--branches slow5,slow10]
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


def measure(repo, out, reps, branches, first, criterion_args):
    out.mkdir(parents=True, exist_ok=True)
    for rep in range(first, first + reps):
        for branch in branches:
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


def analyze(out, slowed, windows, slowed_branches):
    runs = {branch: sorted(out.glob(f"{branch}-*.json")) for branch in ["main", *slowed_branches]}
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
        for branch in slowed_branches:
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
    found_columns = "".join(f" {branch} found |" for branch in slowed_branches)
    print(f"| K | A/A jobs failed | false regressions (any severity) | spurious improvements |{found_columns} other regressions in slowed runs | median noise floor |")
    print("|---:|---:|---:|---:|" + "---:|" * len(slowed_branches) + "---:|---:|")
    for k, jobs, failed, false, improved, detected, floor in rows:
        found = "".join(f" {detected[b][0]} of {detected[b][1]} |" for b in slowed_branches)
        others = sum(detected[b][2] for b in slowed_branches)
        floor_text = "-" if floor is None else f"{floor:.2f} %"
        print(f"| {k} | {failed} of {jobs} | {false} | {improved} |{found} {others} | {floor_text} |")


def main(argv):
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    option = lambda name: [argv[i + 1] for i, a in enumerate(argv) if a == name and i + 1 < len(argv)]
    listed = lambda name, default: option(name)[0].split(",") if option(name) else default
    if len(argv) >= 4 and argv[0] == "measure":
        first = int(option("--first-rep")[0]) if option("--first-rep") else 1
        measure(Path(argv[1]), Path(argv[2]), int(argv[3]), listed("--branches", BRANCHES), first, extra)
    elif len(argv) >= 2 and argv[0] == "analyze":
        windows = [int(k) for k in listed("--windows", WINDOWS)]
        analyze(Path(argv[1]), option("--slowed") or ["combine/"], windows, listed("--branches", BRANCHES[1:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
