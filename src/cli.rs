//! Command-line definition: clap structs only, no behaviour.
//!
//! cargo runs `cargo-perf-gate perf-gate ARGS`, so the top-level parser is named `cargo` and
//! has one `perf-gate` subcommand; `cargo perf-gate` and `cargo-perf-gate perf-gate` both work.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::model::Shard;

/// Where `run --compare` gets the regression check's other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareMode {
    /// Paired when the base commit can be had and the plan fits the time limit, else the artifact.
    Auto,
    /// The base commit, measured here in alternating rounds with the current tree.
    Paired,
    /// The stored baseline: a branch's artifact, or a results file.
    Artifact,
    /// Screened against the stored baseline, the suspects re-measured against the base commit.
    Confirm,
}

/// `cargo`, as cargo invokes us.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", version, styles = clap::builder::Styles::plain())]
pub enum Cargo {
    PerfGate(PerfGate),
}

/// Run criterion benches, evaluate gates and catch performance regressions.
#[derive(Debug, Args)]
#[command(
    name = "perf-gate",
    version,
    args_conflicts_with_subcommands = true,
    after_help = crate::exit_code::help(),
    max_term_width = 100
)]
pub struct PerfGate {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `run`, which is what no subcommand means.
    #[command(flatten)]
    pub run: RunArgs,
}

impl PerfGate {
    /// The `--github-token` given to the command that runs, if any.
    pub fn github_token(&self) -> Option<&str> {
        let connection = match &self.command {
            None => &self.run.github.connection,
            Some(Command::Run(args)) => &args.github.connection,
            Some(Command::Check(args)) => &args.github.connection,
            Some(Command::Comment(args)) => &args.connection,
            Some(
                Command::Config(_)
                | Command::Clean(_)
                | Command::Merge(_)
                | Command::Record(_)
                | Command::List(_)
                | Command::Export(_)
                | Command::Regressions(_)
                | Command::Trends(_)
                | Command::Release(_)
                | Command::Slo(_)
                | Command::Import(_),
            ) => return None,
        };
        connection.github_token.as_deref()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build and run the benches, write results.json, then check it (the default).
    #[command(after_help = crate::exit_code::help())]
    Run(Box<RunArgs>),
    /// Evaluate gates and regressions on an existing results file and write the reports.
    #[command(after_help = crate::exit_code::help())]
    Check(Box<CheckArgs>),
    /// Create, validate or describe benchmark-config.json.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Remove the baseline worktree (`run --baseline REF`) and what was measured in it.
    Clean(CleanArgs),
    /// Merge the results files of a sharded run (`run --shard K/N`) into one.
    #[command(after_help = crate::exit_code::help())]
    Merge(MergeArgs),
    /// Post a prepared comment body to a pull request, updating this gate's earlier comment
    /// (the second workflow of the fork setup).
    #[command(after_help = crate::exit_code::help())]
    Comment(CommentArgs),
    /// Add results files (earlier runs, downloaded artifacts) to the history, as they are.
    #[command(after_help = crate::exit_code::help())]
    Record(RecordArgs),
    /// The recorded runs, newest first: when, commit, branch, release, benchmarks, verdict.
    #[command(after_help = crate::exit_code::help())]
    List(ListArgs),
    /// Every recorded metric, one row per run, benchmark and metric, for spreadsheets (csv,
    /// json); or one run for Bencher (bmf) or Prometheus (openmetrics), from the history or from
    /// a results file (--results).
    #[command(after_help = crate::exit_code::help())]
    Export(ExportArgs),
    /// The regressions recorded in a period, with the commit each was found on and whether the
    /// branch's later runs still find it.
    #[command(after_help = crate::exit_code::help())]
    Regressions(RegressionsArgs),
    /// Per benchmark its recorded values over time: slope, change over the period, steps.
    #[command(after_help = crate::exit_code::help())]
    Trends(TrendsArgs),
    /// A release's summary: its runs, success rate, gate compliance, and per benchmark its
    /// median against the previous release (or --against).
    #[command(after_help = crate::exit_code::help())]
    Release(ReleaseArgs),
    /// The service-level objectives in effect (in an environment's slack), or, with
    /// `validate`, one value judged against one of them.
    #[command(after_help = crate::exit_code::help())]
    Slo(SloArgs),
    /// Turn other tools' result files (hyperfine, libtest, cargo-criterion, gungraun, BMF,
    /// github-action-benchmark, k6, oha) into one results.json, for `check --results` or
    /// `--baseline`.
    #[command(after_help = crate::exit_code::help())]
    Import(ImportArgs),
}

/// Options of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files' format; `auto` tells it from each file's content and says which it chose.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: crate::import::Format,
    /// Where to write the results.
    #[arg(short, long, value_name = "FILE", default_value = "results.json")]
    pub output: PathBuf,
    /// The benchmark id of a file that holds one run of one benchmark (k6, oha); default: the
    /// file's name without its extension. With several such files, each needs its own name.
    #[arg(long, value_name = "ID")]
    pub name: Option<String>,
    /// Metric names whose larger values are better, for formats that do not say: a BMF
    /// measure besides `throughput`, or `value` for github-action-benchmark's
    /// customBiggerIsBetter. Comma-separated or repeated.
    #[arg(long, value_name = "METRIC", value_delimiter = ',')]
    pub higher_is_better: Vec<String>,
    /// The files to import; a benchmark id may appear in one of them only.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Options of `slo`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SloArgs {
    #[command(subcommand)]
    pub validate: Option<SloCommand>,
    #[command(flatten)]
    pub common: SloCommon,
    /// How to print the objectives.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SloFormat,
}

