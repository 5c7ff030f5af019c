//! The view model every renderer shares, built from a report by one pure function.
//!
//! Everything a reader sees is decided here: order, wording, formatted numbers and chart
//! coordinates. Templates only lay it out, so markdown, HTML and terminal cannot disagree.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compare::{ChangeVerdict, Comparison, Direct, Evidence, Scale, TRIM};
use crate::condition::Severity;
use crate::config::{Charts, Correction, TestKind};
use crate::gates::{GateOutcome, GateStatus};
use crate::model::{Better, Environment, GitInfo, Results};
use crate::report::{Report, RunInfo, Verdict};
use crate::slo::Level;

use super::chart::{self, ChangeAxis, ChangeScale, IntervalMark, Plot, Side};
use super::directions::{directions, DirectionRow};
use super::format::{self, MISSING};
use super::measured::{measured, MeasuredRow, MEASURED_LEGEND};
use super::noise::{self, NoiseGroup};
use super::slo::{compliance_percent, slo_view, SloView};

/// Everything the reports show, formatted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    /// The tool and version that wrote the report: `cargo-perf-gate 0.1.0`.
    pub tool: String,
    /// The CI run that made the report (its artifacts hold report.html, with the trend
    /// lines), when there is one: set by the caller, which knows where it runs.
    pub run_url: Option<String>,
    /// The artifact of that run holding report.html, when the caller knows its name.
    pub report_artifact: Option<String>,
    pub verdict: VerdictView,
    /// Gate counts in one line: `4 gate checks: 1 passed, 1 failed (blocking), 2 failed (warning)`.
    pub gate_counts: String,
    /// Comparison counts in one line: `6 comparisons: 1 regressed, 1 improved, ...`.
    pub comparison_counts: String,
    /// The same counts as labelled numbers, for the HTML summary.
    pub count_groups: Vec<CountGroup>,
    /// Per direction (regressions, improvements, unchanged, too noisy): count, mean change and
    /// range, the summary a reviewer reads first.
    pub directions: Vec<DirectionRow>,
    /// How regressions are judged, in one line: test, correction, alpha and thresholds.
    pub method: String,
    /// The whole suite changed together, when that change reached the threshold.
    pub suite_shift: Option<SuiteShiftView>,
    pub current: RunView,
    /// The baseline compared against; `None` when there was none.
    pub baseline: Option<RunView>,
    /// Why no regression check ran, when it did not.
    pub comparison_skipped: Option<String>,
    /// With `--confirm`: what the paired rounds re-measured, and what the screen decided.
    pub confirmation: Option<String>,
    /// Where the current results were measured.
    pub environment: Vec<Field>,
    /// Environment fields in which the baseline differs.
    pub environment_differences: Vec<Difference>,
    /// The report's notes, less the suite shift's, which `suite_shift` shows.
    pub notes: Vec<String>,
    /// Every gate outcome: failed blocking, failed warning, then passed; config order within.
    pub gates: Vec<GateRow>,
    /// The failed outcomes of `gates`, both severities, in the same order.
    pub failed_gates: Vec<GateRow>,
    /// Regressed comparisons, worst first.
    pub regressions: Vec<ComparisonRow>,
    /// Improved comparisons, largest improvement first.
    pub improvements: Vec<ComparisonRow>,
    /// `regressions` then `improvements`: the changes a reader must see, as one table.
    pub changes: Vec<ComparisonRow>,
    /// Every comparison, by benchmark then metric.
    pub comparisons: Vec<ComparisonRow>,
    /// The comparisons too noisy to gate, grouped by what limits them: each reason and remedy
    /// said once.
    pub noise_groups: Vec<NoiseGroup>,
    /// The shared axis of the interval plots; `None` when no comparison has an interval.
    pub change_scale: Option<ChangeScale>,
    /// What the interval plots show, in words.
    pub change_legend: String,
    /// One strip plot per compared metric that did not come out unchanged (every one with
    /// `reporting.charts` = `all`, or without a baseline), in benchmark order; at most
    /// [`MAX_CHARTS`], those that changed first.
    pub charts: Vec<Chart>,
    /// Said when metrics were left without a chart: how many, and how to have them.
    pub charts_note: Option<String>,
    /// The service-level objectives judged, when the config has any.
    pub slo: Option<SloView>,
    /// Without a baseline: what was measured, one line per benchmark.
    pub measured: Vec<MeasuredRow>,
    /// How `measured`'s typical value and spread are estimated.
    pub measured_legend: &'static str,
}

/// Strip plots a report shows at most: a chart is about 6 KB of SVG, and thousands of them make
/// a page no browser scrolls; the tables and report.json still hold every metric.
pub const MAX_CHARTS: usize = 200;

/// The overall verdict, worded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictView {
    /// `pass`, `warn` or `fail`; also the CSS class.
    pub key: &'static str,
    /// `PASS`, `WARN` or `FAIL`.
    pub word: &'static str,
    pub icon: &'static str,
    /// Why, as a sentence without the full stop: `1 blocking gate failed, 1 regression`.
    pub reason: String,
    /// Whether the run exits non-zero (a warning does under `--strict`).
    pub fails_run: bool,
}

