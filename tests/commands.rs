//! Command benchmarks through the real binary: a crate without criterion benches whose config
//! times command lines.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn project(config: &str) -> tempfile::TempDir {
    crate_without_benches(config)
}

fn run(project: &Path, args: &[&str]) -> std::process::Output {
    perf_gate(project).args(["--quiet", "--out-dir", "out"]).args(args).output().unwrap()
}

fn benchmark(project: &Path, id: &str) -> Value {
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(project.join("out/results.json")).unwrap()).unwrap();
    results["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
        .clone()
}

const MIB: f64 = 1024.0 * 1024.0;

#[test]
fn a_command_that_allocates_200_mib_reports_its_own_peak() {
    // The child fills 200 MiB; perf-gate itself must not leak into the figure.
    let fill = "b = b'x' * (200 * 1024 * 1024)";
    let config = format!(
        r#"{{"commands": [{{"name": "alloc", "command": ["python3", "-c", "{fill}"], "runs": 3, "warmup": 0, "min_time_s": 0}}],
            "gates": [{{"metric": "alloc.peak_rss_bytes", "operator": ">", "threshold": 1}}]}}"#
    );
    let project = project(&config);
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let alloc = benchmark(project.path(), "alloc");
    assert_eq!(alloc["source"]["kind"], "command");
    assert_eq!(alloc["source"]["runs"], 3);
    let peaks = alloc["metrics"]["peak_rss_bytes"]["samples"].as_array().unwrap();
    assert_eq!(peaks.len(), 3);
    for peak in peaks {
        let peak = peak.as_f64().unwrap();
        assert!(
            (200.0 * MIB..=220.0 * MIB).contains(&peak),
            "peak RSS {:.1} MiB is not within 10% of 200 MiB",
            peak / MIB
        );
    }
    let time = &alloc["metrics"]["time"];
    assert_eq!(time["unit"], "ns");
    assert!(time["samples"].as_array().unwrap().iter().all(|t| t.as_f64().unwrap() > 0.0));
}

#[test]
fn prepare_runs_before_every_run_and_custom_metrics_are_gated() {
    let config = r#"{
      "commands": [{
        "name": "tool/report", "shell": true, "runs": 4, "warmup": 2, "min_time_s": 0,
        "command": ["echo '{\"tokens_per_sec\": 1234.5, \"cost\": 2, \"extra\": 7}' > \"$PERF_GATE_METRICS\"; echo ran >> runs.txt"],
        "prepare": ["sh", "-c", "echo prepared >> prepared.txt"],
        "metrics": {"tokens_per_sec": {"unit": "tokens/s", "better": "higher"}, "cost": {"unit": "usd"}}
      }],
      "gates": [
        {"metric": "tool/report.tokens_per_sec", "operator": ">=", "threshold": 1000},
        {"metric": "tool/report.cost", "operator": "<", "threshold": 1, "severity": "Warning"},
        {"metric": "tool/report.exit_failures", "operator": "==", "threshold": 0}
      ]
    }"#;
    let project = project(config);
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = |file: &str| std::fs::read_to_string(project.path().join(file)).unwrap().lines().count();
    assert_eq!((lines("prepared.txt"), lines("runs.txt")), (6, 6), "2 warm-up and 4 timed runs, each prepared");
    let tool = benchmark(project.path(), "tool/report");
    let tokens = &tool["metrics"]["tokens_per_sec"];
    assert_eq!(
        (tokens["unit"].as_str(), tokens["better"].as_str(), tokens["compared"].as_bool()),
        (Some("tokens/s"), Some("higher"), Some(true))
    );
    assert_eq!(tokens["samples"].as_array().unwrap().len(), 4);
    // Declared without a direction: gated, not compared. Undeclared: only reported.
    assert_eq!(
        (tool["metrics"]["cost"]["unit"].as_str(), tool["metrics"]["cost"]["compared"].as_bool()),
        (Some("usd"), Some(false))
    );
    assert_eq!(tool["metrics"]["extra"]["compared"], false);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(project.path().join("out/report.json")).unwrap()).unwrap();
    let statuses: Vec<(&str, &str)> = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["metric"].as_str().unwrap(), g["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("tool/report.tokens_per_sec", "passed"),
            ("tool/report.cost", "failed"),
            ("tool/report.exit_failures", "passed")
        ]
    );
}

