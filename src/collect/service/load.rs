//! The HTTP load generator: keep-alive HTTP/1.1 connections over hyper, latencies in
//! HdrHistogram (one per thread, merged).
//!
//! Open model (`rate_per_sec`, `stages`): every request has a scheduled send time, fixed in
//! advance (and computed when its turn comes, so nothing grows with rate x duration), and its
//! latency counts from that time, so a stalled server shows in the percentiles
//! instead of slowing the client down (coordinated omission, corrected as wrk2 does). Worker `k`
//! of `C` owns the sends `k, k + C, ...`; a send whose worker is still busy at its scheduled time
//! goes out late and is counted in `late_count`. Closed model (`users`): each user sends, waits
//! for the response, thinks, and sends again; latency counts from the actual send.

use std::cell::RefCell;
use std::rc::Rc;
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
// The longest request timeout is the longest latency the histogram records.
const _: () = assert!(crate::config::MAX_TIMEOUT_MS as u64 * 1000 == HISTOGRAM_MAX_US);
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
    /// The scenario's requests, each once.
    pub requests: Vec<Prepared>,
    /// One cycle of the mix: indices into `requests`, each repeated by its weight, interleaved.
    /// Its length is the weights' sum, which validation bounds.
    pub mix: Vec<usize>,
}

impl Target {
    /// The request of send `index`: the mix, cycled.
    pub fn request(&self, index: u64) -> &Prepared {
        &self.requests[self.mix[(index % self.mix.len() as u64) as usize]]
    }
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

/// What one measured round saw: its latencies and its counts.
#[derive(Debug, Clone)]
pub struct RoundStats {
    pub latency_us: Histogram<u64>,
    pub counts: Counts,
}

/// A round's counts of sends and what became of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
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

/// An empty latency histogram: about 190 kB whatever it holds, so a round keeps one per thread,
/// not one per connection or user.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HISTOGRAM_MAX_US, 3).expect("static histogram bounds are valid")
}

impl RoundStats {
    fn new() -> RoundStats {
        RoundStats { latency_us: new_histogram(), counts: Counts::default() }
    }

    fn merge(&mut self, other: &RoundStats) {
        // Both histograms share bounds, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        let (mine, theirs) = (&mut self.counts, &other.counts);
        mine.attempts += theirs.attempts;
        mine.completed += theirs.completed;
        mine.successes += theirs.successes;
        mine.errors += theirs.errors;
        mine.timeouts += theirs.timeouts;
        mine.late += theirs.late;
    }

    /// Counts one send; an answer's latency counts from `since`.
    fn record(&mut self, outcome: &Outcome, since: Instant, success: &(dyn Fn(u16) -> bool + Send + Sync)) {
        self.counts.attempts += 1;
        match outcome {
            Outcome::Answered(status) => {
                let micros = since.elapsed().as_micros().clamp(1, u128::from(HISTOGRAM_MAX_US)) as u64;
                let _ = self.latency_us.record(micros);
                self.counts.completed += 1;
                if success(*status) {
                    self.counts.successes += 1;
                } else {
                    self.counts.errors += 1;
                }
            }
            Outcome::Failed(_) => self.counts.errors += 1,
            Outcome::TimedOut => self.counts.timeouts += 1,
        }
    }
}

/// The arrival schedule of one round of the open model, computed send by send: `send_time(k)`
/// is the `k`-th send's offset in seconds. Nothing is laid out in advance, so its memory is
/// O(stages) whatever rate x duration is.
#[derive(Debug, Clone)]
pub struct OpenSchedule {
    shape: Shape,
    /// How many sends the round has.
    len: u64,
}

#[derive(Debug, Clone)]
enum Shape {
    /// Send `k` goes out at `k / rate`.
    Constant { rate: f64 },
    /// Ramping stages, in order, up to the one in which the round ends.
    Stages(Vec<Segment>),
}

/// A ramping stage as the schedule sees it: from offset `start` the rate moves from `from` by
/// `slope` per second; `arrived` arrivals were expected before it, and the sends before `end`
/// (and from the previous stage's `end` on) fall in it.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: f64,
    from: f64,
    slope: f64,
    arrived: f64,
    end: u64,
}

