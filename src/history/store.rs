//! The history database: SQLite, in WAL mode with a busy timeout so that two jobs recording at
//! once wait for each other instead of failing or corrupting it, and with versioned migrations
//! (`PRAGMA user_version`). Its tables are documented in docs/history-format.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use super::release::Recorded as ReleaseValue;
use super::trends::Point;
use super::{ExportRow, RegressionRow, RunRecord, RunRow};
use crate::model::{Basis, Benchmark, Better, CriterionSource, GitInfo, Metric, Results, Source};

/// `PRAGMA application_id` of a perf-gate history database ("pfgh"), so that another
/// application's SQLite file is told apart from ours.
const APPLICATION_ID: i32 = 0x7066_6768;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The schema, one migration per version: `MIGRATIONS[i]` takes version `i` to `i + 1`.
const MIGRATIONS: [&str; 4] = [
    r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    commit_sha TEXT,
    branch TEXT,
    dirty INTEGER,
    release TEXT,
    environment TEXT NOT NULL,
    origin TEXT NOT NULL,
    verdict TEXT,
    benchmarks INTEGER NOT NULL
);
CREATE INDEX runs_by_time ON runs (created_at);
CREATE INDEX runs_by_release ON runs (release);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    benchmark TEXT NOT NULL,
    metric TEXT NOT NULL,
    unit TEXT NOT NULL,
    better TEXT NOT NULL,
    n INTEGER NOT NULL,
    mean REAL,
    median REAL,
    std_dev REAL,
    min REAL,
    max REAL,
    p95 REAL,
    samples BLOB NOT NULL,
    verdict TEXT,
    change_percent REAL,
    PRIMARY KEY (benchmark, metric, run_id)
) WITHOUT ROWID;
CREATE INDEX metrics_by_run ON metrics (run_id);
CREATE TABLE gates (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    gate TEXT NOT NULL,
    metric TEXT NOT NULL,
    benchmark TEXT,
    severity TEXT NOT NULL,
    passed INTEGER NOT NULL,
    value REAL,
    threshold REAL NOT NULL
);
CREATE INDEX gates_by_run ON gates (run_id);
"#,
    // 2: what a window baseline needs to read a run back as results: whether each metric is
    // compared, and its benchmark's source (JSON as results.json writes it; NULL for rows
    // recorded at version 1, read back as a criterion benchmark).
    r#"
ALTER TABLE metrics ADD COLUMN compared INTEGER NOT NULL DEFAULT 1;
ALTER TABLE metrics ADD COLUMN source TEXT;
"#,
    // 3: the service-level objectives judged in a checked run, and the environment they were
    // judged in, so that `release` can show SLO compliance.
    r#"
ALTER TABLE runs ADD COLUMN slo_environment TEXT;
CREATE TABLE slo_checks (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    metric TEXT NOT NULL,
    benchmark TEXT,
    passed INTEGER NOT NULL,
    level TEXT NOT NULL,
    value REAL,
    effective_target REAL NOT NULL,
    degradation_percent REAL
);
CREATE INDEX slo_checks_by_run ON slo_checks (run_id);
"#,
    // 4: metrics that are not samples (an exact count, another tool's summary): results.json's
    // `basis` as JSON, NULL for samples. Their exact value is `mean`, a 64-bit float, not the
    // 32-bit sample.
    r#"
ALTER TABLE metrics ADD COLUMN basis TEXT;
"#,
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{}: cannot create the history's directory: {source}", path.display())]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("{}: cannot open the history database: {source}", path.display())]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("{}: not a cargo-perf-gate history database, or a damaged one ({detail}): move it aside (a new one is made on the next record) or pass --history with another file", path.display())]
    NotHistory { path: PathBuf, detail: String },
    #[error("{}: the history's schema is version {found}, newer than this cargo-perf-gate reads ({known}): upgrade cargo-perf-gate, or pass --history with another file", path.display())]
    Newer { path: PathBuf, found: u32, known: u32 },
    #[error("{}: {what}: {source}", path.display())]
    Sql { path: PathBuf, what: &'static str, source: rusqlite::Error },
}

/// An open history database.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

/// What [`Store::record`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Added as the run with this id.
    Added(i64),
    /// Already there as the run with this id.
    Known(i64),
}

/// Which runs `list` shows.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub branch: Option<String>,
    pub release: Option<String>,
    pub limit: usize,
}

