//! The follower: one thread per node that keeps the local replica in step with Redis —
//! the initial load, `XREAD BLOCK` on every shard's stream, reconnection with catch-up
//! from the last stream ids, a full reload when entries were trimmed past them or Redis
//! restarted, and the replay of changes decided locally while Redis was away.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use redis::streams::{StreamId, StreamReadReply};
use redis::{Connection, RedisResult, Value};

use super::keys::{self, SHARDS};
use super::store::{Shared, slot_of, wall_micros};
use crate::history::{EPOCH_2020, Outcome, Tag};

/// How long one `XREAD` blocks: bounds how long dropping a store waits for the thread.
/// New entries wake it at once, so this does not delay propagation.
const BLOCK: Duration = Duration::from_millis(200);

/// Pause after applying a small read, so that one `XREAD` (about 25 µs of the
/// single-threaded server's time with 16 streams) carries several entries instead of
/// one per reservation. Not after a large read: the follower is behind, read on at once.
const COALESCE: Duration = Duration::from_millis(1);

/// A read with fewer entries than this is followed by the `COALESCE` pause.
const SMALL_READ: usize = 16;

/// Entries read per `XREAD`.
const BATCH: usize = 1000;

/// Keys read per `SCAN` step of a full reload.
const SCAN_COUNT: usize = 1000;

pub(crate) struct Follower {
    sh: Arc<Shared>,
    con: Option<Connection>,
    /// The last stream id applied, per shard (`0-0`: from the start).
    ids: Vec<String>,
    /// The Redis server's run id at the last connection: a change means a restart.
    run_id: Option<String>,
    backoff: Duration,
}

impl Follower {
    pub(crate) fn new(sh: Arc<Shared>) -> Follower {
        Follower {
            sh,
            con: None,
            ids: vec!["0-0".to_owned(); SHARDS],
            run_id: None,
            backoff: Duration::from_millis(20),
        }
    }

    pub(crate) fn run(mut self) {
        while !self.sh.stop.load(Ordering::Relaxed) {
            if self.con.is_none() && !self.step_connect() {
                std::thread::sleep(self.backoff);
                self.backoff = (self.backoff * 2).min(Duration::from_millis(500));
                continue;
            }
            self.step_read();
        }
    }

    /// Connects, catches up (reloading everything when needed) and appends what was
    /// decided locally meanwhile. False when Redis is still unreachable.
    pub(crate) fn step_connect(&mut self) -> bool {
        let sh = Arc::clone(&self.sh);
        let link = &sh.link;
        let read = BLOCK + self.sh.cfg.command_timeout();
        let Ok(mut con) = link.connect(Some(read)) else {
            link.mark_down();
            return false;
        };
        if self.resync(&mut con).is_err() {
            link.mark_down();
            return false;
        }
        link.mark_up();
        self.backoff = Duration::from_millis(20);
        self.con = Some(con);
        self.reconcile();
        true
    }

    fn resync(&mut self, con: &mut Connection) -> RedisResult<()> {
        let info: String = redis::cmd("INFO").arg("server").query(con)?;
        let rid = info
            .lines()
            .find_map(|l| l.strip_prefix("run_id:"))
            .unwrap_or("")
            .trim()
            .to_owned();
        let first = !self.sh.synced.load(Ordering::Acquire);
        let restarted = self.run_id.as_ref().is_some_and(|r| *r != rid);
        if first {
            // From the start of each retained stream: rebuilds the abandon counters;
            // the per-number keys below hold what was trimmed from it.
            self.load_all(con, false)?;
            self.sh.synced.store(true, Ordering::Release);
        } else if restarted || self.gap(con)? {
            // Versions may have gone back (a restart without persistence) or entries
            // were trimmed: reload from the keys, then follow from the streams' ends.
            let tails = self.tails(con)?;
            self.load_all(con, restarted)?;
            self.ids = tails;
        }
        self.run_id = Some(rid);
        Ok(())
    }

