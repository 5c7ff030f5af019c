//! The error a command ends with, and the exit code each kind maps to.

use std::path::PathBuf;

use crate::collect::cargo::{BenchError, WorkspaceError};
use crate::collect::command::CommandError;
use crate::collect::criterion::CriterionError;
use crate::collect::instructions::InstructionsError;
use crate::collect::service::ServiceError;
use crate::collect::worktree::WorktreeError;
use crate::config::ConfigError;
use crate::exit_code;
use crate::github::GitHubError;
use crate::history::store::HistoryError;
use crate::output::WriteError;
use crate::render::RenderError;
use crate::rounds::RoundsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag combination or value clap cannot judge.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// Criterion output given to collect (`--no-run`) is missing or malformed.
    #[error(transparent)]
    Collect(#[from] CriterionError),
    /// A results file given as input is missing or malformed.
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Bench(#[from] BenchError),
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// `--measure instructions` could not count.
    #[error(transparent)]
    Instructions(#[from] InstructionsError),
    /// The benches ran but did not leave usable criterion output.
    #[error("the benches ran, but their output cannot be used: {0}")]
    BenchOutput(CriterionError),
    /// The benches ran but none of them wrote criterion results.
    #[error("the benches ran but wrote no criterion results under {}: are they criterion benches with `harness = false`, and does criterion write to this directory (CRITERION_HOME, Criterion::output_directory)?", home.display())]
    NothingWritten { home: PathBuf },
    /// A template failed to render: a bug in perf-gate, not the user's input.
    #[error("cannot render the reports (a bug in cargo-perf-gate; please report it): {0}")]
    Render(#[from] RenderError),
    /// Resolving `--baseline REF` or preparing perf-gate's worktree of it.
    #[error(transparent)]
    Worktree(#[from] WorktreeError),
    /// The history store cannot be opened or written.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The interleaved mode's rounds cannot go on.
    #[error(transparent)]
    Rounds(#[from] RoundsError),
    /// GitHub settings (repository, token, API URL, event file) that cannot be used.
    #[error(transparent)]
    GitHubSetup(GitHubError),
    /// No baseline could be had and `--require-baseline` asks for one.
    #[error("no usable baseline (--require-baseline): {0}")]
    BaselineRequired(String),
    /// The PR comment could not be posted where that was required.
    #[error("the PR comment was not posted: {0}")]
    Publish(String),
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_)
            | Error::Config(_)
            | Error::Workspace(_)
            | Error::Collect(_)
            | Error::Input { .. }
            | Error::Write(_)
            | Error::Worktree(WorktreeError::Input(_))
            | Error::GitHubSetup(_)
            | Error::Rounds(RoundsError::Duplicate { .. } | RoundsError::MissingRounds { .. })
            | Error::History(_)
            | Error::BaselineRequired(_)
            | Error::Instructions(
                InstructionsError::NoValgrind(_) | InstructionsError::Criterion(_) | InstructionsError::Write { .. },
            ) => exit_code::INVALID_INPUT,
            Error::Publish(_) => exit_code::PUBLISH_FAILED,
            Error::Bench(BenchError::Interrupted)
            | Error::Command(CommandError::Interrupted)
            | Error::Service(ServiceError::Interrupted)
            | Error::Instructions(InstructionsError::Interrupted | InstructionsError::Bench(BenchError::Interrupted))
            | Error::Interrupted => exit_code::INTERRUPTED,
            Error::Instructions(_) => exit_code::BENCHMARK_FAILED,
            Error::Command(_) | Error::Service(_) => exit_code::BENCHMARK_FAILED,
            Error::Bench(_)
            | Error::BenchOutput(_)
            | Error::NothingWritten { .. }
            | Error::Rounds(RoundsError::WroteNothing { .. }) => exit_code::BENCHMARK_FAILED,
            // Failures at run time that no change of input fixes.
            Error::Render(_) | Error::Worktree(WorktreeError::Git(_)) => exit_code::BENCHMARK_FAILED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_failures_are_not_blamed_on_the_input() {
        let round =
            Error::from(RoundsError::WroteNothing { id: "a".into(), bench: "b".into(), side: "baseline", round: 3 });
        assert_eq!(round.exit_code(), exit_code::BENCHMARK_FAILED);
        assert!(round.to_string().contains("in round 3"));
        assert_eq!(
            Error::Worktree(WorktreeError::Git("cannot create".into())).exit_code(),
            exit_code::BENCHMARK_FAILED
        );
        assert_eq!(Error::Worktree(WorktreeError::Input("no such ref".into())).exit_code(), exit_code::INVALID_INPUT);
        let template = minijinja::Error::new(minijinja::ErrorKind::UndefinedError, "x");
        let render = Error::Render(RenderError::Template { template: "summary.md", error: template });
        assert_eq!(render.exit_code(), exit_code::BENCHMARK_FAILED);
        assert_eq!(Error::Publish("x".into()).exit_code(), exit_code::PUBLISH_FAILED);
        assert_eq!(Error::Interrupted.exit_code(), exit_code::INTERRUPTED);
        assert_eq!(Error::Usage("x".into()).exit_code(), exit_code::INVALID_INPUT);
    }
}