/// A change of the whole suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteShiftView {
    /// `Whole suite +12.4% (spread 0.5%, 40 metrics) — warning`.
    pub text: String,
    /// CSS class: `warn` or `fail`.
    pub tone: &'static str,
    pub icon: &'static str,
    /// What the reader should do about it.
    pub advice: &'static str,
}

/// A titled group of counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountGroup {
    pub title: &'static str,
    pub items: Vec<CountItem>,
}

/// One labelled count; `tone` is a CSS class (`fail`, `warn`, `pass`, `neutral`, `zero`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountItem {
    pub label: &'static str,
    pub value: String,
    pub tone: &'static str,
}

/// One measured run: current or baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    /// Abbreviated commit, when the tree was a git checkout.
    pub commit: Option<String>,
    pub commit_full: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    /// The commit in words for plain text: `1a2b3c4 on main, uncommitted changes`.
    pub describe: String,
    pub created_at: String,
    /// `12 benchmarks`.
    pub benchmarks: String,
    /// Where the results came from and how old they are, in words:
    /// `artifact perf-gate-baseline (id 11) of run 2332938, 3 hours old`.
    pub origin: Option<String>,
    /// A page showing the origin, e.g. the workflow run that uploaded the artifact.
    pub origin_url: Option<String>,
}

/// A labelled value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
}

/// An environment field that differs between the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub field: String,
    pub current: String,
    pub baseline: String,
}

/// One gate judged on one benchmark (or on none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateRow {
    /// The gate's display name.
    pub gate: String,
    /// The gate's metric path as configured (may be a glob).
    pub metric: String,
    /// The benchmark judged, or `—` when the gate matched none.
    pub benchmark: String,
    pub matched: bool,
    /// The measured value in the gate's unit, or `—`.
    pub value: String,
    /// Operator and threshold: `< 2 ms`.
    pub condition: String,
    /// `blocking` or `warning`.
    pub severity: &'static str,
    /// What the outcome does to the run: `pass`, `fail` (blocking) or `warn` (warning). Also
    /// the CSS class.
    pub status: &'static str,
    /// `PASS`, `FAIL` or `WARN`.
    pub status_label: &'static str,
    pub icon: &'static str,
    /// Why the gate failed without a value.
    pub message: Option<String>,
}

/// One metric of one benchmark compared with the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub benchmark: String,
    pub metric: String,
    /// `regressed`, `improved`, `unchanged`, `new`, `removed` or `inconclusive`.
    pub verdict: &'static str,
    /// The verdict as a symbol, so that it reads without colour (grayscale, colour blindness,
    /// a terminal without colour): `▲` regressed, `▼` improved, `=` unchanged, `+` new,
    /// `−` removed, `?` inconclusive; the same symbols as the directions table.
    pub symbol: &'static str,
    /// The verdict as shown: a regression that only warns reads `regressed (warning)`.
    pub label: String,
    /// CSS classes: the verdict, plus `warn` on a regression that only warns.
    pub class: String,
    /// Whether this comparison's outcome would fail the run (its severity is Blocking).
    pub blocking: bool,
    /// The baseline's value the change compares (see `Comparison::typical`), else its mean, or
    /// `—`.
    pub baseline: String,
    /// The current value the change compares, else its mean, or `—`.
    pub current: String,
    /// `+12.34%`, or `—`.
    pub change: String,
    /// The confidence interval of the change: `[+1.70%, +11.56%]`, or `—`.
    pub interval: String,
    /// The test's own two-sided p: `p = 0.0123`, `p < 0.0001`, or `—` without a test.
    pub p: String,
    /// The p of the suite-wide empirical null, where it applied.
    pub p_empirical_null: Option<String>,
    /// Welch's p on the pooled samples, beside a paired test.
    pub p_pooled_welch: Option<String>,
    /// The p the verdict was judged on, after the multiple-comparison correction, or `—`.
    pub p_adjusted: String,
    /// `too noisy (detects 6.6%, needs ~40 samples)`, or empty; the view's `noise_groups` say
    /// why.
    pub noisy: String,
    /// Why this verdict.
    pub reason: String,
    /// With `--confirm`, which evidence decided: `paired rounds (screen: regressed, +6.1%)` or
    /// `screen`; empty otherwise.
    pub evidence: String,
    /// The id of this metric's chart in the HTML report.
    pub chart: Option<String>,
    /// The change and its interval on `View::change_scale`.
    pub interval_mark: Option<IntervalMark>,
    /// The metric's recent recorded values and this run's, when a history is kept.
    pub history: Option<Sparkline>,
}

/// Recorded values of each (benchmark, metric), oldest first: the history `view` draws.
pub type Recent = BTreeMap<(String, String), Vec<f64>>;

/// A small trend line: the recorded values, then this run's, marked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sparkline {
    /// The box the path is drawn in, in pixels.
    pub width: String,
    pub height: String,
    /// SVG path data in the `width` x `height` box.
    pub path: String,
    /// Where this run's value is.
    pub x: String,
    pub y: String,
    /// `last 12 recorded runs: 1.02 µs to 1.31 µs; this run 1.29 µs`
    pub title: String,
}

