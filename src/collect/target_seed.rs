//! The baseline's target dir, seeded from the current side's before its first build, so that the
//! second build compiles the baseline's own crates and reuses every dependency both sides share.
//!
//! cargo names a compiled dependency by a hash of its package id, version, features, profile and
//! toolchain, and keeps paths inside the target dir relative to its root (fingerprints) or
//! rewrites them when the dir moves (build script output): a copy of the compiled units, with
//! their modification times, is fresh to cargo wherever the inputs are the same, and simply
//! unused where they differ (another lock file, other features). A copy, not hard links: a build
//! script that runs again rewrites its files in place, which must not reach the current side.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The profile directory `cargo bench` builds in (the `bench` profile inherits `release`).
const PROFILE_DIR: &str = "release";
/// What cargo keeps per compiled unit; the top level holds only uplifted copies of the
/// workspace's own artifacts, which each side builds for itself.
const UNIT_DIRS: [&str; 3] = ["deps", "build", ".fingerprint"];
/// Where a seed is copied before it is renamed into place, so that an interrupted copy never
/// leaves a truncated library with a fresh fingerprint behind.
const STAGING: &str = ".perf-gate-seeding";

/// What a seed copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seeded {
    pub files: u64,
    pub bytes: u64,
}

/// A seed that could not be copied; the baseline is then built from scratch.
#[derive(Debug, thiserror::Error)]
#[error("cannot seed {} from {}: {source}", to.display(), from.display())]
pub struct SeedError {
    pub from: PathBuf,
    pub to: PathBuf,
    pub source: io::Error,
}

/// Seeds target dir `to` with what `from` compiled, unless `to` has built before (it is then
/// left alone: cargo keeps it up to date) or `from` has nothing. `None` when nothing was copied.
pub fn seed(from: &Path, to: &Path) -> Result<Option<Seeded>, SeedError> {
    let source = from.join(PROFILE_DIR);
    let target = to.join(PROFILE_DIR);
    if target.exists() || !source.join(".fingerprint").is_dir() {
        return Ok(None);
    }
    let fail = |source| SeedError { from: from.to_owned(), to: to.to_owned(), source };
    let staging = to.join(STAGING);
    remove_if_present(&staging).map_err(fail)?;
    let mut seeded = Seeded::default();
    for dir in UNIT_DIRS {
        let unit_dir = source.join(dir);
        if unit_dir.is_dir() {
            copy_tree(&unit_dir, &staging.join(dir), &mut seeded).map_err(fail)?;
        }
    }
    fs::rename(&staging, &target).map_err(fail)?;
    Ok(Some(seeded))
}

fn remove_if_present(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Copies `from` into `to` recursively, files with their modification times (cargo's freshness
/// checks compare them) and permissions; symbolic links as links.
fn copy_tree(from: &Path, to: &Path, seeded: &mut Seeded) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target, seeded)?;
        } else if kind.is_symlink() {
            copy_link(&source, &target)?;
        } else {
            seeded.bytes += fs::copy(&source, &target)?;
            seeded.files += 1;
            let modified = entry.metadata()?.modified()?;
            // The owner may set a file's times through any descriptor: read-only files too.
            fs::File::open(&target)?.set_modified(modified)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_link(from: &Path, to: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(from)?, to)
}

/// Elsewhere a link is left out: cargo rebuilds what it missed.
#[cfg(not(unix))]
fn copy_link(_from: &Path, _to: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn write(path: &Path, text: &str, age: Duration) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        fs::File::options().write(true).open(path).unwrap().set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn compiled_units_are_copied_with_their_times_and_uplifted_files_are_not() {
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let day = Duration::from_secs(86_400);
        write(&from.path().join("release/deps/libserde-0123.rlib"), "rlib", day);
        write(&from.path().join("release/build/serde-4567/output"), "cargo:rustc-cfg=x", day * 2);
        write(&from.path().join("release/.fingerprint/serde-0123/lib-serde"), "abcd", day);
        write(&from.path().join("release/demo_server"), "uplifted", day);
        let to_dir = to.path().join("baseline-target");
        let seeded = seed(from.path(), &to_dir).unwrap().unwrap();
        assert_eq!(seeded, Seeded { files: 3, bytes: 4 + 17 + 4 });
        let copied = to_dir.join("release/build/serde-4567/output");
        assert_eq!(fs::read_to_string(&copied).unwrap(), "cargo:rustc-cfg=x");
        let times = |path: &Path| fs::metadata(path).unwrap().modified().unwrap();
        assert_eq!(times(&copied), times(&from.path().join("release/build/serde-4567/output")));
        assert!(!to_dir.join("release/demo_server").exists());
        assert!(!to_dir.join(STAGING).exists());
        // Built once, the baseline's target dir is cargo's to keep: never seeded again.
        write(&from.path().join("release/deps/libnew-89ab.rlib"), "new", day);
        assert_eq!(seed(from.path(), &to_dir).unwrap(), None);
        assert!(!to_dir.join("release/deps/libnew-89ab.rlib").exists());
    }

    #[test]
    fn nothing_to_seed_from_is_no_seed_and_a_stale_staging_copy_is_replaced() {
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        assert_eq!(seed(from.path(), to.path()).unwrap(), None);
        write(&from.path().join("release/.fingerprint/a-1/lib-a"), "1", Duration::ZERO);
        // What an interrupted seed left: half a library.
        write(&to.path().join(STAGING).join("deps/libhalf-1.rlib"), "ha", Duration::ZERO);
        seed(from.path(), to.path()).unwrap().unwrap();
        assert!(!to.path().join("release/deps/libhalf-1.rlib").exists());
        assert!(to.path().join("release/.fingerprint/a-1/lib-a").is_file());
    }
}