impl Store {
    /// Opens the database at `path`, creating it (and its directory) when missing, and brings
    /// its schema up to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Store, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Directory { path: dir.to_owned(), source })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|source| HistoryError::Open { path: path.to_owned(), source })?;
        let mut store = Store { connection, path: path.to_owned() };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&self) -> Result<(), HistoryError> {
        let error = |what| move |source| sql_error(&self.path, what, source);
        self.connection.busy_timeout(BUSY_TIMEOUT).map_err(error("setting the busy timeout"))?;
        // WAL: readers never block the one writer; it is a property of the file, kept once set.
        let mode = |sql: &str| self.connection.query_row(sql, [], |row| row.get::<_, String>(0));
        let mut current = mode("PRAGMA journal_mode").map_err(error("reading the journal mode"))?;
        // Switching takes the file for itself, and SQLite answers "busy" at once rather than
        // through the busy timeout while another process holds it (two jobs opening a new store
        // at once): so wait here, as long as the busy timeout would.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        while !current.eq_ignore_ascii_case("wal") {
            match mode("PRAGMA journal_mode = WAL") {
                Ok(set) if set.eq_ignore_ascii_case("wal") || std::time::Instant::now() >= deadline => current = set,
                Ok(_) => std::thread::sleep(Duration::from_millis(20)),
                Err(source)
                    if source.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(source) => return Err(sql_error(&self.path, "switching to WAL", source)),
            }
        }
        if !current.eq_ignore_ascii_case("wal") {
            return Err(HistoryError::NotHistory {
                path: self.path.clone(),
                detail: format!("journal mode {current}"),
            });
        }
        self.connection.pragma_update(None, "foreign_keys", true).map_err(error("enabling foreign keys"))
    }

    /// Applies the migrations the file lacks, in one transaction taken for writing first, so
    /// that two processes opening a new store at once migrate it once.
    fn migrate(&mut self) -> Result<(), HistoryError> {
        // A current store of ours is only read: reading commands take no write lock.
        if checked_version(&self.connection, &self.path)? == SCHEMA_VERSION {
            return Ok(());
        }
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| sql_error(&self.path, "locking the database", source))?;
        // Again under the lock: another process may have migrated it meanwhile.
        let version = checked_version(&transaction, &self.path)?;
        for migration in &MIGRATIONS[version as usize..] {
            transaction
                .execute_batch(migration)
                .map_err(|source| sql_error(&self.path, "migrating the schema", source))?;
        }
        let set = format!("PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};");
        transaction.execute_batch(&set).map_err(|source| sql_error(&self.path, "setting its version", source))?;
        transaction.commit().map_err(|source| sql_error(&self.path, "migrating the schema", source))
    }

    /// Adds `run`, recorded at `recorded_at`, in one transaction. An import of a measurement
    /// the store already holds (the same time, commit, machine and benchmarks: a results file
    /// imported twice, or one `run --record` recorded) is not added again.
    pub fn record(&mut self, run: &RunRecord, recorded_at: &str) -> Result<Recorded, HistoryError> {
        let path = self.path.clone();
        let error = |what| {
            let path = path.clone();
            move |source| sql_error(&path, what, source)
        };
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error("locking the database"))?;
        if run.origin == super::Origin::Import {
            let known: Option<i64> = transaction
                .query_row(
                    "SELECT id FROM runs WHERE created_at = ?1 AND commit_sha IS ?2 AND environment = ?3 AND benchmarks = ?4
                     ORDER BY id LIMIT 1",
                    params![run.created_at, run.commit, run.environment, run.benchmarks() as i64],
                    |row| row.get(0),
                )
                .optional()
                .map_err(error("looking for the run"))?;
            if let Some(id) = known {
                return Ok(Recorded::Known(id));
            }
        }
        let id = insert_run(&transaction, run, recorded_at).map_err(error("recording the run"))?;
        insert_metrics(&transaction, id, run).map_err(error("recording the metrics"))?;
        insert_gates(&transaction, id, run).map_err(error("recording the gates"))?;
        insert_slo_checks(&transaction, id, run).map_err(error("recording the SLO checks"))?;
        transaction.commit().map_err(error("recording the run"))?;
        Ok(Recorded::Added(id))
    }

    /// The newest runs first, as `filter` selects them.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading the runs", source);
        let mut statement = self
            .connection
            .prepare(
                "SELECT id, created_at, commit_sha, branch, release, benchmarks, verdict, origin FROM runs
                 WHERE (?1 IS NULL OR branch = ?1) AND (?2 IS NULL OR release = ?2)
                 ORDER BY created_at DESC, id DESC LIMIT ?3",
            )
            .map_err(error)?;
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![filter.branch, filter.release, limit], |row| {
                Ok(RunRow {
                    id: row.get(0)?,
                    created_at: row.get(1)?,
                    commit: row.get(2)?,
                    branch: row.get(3)?,
                    release: row.get(4)?,
                    benchmarks: row.get(5)?,
                    verdict: row.get(6)?,
                    origin: row.get(7)?,
                })
            })
            .map_err(error)?;
        rows.collect::<Result<_, _>>().map_err(error)
    }
}

