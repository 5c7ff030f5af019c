//! Other tools' results turned into benchmarks of a results.json (`import`). Pure: text in,
//! benchmarks out, or where the text went wrong (a JSON path) and what was expected.
//!
//! Formats: `hyperfine` (`--export-json`) and `cargo-criterion` (`--message-format=json`).
//! docs/results-format.md documents each format's `source.kind` and what its metrics are.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{
    timed_metrics, Benchmark, Better, CargoCriterionSource, DeclaredThroughput, ImportSource, Metric, Source,
    ThroughputUnit, TIME_METRIC,
};

/// A format `import` reads; `Auto` tells it from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Detect the format from the content, and say which it chose.
    Auto,
    /// hyperfine's `--export-json FILE`.
    Hyperfine,
    /// `cargo criterion --message-format=json`'s messages, one JSON object a line.
    CargoCriterion,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Hyperfine => "hyperfine",
            Format::CargoCriterion => "cargo-criterion",
        }
    }
}

/// Why a file could not be imported: where (a JSON path, or empty for the whole file) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.at.is_empty() || self.at == "." {
            f.write_str(&self.message)
        } else {
            write!(f, "at `{}`: {}", self.at, self.message)
        }
    }
}

fn problem(at: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { at: at.into(), message: message.into() }
}

/// The benchmarks of `text`, read as `format` (detected when `Auto`), and the format read.
/// `file` is the file's name as the user gave it, recorded in each benchmark's source.
pub fn import(format: Format, text: &str, file: &str) -> Result<(Format, Vec<Benchmark>), Problem> {
    let (format, benchmarks) = match format {
        // `detect` never answers `Auto`.
        Format::Auto => return import(detect(text)?, text, file),
        Format::Hyperfine => (format, hyperfine(text, file)?),
        Format::CargoCriterion => (format, cargo_criterion(text, file)?),
    };
    if benchmarks.is_empty() {
        return Err(problem("", format!("the {} file holds no benchmark", format.as_str())));
    }
    Ok((format, benchmarks))
}

/// What `import` reads, for the errors that must say it.
const FORMATS: &str = "hyperfine --export-json, cargo criterion --message-format=json";

/// The format `text` is in, from its shape.
fn detect(text: &str) -> Result<Format, Problem> {
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let message: Option<serde_json::Value> = serde_json::from_str(first_line).ok();
    if message.as_ref().is_some_and(|m| m.get("reason").is_some_and(serde_json::Value::is_string)) {
        return Ok(Format::CargoCriterion);
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| problem("", format!("not JSON ({e}); the formats `import` reads: {FORMATS}")))?;
    let hyperfine = value
        .get("results")
        .and_then(|r| r.as_array())
        .is_some_and(|runs| runs.iter().all(|run| run.get("command").is_some() && run.get("times").is_some()));
    if hyperfine {
        return Ok(Format::Hyperfine);
    }
    Err(problem("", format!("cannot tell the format (the formats `import` reads: {FORMATS}); pass --format")))
}

/// Reads `text` as `T`, the error at its JSON path and naming `format`.
fn parse<T: for<'de> Deserialize<'de>>(text: &str, format: Format) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let at = e.path().to_string();
        problem(at, format!("not {}'s format: {}", format.as_str(), e.into_inner()))
    })
}

/// hyperfine 1.15-1.20's export: times in seconds, `user` and `system` means over the runs,
/// `memory_usage_byte` from 1.20 on.
#[derive(Deserialize)]
struct HyperfineExport {
    results: Vec<HyperfineRun>,
}

#[derive(Deserialize)]
struct HyperfineRun {
    command: String,
    times: Option<Vec<f64>>,
    user: f64,
    system: f64,
    exit_codes: Vec<Option<i32>>,
    #[serde(default)]
    memory_usage_byte: Option<Vec<f64>>,
}

fn hyperfine(text: &str, file: &str) -> Result<Vec<Benchmark>, Problem> {
    let export: HyperfineExport = parse(text, Format::Hyperfine)?;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut benchmarks = Vec::new();
    for (index, run) in export.results.iter().enumerate() {
        let at = |field: &str| format!("results[{index}].{field}");
        if run.command.trim().is_empty() {
            return Err(problem(at("command"), "an empty command: name it with hyperfine's --command-name"));
        }
        if let Some(first) = seen.insert(&run.command, index) {
            return Err(problem(
                at("command"),
                format!("`{}` is also results[{first}]: name them apart with hyperfine's --command-name", run.command),
            ));
        }
        let times = run.times.as_deref().unwrap_or_default();
        if times.is_empty() || times.iter().any(|t| !t.is_finite() || *t < 0.0) {
            return Err(problem(at("times"), "every run's time, in seconds, is needed (hyperfine writes them)"));
        }
        benchmarks.push(hyperfine_benchmark(run, times, file));
    }
    Ok(benchmarks)
}

