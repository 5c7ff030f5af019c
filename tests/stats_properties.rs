//! Properties of `src/stats.rs` that hold for every input: symmetry, scale invariance, valid
//! probabilities, ordering of adjusted p-values, and no panic on hostile input.
//!
//! Case counts are kept modest (256 per property) so that the suite stays fast.

use cargo_perf_gate::stats::{self, TTest, TestError};
use proptest::prelude::*;
use proptest::test_runner::Config;

const CASES: u32 = 256;

fn config() -> Config {
    // No regression files: a failure prints its minimal input, which belongs in a named test.
    Config { cases: CASES, failure_persistence: None, ..Config::default() }
}

/// Relative-or-absolute closeness for results that went through rounding.
fn close(a: f64, b: f64, relative: f64, absolute: f64) -> bool {
    a == b || (a - b).abs() <= relative * a.abs().max(b.abs()) || (a - b).abs() <= absolute
}

/// Benchmark-like samples: `center * exp(spread * u)` with `u` in [-1, 1], so they are positive,
/// their logarithms are defined, and their relative spread (1e-3 to 2) keeps the variance
/// well-conditioned. The `u` are distinct (one per stratum of [-1, 1], shuffled), so no side is
/// constant, even after winsorizing and even while proptest shrinks a failure.
fn side(center: f64, spread: f64, len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, len)
        .prop_map(move |jitter| {
            let n = jitter.len() as f64;
            jitter.iter().enumerate().map(|(i, j)| center * (spread * (2.0 * (i as f64 + j) / n - 1.0)).exp()).collect()
        })
        .prop_shuffle()
}

/// Two benchmark-like sides on a common scale (1e-9 to 1e9), whose centers differ by up to 2x.
fn two_sides() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (-9.0..9.0f64, -1.0..1.0f64, 1e-3..2.0f64, 1e-3..2.0f64).prop_flat_map(|(exponent, ratio, spread1, spread2)| {
        let center = 10f64.powf(exponent);
        (side(center, spread1, 2..40), side(center * 2f64.powf(ratio), spread2, 2..40))
    })
}

/// Paired differences `current - baseline` around a mean that may be zero, of either sign.
fn differences() -> impl Strategy<Value = Vec<f64>> {
    (-9.0..9.0f64, -3.0..3.0f64, 2..60usize).prop_flat_map(|(exponent, shift, len)| {
        let scale = 10f64.powf(exponent);
        prop::collection::vec(-1.0..=1.0f64, len).prop_map(move |u| u.iter().map(|u| scale * (u + shift)).collect())
    })
}

/// Any double at all, with the awkward ones (NaN, infinities, extremes, subnormals) over-drawn.
fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => proptest::num::f64::ANY,
        2 => -1e3..1e3f64,
        2 => prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            1e308,
            -1e308,
            1e154,
            1e-160,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            0.0,
            -0.0,
            1.0,
        ]),
    ]
}

/// Any finite double, extremes and subnormals over-drawn.
fn finite_value() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        2 => POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
        2 => -1e3..1e3f64,
        1 => prop::sample::select(vec![f64::MAX, f64::MIN, 1e308, 1e200, 1e154, 1e-160, 1e-300, 5e-324, 0.0, 1.0]),
    ]
}

fn any_side() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![prop::collection::vec(any_value(), 0..3), prop::collection::vec(any_value(), 0..24)]
}

/// p-values, with the edges 0 and 1 and repeated values (ties) over-drawn.
fn p_values() -> impl Strategy<Value = Vec<f64>> {
    let p = prop_oneof![6 => 0.0..=1.0f64, 1 => prop::sample::select(vec![0.0, 1.0, 0.05, 1e-300, 0.5])];
    prop::collection::vec(p, 0..40)
}

/// The invariants of any successful test: finite t, positive df, probabilities in [0, 1] that
/// agree with each other and with the sign of t.
fn check_valid(test: &TTest) -> Result<(), TestCaseError> {
    prop_assert!(test.t.is_finite(), "{test:?}");
    prop_assert!(test.df > 0.0, "{test:?}");
    for p in [test.p_two_sided, test.p_greater, test.p_less] {
        prop_assert!((0.0..=1.0).contains(&p), "{test:?}");
    }
    prop_assert!((test.p_greater + test.p_less - 1.0).abs() <= 1e-12, "{test:?}");
    prop_assert!(test.p_two_sided >= test.p_greater.min(test.p_less), "{test:?}");
    prop_assert!(test.standard_error > 0.0, "{test:?}");
    if test.t > 0.0 {
        prop_assert!(test.p_greater <= 0.5 && test.p_less >= 0.5, "{test:?}");
    } else if test.t < 0.0 {
        prop_assert!(test.p_less <= 0.5 && test.p_greater >= 0.5, "{test:?}");
    }
    Ok(())
}

