//! [`AuditLog`]: the bounded queue callers push records onto, and the writer thread that
//! seals them into the chain, writes them in batches, rotates files and syncs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::chain;
use super::pseudonym::Pseudonymizer;
use super::record::{DecisionRecord, RecordOut};
use super::segment::{self, Opening, Segment};
use super::{AuditConfig, AuditError, WhenFull};

/// The writer reads at most this many messages before writing them out as one batch.
const BATCH: usize = 4096;

/// What became of a record handed to [`AuditLog::record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    /// In the queue; the writer will write it.
    Queued,
    /// On disk (`durable = true`).
    Synced,
    /// The queue was full under `when_full = "drop"`: counted in [`AuditLog::dropped`]
    /// and in the next record written.
    Dropped,
    /// The writer has failed ([`AuditLog::failure`]): counted in [`AuditLog::lost`].
    Lost,
}

enum Msg {
    // By value: a box would cost a malloc on the hot path and a free on the writer.
    Record(DecisionRecord),
    Flush {
        sync: bool,
        done: mpsc::Sender<Result<(), String>>,
    },
}

/// Counters and state shared by the callers and the writer.
#[derive(Default)]
struct Shared {
    written: AtomicU64,
    dropped: AtomicU64,
    lost: AtomicU64,
    /// Set with `failure`: read on the hot path without a lock.
    broken: std::sync::atomic::AtomicBool,
    failure: Mutex<Option<String>>,
    /// Records the writer has received and written out (and synced when durable).
    done: Mutex<u64>,
    done_cv: Condvar,
}

impl Shared {
    fn failed(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    /// Records the first failure and wakes every durable caller waiting for its record.
    fn fail(&self, why: String) {
        if let Ok(mut f) = self.failure.lock() {
            f.get_or_insert(why);
        }
        self.broken.store(true, Ordering::Release);
        // Notified under the lock the waiters hold between their check and their wait,
        // so none misses it.
        let _held = self.done.lock().unwrap_or_else(|p| p.into_inner());
        self.done_cv.notify_all();
    }
}

/// The source of "now" for rotation by day and trailer instants (a test can move it).
pub(crate) type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_clock() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// An open decision log. `Send + Sync`: share it (e.g. in an `Arc`) between the threads
/// that decide. Dropping it writes the `close` record and waits for the writer.
pub struct AuditLog {
    tx: Option<SyncSender<Msg>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    when_full: WhenFull,
    durable: bool,
    /// Durable mode: sends in ticket order, so "the writer has done N records" tells
    /// each caller whether its own record is on disk.
    ticket: Mutex<u64>,
    dir: PathBuf,
}

impl AuditLog {
    /// Opens (or creates) the log in `cfg.dir`, continuing its chain in a new file.
    pub fn open(cfg: &AuditConfig) -> Result<AuditLog, AuditError> {
        Self::open_with_clock(cfg, Arc::new(system_clock))
    }