/// What `slo` and `slo validate` share.
#[derive(Debug, Args, Clone, Default)]
pub struct SloCommon {
    /// Config file [default: benchmark-config.json in the current directory, else at the
    /// workspace root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The environment whose slack applies [default: `slos.default_environment`, else none].
    #[arg(long, value_name = "NAME", env = "PERF_GATE_ENVIRONMENT")]
    pub environment: Option<String>,
}

/// `slo validate`.
#[derive(Debug, Subcommand)]
pub enum SloCommand {
    /// Judge one value against a category's objective: target, PASS or FAIL, level and
    /// degradation. Exit 0 on PASS, 1 on FAIL, 2 on an unknown category or metric.
    #[command(after_help = crate::exit_code::help())]
    Validate {
        /// The category, e.g. `interactive`.
        category: String,
        /// One of its objectives' metric names, e.g. `p95_ms`.
        metric: String,
        /// The value, in the unit the metric name carries.
        #[arg(value_parser = parse_value, allow_negative_numbers = true)]
        value: f64,
        #[command(flatten)]
        common: SloCommon,
    },
}

/// How `slo` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SloFormat {
    Table,
    Json,
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(format!("`{text}` is not a finite number, e.g. 2400 or 0.5")),
    }
}

/// Options of `release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The release tag the runs were recorded with (`run --release TAG`, `record --release TAG`).
    #[arg(value_name = "TAG", value_parser = crate::history::parse_release)]
    pub release: String,
    /// Compare with this release [default: the newest release recorded before TAG].
    #[arg(long, value_name = "TAG2", value_parser = crate::history::parse_release)]
    pub against: Option<String>,
    /// The metric compared (each run's median).
    #[arg(long, value_name = "M", default_value = "time")]
    pub metric: String,
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: crate::history::Format,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Options of `trends`.
#[derive(Debug, Args)]
pub struct TrendsArgs {
    /// The benchmarks: a glob over ids (`*`, `?`, `[...]`; case-sensitive) [default: all].
    #[arg(value_name = "GLOB")]
    pub glob: Option<String>,
    /// The metric whose recorded values (each run's median) make the series.
    #[arg(long, value_name = "M", default_value = "time")]
    pub metric: String,
    /// The period: runs measured in the last N days.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    /// Only runs of this branch (a trend mixing pull requests' runs says little: use main).
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: crate::history::Format,
    /// Also write a page of trend charts to FILE (self-contained HTML, inline SVG).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Options of `regressions`.
#[derive(Debug, Args)]
pub struct RegressionsArgs {
    /// The period: runs measured in the last N days.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: crate::history::Format,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Options of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// `csv` (columns in docs/history-format.md) or `json` (an array of objects): every
    /// recorded row. `bmf` (Bencher Metric Format) or `openmetrics` (Prometheus' text format):
    /// one run, the newest recorded (or --run ID), or the --results file.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "csv")]
    pub format: ExportFormat,
    /// Export this results file instead of the history (bmf and openmetrics only).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["since", "run"])]
    pub results: Option<PathBuf>,
    /// The recorded run to export as bmf or openmetrics, by the id `list` shows [default: the
    /// newest].
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// Only runs measured at or after this date (YYYY-MM-DD) or UTC time (YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long, value_name = "DATE", value_parser = crate::history::parse_since)]
    pub since: Option<String>,
    /// Write here instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Bmf,
    Openmetrics,
}

/// Where the history is: --history, else $PERF_GATE_HISTORY, else `history.path` in the
/// config, else `.perf-gate/history.db` under the workspace root.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "History")]
pub struct HistoryArgs {
    /// The history database [default: $PERF_GATE_HISTORY, else the config's `history.path`,
    /// else .perf-gate/history.db under the workspace root].
    #[arg(long = "history", value_name = "PATH", env = "PERF_GATE_HISTORY")]
    pub path: Option<PathBuf>,
    /// Config file, for `history.path` [default: benchmark-config.json at the workspace root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// results.json files to add, each as one run.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Tag the runs with this release (e.g. v1.2.3).
    #[arg(long, value_name = "TAG", value_parser = crate::history::parse_release)]
    pub release: Option<String>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// How many runs to show.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Only runs of this branch.
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Only runs tagged with this release.
    #[arg(long, value_name = "TAG")]
    pub release: Option<String>,
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub format: crate::history::Format,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Whether and where `run` and `check` record into the history.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "History")]
pub struct RecordingArgs {
    /// Record this run in the history (also when the config's `history.record` is true).
    #[arg(long)]
    pub record: bool,
    /// The history database [default: $PERF_GATE_HISTORY, else the config's `history.path`,
    /// else .perf-gate/history.db under the workspace root].
    #[arg(long = "history", value_name = "PATH", env = "PERF_GATE_HISTORY")]
    pub path: Option<PathBuf>,
}