    /// True when a stream's oldest entry is newer than the last one applied here.
    fn gap(&self, con: &mut Connection) -> RedisResult<bool> {
        for (s, last) in self.ids.iter().enumerate() {
            if last == "0-0" {
                continue;
            }
            let first: Vec<StreamId> = redis::cmd("XRANGE")
                .arg(&self.sh.keys.shards[s].log)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query::<redis::streams::StreamRangeReply>(con)?
                .ids;
            if first.first().is_some_and(|f| id_key(&f.id) > id_key(last)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The newest id of every stream (`0-0` for an empty one).
    fn tails(&self, con: &mut Connection) -> RedisResult<Vec<String>> {
        let mut out = Vec::with_capacity(SHARDS);
        for sk in &self.sh.keys.shards {
            let r: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
                .arg(&sk.log)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query(con)?;
            out.push(
                r.ids
                    .first()
                    .map_or_else(|| "0-0".to_owned(), |i| i.id.clone()),
            );
        }
        Ok(out)
    }

    /// Loads every number key and opt-out of this prefix into the replica.
    fn load_all(&self, con: &mut Connection, force: bool) -> RedisResult<()> {
        let pattern = self.sh.keys.number_pattern();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .query(con)?;
            cursor = next;
            if batch.is_empty() {
                if cursor == 0 {
                    break;
                }
                continue;
            }
            let mut pipe = redis::pipe();
            for k in &batch {
                pipe.cmd("HMGET").arg(k).arg("v").arg("e");
            }
            let rows: Vec<(Option<String>, Option<Vec<u8>>)> = pipe.query(con)?;
            for (k, (v, e)) in batch.iter().zip(rows) {
                let v = v.as_deref().and_then(keys::pack_id);
                let (Some(n), Some(v)) = (keys::Keys::number_of_key(k), v) else {
                    continue;
                };
                // A value this version cannot read is left out here; a reservation on
                // that number reads it again and fails closed.
                if let Ok(evs) = keys::decode(&e.unwrap_or_default(), k) {
                    self.sh.install(n, v, slot_of(&evs), force);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for sk in &self.sh.keys.shards {
            let all: std::collections::HashMap<u64, i64> =
                redis::cmd("HGETALL").arg(&sk.optout).query(con)?;
            for (n, t) in all {
                self.opt_out(n, t, true);
            }
        }
        Ok(())
    }

    fn step_read(&mut self) {
        let Some(con) = self.con.as_mut() else { return };
        let logs: Vec<&str> = self.sh.keys.shards.iter().map(|s| s.log.as_str()).collect();
        let reply: RedisResult<Option<StreamReadReply>> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(u64::try_from(BLOCK.as_millis()).unwrap_or(200))
            .arg("STREAMS")
            .arg(&logs)
            .arg(&self.ids)
            .query(con);
        match reply {
            Ok(r) => {
                let mut got = 0;
                for k in r.map(|r| r.keys).unwrap_or_default() {
                    got += k.ids.len();
                    let Some(s) = logs.iter().position(|l| *l == k.key) else {
                        continue;
                    };
                    for entry in &k.ids {
                        self.apply(entry);
                    }
                    if let Some(last) = k.ids.last() {
                        self.ids[s].clone_from(&last.id);
                    }
                }
                if !self
                    .sh
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_empty()
                {
                    self.reconcile();
                }
                if got > 0 && got < SMALL_READ {
                    std::thread::sleep(COALESCE);
                }
            }
            Err(_) => {
                self.con = None;
                self.sh.link.mark_down();
            }
        }
    }

    /// Applies one stream entry to the replica. Entries are idempotent (versions, the
    /// earliest opt-out wins), so replaying one twice is harmless.
    fn apply(&self, entry: &StreamId) {
        let f = |name: &str| entry.map.get(name).and_then(bytes);
        let num = |name: &str| {
            f(name)
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<i64>().ok())
        };
        let own = f("i").is_some_and(|b| b == self.sh.instance.to_string().as_bytes());
        let (Some(kind), Some(n)) = (f("k"), num("n").and_then(|n| u64::try_from(n).ok())) else {
            return;
        };
        let t = num("t").unwrap_or(0);
        if !own && let Some(w) = num("w").and_then(|w| u64::try_from(w).ok()) {
            let d = wall_micros().saturating_sub(w);
            self.sh.sample(u32::try_from(d).unwrap_or(u32::MAX));
        }
        match kind.as_slice() {
            b"a" | b"o" => {
                // The entry's id is the version it wrote.
                let Some(v) = keys::pack_id(&entry.id) else {
                    return;
                };
                let what = self.sh.keys.number(n);
                if let Ok(evs) = keys::decode(&f("e").unwrap_or_default(), &what) {
                    self.sh.install(n, v, slot_of(&evs), false);
                }
                let outcome = num("o")
                    .and_then(|o| u8::try_from(o).ok())
                    .and_then(Outcome::from_code);
                let campaign = num("c").and_then(|c| u32::try_from(c).ok()).map(Tag);
                if kind == b"o"
                    && !own
                    && let (Some(o), Some(c), Some(at)) = (outcome, campaign, stamp(t))
                {
                    self.sh.replica.inner.campaigns.record_stamp(c, o, at);
                }
            }
            b"x" => self.opt_out(n, t, !own),
            _ => {}
        }
    }

    /// Records an opt-out and tells the listener when it is new here.
    fn opt_out(&self, n: u64, t: i64, notify: bool) {
        let Some(at) = stamp(t) else { return };
        if self.sh.opt_out_local(n, at) && notify {
            let l = self.sh.listener.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(l) = l.as_ref() {
                l(n, t);
            }
        }
    }

    /// Appends the changes decided locally, oldest first; stops at the first failure
    /// (kept for the next attempt).
    fn reconcile(&self) {
        loop {
            let next = self
                .sh
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            let Some(p) = next else { return };
            if self.sh.replay(p).is_err() {
                self.sh
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_front(p);
                return;
            }
        }
    }
}

fn stamp(t: i64) -> Option<u32> {
    u32::try_from(t.checked_sub(EPOCH_2020)?).ok()
}

/// A stream id `ms-seq` as a comparable pair.
fn id_key(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.as_bytes().to_vec()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}
