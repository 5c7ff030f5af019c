//! `trends`: a benchmark's series of recorded values over time, its slope and change over the
//! period, and the steps in it (pure). The method is in docs/history-format.md ("trends").

use serde::Serialize;

use crate::model::Better;
use crate::stats;

/// Points on each side of a candidate step that are compared.
const STEP_WINDOW: usize = 3;
/// How many noise scales a step must clear, besides the threshold.
const STEP_NOISE_SCALES: f64 = 3.0;
/// Points at each end whose median is the period's start and end value.
const END_POINTS: usize = 3;

/// One recorded run's value of the metric: the median of its samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub run_id: i64,
    pub created_at: String,
    pub commit: Option<String>,
    pub value: f64,
}

/// A lasting change in a series: the median of the `STEP_WINDOW` points from `run_id` on
/// against that of the ones before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The first run after the step.
    pub run_id: i64,
    pub created_at: String,
    pub commit: Option<String>,
    pub before: f64,
    pub after: f64,
    pub change_percent: f64,
    /// Whether the step went the worse way for the metric.
    pub worse: bool,
}

/// One benchmark's metric over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub benchmark: String,
    pub metric: String,
    pub unit: String,
    pub better: Better,
    /// Oldest first.
    pub points: Vec<Point>,
    /// Theil-Sen slope of the values' logarithm against time, in percent per day; `None`
    /// with fewer than two points in time.
    pub slope_percent_per_day: Option<f64>,
    /// The median of the last `END_POINTS` values against that of the first ones, in percent.
    pub change_percent: Option<f64>,
    pub steps: Vec<Step>,
}

impl Trend {
    /// The trend of `points` (oldest first); `threshold_percent` is the smallest step that
    /// counts, as the regression threshold is the smallest change.
    pub fn new(
        (benchmark, metric, unit, better): (String, String, String, Better),
        points: Vec<Point>,
        threshold_percent: f64,
    ) -> Trend {
        let values: Vec<f64> = points.iter().map(|p| p.value).collect();
        let usable = values.iter().all(|v| v.is_finite() && *v > 0.0);
        let change_percent = (usable && values.len() >= 2).then(|| {
            let ends = END_POINTS.min(values.len() / 2).max(1);
            let first = stats::median(&values[..ends]);
            let last = stats::median(&values[values.len() - ends..]);
            (last / first - 1.0) * 100.0
        });
        let slope_percent_per_day = if usable { slope(&points) } else { None };
        let steps = if usable { steps(&points, threshold_percent, better) } else { Vec::new() };
        Trend { benchmark, metric, unit, better, points, slope_percent_per_day, change_percent, steps }
    }
}

/// Days since the epoch of an RFC 3339 time; `None` when it does not parse.
fn days(created_at: &str) -> Option<f64> {
    let time = humantime::parse_rfc3339_weak(created_at).ok()?;
    Some(time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64() / 86_400.0)
}

/// Theil-Sen's pairs grow with the square of the points: a longer series is first binned into
/// this many points (each bin's mean time and median value), which keeps the estimate robust
/// and a year of daily runs of a thousand benchmarks under a second.
const SLOPE_POINTS: usize = 128;

/// The median of the pairwise slopes of ln(value) against time (Theil-Sen: robust to a few odd
/// runs), as percent per day.
fn slope(points: &[Point]) -> Option<f64> {
    let xy: Vec<(f64, f64)> = points.iter().filter_map(|p| Some((days(&p.created_at)?, p.value.ln()))).collect();
    let bin = xy.len().div_ceil(SLOPE_POINTS).max(1);
    let xy: Vec<(f64, f64)> = xy
        .chunks(bin)
        .map(|chunk| {
            let x = chunk.iter().map(|(x, _)| x).sum::<f64>() / chunk.len() as f64;
            (x, stats::median(&chunk.iter().map(|(_, y)| *y).collect::<Vec<_>>()))
        })
        .collect();
    let mut slopes = Vec::new();
    for (i, (x1, y1)) in xy.iter().enumerate() {
        for (x2, y2) in &xy[i + 1..] {
            if (x2 - x1).abs() > 1e-9 {
                slopes.push((y2 - y1) / (x2 - x1));
            }
        }
    }
    (!slopes.is_empty()).then(|| (stats::median(&slopes).exp() - 1.0) * 100.0)
}

