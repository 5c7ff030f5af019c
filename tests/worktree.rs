//! `run --baseline REF` outside GitHub Actions: the ref is measured in a worktree of
//! perf-gate's own, then the working tree as it is, on this machine, on a real git repository.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Edits the demo's config; a busy test machine may trip the canary, so its verdict never
/// downgrades a regression in these tests.
fn edit_config(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("benchmark-config.json");
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config["statistics"] = serde_json::json!({"unstable_run_downgrades": false});
    edit(&mut config);
    std::fs::write(&path, config.to_string()).unwrap();
}

/// Makes `dir` a git repository whose `main` holds everything in it.
fn commit_all(dir: &Path) {
    git(dir, &["init", "--quiet", "--initial-branch", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "main"]);
}

/// A demo copy without services, committed as `main`, ignoring what runs write there.
fn demo_repository(tag: &str) -> tempfile::TempDir {
    let demo = demo_copy(tag, |dir| {
        without_services(dir);
        edit_config(dir, |_| {});
        std::fs::write(dir.join(".gitignore"), "target/\ncriterion/\nout/\nmain-run/\nshard-*/\n").unwrap();
    });
    commit_all(demo.path());
    demo
}

/// A run of main stored as a confirm's screen would find it (`main-run/results.json`).
fn store_main_run(repo: &Path, quick: &[&str]) {
    let stored = perf_gate(repo)
        .args(["--quiet", "--out-dir", "main-run"])
        .args(quick)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", repo.join("criterion"))
        .output()
        .unwrap();
    assert!(repo.join("main-run/results.json").is_file(), "{}", stderr(&stored));
}

/// What a run must leave exactly as it was.
fn repository_state(dir: &Path) -> (String, String, String, String) {
    (
        git(dir, &["status", "--porcelain", "--untracked-files=all"]),
        git(dir, &["rev-parse", "HEAD"]),
        git(dir, &["stash", "list"]),
        git(dir, &["branch", "--list"]),
    )
}

#[test]
fn a_slower_working_tree_regresses_against_main_measured_here() {
    let demo = demo_copy("worktree", |dir| {
        without_services(dir);
        edit_config(dir, |config| {
            // Only changes far beyond run-to-run noise count here: this test is about the plumbing.
            config["regression_threshold_percent"] = serde_json::json!(50.0);
            // A command of the workspace takes part in the same rounds, on each side from its tree.
            config["commands"] = serde_json::json!([{
                "name": "list_sources",
                "command": ["ls", "src"],
                "runs": 4,
                "min_time_s": 0.0,
                "warmup": 0
            }]);
        });
        std::fs::write(dir.join(".gitignore"), "target/\ncriterion/\nout/\n").unwrap();
    });
    let repo = demo.path();
    commit_all(repo);
    git(repo, &["checkout", "--quiet", "-b", "feature"]);
    // The working tree, uncommitted: parse_numbers does its work three times.
    slower_parse_numbers(repo);
    std::fs::write(repo.join("notes.txt"), "untracked").unwrap();
    git(
        repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "stash",
            "push",
            "--quiet",
            "--include-untracked",
            "--",
            "notes.txt",
        ],
    );
    std::fs::write(repo.join("notes.txt"), "untracked again").unwrap();
    let before = repository_state(repo);

    let output = perf_gate(repo)
        .args(["--quiet", "--baseline", "main", "--out-dir", "out", "--rounds", "4", "--time-budget", "20s"])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", repo.join("criterion"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}\n{}", stdout(&output), stderr(&output));
    assert_eq!(repository_state(repo), before, "the user's tree, HEAD, stash and branches are untouched");

    let report: Value = serde_json::from_str(&std::fs::read_to_string(repo.join("out/report.json")).unwrap()).unwrap();
    let verdict = |id: &str| {
        report["comparisons"].as_array().unwrap().iter().find(|c| c["id"] == id && c["metric"] == "time").unwrap()
            ["verdict"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(verdict("parse/numbers"), "regressed");
    assert_eq!(verdict("adler32_4k"), "unchanged");
    assert!(report["baseline"]["origin"]["source"].as_str().unwrap().starts_with("worktree of main ("));
    assert_eq!(report["baseline"]["git"]["commit"].as_str().unwrap().trim(), git(repo, &["rev-parse", "main"]).trim());
    assert_eq!(report["current"]["git"]["dirty"], true);
    assert!(repo.join("out/baseline-worktree/src/lib.rs").is_file());
    let comparison = |report: &Value, id: &str, metric: &str| {
        report["comparisons"].as_array().unwrap().iter().find(|c| c["id"] == id && c["metric"] == metric).cloned()
    };
    let parse = comparison(&report, "parse/numbers", "time").unwrap();
    assert_eq!(parse["paired_rounds"], 4, "{parse}");
    assert!(parse["pooled_welch"]["p_two_sided"].is_number());
    let command = comparison(&report, "list_sources", "user_ms").unwrap();
    assert_eq!(command["paired_rounds"], 4, "{command}");
    assert!(repo.join("out/baseline/command-list_sources.log").is_file(), "the baseline side ran the command");
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("out/results.json")).unwrap()).unwrap();
    let baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("out/baseline/results.json")).unwrap()).unwrap();
    assert_eq!(results["interleaved"]["session"], baseline["interleaved"]["session"]);
    assert_eq!(results["interleaved"]["rounds"], 4);
    let parse_rounds = &results["benchmarks"].as_array().unwrap().iter().find(|b| b["id"] == "parse/numbers").unwrap()
        ["metrics"]["time"]["rounds"];
    assert_eq!(parse_rounds.as_array().unwrap().len(), 4);

    // --baseline-cache: the same commit, toolchain and selection reuse the baseline, unpaired.
    let cached = perf_gate(repo)
        .args(["--baseline", "main", "--out-dir", "out", "--rounds", "4", "--time-budget", "10s"])
        .arg("--baseline-cache")
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", repo.join("criterion"))
        .output()
        .unwrap();
    assert_eq!(cached.status.code(), Some(1), "{}", stderr(&cached));
    assert!(stderr(&cached).contains("Plan: 4 rounds x 5 benchmarks x 1 side,"), "{}", stderr(&cached));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(repo.join("out/report.json")).unwrap()).unwrap();
    assert!(report["baseline"]["origin"]["source"].as_str().unwrap().contains("cached from"), "{report}");
    let parse = comparison(&report, "parse/numbers", "time").unwrap();
    assert_eq!(parse["verdict"], "regressed");
    assert!(parse["paired_rounds"].is_null());
    // Another selection and other features are another baseline: measured again, saying why
    // (naming a bench target leaves the commands out).
    let recached = perf_gate(repo)
        .args(["--baseline", "main", "--out-dir", "out", "--rounds", "4", "--time-budget", "12s", "--baseline-cache"])
        .args(["--bench", "demo_bench", "--no-default-features"])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", repo.join("criterion"))
        .output()
        .unwrap();
    assert!(
        stdout(&recached).contains("not reused (benches, commands, no_default_features changed)"),
        "{}",
        stdout(&recached)
    );

    // `clean` removes the worktree and its registration.
    let cleaned = perf_gate(repo).args(["clean", "--out-dir", "out"]).output().unwrap();
    assert_eq!(cleaned.status.code(), Some(0), "{}", stderr(&cleaned));
    assert!(!repo.join("out/baseline-worktree").exists());
    assert_eq!(git(repo, &["worktree", "list"]).lines().count(), 1);
    assert_eq!(repository_state(repo), before);
}

