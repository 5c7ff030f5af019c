//! Gate evaluation: pure functions from config gates and results to pass/fail outcomes.
//!
//! A gate's metric path is `<benchmark id>.<metric name>`. The id part may be a glob; each
//! matching benchmark is judged on its own. A gate that matches nothing fails with its own
//! severity, never passes silently.

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::config::{Gate, Operator, Severity};
use crate::model::{Benchmark, Metric, Results, ThroughputUnit, THROUGHPUT_METRIC, TIME_METRIC};

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

/// The metrics stored under their gate names, with their units: what command runs and service
/// scenarios record. A service's `mean_ms`, `max_ms` and `p95_ms` are stored too, and the time
/// statistics read them where a benchmark has no `time` metric.
pub const RECORDED: [(&str, &str); 14] = [
    ("user_ms", "ms"),
    ("sys_ms", "ms"),
    ("peak_rss_bytes", "bytes"),
    ("exit_failures", "runs"),
    ("p50_ms", "ms"),
    ("p90_ms", "ms"),
    ("p99_ms", "ms"),
    ("rps", "req/s"),
    ("success_rate", "%"),
    ("error_count", "requests"),
    ("timeout_count", "requests"),
    ("late_count", "requests"),
    ("cpu_seconds", "s"),
    ("rss_growth_percent", "%"),
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
        if name == WALL_MS {
            return Some(MetricName::Time(Statistic::Mean, TimeUnit::Ms));
        }
        let recorded = RECORDED.iter().any(|(known, _)| *known == name) || custom.iter().any(|c| c == name);
        MetricName::all()
            .into_iter()
            .find(|candidate| candidate.to_string() == name)
            .or_else(|| recorded.then(|| MetricName::Recorded(name.to_owned())))
    }

    /// The unit a gate's threshold is read in; for a custom metric, `benchmark`'s.
    pub fn unit(&self, benchmark: Option<&Benchmark>) -> String {
        match self {
            MetricName::Time(_, unit) => unit.name().to_owned(),
            MetricName::Throughput(unit) => unit.rate_unit(),
            MetricName::Recorded(name) => benchmark
                .and_then(|b| b.metrics.get(name))
                .map(|m| m.unit.clone())
                .or_else(|| RECORDED.iter().find(|(known, _)| known == name).map(|(_, unit)| (*unit).to_owned()))
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
    fn available_for(benchmark: &Benchmark) -> Vec<MetricName> {
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

impl std::fmt::Display for MetricName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricName::Time(statistic, unit) => write!(f, "{}_{}", statistic.name(), unit.name()),
            MetricName::Throughput(unit) => write!(f, "throughput_{}_per_sec", unit.as_str()),
            MetricName::Recorded(name) => f.write_str(name),
        }
    }
}

/// A parsed gate metric path: benchmark id pattern plus metric name.
#[derive(Debug, Clone)]
pub struct MetricPath {
    pub pattern: String,
    pub name: MetricName,
    matcher: GlobMatcher,
}

impl MetricPath {
    /// Parses `<benchmark id>.<metric name>`. Ids may contain dots, metric names never do, so
    /// the split is at the last dot. `custom` are the metric names beyond the built-in ones that
    /// may appear.
    pub fn parse(path: &str, custom: &[String]) -> Result<MetricPath, String> {
        let Some((pattern, name)) = path.rsplit_once('.') else {
            return Err(format!(
                "`{path}` has no metric name: write `<benchmark id>.<metric name>`, e.g. `{path}.mean_ns`"
            ));
        };
        if pattern.is_empty() {
            return Err(format!("`{path}` has no benchmark id before the `.`; use `**` to match every benchmark"));
        }
        let name = MetricName::parse(name, custom).ok_or_else(|| {
            let known: Vec<String> = MetricName::all()
                .iter()
                .map(ToString::to_string)
                .chain(RECORDED.iter().map(|(name, _)| (*name).to_owned()))
                .chain([WALL_MS.to_owned()])
                .chain(custom.iter().cloned())
                .collect();
            match closest(name, known.iter().map(String::as_str)) {
                Some(suggestion) => format!("unknown metric name `{name}`; did you mean `{suggestion}`?"),
                None => format!("unknown metric name `{name}`; known names: {}", known.join(", ")),
            }
        })?;
        let matcher = compile_glob(pattern)?;
        Ok(MetricPath { pattern: pattern.to_owned(), name, matcher })
    }

