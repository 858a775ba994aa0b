//! Opening the files a policy names (the policy itself, lists, consent files, compiled
//! lists): regular files only, never blocking, never read past a size limit.
//!
//! A policy that names `/dev/zero` would otherwise grow a buffer until the process
//! aborts (an abort cannot be caught at the C boundary, so it would kill the dialer), and
//! a FIFO would block the open or the read for ever. So the file is opened without
//! blocking, must be a regular file, and is read at most up to the size it had when it
//! was opened (a file that grows while it is read is not followed), which must be within
//! the limit.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::ListError;

/// What to do about a list file over its limit.
pub(crate) const RAISE_LIST_LIMIT: &str = "raise `max_list_mb` in [policy] if the file is right";

/// The default size limit of a list or consent file: 16 GiB (a 250 M-number registry
/// as text is about 3.3 GB). A policy sets its own with `[policy] max_list_mb`.
pub const DEFAULT_MAX_LIST_BYTES: u64 = 16 << 30;

/// Opens `path` for reading: a regular file (after following links) of at most `limit`
/// bytes. Returns the file and its size. The read side must not go past that size: use
/// [`bounded`].
///
/// `over_limit` says what to do when the file is too large.
pub(crate) fn open_regular(
    path: &Path,
    limit: u64,
    over_limit: &str,
) -> Result<(File, u64), ListError> {
    let file = open_nonblocking(path).map_err(|e| ListError::io(path, e))?;
    let meta = file.metadata().map_err(|e| ListError::io(path, e))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            special_kind(&kind)
        };
        return Err(ListError::bad_file(
            path,
            format!("is {what}, not a regular file; give the path of a file"),
        ));
    }
    let size = meta.len();
    if size > limit {
        return Err(ListError::bad_file(
            path,
            format!("is {size} bytes, over the limit of {limit} bytes; {over_limit}"),
        ));
    }
    Ok((file, size))
}

/// The file, read no further than `size` bytes.
pub(crate) fn bounded(file: File, size: u64) -> io::Take<File> {
    file.take(size)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO with no writer would otherwise block for ever. It has
    // no effect on reads of a regular file, the only kind accepted afterwards.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_directories_and_fifos_at_once() {
        let e = open_regular(Path::new("/dev/zero"), u64::MAX, "").unwrap_err();
        assert!(
            e.to_string()
                .contains("a character device, not a regular file"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = open_regular(dir.path(), u64::MAX, "").unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // Would block for ever without O_NONBLOCK.
        let e = open_regular(&fifo, u64::MAX, "").unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn refuses_a_file_over_the_limit_and_reads_no_further_than_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, "+390212345678\n").unwrap();
        let e = open_regular(&p, 5, "raise it").unwrap_err();
        assert!(e.to_string().contains("over the limit of 5 bytes"), "{e}");
        let (f, size) = open_regular(&p, 100, "").unwrap();
        assert_eq!(size, 14);
        // Appended after the open: not read.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut w| io::Write::write_all(&mut w, b"+390212345679\n"))
            .unwrap();
        let mut s = String::new();
        bounded(f, size).read_to_string(&mut s).unwrap();
        assert_eq!(s, "+390212345678\n");
    }
}
