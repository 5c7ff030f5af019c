//! The I/O edge that produces results: running benches and reading what they wrote.

pub mod canary;
pub mod cargo;
pub mod command;
pub mod criterion;
pub mod descendants;
pub mod environment;
pub mod service;
pub mod worktree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::interrupt;

/// The variable naming the file a command or hook may write its own metrics to, as a JSON
/// object of numbers.
pub const METRICS_ENV: &str = "PERF_GATE_METRICS";

/// Where command and service runs write their logs and find their paths.
pub struct Place<'a> {
    /// Logs go here: the out dir.
    pub log_dir: &'a Path,
    /// Relative paths in the config are relative to this: the config file's directory.
    pub base_dir: &'a Path,
    /// What a service's `{target_dir}` stands for: the workspace's target directory.
    pub target_dir: &'a Path,
}

impl Place<'_> {
    /// A configured working directory, resolved against the config's directory.
    pub fn cwd(&self, configured: Option<&Path>) -> PathBuf {
        configured.map_or_else(|| self.base_dir.to_owned(), |dir| self.base_dir.join(dir))
    }
}

/// The last `count` lines of a log file (empty when it cannot be read), for error messages.
pub fn last_lines(log: &Path, count: usize) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].iter().map(|l| (*l).to_owned()).collect()
}

/// `; last lines of its output:` and the lines, indented; nothing for no lines.
pub fn tail_text(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(
            "; last lines of its output:\n{}",
            lines.iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
        )
    }
}

/// The JSON object of numbers a command or hook wrote to its `PERF_GATE_METRICS` file, if any.
pub fn read_custom_metrics(path: &Path) -> Result<Vec<(String, f64)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => return Ok(Vec::new()),
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("cannot read its {METRICS_ENV} file: {error}")),
    };
    let object: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| format!("its {METRICS_ENV} file is not a JSON object of numbers: {e}"))?;
    object
        .into_iter()
        .map(|(name, value)| match value.as_f64() {
            Some(number) if number.is_finite() => Ok((name, number)),
            _ => Err(format!("its {METRICS_ENV} file gives `{name}` the value {value}, not a finite number")),
        })
        .collect()
}

/// Why [`run_in_group`] returned without an exit status.
pub enum Waited {
    Interrupted,
    Spawn(std::io::Error),
}

/// Runs `command` in its own process group; `None` when it was killed at `timeout_s`. What it
/// daemonized is swept when it ends, unless a service it belongs to still runs (a hook).
pub fn run_in_group(mut command: Command, timeout_s: f64) -> Result<Option<std::process::ExitStatus>, Waited> {
    let mut child = descendants::Child::spawn_in_group(&mut command).map_err(Waited::Spawn)?;
    let outcome = wait_or_kill(&mut child, Duration::from_secs_f64(timeout_s));
    drop(child);
    descendants::sweep(descendants::ORPHAN_GRACE);
    outcome
}

/// Waits for `child`, killing its group at `timeout` or on interrupt.
fn wait_or_kill(child: &mut descendants::Child, timeout: Duration) -> Result<Option<std::process::ExitStatus>, Waited> {
    let deadline = Instant::now() + timeout;
    let kill_group = |child: &mut descendants::Child| {
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) on a process group we created; no memory is shared.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        child.kill();
        let _ = child.wait();
    };
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(Some(status));
        }
        if interrupt::requested() {
            kill_group(child);
            return Err(Waited::Interrupted);
        }
        if Instant::now() >= deadline {
            kill_group(child);
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
