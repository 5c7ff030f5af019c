//! The history store through the real binary: `record`, `check --record`, `list`, two
//! processes recording at once, and stores that cannot be used.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// `perf-gate` in `cwd`, with the history's environment variable cleared.
fn command(cwd: &Path) -> assert_cmd::Command {
    let mut command = perf_gate(cwd);
    command.env_remove("PERF_GATE_HISTORY");
    command
}

fn list(cwd: &Path, args: &[&str]) -> Value {
    let output = command(cwd).args(["list", "--format", "json"]).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn recorded_runs_are_listed_newest_first_with_their_release_and_verdict() {
    let temp = tempfile::tempdir().unwrap();
    let main = collect_fixture(temp.path(), "main", &temp.path().join("main"));
    let pr = collect_fixture(temp.path(), "pr", &temp.path().join("pr"));
    let history = temp.path().join("store/history.db");
    let output = command(temp.path())
        .args(["record", "--release", "v1.2.3", "--history"])
        .arg(&history)
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("run 1, 5 benchmarks"), "{}", stderr(&output));
    // A checked run: its verdict and the regression check's verdicts are recorded too.
    let output = command(temp.path())
        .args(["check", "--record", "--results"])
        .arg(&pr)
        .arg("--baseline")
        .arg(&main)
        .arg("--config")
        .arg(fixture("configs/none.json"))
        .env("PERF_GATE_HISTORY", &history)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("Recorded as run 2"), "{}", stderr(&output));

    let runs = list(temp.path(), &["--history", history.to_str().unwrap()]);
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (runs[0]["id"].as_i64(), runs[0]["origin"].as_str(), runs[0]["verdict"].as_str()),
        (Some(2), Some("check"), Some("fail"))
    );
    assert_eq!((runs[1]["release"].as_str(), runs[1]["verdict"].as_str()), (Some("v1.2.3"), None));
    let tagged = list(temp.path(), &["--history", history.to_str().unwrap(), "--release", "v1.2.3"]);
    assert_eq!(tagged.as_array().unwrap().len(), 1);
    let table = command(temp.path()).args(["list", "--history"]).arg(&history).output().unwrap();
    assert!(stdout(&table).starts_with("id  when "), "{}", stdout(&table));

    // regressions: the check's regression, then fixed by a later check of the same branch.
    let regressions = |cwd: &Path| {
        let output =
            command(cwd).args(["regressions", "--format", "json", "--history"]).arg(&history).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let found = regressions(temp.path());
    let parse = found.as_array().unwrap().iter().find(|r| r["benchmark"] == "parse/numbers").unwrap();
    assert_eq!((parse["run_id"].as_i64(), parse["status"].as_str()), (Some(2), Some("unknown")));
    // Measured after the regressed run (a results file collected now), as a fix would be.
    let fixed = collect_fixture(temp.path(), "main", &temp.path().join("fixed"));
    command(temp.path())
        .args(["check", "--record", "--results"])
        .arg(&fixed)
        .arg("--baseline")
        .arg(&main)
        .arg("--config")
        .arg(fixture("configs/none.json"))
        .arg("--out-dir")
        .arg(temp.path().join("again"))
        .env("PERF_GATE_HISTORY", &history)
        .assert()
        .code(0);
    let found = regressions(temp.path());
    let parse = found.as_array().unwrap().iter().find(|r| r["benchmark"] == "parse/numbers").unwrap();
    assert_eq!((parse["status"].as_str(), parse["later_run"].as_i64()), (Some("fixed"), Some(3)));
    // With a history, report.html draws each compared metric's recorded values beside it.
    let page = std::fs::read_to_string(temp.path().join("again/report.html")).unwrap();
    assert!(page.contains("<svg class=\"spark\""), "no trend line in the report");
    assert!(page.contains("last 2 recorded runs: "), "runs 1 and 2, this run marked");
    let history_arg = history.to_str().unwrap();
    let runs = list(temp.path(), &["--history", history_arg]);
    assert_eq!(runs.as_array().unwrap().len(), 3);

    // export: one row per run, benchmark and metric, in the documented columns.
    let export = |args: &[&str]| {
        let output = command(temp.path()).arg("export").args(args).arg("--history").arg(&history).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    let csv = export(&[]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "run_id,created_at,commit,branch,release,origin,run_verdict,benchmark,metric,unit,better,n,mean,median,std_dev,min,max,p95,verdict,change_percent"
    );
    let rows: Vec<&str> = lines.collect();
    let main_results: Value = serde_json::from_str(&std::fs::read_to_string(&main).unwrap()).unwrap();
    let metrics: usize =
        main_results["benchmarks"].as_array().unwrap().iter().map(|b| b["metrics"].as_object().unwrap().len()).sum();
    assert!(rows.len() >= 3 * metrics - 2, "{} rows for {metrics} metrics per run", rows.len());
    assert!(rows
        .iter()
        .any(|r| r.starts_with("2,") && r.contains(",parse/numbers,time,") && r.contains(",regressed,")));
    assert!(rows.iter().any(|r| r.starts_with("1,") && r.contains(",v1.2.3,import,,")));
    let json: Value = serde_json::from_str(&export(&["--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), rows.len());
    assert_eq!(export(&["--since", "2999-01-01"]).lines().count(), 1, "only the header");
    let file = temp.path().join("export/all.csv");
    export(&["-o", file.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    let bad = command(temp.path()).args(["export", "--since", "last week"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));

    // The store keeps each metric's samples and the check's verdict.
    let connection = rusqlite::Connection::open(&history).unwrap();
    let (verdict, samples): (String, Vec<u8>) = connection
        .query_row(
            "SELECT verdict, samples FROM metrics WHERE run_id = 2 AND benchmark = 'parse/numbers' AND metric = 'time'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(verdict, "regressed");
    assert!(!samples.is_empty() && samples.len() % 4 == 0);
}

#[test]
fn the_config_names_the_store_and_asks_for_every_run_to_be_recorded() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let config = temp.path().join("conf/benchmark-config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, r#"{"history": {"path": "db/runs.db", "record": true}}"#).unwrap();
    let output =
        command(temp.path()).args(["check", "--results"]).arg(&results).arg("--config").arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Relative to the config file's directory.
    assert!(temp.path().join("conf/db/runs.db").is_file(), "{}", stderr(&output));
    let runs = list(temp.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(runs[0]["verdict"], "pass");
    let typo = std::fs::write(&config, r#"{"history": {"recrod": true}}"#);
    typo.unwrap();
    let output = command(temp.path()).args(["config", "validate"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown key `recrod` in `history`"), "{}", stderr(&output));
}

#[test]
fn two_processes_recording_at_once_both_land() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    let history = temp.path().join("history.db");
    // 40 different runs, 20 for each process.
    let files: Vec<std::path::PathBuf> = (0..40)
        .map(|i| {
            let file = temp.path().join(format!("run-{i}.json"));
            std::fs::write(&file, dated(&results, 40 - i, "c", "parse/numbers", 1.0).to_string()).unwrap();
            file
        })
        .collect();
    let spawn = |files: &[std::path::PathBuf]| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-perf-gate"))
            .args(["perf-gate", "record", "--history"])
            .arg(&history)
            .args(files)
            .current_dir(temp.path())
            .env_remove("PERF_GATE_HISTORY")
            .output()
    };
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| spawn(&files[..20]));
        let second = scope.spawn(|| spawn(&files[20..]));
        (first.join().unwrap().unwrap(), second.join().unwrap().unwrap())
    });
    for output in [&first, &second] {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let runs = list(temp.path(), &["--history", history.to_str().unwrap(), "--limit", "100"]);
    assert_eq!(runs.as_array().unwrap().len(), 40);
    // Imported again, by both at once: nothing new.
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| spawn(&files));
        let second = scope.spawn(|| spawn(&files));
        (first.join().unwrap().unwrap(), second.join().unwrap().unwrap())
    });
    assert!(String::from_utf8_lossy(&first.stderr).contains("already recorded as run"));
    assert!(second.status.success());
    let runs = list(temp.path(), &["--history", history.to_str().unwrap(), "--limit", "100"]);
    assert_eq!(runs.as_array().unwrap().len(), 40);
    let connection = rusqlite::Connection::open(&history).unwrap();
    let check: String = connection.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_store_that_cannot_be_used_is_exit_2_after_the_reports_are_written() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let broken = temp.path().join("broken.db");
    std::fs::write(&broken, "not a database ".repeat(400)).unwrap();
    let output = command(temp.path())
        .args(["check", "--record", "--history"])
        .arg(&broken)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("not a cargo-perf-gate history database"), "{}", stderr(&output));
    assert!(stderr(&output).contains("move it aside"), "{}", stderr(&output));
    assert!(temp.path().join("out/report.json").is_file(), "the reports were written first");
    assert!(std::fs::read_to_string(&broken).unwrap().starts_with("not a database"), "left as it was");

    // A store from a newer cargo-perf-gate.
    let newer = temp.path().join("newer.db");
    command(temp.path()).args(["record", "--history"]).arg(&newer).arg(&results).assert().success();
    rusqlite::Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    let output = command(temp.path()).args(["list", "--history"]).arg(&newer).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("schema is version 99, newer than this cargo-perf-gate reads (4)"),
        "{}",
        stderr(&output)
    );
    // Nothing recorded yet.
    let output = command(temp.path()).args(["list", "--history"]).arg(temp.path().join("none.db")).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no history at"), "{}", stderr(&output));
    // A bad file to import records nothing.
    let output = command(temp.path())
        .args(["record", "--history"])
        .arg(temp.path().join("fresh.db"))
        .arg(&results)
        .arg(temp.path().join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!temp.path().join("fresh.db").exists());
    let output = command(temp.path()).args(["record", "--release", "v 1"]).arg(&results).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a release tag"), "{}", stderr(&output));
}

/// `results` as measured `days_ago` days ago on `main`, with every time of `slowed` times
/// `factor`.
fn dated(results: &Value, days_ago: u64, commit: &str, slowed: &str, factor: f64) -> Value {
    scaled(results, days_ago, commit, &[(slowed, factor)])
}

/// `results` as measured `days_ago` days ago on `main`, with every time of each benchmark
/// named in `factors` times its factor.
fn scaled(results: &Value, days_ago: u64, commit: &str, factors: &[(&str, f64)]) -> Value {
    let mut run = results.clone();
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(days_ago * 86_400);
    run["created_at"] = Value::from(humantime::format_rfc3339_seconds(when).to_string());
    run["git"] = serde_json::json!({"commit": commit, "branch": "main", "dirty": false});
    for benchmark in run["benchmarks"].as_array_mut().unwrap() {
        let Some(&(_, factor)) = factors.iter().find(|(id, _)| benchmark["id"] == *id) else { continue };
        let time = &mut benchmark["metrics"]["time"];
        for sample in time["samples"].as_array_mut().unwrap() {
            *sample = Value::from(sample.as_f64().unwrap() * factor);
        }
        for key in ["mean", "median", "std_dev", "min", "max", "p95"] {
            let value = time["summary"][key].as_f64().unwrap();
            time["summary"][key] = Value::from(value * factor);
        }
    }
    run
}

#[test]
fn trends_find_the_step_a_slowdown_made_and_draw_it() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    let history = temp.path().join("history.db");
    // Twelve daily runs of main; parse/numbers 30 % slower from the seventh (commit c7) on,
    // with a few percent of noise on every run.
    let noise = [1.0, 1.02, 0.99, 1.01, 0.98, 1.0, 1.02, 0.99, 1.01, 1.0, 0.98, 1.02];
    let mut files = Vec::new();
    for (i, n) in noise.iter().enumerate() {
        let factor = n * if i >= 6 { 1.3 } else { 1.0 };
        let run = dated(&results, 12 - i as u64, &format!("c{}", i + 1), "parse/numbers", factor);
        let file = temp.path().join(format!("run-{i}.json"));
        std::fs::write(&file, run.to_string()).unwrap();
        files.push(file);
    }
    // An old run outside the period.
    let old = temp.path().join("old.json");
    std::fs::write(&old, dated(&results, 200, "c0", "parse/numbers", 5.0).to_string()).unwrap();
    command(temp.path()).args(["record", "--history"]).arg(&history).arg(&old).args(&files).assert().success();

    let html = temp.path().join("charts/trends.html");
    let output = command(temp.path())
        .args(["trends", "parse/*", "--branch", "main", "--format", "json", "--history"])
        .arg(&history)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let trends: Value = serde_json::from_slice(&output.stdout).unwrap();
    let trends = trends.as_array().unwrap();
    assert_eq!(trends.len(), 1, "the glob selects parse/numbers only");
    let parse = &trends[0];
    assert_eq!(parse["points"].as_array().unwrap().len(), 12, "the 200-day-old run is outside the period");
    let steps = parse["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!((steps[0]["commit"].as_str(), steps[0]["worse"].as_bool()), (Some("c7"), Some(true)));
    assert!((parse["change_percent"].as_f64().unwrap() - 30.0).abs() < 4.0, "{parse}");
    assert!(parse["slope_percent_per_day"].as_f64().unwrap() > 0.0);

    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 1);
    assert!(page.contains("▲ slower: +"), "the step is listed");
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"), "self-contained");

    // Every benchmark, as a table; another branch has nothing.
    let table = command(temp.path()).args(["trends", "--history"]).arg(&history).output().unwrap();
    let text = stdout(&table);
    assert!(text.starts_with("benchmark"), "{text}");
    assert_eq!(text.lines().count(), 1 + 5, "{text}");
    assert!(text.lines().any(|l| l.starts_with("parse/numbers") && l.contains("(worse)")), "{text}");
    let none = command(temp.path()).args(["trends", "--branch", "other", "--history"]).arg(&history).output().unwrap();
    assert_eq!(none.status.code(), Some(0));
    assert!(stderr(&none).contains("no recorded `time` values"), "{}", stderr(&none));
}

#[test]
fn a_release_is_summed_up_against_the_one_before() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    let history = temp.path().join("history.db");
    let record = |release: &str, days_ago: u64, factor: f64| {
        let file = temp.path().join(format!("{release}-{days_ago}.json"));
        std::fs::write(&file, dated(&results, days_ago, "c", "parse/numbers", factor).to_string()).unwrap();
        command(temp.path())
            .args(["record", "--release", release, "--history"])
            .arg(&history)
            .arg(&file)
            .assert()
            .success();
    };
    record("v1.0.0", 20, 1.0);
    record("v1.0.0", 19, 1.02);
    record("v1.1.0", 10, 1.3);
    record("v1.1.0", 9, 1.3);
    let summary = |args: &[&str]| {
        let output = command(temp.path()).arg("release").args(args).arg("--history").arg(&history).output().unwrap();
        (output.status.code(), stdout(&output), stderr(&output))
    };
    let (code, json, _) = summary(&["v1.1.0", "--format", "json"]);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (json["against"].as_str(), json["runs"].as_u64(), json["checked"].as_u64()),
        (Some("v1.0.0"), Some(2), Some(0))
    );
    let parse = json["benchmarks"].as_array().unwrap().iter().find(|b| b["benchmark"] == "parse/numbers").unwrap();
    assert!(
        (parse["change_percent"].as_f64().unwrap() - 28.71).abs() < 0.1,
        "1.3 against the median of 1.0 and 1.02: {parse}"
    );
    let (_, table, _) = summary(&["v1.0.0"]);
    assert!(table.starts_with("release v1.0.0: 2 runs (0 checked"), "{table}");
    assert!(table.contains("against no earlier release"), "{table}");
    let (code, _, error) = summary(&["v9"]);
    assert_eq!(code, Some(2));
    assert!(error.contains("no run is recorded with release `v9`"), "{error}");
    let (code, _, error) = summary(&["v1.1.0", "--against", "v0"]);
    assert_eq!(code, Some(2));
    assert!(error.contains("release `v0`"), "{error}");
}

