//! Benchmarks another tool measures: a command benchmark or a service scenario with `import`
//! runs the tool (hyperfine, k6, oha, a libtest bench, ...), then reads the file it wrote as
//! `cargo perf-gate import` would. The file is removed before each run, so an earlier run's
//! file never passes for this one's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{last_lines, run_in_group, tail_text, Waited};
use crate::config::ImportSpec;
use crate::import::{self, Options};
use crate::model::Benchmark;

const TAIL_LINES: usize = 20;

/// One run of another tool.
pub struct ToolRun<'a> {
    /// The benchmark id the tool's results take.
    pub name: &'a str,
    /// Program and arguments (for `sh -c`, already wrapped).
    pub argv: &'a [String],
    pub cwd: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    pub timeout_s: f64,
    pub spec: &'a ImportSpec,
    /// The tool's stdout and stderr are appended here.
    pub log: &'a Path,
}

/// Why a tool's run gave no results.
#[derive(Debug, thiserror::Error)]
pub enum ToolRunError {
    #[error("cannot remove the earlier {}: {source}", path.display())]
    Stale { path: PathBuf, source: std::io::Error },
    #[error("cannot start `{program}`: {source}")]
    Spawn { program: String, source: std::io::Error },
    #[error("`{program}` took more than {seconds} s and was killed{}", tail_text(log))]
    TimedOut { program: String, seconds: f64, log: Vec<String> },
    #[error("`{program}` ended ({status}) without writing {}{}", path.display(), tail_text(log))]
    NoFile { program: String, status: String, path: PathBuf, log: Vec<String> },
    #[error("{}: {problem} (reading it as {format})", path.display())]
    Unreadable { path: PathBuf, problem: String, format: &'static str },
    #[error("interrupted")]
    Interrupted,
}

/// What one run gave: the benchmarks, and a note when the tool exited non-zero but wrote its
/// file (k6 exits 99 when a threshold is crossed).
pub struct ToolResults {
    pub benchmarks: Vec<Benchmark>,
    pub note: Option<String>,
}

/// Runs the tool once and imports its file. A file of one benchmark takes `name` as its id;
/// of several, `name/` before each of theirs.
pub fn run(tool: &ToolRun<'_>) -> Result<ToolResults, ToolRunError> {
    let path = tool.cwd.join(&tool.spec.path);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(ToolRunError::Stale { path, source }),
    }
    let program = tool.argv[0].clone();
    let open = || std::fs::OpenOptions::new().create(true).append(true).open(tool.log);
    let spawn = |source| ToolRunError::Spawn { program: program.clone(), source };
    let (out, err) = (open().map_err(spawn)?, open().map_err(spawn)?);
    let mut command = Command::new(&tool.argv[0]);
    command.args(&tool.argv[1..]).current_dir(tool.cwd).envs(tool.env).stdin(Stdio::null()).stdout(out).stderr(err);
    let status = match run_in_group(command, tool.timeout_s) {
        Err(Waited::Interrupted) => return Err(ToolRunError::Interrupted),
        Err(Waited::Spawn(source)) => return Err(spawn(source)),
        Ok(None) => {
            let log = last_lines(tool.log, TAIL_LINES);
            return Err(ToolRunError::TimedOut { program, seconds: tool.timeout_s, log });
        }
        Ok(Some(status)) => status,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            let log = last_lines(tool.log, TAIL_LINES);
            return Err(ToolRunError::NoFile { program, status: status.to_string(), path, log });
        }
    };
    let file = path.display().to_string();
    let options = Options { file: &file, name: tool.name, higher_is_better: &tool.spec.higher_is_better };
    let imported = import::import(tool.spec.format, &text, &options).map_err(|problem| ToolRunError::Unreadable {
        path: path.clone(),
        problem: problem.to_string(),
        format: tool.spec.format.as_str(),
    })?;
    let mut benchmarks = imported.benchmarks;
    if let [only] = benchmarks.as_mut_slice() {
        only.id = tool.name.to_owned();
    } else {
        for benchmark in &mut benchmarks {
            benchmark.id = format!("{}/{}", tool.name, benchmark.id);
        }
    }
    let mut notes: Vec<String> = imported.notes.iter().map(|n| format!("`{}`: {file}: {n}", tool.name)).collect();
    if !status.success() {
        notes.push(format!("`{}`: `{program}` ended ({status}) but wrote {file}, which was imported", tool.name));
    }
    Ok(ToolResults { benchmarks, note: (!notes.is_empty()).then(|| notes.join("; ")) })
}

