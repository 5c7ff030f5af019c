//! A window of baseline runs: several runs of the baseline's code line (e.g. the last K runs of
//! main), from which each benchmark's run-to-run spread is estimated. Pure: no I/O, no clock.
//!
//! One stored run cannot show how far a benchmark's next run lands from it; the empirical null
//! stands in with the spread of changes across the suite, the same for every benchmark. With a
//! window each benchmark gets its own spread, estimated from the window's runs:
//!
//! 1. Each run's location of each metric on the log scale: the (trimmed) mean of its log
//!    samples, the estimator the two-sample test uses.
//! 2. With a large enough suite (`statistics.empirical_null_min_benchmarks`), each run's shift
//!    of the whole suite (a faster or slower runner) is taken out: location = benchmark level +
//!    run shift + residual, fitted by alternating medians and means.
//! 3. Each benchmark's variance of the residuals (runs - 1 degrees of freedom) is moderated
//!    across the suite (`stats::moderated`): from two runs a benchmark's own spread has one
//!    degree of freedom, and the suite's spreads lend it strength.
//! 4. The current run's change from the window's mean is tested with a standard error of
//!    `sqrt(v / K + max(v, v_current))` (`v` the moderated variance of one run, `v_current` the
//!    current run's own sampling variance) on the moderated degrees of freedom: a change must
//!    stand out from the benchmark's run-to-run spread and from its own samples. With run shifts
//!    taken out, the change must also stand out once the current run's suite shift (the median
//!    change) is taken out, as the empirical null requires, and the median's own uncertainty
//!    (`pi/2 v / n` over `n` metrics) is added.

use serde::{Deserialize, Serialize};

use super::{Comparison, Scale};
use crate::model::{Metric, Results};
use crate::stats::moderated::VariancePrior;
use crate::stats::{self, TTest};

/// Several runs of the baseline side, oldest first.
#[derive(Debug, Clone)]
pub struct Window {
    runs: Vec<Results>,
}

impl Window {
    /// A window of `runs`, ordered by when each was measured; `None` with fewer than two.
    pub fn new(mut runs: Vec<Results>) -> Option<Window> {
        // RFC 3339 times in UTC, as every results file writes them, sort as text.
        runs.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        (runs.len() >= 2).then_some(Window { runs })
    }

    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Never: a window has at least two runs.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn runs(&self) -> &[Results] {
        &self.runs
    }

    pub fn newest(&self) -> &Results {
        &self.runs[self.runs.len() - 1]
    }

    /// The baseline the reports show: the newest run (its benchmarks, commit and machine),
    /// each metric with the samples of every run that has it in the same unit.
    pub fn pooled(&self) -> Results {
        let mut pooled = self.newest().clone();
        let older: Vec<_> = self.runs[..self.runs.len() - 1].iter().map(Results::by_id).collect();
        for benchmark in &mut pooled.benchmarks {
            // A value that is not a sample (an exact count, another tool's summary) is the
            // newest run's: pooling would turn it into samples it is not.
            for (name, metric) in benchmark.metrics.iter_mut().filter(|(_, m)| m.basis.is_samples()) {
                let mut samples = Vec::new();
                for run in &older {
                    let same = run.get(benchmark.id.as_str()).and_then(|b| b.metrics.get(name));
                    if let Some(other) = same.filter(|m| m.unit == metric.unit && m.better == metric.better) {
                        samples.extend_from_slice(&other.samples);
                    }
                }
                samples.extend_from_slice(&metric.samples);
                let value = metric.value;
                *metric = Metric::from_samples(metric.unit.clone(), metric.better, metric.compared, samples);
                metric.value = value;
            }
        }
        pooled
    }
}

/// One metric's locations on the log scale: each window run's (`None` where the run lacks the
/// metric or its samples cannot be logged) and the current run's with its squared standard error.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Locations {
    pub runs: Vec<Option<f64>>,
    pub current: f64,
    pub current_variance: f64,
}

