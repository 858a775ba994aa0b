//! Durability: an append-only journal of every reservation, outcome and opt-out, written
//! before the call that made it returns, and periodic checkpoints that bound replay.
//!
//! # Files (in the state directory)
//! - `journal.<gen>`: a 16-byte header (`DGHJ`, format version, generation) then records.
//! - `checkpoint.<gen>`: header (`DGHC`, version, generation) then the state as records,
//!   closed by an end record. Written to `checkpoint.tmp`, fsynced, renamed.
//!
//! Every record is framed as `len: u32 LE | check: u32 LE | payload[len]`, `check` being
//! the low 32 bits of xxh3(payload) seeded with `len`. Journal payloads carry a global
//! sequence number.
//!
//! # Checkpoints are fuzzy, replay is exact
//! A checkpoint first switches writers to journal `gen + 1`, then walks the map while
//! dialers keep writing. For each number it stores the highest sequence number appended
//! when it read that number (under the number's shard lock, so every record of that
//! number up to it is applied and none after). Replay of `journal.<gen + 1>` skips a
//! record whose sequence number is ≤ its number's (or campaign's) stored one, so nothing
//! is applied twice and nothing is lost, without stopping writers.
//!
//! # Recovery
//! Open loads the newest checkpoint and replays the journals from its generation on. A
//! record that fails its check and reaches the end of the file (or is followed only by
//! zeros) is a torn tail: an interrupted write that was never acknowledged; the file is
//! truncated there and the report says so. A bad record followed by more data is a
//! corruption and open refuses with [`HistoryError::Corrupt`] naming file, offset and
//! record.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::HistoryError;
use super::event::{AttemptId, EPOCH_2020, Event, MAX_INSTANT, Outcome, Tag};
use super::rules::Retention;
use super::slot::Slot;
use super::store::Inner;

/// The state-directory format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

const JOURNAL_MAGIC: [u8; 4] = *b"DGHJ";
const CHECKPOINT_MAGIC: [u8; 4] = *b"DGHC";
const HEADER: u64 = 16;
/// Largest record payload accepted on read (a checkpoint entry of a campaign can be big).
const MAX_PAYLOAD: usize = 1 << 30;
/// Largest journal record payload (an outcome record is 40 bytes). A length above it is
/// damage, so a flipped length bit cannot pass for a torn tail and swallow the file.
const MAX_JOURNAL_PAYLOAD: usize = 64;

const K_EVENT: u8 = 1;
const K_OUTCOME: u8 = 2;
const K_OPTOUT: u8 = 3;
const K_CP_NUMBER: u8 = 10;
const K_CP_CAMPAIGN: u8 = 11;
const K_CP_OPTOUT: u8 = 12;
const K_CP_END: u8 = 13;

/// When the journal is forced to stable storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fdatasync` after every record, before the call returns: an acknowledged
    /// reservation survives a power loss. The default.
    EveryRecord,
    /// `fdatasync` by a background thread at most this many milliseconds after a write:
    /// survives a process crash at once, a power loss except the last few ms.
    EveryMillis(u32),
    /// Never forced (the OS writes back): survives a process crash (the record is in the
    /// kernel before the call returns), not a power loss.
    Never,
}

/// How a journaled [`super::History`] behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalOptions {
    /// fsync policy; default [`FsyncPolicy::EveryRecord`].
    pub fsync: FsyncPolicy,
    /// Checkpoint in the background after this many journal records (0 = only on
    /// [`super::History::checkpoint`]); default 1 000 000 (≈ 40 MB of journal, replayed
    /// in well under a second).
    pub checkpoint_every: u64,
    /// What to keep (give [`Retention::for_rules`] of the policy); default 31 days +
    /// opt-outs forever.
    pub retention: Retention,
    /// Numbers to presize the map for.
    pub capacity: usize,
}

impl Default for JournalOptions {
    fn default() -> JournalOptions {
        JournalOptions {
            fsync: FsyncPolicy::EveryRecord,
            checkpoint_every: 1_000_000,
            retention: Retention::new(31 * 86_400 + 3_600),
            capacity: 0,
        }
    }
}

/// A truncated torn tail: bytes of an interrupted, never-acknowledged write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The journal file.
    pub file: PathBuf,
    /// Where it was cut (the end of the last whole record).
    pub offset: u64,
    /// How many bytes were dropped.
    pub bytes_dropped: u64,
}

