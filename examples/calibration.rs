//! Calibration of the regression check on simulated suites.
//!
//! Simulates suites of 100 benchmarks under the noise CI runners show (docs/statistics.md) and
//! reports, for each noise model, sample count and test:
//! - the family-wise false-alarm rate: the share of A/A suites (same code on both sides) in
//!   which at least one benchmark is called `regressed`;
//! - the detection rate of true slowdowns of 3, 5 and 10 %.
//!
//! With `windows` first, the same for a baseline that is a window of K runs (K = 1, 2, 5, 10):
//! each benchmark judged against its own run-to-run spread.
//!
//! Run: `cargo run --release --example calibration [windows] [REPLICATES]` (default 200 suites
//! per cell).
//! Deterministic: a fixed seed, so two runs print the same table.

use std::collections::BTreeMap;

use cargo_perf_gate::compare::{self, ChangeVerdict, CompareSettings, Comparisons, Window};
use cargo_perf_gate::condition::Severity;
use cargo_perf_gate::config::{Statistics, TestKind};
use cargo_perf_gate::model::{Benchmark, Better, CriterionSource, Environment, Metric, Results, Source, TIME_METRIC};

const BENCHMARKS: usize = 100;
/// Benchmarks slowed down in each detection suite.
const SLOWED: usize = 10;

/// SplitMix64: small, fast and good enough for simulation; no dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal by Box-Muller.
    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// A noise model, in the terms of the statistics issue.
#[derive(Clone, Copy)]
struct Noise {
    name: &'static str,
    /// Within-run coefficient of variation, drawn per benchmark from this range.
    cv: (f64, f64),
    /// Offset shared by every benchmark of a run (a faster or slower runner), as a sigma.
    run_offset: f64,
    /// Offset of each benchmark between runs (contention, cache and layout luck), as a sigma.
    benchmark_offset: f64,
    /// When above `benchmark_offset`: each benchmark's own sigma is drawn log-uniformly from
    /// `benchmark_offset` to this (some benchmarks are far noisier from run to run than others).
    benchmark_offset_max: f64,
    /// Share of samples hit by contention, five times slower.
    tail_share: f64,
}

const MODELS: [Noise; 5] = [
    Noise {
        name: "quiet (CV 1-5%, run 1%)",
        cv: (0.01, 0.05),
        run_offset: 0.01,
        benchmark_offset: 0.0,
        benchmark_offset_max: 0.0,
        tail_share: 0.0,
    },
    Noise {
        name: "offsets 1% (CV 1-5%, run 1%, bench 1%)",
        cv: (0.01, 0.05),
        run_offset: 0.01,
        benchmark_offset: 0.01,
        benchmark_offset_max: 0.0,
        tail_share: 0.0,
    },
    Noise {
        name: "heavy tails (offsets 1%, 1% of samples 5x)",
        cv: (0.01, 0.05),
        run_offset: 0.01,
        benchmark_offset: 0.01,
        benchmark_offset_max: 0.0,
        tail_share: 0.01,
    },
    Noise {
        name: "contended (CV 1-5%, run 1%, bench 10%)",
        cv: (0.01, 0.05),
        run_offset: 0.01,
        benchmark_offset: 0.10,
        benchmark_offset_max: 0.0,
        tail_share: 0.0,
    },
    Noise {
        name: "contended + tails (bench 10%, 1% of samples 5x)",
        cv: (0.01, 0.05),
        run_offset: 0.01,
        benchmark_offset: 0.10,
        benchmark_offset_max: 0.0,
        tail_share: 0.01,
    },
];

/// The detection goal's model: CV exactly 3%, offsets of 1%.
const CV3: Noise = Noise {
    name: "CV 3%, offsets 1%",
    cv: (0.03, 0.03),
    run_offset: 0.01,
    benchmark_offset: 0.01,
    benchmark_offset_max: 0.0,
    tail_share: 0.0,
};

