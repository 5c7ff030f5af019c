//! Variances moderated across a family: the empirical Bayes model of Smyth (2004, "Linear
//! models and empirical Bayes methods for assessing differential expression in microarray
//! experiments", the `limma` method), fitted by maximum likelihood.
//!
//! Each benchmark's run-to-run variance is estimated from a few runs only: from two runs it has
//! one degree of freedom, and a benchmark whose two runs happened to agree looks far quieter
//! than it is. The variances of the whole suite are fitted with a scaled inverse chi-square
//! prior (`d0` degrees of freedom around `s0^2`), and each benchmark's variance is replaced by
//! the posterior `(d0 s0^2 + d s^2) / (d0 + d)`, tested with `d0 + d` degrees of freedom. Where
//! the suite's variances agree, `d0` is large and two runs already give a usable spread; where
//! they differ, each benchmark keeps more of its own.
//!
//! limma fits the prior by the moments of the log variances; with one degree of freedom per
//! variance (a window of two runs) the log of a chi-square has a long left tail and that fit
//! swings from `d0` = 2 to infinity between suites of the same noise, and with it the power.
//! Each `s^2 / s0^2` follows an F distribution with `(d, d0)` degrees of freedom, so the
//! likelihood is exact and is maximised here instead (docs/statistics.md has the comparison).

use statrs::function::gamma::ln_gamma;

/// Degrees of freedom that stand for a prior known exactly (the suite's variances agree beyond
/// their sampling noise): finite, so that JSON can carry it, and far past where Student's t
/// differs from the normal.
pub const EXACT_DF: f64 = 1e9;

/// The suite's prior for one variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VariancePrior {
    /// Prior degrees of freedom; [`EXACT_DF`] when the variances agree beyond their sampling
    /// noise.
    pub df: f64,
    /// Prior variance.
    pub variance: f64,
}

/// Fewest positive variances a prior is fitted from.
pub const MIN_VARIANCES: usize = 3;

/// Most variances the prior is fitted from: a larger suite is sampled evenly, which keeps the
/// fit's time bounded (the prior's two numbers are well determined long before).
const MAX_FITTED: usize = 2000;

impl VariancePrior {
    /// Fits the prior to `(variance, degrees of freedom)` pairs by maximum likelihood. Zero,
    /// negative or non-finite variances and pairs with no degrees of freedom are left out;
    /// `None` with fewer than [`MIN_VARIANCES`] left.
    pub fn fit(variances: &[(f64, f64)]) -> Option<VariancePrior> {
        let mut usable: Vec<(f64, f64)> =
            variances.iter().copied().filter(|&(s2, df)| s2 > 0.0 && s2.is_finite() && df > 0.0).collect();
        if usable.len() < MIN_VARIANCES {
            return None;
        }
        if usable.len() > MAX_FITTED {
            let stride = usable.len() as f64 / MAX_FITTED as f64;
            usable = (0..MAX_FITTED).map(|i| usable[(i as f64 * stride) as usize]).collect();
        }
        let (low, high) =
            usable.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &(s2, _)| (l.min(s2.ln()), h.max(s2.ln())));
        let usable = groups(&usable);
        // For one d0, the best log s0^2 and the likelihood there: the likelihood is unimodal in
        // log s0^2, and its maximum lies within the log variances' range.
        let profile = |d0: f64| {
            let at = golden_max(low, high, |log_s0| log_likelihood(&usable, log_s0, d0));
            (at, log_likelihood(&usable, at, d0))
        };
        // A grid over log d0 from 0.1 to 1e5 finds the basin, a golden section refines it.
        const STEPS: usize = 36;
        let log_d0 = |step: usize| -1.0 + 6.0 * step as f64 / STEPS as f64;
        let best_step = (0..=STEPS)
            .map(|step| (step, profile(10f64.powf(log_d0(step))).1))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |(step, _)| step);
        let (infinite_scale, infinite_likelihood) = profile(f64::INFINITY);
        if best_step == STEPS {
            return Some(VariancePrior { df: EXACT_DF, variance: infinite_scale.exp() });
        }
        let around = (log_d0(best_step.saturating_sub(1)), log_d0(best_step + 1));
        let log_df = golden_max(around.0, around.1, |x| profile(10f64.powf(x)).1);
        let (scale, likelihood) = profile(10f64.powf(log_df));
        Some(if infinite_likelihood >= likelihood {
            VariancePrior { df: EXACT_DF, variance: infinite_scale.exp() }
        } else {
            VariancePrior { df: 10f64.powf(log_df), variance: scale.exp() }
        })
    }

    /// The posterior variance of one estimate `variance` with `df` degrees of freedom, and the
    /// degrees of freedom to test it with.
    pub fn moderate(&self, variance: f64, df: f64) -> (f64, f64) {
        if self.is_exact() {
            return (self.variance, EXACT_DF);
        }
        ((self.df * self.variance + df * variance) / (self.df + df), self.df + df)
    }

    /// Whether the prior is taken as exact: every benchmark gets the suite's variance.
    pub fn is_exact(&self) -> bool {
        self.df >= EXACT_DF
    }
}