impl Store {
    /// Every metric of every run measured at or after `since` (all without), by benchmark and
    /// metric, then oldest run first (the table's own order, so the export reads it straight
    /// through), each passed to `each` as it is read.
    pub fn export<E: From<HistoryError>>(
        &self,
        since: Option<&str>,
        mut each: impl FnMut(ExportRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let error = |source| sql_error(&self.path, "reading the runs", source);
        let mut statement = self
            .connection
            .prepare(
                "SELECT r.id, r.created_at, r.commit_sha, r.branch, r.release, r.origin, r.verdict,
                        m.benchmark, m.metric, m.unit, m.better, m.n, m.mean, m.median, m.std_dev, m.min, m.max, m.p95,
                        m.verdict, m.change_percent
                 FROM runs r JOIN metrics m ON m.run_id = r.id
                 WHERE ?1 IS NULL OR r.created_at >= ?1
                 ORDER BY m.benchmark, m.metric, r.created_at, r.id",
            )
            .map_err(error)?;
        let mut rows = statement.query(params![since]).map_err(error)?;
        while let Some(row) = rows.next().map_err(error)? {
            each(export_row(row).map_err(error)?)?;
        }
        Ok(())
    }
}

/// The newest later run of the same branch that compared the same metric: `{}` is the column
/// of that run to select.
const LATER: &str = "(SELECT {} FROM runs r2 JOIN metrics m2 ON m2.run_id = r2.id
    WHERE r2.branch IS r.branch AND m2.benchmark = m.benchmark AND m2.metric = m.metric
      AND m2.verdict IS NOT NULL AND (r2.created_at > r.created_at OR (r2.created_at = r.created_at AND r2.id > r.id))
    ORDER BY r2.created_at DESC, r2.id DESC LIMIT 1)";

impl Store {
    /// The metrics found regressed in runs measured at or after `since`, newest first, each
    /// with the newest later run of its branch that compared the same metric.
    pub fn regressions(&self, since: &str) -> Result<Vec<RegressionRow>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading the regressions", source);
        let query = format!(
            "SELECT r.id, r.created_at, r.commit_sha, r.branch, m.benchmark, m.metric, m.change_percent, {}, {}
             FROM runs r JOIN metrics m ON m.run_id = r.id
             WHERE m.verdict = 'regressed' AND r.created_at >= ?1
             ORDER BY r.created_at DESC, r.id DESC, m.benchmark, m.metric",
            LATER.replace("{}", "r2.id"),
            LATER.replace("{}", "m2.verdict"),
        );
        let mut statement = self.connection.prepare(&query).map_err(error)?;
        let rows = statement
            .query_map(params![since], |row| {
                Ok(RegressionRow {
                    run_id: row.get(0)?,
                    created_at: row.get(1)?,
                    commit: row.get(2)?,
                    branch: row.get(3)?,
                    benchmark: row.get(4)?,
                    metric: row.get(5)?,
                    change_percent: row.get(6)?,
                    later_run: row.get(7)?,
                    later_verdict: row.get(8)?,
                })
            })
            .map_err(error)?;
        rows.collect::<Result<_, _>>().map_err(error)
    }
}

/// Which series `trends` reads.
#[derive(Debug, Clone)]
pub struct SeriesFilter<'a> {
    pub metric: &'a str,
    /// Runs measured at or after this RFC 3339 time.
    pub since: &'a str,
    pub branch: Option<&'a str>,
    /// SQLite's GLOB over benchmark ids (`*`, `?`, `[...]`, case-sensitive).
    pub glob: Option<&'a str>,
}

impl Store {
    /// Every recorded value of `filter.metric` (each run's median) of the benchmarks it
    /// selects, grouped by benchmark (in id order), oldest run first.
    pub fn series(&self, filter: &SeriesFilter<'_>) -> Result<Vec<Trendless>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading the series", source);
        // Written out, not `(?4 IS NULL OR ...)`: only a plain GLOB lets SQLite search the
        // benchmark index by the pattern's prefix (10 ms instead of 5 s at 1,000 x 1,000).
        let selected = if filter.glob.is_some() { "m.benchmark GLOB ?4" } else { "?4 IS NULL" };
        let query = format!(
            "SELECT m.benchmark, m.unit, m.better, r.id, r.created_at, r.commit_sha, m.median
             FROM metrics m JOIN runs r ON r.id = m.run_id
             WHERE {selected} AND m.metric = ?1 AND r.created_at >= ?2 AND (?3 IS NULL OR r.branch = ?3)
             ORDER BY m.benchmark, r.created_at, r.id"
        );
        let mut statement = self.connection.prepare(&query).map_err(error)?;
        let mut rows =
            statement.query(params![filter.metric, filter.since, filter.branch, filter.glob]).map_err(error)?;
        let mut series: Vec<Trendless> = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            let benchmark: String = row.get(0).map_err(error)?;
            let point = Point {
                run_id: row.get(3).map_err(error)?,
                created_at: row.get(4).map_err(error)?,
                commit: row.get(5).map_err(error)?,
                value: row.get::<_, Option<f64>>(6).map_err(error)?.unwrap_or(f64::NAN),
            };
            match series.last_mut() {
                Some(last) if last.benchmark == benchmark => last.points.push(point),
                _ => {
                    let better = match row.get::<_, String>(2).map_err(error)?.as_str() {
                        "higher" => Better::Higher,
                        _ => Better::Lower,
                    };
                    let unit = row.get(1).map_err(error)?;
                    series.push(Trendless { benchmark, unit, better, points: vec![point] });
                }
            }
        }
        Ok(series)
    }
}

