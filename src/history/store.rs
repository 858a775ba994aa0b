//! [`History`]: the in-process store — a `DashMap` from number to its compact events,
//! decisions taken under the number's entry lock, optionally journaled to disk.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::campaign::CampaignCounters;
use super::event::{AttemptId, Event, FLAG_LIVE_AGENT, NewEvent, Outcome, Tag, stamp};
use super::journal::{self, FsyncPolicy, Journal, JournalOptions, Record, RecoveryReport};
use super::rules::{Query, Retention};
use super::slot::Slot;
use super::{HistoryError, HistoryStore};
use crate::Number;

/// Hashes a `u64` key (a number, a tag) with seeded xxh3: about half SipHash's cost, and
/// the per-process seed keeps crafted number sets from degrading the map.
#[derive(Clone, Copy, Debug)]
pub struct NumberHasher {
    seed: u64,
}

impl Default for NumberHasher {
    fn default() -> NumberHasher {
        // One random seed per process, from std's own randomised hasher state.
        use std::sync::OnceLock;
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed = *SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x6469_616c_u64)
        });
        NumberHasher { seed }
    }
}

impl BuildHasher for NumberHasher {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            seed: self.seed,
            key: 0,
        }
    }
}

/// The hasher state: the key's bits, hashed once in `finish`.
#[derive(Clone, Copy, Debug)]
pub struct KeyHasher {
    seed: u64,
    key: u64,
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys that are not a single integer: fold them in.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.key = self.key.rotate_left(29) ^ u64::from_le_bytes(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.key ^= n;
    }
    fn write_u32(&mut self, n: u32) {
        self.key ^= n as u64;
    }
    fn finish(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(&self.key.to_le_bytes(), self.seed)
    }
}

pub(crate) type TagHasher = NumberHasher;

/// Asks the CPU to load the cache line holding `p` (a hint: any address is fine, none is
/// dereferenced).
#[inline(always)]
fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing the program sees.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Shards of the number map: more shards than the default (4 × cores) so that a
/// checkpoint, which holds one shard's read lock while it serialises it, stalls writers
/// of 1/64 of the numbers at a time.
const SHARDS: usize = 64;

pub(crate) struct Inner {
    pub(crate) map: DashMap<u64, super::slot::Slot, NumberHasher>,
    pub(crate) campaigns: CampaignCounters,
    pub(crate) opt_outs: DashMap<u64, u32, NumberHasher>,
    pub(crate) retention: RetentionCell,
    pub(crate) journal: Option<Journal>,
    stop: Mutex<bool>,
    wake: Condvar,
    /// The state directory's lock, held while the history is open.
    _lock: Option<super::state_dir::DirLock>,
}

/// Contact history: per-number events behind [`HistoryStore`], in memory
/// ([`History::in_memory`]) or journaled to a state directory ([`History::open`]).
///
/// Cloning is cheap (a shared handle).
///
/// ```
/// use dialguard::Number;
/// use dialguard::history::*;
/// let h = History::in_memory(30 * 86_400);
/// let n = Number::from_e164_digits(33_612_345_678).unwrap();
/// let cap = CapRule { max: 1, within: Span::Elapsed(86_400), key: CapKey::Number,
///                     count: CountKind::Attempts };
/// let q = Query::default();
/// let t = 1_780_000_000;
/// let days = FixedOffsetDays(3600);
/// let mut decide = |evs: &[Event]| {
///     (cap_clear_at(evs, &cap, &q, t, &days) <= t).then(|| NewEvent::attempt(&q))
/// };
/// let first = h.with_events(n, t, &mut decide).unwrap();
/// assert!(first.is_some());
/// assert_eq!(h.with_events(n, t, &mut decide).unwrap(), None); // cap of 1 reached
/// ```
#[derive(Clone)]
pub struct History {
    pub(crate) inner: Arc<Inner>,
    /// Stops the background fsync/checkpoint thread when the last clone drops.
    _worker: Option<Arc<WorkerHandle>>,
}

struct WorkerHandle {
    inner: Arc<Inner>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Ok(mut stop) = self.inner.stop.lock() {
            *stop = true;
        }
        self.inner.wake.notify_all();
        if let Ok(mut t) = self.thread.lock()
            && let Some(t) = t.take()
        {
            let _ = t.join();
        }
        if let Some(j) = &self.inner.journal {
            // Last chance to make buffered-in-kernel records durable under EveryMillis.
            let _ = j.sync();
        }
    }
}