/// Six recorded runs of main in which parse/numbers swings by about 9 % from run to run and the
/// rest hold within 0.5 %, then a run with parse/numbers 12 % up (within its swing) and
/// adler32_4k 25 % slower. Against the window, taken from the store or given as files, only
/// adler32_4k regressed; against the newest run alone, parse/numbers is called slower too.
#[test]
fn a_window_of_recorded_runs_judges_each_benchmark_against_its_own_spread() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    let history = temp.path().join("history.db");
    let swings = [0.88, 1.10, 0.95, 1.12, 0.90, 1.05];
    let quiet = [1.0, 1.005, 0.995, 1.002, 0.998, 1.0];
    let mut files = Vec::new();
    for (i, (swing, steady)) in swings.iter().zip(quiet).enumerate() {
        let factors = [
            ("parse/numbers", *swing),
            ("adler32_4k", steady),
            ("sort/insertion/256", steady),
            ("sort/std_unstable/256", 2.0 - steady),
            ("count_distinct/1000", steady),
        ];
        let file = temp.path().join(format!("main-{i}.json"));
        std::fs::write(&file, scaled(&results, 10 - i as u64, &format!("c{i}"), &factors).to_string()).unwrap();
        files.push(file);
    }
    command(temp.path()).args(["record", "--history"]).arg(&history).args(&files).assert().success();
    let current = temp.path().join("pr.json");
    let pr = scaled(&results, 0, "pr", &[("parse/numbers", 1.12), ("adler32_4k", 1.25)]);
    std::fs::write(&current, pr.to_string()).unwrap();

    let check = |args: &[&std::ffi::OsStr], out: &str| {
        let output = command(temp.path())
            .args(["check", "--config"])
            .arg(fixture("configs/none.json"))
            .arg("--results")
            .arg(&current)
            .arg("--out-dir")
            .arg(temp.path().join(out))
            .args(args)
            .output()
            .unwrap();
        let report: Value = std::fs::read_to_string(temp.path().join(out).join("report.json"))
            .map(|text| serde_json::from_str(&text).unwrap())
            .unwrap_or(Value::Null);
        (output, report)
    };
    let regressed = |report: &Value| -> Vec<String> {
        let comparisons = report["comparisons"].as_array().unwrap();
        comparisons
            .iter()
            .filter(|c| c["verdict"] == "regressed")
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let history_args = ["--baseline-history", "main", "--history", history.to_str().unwrap()].map(std::ffi::OsStr::new);
    let (output, report) = check(&history_args, "from-history");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("Baseline: the last 6 recorded runs of `main`"), "{}", stderr(&output));
    assert_eq!(regressed(&report), ["adler32_4k"]);
    let parse = report["comparisons"].as_array().unwrap().iter().find(|c| c["id"] == "parse/numbers").unwrap();
    assert_eq!(parse["verdict"], "unchanged", "{parse}");
    assert_eq!(parse["window"]["runs"], 6);
    assert!(parse["window"]["own_spread_percent"].as_f64().unwrap() > 5.0, "{parse}");
    assert_eq!(report["window"]["runs"], 6);
    let notes = report["notes"].to_string();
    assert!(notes.contains("The baseline is a window of 6 runs"), "{notes}");
    let summary = std::fs::read_to_string(temp.path().join("from-history/summary.md")).unwrap();
    assert!(summary.contains("The baseline is a window of 6 runs"), "{summary}");

    // The checked run recorded before it is checked (an import) is not its own baseline.
    command(temp.path()).args(["record", "--history"]).arg(&history).arg(&current).assert().success();
    let (_, again) = check(&history_args, "recorded-first");
    assert_eq!(regressed(&again), ["adler32_4k"]);
    assert_eq!(again["window"]["runs"], 6);
    assert!(again["baseline"]["origin"]["source"].as_str().unwrap().contains("the last 6 recorded runs"));

    // --window takes fewer; the same runs given as files judge the same.
    let (_, three) = check(&[history_args.as_slice(), &["--window", "3"].map(std::ffi::OsStr::new)].concat(), "three");
    assert_eq!(three["window"]["runs"], 3);
    let mut file_args = Vec::new();
    for file in &files {
        file_args.push(std::ffi::OsStr::new("--baseline"));
        file_args.push(file.as_os_str());
    }
    let (output, from_files) = check(&file_args, "from-files");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(regressed(&from_files), ["adler32_4k"]);
    assert_eq!(from_files["window"]["runs"], 6);
    // The newest run alone cannot tell parse/numbers' swing from a slowdown.
    let newest = [std::ffi::OsStr::new("--baseline"), files[5].as_os_str()];
    let (_, single) = check(&newest, "single");
    assert_eq!(regressed(&single), ["adler32_4k", "parse/numbers"]);
    assert!(single.get("window").is_none());
}

