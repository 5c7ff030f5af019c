//! `import`, through the real binary: another tool's file becomes a results.json that `check`
//! gates and compares like any other.

mod common;

use common::{fixture, perf_gate, stderr};
use serde_json::Value;

#[test]
fn a_hyperfine_export_is_imported_gated_and_compared() {
    let temp = tempfile::tempdir().unwrap();
    let output = perf_gate(temp.path())
        .args(["import", "-o", "imported.json"])
        .arg(fixture("import/hyperfine-1.15.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("hyperfine-1.15.json: 2 benchmarks, read as hyperfine"), "{}", stderr(&output));
    let results: Value = serde_json::from_slice(&std::fs::read(temp.path().join("imported.json")).unwrap()).unwrap();
    let ids: Vec<&str> = results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["exits/3", "sleep/5ms"]);
    assert_eq!(results["benchmarks"][1]["source"]["kind"], "hyperfine");

    // A gate on it, and the file against itself as the baseline: nothing changed.
    std::fs::write(
        temp.path().join("config.json"),
        r#"{"gates": [{"metric": "sleep/5ms.mean_ms", "operator": "<", "threshold": 1000},
                      {"metric": "exits/3.exit_failures", "operator": "==", "threshold": 0, "severity": "Warning"}]}"#,
    )
    .unwrap();
    let output = perf_gate(temp.path())
        .args(["check", "--results", "imported.json", "--baseline", "imported.json", "--config", "config.json"])
        .args(["--out-dir", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&std::fs::read(temp.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(
        (report["counts"]["gates_passed"].as_u64(), report["counts"]["gates_failed_warning"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["counts"]["unchanged"].as_u64(), Some(2));
}

#[test]
fn a_file_that_cannot_be_imported_is_exit_2_naming_it_and_what_was_expected() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("bad.json"), r#"{"results": [{"command": "a", "times": "x"}]}"#).unwrap();
    let output = perf_gate(temp.path()).args(["import", "--format", "hyperfine", "bad.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("bad.json: at `results[0].times`: not hyperfine's format")
            && message.contains("(reading it as hyperfine)"),
        "{message}"
    );
    assert!(!temp.path().join("results.json").exists(), "nothing written");
    // The same benchmark id in two files.
    let file = fixture("import/hyperfine-1.15.json");
    let output = perf_gate(temp.path()).arg("import").arg(&file).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("benchmark `sleep/5ms` is also in"), "{}", stderr(&output));
}

#[test]
fn files_of_different_tools_are_imported_together() {
    let temp = tempfile::tempdir().unwrap();
    let output = perf_gate(temp.path())
        .arg("import")
        .arg(fixture("import/hyperfine-1.15.json"))
        .arg(fixture("import/cargo-criterion-1.1.jsonl"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cargo-criterion-1.1.jsonl: 5 benchmarks, read as cargo-criterion"),
        "{}",
        stderr(&output)
    );
    std::fs::write(
        temp.path().join("config.json"),
        r#"{"gates": [{"metric": "parse/numbers.throughput_bytes_per_sec", "operator": ">=", "threshold": 1e6}]}"#,
    )
    .unwrap();
    let output = perf_gate(temp.path())
        .args(["check", "--results", "results.json", "--config", "config.json", "--out-dir", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&std::fs::read(temp.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report["current"]["benchmarks"].as_u64(), Some(7));
    assert_eq!(report["gates"][0]["status"], "passed");
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Imports `file` (a fixture path or a file in `dir`) into `dir/out_name`.
fn import(dir: &std::path::Path, args: &[&str], out_name: &str) {
    let output = perf_gate(dir).arg("import").args(["-o", out_name]).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
}

/// `check` of `current` against `baseline` with `config`; the exit code and report.json.
fn check(dir: &std::path::Path, current: &str, baseline: &str, config: &str) -> (Option<i32>, Value) {
    std::fs::write(dir.join("config.json"), config).unwrap();
    let output = perf_gate(dir)
        .args(["check", "--results", current, "--baseline", baseline, "--config", "config.json", "--out-dir", "out"])
        .output()
        .unwrap();
    assert!(dir.join("out/report.json").exists(), "{config}: {}", stderr(&output));
    (output.status.code(), read_json(&dir.join("out/report.json")))
}

#[test]
fn every_format_is_detected_imported_gated_and_compared_with_itself() {
    // (fixture, kind, a metric its first benchmark records, how its values are compared)
    let cases = [
        ("libtest-1.95.txt", "libtest", "time", Some("stated_spread")),
        ("libtest-1.95.jsonl", "libtest", "time", Some("stated_spread")),
        ("gungraun-0.20.0.jsonl", "gungraun", "instructions", Some("deterministic")),
        ("iai-callgrind-0.16.1.jsonl", "gungraun", "instructions", Some("deterministic")),
        ("bmf-bencher-mock.json", "bmf", "time", Some("stated_spread")),
        ("k6-1.1.0-summary.json", "k6", "p50_ms", Some("summary")),
        ("oha-1.16.0.json", "oha", "p99_ms", Some("summary")),
        ("hyperfine-1.15.json", "hyperfine", "time", None),
        ("cargo-criterion-1.1.jsonl", "cargo_criterion", "time", None),
    ];
    for (file, kind, metric, direct) in cases {
        let temp = tempfile::tempdir().unwrap();
        import(temp.path(), &[fixture(&format!("import/{file}")).to_str().unwrap()], "imported.json");
        let results = read_json(&temp.path().join("imported.json"));
        let first = &results["benchmarks"][0];
        assert_eq!(first["source"]["kind"], kind, "{file}");
        let id = first["id"].as_str().unwrap();
        let gated = if metric == "time" { "mean_ns" } else { metric };
        let config = format!(r#"{{"gates": [{{"metric": "{id}.{gated}", "operator": ">", "threshold": 0}}]}}"#);
        let (code, report) = check(temp.path(), "imported.json", "imported.json", &config);
        assert_eq!(code, Some(0), "{file}: {report}");
        assert_eq!(report["gates"][0]["status"], "passed", "{file}");
        let compared: Vec<&Value> = report["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id && c["metric"] == metric)
            .collect();
        assert_eq!(compared.len(), 1, "{file}: {metric} is compared");
        assert_eq!(compared[0]["verdict"], "unchanged", "{file}");
        assert_eq!(compared[0]["direct"].as_str(), direct, "{file}");
    }
}

#[test]
fn a_libtest_slowdown_clear_of_its_spread_regresses_and_one_within_it_does_not() {
    let temp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(temp.path().join(name), text).unwrap();
    write(
        "base.txt",
        "test parse ... bench:       1,000 ns/iter (+/- 20)\ntest noisy ... bench:     500 ns/iter (+/- 200)\n",
    );
    write(
        "head.txt",
        "test parse ... bench:       1,100 ns/iter (+/- 20)\ntest noisy ... bench:     600 ns/iter (+/- 200)\n",
    );
    import(temp.path(), &["base.txt"], "base.json");
    import(temp.path(), &["head.txt"], "head.json");
    let (code, report) = check(temp.path(), "head.json", "base.json", "{}");
    assert_eq!(code, Some(1), "a regression fails the run");
    let verdict = |id: &str| report["comparisons"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(verdict("parse")["verdict"], "regressed");
    assert_eq!(verdict("noisy")["verdict"], "unchanged", "+20 % but within libtest's +/- 200");
    assert!(verdict("noisy")["reason"].as_str().unwrap().contains("within the stated spread"));
    // The reports say how these were compared.
    let summary = std::fs::read_to_string(temp.path().join("out/summary.md")).unwrap();
    assert!(
        summary.contains("No test for 2 metrics (2 summaries with a stated spread, a change counted only clear of it)"),
        "{summary}"
    );
}

#[test]
fn gungraun_counts_regress_by_the_threshold_alone() {
    // The fixture's second run made fibonacci 15 % cheaper: as the baseline, the first run's
    // counts (the `old` values) are higher.
    let temp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("import/gungraun-0.20.0.jsonl")).unwrap();
    let first_run = text.replace(r#""values":{"new":"#, r#""values":{"was":"#).replace(r#","old":"#, r#","new":"#);
    std::fs::write(temp.path().join("old.jsonl"), first_run).unwrap();
    import(temp.path(), &["old.jsonl"], "old.json");
    import(temp.path(), &[fixture("import/gungraun-0.20.0.jsonl").to_str().unwrap()], "new.json");
    // Old against new: every fibonacci case costs 18 % more instructions.
    let (code, report) = check(temp.path(), "old.json", "new.json", "{}");
    assert_eq!(code, Some(1), "{report}");
    let instructions: Vec<(String, String)> = report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "instructions")
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["verdict"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        instructions,
        [
            ("my_bench::my_group::bench_fibonacci.long".to_owned(), "regressed".to_owned()),
            ("my_bench::my_group::bench_fibonacci.short".to_owned(), "regressed".to_owned()),
            ("my_bench::my_group::bench_sum_to".to_owned(), "unchanged".to_owned()),
        ]
    );
}

#[test]
fn export_writes_bmf_and_openmetrics_of_a_results_file_and_check_can_write_them_too() {
    let temp = tempfile::tempdir().unwrap();
    import(temp.path(), &[fixture("import/hyperfine-1.15.json").to_str().unwrap()], "results.json");
    let export = |format: &str, out: &str| {
        perf_gate(temp.path())
            .args(["export", "--format", format, "--results", "results.json", "-o", out])
            .output()
            .unwrap()
    };
    let output = export("bmf", "bmf.json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bmf = read_json(&temp.path().join("bmf.json"));
    let latency = &bmf["sleep/5ms"]["latency"];
    assert!(latency["lower_value"].as_f64().unwrap() < latency["value"].as_f64().unwrap());
    // BMF back in: the same benchmarks.
    import(temp.path(), &["--format", "bmf", "bmf.json"], "again.json");
    assert_eq!(read_json(&temp.path().join("again.json"))["benchmarks"].as_array().unwrap().len(), 2);
    let output = export("openmetrics", "metrics.prom");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let prom = std::fs::read_to_string(temp.path().join("metrics.prom")).unwrap();
    assert!(
        prom.contains("perf_gate_value{benchmark=\"sleep/5ms\",metric=\"time\",unit=\"ns\"}")
            && prom.ends_with("# EOF\n")
    );
    // --results with a rows format, and a file that is not results.
    let output =
        perf_gate(temp.path()).args(["export", "--format", "csv", "--results", "results.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--results and --run export one run"), "{}", stderr(&output));
    let output = export("bmf", "x.json");
    assert_eq!(output.status.code(), Some(0));
    std::fs::write(temp.path().join("results.json"), "{").unwrap();
    let output = export("bmf", "y.json");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("results.json"), "{}", stderr(&output));
    assert!(!temp.path().join("y.json").exists());
    // `reporting.bmf` and `reporting.openmetrics` in a check.
    import(temp.path(), &[fixture("import/hyperfine-1.15.json").to_str().unwrap()], "results.json");
    let config = r#"{"reporting": {"bmf": true, "openmetrics": true}}"#;
    let (code, _) = check(temp.path(), "results.json", "results.json", config);
    assert_eq!(code, Some(0));
    assert!(read_json(&temp.path().join("out/results.bmf.json"))["sleep/5ms"]["latency"].is_object());
    let prom = std::fs::read_to_string(temp.path().join("out/results.prom")).unwrap();
    assert!(
        prom.contains(
            "perf_gate_change_percent{benchmark=\"sleep/5ms\",metric=\"time\",unit=\"ns\",verdict=\"unchanged\"} 0"
        ),
        "{prom}"
    );
}

#[test]
fn the_options_name_and_direction_what_the_files_do_not() {
    let temp = tempfile::tempdir().unwrap();
    let k6 = fixture("import/k6-1.1.0-summary.json");
    import(temp.path(), &["--name", "checkout", k6.to_str().unwrap()], "named.json");
    assert_eq!(read_json(&temp.path().join("named.json"))["benchmarks"][0]["id"], "checkout");
    import(temp.path(), &[k6.to_str().unwrap()], "stem.json");
    assert_eq!(read_json(&temp.path().join("stem.json"))["benchmarks"][0]["id"], "k6-1.1.0-summary", "the file's stem");
    std::fs::write(temp.path().join("gab.json"), r#"[{"name": "rps", "unit": "req/s", "value": 70}]"#).unwrap();
    import(temp.path(), &["--higher-is-better", "value", "gab.json"], "gab-out.json");
    assert_eq!(read_json(&temp.path().join("gab-out.json"))["benchmarks"][0]["metrics"]["value"]["better"], "higher");
    let output = perf_gate(temp.path()).args(["import", "--name", " ", "gab.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_recorded_run_exports_as_bmf_with_its_exact_counts() {
    let temp = tempfile::tempdir().unwrap();
    import(temp.path(), &[fixture("import/gungraun-0.20.0.jsonl").to_str().unwrap()], "counts.json");
    let history = ["--history", "history.db"];
    let output = perf_gate(temp.path()).arg("record").args(history).arg("counts.json").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = perf_gate(temp.path()).args(["export", "--format", "bmf"]).args(history).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bmf: Value = serde_json::from_slice(&output.stdout).unwrap();
    // 186,839 instructions, as counted: the store keeps exact values exactly.
    assert_eq!(bmf["my_bench::my_group::bench_fibonacci.long"]["instructions"], serde_json::json!({"value": 186839.0}));
    let output = perf_gate(temp.path())
        .args(["export", "--format", "openmetrics", "--run", "7"])
        .args(history)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--run 7: no recorded run has that id"), "{}", stderr(&output));
}
