//! `benchmark-config.json`: gates, regression settings and report selection.
//!
//! Parsing is strict: unknown keys are errors with a suggestion, thresholds must be finite,
//! and every gate's metric must name a known metric, so that a typo never becomes a gate that
//! silently checks nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::{Operator, Severity};
use crate::matching::{closest, no_such, Glob};
use crate::metric_name::{MetricName, MetricPath};

/// The default config file name, looked up at the workspace root.
pub const DEFAULT_CONFIG_FILE: &str = "benchmark-config.json";

// Upper bounds of the numbers that size a run: past them a value is a typo or a unit mistake
// (milliseconds where seconds were meant), and taken at its word it would abort on an
// allocation, panic on a `Duration`, or hold the job for weeks. Each error names its bound.

/// The highest request rate of the open model (`rate_per_sec` and a stage's rate). One load
/// generator on loopback sends at most a few hundred thousand HTTP/1.1 requests a second (wrk,
/// in C, does about that per core); at 10^6/s the schedule could not be kept, only reported late.
pub const MAX_RATE_PER_SEC: f64 = 1_000_000.0;
/// The longest round, warm-up, ramp-up, stage, timeout or wait, in seconds: 24 hours. A CI job
/// that runs longer is stopped anyway (GitHub's hosted runners stop after 6 hours).
pub const MAX_SECONDS: f64 = 86_400.0;
/// The longest think time, in milliseconds: `MAX_SECONDS`.
pub const MAX_THINK_TIME_MS: f64 = MAX_SECONDS * 1000.0;
/// The longest request timeout, in milliseconds: 1 hour, the longest latency the histogram
/// records.
pub const MAX_TIMEOUT_MS: f64 = 3_600_000.0;
/// The most connections (open model) or users (closed model) of a scenario. Each is a socket,
/// a file descriptor, and a task with its buffers; 10,000 is already past the default limit of
/// open files (1,024 on most Linux systems: raise it with `ulimit -n` to use this many).
pub const MAX_CONNECTIONS: usize = 10_000;
/// The most measured rounds of a scenario. Rounds are the samples the regression check
/// compares; past a few dozen they add time, not power.
pub const MAX_ROUNDS: usize = 1_000;
/// The most the weights of a scenario's requests may add up to: the load generator keeps one
/// cycle of the interleaved mix, one entry per unit of weight. Divide the weights by a common
/// factor to keep the same mix.
pub const MAX_MIX_WEIGHT: u32 = 10_000;
/// The most runs of a command (`runs`, `max_runs`, `warmup`): each run starts a process and keeps
/// its numbers, and 100,000 runs of a 1 ms command already take minutes.
pub const MAX_COMMAND_RUNS: usize = 100_000;

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "cargo-perf-gate configuration",
    description = "Gates, regression settings and reports for cargo perf-gate."
)]
pub struct Config {
    /// A JSON Schema reference for editors; ignored by perf-gate.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Free-form explanation for humans (JSON has no comments); ignored by perf-gate.
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// What `run` measures of the criterion benches: `time` (criterion's timing) or
    /// `instructions` (counted under callgrind); `--measure` overrides it.
    #[serde(default)]
    pub measure: Measure,
    /// Absolute limits on metrics, checked on every run.
    #[serde(default)]
    pub gates: Vec<Gate>,
    /// Whether a regression against the baseline fails the run (exit 1). When false,
    /// regressions are warnings.
    #[serde(default = "default_true")]
    pub fail_on_regression: bool,
    /// Smallest slowdown, in percent of the baseline, that counts as a regression.
    #[serde(default = "default_regression_threshold_percent")]
    pub regression_threshold_percent: f64,
    /// Whether CI should refresh the baseline only when the gates pass (read by the GitHub
    /// Action).
    #[serde(default = "default_true")]
    pub update_baseline_on_success: bool,
    /// Which report files to write.
    #[serde(default)]
    pub reporting: Reporting,
    /// How the regression check decides.
    #[serde(default)]
    pub statistics: Statistics,
    /// Per-benchmark regression rules; the first rule matching a benchmark (and metric) wins,
    /// and the top-level threshold and `fail_on_regression` apply where none matches.
    #[serde(default)]
    pub regressions: Vec<RegressionRule>,
    /// Where the GitHub integration finds the baseline.
    #[serde(default)]
    pub github: GitHubSettings,
    /// Command lines to time, run by run, like hyperfine.
    #[serde(default)]
    pub commands: Vec<CommandBench>,
    /// Services to start and put under HTTP load.
    #[serde(default)]
    pub services: Vec<ServiceBench>,
    /// Where runs are recorded, and whether every `run` and `check` records.
    #[serde(default)]
    pub history: HistorySettings,
    /// Service-level objectives: categories of benchmarks with targets, environments that
    /// loosen them, and the levels and compliance the run is judged by.
    #[serde(default, skip_serializing_if = "Slos::is_empty")]
    pub slos: Slos,
    /// Metrics other tools' files record (`import`, and `import` in commands and scenarios)
    /// under names perf-gate does not know (a BMF measure, github-action-benchmark's `value`):
    /// their unit and which way is better, so gates and SLOs can name them and `import` knows
    /// their direction.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, CustomMetric>,
}

/// What `run` measures of the criterion benches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// criterion's own timing: samples of the time per iteration.
    #[default]
    Time,
    /// Each benchmark's routine counted once under callgrind: exact instruction counts.
    Instructions,
}

/// Service-level objectives (README, "SLOs").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slos {
    /// Free-form explanation for humans; ignored by perf-gate.
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// Named groups of benchmarks, each with its objectives.
    #[serde(default)]
    pub categories: BTreeMap<String, SloCategory>,
    /// Named environments (`--environment NAME`, `$PERF_GATE_ENVIRONMENT`), each loosening every
    /// objective by its slack factor.
    #[serde(default)]
    pub environments: BTreeMap<String, SloEnvironment>,
    /// The environment that applies when none is named; without it, none applies (the
    /// targets as written, the sample sizes as configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_environment: Option<String>,
    /// How far beyond its target a value may be before it is a warning, or critical.
    #[serde(default)]
    pub levels: SloLevels,
    /// The share of objective checks that must pass, in percent; below it the run fails.
    #[serde(default = "default_min_compliance_percent")]
    #[schemars(range(min = 0, max = 100))]
    pub min_compliance_percent: f64,
}

impl Default for Slos {
    fn default() -> Self {
        Slos {
            comment: None,
            categories: BTreeMap::new(),
            environments: BTreeMap::new(),
            default_environment: None,
            levels: SloLevels::default(),
            min_compliance_percent: default_min_compliance_percent(),
        }
    }
}

impl Slos {
    fn is_empty(&self) -> bool {
        self == &Slos::default()
    }
}

fn default_min_compliance_percent() -> f64 {
    90.0
}

/// A group of benchmarks held to the same objectives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloCategory {
    /// Free-form explanation for humans; ignored by perf-gate.
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// Globs over benchmark ids (`*` within a `/` segment, `**` across).
    #[serde(default)]
    pub benchmarks: Vec<Glob>,
    /// Names of the config's `commands`.
    #[serde(default)]
    pub commands: Vec<String>,
    /// Names of the config's `services`: every scenario of each.
    #[serde(default)]
    pub services: Vec<String>,
    /// Metric name to target, e.g. `{"p95_ms": 2500, "success_rate": 95}`: a maximum for a
    /// metric where lower is better, a minimum where higher is.
    pub objectives: Objectives,
}

impl SloCategory {
    /// The benchmark ids this category covers, as globs: its own, its commands' (the name, and
    /// `name/...` for an imported file of several) and its services' scenarios.
    pub fn selection(&self) -> Vec<Glob> {
        let exact = self
            .commands
            .iter()
            .flat_map(|name| [Glob::literal(name), Glob::literal(&format!("{name}/")).with_any_suffix()]);
        let services = self.services.iter().map(|name| Glob::literal(&format!("{name}/")).with_any_suffix());
        self.benchmarks.iter().cloned().chain(exact).chain(services).collect()
    }
}

/// A category's objectives, in the order of their metric names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, f64>", into = "BTreeMap<String, f64>")]
pub struct Objectives(pub Vec<Objective>);

/// One objective: a metric and its target, in the unit the name carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub metric: MetricName,
    pub target: f64,
}

impl TryFrom<BTreeMap<String, f64>> for Objectives {
    type Error = String;

    fn try_from(map: BTreeMap<String, f64>) -> Result<Objectives, String> {
        if map.is_empty() {
            return Err("a category needs at least one objective, e.g. {\"p95_ms\": 2500}".to_owned());
        }
        let mut objectives: Vec<Objective> = Vec::new();
        for (name, target) in map {
            let metric = MetricName::parse_any(&name).ok_or_else(|| MetricName::unknown(&name, &[]))?;
            if !(target.is_finite() && target > 0.0) {
                return Err(format!("the target of `{name}` must be a finite number > 0, got {target}"));
            }
            if let Some(twin) = objectives.iter().find(|o| o.metric == metric) {
                return Err(format!("`{name}` and `{}` name the same metric; keep one", twin.metric));
            }
            objectives.push(Objective { metric, target });
        }
        Ok(Objectives(objectives))
    }
}

impl From<Objectives> for BTreeMap<String, f64> {
    fn from(objectives: Objectives) -> Self {
        objectives.0.into_iter().map(|o| (o.metric.to_string(), o.target)).collect()
    }
}

/// In the JSON Schema, objectives are an object of numbers.
impl JsonSchema for Objectives {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Objectives".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, f64>>::json_schema(generator)
    }
}

/// How an environment relaxes the objectives and sizes the measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloEnvironment {
    /// Every target is loosened by this factor in its worse direction: a latency limit is
    /// multiplied by it, a throughput or success minimum divided. 1 to 100.
    #[serde(default = "default_slack_factor")]
    #[schemars(range(min = 1, max = 100))]
    pub slack_factor: f64,
    /// Scales criterion's sample size, services' rounds and commands' runs (each kept at its
    /// smallest useful value). Above 0, at most 10.
    #[serde(default = "default_slack_factor")]
    #[schemars(range(max = 10), extend("exclusiveMinimum" = 0))]
    pub sample_size_multiplier: f64,
}

fn default_slack_factor() -> f64 {
    1.0
}

/// Degradation levels: how far beyond its target, in percent of the target, a value is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloLevels {
    /// From this far beyond the target, a failed objective is a WARNING (below it, OK).
    #[serde(default = "default_warning_percent")]
    pub warning_percent: f64,
    /// Beyond this, a failed objective is CRITICAL and fails the run.
    #[serde(default = "default_critical_percent")]
    pub critical_percent: f64,
}

impl Default for SloLevels {
    fn default() -> Self {
        SloLevels { warning_percent: default_warning_percent(), critical_percent: default_critical_percent() }
    }
}

fn default_warning_percent() -> f64 {
    10.0
}

fn default_critical_percent() -> f64 {
    25.0
}

