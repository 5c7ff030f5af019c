//! The commands: each one wires the I/O edges (cargo, criterion's files, the out dir, the
//! terminal) to the pure pipeline in between.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

mod baseline;
mod github;
mod history;
mod import;
mod interleave;
mod run;
mod screen;
mod slo;
mod window_artifact;
mod workflow_log;

use crate::cli::{self, CheckArgs, Command, ConfigCommand, RunArgs};
use crate::collect::canary::CanaryRecorder;
use crate::collect::cargo::{
    exact_filter, split_filter, BenchTarget, Cargo, Features, OutputSink, Selection, Workspace,
};
use crate::collect::criterion::{self, CriterionError};
use crate::collect::{command, descendants, instructions, service, worktree, Place};
use crate::config::{self, Config, DEFAULT_CONFIG_FILE};
use crate::error::Error;
use crate::history::Origin;
use crate::model::AppliedEnvironment;
use crate::model::{self, Benchmark, Canary, Results, Shard, Source};
use crate::output::{self, Staged};
use crate::report::{self, Inputs};
use crate::{compare, confirm, exit_code, export, interrupt, render};
use baseline::BaselineSpec;
use github::GitHub;

pub const RESULTS_FILE: &str = "results.json";
/// Where a confirming shard writes the current side of its suspects' rounds.
pub const PAIRED_DIR: &str = "paired";
pub const REPORT_JSON_FILE: &str = "report.json";
pub const SUMMARY_MD_FILE: &str = "summary.md";
pub const REPORT_HTML_FILE: &str = "report.html";
pub const RESULTS_CSV_FILE: &str = "results.csv";
pub const RESULTS_BMF_FILE: &str = "results.bmf.json";
pub const RESULTS_OPENMETRICS_FILE: &str = "results.prom";
pub const BENCH_LOG_FILE: &str = "bench.log";
/// What a run leaves in the out dir as its result, results first; cleared when a run starts.
const RUN_OUTPUTS: [&str; 8] = [
    RESULTS_FILE,
    REPORT_JSON_FILE,
    SUMMARY_MD_FILE,
    REPORT_HTML_FILE,
    RESULTS_CSV_FILE,
    RESULTS_BMF_FILE,
    RESULTS_OPENMETRICS_FILE,
    github::COMMENT_FILE,
];
/// Said when a workspace without bench targets runs only its config's commands and services.
const ONLY_OTHERS_NOTE: &str = "No criterion bench targets: only the configured commands and services ran.";

/// Entry point of the binary: parses `std::env::args_os()` and runs the command.
pub fn main() -> ExitCode {
    // First, for the command launcher too: what a benchmark, command or service daemonizes is
    // reparented to this process, which ends it when the run that started it is torn down.
    descendants::become_subreaper();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The launcher of command runs does nothing else, so that it stays small.
    if args.get(1).is_some_and(|a| a == command::LAUNCHER_ARG) {
        return command::launcher(&args[2..]);
    }
    let cli = match cli::parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { exit_code::INVALID_INPUT } else { exit_code::OK });
        }
    };
    // Before any thread starts: the benches, commands and services run the pull request's code.
    crate::secrets::take_from_environment(cli.github_token());
    interrupt::install();
    // What these print holds text a pull request controls: in Actions, none of it may be obeyed
    // as a workflow command. (`config` and `clean` print nothing of the kind, and `config schema`
    // is meant to be redirected into a file.)
    let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    workflow_log::stop(in_actions && !matches!(cli.command, Some(Command::Config(_) | Command::Clean(_))));
    let outcome = match cli.command {
        None => run::run(cli.run),
        Some(Command::Run(args)) => run::run(*args),
        Some(Command::Check(args)) => check(*args),
        Some(Command::Config(command)) => config_command(command),
        Some(Command::Merge(args)) => merge(args),
        Some(Command::Clean(args)) => clean(args),
        Some(Command::Comment(args)) => github::comment_command(args, &Console { quiet: false }),
        Some(Command::Record(args)) => history::record_command(args),
        Some(Command::List(args)) => history::list_command(args),
        Some(Command::Export(args)) => history::export_command(args),
        Some(Command::Regressions(args)) => history::regressions_command(args),
        Some(Command::Trends(args)) => history::trends_command(args),
        Some(Command::Release(args)) => history::release_command(args),
        Some(Command::Slo(args)) => slo::slo_command(args),
        Some(Command::Import(args)) => import::import_command(args),
    };
    let code = match outcome {
        Ok(code) => code,
        Err(error) => {
            let mut message = error.to_string();
            eprintln!("error: {}", render::terminal_safe(&message));
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                // Most messages already end with their cause; repeating it adds nothing.
                let cause_text = cause.to_string();
                if !message.contains(&cause_text) {
                    eprintln!("  caused by: {}", render::terminal_safe(&cause_text));
                    message = cause_text;
                }
                source = cause.source();
            }
            error.exit_code()
        }
    };
    // Every teardown sweeps already; this is the last word, for whatever a path did not end.
    descendants::sweep(descendants::ORPHAN_GRACE);
    workflow_log::resume();
    ExitCode::from(code)
}

