//! Where the comparison's other side comes from: `--baseline` parsed once into a
//! [`BaselineSpec`], and loaded from a results file, the newest artifact of a branch, or a git
//! ref to measure here.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::github::GitHub;
use super::{load_results, Console};
use crate::cli::CompareMode;
use crate::collect::environment;
use crate::collect::worktree::{self, short, Resolved, WorktreeError};
use crate::compare::Window;
use crate::config::Config;
use crate::error::Error;
use crate::github::artifact::{self, Unavailable};
use crate::history::store::Store;
use crate::model::{Results, Shard};
use crate::report::Origin;

const ARTIFACT_PREFIX: &str = "artifact:";
const WORKTREE_PREFIX: &str = "worktree:";

/// What `--baseline` names, decided once where it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineSpec {
    /// A `results.json` from an earlier run.
    File(PathBuf),
    /// Several results files of the baseline side (`--baseline` given more than once): a
    /// window, each benchmark judged against its own run-to-run spread.
    Files(Vec<PathBuf>),
    /// The last runs of a branch in the history store (`--baseline-history [BRANCH]`).
    History(HistoryWindow),
    /// The newest baseline artifact of a branch: `artifact:BRANCH`, or a bare name inside
    /// GitHub Actions.
    Artifact(String),
    /// A git ref (branch, tag, SHA) measured here in alternating rounds with the current tree:
    /// `worktree:REF`, or a bare name outside GitHub Actions.
    Worktree(String),
}

/// Which recorded runs a window from the history store takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryWindow {
    pub branch: String,
    pub store: PathBuf,
    pub runs: usize,
    /// The checked results' measurement time (`check`): a recorded run measured then is the
    /// checked run itself, which cannot be its own baseline.
    pub excluding: Option<String>,
}

impl BaselineSpec {
    /// Reads every `--baseline` value: none, one as [`BaselineSpec::parse`] reads it, or a
    /// window of results files.
    pub fn parse_all(values: &[String], in_actions: bool) -> Result<Option<BaselineSpec>, Error> {
        let specs = values.iter().map(|value| BaselineSpec::parse(value, in_actions)).collect::<Result<Vec<_>, _>>()?;
        if specs.len() < 2 {
            return Ok(specs.into_iter().next());
        }
        let mut files = Vec::with_capacity(specs.len());
        for (value, spec) in values.iter().zip(specs) {
            match spec {
                BaselineSpec::File(path) => files.push(path),
                _ => {
                    return Err(Error::Usage(format!(
                        "--baseline given {} times makes a window of results files, but `{value}` is not a file: pass results.json files only, or one --baseline",
                        values.len()
                    )))
                }
            }
        }
        Ok(Some(BaselineSpec::Files(files)))
    }

    /// What it names, in words, for the report and messages.
    pub fn describe(&self) -> String {
        match self {
            BaselineSpec::File(path) => format!("the results file {}", path.display()),
            BaselineSpec::Files(paths) => format!("a window of {} results files", paths.len()),
            BaselineSpec::History(window) => {
                format!("the last {} recorded runs of `{}`", window.runs, window.branch)
            }
            BaselineSpec::Artifact(name) | BaselineSpec::Worktree(name) => format!("the stored baseline of `{name}`"),
        }
    }

    /// Whether it is read here from files or the history store: nothing to pair with.
    fn is_local(&self) -> bool {
        matches!(self, BaselineSpec::File(_) | BaselineSpec::Files(_) | BaselineSpec::History(_))
    }

    /// Reads `--baseline VALUE`. A value that is a file, or ends in `.json`, is a results file;
    /// a bare name is an artifact's branch inside GitHub Actions (where main's artifact is the
    /// usual baseline) and a git ref elsewhere.
    pub fn parse(value: &str, in_actions: bool) -> Result<BaselineSpec, Error> {
        let named = |prefix: &str, what: &str, example: &str| {
            value.strip_prefix(prefix).map(|rest| match rest.trim() {
                "" => Err(Error::Usage(format!("--baseline {prefix}{what} needs {what}, e.g. {prefix}{example}"))),
                name => Ok(name.to_owned()),
            })
        };
        if let Some(branch) = named(ARTIFACT_PREFIX, "BRANCH", "main") {
            return branch.map(BaselineSpec::Artifact);
        }
        if let Some(name) = named(WORKTREE_PREFIX, "REF", "main") {
            return name.map(BaselineSpec::Worktree);
        }
        if value.trim().is_empty() {
            return Err(Error::Usage(
                "--baseline needs a value: a results.json, a git ref, or artifact:BRANCH".to_owned(),
            ));
        }
        Ok(if Path::new(value).is_file() || value.ends_with(".json") {
            BaselineSpec::File(PathBuf::from(value))
        } else if in_actions {
            BaselineSpec::Artifact(value.to_owned())
        } else {
            BaselineSpec::Worktree(value.to_owned())
        })
    }