/// A window of baseline runs: from the history store, or carried in the baseline artifact.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "History")]
pub struct WindowArgs {
    /// Compare against the last runs of BRANCH recorded in the history (a window: each
    /// benchmark judged against its own run-to-run spread) [BRANCH default: main].
    #[arg(
        long,
        value_name = "BRANCH",
        num_args = 0..=1,
        default_missing_value = "main",
        conflicts_with = "baseline",
        group = "window_source"
    )]
    pub baseline_history: Option<String>,
    /// Write the next baseline artifact into <out-dir>/baseline-artifact: this run and the runs
    /// of BRANCH's newest baseline artifact before it, up to --window runs (older ones
    /// compacted), so that pull requests are judged against a window (the action's `baseline`
    /// command does this).
    #[arg(long, value_name = "BRANCH", group = "window_source")]
    pub extend_window: Option<String>,
    /// How many runs --baseline-history takes, or --extend-window keeps [default: the config's
    /// `history.window`, else 10].
    #[arg(long, value_name = "RUNS", requires = "window_source", value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub window: Option<u32>,
}

/// Options of `run`.
#[derive(Debug, Args, Default, Clone)]
pub struct RunArgs {
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Package whose benches to run (repeatable); default: the manifest's package, or the
    /// workspace's default members for a virtual manifest.
    #[arg(short, long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Run the benches of every workspace member.
    #[arg(long, conflicts_with = "package")]
    pub workspace: bool,
    /// Bench target to run (repeatable); default: every bench target of the selected packages.
    #[arg(long, value_name = "NAME")]
    pub bench: Vec<String>,
    /// Command benchmark of the config to run (repeatable); naming only commands runs no
    /// criterion benches.
    #[arg(long = "command", value_name = "NAME")]
    pub command: Vec<String>,
    /// Service of the config to load (repeatable); naming only services (or commands) runs no
    /// criterion benches.
    #[arg(long = "service", value_name = "NAME")]
    pub service: Vec<String>,
    /// Features to activate, space or comma separated (repeatable), as for cargo.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all features.
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Config file [default: benchmark-config.json at the workspace root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where results.json and the reports go [default: <target-dir>/perf-gate].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// What to check for regressions against: a results.json from an earlier run; a git ref
    /// (`main`, a tag, a SHA) measured here in a worktree first; in GitHub Actions a branch whose
    /// baseline artifact to fetch (`main`, or `artifact:main`; `worktree:main` measures instead).
    /// Given several times (results files): a window of baseline runs, each benchmark judged
    /// against its own run-to-run spread.
    #[arg(long, value_name = "FILE|REF")]
    pub baseline: Vec<String>,
    /// Where the regression check's other side comes from. `paired`: the base commit, measured
    /// here in alternating rounds with this tree (on a pull_request event the pull request's
    /// base, else --baseline as a git ref). `artifact`: the stored baseline --baseline names (a
    /// branch's artifact, or a file). `confirm`: screened against that stored baseline, then
    /// the suspects re-measured against the base commit (or --confirm REF). `auto`: paired when
    /// the base commit can be had and the default plan fits --time-limit, else confirm, else
    /// the artifact; the report says which and why [default: what --baseline names].
    #[arg(long, value_enum, value_name = "MODE")]
    pub compare: Option<CompareMode>,
    /// After the check against the stored baseline --baseline names, re-measure its suspects
    /// (every regressed, improved or inconclusive comparison, every one too noisy to gate, and
    /// every change near the threshold) against REF in alternating rounds; their paired
    /// verdicts decide. For suites too large to pair whole. With --shard, the shard's share is
    /// screened and its rounds written for `check --paired-results --paired-baseline`.
    #[arg(long, value_name = "REF", conflicts_with = "no_run")]
    pub confirm: Option<String>,
    /// When a git ref is measured here: rounds each side runs, alternating [default: 16, or
    /// what --time-budget affords].
    #[arg(long, value_name = "N", value_parser = parse_rounds)]
    pub rounds: Option<u32>,
    /// When a git ref is measured here: about how long the alternating rounds may take (`90s`,
    /// `5m`); sets the rounds (unless --rounds does) and criterion's measurement time per round
    /// to fill it.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time_budget: Option<Duration>,
    /// When a git ref is measured here: the most the alternating rounds may take (`20m`). The
    /// default plan runs when it fits, else fewer and shorter rounds that do; with `--compare
    /// auto`, pairing is chosen only when the default plan fits.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "time_budget")]
    pub time_limit: Option<Duration>,
    /// When a git ref is measured here: reuse the baseline's last results when its commit, the
    /// toolchain, features, selection and machine are the same, instead of measuring it again.
    /// Faster but unpaired: drift since then is not cancelled, and the report says so.
    #[arg(long)]
    pub baseline_cache: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// The SLO environment whose slack applies (`slos.environments` in the config) [default:
    /// `slos.default_environment`, else none: the targets as written].
    #[arg(long, value_name = "NAME", env = "PERF_GATE_ENVIRONMENT")]
    pub environment: Option<String>,
    #[command(flatten)]
    pub github: GitHubArgs,
    /// Don't stream the benches' output (it goes to <out-dir>/bench.log); the summary still prints.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't build or run anything: collect what is already in the criterion directory.
    /// Criterion's files don't record which package or bench target wrote them, so this
    /// collects everything there and cannot be combined with the selection flags.
    #[arg(long, conflicts_with_all = ["package", "workspace", "bench", "command", "service", "features", "all_features", "no_default_features", "bench_args"])]
    pub no_run: bool,
    /// Run only shard K of N (e.g. 2/4): every N-th benchmark of the sorted suite, starting at
    /// the K-th. Writes results.json without checking it: merge the shards, then `check`. With
    /// a git ref to pair with (--baseline REF, --compare paired or auto) the shard measures its
    /// benchmarks in alternating rounds and writes the ref's side to baseline/results.json too:
    /// merge those as well and check the one against the other.
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with_all = ["no_run"])]
    pub shard: Option<Shard>,
    /// What to measure of the criterion benches: `time` (criterion's own timing) or
    /// `instructions` (each benchmark's routine counted once under callgrind: deterministic;
    /// needs valgrind) [default: the config's `measure`, else time].
    #[arg(long, value_enum, value_name = "WHAT", conflicts_with_all = ["no_run", "shard"])]
    pub measure: Option<crate::config::Measure>,
    #[command(flatten)]
    pub recording: RecordingArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Tag the recorded run with this release (e.g. v1.2.3); records the run.
    #[arg(long, value_name = "TAG", value_parser = crate::history::parse_release, conflicts_with = "shard")]
    pub release: Option<String>,
    /// Criterion's output directory [default: $CRITERION_HOME, else <target-dir>/criterion].
    #[arg(long, value_name = "DIR")]
    pub criterion_dir: Option<PathBuf>,
    /// Which criterion baseline directory to collect.
    #[arg(long, value_name = "NAME", default_value = "new")]
    pub criterion_baseline: String,
    /// Arguments passed to the bench executables, after `--`.
    #[arg(last = true, value_name = "BENCH_ARGS")]
    pub bench_args: Vec<String>,
}

