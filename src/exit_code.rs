//! The process exit codes: a public contract. [`TABLE`] is their one description: `--help`
//! prints it, and a test checks the README's table against it.

/// Everything passed (Warning gates may have failed).
pub const OK: u8 = 0;
/// A Blocking gate failed or a blocking regression was found (with `--strict`, warnings too).
pub const GATE_FAILED: u8 = 1;
/// Bad usage, config or input file.
pub const INVALID_INPUT: u8 = 2;
/// A benchmark could not be built or run, or perf-gate failed at run time (git, a template).
pub const BENCHMARK_FAILED: u8 = 3;
/// The PR comment could not be posted, where that was required (`--require-comment`, or the
/// `comment` command).
pub const PUBLISH_FAILED: u8 = 4;
/// Interrupted (Ctrl-C or SIGTERM), after cleaning up.
pub const INTERRUPTED: u8 = 130;

/// Every code with its meaning, as `--help` states it.
pub const TABLE: [(u8, &str); 6] = [
    (OK, "everything passed (Warning gates may have failed)"),
    (GATE_FAILED, "a Blocking gate failed or a regression was found (with --strict, warnings too)"),
    (INVALID_INPUT, "bad usage, config or input file"),
    (BENCHMARK_FAILED, "a benchmark could not be built or run, or perf-gate failed at run time"),
    (PUBLISH_FAILED, "the PR comment could not be posted (with --require-comment, or by `comment`)"),
    (INTERRUPTED, "interrupted (Ctrl-C or SIGTERM), after cleaning up"),
];

/// The `Exit codes:` section of `--help`.
pub fn help() -> String {
    let rows: Vec<String> = TABLE.iter().map(|(code, meaning)| format!("  {code:<4} {meaning}")).collect();
    format!("Exit codes:\n{}", rows.join("\n"))
}
