//! [`RedisStore`]: the shared history behind [`HistoryStore`] — decisions taken locally
//! with the local engine's code, committed by one compare-and-set script per change.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use dashmap::DashMap;

use super::config::{ClusterConfig, ClusterError, WhenUnavailable};
use super::keys::{self, Keys};
use super::link::Link;
use crate::Number;
use crate::history::{
    AttemptId, Event, History, HistoryError, HistoryStore, NewEvent, NumberHasher, Outcome, Query,
    Retention, Slot, Tag,
};

/// How many times a change is retried when another node changed the number in between
/// (each retry is one round trip with fresh events); then the call fails closed.
const MAX_TRIES: usize = 16;

/// Per-number locks of this process (striped): threads of one node do not race each
/// other through Redis, so conflicts only come from other nodes.
const STRIPES: usize = 256;

/// The version of a replica entry holding changes Redis does not have yet: followers
/// never overwrite it with an older state, and a commit never matches it.
const LOCAL_ONLY: u64 = u64::MAX;

/// Samples of propagation delay kept for [`RedisStore::take_propagation_micros`].
const MAX_SAMPLES: usize = 100_000;

/// A change decided locally while Redis was unreachable (`when_unavailable = "local"`),
/// appended when it returns.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pending {
    Event {
        n: u64,
        e: Event,
    },
    Outcome {
        n: u64,
        attempt: Option<AttemptId>,
        outcome: Outcome,
        e: Event,
    },
    OptOut {
        n: u64,
        at: u32,
    },
}

/// Called by the follower for each opt-out first seen from another node:
/// `(E.164 digits, instant)`.
pub type OptOutListener = Box<dyn Fn(u64, i64) + Send + Sync>;

/// What one committed change says, for the stream entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Change {
    pub(crate) kind: &'static str,
    pub(crate) campaign: Tag,
    pub(crate) outcome: u8,
    pub(crate) at: u32,
}

/// The result of the compare-and-set script.
pub(crate) enum Cas {
    Done(u64),
    Conflict(u64, Vec<u8>),
}

/// State shared by the callers and the follower thread.
pub(crate) struct Shared {
    pub(crate) cfg: ClusterConfig,
    pub(crate) keys: Keys,
    pub(crate) link: Link,
    pub(crate) replica: History,
    /// The Redis version each replica entry was read at (absent: 0, no key).
    pub(crate) versions: DashMap<u64, u64, NumberHasher>,
    stripes: Box<[Mutex<()>]>,
    /// Random per process: the follower skips counting its own outcomes twice.
    pub(crate) instance: u64,
    pub(crate) node: String,
    pub(crate) local_decisions: AtomicU64,
    pub(crate) pending: Mutex<VecDeque<Pending>>,
    pub(crate) stop: AtomicBool,
    /// The replica was loaded from Redis at least once.
    pub(crate) synced: AtomicBool,
    pub(crate) listener: Mutex<Option<OptOutListener>>,
    pub(crate) samples: Mutex<Vec<u32>>,
}

/// The contact history shared by several dialer servers through Redis (or Valkey).
///
/// See the [module documentation](super) for the design and its guarantees.
pub struct RedisStore {
    shared: Arc<Shared>,
    follower: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("redis", &self.shared.link.url())
            .field("node", &self.shared.node)
            .field("synced", &self.synced())
            .field("local_decisions", &self.local_decisions())
            .finish()
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.follower.take() {
            // The follower's blocking read is bounded (see follower.rs), so this ends.
            let _ = t.join();
        }
    }
}