    pub(crate) fn open_with_clock(cfg: &AuditConfig, clock: Clock) -> Result<AuditLog, AuditError> {
        if cfg.queue == 0 {
            return Err(AuditError::Config("queue must be at least 1".into()));
        }
        if cfg.rotate_bytes < 4096 {
            return Err(AuditError::Config(format!(
                "rotate_bytes = {} is too small: give at least 4096",
                cfg.rotate_bytes
            )));
        }
        let lock = segment::lock_dir(&cfg.dir)?;
        let pseudo = if cfg.pseudonymize {
            Some(Pseudonymizer::open_or_create(&cfg.dir)?)
        } else {
            None
        };
        let r = segment::resume(&cfg.dir)?;
        let now = clock();
        let pruned = segment::prune(&cfg.dir, cfg.retention_days, now, r.prev_file.as_deref());
        let day = chain::day_of(now);
        let name = r
            .next_name
            .clone()
            .unwrap_or_else(|| chain::file_name(r.next_no, &day));
        let opening = Opening {
            name,
            no: r.next_no,
            day,
            prev_file: r.prev_file.as_deref(),
            seq: r.next_seq,
            now,
            pseudonymized: pseudo.is_some(),
            recovered: r.recovered,
            torn_tail_bytes: r.torn_tail_bytes,
            pruned,
        };
        let (seg, hash) = segment::create(&cfg.dir, opening, &r.last_hash)?;
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::sync_channel(cfg.queue);
        let mut w = Writer {
            dir: cfg.dir.clone(),
            rotate_bytes: cfg.rotate_bytes,
            retention_days: cfg.retention_days,
            durable: cfg.durable,
            seg,
            seq: r.next_seq + 1,
            last_hash: hash,
            buf: Vec::with_capacity(1 << 16),
            pseudo,
            clock,
            shared: Arc::clone(&shared),
            received: 0,
            pending: 0,
            _lock: lock,
        };
        let thread = std::thread::Builder::new()
            .name("dialguard-audit".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || {
                    let run = std::panic::AssertUnwindSafe(|| w.run(&rx));
                    if std::panic::catch_unwind(run).is_err() {
                        shared.fail("the audit writer panicked (a bug): records are lost".into());
                    }
                }
            })
            .map_err(io_err_thread)?;
        Ok(AuditLog {
            tx: Some(tx),
            shared,
            thread: Some(thread),
            when_full: cfg.when_full,
            durable: cfg.durable,
            ticket: Mutex::new(0),
            dir: cfg.dir.clone(),
        })
    }

    /// Hands a record to the writer. Under `when_full = "block"` waits for room in the
    /// queue; under `"drop"` drops and counts it instead. With `durable = true`, returns
    /// only once the record is on disk. Once the writer has failed, returns
    /// [`Logged::Lost`] at once (a caller bound to log every decision denies then).
    pub fn record(&self, r: DecisionRecord) -> Logged {
        let Some(tx) = self.tx.as_ref().filter(|_| !self.shared.failed()) else {
            self.shared.lost.fetch_add(1, Ordering::Relaxed);
            return Logged::Lost;
        };
        let msg = Msg::Record(r);
        if !self.durable {
            return match self.send(tx, msg) {
                Ok(()) => Logged::Queued,
                Err(l) => l,
            };
        }
        let mine = {
            let mut t = self.ticket.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(l) = self.send(tx, msg) {
                return l;
            }
            *t += 1;
            *t
        };
        let mut done = self.shared.done.lock().unwrap_or_else(|p| p.into_inner());
        while *done < mine {
            if self.shared.failed() {
                return Logged::Lost;
            }
            done = self
                .shared
                .done_cv
                .wait(done)
                .unwrap_or_else(|p| p.into_inner());
        }
        // A writer that failed still counts what it received: unwritten, not synced.
        if self.shared.failed() {
            return Logged::Lost;
        }
        Logged::Synced
    }

