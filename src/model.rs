//! The results file (`results.json`): the versioned contract between a run and every later step.
//!
//! Documented field by field in docs/results-format.md. Readers accept unknown fields so that
//! additions stay compatible within one `schema_version`; a breaking change bumps it.

use std::collections::{BTreeMap, BTreeSet};

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
    /// Which part of a sharded suite this file holds (`run --shard K/N`); absent for a whole run
    /// and after `merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Set when this side was measured in alternating rounds with another: two results with
    /// the same `session` pair round by round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interleaved: Option<Interleaving>,
    /// The SLO environment `run` measured in, when one applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_environment: Option<AppliedEnvironment>,
}

/// The SLO environment that applied to a run (`--environment`): its slack loosened the
/// objectives, its multiplier scaled the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedEnvironment {
    /// Its name; `None` when none applied (the targets as written).
    pub name: Option<String>,
    pub slack_factor: f64,
    pub sample_size_multiplier: f64,
}

/// None applied: the targets as written, the sample sizes as configured.
impl Default for AppliedEnvironment {
    fn default() -> Self {
        AppliedEnvironment { name: None, slack_factor: 1.0, sample_size_multiplier: 1.0 }
    }
}

/// How an interleaved run (`--baseline REF` locally) measured its two sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interleaving {
    /// Shared by the two sides of one run, and by nothing else. Merged shards carry their
    /// sessions joined by spaces.
    pub session: String,
    /// Rounds each side ran (the fewest of merged shards); `rounds[i]` of a metric is round `i`.
    pub rounds: usize,
    /// Criterion's measurement time per benchmark and round, in seconds.
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub measurement_time_s: f64,
}

/// Shard `index` of `count`, 1-based: `2/4`. A file's shard is checked as `--shard` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "ShardFields")]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

#[derive(Deserialize)]
struct ShardFields {
    index: u32,
    count: u32,
}

impl TryFrom<ShardFields> for Shard {
    type Error = String;

