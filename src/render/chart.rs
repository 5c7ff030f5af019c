//! Strip-plot geometry for the HTML report: scale, ticks, jittered dots and median marks.
//!
//! Every coordinate is computed here and handed to the template as a string with one decimal,
//! so the template only places them. Deterministic: jitter comes from the sample index, and
//! large sample sets are thinned by quantiles, never at random.

use std::fmt::Write as _;

use serde::Serialize;

use super::format;

/// Most dots drawn per row; more add bytes to the file but nothing a reader can see.
pub const MAX_DOTS: usize = 200;

// The SVG viewBox is 560 wide, two charts side by side on a wide screen; row labels sit left
// of the plot area, and the right margin leaves room for half of the last tick label.
const WIDTH: f64 = 560.0;
const LABEL_RIGHT: f64 = 66.0;
const PLOT_LEFT: f64 = 76.0;
const PLOT_RIGHT: f64 = 538.0;
const TOP: f64 = 6.0;
const ROW_PITCH: f64 = 32.0;
const ROW_HEIGHT: f64 = 28.0;
/// Dots spread over this much of the row height, centred.
const JITTER_HEIGHT: f64 = 18.0;
/// Axis ticks a reader can label without crowding at this width.
const TARGET_TICKS: f64 = 5.0;

/// One side of a comparison to draw: which row, and its raw samples.
pub struct Side<'a> {
    /// `baseline` or `current`; also the CSS class of the row.
    pub name: &'static str,
    pub samples: &'a [f64],
    /// The median of all samples, drawn even when dots are thinned.
    pub median: f64,
}

/// A strip plot of one metric: each side's samples on a shared horizontal axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plot {
    pub width: String,
    pub height: String,
    pub label_x: String,
    pub plot_left: String,
    pub plot_right: String,
    pub plot_width: String,
    /// Vertical extent of the grid lines.
    pub grid_top: String,
    pub axis_y: String,
    pub tick_bottom: String,
    pub tick_label_y: String,
    pub ticks: Vec<Tick>,
    pub rows: Vec<PlotRow>,
}

/// An axis tick: position and label in formatted units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub x: String,
    pub label: String,
}

/// One side's row of dots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlotRow {
    /// `baseline` or `current`.
    pub name: &'static str,
    pub band_y: String,
    pub band_height: String,
    pub label_y: String,
    /// The dots as the data of one SVG path (`M{x} {y}h0` per dot): zero-length segments drawn
    /// with round caps. A dot costs ~14 bytes instead of ~40 for a `<circle>`, which keeps large
    /// reports small, and one string instead of a list keeps rendering them cheap.
    pub dots: String,
    pub median: Option<Mark>,
    /// Finite samples the row stands for.
    pub samples: usize,
    /// Dots drawn: `samples`, or [`MAX_DOTS`] when thinned.
    pub shown: usize,
}

/// A vertical marker spanning a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    pub x: String,
    pub y1: String,
    pub y2: String,
}

fn coordinate(x: f64) -> String {
    format!("{:.1}", not_negative_zero(x))
}

/// `{:.1}` prints -0.0 as "-0.0"; coordinates are never meaningfully negative.
fn not_negative_zero(x: f64) -> f64 {
    if x.abs() < 0.05 {
        0.0
    } else {
        x
    }
}

