#!/usr/bin/env bash
# Whole-process figures for docs/performance.md ("At scale"): `run --no-run` collecting one
# synthetic criterion directory and checking it against the results of another, with every
# report written. Sizes: 10,000 benchmarks x 100 samples, and 78 benchmarks (a real crate's
# suite, rust-base64's size) in a plain directory and inside a cargo workspace.
#
#   bash benches/scale.sh [BINARY]     # default: target/release/cargo-perf-gate
#
# Needs python3 (to write the criterion directories) and GNU time (/usr/bin/time) for the peak
# resident memory. The directories are made once under target/scale and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

repo="$PWD"
binary="$(realpath "${1:-target/release/cargo-perf-gate}")"
root="$PWD/target/scale"
mkdir -p "$root"

# A criterion home of COUNT benchmarks with 100 linear-sampling samples each, about 2 % spread.
make_home() {
  local dir="$1" count="$2" seed="$3"
  [[ -d "$dir" ]] && return 0
  python3 - "$dir" "$count" "$seed" <<'EOF'
import json, os, random, sys
root, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(seed)
for i in range(count):
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
EOF
}

# One measured process: wall seconds and peak RSS in MB.
measure() {
  local label="$1"
  shift
  local stats
  stats="$(mktemp)"
  /usr/bin/time -f '%e %M' -o "$stats" "$@" >/dev/null 2>&1 || true
  # GNU time says "Command exited with non-zero status N" first when it did (a failing gate).
  read -r wall kib < <(tail -n 1 "$stats")
  rm -f "$stats"
  printf '%-58s %6.2f s %7.1f MB\n' "$label" "$wall" "$(echo "$kib / 1024" | bc -l)"
}

plain="$(mktemp -d)"
trap 'rm -rf "$plain"' EXIT
for count in 10000 78; do
  make_home "$root/main-$count" "$count" 1
  make_home "$root/pr-$count" "$count" 2
  baseline="$root/baseline-$count"
  (cd "$plain" && "$binary" perf-gate run --no-run --quiet --criterion-dir "$root/main-$count" \
    --out-dir "$baseline" >/dev/null 2>&1) || true
  [[ -f "$baseline/results.json" ]] || {
    echo "cannot collect $root/main-$count" >&2
    exit 1
  }
done

for count in 10000 78; do
  out="$plain/out-$count"
  cd "$plain"
  measure "collect $count x 100 + check against $count (plain dir)" \
    "$binary" perf-gate run --no-run --quiet --criterion-dir "$root/pr-$count" \
    --baseline "$root/baseline-$count/results.json" --out-dir "$out"
  find "$out" -maxdepth 1 -type f -name '*.*' -printf '    %-14f %10s bytes\n' | sort
done
# Inside a cargo workspace (this repository): what the workspace and git lookups add.
cd "$repo"
measure "collect 78 x 100 + check against 78 (in a cargo workspace)" \
  "$binary" perf-gate run --no-run --quiet --criterion-dir "$root/pr-78" \
  --baseline "$root/baseline-78/results.json" --out-dir "$plain/in-workspace"
