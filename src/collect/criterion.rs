//! Reads criterion output directories into benchmarks.
//!
//! Criterion (0.3.3 and later) writes one directory per benchmark under its home
//! (`target/criterion` by default), and inside it one directory per baseline:
//!
//! ```text
//! <home>/<directory_name>/<baseline>/{benchmark,estimates,sample,tukey}.json
//! ```
//!
//! `directory_name` is one to three levels deep and benchmark directories can nest (`g/new` and
//! `g/f/new` can both exist), so the reader walks the whole tree and takes every
//! `<baseline>/benchmark.json` + `<baseline>/sample.json` pair it finds; the benchmark id is the
//! `full_id` recorded in benchmark.json, never a guess from the path. Only sample.json is read
//! for numbers: criterion's own estimates are derived from the same per-iteration values
//! `times[i] / iters[i]`, which the statistics here recompute.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use crate::model::{Benchmark, CriterionSource, DeclaredThroughput, Source, ThroughputUnit};

const BENCHMARK_FILE: &str = "benchmark.json";
const SAMPLE_FILE: &str = "sample.json";
/// Files criterion writes into every baseline directory; any of them marks a baseline directory.
const BASELINE_FILES: [&str; 4] = [BENCHMARK_FILE, SAMPLE_FILE, "estimates.json", "tukey.json"];

/// The benchmarks read from one criterion home for one baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// One entry per benchmark, sorted by id.
    pub benchmarks: Vec<Benchmark>,
    /// Benchmarks skipped because their baseline was written before `written_since`.
    pub stale_skipped: usize,
}

/// Why a criterion home could not be read. Every message names the directory or file and says
/// what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CriterionError {
    #[error(
        "criterion directory {} does not exist; run `cargo bench` first, pass `--criterion-dir` with \
         the directory criterion wrote to, or set CARGO_TARGET_DIR or CRITERION_HOME as they were for \
         the bench run (criterion writes to $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else \
         target/criterion)",
        home.display()
    )]
    HomeMissing { home: PathBuf },

    #[error(
        "{} is not a directory; pass `--criterion-dir` with the directory criterion \
         wrote to (usually target/criterion)",
        home.display()
    )]
    HomeNotDirectory { home: PathBuf },

    #[error(
        "{} holds no criterion results; run `cargo bench` first, or pass `--criterion-dir` with the \
         directory criterion wrote to",
        home.display()
    )]
    NoResults { home: PathBuf },

    #[error(
        "no benchmark in {} has a `{baseline}` baseline (found baselines: {}); choose one of those, or \
         save it with `cargo bench -- --save-baseline {baseline}`",
        home.display(),
        found.join(", ")
    )]
    BaselineNotFound { home: PathBuf, baseline: String, found: Vec<String> },

    #[error(
        "{} was written by criterion older than 0.3.3, whose file format is not supported; upgrade \
         criterion to 0.3.3 or later and re-run `cargo bench`",
        dir.display()
    )]
    LegacyFormat { dir: PathBuf },

    #[error(
        "{} is incomplete: it has {} but no {}; the run that wrote it was probably interrupted. \
         Re-run `cargo bench`, or delete the directory",
        dir.display(),
        present.join(" and "),
        missing.join(" and ")
    )]
    HalfWritten { dir: PathBuf, present: Vec<&'static str>, missing: Vec<&'static str> },

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "cannot parse {}: {source}; the file is damaged or half-written, re-run `cargo bench` to \
         rewrite it",
        path.display()
    )]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error(
        "{}: `iters` has {iters} entries but `times` has {times}; the file is damaged, re-run \
         `cargo bench` to rewrite it",
        path.display()
    )]
    LengthMismatch { path: PathBuf, iters: usize, times: usize },

    #[error("{} holds no samples; re-run `cargo bench` to rewrite it", path.display())]
    EmptySamples { path: PathBuf },

    #[error(
        "{}: iters[{index}] is {value}, but every sample needs a positive iteration count; the file \
         is damaged, re-run `cargo bench` to rewrite it",
        path.display()
    )]
    NonPositiveIters { path: PathBuf, index: usize, value: f64 },

    #[error(
        "{}: {field}[{index}] is {value}, not a finite number; re-run `cargo bench` to rewrite it, \
         and check that the benchmark's measurement returns finite values",
        path.display()
    )]
    NonFinite { path: PathBuf, field: &'static str, index: usize, value: String },

    #[error(
        "benchmark id `{id}` appears twice, in {} and in {}; delete the stale one, or clear the \
         criterion directory and re-run `cargo bench`",
        first.display(),
        second.display()
    )]
    DuplicateId { id: String, first: PathBuf, second: PathBuf },
}