/// What [`super::History::open`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Generation of the checkpoint loaded, if any.
    pub checkpoint: Option<u64>,
    /// Numbers loaded from it.
    pub checkpoint_numbers: u64,
    /// Journal files replayed.
    pub journals: u32,
    /// Journal records applied.
    pub records_replayed: u64,
    /// Journal records already contained in the checkpoint (skipped by design).
    pub records_in_checkpoint: u64,
    /// Torn tails truncated (at most one per file; normally only the last file).
    pub torn_tails: Vec<TornTail>,
    /// Numbers tracked after recovery.
    pub numbers: usize,
    /// Run-time opt-outs recovered.
    pub opt_outs: usize,
}

impl std::fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.checkpoint {
            Some(g) => write!(f, "checkpoint {g} ({} numbers)", self.checkpoint_numbers)?,
            None => write!(f, "no checkpoint")?,
        }
        write!(
            f,
            ", {} journal file(s): {} records replayed, {} already in the checkpoint; \
             {} numbers, {} opt-outs",
            self.journals,
            self.records_replayed,
            self.records_in_checkpoint,
            self.numbers,
            self.opt_outs
        )?;
        for t in &self.torn_tails {
            write!(
                f,
                "; torn tail of {} truncated at offset {} ({} bytes of an unacknowledged write dropped)",
                t.file.display(),
                t.offset,
                t.bytes_dropped
            )?;
        }
        Ok(())
    }
}

/// A journal record (its payload, without the sequence number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    /// A reservation (or any event appended by `with_events`).
    Event { number: u64, event: Event },
    /// An outcome: attached to `attempt` if held, else the event is added.
    Outcome {
        number: u64,
        attempt: Option<AttemptId>,
        event: Event,
    },
    /// A run-time opt-out.
    OptOut { number: u64, at: u32 },
}

// ---------------------------------------------------------------- encoding helpers

struct Enc<'a> {
    buf: &'a mut Vec<u8>,
}

impl Enc<'_> {
    fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn event(&mut self, e: &Event) -> &mut Self {
        self.u32(e.at)
            .u32(e.campaign.0)
            .u32(e.subject.0)
            .u8(e.outcome)
            .u8(e.flags)
    }
}

/// Reads fields from a payload; every read is bounds-checked (a short payload is a
/// parse error, never a panic).
struct Dec<'a> {
    b: &'a [u8],
}

impl Dec<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        if self.b.len() < N {
            return Err("record shorter than its kind requires".into());
        }
        let (h, t) = self.b.split_at(N);
        self.b = t;
        let mut a = [0u8; N];
        a.copy_from_slice(h);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    fn number(&mut self) -> Result<u64, String> {
        let n = self.u64()?;
        crate::Number::from_e164_digits(n)
            .map(|n| n.get())
            .ok_or_else(|| format!("invalid number {n}"))
    }
    fn stamp(&mut self) -> Result<u32, String> {
        let at = self.u32()?;
        if at as i64 >= MAX_INSTANT - EPOCH_2020 {
            return Err(format!("instant {at} out of range"));
        }
        Ok(at)
    }
    fn event(&mut self) -> Result<Event, String> {
        let at = self.stamp()?;
        let campaign = Tag(self.u32()?);
        let subject = Tag(self.u32()?);
        let outcome = self.u8()?;
        if outcome != 0 && Outcome::from_code(outcome).is_none() {
            return Err(format!("unknown outcome code {outcome}"));
        }
        let flags = self.u8()?;
        Ok(Event {
            at,
            campaign,
            subject,
            outcome,
            flags,
        })
    }
    fn end(&self) -> Result<(), String> {
        if self.b.is_empty() {
            Ok(())
        } else {
            Err(format!("{} unexpected trailing bytes", self.b.len()))
        }
    }
}

fn check(payload: &[u8]) -> u32 {
    xxhash_rust::xxh3::xxh3_64_with_seed(payload, payload.len() as u64) as u32
}

/// Frames `payload` (already in `buf[8..]`) in place.
fn frame(buf: &mut [u8]) {
    let len = (buf.len() - 8) as u32;
    let c = check(&buf[8..]);
    buf[..4].copy_from_slice(&len.to_le_bytes());
    buf[4..8].copy_from_slice(&c.to_le_bytes());
}