/// `swapped` is the same test with the sides exchanged.
fn check_swapped(test: &TTest, swapped: &TTest) -> Result<(), TestCaseError> {
    prop_assert_eq!(swapped.t, -test.t);
    prop_assert_eq!(swapped.difference, -test.difference);
    prop_assert!(close(swapped.df, test.df, 1e-12, 0.0), "{test:?} vs {swapped:?}");
    prop_assert!(close(swapped.standard_error, test.standard_error, 1e-12, 0.0), "{test:?} vs {swapped:?}");
    prop_assert!(close(swapped.p_two_sided, test.p_two_sided, 1e-12, 0.0), "{test:?} vs {swapped:?}");
    prop_assert!(close(swapped.p_greater, test.p_less, 1e-12, 0.0), "{test:?} vs {swapped:?}");
    prop_assert!(close(swapped.p_less, test.p_greater, 1e-12, 0.0), "{test:?} vs {swapped:?}");
    Ok(())
}

/// `other` is the same test on transformed data that should not change t, df or p: equal up
/// to rounding (t near zero only to absolute precision, as its numerator cancels).
fn check_invariant(test: &TTest, other: &TTest) -> Result<(), TestCaseError> {
    prop_assert!(close(other.t, test.t, 1e-9, 1e-9), "t: {test:?} vs {other:?}");
    prop_assert!(close(other.df, test.df, 1e-9, 0.0), "df: {test:?} vs {other:?}");
    prop_assert!(close(other.p_two_sided, test.p_two_sided, 1e-9, 1e-12), "p: {test:?} vs {other:?}");
    prop_assert!(close(other.p_greater, test.p_greater, 1e-9, 1e-12), "p: {test:?} vs {other:?}");
    prop_assert!(close(other.p_less, test.p_less, 1e-9, 1e-12), "p: {test:?} vs {other:?}");
    Ok(())
}

fn scaled(samples: &[f64], factor: f64) -> Vec<f64> {
    samples.iter().map(|x| x * factor).collect()
}

fn logged(samples: &[f64]) -> Vec<f64> {
    samples.iter().map(|x| x.ln()).collect()
}

/// The test with `trim` given, or Welch's without, on sides from [`two_sides`]: `None` when the
/// trim leaves fewer than 2 samples on a side (after checking that this is the error), and
/// otherwise a success.
fn run(baseline: &[f64], current: &[f64], trim: Option<f64>) -> Result<Option<TTest>, TestCaseError> {
    let result = match trim {
        Some(trim) => stats::yuen(baseline, current, trim),
        None => stats::welch(baseline, current),
    };
    if kept(baseline.len(), trim) < 2 || kept(current.len(), trim) < 2 {
        prop_assert_eq!(result, Err(TestError::TooFewSamples));
        return Ok(None);
    }
    match result {
        Ok(test) => Ok(Some(test)),
        Err(e) => Err(TestCaseError::fail(format!("{e:?} for {baseline:?} vs {current:?}, trim {trim:?}"))),
    }
}

/// How many of `n` samples trimming keeps (Yuen's h).
fn kept(n: usize, trim: Option<f64>) -> usize {
    let g = trim.map_or(0, |trim| (trim * n as f64).floor() as usize);
    n.saturating_sub(2 * g)
}

