//! The baseline side of a local comparison: a git ref checked out, detached, in a worktree of
//! perf-gate's own under the out dir. Only `git worktree` and commands run inside that worktree
//! are used: the user's working tree, index, branches, stash and HEAD are never touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
/// on `origin` is taken from there, and the note says so.
pub fn resolve(root: &Path, name: &str) -> Result<Resolved, WorktreeError> {
    git(root, &["rev-parse", "--git-dir"]).map_err(|e| {
        WorktreeError::Input(format!("--baseline {name}: {} is not in a git repository ({e})", root.display()))
    })?;
    if let Some(commit) = commit_of(root, name) {
        return Ok(Resolved { commit, name: name.to_owned(), note: None });
    }
    let remote = format!("origin/{name}");
    if let Some(commit) = commit_of(root, &remote) {
        let note =
            format!("There is no local `{name}`: the baseline is `{remote}` ({}).", &commit[..12.min(commit.len())]);
        return Ok(Resolved { commit, name: remote, note: Some(note) });
    }
    let refs = git(root, &["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes"])
        .unwrap_or_default();
    let nearest = crate::gates::nearest(name, refs.lines(), 5);
    Err(WorktreeError::Input(format!(
        "--baseline {name}: no such branch, tag or commit{}",
        if nearest.is_empty() { String::new() } else { format!("; nearest: {}", nearest.join(", ")) }
    )))
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
