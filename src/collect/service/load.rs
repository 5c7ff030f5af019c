//! The HTTP load generator: keep-alive HTTP/1.1 connections over hyper, latencies in
//! HdrHistogram (one per worker, merged).
//!
//! Open model (`rate_per_sec`, `stages`): every request has a scheduled send time, fixed in
//! advance, and its latency counts from that time, so a stalled server shows in the percentiles
//! instead of slowing the client down (coordinated omission, corrected as wrk2 does). Worker `k`
//! of `C` owns the sends `k, k + C, ...`; a send whose worker is still busy at its scheduled time
//! goes out late and is counted in `late_count`. Closed model (`users`): each user sends, waits
//! for the response, thinks, and sends again; latency counts from the actual send.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;

use crate::config::Scenario;

/// Latencies are recorded in microseconds, from 1 µs to 1 hour, at 3 significant digits.
const HISTOGRAM_MAX_US: u64 = 3_600_000_000;
/// A send that starts this much after its scheduled time, because its connection was still
/// busy, is late. Less would count the timer's own jitter.
const LATE_SLACK: Duration = Duration::from_millis(1);

/// A request ready to send: everything but the connection.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: http::Method,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub body: Bytes,
}

/// Where and what to send.
#[derive(Clone)]
pub struct Target {
    /// `host:port` to connect to.
    pub address: String,
    /// The `Host` header.
    pub host: String,
    /// For https.
    pub tls: Option<Tls>,
    /// The mix, each request repeated by its weight, interleaved.
    pub mix: Vec<Prepared>,
}

/// TLS towards one server: rustls with ring, trusting the system's roots (or `SSL_CERT_FILE`).
#[derive(Clone)]
pub struct Tls {
    connector: tokio_rustls::TlsConnector,
    name: rustls::pki_types::ServerName<'static>,
}

impl Tls {
    /// TLS for `host` (a name or an IP address, as in the URL).
    pub fn for_host(host: &str) -> Result<Tls, String> {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for certificate in found.certs {
            let _ = roots.add(certificate);
        }
        if roots.is_empty() {
            let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            return Err(format!("no trusted root certificates for https ({}); set SSL_CERT_FILE", why.join("; ")));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| format!("`{host}` is not a name a TLS certificate can hold: {e}"))?;
        Ok(Tls { connector: tokio_rustls::TlsConnector::from(Arc::new(config)), name })
    }
}

/// A byte stream hyper can speak HTTP/1.1 over: plain TCP or TLS.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}

/// What one measured round saw.
#[derive(Debug, Clone)]
pub struct RoundStats {
    pub latency_us: Histogram<u64>,
    /// Sends, whatever became of them.
    pub attempts: u64,
    pub completed: u64,
    pub successes: u64,
    /// Responses with a status that is not a success, and connections that failed.
    pub errors: u64,
    pub timeouts: u64,
    pub late: u64,
    pub elapsed: Duration,
}

impl RoundStats {
    fn new() -> RoundStats {
        RoundStats {
            latency_us: Histogram::new_with_bounds(1, HISTOGRAM_MAX_US, 3).expect("static histogram bounds are valid"),
            attempts: 0,
            completed: 0,
            successes: 0,
            errors: 0,
            timeouts: 0,
            late: 0,
            elapsed: Duration::ZERO,
        }
    }

    fn merge(&mut self, other: &RoundStats) {
        // Both histograms share bounds, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        self.attempts += other.attempts;
        self.completed += other.completed;
        self.successes += other.successes;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.late += other.late;
    }
}

/// The arrival schedule of one round of the open model: send offsets in seconds.
pub fn open_schedule(scenario: &Scenario, duration_s: f64) -> Vec<f64> {
    if let Some(rate) = scenario.rate_per_sec {
        let count = (rate * duration_s).floor() as usize;
        return (0..count).map(|i| i as f64 / rate).collect();
    }
    // Ramping stages: the rate moves linearly from the previous stage's rate (0 at first) to
    // each stage's; send i goes out when the expected number of arrivals reaches i.
    let mut offsets = Vec::new();
    let (mut start, mut from, mut arrived) = (0.0_f64, 0.0_f64, 0.0_f64);
    for stage in &scenario.stages {
        let (to, length) = (stage.rate_per_sec, stage.duration_s);
        let slope = (to - from) / length;
        let in_stage = (from + to) / 2.0 * length;
        let mut next = offsets.len() as f64;
        while next < arrived + in_stage {
            // Solve from * t + slope / 2 * t^2 = next - arrived for t in [0, length].
            let need = next - arrived;
            let t = if slope.abs() < 1e-12 {
                need / from
            } else {
                (-from + (from * from + 2.0 * slope * need).max(0.0).sqrt()) / slope
            };
            if start + t >= duration_s {
                return offsets;
            }
            offsets.push(start + t);
            next += 1.0;
        }
        arrived += in_stage;
        start += length;
        from = to;
    }
    offsets
}

