//! The results file (`results.json`): the versioned contract between a run and every later step.
//!
//! Documented field by field in docs/results-format.md. Readers accept unknown fields so that
//! additions stay compatible within one `schema_version`; a breaking change bumps it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::Summary;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Name of the metric holding a benchmark's time per iteration.
pub const TIME_METRIC: &str = "time";
/// Name of the metric holding a benchmark's throughput, when it declares one.
pub const THROUGHPUT_METRIC: &str = "throughput";

/// One measured tree: everything the gates and the regression check need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Version of this format; see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tool that wrote the file.
    pub tool: Tool,
    /// When the measurement finished, RFC 3339 in UTC.
    pub created_at: String,
    /// The measured tree, when it is a git checkout.
    pub git: Option<GitInfo>,
    /// Where the numbers were measured: results from different machines are not comparable.
    pub environment: Environment,
    /// One entry per benchmark, sorted by id.
    pub benchmarks: Vec<Benchmark>,
    /// The run-health canary, when perf-gate ran the benches itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
}

/// A fixed calibration workload timed before the first bench target and after each one. Its
/// drift within a run, or against the baseline's, shows a machine that changed speed under the
/// benchmarks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canary {
    /// Unit of the checkpoints: `ns` per iteration of the workload.
    pub unit: String,
    /// One value per checkpoint, in run order: the median of a few timings of the workload.
    pub checkpoints: Vec<f64>,
}

/// The tool that wrote a results file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Self {
        Tool { name: env!("CARGO_PKG_NAME").to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() }
    }
}

/// The git state of the measured tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// Full SHA of HEAD.
    pub commit: String,
    /// Checked-out branch; `None` on a detached HEAD.
    pub branch: Option<String>,
    /// Whether the tree had uncommitted or untracked changes.
    pub dirty: bool,
}

/// The machine fingerprint. Two results are comparable only when these agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `std::env::consts::OS`, e.g. `linux`.
    pub os: String,
    /// `std::env::consts::ARCH`, e.g. `x86_64`.
    pub arch: String,
    /// CPU model name, where the OS reports one.
    pub cpu_model: Option<String>,
    /// Logical cores available to the process.
    pub cores: usize,
    /// `rustc -V` of the toolchain that built the benches.
    pub rustc: Option<String>,
    /// criterion version(s) in the measured workspace's lock file.
    pub criterion: Option<String>,
}

impl Environment {
    /// The fields that differ, for a "not comparable" warning. Unknown values compare equal
    /// only to unknown values.
    pub fn differences(&self, other: &Environment) -> Vec<EnvironmentDifference> {
        let fields = [
            ("os", Some(self.os.clone()), Some(other.os.clone())),
            ("arch", Some(self.arch.clone()), Some(other.arch.clone())),
            ("cpu_model", self.cpu_model.clone(), other.cpu_model.clone()),
            ("cores", Some(self.cores.to_string()), Some(other.cores.to_string())),
            ("rustc", self.rustc.clone(), other.rustc.clone()),
            ("criterion", self.criterion.clone(), other.criterion.clone()),
        ];
        fields
            .into_iter()
            .filter(|(_, this, other)| this != other)
            .map(|(field, this, other)| EnvironmentDifference {
                field: field.to_owned(),
                this: this.unwrap_or_else(|| "unknown".to_owned()),
                other: other.unwrap_or_else(|| "unknown".to_owned()),
            })
            .collect()
    }
}

impl Environment {
    /// The fingerprint of results measured on no machine: simulations and synthetic suites.
    pub fn synthetic() -> Self {
        Environment {
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            cpu_model: None,
            cores: 1,
            rustc: None,
            criterion: None,
        }
    }
}

/// One field of two environment fingerprints that disagrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentDifference {
    pub field: String,
    pub this: String,
    pub other: String,
}

/// One benchmark and its named metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benchmark {
    /// Stable identifier; for criterion its `full_id` (`group/function/value`).
    pub id: String,
    /// Where the numbers came from.
    pub source: Source,
    /// Metrics by name, e.g. [`TIME_METRIC`] and [`THROUGHPUT_METRIC`].
    pub metrics: BTreeMap<String, Metric>,
}

/// Where a benchmark's numbers came from. Later sources add variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    Criterion(CriterionSource),
}

