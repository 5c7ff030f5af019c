//! The view of `trends --html`: one small chart per benchmark, coordinates computed here so
//! that the template only lays them out.

use serde::Serialize;

use super::format;
use crate::history::trends::Trend;

/// The chart's drawing area, in SVG user units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 120.0;
const PAD: f64 = 6.0;

#[derive(Debug, Serialize)]
pub struct TrendsView {
    pub title: String,
    pub charts: Vec<TrendChart>,
}

#[derive(Debug, Serialize)]
pub struct TrendChart {
    pub benchmark: String,
    pub metric: String,
    /// "42 runs, 2026-11-01 to 2026-11-30"
    pub span: String,
    pub change: String,
    pub slope: String,
    pub low: String,
    pub high: String,
    /// SVG path data of the series.
    pub path: String,
    /// The newest value's position, marked.
    pub last: Marker,
    pub steps: Vec<StepMarker>,
}

#[derive(Debug, Serialize)]
pub struct Marker {
    pub x: String,
    pub y: String,
}

#[derive(Debug, Serialize)]
pub struct StepMarker {
    pub x: String,
    pub worse: bool,
    /// "+20.1 % at run 7 (0123456789ab)"
    pub label: String,
}

/// The charts of `trends`, titled `title`.
pub fn trends_view(title: &str, trends: &[Trend]) -> TrendsView {
    TrendsView { title: title.to_owned(), charts: trends.iter().filter(|t| !t.points.is_empty()).map(chart).collect() }
}

fn chart(trend: &Trend) -> TrendChart {
    let values: Vec<f64> = trend.points.iter().map(|p| p.value).filter(|v| v.is_finite()).collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = if high > low { high - low } else { 1.0 };
    let n = trend.points.len();
    let x = |i: usize| {
        PAD + if n > 1 { i as f64 * (WIDTH - 2.0 * PAD) / (n - 1) as f64 } else { (WIDTH - 2.0 * PAD) / 2.0 }
    };
    let y = |v: f64| PAD + (HEIGHT - 2.0 * PAD) * (1.0 - if high > low { (v - low) / range } else { 0.5 });
    let coordinates: Vec<(f64, f64)> =
        trend.points.iter().enumerate().filter(|(_, p)| p.value.is_finite()).map(|(i, p)| (x(i), y(p.value))).collect();
    let path = coordinates
        .iter()
        .enumerate()
        .map(|(i, (px, py))| format!("{}{px:.1} {py:.1}", if i == 0 { "M" } else { " L" }))
        .collect();
    let (lx, ly) = coordinates.last().copied().unwrap_or((x(0), HEIGHT / 2.0));
    let steps = trend
        .steps
        .iter()
        .filter_map(|step| {
            let i = trend.points.iter().position(|p| p.run_id == step.run_id)?;
            let commit = step.commit.as_deref().map(|c| format!(" ({})", c.get(..12).unwrap_or(c))).unwrap_or_default();
            Some(StepMarker {
                x: format!("{:.1}", x(i)),
                worse: step.worse,
                label: format!("{} at run {}{commit}", format::percent_change(step.change_percent), step.run_id),
            })
        })
        .collect();
    let date = |i: usize| trend.points[i].created_at.get(..10).unwrap_or(&trend.points[i].created_at).to_owned();
    TrendChart {
        benchmark: trend.benchmark.clone(),
        metric: trend.metric.clone(),
        span: format!("{n} run{}, {} to {}", if n == 1 { "" } else { "s" }, date(0), date(n - 1)),
        change: trend.change_percent.map_or_else(|| "-".to_owned(), format::percent_change),
        slope: trend
            .slope_percent_per_day
            .map_or_else(|| "-".to_owned(), |s| format!("{} a day", format::percent_change(s))),
        low: format::measurement(low, &trend.unit),
        high: format::measurement(high, &trend.unit),
        path,
        last: Marker { x: format!("{lx:.1}"), y: format!("{ly:.1}") },
        steps,
    }
}
