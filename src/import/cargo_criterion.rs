//! `cargo criterion --message-format=json` (1.1.0): one JSON message a line.

use serde::Deserialize;

use super::{problem, Problem};
use crate::model::{timed_metrics, Benchmark, CargoCriterionSource, DeclaredThroughput, Source, ThroughputUnit};

/// One line of `cargo criterion --message-format=json` (1.1.0); only `benchmark-complete`
/// messages carry a benchmark.
#[derive(Deserialize)]
struct CargoCriterionMessage {
    reason: String,
    #[serde(flatten)]
    rest: serde_json::Value,
}

#[derive(Deserialize)]
struct BenchmarkComplete {
    id: String,
    report_directory: String,
    iteration_count: Vec<f64>,
    measured_values: Vec<f64>,
    unit: String,
    #[serde(default)]
    throughput: Vec<CargoThroughput>,
}

#[derive(Deserialize)]
struct CargoThroughput {
    per_iteration: u64,
    unit: String,
}

pub(super) fn read(text: &str, file: &str) -> Result<Vec<Benchmark>, Problem> {
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = |path: &str| match path {
            "" | "." => format!("line {}", index + 1),
            path => format!("line {}, {path}", index + 1),
        };
        let message: CargoCriterionMessage = serde_json::from_str(line).map_err(|e| {
            problem(at(""), format!("not cargo-criterion's format: one JSON message a line with a `reason` ({e})"))
        })?;
        if message.reason != "benchmark-complete" {
            continue;
        }
        let complete: BenchmarkComplete = serde_path_to_error::deserialize(message.rest).map_err(|e| {
            problem(at(&e.path().to_string()), format!("not cargo-criterion's format: {}", e.into_inner()))
        })?;
        if benchmarks.iter().any(|b| b.id == complete.id) {
            return Err(problem(
                at("id"),
                format!("`{}` completes twice: import each run's messages on their own", complete.id),
            ));
        }
        benchmarks.push(cargo_criterion_benchmark(complete, file).map_err(|message| problem(at(""), message))?);
    }
    Ok(benchmarks)
}

fn cargo_criterion_benchmark(complete: BenchmarkComplete, file: &str) -> Result<Benchmark, String> {
    let (iterations, values) = (&complete.iteration_count, &complete.measured_values);
    if iterations.len() != values.len() || values.is_empty() {
        return Err(format!(
            "`{}` has {} iteration counts and {} measured values: each sample needs both",
            complete.id,
            iterations.len(),
            values.len()
        ));
    }
    let per_iteration: Vec<f64> = values.iter().zip(iterations).map(|(v, n)| v / n).collect();
    if per_iteration.iter().any(|v| !v.is_finite()) {
        return Err(format!("`{}` has a sample that is not a finite time per iteration", complete.id));
    }
    let throughput = match complete.throughput.first() {
        None => None,
        Some(t) => {
            let unit = match t.unit.as_str() {
                "bytes" => ThroughputUnit::Bytes,
                "elements" => ThroughputUnit::Elements,
                other => {
                    return Err(format!("`{}`: throughput unit `{other}` is not `bytes` or `elements`", complete.id))
                }
            };
            Some(DeclaredThroughput { unit, per_iteration: t.per_iteration })
        }
    };
    let metrics = timed_metrics(per_iteration, &complete.unit, throughput.as_ref())
        .map_err(|index| format!("`{}`: sample {index} takes no time, so its throughput is infinite", complete.id))?;
    Ok(Benchmark {
        id: complete.id,
        source: Source::CargoCriterion(CargoCriterionSource {
            file: file.to_owned(),
            report_directory: complete.report_directory,
            throughput,
        }),
        metrics,
    })
}
