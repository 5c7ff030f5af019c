//! action.yml, read and run the way the runner would: inputs documented and used, outputs set,
//! and the `run:` steps executed with bash (expressions substituted, `GITHUB_OUTPUT`,
//! `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`, a pull-request event, the fake GitHub on 127.0.0.1).
//! Steps that `uses:` another action are checked for their inputs and whether they would run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};
use yaml_rust2::{Yaml, YamlLoader};

fn action() -> Yaml {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

fn map(yaml: &Yaml) -> Vec<(String, &Yaml)> {
    yaml.as_hash()
        .map(|hash| hash.iter().map(|(k, v)| (k.as_str().unwrap().to_owned(), v)).collect())
        .unwrap_or_default()
}

fn text(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null | Yaml::BadValue => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// The inputs the actions used by action.yml take (their action.yml files).
fn known_inputs(uses: &str) -> &'static [&'static str] {
    match uses.split('@').next().unwrap() {
        "actions/cache" => &[
            "path",
            "key",
            "restore-keys",
            "upload-chunk-size",
            "enableCrossOsArchive",
            "fail-on-cache-miss",
            "lookup-only",
        ],
        "actions/upload-artifact" => &[
            "name",
            "path",
            "if-no-files-found",
            "retention-days",
            "compression-level",
            "overwrite",
            "include-hidden-files",
        ],
        "actions/download-artifact" => {
            &["name", "artifact-ids", "path", "pattern", "merge-multiple", "github-token", "repository", "run-id"]
        }
        other => panic!("action.yml uses {other}, which this test does not know"),
    }
}

#[test]
fn inputs_are_used_and_documented_and_outputs_come_from_a_step() {
    let action = action();
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let steps_text = format!("{steps:?}");
    let whole = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = whole.find("## GitHub Action\n").expect("README has a GitHub Action section");
    let readme = &whole[start..start + 18 + whole[start + 18..].find("\n## ").unwrap_or(whole.len() - start - 18)];
    for (name, input) in map(&action["inputs"]) {
        assert!(!text(&input["description"]).is_empty(), "input {name} has no description");
        assert!(steps_text.contains(&format!("inputs.{name} ")), "input {name} is used by no step");
        let default = text(&input["default"]);
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("README documents no input {name}"));
        assert!(
            row.contains(&format!("`{default}`")) || default.is_empty(),
            "README's row for {name} does not give its default `{default}`: {row}"
        );
    }
    let ids: BTreeSet<String> = steps.iter().filter_map(|s| s["id"].as_str()).map(str::to_owned).collect();
    for (name, output) in map(&action["outputs"]) {
        let value = text(&output["value"]);
        let step = value
            .strip_prefix("${{ steps.")
            .and_then(|v| v.split('.').next())
            .unwrap_or_else(|| panic!("output {name}: {value}"));
        assert!(ids.contains(step), "output {name} reads step {step}, which does not exist");
        assert!(readme.lines().any(|l| l.starts_with(&format!("| `{name}` |"))), "README documents no output {name}");
    }
    for step in steps {
        if let Some(uses) = step["uses"].as_str() {
            for (input, _) in map(&step["with"]) {
                assert!(known_inputs(uses).contains(&input.as_str()), "{uses} has no input {input}");
            }
        } else {
            assert_eq!(step["shell"].as_str(), Some("bash"), "a run step needs a shell: {step:?}");
        }
    }
}

/// A run of the action's steps: the context expressions see, and what the steps left.
struct Runner {
    inputs: BTreeMap<String, String>,
    github: BTreeMap<&'static str, String>,
    env: BTreeMap<String, String>,
    temp: PathBuf,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    path: Vec<String>,
    /// `uses:` steps that would have run.
    would_use: Vec<String>,
    /// The exit code of the first failing step; later steps do not run.
    failed: Option<(String, i32, String)>,
}

impl Runner {
    fn new(temp: &Path, inputs: &[(&str, &str)], env: &[(&str, String)]) -> Runner {
        let action = action();
        let mut github = BTreeMap::from([
            ("action_path", repo().display().to_string()),
            ("token", "test-token-never-printed".to_owned()),
            ("server_url", "https://github.example".to_owned()),
            ("action_repository", "octo-org/cargo-perf-gate".to_owned()),
            ("action_ref", "v0".to_owned()),
        ]);
        for (k, v) in env {
            if *k == "GITHUB_SERVER_URL" {
                github.insert("server_url", v.clone());
            }
        }
        let mut runner = Runner {
            inputs: BTreeMap::new(),
            github,
            env: env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            temp: temp.to_owned(),
            outputs: BTreeMap::new(),
            path: Vec::new(),
            would_use: Vec::new(),
            failed: None,
        };
        for (name, input) in map(&action["inputs"]) {
            let value = inputs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
            let value = value.unwrap_or_else(|| runner.substitute(&text(&input["default"])));
            runner.inputs.insert(name, value);
        }
        runner
    }