fn encode_journal(buf: &mut Vec<u8>, seq: u64, rec: &Record) {
    buf.clear();
    buf.extend_from_slice(&[0; 8]);
    let mut e = Enc { buf };
    match rec {
        Record::Event { number, event } => {
            e.u8(K_EVENT).u64(seq).u64(*number).event(event);
        }
        Record::Outcome {
            number,
            attempt,
            event,
        } => {
            e.u8(K_OUTCOME)
                .u64(seq)
                .u64(*number)
                .u8(attempt.is_some() as u8)
                .u64(attempt.map_or(0, |a| a.0))
                .event(event);
        }
        Record::OptOut { number, at } => {
            e.u8(K_OPTOUT).u64(seq).u64(*number).u32(*at);
        }
    }
    frame(buf);
}

fn decode_journal(p: &[u8]) -> Result<(u64, Record), String> {
    let mut d = Dec { b: p };
    let kind = d.u8()?;
    let seq = d.u64()?;
    let rec = match kind {
        K_EVENT => Record::Event {
            number: d.number()?,
            event: d.event()?,
        },
        K_OUTCOME => {
            let number = d.number()?;
            let has = d.u8()?;
            let id = d.u64()?;
            let event = d.event()?;
            if Outcome::from_code(event.outcome).is_none() {
                return Err("outcome record without an outcome".into());
            }
            Record::Outcome {
                number,
                attempt: (has != 0).then_some(AttemptId(id)),
                event,
            }
        }
        K_OPTOUT => Record::OptOut {
            number: d.number()?,
            at: d.stamp()?,
        },
        k => return Err(format!("unknown journal record kind {k}")),
    };
    d.end()?;
    Ok((seq, rec))
}

fn header(magic: [u8; 4], generation: u64) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&magic);
    h[4..8].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[8..].copy_from_slice(&generation.to_le_bytes());
    h
}

fn check_header(
    path: &Path,
    h: &[u8],
    magic: [u8; 4],
    generation: u64,
) -> Result<(), HistoryError> {
    let corrupt = |what: String| HistoryError::Corrupt {
        path: path.to_owned(),
        offset: 0,
        record: 0,
        what,
    };
    if h.len() < HEADER as usize || h[..4] != magic {
        return Err(corrupt(format!(
            "not a dialguard history file (expected magic {:?})",
            String::from_utf8_lossy(&magic)
        )));
    }
    let version = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    if version > FORMAT_VERSION {
        return Err(HistoryError::NewerFormat {
            path: path.to_owned(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(corrupt("format version 0".into()));
    }
    let g = u64::from_le_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
    if g != generation {
        return Err(corrupt(format!(
            "header says generation {g}, file name says {generation}"
        )));
    }
    Ok(())
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> HistoryError + 'a {
    move |source| HistoryError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn sync_dir(dir: &Path) -> Result<(), HistoryError> {
    // Makes a create/rename/delete durable; directories cannot be opened for sync on
    // every platform, so only Unix does it.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing directory", dir))?;
    let _ = dir;
    Ok(())
}

fn journal_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("journal.{g:012}"))
}

fn checkpoint_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("checkpoint.{g:012}"))
}

fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
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

// ---------------------------------------------------------------- the writer

struct Writer {
    file: Arc<File>,
    path: PathBuf,
    generation: u64,
    len: u64,
    next_seq: u64,
    buf: Vec<u8>,
    poisoned: Option<String>,
}

/// The open journal of a [`super::History`].
pub(crate) struct Journal {
    dir: PathBuf,
    fsync: FsyncPolicy,
    w: Mutex<Writer>,
    /// Highest sequence number appended (read by checkpoints under entry locks).
    last_seq: AtomicU64,
    dirty: AtomicBool,
    since_checkpoint: AtomicU64,
    checkpointing: Mutex<()>,
    /// Group commit under [`FsyncPolicy::EveryRecord`]: the highest sequence number known
    /// to be on disk. Held while syncing, so writers that queue behind one fsync find
    /// their record already covered and return without another.
    synced: Mutex<u64>,
    /// Completed data syncs of journal files: the seam through which tests observe that
    /// a record reached the disk before the call that wrote it returned.
    data_syncs: AtomicU64,
}