/// Reads every benchmark under `home` whose `<baseline>` directory holds a benchmark.json +
/// sample.json pair.
/// `written_since`: when Some, skip (and count) benchmarks whose `<baseline>/benchmark.json`
/// mtime is older (stale dirs from earlier runs).
///
/// A home where every benchmark of `baseline` is stale yields an empty collection with a
/// non-zero `stale_skipped`, not an error: the caller knows what it ran and says what is missing.
pub fn collect(home: &Path, baseline: &str, written_since: Option<SystemTime>) -> Result<Collection, CriterionError> {
    match fs::metadata(home) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(CriterionError::HomeNotDirectory { home: home.to_owned() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CriterionError::HomeMissing { home: home.to_owned() });
        }
        Err(source) => return Err(CriterionError::Io { path: home.to_owned(), source }),
    }

    let mut walk = Walk { baseline, found: Vec::new(), baseline_names: BTreeSet::new() };
    walk.visit(home)?;

    let mut by_id: BTreeMap<String, (PathBuf, Benchmark)> = BTreeMap::new();
    let mut stale_skipped = 0;
    for candidate in &walk.found {
        let Some(benchmark) = read_candidate(home, candidate, baseline, written_since)? else {
            stale_skipped += 1;
            continue;
        };
        match by_id.entry(benchmark.id.clone()) {
            Entry::Vacant(slot) => {
                slot.insert((candidate.dir.clone(), benchmark));
            }
            Entry::Occupied(slot) => {
                return Err(CriterionError::DuplicateId {
                    id: benchmark.id,
                    first: slot.get().0.clone(),
                    second: candidate.dir.clone(),
                });
            }
        }
    }

    if by_id.is_empty() && stale_skipped == 0 {
        if walk.baseline_names.is_empty() {
            return Err(CriterionError::NoResults { home: home.to_owned() });
        }
        return Err(CriterionError::BaselineNotFound {
            home: home.to_owned(),
            baseline: baseline.to_owned(),
            found: walk.baseline_names.into_iter().collect(),
        });
    }

    // A BTreeMap iterates in key order, so the benchmarks come out sorted by id.
    Ok(Collection { benchmarks: by_id.into_values().map(|(_, b)| b).collect(), stale_skipped })
}

/// A `<baseline>` directory found by the walk, with which files of the pair it holds.
struct Candidate {
    /// The `<baseline>` directory itself.
    dir: PathBuf,
    has_benchmark: bool,
    has_sample: bool,
}

/// The tree walk: collects the requested baseline's directories and the names of all baselines.
struct Walk<'a> {
    baseline: &'a str,
    found: Vec<Candidate>,
    baseline_names: BTreeSet<String>,
}

impl Walk<'_> {
    fn visit(&mut self, dir: &Path) -> Result<(), CriterionError> {
        let io_err = |source| CriterionError::Io { path: dir.to_owned(), source };
        let mut subdirs = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            // `file_type` does not follow symbolic links, so a link cannot make the walk loop.
            if entry.file_type().map_err(io_err)?.is_dir() {
                subdirs.push(entry);
            }
        }
        subdirs.sort_by_key(|e| e.file_name());

        for entry in subdirs {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let present = |file: &str| path.join(file).is_file();
            let is_baseline_dir = BASELINE_FILES.iter().any(|f| present(f));
            if is_criterion_extra(&name, is_baseline_dir, &present) {
                continue;
            }
            if !is_baseline_dir {
                // A group directory, or a benchmark directory holding baselines: look inside.
                self.visit(&path)?;
                continue;
            }
            self.baseline_names.insert(name.to_string());
            if name == self.baseline {
                self.found.push(Candidate {
                    has_benchmark: present(BENCHMARK_FILE),
                    has_sample: present(SAMPLE_FILE),
                    dir: path,
                });
            }
        }
        Ok(())
    }
}

/// benchmark.json: criterion's `report::BenchmarkId`. Only the fields used here; others ignored.
#[derive(Deserialize)]
struct RawBenchmarkId {
    full_id: String,
    #[serde(default)]
    directory_name: Option<String>,
    #[serde(default)]
    throughput: Option<RawThroughput>,
}

/// Criterion's `Throughput`, externally tagged: `{"Bytes": n}`.
#[derive(Deserialize)]
enum RawThroughput {
    Bytes(u64),
    /// Bytes shown with decimal prefixes (criterion >= 0.4); the same count of bytes.
    BytesDecimal(u64),
    Elements(u64),
    /// Criterion >= 0.7.
    Bits(u64),
}

