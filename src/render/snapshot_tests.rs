//! Snapshot tests of every renderer on literal reports, plus checks that the HTML stays
//! self-contained, escaped and small.
//!
//! The fixture is written out by hand rather than evaluated, so a change in the gate or
//! comparison logic cannot move these snapshots; only a change in rendering can.

use crate::compare::{ChangeVerdict, Comparison, Scale, Sensitivity, SuiteShift};
use crate::condition::{Operator, Severity};
use crate::config::{Charts, Correction, TestKind};
use crate::gates::{GateOutcome, GateStatus};
use crate::model::{
    fixtures, Benchmark, Better, Environment, EnvironmentDifference, GitInfo, Metric, Results, Tool, THROUGHPUT_METRIC,
    TIME_METRIC,
};
use crate::report::{self, Counts, Inputs, Origin, Report, RunInfo, Settings, Verdict};
use crate::stats::{Summary, TTest};

use super::{json, view, Recent, RenderError, Renderer, View};

pub(super) fn markdown(view: &View) -> Result<String, RenderError> {
    Renderer::new(view)?.markdown()
}

pub(super) fn html(view: &View) -> Result<String, RenderError> {
    Renderer::new(view)?.html()
}

pub(super) fn terminal(view: &View) -> Result<String, RenderError> {
    Renderer::new(view)?.terminal()
}

const CURRENT_SHA: &str = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const BASELINE_SHA: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

/// `n` samples around `centre`, spread by `spread` (relative), with a slow outlier every
/// seventh sample: fixed arithmetic, so every run draws the same dots.
fn samples(centre: f64, spread: f64, n: usize, seed: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let wobble = ((i * 37 + seed * 11) % 23) as f64 / 22.0 - 0.5;
            let outlier = if (i + seed).is_multiple_of(7) { 0.06 } else { 0.0 };
            centre * (1.0 + spread * wobble + outlier)
        })
        .collect()
}

fn benchmark(id: &str, time_samples: Vec<f64>, bytes_per_iteration: Option<f64>) -> Benchmark {
    let mut benchmark = fixtures::benchmark(id, Better::Lower, &time_samples);
    if let Some(bytes) = bytes_per_iteration {
        let rates = time_samples.iter().map(|t| bytes * 1e9 / t).collect();
        benchmark
            .metrics
            .insert(THROUGHPUT_METRIC.to_owned(), Metric::from_samples("bytes/s", Better::Higher, false, rates));
    }
    benchmark
}

fn environment(cpu: &str) -> Environment {
    Environment {
        os: "linux".to_owned(),
        arch: "x86_64".to_owned(),
        cpu_model: Some(cpu.to_owned()),
        cores: 2,
        rustc: Some("rustc 1.89.0 (29483883e 2025-08-04)".to_owned()),
        criterion: Some("0.5.1".to_owned()),
        callgrind: None,
    }
}

fn results(created_at: &str, sha: &str, branch: &str, cpu: &str, benchmarks: Vec<Benchmark>) -> Results {
    Results {
        schema_version: crate::model::SCHEMA_VERSION,
        tool: tool(),
        created_at: created_at.to_owned(),
        git: Some(GitInfo { commit: sha.to_owned(), branch: Some(branch.to_owned()), dirty: false }),
        environment: environment(cpu),
        benchmarks,
        canary: None,
        shard: None,
        interleaved: None,
        slo_environment: None,
    }
}

/// A fixed tool, so a version bump does not change the snapshots.
fn tool() -> Tool {
    Tool { name: "cargo-perf-gate".to_owned(), version: "0.1.0".to_owned() }
}

fn current_results() -> Results {
    let benchmarks = vec![
        benchmark("parse/<b>html</b>", samples(12_300.0, 0.04, 20, 3), None),
        benchmark("parse/json", samples(401.0, 0.03, 20, 2), Some(1000.0)),
        benchmark("search/api", samples(1_420_000.0, 0.05, 20, 1), None),
        benchmark("split/a|b", samples(2_350.0, 0.04, 20, 4), None),
        benchmark("tiny/noop", samples(0.92, 0.08, 20, 5), None),
    ];
    results("2026-03-02T10:15:00Z", CURRENT_SHA, "feature/faster-parse", "AMD EPYC 7763 64-Core Processor", benchmarks)
}

