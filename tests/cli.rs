//! The real binary on real criterion output (tests/fixtures/criterion, two saved baselines of
//! the demo where `parse/numbers` is 3x slower in `pr`) and on crafted broken inputs.

mod common;

use std::path::Path;

use common::*;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `check --results RESULTS --config tests/fixtures/CONFIG`, ready for more arguments.
fn check_with(cwd: &Path, results: &Path, config: &str) -> assert_cmd::Command {
    let mut command = perf_gate(cwd);
    command.args(["check", "--results"]).arg(results).arg("--config").arg(fixture(config));
    command
}

/// Collects `main` and `pr` and checks `pr` against `main` with `config`.
fn check_pr_against_main(temp: &Path, config: &str, extra: &[&str]) -> std::process::Output {
    let main = collect_fixture(temp, "main", &temp.join("main"));
    let pr = collect_fixture(temp, "pr", &temp.join("pr"));
    perf_gate(temp)
        .arg("check")
        .arg("--results")
        .arg(&pr)
        .arg("--baseline")
        .arg(&main)
        .arg("--config")
        .arg(fixture(config))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn collects_real_criterion_output_into_the_results_contract() {
    let temp = tempfile::tempdir().unwrap();
    let results = json(&collect_fixture(temp.path(), "main", temp.path()));
    assert_eq!(results["schema_version"], 1);
    assert_eq!(results["tool"]["name"], "cargo-perf-gate");
    let ids: Vec<&str> = results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["adler32_4k", "count_distinct/1000", "parse/numbers", "sort/insertion/256", "sort/std_unstable/256"]
    );
    let parse = &results["benchmarks"][2];
    assert_eq!(parse["source"]["kind"], "criterion");
    assert_eq!(parse["source"]["baseline"], "main");
    let time = &parse["metrics"]["time"];
    assert_eq!(time["unit"], "ns");
    assert_eq!(time["better"], "lower");
    assert_eq!(time["samples"].as_array().unwrap().len(), time["summary"]["n"].as_u64().unwrap() as usize);
    assert_eq!(parse["metrics"]["throughput"]["unit"], "bytes/s");
    assert_eq!(parse["metrics"]["throughput"]["compared"], false);
    assert_eq!(results["benchmarks"][1]["metrics"]["throughput"]["unit"], "elements/s");
    for key in ["os", "arch", "cores"] {
        assert!(!results["environment"][key].is_null(), "{key}");
    }
}

