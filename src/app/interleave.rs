//! `--baseline REF` on this machine: the ref's benches are built in perf-gate's worktree, then
//! both sides' bench executables run in alternating rounds (A B, B A, A B, ...), so that
//! whatever the machine does over time falls on both sides alike and each round pairs them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{
    baseline, collect_written, run_stamp, skipped_notes, to_json, Console, BENCH_LOG_FILE, ONLY_OTHERS_NOTE,
    RESULTS_FILE,
};
use crate::cli::RunArgs;
use crate::collect::canary::CanaryRecorder;
use crate::collect::cargo::{
    exact_filter, split_filter, Cargo, Executable, Features, OutputSink, Selection, Workspace, WorkspaceError,
};
use crate::collect::{command, environment, service, target_seed, worktree, Place};
use crate::config::{CommandBench, ServiceBench};
use crate::error::Error;
use crate::model::{Benchmark, Canary, Environment, Interleaving, Results, Shard};
use crate::output;
use crate::plan::{whole_seconds, Budget, OtherCost, Plan, RESERVED_ARGS};
use crate::report::Origin;
use crate::rounds::{self, BenchRun, Rounds, Schedule, STARTUP_SHARE};

/// Everything that must match for `--baseline-cache` to reuse a baseline measured earlier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CacheKey {
    commit: String,
    tool_version: String,
    machine: Environment,
    packages: Vec<String>,
    workspace: bool,
    benches: Vec<String>,
    features: Vec<String>,
    all_features: bool,
    no_default_features: bool,
    bench_args: Vec<String>,
    /// `--shard K/N`: a shard's baseline holds only its share.
    #[serde(default)]
    shard: Option<Shard>,
    /// The selected services and commands as configured.
    services: serde_json::Value,
    commands: serde_json::Value,
}

const CACHE_KEY_FILE: &str = "cache-key.json";

impl CacheKey {
    /// The key of measuring `resolved` for this run's selection on this machine.
    fn of(
        resolved: &worktree::Resolved,
        workspace: &Workspace,
        args: &RunArgs,
        services: &[&ServiceBench],
        commands: &[&CommandBench],
    ) -> CacheKey {
        CacheKey {
            commit: resolved.commit.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            machine: environment::fingerprint(&workspace.root, workspace.criterion.clone()),
            packages: args.package.clone(),
            workspace: args.workspace,
            benches: args.bench.clone(),
            features: args.features.clone(),
            all_features: args.all_features,
            no_default_features: args.no_default_features,
            bench_args: args.bench_args.clone(),
            shard: args.shard,
            services: serde_json::to_value(services).unwrap_or_default(),
            commands: serde_json::to_value(commands).unwrap_or_default(),
        }
    }

    /// The fields of `self` that differ from `other`, by name.
    fn differences(&self, other: &CacheKey) -> Vec<String> {
        let (ours, theirs) = (serde_json::to_value(self), serde_json::to_value(other));
        let (Ok(serde_json::Value::Object(ours)), Ok(serde_json::Value::Object(theirs))) = (ours, theirs) else {
            return vec!["everything".to_owned()];
        };
        ours.iter().filter(|(name, value)| theirs.get(*name) != Some(value)).map(|(name, _)| name.clone()).collect()
    }
}

/// The config's services and commands to run in the same alternation as the benches.
pub(super) struct Others<'a> {
    pub services: &'a [&'a ServiceBench],
    pub commands: &'a [&'a CommandBench],
    /// The config file's directory: their relative paths start there.
    pub config_dir: &'a Path,
}

/// One side of the comparison, built and ready to run.
struct Side<'a> {
    name: &'static str,
    cargo: Cargo<'a>,
    executables: Vec<Executable>,
    /// Benchmark id -> index of the executable that holds it.
    benchmarks: BTreeMap<String, usize>,
    /// By executable, how long its `--list` run took: what starting it costs each time.
    startup: Vec<Duration>,
    /// Where this side's services and commands run, when they run on it.
    others: Option<OtherPlace>,
}

/// A side's directories for services and commands.
struct OtherPlace {
    log_dir: std::path::PathBuf,
    config_dir: std::path::PathBuf,
    target_dir: std::path::PathBuf,
    /// Set for the baseline side, so that a `cargo build` in a service's or command's
    /// `prepare` builds where `{target_dir}` points.
    cargo_target_dir: Option<std::path::PathBuf>,
    /// The services and commands as this side runs them each round, once the plan is known.
    each_round: (Vec<ServiceBench>, Vec<CommandBench>),
}