impl History {
    fn build(retention: Retention, capacity: usize, journal: Option<Journal>) -> Inner {
        Inner {
            map: DashMap::with_capacity_and_hasher_and_shard_amount(
                capacity,
                NumberHasher::default(),
                SHARDS,
            ),
            campaigns: CampaignCounters::new(retention.campaign_keep),
            opt_outs: DashMap::with_hasher(NumberHasher::default()),
            retention: RetentionCell::new(retention),
            journal,
            stop: Mutex::new(false),
            wake: Condvar::new(),
            _lock: None,
        }
    }

    /// A history kept in memory only, keeping events `retention` seconds (opt-out
    /// outcomes forever). See [`History::with_retention`] for forever cool-offs.
    pub fn in_memory(retention: i64) -> History {
        History::with_retention(Retention::new(retention), 0)
    }

    /// A history kept in memory only, presized for `capacity` numbers.
    pub fn with_retention(retention: Retention, capacity: usize) -> History {
        History {
            inner: Arc::new(History::build(retention, capacity, None)),
            _worker: None,
        }
    }

    /// Opens (creating if needed) the state directory `dir`: loads the latest checkpoint,
    /// replays the journal after it, truncates a torn tail, and reports what it recovered.
    /// Refuses with an error a corrupted record in the middle of a file, or files written
    /// by a newer format version.
    pub fn open(
        dir: &Path,
        opts: JournalOptions,
    ) -> Result<(History, RecoveryReport), HistoryError> {
        let mut inner = History::build(opts.retention, opts.capacity, None);
        inner._lock = Some(super::state_dir::lock(dir)?);
        let (journal, report) = journal::recover(dir, &opts, &inner)?;
        inner.journal = Some(journal);
        let inner = Arc::new(inner);
        let needs_worker =
            matches!(opts.fsync, FsyncPolicy::EveryMillis(_)) || opts.checkpoint_every > 0;
        let worker = needs_worker.then(|| {
            let w = Arc::clone(&inner);
            let tick = match opts.fsync {
                FsyncPolicy::EveryMillis(ms) => Duration::from_millis(ms.max(1) as u64),
                _ => Duration::from_millis(500),
            };
            let every = opts.checkpoint_every;
            let thread = std::thread::Builder::new()
                .name("dialguard-history".into())
                .spawn(move || worker_loop(&w, tick, every))
                .ok();
            Arc::new(WorkerHandle {
                inner: Arc::clone(&inner),
                thread: Mutex::new(thread),
            })
        });
        Ok((
            History {
                inner,
                _worker: worker,
            },
            report,
        ))
    }

    /// Starts loading the cache lines a lookup of `number` (E.164 digits) reads first:
    /// the control bytes of its probe group and the buckets where the probe starts, which
    /// a plain lookup reads one after the other (two dependent DRAM misses). Issued early
    /// (or just before the lookup), both misses overlap; see [`super::HistoryStore::prefetch`].
    /// Takes the shard's read lock only if free, never waits.
    #[inline]
    pub fn prefetch(&self, number: u64) {
        if let Some(lines) = self.probe_lines(number) {
            for p in lines {
                prefetch_line(p);
            }
        }
    }

    /// The addresses a lookup of `number` reads first: the probe group's control bytes
    /// (16, which may cross a line) and the three buckets from the probe's start, where
    /// most entries sit (96 bytes: the points 0, 48 and 95 bytes in touch every line of
    /// it, whatever its alignment; the table is only 16-byte aligned, so a 32-byte bucket
    /// may straddle two lines). `None` when the shard is locked. Computed as hashbrown
    /// (inside dashmap) does; were that to change, only the prefetch would miss (a test
    /// checks the lines against where entries really are).
    #[inline]
    fn probe_lines(&self, number: u64) -> Option<[*const u8; 5]> {
        let map = &self.inner.map;
        let hash = map.hasher().hash_one(number);
        // hashbrown's reduction of the hash to a probe start (h1): its low bits.
        let h1 = hash as usize;
        let table = map.shards().get(map.determine_shard(h1))?.try_read()?;
        let pos = h1 & (table.buckets() - 1);
        // The control bytes follow the buckets; bucket `i` ends `i` buckets before them.
        let end = table.data_end().as_ptr();
        let ctrl = end.cast::<u8>().cast_const();
        // Buckets `pos`, `pos + 1` and `pos + 2`, lowest address first.
        let buckets = end.wrapping_sub(pos + 3).cast::<u8>().cast_const();
        Some([
            ctrl.wrapping_add(pos),
            ctrl.wrapping_add(pos + 15),
            buckets,
            buckets.wrapping_add(48),
            buckets.wrapping_add(95),
        ])
    }