/// The trend line beside a comparison's current value.
const SPARK: (f64, f64) = (96.0, 22.0);
/// The trend line in a changed metric's chart.
const TREND: (f64, f64) = (240.0, 40.0);

/// The trend line of `recorded` values followed by `now` in a `width` x `height` box; `None`
/// without a recorded value.
fn sparkline(recorded: &[f64], now: f64, unit: &str, (width, height): (f64, f64)) -> Option<Sparkline> {
    let values: Vec<f64> = recorded.iter().copied().chain(std::iter::once(now)).filter(|v| v.is_finite()).collect();
    if values.len() < 2 || !now.is_finite() {
        return None;
    }
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let x = |i: usize| 2.0 + i as f64 * (width - 4.0) / (values.len() - 1) as f64;
    let y = |v: f64| 2.0 + (height - 4.0) * if high > low { 1.0 - (v - low) / (high - low) } else { 0.5 };
    let path = values
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{}{:.1} {:.1}", if i == 0 { "M" } else { " L" }, x(i), y(v)))
        .collect();
    let last = values.len() - 1;
    Some(Sparkline {
        width: format!("{width:.0}"),
        height: format!("{height:.0}"),
        path,
        x: format!("{:.1}", x(last)),
        y: format!("{:.1}", y(now)),
        title: format!(
            "last {} recorded run{}: {} to {}; this run {}",
            last,
            if last == 1 { "" } else { "s" },
            format::measurement(low, unit),
            format::measurement(high, unit),
            format::measurement(now, unit)
        ),
    })
}

/// The samples of one metric, baseline against current.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// HTML id, `chart-1`, ...
    pub anchor: String,
    pub benchmark: String,
    pub metric: String,
    /// The comparison verdict as shown (`regressed (warning)`), when there was a comparison.
    pub label: Option<String>,
    /// The verdict's symbol (see [`ComparisonRow::symbol`]), when there was a comparison.
    pub symbol: Option<&'static str>,
    /// CSS classes: those of the comparison row, or `neutral` without a comparison.
    pub class: String,
    /// `+12.34%`, when both sides had a mean to compare.
    pub change: Option<String>,
    /// One line per row: `baseline: median 1.23 µs, 100 samples`.
    pub legend: Vec<LegendItem>,
    pub plot: Plot,
    /// The metric's recorded values and this run's, when a history is kept.
    pub trend: Option<Sparkline>,
}

/// A legend line for one plot row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegendItem {
    /// `baseline` or `current`; also the CSS class.
    pub name: &'static str,
    pub text: String,
}

/// Builds the view of `report`. `current` and `baseline` are the results it was evaluated on;
/// they supply the raw samples for the charts, `recent` the recorded values for the trend
/// lines, and `selection` which metrics are charted.
pub fn view(
    report: &Report,
    current: &Results,
    baseline: Option<&Results>,
    recent: &Recent,
    selection: Charts,
) -> View {
    let current_by_id = current.by_id();
    let trend = |id: &str, metric: &str, size| {
        let recorded = recent.get(&(id.to_owned(), metric.to_owned()))?;
        let now = current_by_id.get(id)?.metrics.get(metric)?;
        sparkline(recorded, now.summary.median, &now.unit, size)
    };
    let (charts, charts_note) = charts(report, current, baseline, selection, |id, metric| trend(id, metric, TREND));
    let anchors: BTreeMap<(&str, &str), &str> =
        charts.iter().map(|c| ((c.benchmark.as_str(), c.metric.as_str()), c.anchor.as_str())).collect();
    let intervals = || report.comparisons.iter().filter_map(|c| c.change_interval_percent);
    let axis = intervals()
        .next()
        .is_some()
        .then(|| ChangeAxis::new(intervals().flatten(), report.settings.regression_threshold_percent));
    let history = |c: &Comparison| trend(&c.id, &c.metric, SPARK);
    let row = |c: &Comparison| ComparisonRow {
        history: history(c),
        ..comparison_row(c, anchors.get(&(c.id.as_str(), c.metric.as_str())).copied(), axis.as_ref())
    };
    let suite_shift = suite_shift(report);

    let mut gates: Vec<GateRow> = report.gates.iter().map(gate_row).collect();
    // Stable: config order is kept within each group.
    gates.sort_by_key(|g| match g.status {
        "fail" => 0,
        "warn" => 1,
        _ => 2,
    });
    let failed_gates = gates.iter().filter(|g| g.status != "pass").cloned().collect();

    let mut regressed: Vec<&Comparison> =
        report.comparisons.iter().filter(|c| c.verdict == ChangeVerdict::Regressed).collect();
    regressed.sort_by(|a, b| worse_percent(b).total_cmp(&worse_percent(a)));
    let mut improved: Vec<&Comparison> =
        report.comparisons.iter().filter(|c| c.verdict == ChangeVerdict::Improved).collect();
    improved.sort_by(|a, b| worse_percent(a).total_cmp(&worse_percent(b)));

    let regressions: Vec<ComparisonRow> = regressed.into_iter().map(row).collect();
    let improvements: Vec<ComparisonRow> = improved.into_iter().map(row).collect();
    View {
        tool: format!("{} {}", report.tool.name, report.tool.version),
        run_url: None,
        report_artifact: None,
        verdict: verdict_view(report),
        gate_counts: gate_counts(report),
        comparison_counts: comparison_counts(report),
        count_groups: count_groups(report),
        directions: directions(&report.comparisons),
        method: method(report),
        change_scale: axis.as_ref().map(|a| a.scale(report.settings.noise_threshold_percent)),
        change_legend: change_legend(report),
        current: run_view(&report.current),
        baseline: report.baseline.as_ref().map(run_view),
        comparison_skipped: report.comparison_skipped.clone(),
        confirmation: report.confirmation.as_ref().map(|c| {
            format!(
                "Confirmed against {}: {} of {} suspects of the screen decided by the paired rounds; every other comparison by the screen against the stored baseline.",
                c.against, c.decided_by_rounds, c.suspects
            )
        }),
        environment: environment(&current.environment),
        environment_differences: report
            .environment_differences
            .iter()
            .map(|d| Difference { field: d.field.clone(), current: d.this.clone(), baseline: d.other.clone() })
            .collect(),
        // The suite shift has its own line with the same numbers; its note would repeat them.
        notes: report
            .notes
            .iter()
            .filter(|note| suite_shift.is_none() || !note.starts_with(SUITE_SHIFT_NOTE))
            .cloned()
            .collect(),
        suite_shift,
        failed_gates,
        gates,
        changes: regressions.iter().chain(&improvements).cloned().collect(),
        regressions,
        improvements,
        comparisons: report.comparisons.iter().map(row).collect(),
        noise_groups: noise::groups(&report.comparisons),
        charts,
        charts_note,
        slo: report.slo.as_ref().map(slo_view),
        measured: if report.baseline.is_none() { measured(current) } else { Vec::new() },
        measured_legend: MEASURED_LEGEND,
    }
}

