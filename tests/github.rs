//! The real binary against a fake GitHub on 127.0.0.1 (wiremock) that answers with GitHub's
//! documented payloads (tests/fixtures/github): the baseline artifact, the sticky comment, the
//! fork's read-only token, retries, and the token staying secret.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_perfGateTestToken0123456789";
const REPO: &str = "octo-org/octo-repo";
const PR: u64 = 2;

/// An entry of GitHub's documented artifact list, re-aimed.
fn artifact(id: u64, created_at: &str, branch: &str, head_repository_id: u64, expired: bool) -> Value {
    let mut entry = github_json("artifact-list.json")["artifacts"][0].clone();
    entry["id"] = json!(id);
    entry["name"] = json!("perf-gate-baseline");
    entry["created_at"] = json!(created_at);
    entry["expired"] = json!(expired);
    entry["workflow_run"]["id"] = json!(1000 + id);
    entry["workflow_run"]["head_branch"] = json!(branch);
    entry["workflow_run"]["head_repository_id"] = json!(head_repository_id);
    entry
}

/// GitHub's documented workflow run, as run `id` of workflow file `path` triggered by `event`.
fn run_of(id: u64, path: &str, event: &str) -> Value {
    let mut run = github_json("workflow-run-list.full.json")["workflow_runs"][0].clone();
    run["id"] = json!(id);
    run["path"] = json!(path);
    run["event"] = json!(event);
    run["head_branch"] = json!("main");
    run
}

/// Answers `GET .../actions/runs/{id}` on `api` under `base` for each run.
fn runs(api: &MockServer, base: &str, runs: &[(u64, &str, &str)]) {
    for (id, path, event) in runs {
        answer(api, "GET", &format!("{base}/actions/runs/{id}"), ok_json(200, run_of(*id, path, event)), None);
    }
}

/// The gate's own workflow, as `GITHUB_WORKFLOW_REF` names it in `gate`.
const WORKFLOW: &str = ".github/workflows/perf-gate.yml";

/// A comment of GitHub's documented list, written by the Actions token's bot.
fn comment(id: u64, body: &str) -> Value {
    comment_by(id, body, "github-actions[bot]", "Bot")
}

/// The fixture's `main` and `pr` runs collected into `temp`.
fn main_and_pr(temp: &Path) -> (PathBuf, PathBuf) {
    (collect_fixture(temp, "main", &temp.join("main")), collect_fixture(temp, "pr", &temp.join("pr")))
}

/// `check` of `pr` as a pull_request job of GitHub Actions would run it, against `api`.
fn gate(temp: &Path, pr: &Path, api: &str, baseline: &str) -> assert_cmd::Command {
    gate_with_config(temp, pr, api, baseline, &fixture("configs/gates.json"))
}

fn gate_with_config(temp: &Path, pr: &Path, api: &str, baseline: &str, config: &Path) -> assert_cmd::Command {
    let mut command = perf_gate(temp);
    command
        .args(["check", "--results"])
        .arg(pr)
        .args(["--baseline", baseline, "--comment-id", "linux", "--config"])
        .arg(config)
        .arg("--out-dir")
        .arg(temp.join("out"))
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", api)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "777")
        .env("GITHUB_WORKFLOW_REF", format!("{REPO}/{WORKFLOW}@refs/pull/{PR}/merge"))
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", fixture("github/pull_request_event.min.json"))
        .env("GITHUB_STEP_SUMMARY", temp.join("step-summary.md"))
        .env("GITHUB_OUTPUT", temp.join("step-outputs"))
        .env("GITHUB_TOKEN", TOKEN);
    command
}

/// The token must not be in anything perf-gate printed or wrote.
fn assert_token_never_shown(output: &std::process::Output, out_dir: &Path) {
    assert!(!stdout(output).contains(TOKEN) && !stderr(output).contains(TOKEN), "token printed");
    for entry in std::fs::read_dir(out_dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        assert!(!text.contains(TOKEN), "token written to {}", path.display());
    }
}

fn requests(server: &MockServer) -> Vec<Request> {
    block_on(server.received_requests()).unwrap()
}

fn ok_json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// `cargo perf-gate comment --body BODY --pr PR --repo REPO --api-url API`.
fn comment_command(temp: &Path, body: &Path, pr: &str, api: &MockServer) -> assert_cmd::Command {
    let mut command = perf_gate(temp);
    command.args(["comment", "--body"]).arg(body).args(["--pr", pr, "--repo", REPO, "--api-url", &api.uri()]);
    command
}