impl RedisStore {
    /// Connects, loads this node's replica from Redis and starts following the change
    /// streams. When Redis cannot be reached the store still opens: it keeps trying in
    /// the background, and meanwhile fails closed (`deny`) or decides locally (`local`).
    /// Errors only for a configuration that cannot work.
    pub fn open(cfg: &ClusterConfig, retention: Retention) -> Result<RedisStore, ClusterError> {
        let link = Link::new(cfg)?;
        let node = cfg.node.clone().unwrap_or_else(default_node);
        let shared = Arc::new(Shared {
            keys: Keys::new(&cfg.key_prefix),
            cfg: cfg.clone(),
            link,
            replica: History::with_retention(retention, 0),
            versions: DashMap::with_hasher(NumberHasher::default()),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            instance: random_u64(),
            node,
            local_decisions: AtomicU64::new(0),
            pending: Mutex::new(VecDeque::new()),
            stop: AtomicBool::new(false),
            synced: AtomicBool::new(false),
            listener: Mutex::new(None),
            samples: Mutex::new(Vec::new()),
        });
        let mut follower = super::follower::Follower::new(Arc::clone(&shared));
        // The first load on the caller's thread: a node that can reach Redis starts
        // consistent. When it cannot, the follower thread keeps trying.
        follower.step_connect();
        let thread = std::thread::Builder::new()
            .name("dialguard-redis".into())
            .spawn(move || follower.run())
            .map_err(|e| ClusterError::Invalid {
                key: "redis",
                value: cfg.redacted_url(),
                expected: format!("a store whose follower thread can start ({e})"),
            })?;
        Ok(RedisStore {
            shared,
            follower: Some(thread),
        })
    }

    /// The local replica checks read: other nodes' changes arrive within milliseconds.
    /// Its abandon counters ([`History::abandon_clear_at`]) and retention
    /// ([`History::set_retention`]) are what a guard uses as with an in-process history.
    pub fn replica(&self) -> &History {
        &self.shared.replica
    }

    /// Reservations admitted locally because Redis was unreachable (`when_unavailable =
    /// "local"`), or while the number still had changes waiting for it: each may have
    /// exceeded a cap across nodes. Operators alert on it.
    pub fn local_decisions(&self) -> u64 {
        self.shared.local_decisions.load(Ordering::Relaxed)
    }