    /// Bytes the number map holds: its tables at their current capacity (buckets and
    /// control bytes, whatever their load) and the events spilled out of line. Divided
    /// by [`History::len`], the memory a tracked number costs.
    pub fn heap_bytes(&self) -> usize {
        let map = &self.inner.map;
        // A bucket and its control byte, plus one probe group of trailing control bytes.
        let bucket = std::mem::size_of::<(u64, dashmap::SharedValue<Slot>)>() + 1;
        let tables: usize = map
            .shards()
            .iter()
            .map(|s| s.read().buckets() * bucket + 16)
            .sum();
        let spilled: usize = map.iter().map(|e| e.value().heap_bytes()).sum();
        tables + spilled
    }

    /// Number of tracked numbers.
    pub fn len(&self) -> usize {
        self.inner.map.len()
    }

    /// True when no number is tracked.
    pub fn is_empty(&self) -> bool {
        self.inner.map.is_empty()
    }

    /// Runs `f` on every tracked number and its events (in no particular order), one
    /// shard at a time: for exports and tests, not for the dial path.
    pub fn for_each(&self, mut f: impl FnMut(u64, &[Event])) {
        for entry in self.inner.map.iter() {
            entry.value().view(|evs| f(*entry.key(), evs));
        }
    }

    /// Changes what is kept from now on (a reloaded policy with longer caps, cool-offs
    /// or abandon windows). Events already pruned under a shorter retention are gone, so
    /// a guard keeps the longest retention any of its policies needed.
    pub fn set_retention(&self, r: Retention) {
        self.inner.retention.set(r);
        self.inner.campaigns.set_keep(r.campaign_keep);
    }

    /// The retention this history prunes with.
    pub fn retention(&self) -> Retention {
        self.inner.retention.get()
    }

    /// `(abandoned, answered)` calls of the campaign within `(t - within, t]`, from the
    /// outcomes given to [`HistoryStore::record_outcome`].
    pub fn abandon_rate(&self, campaign: Tag, within: i64, t: i64) -> (u32, u32) {
        self.inner.campaigns.abandon_rate(campaign, within, t)
    }

    /// See [`CampaignCounters::abandon_clear_at`](super::CampaignCounters::abandon_clear_at).
    pub fn abandon_clear_at(
        &self,
        campaign: Tag,
        within: i64,
        max_rate: f64,
        min_answered: u32,
        t: i64,
    ) -> i64 {
        self.inner
            .campaigns
            .abandon_clear_at(campaign, within, max_rate, min_answered, t)
    }

    /// Numbers opted out at run time ([`HistoryStore::record_opt_out`]) with the instant,
    /// sorted by number: what the guard rebuilds its live opt-out overlay from.
    pub fn opted_out(&self) -> Vec<(u64, i64)> {
        let mut v: Vec<(u64, i64)> = self
            .inner
            .opt_outs
            .iter()
            .map(|e| (*e.key(), *e.value() as i64 + super::event::EPOCH_2020))
            .collect();
        v.sort_unstable();
        v
    }

    /// Drops every event the retention no longer needs at `t`, and numbers left without
    /// events; returns how many numbers were dropped. Call it now and then (e.g. hourly):
    /// numbers that are never dialled again are otherwise only pruned by a checkpoint.
    pub fn sweep(&self, t: i64) -> usize {
        let before = self.inner.map.len();
        let r = self.inner.retention.get();
        self.inner.map.retain(|_, slot| {
            slot.prune(&r, t);
            !slot.is_empty()
        });
        before.saturating_sub(self.inner.map.len())
    }

    /// Writes a checkpoint now (journaled histories; a no-op in memory) and starts a new
    /// journal file, so that the next open replays only what follows.
    pub fn checkpoint(&self) -> Result<(), HistoryError> {
        match &self.inner.journal {
            Some(j) => j.checkpoint(&self.inner),
            None => Ok(()),
        }
    }

    /// Forces the journal to stable storage (whatever the fsync policy).
    pub fn sync(&self) -> Result<(), HistoryError> {
        match &self.inner.journal {
            Some(j) => j.sync(),
            None => Ok(()),
        }
    }

