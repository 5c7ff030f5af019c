//! The baseline side of a local comparison: a git ref checked out, detached, in a worktree of
//! perf-gate's own under the out dir. Only `git worktree` and commands run inside that worktree
//! are used: the user's working tree, index, branches, stash and HEAD are never touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The first 12 hex digits of a commit, as reports and messages show it.
pub fn short(commit: &str) -> &str {
    &commit[..12.min(commit.len())]
}

/// A git ref resolved to a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub commit: String,
    /// What was resolved, e.g. `main`, or `origin/main` when there is no local `main`.
    pub name: String,
    /// Said to the user when the ref was not taken as given.
    pub note: Option<String>,
}

/// A git problem: the user's input (an unknown ref, not a repository), or git failing at run time
/// on perf-gate's own worktree, which no change of input fixes.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Git(String),
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args).stdin(Stdio::null());
    super::descendants::die_with_parent(&mut command);
    let output = command.output().map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

fn commit_of(dir: &Path, name: &str) -> Option<String> {
    git(dir, &["rev-parse", "--verify", "--quiet", &format!("{name}^{{commit}}")]).ok().filter(|s| !s.is_empty())
}

/// Resolves `name` (a branch, tag or SHA) in the repository at `root`; a branch that exists only
/// on `origin` is taken from there, and one the clone lacks (a shallow checkout, as
/// actions/checkout makes by default) is fetched from the remote the clone came from, just that
/// commit. Either way the note says so.
pub fn resolve(root: &Path, name: &str) -> Result<Resolved, WorktreeError> {
    if name.starts_with('-') || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WorktreeError::Input(format!(
            "--baseline {name:?}: not a git ref (a branch, tag or SHA names no option and holds no spaces)"
        )));
    }
    git(root, &["rev-parse", "--git-dir"]).map_err(|e| {
        WorktreeError::Input(format!("--baseline {name}: {} is not in a git repository ({e})", root.display()))
    })?;
    if let Some(commit) = commit_of(root, name) {
        return Ok(Resolved { commit, name: name.to_owned(), note: None });
    }
    let remote = format!("origin/{name}");
    if let Some(commit) = commit_of(root, &remote) {
        let note = format!("There is no local `{name}`: the baseline is `{remote}` ({}).", short(&commit));
        return Ok(Resolved { commit, name: remote, note: Some(note) });
    }
    let fetched = fetch_remote(root).map(|remote| fetch(root, &remote, name).map(|commit| (remote, commit)));
    match fetched {
        Some(Ok((remote, commit))) => {
            let note = format!(
                "`{name}` was not in this clone (a shallow checkout?): fetched just that commit ({}) from `{remote}`.",
                short(&commit)
            );
            Ok(Resolved { commit, name: name.to_owned(), note: Some(note) })
        }
        Some(Err((command, error))) => Err(WorktreeError::Input(format!(
            "--baseline {name}: not in this clone, and `{command}` failed: {}. In GitHub Actions, check out the whole history (actions/checkout with `fetch-depth: 0`) or run that fetch before this step; a SHA must be given in full to be fetched{}",
            last_line(&error),
            nearest_refs(root, name)
        ))),
        None => Err(WorktreeError::Input(format!("--baseline {name}: no such branch, tag or commit{}", nearest_refs(root, name)))),
    }
}

/// `; nearest: a, b` when the repository has refs named like `name`.
fn nearest_refs(root: &Path, name: &str) -> String {
    let refs = git(root, &["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes"])
        .unwrap_or_default();
    let nearest = crate::matching::nearest(name, refs.lines(), 5);
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; nearest: {}", nearest.join(", "))
    }
}

/// The remote the clone came from: `origin`, else the only remote there is.
fn fetch_remote(root: &Path) -> Option<String> {
    let remotes = git(root, &["remote"]).ok()?;
    let remotes: Vec<&str> = remotes.lines().map(str::trim).filter(|r| !r.is_empty()).collect();
    match remotes.as_slice() {
        [only] => Some((*only).to_owned()),
        _ => remotes.contains(&"origin").then(|| "origin".to_owned()),
    }
}

