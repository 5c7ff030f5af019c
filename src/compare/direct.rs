//! Metrics compared without a test: one exact value per side (instruction counts), or one
//! summary another tool reported (libtest's median, k6's p95), with the spread it stated when
//! it stated one. docs/statistics.md, "Metrics without samples", gives the rules.

use serde::{Deserialize, Serialize};

use super::{incomparable, signed, worse_percent, ChangeVerdict, Comparison, Scale};
use crate::model::{Basis, Metric, StatedSpread};

/// How a comparison without a test was made; report.json's `direct`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direct {
    /// Exact values (or samples without any spread): the change itself against the threshold.
    Deterministic,
    /// Summaries whose tool stated bounds: a change counts only when the bounds do not overlap.
    StatedSpread,
    /// Summaries with no spread stated: compared directly, as if deterministic.
    Summary,
}

impl Direct {
    /// `count` of them in a few words, for the report's method line: `2 summaries with a
    /// stated spread, a change counted only clear of it`.
    pub fn describe(self, count: usize) -> String {
        let (one, many, how) = match self {
            Direct::Deterministic => ("exact", "exact", "compared directly against the threshold"),
            Direct::StatedSpread => {
                ("summary with a stated spread", "summaries with a stated spread", "a change counted only clear of it")
            }
            Direct::Summary => {
                ("summary without a spread", "summaries without a spread", "compared directly as if exact")
            }
        };
        format!("{count} {}, {how}", if count == 1 { one } else { many })
    }
}

/// One side reduced to its value and the bounds around it.
struct Side<'a> {
    value: f64,
    spread: Option<&'a StatedSpread>,
}