impl Locations {
    /// The locations of `current` and of each window run's metric, with the test's trim.
    pub fn of(window: &[Option<&Metric>], current: &Metric, trim: f64) -> Option<Locations> {
        let location = |metric: &Metric| -> Option<(f64, f64)> {
            if metric.samples.iter().any(|x| *x <= 0.0) {
                return None;
            }
            let logs: Vec<f64> = metric.samples.iter().map(|x| x.ln()).collect();
            stats::location(&logs, trim).ok().map(|(m, se2, _)| (m, se2))
        };
        let runs: Vec<Option<f64>> = window
            .iter()
            .map(|m| m.filter(|m| m.unit == current.unit && m.better == current.better).and_then(location).map(|l| l.0))
            .collect();
        let (current, current_variance) = location(current)?;
        (runs.iter().flatten().count() >= 2).then_some(Locations { runs, current, current_variance })
    }
}

/// What the window says of one metric: the noise floor it was judged against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowFigures {
    /// Runs of the window that had the metric.
    pub runs: usize,
    /// Its run-to-run spread (one standard deviation of a run's value, in percent) after
    /// moderation across the suite: what a change was judged against.
    pub noise_floor_percent: f64,
    /// Its own spread across the window's runs, before moderation.
    pub own_spread_percent: f64,
    /// Degrees of freedom of the noise floor (its own runs - 1 plus the suite's prior).
    pub df: f64,
}

/// What the window says of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    /// Runs in the window.
    pub runs: usize,
    /// Metrics judged against it.
    pub metrics: usize,
    /// The suite's typical run-to-run spread (the prior's, in percent); `None` when too few
    /// metrics vary to fit one, and each is judged on its own runs alone.
    pub suite_spread_percent: Option<f64>,
    /// Weight of the suite's spread, in degrees of freedom (infinite: every benchmark gets the
    /// suite's spread).
    pub suite_df: Option<f64>,
    /// Whether each run's shift of the whole suite was taken out.
    pub run_shifts_removed: bool,
    /// The current run's shift of the whole suite against the window, in percent.
    pub shift_percent: f64,
    /// Robust spread of the metrics' changes, in percent.
    pub change_spread_percent: f64,
}