    fn lookup(&self, expression: &str) -> String {
        let parts: Vec<&str> = expression.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => self.inputs.get(*name).cloned().unwrap_or_else(|| panic!("no input {name}")),
            ["github", name] => self.github.get(name).cloned().unwrap_or_else(|| panic!("github.{name} not modelled")),
            ["runner", "temp"] => self.temp.join("runner-temp").display().to_string(),
            ["runner", "os"] => "Linux".to_owned(),
            ["runner", "arch"] => "X64".to_owned(),
            ["steps", id, "outputs", name] => {
                self.outputs.get(*id).and_then(|o| o.get(*name)).cloned().unwrap_or_default()
            }
            _ => panic!("expression `{expression}` is not modelled by this test"),
        }
    }

    fn substitute(&self, text: &str) -> String {
        substitute_expressions(text, |expression| self.lookup(expression))
    }

    /// `if:` as action.yml writes them: terms joined by `&&`, each `always()` or `X == 'v'` /
    /// `X != 'v'`. Without `always()`, a step runs only while nothing failed.
    fn condition(&self, condition: Option<&str>) -> bool {
        let Some(condition) = condition else { return self.failed.is_none() };
        evaluate_condition(condition, self.failed.is_some(), |left| self.lookup(left))
    }

    fn run_steps(&mut self) {
        let action = action();
        for (index, step) in action["runs"]["steps"].as_vec().unwrap().iter().enumerate() {
            if !self.condition(step["if"].as_str()) {
                continue;
            }
            if let Some(uses) = step["uses"].as_str() {
                self.would_use.push(format!("{uses} {}", self.substitute(&text(&step["with"]["name"]))));
                continue;
            }
            let id = step["id"].as_str().map_or_else(|| format!("step{index}"), str::to_owned);
            let outputs_file = self.temp.join(format!("output-{id}"));
            std::fs::write(&outputs_file, "").unwrap();
            let path_file = self.temp.join("github-path");
            let runner_temp = self.temp.join("runner-temp");
            std::fs::create_dir_all(&runner_temp).unwrap();
            let mut command = Command::new("bash");
            command.arg("-e").arg("-c").arg(self.substitute(step["run"].as_str().unwrap()));
            let dir = step["working-directory"].as_str().map(|d| self.substitute(d));
            command.current_dir(dir.map_or_else(|| self.temp.clone(), |d| self.temp.join(d)));
            command.env_clear();
            let path: Vec<String> =
                self.path.iter().rev().cloned().chain([self.env.get("PATH").cloned().unwrap_or_default()]).collect();
            command
                .env("PATH", path.join(":"))
                .env("HOME", self.temp.join("home"))
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", repo())
                .env("GITHUB_OUTPUT", &outputs_file)
                .env("GITHUB_PATH", &path_file)
                .env("RUNNER_TEMP", &runner_temp)
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64");
            for (k, v) in &self.env {
                if k != "PATH" {
                    command.env(k, v);
                }
            }
            for (k, v) in map(&step["env"]) {
                command.env(k, self.substitute(&text(v)));
            }
            let output = match command.output() {
                Ok(output) => output,
                Err(error) => {
                    self.failed = Some((id, -1, format!("cannot start the step: {error}")));
                    continue;
                }
            };
            self.outputs.insert(id.clone(), parse_outputs(&std::fs::read_to_string(&outputs_file).unwrap()));
            self.path = std::fs::read_to_string(&path_file).unwrap_or_default().lines().map(str::to_owned).collect();
            let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            self.env.entry("LOG".to_owned()).or_default().push_str(&log);
            if !output.status.success() {
                self.failed = Some((id, output.status.code().unwrap_or(-1), log));
            }
        }
    }

    fn action_output(&self, name: &str) -> String {
        let action = action();
        self.substitute(&text(&action["outputs"][name]["value"]))
    }

    fn log(&self) -> &str {
        self.env.get("LOG").map_or("", String::as_str)
    }
}

/// `GITHUB_OUTPUT` lines: `name=value`, or `name<<DELIM` ... `DELIM`.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        }
    }
    outputs
}

/// The directory of the binary under test: on PATH, the install step uses it as it is.
fn binary_dir() -> String {
    Path::new(env!("CARGO_BIN_EXE_cargo-perf-gate")).parent().unwrap().display().to_string()
}

