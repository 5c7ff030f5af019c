//! `release TAG`: what the runs tagged with a release measured, against another release (pure).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{csv_line, safe_rows, table, Format, RunRow};
use crate::model::Better;
use crate::stats;

/// One benchmark's value in a release: the median over the release's runs of each run's median.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseValue {
    pub benchmark: String,
    pub unit: String,
    pub better: Better,
    pub runs: usize,
    pub median: f64,
    /// The same against the other release, when it has the benchmark.
    pub against_median: Option<f64>,
    pub change_percent: Option<f64>,
}

/// A release's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseSummary {
    pub release: String,
    pub metric: String,
    /// The release compared against: `--against`, else the newest release recorded before it.
    pub against: Option<String>,
    pub runs: usize,
    /// Checked runs (not imports) and how many passed, warned and failed.
    pub checked: usize,
    pub passed: usize,
    pub warned: usize,
    pub failed: usize,
    /// Passed checked runs in percent of the checked runs; `None` without a checked run.
    pub success_rate_percent: Option<f64>,
    /// Gate outcomes recorded in the release's runs, and the passed share of them.
    pub gates: usize,
    pub gate_compliance_percent: Option<f64>,
    /// SLO checks (objective x benchmark) recorded in the release's runs, the passed share of
    /// them, and how many were CRITICAL.
    pub slo_checks: usize,
    pub slo_compliance_percent: Option<f64>,
    pub slo_critical: usize,
    pub benchmarks: Vec<ReleaseValue>,
}

/// What a release's runs recorded of their gates and SLOs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Gate outcomes, and how many passed.
    pub gates: (usize, usize),
    /// SLO checks, how many passed, how many were CRITICAL.
    pub slos: (usize, usize, usize),
}

/// A recorded value of the metric: benchmark, unit, which way is better, one run's median.
pub type Recorded = (String, String, Better, f64);

impl ReleaseSummary {
    pub fn new(
        (release, metric): (&str, &str),
        runs: &[RunRow],
        outcomes: Outcomes,
        values: Vec<Recorded>,
        against: Option<(String, Vec<Recorded>)>,
    ) -> ReleaseSummary {
        let Outcomes { gates: (gates, gates_passed), slos: (slo_checks, slos_passed, slo_critical) } = outcomes;
        let count = |verdict: &str| runs.iter().filter(|r| r.verdict.as_deref() == Some(verdict)).count();
        let (passed, warned, failed) = (count("pass"), count("warn"), count("fail"));
        let checked = passed + warned + failed;
        let share = |part: usize, whole: usize| (whole > 0).then(|| 100.0 * part as f64 / whole as f64);
        let theirs = against.as_ref().map(|(_, values)| medians(values.clone())).unwrap_or_default();
        let benchmarks = medians(values)
            .into_iter()
            .map(|(benchmark, (unit, better, runs, median))| {
                let against_median = theirs.get(&benchmark).map(|(_, _, _, m)| *m);
                let change_percent = against_median.filter(|m| *m > 0.0).map(|m| (median / m - 1.0) * 100.0);
                ReleaseValue { benchmark, unit, better, runs, median, against_median, change_percent }
            })
            .collect();
        ReleaseSummary {
            release: release.to_owned(),
            metric: metric.to_owned(),
            against: against.map(|(tag, _)| tag),
            runs: runs.len(),
            checked,
            passed,
            warned,
            failed,
            success_rate_percent: share(passed, checked),
            gates,
            gate_compliance_percent: share(gates_passed, gates),
            slo_checks,
            slo_compliance_percent: share(slos_passed, slo_checks),
            slo_critical,
            benchmarks,
        }
    }

    /// The summary as `format` prints it: the release's figures, then a row per benchmark.
    pub fn format(&self, format: Format) -> String {
        const HEADER: [&str; 5] = ["benchmark", "runs", "median", "against", "change"];
        let percent = |value: Option<f64>| value.map(|v| format!("{v:+.1}%")).unwrap_or_else(|| "-".to_owned());
        let rows = self.benchmarks.iter().map(|b| {
            [
                b.benchmark.clone(),
                b.runs.to_string(),
                format!("{:.6} {}", b.median, b.unit),
                b.against_median.map(|m| format!("{m:.6} {}", b.unit)).unwrap_or_else(|| "-".to_owned()),
                percent(b.change_percent),
            ]
        });
        match format {
            Format::Json => {
                let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
                text.push('\n');
                text
            }
            Format::Csv => std::iter::once(HEADER.map(str::to_owned))
                .chain(rows.map(|mut row| {
                    row[0] = crate::csv::text(&row[0]);
                    row
                }))
                .map(|r| csv_line(&r))
                .collect(),
            Format::Table => {
                let rate = |value: Option<f64>| value.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "-".to_owned());
                let slos = if self.slo_checks == 0 {
                    String::new()
                } else {
                    format!(
                        ", SLO compliance {} of {} SLO checks ({} CRITICAL)",
                        rate(self.slo_compliance_percent),
                        self.slo_checks,
                        self.slo_critical
                    )
                };
                let head = format!(
                    "release {}: {} runs ({} checked: {} pass, {} warn, {} fail), success rate {}, gate compliance {} of {} gate outcomes{slos}; {} against {}\n",
                    crate::render::single_line(&self.release),
                    self.runs,
                    self.checked,
                    self.passed,
                    self.warned,
                    self.failed,
                    rate(self.success_rate_percent),
                    rate(self.gate_compliance_percent),
                    self.gates,
                    self.metric,
                    self.against.as_deref().map_or_else(|| "no earlier release".to_owned(), crate::render::single_line),
                );
                head + &table(&HEADER, &safe_rows(rows))
            }
        }
    }
}