/// Options of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The results file to check.
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,
    /// What to check for regressions against: a results.json, or in GitHub Actions a branch
    /// whose baseline artifact to fetch (`main`, or `artifact:main`). Given several times
    /// (results files): a window of baseline runs, each benchmark judged against its own
    /// run-to-run spread.
    #[arg(long, value_name = "FILE|BRANCH")]
    pub baseline: Vec<String>,
    /// Config file [default: benchmark-config.json in the current directory, else at the
    /// workspace root, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the reports go [default: the results file's directory].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// The SLO environment whose slack applies (`slos.environments` in the config) [default:
    /// `slos.default_environment`, else none: the targets as written].
    #[arg(long, value_name = "NAME", env = "PERF_GATE_ENVIRONMENT")]
    pub environment: Option<String>,
    /// The current side of the suspects' alternating rounds from shards run with `--confirm`
    /// (their paired/results.json, merged): these verdicts decide for the suspects of the
    /// screen against --baseline.
    #[arg(long, value_name = "FILE", requires_all = ["paired_baseline", "baseline"])]
    pub paired_results: Option<PathBuf>,
    /// The base commit's side of the same rounds (those shards' baseline/results.json, merged).
    #[arg(long, value_name = "FILE", requires = "paired_results")]
    pub paired_baseline: Option<PathBuf>,
    #[command(flatten)]
    pub recording: RecordingArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

