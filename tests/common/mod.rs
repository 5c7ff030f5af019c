//! Helpers shared by the integration tests: the real binary, fixture paths, redaction.

#![allow(dead_code, reason = "each test binary uses a different subset of the helpers")]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The real binary, invoked as cargo invokes it (`cargo-perf-gate perf-gate ...`), in `cwd`.
pub fn perf_gate(cwd: &Path) -> Command {
    let mut command = Command::cargo_bin("cargo-perf-gate").unwrap();
    command.arg("perf-gate").current_dir(cwd).env_remove("CRITERION_HOME").env_remove("CARGO_TARGET_DIR");
    // A test runs outside GitHub Actions unless it says otherwise, wherever CI runs it.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GITHUB_") {
            command.env_remove(name);
        }
    }
    command
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(path: &str) -> PathBuf {
    repo().join("tests/fixtures").join(path)
}

/// Collects a criterion baseline of the demo fixture into `out`, returning the results path.
pub fn collect_fixture(cwd: &Path, baseline: &str, out: &Path) -> PathBuf {
    perf_gate(cwd)
        .args(["run", "--no-run", "--quiet", "--criterion-baseline", baseline, "--criterion-dir"])
        .arg(fixture("criterion"))
        .arg("--out-dir")
        .arg(out)
        .arg("--config")
        .arg(fixture("configs/none.json"))
        .assert()
        .success();
    out.join("results.json")
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Replaces what changes from run to run in text outside snapshots: temp paths and versions.
pub fn redact(text: &str, temp: &Path) -> String {
    text.replace(&temp.display().to_string(), "[TEMP]")
        .replace(&repo().display().to_string(), "[REPO]")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

/// insta settings that also mask dates, commits and machine details.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]");
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[SHA]");
    settings.add_filter(r"\b\d+ (second|minute|hour|day)s? old\b", "[AGE] old");
    settings.set_snapshot_path(repo().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The target dir every demo build shares, so criterion is compiled once for all tests.
pub fn shared_target_dir() -> PathBuf {
    repo().join("target/demo-target")
}

/// A copy of the demo crate in a temp dir, renamed to package `demo_<tag>` and edited by `edit`.
///
/// cargo names build artifacts by package name and version, not by path, so copies sharing a
/// target dir need their own names or they overwrite each other's bench executables.
pub fn demo_copy(tag: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let demo = repo().join("examples/demo");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "benchmark-config.json",
        "src/lib.rs",
        "src/bin/demo_server.rs",
        "benches/demo_bench.rs",
    ] {
        let to = temp.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(demo.join(file), &to).unwrap();
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        let path = temp.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replacen("name = \"demo\"", &format!("name = \"demo_{tag}\""), 1);
        std::fs::write(&path, text.replacen("[lib]", "[lib]\nname = \"demo\"", 1)).unwrap();
    }
    edit(temp.path());
    temp
}

/// Makes the demo's `parse_numbers` do its work three times: a regression no noise hides.
pub fn slower_parse_numbers(demo: &Path) {
    let lib = demo.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    let slower = text.replacen(
        "pub fn parse_numbers(input: &[u8]) -> Option<Vec<u32>> {",
        "pub fn parse_numbers(input: &[u8]) -> Option<Vec<u32>> {\n    let _ = std::hint::black_box(parse_numbers_once(input));\n    let _ = std::hint::black_box(parse_numbers_once(input));\n    parse_numbers_once(input)\n}\n\nfn parse_numbers_once(input: &[u8]) -> Option<Vec<u32>> {",
        1,
    );
    assert_ne!(slower, text, "the demo's parse_numbers is where the tests expect it");
    std::fs::write(&lib, slower).unwrap();
}

/// Drops the demo config's service, and the gates and SLOs on it, for tests about the
/// criterion side.
pub fn without_services(demo: &Path) {
    let path = demo.join("benchmark-config.json");
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let object = config.as_object_mut().unwrap();
    object.remove("services");
    object.remove("slos");
    object["gates"].as_array_mut().unwrap().retain(|g| !g["metric"].as_str().unwrap().starts_with("demo_server/"));
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
}

/// A one-file crate without bench targets, with `config` as its benchmark-config.json.
pub fn crate_without_benches(config: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("Cargo.toml"),
        "[package]\nname = \"no_benches\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir_all(temp.path().join("src")).unwrap();
    std::fs::write(temp.path().join("src/lib.rs"), "").unwrap();
    std::fs::write(temp.path().join("benchmark-config.json"), config).unwrap();
    temp
}

/// Runs a future of the fake GitHub (wiremock serves from a thread of its own).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// One of GitHub's documented payloads in tests/fixtures/github.
pub fn github_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap()).unwrap()
}

/// A baseline artifact's zip: `results` as `results.json`.
pub fn zip_with_results(results: &Path) -> Vec<u8> {
    zip_of(&[("results.json", std::fs::read(results).unwrap())])
}

/// A zip archive of `(name, contents)` entries, as upload-artifact makes them.
pub fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, contents) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(contents).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Answers `verb at` on `server` with `response`; `times`, when given, is verified at the end.
pub fn answer(
    server: &wiremock::MockServer,
    verb: &str,
    at: &str,
    response: wiremock::ResponseTemplate,
    times: Option<u64>,
) {
    use wiremock::matchers::{method, path};
    let mock = wiremock::Mock::given(method(verb)).and(path(at)).respond_with(response);
    block_on(match times {
        Some(times) => mock.expect(times).mount(server),
        None => mock.mount(server),
    });
}