/// What to measure against the current tree, and how.
#[derive(Clone, Copy)]
pub(super) struct Pairing<'a> {
    pub resolved: &'a worktree::Resolved,
    /// Only these benchmark ids (`--confirm`'s suspects); every listed one when `None`.
    pub only: Option<&'a BTreeSet<String>>,
    /// `--compare auto`: decline before the rounds when the default plan does not fit
    /// `--time-limit`.
    pub may_decline: bool,
    /// Only this shard's share of the listed benchmarks (`--shard K/N`).
    pub shard: Option<Shard>,
}

/// What pairing came to.
pub(super) enum Paired {
    Measured(Box<Measured>),
    /// With `may_decline`: the default plan would take `estimate`, over `--time-limit`, so
    /// nothing was measured.
    Declined {
        estimate: Duration,
        limit: Duration,
    },
}

/// Both sides measured, or the baseline taken from the cache and the current side measured.
pub(super) struct Measured {
    pub baseline: baseline::Baseline,
    pub current: Vec<Benchmark>,
    pub canary: Option<Canary>,
    pub interleaving: Interleaving,
    /// Whether the services and commands ran in the rounds; if not, they are the caller's.
    pub others_measured: bool,
}

/// Measures `resolved` and the current tree in alternating rounds: the criterion benches
/// unless `run_criterion` is false, and `others` when the config lies inside the repository.
/// With `pairing.may_decline` (`--compare auto`), declines before the rounds when the default
/// plan does not fit `--time-limit`.
#[allow(clippy::too_many_arguments)]
pub(super) fn measure(
    workspace: &Workspace,
    pairing: &Pairing<'_>,
    args: &RunArgs,
    run_criterion: bool,
    others: &Others<'_>,
    criterion_home: &Path,
    out_dir: &Path,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<Paired, Error> {
    let Pairing { resolved, only, may_decline, shard } = *pairing;
    // Absolute: benches run from their package's directory.
    let out_dir = &std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_owned());
    let features = Features {
        features: args.features.clone(),
        all_features: args.all_features,
        no_default_features: args.no_default_features,
    };
    let current_selection = select_current(workspace, args, &features, pairing, run_criterion, others, console, notes)?;
    let top = worktree::toplevel(&workspace.root)?;
    let placing = OthersPlacing::decide(others, &top, notes);
    let (services, commands) = placing.measured(others);
    let key = CacheKey::of(resolved, workspace, args, services, commands);
    let side_dir = out_dir.join("baseline");
    let cached = if args.baseline_cache { cached_baseline(&side_dir, &key, notes)? } else { None };
    let mut sink = OutputSink { stream: false, log: Some(create_log(out_dir)?), progress: None, captured: None };
    // The current side first: the baseline's target dir is then seeded with its dependencies.
    let mut current =
        build_side("current", workspace, &features, criterion_home, &current_selection, console, &mut sink)?;
    current.others = placing.in_rounds.then(|| OtherPlace {
        log_dir: out_dir.to_owned(),
        config_dir: placing.config_dir.clone(),
        target_dir: workspace.target_dir.clone(),
        cargo_target_dir: None,
        each_round: Default::default(),
    });
    let base_workspace = match cached {
        Some(_) => None,
        None => Some(baseline_workspace(workspace, &top, resolved, out_dir, console)?),
    };
    let base_home = out_dir.join("baseline-criterion");
    let mut sides = Vec::new();
    if let Some(base) = &base_workspace {
        seed_baseline_target(&workspace.target_dir, &base.target_dir, console, notes);
        let building = BaseBuilding { base, features: &features, home: &base_home, resolved, out_dir, console };
        sides.extend(build_base_side(&building, run_criterion, &placing, args, &mut sink, notes)?);
    }
    sides.push(current);
    let mut ids = list_ids(&mut sides, args, only, &mut sink)?;
    if let Some(shard) = shard {
        ids = dealt(shard, ids, &mut sides, console);
    }
    let others_time = others_cost(services, commands);
    let (mut plan, budget) = match plan_rounds(args, &ids, sides.len(), others_time, may_decline, console)? {
        Planned::Run(plan, budget) => (plan, budget),
        Planned::Declined { estimate, limit } => return Ok(Paired::Declined { estimate, limit }),
    };
    let bench_args = round_args(&plan, workspace, args, notes);
    for place in sides.iter_mut().filter_map(|side| side.others.as_mut()) {
        place.each_round = per_round(services, commands, plan.rounds, place.cargo_target_dir.as_deref());
    }
    let replanning = (budget, args.rounds.is_some());
    let (rounds, canary) = run_rounds(&sides, &mut plan, replanning, &bench_args, out_dir, &mut sink, console)?;
    for warning in rounds.warnings {
        console.warn(&warning);
        notes.push(warning);
    }
    let interleaving = Interleaving {
        session: format!("{}-{}", environment::now_rfc3339(), std::process::id()),
        rounds: plan.rounds,
        measurement_time_s: plan.measurement.as_secs_f64(),
    };
    let mut measured: BTreeMap<&str, Vec<Benchmark>> =
        sides.iter().map(|side| side.name).zip(rounds.benchmarks).collect();
    let current = measured.remove("current").unwrap_or_default();
    notes.extend(resolved.note.clone());
    let baseline = match cached {
        Some(results) => cached_side(resolved, results, notes),
        None => {
            let base = BaseSide {
                benchmarks: measured.remove("baseline").unwrap_or_default(),
                criterion: base_workspace.and_then(|b| b.criterion),
                canary: canary.clone(),
                interleaving: interleaving.clone(),
                shard,
            };
            measured_side(resolved, base, out_dir, &key)?
        }
    };
    Ok(Paired::Measured(Box::new(Measured {
        baseline,
        current,
        canary,
        interleaving,
        others_measured: placing.in_rounds,
    })))
}

