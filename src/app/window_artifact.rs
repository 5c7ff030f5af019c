//! `--extend-window BRANCH`: the baseline artifact a `baseline` job uploads carries the last K
//! runs of the branch, built from the previous artifact plus this run, so that pull requests
//! are judged against a window without a server.
//!
//! The directory (`baseline-artifact/` in the out dir) holds `results.json` (this run, in
//! full) and `window/01.json`, `02.json`, ... (the runs before it, newest first, each metric
//! compacted to at most [`COMPACT_SAMPLES`] order statistics). An artifact of one run, as every
//! artifact was before windows, is read as a window of one.

use std::path::{Path, PathBuf};

use super::github::GitHub;
use super::Console;
use crate::config::Config;
use crate::error::Error;
use crate::github::artifact::{self, Unavailable, RESULTS_FILE_NAME, WINDOW_DIR};
use crate::model::Results;
use crate::output;

/// The directory in the out dir that the `baseline` job uploads.
pub const DIR: &str = "baseline-artifact";
/// Samples kept per metric of an older run: its location (a trimmed mean of 32 evenly spaced
/// order statistics) is then within a small share of its standard error of the full samples'.
pub const COMPACT_SAMPLES: usize = 32;

/// Which window to extend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The branch whose newest baseline artifact holds the runs before this one.
    pub branch: String,
    /// Runs in the new window, this one included.
    pub runs: usize,
}

/// Writes the new window into `out_dir`/[`DIR`]: the results file at `current` as it is and up
/// to `runs - 1` earlier runs from the branch's artifact. An artifact that cannot be had costs
/// the earlier runs, with a warning, never the upload.
pub fn extend(
    extension: &Extension,
    current: &Path,
    github: &GitHub,
    config: &Config,
    out_dir: &Path,
    console: &Console,
) -> Result<PathBuf, Error> {
    let current = std::fs::read(current)
        .map_err(|e| Error::Input { path: current.to_owned(), message: format!("cannot read it again: {e}") })?;
    let earlier = match previous(extension, github, config) {
        Ok(runs) => runs,
        Err(reason) => {
            console.warn(&format!(
                "--extend-window {}: {reason}; the new baseline artifact starts a window with this run",
                extension.branch
            ));
            Vec::new()
        }
    };
    let kept: Vec<Results> =
        earlier.iter().take(extension.runs.saturating_sub(1)).map(|run| run.compacted(COMPACT_SAMPLES)).collect();
    let dir = write(out_dir, &current, &kept)?;
    console.status(&format!(
        "Baseline artifact: {} (this run and {} before it, of at most {})",
        dir.display(),
        kept.len(),
        extension.runs
    ));
    Ok(dir)
}

/// The runs of the branch's newest baseline artifact, newest first.
fn previous(extension: &Extension, github: &GitHub, config: &Config) -> Result<Vec<Results>, String> {
    let name = github.options.artifact_name.as_deref().unwrap_or(&config.github.artifact_name);
    let workflow = github
        .options
        .baseline_workflow
        .as_deref()
        .or(config.github.baseline_workflow.as_deref())
        .or(github.context.workflow_path.as_deref());
    let repository = github.context.require_repository().map_err(|e| e.to_string())?;
    let client = github.client().map_err(|e| e.to_string())?;
    match artifact::fetch_baseline(&client, repository, name, &extension.branch, workflow) {
        Ok(fetched) => {
            let mut runs: Vec<Results> = std::iter::once(fetched.results).chain(fetched.window).collect();
            // Newest first by when each was measured, whatever the files' names say.
            runs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
            Ok(runs)
        }
        Err(Unavailable::NotFound(reason)) => Err(format!("no earlier runs ({reason})")),
        Err(Unavailable::Failed(error)) => Err(format!("the earlier runs could not be fetched: {error}")),
    }
}

/// Writes the directory whole or not at all: built beside it, then renamed into place.
fn write(out_dir: &Path, current: &[u8], earlier: &[Results]) -> Result<PathBuf, Error> {
    let dir = out_dir.join(DIR);
    let staging = out_dir.join(format!(".{DIR}.partial"));
    let error = |path: &Path| {
        let path = path.to_owned();
        move |source| output::WriteError { path, source }
    };
    for stale in [&staging, &dir] {
        if stale.exists() {
            std::fs::remove_dir_all(stale).map_err(error(stale))?;
        }
    }
    std::fs::create_dir_all(staging.join(WINDOW_DIR)).map_err(error(&staging))?;
    output::write_atomic(&staging.join(RESULTS_FILE_NAME), current)?;
    for (index, run) in earlier.iter().enumerate() {
        let mut json = serde_json::to_vec(run).unwrap_or_default();
        json.push(b'\n');
        output::write_atomic(&staging.join(WINDOW_DIR).join(format!("{:02}.json", index + 1)), &json)?;
    }
    std::fs::rename(&staging, &dir).map_err(error(&dir))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{fixtures, Better};

    #[test]
    fn the_directory_holds_this_run_and_the_earlier_ones_in_order() {
        let temp = tempfile::tempdir().unwrap();
        let run = |at: &str| Results {
            created_at: at.to_owned(),
            ..fixtures::results(vec![fixtures::benchmark("a", Better::Lower, &[1.0; 40])])
        };
        let earlier = [run("2026-11-02T00:00:00Z"), run("2026-11-01T00:00:00Z")];
        // A directory from an earlier run is replaced whole.
        std::fs::create_dir_all(temp.path().join(DIR).join(WINDOW_DIR)).unwrap();
        std::fs::write(temp.path().join(DIR).join(WINDOW_DIR).join("09.json"), "stale").unwrap();
        let dir = write(temp.path(), b"{\"current\": true}", &earlier).unwrap();
        assert_eq!(std::fs::read(dir.join(RESULTS_FILE_NAME)).unwrap(), b"{\"current\": true}");
        let mut names: Vec<String> = std::fs::read_dir(dir.join(WINDOW_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["01.json", "02.json"]);
        let first = Results::parse(&std::fs::read_to_string(dir.join(WINDOW_DIR).join("01.json")).unwrap()).unwrap();
        assert_eq!(first.created_at, "2026-11-02T00:00:00Z");
        assert!(!temp.path().join(format!(".{DIR}.partial")).exists());
    }
}