#[test]
fn interleaving_options_are_checked_before_anything_is_built() {
    let demo = demo_copy("worktree_flags", without_services);
    let repo = demo.path();
    commit_all(repo);
    let refused = |args: &[&str], expected: &str| {
        let output = perf_gate(repo).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
        assert!(!repo.join("target").exists(), "{args:?} built something");
    };
    refused(&["--baseline", "main", "--", "--measurement-time", "1"], "`--measurement-time` after `--`");
    refused(&["--baseline", "main", "--rounds", "3"], "at least 4");
    refused(&["--baseline", "main", "--time-budget", "soon"], "`soon` is not a duration");
    refused(&["--rounds", "6"], "--baseline");
    // A results file of an earlier run (its gates may fail; the file is written anyway).
    let criterion = fixture("criterion");
    perf_gate(repo).args(["--no-run", "--out-dir", "prior", "--criterion-dir"]).arg(&criterion).output().unwrap();
    assert!(repo.join("prior/results.json").is_file());
    refused(&["--baseline", "prior/results.json", "--baseline-cache"], "apply when a git ref is measured here");
    refused(&["--baseline", "prior/results.json", "--time-limit", "5m"], "apply when a git ref is measured here");
    refused(&["--compare", "paired", "--baseline", "prior/results.json"], "use --compare artifact");
    refused(&["--compare", "paired"], "--compare paired needs a base commit");
}

