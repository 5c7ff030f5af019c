//! Service benchmarks: start a service, load it with each scenario's rounds, sample its memory
//! and CPU time, stop it. Each scenario becomes one benchmark, `<service>/<scenario>`, whose
//! samples are its rounds.

pub mod load;
mod process;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use self::load::{Counts, Load, OpenSchedule, Prepared, RoundStats, Target, Tls};
use self::process::{Probe, Running, Sample, StartFailure};
use super::imported::{self, ToolRun, ToolRunError};
use super::{descendants, last_lines, read_custom_metrics, run_in_group, tail_text, Place, Waited, METRICS_ENV};
use crate::config::{ImportSpec, RequestSpec, Scenario, ServiceBench, DEFAULT_IMPORT_TIMEOUT_S, MAX_MIX_WEIGHT};
use crate::interrupt;
use crate::model::{Benchmark, Better, Metric, ServiceSource, Source};

const TAIL_LINES: usize = 20;
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// The least CPU time per round that the regression check compares: 50 clock ticks.
const MIN_COMPARED_CPU_SECONDS: f64 = 0.5;

/// A service benchmark that could not be measured: exit code 3, or 130 when interrupted.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("service `{name}`: {message}")]
    Setup { name: String, message: String },
    #[error("service `{name}` {what}{}", tail_text(log))]
    Failed { name: String, what: String, log: Vec<String> },
    #[error("interrupted")]
    Interrupted,
}

/// Measures every scenario of every service; also returns notes for the reports (memory growth).
pub fn measure(
    services: &[&ServiceBench],
    place: &Place<'_>,
    mut progress: impl FnMut(&str),
) -> Result<(Vec<Benchmark>, Vec<String>), ServiceError> {
    let mut benchmarks = Vec::new();
    let mut notes = Vec::new();
    for service in services {
        progress(&service.name);
        let (measured, service_notes) = measure_service(service, place)?;
        benchmarks.extend(measured);
        notes.extend(service_notes);
    }
    Ok((benchmarks, notes))
}