#[test]
fn a_command_failing_every_run_is_exit_3_with_its_output() {
    let config = r#"{"commands": [{"name": "broken", "shell": true, "command": ["echo 'no such input' >&2; exit 4"], "runs": 2, "min_time_s": 0}]}"#;
    let project = project(config);
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(err.contains("command `broken`: every one of its 2 runs failed (last: exit code 4)"), "{err}");
    assert!(err.contains("no such input"), "{err}");
    assert!(!project.path().join("out/results.json").exists());
}

#[test]
fn a_failing_command_with_one_huge_line_gives_a_short_message() {
    // 20 MB on one line, a byte that is not UTF-8, then the line that says what went wrong.
    let script =
        "import sys; sys.stdout.buffer.write(b'x' * 20_000_000 + b'\\\\xff\\\\nthe real error\\\\n'); sys.exit(1)";
    let config = format!(
        r#"{{"commands": [{{"name": "noisy", "command": ["python3", "-c", "{script}"], "runs": 2, "warmup": 0, "min_time_s": 0}}]}}"#
    );
    let project = project(&config);
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(3), "{}", &stderr(&output)[..2000.min(output.stderr.len())]);
    let err = stderr(&output);
    assert!(err.len() < 20_000, "stderr is {} bytes", err.len());
    assert!(err.contains("the real error") && err.contains("characters…]"), "{err}");
}

#[test]
fn a_run_past_its_timeout_is_killed_with_its_children() {
    let marker = format!("perf-gate-timeout-{}", std::process::id());
    let config = format!(
        r#"{{"commands": [{{"name": "stuck", "shell": true, "command": ["sleep 30 # {marker}"], "runs": 2, "warmup": 0, "min_time_s": 0, "timeout_s": 0.5}}]}}"#
    );
    let project = project(&config);
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("every one of its 2 runs failed (last: timed out after 0.5 s, and was killed)"),
        "{}",
        stderr(&output)
    );
    let survivors = std::process::Command::new("pgrep").args(["-f", &marker]).output().unwrap();
    assert!(survivors.stdout.is_empty(), "left running: {}", String::from_utf8_lossy(&survivors.stdout));
}

#[test]
fn commands_are_selected_by_name_and_checked() {
    let config = r#"{"commands": [
        {"name": "one", "command": ["true"], "runs": 2, "min_time_s": 0},
        {"name": "two", "command": ["true"], "runs": 2, "min_time_s": 0}]}"#;
    let project = project(config);
    let output = run(project.path(), &["--command", "two"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(project.path().join("out/results.json")).unwrap()).unwrap();
    let ids: Vec<&str> = results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["two"]);
    let unknown = run(project.path(), &["--command", "three"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("--command three: no such command in the config; commands: one, two"));
    let missing = project_with_missing_program();
    let output = run(missing.path(), &[]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("command `ghost`: cannot start `no-such-program-perf-gate`"),
        "{}",
        stderr(&output)
    );
}

fn project_with_missing_program() -> tempfile::TempDir {
    project(
        r#"{"commands": [{"name": "ghost", "command": ["no-such-program-perf-gate"], "runs": 2, "min_time_s": 0}]}"#,
    )
}

const OUTPUTS: [&str; 5] = ["results.json", "report.json", "summary.md", "report.html", "comment.md"];

/// An out dir holding what a passing run left last week.
fn stale_out_dir(project: &Path) {
    std::fs::create_dir_all(project.join("out")).unwrap();
    for file in OUTPUTS {
        std::fs::write(project.join("out").join(file), r#"{"verdict": "pass", "stale": true}"#).unwrap();
    }
}

fn leftovers(project: &Path) -> Vec<String> {
    let out = project.join("out");
    std::fs::read_dir(&out)
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect::<Vec<String>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|name: &String| OUTPUTS.contains(&name.as_str()) || name.starts_with(".perf-gate-"))
        .collect()
}

