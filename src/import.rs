//! Other tools' results turned into benchmarks of a results.json (`import`). Pure: text in,
//! benchmarks out, or where the text went wrong (a line or JSON path) and what was expected.
//!
//! One module per format; docs/results-format.md documents each format's `source.kind` and
//! what its metrics are, docs/statistics.md how values without samples are compared.

mod bmf;
mod cargo_criterion;
mod gab;
mod gungraun;
mod hyperfine;
mod k6;
mod libtest;
mod oha;

use serde::Deserialize;

use crate::model::{Benchmark, Better};

/// A format `import` reads; `Auto` tells it from the content.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Detect the format from the content, and say which it chose.
    Auto,
    /// hyperfine's `--export-json FILE`.
    Hyperfine,
    /// libtest's `#[bench]` output of `cargo bench`: its text, or `--format json`'s lines.
    Libtest,
    /// `cargo criterion --message-format=json`'s messages, one JSON object a line.
    CargoCriterion,
    /// gungraun's (or iai-callgrind's) `summary.json`, or its `--output-format=json` lines.
    Gungraun,
    /// Bencher Metric Format: `{"benchmark": {"measure": {"value": ...}}}`.
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter` / `customBiggerIsBetter` JSON.
    Gab,
    /// k6's `--summary-export` file, or the JSON of `handleSummary`'s data.
    K6,
    /// oha's `--output-format json`.
    Oha,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Hyperfine => "hyperfine",
            Format::Libtest => "libtest",
            Format::CargoCriterion => "cargo-criterion",
            Format::Gungraun => "gungraun",
            Format::Bmf => "bmf",
            Format::Gab => "gab",
            Format::K6 => "k6",
            Format::Oha => "oha",
        }
    }

    /// The formats whose file holds one benchmark, named by [`Options::name`].
    pub fn holds_one_benchmark(self) -> bool {
        matches!(self, Format::K6 | Format::Oha)
    }
}

/// What `import` needs besides the text.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The file's name as the user gave it, recorded in each benchmark's source.
    pub file: &'a str,
    /// The benchmark id of a file that holds one benchmark (k6, oha).
    pub name: &'a str,
    /// Metric names whose larger values are better, for formats that do not say (BMF's
    /// measures besides `throughput`, github-action-benchmark's `value`).
    pub higher_is_better: &'a [String],
}

impl Options<'_> {
    fn better(&self, metric: &str, default: Better) -> Better {
        if self.higher_is_better.iter().any(|name| name == metric) {
            Better::Higher
        } else {
            default
        }
    }
}

/// What one file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The format read (never `Auto`).
    pub format: Format,
    pub benchmarks: Vec<Benchmark>,
    /// What the user should know that is not an error: a failed benchmark the file names, a
    /// spread that could not be read.
    pub notes: Vec<String>,
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

/// The benchmarks of `text`, read as `format` (detected when `Auto`).
pub fn import(format: Format, text: &str, options: &Options<'_>) -> Result<Imported, Problem> {
    let mut notes = Vec::new();
    let benchmarks = match format {
        // `detect` never answers `Auto`.
        Format::Auto => return import(detect(text)?, text, options),
        Format::Hyperfine => hyperfine::read(text, options.file)?,
        Format::Libtest => libtest::read(text, options.file, &mut notes)?,
        Format::CargoCriterion => cargo_criterion::read(text, options.file)?,
        Format::Gungraun => gungraun::read(text, options.file)?,
        Format::Bmf => bmf::read(text, options, &mut notes)?,
        Format::Gab => gab::read(text, options, &mut notes)?,
        Format::K6 => vec![k6::read(text, options)?],
        Format::Oha => vec![oha::read(text, options)?],
    };
    if benchmarks.is_empty() {
        return Err(problem("", format!("the {} file holds no benchmark", format.as_str())));
    }
    Ok(Imported { format, benchmarks, notes })
}

/// What `import` reads, for the errors that must say it.
const FORMATS: &str = "hyperfine --export-json, libtest's cargo bench output, cargo criterion \
--message-format=json, gungraun's summary.json, BMF, github-action-benchmark's custom JSON, k6 \
--summary-export, oha --output-format json";

/// The format `text` is in, from its shape.
fn detect(text: &str) -> Result<Format, Problem> {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        return detect_json(&value).ok_or_else(|| {
            problem("", format!("cannot tell the format (the formats `import` reads: {FORMATS}); pass --format"))
        });
    }
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    if let Ok(message) = serde_json::from_str::<serde_json::Value>(first_line) {
        let has = |key: &str| message.get(key).is_some();
        if message.get("reason").is_some_and(serde_json::Value::is_string) {
            return Ok(Format::CargoCriterion);
        }
        if message.get("type").is_some_and(serde_json::Value::is_string) {
            return Ok(Format::Libtest);
        }
        if has("profiles") && has("module_path") {
            return Ok(Format::Gungraun);
        }
    }
    if text.lines().any(libtest::is_bench_line) {
        return Ok(Format::Libtest);
    }
    Err(problem("", format!("not JSON, nor lines of a format `import` reads ({FORMATS}); pass --format")))
}

fn detect_json(value: &serde_json::Value) -> Option<Format> {
    let field = |key: &str| value.get(key);
    if let Some(runs) = field("results").and_then(|r| r.as_array()) {
        return runs
            .iter()
            .all(|run| run.get("command").is_some() && run.get("times").is_some())
            .then_some(Format::Hyperfine);
    }
    if field("profiles").is_some() && field("module_path").is_some() {
        return Some(Format::Gungraun);
    }
    if field("metrics").is_some_and(serde_json::Value::is_object)
        && (field("root_group").is_some() || field("state").is_some())
    {
        return Some(Format::K6);
    }
    if field("summary").is_some_and(|s| s.get("successRate").is_some() || s.get("requestsPerSec").is_some()) {
        return Some(Format::Oha);
    }
    if let Some(entries) = value.as_array() {
        let gab = !entries.is_empty() && entries.iter().all(|e| e.get("name").is_some() && e.get("value").is_some());
        return gab.then_some(Format::Gab);
    }
    let bmf = value.as_object().is_some_and(|benchmarks| {
        !benchmarks.is_empty()
            && benchmarks.values().all(|measures| {
                measures.as_object().is_some_and(|m| !m.is_empty() && m.values().all(|v| v.get("value").is_some()))
            })
    });
    bmf.then_some(Format::Bmf)
}

/// Reads `text` as `T`, the error at its JSON path and naming `format`.
fn parse<T: for<'de> Deserialize<'de>>(text: &str, format: Format) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let at = e.path().to_string();
        problem(at, format!("not {}'s format: {}", format.as_str(), e.into_inner()))
    })
}

/// A value's place and name in a problem: `at` is where it is in the file.
fn finite(value: f64, at: &str, what: &str) -> Result<f64, Problem> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(problem(at, format!("{what} is not a finite number")))
    }
}

#[cfg(test)]
mod tests;