/// The current tree's bench targets to build, once the bench arguments are checked: with
/// `--confirm` the screen ran with the user's timing options and the rounds set their own (see
/// `without_reserved`); otherwise they are an error.
#[allow(clippy::too_many_arguments)]
fn select_current(
    workspace: &Workspace,
    args: &RunArgs,
    features: &Features,
    pairing: &Pairing<'_>,
    run_criterion: bool,
    others: &Others<'_>,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<Selection, Error> {
    let reserved = args.bench_args.iter().find(|a| is_reserved(a)).filter(|_| pairing.only.is_none());
    if let Some(flag) = reserved {
        return Err(Error::Usage(format!(
            "`{flag}` after `--`: with --baseline REF perf-gate sets criterion's {} itself; use --rounds and --time-budget instead",
            RESERVED_ARGS.join(", ")
        )));
    }
    let has_others = !others.services.is_empty() || !others.commands.is_empty();
    let selection = match workspace.select(&args.package, args.workspace, &args.bench, features) {
        _ if !run_criterion => Selection::default(),
        Err(WorkspaceError::NoBenches { .. }) if has_others && args.bench.is_empty() => {
            notes.push(ONLY_OTHERS_NOTE.to_owned());
            Selection::default()
        }
        other => other?,
    };
    skipped_notes(&selection, "", console, notes);
    Ok(selection)
}

/// Whether the services and commands take part in the rounds: only when the config lies inside
/// the repository, since one outside has no counterpart in the worktree.
struct OthersPlacing {
    config_dir: PathBuf,
    /// The config's directory relative to the repository's top, when inside it.
    in_repo: Option<PathBuf>,
    in_rounds: bool,
}

impl OthersPlacing {
    fn decide(others: &Others<'_>, top: &Path, notes: &mut Vec<String>) -> OthersPlacing {
        let has_others = !others.services.is_empty() || !others.commands.is_empty();
        let config_dir = std::path::absolute(others.config_dir).unwrap_or_else(|_| others.config_dir.to_owned());
        let in_repo = config_dir.strip_prefix(top).ok().map(Path::to_owned);
        let in_rounds = has_others && in_repo.is_some();
        if has_others && !in_rounds {
            notes.push(format!(
                "The config lies outside the repository ({}), so its services and commands ran on the current tree only, after the rounds.",
                config_dir.display()
            ));
        }
        OthersPlacing { config_dir, in_repo, in_rounds }
    }

    /// The services and commands the rounds run: all or none.
    fn measured<'a>(&self, others: &Others<'a>) -> (&'a [&'a ServiceBench], &'a [&'a CommandBench]) {
        if self.in_rounds {
            (others.services, others.commands)
        } else {
            (&[], &[])
        }
    }
}

fn create_log(out_dir: &Path) -> Result<std::fs::File, Error> {
    std::fs::create_dir_all(out_dir).map_err(|source| output::WriteError { path: out_dir.to_owned(), source })?;
    let path = out_dir.join(BENCH_LOG_FILE);
    std::fs::File::create(&path).map_err(|source| output::WriteError { path, source }.into())
}

/// What building the baseline's side reads.
struct BaseBuilding<'a> {
    base: &'a Workspace,
    features: &'a Features,
    /// The baseline side's criterion home.
    home: &'a Path,
    resolved: &'a worktree::Resolved,
    out_dir: &'a Path,
    console: &'a Console,
}

