//! oha's `--output-format json` (1.16): `summary` (times in seconds, `requestsPerSec` counting
//! failed requests too), `latencyPercentiles` (`p50`, `p90`, `p95`, `p99`, ..., seconds, of the
//! requests that got a response), `statusCodeDistribution` and `errorDistribution`. A file is
//! one run: one benchmark, named by `--name`, its metrics named as a service scenario's, each
//! one summary without a spread. oha's own `successRate` counts a 404 as a success; the
//! `success_rate` here counts 2xx and 3xx responses only, as a scenario's does.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{finite, parse, problem, Format, Options, Problem};
use crate::model::{Benchmark, Better, LoadImport, Metric, Source};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    summary: Summary,
    latency_percentiles: BTreeMap<String, Option<f64>>,
    #[serde(default)]
    status_code_distribution: BTreeMap<String, u64>,
    #[serde(default)]
    error_distribution: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    slowest: Option<f64>,
    average: Option<f64>,
    requests_per_sec: f64,
}

/// oha's percentile keys and the metrics they become; the median and p99 are compared, as a
/// service's are.
const LATENCIES: [(&str, &str, bool); 4] =
    [("p50", "p50_ms", true), ("p90", "p90_ms", false), ("p95", "p95_ms", false), ("p99", "p99_ms", true)];

pub(super) fn read(text: &str, options: &Options<'_>) -> Result<Benchmark, Problem> {
    let output: Output = parse(text, Format::Oha)?;
    let mut metrics = BTreeMap::new();
    let ms = |seconds: f64, at: &str| finite(seconds, at, "a latency").map(|s| s * 1e3);
    // oha writes null latencies when no request succeeded; they are left out, and the success
    // rate says why.
    for (key, name, compared) in LATENCIES {
        if let Some(Some(seconds)) = output.latency_percentiles.get(key) {
            let mut metric =
                Metric::summary("ms", Better::Lower, ms(*seconds, &format!("latencyPercentiles.{key}"))?, None);
            metric.compared = compared;
            metrics.insert(name.to_owned(), metric);
        }
    }
    for (value, name, at) in
        [(output.summary.slowest, "max_ms", "summary.slowest"), (output.summary.average, "mean_ms", "summary.average")]
    {
        if let Some(seconds) = value {
            let mut metric = Metric::summary("ms", Better::Lower, ms(seconds, at)?, None);
            metric.compared = false;
            metrics.insert(name.to_owned(), metric);
        }
    }
    let rps = finite(output.summary.requests_per_sec, "summary.requestsPerSec", "the request rate")?;
    metrics.insert("rps".to_owned(), Metric::summary("req/s", Better::Higher, rps, None));
    // Responses other than 2xx and 3xx fail, as a scenario's default `success_statuses` say,
    // and so do the requests that got none (connection errors, timeouts).
    let answered: u64 = output.status_code_distribution.values().sum();
    let ok: u64 = output
        .status_code_distribution
        .iter()
        .filter(|(code, _)| code.starts_with('2') || code.starts_with('3'))
        .map(|(_, n)| n)
        .sum();
    let failed: u64 = output.error_distribution.values().sum();
    let sent = answered + failed;
    if sent == 0 {
        return Err(problem("statusCodeDistribution", "no request was sent: oha's run measured nothing"));
    }
    let success = ok as f64 / sent as f64 * 100.0;
    metrics.insert("success_rate".to_owned(), Metric::summary("%", Better::Higher, success, None));
    metrics.insert("error_count".to_owned(), Metric::single("requests", (sent - ok) as f64));
    let source = Source::Oha(LoadImport { file: options.file.to_owned(), requests: Some(sent) });
    Ok(Benchmark { id: options.name.to_owned(), source, metrics })
}