/// A criterion benchmark's location on disk and its declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionSource {
    /// Directory relative to the criterion home (`directory_name` in benchmark.json).
    pub directory: String,
    /// The criterion baseline directory read (`new` unless chosen otherwise).
    pub baseline: String,
    /// Package whose bench target produced it, when perf-gate ran the bench.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Bench target that produced it, when perf-gate ran the bench.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Criterion's sampling mode (`Linear` or `Flat`), where recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_mode: Option<String>,
    /// The declared throughput per iteration, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<DeclaredThroughput>,
}

/// Throughput a criterion benchmark declares per iteration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredThroughput {
    /// `bytes`, `elements` or `bits`.
    pub unit: ThroughputUnit,
    /// Units processed by one iteration.
    pub per_iteration: u64,
}

/// What a throughput counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThroughputUnit {
    Bytes,
    Elements,
    Bits,
}

impl ThroughputUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            ThroughputUnit::Bytes => "bytes",
            ThroughputUnit::Elements => "elements",
            ThroughputUnit::Bits => "bits",
        }
    }

    /// The metric unit of a rate of this: `bytes/s`.
    pub fn rate_unit(self) -> String {
        format!("{}/s", self.as_str())
    }
}

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

/// One named metric of a benchmark: its samples and their summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Unit of every sample and summary value: `ns`, `bytes/s`, `elements/s`, `bits/s`, ...
    pub unit: String,
    /// Which way is better.
    pub better: Better,
    /// Whether the regression check compares this metric. Derived metrics (throughput is
    /// time seen upside down) are not compared, so one change is not counted twice.
    pub compared: bool,
    /// The raw samples; for criterion, per-iteration values `times[i] / iters[i]`.
    pub samples: Vec<f64>,
    /// Summary statistics of `samples`.
    pub summary: Summary,
}

impl Metric {
    pub fn from_samples(unit: impl Into<String>, better: Better, compared: bool, samples: Vec<f64>) -> Self {
        let summary = Summary::of(&samples);
        Metric { unit: unit.into(), better, compared, samples, summary }
    }
}

impl Results {
    /// Results in this build's schema version, written by this tool.
    pub fn new(created_at: String, git: Option<GitInfo>, environment: Environment, benchmarks: Vec<Benchmark>) -> Self {
        Results {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            created_at,
            git,
            environment,
            benchmarks,
            canary: None,
        }
    }

    /// Parses a results file's text, refusing other schema versions and duplicate ids with a
    /// message that says how to fix it.
    pub fn parse(text: &str) -> Result<Results, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a JSON results file: {e}"))?;
        match value.get("schema_version").and_then(serde_json::Value::as_u64) {
            None => {
                return Err(
                    "not a perf-gate results file (no `schema_version`); pass the results.json that `cargo perf-gate run` wrote"
                        .to_owned(),
                )
            }
            Some(version) if version != u64::from(SCHEMA_VERSION) => {
                return Err(format!(
                    "results schema_version {version} is not supported by this cargo-perf-gate {} (it reads version {SCHEMA_VERSION}); use the same perf-gate version for both runs",
                    env!("CARGO_PKG_VERSION")
                ))
            }
            Some(_) => {}
        }
        let results: Results = serde_path_to_error::deserialize(value)
            .map_err(|e| format!("invalid results file at `{}`: {}", e.path(), e.inner()))?;
        let mut ids: Vec<&str> = results.benchmarks.iter().map(|b| b.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!("benchmark id `{}` appears twice", pair[0]));
        }
        Ok(results)
    }

    pub fn benchmark(&self, id: &str) -> Option<&Benchmark> {
        self.benchmarks.iter().find(|b| b.id == id)
    }
}

impl CriterionSource {
    /// A benchmark read from `directory` of the criterion home, not yet attributed to a target.
    pub fn new(directory: impl Into<String>, baseline: impl Into<String>) -> Self {
        CriterionSource {
            directory: directory.into(),
            baseline: baseline.into(),
            package: None,
            target: None,
            sampling_mode: None,
            throughput: None,
        }
    }
}

/// Literal values for the unit tests of the pure modules.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn results(benchmarks: Vec<Benchmark>) -> Results {
        Results::new("2026-01-01T00:00:00Z".to_owned(), None, Environment::synthetic(), benchmarks)
    }

    /// A criterion benchmark with a `time` metric in ns.
    pub fn benchmark(id: &str, better: Better, times: &[f64]) -> Benchmark {
        let time = Metric::from_samples("ns", better, true, times.to_vec());
        Benchmark {
            id: id.to_owned(),
            source: Source::Criterion(CriterionSource::new(id, "new")),
            metrics: BTreeMap::from([(TIME_METRIC.to_owned(), time)]),
        }
    }
}