impl Store {
    /// Whether any run is tagged `release`.
    pub fn has_release(&self, release: &str) -> Result<bool, HistoryError> {
        self.connection
            .query_row("SELECT EXISTS (SELECT 1 FROM runs WHERE release = ?1)", params![release], |row| row.get(0))
            .map_err(|source| sql_error(&self.path, "reading the releases", source))
    }

    /// The newest release other than `release` with a run measured before `release`'s first.
    pub fn release_before(&self, release: &str) -> Result<Option<String>, HistoryError> {
        self.connection
            .query_row(
                "SELECT release FROM runs WHERE release IS NOT NULL AND release != ?1
                   AND created_at < (SELECT min(created_at) FROM runs WHERE release = ?1)
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                params![release],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| sql_error(&self.path, "reading the releases", source))
    }

    /// The gate outcomes recorded in `release`'s runs: how many, and how many passed.
    pub fn release_gates(&self, release: &str) -> Result<(usize, usize), HistoryError> {
        let (total, passed): (i64, Option<i64>) = self
            .connection
            .query_row(
                "SELECT count(*), sum(g.passed) FROM gates g JOIN runs r ON r.id = g.run_id WHERE r.release = ?1",
                params![release],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|source| sql_error(&self.path, "reading the gates", source))?;
        Ok((total as usize, passed.unwrap_or(0) as usize))
    }

    /// The SLO checks recorded in `release`'s runs: how many, how many passed, how many were
    /// CRITICAL.
    pub fn release_slos(&self, release: &str) -> Result<(usize, usize, usize), HistoryError> {
        let (total, passed, critical): (i64, Option<i64>, Option<i64>) = self
            .connection
            .query_row(
                "SELECT count(*), sum(c.passed), sum(c.level = 'CRITICAL') FROM slo_checks c
                 JOIN runs r ON r.id = c.run_id WHERE r.release = ?1",
                params![release],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .map_err(|source| sql_error(&self.path, "reading the SLO checks", source))?;
        Ok((total as usize, passed.unwrap_or(0) as usize, critical.unwrap_or(0) as usize))
    }

    /// Every recorded median of `metric` in `release`'s runs.
    pub fn release_values(&self, release: &str, metric: &str) -> Result<Vec<ReleaseValue>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading the release's values", source);
        let mut statement = self
            .connection
            .prepare(
                "SELECT m.benchmark, m.unit, m.better, m.median FROM metrics m JOIN runs r ON r.id = m.run_id
                 WHERE r.release = ?1 AND m.metric = ?2",
            )
            .map_err(error)?;
        let rows = statement
            .query_map(params![release, metric], |row| {
                let better = if row.get::<_, String>(2)? == "higher" { Better::Higher } else { Better::Lower };
                Ok((row.get(0)?, row.get(1)?, better, row.get::<_, Option<f64>>(3)?.unwrap_or(f64::NAN)))
            })
            .map_err(error)?;
        rows.collect::<Result<_, _>>().map_err(error)
    }
}

impl Store {
    /// For each of `keys` (benchmark, metric): the medians of its newest `limit` recorded runs
    /// (of `branch` when given), oldest first; keys never recorded are left out.
    pub fn recent(
        &self,
        keys: &[(String, String)],
        branch: Option<&str>,
        limit: usize,
    ) -> Result<BTreeMap<(String, String), Vec<f64>>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading the recent values", source);
        let mut statement = self
            .connection
            .prepare(
                "SELECT m.median FROM metrics m JOIN runs r ON r.id = m.run_id
                 WHERE m.benchmark = ?1 AND m.metric = ?2 AND (?3 IS NULL OR r.branch = ?3)
                 ORDER BY r.created_at DESC, r.id DESC LIMIT ?4",
            )
            .map_err(error)?;
        let mut recent = BTreeMap::new();
        for (benchmark, metric) in keys {
            let rows = statement
                .query_map(params![benchmark, metric, branch, limit as i64], |row| row.get::<_, Option<f64>>(0))
                .map_err(error)?;
            let mut values: Vec<f64> =
                rows.collect::<Result<Vec<_>, _>>().map_err(error)?.into_iter().flatten().collect();
            if !values.is_empty() {
                values.reverse();
                recent.insert((benchmark.clone(), metric.clone()), values);
            }
        }
        Ok(recent)
    }
}