/// Diagnostics and progress on stderr; `quiet` keeps only warnings.
struct Console {
    quiet: bool,
}

impl Console {
    fn status(&self, message: &str) {
        if !self.quiet {
            eprintln!("{}", render::terminal_safe(message));
        }
    }

    fn warn(&self, message: &str) {
        eprintln!("warning: {}", render::terminal_safe(message));
    }
}

/// `cargo perf-gate clean`: removes the baseline worktree and what was measured in it.
fn clean(args: cli::CleanArgs) -> Result<u8, Error> {
    let workspace = Workspace::load(args.manifest_path.as_deref())?;
    let out_dir = args.out_dir.unwrap_or_else(|| workspace.target_dir.join("perf-gate"));
    let top = worktree::toplevel(&workspace.root)?;
    let removed = worktree::remove(&top, &out_dir)?;
    for dir in ["baseline", "baseline-target", "baseline-criterion"] {
        let path = out_dir.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(|source| output::WriteError { path: path.clone(), source })?;
        }
    }
    eprintln!(
        "{}",
        if removed {
            format!("Removed the baseline worktree under {}", out_dir.display())
        } else {
            "No baseline worktree to remove".to_owned()
        }
    );
    Ok(exit_code::OK)
}

/// Loads the selected services, then times the selected commands.
fn run_services_and_commands(
    services: &[&config::ServiceBench],
    commands: &[&config::CommandBench],
    place: &Place<'_>,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<Vec<Benchmark>, Error> {
    let out = place.log_dir;
    std::fs::create_dir_all(out).map_err(|source| output::WriteError { path: out.to_owned(), source })?;
    let mut measured = Vec::new();
    let mut warnings = Vec::new();
    if !services.is_empty() {
        let (benchmarks, service_warnings) =
            service::measure(services, place, |name| console.status(&format!("Loading service `{name}`")))?;
        measured.extend(benchmarks);
        warnings.extend(service_warnings);
    }
    let (benchmarks, command_warnings) =
        command::measure(commands, place, |name| console.status(&format!("Running command `{name}`")))?;
    measured.extend(benchmarks);
    warnings.extend(command_warnings);
    for warning in warnings {
        console.warn(&warning);
        notes.push(warning);
    }
    Ok(measured)
}

/// The entries of a config list that `--command` or `--service` names select, sorted by name:
/// all of them when nothing at all is named, else the named ones. An unknown name is an error
/// listing the known ones.
fn select_named<'a, T>(
    entries: &'a [T],
    name_of: impl Fn(&T) -> &str,
    flag: &str,
    named: &[String],
    args: &RunArgs,
) -> Result<Vec<&'a T>, Error> {
    for name in named {
        if !entries.iter().any(|e| name_of(e) == name) {
            let known: Vec<&str> = entries.iter().map(&name_of).collect();
            return Err(Error::Usage(format!(
                "{flag} {name}: no such {kind} in the config; {kind}s: {}",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") },
                kind = &flag[2..]
            )));
        }
    }
    let nothing_named = args.bench.is_empty() && args.command.is_empty() && args.service.is_empty();
    let mut selected: Vec<&T> =
        entries.iter().filter(|e| nothing_named || named.iter().any(|n| n == name_of(e))).collect();
    selected.sort_by(|a, b| name_of(a).cmp(name_of(b)));
    Ok(selected)
}

