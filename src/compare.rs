//! The regression check: every compared metric present in baseline and current results, judged
//! with the tests in [`crate::stats`]. Pure: no I/O, no clock.
//!
//! A change is `regressed` only when it is both statistically significant (Welch p below
//! alpha) and practically large (at least `regression_threshold_percent` in the worse
//! direction); `improved` symmetrically; everything else is `unchanged`. Metrics without
//! spread on either side are compared directly against the threshold.

use serde::{Deserialize, Serialize};

use crate::model::{Benchmark, Better, Metric, Results};
use crate::stats::{self, Summary, TestError};

/// Significance level of the per-benchmark test.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// Settings of one comparison run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompareSettings {
    /// Significance level.
    pub alpha: f64,
    /// Smallest change, in percent, that counts as a regression or improvement.
    pub threshold_percent: f64,
}

/// What happened to one metric between baseline and current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeVerdict {
    Regressed,
    Improved,
    Unchanged,
    New,
    Removed,
    Inconclusive,
}

impl ChangeVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeVerdict::Regressed => "regressed",
            ChangeVerdict::Improved => "improved",
            ChangeVerdict::Unchanged => "unchanged",
            ChangeVerdict::New => "new",
            ChangeVerdict::Removed => "removed",
            ChangeVerdict::Inconclusive => "inconclusive",
        }
    }
}

/// The verdict on one metric of one benchmark, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Benchmark id.
    pub id: String,
    /// Metric name within the benchmark.
    pub metric: String,
    pub unit: String,
    pub better: Better,
    pub verdict: ChangeVerdict,
    pub baseline: Option<Summary>,
    pub current: Option<Summary>,
    /// `(current mean / baseline mean - 1) * 100`; positive means larger.
    pub change_percent: Option<f64>,
    /// Welch's t-test, when one could be computed.
    pub test: Option<stats::Welch>,
    /// One line saying why this verdict.
    pub reason: String,
}