#[test]
fn baseline_then_gate_run_like_on_github() {
    let demo = demo_copy("action", without_services);
    let temp = demo.path();
    let quick = "--quiet -- --warm-up-time 0.1 --measurement-time 0.2";
    let env = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PATH", format!("{}:{}", binary_dir(), std::env::var("PATH").unwrap())),
            ("CARGO_TARGET_DIR", shared_target_dir().display().to_string()),
            ("CRITERION_HOME", temp.join("criterion").display().to_string()),
            ("GITHUB_REPOSITORY", "octo-org/octo-repo".to_owned()),
            ("GITHUB_RUN_ID", "555".to_owned()),
            ("GITHUB_STEP_SUMMARY", temp.join("step-summary.md").display().to_string()),
        ];
        env.extend(cargo_env());
        env.extend(extra.iter().cloned());
        env
    };

    // A push to main: the benches run and their results become the baseline artifact, with
    // the runs of main's previous artifact (none yet) before them.
    let first_api = block_on(MockServer::start());
    let none = json!({"total_count": 0, "artifacts": []});
    answer(
        &first_api,
        "GET",
        "/repos/octo-org/octo-repo/actions/artifacts",
        ResponseTemplate::new(200).set_body_json(none),
        Some(1),
    );
    let mut baseline = Runner::new(
        temp,
        &[("command", "baseline"), ("args", quick)],
        &env(&[
            ("GITHUB_EVENT_NAME", "push".to_owned()),
            ("GITHUB_REF_NAME", "main".to_owned()),
            ("GITHUB_API_URL", first_api.uri()),
        ]),
    );
    baseline.run_steps();
    assert!(baseline.failed.is_none(), "{:?}\n{}", baseline.failed, baseline.log());
    assert_eq!(baseline.action_output("verdict"), "pass", "{}", baseline.log());
    assert_eq!(baseline.action_output("failed-gates"), "0");
    let results = PathBuf::from(&baseline.outputs["perf-gate"]["results-path"]);
    assert!(results.is_file());
    // What is uploaded: the window's directory, this run alone so far.
    let uploaded = PathBuf::from(&baseline.outputs["perf-gate"]["baseline-path"]);
    assert!(uploaded.ends_with("baseline-artifact"), "{}", uploaded.display());
    assert_eq!(std::fs::read(uploaded.join("results.json")).unwrap(), std::fs::read(&results).unwrap());
    assert_eq!(std::fs::read_dir(uploaded.join("window")).unwrap().count(), 0);
    assert!(baseline.log().contains("no earlier runs"), "{}", baseline.log());
    block_on(first_api.verify());
    assert_eq!(baseline.outputs["perf-gate"]["update-baseline"], "true");
    assert!(
        baseline
            .would_use
            .iter()
            .any(|u| u.starts_with("actions/upload-artifact@") && u.ends_with(" perf-gate-baseline")),
        "{:?}",
        baseline.would_use
    );
    assert!(!baseline.log().contains("test-token-never-printed"));

    // A pull request: the baseline artifact is fetched, the verdict commented.
    let api = block_on(MockServer::start());
    let listed = json!({"total_count": 1, "artifacts": [{
        "id": 31, "name": "perf-gate-baseline", "size_in_bytes": 1, "expired": false,
        "created_at": "2026-11-26T10:00:00Z", "expires_at": "2027-02-24T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z",
        "url": "u", "archive_download_url": "u",
        "workflow_run": {"id": 900, "repository_id": 1, "head_repository_id": 1, "head_branch": "main", "head_sha": "abc"}
    }]});
    answer(
        &api,
        "GET",
        "/repos/octo-org/octo-repo/actions/artifacts",
        ResponseTemplate::new(200).set_body_json(listed),
        None,
    );
    answer(
        &api,
        "GET",
        "/repos/octo-org/octo-repo/actions/artifacts/31/zip",
        ResponseTemplate::new(200).set_body_bytes(zip_with_results(&results)),
        None,
    );
    // The run that uploaded it: a push to main of the workflow.
    let mut run = github_json("workflow-run-list.full.json")["workflow_runs"][0].clone();
    run["id"] = json!(900);
    answer(
        &api,
        "GET",
        "/repos/octo-org/octo-repo/actions/runs/900",
        ResponseTemplate::new(200).set_body_json(run),
        None,
    );
    no_comment_yet(&api);
    let pr_env = env(&[
        ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
        ("GITHUB_EVENT_PATH", fixture("github/pull_request_event.min.json").display().to_string()),
        ("GITHUB_API_URL", api.uri()),
    ]);
    let mut gate = Runner::new(
        temp,
        &[("command", "gate"), ("args", quick), ("comment-id", "demo"), ("fail-on", "never")],
        &pr_env,
    );
    gate.run_steps();
    assert!(gate.failed.is_none(), "fail-on never: {:?}", gate.failed);
    let report_dir = PathBuf::from(gate.action_output("report-dir"));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(gate.action_output("verdict"), report["verdict"].as_str().unwrap());
    let counts = &report["counts"];
    let regressions = counts["regressed"].as_u64().unwrap() + counts["regressed_warning"].as_u64().unwrap();
    assert_eq!(gate.action_output("regressions"), regressions.to_string());
    assert_eq!(report["baseline"]["origin"]["source"], "artifact perf-gate-baseline (id 31) of run 900 on main");
    // `compare: auto`, the default: this checkout is no git repository, so the pull request's
    // base cannot be measured here and the artifact decides, as the report says first.
    let first_note = report["notes"][0].as_str().unwrap();
    assert!(
        first_note.starts_with("compare auto: --baseline ea6cd405a443e34aca1f57485ee151fb15a34729: ")
            && first_note.ends_with(
                "compared against the stored baseline of `main` instead (unpaired: measured in another job)"
            ),
        "{first_note}"
    );
    assert_eq!(gate.action_output("summary-path"), report_dir.join("summary.md").display().to_string());
    assert!(std::fs::read_to_string(temp.join("step-summary.md")).unwrap().contains("perf-gate: "));
    assert!(
        gate.would_use.iter().any(|u| u == "actions/upload-artifact@v6 perf-gate-report-demo"),
        "{:?}",
        gate.would_use
    );
    assert!(!gate.would_use.iter().any(|u| u.ends_with(" perf-gate-baseline")), "a PR never uploads the baseline");
    let requests = block_on(api.received_requests()).unwrap();
    let post = requests.iter().find(|r| r.method.as_str() == "POST").expect("the comment was posted");
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let comment = body["body"].as_str().unwrap();
    assert!(comment.ends_with("<!-- cargo-perf-gate:demo -->"));
    // It names the artifact the upload step above gets, and links the run's artifacts.
    assert!(
        comment.contains("`report.html` in the `perf-gate-report-demo` artifact")
            && comment.contains("/octo-org/octo-repo/actions/runs/555#artifacts)"),
        "{comment}"
    );
    assert!(requests
        .iter()
        .all(|r| r.headers.get("authorization").unwrap().to_str().unwrap() == "Bearer test-token-never-printed"));
    assert!(!gate.log().contains("test-token-never-printed"));
}

