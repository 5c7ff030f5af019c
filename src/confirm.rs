//! `--confirm REF`: which comparisons of a screen against a stored baseline are re-measured in
//! alternating rounds against REF. Pure: no I/O.
//!
//! The screen compares two runs made apart, so a benchmark's change there carries the
//! run-to-run noise on top of its own. The rule clears only what is confidently far from both
//! lines; everything else is a suspect:
//!
//! - every `regressed`, `improved` and `inconclusive` comparison, and every one too noisy to gate;
//! - every change within a margin of the threshold, in either direction: `|change| >= T - m`,
//!   with `m = max(2 s, T / 2)`, where `s` is the suite's robust spread of changes (the
//!   empirical null's estimate of run-to-run noise per benchmark) and `T` the comparison's
//!   threshold. Without a suite spread (too few metrics to estimate one) nothing is cleared:
//!   the run-to-run noise is unknown, and a small suite costs little to pair whole. Against a
//!   window of baseline runs, `s` is the benchmark's own: its noise floor, scaled to the spread
//!   of a change against the window's mean (`sqrt(1 + 1/K)` for K runs).
//!
//! Calibration: a real change of exactly `T` is cleared only when the screen's noise pulls it
//! below `T - m`, by at least `2 s`: with run-to-run noise of spread `s` that happens for about
//! 2.3 % of such changes (one-sided normal tail at 2), and for a real change of `1.5 T` or more
//! with `m = T / 2` and `s <= T / 4`, for under 0.1 %. docs/statistics.md ("Confirming a
//! screen") has the derivation and the figures from real runs.

use std::collections::BTreeSet;

use crate::compare::{ChangeVerdict, Comparison, Comparisons};
use crate::model::Results;

/// Margin, in suite spreads, kept between a cleared change and the threshold.
const SPREADS: f64 = 2.0;

/// A comparison to re-measure, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    pub id: String,
    pub metric: String,
    pub why: &'static str,
}

/// The suspects among the screen's comparisons.
pub fn suspects(screen: &Comparisons) -> Vec<Suspect> {
    let spread = screen.suite_shift.map(|shift| shift.spread_percent).filter(|s| s.is_finite());
    screen
        .items
        .iter()
        .filter_map(|comparison| {
            why_suspect(comparison, spread).map(|why| Suspect {
                id: comparison.id.clone(),
                metric: comparison.metric.clone(),
                why,
            })
        })
        .collect()
}

fn why_suspect(comparison: &Comparison, spread: Option<f64>) -> Option<&'static str> {
    match comparison.verdict {
        // Nothing on one side to pair with.
        ChangeVerdict::New | ChangeVerdict::Removed => return None,
        ChangeVerdict::Regressed => return Some("regressed in the screen"),
        ChangeVerdict::Improved => return Some("improved in the screen"),
        ChangeVerdict::Inconclusive => return Some("inconclusive in the screen"),
        ChangeVerdict::Unchanged => {}
    }
    if comparison.sensitivity.is_some_and(|s| s.too_noisy) {
        return Some("too noisy to gate in the screen");
    }
    let own = comparison.window.map(|w| w.noise_floor_percent * (1.0 + 1.0 / w.runs as f64).sqrt());
    let Some(spread) = own.or(spread) else {
        return Some("no suite spread to clear it against (too few metrics)");
    };
    let threshold = comparison.threshold_percent;
    let margin = (SPREADS * spread).max(threshold / 2.0);
    match comparison.change_percent {
        Some(change) if change.abs() >= threshold - margin => Some("near the threshold in the screen"),
        Some(_) => None,
        None => Some("no change could be computed in the screen"),
    }
}

/// The benchmark ids among `suspects`.
/// Adds to `suspects` every compared metric `measured` holds that is not one yet: a shard's
/// screen saw only its share of the suite, so what it found suspect and re-measured (or what a
/// shard paired whole) may not be suspect in the whole suite's screen, and its rounds still
/// decide.
pub fn add_measured(suspects: &mut Vec<Suspect>, measured: &Results) {
    let known: BTreeSet<(String, String)> = suspects.iter().map(|s| (s.id.clone(), s.metric.clone())).collect();
    for benchmark in &measured.benchmarks {
        for (metric, _) in benchmark.metrics.iter().filter(|(_, m)| m.compared) {
            if !known.contains(&(benchmark.id.clone(), metric.clone())) {
                suspects.push(Suspect { id: benchmark.id.clone(), metric: metric.clone(), why: SHARD_SUSPECT });
            }
        }
    }
}

/// Why a benchmark a shard measured in rounds is a suspect.
const SHARD_SUSPECT: &str = "measured in its shard's alternating rounds";