    /// The results files it names, which a run must not clear from its out dir.
    pub fn files(&self) -> Vec<&Path> {
        match self {
            BaselineSpec::File(path) => vec![path.as_path()],
            BaselineSpec::Files(paths) => paths.iter().map(PathBuf::as_path).collect(),
            _ => Vec::new(),
        }
    }
}

/// What `--compare` and `--confirm` made of `--baseline` and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub spec: Option<BaselineSpec>,
    /// The git ref whose alternating rounds decide the screen's suspects (`--confirm`,
    /// `compare confirm`); `spec` is then the stored baseline the run is screened against.
    pub confirm: Option<String>,
    /// With `auto`: what to compare against instead when the base commit cannot be had here or
    /// pairing does not fit the time limit (then confirmed against the base commit).
    pub fallback: Option<BaselineSpec>,
    /// Which mode was chosen and why, for the report; `None` without `--compare`.
    pub why: Option<String>,
}

/// Decides where the other side comes from. `spec` is `--baseline`; `pr_base` the base commit
/// of the pull request this run checks, from the event; `confirm` is `--confirm REF`. Pure:
/// loading comes after.
pub fn choose(
    mode: Option<CompareMode>,
    spec: Option<BaselineSpec>,
    pr_base: Option<&str>,
    confirm: Option<&str>,
) -> Result<Choice, Error> {
    // A branch is a branch to pair with or to take the artifact of, whichever the mode wants.
    let branch = match &spec {
        Some(BaselineSpec::Artifact(name) | BaselineSpec::Worktree(name)) => Some(name.clone()),
        _ => None,
    };
    let base = match (pr_base, &branch) {
        (Some(sha), _) => Some((sha.to_owned(), format!("the pull request's base commit {}", short(sha)))),
        (None, Some(name)) => Some((name.clone(), format!("`{name}`"))),
        (None, None) => None,
    };
    // The stored baseline a screen compares against: files, recorded runs, or a branch's
    // artifact.
    let stored = match &spec {
        Some(local) if local.is_local() => Some(local.clone()),
        _ => branch.clone().map(BaselineSpec::Artifact),
    };
    let plain = |spec: Option<BaselineSpec>, why: Option<String>| Choice { spec, confirm: None, fallback: None, why };
    let Some(mode) = mode else {
        return Ok(match confirm {
            Some(reference) => Choice { confirm: Some(reference.to_owned()), ..plain(stored, None) },
            None => plain(spec, None),
        });
    };
    let paired = |(commit, what): (String, String), mode: &str| {
        let why = format!("compare {mode}: {what}, measured here in rounds alternating with this tree");
        plain(Some(BaselineSpec::Worktree(commit)), Some(why))
    };
    let stored_name = BaselineSpec::describe;
    match mode {
        CompareMode::Paired if confirm.is_some() => Err(Error::Usage(
            "--confirm with --compare paired: paired measures every benchmark against the base already; use --compare confirm".to_owned(),
        )),
        CompareMode::Paired => match (&spec, base) {
            (Some(local), _) if local.is_local() => Err(Error::Usage(format!(
                "--compare paired measures a git ref here, but the baseline is {}: use --compare artifact or confirm, or name a branch",
                local.describe()
            ))),
            (_, Some(base)) => Ok(paired(base, "paired")),
            (_, None) => Err(Error::Usage(
                "--compare paired needs a base commit: run it on a pull_request event, or name the ref with --baseline REF".to_owned(),
            )),
        },
        CompareMode::Artifact => match stored {
            Some(stored) => {
                let why = format!("compare artifact: {}, measured in another job", stored_name(&stored));
                Ok(Choice { confirm: confirm.map(str::to_owned), ..plain(Some(stored), Some(why)) })
            }
            None => Err(Error::Usage("--compare artifact needs --baseline BRANCH (whose artifact) or FILE".to_owned())),
        },
        CompareMode::Confirm => confirming(stored, confirm, base, stored_name),
        CompareMode::Auto => Ok(match (&spec, base) {
            (Some(local), _) if local.is_local() => plain(
                spec.clone(),
                Some(format!("compare auto: {} (stored runs have no commit to pair with)", local.describe())),
            ),
            (_, Some(base)) => Choice { fallback: stored, ..paired(base, "auto") },
            (_, None) => plain(
                None,
                Some("compare auto: no base commit (not a pull_request event) and no --baseline: nothing to compare against".to_owned()),
            ),
        }),
    }
}