/// `{port}` and `{target_dir}` replaced everywhere in the service's strings.
fn substituted(service: &ServiceBench, target_dir: &Path) -> Result<ServiceBench, String> {
    let text = serde_json::to_string(service).map_err(|e| e.to_string())?;
    let port = if text.contains("{port}") { free_port_text()? } else { String::new() };
    let target_dir = serde_json::to_string(&target_dir.display().to_string()).map_err(|e| e.to_string())?;
    let text = text.replace("{port}", &port).replace("{target_dir}", target_dir.trim_matches('"'));
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn free_port_text() -> Result<String, String> {
    process::free_port().map(|p| p.to_string()).map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

fn measure_service(service: &ServiceBench, place: &Place<'_>) -> Result<(Vec<Benchmark>, Vec<String>), ServiceError> {
    let name = service.name.clone();
    let setup = |message: String| ServiceError::Setup { name: name.clone(), message };
    let service = substituted(service, place.target_dir).map_err(setup)?;
    let log = process::log_path(place.log_dir, &service.name);
    std::fs::write(&log, b"").map_err(|e| setup(format!("cannot write {}: {e}", log.display())))?;
    let failed = |what: String| ServiceError::Failed { name: name.clone(), what, log: last_lines(&log, TAIL_LINES) };
    let cwd = place.cwd(service.start.cwd.as_deref());

    let probe = probe_of(&service).map_err(setup)?;
    let mut addresses: Vec<String> =
        service.scenarios.iter().filter_map(|s| origin_address(&s.requests.first()?.url).ok()).collect();
    addresses.push(match &probe {
        Probe::Http(target) => target.address.clone(),
        Probe::Tcp(address) => address.clone(),
    });
    addresses.dedup();
    if let Some(taken) = addresses.iter().find(|a| process::answers(a)) {
        return Err(setup(format!(
            "something already answers at {taken} before the service started; stop it, or write {{port}} in the config for a free port"
        )));
    }
    if let Some(prepare) = &service.start.prepare {
        let output = File::options().append(true).open(&log).map_err(|e| setup(e.to_string()))?;
        let errors = output.try_clone().map_err(|e| setup(e.to_string()))?;
        let mut command = Command::new(&prepare[0]);
        command.args(&prepare[1..]).current_dir(&cwd).envs(&service.start.env);
        descendants::die_with_parent(&mut command);
        let status = command
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .status()
            .map_err(|e| setup(format!("cannot start its prepare command `{}`: {e}", prepare[0])))?;
        descendants::sweep(descendants::ORPHAN_GRACE);
        if !status.success() {
            return Err(failed(format!("could not be prepared: `{}` failed ({status})", prepare.join(" "))));
        }
    }
    let mut command = Command::new(&service.start.command[0]);
    command.args(&service.start.command[1..]).current_dir(&cwd).envs(&service.start.env);
    let grace = Duration::from_secs_f64(service.stop_grace_s);
    let mut running = Running::start(command, &log, grace).map_err(|e| match e {
        StartFailure::Spawn(e) => setup(format!("cannot start `{}`: {e}", service.start.command[0])),
        _ => setup("cannot start".to_owned()),
    })?;
    let ready_timeout = Duration::from_secs_f64(service.start.ready.timeout_s);
    match running.wait_ready(&probe, ready_timeout) {
        Ok(()) => {}
        Err(StartFailure::Interrupted) => return Err(ServiceError::Interrupted),
        Err(StartFailure::Exited(status)) => return Err(failed(format!("exited before it was ready ({status})"))),
        Err(StartFailure::NotReady(last)) => {
            let what = match (&service.start.ready.http, &service.start.ready.tcp) {
                (Some(url), _) => format!("no 2xx from {url}"),
                (_, Some(address)) => format!("nothing accepting at {address}"),
                _ => String::new(),
            };
            return Err(failed(format!(
                "was not ready within {} s ({what}; last: {last})",
                service.start.ready.timeout_s
            )));
        }
        Err(StartFailure::Spawn(e)) => return Err(setup(e.to_string())),
    }
    running.sample(SAMPLE_EVERY);
    let mut benchmarks = Vec::new();
    let mut notes = Vec::new();
    for scenario in &service.scenarios {
        let hook = Hook { cwd: &cwd, env: &service.start.env, log: &log };
        let measured = match &scenario.import {
            Some(spec) => run_imported_scenario(&service, scenario, spec, &mut running, &hook),
            None => run_scenario(&service, scenario, &mut running, &hook),
        };
        let (benchmark, note) = measured.map_err(|e| match e {
            Stop::Interrupted => ServiceError::Interrupted,
            Stop::Exited(status) => failed(format!("exited during scenario `{}` ({status})", scenario.name)),
            Stop::Invalid(message) => setup(message),
            Stop::Hook(message) => failed(format!("scenario `{}`: its hook {message}", scenario.name)),
            Stop::NoSuccess(message) | Stop::Tool(message) => {
                failed(format!("scenario `{}`: {message}", scenario.name))
            }
        })?;
        benchmarks.push(benchmark);
        notes.extend(note);
    }
    running.stop();
    Ok((benchmarks, notes))
}

enum Stop {
    Interrupted,
    Exited(String),
    Invalid(String),
    Hook(String),
    /// A measured round in which not one request succeeded: it measured no latency, so the
    /// benchmark failed, as a command whose every run fails does.
    NoSuccess(String),
    /// The load tool of a scenario with `import` gave no results.
    Tool(String),
}

/// Where a scenario's hook runs and writes.
struct Hook<'a> {
    cwd: &'a Path,
    env: &'a BTreeMap<String, String>,
    log: &'a Path,
}

/// How long a hook may take.
const HOOK_TIMEOUT_S: f64 = 60.0;

impl Hook<'_> {
    /// Runs `command` with `PERF_GATE_METRICS` set and returns the metrics it wrote.
    fn run(&self, command: &[String]) -> Result<Vec<(String, f64)>, Stop> {
        let scratch = tempfile::tempdir().map_err(|e| Stop::Hook(format!("cannot get a scratch directory: {e}")))?;
        let metrics = scratch.path().join("metrics.json");
        let output = File::options().append(true).open(self.log).map_err(|e| Stop::Hook(e.to_string()))?;
        let errors = output.try_clone().map_err(|e| Stop::Hook(e.to_string()))?;
        let mut child = Command::new(&command[0]);
        child
            .args(&command[1..])
            .current_dir(self.cwd)
            .envs(self.env)
            .env(METRICS_ENV, &metrics)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors);
        match run_in_group(child, HOOK_TIMEOUT_S) {
            Err(Waited::Interrupted) => Err(Stop::Interrupted),
            Err(Waited::Spawn(e)) => Err(Stop::Hook(format!("`{}` cannot start: {e}", command[0]))),
            Ok(None) => Err(Stop::Hook(format!("took more than {HOOK_TIMEOUT_S} s"))),
            Ok(Some(status)) if !status.success() => Err(Stop::Hook(format!("failed ({status})"))),
            Ok(Some(_)) => read_custom_metrics(&metrics).map_err(Stop::Hook),
        }
    }
}

