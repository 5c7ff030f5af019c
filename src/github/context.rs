//! Where perf-gate runs on GitHub: repository, API, workflow run and pull request, read from
//! the variables GitHub Actions sets and the event file, each overridable by a flag.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::GitHubError;

pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const DEFAULT_SERVER_URL: &str = "https://github.com";

/// A token. It has no `Display`, and its `Debug` hides it, so it cannot reach a message by
/// accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// `None` for an empty value: an unset secret reaches a workflow as an empty string.
    pub fn new(value: String) -> Option<Token> {
        let value = value.trim().to_owned();
        (!value.is_empty()).then_some(Token(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub owner: String,
    pub name: String,
}

impl Repository {
    pub fn parse(text: &str) -> Result<Repository, String> {
        let valid = |part: &str| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match text.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => {
                Ok(Repository { owner: owner.to_owned(), name: name.to_owned() })
            }
            _ => Err(format!("`{text}` is not a repository: expected OWNER/NAME, e.g. rust-lang/cargo")),
        }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The pull request a run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub head_sha: Option<String>,
    pub base_sha: Option<String>,
    /// `owner/name` of the repository the PR's branch lives in.
    pub head_repository: Option<String>,
}

/// The workflow run that triggered a `workflow_run` workflow (the fork setup's comment job):
/// what it built, which binds anything it left behind to one pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggeringRun {
    pub id: u64,
    /// The event that started it: `pull_request` for the gate's run.
    pub event: String,
    pub head_sha: String,
    pub head_branch: Option<String>,
    /// The repository the built branch lives in (a fork's, for a fork's pull request).
    pub head_repository: Option<HeadRepository>,
}

/// A repository as a pull request's head or a run's `head_repository` names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeadRepository {
    pub id: Option<u64>,
    pub full_name: Option<String>,
}

impl HeadRepository {
    /// The same repository: by id when both have one (a rename keeps it), else by name.
    pub fn same_as(&self, other: &HeadRepository) -> bool {
        match (self.id, other.id) {
            (Some(a), Some(b)) => a == b,
            _ => self.full_name.is_some() && self.full_name == other.full_name,
        }
    }

    pub fn describe(&self) -> String {
        match (&self.full_name, self.id) {
            (Some(name), _) => name.clone(),
            (None, Some(id)) => format!("repository {id}"),
            (None, None) => "an unknown repository".to_owned(),
        }
    }
}

/// Values given on the command line; each wins over the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub repository: Option<String>,
    pub pull_request: Option<u64>,
    pub api_url: Option<String>,
    pub token: Option<String>,
}

/// Whether this process runs in a GitHub Actions job, as [`Context::detect`] decides it; for
/// choices made before the context is read.
pub fn in_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| actions_flag(&v))
}

fn actions_flag(value: &str) -> bool {
    value == "true"
}

/// Everything perf-gate knows about its GitHub surroundings.
#[derive(Debug, Clone)]
pub struct Context {
    /// `GITHUB_ACTIONS=true`: inside a workflow run.
    pub in_actions: bool,
    pub repository: Option<Repository>,
    pub api_url: String,
    pub server_url: String,
    pub run_id: Option<String>,
    pub event_name: Option<String>,
    pub pull_request: Option<PullRequest>,
    /// On a `workflow_run` event: the run that triggered this one.
    pub triggering_run: Option<TriggeringRun>,
    /// This run's workflow file (`.github/workflows/perf-gate.yml`), from `GITHUB_WORKFLOW_REF`.
    pub workflow_path: Option<String>,
    pub token: Option<Token>,
    /// `GITHUB_STEP_SUMMARY`: the file a step appends its summary to.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: the file a step appends its outputs to.
    pub step_outputs: Option<PathBuf>,
}

/// The parts of a `pull_request` (or `pull_request_target`) event payload perf-gate reads.
#[derive(Deserialize)]
struct Event {
    number: Option<u64>,
    pull_request: Option<EventPullRequest>,
}

#[derive(Deserialize)]
struct EventPullRequest {
    number: Option<u64>,
    head: Option<EventRef>,
    base: Option<EventRef>,
}

#[derive(Deserialize)]
struct EventRef {
    sha: Option<String>,
    repo: Option<EventRepo>,
}

#[derive(Deserialize)]
struct EventRepo {
    full_name: Option<String>,
}

/// The parts of a `workflow_run` event payload perf-gate reads.
#[derive(Deserialize)]
struct WorkflowRunEvent {
    workflow_run: Option<EventWorkflowRun>,
}

