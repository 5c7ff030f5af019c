//! One run's results in other tools' formats: Bencher Metric Format (for `bencher run
//! --adapter json`) and OpenMetrics text (for a Prometheus textfile collector or a
//! pushgateway). Pure: results in, text out. docs/results-format.md, "Exports", documents both.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::compare::Comparison;
use crate::model::{Basis, Metric, Results, TIME_METRIC};
use crate::stats;

/// Our metric names that Bencher knows by another name: criterion's time is its `latency`.
const BENCHER_NAMES: [(&str, &str); 2] = [(TIME_METRIC, "latency"), ("estimated_cycles", "estimated-cycles")];

/// Bencher's name of one of our metrics.
pub fn bencher_name(metric: &str) -> &str {
    BENCHER_NAMES.iter().find(|(ours, _)| *ours == metric).map_or(metric, |(_, theirs)| theirs)
}

#[derive(Serialize)]
struct BmfValue {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

/// The results as BMF: per benchmark, per metric, the value a gate reads, and around a mean of
/// samples its 95 % confidence interval (a summary's stated bounds, for another tool's).
/// Metrics whose value is not a finite number are left out: BMF has no way to say "none".
pub fn bmf(results: &Results) -> String {
    let mut out: BTreeMap<&str, BTreeMap<&str, BmfValue>> = BTreeMap::new();
    for benchmark in &results.benchmarks {
        let measures = out.entry(&benchmark.id).or_default();
        for (name, metric) in &benchmark.metrics {
            let value = metric.gate_value();
            if !value.is_finite() {
                continue;
            }
            let (lower_value, upper_value) = bounds(metric).unzip();
            measures.insert(bencher_name(name), BmfValue { value, lower_value, upper_value });
        }
    }
    out.retain(|_, measures| !measures.is_empty());
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// The bounds BMF gets around a metric's value: a stated spread, or the mean's 95 % interval.
fn bounds(metric: &Metric) -> Option<(f64, f64)> {
    match &metric.basis {
        Basis::Summary { spread: Some(spread) } => Some((spread.lower, spread.upper)),
        Basis::Summary { spread: None } | Basis::Deterministic => None,
        Basis::Samples => {
            let s = &metric.summary;
            // A peak or a count is not the mean, and its interval would not be around it.
            if metric.value.is_some() || s.n < 2 || !s.std_dev.is_finite() || s.std_dev == 0.0 {
                return None;
            }
            let half = stats::t_quantile(0.975, (s.n - 1) as f64) * s.std_dev / (s.n as f64).sqrt();
            Some((s.mean - half, s.mean + half)).filter(|(low, high)| low.is_finite() && high.is_finite())
        }
    }
}

/// A gauge family: its name, its help text, and the statistic it reads.
type Family = (&'static str, &'static str, fn(&Metric) -> f64);

/// The results as OpenMetrics text: one gauge family per statistic, labelled with the
/// benchmark, metric and unit; with comparisons, their change and verdict. Label values are
/// escaped, so ids from a pull request cannot add lines or labels.
pub fn openmetrics(results: &Results, comparisons: &[Comparison]) -> String {
    let mut text = String::new();
    let families: [Family; 4] = [
        (
            "perf_gate_value",
            "The value a gate on the metric reads (the mean of its samples, unless a peak or a count).",
            Metric::gate_value,
        ),
        ("perf_gate_median", "The median of the metric's samples.", |m| m.summary.median),
        ("perf_gate_p95", "The 95th percentile of the metric's samples.", |m| m.summary.p95),
        ("perf_gate_samples", "How many samples the metric has.", |m| m.summary.n as f64),
    ];
    for (family, help, value) in families {
        header(&mut text, family, help);
        for benchmark in &results.benchmarks {
            for (name, metric) in &benchmark.metrics {
                let labels = labels(&benchmark.id, name, &metric.unit);
                let _ = writeln!(text, "{family}{{{labels}}} {}", number(value(metric)));
            }
        }
    }
    if !comparisons.is_empty() {
        header(
            &mut text,
            "perf_gate_change_percent",
            "The change against the baseline, in percent, labelled with its verdict.",
        );
        for c in comparisons {
            let labels = format!("{},verdict=\"{}\"", labels(&c.id, &c.metric, &c.unit), c.verdict.as_str());
            let _ =
                writeln!(text, "perf_gate_change_percent{{{labels}}} {}", number(c.change_percent.unwrap_or(f64::NAN)));
        }
    }
    text.push_str("# EOF\n");
    text
}

fn header(text: &mut String, family: &str, help: &str) {
    let _ = writeln!(text, "# TYPE {family} gauge\n# HELP {family} {help}");
}

fn labels(benchmark: &str, metric: &str, unit: &str) -> String {
    format!("benchmark=\"{}\",metric=\"{}\",unit=\"{}\"", escape(benchmark), escape(metric), escape(unit))
}

/// OpenMetrics' label value escapes: backslash, double quote and line feed.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value as OpenMetrics writes it: `NaN`, `+Inf`, `-Inf` or the number.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{fixtures::comparison, ChangeVerdict};
    use crate::import::{self, Format, Options};
    use crate::model::{fixtures, Better, StatedSpread};

    fn results() -> Results {
        let mut benchmark = fixtures::benchmark("sort/1000", Better::Lower, &[100.0, 102.0, 98.0, 101.0, 99.0]);
        let spread = StatedSpread { lower: 1178.0, upper: 1290.0, stated_as: "libtest's +/-".into() };
        benchmark.metrics.insert("median".into(), Metric::summary("ns", Better::Lower, 1234.0, Some(spread)));
        benchmark
            .metrics
            .insert("instructions".into(), Metric::deterministic("instructions", Better::Lower, 123456789.0));
        benchmark.metrics.insert("broken".into(), Metric::summary("ns", Better::Lower, f64::NAN, None));
        let mut odd = fixtures::benchmark("a \"quoted\"\nid\\", Better::Lower, &[1.0, 1.0]);
        odd.metrics.get_mut(TIME_METRIC).unwrap().unit = "ns".into();
        fixtures::results(vec![benchmark, odd])
    }

    #[test]
    fn bmf_has_each_value_with_its_interval_and_reads_back_as_it_was() {
        let text = bmf(&results());
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let latency = &json["sort/1000"]["latency"];
        assert_eq!(latency["value"], 100.0);
        // mean 100, sd 1.5811, n 5: t(0.975, 4) = 2.776 gives +/- 1.963.
        let half = latency["upper_value"].as_f64().unwrap() - 100.0;
        assert!((half - 2.7764451 * 1.5811388 / 5f64.sqrt()).abs() < 1e-5, "{half}");
        assert_eq!(
            json["sort/1000"]["median"],
            serde_json::json!({"value": 1234.0, "lower_value": 1178.0, "upper_value": 1290.0})
        );
        assert_eq!(json["sort/1000"]["instructions"], serde_json::json!({"value": 123456789.0}));
        assert!(json["sort/1000"].get("broken").is_none(), "BMF cannot say NaN");
        // No spread, no interval.
        assert!(json["a \"quoted\"\nid\\"]["latency"].get("lower_value").is_none());
        // Imported back: the same values, time under its own name, exact counts exact.
        let options = Options { file: "bmf.json", name: "x", higher_is_better: &[] };
        let back = import::import(Format::Bmf, &text, &options).unwrap();
        let sort = back.benchmarks.iter().find(|b| b.id == "sort/1000").unwrap();
        assert_eq!(sort.metrics[TIME_METRIC].gate_value(), 100.0);
        assert_eq!(sort.metrics["instructions"], Metric::deterministic("instructions", Better::Lower, 123456789.0));
    }

    #[test]
    fn openmetrics_escapes_ids_and_ends_with_eof() {
        let mut regressed = comparison("sort/1000", ChangeVerdict::Regressed, Some(7.5));
        regressed.unit = "ns".into();
        let text = openmetrics(&results(), &[regressed]);
        assert!(text.ends_with("# EOF\n"));
        assert!(text.contains("perf_gate_value{benchmark=\"sort/1000\",metric=\"time\",unit=\"ns\"} 100\n"), "{text}");
        assert!(text.contains(
            "perf_gate_value{benchmark=\"sort/1000\",metric=\"instructions\",unit=\"instructions\"} 123456789\n"
        ));
        assert!(text.contains("perf_gate_value{benchmark=\"sort/1000\",metric=\"broken\",unit=\"ns\"} NaN\n"));
        // One line per sample, whatever the id holds.
        assert!(text.contains("benchmark=\"a \\\"quoted\\\"\\nid\\\\\""), "{text}");
        assert!(text.contains(
            "perf_gate_change_percent{benchmark=\"sort/1000\",metric=\"time\",unit=\"ns\",verdict=\"regressed\"} 7.5\n"
        ));
        for line in text.lines() {
            assert!(line.starts_with("# ") || line.starts_with("perf_gate_"), "{line}");
        }
        let families = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!(families, 5);
        assert!(!openmetrics(&results(), &[]).contains("perf_gate_change_percent"));
    }
}
