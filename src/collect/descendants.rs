//! Every process perf-gate starts, and the processes those start in turn: none may outlive the
//! run that started it, nor perf-gate.
//!
//! Process groups reach a child's ordinary descendants, but not a daemon (it calls `setsid` and
//! its parent exits: the double fork), and nothing at all once perf-gate is killed with SIGKILL.
//! On Linux, kernel mechanisms close most of that gap:
//!
//! - perf-gate and the command launcher are *child subreapers*: a descendant whose parent exits
//!   is reparented to the nearest of them instead of to init, so [`sweep`] finds the daemons
//!   among its own children, ends them and reaps them when the run that started them is torn
//!   down;
//! - every process perf-gate starts gets a *parent-death signal*, SIGKILL ([`die_with_parent`]),
//!   so that even SIGKILL of perf-gate ends its direct children;
//! - the command launcher gets SIGTERM instead ([`on_parent_death`]), and outlives perf-gate
//!   long enough to kill its command and sweep what the command daemonized.
//!
//! What that leaves after SIGKILL of perf-gate: the children of a service, of cargo (the bench
//! executable under `cargo bench`), of a prepare command or a hook, and the daemons perf-gate had
//! adopted from them, are reparented past perf-gate, to init or the next subreaper up, and
//! nothing of perf-gate is left to end them: a parent-death signal reaches one generation and is
//! not inherited. Only a PID namespace or a cgroup would take those down with perf-gate (run it
//! in a container, or a systemd scope, for that); a normal end, an error, a panic or an
//! interrupt leaves nothing.

use std::io;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

/// How long adopted orphans get between SIGTERM and SIGKILL where nothing configures it: after a
/// command, prepare, hook or bench run.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(1);

/// How long [`sweep`] waits past its grace for SIGKILLed orphans to be reaped: a process stuck in
/// the kernel (uninterruptible sleep) cannot be waited for forever.
#[cfg(target_os = "linux")]
const REAP_LIMIT: Duration = Duration::from_secs(5);

/// Whether this process is a child subreaper, so that its children other than the ones it
/// spawned are adopted orphans. Without it (unit tests, other systems) [`sweep`] does nothing.
#[cfg(target_os = "linux")]
static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// How many [`Child`]ren are alive or not yet reaped. While any is, [`sweep`] waits: an adopted
/// orphan cannot be traced back to the child it came from, and may belong to a live one (a
/// service's daemon, during a scenario's hook).
static WAITED: AtomicUsize = AtomicUsize::new(0);

/// Makes this process a child subreaper (Linux; elsewhere nothing). Not inherited by children,
/// so a service's own orphans come to perf-gate only when their parents exit.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with integer arguments only; it touches no memory of ours.
        let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0) };
        SUBREAPER.store(result == 0, Ordering::SeqCst);
    }
}

/// Has `command`'s process receive SIGKILL when its parent dies, SIGKILL of perf-gate included
/// (Linux; elsewhere nothing).
///
/// The kernel sends it when the *thread* that forked exits, not the process. That is correct
/// here because perf-gate spawns every process from its main thread, which lives as long as the
/// process; the threads that may end earlier (load, sampling, output readers, the Ctrl-C
/// handler) spawn none. A unit test's thread waits for what it spawns before it ends.
pub fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the hook runs between fork and exec and calls only async-signal-safe functions
        // (prctl, getppid, _exit); it allocates nothing.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent died between fork and prctl: the signal will never come, so go now.
                if libc::getppid() != parent {
                    libc::_exit(127);
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// Set by [`on_parent_death`]'s handler in the command launcher.
static PARENT_DIED: AtomicBool = AtomicBool::new(false);
/// The command that handler kills, once spawned.
static WATCHED_CHILD: AtomicI32 = AtomicI32::new(0);

/// For the command launcher, instead of [`die_with_parent`] on its command: when perf-gate dies
/// (even by SIGKILL), the launcher is not killed but gets SIGTERM, on which it kills its command
/// (see [`kill_on_parent_death`]); then it sweeps what the command daemonized, adopted by the
/// launcher, and exits. That reaches the command's whole tree, where a parent-death signal set
/// in the command would reach only the command, and spawning the command keeps std's
/// `posix_spawn` path (a `pre_exec` hook would force a fork, a few tens of µs more in every
/// timed run). Linux; elsewhere nothing.
///
/// perf-gate started the launcher with [`die_with_parent`]'s SIGKILL: until this replaces it,
/// perf-gate's death kills the launcher before it has started anything, so there is no gap.
pub fn on_parent_death() {
    #[cfg(target_os = "linux")]
    {
        extern "C" fn handle(_: libc::c_int) {
            // Only atomics and kill(2): async-signal-safe.
            PARENT_DIED.store(true, Ordering::SeqCst);
            let child = WATCHED_CHILD.load(Ordering::SeqCst);
            if child > 0 {
                // SAFETY: kill(2) of the launcher's own child, not yet reaped.
                unsafe { libc::kill(child, libc::SIGKILL) };
            }
        }
        // SAFETY: a zeroed sigaction is valid; the handler is an extern "C" fn(c_int).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handle as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong, 0, 0, 0);
        }
    }
}