fn probe_of(service: &ServiceBench) -> Result<Probe, String> {
    let ready = &service.start.ready;
    match (&ready.http, &ready.tcp) {
        (Some(url), _) => {
            let health = RequestSpec {
                method: "GET".to_owned(),
                url: url.clone(),
                headers: BTreeMap::new(),
                body: None,
                weight: 1,
            };
            Ok(Probe::Http(target_of(std::slice::from_ref(&health))?))
        }
        (None, Some(address)) => Ok(Probe::Tcp(address.clone())),
        (None, None) => Err("no readiness check".to_owned()),
    }
}

/// `host:port` of an http(s) URL (port 80 or 443 when none is given).
fn origin_address(url: &str) -> Result<String, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let host = uri.host().ok_or_else(|| format!("`{url}` has no host"))?;
    let default_port = if uri.scheme_str() == Some("https") { 443 } else { 80 };
    Ok(format!("{host}:{}", uri.port_u16().unwrap_or(default_port)))
}

/// The scenario's requests as the load generator sends them, each repeated by its weight and
/// interleaved (smooth weighted round-robin), so every stretch of sends has the configured mix.
/// The cycle holds one index per unit of weight, at most `MAX_MIX_WEIGHT` of them.
fn target_of(requests: &[RequestSpec]) -> Result<Target, String> {
    let first = &requests[0].url;
    let uri: http::Uri = first.parse().map_err(|e| format!("`{first}`: {e}"))?;
    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let tls = match uri.scheme_str() {
        Some("https") => Some(Tls::for_host(uri.host().unwrap_or_default())?),
        _ => None,
    };
    let mut prepared = Vec::new();
    for request in requests {
        let uri: http::Uri = request.url.parse().map_err(|e| format!("`{}`: {e}", request.url))?;
        let mut headers = Vec::new();
        for (name, value) in &request.headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header `{name}`: {e}"))?;
            let value = http::HeaderValue::from_str(value).map_err(|e| format!("header `{name}`: {e}"))?;
            headers.push((name, value));
        }
        prepared.push((
            request.weight,
            Prepared {
                method: http::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?,
                target: uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.to_string()),
                headers,
                body: Bytes::from(request.body.clone().unwrap_or_default()),
            },
        ));
    }
    let total: u64 = prepared.iter().map(|(w, _)| u64::from(*w)).sum();
    if total > u64::from(MAX_MIX_WEIGHT) {
        return Err(format!("the requests' weights add up to {total}, more than {MAX_MIX_WEIGHT}"));
    }
    let total = total as i64;
    let mut current = vec![0_i64; prepared.len()];
    let mut mix = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (credit, (weight, _)) in current.iter_mut().zip(&prepared) {
            *credit += i64::from(*weight);
        }
        let (pick, _) = current.iter().enumerate().max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i))).unwrap_or((0, &0));
        current[pick] -= total;
        mix.push(pick);
    }
    let requests = prepared.into_iter().map(|(_, request)| request).collect();
    Ok(Target { address: origin_address(first)?, host, tls, requests, mix })
}

fn round_seconds(scenario: &Scenario) -> f64 {
    scenario.duration_s.unwrap_or_else(|| scenario.stages.iter().map(|s| s.duration_s).sum())
}

