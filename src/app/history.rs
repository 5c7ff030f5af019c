//! The history at the edge: where the store is, recording a checked run (`run --record`,
//! `check --record`), the report's trend lines, and the `record`, `list`, `export`,
//! `regressions`, `trends` and `release` commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::baseline::{BaselineSpec, HistoryWindow};
use super::{load_config, load_results, print_stdout, Console};
use crate::cli::{
    ExportArgs, ExportFormat, HistoryArgs, ListArgs, RecordArgs, RegressionsArgs, ReleaseArgs, TrendsArgs, WindowArgs,
};
use crate::collect::cargo::Workspace;
use crate::collect::environment;
use crate::config::{Config, DEFAULT_CONFIG_FILE};
use crate::error::Error;
use crate::history::release::{Outcomes, ReleaseSummary};
use crate::history::store::{Recorded, RunFilter, SeriesFilter, Store};
use crate::history::trends::{self, Trend};
use crate::history::{self, Origin, RunRecord};
use crate::model::Results;
use crate::report::Report;
use crate::{exit_code, export, output, render};

/// Where the store is when neither a flag, the environment nor the config says.
const DEFAULT_PATH: &str = ".perf-gate/history.db";

/// `--baseline-history [BRANCH]`: the last runs of BRANCH in the store at `store`, as many as
/// `--window` or the config's `history.window` say, never the `checked` results themselves.
pub fn window_spec(
    args: &WindowArgs,
    config: &Config,
    store: &Path,
    checked: Option<&Results>,
) -> Option<BaselineSpec> {
    let branch = args.baseline_history.clone()?;
    let runs = args.window.map_or(config.history.window, |runs| runs as usize);
    let excluding = checked.map(|results| results.created_at.clone());
    Some(BaselineSpec::History(HistoryWindow { branch, store: store.to_owned(), runs, excluding }))
}

/// The store's path: `explicit` (--history, or $PERF_GATE_HISTORY through clap), else the
/// config's `history.path` relative to the config's directory, else under the workspace root
/// (`root` is asked for only then).
pub fn store_path(
    explicit: Option<&Path>,
    config: &Config,
    config_path: &Path,
    root: impl FnOnce() -> PathBuf,
) -> PathBuf {
    match (explicit, &config.history.path) {
        (Some(path), _) => path.to_owned(),
        (None, Some(path)) => config_path.parent().unwrap_or(Path::new("")).join(path),
        (None, None) => root().join(DEFAULT_PATH),
    }
}

/// What `run` or `check` is asked to record: where, and with which release tag.
pub struct Recording {
    pub path: PathBuf,
    pub release: Option<String>,
    pub origin: Origin,
}

impl Recording {
    /// The recording `--record`, `--release` or the config's `history.record` asks for.
    /// Into the store at `path` (see [`store_path`]).
    pub fn asked(
        args: &crate::cli::RecordingArgs,
        release: Option<&str>,
        config: &Config,
        path: &Path,
        origin: Origin,
    ) -> Option<Recording> {
        let wanted = args.record || release.is_some() || config.history.record;
        wanted.then(|| Recording { path: path.to_owned(), release: release.map(str::to_owned), origin })
    }

    /// Adds the checked run. Called after results.json and the reports are written, so that a
    /// store that cannot be used costs the run nothing but this error.
    pub fn record(&self, results: &Results, report: &Report, console: &Console) -> Result<(), Error> {
        let record = RunRecord::new(results, Some(report), self.release.as_deref(), self.origin);
        let recorded = Store::open(&self.path)?.record(&record, &environment::now_rfc3339())?;
        let (Recorded::Added(id) | Recorded::Known(id)) = recorded;
        console.status(&format!("Recorded as run {id} in {}", self.path.display()));
        Ok(())
    }
}

/// How many recorded runs the report's trend lines show.
const RECENT_RUNS: usize = 20;

/// The recorded values behind the report's trend lines: for each compared metric of `current`,
/// its newest runs in the store at `path` (of `branch` when given). Only an existing store is
/// read, never created; one that cannot be read costs the trend lines and says so.
pub fn recent(path: &Path, current: &Results, branch: Option<&str>, notes: &mut Vec<String>) -> render::Recent {
    if !path.is_file() {
        return render::Recent::new();
    }
    let keys: Vec<(String, String)> = current
        .benchmarks
        .iter()
        .flat_map(|b| b.metrics.iter().filter(|(_, m)| m.compared).map(|(name, _)| (b.id.clone(), name.clone())))
        .collect();
    match Store::open(path).and_then(|store| store.recent(&keys, branch, RECENT_RUNS)) {
        Ok(recent) => recent,
        Err(error) => {
            notes.push(format!("no trend lines in the report: {error}"));
            render::Recent::new()
        }
    }
}