impl RawThroughput {
    fn declared(&self) -> DeclaredThroughput {
        let (unit, per_iteration) = match *self {
            RawThroughput::Bytes(n) | RawThroughput::BytesDecimal(n) => (ThroughputUnit::Bytes, n),
            RawThroughput::Elements(n) => (ThroughputUnit::Elements, n),
            RawThroughput::Bits(n) => (ThroughputUnit::Bits, n),
        };
        DeclaredThroughput { unit, per_iteration }
    }
}

/// sample.json: criterion's `SavedSample`. Values are `Option` because serde_json writes NaN
/// and infinities as `null`; those are reported as non-finite rather than as a type error.
#[derive(Deserialize)]
struct RawSample {
    #[serde(default)]
    sampling_mode: Option<String>,
    iters: Vec<Option<f64>>,
    times: Vec<Option<f64>>,
}

/// Reads one candidate; `None` when it is older than `written_since`.
fn read_candidate(
    home: &Path,
    candidate: &Candidate,
    baseline: &str,
    written_since: Option<SystemTime>,
) -> Result<Option<Benchmark>, CriterionError> {
    let dir = &candidate.dir;
    let benchmark_path = dir.join(BENCHMARK_FILE);
    let sample_path = dir.join(SAMPLE_FILE);

    if let Some(since) = written_since {
        // benchmark.json is the last file criterion writes, so its time is the run's; a
        // directory without one is judged by its sample.json.
        let marker = if candidate.has_benchmark { &benchmark_path } else { &sample_path };
        if candidate.has_benchmark || candidate.has_sample {
            let modified = fs::metadata(marker)
                .and_then(|m| m.modified())
                .map_err(|source| CriterionError::Io { path: marker.clone(), source })?;
            if modified < since {
                return Ok(None);
            }
        }
    }

    // A legacy (< 0.3.3) directory has both files, but its sample.json is a bare tuple.
    let sample_bytes = if candidate.has_sample { Some(read(&sample_path)?) } else { None };
    if sample_bytes.as_deref().is_some_and(is_legacy_sample) {
        return Err(CriterionError::LegacyFormat { dir: dir.clone() });
    }
    let (true, Some(sample_bytes)) = (candidate.has_benchmark, sample_bytes) else {
        let mut present = Vec::new();
        let mut missing = Vec::new();
        for (file, has) in [(BENCHMARK_FILE, candidate.has_benchmark), (SAMPLE_FILE, candidate.has_sample)] {
            if has {
                present.push(file)
            } else {
                missing.push(file)
            }
        }
        if present.is_empty() {
            // Only estimates.json or tukey.json: name what is there.
            present.extend(BASELINE_FILES[2..].iter().copied().filter(|f| dir.join(f).is_file()));
        }
        return Err(CriterionError::HalfWritten { dir: dir.clone(), present, missing });
    };

    let id: RawBenchmarkId = parse(&benchmark_path, &read(&benchmark_path)?)?;
    let sample: RawSample = parse(&sample_path, &sample_bytes)?;
    let time_ns = per_iteration_times(&sample_path, &sample)?;

    let throughput = id.throughput.as_ref().map(RawThroughput::declared);
    let metrics = crate::model::timed_metrics(time_ns.clone(), "ns", throughput.as_ref()).map_err(|index| {
        CriterionError::NonFinite {
            path: sample_path.clone(),
            field: "times",
            index,
            value: format!("{} (zero time per iteration gives an infinite throughput)", time_ns[index]),
        }
    })?;

    let directory = match id.directory_name {
        Some(name) if !name.is_empty() => name,
        _ => relative_dir(home, dir),
    };
    Ok(Some(Benchmark {
        id: id.full_id,
        source: Source::Criterion(CriterionSource {
            sampling_mode: sample.sampling_mode,
            throughput,
            ..CriterionSource::new(directory, baseline)
        }),
        metrics,
    }))
}

/// Checks a sample and returns its per-iteration values `times[i] / iters[i]`.
fn per_iteration_times(path: &Path, sample: &RawSample) -> Result<Vec<f64>, CriterionError> {
    if sample.iters.len() != sample.times.len() {
        return Err(CriterionError::LengthMismatch {
            path: path.to_owned(),
            iters: sample.iters.len(),
            times: sample.times.len(),
        });
    }
    if sample.iters.is_empty() {
        return Err(CriterionError::EmptySamples { path: path.to_owned() });
    }
    let finite = |field: &'static str, index: usize, value: Option<f64>| match value {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(CriterionError::NonFinite {
            path: path.to_owned(),
            field,
            index,
            value: value.map_or_else(|| "null".to_owned(), |v| v.to_string()),
        }),
    };
    let mut values = Vec::with_capacity(sample.iters.len());
    for (index, (&iters, &time)) in sample.iters.iter().zip(&sample.times).enumerate() {
        let iters = finite("iters", index, iters)?;
        if iters <= 0.0 {
            return Err(CriterionError::NonPositiveIters { path: path.to_owned(), index, value: iters });
        }
        let time = finite("times", index, time)?;
        values.push(time / iters);
    }
    Ok(values)
}