/// One scenario's warm-up and rounds, and the benchmark they make.
fn run_scenario(
    service: &ServiceBench,
    scenario: &Scenario,
    running: &mut Running,
    hook: &Hook<'_>,
) -> Result<(Benchmark, Option<String>), Stop> {
    let target = Arc::new(target_of(&scenario.requests).map_err(Stop::Invalid)?);
    let statuses = scenario.success_statuses.clone();
    let success: Arc<dyn Fn(u16) -> bool + Send + Sync> =
        Arc::new(
            move |status: u16| {
                if statuses.is_empty() {
                    (200..400).contains(&status)
                } else {
                    statuses.contains(&status)
                }
            },
        );
    let timeout = Duration::from_secs_f64(scenario.timeout_ms / 1000.0);
    let seconds = round_seconds(scenario);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let round = |duration: f64| -> Result<RoundStats, Stop> {
        let load = match scenario.users {
            Some(users) => Load::Closed {
                users,
                ramp_up: Duration::from_secs_f64(scenario.ramp_up_s.min(duration)),
                think: Duration::from_secs_f64(scenario.think_time_ms / 1000.0),
                duration: Duration::from_secs_f64(duration),
            },
            None => Load::Open {
                schedule: Arc::new(OpenSchedule::new(scenario, duration)),
                connections: scenario.connections,
            },
        };
        let stats = load::run_round(&target, &load, timeout, &success, threads);
        if interrupt::requested() {
            return Err(Stop::Interrupted);
        }
        Ok(stats)
    };
    if scenario.warmup_s > 0.0 {
        round(scenario.warmup_s)?;
    }
    let mut rounds = Vec::new();
    // The rounds' latencies, merged as they come: each round keeps its percentiles, not its
    // histogram (about 190 kB), so memory does not grow with the rounds.
    let mut merged = load::new_histogram();
    for index in 0..scenario.rounds {
        running.sample_now();
        let first = running.sample_count();
        let stats = round(seconds)?;
        if stats.counts.successes == 0 {
            return Err(Stop::NoSuccess(format!(
                "round {} of {} had no successful response ({} sent: {} answered with a status that is not a success or failed to connect, {} timed out); check the requests' URLs and `success_statuses`",
                index + 1,
                scenario.rounds,
                stats.counts.attempts,
                stats.counts.errors,
                stats.counts.timeouts
            )));
        }
        running.sample_now();
        if let Some(status) = running.exited() {
            return Err(Stop::Exited(status));
        }
        let samples = running.samples_since(first.saturating_sub(1));
        let reported = match &scenario.hook {
            Some(command) => hook.run(command)?,
            None => Vec::new(),
        };
        // Both histograms share bounds, so adding cannot fail.
        let _ = merged.add(&stats.latency_us);
        let latency_ms = LATENCIES.map(|(_, quantile, _)| latency_ms(&stats.latency_us, quantile));
        rounds.push(Round { counts: stats.counts, latency_ms, samples, reported });
    }
    Ok(into_benchmark(service, scenario, seconds, &rounds, &merged))
}

/// A scenario whose load tool makes the load (`import`): once a round its command runs while
/// the service does, and its file is imported; each round's figures are one sample.
fn run_imported_scenario(
    service: &ServiceBench,
    scenario: &Scenario,
    spec: &ImportSpec,
    running: &mut Running,
    hook: &Hook<'_>,
) -> Result<(Benchmark, Option<String>), Stop> {
    let id = format!("{}/{}", service.name, scenario.name);
    let argv = spec.command.as_deref().unwrap_or_default();
    if argv.is_empty() {
        return Err(Stop::Invalid(format!("scenario `{}`: `import.command` is required", scenario.name)));
    }
    let timeout_s = spec.timeout_s.unwrap_or(DEFAULT_IMPORT_TIMEOUT_S);
    let mut rounds = Vec::with_capacity(scenario.rounds);
    let mut notes = Vec::new();
    for index in 0..scenario.rounds {
        let tool = ToolRun { name: &id, argv, cwd: hook.cwd, env: hook.env, timeout_s, spec, log: hook.log };
        let round = format!("round {} of {}", index + 1, scenario.rounds);
        let results = imported::run(&tool).map_err(|e| match e {
            ToolRunError::Interrupted => Stop::Interrupted,
            e => Stop::Tool(format!("{round}: {e}")),
        })?;
        if let Some(status) = running.exited() {
            return Err(Stop::Exited(status));
        }
        let [benchmark]: [Benchmark; 1] = results.benchmarks.try_into().map_err(|all: Vec<Benchmark>| {
            Stop::Tool(format!("{round}: the file holds {} benchmarks; a load tool's run is one", all.len()))
        })?;
        notes.extend(results.note.map(|note| format!("{round}: {note}")));
        rounds.push(benchmark);
    }
    let benchmark = imported::pooled_rounds(&id, rounds).ok_or_else(|| Stop::Tool("no round ran".to_owned()))?;
    Ok((benchmark, (!notes.is_empty()).then(|| notes.join("; "))))
}

/// The latency metrics: name, quantile (`None`: the mean), and whether the regression check
/// compares them.
const LATENCIES: [(&str, Option<f64>, bool); 6] = [
    ("p50_ms", Some(0.5), true),
    ("p90_ms", Some(0.9), false),
    ("p95_ms", Some(0.95), false),
    ("p99_ms", Some(0.99), true),
    ("max_ms", Some(1.0), false),
    ("mean_ms", None, false),
];