#[test]
fn an_unknown_ref_is_exit_2_with_the_nearest_refs() {
    let demo = demo_copy("badref", without_services);
    let repo = demo.path();
    git(repo, &["init", "--quiet", "--initial-branch", "main"]);
    git(
        repo,
        &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "x"],
    );
    let output = perf_gate(repo).args(["--quiet", "--baseline", "mian", "--out-dir", "out"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--baseline mian: no such branch, tag or commit; nearest: main"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_interrupted_run_leaves_the_repository_as_it_was() {
    let demo = demo_copy("worktree_int", without_services);
    let repo = demo.path();
    std::fs::write(repo.join(".gitignore"), "target/\ncriterion/\nout/\n").unwrap();
    commit_all(repo);
    std::fs::write(repo.join("src/extra.rs"), "// untracked\n").unwrap();
    let lib = repo.join("src/lib.rs");
    std::fs::write(&lib, format!("{}\n// edited\n", std::fs::read_to_string(&lib).unwrap())).unwrap();
    let before = repository_state(repo);

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-perf-gate"))
        .args(["perf-gate", "--quiet", "--baseline", "main", "--out-dir", "out"])
        .current_dir(repo)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once the rounds run: the baseline side has written criterion output, and a
    // bench process of one side or the other is measuring.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while !repo.join("out/baseline-criterion").exists() {
        assert!(std::time::Instant::now() < deadline, "the rounds never started");
        assert!(child.try_wait().unwrap().is_none(), "perf-gate ended early");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: SIGINT to the child we spawned, as a terminal's Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("perf-gate did not stop within 30 s of SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(repository_state(repo), before);
    assert!(!repo.join("out/report.json").exists());
    assert!(!repo.join("out/baseline/results.json").exists(), "no half-measured baseline is kept");
    let pattern = format!("{}/out/baseline-target/release/deps/demo_bench", repo.display());
    let survivors = Command::new("pgrep").args(["-f", &pattern]).output().unwrap();
    assert!(survivors.stdout.is_empty(), "a bench process outlived perf-gate");
}

/// `--confirm REF`: the run is screened against a stored results file, and only the screen's
/// suspects are measured again against REF in alternating rounds, which decide for them.
#[test]
fn confirm_re_measures_only_the_suspects_and_lets_the_rounds_decide() {
    let demo = demo_repository("confirm");
    let repo = demo.path();
    let quick = ["--", "--warm-up-time", "0.1", "--measurement-time", "0.3"];
    // The stored baseline: a run of main, as a push to main would have uploaded it.
    store_main_run(repo, &quick);
    slower_parse_numbers(repo);

    let output = perf_gate(repo)
        .args(["--quiet", "--baseline", "main-run/results.json", "--confirm", "main", "--rounds", "4"])
        .args(["--out-dir", "out"])
        .args(quick)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", repo.join("criterion"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}\n{}", stdout(&output), stderr(&output));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(repo.join("out/report.json")).unwrap()).unwrap();
    let comparisons = report["comparisons"].as_array().unwrap();
    let parse = comparisons.iter().find(|c| c["id"] == "parse/numbers" && c["metric"] == "time").unwrap();
    assert_eq!((parse["verdict"].as_str(), parse["evidence"].as_str()), (Some("regressed"), Some("paired")), "{parse}");
    assert_eq!(parse["paired_rounds"], 4);
    assert!(parse["screen"]["suspect"].is_string(), "{parse}");
    // Every comparison says what decided it; the rounds re-measured the suspects and nothing else.
    assert!(comparisons.iter().all(|c| c["evidence"] == "paired" || c["evidence"] == "screen"), "{report}");
    let paired: std::collections::BTreeSet<&str> =
        comparisons.iter().filter(|c| c["evidence"] == "paired").map(|c| c["id"].as_str().unwrap()).collect();
    let base: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("out/baseline/results.json")).unwrap()).unwrap();
    let measured: std::collections::BTreeSet<&str> =
        base["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(measured, paired, "the base side measured exactly the suspects the rounds decided");
    assert_eq!(report["confirmation"]["decided_by_rounds"], paired.len());
    assert!(report["confirmation"]["against"].as_str().unwrap().starts_with("main ("), "{report}");
    // The results file is the screened run: the whole suite, not only the suspects.
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("out/results.json")).unwrap()).unwrap();
    assert_eq!(results["benchmarks"].as_array().unwrap().len(), 5);
}

