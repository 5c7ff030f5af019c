//! k6's end-of-test summary: `k6 run --summary-export FILE` (each metric's statistics on the
//! metric itself: `{"avg": .., "p(95)": .., "thresholds": {"p(95)<500": false}}`, the boolean
//! answering "crossed?") or the JSON of `handleSummary`'s data (`{"type": "trend", "values":
//! {..}, "thresholds": {"p(95)<500": {"ok": true}}}`). Times are in milliseconds. A file is one
//! run of one script: one benchmark, named by `--name`. Its metrics take the names a service
//! scenario records, so the same gates and SLOs apply; each is one summary without a spread.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{problem, Options, Problem};
use crate::model::{Benchmark, Better, LoadImport, Metric, Source};

/// k6's trend statistics and the metrics they become; the median and the highest percentile
/// present are compared, as a service's p50 and p99 are.
const LATENCIES: [(&str, &str); 6] = [
    ("med", "p50_ms"),
    ("p(90)", "p90_ms"),
    ("p(95)", "p95_ms"),
    ("p(99)", "p99_ms"),
    ("max", "max_ms"),
    ("avg", "mean_ms"),
];

pub(super) fn read(text: &str, options: &Options<'_>) -> Result<Benchmark, Problem> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| problem("", format!("not k6's summary: not JSON ({e})")))?;
    let metrics = root
        .get("metrics")
        .and_then(Value::as_object)
        .ok_or_else(|| problem("metrics", "not k6's summary: it has a `metrics` object"))?;
    let duration = stats(metrics, "http_req_duration")?.ok_or_else(|| {
        problem("metrics.http_req_duration", "no HTTP request was timed: k6 writes http_req_duration for HTTP tests")
    })?;
    let mut out = BTreeMap::new();
    let highest = ["p(99)", "p(95)", "p(90)"].into_iter().find(|s| duration.get(*s).is_some());
    for (statistic, name) in LATENCIES {
        if let Some(value) = number(duration, statistic, "http_req_duration")? {
            let mut metric = Metric::summary("ms", Better::Lower, value, None);
            metric.compared = statistic == "med" || Some(statistic) == highest;
            out.insert(name.to_owned(), metric);
        }
    }
    let requests = match stats(metrics, "http_reqs")? {
        Some(reqs) => {
            if let Some(rate) = number(reqs, "rate", "http_reqs")? {
                out.insert("rps".to_owned(), Metric::summary("req/s", Better::Higher, rate, None));
            }
            number(reqs, "count", "http_reqs")?.map(|c| c as u64)
        }
        None => None,
    };
    if let Some(failed) = stats(metrics, "http_req_failed")? {
        // A Rate's `passes` count its true samples: here, the failed requests.
        let rate = match number(failed, "rate", "http_req_failed")? {
            Some(rate) => Some(rate),
            None => number(failed, "value", "http_req_failed")?,
        };
        if let Some(rate) = rate {
            out.insert("success_rate".to_owned(), Metric::summary("%", Better::Higher, (1.0 - rate) * 100.0, None));
        }
        if let Some(errors) = number(failed, "passes", "http_req_failed")? {
            out.insert("error_count".to_owned(), Metric::single("requests", errors));
        }
    }
    if let Some(checks) = stats(metrics, "checks")? {
        if let Some(fails) = number(checks, "fails", "checks")? {
            out.insert("failed_checks".to_owned(), Metric::single("checks", fails));
        }
    }
    out.insert("failed_thresholds".to_owned(), Metric::single("thresholds", crossed_thresholds(metrics)? as f64));
    let source = Source::K6(LoadImport { file: options.file.to_owned(), requests });
    Ok(Benchmark { id: options.name.to_owned(), source, metrics: out })
}

/// A metric's statistics: its `values` (handleSummary) or the metric itself (--summary-export).
fn stats<'a>(metrics: &'a Map<String, Value>, name: &str) -> Result<Option<&'a Map<String, Value>>, Problem> {
    let Some(metric) = metrics.get(name) else { return Ok(None) };
    let metric = metric.as_object().ok_or_else(|| problem(format!("metrics.{name}"), "a metric is an object"))?;
    match metric.get("values") {
        Some(values) => values
            .as_object()
            .map(Some)
            .ok_or_else(|| problem(format!("metrics.{name}.values"), "a metric's values are an object")),
        None => Ok(Some(metric)),
    }
}

/// The statistic `key`, when present; not a finite number is an error at its path.
fn number(stats: &Map<String, Value>, key: &str, metric: &str) -> Result<Option<f64>, Problem> {
    match stats.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_f64().filter(|v| v.is_finite()).map(Some).ok_or_else(|| {
            problem(format!("metrics.{metric}.{key}"), format!("not k6's summary: `{value}` is not a number"))
        }),
    }
}

/// The thresholds the run crossed, over every metric: `true` in --summary-export (the boolean
/// answers "crossed?"), `{"ok": false}` in handleSummary's data.
fn crossed_thresholds(metrics: &Map<String, Value>) -> Result<usize, Problem> {
    let mut crossed = 0;
    for (name, metric) in metrics {
        let Some(thresholds) = metric.get("thresholds").and_then(Value::as_object) else { continue };
        for (expression, outcome) in thresholds {
            crossed += match outcome {
                Value::Bool(crossed) => usize::from(*crossed),
                Value::Object(o) => match o.get("ok") {
                    Some(Value::Bool(ok)) => usize::from(!ok),
                    _ => return Err(threshold_problem(name, expression)),
                },
                _ => return Err(threshold_problem(name, expression)),
            };
        }
    }
    Ok(crossed)
}

fn threshold_problem(metric: &str, expression: &str) -> Problem {
    problem(
        format!("metrics.{metric}.thresholds.{expression}"),
        "not k6's summary: a threshold's outcome is a boolean or `{\"ok\": boolean}`",
    )
}