/// Builds the baseline's side, or `None` when it has nothing to run: none of the selected
/// bench targets, and no services or commands in the rounds.
fn build_base_side<'a>(
    building: &BaseBuilding<'a>,
    run_criterion: bool,
    placing: &OthersPlacing,
    args: &RunArgs,
    sink: &mut OutputSink,
    notes: &mut Vec<String>,
) -> Result<Option<Side<'a>>, Error> {
    let BaseBuilding { base, features, home, resolved, out_dir, console } = *building;
    let selection = if run_criterion { baseline_selection(base, args, features, resolved, notes)? } else { None };
    skipped_notes(selection.as_ref().unwrap_or(&Selection::default()), "the baseline's ", console, notes);
    if selection.is_none() && !placing.in_rounds {
        return Ok(None);
    }
    let mut side = build_side("baseline", base, features, home, &selection.unwrap_or_default(), console, sink)?;
    side.others = placing.in_repo.as_ref().filter(|_| placing.in_rounds).map(|relative| OtherPlace {
        log_dir: out_dir.join("baseline"),
        config_dir: worktree::directory(out_dir).join(relative),
        target_dir: base.target_dir.clone(),
        cargo_target_dir: Some(base.target_dir.clone()),
        each_round: Default::default(),
    });
    Ok(Some(side))
}

fn is_reserved(arg: &str) -> bool {
    RESERVED_ARGS.iter().any(|r| arg.split('=').next() == Some(r))
}

/// Criterion options without the ones each round sets itself (with their values).
fn without_reserved(options: Vec<String>) -> Vec<String> {
    let mut kept = Vec::with_capacity(options.len());
    let mut skip_value = false;
    for option in options {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if is_reserved(&option) {
            skip_value = !option.contains('=');
        } else {
            kept.push(option);
        }
    }
    kept
}

