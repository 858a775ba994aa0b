//! Reading a log back: [`verify()`] walks the chain and names the first break;
//! [`show()`] and [`for_each_entry`] read the records as they are (verify first to trust
//! them).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::chain::{self, GENESIS};
use super::pseudonym::Pseudonymizer;

/// No record comes near this; a longer line is damage (and is not read into memory).
const MAX_LINE: u64 = 1 << 20;

/// One record of the log as read back (every field as written; see docs/report.md).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Entry {
    pub seq: u64,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_hmac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<EntryList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint: Option<EntryComplaint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u64>,
}

/// A list consulted and its snapshot date (`YYYY-MM-DD`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct EntryList {
    pub list: String,
    pub snapshot: Option<String>,
}

/// What a complaint record says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct EntryComplaint {
    pub channel: String,
    pub text: Option<String>,
}

impl Entry {
    /// The record's instant (Unix seconds), `None` when missing or unreadable.
    pub fn at_secs(&self) -> Option<i64> {
        self.at
            .as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second())
    }

    /// The number as the log keeps it: E.164 (`+…`) or its keyed pseudonym.
    pub fn number_key(&self) -> Option<&str> {
        self.number.as_deref().or(self.number_hmac.as_deref())
    }

    /// True for the records of decisions (check and reserve).
    pub fn is_decision(&self) -> bool {
        self.kind == "check" || self.kind == "reserve"
    }
}

/// Which records [`show`] prints.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// E.164 digits of one number.
    pub number: Option<u64>,
    /// From this instant (Unix seconds), inclusive.
    pub from: Option<i64>,
    /// Up to this instant, exclusive.
    pub to: Option<i64>,
}

/// A filter's number as the log in `dir` writes it (clear or pseudonym).
pub(crate) fn number_key(dir: &Path, digits: u64) -> Result<(String, Option<String>), VerifyError> {
    let pseudo = Pseudonymizer::load(dir).map_err(|e| VerifyError::Key(e.to_string()))?;
    Ok((format!("+{digits}"), pseudo.map(|p| p.pseudonym(digits))))
}

impl Filter {
    fn accepts(&self, e: &Entry, key: Option<&(String, Option<String>)>) -> bool {
        if let Some((clear, hmac)) = key {
            let hit = e.number.as_deref() == Some(clear.as_str())
                || (hmac.is_some() && e.number_hmac.as_deref() == hmac.as_deref());
            if !hit {
                return false;
            }
        }
        let at = e.at_secs();
        self.from.is_none_or(|f| at.is_some_and(|t| t >= f))
            && self.to.is_none_or(|to| at.is_some_and(|t| t < to))
    }
}

/// Reading or checking a log failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{dir} holds no audit log files (audit-NNNNNN-YYYYMMDD.jsonl): check the path")]
    Empty { dir: PathBuf },
    /// The first break: the file and the 1-based line of the first bad record.
    #[error("{file} line {line}: {what}")]
    Break {
        file: String,
        line: u64,
        what: String,
    },
    #[error("{0}")]
    Key(String),
}

/// What a log that verifies holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records of events (everything but headers and trailers).
    pub records: u64,
    pub files: usize,
    /// The hash of the last line: note it elsewhere to vouch for the log up to here.
    pub last_hash: String,
    /// The last file ends with `close` (else the writer is running or died: records after
    /// the last hash cannot be vouched for).
    pub sealed: bool,
    /// A writer holds the log (its last line may be half written, and is then skipped).
    pub live: bool,
    /// Writers that died without closing (each recorded by the next file's header).
    pub recoveries: u64,
    /// Records dropped with the queue full, as the log counted them.
    pub dropped: u64,
    /// Files deleted by retention, as the log recorded them.
    pub pruned: Vec<String>,
}

