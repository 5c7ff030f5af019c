//! The evaluation of one run: gates, regression verdicts and the overall verdict. Pure.
//!
//! [`Report`] is also the shape of `report.json`, documented in docs/report-format.md.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::compare::{
    self, ChangeVerdict, CompareSettings, Comparison, Comparisons, Evidence, ScreenFigures, SuiteShift, Window,
    WindowSummary,
};
use crate::condition::Severity;
use crate::config::{Config, Correction, Statistics, TestKind};
use crate::confirm::Suspect;
use crate::gates::{self, GateOutcome, GateStatus};
use crate::model::AppliedEnvironment;
use crate::model::{EnvironmentDifference, GitInfo, Results, Tool};
use crate::slo::{self, SloReport};
use crate::stats;
use crate::stats::moderated::EXACT_DF;

/// Version of the `report.json` format.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The overall outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every gate passed and nothing regressed.
    Pass,
    /// Only Warning gates or Warning regressions failed, or the whole suite shifted.
    Warn,
    /// A Blocking gate failed, or a Blocking regression was found.
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// Which results were evaluated and against what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub created_at: String,
    pub git: Option<GitInfo>,
    pub benchmarks: usize,
    /// Where these results came from (for the baseline: a file or a workflow artifact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

impl RunInfo {
    fn of(results: &Results, origin: Option<Origin>) -> RunInfo {
        RunInfo {
            created_at: results.created_at.clone(),
            git: results.git.clone(),
            benchmarks: results.benchmarks.len(),
            origin,
        }
    }
}

/// Where a results file came from, so that a reader can judge how fresh and trustworthy it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// In words: `file main/results.json`, `artifact perf-gate-baseline (id 11) of run 2332938`.
    pub source: String,
    /// A page showing the source, e.g. the workflow run that uploaded the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// How old the results were when this report was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<u64>,
}

/// The settings that shaped the verdicts, echoed so a report explains itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub alpha: f64,
    pub correction: Correction,
    pub test: TestKind,
    pub noise_threshold_percent: f64,
    pub regression_threshold_percent: f64,
    pub min_samples: usize,
    /// The family size from which the empirical null applies; 0 when off.
    pub empirical_null_min_benchmarks: usize,
    pub fail_on_regression: bool,
    pub strict: bool,
}

/// The run-health canary's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHealth {
    /// `(max - min) / median` of the current run's checkpoints, in percent.
    pub spread_percent: Option<f64>,
    /// Change of the canary's median against the baseline's, in percent.
    pub shift_percent: Option<f64>,
    pub unstable: bool,
    /// Why the run counts as unstable.
    pub reasons: Vec<String>,
    /// Whether Blocking regressions were reported as warnings because of it.
    pub downgraded: bool,
}

fn run_health(current: &Results, baseline: Option<&Results>, statistics: &Statistics) -> Option<RunHealth> {
    let checkpoints = &current.canary.as_ref()?.checkpoints;
    if checkpoints.is_empty() {
        return None;
    }
    let median = stats::median(checkpoints);
    let spread_percent = (checkpoints.len() >= 2).then(|| {
        let (min, max) =
            checkpoints.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        (max - min) / median * 100.0
    });
    let shift_percent = baseline
        .and_then(|b| b.canary.as_ref())
        .filter(|c| !c.checkpoints.is_empty())
        .map(|c| (median / stats::median(&c.checkpoints) - 1.0) * 100.0);
    let mut reasons = Vec::new();
    if let Some(spread) = spread_percent.filter(|s| *s > statistics.canary_max_spread_percent) {
        reasons.push(format!(
            "the canary workload's speed varied by {spread:.1}% within the run (limit {}%)",
            statistics.canary_max_spread_percent
        ));
    }
    if let Some(shift) = shift_percent.filter(|s| s.abs() > statistics.canary_max_shift_percent) {
        reasons.push(format!(
            "the canary workload ran {shift:+.1}% against the baseline's (limit {}%)",
            statistics.canary_max_shift_percent
        ));
    }
    let unstable = !reasons.is_empty();
    Some(RunHealth {
        spread_percent,
        shift_percent,
        unstable,
        reasons,
        downgraded: unstable && statistics.unstable_run_downgrades,
    })
}