/// How a round runs.
#[derive(Clone, Copy)]
pub enum Load<'a> {
    Open { schedule: &'a [f64], connections: usize },
    Closed { users: usize, ramp_up: Duration, think: Duration, duration: Duration },
}

/// Runs one round (or the warm-up, whose numbers are thrown away) on `threads` threads, each
/// with a single-threaded runtime and its share of the connections or users: like wrk, one
/// event loop per core, with no work stealing between them. Stops early on Ctrl-C.
pub fn run_round(
    target: &Arc<Target>,
    load: Load<'_>,
    timeout: Duration,
    success: &Arc<dyn Fn(u16) -> bool + Send + Sync>,
    threads: usize,
) -> RoundStats {
    let stop = Arc::new(AtomicBool::new(false));
    let done = AtomicBool::new(false);
    // Every thread schedules from the same instant.
    let started = Instant::now() + Duration::from_millis(10);
    let mut total = RoundStats::new();
    std::thread::scope(|scope| {
        let shares: Vec<_> = (0..threads)
            .map(|thread| {
                let (target, success, stop) = (target.clone(), success.clone(), stop.clone());
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    Some(runtime.block_on(run_share(target, load, timeout, success, stop, started, (thread, threads))))
                })
            })
            .collect();
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if crate::interrupt::requested() {
                    stop.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        for share in shares {
            if let Ok(Some(stats)) = share.join() {
                total.merge(&stats);
            }
        }
        done.store(true, Ordering::Relaxed);
    });
    total.elapsed = started.elapsed();
    total
}

/// One thread's part of a round: connections (or users) `share.0`, `share.0 + share.1`, ...
async fn run_share(
    target: Arc<Target>,
    load: Load<'_>,
    timeout: Duration,
    success: Arc<dyn Fn(u16) -> bool + Send + Sync>,
    stop: Arc<AtomicBool>,
    started: Instant,
    (first, step): (usize, usize),
) -> RoundStats {
    let mut tasks = tokio::task::JoinSet::new();
    match load {
        Load::Open { schedule, connections } => {
            let schedule: Arc<Vec<f64>> = Arc::new(schedule.to_vec());
            for worker in (first..connections.min(schedule.len().max(1))).step_by(step) {
                let (target, schedule, success, stop) =
                    (target.clone(), schedule.clone(), success.clone(), stop.clone());
                tasks.spawn(async move {
                    let mut stats = RoundStats::new();
                    let mut connection = None;
                    for index in (worker..schedule.len()).step_by(connections) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let scheduled = started + Duration::from_secs_f64(schedule[index]);
                        if Instant::now() > scheduled + LATE_SLACK {
                            stats.late += 1;
                        } else {
                            tokio::time::sleep_until(scheduled).await;
                        }
                        let request = &target.mix[index % target.mix.len()];
                        let _ =
                            send(&target, request, &mut connection, timeout, &*success, scheduled, &mut stats).await;
                    }
                    stats
                });
            }
        }
        Load::Closed { users, ramp_up, think, duration } => {
            for user in (first..users).step_by(step) {
                let (target, success, stop) = (target.clone(), success.clone(), stop.clone());
                let delay = ramp_up.mul_f64(user as f64 / users as f64);
                tasks.spawn(async move {
                    let mut stats = RoundStats::new();
                    let mut connection = None;
                    tokio::time::sleep_until(started + delay).await;
                    let mut sent = user;
                    while started.elapsed() < duration && !stop.load(Ordering::Relaxed) {
                        let request = &target.mix[sent % target.mix.len()];
                        let _ = send(&target, request, &mut connection, timeout, &*success, Instant::now(), &mut stats)
                            .await;
                        sent += users;
                        if !think.is_zero() {
                            tokio::time::sleep(think).await;
                        }
                    }
                    stats
                });
            }
        }
    }
    let mut total = RoundStats::new();
    while let Some(result) = tasks.join_next().await {
        if let Ok(stats) = result {
            total.merge(&stats);
        }
    }
    total
}

/// A keep-alive connection: the sender, and the connection future that does its I/O. The
/// future is polled by the task that sends, not spawned, so a request and its response involve
/// no wake-up of another task.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    driver: hyper::client::conn::http1::Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>,
}

