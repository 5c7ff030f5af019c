//! libtest's `#[bench]` output (`cargo bench` on nightly, or with `RUSTC_BOOTSTRAP=1`):
//!
//! ```text
//! test tests::bench_copy ... bench:       4,567 ns/iter (+/- 64) = 2189 MB/s
//! test tests::bench_add  ... bench:           0.39 ns/iter (+/- 0.01)
//! ```
//!
//! integers with thousands separators before rust-lang/rust#124774, two decimals since; or
//! `--format json`'s `{"type":"bench","name":...,"median":...,"deviation":...}` lines. libtest
//! gives the median of its 50 samples and `deviation` = max - min of them (after 5 %
//! winsorizing), not the samples: each benchmark is one summary with that stated spread.
//! criterion's `--output-format bencher` prints the same shape, its deviation a standard
//! deviation.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{finite, problem, Problem};
use crate::model::{Benchmark, Better, ImportedFile, Metric, Source, StatedSpread, THROUGHPUT_METRIC, TIME_METRIC};

/// The metric of a line in another unit than `ns/iter`.
const VALUE_METRIC: &str = "value";

/// What the stated spread is, as results.json records it.
const STATED_AS: &str = "libtest's +/- (max - min of its samples)";

/// One benchmark's line, read.
struct Bench {
    name: String,
    /// libtest's `ns/iter`, or what a custom harness printing the same shape measures
    /// (`cycles/iter`, `MS/s`).
    unit: Unit,
    median: f64,
    deviation: f64,
    /// libtest's `MB/s` (10^6 bytes a second), when the bench set `b.bytes`.
    megabytes_per_second: Option<f64>,
}

/// Whether `line` is libtest's line of one benchmark.
pub(super) fn is_bench_line(line: &str) -> bool {
    line.starts_with("test ") && line.contains(" ... bench:")
}

pub(super) fn read(text: &str, file: &str, notes: &mut Vec<String>) -> Result<Vec<Benchmark>, Problem> {
    let json = text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with('{'));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut benchmarks = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = format!("line {}", index + 1);
        let bench = if json { json_line(line, &at)? } else { text_line(line, &at, notes)? };
        let Some(bench) = bench else { continue };
        if let Some(first) = seen.insert(bench.name.clone(), index + 1) {
            return Err(problem(
                at,
                format!(
                    "`{}` is also on line {first}: two bench targets share the name; import each target's output on its own",
                    bench.name
                ),
            ));
        }
        benchmarks.push(benchmark(bench, file));
    }
    Ok(benchmarks)
}

/// A text line's benchmark; `None` for any other line (cargo's, tests', the summary).
fn text_line(line: &str, at: &str, notes: &mut Vec<String>) -> Result<Option<Bench>, Problem> {
    let line = line.trim_end();
    if let Some(name) = line.strip_prefix("test ").and_then(|rest| rest.strip_suffix(" ... FAILED")) {
        notes.push(format!("{at}: `{}` failed, so libtest gave no figure for it", name.trim()));
        return Ok(None);
    }
    if !is_bench_line(line) {
        return Ok(None);
    }
    let malformed = || {
        problem(
            at,
            "not libtest's bench line: expected `test NAME ... bench: N ns/iter (+/- D)`, optionally `= M MB/s`",
        )
    };
    let (name, figures) = line["test ".len()..].split_once(" ... bench:").ok_or_else(malformed)?;
    let mut words = figures.split_whitespace();
    let median = words.next().and_then(number).ok_or_else(malformed)?;
    let unit = words.next().and_then(Unit::parse).ok_or_else(|| {
        problem(at, "not libtest's bench line: the unit is `ns/iter`, or `UNIT/iter` or `UNIT/s` from another harness")
    })?;
    let deviation = match (words.next(), words.next()) {
        (Some("(+/-"), Some(deviation)) => deviation.strip_suffix(')').and_then(number).ok_or_else(malformed)?,
        _ => return Err(malformed()),
    };
    let megabytes_per_second = match (words.next(), words.next(), words.next()) {
        (None, ..) => None,
        (Some("="), Some(rate), Some("MB/s")) => Some(number(rate).ok_or_else(malformed)?),
        _ => return Err(malformed()),
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(problem(at, "a bench line without a name"));
    }
    Ok(Some(Bench { name: name.to_owned(), unit, median, deviation, megabytes_per_second }))
}