fn authorization(request: &Request) -> Option<String> {
    request.headers.get("authorization").map(|v| v.to_str().unwrap().to_owned())
}

#[test]
fn the_newest_own_artifact_is_the_baseline_and_the_marked_comment_is_updated() {
    let temp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pr(temp.path());
    // GitHub Enterprise Server: the API lives under /api/v3, and the prefix must survive.
    let (api, blobs) = (block_on(MockServer::start()), block_on(MockServer::start()));
    let base = format!("/api/v3/repos/{REPO}");
    let marker = "<!-- cargo-perf-gate:linux -->";
    let listed = json!({
        "total_count": 4,
        "artifacts": [
            artifact(1, "2026-11-01T10:00:00Z", "main", 1296269, false),
            artifact(2, "2026-11-20T10:00:00Z", "main", 1296269, false),
            // A fork's branch named main, newer: must never become the baseline.
            artifact(3, "2026-11-25T10:00:00Z", "main", 4242, false),
            artifact(4, "2026-11-26T10:00:00Z", "main", 1296269, true),
            // Newer, from main, but uploaded by another workflow, and by a run a comment started.
            artifact(5, "2026-11-27T10:00:00Z", "main", 1296269, false),
            artifact(6, "2026-11-28T10:00:00Z", "main", 1296269, false),
        ]
    });
    block_on(
        Mock::given(method("GET"))
            .and(path(format!("{base}/actions/artifacts")))
            .and(query_param("name", "perf-gate-baseline"))
            .respond_with(ok_json(200, listed))
            .expect(1)
            .mount(&api),
    );
    let at_main = format!("{WORKFLOW}@main");
    runs(
        &api,
        &base,
        &[(1002, &at_main, "push"), (1005, ".github/workflows/other.yml", "push"), (1006, WORKFLOW, "issue_comment")],
    );
    // The download redirects to another origin, as GitHub's signed blob URLs do.
    let redirect = ResponseTemplate::new(302).insert_header("location", format!("{}/blob/2", blobs.uri()));
    answer(&api, "GET", &format!("{base}/actions/artifacts/2/zip"), redirect, Some(1));
    let zip = ResponseTemplate::new(200).set_body_bytes(zip_with_results(&main));
    answer(&blobs, "GET", "/blob/2", zip, Some(1));
    // The marked comment is on the second page.
    let comments = format!("{base}/issues/{PR}/comments");
    let next = format!("<{}{comments}?per_page=100&page=2>; rel=\"next\"", api.uri());
    let first_page = ok_json(200, github_json("issue-comment-list.json")).insert_header("link", next);
    block_on(
        Mock::given(method("GET"))
            .and(path(&comments))
            .and(query_param_is_missing("page"))
            .respond_with(first_page)
            .expect(1)
            .mount(&api),
    );
    let second_page = ok_json(
        200,
        json!([comment(98, "<!-- cargo-perf-gate:macos -->"), comment(99, &format!("old verdict\n\n{marker}"))]),
    );
    block_on(
        Mock::given(method("GET"))
            .and(path(&comments))
            .and(query_param("page", "2"))
            .respond_with(second_page)
            .expect(1)
            .mount(&api),
    );
    let updated = ok_json(200, github_json("issue-comment.json"));
    answer(&api, "PATCH", &format!("{base}/issues/comments/99"), updated, Some(1));

    let output = gate(temp.path(), &pr, &format!("{}/api/v3", api.uri()), "main").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    // The baseline was the newest own, unexpired artifact, and the regression was found.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join("out/report.json")).unwrap()).unwrap();
    let origin = &report["baseline"]["origin"];
    assert_eq!(origin["source"], "artifact perf-gate-baseline (id 2) of run 1002 on main");
    assert_eq!(origin["url"], "https://github.example/octo-org/octo-repo/actions/runs/1002");
    assert!(origin["age_seconds"].as_u64().is_some());
    assert_eq!(report["counts"]["regressed"], 1);
    let summary = std::fs::read_to_string(temp.path().join("out/summary.md")).unwrap();
    assert!(summary.contains("from [artifact perf-gate-baseline (id 2) of run 1002 on main"), "{summary}");

    // One PATCH of comment 99 with the new verdict and the marker last; nothing created.
    let api_requests = requests(&api);
    assert!(api_requests.iter().all(|r| r.method.as_str() != "POST"));
    let patch = api_requests.iter().find(|r| r.method.as_str() == "PATCH").unwrap();
    let body: Value = serde_json::from_slice(&patch.body).unwrap();
    let body = body["body"].as_str().unwrap();
    assert!(body.starts_with("## ❌ perf-gate: FAIL"), "{body}");
    assert!(body.ends_with(marker), "{body}");
    let written = std::fs::read_to_string(temp.path().join("out/comment.md")).unwrap();
    assert_eq!(written, body);

    // The token went to the API only, never to the blob host.
    assert!(api_requests.iter().all(|r| authorization(r).as_deref() == Some(&*format!("Bearer {TOKEN}"))));
    assert!(requests(&blobs).iter().all(|r| authorization(r).is_none()));

    // Annotations on stdout, the summary appended for the job page.
    let out = stdout(&output);
    assert!(out.contains("::error title=perf-gate%3A parse/numbers regressed::time +"), "{out}");
    assert!(out.contains("::warning title=perf-gate%3A Distinct p95 under 1 ns::count_distinct/1000"), "{out}");
    let step_summary = std::fs::read_to_string(temp.path().join("step-summary.md")).unwrap();
    assert!(step_summary.starts_with("## ❌ perf-gate: FAIL"));
    assert!(!step_summary.contains("cargo-perf-gate:linux"));
    assert!(stderr(&output).contains("Updated the comment on #2 (comment 99)"));
    let out_dir = temp.path().join("out");
    assert_eq!(
        std::fs::read_to_string(temp.path().join("step-outputs")).unwrap(),
        format!(
            "verdict=fail\nregressions=1\nfailed-gates=1\nreport-dir={}\nsummary-path={}\nresults-path={}\nbaseline-path={}\nupdate-baseline=false\n",
            out_dir.display(),
            out_dir.join("summary.md").display(),
            pr.display(),
            pr.display()
        )
    );
    assert_token_never_shown(&output, &temp.path().join("out"));
    block_on(async {
        api.verify().await;
        blobs.verify().await;
    });
}

