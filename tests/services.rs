//! Service benchmarks through the real binary, against the demo's HTTP server (built once into
//! the shared demo target dir) on 127.0.0.1 ports perf-gate picks: percentiles under a stall,
//! the success rate under injected errors, and teardown in every way a run can end.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The demo's `demo_server`, built in release mode.
fn demo_server() -> PathBuf {
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--release", "--quiet", "--bin", "demo_server", "--manifest-path"])
        .arg(repo().join("examples/demo/Cargo.toml"))
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .status()
        .unwrap();
    assert!(status.success());
    shared_target_dir().join("release/demo_server")
}

/// A crate without benches whose config loads `service`.
fn project(service: &str) -> tempfile::TempDir {
    crate_without_benches(&format!(r#"{{"services": [{service}]}}"#))
}

/// A `demo_server` service with `options`, loaded by one open scenario of `rounds` rounds of
/// 200 requests at 200/s.
fn server_service(options: &str, rounds: usize) -> String {
    format!(
        r#"{{"name": "demo", "start": {{"command": ["{}", "--port", "{{port}}"{options}],
             "ready": {{"http": "http://127.0.0.1:{{port}}/health", "timeout_s": 30}}}},
           "scenarios": [{{"name": "load", "rate_per_sec": 200, "duration_s": 1, "warmup_s": 0, "rounds": {rounds},
             "connections": 4, "requests": [{{"url": "http://127.0.0.1:{{port}}/checksum?n=1024"}}]}}]}}"#,
        demo_server().display()
    )
}

fn run(project: &Path) -> std::process::Output {
    perf_gate(project).args(["--quiet", "--out-dir", "out"]).output().unwrap()
}

fn metric(project: &Path, id: &str, name: &str) -> Value {
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(project.join("out/results.json")).unwrap()).unwrap();
    let benchmark = results["benchmarks"].as_array().unwrap().iter().find(|b| b["id"] == id).unwrap().clone();
    benchmark["metrics"][name].clone()
}