/// How many of each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub gates_passed: usize,
    pub gates_failed_blocking: usize,
    pub gates_failed_warning: usize,
    /// Regressions whose severity is Blocking.
    pub regressed: usize,
    /// Regressions whose severity is Warning.
    pub regressed_warning: usize,
    pub improved: usize,
    pub unchanged: usize,
    pub new: usize,
    pub removed: usize,
    pub inconclusive: usize,
}

/// The whole evaluation; serialized as `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub verdict: Verdict,
    pub settings: Settings,
    pub counts: Counts,
    pub current: RunInfo,
    /// The baseline compared against; `None` when there was none.
    pub baseline: Option<RunInfo>,
    /// Why no regression check ran, when it did not.
    pub comparison_skipped: Option<String>,
    /// Baseline environment fields that differ from the current one.
    pub environment_differences: Vec<EnvironmentDifference>,
    pub gates: Vec<GateOutcome>,
    pub comparisons: Vec<Comparison>,
    /// A change of the whole suite, when enough benchmarks were compared to see one.
    pub suite_shift: Option<SuiteShift>,
    /// Benchmarks left out of the regression check by an `ignore` rule.
    pub ignored: Vec<String>,
    /// What the canary says about the machine during the run; `None` without a canary.
    pub run_health: Option<RunHealth>,
    /// Things the reader should know that are not verdicts.
    pub notes: Vec<String>,
    /// With `--confirm`: what the paired rounds re-measured. `None` without `--confirm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<ConfirmationInfo>,
    /// Against a window of baseline runs: what it said of the suite. `None` against one run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSummary>,
    /// The service-level objectives judged; `None` when the config has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloReport>,
}

/// What `--confirm` did: the screen's suspects, re-measured against the base commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmationInfo {
    /// What the suspects were measured against, in words: `main (0123456789ab) in 8 rounds`.
    pub against: String,
    /// Comparisons the screen named suspects.
    pub suspects: usize,
    /// Of those, the ones the paired rounds decided.
    pub decided_by_rounds: usize,
}

/// The suspects of a screen, re-measured in alternating rounds against the base commit.
pub struct Confirmation<'a> {
    /// The base commit's side of the rounds.
    pub baseline: &'a Results,
    /// The current tree's side of the same rounds.
    pub current: &'a Results,
    pub suspects: &'a [Suspect],
    /// What the rounds measured against, in words.
    pub against: String,
}

/// What to evaluate.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub current: &'a Results,
    /// The baseline: one run, or a window's pooled runs ([`Window::pooled`]).
    pub baseline: Option<&'a Results>,
    /// The baseline's runs, when it is a window of several: each benchmark is then judged
    /// against its own run-to-run spread.
    pub window: Option<&'a Window>,
    /// Where the baseline came from.
    pub baseline_origin: Option<Origin>,
    /// Why there is no baseline, when there is none and one was expected.
    pub baseline_missing_reason: Option<String>,
    pub strict: bool,
    /// Notes from collection and loading (e.g. "no config file; no gates").
    pub notes: Vec<String>,
    /// With `--confirm`: the screen's suspects re-measured; their paired verdicts replace the
    /// screen's.
    pub confirmation: Option<Confirmation<'a>>,
    /// The SLO environment whose slack applies to the config's objectives.
    pub environment: AppliedEnvironment,
}

/// The regression check's settings, as the config gives them.
pub fn compare_settings(config: &Config) -> CompareSettings<'_> {
    CompareSettings {
        statistics: &config.statistics,
        threshold_percent: config.regression_threshold_percent,
        severity: if config.fail_on_regression { Severity::Blocking } else { Severity::Warning },
        rules: &config.regressions,
    }
}