/// How much worse the metric got, in percent: positive is worse whichever way is better.
/// Comparisons without a change sort last.
fn worse_percent(c: &Comparison) -> f64 {
    let change = c.change_percent.filter(|p| p.is_finite()).unwrap_or(0.0);
    match c.better {
        Better::Lower => change,
        Better::Higher => -change,
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn verdict_view(report: &Report) -> VerdictView {
    let (key, word, icon) = match report.verdict {
        Verdict::Pass => ("pass", "PASS", "✅"),
        Verdict::Warn => ("warn", "WARN", "⚠️"),
        Verdict::Fail => ("fail", "FAIL", "❌"),
    };
    let counts = &report.counts;
    let mut parts = Vec::new();
    if counts.gates_failed_blocking > 0 {
        parts.push(format!("{} failed", plural(counts.gates_failed_blocking, "blocking gate", "blocking gates")));
    }
    if counts.gates_failed_warning > 0 {
        parts.push(format!("{} failed", plural(counts.gates_failed_warning, "warning gate", "warning gates")));
    }
    if counts.regressed > 0 {
        parts.push(plural(counts.regressed, "regression", "regressions"));
    }
    if counts.regressed_warning > 0 {
        let regressions = plural(counts.regressed_warning, "warning regression", "warning regressions");
        // Say why a regression did not fail the run, or a reader will think it a bug.
        parts.push(if report.settings.fail_on_regression {
            regressions
        } else {
            format!("{regressions} (fail_on_regression is off)")
        });
    }
    if let Some(slo) = &report.slo {
        let critical = slo.categories.iter().flat_map(|c| &c.objectives).filter(|o| o.grade.level == Level::Critical);
        let warning = slo.categories.iter().flat_map(|c| &c.objectives).filter(|o| o.grade.level == Level::Warning);
        match (critical.count(), warning.count()) {
            (0, 0) => {}
            (0, warnings) => parts.push(plural(warnings, "SLO objective at WARNING", "SLO objectives at WARNING")),
            (criticals, _) => parts.push(plural(criticals, "CRITICAL SLO objective", "CRITICAL SLO objectives")),
        }
        if slo.compliance.percent < slo.min_compliance_percent {
            parts.push(format!(
                "SLO compliance {} below {}%",
                compliance_percent(slo.compliance.percent),
                format::exact(slo.min_compliance_percent)
            ));
        }
    }
    if let Some(shift) = report.suite_shift.filter(|s| s.significant) {
        parts.push(format!(
            "the whole suite changed by {} ({})",
            format::percent_change_short(shift.change_percent),
            severity_word(shift.severity)
        ));
    }
    let mut reason =
        if parts.is_empty() && report.slo.is_some() && report.gates.is_empty() && report.comparisons.is_empty() {
            "The SLOs are met".to_owned()
        } else if parts.is_empty() {
            let gates = report.gates.len();
            match (gates, report.comparisons.len()) {
                (0, 0) => "Nothing to check: no gates and no comparison".to_owned(),
                (0, _) => "Nothing regressed".to_owned(),
                (1, 0) => "The gate check passed".to_owned(),
                (_, 0) => format!("All {gates} gate checks passed"),
                (1, _) => "The gate check passed and nothing regressed".to_owned(),
                (_, _) => format!("All {gates} gate checks passed and nothing regressed"),
            }
        } else {
            parts.join(", ")
        };
    if report.verdict == Verdict::Warn && report.settings.strict {
        reason.push_str("; --strict turns warnings into a failure");
    }
    VerdictView { key, word, icon, reason, fails_run: report.fails() }
}

/// `1 passed, 2 failed (warning)`: the non-zero parts, or `none` when all are zero.
fn list(parts: &[(usize, &str)]) -> String {
    let shown: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, label)| format!("{n} {label}")).collect();
    if shown.is_empty() {
        "none".to_owned()
    } else {
        shown.join(", ")
    }
}