/// The benchmark ids the rounds run (only `only`'s, when given), each side's noted with the
/// executable that holds it. Each benchmark runs on its own, one side right after the other, so
/// that a pair is measured seconds apart rather than a whole suite apart.
fn list_ids(
    sides: &mut [Side<'_>],
    args: &RunArgs,
    only: Option<&BTreeSet<String>>,
    sink: &mut OutputSink,
) -> Result<BTreeSet<String>, Error> {
    let mut ids = BTreeSet::new();
    for side in sides.iter_mut() {
        for (index, executable) in side.executables.iter().enumerate() {
            let started = Instant::now();
            let listed = side.cargo.list_executable(executable, &args.bench_args, sink)?;
            side.startup.push(started.elapsed());
            for id in listed.into_iter().filter(|id| only.is_none_or(|only| only.contains(id))) {
                ids.insert(id.clone());
                side.benchmarks.insert(id, index);
            }
        }
    }
    if ids.is_empty() && sides.iter().any(|side| !side.executables.is_empty()) {
        return Err(Error::Usage(format!(
            "the selected bench targets list no benchmarks{}",
            if args.bench_args.is_empty() {
                ": are they criterion benches with `harness = false`?".to_owned()
            } else {
                format!(" matching `{}`: check the filter after `--`", args.bench_args.join(" "))
            }
        )));
    }
    Ok(ids)
}

/// `shard`'s share of the sorted ids, dealt round-robin as `run --shard` deals them; the other
/// shards' benchmarks are dropped from each side. Every shard lists both sides alike, so the
/// shards of a matrix split the suite between them.
fn dealt(shard: Shard, ids: BTreeSet<String>, sides: &mut [Side<'_>], console: &Console) -> BTreeSet<String> {
    let total = ids.len();
    let mine: BTreeSet<String> =
        ids.into_iter().enumerate().filter(|(i, _)| shard.takes(*i)).map(|(_, id)| id).collect();
    for side in sides {
        side.benchmarks.retain(|id, _| mine.contains(id));
    }
    console.status(&format!("Shard {shard}: {} of {total} benchmarks", mine.len()));
    mine
}

/// Criterion's options for each round: the user's, less the ones the plan sets, then the plan's.
fn round_args(plan: &Plan, workspace: &Workspace, args: &RunArgs, notes: &mut Vec<String>) -> Vec<String> {
    // Criterion before 0.4 reads its durations as whole seconds.
    let whole_seconds = workspace.criterion.as_deref().is_some_and(|v| v.starts_with("0.3") || v.starts_with("0.2"));
    if whole_seconds {
        notes.push("criterion 0.3 takes whole seconds: each measurement was rounded up to at least 1 s.".to_owned());
    }
    let mut bench_args = without_reserved(split_filter(&args.bench_args).0);
    let plots_off = bench_args.iter().any(|a| a == "--noplot" || a == "-n");
    bench_args.extend(plan.criterion_args(whole_seconds).into_iter().filter(|a| !(plots_off && a == "--noplot")));
    bench_args
}

/// What planning the rounds came to.
enum Planned {
    /// The plan, and the budget it keeps to.
    Run(Plan, Budget),
    /// With `may_decline`: the default plan's `estimate` is over the `limit`.
    Declined { estimate: Duration, limit: Duration },
}

/// The plan from `--rounds`, `--time-budget` or `--time-limit`.
fn plan_rounds(
    args: &RunArgs,
    ids: &BTreeSet<String>,
    sides: usize,
    others_time: OtherCost,
    may_decline: bool,
    console: &Console,
) -> Result<Planned, Error> {
    let rounds = args.rounds.map(|n| n as usize);
    let (budget, flag) = match (args.time_budget, args.time_limit) {
        (Some(budget), _) => (Budget::Fill(budget), "--time-budget"),
        (None, Some(limit)) => (Budget::Limit(limit), "--time-limit"),
        (None, None) => (Budget::Default, ""),
    };
    let derive = |budget| {
        Plan::derive(rounds, budget, ids.len(), sides, others_time).map_err(|e| {
            let value = args.time_budget.or(args.time_limit).map(humantime::format_duration);
            Error::Usage(format!("{flag} {}: {e}", value.map(|v| v.to_string()).unwrap_or_default()))
        })
    };
    if let (Budget::Limit(limit), true) = (budget, may_decline) {
        let estimate = derive(Budget::Default)?.estimate();
        if estimate > limit {
            return Ok(Planned::Declined { estimate, limit });
        }
    }
    let plan = derive(budget)?;
    console.status(&format!("Plan: {}", plan.describe()));
    Ok(Planned::Run(plan, budget))
}

/// The baseline reused from `--baseline-cache`, said to be unpaired.
fn cached_side(resolved: &worktree::Resolved, results: Results, notes: &mut Vec<String>) -> baseline::Baseline {
    let short = worktree::short(&resolved.commit);
    let origin = format!(
        "worktree of {} ({short}), cached from {}: not measured alongside this run, so the machine's drift since then is not cancelled",
        resolved.name, results.created_at
    );
    notes.push(format!(
        "--baseline-cache: the baseline `{}` was reused from {} instead of being measured again; the comparison is unpaired and less trustworthy than an interleaved run.",
        resolved.name, results.created_at
    ));
    baseline::Baseline { results: Some(results), origin: Some(side_origin(origin)), ..Default::default() }
}

/// What the rounds measured on the baseline's side.
struct BaseSide {
    benchmarks: Vec<Benchmark>,
    criterion: Option<String>,
    canary: Option<Canary>,
    interleaving: Interleaving,
    shard: Option<Shard>,
}

/// The baseline measured in the rounds, written to `<out>/baseline` with its cache key.
fn measured_side(
    resolved: &worktree::Resolved,
    base: BaseSide,
    out_dir: &Path,
    key: &CacheKey,
) -> Result<baseline::Baseline, Error> {
    let short = worktree::short(&resolved.commit);
    let side_dir = out_dir.join("baseline");
    let worktree_dir = worktree::directory(out_dir);
    let rounds = base.interleaving.rounds;
    let mut results = Results::new(
        environment::now_rfc3339(),
        environment::git_info(&worktree_dir),
        environment::fingerprint(&worktree_dir, base.criterion),
        base.benchmarks,
    );
    results.canary = base.canary;
    results.interleaved = Some(base.interleaving);
    results.shard = base.shard;
    // The key goes first and comes back last, so it never vouches for other results.
    let key_path = side_dir.join(CACHE_KEY_FILE);
    match std::fs::remove_file(&key_path) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            return Err(output::WriteError { path: key_path, source }.into())
        }
        _ => {}
    }
    output::write_atomic(&side_dir.join(RESULTS_FILE), &to_json(&results))?;
    output::write_atomic(&key_path, &to_json(key))?;
    let origin = format!(
        "worktree of {} ({short}), measured here in {rounds} rounds alternating with the current tree",
        resolved.name
    );
    Ok(baseline::Baseline { results: Some(results), origin: Some(side_origin(origin)), ..Default::default() })
}