fn poisoned<T>(e: std::sync::PoisonError<T>) -> HistoryError {
    HistoryError::Poisoned {
        reason: format!("a thread panicked while writing the journal: {e}"),
    }
}

impl Journal {
    /// Appends one record; returns only when it is in the kernel (and on disk under
    /// [`FsyncPolicy::EveryRecord`]). On failure nothing of it remains in the file.
    pub(crate) fn append(&self, rec: &Record) -> Result<u64, HistoryError> {
        let mut w = self.w.lock().map_err(poisoned)?;
        if let Some(reason) = &w.poisoned {
            return Err(HistoryError::Poisoned {
                reason: reason.clone(),
            });
        }
        let seq = w.next_seq;
        let mut buf = std::mem::take(&mut w.buf);
        encode_journal(&mut buf, seq, rec);
        let res = write_at(&w.file, &buf, w.len);
        let n = buf.len() as u64;
        w.buf = buf;
        if let Err(e) = res {
            // Cut off whatever part of the record reached the file, so the next record
            // does not follow garbage (which would read as corruption, not a torn tail).
            if let Err(e2) = w.file.set_len(w.len) {
                w.poisoned = Some(format!(
                    "a failed append ({e}) could not be cut back ({e2})"
                ));
            }
            return Err(HistoryError::Io {
                action: "appending to journal",
                path: w.path.clone(),
                source: e,
            });
        }
        w.len += n;
        w.next_seq += 1;
        self.last_seq.store(seq, Ordering::SeqCst);
        self.since_checkpoint.fetch_add(1, Ordering::Relaxed);
        if self.fsync != FsyncPolicy::EveryRecord {
            self.dirty.store(true, Ordering::Release);
            return Ok(seq);
        }
        // fsync outside the writer lock, so other writers keep appending and share the
        // next fsync (group commit).
        let file = Arc::clone(&w.file);
        drop(w);
        self.sync_through(seq, &file)?;
        Ok(seq)
    }

    /// Returns once record `seq`, written to `file`, is on disk. A failed fsync poisons
    /// the journal: the kernel may have dropped the pages, so nothing later can be
    /// trusted. (The record stays in the file unacknowledged: if it survives, a restart
    /// counts one attempt more than was acknowledged — the restrictive side.)
    fn sync_through(&self, seq: u64, file: &File) -> Result<(), HistoryError> {
        let mut done = self.synced.lock().map_err(poisoned)?;
        if *done >= seq {
            return Ok(());
        }
        // A rotation takes `synced` before switching files, so while it is held every
        // record up to `upto` is in `file` or in an older, already synced file.
        let upto = self.last_seq.load(Ordering::SeqCst);
        if let Err(e) = self.sync_data(file) {
            let mut w = self.w.lock().map_err(poisoned)?;
            w.poisoned = Some(format!("fsync failed: {e}"));
            return Err(HistoryError::Io {
                action: "syncing journal",
                path: w.path.clone(),
                source: e,
            });
        }
        *done = upto;
        Ok(())
    }

    /// Forces the current journal file to disk.
    pub(crate) fn sync(&self) -> Result<(), HistoryError> {
        let (file, path) = {
            let w = self.w.lock().map_err(poisoned)?;
            (Arc::clone(&w.file), w.path.clone())
        };
        self.dirty.store(false, Ordering::Release);
        // Outside the lock: writers keep appending while the disk works.
        self.sync_data(&file).map_err(io("syncing journal", &path))
    }