fn gate_counts(report: &Report) -> String {
    let c = &report.counts;
    if report.gates.is_empty() {
        return "no gates".to_owned();
    }
    let parts = [
        (c.gates_passed, "passed"),
        (c.gates_failed_blocking, "failed (blocking)"),
        (c.gates_failed_warning, "failed (warning)"),
    ];
    // A globbed gate is checked once per matching benchmark, so these are checks, not gates.
    format!("{}: {}", plural(report.gates.len(), "gate check", "gate checks"), list(&parts))
}

fn comparison_counts(report: &Report) -> String {
    let c = &report.counts;
    if report.comparisons.is_empty() {
        return if report.baseline.is_some() { "nothing to compare" } else { "no comparison" }.to_owned();
    }
    let parts = [
        (c.regressed, "regressed"),
        (c.regressed_warning, "regressed (warning)"),
        (c.improved, "improved"),
        (c.unchanged, "unchanged"),
        (c.new, "new"),
        (c.removed, "removed"),
        (c.inconclusive, "inconclusive"),
    ];
    let mut text = format!("{}: {}", plural(report.comparisons.len(), "comparison", "comparisons"), list(&parts));
    // Not a verdict but a property of the benchmark, so it is counted across the verdicts.
    let noisy = report.comparisons.iter().filter(|c| too_noisy(c)).count();
    if noisy > 0 {
        text.push_str(&format!("; {noisy} too noisy to gate"));
    }
    text
}

fn count_groups(report: &Report) -> Vec<CountGroup> {
    let c = &report.counts;
    // A zero is shown muted: present (so the reader knows it was counted) but not loud.
    let item = |label, value: usize, tone| CountItem {
        label,
        value: value.to_string(),
        tone: if value == 0 { "zero" } else { tone },
    };
    let mut groups = vec![CountGroup {
        title: "Gates",
        items: vec![
            item("failed (blocking)", c.gates_failed_blocking, "fail"),
            item("failed (warning)", c.gates_failed_warning, "warn"),
            item("passed", c.gates_passed, "pass"),
        ],
    }];
    if !report.comparisons.is_empty() {
        groups.push(CountGroup {
            title: "Comparisons",
            items: vec![
                item("regressed", c.regressed, "fail"),
                item("regressed (warning)", c.regressed_warning, "warn"),
                item("improved", c.improved, "pass"),
                item("unchanged", c.unchanged, "neutral"),
                item("new", c.new, "neutral"),
                item("removed", c.removed, "neutral"),
                item("inconclusive", c.inconclusive, "warn"),
            ],
        });
    }
    groups
}

/// The regression threshold, and the one exact counts were judged against where it differs:
/// `threshold 5% (exact counts 1%)`.
fn threshold(report: &Report) -> String {
    let default = report.settings.regression_threshold_percent;
    let mut exact: Vec<f64> = report
        .comparisons
        .iter()
        .filter(|c| c.direct == Some(Direct::Deterministic) && c.threshold_percent != default)
        .map(|c| c.threshold_percent)
        .collect();
    exact.sort_by(f64::total_cmp);
    exact.dedup();
    match exact.as_slice() {
        [] => format!("threshold {}%", format::exact(default)),
        [one] => format!("threshold {}% (exact counts {}%)", format::exact(default), format::exact(*one)),
        _ => format!("threshold {}% (exact counts: per rule)", format::exact(default)),
    }
}