/// Lays out `sides` on one axis in `unit`. `None` when no side has a finite sample.
pub fn strip_plot(sides: &[Side<'_>], unit: &str) -> Option<Plot> {
    let finite: Vec<Vec<f64>> =
        sides.iter().map(|s| s.samples.iter().copied().filter(|x| x.is_finite()).collect()).collect();
    let all = finite.iter().flatten().copied();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let axis = Axis::new(lo, hi);
    let (tick_values, step) = axis.ticks();
    let labels = format::axis_labels(&tick_values, step, unit);
    let ticks = tick_values.iter().zip(labels).map(|(v, label)| Tick { x: coordinate(axis.x(*v)), label }).collect();

    let rows: Vec<PlotRow> = sides
        .iter()
        .zip(&finite)
        .filter(|(_, samples)| !samples.is_empty())
        .enumerate()
        .map(|(index, (side, samples))| row(index, side, samples, &axis))
        .collect();
    let axis_y = TOP + rows.len() as f64 * ROW_PITCH;
    Some(Plot {
        width: coordinate(WIDTH),
        height: coordinate(axis_y + 24.0),
        label_x: coordinate(LABEL_RIGHT),
        plot_left: coordinate(PLOT_LEFT),
        plot_right: coordinate(PLOT_RIGHT),
        plot_width: coordinate(PLOT_RIGHT - PLOT_LEFT),
        grid_top: coordinate(TOP),
        axis_y: coordinate(axis_y),
        tick_bottom: coordinate(axis_y + 4.0),
        tick_label_y: coordinate(axis_y + 17.0),
        ticks,
        rows,
    })
}

fn row(index: usize, side: &Side<'_>, samples: &[f64], axis: &Axis) -> PlotRow {
    let band_y = TOP + index as f64 * ROW_PITCH + (ROW_PITCH - ROW_HEIGHT) / 2.0;
    let centre = band_y + ROW_HEIGHT / 2.0;
    let shown = thin(samples, MAX_DOTS);
    let mut dots = String::with_capacity(shown.len() * 16);
    for (i, &v) in shown.iter().enumerate() {
        let (x, y) = (not_negative_zero(axis.x(v)), not_negative_zero(centre + jitter(i) * JITTER_HEIGHT));
        // Writing to a String cannot fail.
        let _ = write!(dots, "M{x:.1} {y:.1}h0");
    }
    let median = side.median.is_finite().then(|| Mark {
        x: coordinate(axis.x(side.median)),
        y1: coordinate(band_y + 2.0),
        y2: coordinate(band_y + ROW_HEIGHT - 2.0),
    });
    PlotRow {
        name: side.name,
        band_y: coordinate(band_y),
        band_height: coordinate(ROW_HEIGHT),
        label_y: coordinate(centre + 4.0),
        dots,
        median,
        samples: samples.len(),
        shown: shown.len(),
    }
}

/// A vertical offset in [-0.5, 0.5) from the sample index: the golden-ratio sequence spreads
/// consecutive dots apart without any randomness.
fn jitter(index: usize) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_895;
    (index as f64 * GOLDEN).fract() - 0.5
}

