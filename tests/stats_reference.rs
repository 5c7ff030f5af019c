//! `src/stats.rs` against reference vectors from an independent implementation (scipy, numpy,
//! statsmodels), to 1e-9 relative.
//!
//! The committed `tests/reference/vectors.json` IS the reference: these tests only read it, and
//! CI (which has no scipy) never runs the generator. To regenerate it after changing the cases:
//!
//! ```text
//! pip install scipy statsmodels   # scipy >= 1.11
//! python3 tests/reference/make_vectors.py
//! ```
//!
//! The file records the seed and the python/numpy/scipy/statsmodels versions that produced it;
//! `make_vectors.py` documents the conventions (sign of t, null for p-values below 1e-308, and
//! samples kept to 12 significant digits so that serde_json reads back the exact doubles).

use std::path::PathBuf;

use cargo_perf_gate::stats::{self, Summary, TTest, TestError};
use serde::Deserialize;

/// Relative tolerance of every comparison.
const TOLERANCE: f64 = 1e-9;

/// Both values below this count as equal ("zero" to the precision a double carries).
const NEGLIGIBLE: f64 = 1e-300;

#[derive(Deserialize)]
struct Vectors {
    generator: Generator,
    welch: Vec<TwoSampleCase>,
    yuen: Vec<TwoSampleCase>,
    paired: Vec<PairedCase>,
    adjustments: Vec<AdjustmentCase>,
    summary: Vec<SummaryCase>,
    errors: Vec<ErrorCase>,
    t_quantile: Vec<QuantileRow>,
    normal_sf: Vec<NormalSfRow>,
}

#[derive(Deserialize)]
struct Generator {
    script: String,
    seed: u64,
    numpy: String,
    scipy: String,
    statsmodels: String,
    cases: usize,
    table_rows: usize,
}

/// What scipy says about one t-test. A `None` p-value was below the smallest normal double.
#[derive(Deserialize)]
struct Expected {
    t: f64,
    df: f64,
    p_two_sided: Option<f64>,
    p_greater: Option<f64>,
    p_less: Option<f64>,
    difference: f64,
    standard_error: f64,
    intervals: Vec<Interval>,
    mdd: Mdd,
}

#[derive(Deserialize)]
struct Interval {
    confidence: f64,
    low: f64,
    high: f64,
}

#[derive(Deserialize)]
struct Mdd {
    alpha: f64,
    power: f64,
    value: f64,
}

#[derive(Deserialize)]
struct TwoSampleCase {
    name: String,
    baseline: Vec<f64>,
    current: Vec<f64>,
    /// Only for Yuen's test.
    trim: Option<f64>,
    #[serde(flatten)]
    expected: Expected,
}

#[derive(Deserialize)]
struct PairedCase {
    name: String,
    differences: Vec<f64>,
    #[serde(flatten)]
    expected: Expected,
}

#[derive(Deserialize)]
struct AdjustmentCase {
    name: String,
    p: Vec<f64>,
    holm: Vec<f64>,
    bh: Vec<f64>,
}

#[derive(Deserialize)]
struct SummaryCase {
    name: String,
    samples: Vec<f64>,
    n: usize,
    mean: f64,
    median: f64,
    std_dev: f64,
    min: f64,
    max: f64,
    p95: f64,
    mad: f64,
}

#[derive(Deserialize)]
struct ErrorCase {
    name: String,
    test: String,
    error: String,
    #[serde(default)]
    baseline: Vec<f64>,
    #[serde(default)]
    current: Vec<f64>,
    trim: Option<f64>,
    #[serde(default)]
    differences: Vec<f64>,
}

#[derive(Deserialize)]
struct QuantileRow {
    p: f64,
    /// `None` is infinite: the normal distribution.
    df: Option<f64>,
    quantile: f64,
    /// df > 800, where statrs' inverse CDF is known to lose precision.
    large_df: bool,
}

#[derive(Deserialize)]
struct NormalSfRow {
    z: f64,
    sf: f64,
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/vectors.json")
}