/// The comparisons made without a test, by how: `no test for 3 metrics (2 exact, compared
/// directly against the threshold; 1 ...)`.
fn direct(report: &Report) -> Option<String> {
    let mut counts: BTreeMap<Direct, usize> = BTreeMap::new();
    for how in report.comparisons.iter().filter_map(|c| c.direct) {
        *counts.entry(how).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    (total > 0).then(|| {
        let kinds: Vec<String> = counts.iter().map(|(how, n)| how.describe(*n)).collect();
        format!("no test for {} ({})", plural(total, "metric", "metrics"), kinds.join("; "))
    })
}

/// How regressions are judged, in one line: `Welch's t-test on log samples · Holm correction ·
/// α = 0.05 · noise band 1% · threshold 5% · empirical null from 20 metrics · regressions fail
/// the run`.
fn method(report: &Report) -> String {
    let s = &report.settings;
    let test = match s.test {
        TestKind::Welch => "Welch's t-test".to_owned(),
        TestKind::Trimmed => format!("Yuen's trimmed t-test ({:.0}%)", TRIM * 100.0),
    };
    // The raw scale is a per-metric fallback; say how often it happened rather than hide it.
    let raw = report.comparisons.iter().filter(|c| c.scale == Some(Scale::Raw)).count();
    let samples = if raw == 0 {
        "on log samples".to_owned()
    } else {
        format!("on log samples ({} on raw samples)", plural(raw, "metric", "metrics"))
    };
    let correction = match s.correction {
        Correction::Holm => "Holm correction",
        Correction::Bh => "Benjamini-Hochberg correction",
        Correction::None => "no multiple-comparison correction",
    };
    let null = match (report.window, s.empirical_null_min_benchmarks) {
        (Some(window), _) => {
            format!("each benchmark against its run-to-run spread over a window of {} runs", window.runs)
        }
        (None, 0) => "no empirical null".to_owned(),
        (None, n) => format!("empirical null from {}", plural(n, "metric", "metrics")),
    };
    let paired: Vec<usize> = report.comparisons.iter().filter_map(|c| c.paired_rounds).collect();
    let test = match (paired.iter().min(), paired.iter().max()) {
        (Some(&fewest), Some(&most)) => {
            let rounds = if fewest == most { fewest.to_string() } else { format!("{fewest}-{most}") };
            let others = report.comparisons.iter().filter(|c| c.test.is_some() && c.paired_rounds.is_none()).count();
            let rest = if others == 0 { String::new() } else { format!("; {test} {samples} for {others} unpaired") };
            format!(
                "paired t-test on per-round log ratios over {rounds} interleaved rounds (Welch on the pooled samples beside){rest}"
            )
        }
        _ => format!("{test} {samples}"),
    };
    let values = match s.test {
        TestKind::Welch => "values: geometric means (plain means where nothing was tested)".to_owned(),
        TestKind::Trimmed => {
            format!("values: {:.0}%-trimmed geometric means (plain means where nothing was tested)", TRIM * 100.0)
        }
    };
    // A check in which every value was compared without a test names no test.
    let tested = report.comparisons.iter().any(|c| c.test.is_some());
    let direct = direct(report);
    let mut parts: Vec<String> = if tested || direct.is_none() { vec![test] } else { Vec::new() };
    parts.extend(direct.map(|line| if parts.is_empty() { format!("N{}", &line[1..]) } else { line }));
    parts.extend([
        values,
        correction.to_owned(),
        format!("α = {}", format::exact(s.alpha)),
        format!("noise band {}%", format::exact(s.noise_threshold_percent)),
        threshold(report),
        null,
        if s.fail_on_regression { "regressions fail the run" } else { "regressions only warn" }.to_owned(),
    ]);
    if s.strict {
        parts.push("--strict: warnings fail the run".to_owned());
    }
    parts.join(" · ")
}

/// What the interval plots draw.
fn change_legend(report: &Report) -> String {
    let s = &report.settings;
    format!(
        "Each bar is the change with its {}% confidence interval; the shaded band is the ±{}% noise band, the dashed lines the comparison's ±threshold. The axis stretches near zero so small and large changes fit together.",
        format::exact(((1.0 - s.alpha) * 1e6).round() / 1e4),
        format::exact(s.noise_threshold_percent)
    )
}

/// The start of the note the report writes about a significant suite shift.
const SUITE_SHIFT_NOTE: &str = "The whole suite changed by ";

fn suite_shift(report: &Report) -> Option<SuiteShiftView> {
    let shift = report.suite_shift.filter(|s| s.significant)?;
    let (tone, icon) = match shift.severity {
        Severity::Blocking => ("fail", "❌"),
        Severity::Warning => ("warn", "⚠️"),
    };
    Some(SuiteShiftView {
        text: format!(
            "Whole suite {} (spread {}, {}) — {}",
            format::percent_change_short(shift.change_percent),
            format::percent_short(shift.spread_percent),
            plural(shift.metrics, "metric", "metrics"),
            severity_word(shift.severity)
        ),
        tone,
        icon,
        advice: "A slower runner and slower code look the same here: confirm by measuring both sides on one machine.",
    })
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocking => "blocking",
        Severity::Warning => "warning",
    }
}

fn too_noisy(c: &Comparison) -> bool {
    c.sensitivity.is_some_and(|s| s.too_noisy)
}

fn run_view(run: &RunInfo) -> RunView {
    let git: Option<&GitInfo> = run.git.as_ref();
    let commit = git.map(|g| format::short_sha(&g.commit));
    let describe = match git {
        None => "unknown commit".to_owned(),
        Some(g) => {
            let mut text = format::short_sha(&g.commit);
            if let Some(branch) = &g.branch {
                text.push_str(&format!(" on {branch}"));
            }
            if g.dirty {
                text.push_str(", uncommitted changes");
            }
            text
        }
    };
    RunView {
        commit,
        commit_full: git.map(|g| g.commit.clone()),
        branch: git.and_then(|g| g.branch.clone()),
        dirty: git.is_some_and(|g| g.dirty),
        describe,
        created_at: run.created_at.clone(),
        benchmarks: plural(run.benchmarks, "benchmark", "benchmarks"),
        origin: run.origin.as_ref().map(|origin| match origin.age_seconds {
            Some(age) => format!("{}, {} old", origin.source, format::age(age)),
            None => origin.source.clone(),
        }),
        origin_url: run.origin.as_ref().and_then(|origin| origin.url.clone()),
    }
}