    fn matches(&self, id: &str) -> bool {
        id == self.pattern || self.matcher.is_match(id)
    }

    fn is_exact(&self) -> bool {
        !self.pattern.contains(['*', '?', '[', '{'])
    }
}

/// A glob over benchmark ids or metric names: `*` stays within a `/` segment, `**` crosses.
pub fn compile_glob(pattern: &str) -> Result<GlobMatcher, String> {
    Ok(GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?
        .compile_matcher())
}

/// Whether a gate held for one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Passed,
    Failed,
}

/// One gate judged on one benchmark, or a gate that could not be judged at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateOutcome {
    /// The gate's display name.
    pub gate: String,
    /// The gate's metric path as configured (may be a glob).
    pub metric: String,
    pub operator: Operator,
    pub threshold: f64,
    pub severity: Severity,
    /// The benchmark judged; `None` when the gate matched none.
    pub benchmark: Option<String>,
    /// The measured value in `unit`; `None` when there was nothing to measure.
    pub value: Option<f64>,
    /// Unit of `value` and `threshold`.
    pub unit: String,
    pub status: GateStatus,
    /// Why the gate failed without a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Evaluates every gate against `results`, in config order and benchmark id order.
///
/// Gates come from a validated config, so their metric paths parse; one that does not is
/// reported as a failed outcome rather than dropped.
pub fn evaluate(gates: &[Gate], results: &Results) -> Vec<GateOutcome> {
    gates.iter().flat_map(|gate| evaluate_gate(gate, results)).collect()
}

fn evaluate_gate(gate: &Gate, results: &Results) -> Vec<GateOutcome> {
    let outcome = |benchmark: Option<&str>, value: Option<f64>, unit: String, message: Option<String>| {
        let passed = message.is_none() && value.is_some_and(|v| gate.operator.holds(v, gate.threshold));
        GateOutcome {
            gate: gate.display_name().to_owned(),
            metric: gate.metric.clone(),
            operator: gate.operator,
            threshold: gate.threshold,
            severity: gate.severity,
            benchmark: benchmark.map(str::to_owned),
            value,
            unit,
            status: if passed { GateStatus::Passed } else { GateStatus::Failed },
            message,
        }
    };
    // The config was validated against its declared metrics; here anything measured counts.
    let measured: Vec<String> = results.benchmarks.iter().flat_map(|b| b.metrics.keys().cloned()).collect();
    let path = match MetricPath::parse(&gate.metric, &measured) {
        Ok(path) => path,
        Err(message) => return vec![outcome(None, None, String::new(), Some(message))],
    };
    let unit = path.name.unit(None);
    let matching: Vec<&Benchmark> = results.benchmarks.iter().filter(|b| path.matches(&b.id)).collect();
    let with_metric: Vec<(&Benchmark, f64)> =
        matching.iter().filter_map(|b| path.name.value(b).map(|value| (*b, value))).collect();

    if with_metric.is_empty() || (path.is_exact() && with_metric.len() < matching.len()) {
        let message = if matching.is_empty() {
            format!("`{}` matches no benchmark{}", gate.metric, nearest_hint(&gate.metric, results))
        } else {
            format!(
                "{} matching `{}` {} no `{}` metric{}",
                plural(matching.len(), "benchmark"),
                path.pattern,
                if matching.len() == 1 { "has" } else { "have" },
                path.name,
                nearest_hint(&gate.metric, results)
            )
        };
        return vec![outcome(None, None, unit, Some(message))];
    }
    with_metric
        .into_iter()
        .map(|(benchmark, value)| {
            let message =
                (!value.is_finite()).then(|| format!("the measured value is {value}, not a number to compare"));
            outcome(Some(&benchmark.id), Some(value), path.name.unit(Some(benchmark)), message)
        })
        .collect()
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// "; nearest: a.mean_ns, b.mean_ns" listing the closest existing metric paths.
fn nearest_hint(wanted: &str, results: &Results) -> String {
    let candidates: Vec<String> = results
        .benchmarks
        .iter()
        .flat_map(|b| MetricName::available_for(b).into_iter().map(move |name| format!("{}.{name}", b.id)))
        .collect();
    if candidates.is_empty() {
        return "; the results hold no benchmarks".to_owned();
    }
    let nearest = nearest(wanted, candidates.iter().map(String::as_str), 3);
    format!("; nearest: {}", nearest.join(", "))
}

/// The `count` candidates most similar to `wanted`, most similar first.
pub fn nearest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>, count: usize) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> =
        candidates.map(|candidate| (strsim::normalized_damerau_levenshtein(wanted, candidate), candidate)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(count).map(|(_, candidate)| candidate).collect()
}