/// Runs the rounds of [`rounds::run`] with this machine's processes; returns what they measured
/// and the canary, timed before the first round and after each.
fn run_rounds(
    sides: &[Side<'_>],
    plan: &mut Plan,
    replanning: (Budget, bool),
    bench_args: &[String],
    out_dir: &Path,
    sink: &mut OutputSink,
    console: &Console,
) -> Result<(Rounds, Option<Canary>), Error> {
    let each_run = (plan.measurement + plan.warm_up).mul_f64(STARTUP_SHARE);
    let round_sides: Vec<rounds::Side> = sides
        .iter()
        .map(|side| rounds::Side {
            name: side.name,
            targets: side.benchmarks.clone(),
            target_names: side.executables.iter().map(|e| e.target.name.clone()).collect(),
            slow_start: side.startup.iter().map(|&startup| startup > each_run).collect(),
            others: side.others.is_some(),
        })
        .collect();
    for (side, round_side) in sides.iter().zip(&round_sides) {
        for ((executable, startup), _) in
            side.executables.iter().zip(&side.startup).zip(&round_side.slow_start).filter(|(_, &slow)| slow)
        {
            console.status(&format!(
                "Bench `{}` ({} side) takes {} ms to start: its benchmarks run in one process a round",
                executable.target.name,
                side.name,
                startup.as_millis()
            ));
        }
    }
    let schedule = Schedule::new(&round_sides);
    let steps_per_round = schedule.steps_per_round();
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new((plan.rounds * steps_per_round) as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed} of ~{msg}") {
            bar.set_style(style);
        }
        bar.set_message(whole_seconds(plan.estimate()));
        bar
    });
    let mut processes = Processes {
        sides,
        bench_args,
        out_dir,
        sink,
        console,
        progress,
        steps_per_round,
        canary: CanaryRecorder::default(),
        started: None,
    };
    let measured = rounds::run(plan, replanning, &round_sides, &schedule, &mut processes)?;
    if let Some(bar) = processes.progress.take() {
        bar.finish_and_clear();
    }
    Ok((measured, processes.canary.finish()))
}

/// Checks `resolved` out in perf-gate's worktree and reads it as a workspace building into a
/// target dir of its own, so the two sides never evict each other's build cache.
pub(super) fn baseline_workspace(
    workspace: &Workspace,
    top: &Path,
    resolved: &worktree::Resolved,
    out_dir: &Path,
    console: &Console,
) -> Result<Workspace, Error> {
    let short = worktree::short(&resolved.commit);
    console.status(&format!("Preparing the baseline: {} ({short}) in a worktree", resolved.name));
    let manifest = workspace.manifest_path.clone().unwrap_or_else(|| workspace.root.join("Cargo.toml"));
    let manifest = std::path::absolute(&manifest).unwrap_or(manifest);
    let relative = manifest.strip_prefix(top).unwrap_or(Path::new("Cargo.toml")).to_owned();
    let dir = worktree::prepare(top, out_dir, &resolved.commit)?;
    let mut base = Workspace::load(Some(&dir.join(&relative))).map_err(|e| {
        Error::Usage(format!("the baseline `{}` ({short}) cannot be read as a cargo workspace: {e}", resolved.name))
    })?;
    base.target_dir = out_dir.join("baseline-target");
    Ok(base)
}

/// Seeds the baseline's target dir with the current side's compiled dependencies before its
/// first build (see `target_seed`); a seed that fails costs only time, so it is a warning.
fn seed_baseline_target(current: &Path, baseline: &Path, console: &Console, notes: &mut Vec<String>) {
    match target_seed::seed(current, baseline) {
        Ok(Some(seeded)) => console.status(&format!(
            "Seeded the baseline's target dir with the current side's compiled dependencies ({} files, {} MB)",
            seeded.files,
            seeded.bytes / 1_000_000
        )),
        Ok(None) => {}
        Err(error) => {
            let warning = format!("{error}: the baseline is built from scratch");
            console.warn(&warning);
            notes.push(warning);
        }
    }
}

fn side_origin(source: String) -> Origin {
    Origin { source, url: None, age_seconds: None }
}