/// The variables cargo and rustup need in an environment built from scratch: as set here, else
/// their homes under the real home.
pub fn cargo_env() -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    for name in ["CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN"] {
        if let Ok(value) = std::env::var(name) {
            env.push((name, value));
        }
    }
    let home = std::env::var("HOME").unwrap_or_default();
    if std::env::var("CARGO_HOME").is_err() {
        env.push(("CARGO_HOME", format!("{home}/.cargo")));
    }
    if std::env::var("RUSTUP_HOME").is_err() {
        env.push(("RUSTUP_HOME", format!("{home}/.rustup")));
    }
    env
}

/// A comment of GitHub's documented list, re-aimed: its id, body, and author (`login`, `kind`
/// `User` or `Bot`).
pub fn comment_by(id: u64, body: &str, login: &str, kind: &str) -> serde_json::Value {
    let mut entry = github_json("issue-comment-list.json")[0].clone();
    entry["id"] = serde_json::json!(id);
    entry["body"] = serde_json::json!(body);
    entry["user"]["login"] = serde_json::json!(login);
    entry["user"]["type"] = serde_json::json!(kind);
    entry
}

/// `text` with every `${{ expression }}` replaced by `lookup(expression)`, as the runner does.
pub fn substitute_expressions(text: &str, lookup: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        out.push_str(&lookup(rest[start + 3..end].trim()));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// An `if:` as these workflows write it: terms joined by `&&`, each `always()`, `X == 'v'` or
/// `X != 'v'`, with `value_of` giving X. Without `always()` it holds only while nothing `failed`.
pub fn evaluate_condition(condition: &str, failed: bool, value_of: impl Fn(&str) -> String) -> bool {
    let condition = condition.trim().trim_start_matches("${{").trim_end_matches("}}");
    let mut always = false;
    let mut holds = true;
    for term in condition.split("&&").map(str::trim) {
        if term == "always()" {
            always = true;
            continue;
        }
        let (left, negate, right) = match term.split_once("==") {
            Some((l, r)) => (l, false, r),
            None => {
                let (l, r) = term.split_once("!=").unwrap_or_else(|| panic!("condition `{term}` not modelled"));
                (l, true, r)
            }
        };
        let literal = right.trim().trim_matches('\'');
        holds &= (value_of(left.trim()) == literal) != negate;
    }
    holds && (always || !failed)
}

/// Shell functions the process-lifetime tests' scripts source (`. ./record.sh`):
/// `record FILE` writes "PID START" of the calling shell's process to FILE, whole (a temp file
/// renamed into place), START being field 22 of /proc/PID/stat, so that a test tells the
/// process from a later one reusing its pid; `alive FILE` says whether that process still runs.
/// (The command names in those stat lines are one word here, so fields split on blanks.)
pub const RECORD_SH: &str = r#"record() {
  read -r stat < /proc/$$/stat
  set -- "$1" $stat
  echo "$$ ${23}" > "$1.tmp" && mv "$1.tmp" "$1"
}
alive() {
  read -r pid start < "$1"
  read -r stat 2>/dev/null < /proc/$pid/stat || return 1
  set -- $stat
  [ "${22}" = "$start" ] && [ "$3" != Z ]
}
"#;

/// A process a test knows by pid and start time (field 22 of /proc/PID/stat), so that another
/// process reusing the pid later is not mistaken for it. Killed on drop if still alive: a
/// failing test leaves nothing running behind it.
pub struct Watched {
    pub pid: i32,
    started: String,
}

/// The fields of /proc/PID/stat after the command name (state first, then the parent's pid).
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

impl Watched {
    /// The live process `pid`; panics if there is none.
    pub fn new(pid: i32) -> Watched {
        let fields = stat_fields(pid).unwrap_or_else(|| panic!("no process {pid}"));
        Watched { pid, started: fields[19].clone() }
    }

    /// The process `record` wrote to `file`, alive or not.
    pub fn recorded(file: &Path) -> Watched {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (pid, started) = text.trim().split_once(' ').unwrap();
        Watched { pid: pid.parse().unwrap(), started: started.to_owned() }
    }

    /// The process `record` writes to `file`, polled for up to `limit` while `running()` holds
    /// (whatever should write it has not ended).
    pub fn wait_recorded(file: &Path, limit: std::time::Duration, mut running: impl FnMut() -> bool) -> Watched {
        let deadline = std::time::Instant::now() + limit;
        while !file.exists() {
            assert!(std::time::Instant::now() < deadline, "{} not written within {limit:?}", file.display());
            assert!(running(), "ended before {} was written", file.display());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Watched::recorded(file)
    }

    /// Its parent's pid, while it is alive.
    pub fn parent(&self) -> Option<i32> {
        stat_fields(self.pid).filter(|f| f[19] == self.started)?[1].parse().ok()
    }

    /// Still running: the same process (same start time), and not a zombie awaiting its reaper.
    pub fn alive(&self) -> bool {
        stat_fields(self.pid).is_some_and(|f| f[19] == self.started && f[0] != "Z" && f[0] != "X")
    }

    /// Whether it is gone within `limit`, polled.
    pub fn gone_within(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while self.alive() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        true
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.alive() {
            // SAFETY: kill(2) of a process this test started, identified by its start time.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

/// `cargo perf-gate --quiet --out-dir out` started in `project` in the background, output
/// discarded, for tests that signal it.
pub fn spawn_run(project: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-perf-gate"))
        .args(["perf-gate", "--quiet", "--out-dir", "out"])
        .current_dir(project)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}