/// What shard `shard` of a CI matrix does with `choice`: a shard is not checked, so it pairs
/// its own benchmarks with the git ref, screens them against the stored baseline and confirms
/// its suspects (`--confirm`), or measures them alone and leaves a stored baseline to the
/// merge's check.
pub fn for_shard(shard: Shard, mode: Option<CompareMode>, choice: Choice) -> Result<Choice, Error> {
    if choice.confirm.is_some() {
        return Ok(choice);
    }
    match choice.spec {
        Some(BaselineSpec::Worktree(_)) => Ok(choice),
        Some(stored) if mode.is_none() => Err(Error::Usage(format!(
            "--shard {shard} with --baseline {}: a shard is not checked; merge the shards (`cargo perf-gate merge`), then `cargo perf-gate check --results merged.json --baseline ...`",
            match &stored {
                BaselineSpec::File(path) => path.display().to_string(),
                BaselineSpec::Artifact(name) | BaselineSpec::Worktree(name) => name.clone(),
                other => other.describe(),
            }
        ))),
        Some(_) | None => Ok(Choice {
            spec: None,
            confirm: None,
            fallback: None,
            why: Some(format!(
                "shard {shard} measured alone ({}): the merged shards are checked against a stored baseline",
                if mode == Some(CompareMode::Artifact) { "compare artifact" } else { "no base commit to pair with" }
            )),
        }),
    }
}

/// `compare confirm`: screened against the stored baseline, then the suspects re-measured
/// against `--confirm REF`, else the base commit.
fn confirming(
    stored: Option<BaselineSpec>,
    confirm: Option<&str>,
    base: Option<(String, String)>,
    stored_name: impl Fn(&BaselineSpec) -> String,
) -> Result<Choice, Error> {
    let stored = stored.ok_or_else(|| {
        Error::Usage("--compare confirm needs --baseline BRANCH (whose artifact) or FILE to screen against".to_owned())
    })?;
    let (reference, what) = match (confirm, base) {
        (Some(reference), _) => (reference.to_owned(), format!("`{reference}`")),
        (None, Some(base)) => base,
        (None, None) => {
            return Err(Error::Usage(
                "--compare confirm needs a base commit to confirm against: run it on a pull_request event, or pass --confirm REF".to_owned(),
            ))
        }
    };
    let why = format!(
        "compare confirm: screened against {}, then the suspects re-measured against {what} in alternating rounds",
        stored_name(&stored)
    );
    Ok(Choice { spec: Some(stored), confirm: Some(reference), fallback: None, why: Some(why) })
}

/// The baseline to compare against, or why there is none.
#[derive(Default)]
pub struct Baseline {
    /// One run, or a window's runs pooled ([`Window::pooled`]).
    pub results: Option<Results>,
    /// The runs of a window baseline (several files, or the history's last runs).
    pub window: Option<Window>,
    pub origin: Option<Origin>,
    pub missing_reason: Option<String>,
    /// A git ref to measure in a worktree, on this machine, before the current tree.
    pub worktree: Option<Resolved>,
}