/// The history store (docs/history-format.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    /// The SQLite file, relative to this config file's directory [default:
    /// .perf-gate/history.db under the workspace root]; --history and $PERF_GATE_HISTORY win.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Record every `run` and `check`, as `--record` does.
    #[serde(default)]
    pub record: bool,
    /// Runs a window baseline takes (`--baseline-history`), newest first; 2 to 1000.
    #[serde(default = "default_window")]
    #[schemars(range(min = 2, max = MAX_WINDOW))]
    pub window: usize,
}

/// Most runs a window baseline takes.
pub const MAX_WINDOW: usize = 1000;

fn default_window() -> usize {
    10
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings { path: None, record: false, window: default_window() }
    }
}

/// A service: started, loaded with its scenarios, stopped. Each scenario is one benchmark,
/// `<service>/<scenario>`. `{port}` anywhere in its strings becomes a free port on 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBench {
    pub name: String,
    pub start: ServiceStart,
    pub scenarios: Vec<Scenario>,
    /// Seconds between SIGTERM and SIGKILL when stopping it; > 0, at most 86400.
    #[serde(default = "default_stop_grace_s")]
    #[schemars(range(max = MAX_SECONDS), extend("exclusiveMinimum" = 0))]
    pub stop_grace_s: f64,
    /// RSS growing more than this, in percent over the scenario's rounds, is a warning.
    #[serde(default = "default_rss_growth_limit")]
    pub rss_growth_limit_percent: f64,
}

/// How to start a service and know it is ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceStart {
    /// Program and arguments (no shell). `{target_dir}` is the workspace's target directory.
    pub command: Vec<String>,
    /// Run once before starting, e.g. to build the service; no shell.
    #[serde(default)]
    pub prepare: Option<Vec<String>>,
    /// Working directory, relative to the config file's directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    pub ready: Readiness,
}

/// When a started service counts as ready: an HTTP URL answering 2xx, or a TCP port accepting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Readiness {
    #[serde(default)]
    pub http: Option<String>,
    /// `host:port`.
    #[serde(default)]
    pub tcp: Option<String>,
    /// Seconds to wait for readiness; > 0, at most 86400.
    #[serde(default = "default_ready_timeout_s")]
    #[schemars(range(max = MAX_SECONDS), extend("exclusiveMinimum" = 0))]
    pub timeout_s: f64,
}

/// One load pattern against a service: open (`rate_per_sec`, or ramping `stages`) or closed
/// (`users`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// Open model: requests per second (> 0, at most 1000000), scheduled whatever the responses
    /// do.
    #[serde(default)]
    #[schemars(range(max = MAX_RATE_PER_SEC), extend("exclusiveMinimum" = 0))]
    pub rate_per_sec: Option<f64>,
    /// Open model with a changing rate: each stage ramps linearly to its rate over its duration.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Closed model: this many users, each sending its next request after the last response;
    /// 1 to 10000.
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_CONNECTIONS))]
    pub users: Option<usize>,
    /// Closed model: users start evenly spread over this many seconds; at most 86400.
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_SECONDS))]
    pub ramp_up_s: f64,
    /// Closed model: a user's pause between a response and its next request; at most 86400000.
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_THINK_TIME_MS))]
    pub think_time_ms: f64,
    /// Seconds a round lasts (with `stages`: their total, unless given); > 0, at most 86400.
    #[serde(default)]
    #[schemars(range(max = MAX_SECONDS), extend("exclusiveMinimum" = 0))]
    pub duration_s: Option<f64>,
    /// Seconds of load before the first round, not measured; at most 86400.
    #[serde(default = "default_warmup_s")]
    #[schemars(range(min = 0, max = MAX_SECONDS))]
    pub warmup_s: f64,
    /// Measured rounds: the samples the regression check compares; 2 to 1000.
    #[serde(default = "default_rounds")]
    #[schemars(range(min = 2, max = MAX_ROUNDS))]
    pub rounds: usize,
    /// Connections of the open model (kept alive); 1 to 10000.
    #[serde(default = "default_connections")]
    #[schemars(range(min = 1, max = MAX_CONNECTIONS))]
    pub connections: usize,
    /// A request without a response this long counts as a timeout; > 0, at most 3600000 (1 h).
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(max = MAX_TIMEOUT_MS), extend("exclusiveMinimum" = 0))]
    pub timeout_ms: f64,
    /// Statuses that count as success; default any 2xx or 3xx.
    #[serde(default)]
    pub success_statuses: Vec<u16>,
    /// The requests of the mix; none with `import`.
    #[serde(default)]
    pub requests: Vec<RequestSpec>,
    /// Instead of perf-gate's own load: a load tool's command (k6, oha) run against the
    /// started service once a round, and the file it writes imported; each round's figures are
    /// one sample.
    #[serde(default)]
    pub import: Option<ImportSpec>,
    /// Program and arguments run after every measured round (no shell, untimed), e.g. to read
    /// the service's own counters: a JSON object of numbers it writes to the file named by
    /// `PERF_GATE_METRICS` adds one sample per round to those metrics.
    #[serde(default)]
    pub hook: Option<Vec<String>>,
    /// The hook's metrics: their unit and, for the regression check, which way is better.
    #[serde(default)]
    pub metrics: std::collections::BTreeMap<String, CustomMetric>,
}

/// A ramping stage of the open model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Seconds the stage lasts; > 0, at most 86400.
    #[schemars(range(max = MAX_SECONDS), extend("exclusiveMinimum" = 0))]
    pub duration_s: f64,
    /// The rate reached at the stage's end; 0 (a ramp down) to 1000000.
    #[schemars(range(min = 0, max = MAX_RATE_PER_SEC))]
    pub rate_per_sec: f64,
}

/// One request of a scenario's mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "default_method")]
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    /// Share of the mix, relative to the other requests' weights; at least 1, and a scenario's
    /// weights add up to at most 10000.
    #[serde(default = "default_weight")]
    #[schemars(range(min = 1, max = MAX_MIX_WEIGHT))]
    pub weight: u32,
}

fn default_stop_grace_s() -> f64 {
    5.0
}

fn default_rss_growth_limit() -> f64 {
    10.0
}

fn default_ready_timeout_s() -> f64 {
    60.0
}

fn default_warmup_s() -> f64 {
    1.0
}

fn default_rounds() -> usize {
    5
}

fn default_connections() -> usize {
    8
}

fn default_timeout_ms() -> f64 {
    2000.0
}

fn default_method() -> String {
    "GET".to_owned()
}

fn default_weight() -> u32 {
    1
}

/// A command benchmark: one benchmark, named `name`, with one sample per timed run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandBench {
    /// The benchmark id in results, gates and reports.
    pub name: String,
    /// Program and arguments, run without a shell. With `shell`, one element: a script for
    /// `sh -c`.
    pub command: Vec<String>,
    /// Run `command` through `sh -c` (its single element is the script).
    #[serde(default)]
    pub shell: bool,
    /// The fewest timed runs; 2 to 100000.
    #[serde(default = "default_runs")]
    #[schemars(range(min = 2, max = MAX_COMMAND_RUNS))]
    pub runs: usize,
    /// Keep adding runs until the timed runs took this long in all, up to `max_runs`; at most
    /// 86400.
    #[serde(default = "default_min_time_s")]
    #[schemars(range(min = 0, max = MAX_SECONDS))]
    pub min_time_s: f64,
    /// The most timed runs; at least `runs`, at most 100000.
    #[serde(default = "default_max_runs")]
    #[schemars(range(min = 2, max = MAX_COMMAND_RUNS))]
    pub max_runs: usize,
    /// Untimed runs before the timed ones; at most 100000.
    #[serde(default = "default_warmup")]
    #[schemars(range(min = 0, max = MAX_COMMAND_RUNS))]
    pub warmup: usize,
    /// Program and arguments run before every run (warm-up runs too), untimed; no shell.
    #[serde(default)]
    pub prepare: Option<Vec<String>>,
    /// Working directory, relative to the config file's directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// A run taking longer is killed and counts as failed; > 0, at most 86400.
    #[serde(default = "default_command_timeout_s")]
    #[schemars(range(max = MAX_SECONDS), extend("exclusiveMinimum" = 0))]
    pub timeout_s: f64,
    /// Metrics the command reports itself, as a JSON object written to the file named by
    /// `PERF_GATE_METRICS`: their unit and, for the regression check, which way is better.
    #[serde(default)]
    pub metrics: std::collections::BTreeMap<String, CustomMetric>,
    /// The command is another tool's run (hyperfine, k6, a libtest bench, ...): it runs once,
    /// and the file it writes is imported as this benchmark's results (`runs`, `warmup`,
    /// `min_time_s` and `max_runs` do not apply; `metrics` then declares the file's metrics
    /// that perf-gate does not know, as the top-level `metrics` does).
    #[serde(default)]
    pub import: Option<ImportSpec>,
}

/// Another tool's output that becomes a benchmark's results, as `cargo perf-gate import`
/// reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// The file's format, named as `import --format` names it; `auto` tells it from the content.
    #[serde(default = "default_import_format")]
    pub format: crate::import::Format,
    /// The file the tool writes, relative to the working directory. It is removed before each
    /// run, so that an earlier run's file never passes for this one's.
    pub path: PathBuf,
    /// In a service scenario: the load tool's program and arguments (no shell), run once a
    /// round while the service runs; `{port}` and `{target_dir}` as in the service's strings.
    /// Not in a command benchmark, whose own `command` runs.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// In a service scenario: a round's run taking longer is killed and fails the scenario;
    /// > 0, at most 86400 [default: 600]. A command benchmark's `timeout_s` applies to it.
    #[serde(default)]
    #[schemars(range(max = MAX_SECONDS), extend("exclusiveMinimum" = 0))]
    pub timeout_s: Option<f64>,
    /// The config's declared metrics whose larger values are better, filled in when the
    /// config is parsed: the direction the file's format does not say.
    #[serde(skip)]
    #[schemars(skip)]
    pub higher_is_better: Vec<String>,
}

/// How long a scenario's load tool may run a round, unless `import.timeout_s` says.
pub const DEFAULT_IMPORT_TIMEOUT_S: f64 = 600.0;

fn default_import_format() -> crate::import::Format {
    crate::import::Format::Auto
}

/// A command benchmark's `import`: the command's own program runs, once, so the fields that
/// repeat runs do not apply.
fn check_command_import(command: &CommandBench, import: &ImportSpec) -> Result<(), (&'static str, String)> {
    check_import_path(import).map_err(|message| ("import.path", message))?;
    if import.command.is_some() {
        return Err((
            "import.command",
            "a command benchmark runs its own `command`; `import.command` is for service scenarios".to_owned(),
        ));
    }
    if import.timeout_s.is_some() {
        return Err(("import.timeout_s", "a command benchmark's own `timeout_s` limits its run; use that".to_owned()));
    }
    let repeated = [
        ("runs", command.runs != default_runs()),
        ("warmup", command.warmup != default_warmup()),
        ("min_time_s", command.min_time_s != default_min_time_s()),
        ("max_runs", command.max_runs != default_max_runs()),
    ];
    match repeated.into_iter().find(|(_, set)| *set) {
        Some((field, _)) => Err((
            field,
            format!("does not apply with `import`: the command runs once and its tool repeats its own measurements; remove `{field}`"),
        )),
        None => Ok(()),
    }
}