/// Calls `f(file name, 1-based line, line)` for every whole line of every file in order,
/// then `tail(file name, line, bytes)` for a last line without its newline.
fn scan(
    dir: &Path,
    mut f: impl FnMut(&str, u64, &[u8]) -> Result<(), VerifyError>,
    mut tail: impl FnMut(&str, u64, usize) -> Result<(), VerifyError>,
) -> Result<Vec<String>, VerifyError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| VerifyError::Io { path, source }
    };
    let files = chain::list_files(dir).map_err(io(dir))?;
    if files.is_empty() {
        return Err(VerifyError::Empty {
            dir: dir.to_owned(),
        });
    }
    let mut buf = Vec::new();
    for (_, name, path) in &files {
        let mut r = BufReader::new(std::fs::File::open(path).map_err(io(path))?);
        let mut line = 0u64;
        loop {
            buf.clear();
            line += 1;
            let n = (&mut r)
                .take(MAX_LINE + 1)
                .read_until(b'\n', &mut buf)
                .map_err(io(path))?;
            if n == 0 {
                break;
            }
            if buf.last() != Some(&b'\n') {
                if u64::try_from(buf.len()).unwrap_or(u64::MAX) > MAX_LINE {
                    return Err(VerifyError::Break {
                        file: name.clone(),
                        line,
                        what: format!("longer than {MAX_LINE} bytes: not a record"),
                    });
                }
                tail(name, line, buf.len())?;
                break;
            }
            f(name, line, &buf[..buf.len() - 1])?;
        }
    }
    Ok(files.into_iter().map(|f| f.1).collect())
}

/// Walks the whole chain and returns what it holds, or the first break: an edited
/// byte (the line's own hash fails), a deleted or reordered record (its `seq` or `prev`
/// does not follow), a deleted file (a header or `rotate` names a file that is not
/// there), or a truncated tail (a last line cut short).
pub fn verify(dir: &Path) -> Result<VerifyReport, VerifyError> {
    let v = std::cell::RefCell::new(Verifier::default());
    let files = scan(
        dir,
        |file, line, bytes| v.borrow_mut().line(file, line, bytes),
        |file, line, n| {
            v.borrow_mut().torn = Some((file.to_owned(), line, n));
            Ok(())
        },
    )?;
    v.into_inner().finish(&files, being_written(dir))
}