impl Store {
    /// The newest `limit` runs recorded on `branch`, read back as results (oldest first): a
    /// window of baseline runs (`--baseline-history`).
    pub fn window(&self, branch: &str, limit: usize) -> Result<Vec<Results>, HistoryError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut runs = self.read_back(
            "SELECT id, created_at, commit_sha, dirty, environment, branch FROM runs WHERE branch = ?1
             ORDER BY created_at DESC, id DESC LIMIT ?2",
            params![branch, limit],
        )?;
        runs.reverse();
        Ok(runs)
    }

    /// One recorded run read back as results: run `id`, or the newest without one; `None`
    /// when there is no such run.
    pub fn run_results(&self, id: Option<i64>) -> Result<Option<Results>, HistoryError> {
        let runs = self.read_back(
            "SELECT id, created_at, commit_sha, dirty, environment, branch FROM runs WHERE ?1 IS NULL OR id = ?1
             ORDER BY created_at DESC, id DESC LIMIT 1",
            params![id],
        )?;
        Ok(runs.into_iter().next())
    }

    /// The runs `query` selects (its columns as [`StoredRun`]'s), each read back as results.
    fn read_back(&self, query: &str, parameters: impl rusqlite::Params) -> Result<Vec<Results>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading runs back", source);
        let runs: Vec<StoredRun> = self
            .connection
            .prepare(query)
            .map_err(error)?
            .query_map(parameters, |row| {
                Ok(StoredRun {
                    id: row.get(0)?,
                    created_at: row.get(1)?,
                    commit: row.get(2)?,
                    dirty: row.get(3)?,
                    environment: row.get(4)?,
                    branch: row.get(5)?,
                })
            })
            .map_err(error)?
            .collect::<Result<_, _>>()
            .map_err(error)?;
        let mut metrics = self
            .connection
            .prepare(
                "SELECT benchmark, metric, unit, better, compared, source, samples, basis, mean FROM metrics
                 WHERE run_id = ?1 ORDER BY benchmark, metric",
            )
            .map_err(error)?;
        let mut read = Vec::with_capacity(runs.len());
        for StoredRun { id, created_at, commit, dirty, environment, branch } in runs {
            let rows = metrics.query_map(params![id], stored_metric).map_err(error)?;
            let mut benchmarks: Vec<Benchmark> = Vec::new();
            for row in rows {
                let (benchmark, name, source, metric) = row.map_err(error)?;
                if benchmarks.last().is_none_or(|b| b.id != benchmark) {
                    let source = source
                        .and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or_else(|| Source::Criterion(CriterionSource::new(benchmark.clone(), "history")));
                    benchmarks.push(Benchmark { id: benchmark, source, metrics: BTreeMap::new() });
                }
                if let Some(last) = benchmarks.last_mut() {
                    last.metrics.insert(name, metric);
                }
            }
            let environment = serde_json::from_str(&environment).map_err(|e| HistoryError::NotHistory {
                path: self.path.clone(),
                detail: format!("run {id} has an unreadable environment: {e}"),
            })?;
            let git = commit.map(|commit| GitInfo { commit, branch, dirty: dirty.unwrap_or(false) });
            read.push(Results::new(created_at, git, environment, benchmarks));
        }
        Ok(read)
    }

    /// The branches with recorded runs, with how many each, most first.
    pub fn branches(&self) -> Result<Vec<(String, usize)>, HistoryError> {
        let error = |source| sql_error(&self.path, "reading the branches", source);
        let mut statement = self
            .connection
            .prepare(
                "SELECT branch, count(*) FROM runs WHERE branch IS NOT NULL GROUP BY branch ORDER BY count(*) DESC, branch",
            )
            .map_err(error)?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as usize))).map_err(error)?;
        rows.collect::<Result<_, _>>().map_err(error)
    }
}

/// A run's own columns, as a window reads them back.
struct StoredRun {
    id: i64,
    created_at: String,
    commit: Option<String>,
    dirty: Option<bool>,
    environment: String,
    branch: Option<String>,
}

/// One stored metric read back: its benchmark, name, the benchmark's source and the metric.
fn stored_metric(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, Option<String>, Metric)> {
    let better: String = row.get(3)?;
    let better = if better == Better::Higher.as_str() { Better::Higher } else { Better::Lower };
    let blob: Vec<u8> = row.get(6)?;
    let basis: Basis = row.get::<_, Option<String>>(7)?.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or_default();
    let exact: Option<f64> = row.get(8)?;
    let samples = match exact.filter(|_| !basis.is_samples()) {
        Some(value) => vec![value],
        None => blob.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect(),
    };
    let mut metric = Metric::from_samples(row.get::<_, String>(2)?, better, row.get(4)?, samples);
    metric.basis = basis;
    Ok((row.get(0)?, row.get(1)?, row.get(5)?, metric))
}

/// One benchmark's recorded values of a metric, before the trend is worked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Trendless {
    pub benchmark: String,
    pub unit: String,
    pub better: Better,
    pub points: Vec<Point>,
}

