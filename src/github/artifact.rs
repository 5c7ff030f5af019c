//! The baseline from the main branch's workflow artifact: which artifact may serve (pure),
//! what is inside it (pure), and fetching it (through [`Client`]).

use std::io::Read;

use http::{Method, StatusCode};
use serde::Deserialize;

use super::client::{encode_query, Client};
use super::context::Repository;
use super::GitHubError;
use crate::model::Results;

/// The file the baseline artifact carries.
pub const RESULTS_FILE_NAME: &str = "results.json";
/// The directory beside it holding the older runs of a window (`01.json` the run before, ...).
pub const WINDOW_DIR: &str = "window";
/// Most older runs read from one artifact's window.
const MAX_WINDOW_FILES: usize = 1000;
/// Far above any real results file; a zip bomb stops here.
pub const MAX_RESULTS_BYTES: u64 = 256 * 1024 * 1024;
/// Pages of 100 artifacts read at most while looking for the newest usable one.
const MAX_PAGES: usize = 50;
/// Runs looked up at most while looking for the newest artifact of a trusted run.
const MAX_RUN_LOOKUPS: usize = 20;

/// An artifact as `GET /repos/{o}/{r}/actions/artifacts` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Artifact {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub size_in_bytes: u64,
    pub expired: bool,
    pub created_at: Option<String>,
    pub workflow_run: Option<ArtifactRun>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArtifactRun {
    pub id: Option<u64>,
    pub repository_id: Option<u64>,
    pub head_repository_id: Option<u64>,
    pub head_branch: Option<String>,
    pub head_sha: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ArtifactPage {
    artifacts: Vec<Artifact>,
}

/// The artifacts that may serve as the baseline, newest first: named `name`, unexpired, from a
/// run that built `branch` of this repository (a fork's branch of the same name never counts:
/// its run's head repository differs). One line saying why when none may.
pub fn candidates<'a>(artifacts: &'a [Artifact], name: &str, branch: &str) -> Result<Vec<&'a Artifact>, String> {
    let named: Vec<&Artifact> = artifacts.iter().filter(|a| a.name == name).collect();
    let on_branch: Vec<&Artifact> = named
        .iter()
        .copied()
        .filter(|a| a.workflow_run.as_ref().and_then(|r| r.head_branch.as_deref()) == Some(branch))
        .collect();
    let own: Vec<&Artifact> = on_branch
        .iter()
        .copied()
        .filter(|a| {
            a.workflow_run
                .as_ref()
                .is_some_and(|r| r.head_repository_id.is_some() && r.head_repository_id == r.repository_id)
        })
        .collect();
    let mut live: Vec<&Artifact> = own.iter().copied().filter(|a| !a.expired).collect();
    if !live.is_empty() {
        live.sort_by(|a, b| created(b).cmp(&created(a)).then(b.id.cmp(&a.id)));
        return Ok(live);
    }
    Err(if named.is_empty() {
        format!("no artifact named `{name}` in the repository (has a push to `{branch}` uploaded one yet?)")
    } else if on_branch.is_empty() {
        format!("{} artifact(s) named `{name}`, none from a run on branch `{branch}`", named.len())
    } else if own.is_empty() {
        format!(
            "{} artifact(s) named `{name}` on branch `{branch}`, all from forks' runs, which never serve as the baseline",
            on_branch.len()
        )
    } else {
        format!(
            "every artifact named `{name}` from branch `{branch}` has expired (raise `retention-days` of the baseline upload)"
        )
    })
}

/// A workflow run as `GET /repos/{o}/{r}/actions/runs/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkflowRun {
    pub id: u64,
    /// The workflow file, `.github/workflows/x.yml`, sometimes followed by `@ref`.
    pub path: Option<String>,
    /// What triggered it: `push`, `schedule`, `pull_request`, `issue_comment`, ...
    pub event: String,
}

impl WorkflowRun {
    /// The workflow file without an `@ref` suffix.
    pub fn workflow(&self) -> &str {
        self.path.as_deref().map_or("", |p| p.split('@').next().unwrap_or(p))
    }
}

/// Events whose runs build the branch's own code as its maintainers pushed it. Another run on
/// the branch (`issue_comment`, `workflow_run`, `pull_request_target`, ...) may have handled a
/// pull request's code or files, and what it uploads is no baseline.
pub const TRUSTED_EVENTS: &[&str] = &["push", "schedule", "workflow_dispatch"];

