//! The workspace (through `cargo metadata`) and its bench targets, built and run with
//! `cargo bench`.
//!
//! Benches run one target at a time with an explicit `--bench NAME`: cargo then never runs a
//! libtest harness (whose argument parser rejects criterion's options), and each benchmark can
//! be attributed to the target that wrote it.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cargo_metadata::{Metadata, MetadataCommand, TargetKind};

use super::{descendants, tail_text};
use crate::interrupt;

/// The parts of a cargo workspace perf-gate needs.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub manifest_path: Option<PathBuf>,
    pub members: Vec<Package>,
    /// Packages chosen when no `-p` is given: the manifest's own package, or the default
    /// members of a virtual manifest.
    pub default_members: Vec<String>,
    /// criterion version(s) resolved in the lock file, e.g. `0.8.2`.
    pub criterion: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub benches: Vec<BenchTarget>,
    /// What the `default` feature enables, one level deep.
    pub default_features: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchTarget {
    pub package: String,
    pub name: String,
    pub required_features: Vec<String>,
    /// The package's directory: cargo runs benches from there.
    pub manifest_dir: PathBuf,
}

/// A built bench target's executable.
#[derive(Debug, Clone)]
pub struct Executable {
    pub target: BenchTarget,
    pub path: PathBuf,
}

/// Feature flags, forwarded to cargo as given.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
}

impl Features {
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.features.is_empty() {
            args.push("--features".to_owned());
            args.push(self.features.join(","));
        }
        if self.all_features {
            args.push("--all-features".to_owned());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        args
    }

    /// Whether `target`'s required features are on, as far as flags and default features tell.
    fn enable(&self, target: &BenchTarget, package: &Package) -> bool {
        if self.all_features {
            return true;
        }
        let mut enabled: Vec<&str> = self
            .features
            .iter()
            .flat_map(|list| list.split([',', ' ']))
            .filter_map(|feature| match feature.split_once('/') {
                Some((pkg, feature)) => (pkg == package.name).then_some(feature),
                None => Some(feature),
            })
            .collect();
        if !self.no_default_features {
            enabled.extend(package.default_features.iter().map(String::as_str));
        }
        target.required_features.iter().all(|required| enabled.contains(&required.as_str()))
    }
}

/// A workspace or selection problem: bad input, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("cannot read the cargo workspace{}: {message}", manifest.as_ref().map(|m| format!(" at {}", m.display())).unwrap_or_default())]
    Metadata { manifest: Option<PathBuf>, message: String },
    #[error("package `{name}` is not a member of the workspace; members: {}", members.join(", "))]
    UnknownPackage { name: String, members: Vec<String> },
    #[error("no bench target named `{name}` in {}; bench targets: {}", packages.join(", "), if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    UnknownBench { name: String, packages: Vec<String>, available: Vec<String> },
    #[error("no bench targets to run in {}: add a `[[bench]]` with `harness = false` that uses criterion, or pick packages with -p", packages.join(", "))]
    NoBenches { packages: Vec<String> },
}

/// A bench that could not be built or run: exit code 3, or 130 when interrupted.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot start `{command}`: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("{what} failed ({status}){}", tail_text(tail))]
    Failed { what: String, status: String, tail: Vec<String> },
    #[error("interrupted")]
    Interrupted,
    #[error("cargo built bench `{bench}` of package `{package}` but named no executable for it")]
    NoExecutable { bench: String, package: String },
}

impl Workspace {
    /// Reads the workspace with `cargo metadata`. Dependencies are resolved (the lock file
    /// says which criterion is used, and is written here when missing), which needs no network
    /// once they are fetched.
    pub fn load(manifest_path: Option<&Path>) -> Result<Workspace, WorkspaceError> {
        Workspace::read(manifest_path, false)
    }

    /// The workspace around the current directory, if there is one, for reading results only:
    /// nothing is built, so dependencies are not resolved (`cargo metadata --no-deps`, a tenth of
    /// the time) and criterion's version comes from an existing lock file. Outside any package
    /// no cargo runs at all.
    pub fn around_current_dir() -> Option<Workspace> {
        let cwd = std::env::current_dir().ok()?;
        cwd.ancestors().any(|dir| dir.join("Cargo.toml").is_file()).then(|| Workspace::read(None, true).ok())?
    }