/// At most `max` samples standing for `samples`: evenly spaced quantiles of the sorted values,
/// which keep the shape, the minimum and the maximum. Unchanged when already small enough.
pub fn thin(samples: &[f64], max: usize) -> Vec<f64> {
    if samples.len() <= max || max < 2 {
        return samples.to_vec();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = (sorted.len() - 1) as f64;
    (0..max).map(|i| sorted[(i as f64 * last / (max - 1) as f64).round() as usize]).collect()
}

/// The value range drawn and its mapping to x.
struct Axis {
    lo: f64,
    hi: f64,
}

impl Axis {
    /// Data range plus a margin, so extreme dots are not cut by the plot edge.
    fn new(lo: f64, hi: f64) -> Axis {
        // Identical samples still need a width to be drawn in: 2% of the value, centred.
        let margin = if hi > lo {
            (hi - lo) * 0.05
        } else if lo != 0.0 {
            lo.abs() * 0.01
        } else {
            0.5
        };
        let start = lo - margin;
        // Time and rates are never negative; a margin should not invent a negative tick.
        let start = if lo >= 0.0 && start < 0.0 { 0.0 } else { start };
        Axis { lo: start, hi: hi + margin }
    }

    fn x(&self, v: f64) -> f64 {
        PLOT_LEFT + (v - self.lo) / (self.hi - self.lo) * (PLOT_RIGHT - PLOT_LEFT)
    }

    /// Tick values at a 1-2-5 step inside the range, and the step.
    fn ticks(&self) -> (Vec<f64>, f64) {
        let step = nice_step((self.hi - self.lo) / TARGET_TICKS);
        let first = (self.lo / step).ceil() as i64;
        let last = (self.hi / step).floor() as i64;
        // Multiply rather than accumulate, so tick values do not drift.
        ((first..=last).map(|k| k as f64 * step).collect(), step)
    }
}

/// The 1, 2 or 5 times a power of ten nearest above `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10_f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The interval plots of the comparison table: one small SVG per row, all on one percent axis,
/// so a reader compares changes by eye down the column.
///
/// The axis is symmetric-logarithmic, linear within one threshold of zero: a 200% regression
/// and a 2% wobble share a table, and on a linear axis the threshold lines would collapse onto
/// zero. Ticks are labelled with their real percentages.
pub struct ChangeAxis {
    /// Changes up to this size (the threshold) are drawn nearly linearly.
    knee: f64,
    lo: f64,
    hi: f64,
}

// Wide enough to resolve a noise band of one percent next to a threshold of five.
const CHANGE_WIDTH: f64 = 240.0;
// Side margins leave room for half a tick label at either end.
const CHANGE_LEFT: f64 = 16.0;
const CHANGE_RIGHT: f64 = 224.0;
const CHANGE_ROW_HEIGHT: f64 = 18.0;
const CHANGE_AXIS_HEIGHT: f64 = 16.0;
/// Width of one character of a tick label (10px sans-serif, `%` included), and the space between labels.
const CHANGE_CHAR_WIDTH: f64 = 7.0;
const CHANGE_LABEL_SPACE: f64 = 8.0;

/// Least distance between the centres of the tick labels of `a` and `b`.
fn label_gap(a: f64, b: f64) -> f64 {
    let chars = |v: f64| format::axis_percent(v).chars().count() as f64;
    (chars(a) + chars(b)) / 2.0 * CHANGE_CHAR_WIDTH + CHANGE_LABEL_SPACE
}

/// The shared part of every interval plot: size, ticks and the noise band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeScale {
    pub width: String,
    pub row_height: String,
    /// Height of the header SVG that carries the tick labels.
    pub axis_height: String,
    pub label_y: String,
    /// Vertical centre of a row, where the interval bar runs.
    pub mid_y: String,
    pub zero_x: String,
    /// The noise band around no change: `noise_x` to `noise_x + noise_width`.
    pub noise_x: String,
    pub noise_width: String,
    pub ticks: Vec<Tick>,
}

/// One comparison's change and interval on the shared axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalMark {
    pub low_x: String,
    pub high_x: String,
    pub point_x: String,
    /// The comparison's own threshold lines, at minus and plus its threshold.
    pub threshold_low_x: String,
    pub threshold_high_x: String,
}

impl ChangeAxis {
    /// An axis holding every value of `extents` (interval ends, in percent) and both
    /// `threshold` lines. `threshold` also sets the knee of the scale.
    pub fn new(extents: impl IntoIterator<Item = f64>, threshold: f64) -> ChangeAxis {
        let knee = if threshold > 0.0 && threshold.is_finite() { threshold } else { 1.0 };
        let mut axis = ChangeAxis { knee, lo: 0.0, hi: 0.0 };
        let (lo, hi) = extents
            .into_iter()
            .filter(|x| x.is_finite())
            .map(|x| axis.transform(x))
            .fold((axis.transform(-knee), axis.transform(knee)), |(lo, hi), t| (lo.min(t), hi.max(t)));
        // A margin keeps a point at the very end from sitting on the plot edge.
        let margin = (hi - lo) * 0.04;
        (axis.lo, axis.hi) = (lo - margin, hi + margin);
        axis
    }

    fn transform(&self, percent: f64) -> f64 {
        percent.signum() * (percent.abs() / self.knee).ln_1p()
    }

    fn x(&self, percent: f64) -> f64 {
        let t = self.transform(percent).clamp(self.lo, self.hi);
        CHANGE_LEFT + (t - self.lo) / (self.hi - self.lo) * (CHANGE_RIGHT - CHANGE_LEFT)
    }

    /// The shared layout, with the noise band at plus and minus `noise` percent.
    pub fn scale(&self, noise: f64) -> ChangeScale {
        let (noise_low, noise_high) = (self.x(-noise.abs()), self.x(noise.abs()));
        ChangeScale {
            width: coordinate(CHANGE_WIDTH),
            row_height: coordinate(CHANGE_ROW_HEIGHT),
            axis_height: coordinate(CHANGE_AXIS_HEIGHT),
            label_y: coordinate(CHANGE_AXIS_HEIGHT - 4.0),
            mid_y: coordinate(CHANGE_ROW_HEIGHT / 2.0),
            zero_x: coordinate(self.x(0.0)),
            noise_x: coordinate(noise_low),
            noise_width: coordinate(noise_high - noise_low),
            ticks: self
                .tick_values()
                .into_iter()
                .map(|v| Tick { x: coordinate(self.x(v)), label: format::axis_percent(v) })
                .collect(),
        }
    }

