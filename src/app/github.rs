//! The GitHub edge of the commands: publishing the verdict (annotations, step summary, the
//! sticky PR comment) and the `comment` command of the fork setup.

use std::io::Write;
use std::path::Path;

use super::Console;
use crate::cli::{CommentArgs, GitHubArgs, GitHubConnection};
use crate::error::Error;
use crate::github::client::Client;
use crate::github::comment::{self, Posted, COMMENT_LIMIT, STEP_SUMMARY_LIMIT};
use crate::github::context::TriggeringRun;
use crate::github::pull::{self, Binding};
use crate::github::{Context, GitHubError, Overrides, Repository};
use crate::report::Report;
use crate::{exit_code, output};

/// The comment body a gate run leaves in its out dir for a later `cargo perf-gate comment`.
pub const COMMENT_FILE: &str = "comment.md";

/// What a command knows about GitHub, read once.
pub struct GitHub {
    pub context: Context,
    pub(super) options: GitHubArgs,
    marker: String,
}

impl GitHub {
    /// Reads the environment and the flags; `config_path` names the default comment id.
    pub fn detect(options: &GitHubArgs, config_path: &Path) -> Result<GitHub, Error> {
        let context = detect_context(&options.connection, options.pr)?;
        let id = options.connection.comment_id.clone().unwrap_or_else(|| comment_id_of(config_path));
        Ok(GitHub { context, options: options.clone(), marker: comment::marker(&id) })
    }

    pub(super) fn client(&self) -> Result<Client, GitHubError> {
        Client::for_context(&self.context)
    }
}

fn detect_context(connection: &GitHubConnection, pr: Option<u64>) -> Result<Context, Error> {
    let overrides = Overrides {
        repository: connection.repo.clone(),
        pull_request: pr,
        api_url: connection.api_url.clone(),
        token: connection.github_token.clone(),
    };
    Context::detect(&overrides).map_err(Error::GitHubSetup)
}

/// The config path as the user would write it: relative to the current directory when inside it.
fn comment_id_of(config_path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| config_path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| config_path.to_path_buf());
    relative.to_string_lossy().into_owned()
}

/// Tells GitHub: annotations and the step summary inside Actions; on a pull request, the
/// comment (its body also written to the out dir for the fork setup's second workflow).
/// Failures to post are warnings unless `--require-comment`.
pub fn publish(github: &GitHub, outcome: &Outcome<'_>, out_dir: &Path, console: &Console) -> Result<(), Error> {
    let context = &github.context;
    let run_url = context.run_url();
    let markdown = outcome.markdown;
    if context.in_actions {
        super::workflow_log::print_commands(outcome.annotations);
        if let Some(path) = &context.step_summary {
            let summary = comment::fit(markdown, "", STEP_SUMMARY_LIMIT, run_url.as_deref());
            if let Err(e) = append(path, &summary) {
                console.warn(&format!("cannot append to the step summary {}: {e}", path.display()));
            }
        }
    }
    if let Some(path) = &context.step_outputs {
        append(path, &step_outputs(outcome, out_dir))
            .map_err(|source| output::WriteError { path: path.clone(), source })?;
    }
    let Some(pr) = context.pull_request.as_ref().map(|pr| pr.number) else {
        if github.options.require_comment {
            return Err(Error::Publish("no pull request: pass --pr N or run on a pull_request event".to_owned()));
        }
        return Ok(());
    };
    if github.options.no_comment {
        return Ok(());
    }
    // Benchmark ids and gate names are the pull request's: no @mention or marker of theirs counts.
    let body = comment::fit(&comment::neutralize(markdown), &github.marker, COMMENT_LIMIT, run_url.as_deref());
    let body_path = out_dir.join(COMMENT_FILE);
    output::write_atomic(&body_path, body.as_bytes())?;
    match post(github, pr, &body) {
        Ok(posted) => {
            console.status(&describe_posted(posted, pr));
            Ok(())
        }
        Err(error) => {
            let message = describe_post_failure(&error, &body_path);
            if github.options.require_comment {
                return Err(Error::Publish(message));
            }
            console.warn(&message);
            Ok(())
        }
    }
}