#[test]
fn an_expired_artifact_skips_the_regression_check_and_says_why() {
    let temp = tempfile::tempdir().unwrap();
    let (_, pr) = main_and_pr(temp.path());
    let api = block_on(MockServer::start());
    let listed = json!({"total_count": 1, "artifacts": [artifact(5, "2026-11-20T10:00:00Z", "main", 1296269, false)]});
    answer(&api, "GET", &format!("/repos/{REPO}/actions/artifacts"), ok_json(200, listed), None);
    runs(&api, &format!("/repos/{REPO}"), &[(1005, WORKFLOW, "schedule")]);
    // Expired between listing and download: GitHub answers 410 with a JSON body.
    let gone =
        ok_json(410, json!({"message": "Artifact has expired", "documentation_url": "https://docs.github.com/rest"}));
    answer(&api, "GET", &format!("/repos/{REPO}/actions/artifacts/5/zip"), gone, None);
    let output = gate(temp.path(), &pr, &api.uri(), "artifact:main").arg("--no-comment").output().unwrap();
    // The warning gate still fails, as a warning; no regression check, so nothing blocks.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let expected = "no usable baseline from branch `main`: baseline artifact 5 has expired since it was listed (Artifact has expired)";
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report["comparison_skipped"], expected);
    for file in ["summary.md", "report.html"] {
        let text = std::fs::read_to_string(temp.path().join("out").join(file)).unwrap();
        assert!(text.contains("has expired since it was listed"), "{file}");
    }
    assert!(stdout(&output).contains("::notice title=perf-gate%3A no regression check::no usable baseline"));
    assert!(!temp.path().join("out/comment.md").exists());

    let required = gate(temp.path(), &pr, &api.uri(), "main").arg("--require-baseline").output().unwrap();
    assert_eq!(required.status.code(), Some(2));
    assert!(stderr(&required).contains("no usable baseline (--require-baseline)"), "{}", stderr(&required));
}