/// A latency statistic in milliseconds; NaN when nothing was answered.
fn latency_ms(histogram: &hdrhistogram::Histogram<u64>, quantile: Option<f64>) -> f64 {
    if histogram.is_empty() {
        return f64::NAN;
    }
    match quantile {
        Some(q) => histogram.value_at_quantile(q) as f64 / 1000.0,
        None => histogram.mean() / 1000.0,
    }
}

/// One measured round: the load's counts and latencies (in `LATENCIES`' order), the resource
/// samples, and what the hook reported.
struct Round {
    counts: Counts,
    latency_ms: [f64; LATENCIES.len()],
    samples: Vec<Sample>,
    reported: Vec<(String, f64)>,
}

/// Percent the RSS grew over the samples: the least-squares slope times the span, relative to
/// the mean.
fn rss_growth_percent(samples: &[Sample]) -> f64 {
    if samples.len() < 3 {
        return 0.0;
    }
    let n = samples.len() as f64;
    let (mean_t, mean_r) =
        (samples.iter().map(|s| s.at).sum::<f64>() / n, samples.iter().map(|s| s.rss_bytes).sum::<f64>() / n);
    let (mut cov, mut var) = (0.0, 0.0);
    for s in samples {
        cov += (s.at - mean_t) * (s.rss_bytes - mean_r);
        var += (s.at - mean_t).powi(2);
    }
    let span = samples.last().map_or(0.0, |s| s.at) - samples[0].at;
    if var == 0.0 || mean_r == 0.0 {
        0.0
    } else {
        cov / var * span / mean_r * 100.0
    }
}

