//! Command benchmarks, hyperfine's way: no shell unless asked, warm-up runs, at least the
//! configured runs, an untimed `prepare` before each, and every command's runs interleaved so
//! that drift of the machine spreads over all of them instead of biasing one.
//!
//! Each run goes through a launcher: this binary re-executed in a tiny mode that spawns the
//! command and reads its resource usage with `wait4`. A child inherits the peak RSS of the
//! process it was forked from, so the launcher (a few MB) keeps perf-gate's own memory out of
//! the command's `peak_rss_bytes`.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::imported::{self, ToolRun, ToolRunError};
use super::{descendants, last_lines, read_custom_metrics, run_in_group, tail_text, Place, Waited, METRICS_ENV};
use crate::config::{CommandBench, ImportSpec};
use crate::model::{Benchmark, Better, CommandSource, Metric, Source, TIME_METRIC};

/// The first argument that turns the binary into the launcher.
pub const LAUNCHER_ARG: &str = "__perf-gate-launch";
const TAIL_LINES: usize = 20;

/// A command benchmark that could not be measured: exit code 3, or 130 when interrupted.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("command `{name}`: cannot start {what}: {message}")]
    Spawn { name: String, what: String, message: String },
    #[error("command `{name}`: every one of its {runs} runs failed (last: {last}){}", tail_text(log))]
    AllRunsFailed { name: String, runs: usize, last: String, log: Vec<String> },
    #[error("command `{name}`: its prepare command failed ({status}){}", tail_text(log))]
    PrepareFailed { name: String, status: String, log: Vec<String> },
    #[error("command `{name}`: {message}")]
    Metrics { name: String, message: String },
    #[error("command `{name}`: {source}")]
    Import { name: String, source: ToolRunError },
    #[error("interrupted")]
    Interrupted,
}

/// What the launcher reports about one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunUsage {
    pub wall_ns: f64,
    pub user_ns: f64,
    pub sys_ns: f64,
    pub max_rss_bytes: f64,
    /// The exit code, when the command exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// Set when perf-gate killed it at its `timeout_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed_out_after_s: Option<f64>,
}

impl RunUsage {
    fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// A run perf-gate killed at its timeout.
    fn timed_out(timeout_s: f64) -> RunUsage {
        RunUsage {
            wall_ns: timeout_s * 1e9,
            user_ns: 0.0,
            sys_ns: 0.0,
            max_rss_bytes: 0.0,
            exit_code: None,
            signal: Some(libc::SIGKILL),
            timed_out_after_s: Some(timeout_s),
        }
    }

    fn describe_failure(&self) -> String {
        if let Some(seconds) = self.timed_out_after_s {
            return format!("timed out after {seconds} s, and was killed");
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => "no exit status".to_owned(),
        }
    }
}

