#!/usr/bin/env bash
# Closed-loop requests per second of perf-gate's load generator against nginx serving a small
# static file on loopback, next to wrk at the same connection count. A benchmark, not a test:
# docs/performance.md records its figures. Needs nginx and wrk (Debian: apt-get install nginx wrk).
#
#   bash benches/loadgen_vs_wrk.sh [SECONDS] [CONNECTIONS...]     (defaults: 10, 16 64)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
shift || true
connections=("${@:-16}")
if [[ $# -eq 0 ]]; then connections=(16 64); fi
for tool in nginx wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install nginx wrk)" >&2; exit 2; }
done

cargo build --release --quiet
perf_gate="$PWD/target/release/cargo-perf-gate"
work="$(mktemp -d)"
trap 'kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$work/www" "$work/project/src"
head -c 612 /dev/zero | tr '\0' 'x' >"$work/www/index.html"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/tmp;
  proxy_temp_path $work/tmp;
  fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp;
  scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port;
    keepalive_requests 1000000;
    location / { root $work/www; }
  }
}
EOF
mkdir -p "$work/tmp"
printf '[package]\nname = "loadgen"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n' >"$work/project/Cargo.toml"
touch "$work/project/src/lib.rs"

# Each trial runs perf-gate (two rounds of SECONDS/2 after a 1 s warm-up), then wrk (SECONDS),
# against the same nginx; trials alternate, so a noisy neighbour hits both sides alike, and the
# table shows medians over TRIALS (default 3).
trials="${TRIALS:-3}"
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.stdin.read().split()))'; }
echo "| connections | wrk req/s | perf-gate req/s | perf-gate / wrk |"
echo "|---:|---:|---:|---:|"
for c in "${connections[@]}"; do
  cat >"$work/project/benchmark-config.json" <<EOF
{"services": [{"name": "nginx",
  "start": {"command": ["nginx", "-c", "$work/nginx.conf", "-g", "daemon off;"], "ready": {"tcp": "127.0.0.1:$port"}},
  "scenarios": [{"name": "static", "users": $c, "duration_s": $(python3 -c "print($seconds / 2)"), "warmup_s": 1, "rounds": 2,
                 "requests": [{"url": "http://127.0.0.1:$port/index.html"}]}]}]}
EOF
  ours=() theirs=() ratios=()
  for _ in $(seq "$trials"); do
    (cd "$work/project" && "$perf_gate" perf-gate --quiet --out-dir out >/dev/null)
    mine="$(python3 -c "import json; r = json.load(open('$work/project/out/results.json')); print(r['benchmarks'][0]['metrics']['rps']['value'])")"
    nginx -c "$work/nginx.conf" -g "daemon on;"
    sleep 0.3
    wrk -t2 -c"$c" -d1s "http://127.0.0.1:$port/index.html" >/dev/null
    other="$(wrk -t2 -c"$c" -d"${seconds}s" "http://127.0.0.1:$port/index.html" | awk '/Requests\/sec/ {print $2}')"
    kill "$(cat "$work/nginx.pid")"
    sleep 0.3
    ours+=("$mine")
    theirs+=("$other")
    ratios+=("$(python3 -c "print($mine / $other)")")
  done
  m_ours="$(echo "${ours[@]}" | median)"
  m_theirs="$(echo "${theirs[@]}" | median)"
  m_ratio="$(echo "${ratios[@]}" | median)"
  python3 -c "print(f'| $c | {$m_theirs:.0f} | {$m_ours:.0f} | {$m_ratio:.2f}x |')"
done