fn vectors() -> Vectors {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Strict relative comparison: within `TOLERANCE` of the larger magnitude, or both negligible.
/// Equal infinities compare equal; NaN never does.
fn close(got: f64, expected: f64) -> bool {
    got == expected
        || (got - expected).abs() <= TOLERANCE * got.abs().max(expected.abs())
        || (got.abs() < NEGLIGIBLE && expected.abs() < NEGLIGIBLE)
}

/// Collects every mismatch, so that one run reports all of them with their case names.
#[derive(Default)]
struct Mismatches(Vec<String>);

impl Mismatches {
    fn check(&mut self, case: &str, field: &str, got: f64, expected: f64) {
        if !close(got, expected) {
            let relative = (got - expected).abs() / got.abs().max(expected.abs());
            self.0.push(format!("{case}: {field}: got {got:e}, expected {expected:e} (relative error {relative:.1e})"));
        }
    }

    /// A p-value that scipy could represent must match; one it could not (null) must be
    /// negligible here too.
    fn check_p(&mut self, case: &str, field: &str, got: f64, expected: Option<f64>) {
        match expected {
            Some(expected) => self.check(case, field, got, expected),
            None if (0.0..NEGLIGIBLE).contains(&got) => {}
            None => self.0.push(format!("{case}: {field}: got {got:e}, expected below {NEGLIGIBLE:e}")),
        }
    }

    fn check_test(&mut self, case: &str, got: Result<TTest, TestError>, expected: &Expected) {
        let got = match got {
            Ok(got) => got,
            Err(e) => return self.0.push(format!("{case}: got Err({e:?}), expected t = {}", expected.t)),
        };
        self.check(case, "t", got.t, expected.t);
        self.check(case, "df", got.df, expected.df);
        self.check_p(case, "p_two_sided", got.p_two_sided, expected.p_two_sided);
        self.check_p(case, "p_greater", got.p_greater, expected.p_greater);
        self.check_p(case, "p_less", got.p_less, expected.p_less);
        self.check(case, "difference", got.difference, expected.difference);
        self.check(case, "standard_error", got.standard_error, expected.standard_error);
        for interval in &expected.intervals {
            let (low, high) = got.interval(interval.confidence);
            self.check(case, &format!("interval({}).low", interval.confidence), low, interval.low);
            self.check(case, &format!("interval({}).high", interval.confidence), high, interval.high);
        }
        let mdd = got.minimum_detectable_difference(expected.mdd.alpha, expected.mdd.power);
        self.check(case, "minimum_detectable_difference", mdd, expected.mdd.value);
    }

    fn check_vec(&mut self, case: &str, field: &str, got: &[f64], expected: &[f64]) {
        if got.len() != expected.len() {
            return self.0.push(format!("{case}: {field}: got {} values, expected {}", got.len(), expected.len()));
        }
        for (i, (&got, &expected)) in got.iter().zip(expected).enumerate() {
            self.check(case, &format!("{field}[{i}]"), got, expected);
        }
    }

    fn assert_none(self, checked: usize) {
        assert!(checked > 0, "no cases checked");
        assert!(self.0.is_empty(), "{} mismatches in {checked} cases:\n{}", self.0.len(), self.0.join("\n"));
    }
}

#[test]
fn vectors_are_committed_and_self_describing() {
    // The reference is the committed file, not a run of the script: CI has no scipy.
    let vectors = vectors();
    let generator = &vectors.generator;
    assert_eq!(generator.script, "tests/reference/make_vectors.py");
    assert!(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(&generator.script).is_file());
    assert!(generator.seed > 0);
    for version in [&generator.numpy, &generator.scipy, &generator.statsmodels] {
        assert!(version.chars().next().is_some_and(|c| c.is_ascii_digit()), "version {version:?}");
    }
    let counted = vectors.welch.len()
        + vectors.yuen.len()
        + vectors.paired.len()
        + vectors.adjustments.len()
        + vectors.summary.len()
        + vectors.errors.len();
    assert_eq!(generator.cases, counted, "the generator's case count");
    assert_eq!(generator.table_rows, vectors.t_quantile.len() + vectors.normal_sf.len());
    assert!(vectors.yuen.iter().all(|case| case.trim.is_some()), "every Yuen case has a trim");
    assert!(vectors.welch.iter().all(|case| case.trim.is_none()), "no Welch case has a trim");
}

#[test]
fn welch_matches_scipy() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for case in &vectors.welch {
        let name = format!("welch/{}", case.name);
        mismatches.check_test(&name, stats::welch(&case.baseline, &case.current), &case.expected);
    }
    mismatches.assert_none(vectors.welch.len());
}