    /// How many times the journal's records were synced to disk (`fdatasync` calls that
    /// completed) since it was opened; 0 in memory. Under [`FsyncPolicy::EveryRecord`]
    /// it grows before every reserving call returns; operators can watch it too.
    pub fn journal_syncs(&self) -> u64 {
        self.inner.journal.as_ref().map_or(0, Journal::data_syncs)
    }
}

fn worker_loop(inner: &Inner, tick: Duration, checkpoint_every: u64) {
    loop {
        let Ok(stop) = inner.stop.lock() else { return };
        let Ok((stop, _)) = inner.wake.wait_timeout(stop, tick) else {
            return;
        };
        if *stop {
            return;
        }
        drop(stop);
        if let Some(j) = &inner.journal {
            // Errors surface to writers (a poisoned journal) or at the next explicit sync.
            let _ = j.sync_if_dirty();
            if checkpoint_every > 0 && j.records_since_checkpoint() >= checkpoint_every {
                let _ = j.checkpoint(inner);
            }
        }
    }
}

impl Inner {
    /// Applies a new event to a slot (prune, insert): shared by the live path and replay.
    pub(crate) fn apply_event(&self, slot: &mut super::slot::Slot, e: Event) -> AttemptId {
        slot.prune(&self.retention.get(), e.instant());
        slot.insert(e)
    }

    /// Applies an outcome: attach to the attempt when held, else a new event.
    pub(crate) fn apply_outcome(
        &self,
        slot: &mut super::slot::Slot,
        attempt: Option<AttemptId>,
        outcome: Outcome,
        e: Event,
    ) -> AttemptId {
        // Prune first, as the live path does before deciding: live and replay then agree
        // on whether an old attempt is still held.
        slot.prune(&self.retention.get(), e.instant());
        if let Some(id) = attempt
            && slot.set_outcome(id, outcome)
        {
            return id;
        }
        self.apply_event(slot, e)
    }
}

impl HistoryStore for History {
    fn with_events(
        &self,
        n: Number,
        t: i64,
        f: &mut dyn FnMut(&[Event]) -> Option<NewEvent>,
    ) -> Result<Option<AttemptId>, HistoryError> {
        let at = stamp(t)?;
        let inner = &*self.inner;
        let key = n.get();
        let make = |ne: NewEvent| Event {
            at,
            campaign: ne.campaign,
            subject: ne.subject,
            outcome: ne.outcome.map_or(0, Outcome::code),
            flags: if ne.live_agent { FLAG_LIVE_AGENT } else { 0 },
        };
        // The control bytes and the bucket load together rather than one after the other.
        self.prefetch(key);
        // The entry holds the shard's write lock from the decision to the insert: no
        // other thread can decide on this number in between.
        match inner.map.entry(key) {
            Entry::Occupied(mut o) => {
                o.get_mut().prune(&inner.retention.get(), t);
                let Some(ne) = o.get().view(|evs| f(evs)) else {
                    if o.get().is_empty() {
                        o.remove();
                    }
                    return Ok(None);
                };
                let e = make(ne);
                if let Some(j) = &inner.journal {
                    j.append(&Record::Event {
                        number: key,
                        event: e,
                    })?;
                }
                Ok(Some(inner.apply_event(o.get_mut(), e)))
            }
            Entry::Vacant(v) => {
                let Some(ne) = f(&[]) else { return Ok(None) };
                let e = make(ne);
                if let Some(j) = &inner.journal {
                    j.append(&Record::Event {
                        number: key,
                        event: e,
                    })?;
                }
                let mut slot = super::slot::Slot::default();
                let id = inner.apply_event(&mut slot, e);
                v.insert(slot);
                Ok(Some(id))
            }
        }
    }

    fn record_outcome(
        &self,
        n: Number,
        attempt: Option<AttemptId>,
        outcome: Outcome,
        q: &Query,
        t: i64,
    ) -> Result<AttemptId, HistoryError> {
        let at = stamp(t)?;
        let inner = &*self.inner;
        let key = n.get();
        let e = Event {
            at,
            campaign: q.campaign,
            subject: q.subject,
            outcome: outcome.code(),
            flags: if q.live_agent { FLAG_LIVE_AGENT } else { 0 },
        };
        let mut slot = inner.map.entry(key).or_default();
        // Hold the campaign's counter entry across append and apply, so a checkpoint
        // never sees this record's sequence number without its count.
        let mut counts = outcome
            .is_connected()
            .then(|| inner.campaigns.map.entry(q.campaign).or_default());
        if let Some(j) = &inner.journal
            && let Err(err) = j.append(&Record::Outcome {
                number: key,
                attempt,
                event: e,
            })
        {
            drop(counts);
            if slot.is_empty() {
                drop(slot);
                inner.map.remove_if(&key, |_, s| s.is_empty());
            }
            return Err(err);
        }
        let id = inner.apply_outcome(&mut slot, attempt, outcome, e);
        if let Some(c) = counts.as_deref_mut() {
            inner.campaigns.record_into(c, outcome, at);
        }
        Ok(id)
    }

