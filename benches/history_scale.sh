#!/usr/bin/env bash
# The history store at scale, for docs/performance.md ("The history store"): recording one run
# of 1,000 benchmarks x 100 samples, a store of 1,000 such runs, `list` and `export` on it, and
# the store's size per run.
#
#   bash benches/history_scale.sh [BINARY]     # default: target/release/cargo-perf-gate
#
# Needs python3 and GNU time (/usr/bin/time). Works under target/history-scale.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="$(realpath "${1:-target/release/cargo-perf-gate}")"
root="$PWD/target/history-scale"
rm -rf "$root"
mkdir -p "$root/criterion"

# A criterion home of 1,000 benchmarks with 100 linear-sampling samples each.
python3 - "$root/criterion" <<'PY'
import json, os, random, sys
root = sys.argv[1]
random.seed(1)
for i in range(1000):
    group, function = f"group{i // 100}", f"bench{i % 100}"
    directory = os.path.join(root, group, function, "new")
    os.makedirs(directory)
    full_id = f"{group}/{function}"
    with open(os.path.join(directory, "benchmark.json"), "w") as f:
        json.dump({"group_id": group, "function_id": function, "value_str": None, "throughput": None,
                   "full_id": full_id, "directory_name": full_id, "title": full_id}, f)
    iters = [float(37 * k) for k in range(1, 101)]
    center = 1000.0 * (1 + i % 97)
    times = [n * center * (0.98 + 0.04 * random.random()) for n in iters]
    with open(os.path.join(directory, "sample.json"), "w") as f:
        json.dump({"sampling_mode": "Linear", "iters": iters, "times": times}, f)
PY
cd "$root"
"$binary" perf-gate run --no-run --quiet --criterion-dir "$root/criterion" --out-dir "$root/out" >/dev/null 2>&1 || true
results="$root/out/results.json"
[[ -f "$results" ]] || {
  echo "cannot collect $root/criterion" >&2
  exit 1
}

measure() {
  local label="$1"
  shift
  local stats
  stats="$(mktemp)"
  /usr/bin/time -f '%e %M' -o "$stats" "$@" >/dev/null 2>&1
  read -r wall kib < <(tail -n 1 "$stats")
  rm -f "$stats"
  printf '%-52s %6.2f s %7.1f MB\n' "$label" "$wall" "$(echo "$kib / 1024" | bc -l)"
}

store="$root/history.db"
measure "record 1 run of 1,000 benchmarks (new store)" "$binary" perf-gate record --history "$store" "$results"
measure "record 1 run of 1,000 benchmarks (1 run stored)" "$binary" perf-gate record --history "$store" "$results"
# 1,000 runs in all: 998 more, 100 files per process.
files=()
for _ in $(seq 100); do files+=("$results"); done
for _ in $(seq 9); do "$binary" perf-gate record --history "$store" "${files[@]}" >/dev/null 2>&1; done
"$binary" perf-gate record --history "$store" "${files[@]:0:98}" >/dev/null 2>&1
runs="$("$binary" perf-gate list --history "$store" --limit 100000 --format csv | tail -n +2 | wc -l)"
echo "runs stored: $runs"
measure "record 1 run of 1,000 benchmarks (1,000 runs stored)" "$binary" perf-gate record --history "$store" "$results"
measure "list (default 20 runs) on 1,001 runs" "$binary" perf-gate list --history "$store"
measure "list --limit 1000 on 1,001 runs" "$binary" perf-gate list --history "$store" --limit 1000
measure "export (csv, every metric of 1,001 runs) to a file" "$binary" perf-gate export --history "$store" -o "$root/all.csv"
bytes="$(stat -c %s "$store")"
[[ -f "$store-wal" ]] && bytes=$((bytes + $(stat -c %s "$store-wal")))
echo "store: $bytes bytes, $((bytes / runs / 1024)) KiB per run of 1,000 benchmarks"
echo "export: $(stat -c %s "$root/all.csv") bytes, $(($(wc -l <"$root/all.csv") - 1)) rows"
