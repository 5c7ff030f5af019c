//! The regression check: every compared metric present in baseline and current results,
//! judged together as one family. Pure: no I/O, no clock.
//!
//! Per metric: a t-test on the log samples (Welch, or Yuen's trimmed test), the change as a
//! ratio of geometric means with its confidence interval, and the minimum detectable effect.
//! Across the family: an empirical null (a change must stand out from the spread of changes
//! across the suite, not only from its own within-run noise), then Holm or Benjamini-Hochberg.
//! Against a window of baseline runs (`window`), each metric the runs hold is instead judged
//! against its own run-to-run spread.
//! A change is `regressed` only when the adjusted p is below alpha, the whole interval lies
//! beyond the noise threshold and the point change reaches the regression threshold.
//! docs/statistics.md gives the reasoning and the calibration figures.

mod direct;
pub mod window;

use serde::{Deserialize, Serialize};

use crate::condition::Severity;
use crate::config::{Correction, RegressionRule, Statistics, TestKind};
use crate::model::{Basis, Better, Metric, Results};
use crate::stats::{self, Summary, TTest, TestError};
pub use direct::Direct;
use window::Locations;
pub use window::{Window, WindowFigures, WindowSummary};

/// Share of each tail the trimmed test cuts off.
pub const TRIM: f64 = 0.2;
/// Asymptotic efficiency of the median absolute deviation relative to the standard deviation
/// for normal data (Rousseeuw and Croux 1993).
const MAD_EFFICIENCY: f64 = 0.37;
/// Power at which the minimum detectable effect is computed.
pub const POWER: f64 = 0.8;

/// Everything the check needs besides the two results.
#[derive(Debug, Clone)]
pub struct CompareSettings<'a> {
    pub statistics: &'a Statistics,
    /// Default smallest change, in percent, that counts.
    pub threshold_percent: f64,
    /// Default severity of a regression.
    pub severity: Severity,
    pub rules: &'a [RegressionRule],
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

/// The scale the test ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Natural log of the samples: changes are ratios.
    Log,
    /// The samples as they are, because some were zero or negative.
    Raw,
}

/// Whether a metric's noise lets it be gated at its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// Smallest change, in percent, detected with 80% power at the corrected alpha.
    pub minimum_detectable_percent: f64,
    /// True when that exceeds the threshold: the benchmark is too noisy to gate at it.
    pub too_noisy: bool,
    /// Samples per side that would bring the minimum detectable effect down to the threshold,
    /// when more samples can; `None` when the suite-wide spread sets the floor.
    pub samples_needed: Option<usize>,
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
    /// Scale of the test; `None` when no test ran.
    pub scale: Option<Scale>,
    /// Change in percent: ratio of geometric means (log scale) or of means (raw scale).
    pub change_percent: Option<f64>,
    /// `[baseline, current]` in the metric's unit: the values the change compares, each side's
    /// (20%-trimmed with the trimmed test) geometric mean on the log scale, mean on the raw
    /// scale; per round for paired rounds (whose change is the mean of the rounds' ratios), and
    /// the window's level against a window. `None` where nothing was tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical: Option<[f64; 2]>,
    /// Confidence interval of the change at 1 - alpha, in percent.
    pub change_interval_percent: Option<[f64; 2]>,
    /// The test on `scale` the verdict rests on: the paired test on per-round differences
    /// when `paired_rounds` is set, the window's test when `window` is, else the two-sample
    /// test.
    pub test: Option<TTest>,
    /// Rounds paired, when both sides were measured in the same interleaved run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_rounds: Option<usize>,
    /// Welch's test on every sample of every round pooled, reported beside a paired test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooled_welch: Option<TTest>,
    /// p-value of the suite-wide empirical null, when it applied.
    pub p_empirical_null: Option<f64>,
    /// The p-value entering the correction: the larger of the test's and the empirical null's
    /// (against a window: and the test's with the run's suite shift taken out).
    pub p_value: Option<f64>,
    /// `p_value` after the multiple-comparison correction.
    pub p_adjusted: Option<f64>,
    /// The threshold this comparison was judged against, in percent.
    pub threshold_percent: f64,
    /// What a regression of this metric does.
    pub severity: Severity,
    pub sensitivity: Option<Sensitivity>,
    /// One line saying why this verdict.
    pub reason: String,
    /// With `--confirm`: what decided the verdict, the screen against the stored baseline or
    /// the paired rounds against the base commit. `None` without `--confirm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// With `--confirm`, on a comparison the paired rounds decided: what the screen said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<ScreenFigures>,
    /// Against a window of baseline runs: the run-to-run spread this metric was judged
    /// against, and from how many runs. `None` against a single run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowFigures>,
    /// Set when no test ran because a side is not a set of samples, or neither side has any
    /// spread: how the values were compared instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<Direct>,
}

impl Comparison {
    /// The comparison of metric `name` of benchmark `id` (unit and direction from `any` side)
    /// before anything is tested: `inconclusive`, with no figures.
    fn untested(
        id: &str,
        name: &str,
        any: &Metric,
        (baseline, current): (Option<Summary>, Option<Summary>),
        threshold_percent: f64,
        severity: Severity,
    ) -> Comparison {
        Comparison {
            id: id.to_owned(),
            metric: name.to_owned(),
            unit: any.unit.clone(),
            better: any.better,
            verdict: ChangeVerdict::Inconclusive,
            baseline,
            current,
            scale: None,
            change_percent: None,
            typical: None,
            change_interval_percent: None,
            test: None,
            paired_rounds: None,
            pooled_welch: None,
            p_empirical_null: None,
            p_value: None,
            p_adjusted: None,
            threshold_percent,
            severity,
            sensitivity: None,
            reason: String::new(),
            evidence: None,
            screen: None,
            window: None,
            direct: None,
        }
    }
}

