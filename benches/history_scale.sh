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
# 1,000 runs in all: 999 more, each its own measurement time (an import of the same run twice
# is not recorded again), 100 files per process, written and removed batch by batch.
for batch in $(seq 0 9); do
  python3 - "$results" "$root/batch" "$batch" <<'PY'
import json, os, sys
results, directory, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(directory, exist_ok=True)
text = open(results).read()
created = json.loads(text)["created_at"]
for i in range(100):
    n = batch * 100 + i
    if n == 0:
        continue
    # Seconds after midnight of the day the suite was collected: inside `trends`' 90 days.
    stamp = f"{created[:10]}T00:{n // 60:02}:{n % 60:02}Z"
    with open(os.path.join(directory, f"{i:03}.json"), "w") as f:
        f.write(text.replace(f'"created_at": "{created}"', f'"created_at": "{stamp}"', 1))
PY
  "$binary" perf-gate record --history "$store" "$root"/batch/*.json >/dev/null 2>&1
  rm -rf "$root/batch"
done
runs="$("$binary" perf-gate list --history "$store" --limit 100000 --format csv | tail -n +2 | wc -l)"
echo "runs stored: $runs"
again="$root/again.json"
sed 's/"created_at": "[^"]*"/"created_at": "2026-02-01T00:00:00Z"/' "$results" >"$again"
measure "record 1 run of 1,000 benchmarks (1,000 runs stored)" "$binary" perf-gate record --history "$store" "$again"
measure "record the same run again (1,001 runs stored)" "$binary" perf-gate record --history "$store" "$again"
measure "list (default 20 runs) on 1,001 runs" "$binary" perf-gate list --history "$store"
measure "list --limit 1000 on 1,001 runs" "$binary" perf-gate list --history "$store" --limit 1000
measure "trends group0/bench0 (one benchmark)" "$binary" perf-gate trends group0/bench0 --history "$store"
measure "trends 'group0/*' (100 benchmarks)" "$binary" perf-gate trends 'group0/*' --history "$store"
measure "trends (all 1,000 benchmarks)" "$binary" perf-gate trends --history "$store"
measure "export (csv, every metric of 1,001 runs) to a file" "$binary" perf-gate export --history "$store" -o "$root/all.csv"
bytes="$(stat -c %s "$store")"
[[ -f "$store-wal" ]] && bytes=$((bytes + $(stat -c %s "$store-wal")))
echo "store: $bytes bytes, $((bytes / runs / 1024)) KiB per run of 1,000 benchmarks"
echo "export: $(stat -c %s "$root/all.csv") bytes, $(($(wc -l <"$root/all.csv") - 1)) rows"
