//! `results.csv` (`reporting.csv`): one row per benchmark and metric of the checked run, with
//! the regression check's verdict, for a spreadsheet.

use crate::csv::csv_line;
use crate::model::Results;
use crate::report::Report;

/// The header of results.csv; docs/report-format.md describes the columns.
pub const COLUMNS: [&str; 13] = [
    "benchmark",
    "metric",
    "unit",
    "better",
    "n",
    "mean",
    "median",
    "std_dev",
    "min",
    "max",
    "p95",
    "verdict",
    "change_percent",
];

/// `current`'s metrics, each with `report`'s verdict and change for it (empty when it was not
/// compared).
pub fn results_csv(current: &Results, report: &Report) -> String {
    let comparisons = report.comparisons_by_key();
    let compared = |id: &str, metric: &str| comparisons.get(&(id, metric)).copied();
    let number = |value: f64| if value.is_finite() { value.to_string() } else { String::new() };
    let mut text = csv_line(&COLUMNS);
    for benchmark in &current.benchmarks {
        for (name, metric) in &benchmark.metrics {
            let comparison = compared(&benchmark.id, name);
            let s = &metric.summary;
            text.push_str(&csv_line(&[
                crate::csv::text(&benchmark.id),
                crate::csv::text(name),
                crate::csv::text(&metric.unit),
                metric.better.as_str().to_owned(),
                s.n.to_string(),
                number(s.mean),
                number(s.median),
                number(s.std_dev),
                number(s.min),
                number(s.max),
                number(s.p95),
                comparison.map(|c| c.verdict.as_str().to_owned()).unwrap_or_default(),
                comparison.and_then(|c| c.change_percent).map(number).unwrap_or_default(),
            ]));
        }
    }
    text
}