/// The candidate close enough to `wanted` to be a likely typo, if any.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|(distance, candidate)| {
            // Two edits for words of four letters or more (`alfa` -> `alpha`), a third of the
            // length for long ones, one for short ones.
            let longest = candidate.len().max(wanted.len());
            *distance <= (longest / 3).max(if longest >= 4 { 2 } else { 1 })
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{fixtures, Better};

    fn benchmark(id: &str, times: &[f64], throughput_bytes: Option<u64>) -> Benchmark {
        let mut benchmark = fixtures::benchmark(id, Better::Lower, times);
        if let Some(bytes) = throughput_bytes {
            let rates = times.iter().map(|t| bytes as f64 * 1e9 / t).collect();
            let throughput = Metric::from_samples("bytes/s", Better::Higher, false, rates);
            benchmark.metrics.insert(THROUGHPUT_METRIC.to_owned(), throughput);
        }
        benchmark
    }

    use crate::model::fixtures::results;

    fn gate(metric: &str, operator: Operator, threshold: f64) -> Gate {
        Gate { comment: None, name: None, metric: metric.to_owned(), operator, threshold, severity: Severity::Blocking }
    }

    fn sample() -> Results {
        results(vec![
            benchmark("decode/1.5", &[50.0, 60.0, 70.0], None),
            benchmark("encode_large/fast", &[2000.0, 2000.0, 2000.0], None),
            benchmark("encode_small/fast", &[100.0, 100.0, 100.0], Some(1000)),
        ])
    }

    /// Evaluates one gate and returns `(benchmark, value, passed)` triples.
    fn check(metric: &str, operator: Operator, threshold: f64) -> Vec<(Option<String>, Option<f64>, bool)> {
        evaluate(&[gate(metric, operator, threshold)], &sample())
            .into_iter()
            .map(|o| (o.benchmark, o.value, o.status == GateStatus::Passed))
            .collect()
    }

    fn message(metric: &str) -> String {
        evaluate(&[gate(metric, Operator::LessThan, 1.0)], &sample())[0].message.clone().unwrap_or_default()
    }

    #[test]
    fn exact_id_with_unit_conversion() {
        assert_eq!(
            check("encode_large/fast.mean_us", Operator::LessThan, 2.5),
            [(Some("encode_large/fast".into()), Some(2.0), true)]
        );
        assert!(!check("encode_large/fast.mean_ns", Operator::LessThan, 1999.0)[0].2);
    }

    #[test]
    fn ids_with_dots_split_at_the_last_dot() {
        assert_eq!(
            check("decode/1.5.median_ns", Operator::Equal, 60.0),
            [(Some("decode/1.5".into()), Some(60.0), true)]
        );
    }

    #[test]
    fn glob_judges_each_match_on_its_own() {
        let outcomes = check("encode_*/*.median_ns", Operator::LessThanOrEqual, 150.0);
        assert_eq!(
            outcomes,
            [
                (Some("encode_large/fast".into()), Some(2000.0), false),
                (Some("encode_small/fast".into()), Some(100.0), true)
            ]
        );
    }

    #[test]
    fn single_star_stays_within_a_segment_and_double_star_crosses() {
        assert!(message("*.mean_ns").contains("matches no benchmark"));
        assert_eq!(check("**.mean_ns", Operator::GreaterThan, 0.0).len(), 3);
    }

    #[test]
    fn every_operator() {
        for (operator, expected) in [
            (Operator::LessThan, false),
            (Operator::LessThanOrEqual, true),
            (Operator::GreaterThan, false),
            (Operator::GreaterThanOrEqual, true),
            (Operator::Equal, true),
            (Operator::NotEqual, false),
        ] {
            assert_eq!(check("encode_small/fast.mean_ns", operator, 100.0)[0].2, expected, "{operator:?}");
        }
    }

    #[test]
    fn throughput_gate_reads_the_declared_unit() {
        let outcomes = check("**.throughput_bytes_per_sec", Operator::GreaterThan, 1e9);
        // Only the benchmark that declares bytes is judged: 1000 bytes in 100 ns = 1e10 B/s.
        assert_eq!(outcomes, [(Some("encode_small/fast".into()), Some(1e10), true)]);
        assert!(message("encode_small/fast.throughput_elements_per_sec")
            .contains("no `throughput_elements_per_sec` metric"));
    }

    #[test]
    fn a_gate_matching_nothing_fails_and_names_the_nearest() {
        let outcomes = check("encode_smal/fast.mean_ns", Operator::LessThan, 1e9);
        assert_eq!(outcomes, [(None, None, false)]);
        let message = message("encode_smal/fast.mean_ns");
        assert!(message.contains("nearest: encode_small/fast.mean_ns"), "{message}");
    }

    #[test]
    fn a_gate_on_empty_results_fails() {
        let outcomes = evaluate(&[gate("**.mean_ns", Operator::LessThan, 1.0)], &results(vec![]));
        assert_eq!(outcomes[0].status, GateStatus::Failed);
        assert!(outcomes[0].message.as_deref().unwrap().contains("hold no benchmarks"));
    }

    #[test]
    fn non_finite_values_fail() {
        let r = results(vec![benchmark("x", &[f64::INFINITY, 1.0], None)]);
        let outcome = &evaluate(&[gate("x.mean_ns", Operator::GreaterThan, 0.0)], &r)[0];
        assert_eq!(outcome.status, GateStatus::Failed);
        assert!(outcome.message.is_some());
    }

    #[test]
    fn metric_path_errors_are_helpful() {
        assert!(MetricPath::parse("no_metric", &[]).unwrap_err().contains("no metric name"));
        assert!(MetricPath::parse(".mean_ns", &[]).unwrap_err().contains("no benchmark id"));
        assert!(MetricPath::parse("a.mean_nss", &[]).unwrap_err().contains("did you mean `mean_ns`"));
        assert!(MetricPath::parse("a[.mean_ns", &[]).unwrap_err().contains("not a valid glob"));
        assert!(MetricPath::parse("a.tokens_per_sec", &[]).unwrap_err().contains("unknown metric name"));
        assert!(MetricPath::parse("a.tokens_per_sec", &["tokens_per_sec".to_owned()]).is_ok());
    }

    #[test]
    fn every_metric_name_round_trips() {
        for name in MetricName::all() {
            assert_eq!(MetricName::parse(&name.to_string(), &[]), Some(name));
        }
        assert_eq!(MetricName::parse("p95_ms", &[]), Some(MetricName::Time(Statistic::P95, TimeUnit::Ms)));
        assert_eq!(MetricName::parse("wall_ms", &[]), Some(MetricName::Time(Statistic::Mean, TimeUnit::Ms)));
        assert_eq!(MetricName::parse("peak_rss_bytes", &[]), Some(MetricName::Recorded("peak_rss_bytes".to_owned())));
    }
}