/// Which measurement a verdict rests on, when a screen was confirmed (`--confirm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The run against the stored baseline: the comparison was cleared there.
    Screen,
    /// Alternating rounds against the base commit, after the screen named it a suspect.
    Paired,
}

/// What the screen said of a comparison the paired rounds then decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenFigures {
    pub verdict: ChangeVerdict,
    pub change_percent: Option<f64>,
    /// The p-value that entered the screen's correction.
    pub p_value: Option<f64>,
    /// Why it was re-measured.
    pub suspect: String,
}

/// A change of the whole suite: every benchmark moved together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SuiteShift {
    /// Median change across the compared metrics, in percent.
    pub change_percent: f64,
    /// Robust spread (scaled MAD) of the changes, in percent.
    pub spread_percent: f64,
    /// How many metrics it was estimated from.
    pub metrics: usize,
    /// Whether the median change reaches the regression threshold.
    pub significant: bool,
    pub severity: Severity,
}

/// The outcome of the whole check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparisons {
    pub items: Vec<Comparison>,
    /// The suite-wide change, when the family was large enough to estimate it.
    pub suite_shift: Option<SuiteShift>,
    /// Benchmark ids left out by an `ignore` rule.
    pub ignored: Vec<String>,
    /// Against a window of baseline runs: what it said of the suite.
    pub window: Option<WindowSummary>,
}

impl RegressionRule {
    fn matches(&self, id: &str, metric: &str) -> bool {
        self.benchmarks.matches(id) && self.metrics.as_ref().is_none_or(|m| m.matches(metric))
    }
}

/// Compares every compared metric of `current` against `baseline`.
pub fn compare(baseline: &Results, current: &Results, settings: &CompareSettings<'_>) -> Comparisons {
    compare_with_window(baseline, None, current, settings)
}

/// Compares every compared metric of `current` against `baseline`, which with a `window` is
/// the window's [`Window::pooled`] runs: each metric the window's runs hold is then judged
/// against its own run-to-run spread (`window`'s module documentation).
pub fn compare_with_window<'a>(
    baseline: &'a Results,
    window: Option<&'a Window>,
    current: &'a Results,
    settings: &CompareSettings<'_>,
) -> Comparisons {
    let rule_for = |id: &str, metric: &str| settings.rules.iter().find(|r| r.matches(id, metric));

    // Round i of one side pairs with round i of the other only within one interleaved run.
    let paired = match (&baseline.interleaved, &current.interleaved) {
        (Some(a), Some(b)) => a.session == b.session,
        _ => false,
    };
    let mut out = Comparisons::default();
    let mut pairs: Vec<Pending<'_>> = Vec::new();
    let window_runs: Vec<_> = window.map_or_else(Vec::new, |w| w.runs().iter().map(Results::by_id).collect());
    let mut add = |id: &'a str, name: &'a str, base: Option<&'a Metric>, current: Option<&'a Metric>| {
        let rule = rule_for(id, name);
        if rule.is_some_and(|r| r.ignore) {
            out.ignored.push(id.to_owned());
            return;
        }
        // Exact counts have their own default: they do not move between runs of the same code.
        let exact = current.or(base).is_some_and(|m| m.basis == Basis::Deterministic);
        let default =
            if exact { settings.statistics.deterministic_threshold_percent } else { settings.threshold_percent };
        let threshold_percent = rule.and_then(|r| r.threshold_percent).unwrap_or(default);
        let severity = rule.and_then(|r| r.severity).unwrap_or(settings.severity);
        let window = window_runs.iter().map(|run| run.get(id).and_then(|b| b.metrics.get(name))).collect();
        pairs.push(Pending { id, name, base, current, threshold_percent, severity, paired, window });
    };
    let (baseline_by_id, current_by_id) = (baseline.by_id(), current.by_id());
    for benchmark in &current.benchmarks {
        for (name, metric) in benchmark.metrics.iter().filter(|(_, m)| m.compared) {
            let base = baseline_by_id.get(benchmark.id.as_str()).and_then(|b| b.metrics.get(name));
            add(&benchmark.id, name, base, Some(metric));
        }
    }
    for benchmark in &baseline.benchmarks {
        let in_current =
            |name: &String| current_by_id.get(benchmark.id.as_str()).is_some_and(|b| b.metrics.contains_key(name));
        for (name, metric) in benchmark.metrics.iter().filter(|(n, m)| m.compared && !in_current(n)) {
            add(&benchmark.id, name, Some(metric), None);
        }
    }
    out.ignored.sort();
    out.ignored.dedup();

    let (mut items, locations): (Vec<Comparison>, Vec<Option<Locations>>) =
        pairs.iter().map(|p| p.measure(settings.statistics)).unzip();
    (out.suite_shift, out.window) = judge_family(&mut items, &locations, settings);
    items.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.metric.cmp(&b.metric)));
    out.items = items;
    out
}