fn hyperfine_benchmark(run: &HyperfineRun, times: &[f64], file: &str) -> Benchmark {
    let failed = run.exit_codes.iter().filter(|code| **code != Some(0)).count();
    let mut metrics = BTreeMap::new();
    let nanoseconds = times.iter().map(|t| t * 1e9).collect();
    metrics.insert(TIME_METRIC.to_owned(), Metric::from_samples("ns", Better::Lower, true, nanoseconds));
    metrics.insert("user_ms".to_owned(), Metric::single("ms", run.user * 1e3));
    metrics.insert("sys_ms".to_owned(), Metric::single("ms", run.system * 1e3));
    metrics.insert("exit_failures".to_owned(), Metric::single("runs", failed as f64));
    // hyperfine's per-run memory is a running maximum over the runs so far, not each run's
    // own: its largest value is the peak, and the runs are not samples to compare.
    if let Some(memory) = run.memory_usage_byte.as_ref().filter(|m| !m.is_empty() && m.iter().all(|v| v.is_finite())) {
        let mut peak = Metric::from_samples("bytes", Better::Lower, false, memory.clone());
        peak.value = Some(peak.summary.max);
        metrics.insert("peak_rss_bytes".to_owned(), peak);
    }
    Benchmark {
        id: run.command.clone(),
        source: Source::Hyperfine(ImportSource { file: file.to_owned(), runs: times.len(), failed_runs: failed }),
        metrics,
    }
}

/// One line of `cargo criterion --message-format=json` (1.1.0); only `benchmark-complete`
/// messages carry a benchmark.
#[derive(Deserialize)]
struct CargoCriterionMessage {
    reason: String,
    #[serde(flatten)]
    rest: serde_json::Value,
}

#[derive(Deserialize)]
struct BenchmarkComplete {
    id: String,
    report_directory: String,
    iteration_count: Vec<f64>,
    measured_values: Vec<f64>,
    unit: String,
    #[serde(default)]
    throughput: Vec<CargoThroughput>,
}

#[derive(Deserialize)]
struct CargoThroughput {
    per_iteration: u64,
    unit: String,
}

fn cargo_criterion(text: &str, file: &str) -> Result<Vec<Benchmark>, Problem> {
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = |path: &str| match path {
            "" | "." => format!("line {}", index + 1),
            path => format!("line {}, {path}", index + 1),
        };
        let message: CargoCriterionMessage = serde_json::from_str(line).map_err(|e| {
            problem(at(""), format!("not cargo-criterion's format: one JSON message a line with a `reason` ({e})"))
        })?;
        if message.reason != "benchmark-complete" {
            continue;
        }
        let complete: BenchmarkComplete = serde_path_to_error::deserialize(message.rest).map_err(|e| {
            problem(at(&e.path().to_string()), format!("not cargo-criterion's format: {}", e.into_inner()))
        })?;
        if benchmarks.iter().any(|b| b.id == complete.id) {
            return Err(problem(
                at("id"),
                format!("`{}` completes twice: import each run's messages on their own", complete.id),
            ));
        }
        benchmarks.push(cargo_criterion_benchmark(complete, file).map_err(|message| problem(at(""), message))?);
    }
    Ok(benchmarks)
}

fn cargo_criterion_benchmark(complete: BenchmarkComplete, file: &str) -> Result<Benchmark, String> {
    let (iterations, values) = (&complete.iteration_count, &complete.measured_values);
    if iterations.len() != values.len() || values.is_empty() {
        return Err(format!(
            "`{}` has {} iteration counts and {} measured values: each sample needs both",
            complete.id,
            iterations.len(),
            values.len()
        ));
    }
    let per_iteration: Vec<f64> = values.iter().zip(iterations).map(|(v, n)| v / n).collect();
    if per_iteration.iter().any(|v| !v.is_finite()) {
        return Err(format!("`{}` has a sample that is not a finite time per iteration", complete.id));
    }
    let throughput = match complete.throughput.first() {
        None => None,
        Some(t) => {
            let unit = match t.unit.as_str() {
                "bytes" => ThroughputUnit::Bytes,
                "elements" => ThroughputUnit::Elements,
                other => {
                    return Err(format!("`{}`: throughput unit `{other}` is not `bytes` or `elements`", complete.id))
                }
            };
            Some(DeclaredThroughput { unit, per_iteration: t.per_iteration })
        }
    };
    let metrics = timed_metrics(per_iteration, &complete.unit, throughput.as_ref())
        .map_err(|index| format!("`{}`: sample {index} takes no time, so its throughput is infinite", complete.id))?;
    Ok(Benchmark {
        id: complete.id,
        source: Source::CargoCriterion(CargoCriterionSource {
            file: file.to_owned(),
            report_directory: complete.report_directory,
            throughput,
        }),
        metrics,
    })
}

#[cfg(test)]
mod tests;