impl Segment {
    /// The offset of send `k`, one of this stage's: when the expected number of arrivals
    /// reaches `k`, i.e. `from * t + slope / 2 * t^2 = k - arrived` solved for `t`.
    fn offset(&self, k: u64) -> f64 {
        let need = k as f64 - self.arrived;
        let t = if need == 0.0 {
            // At the stage's start. The formulas below give 0 too, except for a stage that
            // starts and stays at rate 0, where they would divide 0 by 0.
            0.0
        } else if self.slope.abs() < 1e-12 {
            need / self.from
        } else {
            (-self.from + (self.from * self.from + 2.0 * self.slope * need).max(0.0).sqrt()) / self.slope
        };
        self.start + t
    }
}

impl OpenSchedule {
    /// The schedule of a round of `duration_s` seconds of `scenario` (`rate_per_sec`, else its
    /// `stages`).
    pub fn new(scenario: &Scenario, duration_s: f64) -> OpenSchedule {
        if let Some(rate) = scenario.rate_per_sec {
            // Validation keeps rate x duration below 10^11, far inside u64.
            return OpenSchedule { shape: Shape::Constant { rate }, len: (rate * duration_s).floor() as u64 };
        }
        // Ramping stages: the rate moves linearly from the previous stage's rate (0 at first) to
        // each stage's; send k goes out when the expected number of arrivals reaches k, and the
        // round's sends end at the first one due at or after `duration_s`.
        let mut segments = Vec::with_capacity(scenario.stages.len());
        let (mut start, mut from, mut arrived, mut sent) = (0.0_f64, 0.0_f64, 0.0_f64, 0_u64);
        for stage in &scenario.stages {
            let (to, length) = (stage.rate_per_sec, stage.duration_s);
            let slope = (to - from) / length;
            let in_stage = (from + to) / 2.0 * length;
            // The stage's sends: every k from `sent` on with k < arrived + in_stage.
            let end = sent.max((arrived + in_stage).ceil() as u64);
            let segment = Segment { start, from, slope, arrived, end };
            // Offsets never fall within a stage, so the first one too late is a binary search.
            let too_late = first_where(sent, end, |k| segment.offset(k) >= duration_s);
            segments.push(Segment { end: too_late, ..segment });
            if too_late < end {
                return OpenSchedule { shape: Shape::Stages(segments), len: too_late };
            }
            sent = end;
            arrived += in_stage;
            start += length;
            from = to;
        }
        OpenSchedule { shape: Shape::Stages(segments), len: sent }
    }

    /// How many sends the round has.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the round sends nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The offset in seconds from the round's start at which send `k` is due; `None` past the
    /// round's last send.
    pub fn send_time(&self, k: u64) -> Option<f64> {
        if k >= self.len {
            return None;
        }
        Some(match &self.shape {
            Shape::Constant { rate } => k as f64 / rate,
            Shape::Stages(segments) => segments[segments.partition_point(|s| s.end <= k)].offset(k),
        })
    }
}

