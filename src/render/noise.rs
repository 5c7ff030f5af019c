//! Noise advice said once: the comparisons too noisy to gate at their threshold, grouped by
//! what limits them, each group with its reason and its remedy, instead of the same sentence
//! on every row. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::format;
use crate::compare::Comparison;

/// Members a group names before "and N more".
const NAMED: usize = 20;

/// Comparisons too noisy to gate for the same reason at the same threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseGroup {
    /// `3 benchmarks too noisy to gate at 5%`.
    pub heading: String,
    /// Why, and what would help.
    pub advice: String,
    /// `a (detects 6.6%), b (detects 7.1%)`, the first [`NAMED`], then `and N more`.
    pub members: String,
}

/// What limits a comparison's sensitivity, in the order the groups are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Limit {
    /// Its own samples: more of them would do.
    Samples,
    /// Its paired rounds: more rounds would do.
    Rounds,
    /// Its run-to-run spread over a window of baseline runs.
    Window,
    /// The spread of changes across the suite (one stored run, the empirical null).
    Suite,
}

impl Limit {
    fn of(comparison: &Comparison, samples_needed: Option<usize>) -> Limit {
        match (samples_needed, comparison.paired_rounds, comparison.window) {
            (Some(_), Some(_), _) => Limit::Rounds,
            (Some(_), None, _) => Limit::Samples,
            (None, _, Some(_)) => Limit::Window,
            (None, _, None) => Limit::Suite,
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Limit::Samples => "Their own samples are too few for their spread: more samples per benchmark (criterion's `--sample-size`, or a longer `--measurement-time`) bring it down",
            Limit::Rounds => "Their paired rounds are too few for their spread: more rounds (`--rounds`) bring it down",
            Limit::Window => "Their own run-to-run spread over the baseline window sets the floor, not the sample count: measure both sides on one machine in alternating rounds (`--baseline REF`, `compare: paired`)",
            Limit::Suite => "The spread of changes across the suite between two runs sets the floor, not the sample count: measure both sides on one machine in alternating rounds (`--baseline REF`, `compare: paired`), or judge each benchmark against its own spread over a window of runs (`--baseline-history`)",
        }
    }
}

/// The groups, by limit then threshold; empty when nothing is too noisy.
pub fn groups(comparisons: &[Comparison]) -> Vec<NoiseGroup> {
    let mut grouped: BTreeMap<(Limit, u64), Vec<String>> = BTreeMap::new();
    for c in comparisons {
        let Some(sensitivity) = c.sensitivity.filter(|s| s.too_noisy) else { continue };
        let limit = Limit::of(c, sensitivity.samples_needed);
        let name = if c.metric == crate::model::TIME_METRIC { c.id.clone() } else { format!("{} {}", c.id, c.metric) };
        let member = format!("{name} ({})", detail(c).unwrap_or_default());
        grouped.entry((limit, c.threshold_percent.to_bits())).or_default().push(member);
    }
    grouped
        .into_iter()
        .map(|((limit, threshold), members)| {
            let count = members.len();
            let mut named = members[..count.min(NAMED)].join(", ");
            if count > NAMED {
                named.push_str(&format!(" and {} more", count - NAMED));
            }
            NoiseGroup {
                heading: format!(
                    "{count} {} too noisy to gate at {}%",
                    if count == 1 { "comparison" } else { "comparisons" },
                    format::exact(f64::from_bits(threshold))
                ),
                advice: limit.advice().to_owned(),
                members: named,
            }
        })
        .collect()
}

/// The per-row mark: `too noisy (detects 6.6%, needs ~40 samples)`; its group says why.
pub fn row_mark(comparison: &Comparison) -> String {
    detail(comparison).map(|detail| format!("too noisy ({detail})")).unwrap_or_default()
}

/// `detects 6.6%, needs ~40 samples` for a comparison too noisy to gate.
fn detail(comparison: &Comparison) -> Option<String> {
    let sensitivity = comparison.sensitivity.filter(|s| s.too_noisy)?;
    let detects = format::percent_short(sensitivity.minimum_detectable_percent);
    Some(match sensitivity.samples_needed {
        Some(n) if comparison.paired_rounds.is_some() => format!("detects {detects}, needs ~{n} rounds"),
        Some(n) => format!("detects {detects}, needs ~{n} samples"),
        None => format!("detects {detects}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::fixtures::comparison;
    use crate::compare::{ChangeVerdict, Sensitivity};

    fn noisy(id: &str, detects: f64, samples_needed: Option<usize>) -> Comparison {
        Comparison {
            sensitivity: Some(Sensitivity {
                minimum_detectable_percent: detects,
                too_noisy: detects > 5.0,
                samples_needed,
            }),
            ..comparison(id, ChangeVerdict::Unchanged, Some(0.0))
        }
    }

    #[test]
    fn the_reason_and_remedy_are_said_once_per_group() {
        let mut many: Vec<Comparison> = (0..25).map(|i| noisy(&format!("suite_{i:02}"), 50.3, None)).collect();
        many.push(noisy("few_samples", 6.6, Some(40)));
        many.push(noisy("quiet", 1.0, None));
        let mut ten = noisy("strict_rule", 12.0, None);
        ten.threshold_percent = 10.0;
        many.push(ten);
        let groups = groups(&many);
        let headings: Vec<&str> = groups.iter().map(|g| g.heading.as_str()).collect();
        assert_eq!(
            headings,
            [
                "1 comparison too noisy to gate at 5%",
                "25 comparisons too noisy to gate at 5%",
                "1 comparison too noisy to gate at 10%"
            ]
        );
        assert!(groups[0].advice.contains("--sample-size"), "{:?}", groups[0]);
        assert!(groups[1].advice.contains("across the suite") && groups[1].advice.contains("--baseline-history"));
        assert!(groups[1].members.starts_with("suite_00 (detects 50.3%), suite_01"), "{}", groups[1].members);
        assert!(groups[1].members.ends_with("suite_19 (detects 50.3%) and 5 more"), "{}", groups[1].members);
        assert_eq!(row_mark(&many[25]), "too noisy (detects 6.6%, needs ~40 samples)");
        assert_eq!(row_mark(&many[0]), "too noisy (detects 50.3%)");
        assert_eq!(row_mark(&many[26]), "", "not too noisy");
    }
}