/// Literal comparisons for the unit tests of the modules that read them.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A `time` comparison of benchmark `id` with `verdict` and `change`, nothing else tested.
    pub fn comparison(id: &str, verdict: ChangeVerdict, change: Option<f64>) -> Comparison {
        let metric = Metric::from_samples("ns", Better::Lower, true, Vec::new());
        let untested =
            Comparison::untested(id, crate::model::TIME_METRIC, &metric, (None, None), 5.0, Severity::Blocking);
        Comparison { verdict, change_percent: change, ..untested }
    }
}

/// A metric pair waiting to be measured.
struct Pending<'a> {
    id: &'a str,
    name: &'a str,
    base: Option<&'a Metric>,
    current: Option<&'a Metric>,
    threshold_percent: f64,
    severity: Severity,
    paired: bool,
    /// The metric in each run of the baseline window; empty without one.
    window: Vec<Option<&'a Metric>>,
}

impl Pending<'_> {
    /// Everything that depends on this pair alone: the test, the change and its interval, and
    /// against a window each run's location for the window's test.
    fn measure(&self, statistics: &Statistics) -> (Comparison, Option<Locations>) {
        let comparison = self.measure_pair(statistics);
        let locations = match (self.current, comparison.test, comparison.scale) {
            (Some(current), Some(_), Some(Scale::Log))
                if !self.window.is_empty() && comparison.paired_rounds.is_none() =>
            {
                let trim = match statistics.test {
                    TestKind::Welch => 0.0,
                    TestKind::Trimmed => TRIM,
                };
                Locations::of(&self.window, current, trim)
            }
            _ => None,
        };
        (comparison, locations)
    }

    fn measure_pair(&self, statistics: &Statistics) -> Comparison {
        let any = self.current.or(self.base).expect("a pending pair has at least one side");
        let mut comparison = Comparison::untested(
            self.id,
            self.name,
            any,
            (self.base.map(|m| m.summary), self.current.map(|m| m.summary)),
            self.threshold_percent,
            self.severity,
        );
        let (base, current) = match (self.base, self.current) {
            (Some(base), Some(current)) => (base, current),
            (None, _) => {
                comparison.verdict = ChangeVerdict::New;
                comparison.reason = "not in the baseline".to_owned();
                return comparison;
            }
            (_, None) => {
                comparison.verdict = ChangeVerdict::Removed;
                comparison.reason = "not in the current results".to_owned();
                return comparison;
            }
        };
        if !(base.basis.is_samples() && current.basis.is_samples()) {
            direct::judge(&mut comparison, base, current);
            return comparison;
        }
        let rounds = match (&base.rounds, &current.rounds) {
            (Some(b), Some(c)) if self.paired && b.len() == c.len() => Some((b.as_slice(), c.as_slice())),
            _ => None,
        };
        // A paired test's sample is its rounds, however few samples each round had.
        let min_samples = if rounds.is_some() { 0 } else { statistics.min_samples };
        if let Some(reason) = incomparable(base, current, min_samples) {
            comparison.reason = reason;
            return comparison;
        }
        let positive = |values: &[f64]| values.iter().all(|x| *x > 0.0);
        let scale = match rounds {
            Some((b, c)) if !positive(b) || !positive(c) => Scale::Raw,
            _ if !positive(&base.samples) || !positive(&current.samples) => Scale::Raw,
            _ => Scale::Log,
        };
        comparison.scale = Some(scale);
        let on_scale = |values: &[f64]| -> Vec<f64> {
            match scale {
                Scale::Log => values.iter().map(|v| v.ln()).collect(),
                Scale::Raw => values.to_vec(),
            }
        };
        let (x, y) = (on_scale(&base.samples), on_scale(&current.samples));
        // With no spread, the difference itself is the answer.
        let (test, exact_difference) = match rounds {
            Some((b, c)) => {
                comparison.paired_rounds = Some(b.len());
                comparison.pooled_welch = stats::welch(&x, &y).ok();
                let differences: Vec<f64> = on_scale(c).iter().zip(on_scale(b)).map(|(c, b)| c - b).collect();
                let test = match statistics.test {
                    TestKind::Welch => stats::paired(&differences),
                    TestKind::Trimmed => stats::paired_trimmed(&differences, TRIM),
                };
                (test, differences.first().copied().unwrap_or(0.0))
            }
            None => {
                let test = match statistics.test {
                    TestKind::Welch => stats::welch(&x, &y),
                    TestKind::Trimmed => stats::yuen(&x, &y, TRIM),
                };
                (test, y[0] - x[0])
            }
        };
        let to_percent = |difference: f64| match scale {
            Scale::Log => difference.exp_m1() * 100.0,
            Scale::Raw => difference / base.summary.mean * 100.0,
        };
        comparison.typical = match rounds {
            Some((b, c)) => typical_pair(&on_scale(b), &on_scale(c), scale, statistics.test),
            None => typical_pair(&x, &y, scale, statistics.test),
        };
        record_test(&mut comparison, test, to_percent(exact_difference), to_percent, statistics.alpha);
        note_scale(&mut comparison);
        comparison
    }
}