    fn try_from(ShardFields { index, count }: ShardFields) -> Result<Shard, String> {
        if index == 0 || index > count {
            return Err(format!("shard {index}/{count} is not a shard: expected 1 <= index <= count"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let invalid = || format!("`{text}` is not a shard: expected K/N with 1 <= K <= N, e.g. 2/4");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let index: u32 = index.trim().parse().map_err(|_| invalid())?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || index > count {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }

    /// Whether the `position`-th item (0-based) of a sorted list belongs to this shard. Dealing
    /// round-robin keeps the shards' sizes within one of each other.
    pub fn takes(&self, position: usize) -> bool {
        position % self.count as usize == (self.index - 1) as usize
    }

    /// Whether the `position`-th item of a second list (the config's services and commands) is
    /// this shard's. It is dealt from the last shard down: the first list's remainder went to the
    /// first shards, so the two together still differ by one at most.
    pub fn takes_from_end(&self, position: usize) -> bool {
        position % self.count as usize == (self.count - self.index) as usize
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Which parts a merge is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every shard of a run (or separately run suites of one commit): an incomplete or
    /// repeated set of shards, and sharded and unsharded parts together, are refused.
    Whole,
    /// The alternating rounds of some shards (`merge --partial`): shard marks are not checked.
    Partial,
}

/// Merges the results of a sharded run (or of separately run suites of one commit) into one:
/// the benchmarks of all, the newest time, and the first file's environment and canary.
/// `names` label the parts in errors. Refuses duplicate benchmark ids, different commits, and
/// for the [`Coverage::Whole`] the shard checks it names.
pub fn merge(parts: Vec<(String, Results)>, coverage: Coverage) -> Result<Results, String> {
    let Some((first_name, first)) = parts.first() else { return Err("nothing to merge".to_owned()) };
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (name, part) in &parts {
        if part.git.as_ref().map(|g| &g.commit) != first.git.as_ref().map(|g| &g.commit) {
            return Err(format!(
                "{name} measured commit {}, {first_name} commit {}: only parts of one run can be merged",
                part.git.as_ref().map_or("unknown", |g| g.commit.as_str()),
                first.git.as_ref().map_or("unknown", |g| g.commit.as_str())
            ));
        }
        if coverage == Coverage::Whole && part.shard.is_some() != first.shard.is_some() {
            return Err(format!(
                "{} is a shard and {} is not: merge the shards of one `run --shard K/N` matrix",
                if part.shard.is_some() { name } else { first_name },
                if part.shard.is_some() { first_name } else { name }
            ));
        }
        for benchmark in &part.benchmarks {
            if let Some(other) = owner.insert(benchmark.id.clone(), name) {
                return Err(format!("benchmark `{}` is in both {other} and {name}", benchmark.id));
            }
        }
    }
    if let Some(count) = first.shard.map(|s| s.count).filter(|_| coverage == Coverage::Whole) {
        let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
        for (name, part) in &parts {
            let shard = part.shard.unwrap_or(Shard { index: 0, count: 0 });
            if shard.count != count {
                return Err(format!(
                    "{name} is shard {shard}, {first_name} one of {count}: all shards must split the suite alike"
                ));
            }
            if let Some(other) = seen.insert(shard.index, name) {
                return Err(format!("{other} and {name} are both shard {shard}"));
            }
        }
        let missing: Vec<String> =
            (1..=count).filter(|i| !seen.contains_key(i)).map(|i| format!("{i}/{count}")).collect();
        if !missing.is_empty() {
            return Err(format!("shard {} missing: pass the results of every shard", missing.join(", ")));
        }
    }
    let interleaved = merged_interleaving(&parts);
    let created_at = parts.iter().map(|(_, p)| p.created_at.clone()).max().unwrap_or_default();
    let mut merged = first.clone();
    merged.interleaved = interleaved;
    merged.tool = Tool::this();
    merged.created_at = created_at;
    merged.shard = None;
    merged.benchmarks = parts.into_iter().flat_map(|(_, part)| part.benchmarks).collect();
    merged.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(merged)
}

/// The merged parts' pairing: one session standing for all of theirs when every part was
/// paired, else none (the merged file is then compared unpaired). Merging each side's files of
/// the same paired shards gives both the same session, and nothing else does, so the merged
/// sides pair round by round exactly when every shard's two sides did.
fn merged_interleaving(parts: &[(String, Results)]) -> Option<Interleaving> {
    let paired: Vec<&Interleaving> = parts.iter().map(|(_, part)| part.interleaved.as_ref()).collect::<Option<_>>()?;
    let sessions: BTreeSet<&str> = paired.iter().map(|i| i.session.as_str()).collect();
    Some(Interleaving {
        session: sessions.into_iter().collect::<Vec<_>>().join(" "),
        rounds: paired.iter().map(|i| i.rounds).min().unwrap_or_default(),
        measurement_time_s: paired.iter().map(|i| i.measurement_time_s).fold(f64::INFINITY, f64::min),
    })
}

/// A fixed calibration workload timed before the first bench target and after each one. Its
/// drift within a run, or against the baseline's, shows a machine that changed speed under the
/// benchmarks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canary {
    /// Unit of the checkpoints: `ns` per iteration of the workload.
    pub unit: String,
    /// One value per checkpoint, in run order: the median of a few timings of the workload.
    #[serde(deserialize_with = "crate::json_number::nan_if_null_each")]
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
    /// With `--measure instructions`: the valgrind version and the settings the counts were
    /// made with (cache geometry, glibc tunables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callgrind: Option<String>,
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
            ("callgrind", self.callgrind.clone(), other.callgrind.clone()),
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
            callgrind: None,
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

/// Where a benchmark's numbers came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    Criterion(CriterionSource),
    /// A command line timed run by run (`commands` in the config).
    Command(CommandSource),
    /// A scenario of HTTP load against a service (`services` in the config).
    Service(ServiceSource),
    /// A command hyperfine timed (`import --format hyperfine`).
    Hyperfine(ImportSource),
    /// A criterion benchmark cargo-criterion ran (`import --format cargo-criterion`).
    CargoCriterion(CargoCriterionSource),
    /// A libtest `#[bench]` (`import --format libtest`).
    Libtest(ImportedFile),
    /// A gungraun or iai-callgrind benchmark (`import --format gungraun`).
    Gungraun(GungraunSource),
    /// A benchmark of a Bencher Metric Format file (`import --format bmf`).
    Bmf(ImportedFile),
    /// An entry of github-action-benchmark's custom JSON (`import --format gab`).
    Gab(ImportedFile),
    /// A k6 run's summary (`import --format k6`).
    K6(LoadImport),
    /// An oha run (`import --format oha`).
    Oha(LoadImport),
    /// A criterion benchmark counted under callgrind (`run --measure instructions`).
    Callgrind(CallgrindSource),
}

/// A criterion benchmark whose instructions were counted under callgrind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallgrindSource {
    /// The bench target that ran it.
    pub target: String,
    /// The throughput it declares per iteration, where it declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<DeclaredThroughput>,
}

impl Source {
    /// The file `import` read, for a benchmark it read.
    pub fn imported_from(&self) -> Option<&str> {
        match self {
            Source::Criterion(_) | Source::Command(_) | Source::Service(_) | Source::Callgrind(_) => None,
            Source::Hyperfine(s) => Some(&s.file),
            Source::CargoCriterion(s) => Some(&s.file),
            Source::Libtest(s) | Source::Bmf(s) | Source::Gab(s) => Some(&s.file),
            Source::Gungraun(s) => Some(&s.file),
            Source::K6(s) | Source::Oha(s) => Some(&s.file),
        }
    }
}

/// A benchmark read from a file that says nothing more of it than its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFile {
    /// The file `import` read, as given.
    pub file: String,
}

/// A load test's run read from its tool's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadImport {
    /// The file `import` read, as given.
    pub file: String,
    /// Requests the tool sent, where it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
}

/// A gungraun (formerly iai-callgrind) benchmark's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GungraunSource {
    /// The file `import` read, as given.
    pub file: String,
    /// The summary schema's version (`"7"` for gungraun 0.17 and later).
    pub schema_version: String,
    /// `file::group::function`, as the summary names the benchmark.
    pub module_path: String,
}