#[test]
fn bad_inputs_stop_the_action_with_an_annotation() {
    let temp = tempfile::tempdir().unwrap();
    let env = vec![("PATH", std::env::var("PATH").unwrap())];
    for (input, value, message) in [
        ("command", "deploy", "input command: 'deploy' is not gate or baseline"),
        ("fail-on", "sometimes", "input fail-on: 'sometimes' is not blocking, warning or never"),
        ("comment", "yes", "input comment: 'yes' is not true or false"),
        ("shard", "3", "input shard: '3' is not K/N (e.g. 2/4) or merge"),
        ("compare", "confirmed", "input compare: 'confirmed' is not auto, paired, confirm or artifact"),
        ("time-budget", "soon", "input time-budget: 'soon' is not a duration (e.g. 20m, 90s, 1h30m)"),
        ("window", "0", "input window: '0' is not a number of runs from 1 to 1000"),
        ("window", "1001", "input window: '1001' is not a number of runs from 1 to 1000"),
        ("window", "ten", "input window: 'ten' is not a number of runs from 1 to 1000"),
        ("time-budget", "20", "input time-budget: '20' is not a duration (e.g. 20m, 90s, 1h30m)"),
        // A newline would write a GITHUB_OUTPUT line of its own, `../` reach another release.
        ("version", "0.1.0\nfoo=bar", "input version: '0.1.0%0Afoo=bar' is not a version (e.g. 0.1.0)"),
        (
            "version",
            "../../evil/repo/releases/download/v1",
            "input version: '../../evil/repo/releases/download/v1' is not a version (e.g. 0.1.0)",
        ),
        ("version", "1.2", "input version: '1.2' is not a version (e.g. 0.1.0)"),
    ] {
        let mut runner = Runner::new(temp.path(), &[(input, value)], &env);
        runner.run_steps();
        let (step, code, log) = runner.failed.expect("the action fails");
        assert_eq!((step.as_str(), code), ("setup", 2));
        assert!(log.contains(&format!("::error title=cargo-perf-gate action::{message}")), "{log}");
        assert!(!log.lines().any(|line| line.starts_with("foo=bar")), "{log}");
        let outputs = std::fs::read_to_string(temp.path().join("output-setup")).unwrap();
        assert_eq!(outputs, "", "setup wrote GITHUB_OUTPUT lines for {input} {value:?}");
    }
}

