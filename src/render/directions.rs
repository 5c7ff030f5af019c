//! The summary a reviewer reads first: per direction (regressions, improvements, unchanged,
//! too noisy to gate), how many comparisons, their mean change and its range, as rustc-perf's
//! pull request summaries put it. Pure.

use serde::Serialize;

use super::format;
use crate::compare::{ChangeVerdict, Comparison};

/// One direction's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionRow {
    /// `regressions`, `improvements`, `unchanged`, `too noisy to gate`.
    pub label: &'static str,
    /// A symbol as well as a colour, readable in grayscale: `▲`, `▼`, `=`, `~`.
    pub symbol: &'static str,
    /// CSS class of the line in report.html.
    pub tone: &'static str,
    pub count: usize,
    /// `+12.3%`, or `—` without changes.
    pub mean: String,
    /// `+5.1% … +40.2%`, or `—`.
    pub range: String,
}

/// A direction's label, symbol, tone, and which comparisons it counts.
type Direction = (&'static str, &'static str, &'static str, fn(&Comparison) -> bool);

/// The lines with at least one comparison; empty when nothing was compared.
pub fn directions(comparisons: &[Comparison]) -> Vec<DirectionRow> {
    let lines: [Direction; 4] = [
        ("regressions", "▲", "regressed", |c| c.verdict == ChangeVerdict::Regressed),
        ("improvements", "▼", "improved", |c| c.verdict == ChangeVerdict::Improved),
        ("unchanged", "=", "unchanged", |c| c.verdict == ChangeVerdict::Unchanged),
        ("too noisy to gate", "~", "warn", |c| c.sensitivity.is_some_and(|s| s.too_noisy)),
    ];
    lines
        .into_iter()
        .map(|(label, symbol, tone, keep)| {
            let selected: Vec<&Comparison> = comparisons.iter().filter(|c| keep(c)).collect();
            let changes: Vec<f64> =
                selected.iter().filter_map(|c| c.change_percent).filter(|x| x.is_finite()).collect();
            let (mean, range) = summary(&changes);
            DirectionRow { label, symbol, tone, count: selected.len(), mean, range }
        })
        .filter(|row| row.count > 0)
        .collect()
}

/// The mean of `changes` and their range, in words; `—` for none.
fn summary(changes: &[f64]) -> (String, String) {
    if changes.is_empty() {
        return (format::MISSING.to_owned(), format::MISSING.to_owned());
    }
    let mean = changes.iter().sum::<f64>() / changes.len() as f64;
    let (low, high) = changes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
    let range = format!("{} … {}", format::percent_change_short(low), format::percent_change_short(high));
    (format::percent_change_short(mean), range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Sensitivity;

    fn comparison(verdict: ChangeVerdict, change: f64, too_noisy: bool) -> Comparison {
        Comparison {
            sensitivity: Some(Sensitivity { minimum_detectable_percent: 9.0, too_noisy, samples_needed: None }),
            ..crate::compare::fixtures::comparison("b", verdict, Some(change))
        }
    }

    #[test]
    fn each_direction_has_its_count_mean_and_range() {
        let rows = directions(&[
            comparison(ChangeVerdict::Regressed, 10.0, false),
            comparison(ChangeVerdict::Regressed, 30.0, false),
            comparison(ChangeVerdict::Unchanged, 1.0, true),
            comparison(ChangeVerdict::Unchanged, -3.0, false),
        ]);
        let lines: Vec<(&str, usize, &str, &str)> =
            rows.iter().map(|r| (r.label, r.count, r.mean.as_str(), r.range.as_str())).collect();
        assert_eq!(
            lines,
            [
                ("regressions", 2, "+20.0%", "+10.0% … +30.0%"),
                ("unchanged", 2, "-1.0%", "-3.0% … +1.0%"),
                ("too noisy to gate", 1, "+1.0%", "+1.0% … +1.0%"),
            ]
        );
        assert!(directions(&[]).is_empty());
    }
}
