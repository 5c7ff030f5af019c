//! Pure statistics over samples: summaries, t-tests, multiple-comparison adjustments.
//!
//! - Welch (1947), "The generalization of Student's problem when several different population
//!   variances are involved", with Welch-Satterthwaite degrees of freedom.
//! - Yuen (1974), "The two-sample trimmed t for unequal population variances".
//! - Holm (1979), "A simple sequentially rejective multiple test procedure".
//! - Benjamini and Hochberg (1995), "Controlling the false discovery rate".
//! - Smyth (2004): variances moderated across a family (`moderated`).
//!
//! No I/O, no clock. The reasoning behind their use is in docs/statistics.md.

pub mod moderated;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Summary statistics of one metric's samples.
///
/// A statistic that does not exist (no samples) is NaN, which JSON writes as `null`; reading
/// `null` back gives NaN again, so such a file round-trips.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub median: f64,
    /// Sample standard deviation (n - 1 denominator); 0 for a single sample.
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub std_dev: f64,
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub min: f64,
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub max: f64,
    /// 95th percentile, linear interpolation between closest ranks (Hyndman and Fan type 7).
    #[serde(deserialize_with = "crate::json_number::nan_if_null")]
    pub p95: f64,
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
    if lower == upper {
        return sorted[lower];
    }
    // Weighted sum rather than `a + (b - a) * f`: no overflow for huge values of both signs.
    let fraction = position - lower as f64;
    sorted[lower] * (1.0 - fraction) + sorted[upper] * fraction
}

/// A t-test of `current` against `baseline`, on whatever scale the samples were given in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TTest {
    /// t statistic; positive when `current` is larger.
    pub t: f64,
    /// Degrees of freedom (Welch-Satterthwaite for two samples; not an integer in general).
    pub df: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
    /// One-sided p-value for "current is larger".
    pub p_greater: f64,
    /// One-sided p-value for "current is smaller".
    pub p_less: f64,
    /// Estimated difference `current - baseline` (of means, trimmed means, or paired means).
    pub difference: f64,
    /// Standard error of `difference`.
    pub standard_error: f64,
}

impl TTest {
    /// The test of an estimated `difference` with its standard error and degrees of freedom
    /// (infinite for a normal reference).
    pub fn new(difference: f64, standard_error: f64, df: f64) -> Result<TTest, TestError> {
        let t = difference / standard_error;
        if !t.is_finite() || df.is_nan() || df <= 0.0 {
            return Err(TestError::NonFinite);
        }
        let (p_less, p_greater) = t_cdf_sf(t, df);
        let p_two_sided = (2.0 * p_greater.min(p_less)).min(1.0);
        Ok(TTest { t, df, p_two_sided, p_greater, p_less, difference, standard_error })
    }

    /// The two-sided confidence interval of `difference` at `confidence` (e.g. 0.95).
    pub fn interval(&self, confidence: f64) -> (f64, f64) {
        let half_width = t_quantile(0.5 + confidence / 2.0, self.df) * self.standard_error;
        (self.difference - half_width, self.difference + half_width)
    }

    /// Smallest true difference this test would detect with `power` at two-sided level
    /// `alpha`, with the same standard error and degrees of freedom.
    pub fn minimum_detectable_difference(&self, alpha: f64, power: f64) -> f64 {
        (t_quantile(1.0 - alpha / 2.0, self.df) + t_quantile(power, self.df)) * self.standard_error
    }
}

/// Why a t-test could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    #[error("fewer than 2 samples on a side")]
    TooFewSamples,
    #[error("a sample is NaN or infinite")]
    NonFinite,
    /// No spread on either side: there is no noise to test against, and the means say
    /// everything (the caller compares them directly).
    #[error("both sides have zero variance")]
    ZeroVariance,
    #[error("the trimmed share must be at least 0 and below 0.5")]
    InvalidTrim,
}

fn check_finite(samples: &[&[f64]]) -> Result<(), TestError> {
    if samples.iter().any(|side| side.iter().any(|x| !x.is_finite())) {
        Err(TestError::NonFinite)
    } else {
        Ok(())
    }
}

/// Welch's unequal-variance t-test of `current` against `baseline`.
pub fn welch(baseline: &[f64], current: &[f64]) -> Result<TTest, TestError> {
    if baseline.len() < 2 || current.len() < 2 {
        return Err(TestError::TooFewSamples);
    }
    check_finite(&[baseline, current])?;
    let (n1, n2) = (baseline.len() as f64, current.len() as f64);
    let (m1, m2) = (mean(baseline), mean(current));
    let (se1, se2) = (variance(baseline, m1) / n1, variance(current, m2) / n2);
    welch_combine(m2 - m1, (se1, n1 - 1.0), (se2, n2 - 1.0))
}