/// The baseline results `--baseline-cache` may reuse: those last measured for exactly `key`.
fn cached_baseline(side_dir: &Path, key: &CacheKey, notes: &mut Vec<String>) -> Result<Option<Results>, Error> {
    let key_path = side_dir.join(CACHE_KEY_FILE);
    let results_path = side_dir.join(RESULTS_FILE);
    let Ok(text) = std::fs::read_to_string(&key_path) else {
        notes.push("--baseline-cache: nothing cached yet, so the baseline was measured.".to_owned());
        return Ok(None);
    };
    let stored: Option<CacheKey> = serde_json::from_str(&text).ok();
    let differences = stored.as_ref().map_or_else(|| vec!["the cache key file".to_owned()], |s| key.differences(s));
    if !differences.is_empty() || !results_path.exists() {
        notes.push(format!(
            "--baseline-cache: the cached baseline was not reused ({} changed), so it was measured again.",
            if differences.is_empty() { "its results file".to_owned() } else { differences.join(", ") }
        ));
        return Ok(None);
    }
    super::load_results(&results_path).map(Some)
}

/// The baseline's share of the selection: bench targets that the current tree added are not
/// there yet. `None` when the baseline has none of them.
fn baseline_selection(
    base: &Workspace,
    args: &RunArgs,
    features: &Features,
    resolved: &worktree::Resolved,
    notes: &mut Vec<String>,
) -> Result<Option<Selection>, Error> {
    let exists = |name: &String| base.members.iter().any(|p| p.benches.iter().any(|b| &b.name == name));
    let benches: Vec<String> = args.bench.iter().filter(|name| exists(name)).cloned().collect();
    let none =
        || format!("The baseline `{}` has none of the selected bench targets: every benchmark is new.", resolved.name);
    // An empty list would select every target.
    if !args.bench.is_empty() && benches.is_empty() {
        notes.push(none());
        return Ok(None);
    }
    match base.select(&args.package, args.workspace, &benches, features) {
        Ok(selection) => Ok(Some(selection)),
        Err(WorkspaceError::NoBenches { .. }) => {
            notes.push(none());
            Ok(None)
        }
        Err(error) => Err(Error::Usage(format!("the baseline `{}`: {error}", resolved.name))),
    }
}

fn build_side<'a>(
    name: &'static str,
    workspace: &'a Workspace,
    features: &'a Features,
    criterion_home: &'a Path,
    selection: &Selection,
    console: &Console,
    sink: &mut OutputSink,
) -> Result<Side<'a>, Error> {
    let cargo = Cargo { workspace, features, criterion_home, config: Vec::new() };
    let count = selection.benches.len();
    let executables = if count == 0 {
        Vec::new()
    } else {
        console
            .status(&format!("Building {count} bench target{} of the {name} side", if count == 1 { "" } else { "s" }));
        cargo.build(&selection.benches, sink)?
    };
    Ok(Side { name, cargo, executables, benchmarks: BTreeMap::new(), startup: Vec::new(), others: None })
}

/// What the selected services and commands cost one side (their warm-up and measured load,
/// and their minimum time).
fn others_cost(services: &[&ServiceBench], commands: &[&CommandBench]) -> OtherCost {
    let seconds: f64 = services
        .iter()
        .flat_map(|service| &service.scenarios)
        .map(|scenario| {
            let duration = scenario.duration_s.unwrap_or_else(|| scenario.stages.iter().map(|s| s.duration_s).sum());
            scenario.warmup_s + duration
        })
        .sum();
    let in_total: f64 = commands.iter().map(|command| command.min_time_s).sum();
    OtherCost { per_round: Duration::from_secs_f64(seconds), in_total: Duration::from_secs_f64(in_total) }
}

/// The services and commands as one round of one side runs them: each scenario one round, each
/// command a share of its runs and minimum time, so that all rounds together cost what one run
/// would; with `CARGO_TARGET_DIR` set when the side builds elsewhere.
fn per_round(
    services: &[&ServiceBench],
    commands: &[&CommandBench],
    rounds: usize,
    cargo_target_dir: Option<&Path>,
) -> (Vec<ServiceBench>, Vec<CommandBench>) {
    let with_target_dir = |env: &mut BTreeMap<String, String>| {
        if let Some(dir) = cargo_target_dir {
            env.entry("CARGO_TARGET_DIR".to_owned()).or_insert_with(|| dir.display().to_string());
        }
    };
    let services = services
        .iter()
        .map(|&service| {
            let mut service = service.clone();
            for scenario in &mut service.scenarios {
                scenario.rounds = 1;
            }
            with_target_dir(&mut service.start.env);
            service
        })
        .collect();
    let commands = commands
        .iter()
        .map(|&command| {
            let mut command = command.clone();
            with_target_dir(&mut command.env);
            // Two runs a round at least: the round's summary is their median.
            command.runs = command.runs.div_ceil(rounds).max(2);
            command.max_runs = command.max_runs.div_ceil(rounds).max(command.runs);
            command.min_time_s /= rounds as f64;
            command
        })
        .collect();
    (services, commands)
}

