//! `run --measure instructions`: the workspace's criterion benches, unchanged, counted under
//! callgrind. perf-gate's stand-in for criterion (`shim/criterion/lib.rs`, written out with the
//! version the lock file has) is patched in with cargo's `--config patch.crates-io...`, in a
//! target dir of its own; the lock file is put back as it was whatever happens. Each bench
//! executable runs under `setarch -R valgrind --tool=callgrind` with a fixed cache geometry
//! and a fixed environment; each benchmark's counts come from the dump its client request
//! names, and the stand-in says which benchmarks it could not count and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::cargo::{BenchError, BenchTarget, Cargo, Executable, Features, OutputSink, Workspace};
use super::{last_lines, run_in_group, Waited};
use crate::callgrind::{self, CACHE_ARGS};
use crate::model::{Benchmark, CallgrindSource, DeclaredThroughput, Source, ThroughputUnit};

/// The stand-in's source, written out beside a manifest naming it `criterion`.
const SHIM_SOURCE: &str = include_str!("../../shim/criterion/lib.rs");

/// criterion's features, declared by the stand-in (empty) so that any manifest's choice of them
/// resolves.
const CRITERION_FEATURES: [&str; 14] = [
    "default",
    "async",
    "async_futures",
    "async_smol",
    "async_tokio",
    "async_std",
    "cargo_bench_support",
    "csv_output",
    "html_reports",
    "plotters",
    "rayon",
    "real_blackbox",
    "stable",
    "experimental_repl",
];

/// glibc picks memcpy and memset by CPU and sizes its malloc arenas by core count; pinned, two
/// machines run the same code paths.
pub const GLIBC_TUNABLES: &str =
    "glibc.cpu.hwcaps=-AVX512F_Usable,-AVX512F,-AVX2_Usable,-AVX2,-AVX_Usable,-AVX,-ERMS:glibc.malloc.arena_max=1";

/// The one search path a counted bench gets. Its environment is this, `LANG=C`,
/// `GLIBC_TUNABLES` and cargo's two package variables, nothing else: the environment's strings
/// sit on the stack, so a `HOME` or `PATH` of another length on another machine would shift
/// the memory layout and with it the counts.
const BENCH_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Where the links to the bench and its package live: the same length on every Linux machine,
/// whatever `TMPDIR` says.
const LINKS_ROOT: &str = "/tmp";

/// A bench executable may take this long under callgrind (20-50 times slower than natively).
const RUN_TIMEOUT_S: f64 = 3600.0;

#[derive(Debug, thiserror::Error)]
pub enum InstructionsError {
    #[error("--measure instructions needs valgrind, which cannot be run ({0}): install it (Debian and Ubuntu: apt-get install valgrind)")]
    NoValgrind(String),
    #[error("--measure instructions: {0}")]
    Criterion(String),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Bench(#[from] BenchError),
    #[error("bench `{bench}` under callgrind: {message}")]
    Run { bench: String, message: String },
    #[error("interrupted")]
    Interrupted,
}

/// What counting gave: the benchmarks, the notes (benchmarks that could not be counted), and
/// the settings for the environment's fingerprint.
pub struct Counted {
    pub benchmarks: Vec<Benchmark>,
    pub notes: Vec<String>,
    pub settings: String,
}

/// Builds the selected bench targets against the stand-in and counts each one's benchmarks.
pub fn measure(
    workspace: &Workspace,
    benches: &[BenchTarget],
    features: &Features,
    bench_args: &[String],
    out_dir: &Path,
    sink: &mut OutputSink,
) -> Result<Counted, InstructionsError> {
    let valgrind = valgrind_version("valgrind")?;
    let version = criterion_version(workspace)?;
    let home = workspace.target_dir.join("perf-gate-instructions");
    let shim = home.join(format!("criterion-{version}"));
    write_shim(&shim, &version)?;
    let counting = Workspace { target_dir: home.join("target"), ..workspace.clone() };
    let patch = format!("patch.crates-io.criterion.path={}", toml_string(&shim.display().to_string()));
    let executables = {
        let _lock = LockGuard::hold(&workspace.root.join("Cargo.lock"));
        let scratch = home.join("criterion-home");
        let cargo = Cargo { workspace: &counting, features, criterion_home: &scratch, config: vec![patch] };
        cargo.build(benches, sink)?
    };
    let mut counted = Counted { benchmarks: Vec::new(), notes: Vec::new(), settings: settings(&valgrind) };
    // Absolute: the benches run in their packages' directories.
    let out_dir = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_owned());
    for executable in &executables {
        let dumps = out_dir.join("callgrind").join(&executable.target.name);
        run_counted(executable, bench_args, &dumps)?;
        let (benchmarks, notes) = read_counts(&dumps, &executable.target)?;
        counted.benchmarks.extend(benchmarks);
        counted.notes.extend(notes);
    }
    counted.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    unique_ids(&counted.benchmarks)?;
    Ok(counted)
}