/// What a bench line measures.
#[derive(Debug, Clone, PartialEq)]
enum Unit {
    /// libtest's own `ns/iter`: the benchmark's `time`.
    NanosecondsPerIteration,
    /// Another cost per iteration (`cycles/iter`): a `value`, lower being better.
    PerIteration(String),
    /// A rate (`MS/s`): a `value`, higher being better.
    Rate(String),
}

impl Unit {
    fn parse(word: &str) -> Option<Unit> {
        match word {
            "ns/iter" => Some(Unit::NanosecondsPerIteration),
            _ => match word.split_once('/') {
                Some((unit, "iter")) if !unit.is_empty() => Some(Unit::PerIteration(unit.to_owned())),
                Some((unit, "s")) if !unit.is_empty() => Some(Unit::Rate(word.to_owned())),
                _ => None,
            },
        }
    }
}

/// `1,234`, `0.39` or `1,234.50` as a number.
fn number(text: &str) -> Option<f64> {
    let plain: String = text.chars().filter(|c| *c != ',').collect();
    plain.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

/// One line of `--format json`: a `bench` event, or another event to skip.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    median: Option<f64>,
    #[serde(default)]
    deviation: Option<f64>,
    #[serde(default)]
    mib_per_second: Option<f64>,
}

fn json_line(line: &str, at: &str) -> Result<Option<Bench>, Problem> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let event: Event = serde_json::from_str(line)
        .map_err(|e| problem(at, format!("not libtest's --format json: one JSON event a line with a `type` ({e})")))?;
    if event.kind != "bench" {
        return Ok(None);
    }
    let missing =
        |field: &str| problem(format!("{at}, {field}"), "a bench event needs `name`, `median` and `deviation`");
    let name = event.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| missing("name"))?;
    let median = finite(event.median.ok_or_else(|| missing("median"))?, &format!("{at}, median"), "the median")?;
    let deviation = event.deviation.ok_or_else(|| missing("deviation"))?;
    let deviation = finite(deviation, &format!("{at}, deviation"), "the deviation")?;
    let unit = Unit::NanosecondsPerIteration;
    Ok(Some(Bench { name, unit, median, deviation, megabytes_per_second: event.mib_per_second }))
}

fn benchmark(bench: Bench, file: &str) -> Benchmark {
    let spread = StatedSpread {
        lower: (bench.median - bench.deviation).max(0.0),
        upper: bench.median + bench.deviation,
        stated_as: STATED_AS.to_owned(),
    };
    let (name, unit, better) = match &bench.unit {
        Unit::NanosecondsPerIteration => (TIME_METRIC, "ns", Better::Lower),
        Unit::PerIteration(unit) => (VALUE_METRIC, unit.as_str(), Better::Lower),
        Unit::Rate(unit) => (VALUE_METRIC, unit.as_str(), Better::Higher),
    };
    let mut metrics = BTreeMap::new();
    metrics.insert(name.to_owned(), Metric::summary(unit, better, bench.median, Some(spread)));
    // The rate libtest derives from the median: shown and gated, not compared (the time is).
    if let Some(rate) = bench.megabytes_per_second {
        let mut throughput = Metric::summary("bytes/s", Better::Higher, rate * 1e6, None);
        throughput.compared = false;
        metrics.insert(THROUGHPUT_METRIC.to_owned(), throughput);
    }
    Benchmark { id: bench.name, source: Source::Libtest(ImportedFile { file: file.to_owned() }), metrics }
}
