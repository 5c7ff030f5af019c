//! Snapshots of the three formats for whole suites evaluated for real: all unchanged, many
//! regressions, paired rounds, and 1,000 benchmarks (its comment as GitHub gets it, fitted,
//! and its page in outline). Unlike `snapshot_tests`' hand-written report, these move when the
//! comparison logic does: that is the point, a reviewer's view of a suite is what they pin.

use crate::config::Charts;
use crate::github::comment::{fit, COMMENT_LIMIT};
use crate::model::{fixtures, Better, Interleaving, Results};
use crate::stats;

use super::snapshot_tests::{evaluated, html, markdown, terminal};
use super::{view, Recent, View};
use crate::config::Config;
use crate::model::AppliedEnvironment;
use crate::report::{self, Inputs};

/// `count` benchmarks, benchmark `i` scaled by `factor(i)`; 12 samples each with a fixed
/// spread of about 1 % that differs with `seed`. With `rounds`, measured in that many alternating rounds of one session
/// whose machine drifts by up to 30 % from round to round, both sides alike.
fn suite(count: usize, seed: usize, rounds: Option<usize>, factor: impl Fn(usize) -> f64) -> Results {
    let benchmarks = (0..count)
        .map(|i| {
            let centre = 1000.0 * (1.0 + (i % 37) as f64) * factor(i);
            let jitter = |k: usize| 1.0 + 0.004 * ((k * 7 + i * 3 + seed) % 5) as f64;
            let id = format!("group_{:02}/bench_{i:04}", i % 23);
            match rounds {
                None => {
                    let samples: Vec<f64> = (0..12).map(|k| centre * jitter(k)).collect();
                    fixtures::benchmark(&id, Better::Lower, &samples)
                }
                Some(rounds) => {
                    let drift = |r: usize| 1.0 + 0.3 * ((r * 5 + 1) % 7) as f64 / 6.0;
                    let per_round: Vec<Vec<f64>> =
                        (0..rounds).map(|r| (0..3).map(|k| centre * drift(r) * jitter(k + r)).collect()).collect();
                    let pooled: Vec<f64> = per_round.iter().flatten().copied().collect();
                    let mut benchmark = fixtures::benchmark(&id, Better::Lower, &pooled);
                    let time = benchmark.metrics.get_mut(crate::model::TIME_METRIC).unwrap();
                    time.rounds = Some(per_round.iter().map(|r| stats::median(r)).collect());
                    benchmark
                }
            }
        })
        .collect();
    let mut results = fixtures::results(benchmarks);
    results.interleaved =
        rounds.map(|rounds| Interleaving { session: "s1".to_owned(), rounds, measurement_time_s: 0.5 });
    results
}

/// The view of `current` evaluated against `baseline`, as the reports see it in CI.
fn evaluated_view(current: &Results, baseline: &Results) -> View {
    let report = evaluated(current, baseline, None);
    let mut view = view(&report, current, Some(baseline), &Recent::new(), Charts::Changed);
    view.run_url = Some("https://github.com/o/r/actions/runs/1".to_owned());
    view.report_artifact = Some("perf-gate-report".to_owned());
    view
}

/// The page with every table body cut to its first three rows and the charts to the first two,
/// each cut said with the number of lines left out: the layout of a large page, at a size one
/// reads.
fn outline(page: &str) -> String {
    let mut out = Vec::new();
    let (mut rows, mut charts, mut skipped) = (None, 0, 0);
    for line in page.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("</tbody>") {
            rows = None;
        }
        if let Some(rows) = rows.as_mut() {
            *rows += usize::from(trimmed.starts_with("<tr") && !trimmed.starts_with("<tr class=\"message\""));
        }
        charts += usize::from(trimmed.starts_with("<figure"));
        // The charts' grid closes unindented; everything in it after the second chart goes.
        if line == "</div>" {
            charts = charts.min(2);
        }
        if rows.is_some_and(|rows| rows > 3) || charts > 2 {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push(format!("[… {skipped} lines]"));
            skipped = 0;
        }
        if trimmed.starts_with("<tbody>") {
            rows = Some(0);
        }
        out.push(line.to_owned());
    }
    out.join("\n")
}

