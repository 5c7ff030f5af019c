//! What was measured, for a run with no baseline: each benchmark's typical value, spread and
//! sample count, as criterion and hyperfine print them, so that a run without a comparison
//! still says what it found. Pure.

use serde::Serialize;

use super::format;
use crate::compare::TRIM;
use crate::model::{Basis, Benchmark, Metric, Results, THROUGHPUT_METRIC, TIME_METRIC};
use crate::stats;

/// How the typical value and the spread are estimated, said once in the table's header.
pub const MEASURED_LEGEND: &str =
    "typical = 20%-trimmed geometric mean, as the regression check compares; spread = robust standard deviation";

/// One benchmark's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredRow {
    pub benchmark: String,
    /// `time`, or `p50_ms` for a service scenario.
    pub metric: String,
    /// `1.23 µs`.
    pub typical: String,
    /// `±2.1%`.
    pub spread: String,
    /// `100`, or `5 rounds` for a service scenario.
    pub samples: String,
    /// What else a reader asks first: throughput, or a service's p99, rate and success.
    pub also: String,
}

/// The measured table of `current`, in benchmark order.
pub fn measured(current: &Results) -> Vec<MeasuredRow> {
    current.benchmarks.iter().filter_map(row).collect()
}

fn row(benchmark: &Benchmark) -> Option<MeasuredRow> {
    let metrics = &benchmark.metrics;
    if let Some(p50) = metrics.get("p50_ms") {
        let value = |name: &str| metrics.get(name).map(|m| m.value.unwrap_or(m.summary.median));
        let also: Vec<String> = [
            value("p99_ms").map(|v| format!("p99 {}", format::measurement(v, "ms"))),
            value("rps").map(|v| format::measurement(v, "req/s")),
            value("success_rate").map(|v| format!("{} success", format::measurement(v, "%"))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (_, spread) = typical(p50);
        return Some(MeasuredRow {
            benchmark: benchmark.id.clone(),
            metric: "p50_ms".to_owned(),
            typical: format::measurement(p50.value.unwrap_or(p50.summary.median), "ms"),
            spread,
            samples: format!("{} rounds", p50.samples.len()),
            also: also.join(" · "),
        });
    }
    // Time first; a count's instructions before its estimated cycles.
    let (name, metric) = metrics
        .get_key_value(TIME_METRIC)
        .or_else(|| metrics.get_key_value("instructions"))
        .or_else(|| metrics.iter().find(|(_, m)| m.compared))
        .or_else(|| metrics.iter().next())?;
    let (value, spread) = typical(metric);
    let also = metrics
        .get(THROUGHPUT_METRIC)
        .filter(|_| name != THROUGHPUT_METRIC)
        .map(|t| format::measurement(typical_value(t), &t.unit))
        .unwrap_or_default();
    Some(MeasuredRow {
        benchmark: benchmark.id.clone(),
        metric: name.clone(),
        typical: format::measurement(value, &metric.unit),
        spread,
        samples: metric.samples.len().to_string(),
        also,
    })
}

/// The typical value and the spread in words: on the log scale when every sample is positive
/// (the trimmed geometric mean, and the scaled MAD of the logs as a percentage), else the
/// median and the scaled MAD relative to it.
fn typical(metric: &Metric) -> (f64, String) {
    let samples: Vec<f64> = metric.samples.iter().copied().filter(|x| x.is_finite()).collect();
    if samples.is_empty() {
        return (f64::NAN, format::percent_short(f64::NAN));
    }
    // One value: an exact count has no spread, and another tool's summary states its own.
    match &metric.basis {
        Basis::Deterministic => return (metric.gate_value(), "exact".to_owned()),
        Basis::Summary { .. } => return (metric.gate_value(), "one value".to_owned()),
        Basis::Samples => {}
    }
    let spread_percent = if samples.iter().all(|x| *x > 0.0) {
        let logs: Vec<f64> = samples.iter().map(|x| x.ln()).collect();
        stats::mad(&logs).exp_m1() * 100.0
    } else {
        stats::mad(&samples) / stats::median(&samples).abs() * 100.0
    };
    (typical_value(metric), format!("±{}", format::percent_short(spread_percent)))
}

fn typical_value(metric: &Metric) -> f64 {
    let samples: Vec<f64> = metric.samples.iter().copied().filter(|x| x.is_finite()).collect();
    if samples.is_empty() {
        return f64::NAN;
    }
    if samples.iter().all(|x| *x > 0.0) {
        let logs: Vec<f64> = samples.iter().map(|x| x.ln()).collect();
        if let Ok((mean, _, _)) = stats::location(&logs, TRIM) {
            return mean.exp();
        }
    }
    stats::median(&samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{fixtures, Better};

    #[test]
    fn each_benchmark_gets_its_typical_value_spread_and_samples() {
        // 1000 ns give or take, with one slow outlier the trimmed mean ignores.
        let mut samples = vec![1000.0; 9];
        samples.push(5000.0);
        let results = fixtures::results(vec![fixtures::benchmark("a", Better::Lower, &samples)]);
        let rows = measured(&results);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].typical.as_str(), rows[0].spread.as_str(), rows[0].samples.as_str()),
            ("1.00 µs", "±0.0%", "10")
        );
    }

    #[test]
    fn a_count_shows_its_instructions_as_exact() {
        let mut benchmark = fixtures::benchmark("parse", Better::Lower, &[1.0]);
        benchmark.metrics = [
            ("estimated_cycles", Metric::deterministic("cycles", Better::Lower, 20_451.0)),
            ("instructions", Metric::deterministic("instructions", Better::Lower, 13_865.0)),
        ]
        .into_iter()
        .map(|(name, metric)| (name.to_owned(), metric))
        .collect();
        let rows = measured(&fixtures::results(vec![benchmark]));
        assert_eq!(
            (rows[0].metric.as_str(), rows[0].typical.as_str(), rows[0].spread.as_str()),
            ("instructions", "13,865 instructions", "exact")
        );
    }

    #[test]
    fn a_service_scenario_shows_its_latency_rate_and_success() {
        let metric = |unit: &str, better, samples: &[f64], value: f64| {
            let mut m = Metric::from_samples(unit, better, true, samples.to_vec());
            m.value = Some(value);
            m
        };
        let mut benchmark = fixtures::benchmark("api/get", Better::Lower, &[1.0]);
        benchmark.metrics.clear();
        benchmark.metrics.insert("p50_ms".into(), metric("ms", Better::Lower, &[2.0, 2.2, 1.8], 2.0));
        benchmark.metrics.insert("p99_ms".into(), metric("ms", Better::Lower, &[9.0, 9.5, 8.5], 9.1));
        benchmark.metrics.insert("rps".into(), metric("req/s", Better::Higher, &[1000.0], 1000.0));
        benchmark.metrics.insert("success_rate".into(), metric("%", Better::Higher, &[100.0], 99.5));
        let rows = measured(&fixtures::results(vec![benchmark]));
        assert_eq!(rows[0].metric, "p50_ms");
        assert_eq!(rows[0].samples, "3 rounds");
        assert!(rows[0].typical.starts_with("2.00"), "{:?}", rows[0]);
        assert_eq!(rows[0].also, "p99 9.10 ms · 1000 req/s · 99.5 % success");
    }
}
