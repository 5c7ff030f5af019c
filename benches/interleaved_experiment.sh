#!/usr/bin/env bash
# The experiment behind docs/performance.md ("Interleaved against sequential"): does
# `--baseline main` (both sides built, run in alternating rounds, paired test) raise false
# alarms on an unchanged tree, and does it catch an injected 3% and 5% slowdown? And the same
# for two separate sequential runs compared with the two-sample test.
#
#   benches/interleaved_experiment.sh [REPETITIONS]   (default 4 per case)
#
# Builds a small crate with six criterion benchmarks in a temp dir, commits it on `main`, then
# per repetition and case (A/A, +3%, +5% on the benchmark `slowed/10000` only):
#   interleaved: cargo perf-gate --baseline main with the default plan (16 rounds, 300 ms
#                measurement and 150 ms warm-up per benchmark, side and round);
#   sequential:  one run of main, then one of the working tree (5 s measurement each, about the
#                same measured time per benchmark and side), compared with `check` twice: with
#                Welch's test, and with the default (Yuen's trimmed test).
# Every mode uses the same config: threshold 2 %, everything else default.
# Prints one line per run and a summary table. Needs cargo and git; takes about 3 minutes per
# repetition and case on 2 cores.
set -euo pipefail

repetitions=${1:-4}
here=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
gate="$here/target/release/cargo-perf-gate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crate="$work/crate"
mkdir -p "$crate/src" "$crate/benches"
criterion=$(grep -A1 '^name = "criterion"$' "$here/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)

cat >"$crate/Cargo.toml" <<EOF
[package]
name = "experiment"
version = "0.1.0"
edition = "2021"

[dev-dependencies]
criterion = { version = "=$criterion", default-features = false }

[[bench]]
name = "suite"
harness = false
EOF
cat >"$crate/src/lib.rs" <<'EOF'
/// Work per call of `slowed`, in thousandths: the experiment raises it to inject a slowdown.
pub const SLOWED_PER_MILLE: u64 = 1000;

pub fn mix(rounds: u64, seed: u64) -> u64 {
    let mut state = seed | 1;
    for i in 0..rounds {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state = state.wrapping_add(i);
    }
    state
}

pub fn slowed(rounds: u64) -> u64 {
    mix(rounds * SLOWED_PER_MILLE / 1000, 3)
}

pub fn checksum(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}
EOF
cat >"$crate/benches/suite.rs" <<'EOF'
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn benches(c: &mut Criterion) {
    c.bench_function("mix/1000", |b| b.iter(|| experiment::mix(black_box(1000), 1)));
    c.bench_function("mix/20000", |b| b.iter(|| experiment::mix(black_box(20000), 2)));
    c.bench_function("slowed/10000", |b| b.iter(|| experiment::slowed(black_box(10000))));
    let data: Vec<u8> = (0..4096u32).map(|i| (experiment::mix(u64::from(i), 9) & 0xff) as u8).collect();
    c.bench_function("checksum/4096", |b| b.iter(|| experiment::checksum(black_box(&data))));
    let numbers: Vec<u64> = (0..512).map(|i| experiment::mix(i, 5)).collect();
    c.bench_function("sort/512", |b| {
        b.iter_batched_ref(|| numbers.clone(), |v| v.sort_unstable(), BatchSize::SmallInput)
    });
    c.bench_function("sum/10000", |b| b.iter(|| (0..black_box(10000u64)).map(|x| x * x).sum::<u64>()));
}

criterion_group!(suite, benches);
criterion_main!(suite);
EOF
cat >"$crate/benchmark-config.json" <<'EOF'
{
  "regression_threshold_percent": 2.0
}
EOF
cat >"$work/welch.json" <<'EOF'
{
  "regression_threshold_percent": 2.0,
  "statistics": {"test": "welch"}
}
EOF
printf 'target/\nout*/\nmain-copy/\n' >"$crate/.gitignore"
git -C "$crate" init --quiet --initial-branch main
git -C "$crate" add -A
git -C "$crate" -c user.name=x -c user.email=x@example.com commit --quiet -m main
git clone --quiet "$crate" "$work/main-copy"
export CARGO_TARGET_DIR="$work/target"

set_slowdown() {
    sed -i "s/^pub const SLOWED_PER_MILLE: u64 = .*;/pub const SLOWED_PER_MILLE: u64 = $1;/" "$crate/src/lib.rs"
}

# verdicts REPORT: "<regressed ids> | slowed=<verdict> change=<percent>"
verdicts() {
    python3 - "$1" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
rows = [c for c in report["comparisons"] if c["metric"] == "time"]
regressed = [c["id"] for c in rows if c["verdict"] == "regressed"]
slowed = next(c for c in rows if c["id"] == "slowed/10000")
others = [f"{c['id']}:{c['change_percent']:+.2f}%" for c in rows
          if c["id"] != "slowed/10000" and c["verdict"] in ("regressed", "improved")]
change = slowed["change_percent"]
print(f"slowed={slowed['verdict']} change={change:+.2f}% false_alarms={len(others)} {' '.join(others)}")
EOF
}

results="$work/runs.txt"
for rep in $(seq 1 "$repetitions"); do
    for case in 1000 1030 1050; do
        set_slowdown "$case"
        label="+$(( (case - 1000) / 10 ))%"
        [ "$case" = 1000 ] && label="A/A"
        (cd "$crate" && "$gate" perf-gate --quiet --baseline main --out-dir out-interleaved \
            >/dev/null 2>&1) || true
        echo "interleaved $label rep=$rep $(verdicts "$crate/out-interleaved/report.json")" | tee -a "$results"
        (cd "$work/main-copy" && "$gate" perf-gate --quiet --out-dir out-seq -- \
            --measurement-time 5 --warm-up-time 1.5 --sample-size 100 >/dev/null 2>&1) || true
        (cd "$crate" && "$gate" perf-gate --quiet --out-dir out-seq -- \
            --measurement-time 5 --warm-up-time 1.5 --sample-size 100 >/dev/null 2>&1) || true
        for test in welch trimmed; do
            config=benchmark-config.json
            [ "$test" = welch ] && config="$work/welch.json"
            (cd "$crate" && "$gate" perf-gate check --results out-seq/results.json --config "$config" \
                --baseline "$work/main-copy/out-seq/results.json" --out-dir out-check >/dev/null 2>&1) || true
            echo "sequential-$test $label rep=$rep $(verdicts "$crate/out-check/report.json")" | tee -a "$results"
        done
    done
done

echo
python3 - "$results" <<'EOF'
import re, sys
table = {}
for line in open(sys.argv[1]):
    mode, case = line.split()[:2]
    verdict = re.search(r"slowed=(\w+)", line).group(1)
    alarms = int(re.search(r"false_alarms=(\d+)", line).group(1))
    row = table.setdefault((mode, case), [0, 0, 0])
    row[0] += 1
    row[1] += alarms > 0 or (case == "A/A" and verdict in ("regressed", "improved"))
    row[2] += case != "A/A" and verdict == "regressed"
print("| mode | case | runs | runs with a false alarm | slowdown detected |")
print("|---|---|---|---|---|")
for (mode, case), (runs, false_alarm_runs, detected) in sorted(table.items()):
    print(f"| {mode} | {case} | {runs} | {false_alarm_runs} | {'-' if case == 'A/A' else detected} |")
EOF