#[test]
fn all_unchanged() {
    let (before, after) = (suite(30, 1, None, |_| 1.0), suite(30, 2, None, |i| 1.0 + 0.002 * (i % 3) as f64));
    let view = evaluated_view(&after, &before);
    assert!(view.regressions.is_empty() && view.improvements.is_empty());
    insta::assert_snapshot!("all_unchanged_markdown", markdown(&view).unwrap());
    insta::assert_snapshot!("all_unchanged_terminal", terminal(&view).unwrap());
    insta::assert_snapshot!("all_unchanged_html", html(&view).unwrap());
}

#[test]
fn many_regressions() {
    let factor = |i: usize| match i % 8 {
        1 => 1.08 + 0.05 * (i / 8) as f64,
        5 if i < 24 => 0.85,
        _ => 1.0,
    };
    let (before, after) = (suite(40, 1, None, |_| 1.0), suite(40, 2, None, factor));
    let view = evaluated_view(&after, &before);
    assert_eq!((view.regressions.len(), view.improvements.len()), (5, 3));
    insta::assert_snapshot!("many_regressions_markdown", markdown(&view).unwrap());
    insta::assert_snapshot!("many_regressions_terminal", terminal(&view).unwrap());
    insta::assert_snapshot!("many_regressions_html", html(&view).unwrap());
}

#[test]
fn paired_rounds() {
    let factor = |i: usize| if i % 9 == 2 { 1.08 } else { 1.0 };
    let (before, after) = (suite(25, 1, Some(8), |_| 1.0), suite(25, 2, Some(8), factor));
    let view = evaluated_view(&after, &before);
    assert!(
        view.method.starts_with("paired t-test on per-round log ratios over 8 interleaved rounds"),
        "{}",
        view.method
    );
    assert_eq!(view.regressions.len(), 3);
    insta::assert_snapshot!("paired_rounds_markdown", markdown(&view).unwrap());
    insta::assert_snapshot!("paired_rounds_terminal", terminal(&view).unwrap());
    insta::assert_snapshot!("paired_rounds_html", html(&view).unwrap());
}

#[test]
fn a_thousand_benchmarks() {
    let factor = |i: usize| if i.is_multiple_of(10) { 1.2 + 0.001 * i as f64 } else { 1.0 };
    let (before, after) = (suite(1000, 1, None, |_| 1.0), suite(1000, 2, None, factor));
    let view = evaluated_view(&after, &before);
    assert_eq!(view.regressions.len(), 100);
    let comment = fit(&markdown(&view).unwrap(), "<!-- marker -->", COMMENT_LIMIT, view.run_url.as_deref());
    assert!(comment.len() <= COMMENT_LIMIT);
    insta::assert_snapshot!("a_thousand_benchmarks_comment", comment);
    insta::assert_snapshot!("a_thousand_benchmarks_terminal", terminal(&view).unwrap());
    insta::assert_snapshot!("a_thousand_benchmarks_html_outline", outline(&html(&view).unwrap()));
}