    /// Changes decided locally and not yet appended to Redis.
    pub fn pending(&self) -> usize {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// True once the replica was loaded from Redis; before that, a `deny` store refuses
    /// reads (the replica would be empty, i.e. permissive).
    pub fn synced(&self) -> bool {
        self.shared.synced.load(Ordering::Acquire)
    }

    /// Calls `f(digits, instant)` from the follower thread for each opt-out recorded by
    /// another node, so a guard adds it to its live opt-out overlay at once.
    pub fn set_opt_out_listener(&self, f: OptOutListener) {
        *self
            .shared
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(f);
    }

    /// Takes the propagation delays measured so far (µs from another node's commit to
    /// this node's replica holding it; wall clocks, so meaningful on one host or with
    /// synchronised clocks).
    pub fn take_propagation_micros(&self) -> Vec<u32> {
        std::mem::take(
            &mut *self
                .shared
                .samples
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// One `PING` round trip on a pooled connection (for `dialguard bench`).
    pub fn ping(&self) -> Result<(), HistoryError> {
        self.shared
            .link
            .run("PING", |c| redis::cmd("PING").query::<String>(c).map(drop))
    }

    /// One `EVALSHA` of an empty script (for `dialguard bench`): the floor of any
    /// scripted reservation.
    pub fn eval_empty(&self) -> Result<(), HistoryError> {
        static EMPTY: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
        let s = EMPTY.get_or_init(|| redis::Script::new("return 1"));
        self.shared
            .link
            .run("EVALSHA", |c| s.invoke::<i64>(c).map(drop))
    }

    /// The configuration this store runs with.
    pub fn config(&self) -> &ClusterConfig {
        &self.shared.cfg
    }
}

impl Shared {
    fn stripe(&self, n: u64) -> std::sync::MutexGuard<'_, ()> {
        let i = usize::try_from(n % STRIPES as u64).unwrap_or(0);
        self.stripes[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn local(&self) -> bool {
        self.cfg.when_unavailable == WhenUnavailable::Local
    }

    /// After a failed change: decide locally only in `local` mode and only when Redis is
    /// unreachable — contention, a refused command or a malformed value fail closed.
    fn fall_back_locally(&self) -> bool {
        self.local() && self.link.is_down()
    }

    /// The number's events and the version they were read at, consistently.
    pub(crate) fn snapshot(&self, n: u64) -> (u64, Slot) {
        let v = self.versions.get(&n);
        let ver = v.as_deref().copied().unwrap_or(0);
        let slot = self
            .replica
            .inner
            .map
            .get(&n)
            .map(|s| s.clone())
            .unwrap_or_default();
        (ver, slot)
    }

    /// Installs events read from Redis at version `v`: only when newer than the replica's
    /// (the follower may already hold a later change), or always when `force` (Redis's
    /// own current answer, e.g. after its data was reset).
    pub(crate) fn install(&self, n: u64, v: u64, slot: Slot, force: bool) {
        let mut cur = self.versions.entry(n).or_insert(0);
        if !force && v <= *cur {
            return;
        }
        *cur = v;
        if slot.is_empty() {
            self.replica.inner.map.remove(&n);
        } else {
            self.replica.inner.map.insert(n, slot);
        }
    }

    /// Seconds Redis keeps the number's key: until its last event leaves the retention,
    /// plus an hour; 0 (forever) while it holds an event kept forever (an opt-out).
    fn ttl(&self, slot: &Slot, t: i64) -> i64 {
        let r = self.replica.retention();
        slot.view(|evs| {
            if evs
                .iter()
                .any(|e| e.outcome().is_some_and(|o| r.forever.contains(o)))
            {
                return 0;
            }
            let last = evs.iter().map(Event::instant).max().unwrap_or(t);
            last.saturating_add(r.keep)
                .saturating_sub(t)
                .saturating_add(3_600)
                .max(60)
        })
    }

    /// Runs the compare-and-set script for the number's new events.
    fn cas(
        &self,
        n: u64,
        expected: u64,
        slot: &Slot,
        t: i64,
        c: Change,
    ) -> Result<Cas, HistoryError> {
        let blob = slot.view(keys::encode);
        let sk = self.keys.shard(n);
        let key = self.keys.number(n);
        let ttl = self.ttl(slot, t);
        // LOCAL_ONLY has no stream id: it must never match, and "local" never does.
        let expected = match expected {
            LOCAL_ONLY => "local".to_owned(),
            v => keys::unpack_id(v),
        };
        let (ok, v, cur): (i64, String, Vec<u8>) = self.link.run("reservation script", |con| {
            self.link
                .cas
                .key(&key)
                .key(&sk.log)
                .arg(&expected)
                .arg(&blob)
                .arg(ttl)
                .arg(self.cfg.stream_maxlen)
                .arg(c.kind)
                .arg(n)
                .arg(c.campaign.0)
                .arg(c.outcome)
                .arg(crate::history::EPOCH_2020 + i64::from(c.at))
                .arg(self.instance)
                .arg(&self.node)
                .arg(wall_micros())
                .invoke(con)
        })?;
        let Some(v) = keys::pack_id(&v) else {
            return Err(HistoryError::Unavailable {
                what: format!("{key} holds version {v:?}, not a stream id this build reads"),
                hint: "check that no other program writes under this key_prefix",
            });
        };
        Ok(if ok == 1 {
            Cas::Done(v)
        } else {
            Cas::Conflict(v, cur)
        })
    }

    /// Applies `change` to the number's current events and commits it, retrying with
    /// fresh events on a conflict. `change` returns `None` to record nothing.
    pub(crate) fn commit(
        &self,
        n: u64,
        t: i64,
        c: Change,
        change: &mut dyn FnMut(&mut Slot) -> Option<AttemptId>,
    ) -> Result<Option<(AttemptId, Slot)>, HistoryError> {
        let r = self.replica.retention();
        for _ in 0..MAX_TRIES {
            let (ver, mut slot) = self.snapshot(n);
            slot.prune(&r, t);
            let Some(id) = change(&mut slot) else {
                return Ok(None);
            };
            match self.cas(n, ver, &slot, t, c) {
                Ok(Cas::Done(v)) => {
                    self.install(n, v, slot.clone(), false);
                    return Ok(Some((id, slot)));
                }
                Ok(Cas::Conflict(v, blob)) => {
                    let evs = keys::decode(&blob, &self.keys.number(n))?;
                    self.install(n, v, slot_of(&evs), true);
                }
                Err(e) => return Err(e),
            }
        }
        Err(HistoryError::Unavailable {
            what: format!(
                "number {n} changed on other nodes {MAX_TRIES} times while this node decided"
            ),
            hint: "a burst of attempts on one number from many nodes: retry the call shortly",
        })
    }

    /// [`Shared::commit`], except for a number holding changes not yet appended to Redis
    /// (`Err(None)`): it is decided locally until they are, so that no decision is based
    /// on Redis's events without them.
    #[allow(clippy::type_complexity)]
    fn commit_unless_pending(
        &self,
        n: u64,
        t: i64,
        c: Change,
        change: &mut dyn FnMut(&mut Slot) -> Option<AttemptId>,
    ) -> Result<Option<(AttemptId, Slot)>, Option<HistoryError>> {
        if self.local() && self.versions.get(&n).is_some_and(|v| *v == LOCAL_ONLY) {
            return Err(None);
        }
        self.commit(n, t, c, change).map_err(Some)
    }

    /// Applies a change to the replica only (Redis unreachable, `local` mode) and queues
    /// it for Redis. The replica's version becomes [`LOCAL_ONLY`], which no Redis version
    /// equals: the next commit of this number (the replay of this change included) sees
    /// a conflict and starts again from Redis's events, never from the local-only ones.
    fn decide_locally(&self, n: u64, slot: Slot, p: Pending) {
        if matches!(p, Pending::Event { .. }) {
            self.local_decisions.fetch_add(1, Ordering::Relaxed);
        }
        let mut v = self.versions.entry(n).or_insert(0);
        *v = LOCAL_ONLY;
        self.replica.inner.map.insert(n, slot);
        self.queue(p);
    }

    pub(crate) fn queue(&self, p: Pending) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(p);
    }

    fn unsynced(&self) -> HistoryError {
        HistoryError::Unavailable {
            what: format!(
                "the replica of this node was never loaded from Redis at {}",
                self.link.url()
            ),
            hint: super::link::HINT_UNREACHABLE,
        }
    }

    fn check_synced(&self) -> Result<(), HistoryError> {
        if self.local() || self.synced.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(self.unsynced())
        }
    }

    /// Appends one queued change (reconciliation): the event is added whatever the caps
    /// say now — it was acknowledged, the call may have been placed.
    pub(crate) fn replay(&self, p: Pending) -> Result<(), HistoryError> {
        let r = self.replica.retention();
        match p {
            Pending::Event { n, e } => {
                let c = change_of("a", e, 0);
                self.commit(n, e.instant(), c, &mut |s| Some(s.insert(e)))?;
            }
            Pending::Outcome {
                n,
                attempt,
                outcome,
                e,
            } => {
                let c = change_of("o", e, outcome.code());
                self.commit(n, e.instant(), c, &mut |s| {
                    Some(apply_outcome(s, &r, attempt, outcome, e))
                })?;
            }
            Pending::OptOut { n, at } => self.opt_out_remote(n, at)?,
        }
        Ok(())
    }

    fn opt_out_remote(&self, n: u64, at: u32) -> Result<(), HistoryError> {
        let sk = self.keys.shard(n);
        self.link.run("opt-out script", |con| {
            self.link
                .opt_out
                .key(&sk.optout)
                .key(&sk.log)
                .arg(n)
                .arg(crate::history::EPOCH_2020 + i64::from(at))
                .arg(self.cfg.stream_maxlen)
                .arg(self.instance)
                .arg(&self.node)
                .arg(wall_micros())
                .invoke::<i64>(con)
                .map(drop)
        })
    }

    /// Records an opt-out in the replica (the earliest instant wins); true when new.
    pub(crate) fn opt_out_local(&self, n: u64, at: u32) -> bool {
        let mut fresh = false;
        self.replica
            .inner
            .opt_outs
            .entry(n)
            .and_modify(|a| *a = (*a).min(at))
            .or_insert_with(|| {
                fresh = true;
                at
            });
        fresh
    }

    pub(crate) fn sample(&self, micros: u32) {
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if s.len() < MAX_SAMPLES {
            s.push(micros);
        }
    }
}

/// The outcome semantics of the in-process store (`Inner::apply_outcome`): attach to the
/// attempt when held, else record a new event.
fn apply_outcome(
    s: &mut Slot,
    r: &Retention,
    attempt: Option<AttemptId>,
    outcome: Outcome,
    e: Event,
) -> AttemptId {
    s.prune(r, e.instant());
    if let Some(id) = attempt
        && s.set_outcome(id, outcome)
    {
        return id;
    }
    s.insert(e)
}

fn change_of(kind: &'static str, e: Event, outcome: u8) -> Change {
    Change {
        kind,
        campaign: e.campaign,
        outcome,
        at: e.at,
    }
}

pub(crate) fn slot_of(evs: &[Event]) -> Slot {
    let mut s = Slot::default();
    for e in evs {
        s.insert(*e);
    }
    s
}

impl HistoryStore for RedisStore {
    fn with_events(
        &self,
        n: Number,
        t: i64,
        f: &mut dyn FnMut(&[Event]) -> Option<NewEvent>,
    ) -> Result<Option<AttemptId>, HistoryError> {
        let sh = &*self.shared;
        let proto = Event::new(t, Tag::NONE, Tag::NONE, None, false)?;
        sh.check_synced()?;
        let key = n.get();
        let _lock = sh.stripe(key);
        let mut decided: Option<Event> = None;
        let mut change = |s: &mut Slot| {
            let ne = s.view(|evs| f(evs))?;
            // `t` was validated above, so this never fails.
            let e = Event::new(t, ne.campaign, ne.subject, ne.outcome, ne.live_agent).ok()?;
            decided = Some(e);
            Some(s.insert(e))
        };
        let c = change_of("a", proto, 0);
        match sh.commit_unless_pending(key, t, c, &mut change) {
            Ok(r) => Ok(r.map(|(id, _)| id)),
            Err(Some(e)) if !sh.fall_back_locally() => Err(e),
            Err(_) => {
                // Decide again on the replica: the closure's last run may have seen
                // events Redis sent back with a conflict; the replica holds them too.
                let (_, mut slot) = sh.snapshot(key);
                slot.prune(&sh.replica.retention(), t);
                let Some(id) = change(&mut slot) else {
                    return Ok(None);
                };
                let e = decided.unwrap_or(proto);
                sh.decide_locally(key, slot, Pending::Event { n: key, e });
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
        let sh = &*self.shared;
        let e = Event::new(t, q.campaign, q.subject, Some(outcome), q.live_agent)?;
        sh.check_synced()?;
        let key = n.get();
        let _lock = sh.stripe(key);
        let r = sh.replica.retention();
        let c = change_of("o", e, outcome.code());
        let res = sh.commit_unless_pending(key, t, c, &mut |s| {
            Some(apply_outcome(s, &r, attempt, outcome, e))
        });
        let id = match res {
            Ok(Some((id, _))) => id,
            // The change always records something.
            Ok(None) => unreachable_outcome(key)?,
            Err(Some(err)) if !sh.fall_back_locally() => return Err(err),
            Err(_) => {
                let (_, mut slot) = sh.snapshot(key);
                let id = apply_outcome(&mut slot, &r, attempt, outcome, e);
                let p = Pending::Outcome {
                    n: key,
                    attempt,
                    outcome,
                    e,
                };
                sh.decide_locally(key, slot, p);
                id
            }
        };
        // Counted here for this node; the follower counts other nodes' outcomes.
        sh.replica
            .inner
            .campaigns
            .record_stamp(q.campaign, outcome, e.at);
        Ok(id)
    }

    fn read(&self, n: Number, f: &mut dyn FnMut(&[Event])) -> Result<(), HistoryError> {
        self.shared.check_synced()?;
        self.shared.replica.read(n, f)
    }

    fn record_opt_out(&self, n: Number, t: i64) -> Result<(), HistoryError> {
        let sh = &*self.shared;
        let at = Event::new(t, Tag::NONE, Tag::NONE, None, false)?.at;
        let key = n.get();
        match sh.opt_out_remote(key, at) {
            Ok(()) => {}
            Err(e) if !sh.fall_back_locally() => return Err(e),
            Err(_) => sh.queue(Pending::OptOut { n: key, at }),
        }
        sh.opt_out_local(key, at);
        Ok(())
    }

    fn opted_out(&self) -> Result<Vec<(u64, i64)>, HistoryError> {
        self.shared.check_synced()?;
        Ok(self.shared.replica.opted_out())
    }

    fn abandon_rate(&self, campaign: Tag, within: i64, t: i64) -> Result<(u32, u32), HistoryError> {
        Ok(self.shared.replica.abandon_rate(campaign, within, t))
    }
}

#[cold]
fn unreachable_outcome(n: u64) -> Result<AttemptId, HistoryError> {
    Err(HistoryError::Unavailable {
        what: format!("the outcome of number {n} was not recorded"),
        hint: "report this as a dialguard bug",
    })
}

/// Wall-clock microseconds since the Unix epoch (propagation-delay samples).
pub(crate) fn wall_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    let nanos = wall_micros();
    std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id()))
}

fn default_node() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "node".to_owned());
    format!("{host}:{}", std::process::id())
}