/// Per benchmark: unit, direction, how many runs, and the median of the runs' medians.
fn medians(values: Vec<Recorded>) -> BTreeMap<String, (String, Better, usize, f64)> {
    let mut grouped: BTreeMap<String, (String, Better, Vec<f64>)> = BTreeMap::new();
    for (benchmark, unit, better, value) in values.into_iter().filter(|(_, _, _, v)| v.is_finite()) {
        grouped.entry(benchmark).or_insert_with(|| (unit, better, Vec::new())).2.push(value);
    }
    grouped.into_iter().map(|(b, (unit, better, v))| (b, (unit, better, v.len(), stats::median(&v)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(verdict: Option<&str>) -> RunRow {
        RunRow {
            id: 1,
            created_at: "2026-11-30T00:00:00Z".into(),
            commit: None,
            branch: Some("main".into()),
            release: Some("v2".into()),
            benchmarks: 2,
            verdict: verdict.map(str::to_owned),
            origin: if verdict.is_some() { "run" } else { "import" }.into(),
        }
    }

    fn value(benchmark: &str, v: f64) -> Recorded {
        (benchmark.to_owned(), "ns".to_owned(), Better::Lower, v)
    }

    #[test]
    fn a_release_counts_its_runs_and_compares_its_medians_with_the_other_release() {
        let runs = [run(Some("pass")), run(Some("pass")), run(Some("fail")), run(None)];
        let ours = vec![value("a", 110.0), value("a", 120.0), value("a", 100.0), value("b", 50.0), value("new", 1.0)];
        let theirs = vec![value("a", 100.0), value("b", 50.0), value("b", 52.0), value("b", f64::NAN)];
        let summary = ReleaseSummary::new(
            ("v2", "time"),
            &runs,
            Outcomes { gates: (10, 9), slos: (0, 0, 0) },
            ours,
            Some(("v1".to_owned(), theirs)),
        );
        assert_eq!((summary.runs, summary.checked, summary.passed, summary.failed), (4, 3, 2, 1));
        assert!((summary.success_rate_percent.unwrap() - 66.666).abs() < 0.01);
        assert_eq!(summary.gate_compliance_percent, Some(90.0));
        let a = &summary.benchmarks[0];
        assert_eq!((a.benchmark.as_str(), a.runs, a.median, a.against_median), ("a", 3, 110.0, Some(100.0)));
        assert!((a.change_percent.unwrap() - 10.0).abs() < 1e-9);
        assert!((summary.benchmarks[1].change_percent.unwrap() + 1.961).abs() < 0.01, "b: 50 against 51");
        assert_eq!(summary.benchmarks[2].change_percent, None, "new in this release");
        let table = summary.format(Format::Table);
        assert!(table.starts_with("release v2: 4 runs (3 checked: 2 pass, 0 warn, 1 fail), success rate 66.7%, gate compliance 90.0% of 10 gate outcomes; time against v1\n"), "{table}");
        assert!(table.contains("a          3     110.000000 ns  100.000000 ns  +10.0%"), "{table}");
        let alone = ReleaseSummary::new(("v1", "time"), &[run(None)], Outcomes::default(), vec![value("a", 1.0)], None);
        assert_eq!(
            (alone.success_rate_percent, alone.gate_compliance_percent, alone.against.as_deref()),
            (None, None, None)
        );
        assert!(alone.format(Format::Table).contains("against no earlier release"));
        assert!(!alone.format(Format::Table).contains("SLO"), "no SLO checks, no SLO figures");
        // SLO checks recorded: their compliance beside the gates'.
        let slos = Outcomes { gates: (0, 0), slos: (8, 6, 1) };
        let summary = ReleaseSummary::new(("v1", "time"), &[run(None)], slos, vec![value("a", 1.0)], None);
        assert_eq!((summary.slo_checks, summary.slo_compliance_percent, summary.slo_critical), (8, Some(75.0), 1));
        let table = summary.format(Format::Table);
        assert!(table.contains(", SLO compliance 75.0% of 8 SLO checks (1 CRITICAL);"), "{table}");
    }
}