/// Loads what `spec` names: a results file (a bad one is an error), the newest artifact of a
/// branch (one that cannot be had skips the regression check with the reason, unless
/// `--require-baseline`), or a git ref of the repository at `repo` to measure here, resolved
/// and fetched when a shallow clone lacks it; `repo` is `None` where nothing is measured
/// (`check`).
pub fn load(
    spec: Option<&BaselineSpec>,
    github: &GitHub,
    config: &Config,
    repo: Option<&Path>,
    console: &Console,
) -> Result<Baseline, Error> {
    let Some(spec) = spec else {
        if github.options.require_baseline {
            return Err(Error::BaselineRequired("no --baseline given".to_owned()));
        }
        return Ok(Baseline::default());
    };
    match spec {
        BaselineSpec::File(path) => load_file_baseline(path),
        BaselineSpec::Files(paths) => {
            let runs = paths.iter().map(|path| load_results(path)).collect::<Result<Vec<_>, _>>()?;
            let source = format!(
                "a window of {} results files ({})",
                paths.len(),
                paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            );
            Ok(window_baseline(runs, source))
        }
        BaselineSpec::History(window) => load_history_window(window, github, console),
        BaselineSpec::Artifact(branch) => {
            let artifact_name = github.options.artifact_name.as_deref().unwrap_or(&config.github.artifact_name);
            fetch_artifact_baseline(github, config, artifact_name, branch, console)
        }
        BaselineSpec::Worktree(name) => {
            let Some(repo) = repo else {
                return Err(Error::Usage(format!(
                    "--baseline {name}: no such results file. `check` compares files; to measure `{name}` on this machine, run `cargo perf-gate run --baseline {name}`"
                )));
            };
            let resolved = worktree::resolve(repo, name)?;
            if let Some(note) = &resolved.note {
                console.warn(note);
            }
            Ok(Baseline { worktree: Some(resolved), ..Baseline::default() })
        }
    }
}

/// Loads what `choice` names, and says which mode decided and why (for the report). With
/// `auto`, a base commit that cannot be had here falls back to the artifact.
pub fn load_choice(
    choice: &Choice,
    github: &GitHub,
    config: &Config,
    repo: Option<&Path>,
    console: &Console,
) -> Result<(Baseline, Option<String>), Error> {
    match load(choice.spec.as_ref(), github, config, repo, console) {
        Err(Error::Worktree(WorktreeError::Input(reason))) if choice.fallback.is_some() => {
            fall_back(choice, &reason, false, github, config, console)
        }
        Ok(baseline) => {
            if let Some(why) = &choice.why {
                console.status(&format!("Comparing: {why}"));
            }
            Ok((baseline, choice.why.clone()))
        }
        Err(error) => Err(error),
    }
}

/// `auto` gave up pairing for `reason`: loads the fallback, and says so. With `confirming`, the
/// base commit can still be had, and the screen's suspects are re-measured against it.
pub fn fall_back(
    choice: &Choice,
    reason: &str,
    confirming: bool,
    github: &GitHub,
    config: &Config,
    console: &Console,
) -> Result<(Baseline, Option<String>), Error> {
    let fallback = choice.fallback.as_ref();
    let instead = match fallback {
        Some(BaselineSpec::Worktree(name)) => format!("`{name}`"),
        Some(other) => other.describe(),
        None => "nothing".to_owned(),
    };
    let why = if confirming {
        format!("compare auto: {reason}; screened against {instead} instead, then the suspects re-measured against the base commit in alternating rounds (confirm)")
    } else {
        format!("compare auto: {reason}; compared against {instead} instead (unpaired: measured in another job)")
    };
    console.warn(&why);
    let baseline = load(fallback, github, config, None, console)?;
    Ok((baseline, Some(why)))
}

/// The newest usable baseline artifact of `branch`, or why there is none (an error only with
/// `--require-baseline`).
fn fetch_artifact_baseline(
    github: &GitHub,
    config: &Config,
    artifact_name: &str,
    branch: &str,
    console: &Console,
) -> Result<Baseline, Error> {
    let expected_workflow = github
        .options
        .baseline_workflow
        .as_deref()
        .or(config.github.baseline_workflow.as_deref())
        .or(github.context.workflow_path.as_deref());
    console.status(&format!("Fetching the baseline: newest `{artifact_name}` artifact from branch `{branch}`"));
    let fetched = github.context.require_repository().map_err(Unavailable::from).and_then(|repository| {
        let client = github.client()?;
        artifact::fetch_baseline(&client, repository, artifact_name, branch, expected_workflow)
    });
    match fetched {
        Ok(fetched) => {
            let artifact = &fetched.artifact;
            let run_id = fetched.run.id;
            let source = format!("artifact {} (id {}) of run {run_id} on {branch}", artifact.name, artifact.id);
            let url = github.context.repository.as_ref().map(|repository| {
                format!("{}/{repository}/actions/runs/{run_id}", github.context.server_url.trim_end_matches('/'))
            });
            let age_seconds = artifact.created_at.as_deref().and_then(age_seconds);
            let runs = 1 + fetched.window.len();
            let source = if runs > 1 { format!("{source}, a window of {runs} runs") } else { source };
            console.status(&format!("Baseline: {source} ({}, {})", fetched.run.workflow(), fetched.run.event));
            let baseline = window_baseline(std::iter::once(fetched.results).chain(fetched.window).collect(), source);
            Ok(Baseline { origin: baseline.origin.map(|origin| Origin { url, age_seconds, ..origin }), ..baseline })
        }
        Err(unavailable) => {
            let reason = format!("no usable baseline from branch `{branch}`: {unavailable}");
            if github.options.require_baseline {
                return Err(Error::BaselineRequired(reason));
            }
            console.warn(&format!("{reason}; the gates still run, the regression check is skipped"));
            Ok(Baseline { missing_reason: Some(reason), ..Baseline::default() })
        }
    }
}