/// The store a history command reads or writes, and the config (the one named, else the
/// one at the workspace root around the current directory, if there is one).
fn located(args: &HistoryArgs) -> Result<(PathBuf, Config), Error> {
    let root = Workspace::around_current_dir().map_or_else(|| PathBuf::from("."), |ws| ws.root);
    let config_path = args.config.clone().unwrap_or_else(|| root.join(DEFAULT_CONFIG_FILE));
    let config = load_config(args.config.as_deref(), &config_path, &mut Vec::new())?;
    Ok((store_path(args.path.as_deref(), &config, &config_path, || root), config))
}

/// `record FILE...`: each file one run, imported as it is (no check), in the order given.
pub fn record_command(args: RecordArgs) -> Result<u8, Error> {
    let console = Console { quiet: false };
    let (path, _) = located(&args.history)?;
    // Every file is read before the store is touched: a bad one records nothing.
    let mut runs = Vec::new();
    for file in &args.files {
        runs.push((file, load_results(file)?));
    }
    let mut store = Store::open(&path)?;
    let recorded_at = environment::now_rfc3339();
    for (file, results) in runs {
        let record = RunRecord::new(&results, None, args.release.as_deref(), Origin::Import);
        match store.record(&record, &recorded_at)? {
            Recorded::Added(id) => {
                console.status(&format!("{}: run {id}, {} benchmarks", file.display(), record.benchmarks()))
            }
            Recorded::Known(id) => console.status(&format!("{}: already recorded as run {id}", file.display())),
        }
    }
    console.status(&format!("History: {}", path.display()));
    Ok(exit_code::OK)
}

/// The store `args` name, which must exist (reading commands never create one), and the config.
fn existing(args: &HistoryArgs) -> Result<(Store, Config), Error> {
    let (path, config) = located(args)?;
    if !path.exists() {
        return Err(Error::Usage(format!(
            "no history at {}: record runs with `run --record` or `record FILE...`, or pass --history",
            path.display()
        )));
    }
    Ok((Store::open(&path)?, config))
}

/// RFC 3339 time `days` days ago: the start of a period.
fn days_ago(days: u32) -> String {
    let period = std::time::Duration::from_secs(u64::from(days) * 86_400);
    let since = std::time::SystemTime::now().checked_sub(period).unwrap_or(std::time::UNIX_EPOCH);
    humantime::format_rfc3339_seconds(since).to_string()
}

/// `trends`: per benchmark the series of one metric over the last `--days`, with its slope,
/// change and steps; `--html` also writes the charts.
pub fn trends_command(args: TrendsArgs) -> Result<u8, Error> {
    let console = Console { quiet: false };
    let (store, config) = existing(&args.history)?;
    let since = days_ago(args.days);
    let filter = SeriesFilter {
        metric: &args.metric,
        since: &since,
        branch: args.branch.as_deref(),
        glob: args.glob.as_deref(),
    };
    let trends: Vec<Trend> = store
        .series(&filter)?
        .into_iter()
        .map(|series| {
            let key = (series.benchmark, args.metric.clone(), series.unit, series.better);
            Trend::new(key, series.points, config.regression_threshold_percent)
        })
        .collect();
    if let Some(path) = &args.html {
        let title = format!(
            "{} over the last {} days{}",
            args.metric,
            args.days,
            args.branch.as_deref().map(|b| format!(" on {b}")).unwrap_or_default()
        );
        let page = render::trends_html(&render::trends_view(&title, &trends))?;
        output::write_atomic(path, page.as_bytes())?;
        console.status(&format!("Trend charts: {}", path.display()));
    }
    if trends.is_empty() {
        console.warn(&format!("no recorded `{}` values in the last {} days match", args.metric, args.days));
    }
    print_stdout(&trends::format_trends(&trends, args.format));
    Ok(exit_code::OK)
}

/// `list`: the recorded runs, newest first.
pub fn list_command(args: ListArgs) -> Result<u8, Error> {
    let filter = RunFilter { branch: args.branch, release: args.release, limit: args.limit };
    let rows = existing(&args.history)?.0.runs(&filter)?;
    print_stdout(&history::format_runs(&rows, args.format));
    Ok(exit_code::OK)
}

/// `regressions`: what the last `--days` recorded as regressed, newest first.
pub fn regressions_command(args: RegressionsArgs) -> Result<u8, Error> {
    let rows = existing(&args.history)?.0.regressions(&days_ago(args.days))?;
    print_stdout(&history::format_regressions(&rows, args.format));
    Ok(exit_code::OK)
}