/// Records what the test found: the change with its interval and p; for a metric with no
/// spread on either side (sizes, instruction counts), `exact_change` against the threshold.
fn record_test(
    comparison: &mut Comparison,
    test: Result<TTest, TestError>,
    exact_change: f64,
    to_percent: impl Fn(f64) -> f64,
    alpha: f64,
) {
    match test {
        Ok(test) => {
            comparison.change_percent = Some(to_percent(test.difference));
            let (low, high) = test.interval(1.0 - alpha);
            comparison.change_interval_percent = Some([to_percent(low), to_percent(high)]);
            comparison.p_value = Some(test.p_two_sided);
            comparison.test = Some(test);
        }
        Err(TestError::ZeroVariance) => {
            // Deterministic metrics: the values are the answer.
            comparison.change_percent = Some(exact_change);
            comparison.change_interval_percent = Some([exact_change, exact_change]);
            comparison.direct = Some(Direct::Deterministic);
            let worse = worse_percent(exact_change, comparison.better);
            let threshold = comparison.threshold_percent;
            comparison.verdict = if worse >= threshold {
                ChangeVerdict::Regressed
            } else if -worse >= threshold {
                ChangeVerdict::Improved
            } else {
                ChangeVerdict::Unchanged
            };
            comparison.reason = format!(
                "no spread on either side: compared directly, {} against the {threshold}% threshold",
                signed(exact_change)
            );
        }
        Err(error) => comparison.reason = format!("cannot test: {error}"),
    }
}

/// Each side's typical value in the metric's unit: the location the test compares (trimmed
/// with the trimmed test), back from the log scale.
fn typical_pair(baseline: &[f64], current: &[f64], scale: Scale, test: TestKind) -> Option<[f64; 2]> {
    let trim = match test {
        TestKind::Welch => 0.0,
        TestKind::Trimmed => TRIM,
    };
    let location = |side: &[f64]| {
        let (value, _, _) = stats::location(side, trim).ok()?;
        Some(match scale {
            Scale::Log => value.exp(),
            Scale::Raw => value,
        })
    };
    Some([location(baseline)?, location(current)?])
}

/// Why two metrics cannot be compared at all.
fn incomparable(base: &Metric, current: &Metric, min_samples: usize) -> Option<String> {
    if base.unit != current.unit {
        return Some(format!("the unit changed from {} to {}", base.unit, current.unit));
    }
    if base.better != current.better {
        return Some("the better direction changed between the two results".to_owned());
    }
    let (n1, n2) = (base.samples.len(), current.samples.len());
    if n1.min(n2) < min_samples {
        return Some(format!("{n1} baseline and {n2} current samples; at least {min_samples} per side are needed"));
    }
    if base.samples.iter().chain(&current.samples).any(|x| !x.is_finite()) {
        return Some("a sample is NaN or infinite".to_owned());
    }
    if base.samples.iter().any(|x| *x <= 0.0) && base.summary.mean == 0.0 {
        return Some("the baseline mean is zero, so no relative change exists".to_owned());
    }
    None
}

/// Says so in the reason when the test could not use the log scale.
fn note_scale(item: &mut Comparison) {
    if item.scale == Some(Scale::Raw) && item.verdict != ChangeVerdict::Inconclusive {
        item.reason.push_str(" (raw scale: some samples are zero or negative)");
    }
}

/// Positive when `change` goes the worse way for a metric.
fn worse_percent(change: f64, better: Better) -> f64 {
    match better {
        Better::Lower => change,
        Better::Higher => -change,
    }
}

fn signed(percent: f64) -> String {
    match percent {
        f64::INFINITY => "+∞%".to_owned(),
        f64::NEG_INFINITY => "-∞%".to_owned(),
        _ => format!("{percent:+.2}%"),
    }
}

fn format_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// The family-level steps: the window's tests, the empirical null, correction, verdicts and
/// sensitivity.
fn judge_family(
    items: &mut [Comparison],
    locations: &[Option<Locations>],
    settings: &CompareSettings<'_>,
) -> (Option<SuiteShift>, Option<WindowSummary>) {
    let statistics = settings.statistics;
    let tested: Vec<usize> = (0..items.len()).filter(|&i| items[i].test.is_some()).collect();
    let family = tested.len();

    // The empirical null is estimated from the changes themselves: run-to-run offsets that a
    // within-run test cannot see show up as spread across the suite. Only log-scale changes
    // (ratios) are comparable across benchmarks; with no spread at all there is no null to use.
    // Paired comparisons are left out: alternating rounds already cancel the run-level offsets
    // the null stands in for, so there a suite-wide change is real.
    let log_tested: Vec<usize> = tested
        .iter()
        .copied()
        .filter(|&i| items[i].scale == Some(Scale::Log) && items[i].paired_rounds.is_none())
        .collect();
    let minimum = statistics.empirical_null_min_benchmarks;
    let large_suite = minimum > 0 && log_tested.len() >= minimum;
    let null = large_suite
        .then(|| {
            let differences: Vec<f64> =
                log_tested.iter().map(|&i| items[i].test.map_or(0.0, |t| t.difference)).collect();
            (stats::median(&differences), stats::mad(&differences))
        })
        .filter(|(_, spread)| *spread > 0.0);
    // A window measures each benchmark's run-to-run spread itself; the null stays for the
    // metrics the window's runs lack.
    let window = window::judge(items, locations, minimum, statistics.alpha);
    let outside_window: Vec<usize> = log_tested.iter().copied().filter(|&i| items[i].window.is_none()).collect();
    let suite_shift = match (window, null) {
        (Some(window), _) if window.run_shifts_removed => {
            Some((window.shift_percent, window.change_spread_percent, window.metrics))
        }
        (Some(_), _) => None,
        (None, Some((center, spread))) => Some((center.exp_m1() * 100.0, spread.exp_m1() * 100.0, log_tested.len())),
        (None, None) => None,
    }
    .map(|(change_percent, spread_percent, metrics)| SuiteShift {
        change_percent,
        spread_percent,
        metrics,
        significant: change_percent.abs() >= settings.threshold_percent,
        severity: statistics.suite_shift_severity,
    });
    if let Some(null) = null {
        apply_null(items, &outside_window, null, log_tested.len());
    }

    let raw: Vec<f64> = tested.iter().map(|&i| items[i].p_value.unwrap_or(1.0)).collect();
    let adjusted = match statistics.correction {
        Correction::Holm => stats::holm(&raw),
        Correction::Bh => stats::benjamini_hochberg(&raw),
        Correction::None => raw.clone(),
    };
    // The level a single comparison must reach in the worst case, for its detectable effect.
    let corrected_alpha = match statistics.correction {
        Correction::None => statistics.alpha,
        Correction::Holm | Correction::Bh => statistics.alpha / family.max(1) as f64,
    };
    for (&i, p_adjusted) in tested.iter().zip(adjusted) {
        let item = &mut items[i];
        let null_spread = if item.p_empirical_null.is_some() { null.map_or(0.0, |(_, spread)| spread) } else { 0.0 };
        item.p_adjusted = Some(p_adjusted);
        item.sensitivity = item.test.map(|test| sensitivity(&test, item, null_spread, corrected_alpha));
        decide(item, statistics);
    }
    (suite_shift, window)
}