fn tar_gz_of_binary(dir: &Path) -> PathBuf {
    let stage = dir.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_cargo-perf-gate"), stage.join("cargo-perf-gate")).unwrap();
    let archive = dir.join("cargo-perf-gate-x86_64-unknown-linux-gnu.tar.gz");
    let status =
        Command::new("tar").arg("-czf").arg(&archive).arg("-C").arg(&stage).arg("cargo-perf-gate").status().unwrap();
    assert!(status.success());
    archive
}

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(output.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

#[test]
fn the_prebuilt_binary_is_installed_only_with_its_checksum() {
    let temp = tempfile::tempdir().unwrap();
    let archive = tar_gz_of_binary(temp.path());
    let bytes = std::fs::read(&archive).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let release = format!(
        "/octo-org/cargo-perf-gate/releases/download/v{version}/cargo-perf-gate-x86_64-unknown-linux-gnu.tar.gz"
    );
    for (checksum, installs) in [(sha256(&archive), true), ("0".repeat(64), false)] {
        let server = block_on(MockServer::start());
        answer(&server, "GET", &release, ResponseTemplate::new(200).set_body_bytes(bytes.clone()), None);
        answer(
            &server,
            "GET",
            &format!("{release}.sha256"),
            ResponseTemplate::new(200)
                .set_body_string(format!("{checksum}  cargo-perf-gate-x86_64-unknown-linux-gnu.tar.gz\n")),
            None,
        );
        let home = tempfile::tempdir().unwrap();
        // No cargo-perf-gate on PATH, so the install step has to fetch it.
        let env = vec![("PATH", "/usr/bin:/bin".to_owned()), ("GITHUB_SERVER_URL", server.uri())];
        let mut runner = Runner::new(home.path(), &[], &env);
        // Stop after installing: the PR run is the other test's business.
        runner.inputs.insert("working-directory".to_owned(), "missing-on-purpose".to_owned());
        runner.run_steps();
        let installed = home.path().join(format!("home/.cargo-perf-gate/{version}/bin/cargo-perf-gate"));
        if installs {
            assert!(installed.is_file(), "{}", runner.log());
            assert!(runner.path.iter().any(|p| Path::new(p) == installed.parent().unwrap()));
            let reported = Command::new(&installed).arg("--version").output().unwrap();
            assert_eq!(String::from_utf8_lossy(&reported.stdout).trim(), format!("cargo-perf-gate {version}"));
        } else {
            let (step, code, log) = runner.failed.expect("a bad checksum fails the install");
            assert_eq!((step.as_str(), code), ("install", 1));
            assert!(log.contains("checksum mismatch") && log.contains("refusing to install it"), "{log}");
            assert!(!installed.exists());
        }
    }
}

#[test]
fn merging_without_shards_fails_the_job_as_bad_input() {
    let temp = tempfile::tempdir().unwrap();
    let env = vec![("PATH", format!("{}:{}", binary_dir(), std::env::var("PATH").unwrap()))];
    let mut runner = Runner::new(temp.path(), &[("shard", "merge"), ("fail-on", "never")], &env);
    runner.run_steps();
    assert!(runner.would_use.iter().any(|u| u.starts_with("actions/download-artifact@")));
    assert_eq!(runner.outputs["perf-gate"]["exit-code"], "2", "{}", runner.log());
    assert!(runner.log().contains("no shard results under"), "{}", runner.log());
    let (_, code, _) = runner.failed.expect("the last step fails the job");
    assert_eq!(code, 2);
}

/// Pull request 2 of the fake GitHub has no comment yet; posting one creates it.
fn no_comment_yet(api: &MockServer) {
    answer(
        api,
        "GET",
        "/repos/octo-org/octo-repo/issues/2/comments",
        ResponseTemplate::new(200).set_body_json(json!([])),
        None,
    );
    answer(
        api,
        "POST",
        "/repos/octo-org/octo-repo/issues/2/comments",
        ResponseTemplate::new(201).set_body_json(github_json("issue-comment.json")),
        None,
    );
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `compare: paired` on a pull_request event, as GitHub runs it: the origin holds main and the
/// pull request's merge ref; the job's checkout is that merge commit alone (depth 1, as
/// actions/checkout fetches it), so the base commit must be fetched before it is measured.
#[test]
fn paired_on_a_pull_request_measures_the_base_commit_a_shallow_checkout_lacks() {
    let temp = tempfile::tempdir().unwrap();
    let source = demo_copy("paired", |dir| {
        without_services(dir);
        // Only changes far beyond run-to-run noise count here: this test is about the plumbing.
        let path = dir.join("benchmark-config.json");
        let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        config["regression_threshold_percent"] = json!(50.0);
        config["statistics"] = json!({"unstable_run_downgrades": false});
        std::fs::write(&path, config.to_string()).unwrap();
        std::fs::write(dir.join(".gitignore"), "target/\n").unwrap();
    });
    let source = source.path();
    git(source, &["init", "--quiet", "--initial-branch", "main"]);
    git(source, &["add", "-A"]);
    git(source, &["commit", "--quiet", "-m", "main"]);
    let base = git(source, &["rev-parse", "HEAD"]);
    git(source, &["checkout", "--quiet", "-b", "feature"]);
    slower_parse_numbers(source);
    git(source, &["commit", "--quiet", "-am", "parse three times"]);
    let head = git(source, &["rev-parse", "HEAD"]);
    // GitHub's merge ref: the pull request merged into its base, base first.
    git(source, &["checkout", "--quiet", "--detach", &base]);
    git(source, &["merge", "--quiet", "--no-ff", "-m", "Merge feature into main", "feature"]);
    let merge = git(source, &["rev-parse", "HEAD"]);
    let origin = temp.path().join("origin.git");
    git(temp.path(), &["clone", "--quiet", "--bare", source.to_str().unwrap(), origin.to_str().unwrap()]);
    git(&origin, &["update-ref", "refs/pull/2/merge", &merge]);

    // actions/checkout on pull_request: init, fetch the merge ref at depth 1, check it out.
    let checkout = temp.path().join("ci");
    std::fs::create_dir(&checkout).unwrap();
    git(&checkout, &["init", "--quiet"]);
    git(&checkout, &["remote", "add", "origin", &format!("file://{}", origin.display())]);
    git(
        &checkout,
        &["fetch", "--quiet", "--no-tags", "--depth=1", "origin", "+refs/pull/2/merge:refs/remotes/pull/2/merge"],
    );
    git(&checkout, &["checkout", "--quiet", "--detach", "refs/remotes/pull/2/merge"]);
    assert_eq!(git(&checkout, &["rev-parse", "--is-shallow-repository"]), "true");
    assert!(
        Command::new("git").arg("-C").arg(&checkout).args(["cat-file", "-e", &base]).status().unwrap().code()
            != Some(0)
    );

    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("github/pull_request_event.min.json")).unwrap()).unwrap();
    event["pull_request"]["base"]["sha"] = json!(base);
    event["pull_request"]["base"]["ref"] = json!("main");
    event["pull_request"]["head"]["sha"] = json!(head);
    let event_path = temp.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();

    let api = block_on(MockServer::start());
    no_comment_yet(&api);
    let mut env = vec![
        ("PATH", format!("{}:{}", binary_dir(), std::env::var("PATH").unwrap())),
        ("CARGO_TARGET_DIR", shared_target_dir().display().to_string()),
        ("CRITERION_HOME", temp.path().join("criterion").display().to_string()),
        ("GITHUB_REPOSITORY", "octo-org/octo-repo".to_owned()),
        ("GITHUB_RUN_ID", "556".to_owned()),
        ("GITHUB_STEP_SUMMARY", temp.path().join("step-summary.md").display().to_string()),
        ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
        ("GITHUB_EVENT_PATH", event_path.display().to_string()),
        ("GITHUB_API_URL", api.uri()),
    ];
    env.extend(cargo_env());
    let mut gate = Runner::new(
        temp.path(),
        &[
            ("command", "gate"),
            ("compare", "paired"),
            ("time-budget", "30s"),
            ("working-directory", "ci"),
            ("args", "--quiet --rounds 4"),
            ("comment-id", "paired"),
        ],
        &env,
    );
    gate.run_steps();
    // The slower parse fails the job, after the reports and the comment.
    let (step, code, _) = gate.failed.clone().expect("a regression fails the job");
    assert_eq!((step.as_str(), code), ("step8", 1), "{}", gate.log());
    assert_eq!(gate.action_output("verdict"), "fail", "{}", gate.log());
    let report_dir = PathBuf::from(gate.action_output("report-dir"));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    let verdict = |id: &str| {
        report["comparisons"].as_array().unwrap().iter().find(|c| c["id"] == id && c["metric"] == "time").unwrap()
            ["verdict"]
            .clone()
    };
    assert_eq!(verdict("parse/numbers"), "regressed", "{report}");
    assert_eq!(verdict("adler32_4k"), "unchanged", "{report}");
    assert_eq!(report["baseline"]["git"]["commit"], base.as_str(), "the base side is the pull request's base");
    assert_eq!(report["current"]["git"]["commit"], merge.as_str(), "the current side is the merge commit");
    let notes: Vec<&str> = report["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(
        notes[0].starts_with(&format!("compare paired: the pull request's base commit {}", &base[..12])),
        "{notes:?}"
    );
    assert!(gate.log().contains("fetched just that commit"), "{}", gate.log());
    let requests = block_on(api.received_requests()).unwrap();
    let post = requests.iter().find(|r| r.method.as_str() == "POST").expect("the comment was posted");
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert!(body["body"].as_str().unwrap().contains("parse/numbers"), "{body}");
    // No artifact was looked for: paired needs none.
    assert!(requests.iter().all(|r| !r.url.path().contains("/artifacts")), "{requests:?}");
    assert_eq!(git(&checkout, &["rev-parse", "--is-shallow-repository"]), "true");
    // The base side's target dir was seeded with the current side's dependencies: of all the
    // crates criterion pulls in, each side compiled only its own.
    let log = std::fs::read_to_string(report_dir.join("bench.log")).unwrap();
    let compiled: Vec<&str> = log.lines().filter(|l| l.trim_start().starts_with("Compiling ")).collect();
    assert!(compiled.iter().any(|l| l.contains("demo_paired")), "{log}");
    assert!(compiled.iter().all(|l| l.contains("demo_paired")), "the baseline rebuilt dependencies: {compiled:#?}");
}