/// Refuses an id two bench targets both define, as a timed run does.
fn unique_ids(sorted: &[Benchmark]) -> Result<(), InstructionsError> {
    let Some(pair) = sorted.windows(2).find(|pair| pair[0].id == pair[1].id) else { return Ok(()) };
    let target = |benchmark: &Benchmark| match &benchmark.source {
        Source::Callgrind(source) => source.target.clone(),
        _ => String::new(),
    };
    Err(InstructionsError::Run {
        bench: format!("{}` and `{}", target(&pair[0]), target(&pair[1])),
        message: format!("both define benchmark id `{}`: give one of them another name", pair[0].id),
    })
}

/// What the fingerprint records of how the counts were made.
fn settings(valgrind: &str) -> String {
    format!("{valgrind} --cache-sim=yes {} PATH={BENCH_PATH} GLIBC_TUNABLES={GLIBC_TUNABLES}", CACHE_ARGS.join(" "))
}

fn valgrind_version(program: &str) -> Result<String, InstructionsError> {
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| InstructionsError::NoValgrind(e.to_string()))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || version.is_empty() {
        return Err(InstructionsError::NoValgrind(format!("`valgrind --version` ended {}", output.status)));
    }
    Ok(version)
}

/// The one criterion version of the lock file, from 0.4 to 0.8.
fn criterion_version(workspace: &Workspace) -> Result<String, InstructionsError> {
    let Some(versions) = &workspace.criterion else {
        return Err(InstructionsError::Criterion(
            "the lock file has no criterion: only criterion benches can be counted".to_owned(),
        ));
    };
    if versions.contains(", ") {
        return Err(InstructionsError::Criterion(format!(
            "the lock file has several criterion versions ({versions}); one stand-in replaces one: bring them to one version"
        )));
    }
    let supported = ["0.4.", "0.5.", "0.6.", "0.7.", "0.8."].iter().any(|line| versions.starts_with(line));
    if !supported {
        return Err(InstructionsError::Criterion(format!(
            "criterion {versions} is not one the stand-in implements (0.4 to 0.8)"
        )));
    }
    Ok(versions.clone())
}