/// How to reach GitHub; each value defaults to what GitHub Actions sets.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "GitHub")]
pub struct GitHubConnection {
    /// Token for the GitHub API [default: $GITHUB_TOKEN]. Never printed.
    #[arg(long, value_name = "TOKEN")]
    pub github_token: Option<String>,
    /// The repository [default: $GITHUB_REPOSITORY].
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The GitHub API [default: $GITHUB_API_URL, else https://api.github.com].
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Tells this gate's PR comment apart from other jobs' [default: the config file's path].
    #[arg(long, value_name = "ID")]
    pub comment_id: Option<String>,
    /// The account the token writes as; only its comments are ever updated [default: the
    /// token's `/user`, or github-actions[bot] for an Actions token]. Set it for a GitHub App's
    /// token: APP-SLUG[bot].
    #[arg(long, value_name = "LOGIN")]
    pub comment_author: Option<String>,
}

/// GitHub options of `run` and `check`.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "GitHub")]
pub struct GitHubArgs {
    #[command(flatten)]
    pub connection: GitHubConnection,
    /// The pull request to comment on [default: from the pull_request event].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub pr: Option<u64>,
    /// Name of the baseline artifact [default: the config's `github.artifact_name`, else
    /// perf-gate-baseline].
    #[arg(long, value_name = "NAME")]
    pub artifact_name: Option<String>,
    /// The workflow file whose runs upload the baseline artifact [default: the config's
    /// `github.baseline_workflow`, else this run's workflow].
    #[arg(long, value_name = "FILE")]
    pub baseline_workflow: Option<String>,
    /// Fail (exit 2) when no baseline can be had, instead of skipping the regression check.
    #[arg(long)]
    pub require_baseline: bool,
    /// The artifact the workflow uploads this run's reports as, named in the PR comment beside
    /// the link to the run's artifacts (the action passes its own).
    #[arg(long, value_name = "NAME", value_parser = parse_artifact_name)]
    pub report_artifact: Option<String>,
    /// Don't post or update the PR comment.
    #[arg(long)]
    pub no_comment: bool,
    /// Fail (exit 4) when the PR comment cannot be posted; by default that is a warning.
    #[arg(long, conflicts_with = "no_comment")]
    pub require_comment: bool,
}

/// Options of `clean`.
#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The out dir the worktree lives in [default: <target-dir>/perf-gate].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Options of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' results files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where to write the merged results.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The files are the alternating rounds of some of a run's shards (their
    /// baseline/results.json, paired/results.json), not every shard: shard marks are not
    /// checked. Duplicate benchmarks and different commits are still refused.
    #[arg(long)]
    pub partial: bool,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
}

/// An artifact name as the comment may show it: what `actions/upload-artifact` accepts, less
/// anything markdown could read as markup.
fn parse_artifact_name(text: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !text.is_empty() && text.len() <= 255 && text.chars().all(fits) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not an artifact name: 1 to 255 of A-Z, a-z, 0-9, `.`, `_` and `-`, e.g. perf-gate-report"
        ))
    }
}