    /// `fdatasync` of a journal file, counted.
    fn sync_data(&self, file: &File) -> std::io::Result<()> {
        file.sync_data()?;
        self.data_syncs.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Completed data syncs of journal files since the journal was opened.
    pub(crate) fn data_syncs(&self) -> u64 {
        self.data_syncs.load(Ordering::Acquire)
    }

    pub(crate) fn sync_if_dirty(&self) -> Result<(), HistoryError> {
        if self.dirty.load(Ordering::Acquire) {
            self.sync()
        } else {
            Ok(())
        }
    }

    pub(crate) fn records_since_checkpoint(&self) -> u64 {
        self.since_checkpoint.load(Ordering::Relaxed)
    }

    /// Switches to a new journal generation, writes the state as a checkpoint of it,
    /// then deletes what it supersedes. Writers are blocked only for the switch and,
    /// per shard, while the checkpoint reads that shard.
    pub(crate) fn checkpoint(&self, inner: &Inner) -> Result<(), HistoryError> {
        let _one = self.checkpointing.lock().map_err(poisoned)?;
        // 1. Rotate (holding `synced` first: see `sync_through`).
        let mut synced = self.synced.lock().map_err(poisoned)?;
        let (old_file, new_gen, upto) = {
            let mut w = self.w.lock().map_err(poisoned)?;
            if let Some(reason) = &w.poisoned {
                return Err(HistoryError::Poisoned {
                    reason: reason.clone(),
                });
            }
            let g = w.generation + 1;
            let path = journal_path(&self.dir, g);
            let file = create_journal(&self.dir, &path, g)?;
            let old = std::mem::replace(&mut w.file, Arc::new(file));
            w.path = path;
            w.generation = g;
            w.len = HEADER;
            self.since_checkpoint.store(0, Ordering::Relaxed);
            (old, g, self.last_seq.load(Ordering::SeqCst))
        };
        // Everything in the old generation must be durable before it is superseded.
        self.sync_data(&old_file)
            .map_err(io("syncing journal", &self.dir))?;
        *synced = (*synced).max(upto);
        drop(synced);
        drop(old_file);

        // 2. Write the checkpoint.
        let tmp = self.dir.join("checkpoint.tmp");
        let file = super::state_dir::private_file()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io("creating checkpoint", &tmp))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let werr = io("writing checkpoint", &tmp);
        let res = (|| -> std::io::Result<()> {
            out.write_all(&header(CHECKPOINT_MAGIC, new_gen))?;
            let mut buf = Vec::with_capacity(256);
            let (mut numbers, mut campaigns, mut opt_outs) = (0u64, 0u64, 0u64);
            for entry in inner.map.iter() {
                // Read under this entry's shard lock (held by the iterator).
                let lsn = self.last_seq.load(Ordering::SeqCst);
                buf.clear();
                buf.extend_from_slice(&[0; 8]);
                let mut e = Enc { buf: &mut buf };
                e.u8(K_CP_NUMBER).u64(*entry.key()).u64(lsn);
                entry.value().view(|evs| {
                    e.u32(evs.len() as u32);
                    for ev in evs {
                        e.event(ev);
                    }
                });
                frame(&mut buf);
                out.write_all(&buf)?;
                numbers += 1;
            }
            for entry in inner.campaigns.map.iter() {
                let lsn = self.last_seq.load(Ordering::SeqCst);
                let c = entry.value();
                buf.clear();
                buf.extend_from_slice(&[0; 8]);
                let mut e = Enc { buf: &mut buf };
                e.u8(K_CP_CAMPAIGN)
                    .u32(entry.key().0)
                    .u64(lsn)
                    .u32(c.answered.len() as u32)
                    .u32(c.abandoned.len() as u32);
                for &x in c.answered.iter().chain(c.abandoned.iter()) {
                    e.u32(x);
                }
                frame(&mut buf);
                out.write_all(&buf)?;
                campaigns += 1;
            }
            for entry in inner.opt_outs.iter() {
                buf.clear();
                buf.extend_from_slice(&[0; 8]);
                Enc { buf: &mut buf }
                    .u8(K_CP_OPTOUT)
                    .u64(*entry.key())
                    .u32(*entry.value());
                frame(&mut buf);
                out.write_all(&buf)?;
                opt_outs += 1;
            }
            buf.clear();
            buf.extend_from_slice(&[0; 8]);
            Enc { buf: &mut buf }
                .u8(K_CP_END)
                .u64(self.last_seq.load(Ordering::SeqCst))
                .u64(numbers)
                .u64(campaigns)
                .u64(opt_outs);
            frame(&mut buf);
            out.write_all(&buf)?;
            out.flush()?;
            out.get_ref().sync_all()
        })();
        if let Err(e) = res {
            drop(out);
            let _ = fs::remove_file(&tmp);
            return Err(werr(e));
        }
        drop(out);
        let final_path = checkpoint_path(&self.dir, new_gen);
        fs::rename(&tmp, &final_path).map_err(io("renaming checkpoint", &final_path))?;
        sync_dir(&self.dir)?;

        // 3. Drop what the checkpoint supersedes (best effort: leftovers are ignored on
        // open because their generation is older than the checkpoint).
        for (g, path, _) in list(&self.dir)? {
            if g < new_gen {
                let _ = fs::remove_file(path);
            }
        }
        Ok(())
    }
}