/// Judges every tested log-scale comparison that has window locations, replacing the pooled
/// two-sample test. Run shifts are taken out when at least `shift_metrics` (above 0) are
/// judged; `alpha` sets the confidence of the change's interval.
pub(super) fn judge(
    items: &mut [Comparison],
    locations: &[Option<Locations>],
    shift_metrics: usize,
    alpha: f64,
) -> Option<WindowSummary> {
    let judged: Vec<usize> = (0..items.len())
        .filter(|&i| locations[i].is_some() && items[i].test.is_some() && items[i].scale == Some(Scale::Log))
        .collect();
    let runs = locations.iter().flatten().map(|l| l.runs.len()).max()?;
    if judged.is_empty() {
        return None;
    }
    let rows: Vec<&Locations> = judged.iter().filter_map(|&i| locations[i].as_ref()).collect();
    let remove_shifts = shift_metrics > 0 && rows.len() >= shift_metrics;
    let (levels, shifts) = fit_levels(&rows, runs, remove_shifts);
    let residuals: Vec<(f64, f64)> =
        rows.iter().zip(&levels).map(|(row, &level)| residual_variance(row, level, &shifts)).collect();
    let prior = VariancePrior::fit(&residuals);
    let changes: Vec<f64> = rows.iter().zip(&levels).map(|(row, level)| row.current - level).collect();
    let shift = if remove_shifts { stats::median(&changes) } else { 0.0 };
    let typical =
        prior.map_or_else(|| stats::median(&residuals.iter().map(|r| r.0).collect::<Vec<_>>()), |p| p.variance);
    // The median's variance, for a shift estimated from `n` changes.
    let shift_variance = if remove_shifts { std::f64::consts::FRAC_PI_2 * typical / rows.len() as f64 } else { 0.0 };
    for ((&i, row), (&(own, df), &change)) in judged.iter().zip(&rows).zip(residuals.iter().zip(&changes)) {
        let (variance, df) = prior.map_or((own, df), |p| p.moderate(own, df));
        let k = row.runs.iter().flatten().count() as f64;
        let standard_error = (variance / k + variance.max(row.current_variance) + shift_variance).sqrt();
        let (Ok(test), Ok(centered)) =
            (TTest::new(change, standard_error, df), TTest::new(change - shift, standard_error, df))
        else {
            continue;
        };
        let item = &mut items[i];
        let p = if remove_shifts { test.p_two_sided.max(centered.p_two_sided) } else { test.p_two_sided };
        let (low, high) = test.interval(1.0 - alpha);
        item.change_percent = Some(change.exp_m1() * 100.0);
        item.typical = Some([(row.current - change).exp(), row.current.exp()]);
        item.change_interval_percent = Some([low.exp_m1() * 100.0, high.exp_m1() * 100.0]);
        item.p_empirical_null = None;
        item.p_value = Some(p);
        item.test = Some(test);
        item.window = Some(WindowFigures {
            runs: k as usize,
            noise_floor_percent: variance.sqrt().exp_m1() * 100.0,
            own_spread_percent: own.sqrt().exp_m1() * 100.0,
            df,
        });
    }
    let spread = stats::mad(&changes);
    Some(WindowSummary {
        runs,
        metrics: rows.len(),
        suite_spread_percent: prior.map(|p| p.variance.sqrt().exp_m1() * 100.0),
        suite_df: prior.map(|p| p.df),
        run_shifts_removed: remove_shifts,
        shift_percent: stats::median(&changes).exp_m1() * 100.0,
        change_spread_percent: spread.exp_m1() * 100.0,
    })
}

/// One metric's variance around its level once each run's shift is taken out, with its
/// degrees of freedom (the runs that have it, less one).
fn residual_variance(row: &Locations, level: f64, shifts: &[f64]) -> (f64, f64) {
    let (sum, count) = row
        .runs
        .iter()
        .zip(shifts)
        .filter_map(|(m, shift)| m.map(|m| (m - level - shift).powi(2)))
        .fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    let df = count as f64 - 1.0;
    (sum / df, df)
}