/// Fetches `name` alone from `remote`, without tags, and returns its commit; on failure the
/// command as the user would type it and git's message. A shallow clone gets just the commit;
/// a complete one its history too, since `--depth` would make it shallow.
fn fetch(root: &Path, remote: &str, name: &str) -> Result<String, (String, String)> {
    let shallow = git(root, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|answer| answer == "true");
    let depth: &[&str] = if shallow { &["--depth=1"] } else { &[] };
    let shown = format!("git fetch --no-tags{} {remote} {name}", if shallow { " --depth=1" } else { "" });
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(root)
        .args(["fetch", "--quiet", "--no-tags"])
        .args(depth)
        .args([remote, "--end-of-options", name])
        // A remote that asks for credentials fails instead of waiting for a terminal.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    super::descendants::die_with_parent(&mut command);
    let output = command.output().map_err(|e| (shown.clone(), format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err((shown, String::from_utf8_lossy(&output.stderr).trim().to_owned()));
    }
    commit_of(root, "FETCH_HEAD").ok_or_else(|| (shown, "git fetched nothing".to_owned()))
}

fn last_line(text: &str) -> &str {
    text.lines().rev().find(|l| !l.trim().is_empty()).map_or("no message", str::trim)
}

/// The top directory of the git repository holding `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, WorktreeError> {
    git(dir, &["rev-parse", "--show-toplevel"])
        .map(PathBuf::from)
        .map_err(|e| WorktreeError::Input(format!("{} is not in a git repository: {e}", dir.display())))
}

/// The worktree directory under the out dir.
pub fn directory(out_dir: &Path) -> PathBuf {
    out_dir.join("baseline-worktree")
}

/// Checks `commit` out, detached, in perf-gate's worktree (made on first use, reused after).
pub fn prepare(root: &Path, out_dir: &Path, commit: &str) -> Result<PathBuf, WorktreeError> {
    let dir = directory(out_dir);
    let fail = |what: &str, e: String| {
        WorktreeError::Git(format!("cannot {what} the baseline worktree {}: {e}", dir.display()))
    };
    // A worktree whose directory was deleted by hand is still registered until pruned.
    git(root, &["worktree", "prune"]).map_err(|e| fail("prune", e))?;
    let registered = git(root, &["worktree", "list", "--porcelain"]).map_err(|e| fail("list", e))?;
    let absolute = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
    let known = registered
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .any(|p| Path::new(p) == absolute || Path::new(p).canonicalize().ok() == absolute.canonicalize().ok());
    if known {
        git(&dir, &["checkout", "--quiet", "--detach", "--force", commit]).map_err(|e| fail("update", e))?;
        git(&dir, &["clean", "--quiet", "-fdx", "--exclude=/target"]).map_err(|e| fail("clean", e))?;
    } else {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| fail("replace", e.to_string()))?;
        }
        std::fs::create_dir_all(out_dir).map_err(|e| fail("create", e.to_string()))?;
        let path = absolute.to_string_lossy().into_owned();
        git(root, &["worktree", "add", "--quiet", "--detach", &path, commit]).map_err(|e| fail("create", e))?;
    }
    Ok(dir)
}