/// Sends `request`, (re)connecting as needed, and records the outcome measured from `since`.
/// Returns the status, or what went wrong.
async fn send(
    target: &Target,
    request: &Prepared,
    connection: &mut Option<Connection>,
    timeout: Duration,
    success: &(dyn Fn(u16) -> bool + Send + Sync),
    since: Instant,
    stats: &mut RoundStats,
) -> Result<u16, String> {
    stats.attempts += 1;
    let exchange = async {
        let conn = match connection {
            Some(conn) => conn,
            None => connection.insert(connect(target).await?),
        };
        let Connection { sender, driver } = conn;
        let mut builder = hyper::Request::builder().method(request.method.clone()).uri(&request.target);
        builder = builder.header(http::header::HOST, &target.host);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let outgoing = builder.body(Full::new(request.body.clone())).map_err(|e| e.to_string())?;
        let work = async {
            sender.ready().await.map_err(|e| e.to_string())?;
            let response = sender.send_request(outgoing).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            // Reading the body to its end lets the connection carry the next request.
            let mut body = response.into_body();
            while let Some(frame) = body.frame().await {
                frame.map_err(|e| e.to_string())?;
            }
            Ok::<u16, String>(status)
        };
        tokio::select! {
            biased;
            outcome = work => outcome,
            ended = driver => Err(match ended {
                Ok(()) => "the server closed the connection".to_owned(),
                Err(e) => e.to_string(),
            }),
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(status)) => {
            let micros = since.elapsed().as_micros().clamp(1, u128::from(HISTOGRAM_MAX_US)) as u64;
            let _ = stats.latency_us.record(micros);
            stats.completed += 1;
            if success(status) {
                stats.successes += 1;
            } else {
                stats.errors += 1;
            }
            Ok(status)
        }
        Ok(Err(error)) => {
            // Refused, reset or broken: counted, and the next send opens a new connection.
            stats.errors += 1;
            *connection = None;
            Err(error)
        }
        Err(_) => {
            stats.timeouts += 1;
            *connection = None;
            Err(format!("no answer within {} ms", timeout.as_millis()))
        }
    }
}

async fn connect(target: &Target) -> Result<Connection, String> {
    let tcp = tokio::net::TcpStream::connect(&target.address).await.map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = match &target.tls {
        None => Box::new(tcp),
        Some(tls) => Box::new(tls.connector.connect(tls.name.clone(), tcp).await.map_err(|e| format!("TLS: {e}"))?),
    };
    // One flattened write per request is cheaper than writev for small requests.
    let (sender, driver) = hyper::client::conn::http1::Builder::new()
        .writev(false)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Connection { sender, driver })
}

/// The status of one request of `target`'s mix, or what went wrong: the readiness check of an
/// http(s) service.
pub fn probe_status(target: &Target, timeout: Duration) -> Result<u16, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut stats = RoundStats::new();
        send(target, &target.mix[0], &mut None, timeout, &|_| true, Instant::now(), &mut stats).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Scenario, Stage};

    fn scenario(rate: Option<f64>, stages: Vec<Stage>) -> Scenario {
        let text = r#"{"name": "s", "requests": [{"url": "http://127.0.0.1:1/"}], "duration_s": 1, "rate_per_sec": 1}"#;
        let mut scenario: Scenario = serde_json::from_str(text).unwrap();
        scenario.rate_per_sec = rate;
        scenario.stages = stages;
        scenario
    }

    #[test]
    fn a_constant_rate_spaces_sends_evenly() {
        let schedule = open_schedule(&scenario(Some(4.0), vec![]), 2.0);
        assert_eq!(schedule, [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]);
    }

    #[test]
    fn a_ramp_sends_as_many_as_its_area_and_speeds_up() {
        // 0 -> 100/s over 2 s: 100 arrivals, then 100/s for 1 s: 100 more.
        let stages =
            vec![Stage { duration_s: 2.0, rate_per_sec: 100.0 }, Stage { duration_s: 1.0, rate_per_sec: 100.0 }];
        let schedule = open_schedule(&scenario(None, stages), 3.0);
        assert!((199..=200).contains(&schedule.len()), "{}", schedule.len());
        assert!(schedule.windows(2).all(|w| w[0] <= w[1]));
        let gaps: Vec<f64> = schedule.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps[5] > gaps[90], "the rate rises during the ramp");
        assert!((gaps[150] - 0.01).abs() < 1e-9, "then holds at 100/s");
        assert!(schedule.iter().all(|t| *t < 3.0));
    }
}