#[derive(Deserialize)]
struct EventWorkflowRun {
    id: Option<u64>,
    event: Option<String>,
    head_sha: Option<String>,
    head_branch: Option<String>,
    head_repository: Option<HeadRepository>,
}

impl Context {
    /// Reads the process environment and, on a pull request event, the event file.
    pub fn detect(overrides: &Overrides) -> Result<Context, GitHubError> {
        // The token left the environment at start-up (crate::secrets); the rest is still there.
        let env = |name: &str| match name {
            "GITHUB_TOKEN" => crate::secrets::github_token(),
            _ => std::env::var(name).ok(),
        };
        Context::from_lookup(env, overrides, |path| std::fs::read_to_string(path))
    }

    /// [`Context::detect`] with the environment and the file system passed in, for tests.
    pub fn from_lookup(
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<Context, GitHubError> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let setup = GitHubError::Setup;
        let repository = match overrides.repository.clone().or_else(|| env("GITHUB_REPOSITORY")) {
            Some(text) => {
                let source = if overrides.repository.is_some() { "--repo" } else { "GITHUB_REPOSITORY" };
                Some(Repository::parse(&text).map_err(|message| setup(format!("{source}: {message}")))?)
            }
            None => None,
        };
        let api_url =
            overrides.api_url.clone().or_else(|| env("GITHUB_API_URL")).unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        check_url(&api_url).map_err(|message| {
            setup(format!("{}: {message}", if overrides.api_url.is_some() { "--api-url" } else { "GITHUB_API_URL" }))
        })?;
        let event_name = env("GITHUB_EVENT_NAME");
        let event_file = |path: &str| {
            read_file(path).map_err(|e| setup(format!("GITHUB_EVENT_PATH {path}: cannot read the event file: {e}")))
        };
        let (from_event, triggering_run) = match (event_name.as_deref(), env("GITHUB_EVENT_PATH")) {
            (Some(name), Some(path)) if name.starts_with("pull_request") => {
                let event = pull_request_of_event(&event_file(&path)?);
                (event.map_err(|message| setup(format!("GITHUB_EVENT_PATH {path}: {message}")))?, None)
            }
            (Some("workflow_run"), Some(path)) => {
                let run = triggering_run_of_event(&event_file(&path)?);
                (None, Some(run.map_err(|message| setup(format!("GITHUB_EVENT_PATH {path}: {message}")))?))
            }
            // What a workflow_run job may post is bound to its event: never go on without it.
            (Some("workflow_run"), None) => {
                return Err(setup(
                    "GITHUB_EVENT_NAME is workflow_run but GITHUB_EVENT_PATH is not set: the triggering run cannot be checked".to_owned(),
                ))
            }
            _ => (None, None),
        };
        let pull_request = match (overrides.pull_request, from_event) {
            (Some(number), Some(event)) if event.number == number => Some(event),
            (Some(number), _) => Some(PullRequest { number, head_sha: None, base_sha: None, head_repository: None }),
            (None, event) => event,
        };
        Ok(Context {
            in_actions: env("GITHUB_ACTIONS").is_some_and(|v| actions_flag(&v)),
            repository,
            api_url: api_url.trim_end_matches('/').to_owned(),
            server_url: env("GITHUB_SERVER_URL").unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned()),
            run_id: env("GITHUB_RUN_ID"),
            event_name,
            pull_request,
            triggering_run,
            workflow_path: env("GITHUB_WORKFLOW_REF").and_then(|r| workflow_path_of_ref(&r)),
            token: overrides.token.clone().or_else(|| env("GITHUB_TOKEN")).and_then(Token::new),
            step_summary: env("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            step_outputs: env("GITHUB_OUTPUT").map(PathBuf::from),
        })
    }

    /// The page of this workflow run, where its artifacts (the HTML report) are.
    pub fn run_url(&self) -> Option<String> {
        let repository = self.repository.as_ref()?;
        let run_id = self.run_id.as_ref()?;
        Some(format!("{}/{repository}/actions/runs/{run_id}", self.server_url.trim_end_matches('/')))
    }

    /// The repository, or an error saying how to name one.
    pub fn require_repository(&self) -> Result<&Repository, GitHubError> {
        self.repository.as_ref().ok_or_else(|| {
            GitHubError::Setup(
                "no repository: set GITHUB_REPOSITORY (GitHub Actions does) or pass --repo OWNER/NAME".to_owned(),
            )
        })
    }