/// Removes perf-gate's worktree, if there is one, and prunes stale registrations.
pub fn remove(root: &Path, out_dir: &Path) -> Result<bool, WorktreeError> {
    let dir = directory(out_dir);
    let existed = dir.exists();
    if existed {
        let path = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        if git(root, &["worktree", "remove", "--force", &path.to_string_lossy()]).is_err() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| WorktreeError::Git(format!("cannot remove {}: {e}", dir.display())))?;
        }
    }
    git(root, &["worktree", "prune"]).map_err(|e| WorktreeError::Git(format!("git worktree prune: {e}")))?;
    Ok(existed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) -> String {
        let all: Vec<&str> =
            ["-c", "user.name=t", "-c", "user.email=t@example.com"].iter().chain(args).copied().collect();
        git(dir, &all).unwrap_or_else(|e| panic!("git {args:?}: {e}"))
    }

    /// An origin with `main` (two commits) and `side` (at the first), and a clone of it.
    fn origin_and_clone(shallow: bool) -> (tempfile::TempDir, PathBuf, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        std::fs::create_dir(&source).unwrap();
        run(&source, &["init", "--quiet", "--initial-branch", "main"]);
        run(&source, &["commit", "--quiet", "--allow-empty", "-m", "one"]);
        let first = run(&source, &["rev-parse", "HEAD"]);
        run(&source, &["branch", "side"]);
        run(&source, &["commit", "--quiet", "--allow-empty", "-m", "two"]);
        let origin = dir.path().join("origin.git");
        run(dir.path(), &["clone", "--quiet", "--bare", source.to_str().unwrap(), origin.to_str().unwrap()]);
        let clone = dir.path().join("clone");
        let url = format!("file://{}", origin.display());
        let depth: &[&str] = if shallow { &["--depth=1", "--single-branch"] } else { &[] };
        let args: Vec<&str> = ["clone", "--quiet"]
            .iter()
            .copied()
            .chain(depth.iter().copied())
            .chain([url.as_str(), clone.to_str().unwrap()])
            .collect();
        run(dir.path(), &args);
        (dir, clone, first, url)
    }

    #[test]
    fn a_shallow_clone_fetches_just_the_missing_commit_and_stays_shallow() {
        let (_dir, clone, first, _) = origin_and_clone(true);
        assert!(commit_of(&clone, &first).is_none(), "the shallow clone lacks the first commit");
        let resolved = resolve(&clone, &first).unwrap();
        assert_eq!(resolved.commit, first);
        assert!(resolved.note.as_deref().unwrap().contains("fetched just that commit"), "{resolved:?}");
        assert_eq!(run(&clone, &["rev-parse", "--is-shallow-repository"]), "true");
        // A branch the single-branch clone never saw comes the same way.
        let side = resolve(&clone, "side").unwrap();
        assert_eq!((side.commit.as_str(), side.name.as_str()), (first.as_str(), "side"));
    }

    #[test]
    fn a_complete_clone_fetches_with_history_and_is_not_made_shallow() {
        let (dir, clone, _, _) = origin_and_clone(false);
        // A commit pushed to the origin after the clone.
        let source = dir.path().join("source");
        run(&source, &["commit", "--quiet", "--allow-empty", "-m", "three"]);
        let third = run(&source, &["rev-parse", "HEAD"]);
        run(&source, &["push", "--quiet", dir.path().join("origin.git").to_str().unwrap(), "main"]);
        assert_eq!(resolve(&clone, &third).unwrap().commit, third);
        assert_eq!(run(&clone, &["rev-parse", "--is-shallow-repository"]), "false");
    }

    #[test]
    fn a_failed_fetch_says_how_to_fix_the_workflow() {
        let (_dir, clone, _, _) = origin_and_clone(true);
        let missing = "0123456789abcdef0123456789abcdef01234567";
        let Err(WorktreeError::Input(message)) = resolve(&clone, missing) else { panic!("an input error") };
        assert!(message.contains(&format!("git fetch --no-tags --depth=1 origin {missing}")), "{message}");
        assert!(message.contains("fetch-depth: 0"), "{message}");
    }

    #[test]
    fn a_ref_that_reads_as_an_option_is_refused_before_git_runs() {
        let (_dir, clone, _, _) = origin_and_clone(true);
        for name in ["--upload-pack=touch pwned", "-n", "main branch"] {
            let Err(WorktreeError::Input(message)) = resolve(&clone, name) else { panic!("{name}: an input error") };
            assert!(message.contains("not a git ref"), "{message}");
        }
        assert!(!clone.join("pwned").exists());
    }

    #[test]
    fn without_a_remote_an_unknown_ref_names_the_nearest() {
        let (_dir, clone, _, _) = origin_and_clone(false);
        run(&clone, &["remote", "remove", "origin"]);
        let Err(WorktreeError::Input(message)) = resolve(&clone, "mian") else { panic!("an input error") };
        assert!(message.contains("no such branch, tag or commit; nearest: main"), "{message}");
    }
}