/// Whether `run` may have produced the baseline: triggered by one of [`TRUSTED_EVENTS`], and of
/// the `expected` workflow file when one is known (a bare file name matches it in any directory).
pub fn check_producer(run: &WorkflowRun, expected: Option<&str>) -> Result<(), String> {
    if !TRUSTED_EVENTS.contains(&run.event.as_str()) {
        return Err(format!(
            "run {} was triggered by `{}`; a baseline comes only from `push`, `schedule` or `workflow_dispatch` runs",
            run.id, run.event
        ));
    }
    let Some(expected) = expected.map(|e| e.trim_start_matches("./")) else { return Ok(()) };
    let workflow = run.workflow();
    let matches =
        if expected.contains('/') { workflow == expected } else { workflow.rsplit('/').next() == Some(expected) };
    if matches {
        return Ok(());
    }
    Err(format!(
        "run {} is of workflow `{workflow}`, not `{expected}` (if another workflow uploads the baseline, name it in `github.baseline_workflow` or --baseline-workflow)",
        run.id
    ))
}

/// Creation time as seconds since the epoch; unknown or unparsable sorts oldest.
fn created(artifact: &Artifact) -> u64 {
    artifact
        .created_at
        .as_deref()
        .and_then(crate::collect::environment::parse_rfc3339)
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// What a baseline artifact holds: its results file and the older runs of its window, if it
/// carries one, in their files' order (newest first), each with its name in the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub results: Vec<u8>,
    pub window: Vec<(String, Vec<u8>)>,
}

/// The results file inside an artifact's zip: `results.json` at the top, or the only one
/// deeper down. Paths that climb out (`../`) or are absolute refuse the whole archive.
pub fn extract_results(bytes: &[u8], max_bytes: u64) -> Result<Vec<u8>, String> {
    extract_baseline(bytes, max_bytes).map(|extracted| extracted.results)
}

/// The results file (as [`extract_results`] finds it) and the `*.json` files of the `window`
/// directory beside it, at most `max_bytes` each and together. An artifact from before windows has none.
pub fn extract_baseline(bytes: &[u8], max_bytes: u64) -> Result<Extracted, String> {
    if !bytes.starts_with(b"PK\x03\x04") && !bytes.starts_with(b"PK\x05\x06") {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]).trim().to_owned();
        return Err(format!("the download is not a zip archive (it starts with `{start}`)"));
    }
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let mut candidates = Vec::new();
    let mut json_files = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| format!("entry {index} of the archive: {e}"))?;
        let raw_name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        // zip accepts an absolute name as relative; an archive of ours never holds one.
        let absolute = raw_name.starts_with(['/', '\\']);
        let Some(path) = entry.enclosed_name().filter(|_| !absolute) else {
            return Err(format!(
                "the archive holds an unsafe path `{raw_name}`; it was not made by perf-gate's upload"
            ));
        };
        if !entry.is_dir() && path.file_name().is_some_and(|n| n == RESULTS_FILE_NAME) {
            candidates.push((path.components().count(), index, raw_name));
        } else if !entry.is_dir() && path.extension().is_some_and(|e| e == "json") {
            json_files.push((path, index, raw_name));
        }
    }
    candidates.sort();
    let (_, index, name) = match candidates.as_slice() {
        [] => return Err(format!("the archive holds no `{RESULTS_FILE_NAME}`")),
        [only] => only.clone(),
        [first, second, ..] if first.0 < second.0 => first.clone(),
        [first, second, ..] => {
            return Err(format!(
                "the archive holds several `{RESULTS_FILE_NAME}` files at the same depth (`{}`, `{}`); upload one",
                first.2, second.2
            ))
        }
    };
    let results = unpack(&mut archive, index, &name, max_bytes)?;
    let window_dir = std::path::Path::new(&name).parent().unwrap_or(std::path::Path::new("")).join(WINDOW_DIR);
    let mut window: Vec<(std::path::PathBuf, usize, String)> =
        json_files.into_iter().filter(|(path, _, _)| path.parent() == Some(window_dir.as_path())).collect();
    window.sort();
    if window.len() > MAX_WINDOW_FILES {
        return Err(format!("the archive's `{WINDOW_DIR}` holds {} files, more than {MAX_WINDOW_FILES}", window.len()));
    }
    // The window's files together are held to the same cap as one results file.
    let mut budget = max_bytes;
    let mut files = Vec::with_capacity(window.len());
    for (_, index, name) in window {
        let bytes = unpack(&mut archive, index, &name, budget)?;
        budget -= bytes.len() as u64;
        files.push((name, bytes));
    }
    Ok(Extracted { results, window: files })
}