/// One benchmark from a scenario's rounds, each the load tool's run: every metric's per-round
/// values become its samples (rounds are repeated runs, so the regression check tests them);
/// a count (`value` set: errors, crossed thresholds) adds up over the rounds. A metric a round
/// lacks is NaN in that round, which the check reports rather than hides.
pub fn pooled_rounds(id: &str, rounds: Vec<Benchmark>) -> Option<Benchmark> {
    let first = rounds.first()?.clone();
    let mut metrics = BTreeMap::new();
    for (name, template) in &first.metrics {
        let values: Vec<f64> =
            rounds.iter().map(|round| round.metrics.get(name).map_or(f64::NAN, |m| m.gate_value())).collect();
        let mut metric =
            crate::model::Metric::from_samples(template.unit.clone(), template.better, template.compared, values);
        if template.value.is_some() {
            metric.value = Some(metric.samples.iter().sum());
        }
        metrics.insert(name.clone(), metric);
    }
    let mut source = first.source;
    if let crate::model::Source::K6(load) | crate::model::Source::Oha(load) = &mut source {
        load.requests = rounds.iter().try_fold(0, |sum, round| match &round.source {
            crate::model::Source::K6(l) | crate::model::Source::Oha(l) => l.requests.map(|r| sum + r),
            _ => None,
        });
    }
    Some(Benchmark { id: id.to_owned(), source, metrics })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Format;

    fn spec(format: Format, path: &str) -> ImportSpec {
        ImportSpec { format, path: path.into(), command: None, timeout_s: None, higher_is_better: Vec::new() }
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()]
    }

    /// Runs `script` in `dir` as a tool writing `path`.
    fn run_in(dir: &Path, name: &str, script: &str, spec: &ImportSpec) -> Result<ToolResults, ToolRunError> {
        let env = BTreeMap::new();
        let argv = sh(script);
        let log = dir.join("tool.log");
        run(&ToolRun { name, argv: &argv, cwd: dir, env: &env, timeout_s: 30.0, spec, log: &log })
    }

    const BMF: &str = r#"{"a": {"latency": {"value": 5}}, "b": {"latency": {"value": 7}}}"#;

    #[test]
    fn the_tools_file_is_imported_under_the_benchmarks_name() {
        let dir = tempfile::tempdir().unwrap();
        let one = r#"{"a": {"latency": {"value": 5}}}"#;
        let results =
            run_in(dir.path(), "bmf-one", &format!("echo '{one}' > out.json"), &spec(Format::Bmf, "out.json")).unwrap();
        let ids: Vec<&str> = results.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!((ids, results.note), (vec!["bmf-one"], None));
        let results =
            run_in(dir.path(), "two", &format!("echo '{BMF}' > out.json"), &spec(Format::Auto, "out.json")).unwrap();
        let ids: Vec<&str> = results.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["two/a", "two/b"]);
    }

    #[test]
    fn an_earlier_file_never_passes_for_this_runs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("out.json"), BMF).unwrap();
        let error = run_in(dir.path(), "x", "echo running; exit 3", &spec(Format::Bmf, "out.json")).err().unwrap();
        let text = error.to_string();
        assert!(matches!(error, ToolRunError::NoFile { .. }), "{text}");
        assert!(text.contains("ended (exit status: 3) without writing") && text.contains("running"), "{text}");
        assert!(!dir.path().join("out.json").exists());
    }

    #[test]
    fn a_nonzero_exit_with_a_file_is_imported_with_a_note_and_a_bad_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let results =
            run_in(dir.path(), "k", &format!("echo '{BMF}' > out.json; exit 99"), &spec(Format::Bmf, "out.json"))
                .unwrap();
        assert!(results.note.unwrap().contains("ended (exit status: 99) but wrote"), "a crossed k6 threshold");
        let error = run_in(dir.path(), "k", "echo '{' > out.json", &spec(Format::Bmf, "out.json")).err().unwrap();
        assert!(matches!(error, ToolRunError::Unreadable { format: "bmf", .. }), "{error}");
        let missing = ["/nonexistent/tool".to_owned()];
        let env = BTreeMap::new();
        let log = dir.path().join("log");
        let spec = spec(Format::Bmf, "out.json");
        let tool =
            ToolRun { name: "k", argv: &missing, cwd: dir.path(), env: &env, timeout_s: 5.0, spec: &spec, log: &log };
        assert!(matches!(run(&tool).err().unwrap(), ToolRunError::Spawn { .. }));
    }

    #[test]
    fn rounds_pool_into_samples_and_counts_add_up() {
        let round = |p50: f64, errors: f64, requests: u64| {
            let mut metrics = BTreeMap::new();
            metrics.insert(
                "p50_ms".to_owned(),
                crate::model::Metric::summary("ms", crate::model::Better::Lower, p50, None),
            );
            metrics.insert("error_count".to_owned(), crate::model::Metric::single("requests", errors));
            let source =
                crate::model::Source::K6(crate::model::LoadImport { file: "s.json".into(), requests: Some(requests) });
            Benchmark { id: "svc/load".into(), source, metrics }
        };
        let pooled =
            pooled_rounds("svc/load", vec![round(10.0, 1.0, 100), round(12.0, 0.0, 100), round(11.0, 2.0, 100)])
                .unwrap();
        let p50 = &pooled.metrics["p50_ms"];
        assert_eq!(
            (p50.samples.as_slice(), &p50.basis, p50.compared),
            ([10.0, 12.0, 11.0].as_slice(), &crate::model::Basis::Samples, true)
        );
        assert_eq!(pooled.metrics["error_count"].gate_value(), 3.0);
        assert!(matches!(&pooled.source, crate::model::Source::K6(l) if l.requests == Some(300)));
        assert!(pooled_rounds("x", Vec::new()).is_none());
    }
}