/// The least `k` in `low..high` for which `late(k)` holds (`late` being false up to some `k`
/// and true from there on), or `high` if none.
fn first_where(mut low: u64, mut high: u64, late: impl Fn(u64) -> bool) -> u64 {
    while low < high {
        let middle = low + (high - low) / 2;
        if late(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    low
}

/// How a round runs.
#[derive(Clone)]
pub enum Load {
    Open { schedule: Arc<OpenSchedule>, connections: usize },
    Closed { users: usize, ramp_up: Duration, think: Duration, duration: Duration },
}

/// Runs one round (or the warm-up, whose numbers are thrown away) on `threads` threads, each
/// with a single-threaded runtime and its share of the connections or users: like wrk, one
/// event loop per core, with no work stealing between them. Stops early on Ctrl-C.
pub fn run_round(
    target: &Arc<Target>,
    load: &Load,
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
                let (target, load, success, stop) = (target.clone(), load.clone(), success.clone(), stop.clone());
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    let share = run_share(target, load, timeout, success, stop, started, (thread, threads));
                    Some(tokio::task::LocalSet::new().block_on(&runtime, share))
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
    total.counts.elapsed = started.elapsed();
    total
}

/// One thread's part of a round: connections (or users) `share.0`, `share.0 + share.1`, ...,
/// each a task on this thread, all recording into the thread's one `RoundStats`.
async fn run_share(
    target: Arc<Target>,
    load: Load,
    timeout: Duration,
    success: Arc<dyn Fn(u16) -> bool + Send + Sync>,
    stop: Arc<AtomicBool>,
    started: Instant,
    (first, step): (usize, usize),
) -> RoundStats {
    // The tasks run on this thread only (a LocalSet), so they share the stats without a lock;
    // no borrow of it is held across an await.
    let stats = Rc::new(RefCell::new(RoundStats::new()));
    let mut tasks = tokio::task::JoinSet::new();
    match load {
        Load::Open { schedule, connections } => {
            let step_sends = connections as u64;
            for worker in (first as u64..step_sends.min(schedule.len().max(1))).step_by(step) {
                let (target, schedule, success, stop, stats) =
                    (target.clone(), schedule.clone(), success.clone(), stop.clone(), stats.clone());
                tasks.spawn_local(async move {
                    let mut connection = None;
                    let mut index = worker;
                    while let Some(offset) = schedule.send_time(index) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let scheduled = started + Duration::from_secs_f64(offset);
                        if Instant::now() > scheduled + LATE_SLACK {
                            stats.borrow_mut().counts.late += 1;
                        } else {
                            tokio::time::sleep_until(scheduled).await;
                        }
                        let outcome = send(&target, target.request(index), &mut connection, timeout).await;
                        stats.borrow_mut().record(&outcome, scheduled, &*success);
                        index += step_sends;
                    }
                });
            }
        }
        Load::Closed { users, ramp_up, think, duration } => {
            for user in (first..users).step_by(step) {
                let (target, success, stop, stats) = (target.clone(), success.clone(), stop.clone(), stats.clone());
                let delay = ramp_up.mul_f64(user as f64 / users as f64);
                tasks.spawn_local(async move {
                    let mut connection = None;
                    tokio::time::sleep_until(started + delay).await;
                    let mut sent = user as u64;
                    while started.elapsed() < duration && !stop.load(Ordering::Relaxed) {
                        let since = Instant::now();
                        let outcome = send(&target, target.request(sent), &mut connection, timeout).await;
                        stats.borrow_mut().record(&outcome, since, &*success);
                        sent += users as u64;
                        if !think.is_zero() {
                            tokio::time::sleep(think).await;
                        }
                    }
                });
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    // Every task has ended and dropped its handle on the stats.
    Rc::try_unwrap(stats).map_or_else(|shared| shared.borrow().clone(), RefCell::into_inner)
}

/// A keep-alive connection: the sender, and the connection future that does its I/O. The
/// future is polled by the task that sends, not spawned, so a request and its response involve
/// no wake-up of another task.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    driver: hyper::client::conn::http1::Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>,
}

/// What became of one send.
enum Outcome {
    /// A response, read to its end, with this status.
    Answered(u16),
    /// Refused, reset or broken.
    Failed(String),
    TimedOut,
}

/// Sends `request`, (re)connecting as needed; a connection that failed or timed out is dropped,
/// so the next send opens a new one.
async fn send(target: &Target, request: &Prepared, connection: &mut Option<Connection>, timeout: Duration) -> Outcome {
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
        tokio::pin!(work);
        tokio::select! {
            biased;
            outcome = &mut work => outcome.map(|status| (status, false)),
            ended = driver => match ended {
                // The server closed the connection after its answer (HTTP/1.0, `Connection:
                // close`): the answer is complete and still to be read; the next request needs
                // a new connection.
                Ok(()) => work.await.map(|status| (status, true)).map_err(|e| format!("the server closed the connection: {e}")),
                Err(e) => Err(e.to_string()),
            },
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok((status, closed))) => {
            if closed {
                *connection = None;
            }
            Outcome::Answered(status)
        }
        Ok(Err(error)) => {
            *connection = None;
            Outcome::Failed(error)
        }
        Err(_) => {
            *connection = None;
            Outcome::TimedOut
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
    match runtime.block_on(send(target, target.request(0), &mut None, timeout)) {
        Outcome::Answered(status) => Ok(status),
        Outcome::Failed(error) => Err(error),
        Outcome::TimedOut => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Scenario, Stage, MAX_RATE_PER_SEC, MAX_SECONDS};
    use crate::test_alloc::allocated_by;
    use proptest::prelude::*;

    fn scenario(rate: Option<f64>, stages: Vec<Stage>) -> Scenario {
        let text = r#"{"name": "s", "requests": [{"url": "http://127.0.0.1:1/"}], "duration_s": 1, "rate_per_sec": 1}"#;
        let mut scenario: Scenario = serde_json::from_str(text).unwrap();
        scenario.rate_per_sec = rate;
        scenario.stages = stages;
        scenario
    }

    fn stages(pairs: &[(f64, f64)]) -> Vec<Stage> {
        pairs.iter().map(|&(duration_s, rate_per_sec)| Stage { duration_s, rate_per_sec }).collect()
    }

    /// Every send time of the round, in order.
    fn offsets(scenario: &Scenario, duration_s: f64) -> Vec<f64> {
        let schedule = OpenSchedule::new(scenario, duration_s);
        let all: Vec<f64> = (0..).map_while(|k| schedule.send_time(k)).collect();
        assert_eq!(all.len() as u64, schedule.len());
        all
    }

    /// The schedule as it was laid out in advance before it became lazy: the oracle.
    fn eager_schedule(scenario: &Scenario, duration_s: f64) -> Vec<f64> {
        if let Some(rate) = scenario.rate_per_sec {
            let count = (rate * duration_s).floor() as usize;
            return (0..count).map(|i| i as f64 / rate).collect();
        }
        let mut offsets = Vec::new();
        let (mut start, mut from, mut arrived) = (0.0_f64, 0.0_f64, 0.0_f64);
        for stage in &scenario.stages {
            let (to, length) = (stage.rate_per_sec, stage.duration_s);
            let slope = (to - from) / length;
            let in_stage = (from + to) / 2.0 * length;
            let mut next = offsets.len() as f64;
            while next < arrived + in_stage {
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

    fn assert_same_as_eager(scenario: &Scenario, duration_s: f64) {
        let (lazy, eager) = (offsets(scenario, duration_s), eager_schedule(scenario, duration_s));
        assert_eq!(lazy.len(), eager.len(), "{:?} {:?} for {duration_s} s", scenario.rate_per_sec, scenario.stages);
        for (k, (lazy, eager)) in lazy.iter().zip(&eager).enumerate() {
            assert_eq!(lazy.to_bits(), eager.to_bits(), "send {k}: {lazy} != {eager}");
        }
    }

    #[test]
    fn a_constant_rate_spaces_sends_evenly() {
        assert_eq!(offsets(&scenario(Some(4.0), vec![]), 2.0), [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]);
        assert_eq!(OpenSchedule::new(&scenario(Some(4.0), vec![]), 2.0).send_time(8), None);
    }

    #[test]
    fn a_ramp_sends_as_many_as_its_area_and_speeds_up() {
        // 0 -> 100/s over 2 s: 100 arrivals, then 100/s for 1 s: 100 more.
        let schedule = offsets(&scenario(None, stages(&[(2.0, 100.0), (1.0, 100.0)])), 3.0);
        assert!((199..=200).contains(&schedule.len()), "{}", schedule.len());
        assert!(schedule.windows(2).all(|w| w[0] <= w[1]));
        let gaps: Vec<f64> = schedule.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps[5] > gaps[90], "the rate rises during the ramp");
        assert!((gaps[150] - 0.01).abs() < 1e-9, "then holds at 100/s");
        assert!(schedule.iter().all(|t| *t < 3.0));
    }

    #[test]
    fn the_lazy_schedule_is_the_eager_one_send_for_send() {
        for (rate, seconds) in [(4.0, 2.0), (1.0, 1.0), (3.0, 1.0), (0.7, 10.0), (1000.0, 3.5), (333.3, 1.7)] {
            assert_same_as_eager(&scenario(Some(rate), vec![]), seconds);
        }
        let table: &[(&[(f64, f64)], f64)] = &[
            (&[(2.0, 100.0), (1.0, 100.0)], 3.0),
            // The round ends inside a stage, or after the stages.
            (&[(2.0, 100.0), (1.0, 100.0)], 2.5),
            (&[(2.0, 100.0), (1.0, 100.0)], 9.0),
            // Up, hold, down to 0, and a stage at rate 0 in the middle.
            (&[(1.0, 50.0), (2.0, 50.0), (1.0, 0.0), (0.5, 0.0), (1.5, 80.0)], 6.0),
            // Down from a high rate, then up again; a fractional area.
            (&[(0.3, 900.0), (0.7, 10.0), (1.1, 333.3)], 2.1),
            (&[(3.0, 7.0)], 3.0),
            (&[(0.5, 1.0)], 0.5),
            (&[(10.0, 1.0), (10.0, 2.0)], 20.0),
        ];
        for (pairs, seconds) in table {
            assert_same_as_eager(&scenario(None, stages(pairs)), *seconds);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn the_lazy_constant_rate_matches_the_eager_one(rate in 0.01_f64..2000.0, seconds in 0.01_f64..10.0) {
            assert_same_as_eager(&scenario(Some(rate), vec![]), seconds);
        }

        #[test]
        fn the_lazy_ramp_matches_the_eager_one(
            pairs in prop::collection::vec((0.05_f64..4.0, prop_oneof![Just(0.0), 0.5_f64..600.0]), 1..6),
            cut in prop_oneof![Just(1.0), 0.1_f64..1.5],
        ) {
            let total: f64 = pairs.iter().map(|(d, _)| d).sum();
            assert_same_as_eager(&scenario(None, stages(&pairs)), total * cut);
        }
    }

    #[test]
    fn the_longest_round_at_the_highest_rate_is_computed_without_allocating() {
        // 10^6/s for 24 h: 8.64 * 10^10 sends, which laid out in advance took 691 GB.
        let constant = scenario(Some(MAX_RATE_PER_SEC), vec![]);
        let (schedule, bytes) = allocated_by(|| OpenSchedule::new(&constant, MAX_SECONDS));
        assert_eq!(bytes, 0);
        assert_eq!(schedule.len(), 86_400_000_000);
        let (times, bytes) = allocated_by(|| {
            (
                schedule.send_time(1_000_000_000),
                schedule.send_time(schedule.len() - 1),
                schedule.send_time(schedule.len()),
            )
        });
        assert_eq!(bytes, 0);
        assert_eq!(times, (Some(1000.0), Some(86_399.999_999), None));
        // The same as a ramp: one segment per stage, whatever the rate.
        let ramp =
            scenario(None, stages(&[(MAX_SECONDS / 2.0, MAX_RATE_PER_SEC), (MAX_SECONDS / 2.0, MAX_RATE_PER_SEC)]));
        let (schedule, bytes) = allocated_by(|| OpenSchedule::new(&ramp, MAX_SECONDS));
        assert!(bytes <= 2 * std::mem::size_of::<Segment>(), "{bytes} bytes");
        assert_eq!(schedule.len(), 64_800_000_000);
        let middle = schedule.send_time(21_600_000_000).unwrap();
        assert!((middle - MAX_SECONDS / 2.0).abs() < 1e-6, "{middle}");
        assert!(schedule.send_time(schedule.len() - 1).unwrap() < MAX_SECONDS);
    }

    #[test]
    fn a_round_keeps_one_histogram_per_thread_not_per_user() {
        // 1,000 users in a round that ends at once: no request is sent, so nothing is timed, and
        // every task runs on this thread, where the allocations are counted.
        let target = Arc::new(Target {
            address: "127.0.0.1:9".to_owned(),
            host: "127.0.0.1:9".to_owned(),
            tls: None,
            requests: vec![Prepared {
                method: http::Method::GET,
                target: "/".to_owned(),
                headers: Vec::new(),
                body: Bytes::new(),
            }],
            mix: vec![0],
        });
        let load =
            Load::Closed { users: 1000, ramp_up: Duration::ZERO, think: Duration::ZERO, duration: Duration::ZERO };
        let success: Arc<dyn Fn(u16) -> bool + Send + Sync> = Arc::new(|_| true);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let histogram_bytes = allocated_by(new_histogram).1;
        let (stats, bytes) = allocated_by(|| {
            let share =
                run_share(target, load, Duration::from_secs(1), success, Arc::default(), Instant::now(), (0, 1));
            tokio::task::LocalSet::new().block_on(&runtime, share)
        });
        assert_eq!(stats.counts.attempts, 0);
        // A task costs a few kB; a histogram per user would be 1000 of them.
        assert!(bytes < 50 * histogram_bytes, "{bytes} bytes for 1000 users, a histogram is {histogram_bytes}");
    }

    #[test]
    fn sends_cycle_through_the_mix() {
        let prepared = |path: &str| Prepared {
            method: http::Method::GET,
            target: path.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
        };
        let target = Target {
            address: String::new(),
            host: String::new(),
            tls: None,
            requests: vec![prepared("/a"), prepared("/b")],
            mix: vec![0, 0, 1],
        };
        let paths: Vec<&str> = (0..7).map(|k| target.request(k).target.as_str()).collect();
        assert_eq!(paths, ["/a", "/a", "/b", "/a", "/a", "/b", "/a"]);
        assert_eq!(target.request(86_400_000_000 + 2).target, "/b");
    }
}