/// What a run tells the workflow, for the action's outputs.
pub struct Outcome<'a> {
    pub report: &'a Report,
    pub markdown: &'a str,
    pub annotations: &'a str,
    /// The summary file, when one was written.
    pub summary_path: Option<&'a Path>,
    /// The results file that was checked.
    pub results_path: &'a Path,
    /// What the `baseline` job uploads: the results file, or with `--extend-window` the
    /// directory of the window.
    pub baseline_path: &'a Path,
    /// Whether these results may become the new baseline: the gates passed, or the config's
    /// `update_baseline_on_success` is off.
    pub update_baseline: bool,
}

/// `name=value` lines for `GITHUB_OUTPUT`; no value holds a newline.
fn step_outputs(outcome: &Outcome<'_>, out_dir: &Path) -> String {
    let counts = &outcome.report.counts;
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned()).display().to_string();
    [
        ("verdict", outcome.report.verdict.as_str().to_owned()),
        ("regressions", (counts.regressed + counts.regressed_warning).to_string()),
        ("failed-gates", (counts.gates_failed_blocking + counts.gates_failed_warning).to_string()),
        ("report-dir", absolute(out_dir)),
        ("summary-path", outcome.summary_path.map(absolute).unwrap_or_default()),
        ("results-path", absolute(outcome.results_path)),
        ("baseline-path", absolute(outcome.baseline_path)),
        ("update-baseline", outcome.update_baseline.to_string()),
    ]
    .iter()
    .map(|(name, value)| format!("{name}={}\n", value.replace(['\n', '\r'], " ")))
    .collect()
}

fn post(github: &GitHub, pr: u64, body: &str) -> Result<Posted, GitHubError> {
    let repository = github.context.require_repository()?;
    github.context.require_token()?;
    let client = github.client()?;
    post_with(&client, repository, &github.options.connection, pr, &github.marker, body)
}

/// Posts or updates the comment, as the account the token writes as.
fn post_with(
    client: &Client,
    repository: &Repository,
    connection: &GitHubConnection,
    pr: u64,
    marker: &str,
    body: &str,
) -> Result<Posted, GitHubError> {
    let author = match &connection.comment_author {
        Some(login) => login.clone(),
        None => comment::author(client)?,
    };
    comment::upsert(client, repository, pr, &comment::Comment { author: &author, marker, body })
}

fn describe_posted(posted: Posted, pr: u64) -> String {
    match posted {
        Posted::Created => format!("Commented on #{pr}"),
        Posted::Updated(id) => format!("Updated the comment on #{pr} (comment {id})"),
    }
}