fn create_journal(dir: &Path, path: &Path, g: u64) -> Result<File, HistoryError> {
    let mut f = super::state_dir::private_file()
        .create_new(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(io("creating journal", path))?;
    f.write_all(&header(JOURNAL_MAGIC, g))
        .and_then(|_| f.sync_all())
        .map_err(io("writing journal header", path))?;
    sync_dir(dir)?;
    Ok(f)
}

/// State files of the directory: (generation, path, is_checkpoint), sorted.
fn list(dir: &Path) -> Result<Vec<(u64, PathBuf, bool)>, HistoryError> {
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

// ---------------------------------------------------------------- recovery

/// Reads one framed record at `pos`; `Err((offset, what, is_tail))` when it is bad,
/// `is_tail` meaning nothing but this record (or zeros) follows.
fn read_record(data: &[u8], pos: usize) -> Result<(&[u8], usize), (String, bool)> {
    let rest = &data[pos..];
    let tail_after =
        |end: usize| end >= data.len() || data[end.min(data.len())..].iter().all(|&b| b == 0);
    if rest.len() < 8 {
        return Err(("incomplete record header".into(), true));
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let c = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if len == 0 || len > MAX_JOURNAL_PAYLOAD {
        return Err((format!("invalid record length {len}"), tail_after(pos)));
    }
    if rest.len() < 8 + len {
        return Err(("record extends past the end of the file".into(), true));
    }
    let payload = &rest[8..8 + len];
    if check(payload) != c {
        return Err(("checksum mismatch".into(), tail_after(pos + 8 + len)));
    }
    Ok((payload, pos + 8 + len))
}

struct Parsed {
    seq: u64,
    rec: Record,
}

/// Replays the state directory into `inner` (built without a journal) and opens the
/// journal for appending.
pub(crate) fn recover(
    dir: &Path,
    opts: &JournalOptions,
    inner: &Inner,
) -> Result<(Journal, RecoveryReport), HistoryError> {
    fs::create_dir_all(dir).map_err(io("creating state directory", dir))?;
    let _ = fs::remove_file(dir.join("checkpoint.tmp"));
    let files = list(dir)?;
    let mut report = RecoveryReport::default();
    let cp = files.iter().rev().find(|f| f.2).map(|f| (f.0, f.1.clone()));
    let base_gen = cp.as_ref().map_or(0, |c| c.0);
    let journals: Vec<(u64, PathBuf)> = files
        .iter()
        .filter(|f| !f.2 && f.0 >= base_gen)
        .map(|f| (f.0, f.1.clone()))
        .collect();

    // 1. Read the journals (small: bounded by checkpoint_every).
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut last: Option<(u64, PathBuf, u64)> = None; // generation, path, valid length
    let mut max_seq = 0u64;
    for (g, path) in &journals {
        let mut data = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut data))
            .map_err(io("reading journal", path))?;
        if data.len() < HEADER as usize {
            // Crashed while creating it: only a header was being written.
            if data.iter().all(|&b| b == 0) || JOURNAL_MAGIC.starts_with(&data[..data.len().min(4)])
            {
                fs::remove_file(path).map_err(io("removing empty journal", path))?;
                report.torn_tails.push(TornTail {
                    file: path.clone(),
                    offset: 0,
                    bytes_dropped: data.len() as u64,
                });
                continue;
            }
        }
        check_header(path, &data, JOURNAL_MAGIC, *g)?;
        report.journals += 1;
        let mut pos = HEADER as usize;
        let mut index = 0u64;
        while pos < data.len() {
            match read_record(&data, pos) {
                Ok((payload, next)) => {
                    let (seq, rec) =
                        decode_journal(payload).map_err(|what| HistoryError::Corrupt {
                            path: path.clone(),
                            offset: pos as u64,
                            record: index,
                            what,
                        })?;
                    max_seq = max_seq.max(seq);
                    parsed.push(Parsed { seq, rec });
                    pos = next;
                    index += 1;
                }
                Err((_, true)) => {
                    let f = OpenOptions::new()
                        .write(true)
                        .open(path)
                        .map_err(io("opening journal", path))?;
                    f.set_len(pos as u64)
                        .and_then(|_| f.sync_all())
                        .map_err(io("truncating torn journal tail", path))?;
                    report.torn_tails.push(TornTail {
                        file: path.clone(),
                        offset: pos as u64,
                        bytes_dropped: (data.len() - pos) as u64,
                    });
                    data.truncate(pos);
                    break;
                }
                Err((what, false)) => {
                    return Err(HistoryError::Corrupt {
                        path: path.clone(),
                        offset: pos as u64,
                        record: index,
                        what,
                    });
                }
            }
        }
        last = Some((*g, path.clone(), data.len() as u64));
    }

    // 2. Load the checkpoint, keeping sequence marks only for keys the journals touch.
    let touched_numbers: HashSet<u64> = parsed
        .iter()
        .map(|p| match p.rec {
            Record::Event { number, .. }
            | Record::Outcome { number, .. }
            | Record::OptOut { number, .. } => number,
        })
        .collect();
    let mut number_lsn: HashMap<u64, u64> = HashMap::new();
    let mut campaign_lsn: HashMap<Tag, u64> = HashMap::new();
    if let Some((g, path)) = &cp {
        let (seq, n) = load_checkpoint(
            path,
            *g,
            inner,
            &touched_numbers,
            &mut number_lsn,
            &mut campaign_lsn,
        )?;
        max_seq = max_seq.max(seq);
        report.checkpoint = Some(*g);
        report.checkpoint_numbers = n;
    }

    // 3. Replay, skipping what the checkpoint already holds.
    for p in &parsed {
        match p.rec {
            Record::Event { number, event } => {
                if p.seq <= number_lsn.get(&number).copied().unwrap_or(0) {
                    report.records_in_checkpoint += 1;
                    continue;
                }
                let mut slot = inner.map.entry(number).or_default();
                inner.apply_event(&mut slot, event);
                report.records_replayed += 1;
            }
            Record::Outcome {
                number,
                attempt,
                event,
            } => {
                let Some(outcome) = event.outcome() else {
                    continue;
                };
                let n_done = p.seq <= number_lsn.get(&number).copied().unwrap_or(0);
                let c_done = p.seq <= campaign_lsn.get(&event.campaign).copied().unwrap_or(0);
                if !n_done {
                    let mut slot = inner.map.entry(number).or_default();
                    inner.apply_outcome(&mut slot, attempt, outcome, event);
                }
                if !c_done && outcome.is_connected() {
                    let mut c = inner.campaigns.map.entry(event.campaign).or_default();
                    inner.campaigns.record_into(&mut c, outcome, event.at);
                }
                if n_done && c_done {
                    report.records_in_checkpoint += 1;
                } else {
                    report.records_replayed += 1;
                }
            }
            Record::OptOut { number, at } => {
                inner
                    .opt_outs
                    .entry(number)
                    .and_modify(|a| *a = (*a).min(at))
                    .or_insert(at);
                report.records_replayed += 1;
            }
        }
    }
    report.numbers = inner.map.len();
    report.opt_outs = inner.opt_outs.len();

    // 4. Open the newest journal for appending (or start one).
    let (generation, path, len, file) = match last {
        Some((g, path, len)) => {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io("opening journal", &path))?;
            (g, path, len, f)
        }
        None => {
            let g = base_gen.max(1);
            let path = journal_path(dir, g);
            let _ = fs::remove_file(&path); // an empty/torn one removed above, if any
            let f = create_journal(dir, &path, g)?;
            (g, path, HEADER, f)
        }
    };
    let journal = Journal {
        dir: dir.to_owned(),
        fsync: opts.fsync,
        w: Mutex::new(Writer {
            file: Arc::new(file),
            path,
            generation,
            len,
            next_seq: max_seq + 1,
            buf: Vec::with_capacity(64),
            poisoned: None,
        }),
        last_seq: AtomicU64::new(max_seq),
        dirty: AtomicBool::new(false),
        since_checkpoint: AtomicU64::new(parsed.len() as u64),
        checkpointing: Mutex::new(()),
        synced: Mutex::new(max_seq),
        data_syncs: AtomicU64::new(0),
    };
    Ok((journal, report))
}

