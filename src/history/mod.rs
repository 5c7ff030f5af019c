//! History: every recorded run kept in an embedded SQLite store (`store`), so that trends,
//! releases and a baseline that knows each benchmark's noise can be read back. This module is
//! pure: it turns results and their report into records, and recorded runs into tables; the
//! format is docs/history-format.md.

pub mod release;
pub mod store;
pub mod trends;

use serde::Serialize;

use crate::compare::ChangeVerdict;
pub use crate::csv::csv_line;
use crate::gates::GateStatus;
use crate::model::{Better, Results};
use crate::report::{Report, Verdict};
use crate::stats::Summary;

/// How a run came into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `run --record`: measured and checked here.
    Run,
    /// `check --record`: a results file checked here.
    Check,
    /// `record FILE...`: a results file imported as it is, with no check.
    Import,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Run => "run",
            Origin::Check => "check",
            Origin::Import => "import",
        }
    }
}

/// One run as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// When the measurement finished (the results' `created_at`).
    pub created_at: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: Option<bool>,
    /// `run --release TAG`.
    pub release: Option<String>,
    /// The machine fingerprint, as results.json writes it.
    pub environment: String,
    pub origin: Origin,
    /// The check's verdict; `None` for an import.
    pub verdict: Option<Verdict>,
    pub metrics: Vec<MetricRecord>,
    pub gates: Vec<GateRecord>,
    /// The SLO environment the run's objectives were judged in, when one applied.
    pub slo_environment: Option<String>,
    /// The SLO checks of the run's report: one per objective and benchmark.
    pub slo_checks: Vec<SloCheckRecord>,
}

/// One SLO objective judged on one benchmark (or on none) of a checked run.
#[derive(Debug, Clone, PartialEq)]
pub struct SloCheckRecord {
    pub category: String,
    pub metric: String,
    pub benchmark: Option<String>,
    pub passed: bool,
    /// `OK`, `WARNING` or `CRITICAL`.
    pub level: String,
    pub value: Option<f64>,
    pub effective_target: f64,
    pub degradation_percent: Option<f64>,
}

/// One metric of one benchmark of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRecord {
    pub benchmark: String,
    pub metric: String,
    pub unit: String,
    pub better: Better,
    pub summary: Summary,
    /// Whether the regression check compares it (results.json's `compared`).
    pub compared: bool,
    /// Its benchmark's source, as results.json writes it (JSON).
    pub source: String,
    /// The samples, as 32-bit floats (seven significant digits: far finer than any
    /// benchmark's noise) to keep the store small.
    pub samples: Vec<f32>,
    /// results.json's `basis` as JSON when the metric is not samples: its exact value is
    /// then `summary.mean`.
    pub basis: Option<String>,
    /// The regression check's verdict and change, when one ran.
    pub verdict: Option<ChangeVerdict>,
    pub change_percent: Option<f64>,
}

/// One gate judged on one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRecord {
    pub gate: String,
    pub metric: String,
    pub benchmark: Option<String>,
    pub severity: String,
    pub passed: bool,
    pub value: Option<f64>,
    pub threshold: f64,
}

/// The records of a report's SLO checks.
fn slo_checks(slo: &crate::slo::SloReport) -> Vec<SloCheckRecord> {
    slo.categories
        .iter()
        .flat_map(|category| category.objectives.iter().map(move |o| (category.name.as_str(), o)))
        .map(|(category, o)| SloCheckRecord {
            category: category.to_owned(),
            metric: o.metric.clone(),
            benchmark: o.benchmark.clone(),
            passed: o.grade.status == crate::slo::Status::Pass,
            level: o.grade.level.as_str().to_owned(),
            value: o.value,
            effective_target: o.effective_target,
            degradation_percent: o.grade.degradation_percent,
        })
        .collect()
}

