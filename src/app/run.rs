//! `cargo perf-gate run`, in the order it happens: where it reads and writes, what it compares
//! against (decided and loaded before anything is benchmarked, so a typo costs no bench run),
//! what it measures, the `--confirm` rounds, then the check and the reports.

use std::path::{Path, PathBuf};

use super::baseline::{self, Baseline, BaselineSpec, Choice};
use super::github::GitHub;
use super::history;
use super::{
    describe_target, evaluate_and_report, interleave, load_config, run_benches, run_services_and_commands, screen,
    select_named, to_json, Checked, Console, ONLY_OTHERS_NOTE, PAIRED_DIR, RESULTS_FILE, RUN_OUTPUTS,
};
use crate::cli::{CompareMode, RunArgs};
use crate::collect::cargo::{Workspace, WorkspaceError};
use crate::collect::worktree::{self, Resolved};
use crate::collect::{criterion, environment, Place};
use crate::config::{CommandBench, Config, Measure, ServiceBench, DEFAULT_CONFIG_FILE};
use crate::error::Error;
use crate::history::Origin;
use crate::model::{Benchmark, Canary, Interleaving, Results, Shard};
use crate::output::{self, Staged};
use crate::{exit_code, interrupt, plan};

pub(super) fn run(args: RunArgs) -> Result<u8, Error> {
    let console = Console { quiet: args.quiet };
    if let (Some(shard), Some(branch)) = (args.shard, &args.window.extend_window) {
        return Err(Error::Usage(format!(
            "--shard {shard} with --extend-window {branch}: a shard holds part of a run; extend the window where the shards are merged (`cargo perf-gate check --results merged.json --extend-window {branch}`)"
        )));
    }
    // A criterion directory given with --no-run needs no workspace (one around it still gives
    // the config, the out dir and criterion's version); anything else does.
    let reading_only = args.no_run && args.criterion_dir.is_some() && args.manifest_path.is_none();
    // Nothing is measured here, so git and rustc may run alongside reading the workspace and
    // the results. From the current directory they see the checkout and the toolchain (rustup
    // looks for rust-toolchain.toml upwards from there) that `cargo bench` run here used.
    let early_probe = reading_only.then(|| environment::Probe::start(PathBuf::from(".")));
    let paths = Paths::decide(&args, reading_only)?;
    let spec = BaselineSpec::parse_all(&args.baseline, crate::github::in_actions())?;
    let keep: Vec<&Path> = spec.iter().flat_map(BaselineSpec::files).collect();
    output::clear_earlier(&paths.out_dir, &RUN_OUTPUTS, &keep)?;
    let mut notes = Vec::new();
    let config_path = args.config.clone().unwrap_or_else(|| paths.root.join(DEFAULT_CONFIG_FILE));
    let config = load_config(args.config.as_deref(), &config_path, &mut notes)?;
    let slo_environment = super::slo_environment(&config, args.environment.as_deref())?;
    let config = slo_environment.scaled(config);
    let github = GitHub::detect(&args.github, &config_path)?;
    let store = history::store_path(args.recording.path.as_deref(), &config, &config_path, || paths.root.clone());
    let spec = history::window_spec(&args.window, &config, &store, None).or(spec);
    let against = Against::decide(&args, spec, &config, &github, &paths, &console)?;
    let mut args = args;
    if let Some(samples) = slo_environment.criterion_sample_size() {
        criterion_sample_size(&mut args, samples, &against, &mut notes);
    }
    let selected = Selected::from_config(&args, &config)?;
    let base_dir = config_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let measured_by = args.measure.unwrap_or(config.measure);
    let mut against = against;
    if measured_by == Measure::Instructions {
        counted_in_full(&mut against, &mut notes);
    }
    let context =
        Context { args: &args, measure: measured_by, console: &console, paths: &paths, selected: &selected, base_dir };
    let mut measured = measure(&context, against, &config, &github, &mut notes)?;
    // First among the notes: which comparison the report's verdict rests on.
    if let Some(compared) = measured.compared.take() {
        notes.insert(0, compared);
    }
    let (git, mut machine) = early_probe
        .unwrap_or_else(|| environment::Probe::start(paths.root.clone()))
        .finish(paths.workspace.as_ref().and_then(|ws| ws.criterion.clone()));
    machine.callgrind = measured.callgrind.take();
    let mut current = Results::new(environment::now_rfc3339(), git, machine, measured.benchmarks);
    current.canary = measured.canary;
    current.shard = args.shard;
    current.interleaved = measured.interleaving;
    current.slo_environment = slo_environment.name.is_some().then(|| slo_environment.clone());
    let confirmed = confirm(&context, measured.confirm_against, &measured.baseline, &current, &config, &mut notes)?;
    if interrupt::requested() {
        return Err(Error::Interrupted);
    }
    let results_path = paths.out_dir.join(RESULTS_FILE);
    // Results and reports become visible together: a run that fails to write its reports (a
    // full disk) leaves neither.
    let mut staged = Staged::default();
    staged.stage(&results_path, &to_json(&current))?;
    console.status(&format!("Results: {} ({} benchmarks)", results_path.display(), current.benchmarks.len()));
    if let Some(shard) = args.shard {
        if args.recording.record {
            console.warn("--record: a shard holds part of a run, so it is not recorded; record the merged results with `check --record`");
        }
        return finish_shard(shard, &current, confirmed.as_ref(), staged, &paths.out_dir, &console);
    }
    let baseline = measured.baseline;
    let recording = history::Recording::asked(&args.recording, args.release.as_deref(), &config, &store, Origin::Run);
    let recent = history::recent(&store, &current, super::baseline_branch(&baseline), &mut notes);
    let checked = Checked {
        config: &config,
        current: &current,
        results_path: &results_path,
        baseline,
        confirmed,
        staged,
        recording,
        recent,
        extension: super::extension(&args.window, &config),
        environment: slo_environment,
    };
    evaluate_and_report(checked, &github, &paths.out_dir, args.strict, notes, &console)
}