/// Each metric's level and each run's shift of the whole suite (zero unless `remove_shifts`):
/// location = level + shift + residual, the shifts centred on zero. Alternating a median across
/// metrics (robust to the few that really differ) and a mean across runs.
fn fit_levels(rows: &[&Locations], runs: usize, remove_shifts: bool) -> (Vec<f64>, Vec<f64>) {
    let mut shifts = vec![0.0; runs];
    let level_of = |row: &Locations, shifts: &[f64]| {
        let values: Vec<f64> = row.runs.iter().zip(shifts).filter_map(|(m, s)| m.map(|m| m - s)).collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    let mut levels: Vec<f64> = rows.iter().map(|row| level_of(row, &shifts)).collect();
    if !remove_shifts {
        return (levels, shifts);
    }
    for _ in 0..4 {
        for (run, shift) in shifts.iter_mut().enumerate() {
            let offsets: Vec<f64> =
                rows.iter().zip(&levels).filter_map(|(row, level)| row.runs[run].map(|m| m - level)).collect();
            *shift = if offsets.is_empty() { 0.0 } else { stats::median(&offsets) };
        }
        let mean = shifts.iter().sum::<f64>() / runs as f64;
        shifts.iter_mut().for_each(|s| *s -= mean);
        levels = rows.iter().map(|row| level_of(row, &shifts)).collect();
    }
    (levels, shifts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare, compare_with_window, ChangeVerdict, CompareSettings, Comparisons};
    use crate::condition::Severity;
    use crate::config::Statistics;
    use crate::model::{fixtures, Better};

    /// Deterministic noise: a stream of standard-normal-ish values (sums of uniforms).
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> f64 {
            (0..12)
                .map(|_| {
                    self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    (self.0 >> 11) as f64 / (1u64 << 53) as f64
                })
                .sum::<f64>()
                - 6.0
        }
    }

    const BENCHMARKS: usize = 30;

    /// One run of a suite of 30 benchmarks at 1 us: 20 samples each with 1% noise, shifted by
    /// `offset(i)` (in log units) for benchmark i.
    fn run(noise: &mut Noise, created_at: &str, offset: impl Fn(usize, &mut Noise) -> f64) -> Results {
        let benchmarks = (0..BENCHMARKS)
            .map(|i| {
                let center = 1000.0 * offset(i, noise).exp();
                let samples: Vec<f64> = (0..20).map(|_| center * (0.01 * noise.next()).exp()).collect();
                fixtures::benchmark(&format!("b{i:02}"), Better::Lower, &samples)
            })
            .collect();
        Results { created_at: created_at.to_owned(), ..fixtures::results(benchmarks) }
    }

    fn settings(statistics: &Statistics) -> CompareSettings<'_> {
        CompareSettings { statistics, threshold_percent: 5.0, severity: Severity::Blocking, rules: &[] }
    }

    fn check(window: &Window, current: &Results) -> Comparisons {
        compare_with_window(&window.pooled(), Some(window), current, &settings(&Statistics::default()))
    }

    fn verdict(comparisons: &Comparisons, id: &str) -> ChangeVerdict {
        comparisons.items.iter().find(|c| c.id == id).map(|c| c.verdict).unwrap()
    }

    /// b00 swings by about 10% from run to run, the rest by 0.5%: the window learns that, so
    /// +12% on b00 is within its noise and +12% on b01 is a regression. One stored run cannot
    /// tell the two apart: against the newest run, 9% below b00's usual level, b00 looks 23%
    /// slower.
    #[test]
    fn each_benchmark_is_judged_against_its_own_run_to_run_spread() {
        let mut noise = Noise(7);
        let swings = [-0.10, 0.08, -0.05, 0.12, 0.0, -0.09];
        let runs: Vec<Results> = (0..6)
            .map(|k| {
                let offset = |i: usize, noise: &mut Noise| if i == 0 { swings[k] } else { 0.005 * noise.next() };
                run(&mut noise, &format!("2026-01-0{}T00:00:00Z", k + 1), offset)
            })
            .collect();
        let window = Window::new(runs.clone()).unwrap();
        let current = run(&mut noise, "2026-02-01T00:00:00Z", |i, noise| match i {
            0 | 1 => 0.12f64.ln_1p(),
            _ => 0.005 * noise.next(),
        });
        let judged = check(&window, &current);
        assert_eq!(verdict(&judged, "b00"), ChangeVerdict::Unchanged, "{:?}", judged.items[0]);
        assert_eq!(verdict(&judged, "b01"), ChangeVerdict::Regressed, "{:?}", judged.items[1]);
        assert!(judged.items.iter().skip(2).all(|c| c.verdict == ChangeVerdict::Unchanged));
        let noisy = judged.items[0].window.unwrap();
        let quiet = judged.items[1].window.unwrap();
        assert_eq!((noisy.runs, quiet.runs), (6, 6));
        assert!(noisy.own_spread_percent > 5.0 && quiet.own_spread_percent < 1.5, "{noisy:?} {quiet:?}");
        assert!(judged.items[0].reason.contains("run-to-run spread"), "{}", judged.items[0].reason);
        let summary = judged.window.unwrap();
        assert_eq!((summary.runs, summary.metrics, summary.run_shifts_removed), (6, BENCHMARKS, true));
        let single = compare(&runs[5], &current, &settings(&Statistics::default()));
        assert_eq!(single.items[0].window, None);
        assert_eq!(verdict(&single, "b00"), ChangeVerdict::Regressed, "{:?}", single.items[0]);
    }

    /// A current run 8% slower across the board (a slower runner) is a suite shift, not 30
    /// regressions; a benchmark 15% slower on top of it still stands out.
    #[test]
    fn a_shift_of_the_whole_run_is_taken_out() {
        let mut noise = Noise(11);
        let quiet = |_: usize, noise: &mut Noise| 0.005 * noise.next();
        let runs: Vec<Results> =
            (0..4).map(|k| run(&mut noise, &format!("2026-01-0{}T00:00:00Z", k + 1), quiet)).collect();
        let window = Window::new(runs).unwrap();
        let current = run(&mut noise, "2026-02-01T00:00:00Z", |i, noise| {
            0.08f64.ln_1p() + if i == 3 { 0.15f64.ln_1p() } else { 0.005 * noise.next() }
        });
        let judged = check(&window, &current);
        let regressed: Vec<&str> =
            judged.items.iter().filter(|c| c.verdict == ChangeVerdict::Regressed).map(|c| c.id.as_str()).collect();
        assert_eq!(regressed, ["b03"]);
        let shift = judged.suite_shift.unwrap();
        assert!((shift.change_percent - 8.0).abs() < 1.0 && shift.significant, "{shift:?}");
        // The change shown is the benchmark's own, shift included.
        let b03 = judged.items.iter().find(|c| c.id == "b03").unwrap();
        assert!((b03.change_percent.unwrap() - 24.2).abs() < 1.5, "{b03:?}");
    }

    #[test]
    fn the_pooled_baseline_is_the_newest_run_with_every_runs_samples() {
        let older = fixtures::results(vec![
            fixtures::benchmark("kept", Better::Lower, &[1.0, 2.0]),
            fixtures::benchmark("dropped", Better::Lower, &[5.0, 6.0]),
        ]);
        let newer = Results {
            created_at: "2026-03-01T00:00:00Z".to_owned(),
            ..fixtures::results(vec![fixtures::benchmark("kept", Better::Lower, &[3.0, 4.0])])
        };
        // Given newest first, the window orders them by time.
        let window = Window::new(vec![newer.clone(), older.clone()]).unwrap();
        assert_eq!(window.len(), 2);
        assert_eq!(window.newest().created_at, newer.created_at);
        let pooled = window.pooled();
        assert_eq!(pooled.created_at, newer.created_at);
        assert_eq!(pooled.benchmarks.len(), 1, "a benchmark the newest run lacks was removed");
        let time = &pooled.benchmarks[0].metrics["time"];
        assert_eq!(time.samples, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(time.summary.n, 4);
        assert!(Window::new(vec![older]).is_none());
    }

    /// A metric only one run of the window has is judged as against a single run.
    #[test]
    fn a_metric_in_one_run_of_the_window_is_compared_as_before() {
        let mut noise = Noise(3);
        let quiet = |_: usize, noise: &mut Noise| 0.005 * noise.next();
        let mut first = run(&mut noise, "2026-01-01T00:00:00Z", quiet);
        first.benchmarks.retain(|b| b.id != "b05");
        let second = run(&mut noise, "2026-01-02T00:00:00Z", quiet);
        let window = Window::new(vec![first, second]).unwrap();
        let current = run(&mut noise, "2026-02-01T00:00:00Z", quiet);
        let judged = check(&window, &current);
        let b05 = judged.items.iter().find(|c| c.id == "b05").unwrap();
        assert_eq!(b05.window, None);
        assert!(b05.p_empirical_null.is_some(), "{b05:?}");
        assert!(judged.items.iter().filter(|c| c.id != "b05").all(|c| c.window.is_some_and(|w| w.runs == 2)));
    }
}