impl<'a> Side<'a> {
    fn of(metric: &'a Metric) -> Side<'a> {
        let spread = match &metric.basis {
            Basis::Summary { spread } => spread.as_ref(),
            _ => None,
        };
        Side { value: metric.summary.mean, spread }
    }

    fn bounds(&self) -> (f64, f64) {
        self.spread.map_or((self.value, self.value), |s| (s.lower.min(self.value), s.upper.max(self.value)))
    }
}

/// Judges `base` against `current` when either is not a set of samples.
pub(super) fn judge(comparison: &mut Comparison, base: &Metric, current: &Metric) {
    if base.basis.is_samples() != current.basis.is_samples() {
        let (samples, other) = if base.basis.is_samples() { ("baseline", current) } else { ("current", base) };
        comparison.reason = format!(
            "the {samples} side has samples and the other {}: measured differently, not compared; \
             measure both sides the same way",
            match other.basis {
                Basis::Summary { .. } => "is one summary value",
                _ => "is one exact value",
            }
        );
        return;
    }
    if let Some(reason) = incomparable(base, current, 1) {
        comparison.reason = reason;
        return;
    }
    let summaries = [base, current].iter().any(|m| matches!(m.basis, Basis::Summary { .. }));
    let (base, current) = (Side::of(base), Side::of(current));
    let spreads: Vec<&StatedSpread> = [base.spread, current.spread].into_iter().flatten().collect();
    if let Some(bad) = spreads.iter().find(|s| !s.lower.is_finite() || !s.upper.is_finite()) {
        comparison.reason = format!("a stated spread ({}) is not a number", bad.stated_as);
        return;
    }
    let positive = base.value > 0.0 && current.value > 0.0;
    let change = if positive {
        (current.value / base.value - 1.0) * 100.0
    } else {
        (current.value - base.value) / base.value.abs() * 100.0
    };
    let interval = change_bounds(&base, &current, positive);
    comparison.scale = Some(if positive { Scale::Log } else { Scale::Raw });
    comparison.change_percent = Some(change);
    comparison.change_interval_percent = Some(interval);
    comparison.typical = Some([base.value, current.value]);
    let kind = if !spreads.is_empty() {
        Direct::StatedSpread
    } else if summaries {
        Direct::Summary
    } else {
        Direct::Deterministic
    };
    comparison.direct = Some(kind);
    let threshold = comparison.threshold_percent;
    let worse = worse_percent(change, comparison.better);
    // With stated bounds, the change must keep clear of them: the interval of ratios the two
    // bounds allow must not reach "no change".
    let clear = match kind {
        Direct::StatedSpread => interval[0] > 0.0 || interval[1] < 0.0,
        _ => true,
    };
    comparison.verdict = match (clear, worse >= threshold, -worse >= threshold) {
        (true, true, _) => ChangeVerdict::Regressed,
        (true, _, true) => ChangeVerdict::Improved,
        _ => ChangeVerdict::Unchanged,
    };
    comparison.reason = reason(kind, change, interval, threshold, &spreads, clear);
}

/// The changes the two sides' bounds allow, in percent. On the ratio scale a bound at or below
/// zero allows no ratio below it (-100 % at most) and any above it (+inf).
fn change_bounds(base: &Side<'_>, current: &Side<'_>, positive: bool) -> [f64; 2] {
    let (base_low, base_high) = base.bounds();
    let (current_low, current_high) = current.bounds();
    if !positive {
        let scale = base.value.abs();
        return [(current_low - base_high) / scale * 100.0, (current_high - base_low) / scale * 100.0];
    }
    let low = (current_low.max(0.0) / base_high - 1.0) * 100.0;
    let high = if base_low > 0.0 { (current_high / base_low - 1.0) * 100.0 } else { f64::INFINITY };
    [low, high]
}

fn reason(
    kind: Direct,
    change: f64,
    [low, high]: [f64; 2],
    threshold: f64,
    spreads: &[&StatedSpread],
    clear: bool,
) -> String {
    let against = format!("{} against the {threshold}% threshold", signed(change));
    match kind {
        Direct::StatedSpread if !clear => format!(
            "{against}, but within the stated spread ({}): the bounds allow [{}, {}]",
            spreads[0].stated_as,
            signed(low),
            signed(high)
        ),
        Direct::StatedSpread => format!(
            "{against}, clear of the stated spread ({}): the bounds allow [{}, {}]",
            spreads[0].stated_as,
            signed(low),
            signed(high)
        ),
        Direct::Deterministic => format!("one exact value per side: compared directly, {against}"),
        Direct::Summary => {
            format!("one summary per side, no spread stated: compared directly as if deterministic, {against}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare, CompareSettings};
    use crate::condition::Severity;
    use crate::config::Statistics;
    use crate::model::{fixtures, Better, Results, TIME_METRIC};

    fn side(metric: Metric) -> Results {
        let mut benchmark = fixtures::benchmark("b", Better::Lower, &[1.0]);
        benchmark.metrics.insert(TIME_METRIC.to_owned(), metric);
        fixtures::results(vec![benchmark])
    }

    fn judge(base: Metric, current: Metric) -> Comparison {
        let statistics = Statistics::default();
        let settings = CompareSettings {
            statistics: &statistics,
            threshold_percent: 5.0,
            severity: Severity::Blocking,
            rules: &[],
        };
        compare(&side(base), &side(current), &settings).items.remove(0)
    }

    fn libtest(median: f64, deviation: f64) -> Metric {
        let spread = StatedSpread {
            lower: median - deviation,
            upper: median + deviation,
            stated_as: "libtest's +/-".to_owned(),
        };
        Metric::summary("ns", Better::Lower, median, Some(spread))
    }

    #[test]
    fn exact_values_are_compared_against_their_own_threshold_with_one_value_a_side() {
        let count = |n: f64| Metric::deterministic("instructions", Better::Lower, n);
        // The default for exact counts is 1 %, not the 5 % of measurements.
        let item = judge(count(1_000_000.0), count(1_012_000.0));
        assert_eq!((item.verdict, item.direct), (ChangeVerdict::Regressed, Some(Direct::Deterministic)));
        assert_eq!(item.threshold_percent, 1.0);
        assert!((item.change_percent.unwrap() - 1.2).abs() < 1e-9, "{item:?}");
        assert!(item.reason.starts_with("one exact value per side"), "{}", item.reason);
        assert_eq!(judge(count(1_000_000.0), count(1_006_000.0)).verdict, ChangeVerdict::Unchanged);
        assert_eq!(judge(count(1_000_000.0), count(980_000.0)).verdict, ChangeVerdict::Improved);
        // Exactly at the threshold counts, as the gates' `>=` does.
        assert_eq!(judge(count(100.0), count(101.0)).verdict, ChangeVerdict::Regressed);
        // Not held back by the minimum sample count or the family's correction.
        assert!(item.p_adjusted.is_none() && item.test.is_none());
        // A summary keeps the measurements' threshold.
        let summary = |v: f64| Metric::summary("ms", Better::Lower, v, None);
        assert_eq!(judge(summary(100.0), summary(104.0)).threshold_percent, 5.0);
    }

    #[test]
    fn a_stated_spread_must_be_cleared_before_a_change_counts() {
        // 1,234 +/- 56 against 1,400 +/- 40: the bounds allow +5.5% at least: regressed.
        let item = judge(libtest(1234.0, 56.0), libtest(1400.0, 40.0));
        assert_eq!((item.verdict, item.direct), (ChangeVerdict::Regressed, Some(Direct::StatedSpread)));
        let [low, high] = item.change_interval_percent.unwrap();
        assert!(
            (low - (1360.0 / 1290.0 - 1.0) * 100.0).abs() < 1e-9
                && (high - (1440.0 / 1178.0 - 1.0) * 100.0).abs() < 1e-9
        );
        assert!(item.reason.contains("clear of the stated spread (libtest's +/-)"), "{}", item.reason);
        // The same +13% with spreads that overlap: not a regression, and the reason says why.
        let item = judge(libtest(1234.0, 150.0), libtest(1400.0, 100.0));
        assert_eq!(item.verdict, ChangeVerdict::Unchanged);
        assert!(item.reason.contains("but within the stated spread"), "{}", item.reason);
        // Clear of the spread but below the threshold.
        assert_eq!(judge(libtest(1000.0, 1.0), libtest(1030.0, 1.0)).verdict, ChangeVerdict::Unchanged);
        // A spread on one side only still counts.
        let plain = Metric::summary("ns", Better::Lower, 1000.0, None);
        assert_eq!(judge(plain, libtest(1100.0, 200.0)).verdict, ChangeVerdict::Unchanged);
    }

    #[test]
    fn summaries_without_a_spread_are_compared_directly_and_say_so() {
        let p95 = |v: f64| Metric::summary("ms", Better::Lower, v, None);
        let item = judge(p95(20.0), p95(22.0));
        assert_eq!((item.verdict, item.direct), (ChangeVerdict::Regressed, Some(Direct::Summary)));
        assert!(item.reason.contains("no spread stated: compared directly as if deterministic"), "{}", item.reason);
        // Higher is better: a fall is the regression.
        let rps = |v: f64| Metric::summary("req/s", Better::Higher, v, None);
        assert_eq!(judge(rps(1000.0), rps(900.0)).verdict, ChangeVerdict::Regressed);
        assert_eq!(judge(rps(1000.0), rps(1100.0)).verdict, ChangeVerdict::Improved);
    }

    #[test]
    fn samples_against_a_summary_are_not_compared() {
        let samples = Metric::from_samples("ns", Better::Lower, true, vec![100.0, 101.0, 99.0, 100.0, 100.5]);
        let item = judge(samples, libtest(200.0, 1.0));
        assert_eq!((item.verdict, item.direct), (ChangeVerdict::Inconclusive, None));
        assert!(
            item.reason.contains("the baseline side has samples and the other is one summary value"),
            "{}",
            item.reason
        );
    }

    #[test]
    fn unusable_values_are_inconclusive_with_the_reason() {
        let item = judge(
            Metric::deterministic("instructions", Better::Lower, 0.0),
            Metric::deterministic("instructions", Better::Lower, 5.0),
        );
        assert_eq!(item.verdict, ChangeVerdict::Inconclusive);
        assert!(item.reason.contains("baseline mean is zero"), "{}", item.reason);
        let mut broken = libtest(100.0, 1.0);
        if let Basis::Summary { spread: Some(spread) } = &mut broken.basis {
            spread.upper = f64::NAN;
        }
        let item = judge(libtest(100.0, 1.0), broken);
        assert_eq!(item.verdict, ChangeVerdict::Inconclusive);
        assert!(item.reason.contains("is not a number"), "{}", item.reason);
        // A spread reaching zero (libtest: 7.38 +/- 19.95) allows any slowdown, and no ratio
        // below -100 %.
        let item = judge(libtest(7.38, 19.95), libtest(9.0, 0.5));
        let [low, high] = item.change_interval_percent.unwrap();
        assert!(low >= -100.0 && high == f64::INFINITY, "[{low}, {high}]");
        assert_eq!(item.verdict, ChangeVerdict::Unchanged);
        let other_unit = judge(
            Metric::deterministic("instructions", Better::Lower, 1.0),
            Metric::deterministic("cycles", Better::Lower, 1.0),
        );
        assert!(other_unit.reason.contains("unit changed"), "{}", other_unit.reason);
    }
}