/// Gives each of `judged` the p-value of standing out from the suite's spread of changes
/// (`null`: its median and scaled MAD over `family` changes), and the larger of that and its
/// own test's as the p entering the correction.
fn apply_null(items: &mut [Comparison], judged: &[usize], (center, spread): (f64, f64), family: usize) {
    // The scale comes from a MAD, which is 37% as efficient as a standard deviation: a t with
    // that share of the family's degrees of freedom keeps the null's tails honest.
    let null_df = (MAD_EFFICIENCY * (family as f64 - 1.0)).max(1.0);
    for &i in judged {
        let Some(test) = items[i].test else { continue };
        let p_null = (2.0 * stats::t_sf(((test.difference - center) / spread).abs(), null_df)).min(1.0);
        items[i].p_empirical_null = Some(p_null);
        items[i].p_value = Some(test.p_two_sided.max(p_null));
    }
}

fn sensitivity(test: &TTest, item: &Comparison, null_spread: f64, corrected_alpha: f64) -> Sensitivity {
    let within = test.minimum_detectable_difference(corrected_alpha, POWER);
    let across = (stats::t_quantile(1.0 - corrected_alpha / 2.0, f64::INFINITY)
        + stats::t_quantile(POWER, f64::INFINITY))
        * null_spread;
    let detectable = within.max(across);
    let (minimum_detectable_percent, target) = match item.scale {
        Some(Scale::Log) => (detectable.exp_m1() * 100.0, (item.threshold_percent / 100.0).ln_1p()),
        _ => {
            let base_mean = item.baseline.map_or(f64::NAN, |s| s.mean).abs();
            (detectable / base_mean * 100.0, item.threshold_percent / 100.0 * base_mean)
        }
    };
    let too_noisy = minimum_detectable_percent > item.threshold_percent;
    // Against a window, the runs' spread sets the floor: more samples per run do not lower it.
    let samples_needed = (too_noisy && across < target && target > 0.0 && item.window.is_none()).then(|| {
        // A paired test's sample is its rounds.
        let n =
            item.paired_rounds.unwrap_or_else(|| item.baseline.map_or(0, |s| s.n).max(item.current.map_or(0, |s| s.n)))
                as f64;
        // The standard error shrinks with the square root of the sample count.
        (n * (within / (target - across).max(f64::MIN_POSITIVE)).powi(2)).ceil() as usize
    });
    Sensitivity { minimum_detectable_percent, too_noisy, samples_needed }
}

