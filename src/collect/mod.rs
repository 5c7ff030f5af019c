//! The I/O edge that produces results: running benches and reading what they wrote.

pub mod canary;
pub mod cargo;
pub mod command;
pub mod criterion;
pub mod environment;
pub mod service;

use std::path::Path;

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