/// Whether `name` is one of the directories criterion writes beside the baselines, which hold no
/// benchmark: `report/` (HTML, at the home and in every benchmark directory) and `change/` (the
/// last comparison's estimates.json). A benchmark that happens to be called `report` or `change`
/// has neither an index.html nor JSON files directly inside, and is still walked.
fn is_criterion_extra(name: &str, is_baseline_dir: bool, present: &dyn Fn(&str) -> bool) -> bool {
    match name {
        "report" => present("index.html"),
        "change" => is_baseline_dir,
        _ => false,
    }
}

/// Whether a sample.json has the pre-0.3.3 shape, a bare `[[iters..], [times..]]` tuple.
fn is_legacy_sample(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

fn read(path: &Path) -> Result<Vec<u8>, CriterionError> {
    fs::read(path).map_err(|source| CriterionError::Io { path: path.to_owned(), source })
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path, bytes: &[u8]) -> Result<T, CriterionError> {
    serde_json::from_slice(bytes).map_err(|source| CriterionError::Parse { path: path.to_owned(), source })
}

/// The benchmark directory (parent of the baseline directory) relative to `home`, with `/`
/// separators like criterion's `directory_name`.
fn relative_dir(home: &Path, baseline_dir: &Path) -> String {
    let bench_dir = baseline_dir.parent().unwrap_or(baseline_dir);
    let relative = bench_dir.strip_prefix(home).unwrap_or(bench_dir);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::model::{Better, Metric, THROUGHPUT_METRIC, TIME_METRIC};

    fn fixture(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
    }

    fn ids(collection: &Collection) -> Vec<&str> {
        collection.benchmarks.iter().map(|b| b.id.as_str()).collect()
    }

    fn get<'a>(collection: &'a Collection, id: &str) -> &'a Benchmark {
        collection.benchmarks.iter().find(|b| b.id == id).unwrap_or_else(|| panic!("no benchmark {id}"))
    }

    fn source(benchmark: &Benchmark) -> &CriterionSource {
        match &benchmark.source {
            Source::Criterion(source) => source,
            other => panic!("not from criterion: {other:?}"),
        }
    }

    fn time(benchmark: &Benchmark) -> &Metric {
        &benchmark.metrics[TIME_METRIC]
    }

    /// Copies a directory tree, so that a test can damage or re-date a fixture.
    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    fn temp_copy(relative: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(relative), dir.path());
        dir
    }

    /// A home with one benchmark `b` whose `new/` holds the given files.
    fn home_with(benchmark_json: &str, sample_json: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("b/new");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(BENCHMARK_FILE), benchmark_json).unwrap();
        fs::write(dir.join(SAMPLE_FILE), sample_json).unwrap();
        home
    }

    const PLAIN_ID: &str = r#"{"group_id":"b","function_id":null,"value_str":null,"throughput":null,"full_id":"b","directory_name":"b","title":"b"}"#;

    fn expect_err(home: &Path, baseline: &str) -> CriterionError {
        match collect(home, baseline, None) {
            Ok(c) => panic!("expected an error, got {:?}", ids(&c)),
            Err(e) => e,
        }
    }

    /// The point estimate of `statistic` in criterion's own estimates.json.
    fn criterion_estimate(baseline_dir: &Path, statistic: &str) -> f64 {
        let text = fs::read_to_string(baseline_dir.join("estimates.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value[statistic]["point_estimate"].as_f64().unwrap()
    }

    fn assert_close(actual: f64, expected: f64, what: &str) {
        assert!((actual - expected).abs() <= 1e-9 * expected.abs(), "{what}: {actual} != {expected}");
    }

    #[test]
    fn every_criterion_version_collects_with_ids_and_throughput() {
        let base = ["grouped/sum/1000", "plain_sum", "throughput/bytes"];
        let with_decimal = ["grouped/sum/1000", "plain_sum", "throughput/bytes", "throughput/bytes_decimal"];
        let all = [
            "grouped/sum/1000",
            "plain_sum",
            "throughput/bits",
            "throughput/bytes",
            "throughput/bytes_decimal",
            "throughput/elements",
        ];
        let versions: [(&str, &[&str]); 6] = [
            ("0.3.3", &base),
            ("0.3.4", &base),
            ("0.3.6", &base),
            ("0.4.0", &with_decimal),
            ("0.5.1", &with_decimal),
            ("0.8.2", &all),
        ];
        // Every version directory is covered here, so a new one cannot go untested.
        let mut on_disk: Vec<String> = fs::read_dir(fixture("criterion-versions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        assert_eq!(on_disk, versions.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>());

        for (version, expected_ids) in versions {
            let home = fixture(&format!("criterion-versions/{version}"));
            for baseline in ["new", "base"] {
                let collection = collect(&home, baseline, None).unwrap_or_else(|e| panic!("{version}: {e}"));
                assert_eq!(ids(&collection), expected_ids, "{version} {baseline}");
                assert_eq!(collection.stale_skipped, 0);

                for benchmark in &collection.benchmarks {
                    let what = format!("{version} {baseline} {}", benchmark.id);
                    let src = source(benchmark);
                    assert_eq!(src.directory, benchmark.id, "{what}");
                    assert_eq!(src.baseline, baseline, "{what}");
                    assert_eq!((src.package.as_deref(), src.target.as_deref()), (None, None), "{what}");
                    let expected_mode = if benchmark.id == "grouped/sum/1000" { "Flat" } else { "Linear" };
                    assert_eq!(src.sampling_mode.as_deref(), Some(expected_mode), "{what}");

                    let t = time(benchmark);
                    assert_eq!((t.unit.as_str(), t.better, t.compared), ("ns", Better::Lower, true), "{what}");
                    assert_eq!(t.samples.len(), 10, "{what}");
                    assert_eq!(t.summary.n, 10, "{what}");
                    // The per-iteration values are criterion's own: its mean agrees with ours.
                    let dir = home.join(&benchmark.id).join(baseline);
                    assert_close(t.summary.mean, criterion_estimate(&dir, "mean"), &what);
                    assert_close(t.summary.median, criterion_estimate(&dir, "median"), &what);

                    let expected_throughput = match benchmark.id.as_str() {
                        "throughput/bytes" | "throughput/bytes_decimal" => Some((ThroughputUnit::Bytes, 8000)),
                        "throughput/bits" => Some((ThroughputUnit::Bits, 64000)),
                        "throughput/elements" => Some((ThroughputUnit::Elements, 1000)),
                        _ => None,
                    };
                    let declared = src.throughput.as_ref().map(|t| (t.unit, t.per_iteration));
                    assert_eq!(declared, expected_throughput, "{what}");
                    match expected_throughput {
                        None => assert_eq!(benchmark.metrics.len(), 1, "{what}"),
                        Some((unit, per_iteration)) => {
                            let rate = &benchmark.metrics[THROUGHPUT_METRIC];
                            assert_eq!(rate.unit, unit.rate_unit(), "{what}");
                            assert_eq!((rate.better, rate.compared), (Better::Higher, false), "{what}");
                            assert_eq!(rate.samples.len(), t.samples.len(), "{what}");
                            for (rate, ns) in rate.samples.iter().zip(&t.samples) {
                                assert_close(*rate, per_iteration as f64 * 1e9 / ns, &what);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bits_and_elements_have_their_rate_units() {
        let collection = collect(&fixture("criterion-versions/0.8.2"), "new", None).unwrap();
        let unit = |id| get(&collection, id).metrics[THROUGHPUT_METRIC].unit.clone();
        assert_eq!(unit("throughput/bits"), "bits/s");
        assert_eq!(unit("throughput/elements"), "elements/s");
        assert_eq!(unit("throughput/bytes_decimal"), "bytes/s");
    }

    #[test]
    fn demo_home_collects_both_baselines_and_shows_the_slowdown() {
        let home = fixture("criterion");
        let expected =
            ["adler32_4k", "count_distinct/1000", "parse/numbers", "sort/insertion/256", "sort/std_unstable/256"];
        let main = collect(&home, "main", None).unwrap();
        let pr = collect(&home, "pr", None).unwrap();
        assert_eq!(ids(&main), expected);
        assert_eq!(ids(&pr), expected);

        for (m, p) in main.benchmarks.iter().zip(&pr.benchmarks) {
            assert_eq!(source(m).baseline, "main");
            assert_eq!(source(p).baseline, "pr");
            assert_eq!(time(m).samples.len(), 100, "{}", m.id);
            let ratio = time(p).summary.mean / time(m).summary.mean;
            if m.id == "parse/numbers" {
                assert!((2.5..3.5).contains(&ratio), "parse/numbers was made 3x slower, ratio {ratio}");
                let rate_ratio = p.metrics[THROUGHPUT_METRIC].summary.mean / m.metrics[THROUGHPUT_METRIC].summary.mean;
                assert!((0.28..0.4).contains(&rate_ratio), "throughput ratio {rate_ratio}");
            } else {
                assert!((0.8..1.25).contains(&ratio), "{} changed by {ratio}", m.id);
            }
        }

        let parse = get(&pr, "parse/numbers");
        assert_eq!(
            source(parse).throughput,
            Some(DeclaredThroughput { unit: ThroughputUnit::Bytes, per_iteration: 11747 })
        );
        assert_eq!(parse.metrics[THROUGHPUT_METRIC].unit, "bytes/s");
        let distinct = get(&pr, "count_distinct/1000");
        assert_eq!(
            source(distinct).throughput,
            Some(DeclaredThroughput { unit: ThroughputUnit::Elements, per_iteration: 1000 })
        );
        assert_eq!(source(get(&pr, "sort/insertion/256")).throughput, None);
        assert!(!get(&pr, "sort/insertion/256").metrics.contains_key(THROUGHPUT_METRIC));
    }

    #[test]
    fn nested_benchmark_directories_both_count() {
        // `g/new` (the benchmark `g`) and `g/f/new` (the benchmark `g/f`) side by side.
        let home = tempfile::tempdir().unwrap();
        let plain = fixture("criterion-versions/0.8.2/plain_sum/new");
        for (dir, id) in [("g", "g"), ("g/f", "g/f")] {
            copy_dir(&plain, &home.path().join(dir).join("new"));
            let json = PLAIN_ID.replace(r#""b""#, &format!("{id:?}"));
            fs::write(home.path().join(dir).join("new").join(BENCHMARK_FILE), json).unwrap();
        }
        let collection = collect(home.path(), "new", None).unwrap();
        assert_eq!(ids(&collection), ["g", "g/f"]);
        assert_eq!(source(get(&collection, "g/f")).directory, "g/f");
    }

    #[test]
    fn report_and_change_directories_are_not_benchmarks() {
        let home = temp_copy("criterion-versions/0.8.2");
        let expected = ids(&collect(home.path(), "new", None).unwrap()).join(",");
        // criterion's HTML report and comparison output, as an html_reports build writes them;
        // the report holds a half-written baseline to prove it is never read.
        fs::create_dir_all(home.path().join("report/new")).unwrap();
        fs::write(home.path().join("report/index.html"), "<html></html>").unwrap();
        fs::copy(home.path().join("plain_sum/new/benchmark.json"), home.path().join("report/new/benchmark.json"))
            .unwrap();
        fs::create_dir_all(home.path().join("plain_sum/report")).unwrap();
        fs::write(home.path().join("plain_sum/report/index.html"), "").unwrap();
        let change = home.path().join("plain_sum/change");
        fs::create_dir_all(&change).unwrap();
        fs::copy(home.path().join("plain_sum/new/estimates.json"), change.join("estimates.json")).unwrap();

        let collection = collect(home.path(), "new", None).unwrap();
        assert_eq!(ids(&collection).join(","), expected);
        match expect_err(home.path(), "nope") {
            CriterionError::BaselineNotFound { found, .. } => assert_eq!(found, ["base", "new"]),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn benchmarks_named_report_or_change_are_still_found() {
        let home = tempfile::tempdir().unwrap();
        let plain = fixture("criterion-versions/0.8.2/plain_sum/new");
        for id in ["report", "change", "g/change"] {
            let dir = home.path().join(id).join("new");
            copy_dir(&plain, &dir);
            fs::write(dir.join(BENCHMARK_FILE), PLAIN_ID.replace(r#""b""#, &format!("{id:?}"))).unwrap();
        }
        let collection = collect(home.path(), "new", None).unwrap();
        assert_eq!(ids(&collection), ["change", "g/change", "report"]);
    }

    #[test]
    fn missing_home_says_how_to_get_one() {
        let home = fixture("does-not-exist");
        let err = expect_err(&home, "new");
        assert!(matches!(err, CriterionError::HomeMissing { .. }), "{err:?}");
        let message = err.to_string();
        for needle in ["does-not-exist", "cargo bench", "--criterion-dir", "CARGO_TARGET_DIR", "CRITERION_HOME"] {
            assert!(message.contains(needle), "{needle:?} not in {message}");
        }
    }

    #[test]
    fn home_that_is_a_file_is_refused() {
        let err = expect_err(&fixture("criterion/adler32_4k/main/sample.json"), "new");
        assert!(matches!(err, CriterionError::HomeNotDirectory { .. }), "{err:?}");
        assert!(err.to_string().contains("sample.json is not a directory"), "{err}");
    }

    #[test]
    fn unknown_baseline_lists_the_baselines_that_exist() {
        let err = expect_err(&fixture("criterion"), "base");
        match &err {
            CriterionError::BaselineNotFound { baseline, found, .. } => {
                assert_eq!(baseline, "base");
                assert_eq!(found, &["main", "new", "pr"]);
            }
            other => panic!("unexpected {other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains("found baselines: main, new, pr"), "{message}");
        assert!(message.contains("--save-baseline base"), "{message}");
        assert!(message.contains("tests/fixtures/criterion"), "{message}");
    }

    #[test]
    fn empty_home_holds_no_results() {
        // The fixture holds only a .gitkeep (git keeps no empty directories); a truly empty one too.
        let truly_empty = tempfile::tempdir().unwrap();
        for home in [fixture("criterion-broken/empty"), truly_empty.path().to_owned()] {
            let err = expect_err(&home, "new");
            assert!(matches!(err, CriterionError::NoResults { .. }), "{err:?}");
            assert!(err.to_string().contains("holds no criterion results"), "{err}");
        }
    }

    #[test]
    fn legacy_layout_asks_for_a_newer_criterion() {
        let err = expect_err(&fixture("criterion-broken/legacy-0.3.2"), "new");
        let CriterionError::LegacyFormat { dir } = &err else { panic!("unexpected {err:?}") };
        assert!(dir.ends_with("legacy-0.3.2/grouped/sum/1000/new"), "{}", dir.display());
        let message = err.to_string();
        assert!(message.contains("written by criterion older than 0.3.3"), "{message}");
        assert!(message.contains("upgrade criterion to 0.3.3 or later and re-run"), "{message}");
    }

    #[test]
    fn half_written_directory_names_the_missing_file() {
        let err = expect_err(&fixture("criterion-broken/half-written"), "new");
        let CriterionError::HalfWritten { dir, present, missing } = &err else { panic!("unexpected {err:?}") };
        assert!(dir.ends_with("half-written/interrupted/new"), "{}", dir.display());
        assert_eq!((present.as_slice(), missing.as_slice()), (&[BENCHMARK_FILE][..], &[SAMPLE_FILE][..]));
        let message = err.to_string();
        assert!(message.contains("has benchmark.json but no sample.json"), "{message}");
        assert!(message.contains("Re-run `cargo bench`"), "{message}");
    }

    #[test]
    fn sample_without_benchmark_json_is_half_written_too() {
        let home = temp_copy("criterion-versions/0.8.2");
        fs::remove_file(home.path().join("plain_sum/new/benchmark.json")).unwrap();
        let err = expect_err(home.path(), "new");
        let CriterionError::HalfWritten { missing, .. } = &err else { panic!("unexpected {err:?}") };
        assert_eq!(missing, &[BENCHMARK_FILE]);
        // Another baseline of the same benchmark is complete and still readable.
        assert!(ids(&collect(home.path(), "base", None).unwrap()).contains(&"plain_sum"));
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        let err = expect_err(&fixture("criterion-broken/mismatched"), "new");
        let CriterionError::LengthMismatch { path, iters, times } = &err else { panic!("unexpected {err:?}") };
        assert!(path.ends_with("mismatched/plain_sum/new/sample.json"), "{}", path.display());
        assert_eq!((*iters, *times), (10, 9));
        assert!(err.to_string().contains("`iters` has 10 entries but `times` has 9"), "{err}");
    }

    #[test]
    fn unparsable_json_carries_serdes_message() {
        let home = home_with(PLAIN_ID, r#"{"sampling_mode":"Linear","iters":[1.0,2.0],"times":[3.0,"#);
        let err = expect_err(home.path(), "new");
        assert!(matches!(err, CriterionError::Parse { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("b/new/sample.json"), "{message}");
        assert!(message.contains("EOF while parsing"), "{message}");

        let home = home_with(&PLAIN_ID.replace(r#""throughput":null"#, r#""throughput":{"Furlongs":3}"#), "{}");
        let message = expect_err(home.path(), "new").to_string();
        assert!(
            message.contains("b/new/benchmark.json") && message.contains("unknown variant `Furlongs`"),
            "{message}"
        );
    }

    #[test]
    fn empty_samples_are_refused() {
        let home = home_with(PLAIN_ID, r#"{"sampling_mode":"Flat","iters":[],"times":[]}"#);
        let err = expect_err(home.path(), "new");
        assert!(matches!(err, CriterionError::EmptySamples { .. }), "{err:?}");
        assert!(err.to_string().contains("b/new/sample.json holds no samples"), "{err}");
    }

    #[test]
    fn non_positive_iteration_counts_are_refused() {
        for iters in ["0.0", "-2.0"] {
            let sample = format!(r#"{{"sampling_mode":"Flat","iters":[1.0,{iters}],"times":[5.0,6.0]}}"#);
            let err = expect_err(home_with(PLAIN_ID, &sample).path(), "new");
            let CriterionError::NonPositiveIters { index, .. } = &err else { panic!("unexpected {err:?}") };
            assert_eq!(*index, 1);
            assert!(err.to_string().contains("iters[1] is"), "{err}");
        }
    }

    #[test]
    fn non_finite_values_are_refused() {
        // serde_json writes NaN and infinities as null.
        let sample = r#"{"sampling_mode":"Linear","iters":[1.0,2.0,3.0],"times":[5.0,null,7.0]}"#;
        let err = expect_err(home_with(PLAIN_ID, sample).path(), "new");
        let CriterionError::NonFinite { field, index, .. } = &err else { panic!("unexpected {err:?}") };
        assert_eq!((*field, *index), ("times", 1));
        assert!(err.to_string().contains("times[1] is null, not a finite number"), "{err}");

        // A zero time cannot give a throughput.
        let with_throughput = PLAIN_ID.replace(r#""throughput":null"#, r#""throughput":{"Bytes":8}"#);
        let sample = r#"{"sampling_mode":"Flat","iters":[1.0,1.0],"times":[5.0,0.0]}"#;
        let err = expect_err(home_with(&with_throughput, sample).path(), "new");
        assert!(matches!(err, CriterionError::NonFinite { field: "times", index: 1, .. }), "{err:?}");
    }

    #[test]
    fn duplicate_ids_name_both_directories() {
        let home = temp_copy("criterion-versions/0.8.2");
        copy_dir(&home.path().join("plain_sum"), &home.path().join("plain_sum_2"));
        let err = expect_err(home.path(), "new");
        let CriterionError::DuplicateId { id, first, second } = &err else { panic!("unexpected {err:?}") };
        assert_eq!(id, "plain_sum");
        assert!(first.ends_with("plain_sum/new") && second.ends_with("plain_sum_2/new"), "{err}");
        let message = err.to_string();
        assert!(message.contains("plain_sum/new") && message.contains("plain_sum_2/new"), "{message}");
    }

    #[test]
    fn directory_falls_back_to_the_relative_path() {
        let without_dir = r#"{"group_id":"g","function_id":"f","value_str":null,"throughput":null,"full_id":"g/f"}"#;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("g/f/new");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(BENCHMARK_FILE), without_dir).unwrap();
        fs::write(dir.join(SAMPLE_FILE), r#"{"sampling_mode":"Flat","iters":[2.0],"times":[10.0]}"#).unwrap();
        let collection = collect(home.path(), "new", None).unwrap();
        let benchmark = get(&collection, "g/f");
        assert_eq!(source(benchmark).directory, "g/f");
        assert_eq!(time(benchmark).samples, [5.0]);
    }

    #[test]
    fn stale_benchmarks_are_skipped_and_counted() {
        let home = temp_copy("criterion");
        std::thread::sleep(Duration::from_millis(50));
        let since = SystemTime::now();
        // File times come from a coarser clock than SystemTime::now: let it move past `since`.
        std::thread::sleep(Duration::from_millis(50));
        let fresh = home.path().join("parse/numbers/pr/benchmark.json");
        fs::write(&fresh, fs::read(&fresh).unwrap()).unwrap();
        // Rewriting sample.json alone does not make a benchmark fresh: benchmark.json is written last.
        let sample = home.path().join("adler32_4k/pr/sample.json");
        fs::write(&sample, fs::read(&sample).unwrap()).unwrap();

        let collection = collect(home.path(), "pr", Some(since)).unwrap();
        assert_eq!(ids(&collection), ["parse/numbers"]);
        assert_eq!(collection.stale_skipped, 4);

        let everything = collect(home.path(), "pr", Some(UNIX_EPOCH)).unwrap();
        assert_eq!((everything.benchmarks.len(), everything.stale_skipped), (5, 0));

        let future = SystemTime::now() + Duration::from_secs(3600);
        let nothing = collect(home.path(), "pr", Some(future)).unwrap();
        assert_eq!((nothing.benchmarks.len(), nothing.stale_skipped), (0, 5));
    }

    #[test]
    fn stale_broken_directories_are_skipped_not_reported() {
        let home = temp_copy("criterion-broken/half-written");
        let future = SystemTime::now() + Duration::from_secs(3600);
        let collection = collect(home.path(), "new", Some(future)).unwrap();
        assert_eq!((collection.benchmarks.len(), collection.stale_skipped), (0, 2));
        // Without the filter the interrupted directory is an error.
        assert!(matches!(expect_err(home.path(), "new"), CriterionError::HalfWritten { .. }));
    }
}
