//! The I/O edge that produces results: running benches and reading what they wrote.

pub mod canary;
pub mod cargo;
pub mod command;
pub mod criterion;
pub mod descendants;
pub mod environment;
pub mod imported;
pub mod instructions;
pub mod service;
pub mod target_seed;
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

/// At most this much of a log's end is read for an error message, whatever the log's size.
const TAIL_BYTES: u64 = 16 * 1024;
/// A line of an error message's tail is cut to about this many characters.
const TAIL_LINE_CHARS: usize = 400;
/// Reading a child's output, a line longer than this is passed on in pieces of this size.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The last `count` lines of a log file (empty when it cannot be read), for error messages:
/// read from the end of the file (at most [`TAIL_BYTES`]), decoded lossily, each line cut to
/// about [`TAIL_LINE_CHARS`], so that a log of one 100 MB line gives a message of a few KB.
pub fn last_lines(log: &Path, count: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let read = || -> std::io::Result<(Vec<u8>, bool)> {
        let mut file = std::fs::File::open(log)?;
        let start = file.metadata()?.len().saturating_sub(TAIL_BYTES);
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        file.take(TAIL_BYTES).read_to_end(&mut bytes)?;
        Ok((bytes, start > 0))
    };
    let Ok((bytes, cut_before)) = read() else { return Vec::new() };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.len().saturating_sub(count);
    lines[first..]
        .iter()
        .enumerate()
        .map(|(index, line)| {
            // The first line read from the middle of the file lost its start.
            let clipped = clip(line);
            if index == 0 && first == 0 && cut_before {
                format!("…{clipped}")
            } else {
                clipped
            }
        })
        .collect()
}

/// `line` cut to about [`TAIL_LINE_CHARS`]: its start and its end, with what was left out.
pub fn clip(line: &str) -> String {
    let chars = line.chars().count();
    if chars <= TAIL_LINE_CHARS {
        return line.to_owned();
    }
    let half = TAIL_LINE_CHARS / 2;
    let head: String = line.chars().take(half).collect();
    let tail: String = line.chars().skip(chars - half).collect();
    format!("{head} […{} characters…] {tail}", chars - 2 * half)
}

/// The lines of a child's output, decoded lossily and split into pieces of at most
/// [`MAX_LINE_BYTES`]: one byte that is not UTF-8 must not end the reading (the child would then
/// block on a full pipe), and one huge line must not take the memory.
pub fn lossy_lines<R: std::io::BufRead>(mut reader: R) -> impl Iterator<Item = String> {
    let decode = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim_end_matches('\r').to_owned();
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        loop {
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return (!line.is_empty()).then(|| decode(&line)),
            };
            if available.is_empty() {
                return (!line.is_empty()).then(|| decode(&line));
            }
            let room = MAX_LINE_BYTES - line.len();
            let window = &available[..available.len().min(room)];
            if let Some(end) = window.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&window[..end]);
                reader.consume(end + 1);
                return Some(decode(&line));
            }
            let taken = window.len();
            line.extend_from_slice(window);
            reader.consume(taken);
            if line.len() >= MAX_LINE_BYTES {
                return Some(decode(&line));
            }
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_is_read_from_the_end_bounded_and_lossy() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("huge.log");
        let mut bytes = b"first line\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 5_000_000));
        bytes.extend_from_slice(b" bad byte \xff here\nlast line\n");
        std::fs::write(&log, &bytes).unwrap();
        let lines = last_lines(&log, 20);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("…xxx") && lines[0].ends_with("bad byte \u{FFFD} here"), "{}", lines[0]);
        assert!(lines[0].chars().count() < TAIL_LINE_CHARS + 60, "{}", lines[0].len());
        assert_eq!(lines[1], "last line");
        let short = dir.path().join("short.log");
        std::fs::write(&short, "a\nb\nc\n").unwrap();
        assert_eq!(last_lines(&short, 2), ["b", "c"]);
        assert!(last_lines(&dir.path().join("missing.log"), 5).is_empty());
    }

    #[test]
    fn output_lines_survive_bad_bytes_and_huge_lines_come_in_pieces() {
        let mut input = b"one \xff two\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'y', MAX_LINE_BYTES * 2 + 10));
        input.extend_from_slice(b"\nafter");
        let lines: Vec<String> = lossy_lines(std::io::BufReader::with_capacity(1000, &input[..])).collect();
        assert_eq!(lines[0], "one \u{FFFD} two");
        assert_eq!(lines[1].len(), MAX_LINE_BYTES);
        assert_eq!(lines[2].len(), MAX_LINE_BYTES);
        assert_eq!(lines[3].len(), 10);
        assert_eq!(lines[4], "after");
        assert_eq!(lines.len(), 5);
    }
}