#[test]
fn an_artifact_another_workflow_uploaded_is_never_the_baseline() {
    let temp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pr(temp.path());
    let api = block_on(MockServer::start());
    let listed = json!({"total_count": 1, "artifacts": [artifact(8, "2026-11-20T10:00:00Z", "main", 1296269, false)]});
    answer(&api, "GET", &format!("/repos/{REPO}/actions/artifacts"), ok_json(200, listed), None);
    // Any workflow on main may upload an artifact of that name: this one is not the gate's.
    runs(&api, &format!("/repos/{REPO}"), &[(1008, ".github/workflows/nightly-experiments.yml@main", "push")]);
    let zip = ResponseTemplate::new(200).set_body_bytes(zip_with_results(&main));
    answer(&api, "GET", &format!("/repos/{REPO}/actions/artifacts/8/zip"), zip, None);
    let output = gate(temp.path(), &pr, &api.uri(), "main").arg("--no-comment").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join("out/report.json")).unwrap()).unwrap();
    let skipped = report["comparison_skipped"].as_str().unwrap();
    assert!(
        skipped.contains("artifact 8: run 1008 is of workflow `.github/workflows/nightly-experiments.yml`, not `.github/workflows/perf-gate.yml`"),
        "{skipped}"
    );
    // Named explicitly, that workflow is the baseline's.
    let named = gate(temp.path(), &pr, &api.uri(), "main")
        .args(["--no-comment", "--baseline-workflow", "nightly-experiments.yml"])
        .output()
        .unwrap();
    assert_eq!(named.status.code(), Some(1), "the regression against it decides: {}", stderr(&named));
    assert!(stderr(&named).contains("Baseline: artifact perf-gate-baseline (id 8) of run 1008 on main"));
}

#[test]
fn a_fork_gets_403_keeps_its_exit_code_and_the_second_workflow_posts_the_body() {
    let temp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pr(temp.path());
    let api = block_on(MockServer::start());
    let comments = format!("/repos/{REPO}/issues/{PR}/comments");
    answer(&api, "GET", &comments, ok_json(200, json!([])), None);
    let refusal = ok_json(403, json!({"message": "Resource not accessible by integration"}));
    answer(&api, "POST", &comments, refusal, Some(1));
    let output = gate(temp.path(), &pr, &api.uri(), main.to_str().unwrap()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "the regression decides, not the comment");
    let err = stderr(&output);
    assert!(err.contains("HTTP 403: Resource not accessible by integration"), "{err}");
    assert!(err.contains("read-only token") && err.contains("cargo perf-gate comment"), "{err}");
    let body_file = temp.path().join("out/comment.md");
    let body = std::fs::read_to_string(&body_file).unwrap();
    assert!(body.ends_with("<!-- cargo-perf-gate:linux -->"));
    assert_token_never_shown(&output, &temp.path().join("out"));
    block_on(api.verify());

    // The workflow_run job, with a write token, posts the prepared body.
    let writer = block_on(MockServer::start());
    let comments = format!("/repos/{REPO}/issues/7/comments");
    answer(&writer, "GET", &comments, ok_json(200, github_json("issue-comment-list.json")), None);
    answer(&writer, "POST", &comments, ok_json(201, github_json("issue-comment.json")), Some(1));
    let posted = comment_command(temp.path(), &body_file, "7", &writer)
        .args(["--github-token", TOKEN, "--comment-id", "linux"])
        .output()
        .unwrap();
    assert_eq!(posted.status.code(), Some(0), "{}", stderr(&posted));
    assert!(stderr(&posted).contains("Commented on #7"));
    let request = requests(&writer).into_iter().find(|r| r.method.as_str() == "POST").unwrap();
    let sent: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(sent["body"].as_str().unwrap(), body, "the body goes out as prepared, marker included");
    assert!(!stderr(&posted).contains(TOKEN) && !stdout(&posted).contains(TOKEN));
    block_on(writer.verify());
}

#[test]
fn server_errors_are_retried_then_only_warned_about() {
    let temp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pr(temp.path());
    let api = block_on(MockServer::start());
    let bad_gateway = ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>");
    answer(&api, "GET", &format!("/repos/{REPO}/issues/{PR}/comments"), bad_gateway, None);
    let output = gate(temp.path(), &pr, &api.uri(), main.to_str().unwrap()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: cannot comment on the pull request: listing the comments of #2: HTTP 502")
    );
    let listings = requests(&api).into_iter().filter(|r| r.url.path().ends_with("/issues/2/comments")).count();
    assert_eq!(listings, 3, "three attempts, then give up");

    let required =
        gate(temp.path(), &pr, &api.uri(), main.to_str().unwrap()).arg("--require-comment").output().unwrap();
    assert_eq!(required.status.code(), Some(4), "{}", stderr(&required));
    assert!(stderr(&required).contains("error: the PR comment was not posted"));
}

