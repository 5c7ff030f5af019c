//! The measured tree's git state and the machine fingerprint.
//!
//! Every probe here is best effort: a missing git or rustc yields `None`, never an error,
//! because the numbers are still worth gating on.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::descendants;
use crate::model::{Environment, GitInfo};

/// The fingerprint of this machine and toolchain. `rustc -V` runs in `workspace_root` so that a
/// `rust-toolchain.toml` there picks the same toolchain cargo used.
pub fn fingerprint(workspace_root: &Path, criterion: Option<String>) -> Environment {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Environment {
        os: std::env::consts::OS.to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        cpu_model: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        rustc: output_line(Command::new(rustc).arg("-V").current_dir(workspace_root)),
        criterion,
        callgrind: None,
    }
}

/// The git state and the fingerprint, probed on a thread of their own: the processes they
/// start (git, and rustc through rustup's proxy) then overlap reading the workspace and the
/// results. Start one only while nothing is being measured.
pub struct Probe(std::thread::JoinHandle<(Option<GitInfo>, Environment)>);

impl Probe {
    /// Probes the checkout and toolchain of `dir`; the criterion version is filled in by
    /// [`Probe::finish`], since it comes from the workspace read meanwhile.
    pub fn start(dir: PathBuf) -> Probe {
        Probe(std::thread::spawn(move || (git_info(&dir), fingerprint(&dir, None))))
    }

    pub fn finish(self, criterion: Option<String>) -> (Option<GitInfo>, Environment) {
        // The probes return `None` rather than fail; a panic there is a bug worth its message.
        let (git, machine) = self.0.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (git, Environment { criterion, ..machine })
    }
}

fn cpu_model() -> Option<String> {
    if cfg!(target_os = "macos") {
        return output_line(Command::new("sysctl").args(["-n", "machdep.cpu.brand_string"]));
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| matches!(key.trim(), "model name" | "Model" | "cpu model"))
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The git state of the checkout containing `dir`, or `None` outside git (or before its first
/// commit). One `git status --porcelain=v2 --branch` gives all three: `# branch.oid`, `# branch.head`
/// (`(detached)` without a branch) and one line per changed or untracked path.
pub fn git_info(dir: &Path) -> Option<GitInfo> {
    let mut status = Command::new("git");
    status
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain=v2", "--branch", "--untracked-files=normal"])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    descendants::die_with_parent(&mut status);
    let output = status.output().ok().filter(|o| o.status.success())?;
    parse_status(&String::from_utf8_lossy(&output.stdout))
}

fn parse_status(text: &str) -> Option<GitInfo> {
    let header = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
    let commit = header("# branch.oid ").filter(|oid| oid.len() >= 40 && oid.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let branch = header("# branch.head ").filter(|head| *head != "(detached)").map(str::to_owned);
    let dirty = text.lines().any(|l| !l.starts_with('#') && !l.is_empty());
    Some(GitInfo { commit: commit.to_owned(), branch, dirty })
}

/// The first line of a successful command's stdout.
fn output_line(command: &mut Command) -> Option<String> {
    descendants::die_with_parent(command);
    let output = command.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    text.lines().next().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned)
}

/// An RFC 3339 time in UTC (`2026-11-27T15:13:27Z`, as `now_rfc3339` and GitHub write them).
pub fn parse_rfc3339(text: &str) -> Option<std::time::SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn status_headers_give_commit_branch_and_dirty() {
        let oid = "36afaef2afdf0ce794d7e4663e7f327664aaa4d7";
        let clean = format!("# branch.oid {oid}\n# branch.head main\n");
        assert_eq!(
            parse_status(&clean),
            Some(GitInfo { commit: oid.into(), branch: Some("main".into()), dirty: false })
        );
        let detached = format!("# branch.oid {oid}\n# branch.head (detached)\n? notes.txt\n");
        assert_eq!(parse_status(&detached), Some(GitInfo { commit: oid.into(), branch: None, dirty: true }));
        assert_eq!(parse_status("# branch.oid (initial)\n# branch.head main\n"), None);
    }

    #[test]
    fn git_info_reads_commit_branch_and_dirty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(git_info(dir.path()), None);
        git(dir.path(), &["init", "-q", "-b", "trunk"]);
        std::fs::write(dir.path().join("a"), "1").unwrap();
        git(dir.path(), &["add", "a"]);
        git(dir.path(), &["commit", "-q", "-m", "one"]);
        let info = git_info(dir.path()).unwrap();
        assert_eq!(info.commit.len(), 40);
        assert_eq!(info.branch.as_deref(), Some("trunk"));
        assert!(!info.dirty);
        std::fs::write(dir.path().join("b"), "untracked").unwrap();
        assert!(git_info(dir.path()).unwrap().dirty);
        git(dir.path(), &["checkout", "-q", "--detach"]);
        assert_eq!(git_info(dir.path()).unwrap().branch, None);
    }

    #[test]
    fn fingerprint_describes_this_machine() {
        let env = fingerprint(Path::new("."), Some("0.8.2".into()));
        assert_eq!(env.os, std::env::consts::OS);
        assert!(env.cores >= 1);
        assert!(env.rustc.as_deref().is_some_and(|r| r.starts_with("rustc ")), "{env:?}");
        assert_eq!(env.criterion.as_deref(), Some("0.8.2"));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let now = now_rfc3339();
        assert!(now.ends_with('Z') && now.len() == 20, "{now}");
    }
}