/// A scenario's rounds: the samples the regression check compares.
fn check_rounds(rounds: usize) -> Result<(), String> {
    if rounds < 2 {
        return Err(format!("must be at least 2 (rounds are the samples compared), got {rounds}"));
    }
    at_most(rounds, MAX_ROUNDS, ROUNDS_WHY)
}

fn check_import_path(import: &ImportSpec) -> Result<(), String> {
    if import.path.as_os_str().is_empty() {
        return Err("is empty: name the file the tool writes, relative to the working directory".to_owned());
    }
    Ok(())
}

/// A scenario's `import`: the load tool's command runs once a round instead of perf-gate's own
/// load, so the load model's fields do not apply.
fn check_scenario_import(scenario: &Scenario, import: &ImportSpec) -> Result<(), (String, String)> {
    let at = |field: &str| field.to_owned();
    check_import_path(import).map_err(|message| (at("import.path"), message))?;
    match &import.command {
        Some(command) if !command.is_empty() && !command[0].trim().is_empty() => {}
        _ => {
            return Err((
                at("import.command"),
                "is required in a scenario: the load tool's program and arguments, e.g. [\"k6\", \"run\", \"--summary-export\", \"summary.json\", \"load.js\"]".to_owned(),
            ))
        }
    }
    let load_model = [
        ("rate_per_sec", scenario.rate_per_sec.is_some()),
        ("stages", !scenario.stages.is_empty()),
        ("users", scenario.users.is_some()),
        ("duration_s", scenario.duration_s.is_some()),
        ("requests", !scenario.requests.is_empty()),
        ("success_statuses", !scenario.success_statuses.is_empty()),
        ("connections", scenario.connections != default_connections()),
        ("timeout_ms", scenario.timeout_ms != default_timeout_ms()),
        ("warmup_s", scenario.warmup_s != default_warmup_s()),
        ("ramp_up_s", scenario.ramp_up_s != 0.0),
        ("think_time_ms", scenario.think_time_ms != 0.0),
        ("hook", scenario.hook.is_some()),
    ];
    if let Some((field, _)) = load_model.into_iter().find(|(_, set)| *set) {
        return Err((
            at(field),
            format!("does not apply with `import`: the load tool's command makes the load and measures it; remove `{field}`"),
        ));
    }
    if let Some(seconds) = import.timeout_s {
        within(seconds, Low::AboveZero, MAX_SECONDS, SECONDS_WHY)
            .map_err(|message| (at("import.timeout_s"), message))?;
    }
    Ok(())
}

/// A metric a command reports itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomMetric {
    /// Shown with the values, e.g. `tokens/s`.
    #[serde(default)]
    pub unit: String,
    /// `lower` or `higher`; without it the metric is reported and gated but not checked for
    /// regressions.
    #[serde(default)]
    pub better: Option<crate::model::Better>,
}

fn default_runs() -> usize {
    10
}

fn default_min_time_s() -> f64 {
    3.0
}

fn default_max_runs() -> usize {
    1000
}

fn default_warmup() -> usize {
    1
}

fn default_command_timeout_s() -> f64 {
    600.0
}

/// Settings of the GitHub integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitHubSettings {
    /// Name of the workflow artifact that holds the main branch's `results.json`.
    #[serde(default = "default_artifact_name")]
    pub artifact_name: String,
    /// The workflow file whose runs upload the baseline (`perf-gate.yml` or
    /// `.github/workflows/perf-gate.yml`); an artifact of that name uploaded by any other
    /// workflow is not taken. Default: the workflow of the run that fetches it.
    #[serde(default)]
    pub baseline_workflow: Option<String>,
}

impl Default for GitHubSettings {
    fn default() -> Self {
        GitHubSettings { artifact_name: default_artifact_name(), baseline_workflow: None }
    }
}

fn default_artifact_name() -> String {
    "perf-gate-baseline".to_owned()
}

/// Settings of the regression check. docs/statistics.md explains each choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statistics {
    /// Family-wise (Holm) or false-discovery (BH) significance level.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Multiple-comparison correction across every metric compared in the run.
    #[serde(default)]
    pub correction: Correction,
    /// The whole confidence interval of a change must lie beyond this, in percent.
    #[serde(default = "default_noise_threshold_percent")]
    pub noise_threshold_percent: f64,
    /// Fewer samples than this on a side makes a comparison inconclusive.
    #[serde(default = "default_min_samples")]
    pub min_samples: usize,
    /// The two-sample test: `trimmed` (Yuen's test on 20% trimmed means, robust to contention
    /// outliers) or `welch`, both on the log samples; for paired rounds, the trimmed or plain
    /// paired test.
    #[serde(default)]
    pub test: TestKind,
    /// With at least this many compared metrics, a change must also stand out from the spread
    /// of changes across the suite (an empirical null); 0 turns that off.
    #[serde(default = "default_empirical_null_min")]
    pub empirical_null_min_benchmarks: usize,
    /// Severity of a change of the whole suite (a slower runner and slower code look alike).
    #[serde(default = "default_warning")]
    pub suite_shift_severity: Severity,
    /// The run is unstable when its canary's checkpoints spread more than this, in percent.
    #[serde(default = "default_canary_limit")]
    pub canary_max_spread_percent: f64,
    /// The run is unstable when its canary moved more than this against the baseline's.
    #[serde(default = "default_canary_limit")]
    pub canary_max_shift_percent: f64,
    /// In an unstable run, Blocking regressions are reported as warnings.
    #[serde(default = "default_true")]
    pub unstable_run_downgrades: bool,
    /// The regression threshold, in percent, of exact counts (`--measure instructions`,
    /// gungraun's, BMF's instruction counts) where no `regressions` rule sets one: they do not
    /// move between runs of the same code, so a much smaller change is real.
    #[serde(default = "default_deterministic_threshold_percent")]
    pub deterministic_threshold_percent: f64,
}

fn default_deterministic_threshold_percent() -> f64 {
    1.0
}

impl Default for Statistics {
    fn default() -> Self {
        Statistics {
            alpha: default_alpha(),
            correction: Correction::default(),
            noise_threshold_percent: default_noise_threshold_percent(),
            min_samples: default_min_samples(),
            test: TestKind::default(),
            empirical_null_min_benchmarks: default_empirical_null_min(),
            suite_shift_severity: default_warning(),
            canary_max_spread_percent: default_canary_limit(),
            canary_max_shift_percent: default_canary_limit(),
            unstable_run_downgrades: true,
            deterministic_threshold_percent: default_deterministic_threshold_percent(),
        }
    }
}

/// Multiple-comparison correction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// Holm's step-down: the chance of any false alarm in the run stays below alpha.
    #[default]
    Holm,
    /// Benjamini-Hochberg: the expected share of false alarms among alarms stays below alpha.
    Bh,
    /// Each comparison at alpha on its own.
    None,
}

/// The two-sample test of the regression check. docs/statistics.md has the calibration that
/// chose the default: the same false-alarm rate and power as Welch on clean samples, and five to
/// ten times Welch's power when contention adds slow outliers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    /// Welch's t-test on the log samples.
    Welch,
    /// Yuen's trimmed t-test (20% per tail) on the log samples.
    #[default]
    Trimmed,
}

/// A per-benchmark regression rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegressionRule {
    /// Free-form explanation for humans; ignored by perf-gate.
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// Glob over benchmark ids (`*` within a `/` segment, `**` across).
    pub benchmarks: Glob,
    /// Glob over metric names (e.g. `time`); default: every compared metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Glob>,
    /// Smallest change in percent that counts; default: `regression_threshold_percent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<f64>,
    /// What a regression does; default: Blocking when `fail_on_regression`, else Warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Leave matching benchmarks out of the regression check.
    #[serde(default)]
    pub ignore: bool,
}

/// A `$comment`: one string or several lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Comment {
    Line(String),
    Lines(Vec<String>),
}

/// One gate: `metric operator threshold`, with a severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// Free-form explanation for humans; ignored by perf-gate.
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// Display name; defaults to the metric path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `<benchmark id>.<metric name>`; the id part may be a glob (`*` within one `/` segment,
    /// `**` across segments, `?`, `[abc]`), e.g. `encode_*/*.median_ns`.
    pub metric: MetricPath,
    /// How the measured value must relate to the threshold for the gate to pass.
    pub operator: Operator,
    /// The limit, in the unit the metric name carries.
    pub threshold: f64,
    /// `Blocking` fails the run; `Warning` only reports.
    #[serde(default)]
    pub severity: Severity,
}

impl Gate {
    /// The name shown in reports.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.metric.as_str())
    }
}

/// Which report files to write into the out dir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reporting {
    /// `report.json`: every verdict with its numbers.
    #[serde(default = "default_true")]
    pub json: bool,
    /// `report.html`: one self-contained page with charts.
    #[serde(default = "default_true")]
    pub html: bool,
    /// `summary.md`: GitHub-flavoured markdown fit for a PR comment.
    #[serde(default = "default_true")]
    pub markdown: bool,
    /// `results.csv`: one row per benchmark and metric, with the regression verdict.
    #[serde(default)]
    pub csv: bool,
    /// `results.bmf.json`: the run in Bencher Metric Format, for `bencher run --adapter json
    /// --file results.bmf.json`.
    #[serde(default)]
    pub bmf: bool,
    /// `results.prom`: the run and its changes as OpenMetrics text, for a Prometheus textfile
    /// collector or a pushgateway.
    #[serde(default)]
    pub openmetrics: bool,
    /// Which metrics get a chart of their samples in `report.html`.
    #[serde(default)]
    pub charts: Charts,
}

impl Default for Reporting {
    fn default() -> Self {
        Reporting {
            json: true,
            html: true,
            markdown: true,
            csv: false,
            bmf: false,
            openmetrics: false,
            charts: Charts::default(),
        }
    }
}

/// Which metrics `report.html` draws the samples of (at most 200 either way, the changed ones
/// first): a chart is about 6 KB, and thousands of unchanged ones bury the few a reader needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Charts {
    /// Only comparisons that did not come out unchanged; without a baseline, every measured metric.
    #[default]
    Changed,
    /// Every compared metric.
    All,
}

fn default_true() -> bool {
    true
}

fn default_regression_threshold_percent() -> f64 {
    5.0
}

fn default_alpha() -> f64 {
    0.05
}

fn default_noise_threshold_percent() -> f64 {
    1.0
}

fn default_min_samples() -> usize {
    5
}

fn default_empirical_null_min() -> usize {
    20
}

fn default_canary_limit() -> f64 {
    10.0
}

fn default_warning() -> Severity {
    Severity::Warning
}

