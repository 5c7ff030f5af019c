//! hyperfine's `--export-json FILE` (1.15 to 1.20).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{parse, problem, Format, Problem};
use crate::model::{Benchmark, Better, ImportSource, Metric, Source, TIME_METRIC};

/// hyperfine 1.15-1.20's export: times in seconds, `user` and `system` means over the runs,
/// `memory_usage_byte` from 1.20 on.
#[derive(Deserialize)]
struct HyperfineExport {
    results: Vec<HyperfineRun>,
}

#[derive(Deserialize)]
struct HyperfineRun {
    command: String,
    times: Option<Vec<f64>>,
    user: f64,
    system: f64,
    exit_codes: Vec<Option<i32>>,
    #[serde(default)]
    memory_usage_byte: Option<Vec<f64>>,
}

pub(super) fn read(text: &str, file: &str) -> Result<Vec<Benchmark>, Problem> {
    let export: HyperfineExport = parse(text, Format::Hyperfine)?;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut benchmarks = Vec::new();
    for (index, run) in export.results.iter().enumerate() {
        let at = |field: &str| format!("results[{index}].{field}");
        if run.command.trim().is_empty() {
            return Err(problem(at("command"), "an empty command: name it with hyperfine's --command-name"));
        }
        if let Some(first) = seen.insert(&run.command, index) {
            return Err(problem(
                at("command"),
                format!("`{}` is also results[{first}]: name them apart with hyperfine's --command-name", run.command),
            ));
        }
        let times = run.times.as_deref().unwrap_or_default();
        if times.is_empty() || times.iter().any(|t| !t.is_finite() || *t < 0.0) {
            return Err(problem(at("times"), "every run's time, in seconds, is needed (hyperfine writes them)"));
        }
        benchmarks.push(hyperfine_benchmark(run, times, file));
    }
    Ok(benchmarks)
}

fn hyperfine_benchmark(run: &HyperfineRun, times: &[f64], file: &str) -> Benchmark {
    let failed = run.exit_codes.iter().filter(|code| **code != Some(0)).count();
    let mut metrics = BTreeMap::new();
    let nanoseconds = times.iter().map(|t| t * 1e9).collect();
    metrics.insert(TIME_METRIC.to_owned(), Metric::from_samples("ns", Better::Lower, true, nanoseconds));
    metrics.insert("user_ms".to_owned(), Metric::single("ms", run.user * 1e3));
    metrics.insert("sys_ms".to_owned(), Metric::single("ms", run.system * 1e3));
    metrics.insert("exit_failures".to_owned(), Metric::single("runs", failed as f64));
    // hyperfine's per-run memory is a running maximum over the runs so far, not each run's
    // own: its largest value is the peak, and the runs are not samples to compare.
    if let Some(memory) = run.memory_usage_byte.as_ref().filter(|m| !m.is_empty() && m.iter().all(|v| v.is_finite())) {
        let mut peak = Metric::from_samples("bytes", Better::Lower, false, memory.clone());
        peak.value = Some(peak.summary.max);
        metrics.insert("peak_rss_bytes".to_owned(), peak);
    }
    Benchmark {
        id: run.command.clone(),
        source: Source::Hyperfine(ImportSource { file: file.to_owned(), runs: times.len(), failed_runs: failed }),
        metrics,
    }
}