/// A string as TOML writes it, for cargo's `--config`.
fn toml_string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '\\' => vec!['\\', '\\'],
            '"' => vec!['\\', '"'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

fn write_shim(dir: &Path, version: &str) -> Result<(), InstructionsError> {
    let features: String = CRITERION_FEATURES.iter().map(|f| format!("{f} = []\n")).collect();
    let manifest = format!(
        "# Written by cargo-perf-gate for --measure instructions: its stand-in for criterion.\n\
         [package]\nname = \"criterion\"\nversion = \"{version}\"\nedition = \"2021\"\n\n\
         [lib]\npath = \"lib.rs\"\nbench = false\n\n[features]\n{features}\n[workspace]\n"
    );
    std::fs::create_dir_all(dir).map_err(|source| InstructionsError::Write { path: dir.to_owned(), source })?;
    for (name, contents) in [("Cargo.toml", manifest.as_str()), ("lib.rs", SHIM_SOURCE)] {
        let path = dir.join(name);
        // Rewritten only when it changed: a new modification time rebuilds every bench.
        if std::fs::read(&path).ok().as_deref() == Some(contents.as_bytes()) {
            continue;
        }
        std::fs::write(&path, contents).map_err(|source| InstructionsError::Write { path, source })?;
    }
    Ok(())
}

/// The lock file as it was, put back when dropped: the patch makes cargo rewrite it, and the
/// user's lock must not change because perf-gate counted.
struct LockGuard {
    path: PathBuf,
    contents: Option<Vec<u8>>,
}

impl LockGuard {
    fn hold(path: &Path) -> LockGuard {
        LockGuard { path: path.to_owned(), contents: std::fs::read(path).ok() }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        match &self.contents {
            Some(contents) if std::fs::read(&self.path).ok().as_ref() != Some(contents) => {
                let _ = std::fs::write(&self.path, contents);
            }
            Some(_) => {}
            None => {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// The bench's output (its own and the stand-in's report lines), beside the dumps.
const OUTPUT_FILE: &str = "output.log";
/// What starts each of the stand-in's report lines on stderr.
const REPORT_PREFIX: &str = "perf-gate-shim: ";

/// Runs one bench executable under callgrind, its dumps, its output and valgrind's log in
/// `dumps`. The executable and its package directory are reached through links of the same
/// length on every run (a fresh temporary directory), so that no path's length shifts the
/// stack or the heap between two runs, or between the ref's worktree and the current tree.
fn run_counted(executable: &Executable, bench_args: &[String], dumps: &Path) -> Result<(), InstructionsError> {
    let bench = executable.target.name.clone();
    let failed = |message: String| InstructionsError::Run { bench: bench.clone(), message };
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| InstructionsError::Write { path, source }
    };
    if dumps.exists() {
        std::fs::remove_dir_all(dumps).map_err(write_error(dumps))?;
    }
    std::fs::create_dir_all(dumps).map_err(write_error(dumps))?;
    let mut links = tempfile::Builder::new();
    links.prefix("perf-gate-");
    let links = if Path::new(LINKS_ROOT).is_dir() { links.tempdir_in(LINKS_ROOT) } else { links.tempdir() }
        .map_err(write_error(Path::new("a temporary directory")))?;
    let (program, package) = (links.path().join("bench"), links.path().join("package"));
    std::os::unix::fs::symlink(&executable.path, &program).map_err(write_error(&program))?;
    std::os::unix::fs::symlink(&executable.target.manifest_dir, &package).map_err(write_error(&package))?;
    let output = dumps.join(OUTPUT_FILE);
    let out = std::fs::File::create(&output).map_err(write_error(&output))?;
    let err = out.try_clone().map_err(write_error(&output))?;
    let (setarch, valgrind) = (on_path("setarch").map_err(&failed)?, on_path("valgrind").map_err(&failed)?);
    let mut command = Command::new(setarch);
    command
        .arg(std::env::consts::ARCH)
        .arg("-R")
        .arg(valgrind)
        .args(["--tool=callgrind", "--instr-atstart=no", "--cache-sim=yes"])
        .args(CACHE_ARGS)
        .arg(format!("--log-file={}", dumps.join("valgrind.log").display()))
        .arg(format!("--callgrind-out-file={}", dumps.join("callgrind.out.%p").display()))
        .arg(&program)
        .arg("--bench")
        .args(bench_args)
        .current_dir(&package)
        .env_clear()
        .env("PATH", BENCH_PATH)
        .env("GLIBC_TUNABLES", GLIBC_TUNABLES)
        .env("LANG", "C")
        .env("CARGO_MANIFEST_DIR", &package)
        .env("CARGO_PKG_NAME", &executable.target.package)
        .env("PERF_GATE_SHIM", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    let tail = || {
        let mut lines = last_lines(&dumps.join("valgrind.log"), 8);
        lines.extend(last_lines(&output, 8));
        lines.join("\n")
    };
    match run_in_group(command, RUN_TIMEOUT_S) {
        Err(Waited::Interrupted) => Err(InstructionsError::Interrupted),
        Err(Waited::Spawn(e)) => Err(failed(format!("cannot start setarch and valgrind: {e}"))),
        Ok(None) => Err(failed(format!("took more than {RUN_TIMEOUT_S} s under callgrind and was killed"))),
        Ok(Some(status)) if !status.success() => Err(failed(format!("ended {status}:\n{}", tail()))),
        Ok(Some(_)) => Ok(()),
    }
}

/// A program's path on perf-gate's own `PATH`: the bench's `PATH` is fixed, and may not hold it.
fn on_path(program: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("`{program}` is not on PATH (setarch is in util-linux, valgrind in valgrind)"))
}

/// One line of the stand-in's report.
#[derive(serde::Deserialize)]
struct Reported {
    id: String,
    counted: bool,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    throughput: Option<ReportedThroughput>,
}

#[derive(serde::Deserialize)]
struct ReportedThroughput {
    unit: String,
    per_iteration: u64,
}

/// The benchmarks a run's dumps count, and a note for each one the stand-in could not count.
fn read_counts(dumps: &Path, target: &BenchTarget) -> Result<(Vec<Benchmark>, Vec<String>), InstructionsError> {
    let failed = |message: String| InstructionsError::Run { bench: target.name.clone(), message };
    let output = std::fs::read_to_string(dumps.join(OUTPUT_FILE)).unwrap_or_default();
    let mut counts: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let entries = std::fs::read_dir(dumps).map_err(|e| failed(format!("cannot read {}: {e}", dumps.display())))?;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("callgrind.out.") {
            continue;
        }
        let text =
            std::fs::read_to_string(entry.path()).map_err(|e| failed(format!("{}: {e}", entry.path().display())))?;
        let dump = callgrind::parse_dump(&text).map_err(|e| failed(format!("{}: {e}", entry.path().display())))?;
        if let Some(id) = dump.client_request {
            counts.insert(id, dump.events);
        }
    }
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    let mut notes = Vec::new();
    for line in output.lines().filter_map(|l| l.strip_prefix(REPORT_PREFIX)) {
        let reported: Reported =
            serde_json::from_str(line).map_err(|e| failed(format!("the stand-in's report: {e}")))?;
        if benchmarks.iter().any(|b| b.id == reported.id) {
            return Err(failed(format!(
                "benchmark id `{}` is defined twice: give each benchmark its own id",
                reported.id
            )));
        }
        if !reported.counted {
            let reason = reported.reason.unwrap_or_default();
            notes.push(format!("`{}` (bench `{}`) was not counted: {reason}", reported.id, target.name));
            continue;
        }
        let events = counts.remove(&reported.id).ok_or_else(|| {
            failed(format!(
                "`{}` ran but callgrind wrote no counts for it: is this a valgrind-supported CPU (x86_64 or aarch64)?",
                reported.id
            ))
        })?;
        let throughput = reported.throughput.and_then(|t| {
            let unit = match t.unit.as_str() {
                "bytes" => ThroughputUnit::Bytes,
                "elements" => ThroughputUnit::Elements,
                "bits" => ThroughputUnit::Bits,
                _ => return None,
            };
            Some(DeclaredThroughput { unit, per_iteration: t.per_iteration })
        });
        let source = Source::Callgrind(CallgrindSource { target: target.name.clone(), throughput });
        benchmarks.push(Benchmark { id: reported.id, source, metrics: callgrind::metrics(&events) });
    }
    Ok((benchmarks, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> BenchTarget {
        BenchTarget { package: "p".into(), name: "b".into(), required_features: Vec::new(), manifest_dir: ".".into() }
    }

    fn dump(id: &str, ir: u64) -> String {
        format!("desc: Trigger: Client Request: {id}\nevents: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\ntotals: {ir} 10 5 1 1 0 1 1 0\n")
    }

    #[test]
    fn the_reports_lines_and_the_dumps_make_the_benchmarks_and_the_notes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("callgrind.out.7"), "events: Ir\ntotals: 0\n").unwrap();
        std::fs::write(dir.path().join("callgrind.out.7.1"), dump("sum/slice/100", 200)).unwrap();
        std::fs::write(dir.path().join("callgrind.out.7.2"), dump("fib 15", 19_973)).unwrap();
        let report = concat!(
            "the bench's own output\n",
            r#"perf-gate-shim: {"id":"sum/slice/100","counted":true,"throughput":{"unit":"elements","per_iteration":100}}"#,
            "\n",
            r#"perf-gate-shim: {"id":"fib 15","counted":true}"#,
            "\n",
            r#"perf-gate-shim: {"id":"sum/custom","counted":false,"reason":"iter_custom times its own iterations"}"#,
            "\n"
        );
        std::fs::write(dir.path().join(OUTPUT_FILE), report).unwrap();
        let (benchmarks, notes) = read_counts(dir.path(), &target()).unwrap();
        let ids: Vec<&str> = benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["sum/slice/100", "fib 15"]);
        assert_eq!(benchmarks[1].metrics["instructions"].gate_value(), 19_973.0);
        let Source::Callgrind(source) = &benchmarks[0].source else { panic!("{:?}", benchmarks[0].source) };
        assert_eq!(source.throughput, Some(DeclaredThroughput { unit: ThroughputUnit::Elements, per_iteration: 100 }));
        assert_eq!(notes, ["`sum/custom` (bench `b`) was not counted: iter_custom times its own iterations"]);

        // A benchmark the stand-in ran but callgrind did not count, and an id given twice.
        std::fs::write(dir.path().join(OUTPUT_FILE), r#"perf-gate-shim: {"id":"lost","counted":true}"#).unwrap();
        let error = read_counts(dir.path(), &target()).err().unwrap().to_string();
        assert!(error.contains("`lost` ran but callgrind wrote no counts for it"), "{error}");
        let line = r#"perf-gate-shim: {"id":"fib 15","counted":true}"#;
        std::fs::write(dir.path().join(OUTPUT_FILE), format!("{line}\n{line}\n")).unwrap();
        let error = read_counts(dir.path(), &target()).err().unwrap().to_string();
        assert!(error.contains("`fib 15` is defined twice"), "{error}");
    }

    #[test]
    fn an_id_two_bench_targets_define_is_refused() {
        let counted = |target: &str| Benchmark {
            id: "parse".into(),
            source: Source::Callgrind(CallgrindSource { target: target.into(), throughput: None }),
            metrics: BTreeMap::new(),
        };
        let error = unique_ids(&[counted("a"), counted("b")]).unwrap_err().to_string();
        assert_eq!(
            error,
            "bench `a` and `b` under callgrind: both define benchmark id `parse`: give one of them another name"
        );
        assert!(unique_ids(&[counted("a")]).is_ok());
    }

    #[test]
    fn one_supported_criterion_version_is_needed() {
        let workspace = |criterion: Option<&str>| Workspace {
            root: ".".into(),
            target_dir: "target".into(),
            manifest_path: None,
            members: Vec::new(),
            default_members: Vec::new(),
            criterion: criterion.map(str::to_owned),
        };
        assert_eq!(criterion_version(&workspace(Some("0.5.1"))).unwrap(), "0.5.1");
        assert_eq!(criterion_version(&workspace(Some("0.8.2"))).unwrap(), "0.8.2");
        for (versions, message) in [
            (None, "the lock file has no criterion"),
            (Some("0.4.0, 0.5.1"), "several criterion versions (0.4.0, 0.5.1)"),
            (Some("0.3.6"), "criterion 0.3.6 is not one the stand-in implements"),
        ] {
            let error = criterion_version(&workspace(versions)).unwrap_err().to_string();
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn without_valgrind_the_message_says_how_to_install_it() {
        let error = valgrind_version("/nonexistent/valgrind").unwrap_err();
        assert!(matches!(error, InstructionsError::NoValgrind(_)));
        assert!(error.to_string().contains("apt-get install valgrind"), "{error}");
        assert_eq!(crate::error::Error::from(error).exit_code(), crate::exit_code::INVALID_INPUT);
    }

    #[test]
    fn the_lock_file_is_put_back_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("Cargo.lock");
        std::fs::write(&lock, "original").unwrap();
        drop({
            let guard = LockGuard::hold(&lock);
            std::fs::write(&lock, "patched").unwrap();
            guard
        });
        assert_eq!(std::fs::read_to_string(&lock).unwrap(), "original");
        let missing = dir.path().join("none.lock");
        drop({
            let guard = LockGuard::hold(&missing);
            std::fs::write(&missing, "written by cargo").unwrap();
            guard
        });
        assert!(!missing.exists(), "a lock file the workspace did not have is not left behind");
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
    }
}