impl Default for Config {
    fn default() -> Self {
        Config {
            schema: None,
            comment: None,
            gates: Vec::new(),
            fail_on_regression: true,
            regression_threshold_percent: default_regression_threshold_percent(),
            update_baseline_on_success: true,
            reporting: Reporting::default(),
            statistics: Statistics::default(),
            regressions: Vec::new(),
            github: GitHubSettings::default(),
            commands: Vec::new(),
            services: Vec::new(),
            history: HistorySettings::default(),
            measure: Measure::default(),
            slos: Slos::default(),
            metrics: BTreeMap::new(),
        }
    }
}

/// Errs, with the nearest name, when one of `names` is not among `known` (`what` they are).
fn check_names<'a>(names: &[String], known: impl Iterator<Item = &'a str> + Clone, what: &str) -> Result<(), String> {
    match names.iter().find(|name| !known.clone().any(|k| k == name.as_str())) {
        Some(name) => Err(no_such(what, name, known)),
        None => Ok(()),
    }
}

impl Slos {
    /// The environment named `name` (`None`: the default one, if any), or why there is none.
    pub fn environment(&self, name: Option<&str>) -> Result<Option<(&str, &SloEnvironment)>, String> {
        let Some(name) = name.or(self.default_environment.as_deref()) else { return Ok(None) };
        match self.environments.get_key_value(name) {
            Some((name, environment)) => Ok(Some((name.as_str(), environment))),
            None => Err(no_such("environment", name, self.environments.keys().map(String::as_str))),
        }
    }
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub problem: ConfigProblem,
}