/// The rounds' processes on this machine: each side's bench executables, services and
/// commands; a progress bar on a terminal, a line per round elsewhere.
struct Processes<'s, 'a> {
    sides: &'s [Side<'a>],
    bench_args: &'s [String],
    out_dir: &'s Path,
    sink: &'s mut OutputSink,
    console: &'s Console,
    progress: Option<indicatif::ProgressBar>,
    steps_per_round: usize,
    canary: CanaryRecorder,
    started: Option<Instant>,
}

impl rounds::Executor for Processes<'_, '_> {
    type Error = Error;

    fn bench(&mut self, run: &BenchRun, _round: usize) -> Result<Vec<Benchmark>, Error> {
        let side = &self.sides[run.side];
        let executable = &side.executables[run.target];
        let mut args = self.bench_args.to_vec();
        args.push(exact_filter(&run.ids));
        let started = run_stamp(self.out_dir)?;
        side.cargo.run_executable(executable, &args, self.sink)?;
        collect_written(side.cargo.criterion_home, "new", started, &executable.target)
    }

    fn others(&mut self, side: usize, _round: usize) -> Result<(Vec<Benchmark>, Vec<String>), Error> {
        run_others(&self.sides[side])
    }

    fn checkpoint(&mut self) -> Duration {
        self.canary.checkpoint();
        self.started.get_or_insert_with(Instant::now).elapsed()
    }

    fn starting(&mut self, round: usize, rounds: usize, order: &[usize]) {
        if self.progress.is_none() {
            let names: Vec<&str> = order.iter().map(|&i| self.sides[i].name).collect();
            self.console.status(&format!("Round {}/{rounds}: {}", round + 1, names.join(", then ")));
        }
    }

    fn done(&mut self, steps: usize) {
        self.progress.iter().for_each(|bar| bar.inc(steps as u64));
    }

    fn replanned(&mut self, note: &str, rounds: usize) {
        // Said now, while there is time to stop; the caller warns again with the rest.
        self.console.status(&format!("Re-planned: {note}"));
        self.progress.iter().for_each(|bar| bar.set_length((rounds * self.steps_per_round) as u64));
    }
}

/// Runs `side`'s services and commands for one round; returns what they measured and their
/// warnings.
fn run_others(side: &Side<'_>) -> Result<(Vec<Benchmark>, Vec<String>), Error> {
    let Some(place) = &side.others else { return Ok(Default::default()) };
    let (services, commands) = &place.each_round;
    std::fs::create_dir_all(&place.log_dir)
        .map_err(|source| output::WriteError { path: place.log_dir.clone(), source })?;
    let at = Place { log_dir: &place.log_dir, base_dir: &place.config_dir, target_dir: &place.target_dir };
    let mut warnings = Vec::new();
    let mut measured = Vec::new();
    if !services.is_empty() {
        let selected: Vec<&ServiceBench> = services.iter().collect();
        let (benchmarks, service_warnings) = service::measure(&selected, &at, |_| {})?;
        measured.extend(benchmarks);
        warnings.extend(service_warnings);
    }
    if !commands.is_empty() {
        let selected: Vec<&CommandBench> = commands.iter().collect();
        let (benchmarks, command_warnings) = command::measure(&selected, &at, |_| {})?;
        measured.extend(benchmarks);
        warnings.extend(command_warnings);
    }
    Ok((measured, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rounds_drop_the_options_they_set_themselves() {
        let options = |text: &str| text.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            without_reserved(options(
                "--warm-up-time 0.1 --noplot --measurement-time=0.2 --sample-size 10 --save-baseline x"
            )),
            options("--noplot --save-baseline x")
        );
    }

    #[test]
    fn the_cache_key_names_what_changed() {
        let key = CacheKey {
            commit: "abc".to_owned(),
            tool_version: "0.1.0".to_owned(),
            machine: crate::model::fixtures::results(Vec::new()).environment,
            packages: Vec::new(),
            workspace: false,
            benches: Vec::new(),
            features: Vec::new(),
            all_features: false,
            no_default_features: false,
            bench_args: Vec::new(),
            shard: None,
            services: serde_json::Value::Null,
            commands: serde_json::Value::Null,
        };
        assert!(key.differences(&key.clone()).is_empty());
        let other = CacheKey { commit: "def".to_owned(), features: vec!["simd".to_owned()], ..key.clone() };
        assert_eq!(key.differences(&other), vec!["commit", "features"]);
    }
}