/// `release TAG`: the release's runs and medians, against `--against` or the release before.
pub fn release_command(args: ReleaseArgs) -> Result<u8, Error> {
    let (store, _) = existing(&args.history)?;
    let unknown = |tag: &str| {
        Error::Usage(format!(
            "no run is recorded with release `{tag}`: tag runs with `run --release {tag}` or `record --release {tag} FILE...`; `list` shows the releases"
        ))
    };
    if !store.has_release(&args.release)? {
        return Err(unknown(&args.release));
    }
    let against = match args.against {
        Some(tag) if !store.has_release(&tag)? => return Err(unknown(&tag)),
        Some(tag) => Some(tag),
        None => store.release_before(&args.release)?,
    };
    let against = match against {
        Some(tag) => {
            let values = store.release_values(&tag, &args.metric)?;
            Some((tag, values))
        }
        None => None,
    };
    let filter = RunFilter { release: Some(args.release.clone()), limit: usize::MAX, ..RunFilter::default() };
    let summary = ReleaseSummary::new(
        (&args.release, &args.metric),
        &store.runs(&filter)?,
        Outcomes { gates: store.release_gates(&args.release)?, slos: store.release_slos(&args.release)? },
        store.release_values(&args.release, &args.metric)?,
        against,
    );
    print_stdout(&summary.format(args.format));
    Ok(exit_code::OK)
}

/// `export`: every recorded metric, streamed to the file (written atomically) or stdout.
pub fn export_command(args: ExportArgs) -> Result<u8, Error> {
    match args.format {
        ExportFormat::Bmf => return export_one_run(&args, export::bmf),
        ExportFormat::Openmetrics => return export_one_run(&args, |results| export::openmetrics(results, &[])),
        ExportFormat::Csv | ExportFormat::Json => {}
    }
    if args.results.is_some() || args.run.is_some() {
        return Err(Error::Usage(
            "--results and --run export one run: use them with --format bmf or --format openmetrics".to_owned(),
        ));
    }
    let (store, _) = existing(&args.history)?;
    let since = args.since.as_deref();
    let json = args.format == ExportFormat::Json;
    match &args.output {
        Some(path) => output::write_atomic_with(path, |writer| export(&store, since, json, path, writer))?,
        None => {
            let stdout = std::io::stdout();
            let mut writer = std::io::BufWriter::new(stdout.lock());
            let result = export(&store, since, json, Path::new("stdout"), &mut writer)
                .and_then(|()| writer.flush().map_err(|source| write_error(Path::new("stdout"), source)));
            match result {
                // A closed pipe (`| head`) ends the export, as for any command-line tool.
                Err(Error::Write(error)) if error.source.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(exit_code::OK)
}

/// `export --format bmf|openmetrics`: one run, from `--results FILE` or the history (`--run
/// ID`, else the newest), written by `render`.
fn export_one_run(args: &ExportArgs, render: impl Fn(&Results) -> String) -> Result<u8, Error> {
    let results = match &args.results {
        Some(path) => load_results(path)?,
        None => {
            let (store, _) = existing(&args.history)?;
            store.run_results(args.run)?.ok_or_else(|| {
                Error::Usage(match args.run {
                    Some(id) => format!("--run {id}: no recorded run has that id (`list` shows them)"),
                    None => "the history holds no run yet: record one, or export a file with --results".to_owned(),
                })
            })?
        }
    };
    let text = render(&results);
    match &args.output {
        Some(path) => output::write_atomic(path, text.as_bytes())?,
        None => print_stdout(&text),
    }
    Ok(exit_code::OK)
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write(output::WriteError { path: path.to_owned(), source })
}

/// Writes the export: a CSV header and one record per row, or (`json`) a JSON array of the rows.
fn export(store: &Store, since: Option<&str>, json: bool, path: &Path, writer: &mut dyn Write) -> Result<(), Error> {
    let mut write = |bytes: &[u8]| writer.write_all(bytes).map_err(|source| write_error(path, source));
    let mut first = true;
    if json {
        write(b"[")?;
    } else {
        write(history::csv_line(&history::EXPORT_COLUMNS).as_bytes())?;
    }
    store.export(since, |row| {
        if !json {
            return write(row.csv().as_bytes());
        }
        let separator: &[u8] = if std::mem::take(&mut first) { b"\n  " } else { b",\n  " };
        write(separator)?;
        write(&serde_json::to_vec(&row).unwrap_or_default())
    })?;
    if json {
        write(if first { b"]\n" } else { b"\n]\n" })?;
    }
    Ok(())
}