/// Steps: at each point with `STEP_WINDOW` points on either side, the median of the ones from
/// it on against the median of the ones before; a step when that log-ratio is beyond both the
/// threshold and `STEP_NOISE_SCALES` times the noise of a window's median, estimated from the
/// successive differences of the whole series (robustly, so the steps themselves do not
/// inflate it). Of adjacent candidates only the largest is kept.
fn steps(points: &[Point], threshold_percent: f64, better: Better) -> Vec<Step> {
    let w = STEP_WINDOW;
    if points.len() < 2 * w {
        return Vec::new();
    }
    let logs: Vec<f64> = points.iter().map(|p| p.value.ln()).collect();
    let differences: Vec<f64> = logs.windows(2).map(|pair| pair[1] - pair[0]).collect();
    // A difference of two points has twice a point's variance.
    let point_noise = stats::mad(&differences) / std::f64::consts::SQRT_2;
    // The difference of two medians of w points: about 1.25 / sqrt(w) of a point's noise each.
    let window_noise = point_noise * 1.2533 * (2.0 / w as f64).sqrt();
    let bar = (1.0 + threshold_percent / 100.0).ln().max(STEP_NOISE_SCALES * window_noise);
    let shift = |i: usize| stats::median(&logs[i..i + w]) - stats::median(&logs[i - w..i]);
    let candidates: Vec<(usize, f64)> =
        (w..=points.len() - w).map(|i| (i, shift(i))).filter(|(_, s)| s.abs() > bar).collect();
    let mut kept: Vec<(usize, f64)> = Vec::new();
    for (i, s) in candidates {
        match kept.last_mut() {
            // Adjacent candidates of one sign are one step, seen from several places.
            Some(last) if i - last.0 < w && last.1.signum() == s.signum() => {
                if s.abs() > last.1.abs() {
                    *last = (i, s);
                }
            }
            _ => kept.push((i, s)),
        }
    }
    kept.into_iter()
        .map(|(i, s)| {
            let before = stats::median(&points[i - w..i].iter().map(|p| p.value).collect::<Vec<_>>());
            let after = stats::median(&points[i..i + w].iter().map(|p| p.value).collect::<Vec<_>>());
            let worse = match better {
                Better::Lower => s > 0.0,
                Better::Higher => s < 0.0,
            };
            let point = &points[i];
            Step {
                run_id: point.run_id,
                created_at: point.created_at.clone(),
                commit: point.commit.clone(),
                before,
                after,
                change_percent: (after / before - 1.0) * 100.0,
                worse,
            }
        })
        .collect()
}