    fn read(manifest_path: Option<&Path>, no_deps: bool) -> Result<Workspace, WorkspaceError> {
        let mut command = MetadataCommand::new();
        if let Some(path) = manifest_path {
            command.manifest_path(path);
        }
        if no_deps {
            command.no_deps();
        }
        let metadata = metadata(&command).map_err(|e| WorkspaceError::Metadata {
            manifest: manifest_path.map(Path::to_owned),
            message: metadata_message(&e),
        })?;
        Ok(Workspace::from_metadata(&metadata, manifest_path))
    }

    fn from_metadata(metadata: &Metadata, manifest_path: Option<&Path>) -> Workspace {
        let members: Vec<Package> = metadata
            .workspace_packages()
            .into_iter()
            .map(|package| Package {
                name: package.name.to_string(),
                benches: package
                    .targets
                    .iter()
                    .filter(|t| t.kind.contains(&TargetKind::Bench))
                    .map(|t| BenchTarget {
                        package: package.name.to_string(),
                        name: t.name.clone(),
                        required_features: t.required_features.clone(),
                        manifest_dir: package
                            .manifest_path
                            .parent()
                            .map_or_else(PathBuf::new, |dir| dir.to_path_buf().into_std_path_buf()),
                    })
                    .collect(),
                default_features: package.features.get("default").cloned().unwrap_or_default(),
            })
            .collect();
        let default_members = match metadata.root_package() {
            Some(root) => vec![root.name.to_string()],
            None if metadata.workspace_default_members.is_available() => {
                metadata.workspace_default_packages().iter().map(|p| p.name.to_string()).collect()
            }
            None => members.iter().map(|p| p.name.clone()).collect(),
        };
        let root = metadata.workspace_root.clone().into_std_path_buf();
        // The lock file, not the resolved packages, so that `--no-deps` knows it too.
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
        Workspace {
            criterion: locked_versions(&lock, "criterion"),
            root,
            target_dir: metadata.target_directory.clone().into_std_path_buf(),
            manifest_path: manifest_path.map(Path::to_owned),
            members,
            default_members,
        }
    }

    /// The bench targets to run, and those skipped with the reason.
    pub fn select(
        &self,
        packages: &[String],
        all_members: bool,
        benches: &[String],
        features: &Features,
    ) -> Result<Selection, WorkspaceError> {
        let names: Vec<String> = if all_members {
            self.members.iter().map(|p| p.name.clone()).collect()
        } else if packages.is_empty() {
            self.default_members.clone()
        } else {
            packages.to_vec()
        };
        let mut chosen = Vec::new();
        for name in &names {
            let package =
                self.members.iter().find(|p| &p.name == name).ok_or_else(|| WorkspaceError::UnknownPackage {
                    name: name.clone(),
                    members: self.members.iter().map(|p| p.name.clone()).collect(),
                })?;
            chosen.push(package);
        }
        for bench in benches {
            if !chosen.iter().any(|p| p.benches.iter().any(|b| &b.name == bench)) {
                return Err(WorkspaceError::UnknownBench {
                    name: bench.clone(),
                    packages: names.clone(),
                    available: chosen.iter().flat_map(|p| p.benches.iter().map(|b| b.name.clone())).collect(),
                });
            }
        }
        let mut selection = Selection::default();
        for package in chosen {
            for target in &package.benches {
                let named = benches.contains(&target.name);
                if !benches.is_empty() && !named {
                    continue;
                }
                // A target named explicitly goes to cargo even with features off, so that
                // cargo's own error says which features it needs.
                if named || features.enable(target, package) {
                    selection.benches.push(target.clone());
                } else {
                    let reason = format!("requires features {}", target.required_features.join(", "));
                    selection.skipped.push((target.clone(), reason));
                }
            }
        }
        if selection.benches.is_empty() {
            return Err(WorkspaceError::NoBenches { packages: names });
        }
        Ok(selection)
    }
}