/// The window table's models: the ones above where a window can help, and benchmarks that
/// differ in their run-to-run noise.
const WINDOW_MODELS: [Noise; 4] = [
    MODELS[1],
    Noise {
        name: "offsets 0.5-5% by benchmark (CV 1-5%, run 2%)",
        cv: (0.01, 0.05),
        run_offset: 0.02,
        benchmark_offset: 0.005,
        benchmark_offset_max: 0.05,
        tail_share: 0.0,
    },
    Noise {
        name: "offsets 3% (CV 1-5%, run 2%, 1% of samples 5x)",
        cv: (0.01, 0.05),
        run_offset: 0.02,
        benchmark_offset: 0.03,
        benchmark_offset_max: 0.0,
        tail_share: 0.01,
    },
    MODELS[3],
];

/// One suite's per-benchmark true levels and CVs, shared by both sides of a comparison.
struct Suite {
    levels: Vec<f64>,
    cvs: Vec<f64>,
    /// Each benchmark's run-to-run sigma.
    offsets: Vec<f64>,
}

fn suite(rng: &mut Rng, noise: Noise) -> Suite {
    let levels = (0..BENCHMARKS).map(|_| 10f64.powf(2.0 + 4.0 * rng.uniform())).collect();
    let cvs = (0..BENCHMARKS).map(|_| noise.cv.0 + (noise.cv.1 - noise.cv.0) * rng.uniform()).collect();
    // Drawn only for a range, so that the first table's models draw the same numbers as before.
    let offsets = if noise.benchmark_offset_max > noise.benchmark_offset {
        let span = (noise.benchmark_offset_max / noise.benchmark_offset).ln();
        (0..BENCHMARKS).map(|_| noise.benchmark_offset * (span * rng.uniform()).exp()).collect()
    } else {
        vec![noise.benchmark_offset; BENCHMARKS]
    };
    Suite { levels, cvs, offsets }
}

/// One run of the suite: `factor(i)` is the true slowdown of benchmark i.
fn run(rng: &mut Rng, suite: &Suite, noise: Noise, n: usize, factor: &dyn Fn(usize) -> f64) -> Results {
    let run_offset = (noise.run_offset * rng.normal()).exp();
    let benchmarks = (0..BENCHMARKS)
        .map(|i| {
            let offset = (suite.offsets[i] * rng.normal()).exp();
            let center = suite.levels[i] * factor(i) * run_offset * offset;
            // Lognormal with the given CV: sigma^2 = ln(1 + cv^2).
            let sigma = suite.cvs[i].powi(2).ln_1p().sqrt();
            let samples = (0..n)
                .map(|_| {
                    let tail = if rng.uniform() < noise.tail_share { 5.0 } else { 1.0 };
                    center * (sigma * rng.normal() - sigma * sigma / 2.0).exp() * tail
                })
                .collect();
            let id = format!("bench_{i:03}");
            Benchmark {
                id: id.clone(),
                source: Source::Criterion(CriterionSource::new(id, "new")),
                metrics: BTreeMap::from([(
                    TIME_METRIC.to_owned(),
                    Metric::from_samples("ns", Better::Lower, true, samples),
                )]),
            }
        })
        .collect();
    Results::new("2026-01-01T00:00:00Z".to_owned(), None, Environment::synthetic(), benchmarks)
}

/// One cell of a table: how the suites are drawn and judged.
struct Cell<'a> {
    noise: Noise,
    /// Samples per run.
    n: usize,
    /// Baseline runs: 1 is a single stored run, more a window.
    runs: usize,
    statistics: &'a Statistics,
    /// True slowdowns whose detection rates are measured, as factors.
    slowdowns: &'a [f64],
}