fn baseline_results() -> Results {
    let benchmarks = vec![
        benchmark("legacy/xml", samples(88_000.0, 0.05, 20, 6), None),
        benchmark("parse/<b>html</b>", samples(12_250.0, 0.04, 20, 7), None),
        benchmark("parse/json", samples(456.0, 0.03, 20, 8), Some(1000.0)),
        benchmark("search/api", samples(1_200_000.0, 0.05, 20, 9), None),
        benchmark("tiny/noop", vec![0.9], None),
    ];
    results("2026-03-01T08:00:00Z", BASELINE_SHA, "main", "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz", benchmarks)
}

fn time_of(results: &Results, id: &str) -> Option<Summary> {
    results.benchmark(id).map(|b| b.metrics[TIME_METRIC].summary)
}

fn comparison(
    id: &str,
    verdict: ChangeVerdict,
    p: Option<f64>,
    reason: &str,
    current: &Results,
    baseline: &Results,
) -> Comparison {
    let (before, after) = (time_of(baseline, id), time_of(current, id));
    let change_percent = match (before, after) {
        (Some(b), Some(a)) if b.n > 1 => Some((a.mean / b.mean - 1.0) * 100.0),
        _ => None,
    };
    Comparison {
        id: id.to_owned(),
        metric: TIME_METRIC.to_owned(),
        unit: "ns".to_owned(),
        better: Better::Lower,
        verdict,
        baseline: before,
        current: after,
        scale: p.map(|_| Scale::Log),
        change_interval_percent: change_percent.filter(|_| p.is_some()).map(|c| [c - 2.5, c + 2.5]),
        paired_rounds: None,
        pooled_welch: None,
        p_empirical_null: None,
        p_value: p,
        p_adjusted: p.map(|p| (p * 5.0).min(1.0)),
        threshold_percent: 5.0,
        severity: Severity::Blocking,
        sensitivity: None,
        change_percent,
        typical: None,
        test: p.map(|p_two_sided| TTest {
            t: 4.2,
            df: 37.5,
            p_two_sided,
            p_greater: p_two_sided / 2.0,
            p_less: 1.0 - p_two_sided / 2.0,
            difference: 0.1,
            standard_error: 0.1 / 4.2,
        }),
        reason: reason.to_owned(),
        evidence: None,
        screen: None,
        window: None,
        direct: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn gate(
    name: Option<&str>,
    metric: &str,
    operator: Operator,
    threshold: f64,
    severity: Severity,
    benchmark: Option<&str>,
    value: Option<f64>,
    unit: &str,
    message: Option<&str>,
) -> GateOutcome {
    let passed = message.is_none() && value.is_some_and(|v| operator.holds(v, threshold));
    GateOutcome {
        gate: name.unwrap_or(metric).to_owned(),
        metric: metric.to_owned(),
        operator,
        threshold,
        severity,
        benchmark: benchmark.map(str::to_owned),
        value,
        unit: unit.to_owned(),
        status: if passed { GateStatus::Passed } else { GateStatus::Failed },
        message: message.map(str::to_owned),
    }
}

fn passing_gate() -> GateOutcome {
    gate(
        None,
        "parse/json.mean_us",
        Operator::LessThan,
        0.5,
        Severity::Blocking,
        Some("parse/json"),
        Some(0.4011),
        "us",
        None,
    )
}

/// Marks `comparison` as too noisy to gate at its threshold.
fn noisy(mut comparison: Comparison, samples_needed: Option<usize>) -> Comparison {
    comparison.sensitivity = Some(Sensitivity { minimum_detectable_percent: 6.61, too_noisy: true, samples_needed });
    comparison.reason.push_str("; too noisy to gate at 5% (detects 6.6%)");
    comparison
}

/// A failing run with one of everything: both failed severities, a pass, a gate that matched
/// nothing, every comparison verdict, and a comparison too noisy to gate.
fn full() -> (Report, Results, Results) {
    let (current, baseline) = (current_results(), baseline_results());
    let gates = vec![
        gate(
            Some("API p95 under 1.3 ms"),
            "search/api.p95_ms",
            Operator::LessThan,
            1.3,
            Severity::Blocking,
            Some("search/api"),
            Some(1.4836),
            "ms",
            None,
        ),
        gate(
            Some("Parse throughput"),
            "parse/json.throughput_bytes_per_sec",
            Operator::GreaterThanOrEqual,
            3e9,
            Severity::Warning,
            Some("parse/json"),
            Some(2.4938e9),
            "bytes/s",
            None,
        ),
        passing_gate(),
        gate(
            None,
            "decode/fast.mean_ns",
            Operator::LessThan,
            5000.0,
            Severity::Blocking,
            None,
            None,
            "ns",
            Some("`decode/fast.mean_ns` matches no benchmark; nearest: parse/json.mean_ns, split/a|b.mean_ns"),
        ),
    ];
    let comparisons = vec![
        comparison("legacy/xml", ChangeVerdict::Removed, None, "not in the current results", &current, &baseline),
        noisy(
            comparison(
                "parse/<b>html</b>",
                ChangeVerdict::Unchanged,
                Some(0.4127),
                "adjusted p = 1.0000 >= 0.05: not significant",
                &current,
                &baseline,
            ),
            Some(40),
        ),
        comparison(
            "parse/json",
            ChangeVerdict::Improved,
            Some(3.1e-12),
            "p = 3.1e-12 < 0.05 and |-11.85%| >= 5%",
            &current,
            &baseline,
        ),
        comparison(
            "search/api",
            ChangeVerdict::Regressed,
            Some(2.0e-9),
            "p = 2.0e-9 < 0.05 and |+17.82%| >= 5%",
            &current,
            &baseline,
        ),
        comparison("split/a|b", ChangeVerdict::New, None, "not in the baseline", &current, &baseline),
        comparison(
            "tiny/noop",
            ChangeVerdict::Inconclusive,
            None,
            "cannot test: fewer than 2 samples on a side",
            &current,
            &baseline,
        ),
    ];
    let report = Report {
        schema_version: crate::report::REPORT_SCHEMA_VERSION,
        tool: tool(),
        verdict: Verdict::Fail,
        settings: settings(),
        counts: Counts {
            gates_passed: 1,
            gates_failed_blocking: 2,
            gates_failed_warning: 1,
            regressed: 1,
            regressed_warning: 0,
            improved: 1,
            unchanged: 1,
            new: 1,
            removed: 1,
            inconclusive: 1,
        },
        current: RunInfo { created_at: current.created_at.clone(), git: current.git.clone(), benchmarks: 5, origin: None },
        baseline: Some(RunInfo {
            created_at: baseline.created_at.clone(),
            git: baseline.git.clone(),
            benchmarks: 5,
            origin: Some(Origin {
                source: "artifact perf-gate-baseline (id 11) of run 2332938".to_owned(),
                url: Some("https://github.com/octo-org/octo-repo/actions/runs/2332938".to_owned()),
                age_seconds: Some(3 * 3600 + 120),
            }),
        }),
        comparison_skipped: None,
        environment_differences: vec![EnvironmentDifference {
            field: "cpu_model".to_owned(),
            this: "AMD EPYC 7763 64-Core Processor".to_owned(),
            other: "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz".to_owned(),
        }],
        gates,
        comparisons,
        suite_shift: None,
        ignored: vec![],
        run_health: None,
        confirmation: None,
        window: None,
        slo: None,
        notes: vec![
            "The baseline was measured in a different environment (cpu_model differ): changes may come from the machine, not the code.".to_owned(),
        ],
    };
    (report, current, baseline)
}

fn settings() -> Settings {
    Settings {
        alpha: 0.05,
        correction: Correction::Holm,
        test: TestKind::Welch,
        noise_threshold_percent: 1.0,
        regression_threshold_percent: 5.0,
        min_samples: 5,
        empirical_null_min_benchmarks: 20,
        fail_on_regression: true,
        strict: false,
    }
}

/// A warning run: a regression that only warns, a comparison too noisy to gate even with more
/// samples, one on the raw scale, a significant suite shift and an ignored benchmark, judged
/// with the non-default method settings.
fn warnings() -> (Report, Results, Results) {
    let (current, baseline) = (current_results(), baseline_results());
    let mut regression = comparison(
        "search/api",
        ChangeVerdict::Regressed,
        Some(2.0e-9),
        "adjusted p = 1.0e-8 < 0.05, interval [+15.32%, +20.32%], |+17.82%| >= 5%",
        &current,
        &baseline,
    );
    regression.severity = Severity::Warning;
    let mut improvement = comparison(
        "parse/json",
        ChangeVerdict::Improved,
        Some(3.1e-12),
        "adjusted p = 3.0e-4 < 0.05, interval [-14.35%, -9.35%], |-11.85%| >= 5%",
        &current,
        &baseline,
    );
    improvement.p_empirical_null = Some(6.0e-5);
    improvement.p_value = Some(6.0e-5);
    improvement.p_adjusted = Some(3.0e-4);
    let mut flat = noisy(
        comparison(
            "parse/<b>html</b>",
            ChangeVerdict::Unchanged,
            Some(0.4127),
            "adjusted p = 0.8800 >= 0.05: not significant",
            &current,
            &baseline,
        ),
        None,
    );
    flat.p_empirical_null = Some(0.88);
    let mut raw = comparison(
        "tiny/noop",
        ChangeVerdict::Unchanged,
        Some(0.4),
        "adjusted p = 1.0000 >= 0.05: not significant (raw scale: some samples are zero or negative)",
        &current,
        &baseline,
    );
    (raw.scale, raw.change_percent, raw.change_interval_percent) = (Some(Scale::Raw), Some(2.2), Some([-1.5, 6.0]));
    let report = Report {
        schema_version: crate::report::REPORT_SCHEMA_VERSION,
        tool: tool(),
        verdict: Verdict::Warn,
        settings: Settings {
            correction: Correction::Bh,
            test: TestKind::Trimmed,
            empirical_null_min_benchmarks: 0,
            fail_on_regression: false,
            ..settings()
        },
        counts: Counts { gates_passed: 1, regressed_warning: 1, improved: 1, unchanged: 2, ..Counts::default() },
        current: RunInfo { created_at: current.created_at.clone(), git: current.git.clone(), benchmarks: 5, origin: None },
        baseline: Some(RunInfo {
            created_at: baseline.created_at.clone(),
            git: baseline.git.clone(),
            benchmarks: 5,
            origin: Some(Origin { source: "file main/results.json".to_owned(), url: None, age_seconds: Some(86_400 * 2) }),
        }),
        comparison_skipped: None,
        environment_differences: vec![],
        gates: vec![passing_gate()],
        comparisons: vec![flat, improvement, regression, raw],
        suite_shift: Some(SuiteShift {
            change_percent: 12.4,
            spread_percent: 0.5,
            metrics: 40,
            significant: true,
            severity: Severity::Warning,
        }),
        ignored: vec!["flaky/io".to_owned()],
        run_health: None,
        confirmation: None,
        window: None,
        slo: None,
        notes: vec![
            "Left out of the regression check by an `ignore` rule: flaky/io.".to_owned(),
            "The whole suite changed by +12.4% (median over 40 metrics, spread 0.5%). A slower runner and slower code look the same here: confirm by measuring both sides on one machine.".to_owned(),
        ],
    };
    (report, current, baseline)
}

/// A passing first run: one gate, no baseline.
fn no_baseline() -> (Report, Results) {
    let current = current_results();
    let report = Report {
        schema_version: crate::report::REPORT_SCHEMA_VERSION,
        tool: tool(),
        verdict: Verdict::Pass,
        settings: settings(),
        counts: Counts { gates_passed: 1, ..Counts::default() },
        current: RunInfo {
            created_at: current.created_at.clone(),
            git: current.git.clone(),
            benchmarks: 5,
            origin: None,
        },
        baseline: None,
        comparison_skipped: Some("no baseline given (use --baseline FILE)".to_owned()),
        environment_differences: vec![],
        gates: vec![passing_gate()],
        comparisons: vec![],
        suite_shift: None,
        ignored: vec![],
        run_health: None,
        confirmation: None,
        window: None,
        slo: None,
        notes: vec![],
    };
    (report, current)
}

fn full_view() -> super::View {
    let (report, current, baseline) = full();
    view(&report, &current, Some(&baseline), &Recent::new(), Charts::Changed)
}

fn warnings_view() -> super::View {
    let (report, current, baseline) = warnings();
    view(&report, &current, Some(&baseline), &Recent::new(), Charts::Changed)
}

fn no_baseline_view() -> super::View {
    let (report, current) = no_baseline();
    view(&report, &current, None, &Recent::new(), Charts::Changed)
}

#[test]
fn markdown_full() {
    insta::assert_snapshot!(markdown(&full_view()).unwrap());
}

#[test]
fn markdown_no_baseline() {
    insta::assert_snapshot!(markdown(&no_baseline_view()).unwrap());
}

#[test]
fn terminal_full() {
    insta::assert_snapshot!(terminal(&full_view()).unwrap());
}

#[test]
fn terminal_no_baseline() {
    insta::assert_snapshot!(terminal(&no_baseline_view()).unwrap());
}

#[test]
fn html_full() {
    insta::assert_snapshot!(html(&full_view()).unwrap());
}

#[test]
fn html_no_baseline() {
    insta::assert_snapshot!(html(&no_baseline_view()).unwrap());
}

#[test]
fn markdown_warnings() {
    insta::assert_snapshot!(markdown(&warnings_view()).unwrap());
}

#[test]
fn terminal_warnings() {
    insta::assert_snapshot!(terminal(&warnings_view()).unwrap());
}

#[test]
fn html_warnings() {
    insta::assert_snapshot!(html(&warnings_view()).unwrap());
}

#[test]
fn a_warning_regression_does_not_look_blocking() {
    let view = warnings_view();
    assert_eq!(view.regressions[0].label, "regressed (warning)");
    assert_eq!(view.regressions[0].class, "regressed warn");
    assert_eq!(full_view().regressions[0].label, "regressed");
}

/// `current` evaluated for real against `baseline` (and its `window`) with the default config.
pub(super) fn evaluated(
    current: &crate::model::Results,
    baseline: &crate::model::Results,
    window: Option<&crate::compare::Window>,
) -> Report {
    let config = crate::config::Config::default();
    report::evaluate(Inputs {
        config: &config,
        current,
        baseline: Some(baseline),
        window,
        baseline_origin: None,
        baseline_missing_reason: None,
        strict: false,
        notes: vec![],
        confirmation: None,
        environment: Default::default(),
    })
}

/// The suite shift is shown on its own line, so the report's note saying the same is dropped;
/// evaluated for real, so a rewording of the note in `report.rs` fails here.
#[test]
fn an_evaluated_suite_shift_is_shown_once() {
    let suite = |factor: f64| {
        fixtures::results(
            (0..25)
                .map(|i| {
                    let samples: Vec<f64> = (0..20)
                        .map(|k| factor * 1000.0 * (1.0 + i as f64 + 0.001 * ((k * 7 + i) % 11) as f64))
                        .collect();
                    fixtures::benchmark(&format!("bench_{i:02}"), Better::Lower, &samples)
                })
                .collect(),
        )
    };
    let (before, after) = (suite(1.0), suite(1.12));
    let report = evaluated(&after, &before, None);
    assert!(report.notes.iter().any(|n| n.contains("whole suite")), "{:?}", report.notes);
    let view = view(&report, &after, Some(&before), &Recent::new(), Charts::Changed);
    assert!(view.suite_shift.unwrap().text.starts_with("Whole suite +12.0%"));
    assert!(view.notes.iter().all(|n| !n.contains("whole suite")), "{:?}", view.notes);
}

/// Against a window, evaluated for real: the note says what the window was, the method line
/// names it, and a benchmark too noisy to gate is said to be limited by its own run-to-run
/// spread, in every format.
#[test]
fn a_window_baseline_is_named_with_each_noise_floor() {
    let run = |day: usize, swing: f64| {
        let benchmarks = (0..25)
            .map(|i| {
                // bench_00 swings by 10% from run to run; the others hold still.
                let level = 1000.0 * (1.0 + i as f64) * if i == 0 { swing } else { 1.0 };
                let samples: Vec<f64> = (0..20).map(|k| level * (1.0 + 0.002 * ((k * 7 + i) % 11) as f64)).collect();
                fixtures::benchmark(&format!("bench_{i:02}"), Better::Lower, &samples)
            })
            .collect();
        crate::model::Results { created_at: format!("2026-11-{day:02}T00:00:00Z"), ..fixtures::results(benchmarks) }
    };
    let window = crate::compare::Window::new(vec![run(1, 0.9), run(2, 1.1), run(3, 1.0)]).unwrap();
    let (pooled, current) = (window.pooled(), run(4, 1.0));
    let report = evaluated(&current, &pooled, Some(&window));
    assert_eq!(report.window.map(|w| (w.runs, w.metrics)), Some((3, 25)));
    let view = view(&report, &current, Some(&pooled), &Recent::new(), Charts::Changed);
    let note = "The baseline is a window of 3 runs: each of 25 metrics was judged against its own run-to-run spread";
    let method = "each benchmark against its run-to-run spread over a window of 3 runs";
    let limited = "Their own run-to-run spread over the baseline window sets the floor";
    for (format, text) in
        [("terminal", terminal(&view).unwrap()), ("markdown", markdown(&view).unwrap()), ("html", html(&view).unwrap())]
    {
        assert!(text.contains(note), "{format}: {text}");
        if format != "terminal" {
            assert!(text.contains(method), "{format}: {text}");
            assert!(text.contains(limited), "{format}: {text}");
        }
    }
}

/// With `--confirm`, every format says what the rounds re-measured and, per comparison, which
/// evidence decided, with the screen's figures beside a paired verdict.
#[test]
fn confirmed_comparisons_say_which_evidence_decided() {
    let (mut report, current, baseline) = full();
    report.confirmation = Some(crate::report::ConfirmationInfo {
        against: "main (0123456789ab) in 8 rounds".to_owned(),
        suspects: 2,
        decided_by_rounds: 1,
    });
    for comparison in report.comparisons.iter_mut() {
        comparison.evidence = Some(crate::compare::Evidence::Screen);
    }
    let regressed = report.comparisons.iter_mut().find(|c| c.verdict == ChangeVerdict::Regressed).unwrap();
    regressed.evidence = Some(crate::compare::Evidence::Paired);
    regressed.paired_rounds = Some(8);
    regressed.screen = Some(crate::compare::ScreenFigures {
        verdict: ChangeVerdict::Unchanged,
        change_percent: Some(3.1),
        p_value: Some(0.3),
        suspect: "near the threshold in the screen".to_owned(),
    });
    let view = view(&report, &current, Some(&baseline), &Recent::new(), Charts::Changed);
    let summary =
        "Confirmed against main (0123456789ab) in 8 rounds: 1 of 2 suspects of the screen decided by the paired rounds";
    let evidence = "paired rounds (screen: unchanged, +3.10%; near the threshold in the screen)";
    for (format, text) in
        [("terminal", terminal(&view).unwrap()), ("markdown", markdown(&view).unwrap()), ("html", html(&view).unwrap())]
    {
        assert!(text.contains(summary), "{format}: {text}");
        assert!(text.contains(evidence), "{format}: {text}");
    }
    let text = markdown(&view).unwrap();
    assert!(text.contains("| Noise | Evidence |"), "{text}");
    assert!(text.contains(": screen: ") || text.contains("| screen: "), "{text}");
}

/// A paired comparison says so in the method line, shows the pooled Welch p beside its own
/// and counts rounds, not samples, when it is too noisy.
#[test]
fn paired_comparisons_show_the_pooled_welch_p_and_count_rounds() {
    let (mut report, current, baseline) = full();
    let pooled = TTest {
        t: 1.1,
        df: 150.0,
        p_two_sided: 0.2734,
        p_greater: 0.1367,
        p_less: 0.8633,
        difference: 0.01,
        standard_error: 0.009,
    };
    for comparison in report.comparisons.iter_mut().filter(|c| c.test.is_some()) {
        comparison.paired_rounds = Some(10);
        comparison.pooled_welch = Some(pooled);
    }
    let noisy_id = report.comparisons.iter().find(|c| c.test.is_some()).map(|c| c.id.clone()).unwrap();
    for comparison in report.comparisons.iter_mut().filter(|c| c.id == noisy_id) {
        *comparison = noisy(comparison.clone(), Some(31));
    }
    let view = view(&report, &current, Some(&baseline), &Recent::new(), Charts::Changed);
    assert!(
        view.method.starts_with("paired t-test on per-round log ratios over 10 interleaved rounds"),
        "{}",
        view.method
    );
    let text = markdown(&view).unwrap();
    assert!(text.contains("(pooled Welch p = 0.2734)"), "{text}");
    assert!(html(&view).unwrap().contains("pooled Welch p = 0.2734"));
    assert!(terminal(&view).unwrap().contains("needs ~31 rounds"));
}

#[test]
fn view_is_pure() {
    assert_eq!(full_view(), full_view());
}

#[test]
fn html_is_self_contained() {
    for page in [html(&full_view()).unwrap(), html(&warnings_view()).unwrap(), html(&no_baseline_view()).unwrap()] {
        assert!(!page.contains("<script"), "no scripts at all");
        assert!(!page.contains("http://") && !page.contains("https://"), "no links to other hosts");
        assert!(
            !page.contains("<link") && !page.contains("@import") && !page.contains("url("),
            "no external resources"
        );
        assert!(page.contains("<svg"));
    }
}

#[test]
fn html_escapes_benchmark_names() {
    let page = html(&full_view()).unwrap();
    assert!(!page.contains("<b>html</b>"), "a benchmark name must not become markup");
    assert!(page.contains("&lt;b&gt;html&lt;"), "the name is shown escaped");
    assert!(page.contains("<code>decode/fast.mean_ns</code> matches no benchmark"), "backtick spans become code");
}

#[test]
fn markdown_and_terminal_have_no_markup_or_colour_leaks() {
    let md = markdown(&full_view()).unwrap();
    assert!(md.starts_with("## ❌ perf-gate: FAIL\n"), "{md}");
    assert!(md.contains("`split/a\\|b`"), "pipes in ids are escaped in tables");
    let text = terminal(&full_view()).unwrap();
    assert!(text.starts_with("perf-gate: FAIL"));
    assert!(!text.contains('\u{1b}'), "no colour codes");
}

#[test]
fn json_is_pretty_and_ends_with_a_newline() {
    let (report, _, _) = full();
    let text = json(&report);
    assert!(text.ends_with("}\n"));
    assert!(text.starts_with("{\n  \"schema_version\": 1,"), "{text}");
    // serde_json's default float parsing may differ in the last bit, so compare the shape.
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back["verdict"], "fail");
    assert_eq!(back["gates"].as_array().map(Vec::len), Some(report.gates.len()));
    assert_eq!(back["comparisons"][3]["verdict"], "regressed");
}

#[test]
fn a_hundred_benchmark_report_stays_small() {
    let (mut report, mut current, mut baseline) = full();
    let many = |seed: usize| -> Vec<Benchmark> {
        (0..100)
            .map(|i| {
                benchmark(&format!("group_{}/bench_{i}", i % 7), samples(1000.0 + i as f64, 0.05, 100, seed + i), None)
            })
            .collect()
    };
    current.benchmarks = many(1);
    baseline.benchmarks = many(2);
    // One metric with far more samples than can be drawn.
    current.benchmarks[0] = benchmark("group_0/bench_0", samples(1000.0, 0.05, 5000, 3), None);
    report.comparisons = current
        .benchmarks
        .iter()
        .map(|b| {
            comparison(
                &b.id,
                ChangeVerdict::Unchanged,
                Some(0.5),
                "p = 0.5000 >= 0.05: not significant",
                &current,
                &baseline,
            )
        })
        .collect();
    let page = html(&view(&report, &current, Some(&baseline), &Recent::new(), Charts::All)).unwrap();
    assert_eq!(page.matches("<figure").count(), 100);
    assert!(page.len() < 1_500_000, "{} bytes", page.len());
    // By default the unchanged get no chart, and the page says how to have them.
    let page = html(&view(&report, &current, Some(&baseline), &Recent::new(), Charts::Changed)).unwrap();
    assert_eq!(page.matches("<figure").count(), 0);
    assert!(page.contains("No charts of the 100 metrics that came out unchanged"), "{page}");
}

#[test]
fn recorded_history_draws_a_trend_line_with_this_run_marked() {
    let (report, current, baseline) = full();
    let first = report.comparisons.iter().find(|c| c.verdict == ChangeVerdict::Regressed).unwrap().clone();
    let mut recent = Recent::new();
    recent.insert((first.id.clone(), first.metric.clone()), vec![1.0e3, 1.1e3, f64::NAN, 1.2e3]);
    let view = view(&report, &current, Some(&baseline), &recent, Charts::Changed);
    let rows: Vec<&super::ComparisonRow> =
        view.comparisons.iter().filter(|r| r.benchmark == first.id && r.metric == first.metric).collect();
    let line = rows[0].history.as_ref().expect("a recorded metric has a trend line");
    assert!(line.path.starts_with("M2.0 "), "{}", line.path);
    assert_eq!(line.path.matches(" L").count(), 3, "three recorded values (NaN left out) and this run's");
    assert!(line.title.starts_with("last 3 recorded runs: "), "{}", line.title);
    assert!(view.comparisons.iter().filter(|r| r.benchmark != first.id).all(|r| r.history.is_none()));
    let chart = view.charts.iter().find(|c| c.benchmark == first.id && c.metric == first.metric).unwrap();
    let trend = chart.trend.as_ref().expect("a changed metric's chart has the trend line too");
    assert_eq!((trend.width.as_str(), trend.title.as_str()), ("240", line.title.as_str()));
    assert!(view.charts.iter().filter(|c| c.benchmark != first.id).all(|c| c.trend.is_none()));
    let page = html(&view).unwrap();
    assert_eq!(page.matches("<svg class=\"spark\"").count(), 2, "in the regressions and in all comparisons");
    assert_eq!(page.matches("<p class=\"trend\">").count(), 1, "in the chart");
}

#[test]
fn in_ci_the_summary_links_the_run_that_holds_the_full_report() {
    let mut view = full_view();
    assert!(!markdown(&view).unwrap().contains("run's artifacts"));
    view.run_url = Some("https://github.com/o/r/actions/runs/42".to_owned());
    let text = markdown(&view).unwrap();
    assert!(
        text.contains("is among [this workflow run's artifacts](https://github.com/o/r/actions/runs/42#artifacts)."),
        "{text}"
    );
    // The action names the artifact it uploads the reports as.
    view.report_artifact = Some("perf-gate-report".to_owned());
    let text = markdown(&view).unwrap();
    assert!(text.contains("The full report, `report.html` in the `perf-gate-report` artifact (with"), "{text}");
}

/// A 1,000-benchmark suite with 100 regressions: the PR comment fits GitHub's 65,536
/// characters with every regression listed, the noise advice once, and the run linked for the
/// rest.
#[test]
fn the_comment_of_a_thousand_benchmarks_with_a_hundred_regressions_fits() {
    let suite = |slowed: f64| {
        fixtures::results(
            (0..1000)
                .map(|i| {
                    let factor = if i % 10 == 0 { slowed } else { 1.0 };
                    let samples: Vec<f64> = (0..20)
                        .map(|k| factor * 1000.0 * (1.0 + i as f64) * (1.0 + 0.003 * ((k * 7 + i) % 11) as f64))
                        .collect();
                    fixtures::benchmark(&format!("group_{:02}/bench_{i:04}", i % 37), Better::Lower, &samples)
                })
                .collect(),
        )
    };
    let (before, after) = (suite(1.0), suite(1.5));
    let report = evaluated(&after, &before, None);
    assert_eq!(report.counts.regressed, 100);
    let mut view = view(&report, &after, Some(&before), &Recent::new(), Charts::Changed);
    let run = "https://github.com/o/r/actions/runs/1";
    view.run_url = Some(run.to_owned());
    let body = markdown(&view).unwrap();
    assert!(body.len() > crate::github::comment::COMMENT_LIMIT, "the whole summary does not fit: {}", body.len());
    let comment =
        crate::github::comment::fit(&body, "<!-- marker -->", crate::github::comment::COMMENT_LIMIT, Some(run));
    assert!(comment.len() <= crate::github::comment::COMMENT_LIMIT, "{}", comment.len());
    assert!(comment.starts_with("## ❌ perf-gate: FAIL"));
    let listed = (0..1000).step_by(10).filter(|i| comment.contains(&format!("bench_{i:04}`"))).count();
    assert_eq!(listed, 100, "every regression is in the comment");
    assert!(comment.contains(run) && comment.ends_with("<!-- marker -->"));
}
