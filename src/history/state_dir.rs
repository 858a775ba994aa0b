//! The state directory: created private (0700, files 0600, whatever the umask), held by
//! one process at a time through an OS advisory lock on the directory itself.
//!
//! # What the files hold (personal data)
//! - `journal.<gen>`: every reservation, outcome and run-time opt-out: the called
//!   number (E.164 as an integer), the instant, campaign and subject tags (hashes),
//!   the outcome. Personal data under the GDPR: a phone number and when it was called.
//! - `checkpoint.<gen>`: the same, condensed per number, and the opt-out set.
//! - `LOCK`: empty; kept for older versions, which locked it instead of the directory.
//!
//! # Why the directory is the lock
//! A lock on a `LOCK` file is defeated by deleting the file: a second process creates a
//! new one and locks that, and two writers then interleave one journal (seen: 1,907 of
//! 1,992 numbers admitted over a cap of 3, and a corrupt journal). A directory with
//! files in it cannot be deleted and re-created under a running guard, so the lock is
//! taken on the directory's own descriptor (`flock`), held for the history's lifetime
//! and released by the kernel when the process dies.

use std::fs::{File, OpenOptions};
use std::path::Path;

use super::HistoryError;

/// Owner-only permissions of the state directory.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Owner-only permissions of every state file.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// The lock of a state directory: released when dropped (or when the process ends).
pub(crate) struct DirLock {
    _dir: File,
    _legacy: File,
}

/// Creates `dir` if needed (0700), makes it owner-only, and takes its exclusive lock.
pub(crate) fn lock(dir: &Path) -> Result<DirLock, HistoryError> {
    create_private_dir(dir)?;
    let handle = File::open(dir).map_err(|source| HistoryError::Io {
        action: "open state directory",
        path: dir.to_owned(),
        source,
    })?;
    try_lock(&handle, dir)?;
    // Older versions lock this file; holding it too keeps them out.
    let legacy_path = dir.join("LOCK");
    let legacy = private_file()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&legacy_path)
        .map_err(|source| HistoryError::Io {
            action: "open lock file",
            path: legacy_path.clone(),
            source,
        })?;
    try_lock(&legacy, dir)?;
    ignore_file_size_signal();
    Ok(DirLock {
        _dir: handle,
        _legacy: legacy,
    })
}

/// Takes the exclusive lock, waiting up to [`LOCK_PATIENCE`] for a holder to let go: a
/// lock whose holder just closed can stay held for a moment by a child process between
/// its fork and its exec (the child shares the open file), which a restart or a test
/// that reopens at once must not mistake for a second guard.
fn try_lock(file: &File, dir: &Path) -> Result<(), HistoryError> {
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(HistoryError::Locked {
                    path: dir.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(HistoryError::Io {
                    action: "lock state directory",
                    path: dir.to_owned(),
                    source,
                });
            }
        }
    }
}

/// How long opening waits for a state directory's lock before reporting it held.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(300);

/// `dir` and its missing parents, the state directory itself 0700.
fn create_private_dir(dir: &Path) -> Result<(), HistoryError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(HistoryError::NotADirectory {
                path: dir.to_owned(),
            });
        }
        _ => {}
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir).map_err(|source| HistoryError::Io {
        action: "create state directory",
        path: dir.to_owned(),
        source,
    })?;
    // An existing directory (or one the umask left wider) is made owner-only too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)).map_err(
            |source| HistoryError::Io {
                action: "make the state directory owner-only (chmod 700)",
                path: dir.to_owned(),
                source,
            },
        )?;
    }
    Ok(())
}

/// Open options for a state file: created 0600 (the umask can only narrow it).
pub(crate) fn private_file() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// A file-size limit (`ulimit -f`) makes a write past it raise SIGXFSZ, whose default
/// action kills the process without a word. Ignored, the write fails with EFBIG instead,
/// which the journal reports (and the guard answers `store_unavailable`). Only a default
/// disposition is changed: a handler the host program installed is left alone.
pub(crate) fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: sigaction with a null new action only reads the current one into `old`,
    // a zeroed `sigaction` the call fills; `signal` with SIG_IGN installs no code.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGXFSZ, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_DFL
        {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directory_is_owner_only_and_locked_even_after_lock_file_is_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        let held = lock(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("LOCK")), 0o600);
        std::fs::remove_file(dir.join("LOCK")).unwrap();
        // flock is per open file description: a second open in this process conflicts
        // like another process would.
        assert!(matches!(lock(&dir), Err(HistoryError::Locked { .. })));
        drop(held);
        assert!(lock(&dir).is_ok());
    }

    #[test]
    fn an_existing_wide_directory_is_narrowed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let _held = lock(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("state");
        std::fs::write(&file, "x").unwrap();
        let e = lock(&file).err().unwrap();
        assert!(matches!(e, HistoryError::NotADirectory { .. }), "{e}");
        assert!(e.to_string().contains("is a file, not a directory"), "{e}");
    }
}