impl RunRecord {
    /// The record of `results`, checked into `report` unless imported.
    pub fn new(results: &Results, report: Option<&Report>, release: Option<&str>, origin: Origin) -> RunRecord {
        let comparisons = report.map(Report::comparisons_by_key).unwrap_or_default();
        let checked = |id: &str, metric: &str| comparisons.get(&(id, metric)).copied();
        let metrics = results
            .benchmarks
            .iter()
            .flat_map(|benchmark| {
                let source = serde_json::to_string(&benchmark.source).unwrap_or_default();
                benchmark
                    .metrics
                    .iter()
                    .map(move |(name, metric)| (benchmark.id.as_str(), source.clone(), name.as_str(), metric))
            })
            .map(|(id, source, name, metric)| {
                let comparison = checked(id, name);
                MetricRecord {
                    compared: metric.compared,
                    source,
                    benchmark: id.to_owned(),
                    metric: name.to_owned(),
                    unit: metric.unit.clone(),
                    better: metric.better,
                    summary: metric.summary,
                    samples: metric.samples.iter().map(|&s| s as f32).collect(),
                    basis: (!metric.basis.is_samples())
                        .then(|| serde_json::to_string(&metric.basis).unwrap_or_default()),
                    verdict: comparison.map(|c| c.verdict),
                    change_percent: comparison.and_then(|c| c.change_percent),
                }
            })
            .collect();
        let gates = report.map_or_else(Vec::new, |report| {
            report
                .gates
                .iter()
                .map(|gate| GateRecord {
                    gate: gate.gate.clone(),
                    metric: gate.metric.clone(),
                    benchmark: gate.benchmark.clone(),
                    severity: format!("{:?}", gate.severity),
                    passed: gate.status == GateStatus::Passed,
                    value: gate.value,
                    threshold: gate.threshold,
                })
                .collect()
        });
        RunRecord {
            created_at: results.created_at.clone(),
            commit: results.git.as_ref().map(|g| g.commit.clone()),
            branch: results.git.as_ref().and_then(|g| g.branch.clone()),
            dirty: results.git.as_ref().map(|g| g.dirty),
            release: release.map(str::to_owned),
            environment: serde_json::to_string(&results.environment).unwrap_or_default(),
            origin,
            verdict: report.map(|r| r.verdict),
            metrics,
            gates,
            slo_environment: report.and_then(|r| r.slo.as_ref()).and_then(|slo| slo.environment.name.clone()),
            slo_checks: report.and_then(|r| r.slo.as_ref()).map_or_else(Vec::new, slo_checks),
        }
    }

    /// How many benchmarks the run holds.
    pub fn benchmarks(&self) -> usize {
        let mut ids: Vec<&str> = self.metrics.iter().map(|m| m.benchmark.as_str()).collect();
        ids.dedup();
        ids.len()
    }
}