/// The launcher: `LAUNCHER_ARG REPORT PROGRAM [ARGS...]`. Spawns the program with this
/// process's stdio, environment and directory, waits for it with `wait4`, and writes a
/// [`RunUsage`] as JSON to REPORT.
pub fn launcher(args: &[std::ffi::OsString]) -> ExitCode {
    let [report, program, rest @ ..] = args else {
        eprintln!("perf-gate launcher: expected REPORT PROGRAM [ARGS...]");
        return ExitCode::from(2);
    };
    // Before the command exists: from here on, perf-gate's death ends the command too.
    descendants::on_parent_death();
    let started = Instant::now();
    let child = match Command::new(program).args(rest).spawn() {
        Ok(child) => child,
        Err(error) => {
            eprintln!("perf-gate launcher: cannot start {}: {error}", program.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    let Ok(pid) = i32::try_from(child.id()) else { return ExitCode::from(2) };
    descendants::kill_on_parent_death(pid);
    let (status, usage) = match wait4(pid) {
        Ok(result) => result,
        Err(error) => {
            eprintln!("perf-gate launcher: wait4: {error}");
            return ExitCode::from(2);
        }
    };
    let run = run_usage(started.elapsed(), status, &usage);
    if descendants::parent_died() {
        // Nobody reads the report; nothing of the run may stay.
        descendants::sweep(Duration::ZERO);
        eprintln!("perf-gate launcher: perf-gate ended (or SIGTERM came): the command was killed");
        return ExitCode::from(2);
    }
    // The launcher is a subreaper (`app::main`): what the command daemonized is its child now,
    // and ends with the run, before the next one starts.
    descendants::sweep(descendants::ORPHAN_GRACE);
    match std::fs::write(report, serde_json::to_vec(&run).unwrap_or_default()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("perf-gate launcher: cannot write {}: {error}", report.to_string_lossy());
            ExitCode::from(2)
        }
    }
}

/// What `wait4` said about a run that took `wall`.
fn run_usage(wall: Duration, status: i32, usage: &libc::rusage) -> RunUsage {
    let time_ns = |t: libc::timeval| t.tv_sec as f64 * 1e9 + t.tv_usec as f64 * 1e3;
    RunUsage {
        wall_ns: wall.as_nanos() as f64,
        user_ns: time_ns(usage.ru_utime),
        sys_ns: time_ns(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: usage.ru_maxrss as f64 * 1024.0,
        exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        timed_out_after_s: None,
    }
}

fn wait4(pid: i32) -> std::io::Result<(i32, libc::rusage)> {
    loop {
        let mut status = 0;
        // SAFETY: rusage is plain data; zeroed is a valid value and wait4 fills it in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 writes only to the two out-pointers, which live on this stack frame.
        let result = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if result == pid {
            return Ok((status, usage));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// One command being measured.
struct Measured<'a> {
    bench: &'a CommandBench,
    runs: Vec<RunUsage>,
    failures: Vec<RunUsage>,
    custom: BTreeMap<String, Vec<f64>>,
    elapsed: Duration,
    log: PathBuf,
}

impl Measured<'_> {
    fn wants_more(&self) -> bool {
        let total = self.runs.len() + self.failures.len();
        total < self.bench.runs || (self.elapsed.as_secs_f64() < self.bench.min_time_s && total < self.bench.max_runs)
    }
}

/// Measures `commands`: their warm-up runs, then rounds in which each command still short of
/// its runs or its minimum time runs once. `progress` hears about each command's start. Also
/// returns warnings about the measurements, for the reports.
pub fn measure(
    commands: &[&CommandBench],
    place: &Place<'_>,
    mut progress: impl FnMut(&str),
) -> Result<(Vec<Benchmark>, Vec<String>), CommandError> {
    let imports: Vec<(&CommandBench, &ImportSpec)> =
        commands.iter().filter_map(|bench| bench.import.as_ref().map(|spec| (*bench, spec))).collect();
    let commands: Vec<&CommandBench> = commands.iter().copied().filter(|bench| bench.import.is_none()).collect();
    let mut measured: Vec<Measured<'_>> = commands
        .iter()
        .map(|bench| Measured {
            bench,
            runs: Vec::new(),
            failures: Vec::new(),
            custom: BTreeMap::new(),
            elapsed: Duration::ZERO,
            log: place.log_dir.join(format!("command-{}.log", bench.name.replace(['/', '\\'], "_"))),
        })
        .collect();
    for item in &mut measured {
        File::create(&item.log).map_err(|e| spawn_error(item.bench, "its log", &e))?;
        progress(&item.bench.name);
        for _ in 0..item.bench.warmup {
            run_once(item, place, false)?;
        }
    }
    while measured.iter().any(Measured::wants_more) {
        for item in measured.iter_mut().filter(|m| m.wants_more()) {
            run_once(item, place, true)?;
        }
    }
    let mut warnings: Vec<String> = measured.iter().filter_map(|m| outlier_warning(&m.bench.name, &m.runs)).collect();
    let mut benchmarks: Vec<Benchmark> = measured.into_iter().map(into_benchmark).collect::<Result<_, _>>()?;
    for (bench, spec) in imports {
        progress(&bench.name);
        let results = run_tool(bench, spec, place)?;
        benchmarks.extend(results.benchmarks);
        warnings.extend(results.note);
    }
    Ok((benchmarks, warnings))
}

/// A command with `import`: its `prepare`, then one run of the tool, whose file is imported.
fn run_tool(bench: &CommandBench, spec: &ImportSpec, place: &Place<'_>) -> Result<imported::ToolResults, CommandError> {
    let cwd = place.cwd(bench.cwd.as_deref());
    let log = place.log_dir.join(format!("command-{}.log", bench.name.replace(['/', '\\'], "_")));
    File::create(&log).map_err(|e| spawn_error(bench, "its log", &e))?;
    if let Some(prepare) = &bench.prepare {
        run_prepare(bench, prepare, &cwd, &log)?;
    }
    let argv = if bench.shell {
        vec!["sh".to_owned(), "-c".to_owned(), bench.command[0].clone()]
    } else {
        bench.command.clone()
    };
    let tool = ToolRun {
        name: &bench.name,
        argv: &argv,
        cwd: &cwd,
        env: &bench.env,
        timeout_s: bench.timeout_s,
        spec,
        log: &log,
    };
    imported::run(&tool).map_err(|source| match source {
        ToolRunError::Interrupted => CommandError::Interrupted,
        source => CommandError::Import { name: bench.name.clone(), source },
    })
}

/// Robust standard deviations from the median beyond which a run is an outlier: hyperfine's
/// limit (a modified Z-score of 10).
const OUTLIER_LIMIT: f64 = 10.0;

/// A warning when some runs' wall times lie far outside the rest, as hyperfine warns: they are
/// kept (removing them would hide real variance), but the reader should know.
fn outlier_warning(name: &str, runs: &[RunUsage]) -> Option<String> {
    let times: Vec<f64> = runs.iter().map(|r| r.wall_ns).collect();
    if times.len() < 3 {
        return None;
    }
    let (center, spread) = (crate::stats::median(&times), crate::stats::mad(&times));
    let outliers = times.iter().filter(|t| spread > 0.0 && ((*t - center) / spread).abs() > OUTLIER_LIMIT).count();
    (outliers > 0).then(|| {
        let first = spread > 0.0 && (times[0] - center) / spread > OUTLIER_LIMIT;
        let hint = if first {
            "the first timed run was much slower: raise `warmup`, or clear caches in `prepare`"
        } else {
            "another process may have interfered: rerun on a quieter machine"
        };
        format!("command `{name}`: {outliers} of {} runs lie more than {OUTLIER_LIMIT} robust standard deviations from the median; {hint}", times.len())
    })
}

fn spawn_error(bench: &CommandBench, what: &str, error: &dyn std::fmt::Display) -> CommandError {
    CommandError::Spawn { name: bench.name.clone(), what: what.to_owned(), message: error.to_string() }
}

/// The run's stdout and stderr, both appended to its log.
fn log_stdio(bench: &CommandBench, log: &Path) -> Result<(Stdio, Stdio), CommandError> {
    let open = || std::fs::OpenOptions::new().append(true).open(log);
    let out = open().map_err(|e| spawn_error(bench, "its log", &e))?;
    let err = open().map_err(|e| spawn_error(bench, "its log", &e))?;
    Ok((Stdio::from(out), Stdio::from(err)))
}

/// The command's `prepare`, untimed; its failure ends the benchmark.
fn run_prepare(bench: &CommandBench, prepare: &[String], cwd: &Path, log: &Path) -> Result<(), CommandError> {
    let (out, err) = log_stdio(bench, log)?;
    let mut command = Command::new(&prepare[0]);
    command.args(&prepare[1..]).current_dir(cwd).envs(&bench.env).stdin(Stdio::null()).stdout(out).stderr(err);
    let status = run_in_group(command, bench.timeout_s).map_err(|e| match e {
        Waited::Interrupted => CommandError::Interrupted,
        Waited::Spawn(e) => spawn_error(bench, &format!("prepare `{}`", prepare[0]), &e),
    })?;
    if status.is_some_and(|s| s.success()) {
        return Ok(());
    }
    let status = status.map_or_else(|| format!("timed out after {} s", bench.timeout_s), |s| s.to_string());
    Err(CommandError::PrepareFailed { name: bench.name.clone(), status, log: last_lines(log, TAIL_LINES) })
}

/// One run: prepare, then the command through the launcher, killed at its timeout.
fn run_once(item: &mut Measured<'_>, place: &Place<'_>, timed: bool) -> Result<(), CommandError> {
    let bench = item.bench;
    let cwd = place.cwd(bench.cwd.as_deref());
    let scratch = tempfile::tempdir().map_err(|e| spawn_error(bench, "a scratch directory", &e))?;
    if let Some(prepare) = &bench.prepare {
        run_prepare(bench, prepare, &cwd, &item.log)?;
    }
    let report = scratch.path().join("usage.json");
    let metrics_file = scratch.path().join("metrics.json");
    let launcher = std::env::current_exe().map_err(|e| spawn_error(bench, "the launcher", &e))?;
    let (out, err) = log_stdio(bench, &item.log)?;
    let mut command = Command::new(launcher);
    command.arg(LAUNCHER_ARG).arg(&report);
    if bench.shell {
        command.args(["sh", "-c", &bench.command[0]]);
    } else {
        command.args(&bench.command);
    }
    command
        .current_dir(&cwd)
        .envs(&bench.env)
        .env(METRICS_ENV, &metrics_file)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    let status = run_in_group(command, bench.timeout_s).map_err(|e| match e {
        Waited::Interrupted => CommandError::Interrupted,
        Waited::Spawn(e) => spawn_error(bench, "the launcher", &e),
    })?;
    let usage = match status {
        None => RunUsage::timed_out(bench.timeout_s),
        Some(status) if status.success() => {
            let text = std::fs::read(&report).map_err(|e| spawn_error(bench, "the launcher's report", &e))?;
            serde_json::from_slice(&text).map_err(|e| spawn_error(bench, "the launcher's report", &e))?
        }
        // The launcher could not start the program: its reason is in the log.
        Some(_) => {
            let reason = last_lines(&item.log, TAIL_LINES).pop().unwrap_or_default();
            return Err(spawn_error(bench, &format!("`{}`", bench.command[0]), &reason));
        }
    };
    if !timed {
        return Ok(());
    }
    item.elapsed += Duration::from_nanos(usage.wall_ns as u64);
    if !usage.succeeded() {
        item.failures.push(usage);
        return Ok(());
    }
    item.runs.push(usage);
    for (name, value) in read_custom_metrics(&metrics_file)
        .map_err(|message| CommandError::Metrics { name: bench.name.clone(), message })?
    {
        item.custom.entry(name).or_default().push(value);
    }
    Ok(())
}

fn into_benchmark(item: Measured<'_>) -> Result<Benchmark, CommandError> {
    let bench = item.bench;
    let total = item.runs.len() + item.failures.len();
    if item.runs.is_empty() {
        let last = item.failures.last().map_or_else(|| "no run".to_owned(), RunUsage::describe_failure);
        return Err(CommandError::AllRunsFailed {
            name: bench.name.clone(),
            runs: total,
            last,
            log: last_lines(&item.log, TAIL_LINES),
        });
    }
    let per_run = |f: fn(&RunUsage) -> f64| item.runs.iter().map(f).collect::<Vec<f64>>();
    let mut metrics = BTreeMap::new();
    metrics.insert(TIME_METRIC.to_owned(), Metric::from_samples("ns", Better::Lower, true, per_run(|r| r.wall_ns)));
    metrics.insert("user_ms".to_owned(), Metric::from_samples("ms", Better::Lower, true, per_run(|r| r.user_ns / 1e6)));
    metrics.insert("sys_ms".to_owned(), Metric::from_samples("ms", Better::Lower, false, per_run(|r| r.sys_ns / 1e6)));
    let mut peak = Metric::from_samples("bytes", Better::Lower, true, per_run(|r| r.max_rss_bytes));
    peak.value = Some(peak.summary.max);
    metrics.insert("peak_rss_bytes".to_owned(), peak);
    metrics.insert("exit_failures".to_owned(), Metric::single("runs", item.failures.len() as f64));
    for (name, samples) in item.custom {
        let declared = bench.metrics.get(&name);
        let unit = declared.map(|d| d.unit.clone()).unwrap_or_default();
        let better = declared.and_then(|d| d.better);
        metrics.insert(name, Metric::from_samples(unit, better.unwrap_or(Better::Lower), better.is_some(), samples));
    }
    Ok(Benchmark {
        id: bench.name.clone(),
        source: Source::Command(CommandSource {
            command: bench.command.clone(),
            shell: bench.shell,
            runs: total,
            failed_runs: item.failures.len(),
        }),
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(walls: &[f64]) -> Vec<RunUsage> {
        walls
            .iter()
            .map(|&wall_ns| RunUsage {
                wall_ns,
                user_ns: 0.0,
                sys_ns: 0.0,
                max_rss_bytes: 0.0,
                exit_code: Some(0),
                signal: None,
                timed_out_after_s: None,
            })
            .collect()
    }

    #[test]
    fn far_outliers_are_warned_about_and_a_slow_first_run_gets_its_own_hint() {
        let steady = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        assert_eq!(outlier_warning("c", &runs(&steady)), None);
        let mut late = steady.to_vec();
        late.push(400.0);
        let warning = outlier_warning("c", &runs(&late)).unwrap();
        assert!(warning.starts_with("command `c`: 1 of 7 runs lie more than 10 robust"), "{warning}");
        assert!(warning.contains("another process"), "{warning}");
        let mut cold = vec![400.0];
        cold.extend(steady);
        assert!(outlier_warning("c", &runs(&cold)).unwrap().contains("raise `warmup`"));
        assert_eq!(outlier_warning("c", &runs(&[1.0, 1.0, 1.0, 9.0])), None, "no spread, no verdict");
    }
}
