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