/// A shard is not checked: gates and comparisons judge the whole suite, so they run on the
/// merged files. Writes what the merge needs besides results.json: with `--confirm`, the current
/// side of the suspects' rounds in `paired/results.json` (their base side is in
/// `baseline/results.json`, as for a paired shard), and says how to merge and check.
fn finish_shard(
    shard: Shard,
    current: &Results,
    confirmed: Option<&screen::Confirmed>,
    mut staged: Staged,
    out_dir: &Path,
    console: &Console,
) -> Result<u8, Error> {
    let paired_current = confirmed.and_then(screen::Confirmed::rounds);
    if let Some(rounds) = paired_current {
        staged.stage(&out_dir.join(PAIRED_DIR).join(RESULTS_FILE), &to_json(rounds))?;
    }
    staged.commit()?;
    let base_side = Path::new("baseline").join(RESULTS_FILE);
    let (merge_more, check_with) = match (current.interleaved.is_some(), paired_current.is_some()) {
        (true, _) => (format!(", their {} with `-o baseline.json`", base_side.display()), " --baseline baseline.json"),
        (false, true) => (
            format!(
                ", the {} of the shards that confirmed suspects with `-o paired.json` and their {} with `-o paired-baseline.json`",
                Path::new(PAIRED_DIR).join(RESULTS_FILE).display(),
                base_side.display()
            ),
            " --baseline STORED --paired-results paired.json --paired-baseline paired-baseline.json",
        ),
        (false, false) => (String::new(), ""),
    };
    console.status(&format!(
        "Shard {shard} done. Merge every shard's results.json with `cargo perf-gate merge FILE... -o results.json`{merge_more}, then `cargo perf-gate check --results results.json{check_with}`."
    ));
    Ok(exit_code::OK)
}

/// Where a run reads and writes.
struct Paths {
    workspace: Option<Workspace>,
    /// Absolute: cargo runs benches from their package's directory, so a relative
    /// CRITERION_HOME would point somewhere else for them than for us.
    criterion_home: PathBuf,
    /// The workspace root, or `.` without a workspace.
    root: PathBuf,
    out_dir: PathBuf,
}

