//! Pure statistics over samples: summaries and Welch's unequal-variance t-test.
//!
//! Welch (1947), "The generalization of Student's problem when several different population
//! variances are involved", with Welch-Satterthwaite degrees of freedom. No I/O, no clock.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Summary statistics of one metric's samples.
///
/// A statistic that does not exist (no samples) is NaN, which JSON writes as `null`; reading
/// `null` back gives NaN again, so such a file round-trips.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub median: f64,
    /// Sample standard deviation (n - 1 denominator); 0 for a single sample.
    #[serde(deserialize_with = "nan_if_null")]
    pub std_dev: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub min: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub max: f64,
    /// 95th percentile, linear interpolation between closest ranks (Hyndman and Fan type 7).
    #[serde(deserialize_with = "nan_if_null")]
    pub p95: f64,
}

fn nan_if_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

impl Summary {
    /// Summarises `samples`. An empty slice yields `n = 0` and NaN statistics, which serialize
    /// as `null`; collectors refuse empty samples before it comes to that.
    pub fn of(samples: &[f64]) -> Summary {
        let n = samples.len();
        if n == 0 {
            return Summary {
                n,
                mean: f64::NAN,
                median: f64::NAN,
                std_dev: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                p95: f64::NAN,
            };
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mean = mean(samples);
        Summary {
            n,
            mean,
            median: quantile_sorted(&sorted, 0.5),
            std_dev: variance(samples, mean).sqrt(),
            min: sorted[0],
            max: sorted[n - 1],
            p95: quantile_sorted(&sorted, 0.95),
        }
    }
}

fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len() as f64
}

/// Sample variance with the n - 1 denominator; 0 for fewer than two samples.
fn variance(samples: &[f64], mean: f64) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (samples.len() - 1) as f64
}

/// Quantile `q` in [0, 1] of non-empty sorted data, interpolating linearly between ranks.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// Result of Welch's t-test of `current` against `baseline`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Welch {
    /// t statistic; positive when the current mean is larger.
    pub t: f64,
    /// Welch-Satterthwaite degrees of freedom (not an integer in general).
    pub df: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
}

/// Why a t-test could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    #[error("fewer than 2 samples on a side")]
    TooFewSamples,
    #[error("a sample is NaN or infinite")]
    NonFinite,
    /// Both sides have zero variance: there is no noise to test against, and the means say
    /// everything (the caller compares them directly).
    #[error("both sides have zero variance")]
    ZeroVariance,
}

/// Welch's t-test of `current` against `baseline`.
pub fn welch(baseline: &[f64], current: &[f64]) -> Result<Welch, TestError> {
    if baseline.len() < 2 || current.len() < 2 {
        return Err(TestError::TooFewSamples);
    }
    if baseline.iter().chain(current).any(|x| !x.is_finite()) {
        return Err(TestError::NonFinite);
    }
    let (n1, n2) = (baseline.len() as f64, current.len() as f64);
    let (m1, m2) = (mean(baseline), mean(current));
    let (se1, se2) = (variance(baseline, m1) / n1, variance(current, m2) / n2);
    let se = se1 + se2;
    if se == 0.0 {
        return Err(TestError::ZeroVariance);
    }
    let t = (m2 - m1) / se.sqrt();
    let df = se.powi(2) / (se1.powi(2) / (n1 - 1.0) + se2.powi(2) / (n2 - 1.0));
    let distribution = StudentsT::new(0.0, 1.0, df).map_err(|_| TestError::NonFinite)?;
    let p_two_sided = (2.0 * distribution.sf(t.abs())).min(1.0);
    Ok(Welch { t, df, p_two_sided })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn summary_of_known_data() {
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(s.n, 5);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 5.0);
        assert!(close(s.std_dev, 2.5f64.sqrt(), 1e-12));
        // type 7: position 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4)
        assert!(close(s.p95, 4.8, 1e-12));
    }

    #[test]
    fn summary_of_one_sample_has_zero_spread() {
        let s = Summary::of(&[7.0]);
        assert_eq!((s.n, s.mean, s.median, s.std_dev, s.p95), (1, 7.0, 7.0, 0.0, 7.0));
    }

    #[test]
    fn summary_of_nothing_is_nan_and_round_trips_through_json() {
        let s = Summary::of(&[]);
        assert_eq!(s.n, 0);
        assert!(s.mean.is_nan());
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"mean\":null"), "{json}");
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert!(back.mean.is_nan() && back.p95.is_nan());
    }

    #[test]
    fn welch_matches_scipy() {
        // scipy 1.x: stats.ttest_ind(b, a, equal_var=False)
        // -> statistic 2.0740146266783652, pvalue 0.06427999772458465, df 10.209185368660295
        let a = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0];
        let b = [28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7];
        let w = welch(&a, &b).unwrap();
        assert!(close(w.t, 2.0740146266783652, 1e-10), "{w:?}");
        assert!(close(w.df, 10.209185368660295, 1e-9), "{w:?}");
        assert!(close(w.p_two_sided, 0.06427999772458465, 1e-9), "{w:?}");
    }

    #[test]
    fn welch_of_identical_samples_is_not_significant() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let w = welch(&a, &a).unwrap();
        assert_eq!(w.t, 0.0);
        assert!(close(w.p_two_sided, 1.0, 1e-12));
    }

    #[test]
    fn welch_refuses_degenerate_input() {
        assert_eq!(welch(&[1.0], &[1.0, 2.0]), Err(TestError::TooFewSamples));
        assert_eq!(welch(&[1.0, f64::NAN], &[1.0, 2.0]), Err(TestError::NonFinite));
        assert_eq!(welch(&[3.0, 3.0], &[4.0, 4.0]), Err(TestError::ZeroVariance));
    }

    #[test]
    fn welch_with_one_constant_side_still_applies() {
        let w = welch(&[5.0, 5.0, 5.0], &[6.0, 7.0, 8.0]).unwrap();
        assert!(w.t > 0.0);
        assert!(close(w.df, 2.0, 1e-12));
    }
}
