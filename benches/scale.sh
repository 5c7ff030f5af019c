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

# The 78-benchmark case against critcmp, where hyperfine and critcmp are installed
# (`cargo install critcmp hyperfine`): GNU time's 10 ms resolution is too coarse there.
if command -v hyperfine >/dev/null && command -v critcmp >/dev/null; then
  pair="$root/critcmp-78"
  if [[ ! -d "$pair" ]]; then
    # critcmp reads each baseline's estimates.json too: point estimates from the samples.
    python3 - "$root" "$pair" <<'PY'
import json, os, shutil, statistics, sys
root, out = sys.argv[1], sys.argv[2]
for side in ("main", "pr"):
    home = os.path.join(root, f"{side}-78")
    for group in os.listdir(home):
        for function in os.listdir(os.path.join(home, group)):
            source, target = os.path.join(home, group, function, "new"), os.path.join(out, group, function, side)
            os.makedirs(target)
            for name in ("benchmark.json", "sample.json"):
                shutil.copy(os.path.join(source, name), target)
            sample = json.load(open(os.path.join(source, "sample.json")))
            per_iter = [t / n for t, n in zip(sample["times"], sample["iters"])]
            def estimate(value):
                return {"point_estimate": value, "standard_error": 0.0,
                        "confidence_interval": {"confidence_level": 0.95, "lower_bound": value, "upper_bound": value}}
            mean, spread = statistics.mean(per_iter), statistics.stdev(per_iter)
            json.dump({"mean": estimate(mean), "median": estimate(statistics.median(per_iter)),
                       "median_abs_dev": estimate(spread), "slope": estimate(mean), "std_dev": estimate(spread)},
                      open(os.path.join(target, "estimates.json"), "w"))
PY
  fi
  # critcmp looks for <target-dir>/criterion.
  mkdir -p "$plain/critcmp" && ln -sfn "$pair" "$plain/critcmp/criterion"
  run78=(perf-gate run --no-run --quiet --criterion-dir "$root/pr-78" --baseline "$root/baseline-78/results.json")
  (cd "$plain" && hyperfine -N -i -w 3 -r 30 --style basic -n "critcmp main pr" "critcmp --target-dir $plain/critcmp main pr" \
    -n "perf-gate, plain dir" "$binary ${run78[*]} --out-dir $plain/hf-plain")
  # A gate of this repository's config fails on the synthetic ids (exit 1): -i.
  hyperfine -N -i -w 3 -r 30 --style basic -n "perf-gate, in a cargo workspace" "$binary ${run78[*]} --out-dir $plain/hf-ws"
fi