/// A baseline of `runs` (two or more make a window), from `source`.
fn window_baseline(mut runs: Vec<Results>, source: String) -> Baseline {
    let (results, window) = if runs.len() < 2 {
        (runs.pop(), None)
    } else {
        let window = Window::new(runs);
        (window.as_ref().map(Window::pooled), window)
    };
    let age_seconds = results.as_ref().and_then(|r| age_seconds(&r.created_at));
    Baseline {
        origin: Some(Origin { source, url: None, age_seconds }),
        results,
        window,
        missing_reason: None,
        worktree: None,
    }
}

/// The last runs of a branch in the history store. A store that does not exist is a mistake
/// (exit 2); a branch with no recorded runs yet skips the regression check, as a missing
/// artifact does.
fn load_history_window(window: &HistoryWindow, github: &GitHub, console: &Console) -> Result<Baseline, Error> {
    let HistoryWindow { branch, store, runs, excluding } = window;
    if !store.exists() {
        return Err(Error::Usage(format!(
            "--baseline-history: no history database at {}: record runs of `{branch}` first (`--record`, or `cargo perf-gate record results.json`), or point --history at the store",
            store.display()
        )));
    }
    let store_handle = Store::open(store)?;
    let mut recorded = store_handle.window(branch, runs + 1)?;
    recorded.retain(|run| Some(&run.created_at) != excluding.as_ref());
    let surplus = recorded.len().saturating_sub(*runs);
    recorded.drain(..surplus);
    if recorded.is_empty() {
        let branches = store_handle.branches()?;
        let known = if branches.is_empty() {
            "it has no runs with a branch".to_owned()
        } else {
            let list: Vec<String> = branches.iter().take(10).map(|(name, n)| format!("{name} ({n})")).collect();
            format!("runs are recorded on: {}", list.join(", "))
        };
        let reason = format!("no runs of `{branch}` recorded in {}: {known}", store.display());
        if github.options.require_baseline {
            return Err(Error::BaselineRequired(reason));
        }
        console.warn(&format!("{reason}; the gates still run, the regression check is skipped"));
        return Ok(Baseline { missing_reason: Some(reason), ..Baseline::default() });
    }
    let source = format!("the last {} recorded runs of `{branch}` in {}", recorded.len(), store.display());
    console.status(&format!("Baseline: {source}"));
    Ok(window_baseline(recorded, source))
}

fn load_file_baseline(path: &Path) -> Result<Baseline, Error> {
    let results = load_results(path)?;
    let age_seconds = age_seconds(&results.created_at);
    Ok(Baseline {
        origin: Some(Origin { source: format!("file {}", path.display()), url: None, age_seconds }),
        results: Some(results),
        window: None,
        missing_reason: None,
        worktree: None,
    })
}