impl Paths {
    fn decide(args: &RunArgs, reading_only: bool) -> Result<Paths, Error> {
        let workspace = if reading_only {
            Workspace::around_current_dir()
        } else {
            Some(Workspace::load(args.manifest_path.as_deref())?)
        };
        let criterion_home = args
            .criterion_dir
            .clone()
            .or_else(|| std::env::var_os("CRITERION_HOME").map(PathBuf::from))
            .or_else(|| workspace.as_ref().map(|ws| ws.target_dir.join("criterion")))
            .ok_or_else(|| {
                Error::Usage(
                    "cannot tell where criterion's output is: run inside a cargo workspace, or pass --criterion-dir"
                        .to_owned(),
                )
            })?;
        let criterion_home = std::path::absolute(&criterion_home).unwrap_or(criterion_home);
        let root = workspace.as_ref().map_or_else(|| PathBuf::from("."), |ws| ws.root.clone());
        let out_dir = match (&args.out_dir, &workspace) {
            (Some(dir), _) => dir.clone(),
            (None, Some(ws)) => ws.target_dir.join("perf-gate"),
            (None, None) => criterion_home.parent().unwrap_or(Path::new(".")).join("perf-gate"),
        };
        Ok(Paths { workspace, criterion_home, root, out_dir })
    }

    /// The workspace, when the run measures: not with --no-run.
    fn measuring(&self, args: &RunArgs) -> Option<&Workspace> {
        self.workspace.as_ref().filter(|_| !args.no_run)
    }
}

/// What the run compares against: loaded, or the git refs to measure here.
/// The SLO environment's criterion sample size, passed to the benches after `--` in a plain
/// run. A `--sample-size` of the user's wins; paired rounds are sized by their own plan.
fn criterion_sample_size(args: &mut RunArgs, samples: usize, against: &Against, notes: &mut Vec<String>) {
    let multiplier = "the SLO environment's sample_size_multiplier";
    if args.no_run {
        return;
    }
    if args.bench_args.iter().any(|a| a.split('=').next() == Some("--sample-size")) {
        notes.push(format!("{multiplier} left criterion alone: the `--sample-size` after `--` was given"));
    } else if against.pair_with.is_some() || against.confirm_against.is_some() {
        notes.push(format!(
            "{multiplier} scaled the services' rounds and the commands' runs; criterion's samples follow the paired rounds' plan"
        ));
    } else {
        args.bench_args.extend(["--sample-size".to_owned(), samples.to_string()]);
    }
}

struct Against {
    choice: Choice,
    baseline: Baseline,
    /// Which comparison was chosen and why, for the report.
    compared: Option<String>,
    /// The ref measured in rounds alternating with the whole current suite.
    pair_with: Option<Resolved>,
    /// The ref the screen's suspects are measured against (`--confirm`).
    confirm_against: Option<Resolved>,
}

impl Against {
    fn decide(
        args: &RunArgs,
        spec: Option<BaselineSpec>,
        config: &Config,
        github: &GitHub,
        paths: &Paths,
        console: &Console,
    ) -> Result<Against, Error> {
        let repo = paths.workspace.as_ref().map(|ws| ws.root.as_path());
        let pr_base = github.context.pull_request.as_ref().and_then(|pr| pr.base_sha.as_deref());
        let mut choice = baseline::choose(args.compare, spec, pr_base, args.confirm.as_deref())?;
        if let Some(shard) = args.shard {
            choice = baseline::for_shard(shard, args.compare, choice)?;
        }
        let (mut baseline, compared) = baseline::load_choice(&choice, github, config, repo, console)?;
        let pair_with = baseline.worktree.take();
        // The ref --confirm measures, resolved (and fetched) before anything is benchmarked.
        let confirm_against = match (&choice.confirm, repo) {
            (Some(reference), Some(repo)) if !args.no_run => Some(worktree::resolve(repo, reference)?),
            (Some(reference), _) => {
                return Err(Error::Usage(format!(
                    "--confirm {reference}: re-measuring against a git ref needs a cargo workspace and does not combine with --no-run"
                )))
            }
            (None, _) => None,
        };
        let pairing_flags = args.rounds.is_some() || args.time_budget.is_some() || args.time_limit.is_some();
        let measures_here = pair_with.is_some() || choice.fallback.is_some() || confirm_against.is_some();
        if !measures_here && (pairing_flags || args.baseline_cache) {
            return Err(Error::Usage(
                "--rounds, --time-budget, --time-limit and --baseline-cache apply when a git ref is measured here (--baseline REF, --compare paired, --confirm REF), not to a results file or an artifact alone".to_owned(),
            ));
        }
        Ok(Against { choice, baseline, compared, pair_with, confirm_against })
    }
}