/// The versions of package `name` in a `Cargo.lock`, sorted and joined (`0.5.1, 0.8.2`), or
/// `None` when it has none. Lock files list each package as a `[[package]]` table whose
/// `name` and `version` lines come first (every lock file version cargo has written).
fn locked_versions(lock: &str, name: &str) -> Option<String> {
    let quoted = |line: &str, key: &str| {
        let value = line.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
        value.strip_prefix('"')?.strip_suffix('"').map(str::to_owned)
    };
    let mut versions = Vec::new();
    let mut current: Option<String> = None;
    for line in lock.lines().map(str::trim) {
        if line.starts_with('[') {
            current = None;
        } else if let Some(package) = quoted(line, "name") {
            current = Some(package);
        } else if let Some(version) = quoted(line, "version").filter(|_| current.as_deref() == Some(name)) {
            versions.push(version);
        }
    }
    versions.sort();
    versions.dedup();
    (!versions.is_empty()).then(|| versions.join(", "))
}

/// `cargo metadata`, run as [`MetadataCommand::exec`] runs it but dying with perf-gate.
fn metadata(command: &MetadataCommand) -> Result<Metadata, cargo_metadata::Error> {
    let mut cargo = command.cargo_command();
    descendants::die_with_parent(&mut cargo);
    let output = cargo.output()?;
    if !output.status.success() {
        return Err(cargo_metadata::Error::CargoMetadata { stderr: String::from_utf8(output.stderr)? });
    }
    let stdout = std::str::from_utf8(&output.stdout)?;
    MetadataCommand::parse(stdout.lines().find(|line| line.starts_with('{')).ok_or(cargo_metadata::Error::NoJson)?)
}

/// cargo's own error text is the useful part of a metadata failure.
fn metadata_message(error: &cargo_metadata::Error) -> String {
    match error {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            stderr.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ").trim().to_owned()
        }
        other => other.to_string(),
    }
}

/// Bench targets chosen to run.
#[derive(Debug, Default)]
pub struct Selection {
    pub benches: Vec<BenchTarget>,
    pub skipped: Vec<(BenchTarget, String)>,
}

/// How cargo's and the benches' output is shown.
pub struct OutputSink {
    /// Stream child output to stderr.
    pub stream: bool,
    /// Every line also goes here (`<out-dir>/bench.log`).
    pub log: Option<File>,
    /// Shows the benchmark being measured when the output is not streamed.
    pub progress: Option<indicatif::ProgressBar>,
    /// Every line is also kept here while it is `Some`.
    pub captured: Option<Vec<String>>,
}

/// Runs cargo for one workspace.
pub struct Cargo<'a> {
    pub workspace: &'a Workspace,
    pub features: &'a Features,
    /// Passed to the benches as `CRITERION_HOME`, so that what runs is what is collected.
    pub criterion_home: &'a Path,
    /// `--config` values for cargo: the stand-in's patch with `--measure instructions`.
    pub config: Vec<String>,
}