/// Loads a checkpoint into `inner`; returns (last sequence number, numbers loaded).
fn load_checkpoint(
    path: &Path,
    g: u64,
    inner: &Inner,
    touched: &HashSet<u64>,
    number_lsn: &mut HashMap<u64, u64>,
    campaign_lsn: &mut HashMap<Tag, u64>,
) -> Result<(u64, u64), HistoryError> {
    let file = File::open(path).map_err(io("opening checkpoint", path))?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut h = [0u8; HEADER as usize];
    r.read_exact(&mut h).map_err(|_| HistoryError::Corrupt {
        path: path.to_owned(),
        offset: 0,
        record: 0,
        what: "shorter than its header".into(),
    })?;
    check_header(path, &h, CHECKPOINT_MAGIC, g)?;
    let mut offset = HEADER;
    let mut index = 0u64;
    let mut payload = Vec::new();
    let mut numbers = 0u64;
    loop {
        let corrupt = |what: String| HistoryError::Corrupt {
            path: path.to_owned(),
            offset,
            record: index,
            what,
        };
        let mut fh = [0u8; 8];
        r.read_exact(&mut fh)
            .map_err(|_| corrupt("checkpoint ends without its end record".into()))?;
        let len = u32::from_le_bytes([fh[0], fh[1], fh[2], fh[3]]) as usize;
        let c = u32::from_le_bytes([fh[4], fh[5], fh[6], fh[7]]);
        if len == 0 || len > MAX_PAYLOAD {
            return Err(corrupt(format!("invalid record length {len}")));
        }
        payload.resize(len, 0);
        r.read_exact(&mut payload)
            .map_err(|_| corrupt("checkpoint ends inside a record".into()))?;
        if check(&payload) != c {
            return Err(corrupt("checksum mismatch".into()));
        }
        let mut d = Dec { b: &payload };
        match d.u8().map_err(&corrupt)? {
            K_CP_NUMBER => {
                let number = d.number().map_err(&corrupt)?;
                let lsn = d.u64().map_err(&corrupt)?;
                let count = d.u32().map_err(&corrupt)?;
                let mut slot = Slot::default();
                for _ in 0..count {
                    slot.insert(d.event().map_err(&corrupt)?);
                }
                d.end().map_err(&corrupt)?;
                if touched.contains(&number) {
                    number_lsn.insert(number, lsn);
                }
                inner.map.insert(number, slot);
                numbers += 1;
            }
            K_CP_CAMPAIGN => {
                let tag = Tag(d.u32().map_err(&corrupt)?);
                let lsn = d.u64().map_err(&corrupt)?;
                let n_ans = d.u32().map_err(&corrupt)?;
                let n_ab = d.u32().map_err(&corrupt)?;
                let mut c = super::campaign::Counts::default();
                for _ in 0..n_ans {
                    c.answered.push_back(d.u32().map_err(&corrupt)?);
                }
                for _ in 0..n_ab {
                    c.abandoned.push_back(d.u32().map_err(&corrupt)?);
                }
                d.end().map_err(&corrupt)?;
                campaign_lsn.insert(tag, lsn);
                inner.campaigns.map.insert(tag, c);
            }
            K_CP_OPTOUT => {
                let number = d.number().map_err(&corrupt)?;
                let at = d.stamp().map_err(&corrupt)?;
                d.end().map_err(&corrupt)?;
                inner.opt_outs.insert(number, at);
            }
            K_CP_END => {
                let seq = d.u64().map_err(&corrupt)?;
                let n = d.u64().map_err(&corrupt)?;
                let _campaigns = d.u64().map_err(&corrupt)?;
                let _opt_outs = d.u64().map_err(&corrupt)?;
                d.end().map_err(&corrupt)?;
                if n != numbers {
                    return Err(corrupt(format!(
                        "end record counts {n} numbers, the file holds {numbers}"
                    )));
                }
                return Ok((seq, numbers));
            }
            k => return Err(corrupt(format!("unknown checkpoint record kind {k}"))),
        }
        offset += 8 + len as u64;
        index += 1;
    }
}