fn trims() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![Just(None), Just(Some(0.1)), Just(Some(0.2)), (0.0..=0.49f64).prop_map(Some)]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn swapping_sides_negates_t((baseline, current) in two_sides(), trim in trims()) {
        if let Some(test) = run(&baseline, &current, trim)? {
            let swapped = run(&current, &baseline, trim)?.unwrap();
            check_swapped(&test, &swapped)?;
        }
    }

    #[test]
    fn scaling_both_sides_by_a_power_of_two_changes_nothing(
        (baseline, current) in two_sides(),
        trim in trims(),
        power in -30..30i32,
    ) {
        if let Some(test) = run(&baseline, &current, trim)? {
            let factor = 2f64.powi(power);
            let other = run(&scaled(&baseline, factor), &scaled(&current, factor), trim)?.unwrap();
            // Every intermediate result scales exactly, so the statistics are bit for bit the same.
            prop_assert_eq!((other.t, other.df, other.p_two_sided), (test.t, test.df, test.p_two_sided));
            prop_assert_eq!((other.p_greater, other.p_less), (test.p_greater, test.p_less));
            prop_assert_eq!(other.difference, test.difference * factor);
            prop_assert_eq!(other.standard_error, test.standard_error * factor);
        }
    }

    #[test]
    fn scaling_both_sides_keeps_t_df_and_p(
        (baseline, current) in two_sides(),
        trim in trims(),
        exponent in -6.0..6.0f64,
    ) {
        if let Some(test) = run(&baseline, &current, trim)? {
            let factor = 10f64.powf(exponent);
            let other = run(&scaled(&baseline, factor), &scaled(&current, factor), trim)?.unwrap();
            check_invariant(&test, &other)?;
            prop_assert!(close(other.difference, test.difference * factor, 1e-9, 1e-9 * other.standard_error));
        }
    }

    #[test]
    fn on_the_log_scale_scaling_both_sides_keeps_t_df_and_p(
        (baseline, current) in two_sides(),
        trim in trims(),
        exponent in -6.0..6.0f64,
    ) {
        if let Some(test) = run(&logged(&baseline), &logged(&current), trim)? {
            let factor = 10f64.powf(exponent);
            let other = run(&logged(&scaled(&baseline, factor)), &logged(&scaled(&current, factor)), trim)?.unwrap();
            check_invariant(&test, &other)?;
        }
    }

    #[test]
    fn paired_is_invariant_to_scale_and_antisymmetric(d in differences(), exponent in -6.0..6.0f64) {
        if let Ok(test) = stats::paired(&d) {
            check_valid(&test)?;
            prop_assert_eq!(test.df, (d.len() - 1) as f64);
            let negated = stats::paired(&scaled(&d, -1.0)).unwrap();
            check_swapped(&test, &negated)?;
            let other = stats::paired(&scaled(&d, 10f64.powf(exponent))).unwrap();
            check_invariant(&test, &other)?;
        }
    }

    #[test]
    fn results_are_valid_probabilities((baseline, current) in two_sides(), trim in trims()) {
        let Some(test) = run(&baseline, &current, trim)? else { return Ok(()) };
        check_valid(&test)?;
        // Welch-Satterthwaite df lies between the smaller side's and the pooled df.
        let (h1, h2) = (kept(baseline.len(), trim) as f64, kept(current.len(), trim) as f64);
        prop_assert!(test.df >= (h1 - 1.0).min(h2 - 1.0) * (1.0 - 1e-12), "{test:?}");
        prop_assert!(test.df <= (h1 + h2 - 2.0) * (1.0 + 1e-12), "{test:?}");
    }

    #[test]
    fn yuen_without_trimming_is_welch((baseline, current) in two_sides()) {
        let welch = run(&baseline, &current, None)?.unwrap();
        let yuen = run(&baseline, &current, Some(0.0))?.unwrap();
        check_invariant(&welch, &yuen)?;
    }

    #[test]
    fn intervals_contain_the_difference_and_widen_with_confidence(
        (baseline, current) in two_sides(),
        trim in trims(),
    ) {
        let Some(test) = run(&baseline, &current, trim)? else { return Ok(()) };
        let (low95, high95) = test.interval(0.95);
        let (low99, high99) = test.interval(0.99);
        prop_assert!(low95 <= test.difference && test.difference <= high95, "{test:?}: {low95}..{high95}");
        prop_assert!(low99 < low95 && high95 < high99, "{test:?}: {low95}..{high95} vs {low99}..{high99}");
        prop_assert!(close(high95 - test.difference, test.difference - low95, 1e-9, 1e-9 * test.standard_error));
        prop_assert!(test.minimum_detectable_difference(0.05, 0.8) > high95 - test.difference, "{test:?}");
    }

    #[test]
    fn welch_never_panics(baseline in any_side(), current in any_side()) {
        let result = stats::welch(&baseline, &current);
        let finite = baseline.iter().chain(&current).all(|x| x.is_finite());
        if baseline.len() < 2 || current.len() < 2 {
            prop_assert_eq!(result, Err(TestError::TooFewSamples));
        } else if !finite {
            prop_assert_eq!(result, Err(TestError::NonFinite));
        } else if let Ok(test) = result {
            check_valid(&test)?;
        }
    }

    #[test]
    fn yuen_never_panics(baseline in any_side(), current in any_side(), trim in 0.0..=0.49f64) {
        let result = stats::yuen(&baseline, &current, trim);
        let finite = baseline.iter().chain(&current).all(|x| x.is_finite());
        if !finite {
            prop_assert_eq!(result, Err(TestError::NonFinite));
        } else if baseline.len() < 2 || current.len() < 2 {
            prop_assert_eq!(result, Err(TestError::TooFewSamples));
        } else if let Ok(test) = result {
            check_valid(&test)?;
        }
    }

    #[test]
    fn extreme_finite_samples_give_a_valid_test_or_an_error(
        baseline in prop::collection::vec(finite_value(), 2..16),
        current in prop::collection::vec(finite_value(), 2..16),
        trim in trims(),
    ) {
        let result = match trim {
            Some(trim) => stats::yuen(&baseline, &current, trim),
            None => stats::welch(&baseline, &current),
        };
        match result {
            Ok(test) => check_valid(&test)?,
            // Overflow and underflow of the variances end in these.
            Err(TestError::NonFinite | TestError::ZeroVariance) => {}
            Err(TestError::TooFewSamples) => {
                prop_assert!(kept(baseline.len(), trim) < 2 || kept(current.len(), trim) < 2)
            }
            Err(TestError::InvalidTrim) => prop_assert!(false, "trims() gives valid trims only"),
        }
        if let Ok(test) = stats::paired(&baseline) {
            check_valid(&test)?;
        }
    }

    #[test]
    fn paired_never_panics(d in any_side()) {
        let result = stats::paired(&d);
        if d.len() < 2 {
            prop_assert_eq!(result, Err(TestError::TooFewSamples));
        } else if d.iter().any(|x| !x.is_finite()) {
            prop_assert_eq!(result, Err(TestError::NonFinite));
        } else if let Ok(test) = result {
            check_valid(&test)?;
        }
    }

    #[test]
    fn adjustments_never_panic(p in prop::collection::vec(any_value(), 0..30)) {
        prop_assert_eq!(stats::holm(&p).len(), p.len());
        prop_assert_eq!(stats::benjamini_hochberg(&p).len(), p.len());
    }

    #[test]
    fn adjusted_p_values_are_ordered_and_conservative(p in p_values()) {
        let holm = stats::holm(&p);
        let bh = stats::benjamini_hochberg(&p);
        let m = p.len() as f64;
        for i in 0..p.len() {
            prop_assert!((0.0..=1.0).contains(&holm[i]) && (0.0..=1.0).contains(&bh[i]), "{p:?}");
            prop_assert!(holm[i] >= p[i] && bh[i] >= p[i], "{p:?}: holm {holm:?}, bh {bh:?}");
            // Benjamini-Hochberg <= Hochberg <= Holm <= Bonferroni.
            prop_assert!(bh[i] <= holm[i] && holm[i] <= (m * p[i]).min(1.0), "{p:?}: holm {holm:?}, bh {bh:?}");
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    prop_assert!(holm[i] <= holm[j] && bh[i] <= bh[j], "{p:?}: holm {holm:?}, bh {bh:?}");
                }
            }
        }
    }

    #[test]
    fn a_nan_p_value_is_never_significant(mut p in p_values(), at in any::<prop::sample::Index>()) {
        let at = at.index(p.len() + 1);
        p.insert(at, f64::NAN);
        prop_assert_eq!(stats::holm(&p)[at], 1.0);
        prop_assert_eq!(stats::benjamini_hochberg(&p)[at], 1.0);
        for adjusted in stats::holm(&p).into_iter().chain(stats::benjamini_hochberg(&p)) {
            prop_assert!((0.0..=1.0).contains(&adjusted), "{p:?}");
        }
    }

    #[test]
    fn median_and_mad_never_panic(samples in prop::collection::vec(any_value(), 1..24)) {
        let _ = stats::median(&samples);
        let _ = stats::mad(&samples);
        let _ = stats::Summary::of(&samples);
    }

    #[test]
    fn median_and_mad_of_finite_samples(samples in prop::collection::vec(-1e300..1e300f64, 1..40)) {
        let median = stats::median(&samples);
        let mad = stats::mad(&samples);
        let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
        let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(min <= median && median <= max, "{samples:?}: median {median}");
        prop_assert!(mad >= 0.0 && mad.is_finite(), "{samples:?}: mad {mad}");
        let summary = stats::Summary::of(&samples);
        prop_assert_eq!(summary.median, median);
        prop_assert!(summary.min <= summary.p95 && summary.p95 <= summary.max, "{summary:?}");
    }
}