/// Entry `index` of `archive`, at most `max_bytes` unpacked.
fn unpack(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    index: usize,
    name: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, String> {
    let entry = archive.by_index(index).map_err(|e| format!("`{name}` in the archive: {e}"))?;
    if entry.size() > max_bytes {
        return Err(format!("`{name}` is {} bytes, more than the {max_bytes} a results file may have", entry.size()));
    }
    let mut contents = Vec::new();
    entry.take(max_bytes + 1).read_to_end(&mut contents).map_err(|e| format!("cannot unpack `{name}`: {e}"))?;
    if contents.len() as u64 > max_bytes {
        return Err(format!("`{name}` unpacks to more than {max_bytes} bytes"));
    }
    Ok(contents)
}

/// A baseline found and read.
#[derive(Debug)]
pub struct Fetched {
    pub results: Results,
    /// The older runs of the window the artifact carries, newest first; empty for an artifact
    /// of one run.
    pub window: Vec<Results>,
    pub artifact: Artifact,
    /// The run that uploaded it.
    pub run: WorkflowRun,
}

/// Why no baseline came from the artifacts; the gates still run.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// Nothing usable exists: a fact about the repository, not a failure.
    #[error("{0}")]
    NotFound(String),
    /// Something exists but could not be fetched or read.
    #[error(transparent)]
    Failed(#[from] GitHubError),
}

/// Lists the repository's artifacts named `name`, picks the newest usable one from `branch`
/// uploaded by a trusted run of the `expected_workflow`, downloads it and reads its results.
pub fn fetch_baseline(
    client: &Client,
    repository: &Repository,
    name: &str,
    branch: &str,
    expected_workflow: Option<&str>,
) -> Result<Fetched, Unavailable> {
    let mut artifacts = Vec::new();
    let mut next = Some(format!("/repos/{repository}/actions/artifacts?name={}&per_page=100", encode_query(name)));
    let mut pages = 0;
    while let Some(uri) = next.take() {
        pages += 1;
        let (page, link): (ArtifactPage, _) = client.get_json("listing the baseline artifacts", &uri)?;
        artifacts.extend(page.artifacts);
        next = link.filter(|_| pages < MAX_PAGES);
    }
    let candidates = candidates(&artifacts, name, branch).map_err(Unavailable::NotFound)?;
    let (artifact, run) = trusted_candidate(client, repository, &candidates, expected_workflow)?;
    let what = format!("downloading baseline artifact {} (`{}`)", artifact.id, artifact.name);
    let response =
        client.send(&what, Method::GET, &format!("/repos/{repository}/actions/artifacts/{}/zip", artifact.id), None)?;
    if response.status == StatusCode::GONE {
        return Err(Unavailable::NotFound(format!(
            "baseline artifact {} has expired since it was listed ({})",
            artifact.id,
            response.message()
        )));
    }
    let response = client.require_success(&what, response)?;
    let invalid = |message: String| GitHubError::Artifact { artifact: artifact.id, message };
    let extracted = extract_baseline(&response.body, MAX_RESULTS_BYTES).map_err(invalid)?;
    let parse = |name: &str, bytes: Vec<u8>| {
        let text = String::from_utf8(bytes).map_err(|_| invalid(format!("`{name}` is not UTF-8 text")))?;
        Results::parse(&text).map_err(|message| invalid(format!("`{name}`: {message}")))
    };
    let results = parse(RESULTS_FILE_NAME, extracted.results)?;
    let window = extracted.window.into_iter().map(|(name, bytes)| parse(&name, bytes)).collect::<Result<_, _>>()?;
    Ok(Fetched { results, window, artifact: artifact.clone(), run })
}

/// The newest candidate whose run passes [`check_producer`], with that run.
fn trusted_candidate<'a>(
    client: &Client,
    repository: &Repository,
    candidates: &[&'a Artifact],
    expected_workflow: Option<&str>,
) -> Result<(&'a Artifact, WorkflowRun), Unavailable> {
    let mut refused: Vec<(u64, String)> = Vec::new();
    for artifact in candidates.iter().take(MAX_RUN_LOOKUPS) {
        let Some(run_id) = artifact.workflow_run.as_ref().and_then(|r| r.id) else {
            refused.push((artifact.id, "the run that uploaded it is not named".to_owned()));
            continue;
        };
        let what = format!("reading run {run_id}, which uploaded artifact {}", artifact.id);
        let (run, _): (WorkflowRun, _) =
            client.get_json(&what, &format!("/repos/{repository}/actions/runs/{run_id}"))?;
        match check_producer(&run, expected_workflow) {
            Ok(()) => return Ok((artifact, run)),
            Err(reason) => refused.push((artifact.id, reason)),
        }
    }
    let (newest, why) = refused.first().cloned().unwrap_or_default();
    Err(Unavailable::NotFound(format!(
        "none of the {} newest artifact(s) on the branch was uploaded by a run that may produce the baseline; artifact {newest}: {why}",
        refused.len()
    )))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    const LIST: &str = include_str!("../../tests/fixtures/github/artifact-list.json");

    fn listed() -> Vec<Artifact> {
        serde_json::from_str::<ArtifactPage>(LIST).unwrap().artifacts
    }

    fn artifact(id: u64, created_at: &str, branch: &str, head_repository_id: u64, expired: bool) -> Artifact {
        Artifact {
            id,
            name: "perf-gate-baseline".into(),
            size_in_bytes: 100,
            expired,
            created_at: Some(created_at.into()),
            workflow_run: Some(ArtifactRun {
                id: Some(id * 10),
                repository_id: Some(1),
                head_repository_id: Some(head_repository_id),
                head_branch: Some(branch.into()),
                head_sha: Some("abc".into()),
            }),
        }
    }

    #[test]
    fn githubs_documented_list_parses() {
        let artifacts = listed();
        assert_eq!(artifacts.len(), 2);
        assert_eq!(artifacts[0].workflow_run.as_ref().unwrap().head_branch.as_deref(), Some("main"));
        assert_eq!(candidates(&artifacts, "Rails", "main").unwrap(), vec![&artifacts[0]]);
    }

    #[test]
    fn the_newest_own_unexpired_artifact_of_the_branch_wins() {
        let artifacts = vec![
            artifact(1, "2026-01-01T00:00:00Z", "main", 1, false),
            artifact(2, "2026-03-01T00:00:00Z", "main", 1, false),
            artifact(3, "2026-04-01T00:00:00Z", "main", 99, false),
            artifact(4, "2026-05-01T00:00:00Z", "main", 1, true),
            artifact(5, "2026-06-01T00:00:00Z", "feature", 1, false),
            artifact(6, "2026-02-01T00:00:00Z", "main", 1, false),
        ];
        let ids: Vec<u64> =
            candidates(&artifacts, "perf-gate-baseline", "main").unwrap().iter().map(|a| a.id).collect();
        assert_eq!(ids, [2, 6, 1], "newest first; no fork's, expired or other branch's");
    }

    #[test]
    fn each_reason_for_no_baseline_is_said() {
        let reason = |artifacts: &[Artifact]| candidates(artifacts, "perf-gate-baseline", "main").unwrap_err();
        assert!(reason(&[]).contains("no artifact named `perf-gate-baseline`"));
        assert!(reason(&[artifact(1, "2026-01-01T00:00:00Z", "dev", 1, false)])
            .contains("none from a run on branch `main`"));
        assert!(reason(&[artifact(1, "2026-01-01T00:00:00Z", "main", 7, false)]).contains("forks"));
        assert!(reason(&[artifact(1, "2026-01-01T00:00:00Z", "main", 1, true)]).contains("expired"));
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, contents) in entries {
            let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            writer.start_file(*name, options).unwrap();
            writer.write_all(contents).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn the_results_file_is_found_at_the_top_or_alone_below() {
        let top = zip_of(&[("perf-gate/results.json", b"deep"), ("results.json", b"top"), ("report.html", b"x")]);
        assert_eq!(extract_results(&top, 1000).unwrap(), b"top");
        let nested = zip_of(&[("out/results.json", b"nested")]);
        assert_eq!(extract_results(&nested, 1000).unwrap(), b"nested");
    }

    #[test]
    fn the_window_beside_the_results_file_is_read_in_order() {
        let zip = zip_of(&[
            ("out/results.json", b"newest"),
            ("out/window/02.json", b"older"),
            ("out/window/01.json", b"before"),
            ("out/window/notes.txt", b"x"),
            ("window/03.json", b"elsewhere"),
            ("out/report.json", b"x"),
        ]);
        let extracted = extract_baseline(&zip, 100).unwrap();
        assert_eq!(extracted.results, b"newest");
        let window: Vec<(&str, &[u8])> = extracted.window.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        assert_eq!(window, [("out/window/01.json", b"before".as_slice()), ("out/window/02.json", b"older".as_slice())]);
        // An artifact of one run, as every artifact was before windows, has none.
        assert!(extract_baseline(&zip_of(&[("results.json", b"one")]), 100).unwrap().window.is_empty());
        let big = vec![b'x'; 200];
        let error = extract_baseline(&zip_of(&[("results.json", b"x"), ("window/01.json", &big)]), 100).unwrap_err();
        assert!(error.contains("`window/01.json` is 200 bytes"), "{error}");
        let half = vec![b'x'; 60];
        let two = zip_of(&[("results.json", b"x"), ("window/01.json", &half), ("window/02.json", &half)]);
        let error = extract_baseline(&two, 100).unwrap_err();
        assert!(error.contains("`window/02.json` is 60 bytes, more than the 40"), "{error}");
    }

    #[test]
    fn unsafe_or_unusable_archives_are_refused() {
        let error = |bytes: &[u8]| extract_results(bytes, 1000).unwrap_err();
        assert!(error(&zip_of(&[("../results.json", b"x")])).contains("unsafe path `../results.json`"));
        assert!(error(&zip_of(&[("/etc/results.json", b"x")])).contains("unsafe path"));
        assert!(error(br#"{"message":"Artifact has expired"}"#).contains("not a zip archive"));
        assert!(error(&zip_of(&[("other.json", b"x")])).contains("holds no `results.json`"));
        assert!(error(&zip_of(&[("a/results.json", b"x"), ("b/results.json", b"y")])).contains("several"));
        assert!(error(b"PK\x03\x04 truncated").contains("not a readable zip"));
    }

    #[test]
    fn a_results_file_over_the_cap_is_refused_before_it_is_unpacked() {
        let big = vec![b'{'; 5000];
        let error = extract_results(&zip_of(&[("results.json", &big)]), 1000).unwrap_err();
        assert!(error.contains("more than"), "{error}");
    }

    const RUNS: &str = include_str!("../../tests/fixtures/github/workflow-run-list.full.json");

    fn run(event: &str, path: &str) -> WorkflowRun {
        WorkflowRun { id: 7, path: Some(path.to_owned()), event: event.to_owned() }
    }

    #[test]
    fn only_trusted_runs_of_the_expected_workflow_produce_the_baseline() {
        let runs: serde_json::Value = serde_json::from_str(RUNS).unwrap();
        let documented: WorkflowRun = serde_json::from_value(runs["workflow_runs"][0].clone()).unwrap();
        assert_eq!((documented.workflow(), documented.event.as_str()), (".github/workflows/build.yml", "push"));
        assert_eq!(check_producer(&documented, None), Ok(()));
        assert_eq!(check_producer(&documented, Some("build.yml")), Ok(()));
        assert_eq!(check_producer(&documented, Some(".github/workflows/build.yml")), Ok(()));
        let other = check_producer(&documented, Some(".github/workflows/perf-gate.yml")).unwrap_err();
        assert!(other.contains("of workflow `.github/workflows/build.yml`, not `.github/workflows/perf-gate.yml`"));
        for event in ["schedule", "workflow_dispatch"] {
            assert_eq!(check_producer(&run(event, ".github/workflows/perf-gate.yml"), Some("perf-gate.yml")), Ok(()));
        }
        for event in ["issue_comment", "workflow_run", "pull_request_target", "pull_request"] {
            let refused = check_producer(&run(event, ".github/workflows/perf-gate.yml"), Some("perf-gate.yml"));
            assert!(refused.unwrap_err().contains(&format!("triggered by `{event}`")));
        }
    }
}