fn parse_rounds(text: &str) -> Result<u32, String> {
    let minimum = crate::plan::MIN_ROUNDS;
    match text.parse::<u32>() {
        Ok(n) if n as usize >= minimum => Ok(n),
        _ => Err(format!("`{text}` is not a round count: expected a whole number of at least {minimum}, e.g. 10")),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err("a duration must be more than zero, e.g. 90s or 5m".to_owned()),
        Err(error) => Err(format!("`{text}` is not a duration ({error}): e.g. 90s, 5m or 1h30m")),
    }
}

/// Options of `comment`.
#[derive(Debug, Args)]
pub struct CommentArgs {
    /// The comment body: the `comment.md` a gate run wrote to its out dir. Untrusted: at most
    /// 1 MiB, its @mentions and perf-gate markers are neutralised.
    #[arg(long, value_name = "FILE")]
    pub body: PathBuf,
    /// The pull request [default: from the pull_request event; in a workflow_run job, the open
    /// pull request whose head the triggering run built]. In a workflow_run job the comment is
    /// posted only when N's head is the commit and repository that run built.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub pr: Option<u64>,
    #[command(flatten)]
    pub connection: GitHubConnection,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a starter config with explanations in `$comment` fields.
    Init {
        /// Where to write it.
        #[arg(default_value = "benchmark-config.json")]
        file: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check a config file: exit 0 when valid, 2 with the problem otherwise.
    Validate {
        /// The config to check.
        #[arg(default_value = "benchmark-config.json")]
        file: PathBuf,
    },
    /// Print the config's JSON Schema, for editor completion.
    Schema,
}

/// Parses `args` as cargo passes them. When the binary is run directly without the
/// `perf-gate` word (`cargo-perf-gate check ...`), it is inserted.
pub fn parse_from<I, T>(args: I) -> Result<PerfGate, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_none_or(|word| word != "perf-gate") {
        args.insert(1.min(args.len()), "perf-gate".into());
    }
    let Cargo::PerfGate(perf_gate) = Cargo::try_parse_from(args)?;
    Ok(perf_gate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cargo::command().debug_assert();
    }