/// What is wrong with a config file.
#[derive(Debug)]
pub enum ConfigProblem {
    Unreadable(std::io::Error),
    /// Not valid JSON, or a value of the wrong type; `at` is the JSON path.
    Syntax {
        at: String,
        line: usize,
        column: usize,
        message: String,
    },
    UnknownKey {
        at: String,
        key: String,
        suggestion: Option<String>,
        expected: Vec<String>,
    },
    Invalid {
        at: String,
        message: String,
    },
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigProblem::Unreadable(e) => write!(f, "cannot read the config file: {e}"),
            ConfigProblem::Syntax { at, line, column, message } => {
                write!(f, "line {line}, column {column}")?;
                if !at.is_empty() && at != "." {
                    write!(f, " (at `{at}`)")?;
                }
                write!(f, ": {message}")
            }
            ConfigProblem::UnknownKey { at, key, suggestion, expected } => {
                write!(f, "unknown key `{key}`")?;
                if !at.is_empty() {
                    write!(f, " in `{at}`")?;
                }
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None if expected.is_empty() => Ok(()),
                    None => write!(f, "; expected one of: {}", expected.join(", ")),
                }
            }
            ConfigProblem::Invalid { at, message } => write!(f, "`{at}`: {message}"),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError { path: path.to_owned(), problem: ConfigProblem::Unreadable(e) })?;
        Config::parse(&text).map_err(|problem| ConfigError { path: path.to_owned(), problem })
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> Result<Config, ConfigProblem> {
        // RFC 8259 lets a parser ignore a byte order mark; editors on Windows write one.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let start = text.trim_start();
        if !start.is_empty() && !start.starts_with('{') && !starts_comment(start) {
            let (line, column) = position_of(text, text.len() - start.len());
            return Err(ConfigProblem::Syntax {
                at: String::new(),
                line,
                column,
                message: format!("a config is one JSON object, `{{ ... }}`, not `{}`", snippet(start)),
            });
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let mut config: Config = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            describe_serde_error(at, &inner, text)
        })?;
        deserializer.end().map_err(|e| describe_serde_error(String::new(), &e, text))?;
        config.validate()?;
        let higher = config.higher_is_better();
        let commands = config.commands.iter_mut().filter_map(|c| c.import.as_mut());
        let scenarios = config.services.iter_mut().flat_map(|s| &mut s.scenarios).filter_map(|s| s.import.as_mut());
        for import in commands.chain(scenarios) {
            import.higher_is_better.clone_from(&higher);
        }
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigProblem> {
        let threshold = self.regression_threshold_percent;
        if !threshold.is_finite() || threshold < 0.0 {
            return Err(ConfigProblem::Invalid {
                at: "regression_threshold_percent".to_owned(),
                message: format!("must be a finite number >= 0, got {threshold}"),
            });
        }
        let statistics = &self.statistics;
        let invalid = |at: &str, message: String| ConfigProblem::Invalid { at: at.to_owned(), message };
        if !(statistics.alpha > 0.0 && statistics.alpha < 1.0) {
            return Err(invalid(
                "statistics.alpha",
                format!("must be between 0 and 1 (exclusive), got {}", statistics.alpha),
            ));
        }
        let exact = statistics.deterministic_threshold_percent;
        if !exact.is_finite() || exact < 0.0 {
            return Err(invalid(
                "statistics.deterministic_threshold_percent",
                format!("must be a finite number >= 0, got {exact}"),
            ));
        }
        let noise = statistics.noise_threshold_percent;
        if !noise.is_finite() || noise < 0.0 {
            return Err(invalid(
                "statistics.noise_threshold_percent",
                format!("must be a finite number >= 0, got {noise}"),
            ));
        }
        for (field, limit) in [
            ("canary_max_spread_percent", statistics.canary_max_spread_percent),
            ("canary_max_shift_percent", statistics.canary_max_shift_percent),
        ] {
            if !limit.is_finite() || limit <= 0.0 {
                return Err(invalid(
                    &format!("statistics.{field}"),
                    format!("must be a finite number > 0, got {limit}"),
                ));
            }
        }
        if !(2..=MAX_WINDOW).contains(&self.history.window) {
            return Err(invalid(
                "history.window",
                format!("must be 2 to {MAX_WINDOW} runs (a spread needs two), got {}", self.history.window),
            ));
        }
        if statistics.min_samples < 2 {
            return Err(invalid(
                "statistics.min_samples",
                format!("must be at least 2 (a t-test needs a variance), got {}", statistics.min_samples),
            ));
        }
        for (index, rule) in self.regressions.iter().enumerate() {
            let at = |field: &str| format!("regressions[{index}].{field}");
            if let Some(threshold) = rule.threshold_percent {
                if !threshold.is_finite() || threshold < 0.0 {
                    return Err(invalid(
                        &at("threshold_percent"),
                        format!("must be a finite number >= 0, got {threshold}"),
                    ));
                }
            }
            if rule.ignore && (rule.threshold_percent.is_some() || rule.severity.is_some()) {
                return Err(invalid(
                    &at("ignore"),
                    "an ignoring rule takes no threshold_percent or severity; remove them or the ignore".to_owned(),
                ));
            }
        }
        check_custom_metrics(&self.metrics)
            .map_err(|message| ConfigProblem::Invalid { at: "metrics".to_owned(), message })?;
        self.validate_commands()?;
        self.validate_services()?;
        let custom: Vec<String> = self.custom_metrics().into_iter().map(|(name, _)| name).collect();
        if self.github.artifact_name.trim().is_empty() {
            return Err(invalid("github.artifact_name", "must not be empty".to_owned()));
        }
        if self.github.baseline_workflow.as_deref().is_some_and(|w| w.trim().is_empty() || w.contains('@')) {
            return Err(invalid(
                "github.baseline_workflow",
                "must name a workflow file, e.g. perf-gate.yml or .github/workflows/perf-gate.yml (no @ref)".to_owned(),
            ));
        }
        for (index, gate) in self.gates.iter().enumerate() {
            let invalid = |field: &str, message: String| ConfigProblem::Invalid {
                at: format!("gates[{index}].{field}"),
                message,
            };
            if !gate.threshold.is_finite() {
                return Err(invalid("threshold", format!("must be a finite number, got {}", gate.threshold)));
            }
            gate.metric.check_known(&custom).map_err(|message| invalid("metric", message))?;
        }
        self.validate_slos()
    }

    /// The metrics the config declares: those its commands and services report themselves,
    /// and those of imported files (`metrics`).
    pub fn declared_metrics(&self) -> impl Iterator<Item = (&String, &CustomMetric)> {
        let scenarios = self.services.iter().flat_map(|s| &s.scenarios);
        let reported = self.commands.iter().flat_map(|c| &c.metrics).chain(scenarios.flat_map(|s| &s.metrics));
        reported.chain(&self.metrics)
    }

    /// The declared metrics whose larger values are better, for `import`'s formats that do not
    /// say.
    pub fn higher_is_better(&self) -> Vec<String> {
        self.declared_metrics()
            .filter(|(_, metric)| metric.better == Some(crate::model::Better::Higher))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The metrics the config's commands and services report themselves, with their direction.
    pub fn custom_metrics(&self) -> Vec<(String, Option<crate::model::Better>)> {
        self.declared_metrics().map(|(name, metric)| (name.clone(), metric.better)).collect()
    }

    fn validate_slos(&self) -> Result<(), ConfigProblem> {
        let slos = &self.slos;
        let invalid = |at: String, message: String| ConfigProblem::Invalid { at, message };
        let levels = &slos.levels;
        if !(levels.warning_percent.is_finite() && levels.warning_percent >= 0.0) {
            return Err(invalid(
                "slos.levels.warning_percent".to_owned(),
                format!("must be a finite number >= 0, got {}", levels.warning_percent),
            ));
        }
        if !(levels.critical_percent.is_finite() && levels.critical_percent > levels.warning_percent) {
            return Err(invalid(
                "slos.levels.critical_percent".to_owned(),
                format!(
                    "must be a finite number above warning_percent ({}), got {}",
                    levels.warning_percent, levels.critical_percent
                ),
            ));
        }
        if !(0.0..=100.0).contains(&slos.min_compliance_percent) {
            return Err(invalid(
                "slos.min_compliance_percent".to_owned(),
                format!("must be 0 to 100, got {}", slos.min_compliance_percent),
            ));
        }
        for (name, environment) in &slos.environments {
            let at = |field: &str| format!("slos.environments.{name}.{field}");
            if !(1.0..=100.0).contains(&environment.slack_factor) {
                return Err(invalid(
                    at("slack_factor"),
                    format!("must be 1 to 100 (a slack loosens the targets), got {}", environment.slack_factor),
                ));
            }
            let multiplier = environment.sample_size_multiplier;
            if !(multiplier > 0.0 && multiplier <= 10.0) {
                return Err(invalid(
                    at("sample_size_multiplier"),
                    format!("must be above 0, at most 10, got {multiplier}"),
                ));
            }
        }
        if let Some(default) = &slos.default_environment {
            slos.environment(Some(default))
                .map_err(|message| invalid("slos.default_environment".to_owned(), message))?;
        }
        let custom = self.custom_metrics();
        let custom_names: Vec<String> = custom.iter().map(|(name, _)| name.clone()).collect();
        for (name, category) in &slos.categories {
            let at = |field: &str| format!("slos.categories.{name}.{field}");
            if category.benchmarks.is_empty() && category.commands.is_empty() && category.services.is_empty() {
                return Err(invalid(
                    at("benchmarks"),
                    "a category covers no benchmark: give `benchmarks` (globs), `commands` or `services`".to_owned(),
                ));
            }
            let commands = self.commands.iter().map(|c| c.name.as_str());
            check_names(&category.commands, commands, "command").map_err(|m| invalid(at("commands"), m))?;
            let services = self.services.iter().map(|s| s.name.as_str());
            check_names(&category.services, services, "service").map_err(|m| invalid(at("services"), m))?;
            for objective in &category.objectives.0 {
                let at = at(&format!("objectives.{}", objective.metric));
                if !objective.metric.is_known(&custom_names) {
                    return Err(invalid(at, MetricName::unknown(&objective.metric.to_string(), &custom_names)));
                }
                if objective.metric.better(&custom).is_none() {
                    return Err(invalid(
                        at,
                        format!(
                            "`{}` has no direction: declare `\"better\": \"lower\"` or `\"higher\"` on the metric",
                            objective.metric
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_commands(&self) -> Result<(), ConfigProblem> {
        let mut names = std::collections::BTreeSet::new();
        for (index, command) in self.commands.iter().enumerate() {
            let invalid = |field: &str, message: String| ConfigProblem::Invalid {
                at: format!("commands[{index}].{field}"),
                message,
            };
            if command.name.trim().is_empty() || command.name.contains(char::is_whitespace) {
                return Err(invalid(
                    "name",
                    format!("`{}` is not a benchmark id: use letters, digits, `_`, `-`, `/`", command.name),
                ));
            }
            if !names.insert(command.name.as_str()) {
                return Err(invalid("name", format!("`{}` names two commands", command.name)));
            }
            if command.command.is_empty() || command.command[0].trim().is_empty() {
                return Err(invalid("command", "is empty: give the program and its arguments".to_owned()));
            }
            if command.shell && command.command.len() != 1 {
                return Err(invalid(
                    "command",
                    format!("with `shell`, give one element (the script for sh -c), not {}", command.command.len()),
                ));
            }
            if command.prepare.as_ref().is_some_and(|p| p.is_empty()) {
                return Err(invalid("prepare", "is empty: give a program and its arguments, or remove it".to_owned()));
            }
            if command.runs < 2 {
                return Err(invalid(
                    "runs",
                    format!("must be at least 2 (a spread needs two runs), got {}", command.runs),
                ));
            }
            for (field, runs) in [("runs", command.runs), ("max_runs", command.max_runs), ("warmup", command.warmup)] {
                at_most(runs, MAX_COMMAND_RUNS, RUNS_WHY).map_err(|message| invalid(field, message))?;
            }
            if command.max_runs < command.runs {
                return Err(invalid("max_runs", format!("{} is below runs ({})", command.max_runs, command.runs)));
            }
            within(command.min_time_s, Low::AtLeastZero, MAX_SECONDS, SECONDS_WHY)
                .map_err(|message| invalid("min_time_s", message))?;
            within(command.timeout_s, Low::AboveZero, MAX_SECONDS, SECONDS_WHY)
                .map_err(|message| invalid("timeout_s", message))?;
            check_custom_metrics(&command.metrics).map_err(|message| invalid("metrics", message))?;
            if let Some(import) = &command.import {
                check_command_import(command, import).map_err(|(field, message)| invalid(field, message))?;
            }
        }
        Ok(())
    }

    fn validate_services(&self) -> Result<(), ConfigProblem> {
        let mut names = std::collections::BTreeSet::new();
        for (index, service) in self.services.iter().enumerate() {
            let invalid = |field: String, message: String| ConfigProblem::Invalid {
                at: format!("services[{index}].{field}"),
                message,
            };
            let positive = |field: &str, value: f64| {
                (!value.is_finite() || value <= 0.0)
                    .then(|| invalid(field.to_owned(), format!("must be a finite number > 0, got {value}")))
            };
            let bounded = |field: &str, value: f64, low: Low, max: f64, why: &str| {
                within(value, low, max, why).map_err(|message| invalid(field.to_owned(), message))
            };
            if service.name.trim().is_empty()
                || service.name.contains(char::is_whitespace)
                || service.name.contains('/')
            {
                return Err(invalid(
                    "name".into(),
                    format!("`{}` is not a service name: use letters, digits, `_`, `-`", service.name),
                ));
            }
            if !names.insert(service.name.as_str()) || self.commands.iter().any(|c| c.name == service.name) {
                return Err(invalid("name".into(), format!("`{}` names two services or commands", service.name)));
            }
            if service.start.command.is_empty() || service.start.command[0].trim().is_empty() {
                return Err(invalid("start.command".into(), "is empty: give the program and its arguments".to_owned()));
            }
            let ready = &service.start.ready;
            if ready.http.is_none() == ready.tcp.is_none() {
                return Err(invalid(
                    "start.ready".into(),
                    "give exactly one of `http` (a URL answering 2xx) or `tcp` (host:port)".to_owned(),
                ));
            }
            if let Some(url) = &ready.http {
                check_http_url(url).map_err(|message| invalid("start.ready.http".into(), message))?;
            }
            bounded("start.ready.timeout_s", ready.timeout_s, Low::AboveZero, MAX_SECONDS, SECONDS_WHY)?;
            bounded("stop_grace_s", service.stop_grace_s, Low::AboveZero, MAX_SECONDS, SECONDS_WHY)?;
            if let Some(problem) = positive("rss_growth_limit_percent", service.rss_growth_limit_percent) {
                return Err(problem);
            }
            if service.scenarios.is_empty() {
                return Err(invalid("scenarios".into(), "is empty: give at least one scenario".to_owned()));
            }
            let mut scenario_names = std::collections::BTreeSet::new();
            for (at, scenario) in service.scenarios.iter().enumerate() {
                let field = |name: &str| format!("scenarios[{at}].{name}");
                if scenario.name.trim().is_empty()
                    || scenario.name.contains(char::is_whitespace)
                    || !scenario_names.insert(scenario.name.as_str())
                {
                    return Err(invalid(
                        field("name"),
                        format!("`{}` is empty, has spaces, or names two scenarios", scenario.name),
                    ));
                }
                if let Some(import) = &scenario.import {
                    check_scenario_import(scenario, import)
                        .map_err(|(name, message)| invalid(field(&name), message))?;
                    check_rounds(scenario.rounds).map_err(|message| invalid(field("rounds"), message))?;
                    continue;
                }
                let models = [scenario.rate_per_sec.is_some(), !scenario.stages.is_empty(), scenario.users.is_some()];
                if models.iter().filter(|m| **m).count() != 1 {
                    return Err(invalid(
                        field("rate_per_sec"),
                        "give exactly one of `rate_per_sec` (open), `stages` (open, ramping) or `users` (closed)"
                            .to_owned(),
                    ));
                }
                if let Some(rate) = scenario.rate_per_sec {
                    bounded(&field("rate_per_sec"), rate, Low::AboveZero, MAX_RATE_PER_SEC, RATE_WHY)?;
                }
                for (s, stage) in scenario.stages.iter().enumerate() {
                    let at = |name: &str| field(&format!("stages[{s}].{name}"));
                    bounded(&at("duration_s"), stage.duration_s, Low::AboveZero, MAX_SECONDS, SECONDS_WHY)?;
                    // A stage may ramp down to 0.
                    bounded(&at("rate_per_sec"), stage.rate_per_sec, Low::AtLeastZero, MAX_RATE_PER_SEC, RATE_WHY)?;
                }
                if let Some(users) = scenario.users {
                    if users == 0 {
                        return Err(invalid(field("users"), "must be at least 1".to_owned()));
                    }
                    at_most(users, MAX_CONNECTIONS, CONNECTIONS_WHY)
                        .map_err(|message| invalid(field("users"), message))?;
                }
                match (scenario.duration_s, scenario.stages.is_empty()) {
                    (None, true) => {
                        return Err(invalid(field("duration_s"), "is required: how long a round lasts".to_owned()))
                    }
                    (Some(seconds), _) => {
                        bounded(&field("duration_s"), seconds, Low::AboveZero, MAX_SECONDS, SECONDS_WHY)?;
                    }
                    (None, false) => {
                        let seconds: f64 = scenario.stages.iter().map(|s| s.duration_s).sum();
                        if seconds > MAX_SECONDS {
                            return Err(invalid(
                                field("stages"),
                                format!(
                                    "last {seconds} s in all, more than a round's {MAX_SECONDS} ({SECONDS_WHY}); shorten them, or give a shorter duration_s"
                                ),
                            ));
                        }
                    }
                }
                if let (Some(rate), Some(seconds)) = (scenario.rate_per_sec, scenario.duration_s) {
                    if rate * seconds < 1.0 {
                        return Err(invalid(
                            field("rate_per_sec"),
                            format!("{rate}/s for {seconds} s sends no request in a round; raise either"),
                        ));
                    }
                }
                bounded(&field("timeout_ms"), scenario.timeout_ms, Low::AboveZero, MAX_TIMEOUT_MS, TIMEOUT_WHY)?;
                bounded(&field("warmup_s"), scenario.warmup_s, Low::AtLeastZero, MAX_SECONDS, SECONDS_WHY)?;
                bounded(&field("ramp_up_s"), scenario.ramp_up_s, Low::AtLeastZero, MAX_SECONDS, SECONDS_WHY)?;
                bounded(
                    &field("think_time_ms"),
                    scenario.think_time_ms,
                    Low::AtLeastZero,
                    MAX_THINK_TIME_MS,
                    SECONDS_WHY,
                )?;
                check_rounds(scenario.rounds).map_err(|message| invalid(field("rounds"), message))?;
                if scenario.connections == 0 {
                    return Err(invalid(field("connections"), "must be at least 1".to_owned()));
                }
                at_most(scenario.connections, MAX_CONNECTIONS, CONNECTIONS_WHY)
                    .map_err(|message| invalid(field("connections"), message))?;
                if scenario.hook.as_ref().is_some_and(|h| h.is_empty() || h[0].trim().is_empty()) {
                    return Err(invalid(
                        field("hook"),
                        "is empty: give a program and its arguments, or remove it".to_owned(),
                    ));
                }
                check_custom_metrics(&scenario.metrics).map_err(|message| invalid(field("metrics"), message))?;
                if scenario.requests.is_empty() {
                    return Err(invalid(field("requests"), "is empty: give at least one request".to_owned()));
                }
                let mut authority = None;
                let mut weights = 0_u64;
                for (r, request) in scenario.requests.iter().enumerate() {
                    let at = field(&format!("requests[{r}]"));
                    let origin =
                        check_http_url(&request.url).map_err(|message| invalid(format!("{at}.url"), message))?;
                    if authority.get_or_insert_with(|| origin.clone()) != &origin {
                        return Err(invalid(
                            format!("{at}.url"),
                            format!(
                                "every request of a scenario goes to one origin ({}); split the scenario",
                                authority.unwrap_or_default()
                            ),
                        ));
                    }
                    if http::Method::from_bytes(request.method.as_bytes()).is_err() {
                        return Err(invalid(
                            format!("{at}.method"),
                            format!("`{}` is not an HTTP method", request.method),
                        ));
                    }
                    if request.weight == 0 {
                        return Err(invalid(
                            format!("{at}.weight"),
                            "must be at least 1 (remove the request to leave it out)".to_owned(),
                        ));
                    }
                    weights += u64::from(request.weight);
                    if weights > u64::from(MAX_MIX_WEIGHT) {
                        return Err(invalid(
                            format!("{at}.weight"),
                            format!(
                                "brings the scenario's weights to {weights}, more than {MAX_MIX_WEIGHT} ({MIX_WHY})"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The JSON Schema of this file, for editors.
    pub fn json_schema() -> serde_json::Value {
        let mut schema = serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default();
        add_operator_aliases(&mut schema);
        schema
    }
}

/// schemars lists an enum's canonical names only; the symbolic aliases are valid too.
fn add_operator_aliases(schema: &mut serde_json::Value) {
    let Some(operator) = schema.pointer_mut("/$defs/Operator") else { return };
    let symbols = ["<", "<=", ">", ">=", "==", "!="];
    if let Some(names) = operator.get_mut("enum").and_then(|e| e.as_array_mut()) {
        names.extend(symbols.iter().map(|s| serde_json::Value::from(*s)));
    } else if let Some(variants) = operator.get_mut("oneOf").and_then(|e| e.as_array_mut()) {
        variants.push(serde_json::json!({"description": "Symbolic spelling of an operator.", "enum": symbols}));
    }
}

/// The line and column (1-based, in characters) of byte `offset` of `text`.
fn position_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The start of `text`, for a message.
fn snippet(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let cut: String = line.chars().take(24).collect();
    if cut.len() < line.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

fn starts_comment(text: &str) -> bool {
    text.starts_with("//") || text.starts_with("/*")
}

/// What the text holds at serde_json's 1-based `line` and `column` (a byte column).
fn text_at(text: &str, line: usize, column: usize) -> &str {
    let Some(row) = text.split('\n').nth(line.saturating_sub(1)) else { return "" };
    let start = column.saturating_sub(1).min(row.len());
    row.get(start..).unwrap_or("").trim_start()
}

fn describe_serde_error(at: String, error: &serde_json::Error, text: &str) -> ConfigProblem {
    // serde_path_to_error names a position it cannot place `?` (after a trailing comma, say).
    let at = at.split('.').filter(|segment| *segment != "?").collect::<Vec<_>>().join(".");
    let found = text_at(text, error.line(), error.column());
    if starts_comment(found) {
        return ConfigProblem::Syntax {
            at,
            line: error.line(),
            column: error.column(),
            message: "JSON has no comments: write notes in a `\"$comment\"` key (the top level, each gate and each regression rule take one)".to_owned(),
        };
    }
    let message = error.to_string();
    if let Some(unknown) = parse_unknown_field(&message) {
        let suggestion = closest(&unknown.key, unknown.expected.iter().map(String::as_str));
        let at = at.rsplit_once('.').map(|(parent, _)| parent.to_owned()).unwrap_or_default();
        return ConfigProblem::UnknownKey { at, key: unknown.key, suggestion, expected: unknown.expected };
    }
    // serde_json appends " at line L column C" to the message; keep the position separately.
    let message = match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message,
    };
    let message = improve_variant_message(message);
    // serde_json says no more than this when a name (an operator, a severity, a choice) is
    // given as a number, a list or an object.
    let message = if message == "expected value" && !at.is_empty() && !found.starts_with(['}', ']', ',']) {
        let token: String = found.chars().take_while(|c| !matches!(c, ',' | '}' | ']' | '\n')).collect();
        format!("expected a name in quotes here, found `{}`", snippet(token.trim_end()))
    } else {
        message
    };
    ConfigProblem::Syntax { at, line: error.line(), column: error.column(), message }
}

/// Turns serde's variant list into a reader's list that includes the symbolic aliases.
fn improve_variant_message(message: String) -> String {
    if message.starts_with("unknown variant") && message.contains("`LessThan`") {
        format!(
            "{}: use one of LessThan, LessThanOrEqual, GreaterThan, GreaterThanOrEqual, Equal, NotEqual (or <, <=, >, >=, ==, !=)",
            message.split(',').next().unwrap_or(&message)
        )
    } else if message.starts_with("unknown variant") && message.contains("`Blocking`") {
        format!("{}: use Blocking or Warning", message.split(',').next().unwrap_or(&message))
    } else {
        message
    }
}

struct UnknownField {
    key: String,
    expected: Vec<String>,
}

/// Reads serde's `unknown field `x`, expected one of `a`, `b`` message. serde has printed this
/// shape since 1.0; should it change, the error still shows serde's own text.
fn parse_unknown_field(message: &str) -> Option<UnknownField> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_owned).collect();
    Some(UnknownField { key: key.to_owned(), expected })
}

/// The file `config init` writes: a working config whose `$comment`s explain each part.
pub fn starter_config() -> String {
    let starter = serde_json::json!({
        "$comment": [
            "cargo perf-gate configuration. Check it with `cargo perf-gate config validate`;",
            "`cargo perf-gate config schema > benchmark-config.schema.json` and a \"$schema\" key give editor completion.",
            "Reference: the README's Configuration section."
        ],
        "gates": [
            {
                "$comment": [
                    "A gate is `metric operator threshold`. The metric is `<benchmark id>.<metric name>`;",
                    "the id may be a glob (`*` within one `/` segment, `**` across segments).",
                    "Metric names carry their unit: mean_ns, median_us, p95_ms, throughput_bytes_per_sec, ...",
                    "Blocking gates fail the run (exit 1); Warning gates only report."
                ],
                "name": "Every benchmark under one second",
                "metric": "**.mean_ms",
                "operator": "LessThan",
                "threshold": 1000.0,
                "severity": "Warning"
            }
        ],
        "fail_on_regression": true,
        "regression_threshold_percent": 5.0,
        "update_baseline_on_success": true,
        "reporting": {"json": true, "html": true, "markdown": true}
    });
    let mut text = serde_json::to_string_pretty(&starter).unwrap_or_default();
    text.push('\n');
    text
}

/// Custom metric names: snake_case and not a built-in name.
fn check_custom_metrics(metrics: &std::collections::BTreeMap<String, CustomMetric>) -> Result<(), String> {
    for name in metrics.keys() {
        let snake = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(format!("`{name}` is not a metric name: use snake_case, e.g. tokens_per_sec"));
        }
        if MetricName::parse(name, &[]).is_some() || name == crate::model::TIME_METRIC {
            return Err(format!("`{name}` is a built-in metric; give yours another name"));
        }
    }
    Ok(())
}

/// Checks an `http://` or `https://` URL (placeholders allowed) and returns its origin.
fn check_http_url(url: &str) -> Result<String, String> {
    let probe = url.replace("{port}", "1");
    let uri: http::Uri = probe.parse().map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(_)) => Ok(url.split('/').take(3).collect::<Vec<_>>().join("/")),
        _ => {
            Err(format!("`{url}` is not an http:// or https:// URL with a host, e.g. http://127.0.0.1:{{port}}/health"))
        }
    }
}

/// Why a rate is bounded, for the error message.
const RATE_WHY: &str = "the most one load generator can send on loopback; more is most likely a typo";
/// Why a time is bounded.
const SECONDS_WHY: &str = "24 hours; longer is most likely a unit mistake";
/// Why a request timeout is bounded.
const TIMEOUT_WHY: &str = "1 hour, the longest latency perf-gate records";
/// Why connections and users are bounded.
const CONNECTIONS_WHY: &str = "each is an open socket and a task; mind `ulimit -n` too";
/// Why rounds are bounded.
const ROUNDS_WHY: &str = "rounds are the samples compared; more add time, not power";
/// Why the mix's weights are bounded.
const MIX_WHY: &str = "the mix keeps one entry per unit of weight; divide the weights by a common factor";
/// Why a command's runs are bounded.
const RUNS_WHY: &str = "each run is a process started and its numbers kept";

/// The lower end of a number's range.
#[derive(Clone, Copy)]
enum Low {
    AboveZero,
    AtLeastZero,
}

/// A finite number above (or at) zero and at most `max`; the error names the bound and `why`.
fn within(value: f64, low: Low, max: f64, why: &str) -> Result<(), String> {
    let (above_low, relation) = match low {
        Low::AboveZero => (value > 0.0, "> 0"),
        Low::AtLeastZero => (value >= 0.0, ">= 0"),
    };
    if value.is_finite() && above_low && value <= max {
        Ok(())
    } else {
        Err(format!("must be a finite number {relation} and at most {max} ({why}), got {value}"))
    }
}

/// A count at most `max`; the error names the bound and `why`.
fn at_most(value: usize, max: usize, why: &str) -> Result<(), String> {
    if value <= max {
        Ok(())
    } else {
        Err(format!("must be at most {max} ({why}), got {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn terraphim_shape_parses_as_is() {
        let config = Config::parse(
            r#"{
              "gates": [
                {"name": "API Response Time", "metric": "search_api.mean_ms", "operator": "LessThan",
                 "threshold": 1000.0, "severity": "Blocking"}
              ],
              "fail_on_regression": true,
              "regression_threshold_percent": 5.0,
              "update_baseline_on_success": true,
              "reporting": {"json": true, "html": true, "markdown": true}
            }"#,
        )
        .unwrap();
        assert_eq!(config.gates.len(), 1);
        assert_eq!(config.gates[0].operator, Operator::LessThan);
        assert_eq!(config.gates[0].severity, Severity::Blocking);
        assert_eq!(config.regression_threshold_percent, 5.0);
    }

    #[test]
    fn empty_object_means_defaults() {
        assert_eq!(Config::parse("{}").unwrap(), Config::default());
    }

    #[test]
    fn symbolic_operators_are_aliases() {
        for (symbol, operator) in [
            ("<", Operator::LessThan),
            ("<=", Operator::LessThanOrEqual),
            (">", Operator::GreaterThan),
            (">=", Operator::GreaterThanOrEqual),
            ("==", Operator::Equal),
            ("!=", Operator::NotEqual),
        ] {
            let text = format!(r#"{{"gates":[{{"metric":"a.mean_ns","operator":"{symbol}","threshold":1}}]}}"#);
            assert_eq!(Config::parse(&text).unwrap().gates[0].operator, operator, "{symbol}");
        }
    }

    #[test]
    fn unknown_keys_get_a_suggestion_and_a_location() {
        let message = problem(r#"{"gates":[{"metric":"a.mean_ns","operator":"<","treshold":1}]}"#);
        assert_eq!(message, "unknown key `treshold` in `gates[0]`; did you mean `threshold`?");
        let message = problem(r#"{"fail_on_regresion": false}"#);
        assert_eq!(message, "unknown key `fail_on_regresion`; did you mean `fail_on_regression`?");
        let message = problem(r#"{"reporting": {"pdf": true}}"#);
        assert!(
            message.starts_with("unknown key `pdf` in `reporting`; expected one of: json, html, markdown"),
            "{message}"
        );
    }

    #[test]
    fn wrong_values_name_the_field() {
        let message = problem(r#"{"gates":[{"metric":"a.mean_ns","operator":"Below","threshold":1}]}"#);
        assert!(message.contains("gates[0].operator"), "{message}");
        assert!(message.contains("use one of LessThan"), "{message}");
        let message = problem(r#"{"gates":[{"metric":"a.mean_ns","operator":"<","threshold":"1"}]}"#);
        assert!(message.contains("gates[0].threshold"), "{message}");
        let message = problem(r#"{"gates":[{"metric":"a.mean_ns","operator":"<","threshold":1,"severity":"Fatal"}]}"#);
        assert!(message.contains("use Blocking or Warning"), "{message}");
    }

    #[test]
    fn slos_are_validated_with_the_field_named() {
        let slos = |body: &str| {
            problem(&format!(
                r#"{{"commands": [{{"name": "generate", "command": ["true"], "metrics": {{"tokens": {{"unit": "t"}}}}}}],
                    "slos": {body}}}"#
            ))
        };
        let cases = [
            (
                r#"{"categories": {"a": {"commands": ["generat"], "objectives": {"p95_ms": 1}}}}"#,
                "slos.categories.a.commands`: no command named `generat`; did you mean `generate`?",
            ),
            (r#"{"categories": {"a": {"services": ["api"], "objectives": {"p95_ms": 1}}}}"#, "no service named `api`"),
            (
                r#"{"categories": {"a": {"benchmarks": ["x"], "objectives": {"p95_mss": 1}}}}"#,
                "slos.categories.a.objectives.p95_mss`: unknown metric name `p95_mss`; did you mean `p95_ms`?",
            ),
            (
                r#"{"categories": {"a": {"commands": ["generate"], "objectives": {"tokens": 1}}}}"#,
                "`tokens` has no direction: declare `\"better\"",
            ),
            (r#"{"categories": {"a": {"benchmarks": ["x"], "objectives": {}}}}"#, "at least one objective"),
            (
                r#"{"categories": {"a": {"benchmarks": ["x"], "objectives": {"p95_ms": 0}}}}"#,
                "must be a finite number > 0",
            ),
            (
                r#"{"categories": {"a": {"benchmarks": ["x"], "objectives": {"wall_ms": 1, "mean_ms": 2}}}}"#,
                "name the same metric",
            ),
            (r#"{"categories": {"a": {"objectives": {"p95_ms": 1}}}}"#, "a category covers no benchmark"),
            (r#"{"categories": {"a": {"benchmarks": ["x["], "objectives": {"p95_ms": 1}}}}"#, "not a valid glob"),
            (
                r#"{"environments": {"dev": {"slack_factor": 0.5}}}"#,
                "slos.environments.dev.slack_factor`: must be 1 to 100",
            ),
            (r#"{"environments": {"dev": {"sample_size_multiplier": 0}}}"#, "sample_size_multiplier`: must be above 0"),
            (
                r#"{"environments": {"dev": {}}, "default_environment": "prod"}"#,
                "slos.default_environment`: no environment named `prod`",
            ),
            (r#"{"levels": {"warning_percent": 30, "critical_percent": 25}}"#, "above warning_percent (30)"),
            (r#"{"min_compliance_percent": 101}"#, "slos.min_compliance_percent`: must be 0 to 100"),
            (r#"{"categorys": {}}"#, "unknown key `categorys` in `slos`; did you mean `categories`?"),
        ];
        for (body, expected) in cases {
            let message = slos(body);
            assert!(message.contains(expected), "{body}: {message}");
        }
        let config = Config::parse(
            r#"{"slos": {"categories": {"interactive": {"benchmarks": ["api/*"], "objectives": {"p95_ms": 2500}}},
                         "environments": {"ci": {"slack_factor": 1.5}}, "default_environment": "ci"}}"#,
        )
        .unwrap();
        assert_eq!(config.slos.categories["interactive"].objectives.0[0].target, 2500.0);
        // Written back as it was read.
        let again = Config::parse(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn non_finite_thresholds_are_refused() {
        let message = problem(r#"{"gates":[{"metric":"a.mean_ns","operator":"<","threshold":1e999}]}"#);
        assert!(message.contains("gates[0].threshold") || message.contains("number out of range"), "{message}");
        let message = problem(r#"{"regression_threshold_percent": -1}"#);
        assert!(message.contains("regression_threshold_percent"), "{message}");
    }

    #[test]
    fn syntax_errors_give_the_position() {
        let message = problem("{\n  \"gates\": [,]\n}");
        assert!(message.starts_with("line 2, column"), "{message}");
        let message = problem("{} {}");
        assert!(message.contains("trailing characters"), "{message}");
    }

    #[test]
    fn imports_are_validated_with_the_field_named() {
        let command = |import: &str, fields: &str| {
            problem(&format!(r#"{{"commands": [{{"name": "c", "command": ["k6"], "import": {import}{fields}}}]}}"#))
        };
        let ok = r#"{"commands": [{"name": "c", "command": ["hyperfine"], "import": {"format": "hyperfine", "path": "out.json"}}]}"#;
        let config = Config::parse(ok).unwrap();
        assert_eq!(config.commands[0].import.as_ref().map(|i| i.format), Some(crate::import::Format::Hyperfine));
        assert!(command(r#"{"path": "s.json", "format": "k7"}"#, "").contains("commands[0].import.format"));
        assert!(command(r#"{"path": ""}"#, "").contains("`commands[0].import.path`: is empty"));
        assert!(command(r#"{"path": "s.json", "command": ["k6"]}"#, "")
            .contains("`commands[0].import.command`: a command benchmark runs its own"));
        assert!(command(r#"{"path": "s.json"}"#, r#", "runs": 20"#)
            .contains("`commands[0].runs`: does not apply with `import`"));
        assert!(command(r#"{"path": "s.json", "paht": 1}"#, "").contains("did you mean `path`"));
        let parse = |fields: &str| {
            Config::parse(&format!(
                r#"{{"services": [{{"name": "s", "start": {{"command": ["srv"], "ready": {{"tcp": "127.0.0.1:1"}}}},
                    "scenarios": [{{"name": "load"{fields}}}]}}]}}"#
            ))
        };
        let scenario = |fields: &str| parse(fields).unwrap_err().to_string();
        let good = r#", "import": {"format": "oha", "path": "o.json", "command": ["oha", "--output-format", "json", "-o", "o.json", "http://127.0.0.1:{port}/"]}"#;
        assert!(parse(good).is_ok(), "no load model, no requests: {:?}", parse(good).err());
        assert!(scenario(r#", "import": {"path": "o.json"}"#)
            .contains("`services[0].scenarios[0].import.command`: is required"));
        assert!(scenario(&format!("{good}, \"users\": 4"))
            .contains("`services[0].scenarios[0].users`: does not apply with `import`"));
        assert!(scenario(&format!("{good}, \"rounds\": 1"))
            .contains("`services[0].scenarios[0].rounds`: must be at least 2"));
        assert!(scenario(r#", "import": {"path": "o.json", "command": ["oha"], "timeout_s": 0}"#)
            .contains("import.timeout_s"));
        assert!(scenario("").contains("give exactly one of `rate_per_sec`"), "without import the load model is needed");
    }

    #[test]
    fn commands_are_validated_with_the_field_named() {
        let command =
            |fields: &str| problem(&format!(r#"{{"commands": [{{"name": "c", "command": ["true"]{fields}}}]}}"#));
        assert!(command(r#", "runs": 1"#).contains("`commands[0].runs`: must be at least 2"));
        let two_scripts = problem(r#"{"commands": [{"name": "c", "shell": true, "command": ["a", "b"]}]}"#);
        assert!(two_scripts.contains("with `shell`, give one element"), "{two_scripts}");
        assert!(command(r#", "max_runs": 3"#).contains("`commands[0].max_runs`: 3 is below runs (10)"));
        assert!(command(r#", "timeout_s": 0"#).contains("`commands[0].timeout_s`"));
        assert!(command(r#", "prepare": []"#).contains("`commands[0].prepare`: is empty"));
        assert!(command(r#", "metrics": {"Tokens": {}}"#).contains("not a metric name"));
        assert!(command(r#", "metrics": {"user_ms": {}}"#).contains("is a built-in metric"));
        assert!(command(r#", "runz": 3"#).contains("did you mean `runs`"));
        let twice =
            problem(r#"{"commands": [{"name": "c", "command": ["true"]}, {"name": "c", "command": ["false"]}]}"#);
        assert!(twice.contains("`commands[1].name`: `c` names two commands"), "{twice}");
        let empty = problem(r#"{"commands": [{"name": "c", "command": []}]}"#);
        assert!(empty.contains("`commands[0].command`: is empty"), "{empty}");
        let config = Config::parse(
            r#"{"commands": [{"name": "c", "command": ["true"], "metrics": {"tokens_per_sec": {"unit": "tokens/s", "better": "higher"}}}],
                "gates": [{"metric": "c.tokens_per_sec", "operator": ">", "threshold": 1}, {"metric": "c.wall_ms", "operator": "<", "threshold": 5}]}"#,
        )
        .unwrap();
        assert_eq!((config.commands[0].runs, config.commands[0].warmup, config.commands[0].min_time_s), (10, 1, 3.0));
    }

    #[test]
    fn services_are_validated_with_the_field_named() {
        let scenario = |fields: &str| {
            problem(&format!(
                r#"{{"services": [{{"name": "api", "start": {{"command": ["srv"], "ready": {{"tcp": "127.0.0.1:1"}}}},
                    "scenarios": [{{"name": "s", "requests": [{{"url": "http://127.0.0.1:1/"}}]{fields}}}]}}]}}"#
            ))
        };
        assert!(scenario(r#", "duration_s": 1"#).contains("give exactly one of `rate_per_sec`"));
        assert!(scenario(r#", "duration_s": 1, "rate_per_sec": 5, "users": 2"#).contains("give exactly one"));
        assert!(scenario(r#", "rate_per_sec": 5"#).contains("`services[0].scenarios[0].duration_s`: is required"));
        assert!(scenario(r#", "duration_s": 1, "rate_per_sec": 0.5"#).contains("sends no request in a round"));
        assert!(scenario(r#", "duration_s": 1, "users": 2, "rounds": 1"#).contains("rounds`: must be at least 2"));
        assert!(scenario(r#", "duration_s": 1, "users": 2, "hook": []"#).contains("hook`: is empty"));
        assert!(
            scenario(r#", "duration_s": 1, "users": 2, "metrics": {"p99_ms": {}}"#).contains("is a built-in metric")
        );
        let two_origins = problem(
            r#"{"services": [{"name": "api", "start": {"command": ["srv"], "ready": {"tcp": "127.0.0.1:1"}},
                "scenarios": [{"name": "s", "users": 1, "duration_s": 1,
                  "requests": [{"url": "http://127.0.0.1:1/"}, {"url": "http://127.0.0.1:2/"}]}]}]}"#,
        );
        assert!(two_origins.contains("every request of a scenario goes to one origin"), "{two_origins}");
        let both_ready = problem(
            r#"{"services": [{"name": "api", "start": {"command": ["srv"], "ready": {"tcp": "a:1", "http": "http://a/"}},
                "scenarios": [{"name": "s", "users": 1, "duration_s": 1, "requests": [{"url": "http://a/"}]}]}]}"#,
        );
        assert!(both_ready.contains("give exactly one of `http`"), "{both_ready}");
        let ramp = Config::parse(
            r#"{"services": [{"name": "api", "start": {"command": ["srv"], "ready": {"http": "https://127.0.0.1:{port}/health"}},
                "scenarios": [{"name": "s", "stages": [{"duration_s": 2, "rate_per_sec": 50}], "requests": [{"url": "https://127.0.0.1:{port}/"}]}]}],
                "gates": [{"metric": "api/s.p99_ms", "operator": "<", "threshold": 10}]}"#,
        )
        .unwrap();
        assert_eq!(ramp.services[0].scenarios[0].rounds, 5);
    }

    #[test]
    fn numbers_that_size_a_run_are_bounded_with_the_field_the_limit_and_why() {
        let service = |scenario: &str, service: &str| {
            format!(
                r#"{{"services": [{{"name": "api", "start": {{"command": ["srv"], "ready": {{"tcp": "127.0.0.1:1"}}}}{service},
                    "scenarios": [{{"name": "a", "users": 1, "duration_s": 1, "requests": [{{"url": "http://127.0.0.1:1/"}}]}},
                                  {{"name": "s", "requests": [{{"url": "http://127.0.0.1:1/"}}]{scenario}}}]}}]}}"#
            )
        };
        let scenario = |fields: &str| problem(&service(fields, ""));
        let rate = scenario(r#", "duration_s": 1, "rate_per_sec": 1e12"#);
        assert_eq!(
            rate,
            "`services[0].scenarios[1].rate_per_sec`: must be a finite number > 0 and at most 1000000 (the most one load generator can send on loopback; more is most likely a typo), got 1000000000000"
        );
        for (fields, expected) in [
            (r#", "duration_s": 1, "rate_per_sec": -5"#, "scenarios[1].rate_per_sec`: must be a finite number > 0"),
            (r#", "duration_s": 86401, "rate_per_sec": 5"#, "scenarios[1].duration_s`: must be a finite number > 0 and at most 86400 (24 hours"),
            (r#", "stages": [{"duration_s": 1, "rate_per_sec": 2e6}]"#, "scenarios[1].stages[0].rate_per_sec`: must be a finite number >= 0 and at most 1000000"),
            (r#", "stages": [{"duration_s": 1e9, "rate_per_sec": 5}]"#, "scenarios[1].stages[0].duration_s`: must be a finite number > 0 and at most 86400"),
            (r#", "stages": [{"duration_s": 50000, "rate_per_sec": 5}, {"duration_s": 50000, "rate_per_sec": 5}]"#, "scenarios[1].stages`: last 100000 s in all, more than a round's 86400"),
            (r#", "duration_s": 1, "rate_per_sec": 5, "warmup_s": 1e7"#, "scenarios[1].warmup_s`: must be a finite number >= 0 and at most 86400"),
            (r#", "duration_s": 1, "rate_per_sec": 5, "timeout_ms": 1e30"#, "scenarios[1].timeout_ms`: must be a finite number > 0 and at most 3600000 (1 hour, the longest latency"),
            (r#", "duration_s": 1, "rate_per_sec": 5, "connections": 10001"#, "scenarios[1].connections`: must be at most 10000 (each is an open socket"),
            (r#", "duration_s": 1, "rate_per_sec": 5, "rounds": 1001"#, "scenarios[1].rounds`: must be at most 1000 (rounds are the samples compared"),
            (r#", "duration_s": 1, "users": 1000000"#, "scenarios[1].users`: must be at most 10000"),
            (r#", "duration_s": 1, "users": 2, "ramp_up_s": 1e20"#, "scenarios[1].ramp_up_s`: must be a finite number >= 0 and at most 86400"),
            (r#", "duration_s": 1, "users": 2, "think_time_ms": 1e20"#, "scenarios[1].think_time_ms`: must be a finite number >= 0 and at most 86400000"),
        ] {
            let message = scenario(fields);
            assert!(message.contains(expected), "{fields}: {message}");
        }
        let heavy = problem(&service("", "").replace(
            r#""requests": [{"url": "http://127.0.0.1:1/"}]}]"#,
            r#""requests": [{"url": "http://127.0.0.1:1/", "weight": 6000}, {"url": "http://127.0.0.1:1/b", "weight": 4001}], "users": 1, "duration_s": 1}]"#,
        ));
        assert!(
            heavy.contains("`services[0].scenarios[1].requests[1].weight`: brings the scenario's weights to 10001, more than 10000 (the mix keeps one entry per unit of weight"),
            "{heavy}"
        );
        let grace = problem(&service("", r#", "stop_grace_s": 1e300"#));
        assert!(grace.contains("`services[0].stop_grace_s`: must be a finite number > 0 and at most 86400"), "{grace}");
        let ready = problem(
            &service("", "").replace(r#""tcp": "127.0.0.1:1"}"#, r#""tcp": "127.0.0.1:1", "timeout_s": 1e20}"#),
        );
        assert!(
            ready.contains("`services[0].start.ready.timeout_s`: must be a finite number > 0 and at most"),
            "{ready}"
        );
        // At the bounds, everything loads.
        let most = service(
            r#", "rate_per_sec": 1e6, "duration_s": 86400, "warmup_s": 86400, "timeout_ms": 3600000, "connections": 10000, "rounds": 1000"#,
            r#", "stop_grace_s": 86400"#,
        );
        Config::parse(&most).unwrap();
        let command =
            |fields: &str| problem(&format!(r#"{{"commands": [{{"name": "c", "command": ["true"]{fields}}}]}}"#));
        for (fields, expected) in [
            (
                r#", "runs": 100001, "max_runs": 100001"#,
                "`commands[0].runs`: must be at most 100000 (each run is a process",
            ),
            (r#", "runs": 200000"#, "`commands[0].runs`: must be at most 100000"),
            (r#", "max_runs": 1e6"#, "commands[0].max_runs"),
            (r#", "max_runs": 1000000"#, "`commands[0].max_runs`: must be at most 100000"),
            (r#", "warmup": 1000000"#, "`commands[0].warmup`: must be at most 100000"),
            (r#", "min_time_s": 1e20"#, "`commands[0].min_time_s`: must be a finite number >= 0 and at most 86400"),
            (r#", "timeout_s": 1e300"#, "`commands[0].timeout_s`: must be a finite number > 0 and at most 86400"),
        ] {
            let message = command(fields);
            assert!(message.contains(expected), "{fields}: {message}");
        }
    }

    #[test]
    fn the_schema_carries_the_bounds() {
        let schema = Config::json_schema();
        let scenario = &schema["$defs"]["Scenario"]["properties"];
        assert_eq!(scenario["rate_per_sec"]["maximum"], serde_json::json!(MAX_RATE_PER_SEC));
        assert_eq!(scenario["rate_per_sec"]["exclusiveMinimum"], serde_json::json!(0));
        assert_eq!(scenario["connections"]["maximum"], serde_json::json!(MAX_CONNECTIONS));
        assert_eq!(scenario["connections"]["minimum"], serde_json::json!(1));
        assert_eq!(scenario["users"]["maximum"], serde_json::json!(MAX_CONNECTIONS));
        assert_eq!(scenario["rounds"]["maximum"], serde_json::json!(MAX_ROUNDS));
        assert_eq!(scenario["duration_s"]["maximum"], serde_json::json!(MAX_SECONDS));
        assert_eq!(scenario["timeout_ms"]["maximum"], serde_json::json!(MAX_TIMEOUT_MS));
        let stage = &schema["$defs"]["Stage"]["properties"];
        assert_eq!(stage["rate_per_sec"]["maximum"], serde_json::json!(MAX_RATE_PER_SEC));
        assert_eq!(
            schema["$defs"]["RequestSpec"]["properties"]["weight"]["maximum"],
            serde_json::json!(MAX_MIX_WEIGHT)
        );
        assert_eq!(
            schema["$defs"]["CommandBench"]["properties"]["max_runs"]["maximum"],
            serde_json::json!(MAX_COMMAND_RUNS)
        );
        assert!(scenario["rate_per_sec"]["description"].as_str().unwrap().contains("at most 1000000"));
    }

    #[test]
    fn metric_typos_are_caught_when_loading() {
        let message = problem(r#"{"gates":[{"metric":"a.mean_nss","operator":"<","threshold":1}]}"#);
        assert!(message.contains("gates[0].metric"), "{message}");
        assert!(message.contains("mean_ns"), "{message}");
    }

    #[test]
    fn statistics_and_rules_are_validated() {
        let config = Config::parse(
            r#"{"statistics": {"alpha": 0.01, "correction": "bh", "test": "welch", "min_samples": 10},
                "regressions": [{"benchmarks": "encode_*", "metrics": "time", "threshold_percent": 10, "severity": "Warning"}]}"#,
        )
        .unwrap();
        assert_eq!(config.statistics.correction, Correction::Bh);
        assert_eq!(config.statistics.test, TestKind::Welch);
        assert_eq!(config.regressions[0].severity, Some(Severity::Warning));
        for (text, expected) in [
            (r#"{"statistics": {"alpha": 1.5}}"#, "statistics.alpha"),
            (r#"{"statistics": {"alpha": 0}}"#, "statistics.alpha"),
            (r#"{"statistics": {"noise_threshold_percent": -1}}"#, "statistics.noise_threshold_percent"),
            (r#"{"statistics": {"min_samples": 1}}"#, "statistics.min_samples"),
            (r#"{"history": {"window": 1}}"#, "history.window"),
            (r#"{"statistics": {"correction": "bonferroni"}}"#, "statistics.correction"),
            (r#"{"statistics": {"alfa": 0.1}}"#, "did you mean `alpha`"),
            (r#"{"regressions": [{"benchmarks": "a[", "threshold_percent": 1}]}"#, "regressions[0].benchmarks"),
            (r#"{"regressions": [{"benchmarks": "a", "metrics": "{x"}]}"#, "regressions[0].metrics"),
            (r#"{"regressions": [{"benchmarks": "a", "threshold_percent": -2}]}"#, "regressions[0].threshold_percent"),
            (
                r#"{"regressions": [{"benchmarks": "a", "ignore": true, "severity": "Warning"}]}"#,
                "regressions[0].ignore",
            ),
            (r#"{"regressions": [{"metrics": "time"}]}"#, "benchmarks"),
        ] {
            let message = problem(text);
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn starter_config_is_valid() {
        let config = Config::parse(&starter_config()).unwrap();
        assert_eq!(config.gates.len(), 1);
    }

    #[test]
    fn schema_lists_every_key_and_the_operator_aliases() {
        let schema = Config::json_schema();
        let properties = schema["properties"].as_object().unwrap();
        for key in [
            "gates",
            "fail_on_regression",
            "regression_threshold_percent",
            "update_baseline_on_success",
            "reporting",
            "history",
        ] {
            assert!(properties.contains_key(key), "{key}");
        }
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));
        let text = schema.to_string();
        assert!(text.contains("\"<=\""), "{text}");
    }
}