    /// The token, or an error saying how to give one.
    pub fn require_token(&self) -> Result<&Token, GitHubError> {
        self.token.as_ref().ok_or_else(|| {
            GitHubError::Setup(
                "no GitHub token: pass --github-token or set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)"
                    .to_owned(),
            )
        })
    }
}

fn check_url(url: &str) -> Result<(), String> {
    match url.parse::<http::Uri>() {
        Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some() => Ok(()),
        _ => Err(format!("`{url}` is not an http(s) URL, e.g. https://api.github.com or https://HOST/api/v3")),
    }
}

/// `.github/workflows/x.yml` of `owner/repo/.github/workflows/x.yml@refs/heads/main`.
fn workflow_path_of_ref(workflow_ref: &str) -> Option<String> {
    let path = workflow_ref.split('@').next()?;
    let start = path.find(".github/")?;
    Some(path[start..].to_owned())
}

fn triggering_run_of_event(text: &str) -> Result<TriggeringRun, String> {
    let event: WorkflowRunEvent =
        serde_json::from_str(text).map_err(|e| format!("not a GitHub workflow_run event payload: {e}"))?;
    let run = event.workflow_run.ok_or("the workflow_run event names no workflow_run")?;
    let missing = |field: &str| format!("the workflow_run event has no workflow_run.{field}");
    Ok(TriggeringRun {
        id: run.id.ok_or_else(|| missing("id"))?,
        event: run.event.ok_or_else(|| missing("event"))?,
        head_sha: run.head_sha.ok_or_else(|| missing("head_sha"))?,
        head_branch: run.head_branch,
        head_repository: run.head_repository,
    })
}

