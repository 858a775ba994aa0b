//! File handling of the state directory: names, listing, positioned writes, directory
//! syncs and the I/O error mapping.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::history::HistoryError;

pub(super) fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> HistoryError + 'a {
    move |source| HistoryError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), HistoryError> {
    // Makes a create/rename/delete durable; directories cannot be opened for sync on
    // every platform, so only Unix does it.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing directory", dir))?;
    let _ = dir;
    Ok(())
}

pub(super) fn journal_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("journal.{g:012}"))
}

pub(super) fn checkpoint_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("checkpoint.{g:012}"))
}

pub(super) fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, SeekFrom};
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        f.write_all(buf)
    }
}

/// State files of the directory: (generation, path, is_checkpoint), sorted.
pub(super) fn list(dir: &Path) -> Result<Vec<(u64, PathBuf, bool)>, HistoryError> {
    let mut v = Vec::new();
    for entry in fs::read_dir(dir).map_err(io("listing state directory", dir))? {
        let entry = entry.map_err(io("listing state directory", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let (is_cp, g) = if let Some(g) = name.strip_prefix("journal.") {
            (false, g)
        } else if let Some(g) = name.strip_prefix("checkpoint.") {
            (true, g)
        } else {
            continue;
        };
        if let Ok(g) = g.parse::<u64>() {
            v.push((g, entry.path(), is_cp));
        }
    }
    v.sort();
    Ok(v)
}