#[test]
fn a_3x_slowdown_is_a_regression_and_the_rest_is_unchanged() {
    let temp = tempfile::tempdir().unwrap();
    let output = check_pr_against_main(temp.path(), "configs/none.json", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&temp.path().join("pr/report.json"));
    assert_eq!(report["verdict"], "fail");
    let verdicts: Vec<(String, String)> = report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["verdict"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("adler32_4k", "unchanged"),
        ("count_distinct/1000", "unchanged"),
        ("parse/numbers", "regressed"),
        ("sort/insertion/256", "unchanged"),
        ("sort/std_unstable/256", "unchanged"),
    ];
    assert_eq!(verdicts, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    let parse = &report["comparisons"][2];
    let change = parse["change_percent"].as_f64().unwrap();
    assert!((150.0..250.0).contains(&change), "{change}");
    assert!(stdout(&output).contains("parse/numbers"), "{}", stdout(&output));
    for file in ["report.json", "summary.md", "report.html"] {
        assert!(temp.path().join("pr").join(file).is_file(), "{file}");
    }
}

#[test]
fn a_regression_only_warns_without_fail_on_regression() {
    let temp = tempfile::tempdir().unwrap();
    let output = check_pr_against_main(temp.path(), "configs/json-only.json", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&temp.path().join("pr/report.json"))["verdict"], "warn");
    let output = check_pr_against_main(temp.path(), "configs/json-only.json", &["--strict"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn reporting_switches_choose_the_files_and_remove_stale_ones() {
    let temp = tempfile::tempdir().unwrap();
    let output = check_pr_against_main(temp.path(), "configs/none.json", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(temp.path().join("pr/summary.md").exists());
    assert!(!temp.path().join("pr/results.csv").exists(), "results.csv is off by default");
    let csv_config = temp.path().join("csv.json");
    std::fs::write(&csv_config, r#"{"reporting": {"csv": true, "html": false}}"#).unwrap();
    check_pr_against_main(temp.path(), csv_config.to_str().unwrap(), &[]);
    // The documented columns and every value, against a committed file: the contract.
    let csv = std::fs::read_to_string(temp.path().join("pr/results.csv")).unwrap();
    assert_eq!(csv, std::fs::read_to_string(fixture("csv/results.csv")).unwrap());
    let parse = csv.lines().find(|l| l.starts_with("parse/numbers,time,")).unwrap();
    assert!(parse.contains(",lower,") && parse.contains(",regressed,"), "{parse}");
    check_pr_against_main(temp.path(), "configs/json-only.json", &[]);
    assert!(temp.path().join("pr/report.json").exists());
    assert!(!temp.path().join("pr/summary.md").exists());
    assert!(!temp.path().join("pr/report.html").exists());
    assert!(!temp.path().join("pr/results.csv").exists());
}

#[test]
fn same_results_on_both_sides_pass() {
    let temp = tempfile::tempdir().unwrap();
    let main = collect_fixture(temp.path(), "main", temp.path());
    check_with(temp.path(), &main, "configs/gates.json").arg("--baseline").arg(&main).assert().code(0);
    let report = json(&temp.path().join("report.json"));
    assert_eq!(report["verdict"], "warn", "the Warning gate fails, nothing else");
    assert_eq!(report["counts"]["unchanged"], 5);
    assert_eq!(report["counts"]["gates_failed_warning"], 1);
    assert_eq!(report["counts"]["gates_failed_blocking"], 0);
}

#[test]
fn gate_severities_and_strict_decide_the_exit_code() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", temp.path());
    let check = |config: &str, strict: bool| {
        let mut command = check_with(temp.path(), &results, config);
        if strict {
            command.arg("--strict");
        }
        command.output().unwrap().status.code()
    };
    assert_eq!(check("configs/blocking-fail.json", false), Some(1));
    assert_eq!(check("configs/warning-fail.json", false), Some(0));
    assert_eq!(check("configs/warning-fail.json", true), Some(1));
    assert_eq!(check("configs/none.json", true), Some(0));
}

#[test]
fn a_gate_that_matches_nothing_fails_and_names_the_nearest() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", temp.path());
    let output = check_with(temp.path(), &results, "configs/unmatched.json").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json(&temp.path().join("report.json"));
    let message = report["gates"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("matches no benchmark") && message.contains("nearest: parse/numbers.mean_ns"),
        "{message}"
    );
}

#[test]
fn no_baseline_says_why_in_every_report() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", temp.path());
    perf_gate(temp.path()).args(["check", "--results"]).arg(&results).assert().code(0);
    let report = json(&temp.path().join("report.json"));
    assert!(report["comparison_skipped"].as_str().unwrap().contains("--baseline"));
    for file in ["summary.md", "report.html"] {
        let text = std::fs::read_to_string(temp.path().join(file)).unwrap();
        assert!(text.contains("--baseline"), "{file}");
    }
}

#[test]
fn environment_mismatch_is_warned_about() {
    let temp = tempfile::tempdir().unwrap();
    let main = collect_fixture(temp.path(), "main", &temp.path().join("main"));
    let mut other = json(&main);
    other["environment"]["cpu_model"] = "Some Other CPU".into();
    let other_path = temp.path().join("other.json");
    std::fs::write(&other_path, other.to_string()).unwrap();
    perf_gate(temp.path()).args(["check", "--results"]).arg(&main).arg("--baseline").arg(&other_path).assert().code(0);
    let report = json(&temp.path().join("main/report.json"));
    assert_eq!(report["environment_differences"][0]["field"], "cpu_model");
    let summary = std::fs::read_to_string(temp.path().join("main/summary.md")).unwrap();
    assert!(summary.contains("different environment"), "{summary}");
}

#[test]
fn summary_markdown_snapshot() {
    let temp = tempfile::tempdir().unwrap();
    let output = check_pr_against_main(temp.path(), "configs/gates.json", &[]);
    assert_eq!(output.status.code(), Some(1));
    let summary = std::fs::read_to_string(temp.path().join("pr/summary.md")).unwrap();
    snapshot_settings().bind(|| insta::assert_snapshot!("summary_pr_vs_main", redact(&summary, temp.path())));
    snapshot_settings().bind(|| insta::assert_snapshot!("terminal_pr_vs_main", redact(&stdout(&output), temp.path())));
}

#[test]
fn report_json_snapshot() {
    let temp = tempfile::tempdir().unwrap();
    check_pr_against_main(temp.path(), "configs/gates.json", &[]);
    let report = json(&temp.path().join("pr/report.json"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("report_pr_vs_main", report, {
            ".tool.version" => "[VERSION]",
            ".current.created_at" => "[TIME]",
            ".baseline.created_at" => "[TIME]",
            ".current.git" => "[GIT]",
            ".baseline.git" => "[GIT]",
            ".baseline.origin.source" => "[FILE]",
            ".baseline.origin.age_seconds" => "[AGE]",
        })
    });
}

#[test]
fn broken_criterion_output_is_exit_2_naming_the_directory() {
    let temp = tempfile::tempdir().unwrap();
    let cases = [
        ("criterion-broken/legacy-0.3.2", "0.3.3"),
        ("criterion-broken/half-written", "sample.json"),
        ("criterion-broken/mismatched", "iters"),
        ("criterion-broken/empty", "no criterion results"),
        ("does-not-exist", "does-not-exist"),
    ];
    for (dir, expected) in cases {
        let output = perf_gate(temp.path())
            .args(["run", "--no-run", "--criterion-dir"])
            .arg(fixture(dir))
            .arg("--out-dir")
            .arg(temp.path())
            .output()
            .unwrap();
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{dir}: {stderr}");
        assert!(stderr.contains(expected), "{dir}: {stderr}");
        assert!(!temp.path().join("results.json").exists(), "{dir}");
    }
}

#[test]
fn every_criterion_version_collects() {
    let versions = std::fs::read_dir(fixture("criterion-versions")).unwrap();
    let mut seen = 0;
    for version in versions {
        let dir = version.unwrap().path();
        let temp = tempfile::tempdir().unwrap();
        perf_gate(temp.path())
            .args(["run", "--no-run", "--quiet", "--criterion-dir"])
            .arg(&dir)
            .arg("--out-dir")
            .arg(temp.path())
            .assert()
            .code(0);
        let results = json(&temp.path().join("results.json"));
        assert!(!results["benchmarks"].as_array().unwrap().is_empty(), "{}", dir.display());
        seen += 1;
    }
    assert!(seen >= 4, "only {seen} criterion versions");
}

#[test]
fn bad_results_files_are_exit_2() {
    let temp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = temp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases = [
        (write("not-json.json", "{"), "not a JSON results file"),
        (write("other.json", "{\"a\": 1}"), "no `schema_version`"),
        (write("future.json", "{\"schema_version\": 99}"), "schema_version 99 is not supported"),
        (write("wrong.json", "{\"schema_version\": 1, \"benchmarks\": 3}"), "invalid results file"),
        (temp.path().join("missing.json"), "cannot read the results file"),
    ];
    for (path, expected) in cases {
        let output = perf_gate(temp.path()).args(["check", "--results"]).arg(&path).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        let stderr = stderr(&output);
        assert!(stderr.contains(expected) && stderr.contains(&path.display().to_string()), "{stderr}");
    }
}

#[test]
fn config_errors_are_exit_2_with_a_suggestion() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", temp.path());
    let output = check_with(temp.path(), &results, "configs/typo.json").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr(&output);
    assert!(stderr.contains("typo.json: unknown key `treshold` in `gates[0]`; did you mean `threshold`?"), "{stderr}");
    let output = perf_gate(temp.path())
        .args(["check", "--results"])
        .arg(&results)
        .args(["--config", "nope.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(common::stderr(&output).contains("nope.json: cannot read the config file"));
}

#[test]
fn config_init_validate_and_schema() {
    let temp = tempfile::tempdir().unwrap();
    perf_gate(temp.path()).args(["config", "init"]).assert().code(0);
    let path = temp.path().join("benchmark-config.json");
    assert!(std::fs::read_to_string(&path).unwrap().contains("$comment"));
    let output = perf_gate(temp.path()).args(["config", "init"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--force"));
    perf_gate(temp.path()).args(["config", "init", "--force"]).assert().code(0);
    let output = perf_gate(temp.path()).args(["config", "validate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("is valid: 1 gate"));
    let output =
        perf_gate(temp.path()).args(["config", "validate"]).arg(fixture("configs/typo.json")).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = perf_gate(temp.path()).args(["config", "schema"]).output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(schema["properties"]["gates"].is_object());
}

#[test]
fn a_rate_no_load_generator_can_send_is_refused_before_the_service_starts() {
    // `rate_per_sec: 1e12` once passed validation, and `run` then aborted (exit 134) trying to lay
    // out 10^12 send times in advance, leaving the service running.
    let project = crate_without_benches(
        r#"{"services": [{"name": "api",
            "start": {"command": ["sleep", "30"], "ready": {"tcp": "127.0.0.1:{port}", "timeout_s": 1}},
            "scenarios": [{"name": "flood", "rate_per_sec": 1e12, "duration_s": 8,
              "requests": [{"url": "http://127.0.0.1:{port}/"}]}]}]}"#,
    );
    let expected = "benchmark-config.json: `services[0].scenarios[0].rate_per_sec`: must be a finite number > 0 and at most 1000000 (the most one load generator can send on loopback";
    let output = perf_gate(project.path()).args(["config", "validate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    let output = perf_gate(project.path()).args(["--quiet", "--out-dir", "out"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    assert!(!project.path().join("out/service-api.log").exists(), "the service was started");
}

#[test]
fn runs_under_both_names_and_documents_exit_codes() {
    let temp = tempfile::tempdir().unwrap();
    let mut direct = assert_cmd::Command::cargo_bin("cargo-perf-gate").unwrap();
    let output = direct.current_dir(temp.path()).args(["--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    // --help prints the one table of exit codes; the README documents exactly those codes.
    for line in cargo_perf_gate::exit_code::help().lines() {
        assert!(help.contains(line), "{line}\n{help}");
    }
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = &readme[readme.find("## Exit codes").unwrap()..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let documented: Vec<u8> =
        section.lines().filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok()).collect();
    let codes: Vec<u8> = cargo_perf_gate::exit_code::TABLE.iter().map(|(code, _)| *code).collect();
    assert_eq!(documented, codes, "README's exit codes");
    let output = perf_gate(temp.path()).args(["--no-such-flag"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = perf_gate(temp.path()).args(["--version"]).output().unwrap();
    assert!(stdout(&output).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn no_run_outside_a_workspace_without_criterion_dir_is_exit_2() {
    let temp = tempfile::tempdir().unwrap();
    let output = perf_gate(temp.path()).args(["run", "--no-run"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read the cargo workspace"), "{}", stderr(&output));
}

#[test]
fn cargo_finds_it_as_a_subcommand() {
    let temp = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("cargo-perf-gate");
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_owned())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let output = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["perf-gate", "config", "validate"])
        .arg(fixture("configs/gates.json"))
        .env("PATH", path)
        .current_dir(temp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("is valid: 4 gates"), "{}", stdout(&output));
}

#[test]
fn run_with_a_baseline_file_checks_for_regressions() {
    let temp = tempfile::tempdir().unwrap();
    let main = collect_fixture(temp.path(), "main", &temp.path().join("main"));
    let output = perf_gate(temp.path())
        .args(["--no-run", "--quiet", "--criterion-baseline", "pr", "--criterion-dir"])
        .arg(fixture("criterion"))
        .arg("--out-dir")
        .arg(temp.path().join("pr"))
        .arg("--baseline")
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&temp.path().join("pr/report.json"));
    assert_eq!(report["counts"]["regressed"], 1);
    assert!(temp.path().join("pr/results.json").is_file(), "the results are written even when the gate fails");
    let output = perf_gate(temp.path())
        .args(["--no-run", "--baseline", "missing.json", "--criterion-dir"])
        .arg(fixture("criterion"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("missing.json: cannot read the results file"), "{}", stderr(&output));
}

/// The binary under a given umask, as a shell would start it.
fn with_umask(cwd: &Path, umask: &str, args: &str) -> std::process::Output {
    let binary = env!("CARGO_BIN_EXE_cargo-perf-gate");
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec '{binary}' perf-gate {args}"))
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn new_files_follow_the_umask_and_replaced_ones_keep_their_mode() {
    let temp = tempfile::tempdir().unwrap();
    let created = with_umask(temp.path(), "022", "config init cfg.json");
    assert!(created.status.success(), "{}", stderr(&created));
    assert_eq!(mode(&temp.path().join("cfg.json")), 0o644);
    // A config the user made group-readable stays so when it is replaced.
    std::fs::set_permissions(temp.path().join("cfg.json"), std::os::unix::fs::PermissionsExt::from_mode(0o640))
        .unwrap();
    let replaced = with_umask(temp.path(), "077", "config init --force cfg.json");
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    assert_eq!(mode(&temp.path().join("cfg.json")), 0o640);
    // Reports and results of a run: what the umask allows, for a later step running as another user.
    let criterion = fixture("criterion");
    let config = fixture("configs/gates.json");
    let run = with_umask(
        temp.path(),
        "027",
        &format!(
            "run --no-run --quiet --criterion-dir '{}' --config '{}' --out-dir out",
            criterion.display(),
            config.display()
        ),
    );
    assert!(run.status.code().is_some_and(|c| c <= 1), "{}", stderr(&run));
    for file in ["results.json", "report.json", "summary.md", "report.html"] {
        assert_eq!(mode(&temp.path().join("out").join(file)), 0o640, "{file}");
    }
}

/// `config validate` of `text`: its exit code and what it said.
fn validate(temp: &Path, text: &[u8]) -> (Option<i32>, String) {
    std::fs::write(temp.join("c.json"), text).unwrap();
    let output = perf_gate(temp).args(["config", "validate", "c.json"]).output().unwrap();
    (output.status.code(), format!("{}{}", stdout(&output), stderr(&output)))
}

#[test]
fn config_edges_say_what_is_wrong() {
    let temp = tempfile::tempdir().unwrap();
    let cases: [(&[u8], Option<i32>, &str); 6] = [
        (b"[]", Some(2), "line 1, column 1: a config is one JSON object, `{ ... }`, not `[]`"),
        (b"// the gates\n{}", Some(2), "JSON has no comments: write notes in a `\"$comment\"` key"),
        (b"\xef\xbb\xbf{\"gates\": []}", Some(0), "c.json is valid"),
        (
            br#"{"gates":[{"metric":"a.mean_ns","operator":5,"threshold":1}]}"#,
            Some(2),
            "(at `gates[0].operator`): expected a name in quotes here, found `5`",
        ),
        (
            br#"{"gates":[{"metric":"a.mean_ns","operator":"<","threshold":1,}]}"#,
            Some(2),
            "(at `gates[0]`): trailing comma",
        ),
        (br#"{"gates":[],}"#, Some(2), "line 1, column 13: trailing comma"),
    ];
    for (text, code, says) in cases {
        let (got, said) = validate(temp.path(), text);
        assert_eq!(got, code, "{said}");
        assert!(said.contains(says), "{}: {said}", String::from_utf8_lossy(text));
        assert!(!said.contains(".?") && !said.contains("`?`"), "{said}");
    }
}

#[test]
fn results_and_flag_edges_are_refused_clearly() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("main"));
    let text = std::fs::read_to_string(&results).unwrap();
    let check = |name: &str, contents: &str| {
        let path = temp.path().join(name);
        std::fs::write(&path, contents).unwrap();
        perf_gate(temp.path()).args(["check", "--results"]).arg(&path).output().unwrap()
    };
    let quoted = check("quoted.json", &text.replacen("\"schema_version\": 1", "\"schema_version\": \"1\"", 1));
    assert_eq!(quoted.status.code(), Some(2));
    assert!(stderr(&quoted).contains("`schema_version` is \"1\", not a whole number"), "{}", stderr(&quoted));
    let shard = text.replacen(
        "\"schema_version\": 1,",
        "\"schema_version\": 1,\n  \"shard\": {\"index\": 0, \"count\": 0},",
        1,
    );
    let zero = check("zero-shard.json", &shard);
    assert_eq!(zero.status.code(), Some(2));
    assert!(stderr(&zero).contains("shard 0/0 is not a shard"), "{}", stderr(&zero));
    let merged = perf_gate(temp.path())
        .args(["merge"])
        .arg(temp.path().join("zero-shard.json"))
        .args(["-o", "m.json"])
        .output()
        .unwrap();
    assert_eq!(merged.status.code(), Some(2), "{}", stderr(&merged));
    let pr_zero =
        perf_gate(temp.path()).args(["check", "--results"]).arg(&results).args(["--pr", "0"]).output().unwrap();
    assert_eq!(pr_zero.status.code(), Some(2));
    assert!(stderr(&pr_zero).contains("--pr"), "{}", stderr(&pr_zero));
}
