//! The real thing: `cargo bench` on the demo crate, built and run through perf-gate.
//!
//! Every test shares one target directory (`shared_target_dir`), so criterion is compiled once.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// perf-gate in a demo copy, with its own criterion home so parallel tests never see each
/// other's results.
fn perf_gate_in_copy(demo: &Path) -> assert_cmd::Command {
    let mut command = perf_gate(demo);
    command.env("CARGO_TARGET_DIR", shared_target_dir()).env("CRITERION_HOME", demo.join("criterion"));
    command
}

/// The README's first command, read from the README so the two cannot drift apart.
fn readme_main_command() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with("cargo run --release -- perf-gate")).expect("README command");
    line.split_whitespace().skip(4).map(str::to_owned).collect()
}

#[test]
fn readme_first_command_runs_the_demo() {
    let args = readme_main_command();
    assert_eq!(args[0], "perf-gate");
    let output = perf_gate(&repo()).args(&args[1..]).env("CARGO_TARGET_DIR", shared_target_dir()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    let out_dir = shared_target_dir().join("perf-gate");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap()).unwrap();
    let ids: Vec<&str> = results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "adler32_4k",
            "count_distinct/1000",
            "demo_server/checksum",
            "parse/numbers",
            "sort/insertion/256",
            "sort/std_unstable/256"
        ]
    );
    // The demo's service was loaded, its gates judged, and it was stopped.
    let service = results["benchmarks"].as_array().unwrap().iter().find(|b| b["id"] == "demo_server/checksum").unwrap();
    assert_eq!((service["source"]["kind"].as_str(), service["source"]["rounds"].as_u64()), (Some("service"), Some(5)));
    assert_eq!(service["metrics"]["success_rate"]["value"], 100.0);
    assert!(out_dir.join("service-demo_server.log").is_file());
    let source = &results["benchmarks"][0]["source"];
    assert_eq!((source["package"].as_str(), source["target"].as_str()), (Some("demo"), Some("demo_bench")));
    assert!(results["environment"]["criterion"].as_str().unwrap().starts_with("0.8"));
    assert!(results["environment"]["rustc"].as_str().unwrap().starts_with("rustc "));
    // The canary is timed before the one bench target and after it.
    assert_eq!(results["canary"]["checkpoints"].as_array().unwrap().len(), 2);
    for file in ["report.json", "summary.md", "report.html", "bench.log"] {
        assert!(out_dir.join(file).is_file(), "{file}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    let gates = report["gates"].as_array().unwrap();
    assert!(gates.len() >= 4, "the demo config's gates were evaluated: {gates:?}");
    assert!(stdout(&output).contains("PASS"), "{}", stdout(&output));
    // Streamed criterion output goes to stderr, never into the summary on stdout.
    assert!(stderr(&output).contains("Benchmarking") || stderr(&output).contains("time:"), "{}", stderr(&output));
    assert!(!stdout(&output).contains("Benchmarking"));
}

#[test]
fn a_bench_that_does_not_compile_is_exit_3() {
    let demo = demo_copy("broken", |dir| {
        let lib = dir.join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        std::fs::write(lib, format!("{text}\npub fn broken() -> u32 {{ \"not a number\" }}\n")).unwrap();
    });
    let output = perf_gate_in_copy(demo.path()).arg("--quiet").output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let stderr = stderr(&output);
    assert!(stderr.contains("building the benches failed"), "{stderr}");
    assert!(stderr.contains("mismatched types"), "the compiler's error is shown: {stderr}");
}

#[test]
fn a_bench_that_panics_is_exit_3_with_its_output() {
    let demo = demo_copy("panics", |dir| {
        let bench = dir.join("benches/demo_bench.rs");
        let text = std::fs::read_to_string(&bench).unwrap();
        let text = text.replace(
            "fn bench_checksum(c: &mut Criterion) {",
            "fn bench_checksum(c: &mut Criterion) {\n    panic!(\"the bench broke on purpose\");",
        );
        std::fs::write(bench, text).unwrap();
    });
    let output = perf_gate_in_copy(demo.path()).arg("--quiet").output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let stderr = stderr(&output);
    assert!(stderr.contains("bench `demo_bench` of package `demo_panics` failed"), "{stderr}");
    assert!(stderr.contains("the bench broke on purpose"), "{stderr}");
}

#[test]
fn bench_arguments_reach_criterion_and_stale_results_are_ignored() {
    let demo = demo_copy("filtered", without_services);
    let out = demo.path().join("out");
    let quick = ["--", "--warm-up-time", "0.1", "--measurement-time", "0.2"];
    let ids = || -> Vec<String> {
        let text = std::fs::read_to_string(out.join("results.json")).unwrap();
        let results: serde_json::Value = serde_json::from_str(&text).unwrap();
        results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().to_owned()).collect()
    };
    // From another directory, with a relative criterion dir: the benches (which cargo runs in
    // the package's directory) must write where perf-gate reads.
    std::fs::create_dir_all(&out).unwrap();
    perf_gate_in_copy(demo.path())
        .current_dir(&out)
        .args(["--quiet", "--manifest-path", "../Cargo.toml", "--criterion-dir", "criterion", "--out-dir", "."])
        .args(quick)
        .assert()
        .code(0);
    assert_eq!(ids().len(), 5);
    assert!(out.join("criterion/adler32_4k/new/sample.json").is_file());
    perf_gate_in_copy(demo.path()).args(["--quiet", "--out-dir"]).arg(&out).args(quick).assert().code(0);
    assert_eq!(ids().len(), 5);
    // A criterion filter runs one benchmark. The other four directories are from the run before
    // and must not be collected as if they had been measured now.
    let output = perf_gate_in_copy(demo.path())
        .args(["--quiet", "--out-dir"])
        .arg(&out)
        .args(quick)
        .arg("adler32")
        .output()
        .unwrap();
    assert_eq!(ids(), ["adler32_4k"]);
    assert_eq!(output.status.code(), Some(1), "the demo's sort gate now matches nothing: {}", stderr(&output));
    // An SLO environment's multiplier reaches criterion as its sample size (100 x 0.2), and the
    // results say which environment they were measured in.
    let config_path = demo.path().join("benchmark-config.json");
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["slos"] = serde_json::json!({"environments": {"quick": {"sample_size_multiplier": 0.2}}});
    std::fs::write(&config_path, config.to_string()).unwrap();
    perf_gate_in_copy(demo.path())
        .args(["--quiet", "--environment", "quick", "--out-dir"])
        .arg(&out)
        .args(quick)
        .arg("adler32")
        .output()
        .unwrap();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["benchmarks"][0]["metrics"]["time"]["samples"].as_array().map(Vec::len), Some(20));
    assert_eq!(results["slo_environment"]["name"], "quick");
    config.as_object_mut().unwrap().remove("slos");
    std::fs::write(&config_path, config.to_string()).unwrap();
    // A filter that matches nothing is the user's mistake, said as such, with the nearest ids.
    let output = perf_gate_in_copy(demo.path())
        .args(["--quiet", "--out-dir"])
        .arg(&out)
        .args(quick)
        .arg("adler33_4k")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("the filter `adler33_4k` after `--` matches none of the 5 benchmarks of the selected bench targets; nearest: adler32_4k"),
        "{err}"
    );
    assert!(!err.contains("harness = false"), "{err}");
}