/// How a shard of the merge job's tests measured its share.
enum ShardKind<'a> {
    /// Paired whole with the base commit: results.json and baseline/results.json are the rounds.
    Paired,
    /// Measured alone, then these benchmarks re-measured in rounds (paired/ and baseline/).
    Confirmed(&'a [&'a str]),
    /// Measured alone: results.json only.
    Alone,
}

/// Writes shard `index` of 2 as the action uploads it, from `results` (each shard takes every
/// other benchmark); the current side of its rounds is `factor` times the base side.
fn write_shard(shards: &Path, results: &Value, index: usize, kind: ShardKind<'_>, factor: impl Fn(&str) -> f64) {
    let dir = shards.join(format!("perf-gate-shard-{index}-of-2"));
    let share = |only: Option<&[&str]>, rounds: Option<bool>| {
        let mut part = results.clone();
        part["shard"] = json!({"index": index, "count": 2});
        let benchmarks = part["benchmarks"].as_array_mut().unwrap();
        let mut position = 0;
        benchmarks.retain(|b| {
            position += 1;
            (position - 1) % 2 == index - 1 && only.is_none_or(|only| only.contains(&b["id"].as_str().unwrap()))
        });
        if let Some(current) = rounds {
            for benchmark in benchmarks {
                let scale = if current { factor(benchmark["id"].as_str().unwrap()) } else { 1.0 };
                let time = &mut benchmark["metrics"]["time"];
                let mean = time["summary"]["mean"].as_f64().unwrap();
                // Each round's level: the machine drifts, alike on both sides of a round.
                let levels = [1.0, 1.04, 0.97, 1.02, 0.99, 1.01];
                time["rounds"] = json!(levels.iter().map(|d| mean * d * scale).collect::<Vec<f64>>());
            }
            part["interleaved"] =
                json!({"session": format!("session-{index}"), "rounds": 6, "measurement_time_s": 0.3});
        }
        part
    };
    let mut files = vec![];
    match kind {
        ShardKind::Paired => {
            files.push(("results.json", share(None, Some(true))));
            files.push(("baseline/results.json", share(None, Some(false))));
        }
        ShardKind::Confirmed(ids) => {
            files.push(("results.json", share(None, None)));
            files.push(("paired/results.json", share(Some(ids), Some(true))));
            files.push(("baseline/results.json", share(Some(ids), Some(false))));
        }
        ShardKind::Alone => files.push(("results.json", share(None, None))),
    }
    for (file, part) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_string_pretty(&part).unwrap()).unwrap();
    }
}