/// A benchmark of `cargo criterion --message-format=json`'s messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CargoCriterionSource {
    /// The file `import` read, as given.
    pub file: String,
    /// criterion's directory of the benchmark, relative to its home.
    pub report_directory: String,
    /// The declared throughput per iteration, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<DeclaredThroughput>,
}

/// The metrics of a benchmark timed per iteration: `time` (compared) from `per_iteration`
/// values in `unit`, and with a declared throughput its rate per second for each sample (shown
/// and gated, not compared). `Err` holds the index of a time that gives no finite rate.
pub fn timed_metrics(
    per_iteration: Vec<f64>,
    unit: &str,
    throughput: Option<&DeclaredThroughput>,
) -> Result<BTreeMap<String, Metric>, usize> {
    let mut metrics = BTreeMap::new();
    // A rate per second needs nanoseconds; another measurement's unit has no rate.
    if let Some(t) = throughput.filter(|_| unit == "ns") {
        let units = t.per_iteration as f64;
        let rates: Vec<f64> = per_iteration.iter().map(|ns| units * 1e9 / ns).collect();
        if let Some(index) = rates.iter().position(|r| !r.is_finite()) {
            return Err(index);
        }
        metrics.insert(
            THROUGHPUT_METRIC.to_owned(),
            Metric::from_samples(t.unit.rate_unit(), Better::Higher, false, rates),
        );
    }
    metrics.insert(TIME_METRIC.to_owned(), Metric::from_samples(unit, Better::Lower, true, per_iteration));
    Ok(metrics)
}

/// A benchmark read from another tool's file by `import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSource {
    /// The file, as `import` was given it.
    pub file: String,
    /// Runs the tool timed, failed ones included.
    pub runs: usize,
    pub failed_runs: usize,
}

/// Where a scenario's numbers came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSource {
    pub service: String,
    pub scenario: String,
    /// `open` (a fixed or ramping arrival rate) or `closed` (users).
    pub model: String,
    pub rounds: usize,
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub round_seconds: f64,
    /// Requests sent over all measured rounds.
    pub requests: u64,
}