/// The config's services and commands this run takes, and whether criterion benches run.
struct Selected<'a> {
    services: Vec<&'a ServiceBench>,
    commands: Vec<&'a CommandBench>,
    /// Naming only commands or services runs only those.
    run_criterion: bool,
}

impl<'a> Selected<'a> {
    fn from_config(args: &RunArgs, config: &'a Config) -> Result<Selected<'a>, Error> {
        let mut commands = select_named(&config.commands, |c| c.name.as_str(), "--command", &args.command, args)?;
        let mut services = select_named(&config.services, |s| s.name.as_str(), "--service", &args.service, args)?;
        if let Some(shard) = args.shard {
            // Services, then commands, as one list, dealt from the last shard down (see Shard).
            let first_command = services.len();
            services = dealt_from_end(shard, 0, services);
            commands = dealt_from_end(shard, first_command, commands);
        }
        let run_criterion = (args.command.is_empty() && args.service.is_empty()) || !args.bench.is_empty();
        Ok(Selected { services, commands, run_criterion })
    }

    fn others(&self) -> usize {
        self.services.len() + self.commands.len()
    }
}

/// The items of `list`, positions `first..` of the list a shard deals from its end, that fall
/// to `shard`.
fn dealt_from_end<T>(shard: Shard, first: usize, list: Vec<T>) -> Vec<T> {
    list.into_iter().enumerate().filter(|(i, _)| shard.takes_from_end(first + i)).map(|(_, item)| item).collect()
}

/// What every phase of a run reads.
struct Context<'a> {
    args: &'a RunArgs,
    /// What the criterion benches are measured by.
    measure: Measure,
    console: &'a Console,
    paths: &'a Paths,
    selected: &'a Selected<'a>,
    /// The config's directory: services' and commands' paths are relative to it.
    base_dir: &'a Path,
}

/// What the run measured of the current tree, and the baseline as measuring left it.
struct Measured {
    benchmarks: Vec<Benchmark>,
    canary: Option<Canary>,
    interleaving: Option<Interleaving>,
    baseline: Baseline,
    compared: Option<String>,
    confirm_against: Option<Resolved>,
    /// With `--measure instructions`: the settings the counts were made with.
    callgrind: Option<String>,
}

/// Measures the current tree: in rounds alternating with the ref to pair with, else by running
/// (or, with --no-run, collecting) the benches; then the services and commands the rounds did
/// not take.
fn measure(
    context: &Context<'_>,
    against: Against,
    config: &Config,
    github: &GitHub,
    notes: &mut Vec<String>,
) -> Result<Measured, Error> {
    let Context { args, selected, .. } = *context;
    let Against { choice, baseline, compared, pair_with, confirm_against } = against;
    let mut measured = Measured {
        benchmarks: Vec::new(),
        canary: None,
        interleaving: None,
        baseline,
        compared,
        confirm_against,
        callgrind: None,
    };
    let mut others_measured = false;
    if context.measure == Measure::Instructions {
        // Counts need no alternating rounds: a ref is counted once, as the current tree is.
        if let Some(resolved) = &pair_with {
            measured.baseline = count_ref(context, resolved, notes)?;
        }
        (measured.benchmarks, measured.callgrind) = count_benches(context, notes)?;
    } else {
        let paired = match pair_with {
            Some(resolved) => {
                let rounds = Rounds { resolved, choice: &choice, github, config };
                measure_paired(context, rounds, &mut measured, &mut others_measured, notes)?
            }
            None => false,
        };
        if !paired {
            (measured.benchmarks, measured.canary) = measure_benches(context, notes)?;
        }
    }
    if selected.others() > 0 && !args.no_run && !others_measured {
        add_services_and_commands(context, &mut measured.benchmarks, notes)?;
    }
    Ok(measured)
}

/// What a time-measured pairing with a git ref needs besides the run's context.
struct Rounds<'a> {
    resolved: Resolved,
    choice: &'a Choice,
    github: &'a GitHub,
    config: &'a Config,
}