impl Cargo<'_> {
    fn command(&self, benches: &[&BenchTarget]) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command.arg("bench");
        if let Some(manifest) = &self.workspace.manifest_path {
            command.arg("--manifest-path").arg(manifest);
        }
        // Explicit, so that a baseline worktree builds in a target dir of its own whatever
        // CARGO_TARGET_DIR says.
        command.arg("--target-dir").arg(&self.workspace.target_dir);
        let mut packages: Vec<&str> = benches.iter().map(|b| b.package.as_str()).collect();
        packages.dedup();
        for package in packages {
            command.args(["--package", package]);
        }
        for bench in benches {
            command.args(["--bench", &bench.name]);
        }
        command.args(self.features.args());
        for value in &self.config {
            command.args(["--config", value]);
        }
        command.env("CRITERION_HOME", self.criterion_home);
        command
    }

    /// Builds every selected bench target without running it, and says where each one's
    /// executable is.
    pub fn build(&self, benches: &[BenchTarget], sink: &mut OutputSink) -> Result<Vec<Executable>, BenchError> {
        let mut command = self.command(&benches.iter().collect::<Vec<_>>());
        command.args(["--no-run", "--message-format=json-render-diagnostics"]);
        sink.captured = Some(Vec::new());
        let outcome = run_to_end(command, "building the benches", sink);
        let lines = sink.captured.take().unwrap_or_default();
        outcome?;
        let artifacts: Vec<cargo_metadata::Artifact> = lines
            .iter()
            .filter(|line| line.starts_with(CARGO_MESSAGE))
            .filter_map(|line| match serde_json::from_str(line) {
                Ok(cargo_metadata::Message::CompilerArtifact(artifact)) => Some(artifact),
                _ => None,
            })
            .collect();
        benches
            .iter()
            .map(|bench| {
                artifacts
                    .iter()
                    .find(|a| {
                        a.target.kind.contains(&TargetKind::Bench)
                            && a.target.name == bench.name
                            && a.manifest_path.parent().is_some_and(|dir| dir.as_std_path() == bench.manifest_dir)
                    })
                    .and_then(|a| a.executable.clone())
                    .map(|path| Executable { target: bench.clone(), path: path.into_std_path_buf() })
                    .ok_or_else(|| BenchError::NoExecutable {
                        bench: bench.name.clone(),
                        package: bench.package.clone(),
                    })
            })
            .collect()
    }

    /// The ids of the benchmarks a built bench target holds (criterion's `--list`), among
    /// those `bench_args` select.
    pub fn list(
        &self,
        bench: &BenchTarget,
        bench_args: &[String],
        sink: &mut OutputSink,
    ) -> Result<Vec<String>, BenchError> {
        let mut command = self.command(&[bench]);
        command.arg("--").args(bench_args).arg("--list");
        list_with(command, bench, sink)
    }

    /// Runs a built bench executable directly, as `cargo bench` would: from its package's
    /// directory, with `--bench` first and `bench_args` after.
    pub fn run_executable(
        &self,
        executable: &Executable,
        bench_args: &[String],
        sink: &mut OutputSink,
    ) -> Result<(), BenchError> {
        run_to_end(
            self.executable_command(executable, bench_args),
            &format!("bench `{}` of package `{}`", executable.target.name, executable.target.package),
            sink,
        )
    }

    /// The ids of the benchmarks a built executable holds among those `bench_args` select.
    pub fn list_executable(
        &self,
        executable: &Executable,
        bench_args: &[String],
        sink: &mut OutputSink,
    ) -> Result<Vec<String>, BenchError> {
        let mut command = self.executable_command(executable, bench_args);
        command.arg("--list");
        list_with(command, &executable.target, sink)
    }

    fn executable_command(&self, executable: &Executable, bench_args: &[String]) -> Command {
        let mut command = Command::new(&executable.path);
        command.arg("--bench").args(bench_args).current_dir(&executable.target.manifest_dir);
        command.env("CRITERION_HOME", self.criterion_home);
        command.env("CARGO_MANIFEST_DIR", &executable.target.manifest_dir);
        command.env("CARGO_PKG_NAME", &executable.target.package);
        command
    }

    /// Runs one bench target, passing `bench_args` to the executable.
    pub fn run(&self, bench: &BenchTarget, bench_args: &[String], sink: &mut OutputSink) -> Result<(), BenchError> {
        let mut command = self.command(&[bench]);
        if !bench_args.is_empty() {
            command.arg("--").args(bench_args);
        }
        run_to_end(command, &format!("bench `{}` of package `{}`", bench.name, bench.package), sink)
    }
}

/// The benchmark ids criterion's `--list` prints when `command` runs it, quietly.
fn list_with(command: Command, bench: &BenchTarget, sink: &mut OutputSink) -> Result<Vec<String>, BenchError> {
    sink.captured = Some(Vec::new());
    let stream = std::mem::replace(&mut sink.stream, false);
    let outcome = run_to_end(command, &format!("listing bench `{}` of package `{}`", bench.name, bench.package), sink);
    sink.stream = stream;
    let lines = sink.captured.take().unwrap_or_default();
    outcome?;
    Ok(listed_ids(&lines))
}