#[test]
fn merging_every_shard_gives_the_unsharded_suite() {
    let demo = demo_copy("sharded", without_services);
    let quick = ["--", "--warm-up-time", "0.1", "--measurement-time", "0.2"];
    let ids = |results: &Path| -> Vec<String> {
        let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
        results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().to_owned()).collect()
    };
    let whole = demo.path().join("whole");
    perf_gate_in_copy(demo.path()).args(["--quiet", "--out-dir"]).arg(&whole).args(quick).assert().code(0);
    let mut shard_files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let out = demo.path().join(format!("shard{}", &shard[..1]));
        let output = perf_gate_in_copy(demo.path())
            .args(["--quiet", "--shard", shard, "--out-dir"])
            .arg(&out)
            .args(quick)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
        assert_eq!(format!("{}/{}", results["shard"]["index"], results["shard"]["count"]), shard);
        assert!(!out.join("report.json").exists(), "a shard is checked only once merged");
        shard_files.push(out.join("results.json"));
    }
    // Five benchmarks dealt round-robin: three and two, none in both.
    let (first, second) = (ids(&shard_files[0]), ids(&shard_files[1]));
    assert_eq!((first.len(), second.len()), (3, 2), "{first:?} {second:?}");
    assert!(first.iter().all(|id| !second.contains(id)));

    let merged = demo.path().join("merged.json");
    perf_gate(demo.path()).arg("merge").args(&shard_files).arg("-o").arg(&merged).assert().code(0);
    assert_eq!(ids(&merged), ids(&whole.join("results.json")));
    let repeated = perf_gate(demo.path())
        .arg("merge")
        .args([&shard_files[0], &shard_files[0]])
        .args(["-o", "x.json"])
        .output()
        .unwrap();
    assert_eq!(repeated.status.code(), Some(2));
    assert!(stderr(&repeated).contains("is in both"), "{}", stderr(&repeated));
    // The merged file is gated like an unsharded run.
    perf_gate(demo.path())
        .args(["check", "--results"])
        .arg(&merged)
        .arg("--config")
        .arg(demo.path().join("benchmark-config.json"))
        .assert()
        .code(0);
}

/// Whether `pid` is a live process (a zombie waiting to be reaped counts as gone).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_stops_the_benches_and_leaves_no_report() {
    let demo = demo_copy("endless", |dir| {
        let bench = r#"
use criterion::{criterion_group, criterion_main, Criterion};

// Records its pid, then takes far longer than any test waits.
fn endless(c: &mut Criterion) {
    std::fs::write(std::env::var("PID_FILE").unwrap(), std::process::id().to_string()).unwrap();
    c.bench_function("endless", |b| b.iter(|| std::thread::sleep(std::time::Duration::from_millis(50))));
}

criterion_group!(benches, endless);
criterion_main!(benches);
"#;
        std::fs::write(dir.join("benches/demo_bench.rs"), bench).unwrap();
    });
    let pid_file = demo.path().join("bench.pid");
    let out_dir = demo.path().join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-perf-gate"))
        .args(["perf-gate", "--quiet", "--out-dir"])
        .arg(&out_dir)
        .current_dir(demo.path())
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", demo.path().join("criterion"))
        .env("PID_FILE", &pid_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Building may wait for the other tests' builds: allow it minutes, then give up.
    let deadline = Instant::now() + Duration::from_secs(600);
    let bench_pid: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file).ok().and_then(|t| t.trim().parse().ok()) {
            break pid;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("perf-gate ended before the bench started: {status}");
        }
        assert!(Instant::now() < deadline, "the bench never started");
        std::thread::sleep(Duration::from_millis(100));
    };
    // SAFETY: sends SIGINT to the child we spawned, as a terminal's Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("perf-gate did not stop within 30 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(bench_pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(bench_pid), "the bench process {bench_pid} survived");
    for file in ["results.json", "report.json", "summary.md", "report.html"] {
        assert!(!out_dir.join(file).exists(), "{file} was written");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".perf-gate-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