/// Compares every compared metric of `current` against `baseline`, sorted by id then metric.
pub fn compare(baseline: &Results, current: &Results, settings: CompareSettings) -> Vec<Comparison> {
    let mut out = Vec::new();
    for benchmark in &current.benchmarks {
        let base = baseline.benchmark(&benchmark.id);
        for (name, metric) in benchmark.metrics.iter().filter(|(_, m)| m.compared) {
            let comparison = match base.and_then(|b| b.metrics.get(name)) {
                Some(base_metric) => compare_metric(&benchmark.id, name, base_metric, metric, settings),
                None => one_sided(&benchmark.id, name, metric, ChangeVerdict::New),
            };
            out.push(comparison);
        }
    }
    for benchmark in &baseline.benchmarks {
        let current_benchmark: Option<&Benchmark> = current.benchmark(&benchmark.id);
        for (name, metric) in benchmark.metrics.iter().filter(|(_, m)| m.compared) {
            if current_benchmark.and_then(|b| b.metrics.get(name)).is_none() {
                out.push(one_sided(&benchmark.id, name, metric, ChangeVerdict::Removed));
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.metric.cmp(&b.metric)));
    out
}

fn one_sided(id: &str, name: &str, metric: &Metric, verdict: ChangeVerdict) -> Comparison {
    let (baseline, current, reason) = match verdict {
        ChangeVerdict::New => (None, Some(metric.summary), "not in the baseline"),
        _ => (Some(metric.summary), None, "not in the current results"),
    };
    Comparison {
        id: id.to_owned(),
        metric: name.to_owned(),
        unit: metric.unit.clone(),
        better: metric.better,
        verdict,
        baseline,
        current,
        change_percent: None,
        test: None,
        reason: reason.to_owned(),
    }
}

fn compare_metric(id: &str, name: &str, base: &Metric, current: &Metric, settings: CompareSettings) -> Comparison {
    let mut comparison = Comparison {
        id: id.to_owned(),
        metric: name.to_owned(),
        unit: current.unit.clone(),
        better: current.better,
        verdict: ChangeVerdict::Inconclusive,
        baseline: Some(base.summary),
        current: Some(current.summary),
        change_percent: None,
        test: None,
        reason: String::new(),
    };
    if base.unit != current.unit {
        comparison.reason = format!("the unit changed from {} to {}", base.unit, current.unit);
        return comparison;
    }
    if base.better != current.better {
        comparison.reason = "the better direction changed between the two results".to_owned();
        return comparison;
    }
    let (base_mean, current_mean) = (base.summary.mean, current.summary.mean);
    if !(base_mean.is_finite() && current_mean.is_finite()) || base_mean == 0.0 {
        comparison.reason = "a mean is zero, NaN or infinite, so no relative change exists".to_owned();
        return comparison;
    }
    let change_percent = (current_mean / base_mean - 1.0) * 100.0;
    comparison.change_percent = Some(change_percent);
    // Positive when the change goes the worse way for this metric.
    let worse_percent = match current.better {
        Better::Lower => change_percent,
        Better::Higher => -change_percent,
    };
    let large = worse_percent.abs() >= settings.threshold_percent;
    let direction = if worse_percent > 0.0 { ChangeVerdict::Regressed } else { ChangeVerdict::Improved };
    let threshold = settings.threshold_percent;
    match stats::welch(&base.samples, &current.samples) {
        Ok(test) => {
            comparison.test = Some(test);
            let significant = test.p_two_sided < settings.alpha;
            let p = format_p(test.p_two_sided);
            let alpha = settings.alpha;
            (comparison.verdict, comparison.reason) = match (significant, large) {
                (true, true) => (direction, format!("p = {p} < {alpha} and |{change_percent:+.2}%| >= {threshold}%")),
                (true, false) => {
                    (ChangeVerdict::Unchanged, format!("p = {p} < {alpha} but |{change_percent:+.2}%| < {threshold}%"))
                }
                (false, _) => (ChangeVerdict::Unchanged, format!("p = {p} >= {alpha}: not significant")),
            };
        }
        Err(TestError::ZeroVariance) => {
            (comparison.verdict, comparison.reason) = if large {
                (direction, format!("no spread on either side and |{change_percent:+.2}%| >= {threshold}%"))
            } else {
                (
                    ChangeVerdict::Unchanged,
                    format!("no spread on either side and |{change_percent:+.2}%| < {threshold}%"),
                )
            };
        }
        Err(error) => comparison.reason = format!("cannot test: {error}"),
    }
    comparison
}

fn format_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;

    const SETTINGS: CompareSettings = CompareSettings { alpha: 0.05, threshold_percent: 5.0 };

    fn results(benchmarks: &[(&str, Better, &[f64])]) -> Results {
        fixtures::results(
            benchmarks.iter().map(|(id, better, times)| fixtures::benchmark(id, *better, times)).collect(),
        )
    }

    /// Verdict of one benchmark compared from `before` to `after`.
    fn check(better: Better, before: &[f64], after: &[f64]) -> ChangeVerdict {
        let comparisons = compare(&results(&[("b", better, before)]), &results(&[("b", better, after)]), SETTINGS);
        assert_eq!(comparisons.len(), 1);
        comparisons[0].verdict
    }

    const BASE: [f64; 8] = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.0];

    fn scaled(factor: f64) -> Vec<f64> {
        BASE.iter().map(|x| x * factor).collect()
    }

    #[test]
    fn large_significant_slowdown_regresses() {
        assert_eq!(check(Better::Lower, &BASE, &scaled(1.10)), ChangeVerdict::Regressed);
        assert_eq!(check(Better::Lower, &BASE, &scaled(0.90)), ChangeVerdict::Improved);
    }

    #[test]
    fn direction_follows_better() {
        assert_eq!(check(Better::Higher, &BASE, &scaled(1.10)), ChangeVerdict::Improved);
        assert_eq!(check(Better::Higher, &BASE, &scaled(0.90)), ChangeVerdict::Regressed);
    }

    #[test]
    fn significant_but_small_is_unchanged() {
        assert_eq!(check(Better::Lower, &BASE, &scaled(1.03)), ChangeVerdict::Unchanged);
    }

    #[test]
    fn large_but_noisy_is_unchanged() {
        let noisy_before = [50.0, 150.0, 60.0, 140.0, 100.0, 90.0, 110.0, 100.0];
        let noisy_after: Vec<f64> = noisy_before.iter().map(|x| x * 1.08).collect();
        assert_eq!(check(Better::Lower, &noisy_before, &noisy_after), ChangeVerdict::Unchanged);
    }

    #[test]
    fn identical_results_are_unchanged() {
        assert_eq!(check(Better::Lower, &BASE, &BASE), ChangeVerdict::Unchanged);
    }

    #[test]
    fn zero_variance_compares_values_directly() {
        assert_eq!(check(Better::Lower, &[10.0, 10.0], &[11.0, 11.0]), ChangeVerdict::Regressed);
        assert_eq!(check(Better::Lower, &[10.0, 10.0], &[10.2, 10.2]), ChangeVerdict::Unchanged);
    }

    #[test]
    fn too_few_samples_is_inconclusive() {
        assert_eq!(check(Better::Lower, &[10.0], &[20.0, 21.0]), ChangeVerdict::Inconclusive);
    }

    #[test]
    fn new_and_removed() {
        let before = results(&[("kept", Better::Lower, &BASE), ("gone", Better::Lower, &BASE)]);
        let after = results(&[("kept", Better::Lower, &BASE), ("added", Better::Lower, &BASE)]);
        let verdicts: Vec<(String, ChangeVerdict)> =
            compare(&before, &after, SETTINGS).into_iter().map(|c| (c.id, c.verdict)).collect();
        assert_eq!(
            verdicts,
            [
                ("added".to_owned(), ChangeVerdict::New),
                ("gone".to_owned(), ChangeVerdict::Removed),
                ("kept".to_owned(), ChangeVerdict::Unchanged)
            ]
        );
    }

    #[test]
    fn change_percent_and_reason_are_reported() {
        let c = &compare(
            &results(&[("b", Better::Lower, &BASE)]),
            &results(&[("b", Better::Lower, &scaled(1.10))]),
            SETTINGS,
        )[0];
        assert!((c.change_percent.unwrap() - 10.0).abs() < 1e-9);
        assert!(c.test.unwrap().p_two_sided < 1e-6);
        assert!(c.reason.contains(">= 5%"), "{}", c.reason);
    }
}
