//! The decision log: a tamper-evident, append-only record of every check, reservation,
//! outcome, opt-out and complaint, written off the hot path, and the tools that read it
//! back (verify, show, reports, complaint evidence, subject access).
//!
//! # Format (JSON Lines, one file after another)
//! Files are `audit-NNNNNN-YYYYMMDD.jsonl` (a file counter and the UTC day it was opened)
//! in a 0700 directory, each 0600. Every line is one JSON object ending in
//! `"prev":"<hex>","h":"<hex>"}`: `h` is the SHA-256 of the line with `,"h":"…"` cut off
//! (so an edited byte is found on its own line), and `prev` is the `h` of the line before
//! (so a deleted or reordered line breaks the chain at the next one). Every line also
//! carries `seq`, a counter over the whole log. A file opens with a `header` line naming
//! the previous file and carrying its last hash, and ends with `rotate` (naming the next
//! file) or `close`; a file that ends with neither was cut short by a crash, which the next
//! file's header records (`recovered`). See [`verify()`] for what each break looks like.
//!
//! # What a crash can lose
//! - `durable = false` (the default): records still in the queue or in the writer's buffer
//!   when the process dies (at most the queue capacity plus one batch), and what the page
//!   cache had not written when the machine dies. [`AuditLog::sync`] waits until every
//!   record handed over before it is on disk.
//! - `durable = true`: [`AuditLog::record`] returns only once the record is on disk
//!   (`fdatasync`, records grouped per batch), so no acknowledged record is lost.
//!
//! A writer that fails (disk full, I/O error) stops; later records are counted as lost
//! ([`AuditLog::lost`]) and [`AuditLog::failure`] says why: a caller that must not decide
//! without a record (first law) denies once it is set.

mod chain;
mod evidence;
mod html;
mod pseudonym;
mod read;
mod record;
pub mod report;
mod segment;
#[cfg(test)]
mod tests;
mod writer;

use std::path::PathBuf;

pub use evidence::{ComplaintEvidence, Contact, complaint_evidence, records_for};
pub use read::{Entry, Filter, VerifyError, VerifyReport, show, verify};
pub use record::{Complaint, DecisionRecord, ListAge, RecordKind};
pub use report::{Report, ReportFormat, report};
pub use writer::{AuditLog, Logged};

/// The `[audit]` table of a policy (POLICY.md).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Where the log lives (created 0700; files 0600).
    pub dir: PathBuf,
    /// Keep numbers as keyed hashes (HMAC-SHA256 with the key in `audit.key` beside the
    /// log) instead of in clear.
    #[serde(default)]
    pub pseudonymize: bool,
    /// Files whose day is older than this are deleted at rotation (0 = keep forever).
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// What [`AuditLog::record`] does when the queue is full.
    #[serde(default)]
    pub when_full: WhenFull,
    /// A file is closed and the next one opened once it would pass this many bytes.
    #[serde(default = "default_rotate_bytes")]
    pub rotate_bytes: u64,
    /// `fdatasync` before a record is acknowledged (see the module docs).
    #[serde(default)]
    pub durable: bool,
    /// How many records the queue holds between the callers and the writer.
    #[serde(default = "default_queue")]
    pub queue: usize,
}

impl AuditConfig {
    /// The defaults for a log in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> AuditConfig {
        AuditConfig {
            dir: dir.into(),
            pseudonymize: false,
            retention_days: default_retention_days(),
            when_full: WhenFull::Block,
            rotate_bytes: default_rotate_bytes(),
            durable: false,
            queue: default_queue(),
        }
    }
}

fn default_retention_days() -> u32 {
    730
}

fn default_rotate_bytes() -> u64 {
    64 << 20
}

fn default_queue() -> usize {
    // About 3.5 MB of slots (records are held by value).
    16_384
}

/// What happens to a record when the writer's queue is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// The caller waits for room (no record is lost; a slow disk slows the dialer).
    #[default]
    Block,
    /// The record is dropped and counted: the next record written carries the count,
    /// and [`AuditLog::dropped`] returns it.
    Drop,
}

/// Opening or writing the log failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: cannot {action}: {source}; check the path and its permissions")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "audit log {path} is in use by another process (one writer per directory); stop it or give this one another dir"
    )]
    Locked { path: PathBuf },
    #[error("audit log {path}: {what}; run `dialguard audit verify {dir}` to see the damage")]
    Corrupt {
        path: PathBuf,
        dir: String,
        what: String,
    },
    #[error("audit config: {0}")]
    Config(String),
}

pub(crate) fn io_err(
    action: &'static str,
    path: &std::path::Path,
) -> impl FnOnce(std::io::Error) -> AuditError {
    let path = path.to_owned();
    move |source| AuditError::Io {
        action,
        path,
        source,
    }
}
