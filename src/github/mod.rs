//! GitHub: where a run is (context), the baseline from the main branch's artifact, the sticky
//! pull-request comment, and the workflow's step summary. All API traffic goes through
//! [`client::Client`], to the configured API URL and the artifact download's redirect only.

pub mod artifact;
pub mod client;
pub mod comment;
pub mod context;
pub mod pull;

pub use context::{in_actions, Context, Overrides, PullRequest, Repository, Token};

/// A GitHub operation that failed. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// Missing or invalid settings: repository, token, API URL, event file.
    #[error("{0}")]
    Setup(String),
    /// A request that failed: `status` is `None` when no response came back.
    #[error("{what}: {}{message}", status.map(|s| format!("HTTP {s}: ")).unwrap_or_default())]
    Request { what: String, status: Option<u16>, message: String },
    /// The baseline artifact was downloaded but cannot be used.
    #[error("baseline artifact {artifact}: {message}")]
    Artifact { artifact: u64, message: String },
}

impl GitHubError {
    /// A 403 on a write: what a fork's pull request gets with its read-only token.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, GitHubError::Request { status: Some(403), .. })
    }
}
