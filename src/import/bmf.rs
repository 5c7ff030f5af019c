//! Bencher Metric Format: `{"<benchmark>": {"<measure>": {"value": 88.0, "lower_value": 87.4,
//! "upper_value": 88.9}}}` (bencher.dev/bmf.json). Each measure becomes a metric of that name,
//! except Bencher's `latency`, which is criterion's `time` (ns); its value is one summary, with
//! the stated bounds when the file has them; the instruction-count measures of Bencher's
//! callgrind adapters are exact.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{finite, parse, problem, Format, Options, Problem};
use crate::metric_name::RECORDED;
use crate::model::{Benchmark, Better, ImportedFile, Metric, Source, StatedSpread, TIME_METRIC};

/// Bencher's suffix that keeps a benchmark out of its alerts.
const IGNORE_SUFFIX: &str = "-bencher-ignore";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Value {
    value: f64,
    #[serde(default)]
    lower_value: Option<f64>,
    #[serde(default)]
    upper_value: Option<f64>,
}

/// Bencher's built-in and adapter measures: the metric, its unit, its direction, and whether
/// it is exact. A measure named as a metric perf-gate records (`p95_ms`, `rps`, as `export
/// --format bmf` writes them) takes that metric's unit and direction.
fn measure(name: &str) -> (&str, &str, Better, bool) {
    match name {
        "latency" => (TIME_METRIC, "ns", Better::Lower, false),
        "throughput" => ("throughput", "ops/s", Better::Higher, false),
        "instructions" => ("instructions", "instructions", Better::Lower, true),
        "estimated-cycles" => ("estimated_cycles", "cycles", Better::Lower, true),
        "cycles" => (name, "cycles", Better::Lower, true),
        "l1-accesses" | "l2-accesses" | "ram-accesses" | "total-accesses" => (name, "accesses", Better::Lower, true),
        "file-size" => (name, "bytes", Better::Lower, false),
        "build-time" => (name, "s", Better::Lower, false),
        other => match RECORDED.iter().find(|(known, _, _)| *known == other) {
            Some((known, unit, better)) => (known, unit, *better, false),
            None => (other, other, Better::Lower, false),
        },
    }
}

pub(super) fn read(text: &str, options: &Options<'_>, notes: &mut Vec<String>) -> Result<Vec<Benchmark>, Problem> {
    let file: BTreeMap<String, BTreeMap<String, Value>> = parse(text, Format::Bmf)?;
    let mut ignored = Vec::new();
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for (name, measures) in file {
        let (id, ignore) = match name.strip_suffix(IGNORE_SUFFIX) {
            Some(id) => (id.to_owned(), true),
            None => (name.clone(), false),
        };
        if id.trim().is_empty() {
            return Err(problem(name, "a benchmark needs a name"));
        }
        if benchmarks.iter().any(|b| b.id == id) {
            return Err(problem(name, format!("`{id}` is named twice, with and without `{IGNORE_SUFFIX}`")));
        }
        if measures.is_empty() {
            return Err(problem(name, "a benchmark needs at least one measure"));
        }
        let mut metrics = BTreeMap::new();
        for (measure_name, value) in measures {
            let at = format!("{name}.{measure_name}");
            let mut metric = metric(&measure_name, &value, &at, options)?;
            metric.compared &= !ignore;
            metrics.insert(measure(&measure_name).0.to_owned(), metric);
        }
        if ignore {
            ignored.push(id.clone());
        }
        let source = Source::Bmf(ImportedFile { file: options.file.to_owned() });
        benchmarks.push(Benchmark { id, source, metrics });
    }
    if !ignored.is_empty() {
        notes.push(format!(
            "{} named with `{IGNORE_SUFFIX}`: gated, not compared ({})",
            ignored.len(),
            ignored.join(", ")
        ));
    }
    benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(benchmarks)
}

fn metric(name: &str, value: &Value, at: &str, options: &Options<'_>) -> Result<Metric, Problem> {
    if name.trim().is_empty() {
        return Err(problem(at, "a measure needs a name"));
    }
    let (metric_name, unit, default, exact) = measure(name);
    let better = options.better(metric_name, default);
    let v = finite(value.value, &format!("{at}.value"), "`value`")?;
    let bound = |bound: Option<f64>, field: &str| -> Result<Option<f64>, Problem> {
        bound.map(|b| finite(b, &format!("{at}.{field}"), &format!("`{field}`"))).transpose()
    };
    let (lower, upper) = (bound(value.lower_value, "lower_value")?, bound(value.upper_value, "upper_value")?);
    if lower.is_some_and(|l| l > v) || upper.is_some_and(|u| u < v) {
        return Err(problem(at, "`lower_value` <= `value` <= `upper_value` is needed"));
    }
    if exact && lower.is_none() && upper.is_none() {
        return Ok(Metric::deterministic(unit, better, v));
    }
    let spread = (lower.is_some() || upper.is_some()).then(|| StatedSpread {
        lower: lower.unwrap_or(v),
        upper: upper.unwrap_or(v),
        stated_as: "BMF's lower_value and upper_value".to_owned(),
    });
    Ok(Metric::summary(unit, better, v, spread))
}