/// The Welch-Satterthwaite combination of two squared standard errors, each with its own
/// degrees of freedom.
fn welch_combine(difference: f64, (se1, df1): (f64, f64), (se2, df2): (f64, f64)) -> Result<TTest, TestError> {
    let se = se1 + se2;
    if se == 0.0 {
        return Err(TestError::ZeroVariance);
    }
    // The Welch-Satterthwaite formula written in shares of `se`, so squares cannot overflow.
    let df = 1.0 / ((se1 / se).powi(2) / df1 + (se2 / se).powi(2) / df2);
    TTest::new(difference, se.sqrt(), df)
}

/// Yuen's trimmed t-test: Welch's test on means with `trim` of each tail cut off, with
/// winsorized variances (Yuen 1974; as `scipy.stats.ttest_ind(..., equal_var=False, trim=trim)`).
/// Robust to the slow outliers that contention adds to benchmark samples.
pub fn yuen(baseline: &[f64], current: &[f64], trim: f64) -> Result<TTest, TestError> {
    if !(0.0..0.5).contains(&trim) {
        return Err(TestError::InvalidTrim);
    }
    check_finite(&[baseline, current])?;
    let (m1, se1, df1) = trimmed_parts(baseline, trim)?;
    let (m2, se2, df2) = trimmed_parts(current, trim)?;
    welch_combine(m2 - m1, (se1, df1), (se2, df2))
}

/// The location a test of `trim` compares and its squared standard error and degrees of
/// freedom: the trimmed mean (`trim` 0: the plain mean, `s^2 / n` and `n - 1`).
pub fn location(samples: &[f64], trim: f64) -> Result<(f64, f64, f64), TestError> {
    if !(0.0..0.5).contains(&trim) {
        return Err(TestError::InvalidTrim);
    }
    check_finite(&[samples])?;
    trimmed_parts(samples, trim)
}

/// Trimmed mean, squared standard error `(n-1) s_w^2 / (h (h-1))` and degrees of freedom
/// `h - 1`, where `h` is the count left after trimming.
fn trimmed_parts(samples: &[f64], trim: f64) -> Result<(f64, f64, f64), TestError> {
    let n = samples.len();
    let g = (trim * n as f64).floor() as usize;
    let h = n.saturating_sub(2 * g);
    if h < 2 {
        return Err(TestError::TooFewSamples);
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let trimmed_mean = mean(&sorted[g..n - g]);
    let (low, high) = (sorted[g], sorted[n - g - 1]);
    let winsorized: Vec<f64> = sorted.iter().map(|x| x.clamp(low, high)).collect();
    let winsorized_variance = variance(&winsorized, mean(&winsorized));
    let h = h as f64;
    Ok((trimmed_mean, (n as f64 - 1.0) * winsorized_variance / (h * (h - 1.0)), h - 1.0))
}

/// One-sample t-test of paired differences `current - baseline` (one per round) against zero.
/// For interleaved runs, where each round's pair shares the machine's state.
pub fn paired(differences: &[f64]) -> Result<TTest, TestError> {
    if differences.len() < 2 {
        return Err(TestError::TooFewSamples);
    }
    check_finite(&[differences])?;
    let n = differences.len() as f64;
    let m = mean(differences);
    let se_squared = variance(differences, m) / n;
    if se_squared == 0.0 {
        return Err(TestError::ZeroVariance);
    }
    TTest::new(m, se_squared.sqrt(), n - 1.0)
}

/// The trimmed version of [`paired`] (Tukey and McLaughlin 1963): the `trim` share of each
/// tail of the differences cut off, the winsorized variance for the standard error, and h - 1
/// degrees of freedom for the h differences kept. One round hit by contention moves it little.
pub fn paired_trimmed(differences: &[f64], trim: f64) -> Result<TTest, TestError> {
    if !(0.0..0.5).contains(&trim) {
        return Err(TestError::InvalidTrim);
    }
    check_finite(&[differences])?;
    let (m, se_squared, df) = trimmed_parts(differences, trim)?;
    if se_squared == 0.0 {
        return Err(TestError::ZeroVariance);
    }
    TTest::new(m, se_squared.sqrt(), df)
}

/// Above this many degrees of freedom statrs 0.19.1's inverse Student's t is not used: it
/// drifts past 1e-9 relative from about 805 on, by 1e-3 at 1e6, and never returns from about
/// 1e8 on.
const LARGE_DF: f64 = 800.0;

/// Upper tail of Student's t with `df` degrees of freedom at `t`.
pub fn t_sf(t: f64, df: f64) -> f64 {
    t_cdf_sf(t, df).1
}

/// Lower and upper tail of Student's t at `t` (the normal beyond statrs' accurate range, where
/// the two differ by less than 1e-5 relative).
fn t_cdf_sf(t: f64, df: f64) -> (f64, f64) {
    if df > 1e6 {
        let normal = Normal::standard();
        return (normal.cdf(t), normal.sf(t));
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(distribution) => (distribution.cdf(t), distribution.sf(t)),
        Err(_) => (f64::NAN, f64::NAN),
    }
}

/// Quantile `p` of Student's t with `df` degrees of freedom (the normal for infinite `df`).
/// NaN for a NaN `p` or `df`.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() {
        return f64::NAN;
    }
    let p = p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON);
    if df > LARGE_DF {
        // Cornish-Fisher expansion of t around the normal (Abramowitz and Stegun 26.7.5), four
        // terms: within 2e-11 relative from 800 degrees of freedom on.
        let z = normal_quantile(p);
        let z2 = z * z;
        let g1 = (z2 + 1.0) * z / 4.0;
        let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
        return z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4);
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(distribution) => distribution.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Quantile `p` of the standard normal; NaN for a NaN `p`.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    Normal::standard().inverse_cdf(p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON))
}

