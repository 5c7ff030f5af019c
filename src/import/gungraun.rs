//! gungraun's (formerly iai-callgrind's) machine-readable summary: one `summary.json`
//! (`--save-summary=json`), or `--output-format=json`'s lines, one summary a benchmark.
//! Callgrind's counts are exact, so every metric is deterministic. Schema 7 (gungraun 0.17
//! and later) writes `{"values": {"new": n, "old": n}}`; schemas 5 and 6 (iai-callgrind 0.15
//! and 0.16) `{"metrics": {"Both": [{"Int": new}, {"Int": old}]}}` with `Left` = new. The new
//! value is this run's.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{problem, Problem};
use crate::callgrind;
use crate::model::{Benchmark, GungraunSource, Source};

pub(super) fn read(text: &str, file: &str) -> Result<Vec<Benchmark>, Problem> {
    let summaries: Vec<(String, Value)> = match serde_json::from_str::<Value>(text) {
        Ok(one) => vec![(String::new(), one)],
        Err(_) => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(index, line)| {
                let at = format!("line {}", index + 1);
                serde_json::from_str(line)
                    .map(|value| (format!("{at}, "), value))
                    .map_err(|e| problem(at, format!("not gungraun's format: one JSON summary a line ({e})")))
            })
            .collect::<Result<_, _>>()?,
    };
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for (at, summary) in &summaries {
        let benchmark = benchmark(summary, at, file)?;
        if benchmarks.iter().any(|b| b.id == benchmark.id) {
            return Err(problem(format!("{at}module_path"), format!("`{}` is summarised twice", benchmark.id)));
        }
        benchmarks.push(benchmark);
    }
    Ok(benchmarks)
}

fn benchmark(summary: &Value, at: &str, file: &str) -> Result<Benchmark, Problem> {
    let text = |key: &str| summary.get(key).and_then(Value::as_str);
    let version =
        text("version").ok_or_else(|| problem(format!("{at}version"), "not gungraun's summary: it has a `version`"))?;
    if !matches!(version, "5" | "6" | "7") {
        return Err(problem(
            format!("{at}version"),
            format!("summary schema {version}: import reads versions 5 to 7 (iai-callgrind 0.15 to gungraun 0.19)"),
        ));
    }
    let module_path = text("module_path").filter(|p| !p.is_empty()).ok_or_else(|| {
        problem(format!("{at}module_path"), "not gungraun's summary: it names the benchmark in `module_path`")
    })?;
    let id = match text("id") {
        Some(case) if !case.is_empty() => format!("{module_path}.{case}"),
        _ => module_path.to_owned(),
    };
    let events = callgrind_total(summary)
        .ok_or_else(|| problem(format!("{at}profiles"), "no Callgrind totals: run the benchmark with callgrind"))?;
    let mut counts = BTreeMap::new();
    for (event, entry) in events {
        // Rates (`L1HitRate`) and other derived figures are not counts.
        if !callgrind::EVENTS.iter().any(|(name, _, _)| name == event) {
            continue;
        }
        let value = new_value(entry).ok_or_else(|| {
            problem(format!("{at}profiles.Callgrind.total.{event}"), "not gungraun's format: no new count")
        })?;
        counts.insert(event.clone(), value);
    }
    let metrics = callgrind::metrics(&counts);
    if !metrics.contains_key("instructions") {
        return Err(problem(format!("{at}profiles"), "Callgrind's totals have no `Ir` (instructions)"));
    }
    let source = Source::Gungraun(GungraunSource {
        file: file.to_owned(),
        schema_version: version.to_owned(),
        module_path: module_path.to_owned(),
    });
    Ok(Benchmark { id, source, metrics })
}

/// The Callgrind profile's total events by name, in any schema from 5 to 7.
fn callgrind_total(summary: &Value) -> Option<&Map<String, Value>> {
    let profile = summary.get("profiles")?.as_array()?.iter().find(|p| {
        let tool = p.get("tool");
        tool.and_then(Value::as_str) == Some("Callgrind") || tool.and_then(|t| t.get("Callgrind")).is_some()
    })?;
    let total = profile.get("data").or_else(|| profile.get("summaries"))?.get("total")?;
    let candidates =
        [total.get("metrics"), total.get("summary").and_then(|s| s.get("Callgrind")), total.get("summary")];
    candidates.into_iter().flatten().filter_map(Value::as_object).find(|m| m.contains_key("Ir"))
}

/// This run's count of one event: v7's `values.new`, v5/v6's `metrics.Left` or `Both[0]`.
fn new_value(entry: &Value) -> Option<f64> {
    if let Some(values) = entry.get("values") {
        return number(values.get("new")?);
    }
    let metrics = entry.get("metrics")?;
    match (metrics.get("Left"), metrics.get("Both")) {
        (Some(new), _) => number(new),
        (_, Some(both)) => number(both.get(0)?),
        _ => None,
    }
}

/// A JSON number, or v5/v6's `{"Int": n}` / `{"Float": x}`.
fn number(value: &Value) -> Option<f64> {
    let value = value.get("Int").or_else(|| value.get("Float")).unwrap_or(value);
    value.as_f64().filter(|v| v.is_finite() && *v >= 0.0)
}