fn export_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExportRow> {
    Ok(ExportRow {
        run_id: row.get(0)?,
        created_at: row.get(1)?,
        commit: row.get(2)?,
        branch: row.get(3)?,
        release: row.get(4)?,
        origin: row.get(5)?,
        run_verdict: row.get(6)?,
        benchmark: row.get(7)?,
        metric: row.get(8)?,
        unit: row.get(9)?,
        better: row.get(10)?,
        n: row.get(11)?,
        mean: row.get(12)?,
        median: row.get(13)?,
        std_dev: row.get(14)?,
        min: row.get(15)?,
        max: row.get(16)?,
        p95: row.get(17)?,
        verdict: row.get(18)?,
        change_percent: row.get(19)?,
    })
}

/// The schema version of the store at `path`, once it is known to be ours (or empty) and not
/// newer than this build.
fn checked_version(connection: &Connection, path: &Path) -> Result<u32, HistoryError> {
    let read = |name: &str| connection.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, i64>(0));
    let version = read("user_version").map_err(|source| sql_error(path, "reading its version", source))?;
    let application = read("application_id").map_err(|source| sql_error(path, "reading its id", source))?;
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(|source| sql_error(path, "reading its tables", source))?;
    let ours = application == i64::from(APPLICATION_ID) || (application == 0 && version == 0 && tables == 0);
    if !ours {
        let detail = format!("application id {application:#x}, {tables} schema entries");
        return Err(HistoryError::NotHistory { path: path.to_owned(), detail });
    }
    let version = u32::try_from(version).unwrap_or(u32::MAX);
    if version > SCHEMA_VERSION {
        return Err(HistoryError::Newer { path: path.to_owned(), found: version, known: SCHEMA_VERSION });
    }
    Ok(version)
}

fn insert_run(transaction: &Transaction<'_>, run: &RunRecord, recorded_at: &str) -> rusqlite::Result<i64> {
    transaction.execute(
        "INSERT INTO runs (recorded_at, created_at, commit_sha, branch, dirty, release, environment, origin, verdict, benchmarks, slo_environment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            recorded_at,
            run.created_at,
            run.commit,
            run.branch,
            run.dirty,
            run.release,
            run.environment,
            run.origin.as_str(),
            run.verdict.map(|v| v.as_str()),
            run.benchmarks() as i64,
            run.slo_environment,
        ],
    )?;
    Ok(transaction.last_insert_rowid())
}

fn insert_metrics(transaction: &Transaction<'_>, id: i64, run: &RunRecord) -> rusqlite::Result<()> {
    let mut insert = transaction.prepare(
        "INSERT INTO metrics (run_id, benchmark, metric, unit, better, n, mean, median, std_dev, min, max, p95, samples, verdict, change_percent, compared, source, basis)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    for m in &run.metrics {
        let s = &m.summary;
        let samples: Vec<u8> = m.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        insert.execute(params![
            id,
            m.benchmark,
            m.metric,
            m.unit,
            m.better.as_str(),
            s.n as i64,
            finite(s.mean),
            finite(s.median),
            finite(s.std_dev),
            finite(s.min),
            finite(s.max),
            finite(s.p95),
            samples,
            m.verdict.map(|v| v.as_str()),
            m.change_percent.and_then(finite),
            m.compared,
            m.source,
            m.basis,
        ])?;
    }
    Ok(())
}

fn insert_gates(transaction: &Transaction<'_>, id: i64, run: &RunRecord) -> rusqlite::Result<()> {
    let mut insert = transaction.prepare(
        "INSERT INTO gates (run_id, gate, metric, benchmark, severity, passed, value, threshold)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for g in &run.gates {
        insert.execute(params![
            id,
            g.gate,
            g.metric,
            g.benchmark,
            g.severity,
            g.passed,
            g.value.and_then(finite),
            g.threshold
        ])?;
    }
    Ok(())
}

fn insert_slo_checks(transaction: &Transaction<'_>, id: i64, run: &RunRecord) -> rusqlite::Result<()> {
    let mut insert = transaction.prepare(
        "INSERT INTO slo_checks (run_id, category, metric, benchmark, passed, level, value, effective_target, degradation_percent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for c in &run.slo_checks {
        insert.execute(params![
            id,
            c.category,
            c.metric,
            c.benchmark,
            c.passed,
            c.level,
            c.value.and_then(finite),
            c.effective_target,
            c.degradation_percent.and_then(finite)
        ])?;
    }
    Ok(())
}

fn sql_error(path: &Path, what: &'static str, source: rusqlite::Error) -> HistoryError {
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            HistoryError::NotHistory { path: path.to_owned(), detail: source.to_string() }
        }
        _ => HistoryError::Sql { path: path.to_owned(), what, source },
    }
}

