#!/usr/bin/env bash
# The experiment of docs/performance.md, "Paired and confirm in CI, on a crate from crates.io":
# crc32fast 1.5.5 with `Hasher::combine` slowed by 0 (A/A), 3, 5 and 10 %, each checked by the
# artifact, paired and confirm modes, three times. Takes about an hour on 2 cores; run it on an
# otherwise idle machine.
#
#   bash benches/ci_modes_experiment.sh [BINARY]   # default: target/release/cargo-perf-gate
#
# MODES (default "artifact paired confirm"), CONDITIONS (default "main slow3 slow5 slow10") and
# THRESHOLD (the regression threshold in percent; default: perf-gate's) narrow or vary it, e.g.
#   THRESHOLD=3 MODES="paired confirm" CONDITIONS="main slow5" bash benches/ci_modes_experiment.sh
#
# SLOWDOWNS (default "3 5 10") are the slowed branches made, in percent (one extra combine every
# 100/N calls); SETUP_ONLY=1 stops once the repository is made (benches/window_experiment.py
# measures in it).
#
# Needs crc32fast 1.5.5 in the cargo registry (`cargo fetch` of a crate depending on it), git and
# python3. Writes under target/ci-modes: results.tsv (one line per comparison) and table.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
pg="$(realpath "${1:-target/release/cargo-perf-gate}")"
root="$PWD/target/ci-modes"
repo="$root/repo"
source_dir="$(find "$HOME/.cargo/registry/src" -maxdepth 2 -type d -name crc32fast-1.5.5 | head -n 1)"
[[ -n "$source_dir" ]] || {
  echo "crc32fast 1.5.5 is not in the cargo registry: fetch it first" >&2
  exit 2
}
rm -rf "$root"
mkdir -p "$root"
cp -r "$source_dir" "$repo"
cd "$repo" || exit 2
printf 'target/\n' >.gitignore
# Under target/ of this workspace, the crate is a workspace of its own.
printf '\n[workspace]\n' >>Cargo.toml
git init -q -b main
cargo generate-lockfile -q
git add -A
git -c user.name=t -c user.email=t@e commit -qm main
read -r -a slowdowns <<<"${SLOWDOWNS:-3 5 10}"
for pct in "${slowdowns[@]}"; do
  git checkout -q -b "slow$pct" main
  python3 - "$((100 / pct))" <<'PY'
import sys
n = int(sys.argv[1])
path = "src/lib.rs"
text = open(path).read()
old = """    pub fn combine(&mut self, other: &Self) {
        self.amount += other.amount;
        self.state = combine::combine(self.state, other.state, other.amount);
    }"""
new = f"""    pub fn combine(&mut self, other: &Self) {{
        // Injected for an experiment: one extra combine every {n} calls.
        thread_local!(static CALLS: core::cell::Cell<u32> = const {{ core::cell::Cell::new(0) }});
        if CALLS.with(|c| {{ let n = c.get().wrapping_add(1); c.set(n); n % {n} == 0 }}) {{
            core::hint::black_box(combine::combine(self.state, other.state, other.amount));
        }}
        self.amount += other.amount;
        self.state = combine::combine(self.state, other.state, other.amount);
    }}"""
assert old in text
open(path, "w").write(text.replace(old, new))
PY
  git -c user.name=t -c user.email=t@e commit -qam "combine: about $pct % slower"
done
git checkout -q main
if [[ -n "${SETUP_ONLY:-}" ]]; then
  echo "$repo"
  exit 0
fi
filter='^(combine|hash)/'
quick=(--warm-up-time 1 --measurement-time 2)
read -r -a modes <<<"${MODES:-artifact paired confirm}"
read -r -a conditions <<<"${CONDITIONS:-main slow3 slow5 slow10}"
config=()
if [[ -n "${THRESHOLD:-}" ]]; then
  printf '{"regression_threshold_percent": %s}\n' "$THRESHOLD" >"$root/config.json"
  config=(--config "$root/config.json")