#[test]
fn a_rate_limit_is_waited_out() {
    let temp = tempfile::tempdir().unwrap();
    let body = temp.path().join("comment.md");
    std::fs::write(&body, "## perf-gate: PASS\n").unwrap();
    let api = block_on(MockServer::start());
    let comments = format!("/repos/{REPO}/issues/3/comments");
    block_on(
        Mock::given(method("GET"))
            .and(path(&comments))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&api),
    );
    let marked = json!([comment(5, "<!-- cargo-perf-gate:benchmark-config.json -->")]);
    answer(&api, "GET", &comments, ok_json(200, marked), None);
    let updated = ok_json(200, github_json("issue-comment.json"));
    answer(&api, "PATCH", &format!("/repos/{REPO}/issues/comments/5"), updated, Some(1));
    let output = comment_command(temp.path(), &body, "3", &api).env("GITHUB_TOKEN", TOKEN).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("Updated the comment on #3 (comment 5)"));
    let listings = requests(&api).into_iter().filter(|r| r.method.as_str() == "GET" && r.url.path() == comments);
    assert_eq!(listings.count(), 2, "one 429, then the listing");
    block_on(api.verify());
}

#[test]
fn github_setup_mistakes_are_exit_2_with_the_fix() {
    let temp = tempfile::tempdir().unwrap();
    let (_, pr) = main_and_pr(temp.path());
    let run = |args: &[&str]| perf_gate(temp.path()).args(["check", "--results"]).arg(&pr).args(args).output().unwrap();
    let outside = run(&["--baseline", "main"]);
    assert_eq!(outside.status.code(), Some(2));
    assert!(stderr(&outside).contains("run `cargo perf-gate run --baseline main`"), "{}", stderr(&outside));
    let bad_repo = run(&["--baseline", "artifact:main", "--repo", "not-a-repo"]);
    assert_eq!(bad_repo.status.code(), Some(2));
    assert!(stderr(&bad_repo).contains("--repo: `not-a-repo` is not a repository"));
    let no_body = perf_gate(temp.path()).args(["comment", "--body", "missing.md", "--pr", "1"]).output().unwrap();
    assert_eq!(no_body.status.code(), Some(2));
    assert!(stderr(&no_body).contains("missing.md: cannot read the comment body"));
    std::fs::write(temp.path().join("body.md"), "x").unwrap();
    let no_token =
        perf_gate(temp.path()).args(["comment", "--body", "body.md", "--pr", "1", "--repo", REPO]).output().unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(stderr(&no_token).contains("no GitHub token: pass --github-token or set GITHUB_TOKEN"));
}

/// The commands the Actions runner would obey in one stream of a step's output, modelled on
/// actions/runner (ActionCommandManager.TryProcessCommand, ActionCommand.TryParseV2/TryParse):
/// `::name ...::data` at the start of a line after blanks, the legacy `##[name ...]data` anywhere
/// in a line, and `stop-commands` suspending everything until its token comes back.
fn obeyed_commands(stream: &str) -> Vec<String> {
    const REGISTERED: &[&str] = &[
        "add-mask",
        "add-matcher",
        "add-path",
        "debug",
        "echo",
        "endgroup",
        "error",
        "group",
        "notice",
        "remove-matcher",
        "save-state",
        "set-env",
        "set-output",
        "stop-commands",
        "warning",
    ];
    let mut stopped: Option<String> = None;
    let mut obeyed = Vec::new();
    for line in stream.lines() {
        let known = |name: &str| {
            REGISTERED.iter().any(|r| r.eq_ignore_ascii_case(name))
                || stopped.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(name))
        };
        let v2 = line.trim_start().strip_prefix("::").and_then(|rest| {
            let (info, data) = rest.split_once("::")?;
            let name = info.split(' ').next().unwrap();
            known(name).then(|| (name.to_owned(), data.to_owned()))
        });
        let v1 = || {
            let rest = &line[line.find("##[")? + 3..];
            let (info, data) = rest.split_once(']')?;
            let name = info.split(' ').next().unwrap();
            known(name).then(|| (name.to_owned(), data.to_owned()))
        };
        let Some((name, data)) = v2.or_else(v1) else { continue };
        match &stopped {
            Some(token) if name.eq_ignore_ascii_case(token) => stopped = None,
            Some(_) => {}
            None if name == "stop-commands" => stopped = Some(data),
            None => obeyed.push(format!("{name} {line}")),
        }
    }
    obeyed
}