/// Seconds since an RFC 3339 UTC time; `None` when unparsable or in the future.
fn age_seconds(rfc3339: &str) -> Option<u64> {
    let then = environment::parse_rfc3339(rfc3339)?;
    SystemTime::now().duration_since(then).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str, in_actions: bool) -> BaselineSpec {
        BaselineSpec::parse(value, in_actions).unwrap()
    }

    #[test]
    fn a_bare_name_is_an_artifact_in_actions_and_a_git_ref_elsewhere() {
        assert_eq!(parse("main", true), BaselineSpec::Artifact("main".into()));
        assert_eq!(parse("main", false), BaselineSpec::Worktree("main".into()));
        assert_eq!(parse("v1.2.0", false), BaselineSpec::Worktree("v1.2.0".into()));
    }

    #[test]
    fn prefixes_say_which_whatever_the_place() {
        for in_actions in [false, true] {
            assert_eq!(parse("artifact:main", in_actions), BaselineSpec::Artifact("main".into()));
            assert_eq!(parse("worktree:main", in_actions), BaselineSpec::Worktree("main".into()));
            assert_eq!(parse("worktree:0123abc", in_actions), BaselineSpec::Worktree("0123abc".into()));
        }
    }

    #[test]
    fn a_json_name_or_an_existing_file_is_a_results_file() {
        assert_eq!(parse("old/results.json", true), BaselineSpec::File("old/results.json".into()));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baseline");
        std::fs::write(&file, "{}").unwrap();
        let value = file.to_str().unwrap();
        assert_eq!(parse(value, true), BaselineSpec::File(file.clone()));
        assert_eq!(parse(value, true).files(), vec![file.as_path()]);
        assert!(parse("main", false).files().is_empty());
    }

    #[test]
    fn an_empty_name_says_what_is_missing() {
        for (value, expected) in [
            ("artifact:", "artifact:BRANCH needs BRANCH"),
            ("worktree: ", "worktree:REF needs REF"),
            ("", "needs a value"),
        ] {
            let message = BaselineSpec::parse(value, false).unwrap_err().to_string();
            assert!(message.contains(expected), "{value:?}: {message}");
        }
    }

    const BASE: &str = "ea6cd405a443e34aca1f57485ee151fb15a34729";

    fn choose_ok(mode: CompareMode, spec: Option<BaselineSpec>, pr_base: Option<&str>) -> Choice {
        choose(Some(mode), spec, pr_base, None).unwrap()
    }

    #[test]
    fn without_compare_the_baseline_is_taken_as_named() {
        let spec = Some(BaselineSpec::Artifact("main".into()));
        assert_eq!(
            choose(None, spec.clone(), Some(BASE), None).unwrap(),
            Choice { spec, confirm: None, fallback: None, why: None }
        );
    }

    #[test]
    fn paired_measures_the_pull_requests_base_else_the_named_branch() {
        let artifact = Some(BaselineSpec::Artifact("main".into()));
        let on_pr = choose_ok(CompareMode::Paired, artifact.clone(), Some(BASE));
        assert_eq!(on_pr.spec, Some(BaselineSpec::Worktree(BASE.into())));
        assert!(on_pr.why.unwrap().contains("the pull request's base commit ea6cd405a443"));
        let elsewhere = choose_ok(CompareMode::Paired, artifact, None);
        assert_eq!(elsewhere.spec, Some(BaselineSpec::Worktree("main".into())));
        let message = choose(Some(CompareMode::Paired), None, None, None).unwrap_err().to_string();
        assert!(message.contains("needs a base commit"), "{message}");
        let file = Some(BaselineSpec::File("old.json".into()));
        assert!(choose(Some(CompareMode::Paired), file, Some(BASE), None)
            .unwrap_err()
            .to_string()
            .contains("--compare artifact"));
    }

    #[test]
    fn a_shard_pairs_its_share_confirms_it_or_measures_it_alone() {
        let shard = Shard::parse("2/4").unwrap();
        let artifact = Some(BaselineSpec::Artifact("main".into()));
        for mode in [CompareMode::Paired, CompareMode::Auto] {
            let choice = for_shard(shard, Some(mode), choose_ok(mode, artifact.clone(), Some(BASE))).unwrap();
            assert_eq!(choice.spec, Some(BaselineSpec::Worktree(BASE.into())));
            // auto may still fall back to screening the shard's share and confirming it.
            assert_eq!(choice.fallback.is_some(), mode == CompareMode::Auto);
        }
        let alone =
            for_shard(shard, Some(CompareMode::Artifact), choose_ok(CompareMode::Artifact, artifact.clone(), None));
        let alone = alone.unwrap();
        assert_eq!(alone.spec, None);
        assert!(alone.why.unwrap().starts_with("shard 2/4 measured alone (compare artifact)"));
        let no_base = for_shard(shard, Some(CompareMode::Auto), choose_ok(CompareMode::Auto, None, None)).unwrap();
        assert!(no_base.why.unwrap().contains("(no base commit to pair with)"));
        // A git ref pairs without --compare; a file or an artifact named alone is a mistake.
        let worktree = Some(BaselineSpec::Worktree("main".into()));
        assert_eq!(for_shard(shard, None, choose(None, worktree.clone(), None, None).unwrap()).unwrap().spec, worktree);
        let file = choose(None, Some(BaselineSpec::File("old.json".into())), None, None).unwrap();
        let message = for_shard(shard, None, file).unwrap_err().to_string();
        assert!(message.contains("--shard 2/4 with --baseline old.json: a shard is not checked"), "{message}");
        // Confirming: the shard screens its share against the stored baseline.
        let confirm = choose(Some(CompareMode::Confirm), artifact.clone(), Some(BASE), None).unwrap();
        let confirm = for_shard(shard, Some(CompareMode::Confirm), confirm).unwrap();
        assert_eq!((confirm.spec, confirm.confirm.as_deref()), (artifact, Some(BASE)));
    }

    #[test]
    fn artifact_takes_the_branchs_artifact_or_the_file() {
        for spec in [BaselineSpec::Artifact("main".into()), BaselineSpec::Worktree("main".into())] {
            let choice = choose_ok(CompareMode::Artifact, Some(spec), Some(BASE));
            assert_eq!((choice.spec, choice.fallback), (Some(BaselineSpec::Artifact("main".into())), None));
        }
        let file = Some(BaselineSpec::File("old.json".into()));
        assert_eq!(choose_ok(CompareMode::Artifact, file.clone(), None).spec, file);
        assert!(choose(Some(CompareMode::Artifact), None, Some(BASE), None).is_err());
    }

    #[test]
    fn auto_pairs_with_the_base_and_keeps_the_artifact_to_fall_back_on() {
        let choice = choose_ok(CompareMode::Auto, Some(BaselineSpec::Artifact("main".into())), Some(BASE));
        assert_eq!(choice.spec, Some(BaselineSpec::Worktree(BASE.into())));
        assert_eq!(choice.fallback, Some(BaselineSpec::Artifact("main".into())));
        assert!(choice.why.unwrap().starts_with("compare auto: the pull request's base commit"));
        // On a pull request without --baseline there is nothing to fall back on.
        assert_eq!(choose_ok(CompareMode::Auto, None, Some(BASE)).fallback, None);
        let nothing = choose_ok(CompareMode::Auto, None, None);
        assert_eq!((nothing.spec, nothing.fallback), (None, None));
        assert!(nothing.why.unwrap().contains("nothing to compare against"));
        let file = Some(BaselineSpec::File("old.json".into()));
        assert_eq!(choose_ok(CompareMode::Auto, file.clone(), Some(BASE)).spec, file);
    }

    #[test]
    fn confirm_screens_against_the_stored_baseline_and_confirms_against_the_base() {
        let artifact = Some(BaselineSpec::Artifact("main".into()));
        let on_pr = choose_ok(CompareMode::Confirm, artifact.clone(), Some(BASE));
        assert_eq!(on_pr.spec, artifact);
        assert_eq!(on_pr.confirm.as_deref(), Some(BASE));
        assert!(on_pr.why.unwrap().starts_with("compare confirm: screened against the stored baseline of `main`"));
        // --confirm REF names the ref; without --compare it confirms whatever --baseline names.
        let named = choose(Some(CompareMode::Confirm), artifact.clone(), Some(BASE), Some("v1.0")).unwrap();
        assert_eq!(named.confirm.as_deref(), Some("v1.0"));
        let file = Some(BaselineSpec::File("old.json".into()));
        let plain = choose(None, file.clone(), None, Some("main")).unwrap();
        assert_eq!((plain.spec, plain.confirm.as_deref(), plain.why), (file, Some("main"), None));
        // A bare name outside Actions is read as a ref to measure; with --confirm it is the
        // branch whose artifact screens.
        let local = choose(None, Some(BaselineSpec::Worktree("main".into())), None, Some("main")).unwrap();
        assert_eq!(local.spec, artifact);
        for (mode, spec, pr_base, flag, message) in [
            (CompareMode::Confirm, None, Some(BASE), None, "to screen against"),
            (CompareMode::Confirm, Some(BaselineSpec::File("b.json".into())), None, None, "needs a base commit"),
            (CompareMode::Paired, artifact.clone(), Some(BASE), Some("main"), "use --compare confirm"),
        ] {
            let error = choose(Some(mode), spec, pr_base, flag).unwrap_err().to_string();
            assert!(error.contains(message), "{mode:?}: {error}");
        }
    }
}