fi
runs() { # mode: whether MODES has it
  [[ " ${modes[*]} " == *" $1 "* ]]
}
export CARGO_TARGET_DIR="$root/target"
export CRITERION_HOME="$root/criterion"
record() { # rep mode cond out wall
  python3 - "$@" >>"$root/results.tsv" <<'PY'
import json, sys
rep, mode, cond, out, wall = sys.argv[1:]
try:
    report = json.load(open(f"{out}/report.json"))
except Exception as e:
    print(f"{rep}\t{mode}\t{cond}\tERROR\t{e}\t\t\t{wall}")
    sys.exit()
for c in report["comparisons"]:
    change = c.get("change_percent")
    print(f"{rep}\t{mode}\t{cond}\t{c['id']}\t{c['verdict']}\t{'' if change is None else round(change, 2)}\t{c.get('evidence') or ''}\t{wall}")
PY
}
timed() { # label -- command...
  local start end
  start=$(date +%s)
  "$@" >/dev/null 2>>"$root/stderr.log"
  end=$(date +%s)
  echo $((end - start))
}
for rep in 1 2 3; do
  [[ -f "$root/stop" ]] && break # touch it to end after the current job
  git checkout -q main
  out="$root/out/main-$rep"
  rm -rf "$out"
  timed "$pg" perf-gate run --quiet "${config[@]}" --out-dir "$out" -- "${quick[@]}" "$filter" >/dev/null
  cp "$out/results.json" "$root/main-$rep.json"
  for cond in "${conditions[@]}"; do
    [[ -f "$root/stop" ]] && break # touch it to end after the current job
    git checkout -q "$cond"
    if runs artifact; then
      out="$root/out/artifact-$cond-$rep"; rm -rf "$out"
      wall=$(timed "$pg" perf-gate run --quiet "${config[@]}" --baseline "$root/main-$rep.json" --out-dir "$out" -- "${quick[@]}" "$filter")
      record "$rep" artifact "$cond" "$out" "$wall"
    fi
    if runs paired; then
      out="$root/out/paired-$cond-$rep"; rm -rf "$out"
      wall=$(timed "$pg" perf-gate run --quiet "${config[@]}" --baseline main --out-dir "$out" -- "$filter")
      record "$rep" paired "$cond" "$out" "$wall"
    fi
    if runs confirm; then
      out="$root/out/confirm-$cond-$rep"; rm -rf "$out"
      wall=$(timed "$pg" perf-gate run --quiet "${config[@]}" --baseline "$root/main-$rep.json" --confirm main --out-dir "$out" -- "${quick[@]}" "$filter")
      record "$rep" confirm "$cond" "$out" "$wall"
    fi
  done
done
git checkout -q main
python3 - "$root/results.tsv" >"$root/table.md" <<'PY'
import sys
import collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
S = collections.defaultdict(lambda: {"freg": 0, "fimp": 0, "ctrl": 0, "det": 0, "changed": 0, "walls": {}, "freg_runs": set(), "changes": []})
for rep, mode, cond, bid, verdict, change, evidence, wall in rows:
    s = S[(mode, cond)]
    s["walls"][rep] = int(wall)
    if bid.startswith("combine/") and cond != "main":
        s["changed"] += 1
        s["det"] += verdict == "regressed"
        if change:
            s["changes"].append(float(change))
    else:
        s["ctrl"] += 1
        if verdict == "regressed":
            s["freg"] += 1
            s["freg_runs"].add(rep)
        elif verdict == "improved":
            s["fimp"] += 1
print("| mode | injected into `combine` | jobs | false regressions (jobs failed by one) | other spurious verdicts (`improved`) | slowed benchmarks flagged | measured change of the slowed ones | wall time per job |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
names = {"main": "nothing (A/A)", "slow3": "+3 %", "slow5": "+5 %", "slow10": "+10 %"}
for mode in ("artifact", "paired", "confirm"):
    for cond in ("main", "slow3", "slow5", "slow10"):
        s = S.get((mode, cond))
        if not s:
            continue
        jobs = len(s["walls"])
        found = f"{s['det']} of {s['changed']}" if s["changed"] else "-"
        ch = s["changes"]
        rng = f"{min(ch):+.1f} to {max(ch):+.1f} %" if ch else "-"
        wall = sum(s["walls"].values()) / jobs
        print(f"| {mode} | {names[cond]} | {jobs} | {s['freg']} of {s['ctrl']} ({len(s['freg_runs'])} of {jobs}) | {s['fimp']} | {found} | {rng} | {wall:.0f} s |")
PY
cat "$root/table.md"