/// A command benchmark: what ran and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSource {
    /// The argument vector (with `shell`, the script).
    pub command: Vec<String>,
    /// Whether it ran through `sh -c`.
    #[serde(default)]
    pub shell: bool,
    /// Timed runs, failed ones included.
    pub runs: usize,
    /// Runs that exited non-zero or were killed; their timings are not in the samples.
    pub failed_runs: usize,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

impl Better {
    /// The name results.json and the history use: `lower` or `higher`.
    pub fn as_str(self) -> &'static str {
        match self {
            Better::Lower => "lower",
            Better::Higher => "higher",
        }
    }
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
    /// The raw samples; for criterion, per-iteration values `times[i] / iters[i]`; for a
    /// command, one value per run.
    #[serde(deserialize_with = "crate::json_number::nan_if_null_each")]
    pub samples: Vec<f64>,
    /// Summary statistics of `samples`.
    pub summary: Summary,
    /// The one value a gate on this metric's own name reads, when it is not the mean of the
    /// samples: the largest for a peak, the total for a count.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json_number::some_nan_if_null"
    )]
    pub value: Option<f64>,
    /// In an interleaved run, one summary per round (the median of that round's samples);
    /// the paired test reads these.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json_number::some_nan_if_null_each"
    )]
    pub rounds: Option<Vec<f64>>,
    /// What the samples are: repeated measurements (the default, omitted), one exact value, or
    /// one summary another tool reported. It decides how the regression check compares them.
    #[serde(default, skip_serializing_if = "Basis::is_samples")]
    pub basis: Basis,
}

/// What a metric's samples are, which decides how the regression check compares it
/// (docs/statistics.md, "Metrics without samples").
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// Repeated measurements: a test on the samples decides.
    #[default]
    Samples,
    /// One exact value, the same on every run of the same code (an instruction count, a size):
    /// compared directly against the threshold.
    Deterministic,
    /// One value another tool summarised its own samples into (a median, a p95), the samples
    /// themselves not given: compared with the spread the tool stated, or directly without one.
    Summary {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spread: Option<StatedSpread>,
    },
}

impl Basis {
    pub fn is_samples(&self) -> bool {
        matches!(self, Basis::Samples)
    }
}

/// The bounds a tool stated around a summary value, in the metric's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatedSpread {
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub lower: f64,
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub upper: f64,
    /// What the bounds are, in the tool's terms: "libtest's +/- (max - min of its samples)".
    pub stated_as: String,
}

impl Metric {
    /// One value another tool summarised its samples into, compared with `spread` when stated.
    pub fn summary(unit: impl Into<String>, better: Better, value: f64, spread: Option<StatedSpread>) -> Self {
        Metric { basis: Basis::Summary { spread }, ..Metric::from_samples(unit, better, true, vec![value]) }
    }

    /// One exact value (an instruction count): compared directly.
    pub fn deterministic(unit: impl Into<String>, better: Better, value: f64) -> Self {
        Metric { basis: Basis::Deterministic, ..Metric::from_samples(unit, better, true, vec![value]) }
    }

    /// A metric of one value (a count, or a mean another tool reports): gated and shown, not
    /// compared, lower being better.
    pub fn single(unit: impl Into<String>, value: f64) -> Self {
        Metric { value: Some(value), ..Metric::from_samples(unit, Better::Lower, false, vec![value]) }
    }

    pub fn from_samples(unit: impl Into<String>, better: Better, compared: bool, samples: Vec<f64>) -> Self {
        let summary = Summary::of(&samples);
        Metric {
            unit: unit.into(),
            better,
            compared,
            samples,
            summary,
            value: None,
            rounds: None,
            basis: Basis::Samples,
        }
    }