/// The merge job's report after the action's steps ran with `inputs`.
fn merge_job(temp: &Path, inputs: &[(&str, &str)]) -> (Runner, Value) {
    let env = vec![("PATH", format!("{}:{}", binary_dir(), std::env::var("PATH").unwrap()))];
    let mut runner = Runner::new(temp, inputs, &env);
    runner.run_steps();
    assert!(runner.outputs.contains_key("perf-gate"), "{}", runner.log());
    let report_dir = runner.outputs["perf-gate"].get("report-dir").cloned().unwrap_or_default();
    let report = std::fs::read_to_string(Path::new(&report_dir).join("report.json")).unwrap_or_default();
    let report = serde_json::from_str(&report).unwrap_or(Value::Null);
    (runner, report)
}

/// Per benchmark id: the verdict and evidence of its time comparison.
fn time_verdicts(report: &Value) -> BTreeMap<String, (String, String)> {
    let comparisons = report["comparisons"].as_array().unwrap();
    comparisons
        .iter()
        .filter(|c| c["metric"] == "time")
        .map(|c| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
            (text(&c["id"]), (text(&c["verdict"]), text(&c["evidence"])))
        })
        .collect()
}

#[test]
fn the_merge_job_gates_paired_shards_against_their_merged_base_side() {
    let temp = tempfile::tempdir().unwrap();
    let stored = collect_fixture(temp.path(), "main", &temp.path().join("collected"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&stored).unwrap()).unwrap();
    let ids: Vec<&str> = results["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    let shards = temp.path().join("runner-temp/perf-gate-shards");
    let slower = |id: &str| if id == "parse/numbers" { 3.0 } else { 1.0 };
    let first_shard = |id: &str| ids.iter().position(|i| *i == id).unwrap() % 2 == 0;
    assert!(first_shard("parse/numbers"), "the fixture's order changed: {ids:?}");

    // Both shards paired whole: no stored baseline needed, every comparison paired.
    write_shard(&shards, &results, 1, ShardKind::Paired, slower);
    write_shard(&shards, &results, 2, ShardKind::Paired, slower);
    let (runner, report) = merge_job(temp.path(), &[("shard", "merge"), ("comment", "false"), ("baseline", "")]);
    assert_eq!(runner.outputs["perf-gate"]["exit-code"], "1", "{}", runner.log());
    let time = report["comparisons"].as_array().unwrap().iter().filter(|c| c["metric"] == "time");
    for comparison in time {
        assert_eq!(comparison["paired_rounds"], 6, "{comparison}");
        let expected = if comparison["id"] == "parse/numbers" { "regressed" } else { "unchanged" };
        assert_eq!(comparison["verdict"], expected, "{comparison}");
    }

    // Shard 2 measured alone: shard 1's rounds decide for its share, the screen against the
    // stored baseline for the rest.
    std::fs::remove_dir_all(&shards).unwrap();
    write_shard(&shards, &results, 1, ShardKind::Paired, slower);
    write_shard(&shards, &results, 2, ShardKind::Alone, slower);
    let stored_input = stored.display().to_string();
    let inputs = [("shard", "merge"), ("comment", "false"), ("baseline", stored_input.as_str())];
    let (runner, report) = merge_job(temp.path(), &inputs);
    assert_eq!(runner.outputs["perf-gate"]["exit-code"], "1", "{}", runner.log());
    for (id, (verdict, evidence)) in time_verdicts(&report) {
        let expected = if first_shard(&id) { "paired" } else { "screen" };
        assert_eq!(evidence, expected, "{id}");
        assert_eq!(verdict, if id == "parse/numbers" { "regressed" } else { "unchanged" }, "{id}");
    }

    // Each shard screened its share and confirmed one suspect: only those two are paired.
    std::fs::remove_dir_all(&shards).unwrap();
    write_shard(&shards, &results, 1, ShardKind::Confirmed(&["parse/numbers"]), slower);
    let second = [ids[1]];
    write_shard(&shards, &results, 2, ShardKind::Confirmed(&second), slower);
    let (runner, report) = merge_job(temp.path(), &inputs);
    assert_eq!(runner.outputs["perf-gate"]["exit-code"], "1", "{}", runner.log());
    let verdicts = time_verdicts(&report);
    let paired: Vec<&str> = verdicts.iter().filter(|(_, (_, e))| e == "paired").map(|(id, _)| id.as_str()).collect();
    let mut expected = vec!["parse/numbers", ids[1]];
    expected.sort();
    assert_eq!(paired, expected);
    assert_eq!(verdicts["parse/numbers"].0, "regressed");
    assert_eq!(report["confirmation"]["decided_by_rounds"], 2, "{}", report["confirmation"]);

    // Rounds merged from different shards than their base side pair with nothing: exit 2.
    std::fs::remove_file(shards.join("perf-gate-shard-2-of-2/paired/results.json")).unwrap();
    let mut lone = results.clone();
    lone["benchmarks"].as_array_mut().unwrap().retain(|b| b["id"] == ids[1]);
    lone["interleaved"] = json!({"session": "another-run", "rounds": 6, "measurement_time_s": 0.3});
    let stray = shards.join("perf-gate-shard-2-of-2/paired/results.json");
    std::fs::write(&stray, lone.to_string()).unwrap();
    let (runner, _) = merge_job(temp.path(), &inputs);
    assert_eq!(runner.outputs["perf-gate"]["exit-code"], "2", "{}", runner.log());
    assert!(runner.log().contains("not the same alternating rounds"), "{}", runner.log());
}

/// The arguments the action's main step gave cargo-perf-gate for a shard, on `event`.
fn shard_arguments(event: &str, compare: &str) -> String {
    let temp = tempfile::tempdir().unwrap();
    let bin = temp.path().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = temp.path().join("args.log");
    let fake = bin.join("cargo-perf-gate");
    let version = env!("CARGO_PKG_VERSION");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'cargo-perf-gate {version}'; exit 0; fi\necho \"$@\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let env = vec![
        ("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())),
        ("GITHUB_EVENT_NAME", event.to_owned()),
    ];
    let mut runner = Runner::new(temp.path(), &[("shard", "2/4"), ("compare", compare)], &env);
    runner.run_steps();
    assert!(runner.failed.is_none(), "{:?}", runner.failed);
    std::fs::read_to_string(&log).unwrap()
}

#[test]
fn a_shard_pairs_with_the_base_on_a_pull_request_and_measures_alone_on_a_push() {
    let on_pr = shard_arguments("pull_request", "auto");
    assert!(
        on_pr.contains("run --shard 2/4") && on_pr.contains("--compare auto --time-limit 20m --baseline main"),
        "{on_pr}"
    );
    let confirm = shard_arguments("pull_request", "confirm");
    assert!(confirm.contains("--compare confirm"), "{confirm}");
    for (event, compare) in [("push", "auto"), ("pull_request", "artifact")] {
        let args = shard_arguments(event, compare);
        assert!(args.contains("run --shard 2/4") && !args.contains("--compare"), "{event} {compare}: {args}");
    }
}