fn samples(metric: &Value) -> Vec<f64> {
    metric["samples"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[test]
fn a_200_ms_stall_shows_in_p99_under_the_open_model() {
    // Request 50 stalls its connection for 200 ms: the sends scheduled on it meanwhile are
    // late, and their latency counts from when they were due.
    let project = project(&server_service(r#", "--stall-once-ms", "200", "--stall-at", "50""#, 2));
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let p99 = samples(&metric(project.path(), "demo/load", "p99_ms"));
    let max = samples(&metric(project.path(), "demo/load", "max_ms"));
    let late = samples(&metric(project.path(), "demo/load", "late_count"));
    assert!(p99[0] >= 150.0, "the stalled round's p99 is {} ms", p99[0]);
    assert!(max[0] >= 200.0, "the stall itself is {} ms", max[0]);
    assert!(late[0] >= 5.0, "sends due during the stall went out late: {}", late[0]);
    let source: Value =
        serde_json::from_str(&std::fs::read_to_string(project.path().join("out/results.json")).unwrap()).unwrap();
    assert_eq!(source["benchmarks"][0]["source"]["requests"], 400);
    assert_eq!(metric(project.path(), "demo/load", "rps")["unit"], "req/s");
}

#[test]
fn injected_500s_lower_the_success_rate_exactly() {
    // Every 4th request fails; any 200 consecutive requests hold exactly 50 of them.
    let project = project(&server_service(r#", "--error-every", "4""#, 3));
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(samples(&metric(project.path(), "demo/load", "success_rate")), [75.0, 75.0, 75.0]);
    let errors = metric(project.path(), "demo/load", "error_count");
    assert_eq!(samples(&errors), [50.0, 50.0, 50.0]);
    assert_eq!(errors["value"], 150.0);
    assert_eq!(metric(project.path(), "demo/load", "timeout_count")["value"], 0.0);
}

/// Whether any process's command line holds `marker`.
fn running(marker: &str) -> bool {
    let found = std::process::Command::new("pgrep").args(["-f", marker]).output().unwrap();
    !found.stdout.is_empty()
}

/// The demo server, started by a shell that also leaves a helper process behind, whose command
/// line holds `marker`: teardown must reach every process of the service, not just the first.
fn service_with_helper(marker: &str, rounds: usize) -> String {
    let script = format!("sh -c 'sleep 300; :' {marker} & exec {} --port {{port}}", demo_server().display());
    format!(
        r#"{{"name": "demo", "start": {{"command": ["sh", "-c", "{script}"], "ready": {{"tcp": "127.0.0.1:{{port}}"}}}},
           "scenarios": [{{"name": "load", "rate_per_sec": 50, "duration_s": 1, "rounds": {rounds}, "requests": [{{"url": "http://127.0.0.1:{{port}}/health"}}]}}]}}"#
    )
}

#[test]
fn the_service_and_its_children_are_gone_after_a_run() {
    let marker = format!("perf-gate-service-{}", std::process::id());
    let project = project(&service_with_helper(&marker, 2));
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!running(&marker), "a process of the service survived the run");
    let log = std::fs::read_to_string(project.path().join("out/service-demo.log")).unwrap();
    assert!(log.contains("demo_server listening on http://127.0.0.1:"), "{log}");
}

/// SIGINT to perf-gate, as a terminal's Ctrl-C would send it, and how it ended.
fn interrupt(child: &mut std::process::Child) -> std::process::ExitStatus {
    // SAFETY: kill(2) to the child we spawned; no memory is shared.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "perf-gate did not stop within 30 s of SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_during_load_stops_the_service_and_leaves_no_report() {
    let marker = format!("perf-gate-interrupt-{}", std::process::id());
    let project = project(&service_with_helper(&marker, 1000));
    let mut child = spawn_run(project.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !running(&marker) {
        assert!(Instant::now() < deadline, "the service never started");
        assert!(child.try_wait().unwrap().is_none(), "perf-gate ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(interrupt(&mut child).code(), Some(130));
    assert!(!running(&marker), "the service survived the interrupt");
    assert!(!project.path().join("out/results.json").exists());
}

#[test]
fn a_round_without_one_successful_response_is_a_failed_benchmark() {
    // python's http.server answers 501 to every POST.
    let refusing = project(
        r#"{"name": "refusing", "start": {"command": ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"], "ready": {"tcp": "127.0.0.1:{port}"}},
            "scenarios": [{"name": "post", "rate_per_sec": 20, "duration_s": 0.5, "warmup_s": 0, "rounds": 2, "connections": 1,
                           "requests": [{"method": "POST", "url": "http://127.0.0.1:{port}/", "body": "x"}]}]}"#,
    );
    let output = run(refusing.path());
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("service `refusing` scenario `post`: round 1 of 2 had no successful response (10 sent: 10 answered with a status that is not a success"), "{err}");
    assert!(!refusing.path().join("out/results.json").exists(), "no results that look usable");
}

#[test]
fn the_highest_rate_for_a_day_long_round_loads_without_a_schedule_laid_out_in_advance() {
    // 10^6/s for 24 h is 8.64 * 10^10 sends: laid out in advance, 691 GB, and perf-gate aborted
    // (exit 134) as soon as the service was ready, leaving it running. Computed send by send, the
    // load starts, and Ctrl-C ends the run and the service as usual.
    let marker = format!("perf-gate-highest-rate-{}", std::process::id());
    let script = format!("sh -c 'sleep 300; :' {marker} & exec {} --port {{port}}", demo_server().display());
    let project = project(&format!(
        r#"{{"name": "demo", "start": {{"command": ["sh", "-c", "{script}"], "ready": {{"tcp": "127.0.0.1:{{port}}"}}}},
           "scenarios": [{{"name": "flood", "rate_per_sec": 1000000, "duration_s": 86400, "warmup_s": 0, "rounds": 2,
             "connections": 4, "requests": [{{"url": "http://127.0.0.1:{{port}}/health"}}]}}]}}"#
    ));
    let mut child = spawn_run(project.path());
    let log = project.path().join("out/service-demo.log");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("listening")) {
        assert!(Instant::now() < deadline, "the service never started");
        assert!(child.try_wait().unwrap().is_none(), "perf-gate ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Readiness, then the load: give it time to start sending (or, as it did, to abort within
    // milliseconds of readiness). Kept short: the flood takes both cores from other tests.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(child.try_wait().unwrap(), None, "perf-gate ended under load");
    assert_eq!(interrupt(&mut child).code(), Some(130));
    assert!(!running(&marker), "the service survived the run");
}

#[test]
fn a_service_that_cannot_serve_is_exit_3_with_its_log() {
    let exits = project(
        r#"{"name": "broken", "start": {"command": ["sh", "-c", "echo 'missing setting DATABASE_URL' >&2; exit 7"], "ready": {"tcp": "127.0.0.1:{port}"}},
            "scenarios": [{"name": "s", "rate_per_sec": 1, "duration_s": 1, "requests": [{"url": "http://127.0.0.1:{port}/"}]}]}"#,
    );
    let output = run(exits.path());
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(err.contains("service `broken` exited before it was ready (exit status: 7)"), "{err}");
    assert!(err.contains("missing setting DATABASE_URL"), "{err}");

    let silent = project(
        r#"{"name": "silent", "start": {"command": ["sleep", "60"], "ready": {"http": "http://127.0.0.1:{port}/health", "timeout_s": 1}},
            "scenarios": [{"name": "s", "rate_per_sec": 1, "duration_s": 1, "requests": [{"url": "http://127.0.0.1:{port}/"}]}]}"#,
    );
    let output = run(silent.path());
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("was not ready within 1 s (no 2xx from http://127.0.0.1:"), "{}", stderr(&output));

    // A port that something else holds is refused before the service starts.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let taken = project(&format!(
        r#"{{"name": "late", "start": {{"command": ["sleep", "60"], "ready": {{"tcp": "127.0.0.1:{port}"}}}},
            "scenarios": [{{"name": "s", "rate_per_sec": 1, "duration_s": 1, "requests": [{{"url": "http://127.0.0.1:{port}/"}}]}}]}}"#
    ));
    let output = run(taken.path());
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains(&format!("something already answers at 127.0.0.1:{port} before the service started")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn https_services_are_loaded_over_rustls() {
    let tls = fixture("tls");
    let service = |ready_timeout: u32| {
        format!(
            r#"{{"name": "secure", "start": {{"command": ["python3", "{}", "{{port}}"],
                 "ready": {{"http": "https://127.0.0.1:{{port}}/health", "timeout_s": {ready_timeout}}}}},
               "scenarios": [{{"name": "get", "rate_per_sec": 50, "duration_s": 1, "warmup_s": 0, "rounds": 2,
                 "connections": 2, "requests": [{{"url": "https://127.0.0.1:{{port}}/"}}]}}]}}"#,
            tls.join("https_server.py").display()
        )
    };
    let run_trusting = |project: &Path, roots: &str| {
        perf_gate(project).args(["--quiet", "--out-dir", "out"]).env("SSL_CERT_FILE", tls.join(roots)).output().unwrap()
    };
    // The test CA is trusted through SSL_CERT_FILE, as a user's private CA would be.
    let trusted = project(&service(30));
    let output = run_trusting(trusted.path(), "ca.pem");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(samples(&metric(trusted.path(), "secure/get", "success_rate")), [100.0, 100.0]);
    assert_eq!(metric(trusted.path(), "secure/get", "error_count")["value"], 0.0);

    // Without it, the certificate is refused, and the error says why.
    let untrusted = project(&service(3));
    let output = run_trusting(untrusted.path(), "cert.pem");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("was not ready within 3 s"), "{}", stderr(&output));
    assert!(stderr(&output).contains("TLS: invalid peer certificate"), "{}", stderr(&output));
}