pub fn ids(suspects: &[Suspect]) -> BTreeSet<String> {
    suspects.iter().map(|s| s.id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::fixtures::comparison;
    use crate::compare::{Sensitivity, SuiteShift};
    use crate::condition::Severity;
    use crate::model::Better;

    fn screen(items: Vec<Comparison>, spread: Option<f64>) -> Comparisons {
        let suite_shift = spread.map(|spread_percent| SuiteShift {
            change_percent: 0.0,
            spread_percent,
            metrics: 20,
            significant: false,
            severity: Severity::Warning,
        });
        Comparisons { items, suite_shift, ignored: Vec::new(), window: None }
    }

    fn suspect_ids(screen: &Comparisons) -> Vec<String> {
        suspects(screen).into_iter().map(|s| s.id).collect()
    }

    #[test]
    fn verdicts_other_than_unchanged_are_suspects_except_new_and_removed() {
        let items = vec![
            comparison("r", ChangeVerdict::Regressed, Some(9.0)),
            comparison("i", ChangeVerdict::Improved, Some(-9.0)),
            comparison("x", ChangeVerdict::Inconclusive, None),
            comparison("n", ChangeVerdict::New, None),
            comparison("d", ChangeVerdict::Removed, None),
            comparison("u", ChangeVerdict::Unchanged, Some(0.1)),
        ];
        assert_eq!(suspect_ids(&screen(items, Some(1.0))), ["r", "i", "x"]);
    }

    #[test]
    fn the_margin_is_half_the_threshold_or_two_suite_spreads_whichever_is_wider() {
        let items = || {
            vec![
                comparison("far", ChangeVerdict::Unchanged, Some(1.0)),
                comparison("near", ChangeVerdict::Unchanged, Some(2.5)),
                comparison("near_faster", ChangeVerdict::Unchanged, Some(-3.0)),
            ]
        };
        // T = 5 and a quiet suite (spread 1 %): changes of 2.5 % and more are suspects.
        assert_eq!(suspect_ids(&screen(items(), Some(1.0))), ["near", "near_faster"]);
        // Without a suite spread the run-to-run noise is unknown: nothing is cleared. (On
        // crc32fast's 7 benchmarks a margin of T / 2 cleared a real +5 % seen as +1.8 %.)
        assert_eq!(suspect_ids(&screen(items(), None)), ["far", "near", "near_faster"]);
        // A noisy suite (spread 2 %) widens the margin to 4 %: changes of 1 % and more.
        assert_eq!(suspect_ids(&screen(items(), Some(2.0))), ["far", "near", "near_faster"]);
    }

    /// Against a window, each benchmark's own noise floor sets its margin, not the suite's.
    #[test]
    fn against_a_window_each_benchmark_is_cleared_against_its_own_spread() {
        let with_floor = |id: &str, change: f64, floor: f64| Comparison {
            window: Some(crate::compare::WindowFigures {
                runs: 3,
                noise_floor_percent: floor,
                own_spread_percent: floor,
                df: 10.0,
            }),
            ..comparison(id, ChangeVerdict::Unchanged, Some(change))
        };
        // T = 5: a quiet benchmark (floor 0.5 %: margin T / 2) at +1.5 % is cleared even in a
        // noisy suite; a noisy one (floor 2 %, a change's spread 2.3 %: margin 4.6 %) at +1 % is
        // not, even in a quiet one.
        let items = vec![with_floor("quiet", 1.5, 0.5), with_floor("noisy", 1.0, 2.0)];
        assert_eq!(suspect_ids(&screen(items.clone(), Some(3.0))), ["noisy"]);
        assert_eq!(suspect_ids(&screen(items, Some(0.1))), ["noisy"]);
    }

    #[test]
    fn too_noisy_and_unmeasured_changes_are_suspects() {
        let mut noisy = comparison("noisy", ChangeVerdict::Unchanged, Some(0.0));
        noisy.sensitivity =
            Some(Sensitivity { minimum_detectable_percent: 12.0, too_noisy: true, samples_needed: None });
        let unmeasured = comparison("unmeasured", ChangeVerdict::Unchanged, None);
        let found = suspects(&screen(vec![noisy, unmeasured], Some(1.0)));
        assert_eq!(found[0].why, "too noisy to gate in the screen");
        assert_eq!(found[1].why, "no change could be computed in the screen");
        assert_eq!(ids(&found).len(), 2);
    }

    #[test]
    fn what_a_shard_re_measured_stays_a_suspect_of_the_whole_suite() {
        let mut suspects = vec![Suspect { id: "a".to_owned(), metric: "time".to_owned(), why: "regressed" }];
        let measured = crate::model::fixtures::results(vec![
            crate::model::fixtures::benchmark("a", Better::Lower, &[1.0]),
            crate::model::fixtures::benchmark("b", Better::Lower, &[1.0]),
        ]);
        add_measured(&mut suspects, &measured);
        let added: Vec<(&str, &str, &str)> =
            suspects.iter().map(|s| (s.id.as_str(), s.metric.as_str(), s.why)).collect();
        assert_eq!(added, [("a", "time", "regressed"), ("b", "time", SHARD_SUSPECT)]);
    }
}