    fn parse(line: &str) -> Result<PerfGate, clap::error::ErrorKind> {
        parse_from(line.split_whitespace()).map_err(|e| e.kind())
    }

    #[test]
    fn valid_command_lines() {
        let cases = [
            "cargo perf-gate",
            "cargo-perf-gate perf-gate",
            "cargo-perf-gate",
            "cargo-perf-gate --no-run",
            "cargo perf-gate run --manifest-path x/Cargo.toml -p a -p b --bench one --bench two",
            "cargo perf-gate --features a,b -F c --no-default-features --strict --quiet",
            "cargo perf-gate run --no-run --criterion-dir d --criterion-baseline main",
            "cargo perf-gate run -- --sample-size 10",
            "cargo perf-gate --workspace -- --warm-up-time 1",
            "cargo perf-gate check --results r.json --baseline b.json --config c.json --out-dir o --strict",
            "cargo-perf-gate check --results r.json",
            "cargo perf-gate config init",
            "cargo perf-gate config init other.json --force",
            "cargo perf-gate config validate",
            "cargo perf-gate config validate some.json",
            "cargo perf-gate config schema",
            "cargo perf-gate --baseline main --require-baseline --repo o/r --pr 3 --api-url http://x --comment-id linux",
            "cargo perf-gate check --results r.json --baseline artifact:main --no-comment --github-token t",
            "cargo perf-gate comment --body comment.md --pr 12 --repo o/r",
            "cargo perf-gate run --shard 2/4 -- --quick",
            "cargo perf-gate merge a.json b.json -o results.json",
        ];
        for case in cases {
            assert!(parse(case).is_ok(), "{case}: {:?}", parse(case).err());
        }
    }

    #[test]
    fn default_subcommand_is_run_with_its_options() {
        let parsed = parse("cargo perf-gate --bench x -- --quick").unwrap();
        assert!(parsed.command.is_none());
        assert_eq!(parsed.run.bench, ["x"]);
        assert_eq!(parsed.run.bench_args, ["--quick"]);
        assert_eq!(parsed.run.criterion_baseline, "new");
    }

    #[test]
    fn invalid_command_lines() {
        use clap::error::ErrorKind;
        let cases = [
            ("cargo perf-gate check", ErrorKind::MissingRequiredArgument),
            ("cargo perf-gate --no-such-flag", ErrorKind::UnknownArgument),
            ("cargo perf-gate --workspace -p a", ErrorKind::ArgumentConflict),
            ("cargo perf-gate config", ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand),
            ("cargo perf-gate --no-run --bench x", ErrorKind::ArgumentConflict),
            ("cargo perf-gate --no-run -- --quick", ErrorKind::ArgumentConflict),
            ("cargo perf-gate config schema extra", ErrorKind::UnknownArgument),
            ("cargo perf-gate --strict check --results r.json", ErrorKind::UnknownArgument),
            ("cargo perf-gate comment --pr 1", ErrorKind::MissingRequiredArgument),
            ("cargo perf-gate --no-comment --require-comment", ErrorKind::ArgumentConflict),
            ("cargo perf-gate --pr twelve", ErrorKind::ValueValidation),
            ("cargo perf-gate --shard 5/4", ErrorKind::ValueValidation),
            ("cargo perf-gate --report-artifact a`b", ErrorKind::ValueValidation),
            ("cargo perf-gate check --results r.json --report-artifact ''", ErrorKind::ValueValidation),
            ("cargo perf-gate --shard 1/2 --no-run", ErrorKind::ArgumentConflict),
            ("cargo perf-gate merge -o out.json", ErrorKind::MissingRequiredArgument),
            ("cargo perf-gate merge a.json", ErrorKind::MissingRequiredArgument),
        ];
        for (case, kind) in cases {
            assert_eq!(parse(case).err(), Some(kind), "{case}");
        }
    }
}