#[test]
fn a_scenario_hook_reports_a_metric_per_round() {
    // The hook counts its own runs, as a hook reading a service's counters would report them.
    let hook = r#"n=$(cat rounds.txt 2>/dev/null || echo 0); n=$((n + 1)); echo $n > rounds.txt; echo "{\"cache_hits\": $n}" > "$PERF_GATE_METRICS""#;
    let service = format!(
        r#"{{"name": "demo", "start": {{"command": ["{}", "--port", "{{port}}"], "ready": {{"tcp": "127.0.0.1:{{port}}"}}}},
           "scenarios": [{{"name": "load", "rate_per_sec": 20, "duration_s": 0.5, "warmup_s": 0, "rounds": 3,
             "requests": [{{"url": "http://127.0.0.1:{{port}}/health"}}],
             "hook": ["sh", "-c", {}],
             "metrics": {{"cache_hits": {{"unit": "hits", "better": "higher"}}}}}}]}}"#,
        demo_server().display(),
        serde_json::to_string(hook).unwrap()
    );
    let project = crate_without_benches(&format!(
        r#"{{"services": [{service}], "gates": [{{"metric": "demo/load.cache_hits", "operator": ">=", "threshold": 2}}]}}"#
    ));
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let hits = metric(project.path(), "demo/load", "cache_hits");
    assert_eq!(samples(&hits), [1.0, 2.0, 3.0]);
    assert_eq!((hits["unit"].as_str(), hits["compared"].as_bool()), (Some("hits"), Some(true)));

    let failing = service.replace(&serde_json::to_string(hook).unwrap(), r#""exit 9""#);
    let project = crate_without_benches(&format!(r#"{{"services": [{failing}]}}"#));
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("scenario `load`: its hook failed (exit status: 9)"), "{}", stderr(&output));
}

/// A service started by a shell that first daemonizes a grandchild (`setsid` in a subshell that
/// exits at once: the double fork, which leaves the service's process group and session), waits
/// until the daemon has recorded itself in daemon.pid, then becomes a python http.server. The
/// service records itself in service.pid.
const DAEMONIZING_SERVICE: &str = r#". ./record.sh
record service.pid
( setsid sh -c '. ./record.sh; record daemon.pid; exec sleep 300' & )
while [ ! -e daemon.pid ]; do sleep 0.01; done
exec python3 -m http.server "$1" --bind 127.0.0.1
"#;

/// A crate whose only service is [`DAEMONIZING_SERVICE`], loaded for `rounds` rounds of 0.5 s.
fn daemonizing_project(rounds: usize) -> tempfile::TempDir {
    let project = project(&format!(
        r#"{{"name": "daemonizing", "start": {{"command": ["sh", "service.sh", "{{port}}"], "ready": {{"tcp": "127.0.0.1:{{port}}", "timeout_s": 30}}}},
           "scenarios": [{{"name": "load", "rate_per_sec": 20, "duration_s": 0.5, "warmup_s": 0, "rounds": {rounds}, "requests": [{{"url": "http://127.0.0.1:{{port}}/"}}]}}]}}"#
    ));
    std::fs::write(project.path().join("record.sh"), RECORD_SH).unwrap();
    std::fs::write(project.path().join("service.sh"), DAEMONIZING_SERVICE).unwrap();
    project
}