/// SLOs judged in an environment: a category met, one at WARNING and one CRITICAL, beside the
/// regression check; the compliance below its minimum fails the run.
#[test]
fn slos_in_an_environment() {
    let config = Config::parse(
        r#"{"slos": {
            "categories": {
                "fast": {"benchmarks": ["group_0[0-2]/*"], "objectives": {"median_us": 40}},
                "medium": {"benchmarks": ["group_03/bench_0003"], "objectives": {"p95_us": 2.8}},
                "slow": {"benchmarks": ["group_04/*"], "objectives": {"mean_us": 2}}
            },
            "environments": {"ci": {"slack_factor": 1.25}},
            "default_environment": "ci",
            "min_compliance_percent": 95
        }}"#,
    )
    .unwrap();
    let (before, after) = (suite(30, 1, None, |_| 1.0), suite(30, 2, None, |i| if i == 4 { 1.3 } else { 1.0 }));
    let report = report::evaluate(Inputs {
        config: &config,
        current: &after,
        baseline: Some(&before),
        window: None,
        baseline_origin: None,
        baseline_missing_reason: None,
        strict: false,
        notes: vec![],
        confirmation: None,
        environment: AppliedEnvironment::of(&config.slos, None).unwrap(),
    });
    let view = view(&report, &after, Some(&before), &Recent::new(), Charts::Changed);
    let slo = view.slo.as_ref().unwrap();
    assert_eq!(slo.tone, "fail");
    let worst: Vec<&str> = slo.categories.iter().map(|c| c.worst).collect();
    assert_eq!(worst, ["OK", "WARNING", "CRITICAL"]);
    // In Actions: an annotation per check at WARNING or CRITICAL, and one for the compliance.
    let annotations = super::Renderer::new(&view).unwrap().annotations().unwrap();
    assert!(
        annotations.contains("::error title=perf-gate%3A SLO slow mean_us CRITICAL::group_04/bench_0027: "),
        "{annotations}"
    );
    assert!(
        annotations.contains("::warning title=perf-gate%3A SLO medium p95_us WARNING::group_03/bench_0003: "),
        "{annotations}"
    );
    assert!(annotations.contains("::error title=perf-gate%3A SLO compliance::environment ci (slack x1.25): 66.6%25 of 9 checks pass (needs 95%25)"), "{annotations}");
    insta::assert_snapshot!("slos_markdown", markdown(&view).unwrap());
    insta::assert_snapshot!("slos_terminal", terminal(&view).unwrap());
    insta::assert_snapshot!("slos_html_outline", outline(&html(&view).unwrap()));
}

/// A suite of other tools' values: libtest medians with their `+/-`, callgrind counts and a
/// load test's summaries, one of each moving clear of its spread or past the threshold.
fn imported(shift: f64) -> Results {
    use crate::model::{Metric, StatedSpread, TIME_METRIC};
    let libtest = |id: &str, median: f64, deviation: f64| {
        let mut benchmark = fixtures::benchmark(id, Better::Lower, &[1.0]);
        let spread =
            StatedSpread { lower: median - deviation, upper: median + deviation, stated_as: "libtest's +/-".into() };
        benchmark.metrics.insert(TIME_METRIC.into(), Metric::summary("ns", Better::Lower, median, Some(spread)));
        benchmark
    };
    let mut counts = fixtures::benchmark("callgrind/parse", Better::Lower, &[1.0]);
    counts.metrics = [
        ("instructions", Metric::deterministic("instructions", Better::Lower, 1_522_000.0 * shift)),
        ("estimated_cycles", Metric::deterministic("cycles", Better::Lower, 2_385_000.0)),
    ]
    .into_iter()
    .map(|(name, metric)| (name.to_owned(), metric))
    .collect();
    let mut load = fixtures::benchmark("checkout", Better::Lower, &[1.0]);
    load.metrics = [
        ("p50_ms", Metric::summary("ms", Better::Lower, 6.86 * shift.sqrt(), None)),
        ("rps", Metric::summary("req/s", Better::Higher, 336.0, None)),
    ]
    .into_iter()
    .map(|(name, metric)| (name.to_owned(), metric))
    .collect();
    fixtures::results(vec![
        libtest("tests::bench_copy", 1_000.0 * shift, 20.0),
        libtest("tests::bench_noisy", 500.0 * shift, 200.0),
        counts,
        load,
    ])
}

#[test]
fn values_without_samples() {
    let view = evaluated_view(&imported(1.1), &imported(1.0));
    assert!(view.method.starts_with("No test for 6 metrics"), "{}", view.method);
    let regressed: Vec<&str> = view.regressions.iter().map(|r| r.benchmark.as_str()).collect();
    assert_eq!(
        regressed,
        ["callgrind/parse", "tests::bench_copy"],
        "p50 +4.9 % is below the threshold, noisy within its spread"
    );
    insta::assert_snapshot!("values_without_samples_markdown", markdown(&view).unwrap());
    insta::assert_snapshot!("values_without_samples_terminal", terminal(&view).unwrap());
    insta::assert_snapshot!("values_without_samples_html", outline(&html(&view).unwrap()));
}
