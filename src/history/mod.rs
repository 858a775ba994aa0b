//! Contact history: who was called when, for which campaign and subject, and how it
//! ended — and the rules that read it.
//!
//! This module owns
//! - the events ([`Event`], [`Outcome`], [`Tag`]) and the store seam ([`HistoryStore`]),
//!   implemented in process by [`History`] (a `DashMap` keyed by number, optionally
//!   journaled to a state directory with checkpoints);
//! - rolling caps ([`CapRule`], [`cap_clear_at`]) and cool-offs ([`CooloffRule`],
//!   [`cooloff_clear_at`]), each answering with the exact instant it clears;
//! - atomic reservation: [`HistoryStore::with_events`] decides and records under the
//!   number's entry lock, so a cap of N never admits N + 1 whatever the interleaving;
//! - per-campaign abandon counters ([`CampaignCounters`]) and run-time opt-outs, both
//!   recovered from the journal.
//!
//! Times are Unix seconds (`i64`) in the API and compact `u32` seconds since 2020 inside;
//! instants before 2020 or from 2100 on are rejected ([`HistoryError::InstantOutOfRange`]).

mod campaign;
mod event;
mod journal;
mod rules;
mod slot;
pub(crate) mod state_dir;
mod store;

use std::path::PathBuf;

pub use campaign::CampaignCounters;
pub use event::{
    AttemptId, EPOCH_2020, Event, MAX_INSTANT, MIN_INSTANT, NewEvent, Outcome, OutcomeSet, Tag,
};
pub use journal::{FORMAT_VERSION, FsyncPolicy, JournalOptions, RecoveryReport, TornTail};
pub use rules::{
    CapKey, CapRule, CoolSpan, CooloffRule, CountKind, FixedOffsetDays, LocalDays, Query,
    Retention, RuleRef, Span, cap_clear_at, clear_at, cooloff_clear_at, live_agent_pending,
};
pub use store::{History, KeyHasher, NumberHasher};
// The shared store (crate::cluster) computes new event lists with the same code as the
// in-process store, so both engines cannot diverge.
pub(crate) use slot::Slot;

use crate::Number;

/// The storage seam: [`History`] implements it in process, and
/// [`crate::cluster::RedisStore`] for several dialer servers sharing Redis/Valkey.
/// Every method is atomic per number.
pub trait HistoryStore: Send + Sync {
    /// Runs `f` on the number's events (ordered by instant, expired ones pruned) under
    /// the number's lock; if it returns `Some(event)`, appends it at `t` (journal first)
    /// and returns its id. Nothing is recorded when `f` returns `None` or on error.
    fn with_events(
        &self,
        n: Number,
        t: i64,
        f: &mut dyn FnMut(&[Event]) -> Option<NewEvent>,
    ) -> Result<Option<AttemptId>, HistoryError>;

    /// Attaches `outcome` to the reserved `attempt`; when `attempt` is `None` or no longer
    /// held (pruned, or another number's id) records a new event at `t` with the query's
    /// campaign and subject (the restrictive choice). Person-answered outcomes also feed
    /// the campaign's abandon counters at `t`. Returns the id of the event that holds it.
    fn record_outcome(
        &self,
        n: Number,
        attempt: Option<AttemptId>,
        outcome: Outcome,
        q: &Query,
        t: i64,
    ) -> Result<AttemptId, HistoryError>;

    /// Runs `f` on the number's events (empty when the number is unknown).
    fn read(&self, n: Number, f: &mut dyn FnMut(&[Event])) -> Result<(), HistoryError>;

    /// Records a run-time opt-out of the number (journaled), kept forever.
    fn record_opt_out(&self, n: Number, t: i64) -> Result<(), HistoryError>;

    /// Every run-time opt-out `(E.164 digits, instant)`, sorted by number.
    fn opted_out(&self) -> Result<Vec<(u64, i64)>, HistoryError>;

    /// `(abandoned, answered)` calls of the campaign within `(t - within, t]`.
    fn abandon_rate(&self, campaign: Tag, within: i64, t: i64) -> Result<(u32, u32), HistoryError>;

    /// A hint: starts loading the memory that holds `number`'s (E.164 digits) events, so
    /// that a lookup issued a little later does not wait for it. Never blocks, never
    /// changes anything; the default does nothing (stores whose lookups are not memory).
    fn prefetch(&self, number: u64) {
        let _ = number;
    }
}

/// What went wrong in the history, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// An instant outside 2020-01-01 .. 2100-01-01.
    #[error(
        "instant {t} is outside the supported range 2020-01-01..2100-01-01 \
         (Unix seconds {MIN_INSTANT}..{MAX_INSTANT}); pass Unix seconds, not milliseconds"
    )]
    InstantOutOfRange {
        /// The rejected instant (Unix seconds).
        t: i64,
    },

    /// An outcome name that is not one of the policy names.
    #[error("unknown outcome {name:?}; valid outcomes: {}", Outcome::NAMES)]
    UnknownOutcome {
        /// The name given.
        name: String,
    },

    /// A file operation failed (e.g. a full disk); nothing of the failed call was recorded.
    #[error("history: {action} {}: {source}; nothing of this call was recorded — {}", path.display(), io_hint(source))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A record that fails its checksum or does not parse, followed by more data: not a
    /// torn tail, so it is refused rather than skipped.
    #[error(
        "history state file {} is corrupted at byte offset {offset} (record #{record}): {what}; \
         records after it cannot be trusted to be skipped. Restore the directory from a backup, \
         or move this file aside to start from the remaining files (losing its records)",
        path.display()
    )]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damaged record.
        offset: u64,
        /// Index of the damaged record in the file (0-based).
        record: u64,
        /// What is wrong with it.
        what: String,
    },

    /// The state path exists and is not a directory.
    #[error(
        "history state path {} is a file, not a directory; give --state a directory (it is created if missing)",
        path.display()
    )]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },

    /// Another process holds the state directory.
    #[error(
        "history state directory {} is in use by another process (it is locked); \
         one guard per state directory — stop the other dialguard or use another --state",
        path.display()
    )]
    Locked {
        /// The state directory.
        path: PathBuf,
    },

    /// A file written by a newer dialguard.
    #[error(
        "history state file {} has format version {found}, this dialguard reads up to {supported}; \
         upgrade dialguard (or point it at a fresh state directory)",
        path.display()
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },

    /// The journal failed earlier (write or fsync error) and could not be repaired in
    /// place; no further record is accepted.
    #[error(
        "history journal is unusable after an earlier failure ({reason}); reopen the history to recover"
    )]
    Poisoned {
        /// The earlier failure.
        reason: String,
    },

    /// The shared store (Redis) could not be reached or answered wrongly in time; nothing
    /// of this call was recorded (a guard answers deny `store_unavailable`).
    #[error("shared history unavailable: {what}; {hint}")]
    Unavailable {
        /// What failed (the server address, never its password, and the cause).
        what: String,
        /// What to do about it.
        hint: &'static str,
    },
}

/// What to do about a failed state-file operation, by its cause.
fn io_hint(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull => "the disk is full: free space on it, then retry",
        ErrorKind::FileTooLarge => {
            "the process's file-size limit (ulimit -f) was reached: raise it, or checkpoint more often"
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            "the state directory is not writable by this user: fix its owner or permissions"
        }
        ErrorKind::NotADirectory | ErrorKind::AlreadyExists => {
            "a file stands where the state directory should be: give --state a directory"
        }
        _ => "check the disk and the state directory's permissions, then retry",
    }
}