fn pull_request_of_event(text: &str) -> Result<Option<PullRequest>, String> {
    let event: Event = serde_json::from_str(text).map_err(|e| format!("not a GitHub event payload: {e}"))?;
    let pull_request = event.pull_request;
    let number = pull_request.as_ref().and_then(|pr| pr.number).or(event.number);
    let Some(number) = number else { return Ok(None) };
    let head = pull_request.as_ref().and_then(|pr| pr.head.as_ref());
    let base = pull_request.as_ref().and_then(|pr| pr.base.as_ref());
    Ok(Some(PullRequest {
        number,
        head_sha: head.and_then(|h| h.sha.clone()),
        base_sha: base.and_then(|b| b.sha.clone()),
        head_repository: head.and_then(|h| h.repo.as_ref()).and_then(|r| r.full_name.clone()),
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const EVENT: &str = include_str!("../../tests/fixtures/github/pull_request_event.min.json");

    fn context(vars: &[(&str, &str)], overrides: &Overrides) -> Result<Context, GitHubError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Context::from_lookup(
            |name| vars.get(name).cloned(),
            overrides,
            |path| match path {
                "/event.json" => Ok(EVENT.to_owned()),
                _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
            },
        )
    }

    const ACTIONS: &[(&str, &str)] = &[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "octo-org/octo-repo"),
        ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
        ("GITHUB_SERVER_URL", "https://ghe.example.com"),
        ("GITHUB_RUN_ID", "42"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", "/event.json"),
        ("GITHUB_TOKEN", "secret-value"),
    ];

    #[test]
    fn reads_what_github_actions_sets() {
        let ctx = context(ACTIONS, &Overrides::default()).unwrap();
        assert!(ctx.in_actions);
        assert_eq!(ctx.repository.as_ref().unwrap().to_string(), "octo-org/octo-repo");
        assert_eq!(ctx.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(ctx.run_url().unwrap(), "https://ghe.example.com/octo-org/octo-repo/actions/runs/42");
        let pr = ctx.pull_request.unwrap();
        assert_eq!(pr.number, 2);
        assert_eq!(pr.head_sha.as_deref(), Some("36afaef2afdf0ce794d7e4663e7f327664aaa4d7"));
        assert_eq!(pr.base_sha.as_deref(), Some("ea6cd405a443e34aca1f57485ee151fb15a34729"));
        assert_eq!(pr.head_repository.as_deref(), Some("gagbo/ouro-closures"));
        assert_eq!(ctx.token.unwrap().expose(), "secret-value");
    }

    #[test]
    fn flags_win_over_the_environment() {
        let overrides = Overrides {
            repository: Some("me/fork".into()),
            pull_request: Some(7),
            api_url: Some("http://127.0.0.1:9".into()),
            token: Some("flag-token".into()),
        };
        let ctx = context(ACTIONS, &overrides).unwrap();
        assert_eq!(ctx.repository.unwrap().to_string(), "me/fork");
        assert_eq!(ctx.pull_request.unwrap().number, 7);
        assert_eq!(ctx.api_url, "http://127.0.0.1:9");
        assert_eq!(ctx.token.unwrap().expose(), "flag-token");
    }

    #[test]
    fn outside_actions_nothing_is_assumed() {
        let ctx = context(&[], &Overrides::default()).unwrap();
        assert!(!ctx.in_actions);
        assert!(ctx.repository.is_none() && ctx.pull_request.is_none() && ctx.token.is_none());
        assert_eq!(ctx.api_url, DEFAULT_API_URL);
        assert!(ctx.run_url().is_none());
        assert!(ctx.require_token().unwrap_err().to_string().contains("--github-token"));
        assert!(ctx.require_repository().unwrap_err().to_string().contains("--repo"));
    }

    #[test]
    fn a_workflow_run_event_names_the_run_that_triggered_it() {
        let event = include_str!("../../tests/fixtures/github/workflow_run_event.json");
        let vars: HashMap<String, String> = [
            ("GITHUB_EVENT_NAME", "workflow_run"),
            ("GITHUB_EVENT_PATH", "/run.json"),
            ("GITHUB_WORKFLOW_REF", "octo-org/octo-repo/.github/workflows/perf-gate-comment.yml@refs/heads/main"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let ctx = Context::from_lookup(|name| vars.get(name).cloned(), &Overrides::default(), |_| Ok(event.to_owned()))
            .unwrap();
        let run = ctx.triggering_run.unwrap();
        assert_eq!((run.id, run.event.as_str()), (30433642, "pull_request"));
        assert_eq!(run.head_sha, "6dcb09b5b57875f334f61aebed695e2e4193db5e");
        let head = run.head_repository.unwrap();
        assert_eq!((head.id, head.full_name.as_deref()), (Some(1296269), Some("octocat/Hello-World")));
        assert!(ctx.pull_request.is_none());
        assert_eq!(ctx.workflow_path.as_deref(), Some(".github/workflows/perf-gate-comment.yml"));
        let broken = Context::from_lookup(|name| vars.get(name).cloned(), &Overrides::default(), |_| Ok("{}".into()));
        assert!(broken.unwrap_err().to_string().contains("names no workflow_run"));
        let no_file = |name: &str| (name == "GITHUB_EVENT_NAME").then(|| "workflow_run".to_owned());
        let missing = Context::from_lookup(no_file, &Overrides::default(), |_| Ok(event.to_owned()));
        assert!(missing.unwrap_err().to_string().contains("GITHUB_EVENT_PATH is not set"));
    }

    #[test]
    fn repositories_are_the_same_by_id_else_by_name() {
        let repo = |id: Option<u64>, name: Option<&str>| HeadRepository { id, full_name: name.map(str::to_owned) };
        assert!(repo(Some(1), Some("a/b")).same_as(&repo(Some(1), Some("a/renamed"))));
        assert!(!repo(Some(1), Some("a/b")).same_as(&repo(Some(2), Some("a/b"))));
        assert!(repo(None, Some("a/b")).same_as(&repo(Some(2), Some("a/b"))));
        assert!(!repo(None, None).same_as(&repo(None, None)));
    }

    #[test]
    fn a_push_event_has_no_pull_request() {
        let mut vars = ACTIONS.to_vec();
        vars.retain(|(k, _)| *k != "GITHUB_EVENT_NAME");
        vars.push(("GITHUB_EVENT_NAME", "push"));
        assert!(context(&vars, &Overrides::default()).unwrap().pull_request.is_none());
    }

    #[test]
    fn bad_values_name_their_source() {
        let bad_repo = Overrides { repository: Some("no-slash".into()), ..Overrides::default() };
        assert!(context(&[], &bad_repo).unwrap_err().to_string().starts_with("--repo: "));
        let bad_url = Overrides { api_url: Some("ftp://x".into()), ..Overrides::default() };
        assert!(context(&[], &bad_url).unwrap_err().to_string().starts_with("--api-url: "));
        let mut vars = ACTIONS.to_vec();
        vars.retain(|(k, _)| *k != "GITHUB_EVENT_PATH");
        vars.push(("GITHUB_EVENT_PATH", "/missing.json"));
        let error = context(&vars, &Overrides::default()).unwrap_err().to_string();
        assert!(error.contains("GITHUB_EVENT_PATH /missing.json"), "{error}");
    }

    #[test]
    fn an_empty_token_is_no_token_and_debug_hides_it() {
        assert!(Token::new("  ".into()).is_none());
        let token = Token::new("abc123".into()).unwrap();
        assert!(!format!("{token:?}").contains("abc123"));
    }
}