/// Checks a release tag given on the command line: printable, no spaces, at most 100 bytes.
pub fn parse_release(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 100 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` is not a release tag: 1 to 100 printable characters without spaces, e.g. v1.2.3",
            text.escape_debug()
        ));
    }
    Ok(text.to_owned())
}

/// One line of `list`: a recorded run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    /// The store's id of the run.
    pub id: i64,
    pub created_at: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub release: Option<String>,
    pub benchmarks: i64,
    /// `pass`, `warn`, `fail`, or `None` for an imported run.
    pub verdict: Option<String>,
    /// `run`, `check` or `import`.
    pub origin: String,
}

/// How `list` and the other history commands print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `rows` as `format` prints them.
pub fn format_runs(rows: &[RunRow], format: Format) -> String {
    let cells = |row: &RunRow| {
        [
            row.id.to_string(),
            row.created_at.clone(),
            row.commit.as_deref().map_or("", |c| c.get(..12).unwrap_or(c)).to_owned(),
            row.branch.clone().unwrap_or_default(),
            row.release.clone().unwrap_or_default(),
            row.benchmarks.to_string(),
            row.verdict.clone().unwrap_or_else(|| "-".to_owned()),
            row.origin.clone(),
        ]
    };
    const HEADER: [&str; 8] = ["id", "when", "commit", "branch", "release", "benchmarks", "verdict", "origin"];
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(rows).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Csv => {
            let full = |row: &RunRow| {
                let mut cells = cells(row);
                cells[2] = row.commit.clone().unwrap_or_default();
                cells.map(|cell| crate::csv::text(&cell))
            };
            std::iter::once(HEADER.map(str::to_owned)).chain(rows.iter().map(full)).map(|r| csv_line(&r)).collect()
        }
        Format::Table => table(&HEADER, &safe_rows(rows.iter().map(cells))),
    }
}

/// One row of `export`: one metric of one benchmark of one run. The CSV columns are
/// [`EXPORT_COLUMNS`], in this order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    pub run_id: i64,
    pub created_at: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub release: Option<String>,
    pub origin: String,
    pub run_verdict: Option<String>,
    pub benchmark: String,
    pub metric: String,
    pub unit: String,
    pub better: String,
    pub n: i64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub std_dev: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub p95: Option<f64>,
    pub verdict: Option<String>,
    pub change_percent: Option<f64>,
}

/// `export --format csv`'s header.
pub const EXPORT_COLUMNS: [&str; 20] = [
    "run_id",
    "created_at",
    "commit",
    "branch",
    "release",
    "origin",
    "run_verdict",
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

impl ExportRow {
    /// The row as a CSV record; a missing value is an empty field.
    pub fn csv(&self) -> String {
        let text = |value: &Option<String>| crate::csv::text(value.as_deref().unwrap_or_default());
        let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        csv_line(&[
            self.run_id.to_string(),
            crate::csv::text(&self.created_at),
            text(&self.commit),
            text(&self.branch),
            text(&self.release),
            self.origin.clone(),
            text(&self.run_verdict),
            crate::csv::text(&self.benchmark),
            crate::csv::text(&self.metric),
            crate::csv::text(&self.unit),
            self.better.clone(),
            self.n.to_string(),
            number(self.mean),
            number(self.median),
            number(self.std_dev),
            number(self.min),
            number(self.max),
            number(self.p95),
            text(&self.verdict),
            number(self.change_percent),
        ])
    }
}

/// Reads `--since`: a date (`2026-11-01`, from its start in UTC) or an RFC 3339 UTC time
/// (`2026-11-01T12:00:00Z`), as the store's `created_at` compares with it.
pub fn parse_since(text: &str) -> Result<String, String> {
    let invalid = || format!("`{}` is not a date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", text.escape_debug());
    let digits = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let parts: Vec<&str> = date.split('-').collect();
    let date_ok = parts.len() == 3 && digits(parts[0], 4) && digits(parts[1], 2) && digits(parts[2], 2);
    let month_day =
        date_ok && matches!(parts[1].parse::<u8>(), Ok(1..=12)) && matches!(parts[2].parse::<u8>(), Ok(1..=31));
    if !month_day {
        return Err(invalid());
    }
    if time.is_empty() {
        return Ok(format!("{date}T00:00:00Z"));
    }
    let clock: Vec<&str> = time.strip_suffix('Z').ok_or_else(invalid)?.split(':').collect();
    if clock.len() != 3 || !clock.iter().all(|part| digits(part, 2)) {
        return Err(invalid());
    }
    Ok(text.to_owned())
}

/// Left-aligned columns, two spaces apart, with the header.
pub(crate) fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    std::iter::once(line(header.to_vec()))
        .chain(rows.iter().map(|row| line(row.iter().map(String::as_str).collect())))
        .collect()
}

/// A table's rows with what a pull request named (ids, branches) made safe for a terminal.
pub(crate) fn safe_rows<const N: usize>(rows: impl Iterator<Item = [String; N]>) -> Vec<[String; N]> {
    rows.map(|row| row.map(|cell| crate::render::single_line(&cell))).collect()
}

/// One regression `regressions` lists: where it was found, and what the branch's later runs
/// said of the same metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionRow {
    pub run_id: i64,
    pub created_at: String,
    /// The commit the regression was found on (against its baseline).
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub benchmark: String,
    pub metric: String,
    pub change_percent: Option<f64>,
    /// The newest later run of the same branch that compared this metric, and its verdict.
    pub later_run: Option<i64>,
    pub later_verdict: Option<String>,
}

impl RegressionRow {
    /// `fixed` when the branch's newest later comparison of the metric did not find it
    /// regressed, `open` when it still did, `unknown` without a later comparison.
    pub fn status(&self) -> &'static str {
        match self.later_verdict.as_deref() {
            None => "unknown",
            Some("regressed") => "open",
            Some(_) => "fixed",
        }
    }
}

/// `rows` as `regressions` prints them.
pub fn format_regressions(rows: &[RegressionRow], format: Format) -> String {
    const HEADER: [&str; 8] = ["run", "when", "commit", "branch", "benchmark", "metric", "change", "status"];
    let cells = |row: &RegressionRow, commit: String| {
        [
            row.run_id.to_string(),
            row.created_at.clone(),
            commit,
            row.branch.clone().unwrap_or_default(),
            row.benchmark.clone(),
            row.metric.clone(),
            row.change_percent.map(|c| format!("{c:+.1}%")).unwrap_or_default(),
            match row.later_run {
                Some(run) => format!("{} (run {run})", row.status()),
                None => row.status().to_owned(),
            },
        ]
    };
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct WithStatus<'a> {
                #[serde(flatten)]
                row: &'a RegressionRow,
                status: &'static str,
            }
            let rows: Vec<WithStatus<'_>> = rows.iter().map(|row| WithStatus { row, status: row.status() }).collect();
            let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Csv => std::iter::once(HEADER.map(str::to_owned))
            .chain(rows.iter().map(|row| {
                let cells = cells(row, row.commit.clone().unwrap_or_default());
                // The change is perf-gate's number; the rest may come from a pull request.
                let mut inert = cells.clone().map(|cell| crate::csv::text(&cell));
                inert[6] = cells[6].clone();
                inert
            }))
            .map(|r| csv_line(&r))
            .collect(),
        Format::Table => {
            let short = |row: &RegressionRow| row.commit.as_deref().map_or("", |c| c.get(..12).unwrap_or(c)).to_owned();
            table(&HEADER, &safe_rows(rows.iter().map(|row| cells(row, short(row)))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;

    #[test]
    fn a_record_keeps_every_metric_and_what_the_check_said() {
        let mut results = fixtures::results(vec![
            fixtures::benchmark("a", Better::Lower, &[1.0, 2.0, 3.0]),
            fixtures::benchmark("b", Better::Lower, &[4.0]),
        ]);
        results.git = Some(crate::model::GitInfo {
            commit: "0123456789abcdef".into(),
            branch: Some("main".into()),
            dirty: false,
        });
        let record = RunRecord::new(&results, None, Some("v1.2.3"), Origin::Import);
        assert_eq!(record.benchmarks(), 2);
        assert_eq!((record.branch.as_deref(), record.release.as_deref()), (Some("main"), Some("v1.2.3")));
        assert_eq!(record.metrics[0].samples, vec![1.0f32, 2.0, 3.0]);
        assert_eq!(record.metrics[0].summary.n, 3);
        assert_eq!((record.verdict, record.metrics[0].verdict), (None, None));
    }

    #[test]
    fn since_takes_a_date_or_a_utc_time() {
        assert_eq!(parse_since("2026-11-01").unwrap(), "2026-11-01T00:00:00Z");
        assert_eq!(parse_since("2026-11-01T12:30:00Z").unwrap(), "2026-11-01T12:30:00Z");
        for bad in ["yesterday", "2026-13-01", "2026-1-01", "2026-11-01T12:30", "2026-11-01T12:30:00+02:00", ""] {
            assert!(parse_since(bad).unwrap_err().contains("is not a date"), "{bad}");
        }
    }

    #[test]
    fn an_export_row_is_one_csv_record_of_the_documented_columns() {
        let row = ExportRow {
            run_id: 3,
            created_at: "2026-11-30T05:00:00Z".into(),
            commit: Some("abc".into()),
            branch: None,
            release: Some("v1".into()),
            origin: "run".into(),
            run_verdict: Some("pass".into()),
            benchmark: "parse, \"quoted\"".into(),
            metric: "time".into(),
            unit: "ns".into(),
            better: "lower".into(),
            n: 100,
            mean: Some(1.5),
            median: None,
            std_dev: Some(0.25),
            min: Some(1.0),
            max: Some(2.0),
            p95: Some(1.9),
            verdict: Some("unchanged".into()),
            change_percent: Some(-0.5),
        };
        assert_eq!(
            row.csv(),
            "3,2026-11-30T05:00:00Z,abc,,v1,run,pass,\"parse, \"\"quoted\"\"\",time,ns,lower,100,1.5,,0.25,1,2,1.9,unchanged,-0.5\n"
        );
        assert_eq!(csv_line(&EXPORT_COLUMNS).split(',').count(), 20);
    }

    #[test]
    fn regressions_print_their_status_and_a_terminal_never_sees_raw_control_characters() {
        let row = |later: Option<(i64, &str)>| RegressionRow {
            run_id: 7,
            created_at: "2026-11-30T05:00:00Z".into(),
            commit: Some("0123456789abcdef".into()),
            branch: Some("pr".into()),
            benchmark: "evil\u{1b}]52;c;x\u{7}".into(),
            metric: "time".into(),
            change_percent: Some(12.34),
            later_run: later.map(|(id, _)| id),
            later_verdict: later.map(|(_, v)| v.to_owned()),
        };
        let rows = [row(Some((9, "regressed"))), row(Some((9, "improved"))), row(None)];
        let table = format_regressions(&rows, Format::Table);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[1].ends_with("+12.3%  open (run 9)"), "{table}");
        assert!(lines[2].ends_with("fixed (run 9)"), "{table}");
        assert!(lines[3].ends_with("unknown"), "{table}");
        assert!(!table.contains('\u{1b}'), "{table}");
        let json: serde_json::Value = serde_json::from_str(&format_regressions(&rows, Format::Json)).unwrap();
        assert_eq!((json[0]["status"].as_str(), json[0]["later_run"].as_i64()), (Some("open"), Some(9)));
        let csv = format_regressions(&rows, Format::Csv);
        assert!(csv.lines().nth(1).unwrap().starts_with("7,2026-11-30T05:00:00Z,0123456789abcdef,pr,"), "{csv}");
    }

    #[test]
    fn release_tags_are_checked() {
        assert_eq!(parse_release("v1.2.3").unwrap(), "v1.2.3");
        for bad in ["", "v1 2", "a\nb", &"x".repeat(101)] {
            assert!(parse_release(bad).unwrap_err().contains("is not a release tag"), "{bad:?}");
        }
    }

    fn row(id: i64, branch: &str) -> RunRow {
        RunRow {
            id,
            created_at: "2026-11-30T05:00:00Z".into(),
            commit: Some("0123456789abcdef0123".into()),
            branch: Some(branch.into()),
            release: None,
            benchmarks: 78,
            verdict: Some("pass".into()),
            origin: "run".into(),
        }
    }

    #[test]
    fn runs_print_as_a_table_csv_or_json() {
        let rows = [row(2, "main"), row(1, "a,\"b\"")];
        let table = format_runs(&rows, Format::Table);
        assert_eq!(
            table.lines().next().unwrap(),
            "id  when                  commit        branch  release  benchmarks  verdict  origin"
        );
        assert!(table.lines().nth(1).unwrap().starts_with("2   2026-11-30T05:00:00Z  0123456789ab  main"), "{table}");
        let csv = format_runs(&rows, Format::Csv);
        assert_eq!(csv.lines().next().unwrap(), "id,when,commit,branch,release,benchmarks,verdict,origin");
        assert_eq!(
            csv.lines().nth(2).unwrap(),
            "1,2026-11-30T05:00:00Z,0123456789abcdef0123,\"a,\"\"b\"\"\",,78,pass,run"
        );
        let json: serde_json::Value = serde_json::from_str(&format_runs(&rows, Format::Json)).unwrap();
        assert_eq!(json[0]["commit"], "0123456789abcdef0123");
        assert_eq!(json[1]["release"], serde_json::Value::Null);
    }
}