#[test]
fn a_daemon_the_service_started_is_gone_after_the_run() {
    let project = daemonizing_project(2);
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let service = Watched::recorded(&project.path().join("service.pid"));
    let daemon = Watched::recorded(&project.path().join("daemon.pid"));
    assert!(service.gone_within(Duration::from_secs(10)), "the service {} outlived the run", service.pid);
    assert!(daemon.gone_within(Duration::from_secs(10)), "its daemon {} outlived the run", daemon.pid);
}

#[test]
fn sigkill_of_perf_gate_takes_the_service_with_it() {
    let project = daemonizing_project(1000);
    let mut child = spawn_run(project.path());
    let mut running = || child.try_wait().unwrap().is_none();
    let service = Watched::wait_recorded(&project.path().join("service.pid"), Duration::from_secs(60), &mut running);
    let daemon = Watched::wait_recorded(&project.path().join("daemon.pid"), Duration::from_secs(60), &mut running);
    // Killed under load: python logs each request it answers.
    let log = project.path().join("out/service-daemonizing.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("\"GET / HTTP/1.1\" 200") {
        assert!(Instant::now() < deadline && running(), "the service never answered");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(service.parent(), Some(child.id() as i32), "the service is perf-gate's own child");
    // SAFETY: SIGKILL to the child we spawned: nothing of perf-gate runs after this.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    assert!(service.gone_within(Duration::from_secs(10)), "the service {} outlived perf-gate's SIGKILL", service.pid);
    // Not asserted: the daemon was perf-gate's adopted orphan, and went on to init (or the next
    // subreaper) when perf-gate died; nothing of perf-gate is left to end it, the documented
    // limit (ARCHITECTURE.md, "No child process outlives the run that started it, nor
    // perf-gate"). Dropping `daemon` kills it.
    drop(daemon);
}

/// A load tool standing in for oha: 40 GETs of `url`, timed, written as oha 1.16's JSON (the
/// fields `import --format oha` reads); it counts its runs in `runs.txt`.
const FAKE_OHA: &str = r#"
import json, sys, time, urllib.request
url, out = sys.argv[1], sys.argv[2]
open("runs.txt", "a").write("run\n")
times, codes = [], {}
start = time.perf_counter()
for _ in range(40):
    t = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
        codes[str(response.status)] = codes.get(str(response.status), 0) + 1
    times.append(time.perf_counter() - t)
total = time.perf_counter() - start
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
json.dump({"summary": {"successRate": 1.0, "total": total, "slowest": times[-1], "fastest": times[0],
                       "average": sum(times) / len(times), "requestsPerSec": len(times) / total},
           "latencyPercentiles": {"p50": pick(0.5), "p90": pick(0.9), "p95": pick(0.95), "p99": pick(0.99)},
           "statusCodeDistribution": codes, "errorDistribution": {}}, open(out, "w"))
"#;

#[test]
fn a_scenario_with_import_runs_its_load_tool_once_a_round_against_the_service() {
    let service = format!(
        r#"{{"name": "demo", "start": {{"command": ["{}", "--port", "{{port}}"],
             "ready": {{"http": "http://127.0.0.1:{{port}}/health", "timeout_s": 30}}}},
           "scenarios": [{{"name": "oha", "rounds": 3,
             "import": {{"format": "oha", "path": "oha.json",
               "command": ["python3", "load.py", "http://127.0.0.1:{{port}}/checksum?n=1024", "oha.json"]}}}}]}}"#,
        demo_server().display()
    );
    let project = project(&service);
    std::fs::write(project.path().join("load.py"), FAKE_OHA).unwrap();
    let output = run(project.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(project.path().join("runs.txt")).unwrap(), "run\nrun\nrun\n");
    // Each round is a sample, tested like a scenario's own rounds.
    let p50 = metric(project.path(), "demo/oha", "p50_ms");
    assert_eq!(samples(&p50).len(), 3);
    assert!(samples(&p50).iter().all(|ms| *ms > 0.0 && *ms < 1000.0), "{p50}");
    assert!(p50.get("basis").is_none(), "samples, not one summary");
    assert_eq!(metric(project.path(), "demo/oha", "error_count")["value"], 0.0);
    assert_eq!(metric(project.path(), "demo/oha", "success_rate")["summary"]["mean"], 100.0);
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(project.path().join("out/results.json")).unwrap()).unwrap();
    assert_eq!(results["benchmarks"][0]["source"]["requests"], 120);
}
