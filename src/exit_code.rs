//! The process exit codes: a public contract, documented in the README and `--help`.

/// Everything passed (Warning gates may have failed).
pub const OK: u8 = 0;
/// A Blocking gate failed or a blocking regression was found (with `--strict`, warnings too).
pub const GATE_FAILED: u8 = 1;
/// Bad usage, config or input file.
pub const INVALID_INPUT: u8 = 2;
/// A benchmark could not be built or run.
pub const BENCHMARK_FAILED: u8 = 3;
/// The PR comment could not be posted, where that was required (`--require-comment`, or the
/// `comment` command).
pub const PUBLISH_FAILED: u8 = 4;
/// Interrupted (Ctrl-C or SIGTERM), after cleaning up.
pub const INTERRUPTED: u8 = 130;
