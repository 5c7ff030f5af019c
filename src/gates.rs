//! Gate evaluation: pure functions from config gates and results to pass/fail outcomes.
//!
//! A gate's metric path is `<benchmark id>.<metric name>`, parsed where the config was read.
//! The id part may be a glob; each matching benchmark is judged on its own. A gate that
//! matches nothing fails with its own severity, never passes silently.

use serde::{Deserialize, Serialize};

use crate::condition::{Operator, Severity};
use crate::config::Gate;
use crate::matching::nearest;
use crate::metric_name::MetricName;
use crate::model::{Benchmark, Results};

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
pub fn evaluate(gates: &[Gate], results: &Results) -> Vec<GateOutcome> {
    gates.iter().flat_map(|gate| evaluate_gate(gate, results)).collect()
}

fn evaluate_gate(gate: &Gate, results: &Results) -> Vec<GateOutcome> {
    let outcome = |benchmark: Option<&str>, value: Option<f64>, unit: String, message: Option<String>| {
        let passed = message.is_none() && value.is_some_and(|v| gate.operator.holds(v, gate.threshold));
        GateOutcome {
            gate: gate.display_name().to_owned(),
            metric: gate.metric.to_string(),
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
    let path = &gate.metric;
    let unit = path.name.unit(None);
    let matching: Vec<&Benchmark> = results.benchmarks.iter().filter(|b| path.benchmarks.matches(&b.id)).collect();
    let with_metric: Vec<(&Benchmark, f64)> =
        matching.iter().filter_map(|b| path.name.value(b).map(|value| (*b, value))).collect();

    if with_metric.is_empty() || (path.benchmarks.is_exact() && with_metric.len() < matching.len()) {
        let message = if matching.is_empty() {
            format!("`{path}` matches no benchmark{}", nearest_hint(path.as_str(), results))
        } else {
            format!(
                "{} matching `{}` {} no `{}` metric{}",
                plural(matching.len(), "benchmark"),
                path.benchmarks,
                if matching.len() == 1 { "has" } else { "have" },
                path.name,
                nearest_hint(path.as_str(), results)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{fixtures, Better, Metric, THROUGHPUT_METRIC};

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
        let metric = crate::metric_name::MetricPath::parse(metric).unwrap();
        Gate { comment: None, name: None, metric, operator, threshold, severity: Severity::Blocking }
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
}