/// Evaluates gates and regressions into a report.
pub fn evaluate(inputs: Inputs<'_>) -> Report {
    let Inputs {
        config,
        current,
        baseline,
        window,
        baseline_origin,
        baseline_missing_reason,
        strict,
        mut notes,
        confirmation,
        environment,
    } = inputs;
    let statistics = &config.statistics;
    let settings = Settings {
        alpha: statistics.alpha,
        correction: statistics.correction,
        test: statistics.test,
        noise_threshold_percent: statistics.noise_threshold_percent,
        regression_threshold_percent: config.regression_threshold_percent,
        min_samples: statistics.min_samples,
        empirical_null_min_benchmarks: statistics.empirical_null_min_benchmarks,
        fail_on_regression: config.fail_on_regression,
        strict,
    };
    let gates = gates::evaluate(&config.gates, current);
    let slo = slo::evaluate(&config.slos, environment, &config.custom_metrics(), current);
    let compare_settings = compare_settings(config);
    let screen =
        baseline.map(|b| compare::compare_with_window(b, window, current, &compare_settings)).unwrap_or_default();
    let (Comparisons { items: mut comparisons, suite_shift, ignored, window }, confirmation) = match confirmation {
        Some(confirmation) => {
            let (comparisons, info) = confirm(screen, &confirmation, &compare_settings);
            (comparisons, Some(info))
        }
        None => (screen, None),
    };
    let run_health = run_health(current, baseline, statistics);
    if let Some(health) = run_health.as_ref().filter(|h| h.unstable) {
        let consequence = if health.downgraded { " Blocking regressions are reported as warnings." } else { "" };
        notes.push(format!("The run was unstable: {}.{consequence}", health.reasons.join("; ")));
        let blocking_regressions = comparisons
            .iter_mut()
            .filter(|c| health.downgraded && c.verdict == ChangeVerdict::Regressed && c.severity == Severity::Blocking);
        for comparison in blocking_regressions {
            comparison.severity = Severity::Warning;
            comparison.reason.push_str("; a warning only: the run was unstable");
        }
    }
    let environment_differences = baseline.map(|b| current.environment.differences(&b.environment)).unwrap_or_default();
    if !environment_differences.is_empty() {
        let fields: Vec<&str> = environment_differences.iter().map(|d| d.field.as_str()).collect();
        notes.push(format!(
            "The baseline was measured in a different environment ({} differ): changes may come from the machine, not the code.",
            fields.join(", ")
        ));
    }
    if let Some(window) = &window {
        notes.push(window_note(window));
    }
    if !ignored.is_empty() {
        notes.push(format!("Left out of the regression check by an `ignore` rule: {}.", ignored.join(", ")));
    }
    // A shift the screen saw is settled by the rounds that re-measured every suspect.
    let suite_shift =
        suite_shift.map(|shift| SuiteShift { significant: shift.significant && confirmation.is_none(), ..shift });
    if let Some(shift) = suite_shift.filter(|shift| shift.significant) {
        notes.push(format!(
            "The whole suite changed by {:+.1}% (median over {} metrics, spread {:.1}%). A slower runner and slower code look the same here: confirm by measuring both sides on one machine.",
            shift.change_percent, shift.metrics, shift.spread_percent
        ));
    }
    let comparison_skipped = match baseline {
        Some(_) => None,
        None => Some(baseline_missing_reason.unwrap_or_else(|| {
            "no baseline given: pass --baseline FILE (an earlier results.json) or --baseline-history main (main's recorded runs); `run --baseline main` measures main on this machine in alternating rounds, and in GitHub Actions --baseline main fetches main's baseline artifact".to_owned()
        })),
    };
    let counts = count(&gates, &comparisons);
    let shift = suite_shift.filter(|shift| shift.significant).map(|shift| shift.severity);
    let verdict = verdict(&counts, [shift, slo.as_ref().and_then(SloReport::severity)]);
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool::this(),
        verdict,
        settings,
        counts,
        current: RunInfo::of(current, None),
        baseline: baseline.map(|b| RunInfo::of(b, baseline_origin)),
        comparison_skipped,
        environment_differences,
        gates,
        comparisons,
        suite_shift,
        ignored,
        run_health,
        notes,
        confirmation,
        window,
        slo,
    }
}