/// True when a writer holds the log's lock: its last line may be half written (a batch
/// in progress), which is then not a truncation. The lock is let go at once.
fn being_written(dir: &Path) -> bool {
    let Ok(d) = std::fs::File::open(dir) else {
        return false;
    };
    match d.try_lock_shared() {
        Ok(()) => {
            let _ = d.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

#[derive(Default)]
struct Verifier {
    file: String,
    prev_hash: Option<String>,
    next_seq: Option<u64>,
    /// The previous line's kind in this file (`rotate`/`close` must be last).
    last_kind: String,
    /// The file before this one, its last line number and what it ended with.
    prev_file: Option<String>,
    prev_lines: u64,
    prev_end: String,
    lines: u64,
    rotate_next: Option<String>,
    torn: Option<(String, u64, usize)>,
    first_prev_file: Option<String>,
    files: usize,
    records: u64,
    recoveries: u64,
    dropped: u64,
    pruned: Vec<String>,
}

fn brk(file: &str, line: u64, what: impl Into<String>) -> VerifyError {
    VerifyError::Break {
        file: file.to_owned(),
        line,
        what: what.into(),
    }
}

impl Verifier {
    fn line(&mut self, file: &str, line: u64, bytes: &[u8]) -> Result<(), VerifyError> {
        if line == 1 {
            self.new_file(file)?;
        }
        if self.last_kind == "rotate" || self.last_kind == "close" {
            return Err(brk(
                file,
                line,
                format!(
                    "follows the file's {} record: a file ends there",
                    self.last_kind
                ),
            ));
        }
        let hash = chain::check(bytes).map_err(|e| brk(file, line, format!("record {e}")))?;
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| brk(file, line, format!("record is not JSON ({e}): edited")))?;
        let seq = v["seq"]
            .as_u64()
            .ok_or_else(|| brk(file, line, "record has no seq"))?;
        let prev = v["prev"].as_str().unwrap_or("");
        // A header first says how the file before it ended (clearer than the chain).
        if line == 1 {
            self.header(file, &v, prev)?;
        }
        if let Some(want) = self.next_seq
            && seq != want
        {
            let what = if seq > want {
                format!(
                    "seq {seq} where {want} was due: {} record(s) before it were deleted (or moved)",
                    seq - want
                )
            } else {
                format!("seq {seq} where {want} was due: records were reordered (or copied)")
            };
            return Err(brk(file, line, what));
        }
        if let Some(want) = &self.prev_hash
            && prev != want
        {
            return Err(brk(
                file,
                line,
                "its prev hash is not the hash of the record before: a record was deleted, replaced or moved",
            ));
        }
        let kind = v["kind"].as_str().unwrap_or("").to_owned();
        self.lines = line;
        if line != 1 {
            match kind.as_str() {
                "header" => return Err(brk(file, line, "a header inside a file")),
                "rotate" | "close" => {}
                _ => self.records += 1,
            }
        }
        if let Some(d) = v["dropped"].as_u64() {
            self.dropped = self.dropped.max(d);
        }
        self.next_seq = Some(seq + 1);
        self.prev_hash = Some(hash);
        self.last_kind = kind;
        if self.last_kind == "rotate" {
            self.rotate_next = v["next"].as_str().map(str::to_owned);
        }
        Ok(())
    }
}

impl Verifier {
    /// The first line of a file: what the file before it must have ended with.
    fn new_file(&mut self, file: &str) -> Result<(), VerifyError> {
        if self.files > 0 {
            let prev = self.file.clone();
            if self.last_kind == "rotate" {
                let next = self.rotate_next.take().unwrap_or_default();
                if next != file {
                    return Err(brk(
                        file,
                        1,
                        format!(
                            "{prev} rotates to {next}, but the next file is {file}: {next} was deleted"
                        ),
                    ));
                }
            }
            self.prev_file = Some(prev);
            self.prev_lines = self.lines;
            self.prev_end = std::mem::take(&mut self.last_kind);
        }
        self.file = file.to_owned();
        self.files += 1;
        Ok(())
    }

    /// Checks a header against the file it is in and the file before it.
    fn header(&mut self, file: &str, v: &serde_json::Value, prev: &str) -> Result<(), VerifyError> {
        if v["kind"] != "header" {
            return Err(brk(
                file,
                1,
                "the first record is not a header: the file's start was cut or replaced",
            ));
        }
        if v["file"] != file {
            return Err(brk(
                file,
                1,
                format!(
                    "the header names the file {}: this file was renamed or copied",
                    v["file"]
                ),
            ));
        }
        let named = v["prev_file"].as_str();
        if let Some(p) = v["pruned"].as_array() {
            self.pruned
                .extend(p.iter().filter_map(|x| x.as_str().map(str::to_owned)));
        }
        let recovered = v["recovered"].as_bool().unwrap_or(false);
        let torn = v["torn_tail_bytes"].as_u64();
        let Some(before) = self.prev_file.clone() else {
            // The first file: the log's start, or the file after ones retention deleted.
            match named {
                None if prev != GENESIS => {
                    return Err(brk(
                        file,
                        1,
                        "the first file's header chains to a record that is not there: earlier files were deleted",
                    ));
                }
                None => {}
                Some(n) => self.first_prev_file = Some(n.to_owned()),
            }
            return Ok(());
        };
        if named != Some(before.as_str()) {
            let n = named.unwrap_or("no file");
            return Err(brk(
                file,
                1,
                format!(
                    "the header names {n} as the file before, but {before} is: {n} was deleted or replaced"
                ),
            ));
        }
        if let Some((tf, tl, n)) = self.torn.take() {
            if torn != u64::try_from(n).ok() {
                return Err(brk(
                    &tf,
                    tl,
                    format!(
                        "cut short ({n} bytes without an end), and the next file's header does not record it: truncated"
                    ),
                ));
            }
        } else if torn.is_some() {
            return Err(brk(
                &before,
                self.prev_lines + 1,
                "the next file's header records a half-written record here that is not there: the file's end was cut",
            ));
        }
        if self.prev_end != "rotate" && self.prev_end != "close" {
            if !recovered {
                return Err(brk(
                    &before,
                    self.prev_lines,
                    "the file ends without a close or rotate record and the next header records no crash: records after this line were deleted",
                ));
            }
            self.recoveries += 1;
        }
        Ok(())
    }

    fn finish(mut self, files: &[String], live: bool) -> Result<VerifyReport, VerifyError> {
        if let Some((tf, tl, n)) = self.torn.take()
            && !live
        {
            return Err(brk(
                &tf,
                tl,
                format!("cut short: the last record has {n} bytes and no end (truncated)"),
            ));
        }
        if self.last_kind == "rotate" {
            let next = self.rotate_next.take().unwrap_or_default();
            return Err(brk(
                &self.file,
                self.lines,
                format!(
                    "rotates to {next}, which is missing: {next} was deleted (or the writer died while rotating)"
                ),
            ));
        }
        if let Some(p) = &self.first_prev_file
            && !self.pruned.contains(p)
        {
            let first = files.first().cloned().unwrap_or_default();
            return Err(brk(
                &first,
                1,
                format!(
                    "the header names {p} as the file before, which is missing and was not deleted by retention: {p} was deleted"
                ),
            ));
        }
        Ok(VerifyReport {
            records: self.records,
            files: self.files,
            last_hash: self.prev_hash.unwrap_or_default(),
            sealed: self.last_kind == "close",
            live,
            recoveries: self.recoveries,
            dropped: self.dropped,
            pruned: self.pruned,
        })
    }
}

/// Calls `f` with every event record (headers and trailers skipped) and its raw line.
pub(crate) fn for_each_entry(
    dir: &Path,
    mut f: impl FnMut(Entry, &[u8]) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    scan(
        dir,
        |file, line, bytes| {
            let e: Entry = serde_json::from_slice(bytes).map_err(|e| {
                brk(
                    file,
                    line,
                    format!("not a record ({e}): run `dialguard audit verify`"),
                )
            })?;
            match e.kind.as_str() {
                "header" | "rotate" | "close" => Ok(()),
                _ => f(e, bytes),
            }
        },
        |_, _, _| Ok(()),
    )
    .map(drop)
}

/// Writes the records `filter` accepts to `out`, as JSON Lines exactly as logged;
/// returns how many.
pub fn show(dir: &Path, filter: &Filter, out: &mut dyn Write) -> Result<u64, VerifyError> {
    let key = filter.number.map(|n| number_key(dir, n)).transpose()?;
    let mut n = 0;
    for_each_entry(dir, |e, raw| {
        if filter.accepts(&e, key.as_ref()) {
            n += 1;
            out.write_all(raw)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|source| VerifyError::Io {
                    path: PathBuf::from("<output>"),
                    source,
                })?;
        }
        Ok(())
    })?;
    Ok(n)
}

/// The records of one number (E.164 digits) in the log in `dir`, in order.
pub fn entries_for(
    dir: &Path,
    digits: u64,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Vec<Entry>, VerifyError> {
    let filter = Filter {
        number: Some(digits),
        from,
        to,
    };
    let key = number_key(dir, digits)?;
    let mut v = Vec::new();
    for_each_entry(dir, |e, _| {
        if filter.accepts(&e, Some(&key)) {
            v.push(e);
        }
        Ok(())
    })?;
    Ok(v)
}