/// SQLite has no NaN: a statistic that is not a number is stored as NULL.
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Origin;
    use crate::model::{fixtures, Better};

    fn run(branch: &str, release: Option<&str>, created_at: &str) -> RunRecord {
        let mut results = fixtures::results(vec![
            fixtures::benchmark("a", Better::Lower, &[1.0, 2.0]),
            fixtures::benchmark("b", Better::Lower, &[f64::NAN]),
        ]);
        results.created_at = created_at.to_owned();
        results.git = Some(crate::model::GitInfo { commit: "abc".into(), branch: Some(branch.into()), dirty: false });
        RunRecord::new(&results, None, release, Origin::Import)
    }

    #[test]
    fn runs_are_recorded_and_listed_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/history.db");
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.record(&run("main", None, "2026-11-01T00:00:00Z"), "now").unwrap(), Recorded::Added(1));
        // The same measurement imported again is not a second run.
        assert_eq!(store.record(&run("main", None, "2026-11-01T00:00:00Z"), "now").unwrap(), Recorded::Known(1));
        store.record(&run("main", Some("v1.0.0"), "2026-11-02T00:00:00Z"), "now").unwrap();
        store.record(&run("pr", None, "2026-11-03T00:00:00Z"), "now").unwrap();
        let all = store.runs(&RunFilter { limit: 10, ..RunFilter::default() }).unwrap();
        let when: Vec<&str> = all.iter().map(|r| r.created_at.as_str()).collect();
        assert_eq!(when, ["2026-11-03T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z"]);
        assert_eq!((all[0].benchmarks, all[0].verdict.as_deref(), all[0].origin.as_str()), (2, None, "import"));
        let main = store.runs(&RunFilter { branch: Some("main".into()), limit: 1, ..RunFilter::default() }).unwrap();
        assert_eq!(main.len(), 1);
        assert_eq!(main[0].release.as_deref(), Some("v1.0.0"));
        let tagged = store.runs(&RunFilter { release: Some("v1.0.0".into()), limit: 10, ..RunFilter::default() });
        assert_eq!(tagged.unwrap().len(), 1);
        // Reopened: the schema is not migrated twice.
        drop(store);
        assert_eq!(
            Store::open(&path).unwrap().runs(&RunFilter { limit: 10, ..RunFilter::default() }).unwrap().len(),
            3
        );
    }

    /// A checked run of `branch` at `created_at` whose check found benchmark `a` `verdict`.
    fn checked(branch: &str, created_at: &str, verdict: crate::compare::ChangeVerdict) -> RunRecord {
        let mut record = run(branch, None, created_at);
        record.origin = Origin::Check;
        record.metrics[0].verdict = Some(verdict);
        record.metrics[0].change_percent = Some(12.5);
        record
    }

    #[test]
    fn a_regression_is_fixed_when_its_branchs_newest_later_run_no_longer_finds_it() {
        use crate::compare::ChangeVerdict::{Regressed, Unchanged};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("history.db")).unwrap();
        store.record(&checked("pr", "2026-11-01T00:00:00Z", Regressed), "now").unwrap();
        store.record(&checked("pr", "2026-11-02T00:00:00Z", Regressed), "now").unwrap();
        store.record(&checked("other", "2026-11-02T12:00:00Z", Regressed), "now").unwrap();
        store.record(&checked("pr", "2026-11-03T00:00:00Z", Unchanged), "now").unwrap();
        store.record(&checked("pr", "2026-10-01T00:00:00Z", Regressed), "now").unwrap();
        let rows = store.regressions("2026-10-15T00:00:00Z").unwrap();
        let seen: Vec<(i64, Option<&str>, Option<i64>, &str)> =
            rows.iter().map(|r| (r.run_id, r.branch.as_deref(), r.later_run, r.status())).collect();
        assert_eq!(
            seen,
            [(3, Some("other"), None, "unknown"), (2, Some("pr"), Some(4), "fixed"), (1, Some("pr"), Some(4), "fixed")]
        );
        assert_eq!(rows[0].change_percent, Some(12.5));
        let open = store.regressions("2026-09-01T00:00:00Z").unwrap();
        assert_eq!(open.len(), 4, "the period reaches the October run");
    }

    #[test]
    fn a_file_that_is_not_a_history_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, b"this is not a database, it is a results file maybe".repeat(100)).unwrap();
        let error = Store::open(&garbage).err().unwrap();
        assert!(matches!(error, HistoryError::NotHistory { .. }), "{error}");
        assert!(error.to_string().contains("move it aside"), "{error}");
        assert!(std::fs::read(&garbage).unwrap().starts_with(b"this is not a database"));
        // Another application's SQLite file.
        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (text TEXT);").unwrap();
        assert!(matches!(Store::open(&other).err().unwrap(), HistoryError::NotHistory { .. }));
    }

    #[test]
    fn reading_a_current_store_writes_nothing_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let mut store = Store::open(&path).unwrap();
        store.record(&run("main", None, "2026-11-01T00:00:00Z"), "now").unwrap();
        drop(store);
        let before = std::fs::read(&path).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let store = Store::open(&path).unwrap();
        assert_eq!(store.runs(&RunFilter { limit: 5, ..RunFilter::default() }).unwrap().len(), 1);
        drop(store);
        assert!(std::fs::read(&path).unwrap() == before, "a reader rewrote the database");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!("PRAGMA user_version = {};", SCHEMA_VERSION + 1))
            .unwrap();
        let error = Store::open(&path).err().unwrap();
        assert!(matches!(error, HistoryError::Newer { found, .. } if found == SCHEMA_VERSION + 1), "{error}");
        assert!(error.to_string().contains("upgrade cargo-perf-gate"), "{error}");
    }

    #[test]
    fn a_window_reads_the_newest_runs_of_a_branch_back_as_results() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("history.db")).unwrap();
        for (branch, day) in [("main", 1), ("main", 2), ("pr", 3), ("main", 4)] {
            store.record(&run(branch, None, &format!("2026-11-0{day}T00:00:00Z")), "now").unwrap();
        }
        let window = store.window("main", 2).unwrap();
        let when: Vec<&str> = window.iter().map(|r| r.created_at.as_str()).collect();
        assert_eq!(when, ["2026-11-02T00:00:00Z", "2026-11-04T00:00:00Z"], "the newest two, oldest first");
        let first = &window[0];
        assert_eq!(first.git.as_ref().map(|g| (g.commit.as_str(), g.branch.as_deref())), Some(("abc", Some("main"))));
        assert_eq!(first.environment, crate::model::Environment::synthetic());
        // Benchmarks, sources and metrics as they were recorded (samples kept as f32).
        let original = fixtures::benchmark("a", Better::Lower, &[1.0, 2.0]);
        assert_eq!(first.benchmarks[0].id, "a");
        assert_eq!(first.benchmarks[0].source, original.source);
        let time = &first.benchmarks[0].metrics["time"];
        assert_eq!((time.samples.as_slice(), time.unit.as_str(), time.compared), ([1.0, 2.0].as_slice(), "ns", true));
        assert_eq!(store.branches().unwrap(), [("main".to_owned(), 3), ("pr".to_owned(), 1)]);
        assert!(store.window("nowhere", 10).unwrap().is_empty());
    }

    /// An exact count keeps every digit (its `mean`, not the 32-bit sample), and a summary its
    /// stated spread: a window compares them as they were recorded.
    #[test]
    fn values_that_are_not_samples_read_back_exactly_with_their_basis() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("history.db")).unwrap();
        let mut results = fixtures::results(vec![fixtures::benchmark("a", Better::Lower, &[1.0, 2.0])]);
        results.git = Some(crate::model::GitInfo { commit: "abc".into(), branch: Some("main".into()), dirty: false });
        let metrics = &mut results.benchmarks[0].metrics;
        // 123,456,789 is not a 32-bit float: it would come back as 123,456,792.
        metrics.insert("instructions".into(), Metric::deterministic("instructions", Better::Lower, 123_456_789.0));
        let spread = crate::model::StatedSpread { lower: 1178.0, upper: 1290.0, stated_as: "libtest's +/-".into() };
        metrics.insert("median".into(), Metric::summary("ns", Better::Lower, 1234.0, Some(spread)));
        store.record(&RunRecord::new(&results, None, None, Origin::Import), "now").unwrap();
        let back = &store.window("main", 1).unwrap()[0].benchmarks[0].metrics;
        assert_eq!(back["instructions"], results.benchmarks[0].metrics["instructions"]);
        assert_eq!(back["median"], results.benchmarks[0].metrics["median"]);
        assert_eq!(back["time"].basis, Basis::Samples);
    }

    /// A store of schema 1 (before `compared` and `source`) is migrated in place; its runs read
    /// back as criterion benchmarks, compared.
    #[test]
    fn a_version_1_store_is_migrated_and_its_runs_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let connection = Connection::open(&path).unwrap();
            connection.pragma_update(None, "journal_mode", "WAL").unwrap();
            connection.execute_batch(MIGRATIONS[0]).unwrap();
            connection
                .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"))
                .unwrap();
            connection
                .execute_batch(
                    "INSERT INTO runs (id, recorded_at, created_at, commit_sha, branch, dirty, environment, origin, benchmarks)
                     VALUES (1, 'now', '2026-10-01T00:00:00Z', 'def', 'main', 0, '{\"os\":\"linux\",\"arch\":\"x86_64\",\"cpu_model\":null,\"cores\":2,\"rustc\":null,\"criterion\":null}', 'import', 1);
                     INSERT INTO metrics (run_id, benchmark, metric, unit, better, n, samples)
                     VALUES (1, 'old', 'time', 'ns', 'lower', 2, X'0000803F00000040');",
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let version: u32 = store.connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let window = store.window("main", 5).unwrap();
        let old = &window[0].benchmarks[0];
        assert!(matches!(&old.source, Source::Criterion(c) if c.directory == "old"), "{:?}", old.source);
        assert_eq!(old.metrics["time"].samples, [1.0, 2.0]);
        assert!(old.metrics["time"].compared);
    }
}