    fn send(&self, tx: &SyncSender<Msg>, msg: Msg) -> Result<(), Logged> {
        let sent = match self.when_full {
            WhenFull::Block => send_blocking(tx, msg).map_err(|()| false),
            WhenFull::Drop => tx
                .try_send(msg)
                .map_err(|e| matches!(e, TrySendError::Full(_))),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(true) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                Err(Logged::Dropped)
            }
            Err(false) => {
                self.shared.lost.fetch_add(1, Ordering::Relaxed);
                Err(Logged::Lost)
            }
        }
    }

    /// Waits until every record handed over before this call is written to the files
    /// (in the OS's cache: survives the process, not a power cut).
    pub fn flush(&self) -> Result<(), String> {
        self.wait(false)
    }

    /// Waits until every record handed over before this call is on disk.
    pub fn sync(&self) -> Result<(), String> {
        self.wait(true)
    }

    fn wait(&self, sync: bool) -> Result<(), String> {
        let tx = self.tx.as_ref().ok_or("the audit log is closed")?;
        let (done, rx) = mpsc::channel();
        tx.send(Msg::Flush { sync, done }).map_err(|_| {
            self.failure()
                .unwrap_or_else(|| "the audit writer stopped".into())
        })?;
        rx.recv()
            .map_err(|_| "the audit writer stopped".to_owned())?
    }

    /// Records written to the files so far.
    pub fn records_written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Records dropped because the queue was full (`when_full = "drop"`).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Records lost because the writer had failed.
    pub fn lost(&self) -> u64 {
        self.shared.lost.load(Ordering::Relaxed)
    }

    /// Why the writer stopped, once it has.
    pub fn failure(&self) -> Option<String> {
        self.shared
            .failure
            .lock()
            .map_or_else(|_| Some("the audit writer panicked".into()), |f| f.clone())
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the `close` record, syncs and stops the writer; the error says why the
    /// writer failed, if it did.
    pub fn close(mut self) -> Result<(), String> {
        self.stop();
        self.failure().map_or(Ok(()), Err)
    }

    fn stop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            self.fail("the audit writer panicked".into());
        }
    }

    fn fail(&self, why: String) {
        self.shared.fail(why);
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn io_err_thread(e: std::io::Error) -> AuditError {
    AuditError::Io {
        action: "start the audit writer thread",
        path: PathBuf::new(),
        source: e,
    }
}

/// Waits for room by polling: a caller parked in `send` makes the writer wake it for
/// every slot it frees, and that ping-pong of futex calls cost more than the writing
/// itself (seen in a profile of a full queue). A full queue holds tens of milliseconds
/// of the writer's work, so a wait of [`IDLE`] / 10 loses nothing.
fn send_blocking(tx: &SyncSender<Msg>, mut msg: Msg) -> Result<(), ()> {
    let mut tries = 0u32;
    loop {
        match tx.try_send(msg) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(m)) => msg = m,
            Err(TrySendError::Disconnected(_)) => return Err(()),
        }
        tries += 1;
        if tries < 8 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(IDLE / 10);
        }
    }
}

/// How long the writer sleeps when the queue is empty. It polls instead of blocking in
/// `recv` so that no caller pays for waking it (a futex call per record, measured at
/// three times the cost of a check); a flush waits this much more. A durable log blocks
/// instead: its callers wait for an fsync anyway, and the wake-up costs little beside it.
const IDLE: std::time::Duration = std::time::Duration::from_millis(1);

/// The next message (polling every [`IDLE`] unless `durable`); `None` once every sender
/// is gone.
fn next(rx: &Receiver<Msg>, durable: bool) -> Option<Msg> {
    if durable {
        return rx.recv().ok();
    }
    loop {
        match rx.try_recv() {
            Ok(m) => return Some(m),
            Err(mpsc::TryRecvError::Empty) => std::thread::sleep(IDLE),
            Err(mpsc::TryRecvError::Disconnected) => return None,
        }
    }
}

/// The writer thread's state.
struct Writer {
    dir: PathBuf,
    rotate_bytes: u64,
    retention_days: u32,
    durable: bool,
    seg: Segment,
    seq: u64,
    last_hash: String,
    buf: Vec<u8>,
    pseudo: Option<Pseudonymizer>,
    clock: Clock,
    shared: Arc<Shared>,
    received: u64,
    /// Records sealed into `buf` and not yet written.
    pending: u64,
    _lock: File,
}

