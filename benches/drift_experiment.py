#!/usr/bin/env python3
"""One process per benchmark or per target: which cancels a changing machine better?

An A/A pair (one criterion bench executable copied to two paths, each with its own criterion
home) runs ROUNDS alternating rounds (A B, B A, ...) with perf-gate's round settings, either
one process per benchmark and side (the sides of a pair a second apart) or one process per side
with all the benchmarks (a whole run apart), on a quiet machine and under a bursty neighbour
(one core busy for 1-4 s, then idle for 1-4 s). Prints, per scheme and load, the statistics of
the paired differences 100 * ln(B/A) of each round's median sample that docs/performance.md
("One process per benchmark or per target") reports.

Usage: drift_experiment.py BENCH_EXECUTABLE ID_PREFIX ROUNDS OUT_DIR
e.g.   drift_experiment.py target/release/deps/bench-557e02cf09608e2b specialized/ 10 /tmp/drift
"""
import json
import math
import os
import shutil
import statistics as st
import subprocess
import sys
import time

BIN, PREFIX, ROUNDS, OUT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ARGS = "--measurement-time 0.3 --warm-up-time 0.15 --sample-size 20 --nresamples 1000 --noplot".split()
NEIGHBOUR = (
    "import random, time\n"
    "while True:\n"
    "    end = time.time() + random.uniform(1, 4)\n"
    "    while time.time() < end: pass\n"
    "    time.sleep(random.uniform(1, 4))\n"
)

listed = subprocess.run([BIN, "--bench", "--list"], capture_output=True, text=True, check=True).stdout
ids = [line.split(":")[0] for line in listed.splitlines() if line.startswith(PREFIX) and ":" in line]
sides = {}
for side in "AB":
    sides[side] = f"{OUT}/{side}"
    os.makedirs(sides[side], exist_ok=True)
    shutil.copy(BIN, f"{sides[side]}/bench")


def run(side, pattern):
    env = dict(os.environ, CRITERION_HOME=f"{sides[side]}/crit")
    subprocess.run([f"{sides[side]}/bench", "--bench", *ARGS, pattern], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def median_of(side, benchmark):
    with open(f"{sides[side]}/crit/{benchmark}/new/sample.json") as f:
        sample = json.load(f)
    return st.median(t / i for t, i in zip(sample["times"], sample["iters"]))


def rounds(scheme):
    differences = {benchmark: [] for benchmark in ids}
    for r in range(ROUNDS):
        order = "AB" if r % 2 == 0 else "BA"
        got = {}
        if scheme == "per benchmark":
            for benchmark in ids:
                for side in order:
                    run(side, f"^{benchmark}$")
                    got[side, benchmark] = median_of(side, benchmark)
        else:
            for side in order:
                run(side, f"^{PREFIX}")
                for benchmark in ids:
                    got[side, benchmark] = median_of(side, benchmark)
        for benchmark in ids:
            differences[benchmark].append(100 * math.log(got["B", benchmark] / got["A", benchmark]))
    return differences


def report(scheme, load, differences, wall):
    every = [d for ds in differences.values() for d in ds]
    mads = [st.median(abs(d - st.median(ds)) for d in ds) for ds in differences.values()]
    bias = max(abs(st.median(ds)) for ds in differences.values())
    beyond = 100 * sum(abs(d) > 5 for d in every) / len(every)
    print(f"{scheme}\t{load}\tmedian |difference| {st.median(abs(d) for d in every):.2f} %"
          f"\tbeyond 5 %: {beyond:.0f} %\tmedian MAD {st.median(mads):.2f} %"
          f"\tlargest |median| {bias:.2f} %\twall {wall:.0f} s", flush=True)
    with open(f"{OUT}/{scheme.replace(' ', '-')}-{load}.json", "w") as f:
        json.dump(differences, f)


for load in ["quiet", "bursty"]:
    for scheme in ["per benchmark", "per target"]:
        neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR]) if load == "bursty" else None
        started = time.time()
        try:
            differences = rounds(scheme)
        finally:
            if neighbour:
                neighbour.kill()
                neighbour.wait()
        report(scheme, load, differences, time.time() - started)
