//! Reports rendered from one view model: `summary.md`, `report.html`, the terminal summary, and
//! `report.json`; and `results.csv` from the report and its results.
//!
//! [`view`] turns a [`crate::report::Report`] and its results into a [`View`] (pure, no I/O, no
//! clock); a [`Renderer`] lays that view out through embedded templates.

mod chart;
mod directions;
mod format;
mod measured;
mod noise;
mod results_csv;
mod slo;
mod templates;
mod trends;
mod view;

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod suite_snapshot_tests;

pub use chart::{ChangeScale, IntervalMark, Mark, Plot, PlotRow, Tick};
pub use format::{single_line, terminal_safe};
pub use results_csv::results_csv;
pub use templates::{json, trends_html, RenderError, Renderer};
pub use trends::{trends_view, TrendsView};
pub use view::{
    view, Chart, ComparisonRow, CountGroup, CountItem, Difference, Field, GateRow, LegendItem, Recent, RunView,
    Sparkline, SuiteShiftView, VerdictView, View,
};