/// The child [`on_parent_death`] kills; killed at once if the parent already died.
pub fn kill_on_parent_death(pid: i32) {
    WATCHED_CHILD.store(pid, Ordering::SeqCst);
    if parent_died() {
        // SAFETY: kill(2) of our own child, not yet reaped.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Whether [`on_parent_death`]'s signal came.
pub fn parent_died() -> bool {
    PARENT_DIED.load(Ordering::SeqCst)
}

/// A child perf-gate waits for: spawned in a process group of its own with
/// [`die_with_parent`], and counted until it is reaped (see [`WAITED`]).
pub struct Child {
    inner: std::process::Child,
    counted: bool,
}

impl Child {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn_in_group(command: &mut Command) -> io::Result<Child> {
        std::os::unix::process::CommandExt::process_group(command, 0);
        die_with_parent(command);
        let inner = command.spawn()?;
        WAITED.fetch_add(1, Ordering::SeqCst);
        Ok(Child { inner, counted: true })
    }

    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// Its stdout and stderr, those that were piped.
    pub fn take_output(&mut self) -> Vec<Box<dyn io::Read + Send>> {
        let stdout = self.inner.stdout.take().map(|s| Box::new(s) as Box<dyn io::Read + Send>);
        let stderr = self.inner.stderr.take().map(|s| Box::new(s) as Box<dyn io::Read + Send>);
        stdout.into_iter().chain(stderr).collect()
    }

    pub fn kill(&mut self) {
        let _ = self.inner.kill();
    }

    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let status = self.inner.try_wait();
        if let Ok(Some(_)) = status {
            self.reaped();
        }
        status
    }

    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.inner.wait();
        if status.is_ok() {
            self.reaped();
        }
        status
    }

    fn reaped(&mut self) {
        if std::mem::take(&mut self.counted) {
            WAITED.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Not waited for any more: if it still runs, it is the sweep's like any orphan.
        self.reaped();
    }
}

/// Ends the orphans this process adopted as a subreaper: SIGTERM, up to `grace` for them to
/// exit, then SIGKILL, each reaped so that no zombie stays. An orphan's own children become
/// orphans in turn as it dies, so it looks again until none is left. Does nothing while a
/// [`Child`] is not yet reaped (they may be its), nor where this process is no subreaper.
///
/// Called at every teardown point: after a command, prepare, hook or bench run, when a service
/// stops, in the launcher after its command, and once more before perf-gate exits.
pub fn sweep(grace: Duration) {
    #[cfg(target_os = "linux")]
    if SUBREAPER.load(Ordering::SeqCst) && WAITED.load(Ordering::SeqCst) == 0 {
        sweep_orphans(grace);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = grace;
}

#[cfg(target_os = "linux")]
fn sweep_orphans(grace: Duration) {
    let started = std::time::Instant::now();
    let mut terminated = Vec::new();
    loop {
        let orphans: Vec<i32> = children().into_iter().filter(|pid| !reap(*pid)).collect();
        if orphans.is_empty() || started.elapsed() > grace + REAP_LIMIT {
            return;
        }
        let late = started.elapsed() >= grace;
        for pid in orphans {
            // SAFETY: kill(2) of our own unreaped child: its pid cannot have been reused.
            if late {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            } else if !terminated.contains(&pid) {
                unsafe { libc::kill(pid, libc::SIGTERM) };
                terminated.push(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reaps `pid` if it has exited; whether it did.
#[cfg(target_os = "linux")]
fn reap(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid of one pid, writing only to the local status.
    unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) == pid }
}

/// The pids of this process's children, from the parent field of every /proc/PID/stat (a
/// subreaper's adopted children are not necessarily listed under the thread that forked).
#[cfg(target_os = "linux")]
fn children() -> Vec<i32> {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The parent is the second field after the command name, which may hold spaces.
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)) == Some(me.as_str())
        })
        .collect()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_parent_death_signal_comes_when_the_spawning_thread_ends() {
        // Why every spawn must stay on a thread that outlives its child: the kernel ties the
        // signal to the thread that forked, not to the process.
        let mut child = std::thread::spawn(|| {
            let mut command = Command::new("sleep");
            command.arg("30");
            die_with_parent(&mut command);
            command.spawn().unwrap()
        })
        .join()
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the child outlived the thread that spawned it by 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGKILL));
    }
}