#[test]
fn a_failed_run_leaves_no_earlier_result_that_looks_like_its_own() {
    // Exit 3: every run of the command fails.
    let failing = project(r#"{"commands": [{"name": "broken", "command": ["false"], "runs": 2, "min_time_s": 0}]}"#);
    stale_out_dir(failing.path());
    assert_eq!(run(failing.path(), &[]).status.code(), Some(3));
    assert_eq!(leftovers(failing.path()), Vec::<String>::new());

    // Exit 2: a config with a typo.
    let typo = project(r#"{"comands": []}"#);
    stale_out_dir(typo.path());
    assert_eq!(run(typo.path(), &[]).status.code(), Some(2));
    assert_eq!(leftovers(typo.path()), Vec::<String>::new());

    // Exit 130: interrupted while the command runs.
    let marker = format!("perf-gate-stale-{}", std::process::id());
    let slow = project(&format!(
        r#"{{"commands": [{{"name": "slow", "shell": true, "command": ["touch started; sleep 30 # {marker}"], "runs": 2, "warmup": 0, "min_time_s": 0}}]}}"#
    ));
    stale_out_dir(slow.path());
    let mut child = spawn_run(slow.path());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !slow.path().join("started").exists() {
        assert!(std::time::Instant::now() < deadline, "the command never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: SIGINT to the child we spawned, as a terminal's Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(leftovers(slow.path()), Vec::<String>::new());
}

#[test]
fn a_full_disk_leaves_no_earlier_result_and_no_half_written_file() {
    let project =
        project(r#"{"commands": [{"name": "quick", "command": ["true"], "runs": 2, "warmup": 0, "min_time_s": 0}]}"#);
    let out = project.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Six 4 KiB pages: the five stale files fit, this run's results and reports (seven pages,
    // report.html alone four) do not.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24k", "tmpfs"])
        .arg(&out)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root and mount(8)); ENOSPC is not tested");
        return;
    }
    let unmount = || {
        let _ = std::process::Command::new("umount").arg(&out).status();
    };
    stale_out_dir(project.path());
    let output = run(project.path(), &[]);
    let left = leftovers(project.path());
    unmount();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("No space left on device"), "{}", stderr(&output));
    assert_eq!(left, Vec::<String>::new(), "nothing stale, nothing half-written");
}

/// A command that daemonizes a grandchild (`setsid` in a subshell that exits at once: the
/// double fork, out of the run's process group and session) recording itself in a
/// `daemon-*.pid` file of its own, and waits for that file. Before that, it notes in
/// `survivors` any earlier run's daemon that is still running.
const DAEMONIZING_COMMAND: &str = r#". ./record.sh
for earlier in daemon-*.pid; do
  [ -e "$earlier" ] && alive "$earlier" && echo "$earlier" >> survivors
done
f=$(mktemp -u daemon-XXXXXX).pid
( setsid sh -c '. ./record.sh; record "$1"; exec sleep 300' daemon "$f" & )
while [ ! -e "$f" ]; do sleep 0.01; done
"#;

#[test]
fn a_daemon_a_command_started_is_gone_when_its_run_ends() {
    let project = project(
        r#"{"commands": [{"name": "daemonizing", "command": ["sh", "daemonize.sh"], "runs": 3, "warmup": 0, "min_time_s": 0}]}"#,
    );
    std::fs::write(project.path().join("record.sh"), RECORD_SH).unwrap();
    std::fs::write(project.path().join("daemonize.sh"), DAEMONIZING_COMMAND).unwrap();
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let daemons: Vec<Watched> = std::fs::read_dir(project.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("daemon-"))
        .map(|path| Watched::recorded(&path))
        .collect();
    assert_eq!(daemons.len(), 3, "one daemon per run");
    let survivors = std::fs::read_to_string(project.path().join("survivors")).unwrap_or_default();
    assert_eq!(survivors, "", "daemons of earlier runs were still running when a later run started");
    for daemon in &daemons {
        assert!(daemon.gone_within(std::time::Duration::from_secs(10)), "daemon {} outlived the run", daemon.pid);
    }
}

#[test]
fn sigkill_of_perf_gate_takes_the_launcher_the_command_and_its_daemon_with_it() {
    // The command daemonizes a grandchild as above, records itself, and runs on for minutes.
    let script = DAEMONIZING_COMMAND.replace("$(mktemp -u daemon-XXXXXX).pid", "daemon.pid")
        + "record command.pid\nexec sleep 300\n";
    let project = project(
        r#"{"commands": [{"name": "long", "command": ["sh", "daemonize.sh"], "runs": 2, "warmup": 0, "min_time_s": 0}]}"#,
    );
    std::fs::write(project.path().join("record.sh"), RECORD_SH).unwrap();
    std::fs::write(project.path().join("daemonize.sh"), script).unwrap();
    let mut child = spawn_run(project.path());
    let limit = std::time::Duration::from_secs(60);
    let mut running = || child.try_wait().unwrap().is_none();
    let daemon = Watched::wait_recorded(&project.path().join("daemon.pid"), limit, &mut running);
    let command = Watched::wait_recorded(&project.path().join("command.pid"), limit, &mut running);
    let launcher = Watched::new(command.parent().unwrap());
    assert_eq!(launcher.parent(), Some(child.id() as i32), "the command runs under perf-gate's launcher");
    // SAFETY: SIGKILL to the child we spawned: nothing of perf-gate runs after this.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    let limit = std::time::Duration::from_secs(10);
    assert!(launcher.gone_within(limit), "the launcher {} outlived perf-gate's SIGKILL", launcher.pid);
    assert!(command.gone_within(limit), "the command {} outlived perf-gate's SIGKILL", command.pid);
    assert!(daemon.gone_within(limit), "the command's daemon {} outlived perf-gate's SIGKILL", daemon.pid);
}

#[test]
fn a_command_with_import_runs_once_and_its_tools_file_is_its_results() {
    // A script standing in for a tool that writes github-action-benchmark's JSON; it counts its
    // runs, so running once is checked. An earlier run's file is there and must not count.
    let script = r#"echo run >> runs.txt; printf '[{"name": "parse", "unit": "ns", "value": 120, "range": "5"}, {"name": "render", "unit": "ns", "value": 300}]' > out/bench.json"#;
    let config = format!(
        r#"{{"commands": [{{"name": "tool", "shell": true, "command": [{script:?}], "prepare": ["mkdir", "-p", "out"],
              "import": {{"format": "gab", "path": "out/bench.json"}}, "metrics": {{"value": {{"unit": "ns", "better": "lower"}}}}}}],
            "gates": [{{"metric": "tool/parse.value", "operator": "<", "threshold": 200}}]}}"#
    );
    let project = project(&config);
    std::fs::create_dir_all(project.path().join("out")).unwrap();
    std::fs::write(project.path().join("out/bench.json"), "stale").unwrap();
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(project.path().join("runs.txt")).unwrap(), "run\n", "once");
    let parse = benchmark(project.path(), "tool/parse");
    assert_eq!(parse["source"]["kind"], "gab");
    assert_eq!(parse["metrics"]["value"]["basis"]["spread"]["lower"], 115.0);
    assert_eq!(benchmark(project.path(), "tool/render")["metrics"]["value"]["samples"][0], 300.0);

    // A tool that writes nothing: exit 3 naming the file and what the tool said; the earlier
    // file is gone, not read.
    let failing = config.replace("echo run >> runs.txt; printf", "echo cannot reach the server >&2; exit 4; printf");
    std::fs::write(project.path().join("benchmark-config.json"), failing).unwrap();
    let output = run(project.path(), &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("command `tool`: `sh` ended (exit status: 4) without writing"), "{message}");
    assert!(message.contains("out/bench.json") && message.contains("cannot reach the server"), "{message}");
}
