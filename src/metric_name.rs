//! Metric names and metric paths as gates and objectives write them: `median_us`,
//! `throughput_bytes_per_sec`, `p99_ms`, and `<benchmark id>.<metric name>`. Parsed once where
//! the config is read; evaluation only reads values. A leaf module but for the model it reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::matching::{closest, written_as_string, Glob};
use crate::model::{Benchmark, Better, Metric, ThroughputUnit, THROUGHPUT_METRIC, TIME_METRIC};

/// A summary statistic a metric name can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Mean,
    Median,
    StdDev,
    Min,
    Max,
    P95,
}

impl Statistic {
    const ALL: [Statistic; 6] =
        [Statistic::Mean, Statistic::Median, Statistic::StdDev, Statistic::Min, Statistic::Max, Statistic::P95];

    fn name(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::Median => "median",
            Statistic::StdDev => "std_dev",
            Statistic::Min => "min",
            Statistic::Max => "max",
            Statistic::P95 => "p95",
        }
    }

    fn of(self, metric: &Metric) -> f64 {
        let s = &metric.summary;
        match self {
            Statistic::Mean => s.mean,
            Statistic::Median => s.median,
            Statistic::StdDev => s.std_dev,
            Statistic::Min => s.min,
            Statistic::Max => s.max,
            Statistic::P95 => s.p95,
        }
    }
}

/// A time unit a metric name can carry, with its size in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Ns,
    Us,
    Ms,
    S,
}

impl TimeUnit {
    const ALL: [TimeUnit; 4] = [TimeUnit::Ns, TimeUnit::Us, TimeUnit::Ms, TimeUnit::S];

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Ns => "ns",
            TimeUnit::Us => "us",
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
        }
    }

    pub fn nanoseconds(self) -> f64 {
        match self {
            TimeUnit::Ns => 1.0,
            TimeUnit::Us => 1e3,
            TimeUnit::Ms => 1e6,
            TimeUnit::S => 1e9,
        }
    }
}

/// A metric name from a gate, e.g. `median_us`, `throughput_bytes_per_sec` or `peak_rss_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricName {
    /// A statistic of the time per iteration (per run, for a command), converted to a unit.
    Time(Statistic, TimeUnit),
    /// Mean throughput of the samples, in units per second.
    Throughput(ThroughputUnit),
    /// A metric stored under this very name (see [`RECORDED`], and the custom metrics a config
    /// declares); the gate reads its [`Metric::gate_value`].
    Recorded(String),
}

/// The metrics stored under their gate names, with their units and which way is better: what
/// command runs and service scenarios record, and what `import` reads from load tools (k6's
/// checks and thresholds) and callgrind (gungraun's counts). A service's `mean_ms`, `max_ms`
/// and `p95_ms` are stored too, and the time statistics read them where a benchmark has no
/// `time` metric.
pub const RECORDED: [(&str, &str, Better); 30] = [
    ("user_ms", "ms", Better::Lower),
    ("sys_ms", "ms", Better::Lower),
    ("peak_rss_bytes", "bytes", Better::Lower),
    ("exit_failures", "runs", Better::Lower),
    ("p50_ms", "ms", Better::Lower),
    ("p90_ms", "ms", Better::Lower),
    ("p99_ms", "ms", Better::Lower),
    ("rps", "req/s", Better::Higher),
    ("success_rate", "%", Better::Higher),
    ("error_count", "requests", Better::Lower),
    ("timeout_count", "requests", Better::Lower),
    ("late_count", "requests", Better::Lower),
    ("cpu_seconds", "s", Better::Lower),
    ("rss_growth_percent", "%", Better::Lower),
    ("failed_checks", "checks", Better::Lower),
    ("failed_thresholds", "thresholds", Better::Lower),
    ("instructions", "instructions", Better::Lower),
    ("estimated_cycles", "cycles", Better::Lower),
    ("data_reads", "accesses", Better::Lower),
    ("data_writes", "accesses", Better::Lower),
    ("i1_misses", "misses", Better::Lower),
    ("d1_read_misses", "misses", Better::Lower),
    ("d1_write_misses", "misses", Better::Lower),
    ("ll_instruction_misses", "misses", Better::Lower),
    ("ll_read_misses", "misses", Better::Lower),
    ("ll_write_misses", "misses", Better::Lower),
    ("l1_hits", "accesses", Better::Lower),
    ("ll_hits", "accesses", Better::Lower),
    ("ram_hits", "accesses", Better::Lower),
    ("total_accesses", "accesses", Better::Lower),
];

/// `wall_ms`, the name hyperfine's users know, is the mean time per run in milliseconds.
const WALL_MS: &str = "wall_ms";

const THROUGHPUT_UNITS: [ThroughputUnit; 3] = [ThroughputUnit::Bytes, ThroughputUnit::Elements, ThroughputUnit::Bits];