/// What the window did, in words.
fn window_note(window: &WindowSummary) -> String {
    let pooled = match (window.suite_spread_percent, window.suite_df) {
        (Some(spread), Some(df)) if df >= EXACT_DF => {
            format!("the suite's spreads agree, so each uses the suite's typical {spread:.2}%")
        }
        (Some(spread), Some(df)) => format!(
            "each pooled with the suite's typical {spread:.2}%, weighted as {df:.1} runs against its own {}",
            window.runs - 1
        ),
        _ => "too few vary to pool them, so each stands on its own runs".to_owned(),
    };
    let shifts =
        if window.run_shifts_removed { " Each run's shift of the whole suite was taken out first." } else { "" };
    format!(
        "The baseline is a window of {} runs: each of {} metrics was judged against its own run-to-run spread ({pooled}).{shifts}",
        window.runs, window.metrics
    )
}

/// The screen's comparisons with each suspect's replaced by the paired rounds' verdict (the
/// screen's figures kept beside it), and every other marked as decided by the screen. The
/// paired comparisons are corrected as a family of their own: the rounds are new data, so
/// choosing them by the screen does not bias their tests.
fn confirm(
    screen: Comparisons,
    confirmation: &Confirmation<'_>,
    settings: &CompareSettings<'_>,
) -> (Comparisons, ConfirmationInfo) {
    let paired = compare::compare(confirmation.baseline, confirmation.current, settings);
    // Looked up by key: a large suite has thousands of comparisons and suspects.
    let suspects: HashMap<(&str, &str), &Suspect> =
        confirmation.suspects.iter().map(|s| ((s.id.as_str(), s.metric.as_str()), s)).collect();
    let rounds: HashMap<(&str, &str), &Comparison> = paired
        .items
        .iter()
        .filter(|p| p.paired_rounds.is_some())
        .map(|p| ((p.id.as_str(), p.metric.as_str()), p))
        .collect();
    let mut decided_by_rounds = 0;
    let items = screen
        .items
        .into_iter()
        .map(|item| {
            let key = (item.id.as_str(), item.metric.as_str());
            match (suspects.get(&key).copied(), rounds.get(&key).copied()) {
                (Some(suspect), Some(rounds)) => {
                    decided_by_rounds += 1;
                    Comparison {
                        evidence: Some(Evidence::Paired),
                        screen: Some(ScreenFigures {
                            verdict: item.verdict,
                            change_percent: item.change_percent,
                            p_value: item.p_value,
                            suspect: suspect.why.to_owned(),
                        }),
                        ..rounds.clone()
                    }
                }
                _ => Comparison { evidence: Some(Evidence::Screen), ..item },
            }
        })
        .collect();
    let info = ConfirmationInfo {
        against: confirmation.against.clone(),
        suspects: confirmation.suspects.len(),
        decided_by_rounds,
    };
    (Comparisons { items, ..screen }, info)
}

fn count(gates: &[GateOutcome], comparisons: &[Comparison]) -> Counts {
    let mut counts = Counts::default();
    for gate in gates {
        match (gate.status, gate.severity) {
            (GateStatus::Passed, _) => counts.gates_passed += 1,
            (GateStatus::Failed, Severity::Blocking) => counts.gates_failed_blocking += 1,
            (GateStatus::Failed, Severity::Warning) => counts.gates_failed_warning += 1,
        }
    }
    for comparison in comparisons {
        let slot = match comparison.verdict {
            ChangeVerdict::Regressed if comparison.severity == Severity::Warning => &mut counts.regressed_warning,
            ChangeVerdict::Regressed => &mut counts.regressed,
            ChangeVerdict::Improved => &mut counts.improved,
            ChangeVerdict::Unchanged => &mut counts.unchanged,
            ChangeVerdict::New => &mut counts.new,
            ChangeVerdict::Removed => &mut counts.removed,
            ChangeVerdict::Inconclusive => &mut counts.inconclusive,
        };
        *slot += 1;
    }
    counts
}