#[test]
fn yuen_matches_scipy() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for case in &vectors.yuen {
        let name = format!("yuen/{}", case.name);
        let trim = case.trim.expect("Yuen cases have a trim");
        mismatches.check_test(&name, stats::yuen(&case.baseline, &case.current, trim), &case.expected);
    }
    mismatches.assert_none(vectors.yuen.len());
}

#[test]
fn paired_matches_scipy() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for case in &vectors.paired {
        let name = format!("paired/{}", case.name);
        mismatches.check_test(&name, stats::paired(&case.differences), &case.expected);
    }
    mismatches.assert_none(vectors.paired.len());
}

#[test]
fn adjustments_match_statsmodels() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for case in &vectors.adjustments {
        let name = format!("adjustments/{}", case.name);
        mismatches.check_vec(&name, "holm", &stats::holm(&case.p), &case.holm);
        mismatches.check_vec(&name, "benjamini_hochberg", &stats::benjamini_hochberg(&case.p), &case.bh);
    }
    mismatches.assert_none(vectors.adjustments.len());
}

#[test]
fn summaries_match_numpy() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for case in &vectors.summary {
        let name = format!("summary/{}", case.name);
        let summary = Summary::of(&case.samples);
        if summary.n != case.n {
            mismatches.0.push(format!("{name}: n: got {}, expected {}", summary.n, case.n));
        }
        mismatches.check(&name, "mean", summary.mean, case.mean);
        mismatches.check(&name, "median", summary.median, case.median);
        mismatches.check(&name, "std_dev", summary.std_dev, case.std_dev);
        mismatches.check(&name, "min", summary.min, case.min);
        mismatches.check(&name, "max", summary.max, case.max);
        mismatches.check(&name, "p95", summary.p95, case.p95);
        mismatches.check(&name, "median()", stats::median(&case.samples), case.median);
        mismatches.check(&name, "mad()", stats::mad(&case.samples), case.mad);
    }
    mismatches.assert_none(vectors.summary.len());
}

#[test]
fn inputs_without_an_answer_are_errors() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for case in &vectors.errors {
        let got = match case.test.as_str() {
            "welch" => stats::welch(&case.baseline, &case.current),
            "yuen" => stats::yuen(&case.baseline, &case.current, case.trim.expect("Yuen cases have a trim")),
            "paired" => stats::paired(&case.differences),
            other => panic!("errors/{}: unknown test {other:?}", case.name),
        };
        match got {
            Err(e) if format!("{e:?}") == case.error => {}
            got => mismatches.0.push(format!("errors/{}: got {got:?}, expected Err({})", case.name, case.error)),
        }
    }
    mismatches.assert_none(vectors.errors.len());
}

fn check_quantiles(large_df: bool) {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    let rows: Vec<&QuantileRow> = vectors.t_quantile.iter().filter(|row| row.large_df == large_df).collect();
    for row in &rows {
        let df = row.df.unwrap_or(f64::INFINITY);
        mismatches.check(
            &format!("t_quantile/p={},df={df}", row.p),
            "quantile",
            stats::t_quantile(row.p, df),
            row.quantile,
        );
    }
    mismatches.assert_none(rows.len());
}

#[test]
fn t_quantile_matches_scipy() {
    check_quantiles(false);
}

/// df > 800, where `t_quantile` uses a Cornish-Fisher expansion instead of statrs 0.19's inverse
/// CDF (off by 2.8e-9 to 1.1e-8 relative from df ~805 to 9999, 9e-4 at df = 1e6, and no result
/// at all from df ~2e7).
#[test]
fn t_quantile_matches_scipy_at_large_df() {
    check_quantiles(true);
}

#[test]
fn normal_sf_matches_scipy() {
    let vectors = vectors();
    let mut mismatches = Mismatches::default();
    for row in &vectors.normal_sf {
        mismatches.check(&format!("normal_sf/z={}", row.z), "sf", stats::normal_sf(row.z), row.sf);
    }
    mismatches.assert_none(vectors.normal_sf.len());
}