/// The benchmark ids in criterion's `--list` output: `ID: benchmark` since criterion 0.5,
/// `ID: bench` before (0.3, 0.4).
fn listed_ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| line.strip_suffix(": benchmark").or_else(|| line.strip_suffix(": bench")))
        .map(str::to_owned)
        .collect()
}

/// How cargo's JSON messages begin: they are parsed, never shown.
const CARGO_MESSAGE: &str = "{\"reason\":";

/// The user's bench arguments split into criterion's options (with their values) and its
/// positional filter words: the interleaved mode and the sharded run select benchmarks with
/// filters of their own, and an empty run names the filter that selected nothing.
pub fn split_filter(bench_args: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut options, mut filter) = (Vec::new(), Vec::new());
    let mut takes_value = false;
    for arg in bench_args {
        if takes_value || arg.starts_with('-') {
            takes_value = !takes_value && !arg.contains('=') && CRITERION_VALUE_OPTIONS.contains(&arg.as_str());
            options.push(arg.clone());
        } else {
            filter.push(arg.clone());
        }
    }
    (options, filter)
}

/// Criterion's options that take a value (`src/lib.rs`, `configure_from_args`).
const CRITERION_VALUE_OPTIONS: [&str; 18] = [
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
    "--profile-time",
    "-c",
    "--color",
];

/// A criterion filter (a regex over full ids) that matches exactly `ids`.
pub fn exact_filter(ids: &[String]) -> String {
    let escaped: Vec<String> = ids
        .iter()
        .map(|id| {
            id.chars()
                .flat_map(|c| {
                    let meta = "\\.+*?()|[]{}^$#&-~".contains(c);
                    meta.then_some('\\').into_iter().chain(std::iter::once(c))
                })
                .collect()
        })
        .collect();
    format!("^(?:{})$", escaped.join("|"))
}

/// Kills the child's whole process group when dropped, and sweeps what it daemonized, so that
/// neither an error, a panic nor an interrupt leaves a bench process running.
struct GroupGuard {
    child: descendants::Child,
}

impl GroupGuard {
    fn signal(&self, signal: i32) {
        #[cfg(unix)]
        {
            let Ok(pid) = i32::try_from(self.child.id()) else { return };
            // SAFETY: kill(2) with a negative pid signals the process group; no memory is shared.
            unsafe {
                libc::kill(-pid, signal);
            }
        }
        #[cfg(not(unix))]
        let _ = signal;
    }

    /// Asks the group to stop, waits up to `grace`, then kills it.
    fn stop(&mut self, grace: Duration) {
        #[cfg(unix)]
        self.signal(libc::SIGINT);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
        self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        // Also reaps stray grandchildren once the direct child has exited normally.
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
        self.child.kill();
        let _ = self.child.wait();
        descendants::sweep(descendants::ORPHAN_GRACE);
    }
}

const TAIL_LINES: usize = 30;

/// Runs `command` to completion, sending its output to `sink`.
fn run_to_end(mut command: Command, what: &str, sink: &mut OutputSink) -> Result<(), BenchError> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let display = format!("{command:?}");
    let mut child = descendants::Child::spawn_in_group(&mut command)
        .map_err(|source| BenchError::Spawn { command: display, source })?;
    let (sender, lines) = mpsc::channel::<String>();
    let readers: Vec<_> = child
        .take_output()
        .into_iter()
        .map(|stream| {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in super::lossy_lines(BufReader::new(stream)) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    drop(sender);
    let mut guard = GroupGuard { child };
    let mut tail = VecDeque::with_capacity(TAIL_LINES);
    let status: ExitStatus = loop {
        if interrupt::requested() {
            guard.stop(Duration::from_secs(5));
            return Err(BenchError::Interrupted);
        }
        match lines.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => sink.line(line, &mut tail),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Some(status) = guard.child.try_wait().ok().flatten() {
                    break status;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if let Ok(Some(status)) = guard.child.try_wait() {
            // Drain what the readers still hold before deciding.
            while let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
                sink.line(line, &mut tail);
            }
            break status;
        }
    };
    drop(guard);
    for reader in readers {
        let _ = reader.join();
    }
    if interrupt::requested() {
        return Err(BenchError::Interrupted);
    }
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::Failed { what: what.to_owned(), status: status.to_string(), tail: tail.into() })
    }
}