impl Writer {
    fn run(&mut self, rx: &Receiver<Msg>) {
        let mut waiting = Vec::new();
        while let Some(first) = next(rx, self.durable) {
            let mut sync = self.durable;
            let mut msg = Some(first);
            let day = chain::day_of((self.clock)());
            for _ in 0..BATCH {
                let Some(m) = msg.take().or_else(|| rx.try_recv().ok()) else {
                    break;
                };
                match m {
                    Msg::Record(r) => {
                        self.received += 1;
                        if self.failed() {
                            self.shared.lost.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        if let Err(e) = self.push(&r, &day) {
                            self.set_failure(e);
                            self.shared.lost.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Msg::Flush { sync: s, done } => {
                        sync |= s;
                        waiting.push(done);
                    }
                }
            }
            if let Err(e) = self.write_out(sync) {
                self.set_failure(e);
            }
            let reply = self.failure_now().map_or(Ok(()), Err);
            for done in waiting.drain(..) {
                let _ = done.send(reply.clone());
            }
            let mut d = self.shared.done.lock().unwrap_or_else(|p| p.into_inner());
            *d = self.received;
            self.shared.done_cv.notify_all();
        }
        self.finish();
    }

    /// Seals one record into the buffer, rotating first when the file is full or the
    /// day has changed.
    fn push(&mut self, r: &DecisionRecord, day: &str) -> Result<(), String> {
        let full =
            self.seg.bytes + u64::try_from(self.buf.len()).unwrap_or(u64::MAX) >= self.rotate_bytes;
        if (full || day != self.seg.day) && self.seg.records > 0 {
            self.rotate(day)?;
        }
        let dropped = self.shared.dropped.load(Ordering::Relaxed);
        let out = RecordOut::new(r, self.seq, dropped, self.pseudo.as_ref());
        self.last_hash = chain::seal(&out, &self.last_hash, &mut self.buf);
        self.seq += 1;
        self.seg.records += 1;
        self.pending += 1;
        Ok(())
    }

    /// Ends the current file with `rotate` and opens the next (its header chained to it).
    fn rotate(&mut self, day: &str) -> Result<(), String> {
        let now = (self.clock)();
        let no = self.seg.no + 1;
        let name = chain::file_name(no, day);
        let dropped = self.shared.dropped.load(Ordering::Relaxed);
        self.last_hash = segment::trailer(
            self.seq,
            now,
            Some(&name),
            &self.seg,
            dropped,
            &self.last_hash,
            &mut self.buf,
        );
        self.seq += 1;
        self.write_out(true)?;
        let pruned = segment::prune(&self.dir, self.retention_days, now, Some(&self.seg.name));
        let opening = Opening {
            name,
            no,
            day: day.to_owned(),
            prev_file: Some(&self.seg.name),
            seq: self.seq,
            now,
            pseudonymized: self.pseudo.is_some(),
            recovered: false,
            torn_tail_bytes: None,
            pruned,
        };
        let (seg, hash) =
            segment::create(&self.dir, opening, &self.last_hash).map_err(|e| e.to_string())?;
        self.seg = seg;
        self.last_hash = hash;
        self.seq += 1;
        Ok(())
    }

    /// Writes the buffer to the current file (and syncs it when asked).
    fn write_out(&mut self, sync: bool) -> Result<(), String> {
        // Records count as written once in the file (and synced when asked), else lost.
        let pending = std::mem::take(&mut self.pending);
        let r = self.write_buf(sync);
        let counter = if r.is_ok() {
            &self.shared.written
        } else {
            &self.shared.lost
        };
        counter.fetch_add(pending, Ordering::Relaxed);
        r
    }

    fn write_buf(&mut self, sync: bool) -> Result<(), String> {
        if self.failed() {
            self.buf.clear();
            return Err(self.failure_now().unwrap_or_default());
        }
        let path = || self.dir.join(&self.seg.name).display().to_string();
        if !self.buf.is_empty() {
            self.seg
                .file
                .write_all(&self.buf)
                .map_err(|e| format!("cannot write {}: {e}", path()))?;
            self.seg.bytes += u64::try_from(self.buf.len()).unwrap_or(u64::MAX);
            self.buf.clear();
        }
        if sync {
            self.seg
                .file
                .sync_data()
                .map_err(|e| format!("cannot sync {}: {e}", path()))?;
        }
        Ok(())
    }

    /// The queue is closed: end the file with `close` and sync.
    fn finish(&mut self) {
        if self.failed() {
            return;
        }
        let dropped = self.shared.dropped.load(Ordering::Relaxed);
        let now = (self.clock)();
        self.last_hash = segment::trailer(
            self.seq,
            now,
            None,
            &self.seg,
            dropped,
            &self.last_hash,
            &mut self.buf,
        );
        if let Err(e) = self.write_out(true) {
            self.set_failure(e);
        }
    }

    fn failed(&self) -> bool {
        self.shared.failed()
    }

    fn failure_now(&self) -> Option<String> {
        self.shared.failure.lock().ok().and_then(|f| f.clone())
    }

    fn set_failure(&self, e: String) {
        self.shared.fail(e);
    }
}