/// The verdict of a tested comparison from its adjusted p, interval and change.
fn decide(item: &mut Comparison, statistics: &Statistics) {
    let (Some(change), Some([low, high]), Some(p)) =
        (item.change_percent, item.change_interval_percent, item.p_adjusted)
    else {
        return;
    };
    let alpha = statistics.alpha;
    let noise = statistics.noise_threshold_percent;
    let threshold = item.threshold_percent;
    // The interval must keep clear of the noise band around "no change" on the change's side.
    let clear_of_noise = if change >= 0.0 { low > noise } else { high < -noise };
    let direction =
        if worse_percent(change, item.better) > 0.0 { ChangeVerdict::Regressed } else { ChangeVerdict::Improved };
    let p_text = format!("adjusted p = {}", format_p(p));
    let change_text = signed(change);
    (item.verdict, item.reason) = if p >= alpha {
        (ChangeVerdict::Unchanged, format!("{p_text} >= {alpha}: not significant"))
    } else if !clear_of_noise {
        (
            ChangeVerdict::Unchanged,
            format!(
                "{p_text}, but the interval [{}, {}] reaches within {noise}% of no change",
                signed(low),
                signed(high)
            ),
        )
    } else if change.abs() < threshold {
        (ChangeVerdict::Unchanged, format!("{p_text}, but |{change_text}| < the {threshold}% threshold"))
    } else {
        (
            direction,
            format!(
                "{p_text} < {alpha}, interval [{}, {}], |{change_text}| >= {threshold}%",
                signed(low),
                signed(high)
            ),
        )
    };
    if let Some(window) = item.window {
        item.reason.push_str(&format!(
            "; judged against a run-to-run spread of {:.2}% from {} runs",
            window.noise_floor_percent, window.runs
        ));
    }
    note_scale(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;

    fn settings(statistics: &Statistics) -> CompareSettings<'_> {
        CompareSettings { statistics, threshold_percent: 5.0, severity: Severity::Blocking, rules: &[] }
    }

    fn results(benchmarks: &[(&str, Better, &[f64])]) -> Results {
        fixtures::results(
            benchmarks.iter().map(|(id, better, times)| fixtures::benchmark(id, *better, times)).collect(),
        )
    }

    /// The comparison of one benchmark from `before` to `after`, with Welch's test so that the
    /// figures can be checked against scipy's `ttest_ind(equal_var=False)`.
    fn one(better: Better, before: &[f64], after: &[f64]) -> Comparison {
        let statistics = Statistics { test: TestKind::Welch, ..Statistics::default() };
        let comparisons =
            compare(&results(&[("b", better, before)]), &results(&[("b", better, after)]), &settings(&statistics));
        assert_eq!(comparisons.items.len(), 1);
        comparisons.items[0].clone()
    }

    /// The values shown beside a change are the ones it compares: their ratio is the change,
    /// with either test.
    #[test]
    fn the_typical_values_are_what_the_change_compares() {
        let before = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.0, 250.0, 100.1];
        let after: Vec<f64> = before.iter().map(|x| x * 1.07).collect();
        for test in [TestKind::Welch, TestKind::Trimmed] {
            let statistics = Statistics { test, ..Statistics::default() };
            let item = compare(
                &results(&[("b", Better::Lower, &before)]),
                &results(&[("b", Better::Lower, &after)]),
                &settings(&statistics),
            )
            .items
            .remove(0);
            let [base, current] = item.typical.unwrap();
            let change = item.change_percent.unwrap();
            assert!(((current / base - 1.0) * 100.0 - change).abs() < 1e-9, "{test:?}: {base} {current} {change}");
            // The trimmed mean leaves the 250 out; the plain mean does not.
            assert_eq!(base < 101.0, test == TestKind::Trimmed, "{test:?}: {base}");
        }
    }

    fn check(better: Better, before: &[f64], after: &[f64]) -> ChangeVerdict {
        one(better, before, after).verdict
    }

    const BASE: [f64; 8] = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.0];

    fn scaled(factor: f64) -> Vec<f64> {
        BASE.iter().map(|x| x * factor).collect()
    }

    /// Results of one side of an interleaved run: each round's samples are the round's level
    /// times that round's factor, 1% apart; the pooled samples and the rounds' medians as
    /// perf-gate keeps them.
    fn interleaved(session: &str, levels: &[f64], factors: &[f64]) -> Results {
        let rounds: Vec<Vec<f64>> = levels
            .iter()
            .zip(factors)
            .map(|(level, factor)| [0.99, 1.0, 1.01].iter().map(|x| x * level * factor).collect())
            .collect();
        let pooled: Vec<f64> = rounds.iter().flatten().copied().collect();
        let mut results = results(&[("b", Better::Lower, &pooled)]);
        let time = results.benchmarks[0].metrics.get_mut("time").unwrap();
        time.rounds = Some(rounds.iter().map(|r| stats::median(r)).collect());
        results.interleaved = Some(crate::model::Interleaving {
            session: session.to_owned(),
            rounds: levels.len(),
            measurement_time_s: 0.5,
        });
        results
    }

    /// The machine drifts by 40% over the run, far more than the slowdown, and both sides drift
    /// together round by round.
    const DRIFT: [f64; 6] = [100.0, 130.0, 85.0, 140.0, 110.0, 90.0];
    const SAME: [f64; 6] = [1.0; 6];
    /// 6% slower, give or take 1% from round to round.
    const SLOWER: [f64; 6] = [1.05, 1.07, 1.06, 1.055, 1.065, 1.06];

    #[test]
    fn rounds_of_one_session_are_paired_and_see_through_drift() {
        let statistics = Statistics::default();
        let base = interleaved("s1", &DRIFT, &SAME);
        let current = interleaved("s1", &DRIFT, &SLOWER);
        let item = compare(&base, &current, &settings(&statistics)).items.remove(0);
        assert_eq!(item.paired_rounds, Some(6));
        assert_eq!(item.verdict, ChangeVerdict::Regressed, "{}", item.reason);
        assert!((item.change_percent.unwrap() - 6.0).abs() < 0.1, "{item:?}");
        // Pooled, the drift swamps the change.
        let pooled = item.pooled_welch.unwrap();
        assert!(pooled.p_two_sided > 0.05, "{pooled:?}");
        // The default test is trimmed: 20% of 6 rounds cuts one from each tail.
        assert_eq!(item.test.unwrap().df, 3.0);
        assert_eq!(item.p_empirical_null, None);
        let welch = Statistics { test: TestKind::Welch, ..Statistics::default() };
        let plain = compare(&base, &current, &settings(&welch)).items.remove(0);
        assert_eq!((plain.verdict, plain.test.unwrap().df), (ChangeVerdict::Regressed, 5.0));
    }

    #[test]
    fn rounds_of_different_sessions_are_not_paired() {
        let statistics = Statistics::default();
        let base = interleaved("s1", &DRIFT, &SAME);
        let current = interleaved("s2", &DRIFT, &SLOWER);
        let item = compare(&base, &current, &settings(&statistics)).items.remove(0);
        assert_eq!((item.paired_rounds, item.pooled_welch), (None, None));
        assert_eq!(item.verdict, ChangeVerdict::Unchanged, "{}", item.reason);
    }

    #[test]
    fn paired_rounds_need_no_minimum_sample_count() {
        let statistics = Statistics { min_samples: 50, ..Statistics::default() };
        let base = interleaved("s1", &DRIFT[..4], &SAME);
        let current = interleaved("s1", &DRIFT[..4], &SAME);
        let item = compare(&base, &current, &settings(&statistics)).items.remove(0);
        assert_eq!(item.paired_rounds, Some(4));
        // Every round's ratio is exactly 1: no spread, compared directly.
        assert_eq!(item.verdict, ChangeVerdict::Unchanged, "{}", item.reason);
        assert_eq!(item.change_percent, Some(0.0));
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
        let c = one(Better::Lower, &BASE, &scaled(1.03));
        assert_eq!(c.verdict, ChangeVerdict::Unchanged);
        assert!(c.reason.contains("< the 5% threshold"), "{}", c.reason);
    }

    #[test]
    fn large_but_noisy_is_unchanged_and_flagged() {
        let noisy_before = [50.0, 150.0, 60.0, 140.0, 100.0, 90.0, 110.0, 100.0];
        let noisy_after: Vec<f64> = noisy_before.iter().map(|x| x * 1.08).collect();
        let c = one(Better::Lower, &noisy_before, &noisy_after);
        assert_eq!(c.verdict, ChangeVerdict::Unchanged);
        let sensitivity = c.sensitivity.unwrap();
        assert!(sensitivity.too_noisy && sensitivity.minimum_detectable_percent > 5.0, "{sensitivity:?}");
        assert!(sensitivity.samples_needed.unwrap() > 8);
    }

    #[test]
    fn change_is_a_ratio_of_geometric_means_with_an_interval() {
        let c = one(Better::Lower, &BASE, &scaled(1.10));
        assert_eq!(c.scale, Some(Scale::Log));
        assert!((c.change_percent.unwrap() - 10.0).abs() < 1e-9, "{:?}", c.change_percent);
        let [low, high] = c.change_interval_percent.unwrap();
        assert!(low > 8.0 && low < 10.0 && high > 10.0 && high < 12.0, "{low} {high}");
        assert!(c.p_adjusted.unwrap() < 1e-6);
    }

    #[test]
    fn an_interval_reaching_into_the_noise_band_is_unchanged() {
        // A 6.3% change, significant (p = 0.049), whose 95% interval [+0.04%, +12.9%] reaches
        // into the 1% noise band (figures from scipy's ttest_ind on the logs).
        let before = [100.0, 95.0, 105.0, 100.0, 97.5, 102.5];
        let after = [110.0, 99.0, 112.0, 104.0, 101.0, 112.0];
        let c = one(Better::Lower, &before, &after);
        assert!(c.test.unwrap().p_two_sided < 0.05);
        assert_eq!(c.verdict, ChangeVerdict::Unchanged, "{c:?}");
        assert!(c.reason.contains("within 1% of no change"), "{}", c.reason);
    }

    #[test]
    fn identical_results_are_unchanged() {
        assert_eq!(check(Better::Lower, &BASE, &BASE), ChangeVerdict::Unchanged);
    }

    #[test]
    fn zero_variance_compares_values_directly() {
        let five = |v: f64| [v; 5];
        assert_eq!(check(Better::Lower, &five(10.0), &five(11.0)), ChangeVerdict::Regressed);
        assert_eq!(check(Better::Lower, &five(10.0), &five(10.2)), ChangeVerdict::Unchanged);
        assert_eq!(check(Better::Higher, &five(10.0), &five(11.0)), ChangeVerdict::Improved);
    }

    #[test]
    fn too_few_samples_is_inconclusive() {
        let c = one(Better::Lower, &[10.0, 11.0], &[20.0, 21.0, 22.0, 20.0, 21.0]);
        assert_eq!(c.verdict, ChangeVerdict::Inconclusive);
        assert!(c.reason.contains("at least 5"), "{}", c.reason);
    }

    #[test]
    fn non_positive_samples_fall_back_to_the_raw_scale() {
        let c = one(Better::Lower, &[0.0, 1.0, 2.0, 1.0, 1.0], &[10.0, 11.0, 12.0, 11.0, 11.0]);
        assert_eq!(c.scale, Some(Scale::Raw));
        assert_eq!(c.verdict, ChangeVerdict::Regressed);
        assert!(c.reason.contains("raw scale"), "{}", c.reason);
    }

    #[test]
    fn new_and_removed() {
        let before = results(&[("kept", Better::Lower, &BASE), ("gone", Better::Lower, &BASE)]);
        let after = results(&[("kept", Better::Lower, &BASE), ("added", Better::Lower, &BASE)]);
        let statistics = Statistics::default();
        let verdicts: Vec<(String, ChangeVerdict)> =
            compare(&before, &after, &settings(&statistics)).items.into_iter().map(|c| (c.id, c.verdict)).collect();
        assert_eq!(
            verdicts,
            [
                ("added".to_owned(), ChangeVerdict::New),
                ("gone".to_owned(), ChangeVerdict::Removed),
                ("kept".to_owned(), ChangeVerdict::Unchanged)
            ]
        );
    }

    /// A suite of `count` benchmarks with `offsets[i]` applied to benchmark i's current side.
    fn suite(count: usize, offset: impl Fn(usize) -> f64) -> (Results, Results) {
        let ids: Vec<String> = (0..count).map(|i| format!("bench_{i:03}")).collect();
        let samples = |i: usize, factor: f64| -> Vec<f64> {
            (0..20)
                .map(|k| 1000.0 * (i + 1) as f64 * factor * (1.0 + 0.01 * (((k * 7 + i) % 11) as f64 / 10.0 - 0.5)))
                .collect()
        };
        let side = |factor: &dyn Fn(usize) -> f64| {
            fixtures::results(
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| fixtures::benchmark(id, Better::Lower, &samples(i, factor(i))))
                    .collect(),
            )
        };
        (side(&|_| 1.0), side(&|i| offset(i)))
    }

    #[test]
    fn holm_keeps_a_suite_of_tiny_noise_quiet_and_finds_the_real_slowdown() {
        let statistics = Statistics::default();
        // Run-to-run offsets of up to +-3% on every benchmark, and one real 30% slowdown.
        let (before, after) =
            suite(40, |i| if i == 7 { 1.30 } else { 1.0 + 0.03 * (((i * 13) % 7) as f64 / 3.0 - 1.0) });
        let comparisons = compare(&before, &after, &settings(&statistics));
        let regressed: Vec<&str> =
            comparisons.items.iter().filter(|c| c.verdict == ChangeVerdict::Regressed).map(|c| c.id.as_str()).collect();
        assert_eq!(regressed, ["bench_007"]);
        let shift = comparisons.suite_shift.unwrap();
        assert!(!shift.significant, "{shift:?}");
        assert!(comparisons.items.iter().all(|c| c.p_empirical_null.is_some()));
    }

    #[test]
    fn a_suite_mostly_identical_does_not_mask_a_regression() {
        let statistics = Statistics::default();
        // Most benchmarks give the very same samples on both sides: no spread to build a null on.
        let (before, after) = suite(30, |i| if i == 3 { 1.5 } else { 1.0 });
        let comparisons = compare(&before, &after, &settings(&statistics));
        let regressed: Vec<&str> =
            comparisons.items.iter().filter(|c| c.verdict == ChangeVerdict::Regressed).map(|c| c.id.as_str()).collect();
        assert_eq!(regressed, ["bench_003"]);
        assert!(comparisons.suite_shift.is_none());
    }

    #[test]
    fn a_whole_suite_slower_is_a_suite_shift_not_forty_regressions() {
        let statistics = Statistics::default();
        let (before, after) = suite(40, |i| 1.12 + 0.002 * (i % 5) as f64);
        let comparisons = compare(&before, &after, &settings(&statistics));
        assert!(comparisons.items.iter().all(|c| c.verdict == ChangeVerdict::Unchanged));
        let shift = comparisons.suite_shift.unwrap();
        assert!(shift.significant && (shift.change_percent - 12.4).abs() < 0.5, "{shift:?}");
        assert_eq!(shift.severity, Severity::Warning);
    }

    #[test]
    fn regression_rules_set_thresholds_severities_and_ignores_first_match_wins() {
        let statistics = Statistics::default();
        let rules = crate::config::Config::parse(
            r#"{"regressions": [
                {"benchmarks": "flaky/*", "ignore": true},
                {"benchmarks": "encode_*", "threshold_percent": 20, "severity": "Warning"},
                {"benchmarks": "**", "metrics": "time", "threshold_percent": 2}
            ]}"#,
        )
        .unwrap()
        .regressions;
        let before = results(&[
            ("encode_a", Better::Lower, &BASE),
            ("flaky/x", Better::Lower, &BASE),
            ("other", Better::Lower, &BASE),
        ]);
        let slower = scaled(1.10);
        let after = results(&[
            ("encode_a", Better::Lower, &slower),
            ("flaky/x", Better::Lower, &scaled(3.0)),
            ("other", Better::Lower, &scaled(1.03)),
        ]);
        let comparisons = compare(&before, &after, &CompareSettings { rules: &rules, ..settings(&statistics) });
        assert_eq!(comparisons.ignored, ["flaky/x"]);
        let by_id = |id: &str| comparisons.items.iter().find(|c| c.id == id).unwrap();
        assert_eq!(by_id("encode_a").verdict, ChangeVerdict::Unchanged, "10% < 20%");
        assert_eq!(by_id("encode_a").severity, Severity::Warning);
        assert_eq!(by_id("other").verdict, ChangeVerdict::Regressed, "3% >= 2%");
        assert_eq!(by_id("other").threshold_percent, 2.0);
    }

    #[test]
    fn trimmed_test_shrugs_off_contention_outliers() {
        let before: Vec<f64> = (0..30).map(|k| 100.0 + (k % 5) as f64 * 0.2).collect();
        let mut after = before.clone();
        // Three samples hit by contention, five times slower: a 40% higher mean.
        for sample in after.iter_mut().take(3) {
            *sample *= 5.0;
        }
        let welch = Statistics { test: TestKind::Welch, ..Statistics::default() };
        let trimmed = Statistics::default();
        let run = |statistics: &Statistics| {
            compare(
                &results(&[("b", Better::Lower, &before)]),
                &results(&[("b", Better::Lower, &after)]),
                &settings(statistics),
            )
            .items[0]
                .clone()
        };
        assert_eq!(run(&trimmed).verdict, ChangeVerdict::Unchanged);
        assert!(run(&trimmed).change_percent.unwrap().abs() < 1.0);
        assert!(run(&welch).change_percent.unwrap() > 10.0);
    }
}