fn describe_post_failure(error: &GitHubError, body_path: &Path) -> String {
    if error.is_forbidden() {
        format!(
            "cannot comment on the pull request: {error}. A pull request from a fork gets a read-only token: post {} from a `workflow_run` workflow with `cargo perf-gate comment` (README: \"Pull requests from forks\")",
            body_path.display()
        )
    } else {
        format!("cannot comment on the pull request: {error} (the body is in {})", body_path.display())
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    Ok(())
}

/// The most a comment body file may hold: four times what GitHub accepts in characters covers
/// any UTF-8 body perf-gate writes; anything larger did not come from a gate run.
const MAX_BODY_BYTES: u64 = 4 * COMMENT_LIMIT as u64;

/// `cargo perf-gate comment --body FILE [--pr N]`: posts a prepared body, updating the comment
/// that carries this gate's marker. The body is untrusted (a fork's run wrote it): it is read
/// with a size cap and neutralised, its own marker is ignored, and in a `workflow_run` job the
/// pull request must be the one the triggering run built.
pub fn comment_command(args: CommentArgs, console: &Console) -> Result<u8, Error> {
    let context = detect_context(&args.connection, args.pr)?;
    let text = read_body(&args.body)?;
    let id = args.connection.comment_id.clone().unwrap_or_else(|| comment::DEFAULT_COMMENT_ID.to_owned());
    let marker = comment::marker(&id);
    let ours = comment::sanitize_id(&id);
    if let Some(other) = trailing_marker_id(&text).filter(|other| *other != ours) {
        console.warn(&format!(
            "{} ends with the marker of comment id `{other}`, but this posts under `{ours}`: pass --comment-id {other} if the gate job used that id",
            args.body.display()
        ));
    }
    let without_marker = text.trim_end().strip_suffix(marker.as_str()).unwrap_or(&text);
    let body = comment::fit(&comment::neutralize(without_marker), &marker, COMMENT_LIMIT, context.run_url().as_deref());
    let repository = context.require_repository().map_err(Error::GitHubSetup)?;
    context.require_token().map_err(Error::GitHubSetup)?;
    let failed = |error: GitHubError| match error {
        GitHubError::Setup(message) => Error::Usage(message),
        error => Error::Publish(error.to_string()),
    };
    let client = Client::for_context(&context).map_err(failed)?;
    let requested = context.pull_request.as_ref().map(|pr| pr.number);
    let pr = match &context.triggering_run {
        Some(run) => match pull_request_of_run(&client, repository, run, requested, console).map_err(failed)? {
            Some(pr) => pr,
            None => return Ok(exit_code::OK),
        },
        None => requested.ok_or_else(|| {
            Error::Usage(
                "no pull request: pass --pr N (the fork setup reads it from the uploaded pr-number)".to_owned(),
            )
        })?,
    };
    let posted = post_with(&client, repository, &args.connection, pr, &marker, &body).map_err(failed)?;
    console.status(&describe_posted(posted, pr));
    Ok(exit_code::OK)
}

/// The body file, refused when it is larger than any body perf-gate writes or not UTF-8.
fn read_body(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let input = |message: String| Error::Input { path: path.to_owned(), message };
    let file = std::fs::File::open(path).map_err(|e| input(format!("cannot read the comment body: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| input(format!("cannot read the comment body: {e}")))?;
    if bytes.len() as u64 > MAX_BODY_BYTES {
        return Err(input(format!(
            "the comment body is larger than {MAX_BODY_BYTES} bytes, which no gate run writes; refusing to post it"
        )));
    }
    String::from_utf8(bytes).map_err(|_| input("the comment body is not UTF-8 text; refusing to post it".to_owned()))
}

/// The pull request a `workflow_run` job may comment on: `requested` when its head is what
/// `run` built, else the one open pull request that is. `None` when the pull request has moved
/// on since (the newer run will comment); an error when it is someone else's.
fn pull_request_of_run(
    client: &Client,
    repository: &Repository,
    run: &TriggeringRun,
    requested: Option<u64>,
    console: &Console,
) -> Result<Option<u64>, GitHubError> {
    let refuse = |why: String| {
        GitHubError::Setup(format!(
            "refusing to comment: {why}; a comment goes only to the pull request whose head the triggering run built"
        ))
    };
    let Some(number) = requested else {
        return match pull::find_for_run(client, repository, run)?.as_slice() {
            [number] => Ok(Some(*number)),
            [] => {
                Err(refuse(format!("no open pull request of {repository} has run {}'s head {}", run.id, run.head_sha)))
            }
            several => Err(refuse(format!(
                "{} open pull requests have run {}'s head ({}); pass --pr N",
                several.len(),
                run.id,
                several.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(", ")
            ))),
        };
    };
    match pull::bind(&pull::fetch(client, repository, number)?, run) {
        Binding::Matches => Ok(Some(number)),
        Binding::MovedOn { now } => {
            console.warn(&format!(
                "not commenting on #{number}: its head moved on to {now} after run {} built {}; the run of the new head comments",
                run.id, run.head_sha
            ));
            Ok(None)
        }
        Binding::Foreign(why) => Err(refuse(format!("#{number} is not the pull request run {} built: {why}", run.id))),
    }
}

/// The id of the perf-gate marker a body ends with, sanitised (it is only ever shown).
fn trailing_marker_id(text: &str) -> Option<String> {
    let trimmed = text.trim_end();
    let start = trimmed.rfind("<!-- cargo-perf-gate:")?;
    let id = trimmed[start + "<!-- cargo-perf-gate:".len()..].strip_suffix("-->")?;
    (!id.contains('\n')).then(|| comment::sanitize_id(id.trim()))
}