/// The current tree measured in rounds alternating with the ref, into `measured`; `false` when
/// the pairing declined (over its time limit) and the benches are still to be run alone.
fn measure_paired(
    context: &Context<'_>,
    rounds: Rounds<'_>,
    measured: &mut Measured,
    others_measured: &mut bool,
    notes: &mut Vec<String>,
) -> Result<bool, Error> {
    let Context { args, console, paths, selected, base_dir, .. } = *context;
    let Rounds { resolved, choice, github, config } = rounds;
    let Some(ws) = paths.measuring(args) else {
        return Err(Error::Usage(format!(
            "--baseline {}: measuring a git ref needs a cargo workspace and does not combine with --no-run",
            resolved.name
        )));
    };
    let alongside =
        interleave::Others { services: &selected.services, commands: &selected.commands, config_dir: base_dir };
    // A shard with nothing stored to fall back on declines to measuring alone.
    let may_decline = choice.fallback.is_some() || (args.shard.is_some() && args.compare == Some(CompareMode::Auto));
    let pairing = interleave::Pairing { resolved: &resolved, only: None, may_decline, shard: args.shard };
    let outcome = interleave::measure(
        ws,
        &pairing,
        args,
        selected.run_criterion,
        &alongside,
        &paths.criterion_home,
        &paths.out_dir,
        console,
        notes,
    )?;
    match outcome {
        interleave::Paired::Measured(rounds) => {
            *others_measured = rounds.others_measured;
            measured.baseline = rounds.baseline;
            measured.interleaving = Some(rounds.interleaving);
            measured.benchmarks = rounds.current;
            measured.canary = rounds.canary;
            Ok(true)
        }
        interleave::Paired::Declined { estimate, limit } => {
            let reason = format!(
                "pairing would take about {} with the default plan, over --time-limit {}",
                plan::whole_seconds(estimate),
                humantime::format_duration(limit)
            );
            if let (Some(shard), None) = (args.shard, &choice.fallback) {
                let why = format!(
                    "shard {shard} measured alone: {reason}; the merged shards are checked against a stored baseline"
                );
                console.warn(&why);
                measured.compared = Some(why);
            } else {
                // The suite is screened against the artifact; its suspects are paired after all.
                let (baseline, compared) = baseline::fall_back(choice, &reason, true, github, config, console)?;
                (measured.baseline, measured.compared) = (baseline, compared);
                measured.confirm_against = Some(resolved);
            }
            Ok(false)
        }
    }
}

/// The criterion benches of the current tree alone: run, or collected with --no-run.
fn measure_benches(context: &Context<'_>, notes: &mut Vec<String>) -> Result<(Vec<Benchmark>, Option<Canary>), Error> {
    let Context { args, console, paths, selected, .. } = *context;
    match paths.measuring(args) {
        Some(_) if !selected.run_criterion => Ok((Vec::new(), None)),
        Some(ws) => match run_benches(ws, args, &paths.criterion_home, &paths.out_dir, console, notes) {
            Err(Error::Workspace(WorkspaceError::NoBenches { .. }))
                if selected.others() > 0 && args.bench.is_empty() =>
            {
                notes.push(ONLY_OTHERS_NOTE.to_owned());
                Ok((Vec::new(), None))
            }
            other => other,
        },
        None => Ok((criterion::collect(&paths.criterion_home, &args.criterion_baseline, None)?.benchmarks, None)),
    }
}

/// The criterion benches of the current tree counted under callgrind, and the settings the
/// counts were made with.
fn count_benches(context: &Context<'_>, notes: &mut Vec<String>) -> Result<(Vec<Benchmark>, Option<String>), Error> {
    let Context { args, console, paths, selected, .. } = *context;
    match paths.measuring(args) {
        Some(ws) if selected.run_criterion => {
            let (benchmarks, settings) = super::count_benches(ws, args, &paths.out_dir, console, notes)?;
            Ok((benchmarks, Some(settings)))
        }
        _ => Ok((Vec::new(), None)),
    }
}

/// `--confirm REF` screens against a stored baseline and re-measures the suspects against REF;
/// counts are exact, so the whole suite is counted against REF instead, which is what the
/// confirmation would decide anyway.
fn counted_in_full(against: &mut Against, notes: &mut Vec<String>) {
    if let Some(resolved) = against.confirm_against.take() {
        notes.push(format!(
            "--measure instructions: every benchmark was counted against {} rather than screened and confirmed: counts are exact, and counting a side costs one run of each routine",
            resolved.name
        ));
        against.pair_with = Some(resolved);
    }
}

