//! A started service: its own process group, output to a log file, readiness, resource
//! sampling from /proc, and a stop (SIGTERM, a grace period, SIGKILL to the whole group, then
//! the same for what it daemonized) that also runs on drop, so no error, panic or interrupt
//! leaves it running.

use std::fs::File;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::load::{self, Target};
use crate::collect::descendants::{self, Child};
use crate::interrupt;

/// A running service.
pub struct Running {
    child: Child,
    pgid: i32,
    grace: Duration,
    sampler: Option<Sampler>,
    stopped: bool,
}

/// Why a service is not usable.
#[derive(Debug)]
pub enum StartFailure {
    Spawn(std::io::Error),
    /// It exited before it was ready.
    Exited(String),
    /// Not ready in time; what the last check saw.
    NotReady(String),
    Interrupted,
}

impl Running {
    /// Starts `command` in its own group, its output appended to `log`.
    pub fn start(mut command: Command, log: &Path, grace: Duration) -> Result<Running, StartFailure> {
        let out = File::options().create(true).append(true).open(log).map_err(StartFailure::Spawn)?;
        let err = out.try_clone().map_err(StartFailure::Spawn)?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = Child::spawn_in_group(&mut command).map_err(StartFailure::Spawn)?;
        let pgid = i32::try_from(child.id()).unwrap_or(0);
        Ok(Running { child, pgid, grace, sampler: None, stopped: false })
    }

    /// Waits until `probe` succeeds, the service exits, or `timeout` passes.
    pub fn wait_ready(&mut self, probe: &Probe, timeout: Duration) -> Result<(), StartFailure> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(StartFailure::Exited(status.to_string()));
            }
            if interrupt::requested() {
                return Err(StartFailure::Interrupted);
            }
            let attempt = probe.ready();
            match attempt {
                Ok(()) => return Ok(()),
                Err(last) if Instant::now() >= deadline => return Err(StartFailure::NotReady(last)),
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the service has exited.
    pub fn exited(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(|status| status.to_string())
    }

    /// Starts sampling the group's memory and CPU time every `every`.
    pub fn sample(&mut self, every: Duration) {
        self.sampler = Some(Sampler::start(self.pgid, every));
    }

    /// The samples taken since `since` (an index returned by [`Running::sample_count`]).
    pub fn samples_since(&self, since: usize) -> Vec<Sample> {
        self.sampler
            .as_ref()
            .map(|s| s.samples.lock().map(|v| v[since.min(v.len())..].to_vec()).unwrap_or_default())
            .unwrap_or_default()
    }

    pub fn sample_count(&self) -> usize {
        self.sampler.as_ref().map_or(0, |s| s.samples.lock().map(|v| v.len()).unwrap_or(0))
    }

    /// Takes one sample now, so that a round's first and last CPU readings are exact.
    pub fn sample_now(&self) {
        if let Some(sampler) = &self.sampler {
            if let Some(sample) = read_group(self.pgid, sampler.started) {
                if let Ok(mut samples) = sampler.samples.lock() {
                    samples.push(sample);
                }
            }
        }
    }

    fn signal(&self, signal: i32) {
        if self.pgid > 0 {
            // SAFETY: kill(2) on the process group this service was started in.
            unsafe {
                libc::kill(-self.pgid, signal);
            }
        }
    }

    /// SIGTERM to the group, up to the grace period, then SIGKILL to whatever is left; then the
    /// same for the daemons it left to perf-gate, after the group: they may serve it until it
    /// ends. Once: a group id is free for reuse after that, and must not be signalled again.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if let Some(sampler) = self.sampler.take() {
            sampler.finish();
        }
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline && group_alive(self.pgid) {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal(libc::SIGKILL);
        self.child.kill();
        let _ = self.child.wait();
        descendants::sweep(self.grace);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether any process of group `pgid` is left (zombies awaiting their reaper count as gone).
fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists and may be signalled.
    pgid > 0 && unsafe { libc::kill(-pgid, 0) } == 0 && group_pids(pgid).iter().any(|pid| !is_zombie(*pid))
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// The fields of /proc/PID/stat after the command name, which may hold spaces and parentheses.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn group_pids(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        // Field 5 of stat, the third after the name: the process group.
        .filter(|pid| stat_fields(*pid).and_then(|f| f.get(2)?.parse::<i32>().ok()) == Some(pgid))
        .collect()
}

/// One reading of the service's process group.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since sampling started.
    pub at: f64,
    pub rss_bytes: f64,
    pub cpu_seconds: f64,
}

fn read_group(pgid: i32, started: Instant) -> Option<Sample> {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    // SAFETY: as above.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as f64;
    let mut rss = 0.0;
    let mut cpu = 0.0;
    let mut any = false;
    for pid in group_pids(pgid) {
        let Some(fields) = stat_fields(pid) else { continue };
        // utime, stime: fields 14, 15; rss in pages: field 24 (counting from the pid as 1).
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        cpu += (field(14) + field(15)) / ticks;
        rss += field(24) * page;
        any = true;
    }
    any.then(|| Sample { at: started.elapsed().as_secs_f64(), rss_bytes: rss, cpu_seconds: cpu })
}

struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    started: Instant,
}

impl Sampler {
    fn start(pgid: i32, every: Duration) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let thread = {
            let (samples, done) = (samples.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if let Some(sample) = read_group(pgid, started) {
                        if let Ok(mut all) = samples.lock() {
                            all.push(sample);
                        }
                    }
                    std::thread::sleep(every);
                }
            })
        };
        Sampler { samples, done, thread: Some(thread), started }
    }

    fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How to tell that a service is ready.
pub enum Probe {
    /// A `GET` of this target answers 2xx.
    Http(Target),
    /// This `host:port` accepts connections.
    Tcp(String),
}

impl Probe {
    /// Ready, or what the last attempt saw.
    fn ready(&self) -> Result<(), String> {
        match self {
            Probe::Tcp(address) => connect(address).map(drop).ok_or_else(|| "nothing accepts connections".to_owned()),
            Probe::Http(target) => match load::probe_status(target, Duration::from_secs(2))? {
                200..=299 => Ok(()),
                status => Err(format!("it answered {status}")),
            },
        }
    }
}

/// Whether something already answers at `address`: a port that is taken before the service
/// starts would have the load measure a stranger.
pub fn answers(address: &str) -> bool {
    connect(address).is_some()
}

fn connect(address: &str) -> Option<TcpStream> {
    let addresses = address.to_socket_addrs().ok()?;
    addresses.into_iter().find_map(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).ok())
}

/// A free TCP port on 127.0.0.1, for `{port}`.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `<dir>/service-<name>.log`.
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("service-{name}.log"))
}
