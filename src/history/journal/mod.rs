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

mod codec;
mod files;
mod recover;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::HistoryError;
use super::rules::Retention;
use super::store::Inner;
pub(crate) use codec::Record;
use codec::{
    CHECKPOINT_MAGIC, Enc, HEADER, JOURNAL_MAGIC, K_CP_CAMPAIGN, K_CP_END, K_CP_NUMBER,
    K_CP_OPTOUT, encode_journal, frame, header,
};
use files::{checkpoint_path, io, journal_path, list, sync_dir, write_at};
pub(crate) use recover::recover;

/// The state-directory format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

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
        let res = self.write_checkpoint(inner, &mut out, new_gen);
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

    /// Step 2 of [`checkpoint`](Self::checkpoint): every number's events, every
    /// campaign's counters and every opt-out, then an end record with their counts.
    fn write_checkpoint(
        &self,
        inner: &Inner,
        out: &mut BufWriter<File>,
        new_gen: u64,
    ) -> std::io::Result<()> {
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
                e.u32(count_u32(evs.len(), "events of one number")?);
                for ev in evs {
                    e.event(ev);
                }
                Ok::<(), std::io::Error>(())
            })?;
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
                .u32(count_u32(
                    c.answered.len(),
                    "answered calls of one campaign",
                )?)
                .u32(count_u32(
                    c.abandoned.len(),
                    "abandoned calls of one campaign",
                )?);
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
    }
}

/// A checkpoint record's count as the format's `u32`; a larger count fails the
/// checkpoint (nothing is lost: the journal it would have replaced stays).
fn count_u32(n: usize, what: &str) -> std::io::Result<u32> {
    u32::try_from(n).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{n} {what} exceed the checkpoint format's limit of {}; the checkpoint was not \
                 written and the journal keeps every record — shorten the retention or sweep",
                u32::MAX
            ),
        )
    })
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_count_beyond_u32_fails_the_checkpoint_with_a_reason() {
        assert_eq!(super::count_u32(7, "events").unwrap(), 7);
        let max = usize::try_from(u32::MAX).unwrap();
        assert_eq!(super::count_u32(max, "events").unwrap(), u32::MAX);
        let err = super::count_u32(max + 1, "events of one number").unwrap_err();
        assert!(
            err.to_string().contains("4294967296 events of one number"),
            "{err}"
        );
        assert!(
            err.to_string().contains("journal keeps every record"),
            "{err}"
        );
    }
}
