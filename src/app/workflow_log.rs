//! What perf-gate prints inside GitHub Actions is never read as a workflow command, except its
//! own annotations.
//!
//! The runner reads every line a step prints, on stdout and stderr alike, as a possible command:
//! `::name::` at the start of a line (after blanks) and the legacy `##[name]` anywhere in it.
//! perf-gate prints benchmark ids, gate names and messages that a pull request controls, and
//! streams its benches' output; an id such as `x ##[add-mask]y` would otherwise be obeyed. So
//! from start to exit command processing stays stopped (`::stop-commands::TOKEN`), under a fresh
//! unguessable token that nothing else has seen, and it resumes only around the annotations.
//! The runner keeps that state per step and shares it between the two streams, so the markers
//! go to both.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::Write;
use std::sync::Mutex;

/// The token processing is stopped under; `None` outside Actions or before [`stop`].
static STOPPED: Mutex<Option<String>> = Mutex::new(None);

/// 128 unpredictable bits as hex. Each `RandomState` hashes under a key std draws from the
/// operating system's generator, so two of them give 128 bits nobody outside can guess.
fn fresh_token() -> String {
    let half = || RandomState::new().hash_one("cargo-perf-gate stop token");
    format!("{:016x}{:016x}", half(), half())
}

fn emit_everywhere(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
    let _ = err.flush();
}

/// Stops command processing when running inside GitHub Actions (`in_actions`).
pub fn stop(in_actions: bool) {
    if !in_actions {
        return;
    }
    let token = fresh_token();
    emit_everywhere(&format!("::stop-commands::{token}"));
    *STOPPED.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
}

/// Prints `commands` (perf-gate's own, escaped, workflow commands) on stdout so that the runner
/// obeys them: processing resumes for them alone and stops again under a new token.
pub fn print_commands(commands: &str) {
    if commands.is_empty() {
        return;
    }
    let _ = std::io::stderr().flush();
    let mut stopped = STOPPED.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = std::io::stdout().lock();
    let _ = match stopped.as_mut() {
        Some(token) => {
            let next = fresh_token();
            let written = write!(out, "::{token}::\n{commands}::stop-commands::{next}\n");
            *token = next;
            written
        }
        None => write!(out, "{commands}"),
    };
    let _ = out.flush();
}

/// Resumes command processing for whatever the step runs after perf-gate.
pub fn resume() {
    if let Some(token) = STOPPED.lock().unwrap_or_else(|e| e.into_inner()).take() {
        emit_everywhere(&format!("::{token}::"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_hex_and_never_repeat() {
        let tokens: std::collections::HashSet<String> = (0..1000).map(|_| fresh_token()).collect();
        assert_eq!(tokens.len(), 1000);
        assert!(tokens.iter().all(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
