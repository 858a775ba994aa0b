//! The files of a log being written: the private directory and its lock, picking up where
//! the last writer stopped, opening a file with its header, rotating and pruning.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::chain::{self, GENESIS, Header, Trailer};
use super::record::rfc3339;
use super::{AuditError, io_err};

#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Open options for a log file or key: created 0600 (the umask can only narrow it).
pub(crate) fn private_file() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// Creates `dir` (0700) or narrows an existing one to 0700, and takes its lock (one
/// writer per log: two would fork the chain).
pub(crate) fn lock_dir(dir: &Path) -> Result<File, AuditError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder
        .create(dir)
        .map_err(io_err("create the log directory", dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
            .map_err(io_err("make the log directory owner-only (chmod 700)", dir))?;
    }
    let handle = File::open(dir).map_err(io_err("open the log directory", dir))?;
    // Under `ulimit -f` a write past the limit then fails (the writer reports it)
    // instead of killing the process without a word.
    crate::history::state_dir::ignore_file_size_signal();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(300);
    loop {
        match handle.try_lock() {
            Ok(()) => return Ok(handle),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(AuditError::Locked {
                    path: dir.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io_err("lock the log directory", dir)(e));
            }
        }
    }
}

/// Where the previous writer left the log.
pub(crate) struct Resume {
    /// The next file counter.
    pub next_no: u64,
    /// The name the next file must have (a `rotate` whose file was never created).
    pub next_name: Option<String>,
    pub prev_file: Option<String>,
    pub last_hash: String,
    pub next_seq: u64,
    pub recovered: bool,
    pub torn_tail_bytes: Option<u64>,
}

/// Reads the end of the last file: its last whole line (checked against its own hash)
/// and any half-written line after it.
pub(crate) fn resume(dir: &Path) -> Result<Resume, AuditError> {
    let files = chain::list_files(dir).map_err(io_err("list the log directory", dir))?;
    let Some((no, name, path)) = files.last().cloned() else {
        return Ok(Resume {
            next_no: 1,
            next_name: None,
            prev_file: None,
            last_hash: GENESIS.to_owned(),
            next_seq: 1,
            recovered: false,
            torn_tail_bytes: None,
        });
    };
    let corrupt = |what: String| AuditError::Corrupt {
        path: path.clone(),
        dir: dir.display().to_string(),
        what,
    };
    let (last, torn) = last_line(&path)?;
    let Some(last) = last else {
        return Err(corrupt(
            "holds no whole record (not even its header)".into(),
        ));
    };
    let hash = chain::check(&last).map_err(|e| corrupt(format!("its last record {e}")))?;
    let v: serde_json::Value = serde_json::from_slice(&last)
        .map_err(|e| corrupt(format!("its last record is not JSON: {e}")))?;
    let seq = v["seq"]
        .as_u64()
        .ok_or_else(|| corrupt("its last record has no seq".into()))?;
    let kind = v["kind"].as_str().unwrap_or("");
    let next_name = (kind == "rotate")
        .then(|| v["next"].as_str().map(str::to_owned))
        .flatten();
    let next_no = match next_name.as_deref().and_then(chain::parse_name) {
        Some((n, _)) => n,
        None => no + 1,
    };
    Ok(Resume {
        next_no,
        next_name,
        prev_file: Some(name),
        last_hash: hash,
        next_seq: seq + 1,
        recovered: kind != "close" && kind != "rotate",
        torn_tail_bytes: (torn > 0).then_some(torn),
    })
}

/// The last line ending in a newline (without it), and how many bytes follow it.
fn last_line(path: &Path) -> Result<(Option<Vec<u8>>, u64), AuditError> {
    let mut f = File::open(path).map_err(io_err("open the last log file", path))?;
    let len = f
        .metadata()
        .map_err(io_err("read the last log file's size", path))?
        .len();
    // A record is far below this; reading more only costs time once at open.
    let window = len.min(1 << 20);
    f.seek(SeekFrom::Start(len - window))
        .map_err(io_err("read the last log file", path))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)
        .map_err(io_err("read the last log file", path))?;
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return Ok((None, len));
    };
    let torn = u64::try_from(buf.len() - end - 1).unwrap_or(u64::MAX);
    let start = buf[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    if start == 0 && window < len {
        return Ok((None, torn));
    }
    Ok((Some(buf[start..end].to_vec()), torn))
}

/// The file being written.
pub(crate) struct Segment {
    pub file: File,
    pub name: String,
    pub no: u64,
    pub day: String,
    pub bytes: u64,
    pub records: u64,
}

/// Deletes files older than `retention_days` (by the day in their name), never `keep`.
pub(crate) fn prune(
    dir: &Path,
    retention_days: u32,
    today: i64,
    keep: Option<&str>,
) -> Vec<String> {
    if retention_days == 0 {
        return Vec::new();
    }
    let oldest = chain::day_of(today - i64::from(retention_days) * 86_400);
    let Ok(files) = chain::list_files(dir) else {
        return Vec::new();
    };
    let mut pruned = Vec::new();
    for (_, name, path) in files {
        let day = chain::parse_name(&name).map(|(_, d)| d.to_owned());
        if Some(name.as_str()) != keep
            && day.is_some_and(|d| d < oldest)
            && std::fs::remove_file(&path).is_ok()
        {
            pruned.push(name);
        }
    }
    pruned
}

/// What a new file's header says about what came before.
pub(crate) struct Opening<'a> {
    pub name: String,
    pub no: u64,
    pub day: String,
    pub prev_file: Option<&'a str>,
    pub seq: u64,
    pub now: i64,
    pub pseudonymized: bool,
    pub recovered: bool,
    pub torn_tail_bytes: Option<u64>,
    pub pruned: Vec<String>,
}

/// Creates a file (0600, never over an existing one) and writes its header, chained to
/// `prev_hash`; returns the file and the header's hash.
pub(crate) fn create(
    dir: &Path,
    o: Opening<'_>,
    prev_hash: &str,
) -> Result<(Segment, String), AuditError> {
    let path: PathBuf = dir.join(&o.name);
    let mut file = private_file()
        .append(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err("create a log file", &path))?;
    let header = Header {
        seq: o.seq,
        kind: "header",
        format: 1,
        file: &o.name,
        prev_file: o.prev_file,
        opened: rfc3339(o.now),
        pseudonymized: o.pseudonymized,
        recovered: o.recovered,
        torn_tail_bytes: o.torn_tail_bytes,
        pruned: o.pruned,
    };
    let mut line = Vec::new();
    let hash = chain::seal(&header, prev_hash, &mut line);
    file.write_all(&line)
        .and_then(|()| file.sync_data())
        .map_err(io_err("write a log file's header", &path))?;
    // The new name must survive a crash too, or the chain would point at nothing.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    let seg = Segment {
        file,
        name: o.name,
        no: o.no,
        day: o.day,
        bytes: u64::try_from(line.len()).unwrap_or(u64::MAX),
        records: 0,
    };
    Ok((seg, hash))
}

/// Seals a `rotate` or `close` trailer into `out`.
pub(crate) fn trailer(
    seq: u64,
    now: i64,
    next: Option<&str>,
    seg: &Segment,
    dropped: u64,
    prev: &str,
    out: &mut Vec<u8>,
) -> String {
    let t = Trailer {
        seq,
        kind: if next.is_some() { "rotate" } else { "close" },
        at: rfc3339(now),
        next,
        records: seg.records,
        dropped,
    };
    chain::seal(&t, prev, out)
}
