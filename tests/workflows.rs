//! The fork comment workflows, documented (README.md, docs/*.md) and shipped
//! (.github/workflows): a `workflow_run` job holds a write token and downloads an artifact the
//! pull request's own run produced, so nothing in that artifact may choose what runs.
//!
//! Statically, every job that downloads an artifact puts it under `runner.temp`, installs
//! cargo-perf-gate before the download, never runs `cargo perf-gate` (a `[alias]` in a
//! `.cargo/config.toml` shadows an external subcommand) and never runs cargo inside the
//! download. Dynamically, each comment workflow runs the way the runner would against a fake
//! GitHub on 127.0.0.1, with an artifact that carries such an alias and a payload crate whose
//! build script records the token it sees: the payload must never build, and the comment must
//! be posted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};
use yaml_rust2::{Yaml, YamlLoader};

/// A workflow: where it was found, and its YAML.
struct Workflow {
    origin: String,
    yaml: Yaml,
}

/// `.github/workflows/*.yml`, and every ```yaml block of README.md and docs/*.md that parses
/// and has `jobs` (snippets that are only steps or keys are not workflows).
fn workflows() -> Vec<Workflow> {
    let mut found = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    for path in files {
        let origin = path.strip_prefix(repo()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let yaml = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{origin}: {e}")).remove(0);
        found.push(Workflow { origin, yaml });
    }
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    for path in std::iter::once(repo().join("README.md")).chain(docs) {
        let file = path.strip_prefix(repo()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, (line, block)) in yaml_blocks(&text).into_iter().enumerate() {
            let Ok(mut documents) = YamlLoader::load_from_str(&block) else { continue };
            if documents.is_empty() || documents[0]["jobs"].as_hash().is_none() {
                continue;
            }
            let origin = format!("{file} yaml block {} (line {line})", number + 1);
            found.push(Workflow { origin, yaml: documents.remove(0) });
        }
    }
    found
}

/// The ```yaml fenced blocks of a markdown text, with the line each starts on.
fn yaml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        match &mut open {
            None if line.trim_start() == "```yaml" || line.trim_start() == "```yml" => {
                open = Some((index + 2, String::new()));
            }
            None => {}
            Some(_) if line.trim_start().starts_with("```") => blocks.push(open.take().unwrap()),
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

fn map(yaml: &Yaml) -> Vec<(String, &Yaml)> {
    yaml.as_hash().map(|hash| hash.iter().map(|(k, v)| (scalar(k), v)).collect()).unwrap_or_default()
}

fn scalar(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null | Yaml::BadValue => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// The events a workflow's `on:` names.
fn triggers(workflow: &Yaml) -> Vec<String> {
    let on = &workflow["on"];
    match on {
        Yaml::Array(events) => events.iter().map(scalar).collect(),
        Yaml::Hash(_) => map(on).into_iter().map(|(k, _)| k).collect(),
        other => vec![scalar(other)],
    }
}

fn jobs(workflow: &Yaml) -> Vec<(String, &Yaml)> {
    map(&workflow["jobs"])
}

fn steps(job: &Yaml) -> &[Yaml] {
    job["steps"].as_vec().map_or(&[], Vec::as_slice)
}

fn uses(step: &Yaml) -> &str {
    step["uses"].as_str().unwrap_or("")
}

fn run(step: &Yaml) -> &str {
    step["run"].as_str().unwrap_or("")
}

/// How a violation names a step: its position, and its name, id, action or first command.
fn describe(index: usize, step: &Yaml) -> String {
    let what = step["name"]
        .as_str()
        .or(step["id"].as_str())
        .or(step["uses"].as_str())
        .or(run(step).lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')))
        .unwrap_or("?");
    format!("step {} (`{what}`)", index + 1)
}

/// A shell line's words: split on blanks and on `;`, `&`, `|`, `(`, `)`, quotes and backquotes
/// dropped (good enough to spot commands and their first argument).
fn words(line: &str) -> Vec<&str> {
    if line.trim_start().starts_with('#') {
        return Vec::new();
    }
    line.split(|c: char| c.is_whitespace() || ";&|()".contains(c))
        .map(|w| w.trim_matches(|c| "\"'`".contains(c)))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `line` runs the `cargo` command (not `cargo-perf-gate`, not a word inside another).
fn runs_cargo(line: &str) -> bool {
    words(line).contains(&"cargo")
}

/// Whether a script line runs `cargo perf-gate` (whatever the spacing).
fn runs_cargo_perf_gate(line: &str) -> bool {
    line.split_whitespace().collect::<Vec<_>>().windows(2).any(|w| w[0].ends_with("cargo") && w[1] == "perf-gate")
}

fn is_runner_temp(path: &str) -> bool {
    path.replace(' ', "").starts_with("${{runner.temp}}")
}

/// The rules, for every job that downloads an artifact and every workflow run with a write
/// token on a fork's behalf: violations, each naming the file, the job and the step.
fn violations(workflow: &Workflow) -> Vec<String> {
    let mut found = Vec::new();
    let privileged = triggers(&workflow.yaml).iter().any(|t| t == "workflow_run" || t == "pull_request_target");
    for (job_name, job) in jobs(&workflow.yaml) {
        let at =
            |index: usize, step: &Yaml| format!("{}: job `{job_name}`, {}", workflow.origin, describe(index, step));
        let steps = steps(job);
        if privileged {
            for (index, step) in steps.iter().enumerate() {
                if let Some(line) = run(step).lines().find(|l| runs_cargo_perf_gate(l)) {
                    found.push(format!(
                        "{}: runs `cargo perf-gate` with a write token (an alias in a .cargo/config.toml shadows \
                         the subcommand; call the installed `cargo-perf-gate` binary): `{}`",
                        at(index, step),
                        line.trim()
                    ));
                }
                if uses(step).starts_with("actions/checkout@")
                    && scalar(&step["with"]["persist-credentials"]) != "false"
                {
                    found.push(format!(
                        "{}: checks out with the token persisted (persist-credentials: false)",
                        at(index, step)
                    ));
                }
            }
        }
        let default_directory = scalar(&job["defaults"]["run"]["working-directory"]);
        for (download, step) in
            steps.iter().enumerate().filter(|(_, s)| uses(s).starts_with("actions/download-artifact@"))
        {
            let path = scalar(&step["with"]["path"]);
            if !is_runner_temp(&path) {
                found.push(format!(
                    "{}: downloads to `{}`, not to a directory of its own under ${{{{ runner.temp }}}}",
                    at(download, step),
                    if path.is_empty() { "the workspace" } else { &path }
                ));
            }
            for (index, other) in steps.iter().enumerate() {
                let installs = uses(other).starts_with("actions/checkout@")
                    || run(other)
                        .lines()
                        .any(|l| l.split_whitespace().collect::<Vec<_>>().starts_with(&["cargo", "install"]));
                if installs && index > download {
                    found.push(format!(
                        "{}: installs or checks out after the download at {}: install first",
                        at(index, other),
                        describe(download, step)
                    ));
                }
                if let Some(line) = run(other).lines().find(|l| runs_cargo_perf_gate(l)).filter(|_| !privileged) {
                    found.push(format!(
                        "{}: runs `cargo perf-gate` in a job that downloads an artifact (an alias can shadow it): `{}`",
                        at(index, other),
                        line.trim()
                    ));
                }
                if index <= download {
                    continue;
                }
                // Where the step starts, and whether that is inside the download.
                let directory = match scalar(&other["working-directory"]) {
                    d if d.is_empty() => default_directory.clone(),
                    d => d,
                };
                let in_download = if path.is_empty() || !is_runner_temp(&path) && !path.starts_with('/') {
                    // The workspace, or a directory in it: where run steps start by default.
                    let relative = !directory.starts_with('/') && !is_runner_temp(&directory);
                    relative && (path.is_empty() || Path::new(&directory).starts_with(path.trim_start_matches("./")))
                } else {
                    directory.starts_with(&path)
                };
                // The names a script can give the download: its path, and env vars set to it.
                let mut names = vec![path.clone()];
                for env in [&workflow.yaml["env"], &job["env"], &other["env"]] {
                    for (name, value) in map(env) {
                        if !path.is_empty() && scalar(value).starts_with(&path) {
                            names.extend([format!("${name}"), format!("${{{name}}}")]);
                        }
                    }
                }
                let mut inside = in_download;
                for line in run(other).lines() {
                    let enters = words(line).windows(2).any(|w| {
                        matches!(w[0], "cd" | "pushd")
                            && names.iter().any(|n| !n.is_empty() && w[1].starts_with(n.as_str()))
                    });
                    inside |= enters;
                    if inside && runs_cargo(line) {
                        found.push(format!(
                            "{}: runs cargo inside the downloaded artifact `{}` (its .cargo/config.toml would apply): `{}`",
                            at(index, other),
                            if path.is_empty() { "(the workspace)" } else { &path },
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    found
}

/// The workflows that post a fork's comment: triggered by `workflow_run`, downloading an
/// artifact.
fn comment_workflows() -> Vec<Workflow> {
    workflows()
        .into_iter()
        .filter(|w| {
            triggers(&w.yaml).iter().any(|t| t == "workflow_run")
                && jobs(&w.yaml)
                    .iter()
                    .any(|(_, job)| steps(job).iter().any(|s| uses(s).starts_with("actions/download-artifact@")))
        })
        .collect()
}

#[test]
fn fork_comment_workflows_never_let_the_artifact_choose_what_runs() {
    let all = workflows();
    let comment: Vec<&str> = all
        .iter()
        .filter(|w| triggers(&w.yaml).iter().any(|t| t == "workflow_run"))
        .map(|w| w.origin.split(" yaml block").next().unwrap())
        .collect();
    for expected in ["README.md", "docs/github-action.md", ".github/workflows/perf-gate-comment.yml"] {
        assert!(comment.contains(&expected), "no workflow_run workflow found in {expected}: {comment:?}");
    }
    let found: Vec<String> = all.iter().flat_map(violations).collect();
    assert!(found.is_empty(), "{} violation(s):\n{}", found.len(), found.join("\n"));
}

/// A gate job runs the pull request's code: a checkout that persists the job's token in
/// `.git/config` hands it to that code. Every documented and shipped checkout keeps none.
#[test]
fn no_checkout_leaves_the_token_in_git_config() {
    let mut persisting = Vec::new();
    for workflow in workflows() {
        for (job_name, job) in jobs(&workflow.yaml) {
            for (index, step) in steps(job).iter().enumerate() {
                let keeps_none = step["with"]["persist-credentials"].as_bool() == Some(false);
                if uses(step).starts_with("actions/checkout@") && !keeps_none {
                    persisting.push(format!("{}: job `{job_name}`, step {}", workflow.origin, describe(index, step)));
                }
            }
        }
    }
    assert!(persisting.is_empty(), "checkouts without `persist-credentials: false`:\n{}", persisting.join("\n"));
}

#[test]
fn the_rules_catch_each_unsafe_shape() {
    let check = |yaml: &str| {
        let yaml = YamlLoader::load_from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}")).remove(0);
        violations(&Workflow { origin: "test.yml".to_owned(), yaml })
    };
    let safe = r#"
on: {workflow_run: {workflows: [perf-gate], types: [completed]}}
jobs:
  comment:
    runs-on: ubuntu-latest
    steps:
      - run: cargo install --locked cargo-perf-gate
      - uses: actions/download-artifact@v7
        with: {name: x, path: "${{ runner.temp }}/x"}
      - env: {DIR: "${{ runner.temp }}/x"}
        run: cargo-perf-gate comment --body "$DIR/comment.md" --pr 1
"#;
    assert_eq!(check(safe), Vec::<String>::new());
    for (unsafe_shape, expected) in [
        (safe.replace("path: \"${{ runner.temp }}/x\"", "path: x"), "downloads to `x`"),
        (safe.replace(", path: \"${{ runner.temp }}/x\"", ""), "downloads to `the workspace`"),
        (
            safe.replace("cargo-perf-gate comment", "cargo perf-gate comment"),
            "runs `cargo perf-gate` with a write token",
        ),
        (
            safe.replace("run: cargo-perf-gate", "run: true;cd \"$DIR\" && cargo fmt; cargo-perf-gate"),
            "runs cargo inside",
        ),
        (
            safe.replace(
                "run: cargo-perf-gate",
                "working-directory: ${{ runner.temp }}/x\n        run: cargo build; cargo-perf-gate",
            ),
            "runs cargo inside",
        ),
        (
            safe.replace("      - run: cargo install --locked cargo-perf-gate\n", "")
                + "      - run: cargo install --locked cargo-perf-gate\n",
            "install first",
        ),
        (
            safe.replace("- run: cargo install", "- uses: actions/checkout@v5\n      - run: cargo install"),
            "persist-credentials: false",
        ),
    ] {
        let found = check(&unsafe_shape);
        assert!(found.iter().any(|v| v.contains(expected)), "{expected}: {found:?}\n{unsafe_shape}");
        assert!(found.iter().all(|v| v.starts_with("test.yml: job `comment`, step ")), "{found:?}");
    }
}

const TOKEN: &str = "ghs_forkCommentTestToken0123456789";

/// One run of a comment workflow's job, modelled on the runner: `${{ }}` substituted, `if:`
/// honoured, `uses:` steps modelled (the download copies the artifact where download-artifact
/// would put it), `run:` steps run with `bash -e -c` in a cleared environment.
struct Job<'a> {
    origin: &'a str,
    temp: &'a Path,
    workspace: PathBuf,
    runner_temp: PathBuf,
    api: String,
    event: Value,
    /// Everything the steps printed, by step.
    logs: Vec<(String, String)>,
    download_outcome: Option<&'static str>,
}

impl Job<'_> {
    fn lookup(&self, expression: &str) -> String {
        match expression {
            "github.token" => TOKEN.to_owned(),
            "runner.temp" => self.runner_temp.display().to_string(),
            "github.workspace" => self.workspace.display().to_string(),
            "github.event.workflow_run.id" => self.event["workflow_run"]["id"].to_string(),
            "github.event.workflow_run.event" => self.event["workflow_run"]["event"].as_str().unwrap().to_owned(),
            "github.event.repository.default_branch" => "main".to_owned(),
            "steps.download.outcome" => self.download_outcome.unwrap_or("").to_owned(),
            other => panic!("{}: expression `{other}` is not modelled by this test", self.origin),
        }
    }

    fn substitute(&self, text: &str) -> String {
        substitute_expressions(text, |expression| self.lookup(expression))
    }

    /// `if:` as these workflows write it: terms joined by `&&`, each `always()`, `X == 'v'`,
    /// `X != 'v'`, or `hashFiles('p') != ''` (which, like the runner's, sees only the
    /// workspace).
    fn condition(&self, condition: &str, failed: bool) -> bool {
        evaluate_condition(condition, failed, |left| {
            match left.strip_prefix("hashFiles('").and_then(|l| l.strip_suffix("')")) {
                Some(pattern) => {
                    assert!(!pattern.contains('*'), "hashFiles pattern `{pattern}` not modelled");
                    if self.workspace.join(pattern).is_file() {
                        "a hash".to_owned()
                    } else {
                        String::new()
                    }
                }
                None => self.lookup(left),
            }
        })
    }

    /// Runs `job`'s steps, with `artifact` (file name, contents) as the pull request's run's
    /// artifact. Returns the first failing step, if any.
    fn run(&mut self, job: &Yaml, artifact: &dyn Fn(&Path) -> Vec<(String, String)>) -> Option<String> {
        if let Some(condition) = job["if"].as_str() {
            assert!(self.condition(condition, false), "{}: the job would not run: {condition}", self.origin);
        }
        let mut failed: Option<String> = None;
        for (index, step) in steps(job).iter().enumerate() {
            let name = describe(index, step);
            if let Some(condition) = step["if"].as_str() {
                if !self.condition(condition, failed.is_some()) {
                    continue;
                }
            } else if failed.is_some() {
                continue;
            }
            let action = uses(step).split('@').next().unwrap();
            match action {
                "actions/download-artifact" => {
                    let with = &step["with"];
                    assert_eq!(self.substitute(&scalar(&with["run-id"])), "30433642", "{}: {name}", self.origin);
                    assert_eq!(scalar(&with["name"]), "perf-gate-comment", "{}: {name}", self.origin);
                    // download-artifact resolves `path` against the workspace; none: the workspace.
                    let path = self.substitute(&scalar(&with["path"]));
                    let into = self.workspace.join(path);
                    for (file, contents) in artifact(&into) {
                        let to = into.join(file);
                        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                        std::fs::write(to, contents).unwrap();
                    }
                    self.download_outcome = Some("success");
                    continue;
                }
                // The checkout of perf-gate's own default branch: modelled, like its install,
                // by the binary under test on PATH.
                "actions/checkout" => {
                    assert_eq!(scalar(&step["with"]["path"]), "perf-gate", "{}: {name}", self.origin);
                    continue;
                }
                "" => {}
                other => panic!("{}: {name} uses {other}, which this test does not model", self.origin),
            }
            // `cargo install` of cargo-perf-gate is modelled by the binary under test on PATH.
            let script: Vec<String> = run(step)
                .lines()
                .map(|line| {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    if words.starts_with(&["cargo", "install"]) {
                        assert!(line.contains("cargo-perf-gate") || line.contains("perf-gate"), "{line}");
                        ": cargo install modelled by PATH".to_owned()
                    } else {
                        line.to_owned()
                    }
                })
                .collect();
            let script = self.substitute(&script.join("\n"));
            let directory = match scalar(&step["working-directory"]) {
                d if d.is_empty() => self.workspace.clone(),
                d => self.workspace.join(self.substitute(&d)),
            };
            let mut command = Command::new("bash");
            command.arg("-e").arg("-c").arg(&script).current_dir(directory).env_clear();
            for (name, value) in base_env(self.temp, &self.api) {
                command.env(name, value);
            }
            command
                .env("RUNNER_TEMP", &self.runner_temp)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_EVENT_PATH", fixture("github/workflow_run_event.json"));
            for (name, value) in map(&step["env"]) {
                command.env(name, self.substitute(&scalar(value)));
            }
            let output = command.output().unwrap();
            let log = format!("{}{}", stdout(&output), stderr(&output));
            self.logs.push((name.clone(), log));
            if !output.status.success() && failed.is_none() {
                failed = Some(format!("{name} exited with {:?}", output.status.code()));
            }
        }
        failed
    }

    fn log(&self) -> String {
        self.logs.iter().map(|(step, log)| format!("--- {step}\n{log}")).collect()
    }
}

/// The environment of every run step: what the runner sets, and what cargo needs to work.
fn base_env(temp: &Path, api: &str) -> Vec<(&'static str, String)> {
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_cargo-perf-gate")).parent().unwrap().display().to_string();
    let mut env = vec![
        ("PATH", format!("{binary_dir}:{}", std::env::var("PATH").unwrap())),
        ("HOME", temp.join("home").display().to_string()),
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_REPOSITORY", "octocat/Hello-World".to_owned()),
        ("GITHUB_API_URL", api.to_owned()),
        ("GITHUB_SERVER_URL", "https://github.example".to_owned()),
        ("GITHUB_RUN_ID", "30433700".to_owned()),
        ("GITHUB_EVENT_NAME", "workflow_run".to_owned()),
        // Only the payload builds (if anything does): its own target dir, in the temp dir.
        ("CARGO_TARGET_DIR", temp.join("cargo-target").display().to_string()),
    ];
    env.extend(cargo_env());
    env
}

const COMMENT: &str =
    "## ✅ perf-gate: PASS\n\nPosted from the pull request's run.\n\n<!-- cargo-perf-gate:benchmark-config.json -->\n";

/// The pull request's run's artifact, as a hostile fork would build it for a download into
/// `into`: the comment and the number, plus a `.cargo/config.toml` whose alias turns
/// `cargo perf-gate` into building a payload crate whose build script writes down the token.
fn hostile_artifact(into: &Path, marker: &Path) -> Vec<(String, String)> {
    let manifest = into.join("payload/Cargo.toml");
    // Both append to the marker: the build script (at compile time) and the binary (run).
    let record = |what: &str| {
        format!(
            "use std::io::Write;\n\nfn main() {{\n    let token = std::env::var(\"GITHUB_TOKEN\").unwrap_or_default();\n    \
             let mut marker = std::fs::OpenOptions::new().create(true).append(true).open({marker:?}).unwrap();\n    \
             writeln!(marker, \"{what} ran, token {{token}}\").unwrap();\n}}\n"
        )
    };
    let (build, main) = (record("build script"), record("payload"));
    vec![
        ("comment.md".to_owned(), COMMENT.to_owned()),
        ("pr-number".to_owned(), "1347\n".to_owned()),
        (
            ".cargo/config.toml".to_owned(),
            format!("[alias]\nperf-gate = [\"run\", \"--quiet\", \"--manifest-path\", {:?}, \"--\"]\n", manifest.display().to_string()),
        ),
        (
            "payload/Cargo.toml".to_owned(),
            "[package]\nname = \"payload\"\nversion = \"0.1.0\"\nedition = \"2021\"\nbuild = \"build.rs\"\n\n[workspace]\n"
                .to_owned(),
        ),
        ("payload/build.rs".to_owned(), build),
        ("payload/src/main.rs".to_owned(), main),
    ]
}

/// The fake GitHub the comment step talks to.
fn fake_github() -> MockServer {
    let api = block_on(MockServer::start());
    let base = "/repos/octocat/Hello-World";
    answer(
        &api,
        "GET",
        &format!("{base}/pulls/1347"),
        ResponseTemplate::new(200).set_body_json(github_json("pull-request.json")),
        None,
    );
    answer(
        &api,
        "GET",
        "/user",
        ResponseTemplate::new(403).set_body_json(json!({"message": "Resource not accessible by integration"})),
        None,
    );
    answer(
        &api,
        "GET",
        &format!("{base}/issues/1347/comments"),
        ResponseTemplate::new(200).set_body_json(json!([])),
        None,
    );
    answer(
        &api,
        "POST",
        &format!("{base}/issues/1347/comments"),
        ResponseTemplate::new(201).set_body_json(github_json("issue-comment.json")),
        None,
    );
    api
}

/// Runs the comment workflow found in `file` against a hostile artifact.
fn comment_workflow_resists_a_hostile_artifact(file: &str) {
    let all = comment_workflows();
    let workflow = all
        .iter()
        .find(|w| w.origin == file || w.origin.starts_with(&format!("{file} yaml block")))
        .unwrap_or_else(|| panic!("no comment workflow in {file}"));
    let (job_name, job) = jobs(&workflow.yaml)
        .into_iter()
        .find(|(_, job)| steps(job).iter().any(|s| uses(s).starts_with("actions/download-artifact@")))
        .unwrap();
    let temp = tempfile::tempdir().unwrap();
    let api = fake_github();
    let mut runner = Job {
        origin: &workflow.origin,
        temp: temp.path(),
        workspace: temp.path().join("workspace"),
        runner_temp: temp.path().join("runner-temp"),
        api: api.uri(),
        event: serde_json::from_str(&std::fs::read_to_string(fixture("github/workflow_run_event.json")).unwrap())
            .unwrap(),
        logs: Vec::new(),
        download_outcome: None,
    };
    for dir in [&runner.workspace, &runner.runner_temp, &temp.path().join("home")] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let marker = temp.path().join("payload-ran");
    let failed = runner.run(job, &|into| hostile_artifact(into, &marker));
    let origin = format!("{}, job `{job_name}`", workflow.origin);

    assert!(
        !marker.exists(),
        "{origin}: the artifact's alias ran its payload with the write token: {}\n{}",
        std::fs::read_to_string(&marker).unwrap_or_default().replace(TOKEN, "[TOKEN]"),
        runner.log().replace(TOKEN, "[TOKEN]")
    );
    assert!(
        !temp.path().join("cargo-target").exists(),
        "{origin}: cargo built something from the artifact\n{}",
        runner.log().replace(TOKEN, "[TOKEN]")
    );
    assert!(failed.is_none(), "{origin}: {failed:?}\n{}", runner.log().replace(TOKEN, "[TOKEN]"));
    let requests = block_on(api.received_requests()).unwrap();
    let post = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap_or_else(|| panic!("{origin}: no comment posted\n{}", runner.log().replace(TOKEN, "[TOKEN]")));
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let body = body["body"].as_str().unwrap();
    assert!(body.starts_with("## ✅ perf-gate: PASS\n\nPosted from the pull request's run."), "{origin}: {body}");
    assert_eq!(post.headers.get("authorization").unwrap().to_str().unwrap(), format!("Bearer {TOKEN}"));
    for (step, log) in &runner.logs {
        assert!(!log.contains(TOKEN), "{origin}: {step} printed the token");
    }
}

#[test]
fn readme_comment_workflow_resists_a_hostile_artifact() {
    comment_workflow_resists_a_hostile_artifact("README.md");
}

#[test]
fn docs_comment_workflow_resists_a_hostile_artifact() {
    comment_workflow_resists_a_hostile_artifact("docs/github-action.md");
}

#[test]
fn shipped_comment_workflow_resists_a_hostile_artifact() {
    comment_workflow_resists_a_hostile_artifact(".github/workflows/perf-gate-comment.yml");
}