/// `trends` as `format` prints them: per benchmark its runs, first and last value, change,
/// slope and steps (JSON: every point too).
pub fn format_trends(trends: &[Trend], format: super::Format) -> String {
    const HEADER: [&str; 7] = ["benchmark", "runs", "first", "last", "change", "slope/day", "steps"];
    let percent = |value: Option<f64>| value.map(|v| format!("{v:+.1}%")).unwrap_or_else(|| "-".to_owned());
    let cells = |trend: &Trend| {
        let value = |point: Option<&Point>| point.map(|p| format!("{:.6} {}", p.value, trend.unit)).unwrap_or_default();
        let steps: Vec<String> = trend
            .steps
            .iter()
            .map(|s| format!("{:+.1}% at run {}{}", s.change_percent, s.run_id, if s.worse { " (worse)" } else { "" }))
            .collect();
        [
            trend.benchmark.clone(),
            trend.points.len().to_string(),
            value(trend.points.first()),
            value(trend.points.last()),
            percent(trend.change_percent),
            percent(trend.slope_percent_per_day),
            steps.join("; "),
        ]
    };
    match format {
        super::Format::Json => {
            let mut text = serde_json::to_string_pretty(trends).unwrap_or_default();
            text.push('\n');
            text
        }
        super::Format::Csv => std::iter::once(HEADER.map(str::to_owned))
            .chain(trends.iter().map(|trend| {
                let mut row = cells(trend);
                row[0] = crate::csv::text(&row[0]);
                row
            }))
            .map(|row| super::csv_line(&row))
            .collect(),
        super::Format::Table => super::table(&HEADER, &super::safe_rows(trends.iter().map(cells))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| Point {
                run_id: i as i64 + 1,
                created_at: format!("2026-11-{:02}T00:00:00Z", i + 1),
                commit: Some(format!("c{}", i + 1)),
                value,
            })
            .collect()
    }

    fn trend(values: &[f64]) -> Trend {
        let key = ("a".to_owned(), "time".to_owned(), "ns".to_owned(), Better::Lower);
        Trend::new(key, series(values), 5.0)
    }

    #[test]
    fn a_lasting_jump_is_one_step_where_it_happened_and_noise_is_none() {
        // 2 % noise, then +20 % from the 7th run on.
        let noise = [1.0, 1.02, 0.99, 1.01, 0.98, 1.0, 1.02, 0.99, 1.01, 1.0, 0.98, 1.02];
        let values: Vec<f64> = noise.iter().enumerate().map(|(i, n)| n * if i >= 6 { 120.0 } else { 100.0 }).collect();
        let t = trend(&values);
        assert_eq!(t.steps.len(), 1, "{:?}", t.steps);
        let step = &t.steps[0];
        assert_eq!((step.run_id, step.commit.as_deref(), step.worse), (7, Some("c7"), true));
        assert!((step.change_percent - 20.0).abs() < 3.0, "{step:?}");
        assert!((t.change_percent.unwrap() - 20.0).abs() < 3.0, "{t:?}");
        let quiet = trend(&noise.map(|n| n * 100.0));
        assert!(quiet.steps.is_empty(), "{:?}", quiet.steps);
        assert!(quiet.change_percent.unwrap().abs() < 3.0);
    }

    #[test]
    fn one_odd_run_is_not_a_step_and_a_drift_has_a_slope() {
        let mut values = vec![100.0; 12];
        values[5] = 160.0;
        assert!(trend(&values).steps.is_empty());
        // +1 % a day, compounding.
        let drift: Vec<f64> = (0..10).map(|i| 100.0 * 1.01f64.powi(i)).collect();
        let t = trend(&drift);
        assert!((t.slope_percent_per_day.unwrap() - 1.0).abs() < 1e-6, "{t:?}");
        // A long series is binned first, and says the same.
        let long: Vec<Point> = (0..1000)
            .map(|i| Point {
                run_id: i,
                created_at: humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000 + i as u64 * 3600),
                )
                .to_string(),
                commit: None,
                value: 100.0 * 1.01f64.powf(i as f64 / 24.0) * if i % 7 == 0 { 1.5 } else { 1.0 },
            })
            .collect();
        let key = ("a".to_owned(), "time".to_owned(), "ns".to_owned(), Better::Lower);
        let hourly = Trend::new(key, long, 5.0);
        assert!((hourly.slope_percent_per_day.unwrap() - 1.0).abs() < 0.05, "{:?}", hourly.slope_percent_per_day);
        // A faster throughput is no worse.
        let key = ("a".to_owned(), "throughput".to_owned(), "B/s".to_owned(), Better::Higher);
        let faster: Vec<f64> = (0..12).map(|i| if i >= 6 { 150.0 } else { 100.0 }).collect();
        let up = Trend::new(key, series(&faster), 5.0);
        assert_eq!(up.steps.len(), 1);
        assert!(!up.steps[0].worse);
    }

    #[test]
    fn short_or_unusable_series_have_no_figures_but_keep_their_points() {
        let one = trend(&[100.0]);
        assert_eq!((one.slope_percent_per_day, one.change_percent, one.steps.len()), (None, None, 0));
        let broken = trend(&[100.0, f64::NAN, 100.0, 100.0, 100.0, 100.0]);
        assert_eq!((broken.change_percent, broken.points.len()), (None, 6));
    }
}