/// `--measure instructions --baseline REF`: the ref counted in perf-gate's worktree of it, in
/// this job, its results written to `<out>/baseline/results.json`.
fn count_ref(context: &Context<'_>, resolved: &Resolved, notes: &mut Vec<String>) -> Result<Baseline, Error> {
    let Context { args, console, paths, .. } = *context;
    let Some(ws) = paths.measuring(args) else {
        return Err(Error::Usage(format!("--baseline {}: counting a git ref needs a cargo workspace", resolved.name)));
    };
    let top = worktree::toplevel(&ws.root)?;
    let base = interleave::baseline_workspace(ws, &top, resolved, &paths.out_dir, console)?;
    let side_dir = paths.out_dir.join("baseline");
    let (benchmarks, settings) = super::count_benches(&base, args, &side_dir, console, notes)?;
    let worktree_dir = worktree::directory(&paths.out_dir);
    let mut results = Results::new(
        environment::now_rfc3339(),
        environment::git_info(&worktree_dir),
        environment::fingerprint(&worktree_dir, base.criterion.clone()),
        benchmarks,
    );
    results.environment.callgrind = Some(settings);
    output::write_atomic(&side_dir.join(RESULTS_FILE), &to_json(&results))?;
    let source =
        format!("worktree of {} ({}), counted here under callgrind", resolved.name, worktree::short(&resolved.commit));
    Ok(Baseline {
        results: Some(results),
        origin: Some(crate::report::Origin { source, url: None, age_seconds: None }),
        ..Default::default()
    })
}

/// Loads the services and times the commands, adding their benchmarks to `benchmarks`.
fn add_services_and_commands(
    context: &Context<'_>,
    benchmarks: &mut Vec<Benchmark>,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    let Context { console, paths, selected, base_dir, .. } = *context;
    let target_dir = paths.workspace.as_ref().map_or_else(|| paths.root.join("target"), |ws| ws.target_dir.clone());
    let place = Place { log_dir: &paths.out_dir, base_dir, target_dir: &target_dir };
    for benchmark in run_services_and_commands(&selected.services, &selected.commands, &place, console, notes)? {
        if let Some(other) = benchmarks.iter().find(|b| b.id == benchmark.id) {
            return Err(Error::Usage(format!(
                "benchmark id `{}` comes from both {} and {}: rename one of them",
                benchmark.id,
                describe_target(other),
                describe_target(&benchmark)
            )));
        }
        benchmarks.push(benchmark);
    }
    benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(())
}

/// `--confirm`: the screen's suspects re-measured against the ref, when there is a stored
/// baseline to screen against.
fn confirm(
    context: &Context<'_>,
    reference: Option<Resolved>,
    baseline: &Baseline,
    current: &Results,
    config: &Config,
    notes: &mut Vec<String>,
) -> Result<Option<screen::Confirmed>, Error> {
    let Context { args, console, paths, selected, base_dir, .. } = *context;
    let Some(reference) = reference else { return Ok(None) };
    let (Some(stored), Some(ws)) = (&baseline.results, paths.workspace.as_ref()) else {
        let note = format!(
            "--confirm {}: there is no stored baseline to screen against, so nothing was re-measured",
            reference.name
        );
        console.warn(&note);
        notes.push(note);
        return Ok(None);
    };
    // A shard screens its own share: the other shards' benchmarks are not missing from it.
    let share;
    let stored = match args.shard {
        Some(_) => {
            let ids: std::collections::HashSet<&str> = current.benchmarks.iter().map(|b| b.id.as_str()).collect();
            share = Results {
                benchmarks: stored.benchmarks.iter().filter(|b| ids.contains(b.id.as_str())).cloned().collect(),
                ..stored.clone()
            };
            &share
        }
        None => stored,
    };
    let place = screen::Place {
        workspace: ws,
        args,
        services: &selected.services,
        commands: &selected.commands,
        config_dir: base_dir,
        criterion_home: &paths.criterion_home,
        out_dir: &paths.out_dir,
    };
    screen::confirm(&reference, (stored, baseline.window.as_ref()), current, config, &place, console, notes).map(Some)
}
