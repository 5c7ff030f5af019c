//! github-action-benchmark's custom JSON (`customSmallerIsBetter` / `customBiggerIsBetter`):
//! `[{"name": "...", "unit": "...", "value": 50, "range": "± 5", "extra": "..."}]`. Each entry
//! is a benchmark with one metric, `value`; the file does not say which way is better (the
//! action's tool name does), so smaller is, unless `--higher-is-better value`. The action
//! coerces numbers written as strings, and so does this.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{finite, parse, problem, Format, Options, Problem};
use crate::model::{Benchmark, Better, ImportedFile, Metric, Source, StatedSpread};

/// The metric each entry becomes.
pub const METRIC: &str = "value";

#[derive(Deserialize)]
struct Entry {
    name: String,
    unit: String,
    value: Number,
    /// Free text in the action (`"± 5"`, `"3"`), sometimes a plain number.
    #[serde(default)]
    range: Option<Number>,
}

/// A number, or a string holding one (the action accepts both).
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Number(f64),
    Text(String),
}

pub(super) fn read(text: &str, options: &Options<'_>, notes: &mut Vec<String>) -> Result<Vec<Benchmark>, Problem> {
    let entries: Vec<Entry> = parse(text, Format::Gab)?;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut benchmarks = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = |field: &str| format!("[{index}].{field}");
        if entry.name.trim().is_empty() {
            return Err(problem(at("name"), "an entry needs a name"));
        }
        if let Some(first) = seen.insert(&entry.name, index) {
            return Err(problem(at("name"), format!("`{}` is also [{first}]: names must differ", entry.name)));
        }
        let value = match &entry.value {
            Number::Number(v) => *v,
            Number::Text(text) => {
                text.trim().parse().map_err(|_| problem(at("value"), format!("`{text}` is not a number")))?
            }
        };
        let value = finite(value, &at("value"), "`value`")?;
        let range = entry.range.as_ref().map(|range| match range {
            Number::Number(n) => n.to_string(),
            Number::Text(text) => text.trim().to_owned(),
        });
        let spread = match range.as_deref().filter(|r| !r.is_empty()) {
            None => None,
            Some(range) => {
                let spread = stated_spread(range, value);
                if spread.is_none() {
                    notes.push(format!(
                        "{}: range `{range}` is not `± N`, `+/- N` or `N%`; `{}` is compared without it",
                        at("range"),
                        entry.name
                    ));
                }
                spread
            }
        };
        let metric = Metric::summary(entry.unit.trim(), options.better(METRIC, Better::Lower), value, spread);
        let source = Source::Gab(ImportedFile { file: options.file.to_owned() });
        benchmarks.push(Benchmark {
            id: entry.name.clone(),
            source,
            metrics: BTreeMap::from([(METRIC.to_owned(), metric)]),
        });
    }
    Ok(benchmarks)
}

/// `± 5`, `+/- 5`, `5` (all plus or minus, in the value's unit) or `5%` (of the value).
fn stated_spread(range: &str, value: f64) -> Option<StatedSpread> {
    let plain = range.trim_start_matches('±').trim_start_matches("+/-").trim();
    let (number, percent) = match plain.strip_suffix('%') {
        Some(number) => (number.trim(), true),
        None => (plain, false),
    };
    let number: f64 = number.replace(',', "").parse().ok().filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    let half = if percent { value.abs() * number / 100.0 } else { number };
    Some(StatedSpread {
        lower: value - half,
        upper: value + half,
        stated_as: format!("github-action-benchmark's range `{range}`"),
    })
}
