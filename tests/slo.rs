//! `slo`, `slo validate` and the SLOs in `check`, through the real binary.

mod common;

use common::{collect_fixture, fixture, perf_gate, stderr, stdout};
use serde_json::Value;

#[test]
fn slo_prints_the_objectives_in_effect_and_validate_judges_one_value() {
    let temp = tempfile::tempdir().unwrap();
    let config = fixture("configs/slos.json");
    let output = perf_gate(temp.path()).args(["slo", "--config"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("environment: production (slack x1, sample size x1)"), "{table}");
    assert!(table.contains("sorting   sort/**  median_ns                 <= 1000 ns"), "{table}");
    // The environment loosens each target in its worse direction, in JSON too.
    let output = perf_gate(temp.path())
        .args(["slo", "--format", "json", "--config"])
        .arg(&config)
        .env("PERF_GATE_ENVIRONMENT", "lenient")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let parsing = &json["categories"][0]["objectives"];
    assert_eq!(
        (parsing[0]["metric"].as_str(), parsing[0]["effective_target"].as_f64()),
        (Some("p95_us"), Some(1000.0))
    );
    assert_eq!(parsing[1]["effective_target"].as_f64(), Some(1e5), "a minimum is divided");

    let validate = |args: &[&str]| {
        let output =
            perf_gate(temp.path()).args(["slo", "validate"]).args(args).arg("--config").arg(&config).output().unwrap();
        (output.status.code(), stdout(&output), stderr(&output))
    };
    let (code, out, _) = validate(&["parsing", "p95_us", "96"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("status       PASS") && out.contains("level        OK") && out.contains("degradation  -4.0%"),
        "{out}"
    );
    let (code, out, _) = validate(&["sorting", "median_ns", "1200"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("status       FAIL") && out.contains("level        WARNING") && out.contains("+20.0%"),
        "{out}"
    );
    let (code, _, err) = validate(&["sortin", "median_ns", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no category named `sortin`; did you mean `sorting`?"), "{err}");
    let (code, _, err) = validate(&["sorting", "mean_ns", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no objective of `sorting` named `mean_ns`") && err.contains("known: median_ns"), "{err}");
    let (code, _, err) = validate(&["sorting", "median_ns", "1", "--environment", "prod"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no environment named `prod`") && err.contains("lenient, production"), "{err}");
}

#[test]
fn check_judges_the_slos_in_the_environment_and_records_it() {
    let temp = tempfile::tempdir().unwrap();
    let pr = collect_fixture(temp.path(), "pr", &temp.path().join("pr"));
    let check = |environment: Option<&str>, out: &str| {
        let mut command = perf_gate(temp.path());
        command.args(["check", "--config"]).arg(fixture("configs/slos.json")).arg("--results").arg(&pr);
        command.arg("--out-dir").arg(temp.path().join(out));
        if let Some(environment) = environment {
            command.args(["--environment", environment]);
        }
        let output = command.output().unwrap();
        let report = std::fs::read(temp.path().join(out).join("report.json")).ok();
        (output.status.code(), report.map(|r| serde_json::from_slice::<Value>(&r).unwrap()), stderr(&output))
    };
    // Production: the sorts are 7.6 and 1.2 µs against 1 µs, critical; the run fails.
    let (code, report, err) = check(None, "production");
    assert_eq!(code, Some(1), "{err}");
    let slo = &report.unwrap()["slo"];
    assert_eq!(slo["environment"]["name"], "production");
    let sorting = &slo["categories"][1];
    assert_eq!(sorting["name"], "sorting");
    assert_eq!(sorting["compliance"]["worst_level"], "CRITICAL");
    assert_eq!(sorting["objectives"][0]["status"], "FAIL");
    // Lenient: every target ten times looser; the sorts pass, and so does the run.
    let (code, report, err) = check(Some("lenient"), "lenient");
    assert_eq!(code, Some(0), "{err}");
    let slo = &report.unwrap()["slo"];
    assert_eq!(
        (slo["environment"]["name"].as_str(), slo["compliance"]["percent"].as_f64()),
        (Some("lenient"), Some(100.0))
    );
    // Recorded, the SLO checks reach the history, and `release` sums them up.
    let history = temp.path().join("history.db");
    let recorded = perf_gate(temp.path())
        .args(["check", "--record", "--config"])
        .arg(fixture("configs/slos.json"))
        .arg("--results")
        .arg(&pr)
        .args(["--out-dir"])
        .arg(temp.path().join("recorded"))
        .env("PERF_GATE_HISTORY", &history)
        .output()
        .unwrap();
    assert_eq!(recorded.status.code(), Some(1), "{}", stderr(&recorded));
    let tagged = perf_gate(temp.path())
        .args(["record", "--release", "v1", "--history"])
        .arg(&history)
        .arg(&pr)
        .output()
        .unwrap();
    assert_eq!(tagged.status.code(), Some(0), "{}", stderr(&tagged));
    let connection = rusqlite::Connection::open(&history).unwrap();
    let (checks, passed, critical): (i64, i64, i64) = connection
        .query_row("SELECT count(*), sum(passed), sum(level = 'CRITICAL') FROM slo_checks", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((checks, passed, critical), (4, 2, 1), "parse/numbers twice passing, the two sorts failing");
    let environment: Option<String> =
        connection.query_row("SELECT slo_environment FROM runs WHERE verdict IS NOT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(environment.as_deref(), Some("production"));
    connection.execute("UPDATE runs SET release = 'v1'", []).unwrap();
    drop(connection);
    let release = perf_gate(temp.path()).args(["release", "v1", "--history"]).arg(&history).output().unwrap();
    assert!(stdout(&release).contains("SLO compliance 50.0% of 4 SLO checks (1 CRITICAL)"), "{}", stdout(&release));
    // An unknown environment: exit 2, no report.
    let (code, report, err) = check(Some("staging"), "staging");
    assert_eq!((code, report.is_none()), (Some(2), true));
    assert!(err.contains("--environment: no environment named `staging`"), "{err}");
}

/// Without `--config`, `slo` and `check` read benchmark-config.json here, else the one at the
/// workspace root around here.
#[test]
fn the_config_is_found_at_the_workspace_root_from_a_subdirectory() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("src/deep")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "").unwrap();
    std::fs::copy(fixture("configs/slos.json"), root.join("benchmark-config.json")).unwrap();
    let output = perf_gate(&root.join("src/deep")).arg("slo").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("sorting   sort/**  median_ns"), "{}", stdout(&output));
    // Outside any workspace and without a config here: a usage error that says what to do.
    let bare = tempfile::tempdir().unwrap();
    let output = perf_gate(bare.path()).arg("slo").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no config file at benchmark-config.json: pass --config FILE"),
        "{}",
        stderr(&output)
    );
}
