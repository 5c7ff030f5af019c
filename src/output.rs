//! Writing files so that a reader never sees a half-written one.
//!
//! Every file goes to a temporary file in the same directory and is renamed into place, which
//! is atomic on POSIX file systems: an interrupted run leaves the old file or the new one.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Files staged next to their destinations, made visible together by [`Staged::commit`].
#[derive(Default)]
pub struct Staged {
    files: Vec<(NamedTempFile, PathBuf)>,
}

impl Staged {
    /// Writes `contents` to a temporary file beside `path`, creating the directory.
    pub fn stage(&mut self, path: &Path, contents: &[u8]) -> Result<(), WriteError> {
        let error = |source| WriteError { path: path.to_owned(), source };
        let mut file = temporary_beside(path)?;
        file.write_all(contents).map_err(error)?;
        file.as_file().sync_all().map_err(error)?;
        self.files.push((file, path.to_owned()));
        Ok(())
    }

    /// Renames every staged file into place. Dropping a `Staged` without committing removes
    /// the temporary files and leaves the destinations untouched.
    pub fn commit(self) -> Result<(), WriteError> {
        for (file, path) in self.files {
            file.persist(&path).map_err(|e| WriteError { path, source: e.error })?;
        }
        Ok(())
    }
}

/// Removes the files `names` that an earlier run left in `dir`, except those in `keep` (this
/// run's inputs), so that a run that fails (a bad config, a bench that does not build, Ctrl-C, a
/// full disk) leaves nothing that passes for its own result.
pub fn clear_earlier(dir: &Path, names: &[&str], keep: &[&Path]) -> Result<(), WriteError> {
    let kept: Vec<PathBuf> = keep.iter().filter_map(|path| std::fs::canonicalize(path).ok()).collect();
    for name in names {
        let path = dir.join(name);
        let is_kept = std::fs::canonicalize(&path).is_ok_and(|real| kept.contains(&real));
        if is_kept {
            continue;
        }
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(WriteError { path, source: error });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes one file atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let mut staged = Staged::default();
    staged.stage(path, contents)?;
    staged.commit()
}

/// Writes one file atomically as `write` streams it (for output too large to hold in memory):
/// on an error from `write` the destination is untouched. `write` names its own write errors.
pub fn write_atomic_with<E: From<WriteError>>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    let error = |source| WriteError { path: path.to_owned(), source };
    let mut file = temporary_beside(path)?;
    {
        let mut buffered = std::io::BufWriter::new(file.as_file_mut());
        write(&mut buffered)?;
        buffered.flush().map_err(error)?;
    }
    file.as_file().sync_all().map_err(error)?;
    file.persist(path).map_err(|e| WriteError { path: path.to_owned(), source: e.error })?;
    Ok(())
}

/// An empty temporary file beside `path` (its directory created), to be renamed into place.
fn temporary_beside(path: &Path) -> Result<NamedTempFile, WriteError> {
    let error = |source| WriteError { path: path.to_owned(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(error)?;
    // The temporary file's mode survives the rename: a new file gets what any program's
    // would, 0666 less the umask (which the kernel applies), not tempfile's private 0600; a
    // replaced file keeps the mode it had.
    let file = tempfile::Builder::new()
        .prefix(".perf-gate-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(error)?;
    if let Ok(existing) = std::fs::metadata(path) {
        file.as_file().set_permissions(existing.permissions()).map_err(error)?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("sub/a.txt");
        let b = dir.path().join("b.txt");
        std::fs::write(&b, "old").unwrap();
        let mut staged = Staged::default();
        staged.stage(&a, b"new a").unwrap();
        staged.stage(&b, b"new b").unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "old");
        staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
    }

    #[test]
    fn dropping_without_commit_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = Staged::default();
        staged.stage(&dir.path().join("a.txt"), b"x").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn unwritable_destination_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let error = write_atomic(&blocker.join("report.json"), b"x").unwrap_err();
        assert!(error.to_string().contains("file/report.json"), "{error}");
    }
}