#[test]
fn nothing_a_pull_request_names_is_obeyed_as_a_workflow_command() {
    let temp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pr(temp.path());
    // Benchmark ids and gate names come from the pull request: make them commands.
    let hostile = |path: &Path| {
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("\"sort/insertion/256\"", r#""sort/insertion/256 ##[add-mask]ms""#)
            .replace("\"adler32_4k\"", r#""adler32_4k\n::set-output name=verdict::pass""#);
        std::fs::write(path, text).unwrap();
    };
    hostile(&pr);
    hostile(&main);
    let config = temp.path().join("hostile-config.json");
    let gates = std::fs::read_to_string(fixture("configs/gates.json"))
        .unwrap()
        .replace("Checksum under 1 ms", r"Checksum\n##[error]forged gate ##[add-mask]ms\u001b]0;title\u0007")
        .replace("Distinct p95 under 1 ns", r"::warning::forged at the start");
    std::fs::write(&config, gates).unwrap();
    let api = block_on(MockServer::start());
    let output = gate_with_config(temp.path(), &pr, &api.uri(), main.to_str().unwrap(), &config)
        .arg("--no-comment")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    // The names are printed (their line breaks shown escaped, so none starts a line of its own).
    for printed in ["##[error]forged gate ##[add-mask]ms", "\\u{a}::set-output name=verdict::pass", "::warning::forged"]
    {
        assert!(out.contains(printed), "the hostile names are printed: {out}");
    }
    // Nor does any of it reach a terminal as an escape sequence.
    assert!(!out.contains('\u{1b}') && out.contains(r"\u{1b}]0;title\u{7}"), "{out}");
    let obeyed_out = obeyed_commands(&out);
    assert!(!obeyed_out.is_empty(), "perf-gate's own annotations still reach the runner:\n{out}");
    for command in &obeyed_out {
        assert!(
            ["error title=perf-gate%3A ", "warning title=perf-gate%3A ", "notice title=perf-gate%3A "]
                .iter()
                .any(|ours| command.contains(&format!("::{ours}"))),
            "obeyed a command perf-gate did not mean to give: {command}\n{out}"
        );
    }
    let obeyed_err = obeyed_commands(&stderr(&output));
    assert!(obeyed_err.is_empty(), "{obeyed_err:?}");
    // Stopped from the first line to the last, on both streams.
    for stream in [out.as_str(), &stderr(&output)] {
        assert!(stream.starts_with("::stop-commands::"), "{stream}");
    }
}

/// The results at `path` as measured `hours_ago` hours before now.
fn earlier(path: &Path, hours_ago: u64) -> Vec<u8> {
    let mut results: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(hours_ago * 3600);
    results["created_at"] = json!(humantime::format_rfc3339_seconds(when).to_string());
    results.to_string().into_bytes()
}

/// The baseline job extends the window main's previous artifact carries: this run in full,
/// then the runs before it, newest first and compacted, up to --window; a pull request's gate
/// then reads the whole window from the artifact.
#[test]
fn the_baseline_artifact_carries_a_window_that_the_gate_reads() {
    let temp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pr(temp.path());
    let api = block_on(MockServer::start());
    let listed = json!({"total_count": 1, "artifacts": [artifact(8, "2026-11-20T10:00:00Z", "main", 1296269, false)]});
    answer(&api, "GET", &format!("/repos/{REPO}/actions/artifacts"), ok_json(200, listed), None);
    runs(&api, &format!("/repos/{REPO}"), &[(1008, WORKFLOW, "push")]);
    // Made once: made again later, the hour-old timestamp could fall in the next second.
    let newest_before = earlier(&main, 1);
    let previous = zip_of(&[
        ("results.json", newest_before.clone()),
        ("window/01.json", earlier(&main, 2)),
        ("window/02.json", earlier(&main, 3)),
    ]);
    answer(
        &api,
        "GET",
        &format!("/repos/{REPO}/actions/artifacts/8/zip"),
        ResponseTemplate::new(200).set_body_bytes(previous),
        None,
    );

    // The baseline job of a push to main, as the action runs it.
    let baseline_job = |window: &str| {
        let out = temp.path().join(format!("baseline-{window}"));
        let output = perf_gate(temp.path())
            .args(["check", "--no-comment", "--config"])
            .arg(fixture("configs/none.json"))
            .arg("--results")
            .arg(&main)
            .arg("--out-dir")
            .arg(&out)
            .args(["--extend-window", "main", "--window", window])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_API_URL", api.uri())
            .env("GITHUB_WORKFLOW_REF", format!("{REPO}/{WORKFLOW}@refs/heads/main"))
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_OUTPUT", out.with_extension("outputs"))
            .env("GITHUB_TOKEN", TOKEN)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        (out.join("baseline-artifact"), std::fs::read_to_string(out.with_extension("outputs")).unwrap())
    };
    let (dir, outputs) = baseline_job("3");
    assert!(
        outputs.contains(&format!("baseline-path={}\n", std::path::absolute(&dir).unwrap().display())),
        "{outputs}"
    );
    assert_eq!(std::fs::read(dir.join("results.json")).unwrap(), std::fs::read(&main).unwrap());
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("window").join(name)).unwrap()).unwrap()
    };
    let before: Value = serde_json::from_slice(&newest_before).unwrap();
    let (first, second) = (read("01.json"), read("02.json"));
    assert_eq!(first["created_at"], before["created_at"], "the previous artifact's newest run comes first");
    assert!(second["created_at"].as_str() < first["created_at"].as_str());
    assert!(!dir.join("window/03.json").exists(), "3 runs in all");
    // Older runs are compacted: at most 32 samples a metric, the summary kept.
    let time = &first["benchmarks"][0]["metrics"]["time"];
    assert_eq!(time["samples"].as_array().unwrap().len(), 32);
    assert_eq!(time["summary"]["n"], 100);
    let (dir, _) = baseline_job("10");
    assert_eq!(std::fs::read_dir(dir.join("window")).unwrap().count(), 3, "all the previous artifact had");

    // The gate of a pull request reads the window from main's newest artifact.
    let window = zip_of(&[
        ("results.json", std::fs::read(dir.join("results.json")).unwrap()),
        ("window/01.json", std::fs::read(dir.join("window/01.json")).unwrap()),
        ("window/02.json", std::fs::read(dir.join("window/02.json")).unwrap()),
    ]);
    let gate_api = block_on(MockServer::start());
    let listed = json!({"total_count": 1, "artifacts": [artifact(9, "2026-11-21T10:00:00Z", "main", 1296269, false)]});
    answer(&gate_api, "GET", &format!("/repos/{REPO}/actions/artifacts"), ok_json(200, listed), None);
    runs(&gate_api, &format!("/repos/{REPO}"), &[(1009, WORKFLOW, "push")]);
    answer(
        &gate_api,
        "GET",
        &format!("/repos/{REPO}/actions/artifacts/9/zip"),
        ResponseTemplate::new(200).set_body_bytes(window),
        None,
    );
    let output = gate(temp.path(), &pr, &gate_api.uri(), "main").arg("--no-comment").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("a window of 3 runs"), "{}", stderr(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report["window"]["runs"], 3, "{}", report["window"]);
    assert!(report["comparisons"].as_array().unwrap().iter().all(|c| c["window"]["runs"] == 3));
    assert_token_never_shown(&output, &temp.path().join("out"));

    // An artifact from before windows (results.json alone) is still one run to compare with.
    let old_api = block_on(MockServer::start());
    let listed = json!({"total_count": 1, "artifacts": [artifact(10, "2026-11-19T10:00:00Z", "main", 1296269, false)]});
    answer(&old_api, "GET", &format!("/repos/{REPO}/actions/artifacts"), ok_json(200, listed), None);
    runs(&old_api, &format!("/repos/{REPO}"), &[(1010, WORKFLOW, "push")]);
    let single = ResponseTemplate::new(200).set_body_bytes(zip_with_results(&main));
    answer(&old_api, "GET", &format!("/repos/{REPO}/actions/artifacts/10/zip"), single, None);
    let output = gate(temp.path(), &pr, &old_api.uri(), "main").arg("--no-comment").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!stderr(&output).contains("a window of"), "{}", stderr(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join("out/report.json")).unwrap()).unwrap();
    assert!(report.get("window").is_none(), "{}", report["window"]);
    assert_eq!(report["baseline"]["origin"]["source"], "artifact perf-gate-baseline (id 10) of run 1010 on main");
}
