//! Secrets leave perf-gate's environment before anything else happens.
//!
//! perf-gate starts the code of the pull request it measures: cargo (and the `.cargo/config.toml`
//! the pull request ships), build scripts, bench executables, command benchmarks, services, git.
//! Every one of them inherits perf-gate's environment. So the token is read once, kept in
//! memory for the GitHub client, and removed from the process environment, together with the
//! other variables that hold GitHub or Actions credentials and any variable holding the same
//! value as the token in use. No child can inherit what is no longer there, whoever spawns it.

use std::sync::OnceLock;

/// Variables that carry a credential: GitHub tokens under the names GitHub's own tools read, and
/// the runner's tokens for its own services (artifacts, cache, OIDC). A benchmark needs none.
pub const SECRET_VARIABLES: &[&str] = &[
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_PAT",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
];

/// Shorter values are not searched for in other variables.
const MIN_TOKEN_LENGTH: usize = 16;

/// `GITHUB_TOKEN` as it was when perf-gate started; set once by [`take_from_environment`].
static GITHUB_TOKEN: OnceLock<Option<String>> = OnceLock::new();

/// Reads `GITHUB_TOKEN`, then removes [`SECRET_VARIABLES`] and every variable whose value is the
/// token in use (`flag_token`, else `GITHUB_TOKEN`) from the process environment.
///
/// Call it first thing in `main`, before any thread is started: changing the environment while
/// another thread reads it is undefined behaviour on some platforms.
pub fn take_from_environment(flag_token: Option<&str>) {
    let env_token = std::env::var("GITHUB_TOKEN").ok();
    // Only a value long enough to be a credential (GitHub's are 40 characters and more) is looked
    // for in other variables: a token of `true` must not take `CI=true` away.
    let in_use =
        flag_token.or(env_token.as_deref()).map(str::trim).filter(|t| t.len() >= MIN_TOKEN_LENGTH).map(str::to_owned);
    let doomed: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(name, value)| {
            SECRET_VARIABLES.iter().any(|secret| name == secret)
                || in_use.as_deref().is_some_and(|token| value.to_str().is_some_and(|v| v.trim() == token))
        })
        .map(|(name, _)| name)
        .collect();
    for name in doomed {
        std::env::remove_var(name);
    }
    let _ = GITHUB_TOKEN.set(env_token);
}

/// `GITHUB_TOKEN` from the environment perf-gate started with: what [`take_from_environment`]
/// kept, or the live variable where it was never called (the library used on its own, tests).
pub fn github_token() -> Option<String> {
    match GITHUB_TOKEN.get() {
        Some(token) => token.clone(),
        None => std::env::var("GITHUB_TOKEN").ok(),
    }
}