impl MetricName {
    /// Every metric name a gate may use.
    pub fn all() -> Vec<MetricName> {
        let mut names = Vec::new();
        for statistic in Statistic::ALL {
            for unit in TimeUnit::ALL {
                names.push(MetricName::Time(statistic, unit));
            }
        }
        names.extend(THROUGHPUT_UNITS.map(MetricName::Throughput));
        names
    }

    /// Parses a built-in name, or one of `custom` (metric names a config declares, or that a
    /// results file holds).
    pub fn parse(name: &str, custom: &[String]) -> Option<MetricName> {
        MetricName::parse_any(name).filter(|name| name.is_known(custom))
    }

    /// Parses a built-in name; any other reads as a recorded metric of that name, for
    /// [`MetricName::is_known`] to check against the names a run can record.
    pub fn parse_any(name: &str) -> Option<MetricName> {
        if name.is_empty() {
            return None;
        }
        if name == WALL_MS {
            return Some(MetricName::Time(Statistic::Mean, TimeUnit::Ms));
        }
        let built_in = MetricName::all().into_iter().find(|candidate| candidate.to_string() == name);
        Some(built_in.unwrap_or_else(|| MetricName::Recorded(name.to_owned())))
    }

    /// Whether a run can record this name: built in, or one of the recorded names, or one of
    /// `custom`.
    pub fn is_known(&self, custom: &[String]) -> bool {
        match self {
            MetricName::Recorded(name) => {
                RECORDED.iter().any(|(known, _, _)| known == name) || custom.iter().any(|c| c == name)
            }
            _ => true,
        }
    }

    /// Which way is better: lower for times and the recorded costs, higher for throughput, `rps`
    /// and `success_rate`; for a custom metric, as `custom` declares it (`None` when it does not
    /// say).
    pub fn better(&self, custom: &[(String, Option<Better>)]) -> Option<Better> {
        match self {
            MetricName::Time(..) => Some(Better::Lower),
            MetricName::Throughput(_) => Some(Better::Higher),
            MetricName::Recorded(name) => match RECORDED.iter().find(|(known, _, _)| known == name) {
                Some((_, _, better)) => Some(*better),
                None => custom.iter().find(|(known, _)| known == name).and_then(|(_, better)| *better),
            },
        }
    }

    /// Why `name` is not a metric name, with the nearest known one.
    pub fn unknown(name: &str, custom: &[String]) -> String {
        let known: Vec<String> = MetricName::all()
            .iter()
            .map(ToString::to_string)
            .chain(RECORDED.iter().map(|(name, _, _)| (*name).to_owned()))
            .chain([WALL_MS.to_owned()])
            .chain(custom.iter().cloned())
            .collect();
        match closest(name, known.iter().map(String::as_str)) {
            Some(suggestion) => format!("unknown metric name `{name}`; did you mean `{suggestion}`?"),
            None => format!("unknown metric name `{name}`; known names: {}", known.join(", ")),
        }
    }

    /// The unit a gate's threshold is read in; for a custom metric, `benchmark`'s.
    pub fn unit(&self, benchmark: Option<&Benchmark>) -> String {
        match self {
            MetricName::Time(_, unit) => unit.name().to_owned(),
            MetricName::Throughput(unit) => unit.rate_unit(),
            MetricName::Recorded(name) => benchmark
                .and_then(|b| b.metrics.get(name))
                .map(|m| m.unit.clone())
                .or_else(|| RECORDED.iter().find(|(known, _, _)| known == name).map(|(_, unit, _)| (*unit).to_owned()))
                .unwrap_or_default(),
        }
    }

    /// This metric's value for `benchmark`, or `None` when the benchmark does not have it.
    pub fn value(&self, benchmark: &Benchmark) -> Option<f64> {
        match self {
            MetricName::Time(statistic, unit) => match benchmark.metrics.get(TIME_METRIC).filter(|m| m.unit == "ns") {
                Some(metric) => Some(statistic.of(metric) / unit.nanoseconds()),
                // A service scenario records its latency statistics in ms, each under its name.
                None => benchmark
                    .metrics
                    .get(&format!("{}_ms", statistic.name()))
                    .filter(|m| m.unit == "ms")
                    .map(|m| m.gate_value() * TimeUnit::Ms.nanoseconds() / unit.nanoseconds()),
            },
            MetricName::Throughput(unit) => {
                let metric = benchmark.metrics.get(THROUGHPUT_METRIC).filter(|m| m.unit == unit.rate_unit())?;
                Some(metric.summary.mean)
            }
            MetricName::Recorded(name) => benchmark.metrics.get(name).map(Metric::gate_value),
        }
    }