#[test]
fn a_window_that_cannot_be_had_says_why() {
    let temp = tempfile::tempdir().unwrap();
    let results = collect_fixture(temp.path(), "main", &temp.path().join("out"));
    let history = temp.path().join("history.db");
    let check = |args: &[&str]| {
        command(temp.path())
            .args(["check", "--config"])
            .arg(fixture("configs/none.json"))
            .arg("--results")
            .arg(&results)
            .args(args)
            .output()
            .unwrap()
    };
    let store = history.to_str().unwrap();
    // No store at all: a mistake, exit 2, and nothing is created.
    let output = check(&["--baseline-history", "--history", store]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("no history database at"), "{}", stderr(&output));
    assert!(!history.exists());
    // Runs of another branch only: the check is skipped and the branches are named.
    command(temp.path()).args(["record", "--history", store]).arg(&results).assert().success();
    let output = check(&["--baseline-history", "trunk", "--history", store]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("no runs of `trunk` recorded") && message.contains("the regression check is skipped"),
        "{message}"
    );
    let output = check(&["--baseline-history", "trunk", "--history", store, "--require-baseline"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // Flags that make no window.
    for (args, expected) in [
        (vec!["--window", "3"], "--baseline-history"),
        (vec!["--baseline-history", "--window", "1"], "--window"),
        (vec!["--baseline-history", "--baseline", "x.json"], "cannot be used with"),
        (vec!["--baseline", results.to_str().unwrap(), "--baseline", "main"], "`main` is not a file"),
    ] {
        let output = check(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
    // A shard holds part of a run: the window is extended where the shards are merged.
    let output = command(temp.path()).args(["run", "--shard", "1/2", "--extend-window", "main"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("extend the window where the shards are merged"), "{}", stderr(&output));
}
