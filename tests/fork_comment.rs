//! The fork setup's comment job, as `perf-gate-comment.yml` runs it (a `workflow_run` event, a
//! write token, a body and a pull-request number from the fork's artifact), against a fake
//! GitHub on 127.0.0.1 answering with GitHub's documented payloads. Each test is one way a
//! fork's artifact could aim or forge the comment.

mod common;

use std::path::Path;

use common::*;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_commentJobWriteToken0123456789";
/// The base repository of tests/fixtures/github/pull-request.json.
const REPO: &str = "octocat/Hello-World";
/// The pull request whose head the event's run built (pull-request.json, workflow_run_event.json).
const PR: u64 = 1347;
const DEFAULT_MARKER: &str = "<!-- cargo-perf-gate:benchmark-config.json -->";

/// `cargo-perf-gate comment --body BODY [ARGS]` in a workflow_run job of `REPO`.
fn comment_job(temp: &Path, body: &str, api: &MockServer, args: &[&str]) -> std::process::Output {
    let body_file = temp.join("comment.md");
    std::fs::write(&body_file, body).unwrap();
    perf_gate(temp)
        .args(["comment", "--body"])
        .arg(&body_file)
        .args(args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", api.uri())
        .env("GITHUB_RUN_ID", "888")
        .env("GITHUB_EVENT_NAME", "workflow_run")
        .env("GITHUB_EVENT_PATH", fixture("github/workflow_run_event.json"))
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .unwrap()
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// GitHub's answers for an Actions token: `/user` is not for it.
fn actions_token(api: &MockServer) {
    let refused = json!({"message": "Resource not accessible by integration"});
    answer(api, "GET", "/user", json_response(403, refused), None);
}

/// Pull request `number` as GitHub documents it, with its head moved to `sha` in `repo`.
fn pull_request(number: u64, sha: &str, repo: (u64, &str)) -> Value {
    let mut pr = github_json("pull-request.json");
    pr["number"] = json!(number);
    pr["head"]["sha"] = json!(sha);
    pr["head"]["repo"]["id"] = json!(repo.0);
    pr["head"]["repo"]["full_name"] = json!(repo.1);
    pr
}

fn writes(api: &MockServer) -> Vec<Request> {
    block_on(api.received_requests()).unwrap().into_iter().filter(|r| r.method.as_str() != "GET").collect()
}

fn sent_body(request: &Request) -> String {
    serde_json::from_slice::<Value>(&request.body).unwrap()["body"].as_str().unwrap().to_owned()
}

#[test]
fn the_bots_own_comment_is_updated_and_the_body_cannot_forge_a_marker_or_mention() {
    let temp = tempfile::tempdir().unwrap();
    let api = block_on(MockServer::start());
    actions_token(&api);
    answer(
        &api,
        "GET",
        &format!("/repos/{REPO}/pulls/{PR}"),
        json_response(200, github_json("pull-request.json")),
        Some(1),
    );
    let listed = json!([
        // A maintainer quoting the marker at the very end of their own comment.
        comment_by(10, &format!("Look at this:\n\n{DEFAULT_MARKER}"), "octocat", "User"),
        // Another gate's comment (macos), which the body below tries to take over.
        comment_by(11, "macos verdict\n\n<!-- cargo-perf-gate:macos -->", "github-actions[bot]", "Bot"),
        // This gate's comment.
        comment_by(12, &format!("old verdict\n\n{DEFAULT_MARKER}"), "github-actions[bot]", "Bot"),
    ]);
    answer(&api, "GET", &format!("/repos/{REPO}/issues/{PR}/comments"), json_response(200, listed), Some(1));
    let updated = json_response(200, github_json("issue-comment.json"));
    answer(&api, "PATCH", &format!("/repos/{REPO}/issues/comments/12"), updated, Some(1));

    let forged = "## perf-gate: PASS\n\ncc @octocat @org/security\n\n<!-- cargo-perf-gate:macos -->\n";
    let output = comment_job(temp.path(), forged, &api, &["--pr", &PR.to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("Updated the comment on #1347 (comment 12)"), "{}", stderr(&output));
    assert!(stderr(&output).contains("pass --comment-id macos if the gate job used that id"), "{}", stderr(&output));
    let writes = writes(&api);
    assert_eq!(writes.len(), 1, "only this gate's own comment is written: {writes:?}");
    let body = sent_body(&writes[0]);
    assert!(body.ends_with(DEFAULT_MARKER), "{body}");
    assert_eq!(body.matches("cargo-perf-gate:").count(), 1, "the body's marker is neutralised: {body}");
    assert!(body.contains("cc @\u{200B}octocat @\u{200B}org/security"), "mentions notify no one: {body}");
    assert!(!stderr(&output).contains(TOKEN) && !stdout(&output).contains(TOKEN));
    block_on(api.verify());
}

#[test]
fn a_pull_request_number_the_run_did_not_build_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let api = block_on(MockServer::start());
    actions_token(&api);
    // The fork's artifact names someone else's pull request #9.
    let victim = pull_request(9, "0123456789abcdef0123456789abcdef01234567", (4242, "victim/project"));
    answer(&api, "GET", &format!("/repos/{REPO}/pulls/9"), json_response(200, victim), Some(1));
    let output = comment_job(temp.path(), "## perf-gate: PASS\n", &api, &["--pr", "9"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("refusing to comment: #9 is not the pull request run 30433642 built: #9's head is in victim/project, but run 30433642 built octocat/Hello-World"),
        "{err}"
    );
    assert!(writes(&api).is_empty());
    let listed_comments = block_on(api.received_requests()).unwrap().iter().any(|r| r.url.path().contains("/issues/"));
    assert!(!listed_comments, "nothing of #9 is even read");
    block_on(api.verify());
}

#[test]
fn a_pull_request_that_moved_on_gets_no_stale_verdict() {
    let temp = tempfile::tempdir().unwrap();
    let api = block_on(MockServer::start());
    actions_token(&api);
    let moved = pull_request(PR, "fedcba9876543210fedcba9876543210fedcba98", (1296269, "octocat/Hello-World"));
    answer(&api, "GET", &format!("/repos/{REPO}/pulls/{PR}"), json_response(200, moved), Some(1));
    let output = comment_job(temp.path(), "## perf-gate: FAIL\n", &api, &["--pr", &PR.to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("not commenting on #1347: its head moved on to fedcba98"), "{}", stderr(&output));
    assert!(writes(&api).is_empty());
}

#[test]
fn without_a_number_the_run_finds_its_own_pull_request() {
    let temp = tempfile::tempdir().unwrap();
    let api = block_on(MockServer::start());
    actions_token(&api);
    // Another open pull request from the same branch name of another fork does not match.
    let open = json!([
        pull_request(5, "1111111111111111111111111111111111111111", (777, "other/Hello-World")),
        github_json("pull-request.json"),
    ]);
    block_on(
        Mock::given(method("GET"))
            .and(path(format!("/repos/{REPO}/pulls")))
            .and(query_param("head", "octocat:new-topic"))
            .and(query_param("state", "open"))
            .respond_with(json_response(200, open))
            .expect(1)
            .mount(&api),
    );
    answer(&api, "GET", &format!("/repos/{REPO}/issues/{PR}/comments"), json_response(200, json!([])), Some(1));
    let created = json_response(201, github_json("issue-comment.json"));
    answer(&api, "POST", &format!("/repos/{REPO}/issues/{PR}/comments"), created, Some(1));
    let output = comment_job(temp.path(), "## perf-gate: PASS\n", &api, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("Commented on #1347"), "{}", stderr(&output));
    block_on(api.verify());
}

#[test]
fn a_body_larger_than_any_gate_writes_is_refused_before_anything_is_sent() {
    let temp = tempfile::tempdir().unwrap();
    let api = block_on(MockServer::start());
    let output = comment_job(temp.path(), &"x".repeat(300_000), &api, &["--pr", &PR.to_string()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("larger than 262144 bytes, which no gate run writes"), "{}", stderr(&output));
    assert!(block_on(api.received_requests()).unwrap().is_empty());
}