    /// Zero and the thresholds, then the 1-2-5 values that leave room for their labels.
    fn tick_values(&self) -> Vec<f64> {
        let magnitudes = (-1..=6).flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10_f64.powi(e)));
        let candidates = [self.knee].into_iter().chain(magnitudes).flat_map(|m| [-m, m]);
        let mut ticks = vec![0.0];
        for value in candidates {
            let t = self.transform(value);
            let fits = ticks.iter().all(|&kept| (self.x(kept) - self.x(value)).abs() >= label_gap(kept, value));
            if (self.lo..=self.hi).contains(&t) && fits {
                ticks.push(value);
            }
        }
        ticks.sort_by(f64::total_cmp);
        ticks
    }

    /// The mark of a change `point` with interval `[low, high]`, judged against `threshold`.
    pub fn mark(&self, [low, high]: [f64; 2], point: f64, threshold: f64) -> IntervalMark {
        IntervalMark {
            low_x: coordinate(self.x(low)),
            high_x: coordinate(self.x(high)),
            point_x: coordinate(self.x(point)),
            threshold_low_x: coordinate(self.x(-threshold)),
            threshold_high_x: coordinate(self.x(threshold)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot(baseline: &[f64], current: &[f64]) -> Plot {
        let sides = [
            Side { name: "baseline", samples: baseline, median: baseline[baseline.len() / 2] },
            Side { name: "current", samples: current, median: current[current.len() / 2] },
        ];
        strip_plot(&sides, "ns").unwrap()
    }

    fn x(text: &str) -> f64 {
        text.parse().unwrap()
    }

    /// The (x, y) text of each dot in a row's path data, `M{x} {y}h0` per dot.
    fn dots(row: &PlotRow) -> Vec<(&str, &str)> {
        let segments: Vec<&str> = row.dots.split('M').skip(1).collect();
        assert_eq!(row.dots.split('M').next(), Some(""), "path data starts with M: {}", row.dots);
        segments
            .iter()
            .map(|segment| segment.strip_suffix("h0").and_then(|xy| xy.split_once(' ')).expect("M{x} {y}h0"))
            .collect()
    }

    #[test]
    fn both_sides_share_one_axis_inside_the_plot_area() {
        let p = plot(&[100.0, 110.0, 120.0], &[200.0, 210.0, 220.0]);
        assert_eq!(p.rows.len(), 2);
        let all: Vec<f64> = p.rows.iter().flat_map(|r| dots(r).into_iter().map(|(cx, _)| x(cx))).collect();
        assert!(all.iter().all(|&cx| (PLOT_LEFT..=PLOT_RIGHT).contains(&cx)), "{all:?}");
        // The smallest baseline dot is left of the smallest current dot.
        assert!(x(dots(&p.rows[0])[0].0) < x(dots(&p.rows[1])[0].0));
        assert!(x(&p.rows[0].median.as_ref().unwrap().x) < x(&p.rows[1].median.as_ref().unwrap().x));
    }

    #[test]
    fn coordinates_have_one_decimal() {
        let p = plot(&[1.0, 2.0, 3.0], &[1.5, 2.5, 3.5]);
        let row = dots(&p.rows[0]);
        assert_eq!(row.len(), 3);
        for (cx, cy) in row {
            assert_eq!(cx.split('.').nth(1).map(str::len), Some(1), "{cx}");
            assert_eq!(cy.split('.').nth(1).map(str::len), Some(1), "{cy}");
        }
    }

    #[test]
    fn ticks_are_labelled_in_a_readable_unit() {
        let p = plot(&[1000.0, 1500.0], &[1800.0, 2000.0]);
        let labels: Vec<&str> = p.ticks.iter().map(|t| t.label.as_str()).collect();
        assert!(labels.len() >= 3, "{labels:?}");
        assert!(labels.iter().all(|l| l.ends_with(" µs")), "{labels:?}");
        let xs: Vec<f64> = p.ticks.iter().map(|t| x(&t.x)).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    }

    #[test]
    fn layout_is_deterministic() {
        assert_eq!(plot(&[1.0, 5.0, 3.0], &[2.0, 2.0]), plot(&[1.0, 5.0, 3.0], &[2.0, 2.0]));
    }

    #[test]
    fn large_sample_sets_are_thinned_by_quantiles() {
        let samples: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64).collect();
        let thinned = thin(&samples, MAX_DOTS);
        assert_eq!(thinned.len(), MAX_DOTS);
        assert_eq!(thinned.first(), Some(&0.0));
        assert_eq!(thinned.last(), Some(&999.0));
        assert!(thinned.windows(2).all(|w| w[0] <= w[1]));
        let p = plot(&samples, &samples);
        assert_eq!((p.rows[0].samples, p.rows[0].shown, dots(&p.rows[0]).len()), (1000, MAX_DOTS, MAX_DOTS));
    }

    #[test]
    fn small_sample_sets_are_kept_in_order() {
        assert_eq!(thin(&[3.0, 1.0, 2.0], MAX_DOTS), [3.0, 1.0, 2.0]);
    }

    #[test]
    fn identical_samples_and_missing_sides_still_draw() {
        let p = strip_plot(&[Side { name: "current", samples: &[5.0, 5.0], median: 5.0 }], "ns").unwrap();
        assert_eq!(p.rows.len(), 1);
        let cx = x(dots(&p.rows[0])[0].0);
        assert!(cx > PLOT_LEFT && cx < PLOT_RIGHT, "{cx}");
        assert!(!p.ticks.is_empty());
    }

    #[test]
    fn non_finite_samples_are_skipped() {
        let p = strip_plot(&[Side { name: "current", samples: &[f64::NAN, 1.0, 2.0], median: 1.5 }], "ns").unwrap();
        assert_eq!(p.rows[0].samples, 2);
        assert!(strip_plot(&[Side { name: "current", samples: &[f64::NAN], median: f64::NAN }], "ns").is_none());
    }

    #[test]
    fn jitter_stays_inside_the_row() {
        assert!((0..1000).map(jitter).all(|j| (-0.5..0.5).contains(&j)));
        assert_ne!(jitter(1), jitter(2));
    }

    #[test]
    fn change_axis_holds_every_interval_and_both_thresholds() {
        let axis = ChangeAxis::new([-3.0, 2.0, 180.0, 199.0], 5.0);
        let scale = axis.scale(1.0);
        let mark = axis.mark([180.0, 199.0], 190.0, 5.0);
        let xs = [&mark.low_x, &mark.point_x, &mark.high_x, &mark.threshold_low_x, &mark.threshold_high_x];
        assert!(xs.iter().all(|v| (CHANGE_LEFT..=CHANGE_RIGHT).contains(&x(v))), "{mark:?}");
        assert!(x(&mark.low_x) < x(&mark.point_x) && x(&mark.point_x) < x(&mark.high_x));
        // The threshold keeps a readable distance from zero next to a 200% change.
        assert!(x(&mark.threshold_high_x) - x(&scale.zero_x) > 20.0, "{mark:?} {scale:?}");
        assert!(x(&scale.noise_width) > 3.0);
    }

    #[test]
    fn change_ticks_are_labelled_and_apart() {
        let scale = ChangeAxis::new([-12.0, 199.0], 5.0).scale(1.0);
        let labels: Vec<&str> = scale.ticks.iter().map(|t| t.label.as_str()).collect();
        assert!(labels.contains(&"0%") && labels.contains(&"+5%") && labels.contains(&"-5%"), "{labels:?}");
        let ticks: Vec<(f64, f64)> = scale.ticks.iter().map(|t| (x(&t.x), t.label.len() as f64)).collect();
        assert!(ticks.windows(2).all(|w| w[1].0 - w[0].0 >= (w[0].1 + w[1].1) / 2.0 * CHANGE_CHAR_WIDTH), "{ticks:?}");
    }
}
