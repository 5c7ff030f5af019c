//! Every results file perf-gate writes, perf-gate reads back: whatever numbers the collectors
//! produce (NaN for a service round without a response, infinity for a criterion sample that
//! overflowed, huge and tiny values), a `Results` goes through write -> read -> check (gates,
//! regressions against itself and against another, every renderer) without an error, and what
//! is read is what was written, a non-finite number coming back as NaN.

use std::collections::BTreeMap;

use cargo_perf_gate::config::{Charts, Config};
use cargo_perf_gate::model::{
    Benchmark, Better, Canary, CommandSource, CriterionSource, Environment, Metric, Results, ServiceSource, Source,
};
use cargo_perf_gate::{render, report};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// Any f64 a collector can produce, non-finite ones and extremes weighted up.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1e-3..1e9f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(0.0),
        1 => any::<f64>(),
    ]
}

fn metric() -> impl Strategy<Value = Metric> {
    (
        prop::collection::vec(number(), 0..12),
        prop::option::of(number()),
        prop::option::of(prop::collection::vec(number(), 0..6)),
        any::<bool>(),
    )
        .prop_map(|(samples, value, rounds, higher)| {
            let better = if higher { Better::Higher } else { Better::Lower };
            let mut metric = Metric::from_samples("ns", better, true, samples);
            metric.value = value;
            metric.rounds = rounds;
            metric
        })
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        Just(Source::Criterion(CriterionSource::new("bench", "new"))),
        (number(), 0u64..1000).prop_map(|(round_seconds, requests)| Source::Service(ServiceSource {
            service: "svc".to_owned(),
            scenario: "get".to_owned(),
            model: "open".to_owned(),
            rounds: 3,
            round_seconds,
            requests,
        })),
        Just(Source::Command(CommandSource {
            command: vec!["true".to_owned()],
            shell: false,
            runs: 3,
            failed_runs: 1
        })),
    ]
}

fn results() -> impl Strategy<Value = Results> {
    let benchmark = (source(), prop::collection::btree_map("[a-z_]{1,8}", metric(), 1..4));
    (prop::collection::vec(benchmark, 0..5), prop::option::of(prop::collection::vec(number(), 0..4))).prop_map(
        |(benchmarks, canary)| {
            let benchmarks = benchmarks
                .into_iter()
                .enumerate()
                .map(|(i, (source, metrics))| Benchmark { id: format!("b{i}"), source, metrics })
                .collect();
            let mut results =
                Results::new("2026-11-30T00:00:00Z".to_owned(), None, Environment::synthetic(), benchmarks);
            results.canary = canary.map(|checkpoints| Canary { unit: "ns".to_owned(), checkpoints });
            results
        },
    )
}

/// The same number, or both not finite (which reads back as NaN).
fn same(written: f64, read: f64) -> bool {
    written == read || (!written.is_finite() && read.is_nan()) || (written.is_nan() && read.is_nan())
}

fn same_all(written: &[f64], read: &[f64]) -> bool {
    written.len() == read.len() && written.iter().zip(read).all(|(w, r)| same(*w, *r))
}

/// Gates on every metric, regressions against `baseline`, and every report rendered.
fn check(current: &Results, baseline: Option<&Results>) {
    let config = Config::default();
    let report = report::evaluate(report::Inputs {
        config: &config,
        current,
        baseline,
        window: None,
        baseline_origin: None,
        baseline_missing_reason: None,
        strict: false,
        notes: Vec::new(),
        confirmation: None,
        environment: Default::default(),
    });
    let view = render::view(&report, current, baseline, &render::Recent::new(), Charts::Changed);
    let renderer = render::Renderer::new(&view).unwrap();
    renderer.markdown().unwrap();
    renderer.html().unwrap();
    renderer.terminal().unwrap();
    renderer.annotations().unwrap();
    let json = render::json(&report);
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "report.json is JSON");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn whatever_the_collectors_produce_reads_back_and_checks(written in results(), other in results()) {
        // Written as `run` writes results.json.
        let text = serde_json::to_string_pretty(&written).unwrap();
        let read = Results::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(read.benchmarks.len(), written.benchmarks.len());
        for (w, r) in written.benchmarks.iter().zip(&read.benchmarks) {
            prop_assert_eq!(&w.id, &r.id);
            let names = |m: &BTreeMap<String, Metric>| m.keys().cloned().collect::<Vec<_>>();
            prop_assert_eq!(names(&w.metrics), names(&r.metrics));
            for (wm, rm) in w.metrics.values().zip(r.metrics.values()) {
                prop_assert!(same_all(&wm.samples, &rm.samples));
                prop_assert!(same(wm.summary.mean, rm.summary.mean) && same(wm.summary.p95, rm.summary.p95));
                prop_assert_eq!(wm.value.is_some(), rm.value.is_some());
                prop_assert!(wm.value.zip(rm.value).is_none_or(|(w, r)| same(w, r)));
                let rounds_alike = match (&wm.rounds, &rm.rounds) {
                    (Some(w), Some(r)) => same_all(w, r),
                    (w, r) => w.is_none() && r.is_none(),
                };
                prop_assert!(rounds_alike, "{:?} -> {:?}", wm.rounds, rm.rounds);
            }
        }
        // Writing what was read gives the same file: nothing drifts between runs.
        prop_assert_eq!(serde_json::to_string_pretty(&read).unwrap(), text);
        check(&read, None);
        check(&read, Some(&read));
        let other = Results::parse(&serde_json::to_string_pretty(&other).unwrap()).unwrap();
        check(&read, Some(&other));
    }
}

#[test]
fn a_results_file_with_null_latencies_from_an_earlier_version_reads() {
    // What 0.1.0 wrote for a service whose every request timed out (tests/fixtures/README.md).
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results/v1-null-latencies.json"),
    )
    .unwrap();
    let results = Results::parse(&text).unwrap();
    let p99 = &results.benchmarks[0].metrics["p99_ms"];
    assert!(p99.samples.len() == 2 && p99.samples.iter().all(|x| x.is_nan()), "{:?}", p99.samples);
    check(&results, Some(&results));
}