fn environment(env: &Environment) -> Vec<Field> {
    let unknown = || "unknown".to_owned();
    vec![
        Field { label: "OS", value: format!("{} {}", env.os, env.arch) },
        Field { label: "CPU", value: env.cpu_model.clone().unwrap_or_else(unknown) },
        Field { label: "Cores", value: env.cores.to_string() },
        Field { label: "rustc", value: env.rustc.clone().unwrap_or_else(unknown) },
        Field { label: "criterion", value: env.criterion.clone().unwrap_or_else(unknown) },
    ]
}

fn gate_row(outcome: &GateOutcome) -> GateRow {
    let (status, status_label, icon) = match (outcome.status, outcome.severity) {
        (GateStatus::Passed, _) => ("pass", "PASS", "✅"),
        (GateStatus::Failed, Severity::Blocking) => ("fail", "FAIL", "❌"),
        (GateStatus::Failed, Severity::Warning) => ("warn", "WARN", "⚠️"),
    };
    let value = match outcome.value {
        Some(value) => format::gate_value_against(value, outcome.threshold, &outcome.unit),
        None => MISSING.to_owned(),
    };
    GateRow {
        gate: outcome.gate.clone(),
        metric: outcome.metric.clone(),
        benchmark: outcome.benchmark.clone().unwrap_or_else(|| MISSING.to_owned()),
        matched: outcome.benchmark.is_some(),
        value,
        condition: format!(
            "{} {}",
            outcome.operator.symbol(),
            format::gate_threshold(outcome.threshold, &outcome.unit)
        ),
        severity: severity_word(outcome.severity),
        status,
        status_label,
        icon,
        message: outcome.message.clone(),
    }
}

fn comparison_row(c: &Comparison, chart: Option<&str>, axis: Option<&ChangeAxis>) -> ComparisonRow {
    // The values the change compares; the plain means where nothing was tested.
    let value = |side: usize, summary: Option<crate::stats::Summary>| match (c.typical, summary) {
        (Some(typical), _) => format::measurement(typical[side], &c.unit),
        (None, Some(s)) if s.n > 0 => format::measurement(s.mean, &c.unit),
        _ => MISSING.to_owned(),
    };
    let p = |p: Option<f64>| p.map(format::p_value).unwrap_or_else(|| MISSING.to_owned());
    let (label, class) = verdict_label(c);
    let noisy = noise::row_mark(c);
    ComparisonRow {
        benchmark: c.id.clone(),
        metric: c.metric.clone(),
        verdict: c.verdict.as_str(),
        symbol: verdict_symbol(c.verdict),
        label,
        class,
        blocking: c.severity == Severity::Blocking,
        baseline: value(0, c.baseline),
        current: value(1, c.current),
        change: c.change_percent.map(format::percent_change).unwrap_or_else(|| MISSING.to_owned()),
        interval: c.change_interval_percent.map(format::percent_interval).unwrap_or_else(|| MISSING.to_owned()),
        p: p(c.test.map(|t| t.p_two_sided)),
        p_empirical_null: c.p_empirical_null.map(format::p_value),
        p_pooled_welch: c.pooled_welch.map(|t| format::p_value(t.p_two_sided)),
        p_adjusted: p(c.p_adjusted),
        noisy,
        reason: c.reason.clone(),
        evidence: evidence(c),
        chart: chart.map(str::to_owned),
        interval_mark: axis
            .zip(c.change_interval_percent)
            .zip(c.change_percent)
            .map(|((axis, interval), change)| axis.mark(interval, change, c.threshold_percent)),
        history: None,
    }
}

/// Which evidence decided a confirmed comparison, with what the screen said when the rounds did.
fn evidence(c: &Comparison) -> String {
    match (c.evidence, &c.screen) {
        (Some(Evidence::Paired), Some(screen)) => format!(
            "paired rounds (screen: {}, {}; {})",
            screen.verdict.as_str(),
            screen.change_percent.map(format::percent_change).unwrap_or_else(|| MISSING.to_owned()),
            screen.suspect
        ),
        (Some(Evidence::Paired), None) => "paired rounds".to_owned(),
        (Some(Evidence::Screen), _) => "screen".to_owned(),
        (None, _) => String::new(),
    }
}

fn verdict_symbol(verdict: ChangeVerdict) -> &'static str {
    match verdict {
        ChangeVerdict::Regressed => "▲",
        ChangeVerdict::Improved => "▼",
        ChangeVerdict::Unchanged => "=",
        ChangeVerdict::New => "+",
        ChangeVerdict::Removed => "−",
        ChangeVerdict::Inconclusive => "?",
    }
}

/// The verdict as shown, and its CSS classes: a Warning regression must not look like one
/// that fails the run.
fn verdict_label(c: &Comparison) -> (String, String) {
    let verdict = c.verdict.as_str();
    if c.verdict == ChangeVerdict::Regressed && c.severity == Severity::Warning {
        (format!("{verdict} (warning)"), format!("{verdict} warn"))
    } else {
        (verdict.to_owned(), verdict.to_owned())
    }
}