/// Upper tail of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    Normal::standard().sf(z)
}

/// Holm's step-down adjustment (family-wise error): adjusted p-values in the input order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let order = ascending_order(p);
    let mut adjusted = vec![0.0; m];
    let mut running_max: f64 = 0.0;
    for (rank, &index) in order.iter().enumerate() {
        running_max = running_max.max(((m - rank) as f64 * p[index]).min(1.0));
        adjusted[index] = running_max;
    }
    adjusted
}

/// Benjamini-Hochberg step-up adjustment (false discovery rate), in the input order.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let order = ascending_order(p);
    let mut adjusted = vec![0.0; m];
    let mut running_min: f64 = 1.0;
    for (rank, &index) in order.iter().enumerate().rev() {
        running_min = running_min.min((m as f64 / (rank + 1) as f64 * p[index]).min(1.0));
        adjusted[index] = running_min;
    }
    adjusted
}

/// Indices of `p` by ascending value; NaN sorts last, so it never lends significance.
fn ascending_order(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |x: f64| if x.is_nan() { f64::INFINITY } else { x };
        key(p[a]).total_cmp(&key(p[b]))
    });
    order
}

/// Median of non-empty data.
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile_sorted(&sorted, 0.5)
}

/// Median absolute deviation, scaled by 1.4826 to estimate the standard deviation of normal
/// data while ignoring outliers.
pub fn mad(samples: &[f64]) -> f64 {
    let center = median(samples);
    let deviations: Vec<f64> = samples.iter().map(|x| (x - center).abs()).collect();
    1.4826 * median(&deviations)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: n = 10, g = 2, h = 6; the kept differences sum to 0.31; winsorized to
    /// [0.045, 0.06] their squared deviations sum to 3.6e-4, so s_w^2 = 4e-5 and the squared
    /// standard error is 9 * 4e-5 / 30 = 1.2e-5.
    #[test]
    fn paired_trimmed_by_hand_and_against_one_bad_round() {
        let d = [0.05, 0.04, 0.06, 0.05, 0.30, 0.045, 0.055, 0.05, 0.04, 0.06];
        let test = paired_trimmed(&d, 0.2).unwrap();
        assert!(close(test.difference, 0.31 / 6.0, 1e-12), "{test:?}");
        assert!(close(test.standard_error, 1.2e-5f64.sqrt(), 1e-12), "{test:?}");
        assert_eq!(test.df, 5.0);
        // The one bad round (0.30) inflates the plain paired test's spread far more.
        assert!(paired(&d).unwrap().t < test.t / 3.0);
        // Nothing trimmed is the plain paired test.
        let plain = paired(&d).unwrap();
        let untrimmed = paired_trimmed(&d, 0.0).unwrap();
        assert!(close(plain.t, untrimmed.t, 1e-12) && plain.df == untrimmed.df);
        assert_eq!(paired_trimmed(&[0.5, 0.5, 0.5], 0.2), Err(TestError::ZeroVariance));
        assert_eq!(paired_trimmed(&d, 0.5), Err(TestError::InvalidTrim));
    }

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
    fn quantiles_terminate_and_agree_at_the_limit() {
        assert!(close(t_quantile(0.975, f64::INFINITY), 1.959963984540054, 1e-9));
        assert!(close(t_quantile(0.975, 1e9), 1.959963984540054, 1e-8));
        assert!(close(t_quantile(0.975, 10.0), 2.2281388519649385, 1e-9));
        // scipy.stats.t.ppf(0.975, 2e4) and (0.8, 1e5)
        assert!(close(t_quantile(0.975, 2e4), 1.9600826051581348, 1e-9), "{}", t_quantile(0.975, 2e4));
        assert!(close(t_quantile(0.8, 1e5), 0.8416248279969009, 1e-9), "{}", t_quantile(0.8, 1e5));
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