    /// The value a gate on this metric's name reads: `value` where set, else the mean.
    pub fn gate_value(&self) -> f64 {
        self.value.unwrap_or(self.summary.mean)
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
            shard: None,
            interleaved: None,
            slo_environment: None,
        }
    }

    /// Parses a results file's text, refusing other schema versions and duplicate ids with a
    /// message that says how to fix it.
    pub fn parse(text: &str) -> Result<Results, String> {
        // The version first, skipping the rest unbuilt: a file of another version may not fit
        // this one's types, and its error should say so. Then the file once, straight into
        // `Results` (not through a `serde_json::Value` tree: 1,000,000 samples make a big one).
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<serde_json::Value>,
        }
        let Version { schema_version } =
            serde_json::from_str(text).map_err(|e| format!("not a JSON results file: {e}"))?;
        let version = schema_version.as_ref();
        if let Some(version) = version.filter(|v| !v.is_u64()) {
            return Err(format!(
                "`schema_version` is {version}, not a whole number: this is not a results file cargo-perf-gate wrote"
            ));
        }
        match version.and_then(serde_json::Value::as_u64) {
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
        let results: Results = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
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

    /// These results with each metric's samples thinned to at most `samples` evenly spaced
    /// order statistics (the quantiles at `(i + 0.5) / samples`), summaries and values kept: the
    /// compact form of an older run a baseline window carries. A location estimated from them
    /// (a trimmed mean) differs from the full samples' by a small share of its own standard
    /// error.
    pub fn compacted(&self, samples: usize) -> Results {
        let mut compact = self.clone();
        for metric in compact.benchmarks.iter_mut().flat_map(|b| b.metrics.values_mut()) {
            if metric.samples.len() <= samples || samples == 0 {
                continue;
            }
            let mut sorted = metric.samples.clone();
            sorted.sort_by(f64::total_cmp);
            metric.samples = (0..samples)
                .map(|i| crate::stats::quantile_sorted(&sorted, (i as f64 + 0.5) / samples as f64))
                .collect();
            metric.rounds = None;
        }
        compact
    }

    /// Every benchmark by id, for lookups across a whole suite: [`Results::benchmark`] searches
    /// the list, which over 10,000 benchmarks looked up one by one is quadratic.
    pub fn by_id(&self) -> std::collections::HashMap<&str, &Benchmark> {
        self.benchmarks.iter().map(|b| (b.id.as_str(), b)).collect()
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

#[cfg(test)]
mod tests {
    use super::fixtures::{benchmark, results};

    #[test]
    fn compacted_results_keep_evenly_spaced_order_statistics_and_the_summary() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let full = results(vec![benchmark("a", Better::Lower, &samples), benchmark("b", Better::Lower, &[3.0, 1.0])]);
        let compact = full.compacted(4);
        let a = &compact.benchmarks[0].metrics["time"];
        // The quantiles at 1/8, 3/8, 5/8 and 7/8 of 1..=100 (type 7 interpolation).
        assert_eq!(a.samples, [13.375, 38.125, 62.875, 87.625]);
        assert_eq!(a.summary, full.benchmarks[0].metrics["time"].summary);
        assert_eq!(compact.benchmarks[1].metrics["time"].samples, [3.0, 1.0], "fewer samples are kept as they are");
        assert_eq!(compact.created_at, full.created_at);
    }
    use super::*;

    #[test]
    fn two_lists_dealt_from_both_ends_differ_by_one_at_most() {
        for count in 1..=6u32 {
            for first in 0..14usize {
                for second in 0..14usize {
                    let sizes: Vec<usize> = (1..=count)
                        .map(|index| {
                            let shard = Shard { index, count };
                            (0..first).filter(|i| shard.takes(*i)).count()
                                + (0..second).filter(|i| shard.takes_from_end(*i)).count()
                        })
                        .collect();
                    let spread = sizes.iter().max().unwrap() - sizes.iter().min().unwrap();
                    assert!(spread <= 1, "{first} + {second} over {count} shards: {sizes:?}");
                }
            }
        }
    }

    fn part(shard: Option<&str>, ids: &[&str]) -> Results {
        let mut part = results(ids.iter().map(|id| benchmark(id, Better::Lower, &[1.0, 2.0])).collect());
        part.shard = shard.map(|s| Shard::parse(s).unwrap());
        part
    }

    fn merge_whole(parts: Vec<(String, Results)>) -> Result<Results, String> {
        merge(parts, Coverage::Whole)
    }

    fn named(parts: Vec<Results>) -> Vec<(String, Results)> {
        parts.into_iter().enumerate().map(|(i, p)| (format!("part{}.json", i + 1), p)).collect()
    }

    #[test]
    fn shards_parse_and_deal_round_robin() {
        let shard = Shard::parse("2/3").unwrap();
        assert_eq!(shard.to_string(), "2/3");
        let taken: Vec<usize> = (0..8).filter(|i| shard.takes(*i)).collect();
        assert_eq!(taken, [1, 4, 7]);
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            assert!(Shard::parse(bad).unwrap_err().contains("expected K/N"), "{bad}");
        }
    }

    #[test]
    fn merging_every_shard_gives_the_whole_suite_sorted() {
        let merged = merge_whole(named(vec![part(Some("2/2"), &["b", "d"]), part(Some("1/2"), &["c", "a"])])).unwrap();
        let ids: Vec<&str> = merged.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert_eq!(merged.shard, None);
    }

    #[test]
    fn merged_paired_shards_pair_with_their_merged_baselines_and_nothing_else() {
        let paired = |shard: &str, ids: &[&str], session: &str, rounds: usize| {
            let mut part = part(Some(shard), ids);
            part.interleaved = Some(Interleaving { session: session.to_owned(), rounds, measurement_time_s: 0.3 });
            part
        };
        // Each side's files are merged on their own, in whatever order the files come.
        let current =
            merge_whole(named(vec![paired("2/2", &["b"], "s2", 12), paired("1/2", &["a"], "s1", 16)])).unwrap();
        let baseline =
            merge_whole(named(vec![paired("1/2", &["a"], "s1", 16), paired("2/2", &["b"], "s2", 12)])).unwrap();
        let (current, baseline) = (current.interleaved.unwrap(), baseline.interleaved.unwrap());
        assert_eq!(current, baseline);
        assert_eq!((current.session.as_str(), current.rounds), ("s1 s2", 12));
        // A baseline file from another run of one shard pairs with nothing.
        let stale = merge_whole(named(vec![paired("1/2", &["a"], "s0", 16), paired("2/2", &["b"], "s2", 12)])).unwrap();
        assert_ne!(stale.interleaved.unwrap().session, current.session);
        // A shard that measured alone leaves the whole unpaired.
        let mixed = merge_whole(named(vec![paired("1/2", &["a"], "s1", 16), part(Some("2/2"), &["b"])])).unwrap();
        assert_eq!(mixed.interleaved, None);
        assert_eq!(merge_whole(named(vec![part(Some("1/1"), &["a"])])).unwrap().interleaved, None);
        // The rounds of some shards: a paired shard's and a confirming shard's (not marked).
        let some = vec![paired("1/3", &["a"], "s1", 16), part(None, &["c"])];
        assert!(merge_whole(named(some.clone())).unwrap_err().contains("is a shard and"));
        assert_eq!(merge(named(some), Coverage::Partial).unwrap().benchmarks.len(), 2);
        let twice = merge(named(vec![part(Some("1/3"), &["a"]), part(None, &["a"])]), Coverage::Partial);
        assert!(twice.unwrap_err().contains("`a` is in both"));
    }

    #[test]
    fn merging_refuses_what_is_not_one_run() {
        let error = |parts: Vec<Results>| merge_whole(named(parts)).unwrap_err();
        assert!(
            error(vec![part(None, &["a"]), part(None, &["a"])]).contains("`a` is in both part1.json and part2.json")
        );
        assert!(error(vec![part(Some("1/2"), &["a"]), part(None, &["b"])])
            .contains("part1.json is a shard and part2.json is not"));
        assert!(error(vec![part(Some("1/2"), &["a"]), part(Some("1/2"), &["b"])]).contains("both shard 1/2"));
        assert!(error(vec![part(Some("1/3"), &["a"]), part(Some("3/3"), &["b"])]).contains("shard 2/3 missing"));
        assert!(error(vec![part(Some("1/2"), &["a"]), part(Some("2/3"), &["b"])]).contains("split the suite alike"));
        let mut other_commit = part(None, &["b"]);
        other_commit.git = Some(GitInfo { commit: "f".repeat(40), branch: None, dirty: false });
        assert!(error(vec![part(None, &["a"]), other_commit]).contains("only parts of one run can be merged"));
        assert!(merge_whole(Vec::new()).unwrap_err().contains("nothing to merge"));
    }
}