    fn read(&self, n: Number, f: &mut dyn FnMut(&[Event])) -> Result<(), HistoryError> {
        self.prefetch(n.get());
        match self.inner.map.get(&n.get()) {
            Some(slot) => slot.view(|evs| f(evs)),
            None => f(&[]),
        }
        Ok(())
    }

    fn record_opt_out(&self, n: Number, t: i64) -> Result<(), HistoryError> {
        let at = stamp(t)?;
        let inner = &*self.inner;
        let key = n.get();
        // Journal under the entry lock, then apply: the map never holds an unjournaled one.
        let entry = inner.opt_outs.entry(key);
        if let Some(j) = &inner.journal {
            j.append(&Record::OptOut { number: key, at })?;
        }
        entry.and_modify(|a| *a = (*a).min(at)).or_insert(at);
        Ok(())
    }

    fn opted_out(&self) -> Result<Vec<(u64, i64)>, HistoryError> {
        Ok(History::opted_out(self))
    }

    fn abandon_rate(&self, campaign: Tag, within: i64, t: i64) -> Result<(u32, u32), HistoryError> {
        Ok(History::abandon_rate(self, campaign, within, t))
    }

    #[inline]
    fn prefetch(&self, number: u64) {
        History::prefetch(self, number);
    }
}

/// The retention, readable on every write without a lock and changeable on reload.
#[derive(Debug)]
pub(crate) struct RetentionCell {
    keep: std::sync::atomic::AtomicI64,
    forever: std::sync::atomic::AtomicU16,
    campaign_keep: std::sync::atomic::AtomicI64,
}

impl RetentionCell {
    fn new(r: Retention) -> RetentionCell {
        RetentionCell {
            keep: std::sync::atomic::AtomicI64::new(r.keep),
            forever: std::sync::atomic::AtomicU16::new(r.forever.0),
            campaign_keep: std::sync::atomic::AtomicI64::new(r.campaign_keep),
        }
    }

    pub(crate) fn get(&self) -> Retention {
        use std::sync::atomic::Ordering::Relaxed;
        Retention {
            keep: self.keep.load(Relaxed),
            forever: super::OutcomeSet(self.forever.load(Relaxed)),
            campaign_keep: self.campaign_keep.load(Relaxed),
        }
    }

    fn set(&self, r: Retention) {
        use std::sync::atomic::Ordering::Relaxed;
        self.keep.store(r.keep, Relaxed);
        self.forever.store(r.forever.0, Relaxed);
        self.campaign_keep.store(r.campaign_keep, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefetched bucket lines are where the entries are (for most numbers: an entry
    /// pushed further along its probe group is missed, never misread), so a dashmap or
    /// hashbrown update that hashes or lays out differently fails here, not silently.
    #[test]
    fn prefetched_lines_hold_most_entries() {
        let h = History::in_memory(86_400);
        let numbers: Vec<Number> = (0..50_000u64)
            .filter_map(|i| Number::from_e164_digits(33_600_000_000 + i * 7_919))
            .collect();
        for n in &numbers {
            h.with_events(*n, 1_780_000_000, &mut |_| {
                Some(NewEvent::attempt(&Query::default()))
            })
            .unwrap();
        }
        let line = |p: usize| p / 64;
        let hits = numbers
            .iter()
            .filter(|n| {
                let lines = h.probe_lines(n.get()).unwrap();
                let entry = h.inner.map.get(&n.get()).unwrap();
                // Every line of the entry's slot (24 bytes: one or two lines) is prefetched.
                let first = std::ptr::from_ref(entry.value()) as usize;
                [first, first + std::mem::size_of::<Slot>() - 1]
                    .iter()
                    .all(|&b| lines[2..].iter().any(|p| line(*p as usize) == line(b)))
            })
            .count();
        let share = hits as f64 / numbers.len() as f64;
        eprintln!(
            "entries on a prefetched bucket line: {:.1} %",
            share * 100.0
        );
        assert!(share >= 0.75, "{share}");
    }
}