/// The features, the bench targets `args` select (notes for those left out), and a fresh
/// `bench.log` in `out_dir` for cargo's output.
fn select_benches(
    workspace: &Workspace,
    args: &RunArgs,
    out_dir: &Path,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<(Features, Selection, std::fs::File), Error> {
    let features = Features {
        features: args.features.clone(),
        all_features: args.all_features,
        no_default_features: args.no_default_features,
    };
    let selection = workspace.select(&args.package, args.workspace, &args.bench, &features)?;
    skipped_notes(&selection, "", console, notes);
    std::fs::create_dir_all(out_dir).map_err(|source| output::WriteError { path: out_dir.to_owned(), source })?;
    let log_path = out_dir.join(BENCH_LOG_FILE);
    let log =
        std::fs::File::create(&log_path).map_err(|source| output::WriteError { path: log_path.clone(), source })?;
    Ok((features, selection, log))
}

/// Counts the selected bench targets' benchmarks under callgrind (`--measure instructions`);
/// also the settings the counts were made with, for the environment's fingerprint.
fn count_benches(
    workspace: &Workspace,
    args: &RunArgs,
    out_dir: &Path,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<(Vec<Benchmark>, String), Error> {
    let (features, selection, log) = select_benches(workspace, args, out_dir, console, notes)?;
    let mut sink = OutputSink { stream: !args.quiet, log: Some(log), progress: None, captured: None };
    let total = selection.benches.len();
    console.status(&format!(
        "Counting instructions of {total} bench target{} under callgrind (20-50 times slower than running them)",
        if total == 1 { "" } else { "s" }
    ));
    let counted =
        instructions::measure(workspace, &selection.benches, &features, &args.bench_args, out_dir, &mut sink)?;
    for note in counted.notes {
        console.warn(&note);
        notes.push(note);
    }
    if counted.benchmarks.is_empty() {
        return Err(Error::Usage(
            "--measure instructions counted no benchmark: every one was skipped (see above) or filtered out".to_owned(),
        ));
    }
    Ok((counted.benchmarks, counted.settings))
}

/// Builds and runs the selected bench targets, collecting what each one wrote, with the canary
/// timed before the first target and after each one.
fn run_benches(
    workspace: &Workspace,
    args: &RunArgs,
    criterion_home: &Path,
    out_dir: &Path,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<(Vec<Benchmark>, Option<Canary>), Error> {
    let (features, selection, log) = select_benches(workspace, args, out_dir, console, notes)?;
    let progress = (args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let mut sink = OutputSink { stream: !args.quiet, log: Some(log), progress: progress.clone(), captured: None };
    let cargo = Cargo { workspace, features: &features, criterion_home, config: Vec::new() };
    let total = selection.benches.len();
    console.status(&format!("Building {total} bench target{}", if total == 1 { "" } else { "s" }));
    if let Some(bar) = &progress {
        bar.set_message("building the benches");
    }
    cargo.build(&selection.benches, &mut sink)?;
    let plan = match args.shard {
        None => selection.benches.iter().map(|target| (target, args.bench_args.clone())).collect(),
        Some(shard) => shard_plan(&cargo, &selection.benches, &args.bench_args, shard, &mut sink, console)?,
    };
    let total = plan.len();

    let mut canary = CanaryRecorder::default();
    canary.checkpoint();
    let mut benchmarks: Vec<Benchmark> = Vec::new();
    for (index, (target, bench_args)) in plan.iter().enumerate() {
        console.status(&format!(
            "Running bench `{}` of package `{}` [{}/{total}]",
            target.name,
            target.package,
            index + 1
        ));
        let started = run_stamp(out_dir)?;
        cargo.run(target, bench_args, &mut sink)?;
        canary.checkpoint();
        // A target that wrote nothing is said below, and an error only if no target wrote anything.
        let written = collect_written(criterion_home, &args.criterion_baseline, started, target)?;
        if written.is_empty() {
            let note = wrote_nothing_note(target, criterion_home, &args.bench_args);
            console.warn(&note);
            notes.push(note);
        }
        for benchmark in written {
            if let Some(other) = benchmarks.iter().find(|b| b.id == benchmark.id) {
                return Err(Error::Usage(format!(
                    "benchmark id `{}` is produced by two bench targets ({} and `{}`): give one of them another name",
                    benchmark.id,
                    describe_target(other),
                    target.name
                )));
            }
            benchmarks.push(benchmark);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    // A shard may be dealt nothing when there are more shards than benchmarks.
    if benchmarks.is_empty() && args.shard.is_none() {
        return Err(nothing_selected(&cargo, &plan, &args.bench_args, &mut sink)?
            .unwrap_or_else(|| Error::NothingWritten { home: criterion_home.to_owned() }));
    }
    benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((benchmarks, canary.finish()))
}

/// What is said of a bench target that wrote no criterion results: with a filter after `--`,
/// the filter is the likely cause; without one, the harness.
fn wrote_nothing_note(target: &BenchTarget, criterion_home: &Path, bench_args: &[String]) -> String {
    let filter = split_filter(bench_args).1;
    let why = if filter.is_empty() {
        "is it a criterion bench with `harness = false`?".to_owned()
    } else {
        format!("does the filter `{}` after `--` match any of its benchmarks?", filter.join(" "))
    };
    format!(
        "Bench `{}` of package `{}` wrote no criterion results under {}: {why}",
        target.name,
        target.package,
        criterion_home.display()
    )
}

/// When the user's filter after `--` is why nothing ran: the targets do hold benchmarks, none
/// of which it matches. The error names the filter and the nearest benchmark ids.
fn nothing_selected(
    cargo: &Cargo<'_>,
    plan: &[(&BenchTarget, Vec<String>)],
    bench_args: &[String],
    sink: &mut OutputSink,
) -> Result<Option<Error>, Error> {
    let (options, filter) = split_filter(bench_args);
    if filter.is_empty() {
        return Ok(None);
    }
    let mut ids = Vec::new();
    for (target, _) in plan {
        ids.extend(cargo.list(target, &options, sink)?);
    }
    if ids.is_empty() {
        return Ok(None);
    }
    let filter = filter.join(" ");
    let nearest = crate::matching::nearest(&filter, ids.iter().map(String::as_str), 5);
    Ok(Some(Error::Usage(format!(
        "the filter `{filter}` after `--` matches none of the {} benchmarks of the selected bench targets; nearest: {}",
        ids.len(),
        nearest.join(", ")
    ))))
}

/// What `target` wrote under `criterion_home` since `started`, attributed to it; nothing when it
/// wrote nothing there.
fn collect_written(
    criterion_home: &Path,
    baseline: &str,
    started: SystemTime,
    target: &BenchTarget,
) -> Result<Vec<Benchmark>, Error> {
    let mut benchmarks = match criterion::collect(criterion_home, baseline, Some(started)) {
        Ok(collection) => collection.benchmarks,
        Err(
            CriterionError::HomeMissing { .. }
            | CriterionError::NoResults { .. }
            | CriterionError::BaselineNotFound { .. },
        ) => Vec::new(),
        Err(error) => return Err(Error::BenchOutput(error)),
    };
    for benchmark in &mut benchmarks {
        if let Source::Criterion(source) = &mut benchmark.source {
            source.package = Some(target.package.clone());
            source.target = Some(target.name.clone());
        }
    }
    Ok(benchmarks)
}

/// Says which selected bench targets were skipped and why (`whose` names the side, if any).
fn skipped_notes(selection: &Selection, whose: &str, console: &Console, notes: &mut Vec<String>) {
    for (target, reason) in &selection.skipped {
        let note = format!("Skipped {whose}bench `{}` of package `{}`: it {reason}.", target.name, target.package);
        console.warn(&note);
        notes.push(note);
    }
}

/// The bench targets to run for `shard`, each with the criterion filter that selects its share:
/// every benchmark of every target is listed, the sorted list is dealt round-robin, and a
/// target none of whose benchmarks fell to this shard does not run at all.
fn shard_plan<'a>(
    cargo: &Cargo<'_>,
    targets: &'a [BenchTarget],
    bench_args: &[String],
    shard: Shard,
    sink: &mut OutputSink,
    console: &Console,
) -> Result<Vec<(&'a BenchTarget, Vec<String>)>, Error> {
    let mut suite: Vec<(&BenchTarget, String)> = Vec::new();
    for target in targets {
        suite.extend(cargo.list(target, bench_args, sink)?.into_iter().map(|id| (target, id)));
    }
    suite.sort_by(|(a, a_id), (b, b_id)| (&a.package, &a.name, a_id).cmp(&(&b.package, &b.name, b_id)));
    let mine: Vec<&(&BenchTarget, String)> =
        suite.iter().enumerate().filter(|(i, _)| shard.takes(*i)).map(|(_, item)| item).collect();
    console.status(&format!("Shard {shard}: {} of {} benchmarks", mine.len(), suite.len()));
    let plan = targets
        .iter()
        .filter_map(|target| {
            let ids: Vec<String> =
                mine.iter().filter(|(t, _)| std::ptr::eq(*t, target)).map(|(_, id)| id.clone()).collect();
            (!ids.is_empty()).then(|| {
                let mut args = bench_args.to_vec();
                args.push(exact_filter(&ids));
                (target, args)
            })
        })
        .collect();
    Ok(plan)
}

fn describe_target(benchmark: &Benchmark) -> String {
    match &benchmark.source {
        Source::Criterion(source) => format!("`{}`", source.target.as_deref().unwrap_or("?")),
        Source::Command(_) => format!("command `{}`", benchmark.id),
        Source::Service(_) => format!("service scenario `{}`", benchmark.id),
        other => format!("`{}` imported from {}", benchmark.id, other.imported_from().unwrap_or("?")),
    }
}

/// Touches a stamp file and returns its modification time. Comparing the file system's own
/// timestamps with each other avoids trusting the wall clock to agree with them.
fn run_stamp(out_dir: &Path) -> Result<SystemTime, Error> {
    let path = out_dir.join(".run-stamp");
    let error = |source| output::WriteError { path: path.clone(), source };
    std::fs::write(&path, b"").map_err(error)?;
    std::fs::metadata(&path).and_then(|m| m.modified()).map_err(error).map_err(Error::from)
}

fn check(args: CheckArgs) -> Result<u8, Error> {
    let console = Console { quiet: false };
    let out_dir = args.out_dir.clone().unwrap_or_else(|| {
        args.results.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned()
    });
    // `check` writes no results file: the one there is its input, or someone else's.
    let spec = BaselineSpec::parse_all(&args.baseline, crate::github::in_actions())?;
    let keep: Vec<&Path> =
        std::iter::once(args.results.as_path()).chain(spec.iter().flat_map(BaselineSpec::files)).collect();
    output::clear_earlier(&out_dir, &RUN_OUTPUTS[1..], &keep)?;
    let current = load_results(&args.results)?;
    let mut notes = Vec::new();
    if let Some(shard) = current.shard {
        let note = format!(
            "{} holds shard {shard} only: the gates and the regression check see part of the suite (a gate on a benchmark of another shard fails); merge every shard first (`cargo perf-gate merge`)",
            args.results.display()
        );
        console.warn(&note);
        notes.push(note);
    }
    let config_path = args.config.clone().unwrap_or_else(default_config_path);
    let config = load_config(args.config.as_deref(), &config_path, &mut notes)?;
    let environment = slo_environment(&config, args.environment.as_deref())?;
    let github = GitHub::detect(&args.github, &config_path)?;
    let root = || Workspace::around_current_dir().map_or_else(|| PathBuf::from("."), |ws| ws.root);
    let store = history::store_path(args.recording.path.as_deref(), &config, &config_path, root);
    let spec = history::window_spec(&args.window, &config, &store, Some(&current)).or(spec);
    let baseline = baseline::load(spec.as_ref(), &github, &config, None, &console)?;
    let confirmed = merged_confirmation(&args, &current, &baseline, &config)?;
    let recording = history::Recording::asked(&args.recording, None, &config, &store, Origin::Check);
    let recent = history::recent(&store, &current, baseline_branch(&baseline), &mut notes);
    if args.paired_results.is_some() && confirmed.is_none() {
        let note =
            "--paired-results: there is no stored baseline to screen against, so the shards' rounds were not used"
                .to_owned();
        console.warn(&note);
        notes.push(note);
    }
    let checked = Checked {
        config: &config,
        current: &current,
        results_path: &args.results,
        baseline,
        confirmed,
        staged: Staged::default(),
        recording,
        recent,
        extension: extension(&args.window, &config),
        environment,
    };
    evaluate_and_report(checked, &github, &out_dir, args.strict, notes, &console)
}

/// `check --paired-results --paired-baseline`: the suspects' rounds of confirming shards,
/// merged, decide for the suspects of the whole suite's screen against the stored baseline
/// (and for whatever a shard's own screen found suspect).
fn merged_confirmation(
    args: &CheckArgs,
    current: &Results,
    baseline: &baseline::Baseline,
    config: &Config,
) -> Result<Option<screen::Confirmed>, Error> {
    let (Some(current_path), Some(base_path)) = (&args.paired_results, &args.paired_baseline) else { return Ok(None) };
    let (paired_current, paired_base) = (load_results(current_path)?, load_results(base_path)?);
    let session = |results: &Results| results.interleaved.as_ref().map(|i| i.session.clone());
    if session(&paired_current).is_none() || session(&paired_current) != session(&paired_base) {
        return Err(Error::Input {
            path: current_path.clone(),
            message: format!(
                "not the same alternating rounds as {}: merge the paired/results.json and the baseline/results.json of the same confirming shards",
                base_path.display()
            ),
        });
    }
    let Some(stored) = &baseline.results else { return Ok(None) };
    let screen =
        compare::compare_with_window(stored, baseline.window.as_ref(), current, &report::compare_settings(config));
    let mut suspects = confirm::suspects(&screen);
    confirm::add_measured(&mut suspects, &paired_current);
    Ok(Some(screen::Confirmed::merged(paired_base, paired_current, suspects)))
}

fn merge(args: cli::MergeArgs) -> Result<u8, Error> {
    let mut parts = Vec::new();
    for path in &args.files {
        parts.push((path.display().to_string(), load_results(path)?));
    }
    for (name, part) in &parts[1..] {
        let differences = part.environment.differences(&parts[0].1.environment);
        if !differences.is_empty() {
            let fields: Vec<&str> = differences.iter().map(|d| d.field.as_str()).collect();
            eprintln!(
                "warning: {name} was measured on another machine ({} differ); the merged file keeps the first one's",
                fields.join(", ")
            );
        }
    }
    let count = parts.len();
    let paired = parts.iter().filter(|(_, part)| part.interleaved.is_some()).count();
    let coverage = if args.partial { model::Coverage::Partial } else { model::Coverage::Whole };
    let merged = model::merge(parts, coverage).map_err(Error::Usage)?;
    if paired > 0 && merged.interleaved.is_none() {
        eprintln!(
            "warning: {paired} of {count} files were measured in rounds alternating with a git ref, the others alone: the merged file is compared unpaired"
        );
    }
    output::write_atomic(&args.output, &to_json(&merged))?;
    eprintln!("Merged {count} files: {} benchmarks in {}", merged.benchmarks.len(), args.output.display());
    Ok(exit_code::OK)
}

/// Loads the config given explicitly (which must exist) or the default one (which may not).
fn load_config(explicit: Option<&Path>, default: &Path, notes: &mut Vec<String>) -> Result<Config, Error> {
    match explicit {
        Some(path) => Ok(Config::load(path)?),
        None if default.exists() => Ok(Config::load(default)?),
        None => {
            notes.push(format!(
                "No config file at {}: no gates, default regression settings. `cargo perf-gate config init` writes one.",
                default.display()
            ));
            Ok(Config::default())
        }
    }
}

/// Reads a results file, refusing other schema versions with a clear message.
pub fn load_results(path: &Path) -> Result<Results, Error> {
    let input = |message: String| Error::Input { path: path.to_owned(), message };
    let text = std::fs::read_to_string(path).map_err(|e| input(format!("cannot read the results file: {e}")))?;
    Results::parse(&text).map_err(input)
}

/// Evaluates, writes the enabled reports together, prints the summary, and picks the exit code.
/// The results to check and what to check them with.
struct Checked<'a> {
    config: &'a Config,
    current: &'a Results,
    results_path: &'a Path,
    baseline: baseline::Baseline,
    /// With `--confirm`: the screen's suspects re-measured in alternating rounds.
    confirmed: Option<screen::Confirmed>,
    /// What the caller already staged (`run`: the results file), committed with the reports.
    staged: Staged,
    /// Where to record the checked run, when asked to.
    recording: Option<history::Recording>,
    /// The recorded values behind the report's trend lines.
    recent: render::Recent,
    /// `--extend-window`: the next baseline artifact's window to write.
    extension: Option<window_artifact::Extension>,
    /// The SLO environment whose slack applies.
    environment: AppliedEnvironment,
}

/// Where `check` and `slo` look for the config without `--config`: benchmark-config.json in
/// the current directory, else at the workspace root around it when there is one there.
pub fn default_config_path() -> PathBuf {
    let here = PathBuf::from(DEFAULT_CONFIG_FILE);
    if here.is_file() {
        return here;
    }
    match Workspace::around_current_dir() {
        Some(workspace) if workspace.root.join(DEFAULT_CONFIG_FILE).is_file() => {
            workspace.root.join(DEFAULT_CONFIG_FILE)
        }
        _ => here,
    }
}

/// The SLO environment `--environment` (or `$PERF_GATE_ENVIRONMENT`) names, else the config's
/// default; an unknown name is a usage error naming the known ones.
pub fn slo_environment(config: &Config, name: Option<&str>) -> Result<AppliedEnvironment, Error> {
    AppliedEnvironment::of(&config.slos, name).map_err(|message| Error::Usage(format!("--environment: {message}")))
}

/// `--extend-window BRANCH`, with `--window` or the config's `history.window` runs.
fn extension(args: &cli::WindowArgs, config: &Config) -> Option<window_artifact::Extension> {
    let branch = args.extend_window.clone()?;
    Some(window_artifact::Extension { branch, runs: args.window.map_or(config.history.window, |runs| runs as usize) })
}

/// The branch the baseline was measured on, whose recorded runs make the trend lines.
fn baseline_branch(baseline: &baseline::Baseline) -> Option<&str> {
    baseline.results.as_ref().and_then(|r| r.git.as_ref()).and_then(|g| g.branch.as_deref())
}

/// Stages each enabled report file (name, contents) for writing, and removes a disabled one an
/// earlier run left; the paths staged.
fn stage_reports(
    files: &[(bool, &str, Option<String>)],
    out_dir: &Path,
    staged: &mut Staged,
) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::new();
    for (enabled, name, contents) in files {
        let path = out_dir.join(name);
        match contents {
            Some(contents) => {
                staged.stage(&path, contents.as_bytes())?;
                written.push(path);
            }
            // A report from an earlier run must not pass for this run's.
            None if !enabled && path.exists() => {
                std::fs::remove_file(&path).map_err(|source| output::WriteError { path: path.clone(), source })?
            }
            None => {}
        }
    }
    Ok(written)
}

fn evaluate_and_report(
    checked: Checked<'_>,
    github: &GitHub,
    out_dir: &Path,
    strict: bool,
    notes: Vec<String>,
    console: &Console,
) -> Result<u8, Error> {
    let Checked {
        config,
        current,
        results_path,
        baseline,
        confirmed,
        mut staged,
        recording,
        recent,
        extension,
        environment,
    } = checked;
    let report = report::evaluate(Inputs {
        config,
        current,
        baseline: baseline.results.as_ref(),
        window: baseline.window.as_ref(),
        baseline_origin: baseline.origin,
        baseline_missing_reason: baseline.missing_reason,
        strict,
        notes,
        confirmation: confirmed.as_ref().map(screen::Confirmed::input),
        environment,
    });
    let mut view = render::view(&report, current, baseline.results.as_ref(), &recent, config.reporting.charts);
    view.run_url = github.context.run_url();
    view.report_artifact = github.options.report_artifact.clone();
    let reporting = &config.reporting;
    // Rendered even when summary.md is off: it is also the PR comment and the step summary.
    let renderer = render::Renderer::new(&view)?;
    let markdown = renderer.markdown()?;
    let files: [(bool, &str, Option<String>); 6] = [
        (reporting.json, REPORT_JSON_FILE, reporting.json.then(|| render::json(&report))),
        (reporting.markdown, SUMMARY_MD_FILE, reporting.markdown.then(|| markdown.clone())),
        (reporting.html, REPORT_HTML_FILE, reporting.html.then(|| renderer.html()).transpose()?),
        (reporting.csv, RESULTS_CSV_FILE, reporting.csv.then(|| render::results_csv(current, &report))),
        (reporting.bmf, RESULTS_BMF_FILE, reporting.bmf.then(|| export::bmf(current))),
        (
            reporting.openmetrics,
            RESULTS_OPENMETRICS_FILE,
            reporting.openmetrics.then(|| export::openmetrics(current, &report.comparisons)),
        ),
    ];
    let written = stage_reports(&files, out_dir, &mut staged)?;
    if interrupt::requested() {
        return Err(Error::Interrupted);
    }
    staged.commit()?;
    print_stdout(&renderer.terminal()?);
    if !written.is_empty() {
        let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        console.status(&format!("Reports: {}", list.join(", ")));
    }
    let summary_path = out_dir.join(SUMMARY_MD_FILE);
    let baseline_dir = extension
        .map(|extension| window_artifact::extend(&extension, results_path, github, config, out_dir, console))
        .transpose()?;
    let outcome = github::Outcome {
        report: &report,
        markdown: &markdown,
        annotations: &renderer.annotations()?,
        summary_path: reporting.markdown.then_some(summary_path.as_path()),
        results_path,
        baseline_path: baseline_dir.as_deref().unwrap_or(results_path),
        update_baseline: !config.update_baseline_on_success || !report.fails(),
    };
    github::publish(github, &outcome, out_dir, console)?;
    if let Some(recording) = recording {
        recording.record(current, &report, console)?;
    }
    Ok(if report.fails() { exit_code::GATE_FAILED } else { exit_code::OK })
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn config_command(command: ConfigCommand) -> Result<u8, Error> {
    match command {
        ConfigCommand::Init { file, force } => {
            if file.exists() && !force {
                return Err(Error::Usage(format!("{} already exists; pass --force to overwrite it", file.display())));
            }
            output::write_atomic(&file, config::starter_config().as_bytes())?;
            eprintln!(
                "Wrote {}. Edit its gates, then check it with `cargo perf-gate config validate {}`.",
                file.display(),
                file.display()
            );
        }
        ConfigCommand::Validate { file } => {
            let config = Config::load(&file)?;
            print_stdout(&format!(
                "{} is valid: {} gate{}\n",
                file.display(),
                config.gates.len(),
                if config.gates.len() == 1 { "" } else { "s" }
            ));
        }
        ConfigCommand::Schema => print_stdout(&String::from_utf8_lossy(&to_json(&Config::json_schema()))),
    }
    Ok(exit_code::OK)
}
