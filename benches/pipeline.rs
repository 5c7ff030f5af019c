//! Benchmarks of perf-gate's own hot paths, gated by the repository's benchmark-config.json.
//!
//! Inputs are synthetic but shaped like a large real suite: 200 benchmarks of 100 samples each,
//! the size at which a slow statistic or renderer would start to show in a CI job.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use cargo_perf_gate::collect::criterion as criterion_dir;
use cargo_perf_gate::config::{Charts, Config};
use cargo_perf_gate::model::{self, Benchmark, Better, CriterionSource, Environment, Metric, Results, Source};
use cargo_perf_gate::report::{self, Inputs};
use cargo_perf_gate::{render, stats};
use criterion::{criterion_group, criterion_main, Criterion};

const BENCHMARKS: usize = 200;
const SAMPLES: usize = 100;

/// Deterministic samples around `center` with about 2 % spread (xorshift, no rand crate).
fn samples(center: f64, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..SAMPLES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            center * (0.98 + 0.04 * unit)
        })
        .collect()
}

fn suite(slowdown: f64) -> Results {
    let benchmarks = (0..BENCHMARKS)
        .map(|i| {
            let factor = if i % 50 == 0 { slowdown } else { 1.0 };
            let time =
                Metric::from_samples("ns", Better::Lower, true, samples(1000.0 * (i + 1) as f64 * factor, i as u64));
            let id = format!("group_{}/bench_{i:03}", i % 10);
            Benchmark {
                id: id.clone(),
                source: Source::Criterion(CriterionSource::new(id.clone(), "new")),
                metrics: BTreeMap::from([(model::TIME_METRIC.to_owned(), time)]),
            }
        })
        .collect();
    Results::new("2026-01-01T00:00:00Z".to_owned(), None, Environment::synthetic(), benchmarks)
}

fn config() -> Config {
    Config::parse(
        r#"{"gates": [
            {"metric": "**.mean_us", "operator": "<", "threshold": 1000},
            {"metric": "group_1/*.p95_ns", "operator": "<", "threshold": 1e9, "severity": "Warning"}
        ]}"#,
    )
    .expect("valid config")
}

fn bench_pipeline(c: &mut Criterion) {
    let baseline = suite(1.0);
    let current = suite(1.3);
    let config = config();
    let evaluate = || {
        report::evaluate(Inputs {
            config: &config,
            current: &current,
            baseline: Some(&baseline),
            window: None,
            baseline_origin: None,
            baseline_missing_reason: None,
            strict: false,
            notes: Vec::new(),
            confirmation: None,
            environment: Default::default(),
        })
    };

    c.bench_function("stats/welch/100_samples", |b| {
        let (x, y) = (&baseline.benchmarks[7].metrics["time"].samples, &current.benchmarks[7].metrics["time"].samples);
        b.iter(|| stats::welch(black_box(x), black_box(y)))
    });
    c.bench_function("evaluate/200_benchmarks", |b| b.iter(evaluate));

    let report = evaluate();
    let view = render::view(&report, &current, Some(&baseline), &render::Recent::new(), Charts::Changed);
    c.bench_function("render/view/200_benchmarks", |b| {
        b.iter(|| render::view(black_box(&report), &current, Some(&baseline), &render::Recent::new(), Charts::Changed))
    });
    c.bench_function("render/convert/200_benchmarks", |b| {
        b.iter(|| render::Renderer::new(black_box(&view)).expect("templates compile"))
    });
    let renderer = render::Renderer::new(&view).expect("templates compile");
    c.bench_function("render/markdown/200_benchmarks", |b| b.iter(|| black_box(&renderer).markdown()));
    c.bench_function("render/html/200_benchmarks", |b| b.iter(|| black_box(&renderer).html()));

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion");
    c.bench_function("collect/criterion_fixture", |b| {
        b.iter(|| criterion_dir::collect(black_box(&fixture), "main", None).expect("fixture collects"))
    });
}

/// Short runs: these benches gate order-of-magnitude slowdowns, not 1 % drifts.
fn criterion_config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = bench_pipeline
}
criterion_main!(benches);