fn into_benchmark(
    service: &ServiceBench,
    scenario: &Scenario,
    seconds: f64,
    rounds: &[Round],
    merged: &hdrhistogram::Histogram<u64>,
) -> (Benchmark, Option<String>) {
    let closed = scenario.users.is_some();
    let mut metrics = BTreeMap::new();
    let mut add = |name: &str, unit: &str, better: Better, compared: bool, samples: Vec<f64>, value: Option<f64>| {
        let mut metric = Metric::from_samples(unit, better, compared, samples);
        metric.value = value;
        metrics.insert(name.to_owned(), metric);
    };
    for (index, (name, quantile, compared)) in LATENCIES.into_iter().enumerate() {
        let per_round = rounds.iter().map(|r| r.latency_ms[index]).collect();
        add(name, "ms", Better::Lower, compared, per_round, Some(latency_ms(merged, quantile)));
    }
    let sum = |f: fn(&Counts) -> u64| rounds.iter().map(|r| f(&r.counts)).sum::<u64>();
    let attempts = |s: &Counts| s.attempts;
    let per_round = |f: &dyn Fn(&Counts) -> f64| rounds.iter().map(|r| f(&r.counts)).collect::<Vec<f64>>();
    let rate = |s: &Counts| s.completed as f64 / s.elapsed.as_secs_f64().max(1e-9);
    let elapsed: f64 = rounds.iter().map(|r| r.counts.elapsed.as_secs_f64()).sum();
    add(
        "rps",
        "req/s",
        Better::Higher,
        closed,
        per_round(&rate),
        Some(sum(|s| s.completed) as f64 / elapsed.max(1e-9)),
    );
    let success = |s: &Counts| {
        let tried = attempts(s);
        if tried == 0 {
            f64::NAN
        } else {
            s.successes as f64 / tried as f64 * 100.0
        }
    };
    let total_tried: u64 = rounds.iter().map(|r| attempts(&r.counts)).sum();
    let overall = if total_tried == 0 { f64::NAN } else { sum(|s| s.successes) as f64 / total_tried as f64 * 100.0 };
    add("success_rate", "%", Better::Higher, true, per_round(&success), Some(overall));
    for (name, count) in [
        ("error_count", (|s: &Counts| s.errors) as fn(&Counts) -> u64),
        ("timeout_count", |s: &Counts| s.timeouts),
        ("late_count", |s: &Counts| s.late),
    ] {
        add(name, "requests", Better::Lower, false, per_round(&|s| count(s) as f64), Some(sum(count) as f64));
    }
    let peak = |samples: &[Sample]| samples.iter().map(|s| s.rss_bytes).fold(f64::NAN, f64::max);
    let cpu = |samples: &[Sample]| match (samples.first(), samples.last()) {
        (Some(first), Some(last)) => last.cpu_seconds - first.cpu_seconds,
        _ => f64::NAN,
    };
    let peaks: Vec<f64> = rounds.iter().map(|r| peak(&r.samples)).collect();
    let overall_peak = peaks.iter().copied().fold(f64::NAN, f64::max);
    add("peak_rss_bytes", "bytes", Better::Lower, true, peaks, Some(overall_peak));
    let cpu_per_round: Vec<f64> = rounds.iter().map(|r| cpu(&r.samples)).collect();
    // /proc counts CPU time in clock ticks (10 ms): below half a second a round's figure is
    // too coarse to compare, and one tick more would read as a large change.
    let cpu_fine_enough = cpu_per_round.iter().all(|c| *c >= MIN_COMPARED_CPU_SECONDS);
    add("cpu_seconds", "s", Better::Lower, !closed && cpu_fine_enough, cpu_per_round, None);
    let all_samples: Vec<Sample> = rounds.iter().flat_map(|r| r.samples.iter().copied()).collect();
    let growth = rss_growth_percent(&all_samples);
    add("rss_growth_percent", "%", Better::Lower, false, vec![growth], Some(growth));
    let mut reported: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for round in rounds {
        for (name, value) in &round.reported {
            reported.entry(name).or_default().push(*value);
        }
    }
    for (name, samples) in reported {
        let declared = scenario.metrics.get(name);
        let better = declared.and_then(|d| d.better);
        let unit = declared.map(|d| d.unit.as_str()).unwrap_or_default();
        add(name, unit, better.unwrap_or(Better::Lower), better.is_some(), samples, None);
    }
    let id = format!("{}/{}", service.name, scenario.name);
    let note = (growth > service.rss_growth_limit_percent).then(|| {
        format!(
            "`{id}`: the service's memory grew {growth:.1}% over the scenario's rounds (limit {}%): a leak?",
            service.rss_growth_limit_percent
        )
    });
    let benchmark = Benchmark {
        id,
        source: Source::Service(ServiceSource {
            service: service.name.clone(),
            scenario: scenario.name.clone(),
            model: if closed { "closed" } else { "open" }.to_owned(),
            rounds: rounds.len(),
            round_seconds: seconds,
            requests: rounds.iter().map(|r| attempts(&r.counts)).sum(),
        }),
        metrics,
    };
    (benchmark, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_follows_the_weights_evenly() {
        let text = r#"{"name": "s", "duration_s": 1, "rate_per_sec": 1, "requests": [
            {"url": "http://127.0.0.1:9/a", "weight": 3}, {"url": "http://127.0.0.1:9/b", "weight": 1}]}"#;
        let scenario: Scenario = serde_json::from_str(text).unwrap();
        let target = target_of(&scenario.requests).unwrap();
        let paths: Vec<&str> = (0..8).map(|k| target.request(k).target.as_str()).collect();
        assert_eq!(paths, ["/a", "/a", "/b", "/a", "/a", "/a", "/b", "/a"]);
        assert_eq!(target.requests.len(), 2, "each request is prepared once");
        assert_eq!((target.address.as_str(), target.host.as_str()), ("127.0.0.1:9", "127.0.0.1:9"));
    }

    #[test]
    fn a_mix_heavier_than_the_bound_is_refused_not_laid_out() {
        let request = |weight: u32| RequestSpec {
            method: "GET".to_owned(),
            url: "http://127.0.0.1:9/".to_owned(),
            headers: BTreeMap::new(),
            body: None,
            weight,
        };
        let error = target_of(&[request(u32::MAX), request(u32::MAX)]).err().unwrap();
        assert_eq!(error, "the requests' weights add up to 8589934590, more than 10000");
        assert_eq!(target_of(&[request(MAX_MIX_WEIGHT)]).unwrap().mix.len(), 10_000);
    }

    #[test]
    fn growth_is_the_fitted_slope_over_the_span() {
        let samples: Vec<Sample> =
            (0..11).map(|i| Sample { at: i as f64, rss_bytes: 100.0 + i as f64, cpu_seconds: 0.0 }).collect();
        assert!((rss_growth_percent(&samples) - 10.0 / 105.0 * 100.0).abs() < 1e-9);
        let flat: Vec<Sample> = (0..5).map(|i| Sample { at: i as f64, rss_bytes: 50.0, cpu_seconds: 0.0 }).collect();
        assert_eq!(rss_growth_percent(&flat), 0.0);
    }
}