#[test]
fn paired_shards_merge_into_one_paired_check_of_the_whole_suite() {
    let demo = demo_repository("shards");
    let repo = demo.path();
    slower_parse_numbers(repo);
    // Each shard on a runner of its own: its own out dir, worktree and criterion directory.
    for shard in ["1/2", "2/2"] {
        let dir = format!("shard-{}", &shard[..1]);
        let output = perf_gate(repo)
            .args(["--shard", shard, "--baseline", "main", "--rounds", "4", "--time-budget", "10s"])
            .args(["--out-dir", &dir])
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .env("CRITERION_HOME", repo.join(&dir).join("criterion"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}\n{}", stdout(&output), stderr(&output));
        assert!(stderr(&output).contains("--baseline baseline.json"), "{}", stderr(&output));
    }
    let ids = |path: &str| -> std::collections::BTreeSet<String> {
        let results: Value = serde_json::from_str(&std::fs::read_to_string(repo.join(path)).unwrap()).unwrap();
        results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().to_owned()).collect()
    };
    let (first, second) = (ids("shard-1/baseline/results.json"), ids("shard-2/baseline/results.json"));
    assert!(first.is_disjoint(&second), "{first:?} {second:?}");
    assert_eq!(first.len() + second.len(), 5, "each shard paired its share of the suite and no more");
    assert_eq!(ids("shard-1/results.json"), first);

    for (side, output) in [("results.json", "results.json"), ("baseline/results.json", "baseline.json")] {
        let merged = perf_gate(repo)
            .args(["merge", &format!("shard-2/{side}"), &format!("shard-1/{side}"), "-o", output])
            .output()
            .unwrap();
        assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    }
    let output = perf_gate(repo)
        .args(["check", "--results", "results.json", "--baseline", "baseline.json", "--out-dir", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}\n{}", stdout(&output), stderr(&output));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(repo.join("out/report.json")).unwrap()).unwrap();
    let comparisons = report["comparisons"].as_array().unwrap();
    let time = |id: &str| comparisons.iter().find(|c| c["id"] == id && c["metric"] == "time").unwrap().clone();
    assert_eq!(time("parse/numbers")["verdict"], "regressed", "{report}");
    // Every benchmark was compared round by round, whichever shard measured it.
    for comparison in comparisons.iter().filter(|c| c["metric"] == "time") {
        assert_eq!(comparison["paired_rounds"], 4, "{comparison}");
    }
    assert_eq!(time("adler32_4k")["verdict"], "unchanged");
}

#[test]
fn confirming_shards_merge_their_rounds_into_one_check_of_the_whole_screen() {
    let demo = demo_repository("confirm-shards");
    let repo = demo.path();
    let quick = ["--", "--warm-up-time", "0.1", "--measurement-time", "0.3"];
    store_main_run(repo, &quick);
    slower_parse_numbers(repo);

    let mut confirming = Vec::new();
    for shard in ["1/2", "2/2"] {
        let dir = format!("shard-{}", &shard[..1]);
        let output = perf_gate(repo)
            .args(["--shard", shard, "--baseline", "main-run/results.json", "--confirm", "main", "--rounds", "4"])
            .args(["--out-dir", &dir])
            .args(quick)
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .env("CRITERION_HOME", repo.join(&dir).join("criterion"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}\n{}", stdout(&output), stderr(&output));
        if repo.join(&dir).join("paired/results.json").is_file() {
            assert!(stderr(&output).contains("--paired-results paired.json"), "{}", stderr(&output));
            confirming.push(dir);
        }
    }
    // The slowed benchmark is a suspect of whichever shard measured it.
    assert!(!confirming.is_empty());
    let merge = |args: Vec<String>| {
        let merged = perf_gate(repo).arg("merge").args(args).output().unwrap();
        assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    };
    let files = |file: &str, dirs: &[String]| dirs.iter().map(|dir| format!("{dir}/{file}")).collect::<Vec<_>>();
    let every = vec!["shard-1".to_owned(), "shard-2".to_owned()];
    merge([files("results.json", &every), vec!["-o".into(), "results.json".into()]].concat());
    merge(
        [vec!["--partial".into()], files("paired/results.json", &confirming), vec!["-o".into(), "paired.json".into()]]
            .concat(),
    );
    let bases = files("baseline/results.json", &confirming);
    merge([vec!["--partial".into()], bases, vec!["-o".into(), "paired-baseline.json".into()]].concat());

    let output = perf_gate(repo)
        .args(["check", "--results", "results.json", "--baseline", "main-run/results.json", "--out-dir", "out"])
        .args(["--paired-results", "paired.json", "--paired-baseline", "paired-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}\n{}", stdout(&output), stderr(&output));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(repo.join("out/report.json")).unwrap()).unwrap();
    let comparisons = report["comparisons"].as_array().unwrap();
    let parse = comparisons.iter().find(|c| c["id"] == "parse/numbers" && c["metric"] == "time").unwrap();
    assert_eq!((parse["verdict"].as_str(), parse["evidence"].as_str()), (Some("regressed"), Some("paired")), "{parse}");
    assert_eq!(parse["paired_rounds"], 4);
    let paired: std::collections::BTreeSet<&str> =
        comparisons.iter().filter(|c| c["evidence"] == "paired").map(|c| c["id"].as_str().unwrap()).collect();
    let measured: Value = serde_json::from_str(&std::fs::read_to_string(repo.join("paired.json")).unwrap()).unwrap();
    let measured: std::collections::BTreeSet<&str> =
        measured["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(paired, measured, "the shards' rounds decided exactly what they re-measured");
    assert_eq!(report["confirmation"]["decided_by_rounds"], paired.len());
    assert_eq!(comparisons.iter().filter(|c| c["metric"] == "time").count(), 5, "the whole suite was screened");
}