    /// The names `benchmark` has, in the canonical unit, for "did you mean" lists.
    pub fn available_for(benchmark: &Benchmark) -> Vec<MetricName> {
        let recorded = benchmark
            .metrics
            .keys()
            .filter(|key| key.as_str() != TIME_METRIC && key.as_str() != THROUGHPUT_METRIC)
            .filter(|key| MetricName::parse(key, &[]).is_none_or(|name| matches!(name, MetricName::Recorded(_))))
            .map(|key| MetricName::Recorded(key.clone()));
        MetricName::all()
            .into_iter()
            .filter(|name| !matches!(name, MetricName::Time(_, unit) if *unit != TimeUnit::Ns))
            .chain(recorded)
            .filter(|name| name.value(benchmark).is_some())
            .collect()
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricName::Time(statistic, unit) => write!(f, "{}_{}", statistic.name(), unit.name()),
            MetricName::Throughput(unit) => write!(f, "throughput_{}_per_sec", unit.as_str()),
            MetricName::Recorded(name) => f.write_str(name),
        }
    }
}

/// A metric path, `<benchmark id>.<metric name>`: which benchmarks (a glob) and which of
/// their metrics. Read from a config as a string and parsed there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MetricPath {
    /// As written.
    text: String,
    pub benchmarks: Glob,
    pub name: MetricName,
}

impl MetricPath {
    /// Parses `<benchmark id>.<metric name>`. Ids may contain dots, metric names never do, so
    /// the split is at the last dot. A name that is not built in reads as a recorded metric;
    /// [`MetricPath::check_known`] says whether a run can record it.
    pub fn parse(path: &str) -> Result<MetricPath, String> {
        let Some((pattern, name)) = path.rsplit_once('.') else {
            return Err(format!(
                "`{path}` has no metric name: write `<benchmark id>.<metric name>`, e.g. `{path}.mean_ns`"
            ));
        };
        if pattern.is_empty() {
            return Err(format!("`{path}` has no benchmark id before the `.`; use `**` to match every benchmark"));
        }
        let name = MetricName::parse_any(name).ok_or_else(|| MetricName::unknown(name, &[]))?;
        Ok(MetricPath { text: path.to_owned(), benchmarks: Glob::new(pattern)?, name })
    }

    /// Errs, with the nearest known name, when a run cannot record this path's metric: it is
    /// neither built in nor one of `custom` (the metric names the config declares).
    /// The path of `name` in the benchmarks `benchmarks` matches.
    pub fn new(benchmarks: Glob, name: MetricName) -> MetricPath {
        MetricPath { text: format!("{benchmarks}.{name}"), benchmarks, name }
    }

    pub fn check_known(&self, custom: &[String]) -> Result<(), String> {
        if self.name.is_known(custom) {
            Ok(())
        } else {
            Err(MetricName::unknown(&self.name.to_string(), custom))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

written_as_string!(MetricPath, MetricPath::parse, text);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_path_errors_are_helpful() {
        let parse = |path: &str, custom: &[String]| MetricPath::parse(path).and_then(|p| p.check_known(custom));
        assert!(parse("no_metric", &[]).unwrap_err().contains("no metric name"));
        assert!(parse(".mean_ns", &[]).unwrap_err().contains("no benchmark id"));
        assert!(parse("a.mean_nss", &[]).unwrap_err().contains("did you mean `mean_ns`"));
        assert!(parse("a[.mean_ns", &[]).unwrap_err().contains("not a valid glob"));
        assert!(parse("a.tokens_per_sec", &[]).unwrap_err().contains("unknown metric name"));
        assert!(parse("a.tokens_per_sec", &["tokens_per_sec".to_owned()]).is_ok());
        assert!(parse("a.", &[]).is_err(), "an empty name");
    }

    #[test]
    fn ids_with_dots_split_at_the_last_dot() {
        let path = MetricPath::parse("decode/1.5.median_ns").unwrap();
        assert_eq!((path.benchmarks.as_str(), path.name.to_string().as_str()), ("decode/1.5", "median_ns"));
        assert_eq!(serde_json::to_string(&path).unwrap(), "\"decode/1.5.median_ns\"");
    }

    #[test]
    fn every_metric_name_round_trips() {
        for name in MetricName::all() {
            assert_eq!(MetricName::parse(&name.to_string(), &[]), Some(name));
        }
        assert_eq!(MetricName::parse("p95_ms", &[]), Some(MetricName::Time(Statistic::P95, TimeUnit::Ms)));
        assert_eq!(MetricName::parse("wall_ms", &[]), Some(MetricName::Time(Statistic::Mean, TimeUnit::Ms)));
        assert_eq!(MetricName::parse("peak_rss_bytes", &[]), Some(MetricName::Recorded("peak_rss_bytes".to_owned())));
        assert_eq!(MetricName::parse("tokens", &[]), None);
    }
}