/// The maximum of a unimodal `f` on `[low, high]`, by golden-section search (one new
/// evaluation per step).
fn golden_max(mut low: f64, mut high: f64, f: impl Fn(f64) -> f64) -> f64 {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut left, mut right) = (high - ratio * (high - low), low + ratio * (high - low));
    let (mut f_left, mut f_right) = (f(left), f(right));
    for _ in 0..100 {
        if high - low <= 1e-9 * (1.0 + low.abs()) {
            break;
        }
        if f_left >= f_right {
            (high, right, f_right) = (right, left, f_left);
            left = high - ratio * (high - low);
            f_left = f(left);
        } else {
            (low, left, f_left) = (left, right, f_right);
            right = low + ratio * (high - low);
            f_right = f(right);
        }
    }
    (low + high) / 2.0
}

/// The variances of one number of degrees of freedom, as logs.
struct Group {
    df: f64,
    logs: Vec<f64>,
}

fn groups(variances: &[(f64, f64)]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for &(s2, df) in variances {
        match groups.iter_mut().find(|g| g.df == df) {
            Some(group) => group.logs.push(s2.ln()),
            None => groups.push(Group { df, logs: vec![s2.ln()] }),
        }
    }
    groups
}

/// Log-likelihood of the variances under a prior of `exp(log_s0)` with `d0` degrees of freedom
/// (`s^2 / s0^2 ~ F(d, d0)`, or `chi2_d / d` for an infinite `d0`), up to a constant.
fn log_likelihood(groups: &[Group], log_s0: f64, d0: f64) -> f64 {
    groups
        .iter()
        .map(|Group { df: d, logs }| {
            let (half, n) = (d / 2.0, logs.len() as f64);
            let common = n * (half * d.ln() - ln_gamma(half) - log_s0);
            let sum: f64 = if d0.is_infinite() {
                let constant = n * -half * 2f64.ln();
                constant + logs.iter().map(|l| (half - 1.0) * (l - log_s0) - half * (l - log_s0).exp()).sum::<f64>()
            } else {
                let half0 = d0 / 2.0;
                let constant = n * (ln_gamma(half + half0) - ln_gamma(half0) - half * d0.ln());
                let (ratio, weight) = (d / d0, half + half0);
                constant
                    + logs
                        .iter()
                        .map(|l| (half - 1.0) * (l - log_s0) - weight * (ratio * (l - log_s0).exp()).ln_1p())
                        .sum::<f64>()
            };
            common + sum
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1e-300)
    }

    fn fit(variances: &[f64], df: f64) -> VariancePrior {
        VariancePrior::fit(&variances.iter().map(|&s2| (s2, df)).collect::<Vec<_>>()).unwrap()
    }

    /// Against R 4.3's `optim` on `-sum(df(s2 / s0, d, d0, log = TRUE) - log(s0))` (Nelder-Mead,
    /// then BFGS): `c(0.001, 0.1, 0.01, 1, 1e-4, 0.5, 0.05, 0.002)` with d = 1 gives
    /// `s0 = 0.02089474733`, `d0 = 1.05515119507`; `c(0.5, 1, 2, 4, 0.25, 1.5)` with d = 3 runs
    /// `d0` off to 2.6e13 at `s0 = 1.541666688`, the variances' mean.
    #[test]
    fn the_prior_matches_a_direct_maximisation_in_r() {
        let wide = fit(&[0.001, 0.1, 0.01, 1.0, 1e-4, 0.5, 0.05, 0.002], 1.0);
        assert!(close(wide.variance, 0.02089474733, 1e-6) && close(wide.df, 1.05515119507, 1e-6), "{wide:?}");
        let agreeing = fit(&[0.5, 1.0, 2.0, 4.0, 0.25, 1.5], 3.0);
        assert_eq!(agreeing.df, EXACT_DF);
        assert!(close(agreeing.variance, 9.25 / 6.0, 1e-8), "{agreeing:?}");
        assert_eq!(agreeing.moderate(9.0, 3.0), (agreeing.variance, EXACT_DF));
        assert!(VariancePrior::fit(&[(1.0, 1.0), (0.0, 1.0), (f64::NAN, 1.0)]).is_none());
        // The posterior lies between the benchmark's own variance and the prior's.
        let (posterior, df) = wide.moderate(0.5, 1.0);
        assert!(posterior > wide.variance && posterior < 0.5, "{posterior}");
        assert!(close(df, 2.05515119507, 1e-6));
    }

    /// Variances drawn from the model itself: the fit finds the prior it was drawn from.
    #[test]
    fn the_prior_is_recovered_from_its_own_draws() {
        let mut state = 0x5EED_u64;
        let mut normal = || {
            // SplitMix64, then Box-Muller.
            let mut uniform = || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            };
            (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos()
        };
        let (d0, s0) = (8.0, 0.04);
        let variances: Vec<(f64, f64)> = (0..2000)
            .map(|_| {
                // sigma^2 = s0 d0 / chi2_d0, and s^2 = sigma^2 chi2_1: one degree of freedom.
                let chi_d0: f64 = (0..8).map(|_| normal().powi(2)).sum();
                (s0 * d0 / chi_d0 * normal().powi(2), 1.0)
            })
            .collect();
        let prior = VariancePrior::fit(&variances).unwrap();
        assert!((prior.df / d0 - 1.0).abs() < 0.35, "{prior:?}");
        assert!((prior.variance / s0 - 1.0).abs() < 0.15, "{prior:?}");
        // A suite of equal variances is told apart: the prior is exact.
        let equal: Vec<(f64, f64)> = (0..2000).map(|_| (s0 * normal().powi(2), 1.0)).collect();
        let exact = VariancePrior::fit(&equal).unwrap();
        assert!(exact.df > 200.0, "{exact:?}");
    }
}