impl OutputSink {
    fn line(&mut self, line: String, tail: &mut VecDeque<String>) {
        if line.starts_with(CARGO_MESSAGE) {
            if let Some(captured) = &mut self.captured {
                captured.push(line);
            }
            return;
        }
        if let Some(log) = &mut self.log {
            let _ = writeln!(log, "{line}");
        }
        if self.stream {
            eprintln!("{line}");
        } else if let Some(progress) = &self.progress {
            if let Some(name) = line.strip_prefix("Benchmarking ").and_then(|rest| rest.split(':').next()) {
                progress.set_message(name.to_owned());
            }
        }
        if let Some(captured) = &mut self.captured {
            captured.push(line.clone());
        }
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(super::clip(&line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, benches: &[(&str, &[&str])], default_features: &[&str]) -> Package {
        Package {
            name: name.to_owned(),
            benches: benches
                .iter()
                .map(|(bench, required)| BenchTarget {
                    package: name.to_owned(),
                    name: (*bench).to_owned(),
                    required_features: required.iter().map(|f| (*f).to_owned()).collect(),
                    manifest_dir: PathBuf::new(),
                })
                .collect(),
            default_features: default_features.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    fn workspace() -> Workspace {
        Workspace {
            root: PathBuf::from("/ws"),
            target_dir: PathBuf::from("/ws/target"),
            manifest_path: None,
            members: vec![
                package("core", &[("parse", &[]), ("simd", &["simd"])], &[]),
                package("app", &[("e2e", &["fast"])], &["fast"]),
                package("docs", &[], &[]),
            ],
            default_members: vec!["core".to_owned()],
            criterion: None,
        }
    }

    #[test]
    fn list_output_of_every_criterion_line_gives_the_ids() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        // criterion 0.8 (and 0.5 on), then 0.4 (and 0.3), as base64 0.22's benches print it.
        let new = lines("parse/numbers: benchmark\nsort/insertion/256: benchmark\n\n");
        assert_eq!(listed_ids(&new), ["parse/numbers", "sort/insertion/256"]);
        let old = lines("encode_small_input/encode/3: bench\nencode_small_input/encode/50: bench\n");
        assert_eq!(listed_ids(&old), ["encode_small_input/encode/3", "encode_small_input/encode/50"]);
        // An id that itself ends in ": bench" keeps it.
        assert_eq!(listed_ids(&lines("odd: bench: benchmark")), ["odd: bench"]);
        assert!(listed_ids(&lines("Benchmarking x\nGnuplot not found")).is_empty());
    }

    #[test]
    fn criterion_versions_come_from_the_lock_file() {
        let v4 = "version = 4\n\n[[package]]\nname = \"criterion\"\nversion = \"0.8.2\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"criterion-plot\",\n]\n\n[[package]]\nname = \"criterion-plot\"\nversion = \"0.8.2\"\n\n[[package]]\nname = \"criterion\"\nversion = \"0.5.1\"\n";
        assert_eq!(locked_versions(v4, "criterion").as_deref(), Some("0.5.1, 0.8.2"));
        // Lock file version 1 ends with a [metadata] table of checksums naming packages too.
        let v1 = "[[package]]\nname = \"criterion\"\nversion = \"0.3.6\"\n\n[metadata]\n\"checksum criterion 0.3.6 (registry+x)\" = \"ab\"\n";
        assert_eq!(locked_versions(v1, "criterion").as_deref(), Some("0.3.6"));
        assert_eq!(locked_versions(v1, "serde"), None);
        assert_eq!(locked_versions("", "criterion"), None);
    }

    fn names(selection: &Selection) -> Vec<String> {
        selection.benches.iter().map(|b| format!("{}/{}", b.package, b.name)).collect()
    }

    #[test]
    fn default_members_and_required_features() {
        let selection = workspace().select(&[], false, &[], &Features::default()).unwrap();
        assert_eq!(names(&selection), ["core/parse"]);
        assert_eq!(selection.skipped.len(), 1);
        assert!(selection.skipped[0].1.contains("simd"));
        let features = Features { features: vec!["core/simd".to_owned()], ..Features::default() };
        assert_eq!(names(&workspace().select(&[], false, &[], &features).unwrap()), ["core/parse", "core/simd"]);
    }

    #[test]
    fn default_features_count_unless_disabled() {
        let ws = workspace();
        assert_eq!(names(&ws.select(&["app".to_owned()], false, &[], &Features::default()).unwrap()), ["app/e2e"]);
        let off = Features { no_default_features: true, ..Features::default() };
        assert!(matches!(ws.select(&["app".to_owned()], false, &[], &off), Err(WorkspaceError::NoBenches { .. })));
    }

    #[test]
    fn workspace_flag_and_bench_filter() {
        let all = Features { all_features: true, ..Features::default() };
        let ws = workspace();
        assert_eq!(names(&ws.select(&[], true, &[], &all).unwrap()), ["core/parse", "core/simd", "app/e2e"]);
        assert_eq!(names(&ws.select(&[], true, &["e2e".to_owned()], &all).unwrap()), ["app/e2e"]);
    }

    #[test]
    fn unknown_names_list_what_exists() {
        let ws = workspace();
        let error = ws.select(&["nope".to_owned()], false, &[], &Features::default()).unwrap_err().to_string();
        assert_eq!(error, "package `nope` is not a member of the workspace; members: core, app, docs");
        let error = ws.select(&[], false, &["pars".to_owned()], &Features::default()).unwrap_err().to_string();
        assert_eq!(error, "no bench target named `pars` in core; bench targets: parse, simd");
        let error = ws.select(&["docs".to_owned()], false, &[], &Features::default()).unwrap_err().to_string();
        assert!(error.starts_with("no bench targets to run in docs"), "{error}");
    }

    fn sink() -> OutputSink {
        OutputSink { stream: false, log: None, progress: None, captured: None }
    }

    #[test]
    fn failing_command_reports_status_and_tail() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo first; echo oops >&2; exit 7"]);
        let error = run_to_end(command, "the thing", &mut sink()).unwrap_err().to_string();
        assert!(error.starts_with("the thing failed (exit status: 7)"), "{error}");
        assert!(error.contains("    first") && error.contains("    oops"), "{error}");
    }

    #[test]
    fn the_users_filter_is_split_from_the_options() {
        let args: Vec<String> =
            ["--noise-threshold", "0.05", "sort", "--noplot", "--color=never", "-c", "always", "parse"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
        let (options, filter) = split_filter(&args);
        assert_eq!(options, ["--noise-threshold", "0.05", "--noplot", "--color=never", "-c", "always"]);
        assert_eq!(filter, ["sort", "parse"]);
    }

    #[test]
    fn exact_filters_escape_every_regex_metacharacter() {
        let ids = ["parse/1.5".to_owned(), "a+b (x|y) [z]".to_owned(), "^$*?{}#&-~\\".to_owned()];
        assert_eq!(
            exact_filter(&ids),
            "^(?:parse/1\\.5|a\\+b \\(x\\|y\\) \\[z\\]|\\^\\$\\*\\?\\{\\}\\#\\&\\-\\~\\\\)$"
        );
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let error = run_to_end(Command::new("/nonexistent/cargo"), "x", &mut sink()).unwrap_err();
        assert!(matches!(error, BenchError::Spawn { .. }), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn no_process_of_the_group_survives() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let mut command = Command::new("sh");
        // The grandchild ignores the end of its parent and would live on for a minute.
        command.arg("-c").arg(format!("sleep 60 & echo $! > {}; exit 0", pid_file.display()));
        run_to_end(command, "x", &mut sink()).unwrap();
        let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        // SAFETY: signal 0 only checks that the process exists.
        while unsafe { libc::kill(pid, 0) } == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_ne!(unsafe { libc::kill(pid, 0) }, 0, "grandchild {pid} still alive");
    }
}