/// The family-wise false-alarm rate and the detection rate of each slowdown for one cell.
fn rates(rng: &mut Rng, cell: &Cell<'_>, replicates: usize) -> (f64, Vec<f64>) {
    let Cell { noise, n, runs, statistics, slowdowns } = *cell;
    let settings = CompareSettings { statistics, threshold_percent: 5.0, severity: Severity::Blocking, rules: &[] };
    let mut false_alarm_suites = 0;
    let mut detected = vec![0usize; slowdowns.len()];
    for _ in 0..replicates {
        let suite = suite(rng, noise);
        let baselines: Vec<Results> = (0..runs).map(|_| run(rng, &suite, noise, n, &|_| 1.0)).collect();
        let window = Window::new(baselines.clone());
        let pooled = window.as_ref().map_or_else(|| baselines[0].clone(), Window::pooled);
        let check = |current: &Results| -> Comparisons {
            compare::compare_with_window(&pooled, window.as_ref(), current, &settings)
        };
        let same = run(rng, &suite, noise, n, &|_| 1.0);
        if check(&same).items.iter().any(|c| c.verdict == ChangeVerdict::Regressed) {
            false_alarm_suites += 1;
        }
        for (slot, &slowdown) in slowdowns.iter().enumerate() {
            let slower = run(rng, &suite, noise, n, &|i| if i < SLOWED { slowdown } else { 1.0 });
            detected[slot] += check(&slower)
                .items
                .iter()
                .filter(|c| c.verdict == ChangeVerdict::Regressed && c.id.as_str() < "bench_010")
                .count();
        }
    }
    let total = (replicates * SLOWED) as f64;
    (false_alarm_suites as f64 / replicates as f64, detected.into_iter().map(|d| d as f64 / total).collect())
}

fn windows(replicates: usize) {
    let mut rng = Rng(0x5EED_CA11_B4A7_E001);
    println!("Suites of {BENCHMARKS} benchmarks, 50 samples per run, trimmed test, {replicates} suites per cell; {SLOWED} benchmarks slowed per detection suite.");
    println!("K = 1 is one stored run (the empirical null); K >= 2 a window of K runs.\n");
    println!("| noise model | K | family-wise false alarms | detected 5% | detected 10% |");
    println!("|---|---:|---:|---:|---:|");
    let statistics = Statistics::default();
    for noise in WINDOW_MODELS {
        for runs in [1, 2, 5, 10] {
            let cell = Cell { noise, n: 50, runs, statistics: &statistics, slowdowns: &[1.05, 1.10] };
            let (false_alarms, detection) = rates(&mut rng, &cell, replicates);
            println!(
                "| {} | {runs} | {} | {} | {} |",
                noise.name,
                percent(false_alarms),
                percent(detection[0]),
                percent(detection[1])
            );
        }
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let window_table = args.first().is_some_and(|a| a == "windows");
    if window_table {
        args.remove(0);
    }
    let replicates: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    if window_table {
        return windows(replicates);
    }
    let mut rng = Rng(0x5EED_CA11_B4A7_E000);
    println!("Suites of {BENCHMARKS} benchmarks, {replicates} A/A suites per cell; {SLOWED} benchmarks slowed per detection suite.");
    println!("Settings: defaults (Holm, alpha 0.05, noise band 1%, threshold 5%, empirical null from 20 metrics).\n");
    println!("| noise model | test | n | family-wise false alarms | detected 3% | detected 5% | detected 10% |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for noise in MODELS.into_iter().chain([CV3]) {
        for test in [TestKind::Welch, TestKind::Trimmed] {
            let statistics = Statistics { test, ..Statistics::default() };
            for n in [10, 20, 50, 100] {
                let cell = Cell { noise, n, runs: 1, statistics: &statistics, slowdowns: &[1.03, 1.05, 1.10] };
                let (false_alarms, detection) = rates(&mut rng, &cell, replicates);
                let test_name = match test {
                    TestKind::Welch => "welch",
                    TestKind::Trimmed => "trimmed",
                };
                println!(
                    "| {} | {test_name} | {n} | {} | {} | {} | {} |",
                    noise.name,
                    percent(false_alarms),
                    percent(detection[0]),
                    percent(detection[1]),
                    percent(detection[2])
                );
            }
        }
    }
}