/// The (benchmark, metric) pairs to chart, in benchmark order, and the note on those left out.
/// Without a baseline: every compared metric of the current results, so a first run still
/// shows its distributions. Else the comparisons that did not come out unchanged (all of them
/// with [`Charts::All`]). At most [`MAX_CHARTS`], the changed ones first.
fn chart_keys<'a>(
    report: &'a Report,
    current: &'a Results,
    selection: Charts,
) -> (Vec<(&'a str, &'a str)>, Option<String>) {
    if report.comparisons.is_empty() {
        let mut keys: Vec<(&str, &str)> = current
            .benchmarks
            .iter()
            .flat_map(|b| b.metrics.iter().filter(|(_, m)| m.compared).map(|(name, _)| (b.id.as_str(), name.as_str())))
            .collect();
        let total = keys.len();
        keys.truncate(MAX_CHARTS);
        let note = (total > MAX_CHARTS)
            .then(|| format!("Charts of the first {MAX_CHARTS} of the {total} metrics; report.json holds them all."));
        return (keys, note);
    }
    let unchanged = |c: &&Comparison| c.verdict == ChangeVerdict::Unchanged;
    let mut selected: Vec<&Comparison> = report.comparisons.iter().collect();
    if selection == Charts::Changed {
        selected.retain(|c| !unchanged(c));
    }
    let total = selected.len();
    // A stable sort keeps benchmark order within each part.
    selected.sort_by_key(unchanged);
    selected.truncate(MAX_CHARTS);
    selected.sort_by(|a, b| (&a.id, &a.metric).cmp(&(&b.id, &b.metric)));
    let left_unchanged = report.comparisons.iter().filter(unchanged).count();
    let note = match (selection, total > MAX_CHARTS) {
        (_, true) => Some(format!(
            "Charts of {MAX_CHARTS} of the {total} {}: every one that changed or could not be judged first, then in benchmark order. The tables above and report.json hold them all.",
            if selection == Charts::All { "metrics" } else { "metrics that did not come out unchanged" }
        )),
        (Charts::Changed, false) if left_unchanged > 0 => Some(format!(
            "No charts of the {} that came out unchanged; `reporting.charts` = `all` in the config draws them too.",
            plural(left_unchanged, "metric", "metrics")
        )),
        _ => None,
    };
    (selected.into_iter().map(|c| (c.id.as_str(), c.metric.as_str())).collect(), note)
}

/// One strip plot per selected metric (see [`chart_keys`]), with its trend line from `trend`.
fn charts<'t>(
    report: &Report,
    current: &Results,
    baseline: Option<&Results>,
    selection: Charts,
    trend: impl Fn(&str, &str) -> Option<Sparkline> + 't,
) -> (Vec<Chart>, Option<String>) {
    let (keys, note) = chart_keys(report, current, selection);
    let comparisons = report.comparisons_by_key();
    let (now_by_id, before_by_id) = (current.by_id(), baseline.map(Results::by_id).unwrap_or_default());
    let mut charts = Vec::new();
    for (id, name) in keys {
        let now = now_by_id.get(id).and_then(|b| b.metrics.get(name));
        let then = before_by_id.get(id).and_then(|b| b.metrics.get(name));
        let Some(unit) = now.or(then).map(|m| m.unit.as_str()) else { continue };
        // Samples in another unit cannot share the axis; the comparison already says the unit changed.
        let before = then.filter(|m| m.unit == unit);
        let sides: Vec<Side<'_>> = [("baseline", before), ("current", now)]
            .into_iter()
            .filter_map(|(name, m)| m.map(|m| Side { name, samples: &m.samples, median: m.summary.median }))
            .collect();
        let Some(plot) = chart::strip_plot(&sides, unit) else { continue };
        let comparison = comparisons.get(&(id, name)).copied();
        let (label, class) = match comparison.map(verdict_label) {
            Some((label, class)) => (Some(label), class),
            None => (None, "neutral".to_owned()),
        };
        charts.push(Chart {
            anchor: format!("chart-{}", charts.len() + 1),
            benchmark: id.to_owned(),
            metric: name.to_owned(),
            label,
            symbol: comparison.map(|c| verdict_symbol(c.verdict)),
            class,
            change: comparison.and_then(|c| c.change_percent).map(format::percent_change),
            legend: legend(&plot, &sides, unit),
            plot,
            trend: trend(id, name),
        });
    }
    (charts, note)
}

/// A strip plot's legend: each drawn row's median and how many of its samples are shown.
fn legend(plot: &Plot, sides: &[Side<'_>], unit: &str) -> Vec<LegendItem> {
    plot.rows
        .iter()
        .zip(sides.iter().filter(|s| s.samples.iter().any(|x| x.is_finite())))
        .map(|(row, side)| {
            let samples = if row.shown < row.samples {
                format!("{} of {} samples shown", row.shown, row.samples)
            } else {
                plural(row.samples, "sample", "samples")
            };
            LegendItem {
                name: row.name,
                text: format!("{}: median {}, {samples}", row.name, format::measurement(side.median, unit)),
            }
        })
        .collect()
}