/// The overall verdict from the counts and what else judged the run (a suite shift, the
/// SLOs), each with the severity it carries, if any.
fn verdict(counts: &Counts, others: [Option<Severity>; 2]) -> Verdict {
    if counts.gates_failed_blocking > 0 || counts.regressed > 0 || others.contains(&Some(Severity::Blocking)) {
        Verdict::Fail
    } else if counts.gates_failed_warning > 0 || counts.regressed_warning > 0 || others.iter().any(Option::is_some) {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

impl Report {
    /// The comparisons by (benchmark id, metric), for lookups per metric without a search of
    /// the whole list each time (a large suite has thousands).
    pub fn comparisons_by_key(&self) -> HashMap<(&str, &str), &Comparison> {
        self.comparisons.iter().map(|c| ((c.id.as_str(), c.metric.as_str()), c)).collect()
    }

    /// Whether the run fails: a `fail` verdict, or `warn` under `--strict`.
    pub fn fails(&self) -> bool {
        match self.verdict {
            Verdict::Fail => true,
            Verdict::Warn => self.settings.strict,
            Verdict::Pass => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(blocking: usize, warning: usize, regressed: usize, regressed_warning: usize) -> Counts {
        Counts {
            gates_failed_blocking: blocking,
            gates_failed_warning: warning,
            regressed,
            regressed_warning,
            ..Counts::default()
        }
    }

    fn with_canary(checkpoints: &[f64]) -> Results {
        let mut results = crate::model::fixtures::results(vec![]);
        results.canary = Some(crate::model::Canary { unit: "ns".to_owned(), checkpoints: checkpoints.to_vec() });
        results
    }

    #[test]
    fn run_health_from_the_canary() {
        let statistics = Statistics::default();
        assert_eq!(run_health(&crate::model::fixtures::results(vec![]), None, &statistics), None);
        let steady = run_health(&with_canary(&[1.00, 1.02, 0.99]), None, &statistics).unwrap();
        assert!(!steady.unstable && (steady.spread_percent.unwrap() - 3.0).abs() < 1e-9, "{steady:?}");
        let wobbly = run_health(&with_canary(&[1.0, 1.3, 1.0]), None, &statistics).unwrap();
        assert!(wobbly.unstable && wobbly.downgraded && wobbly.reasons[0].contains("30.0%"), "{wobbly:?}");
        let baseline = with_canary(&[0.8, 0.8]);
        let shifted = run_health(&with_canary(&[1.0, 1.0]), Some(&baseline), &statistics).unwrap();
        assert!(shifted.unstable && (shifted.shift_percent.unwrap() - 25.0).abs() < 1e-9, "{shifted:?}");
        let keep = Statistics { unstable_run_downgrades: false, ..Statistics::default() };
        assert!(!run_health(&with_canary(&[1.0, 2.0]), None, &keep).unwrap().downgraded);
    }

    #[test]
    fn an_unstable_run_turns_blocking_regressions_into_warnings() {
        use crate::model::{fixtures, Better};
        let config = Config::default();
        let slow: Vec<f64> = (0..10).map(|i| 200.0 + i as f64).collect();
        let fast: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
        let mut baseline = fixtures::results(vec![fixtures::benchmark("b", Better::Lower, &fast)]);
        let mut current = fixtures::results(vec![fixtures::benchmark("b", Better::Lower, &slow)]);
        let evaluate_with = |current: &Results, baseline: &Results| {
            evaluate(Inputs {
                config: &config,
                current,
                baseline: Some(baseline),
                window: None,
                baseline_origin: None,
                baseline_missing_reason: None,
                strict: false,
                notes: Vec::new(),
                confirmation: None,
                environment: Default::default(),
            })
        };
        assert_eq!(evaluate_with(&current, &baseline).verdict, Verdict::Fail);
        baseline.canary = with_canary(&[1.0, 1.0]).canary;
        current.canary = with_canary(&[1.5, 1.5]).canary;
        let report = evaluate_with(&current, &baseline);
        assert_eq!(report.verdict, Verdict::Warn);
        assert_eq!(report.counts.regressed_warning, 1);
        assert!(report.notes.iter().any(|n| n.starts_with("The run was unstable")), "{:?}", report.notes);
    }

    #[test]
    fn confirmed_suspects_take_the_paired_verdict_and_keep_the_screens_figures() {
        use crate::confirm::suspects;
        use crate::model::{fixtures, Better, Interleaving, TIME_METRIC};
        let config = Config::default();
        let around = |centre: f64| (0..20).map(|i| centre + (i % 5) as f64).collect::<Vec<f64>>();
        // The screen: `a` looks 50 % slower (another run on another day), `b` did not move.
        let stored = fixtures::results(vec![
            fixtures::benchmark("a", Better::Lower, &around(100.0)),
            fixtures::benchmark("b", Better::Lower, &around(100.0)),
        ]);
        let current = fixtures::results(vec![
            fixtures::benchmark("a", Better::Lower, &around(150.0)),
            fixtures::benchmark("b", Better::Lower, &around(100.0)),
        ]);
        let screen = compare::compare(&stored, &current, &compare_settings(&config));
        // Two metrics give no suite spread, so the rule names both; the rounds re-measured `a`.
        let found: Vec<Suspect> = suspects(&screen).into_iter().filter(|s| s.id == "a").collect();
        assert_eq!(found[0].why, "regressed in the screen");
        // The rounds: `a` is the same on both sides, round after round.
        let side = |level: f64| {
            let mut benchmark = fixtures::benchmark("a", Better::Lower, &around(level));
            let rounds: Vec<f64> = (0..8).map(|r| level * (1.0 + 0.002 * (r % 3) as f64)).collect();
            benchmark.metrics.get_mut(TIME_METRIC).unwrap().rounds = Some(rounds);
            let mut results = fixtures::results(vec![benchmark]);
            results.interleaved = Some(Interleaving { session: "s".to_owned(), rounds: 8, measurement_time_s: 0.3 });
            results
        };
        let (paired_base, paired_current) = (side(120.0), side(120.0));
        let report = evaluate(Inputs {
            config: &config,
            current: &current,
            baseline: Some(&stored),
            window: None,
            baseline_origin: None,
            baseline_missing_reason: None,
            strict: false,
            notes: Vec::new(),
            confirmation: Some(Confirmation {
                baseline: &paired_base,
                current: &paired_current,
                suspects: &found,
                against: "main (0123456789ab) in 8 rounds".to_owned(),
            }),
            environment: Default::default(),
        });
        let a = report.comparisons.iter().find(|c| c.id == "a").unwrap();
        assert_eq!(
            (a.verdict, a.evidence, a.paired_rounds),
            (ChangeVerdict::Unchanged, Some(Evidence::Paired), Some(8))
        );
        let screen = a.screen.as_ref().unwrap();
        assert_eq!(screen.verdict, ChangeVerdict::Regressed);
        assert!((screen.change_percent.unwrap() - 50.0).abs() < 5.0, "{screen:?}");
        let b = report.comparisons.iter().find(|c| c.id == "b").unwrap();
        assert_eq!(
            (b.verdict, b.evidence, b.screen.is_none()),
            (ChangeVerdict::Unchanged, Some(Evidence::Screen), true)
        );
        assert_eq!(report.verdict, Verdict::Pass, "the rounds cleared the screen's regression");
        let info = report.confirmation.unwrap();
        assert_eq!((info.suspects, info.decided_by_rounds), (1, 1));
    }

    #[test]
    fn verdict_table() {
        assert_eq!(verdict(&counts(0, 0, 0, 0), [None, None]), Verdict::Pass);
        assert_eq!(verdict(&counts(1, 0, 0, 0), [None, None]), Verdict::Fail);
        assert_eq!(verdict(&counts(0, 1, 0, 0), [None, None]), Verdict::Warn);
        assert_eq!(verdict(&counts(0, 0, 1, 0), [None, None]), Verdict::Fail);
        assert_eq!(verdict(&counts(0, 0, 0, 1), [None, None]), Verdict::Warn);
        assert_eq!(verdict(&counts(0, 0, 0, 0), [Some(Severity::Warning), None]), Verdict::Warn);
        assert_eq!(verdict(&counts(0, 0, 0, 0), [None, Some(Severity::Blocking)]), Verdict::Fail);
        assert_eq!(verdict(&counts(1, 1, 1, 1), [Some(Severity::Warning), None]), Verdict::Fail);
    }
}
