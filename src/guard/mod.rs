//! The handle dialers hold: [`Guard`]. It owns the current policy [`Snapshot`] (swapped
//! with `arc-swap`, so a reload never blocks a check), the contact history and the live
//! opt-out overlay, and answers [`Guard::check`] / [`Guard::check_and_reserve`].
//!
//! The pipeline, one module per stage:
//! - `context`: [`CallContext`], what the dialer tells about the attempt;
//! - `callee`: the number's zones and the facts rule scopes match;
//! - `screens`: opt-outs, lists, consent, caller ID, open-ended blackouts (deny or pass);
//! - `gates`: abandon rate, blackouts, windows, caps, cool-offs (move the instant);
//! - `evaluate`: the screens in order, then the gates to a fixed point;
//! - `trace`: the steps `explain` shows. The hot path uses a trace the compiler removes.

mod audit;
mod batch;
mod callee;
mod context;
mod evaluate;
mod gates;
mod screens;
mod store;
#[cfg(test)]
mod tests;
mod trace;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use jiff::Timestamp;

use crate::audit::{AuditConfig, AuditError, AuditLog, RecordKind};
use crate::cluster::{ClusterConfig, ClusterError, RedisStore};
use crate::decision::{Decision, Reason};
use crate::history::{
    AttemptId, FsyncPolicy, History, HistoryError, NewEvent, Outcome, OutcomeSet, Query,
    RecoveryReport, Retention, Tag,
};
use crate::lists::{NumberSet, OptOutOverlay};
use crate::metrics::{Metrics, Op};
use crate::number::{self, Number, NumberError, ZoneId};
use crate::policy::{self, PolicyErrors, Snapshot};

use callee::Callee;
pub use context::CallContext;
use evaluate::{Call, evaluate};
use store::Store;
pub use trace::{Explanation, Step, StepOutcome};
use trace::{NoTrace, Recorder, Trace};

/// How a guard keeps its contact history.
#[derive(Clone, Debug, Default)]
pub struct GuardOptions {
    /// Directory of the durable journal; `None` keeps history in memory only.
    pub state_dir: Option<PathBuf>,
    /// When journal writes reach the disk (default: see [`FsyncPolicy`]).
    pub fsync: Option<FsyncPolicy>,
    /// A history shared by several dialer servers through Redis (docs/cluster.md);
    /// overrides the policy's `[cluster]`. With one, `state_dir` is not used.
    pub cluster: Option<ClusterConfig>,
    /// The decision log (docs/report.md); overrides the policy's `[audit]`.
    pub audit: Option<AuditConfig>,
}

/// Why a guard could not be opened or a call could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("{0}")]
    Policy(#[from] PolicyErrors),
    #[error("contact history: {0}")]
    History(#[from] HistoryError),
    #[error("{0}")]
    Number(#[from] NumberError),
    #[error("no list with id \"{0}\" in the policy; swap_list replaces a [[list]] by its id")]
    UnknownList(String),
    #[error("{0}")]
    Cluster(ClusterError),
    #[error("decision log: {0}")]
    Audit(#[from] AuditError),
    #[error("decision log: {0}; the event is in the contact history but not in the log")]
    AuditLost(String),
}

/// How far back a complaint's evidence reaches in the decision log.
const COMPLAINT_LOOKBACK: i64 = 90 * 86_400;

/// What [`Guard::record_complaint`] did and found.
#[derive(Debug)]
pub struct ComplaintReceipt {
    pub number: Number,
    pub at: Timestamp,
    /// Whether the complaint is in a decision log (without one only the opt-out is kept).
    pub logged: bool,
    /// The number's events in the contact history (attempts and outcomes still kept).
    pub history: Vec<crate::history::Event>,
    /// From the decision log: the contacts of the last 90 days with the decisions that
    /// allowed them, the checks, and earlier complaints.
    pub evidence: Option<crate::audit::ComplaintEvidence>,
}

/// A decision together with the attempt it reserved (for `check_and_reserve`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub decision: Decision,
    /// Set when the attempt was allowed and recorded; pass it to `record_outcome`.
    pub attempt: Option<AttemptId>,
}

/// The guard. `Send + Sync`: share one (`Arc<Guard>`) between all dialer threads.
///
/// ```
/// use dialguard::policy::compile_str;
/// use dialguard::{CallContext, Guard, GuardOptions, Reason, number};
/// use jiff::Timestamp;
///
/// let policy = r#"
/// [policy]
/// name = "doc"
/// default_country = "IT"
///
/// [[window]]
/// id = "hours"
/// applies_to = ["IT"]
/// mon-fri = ["09:00-20:00"]
/// sat = ["10:00-19:00"]
/// sun = []
/// "#;
/// let friday: Timestamp = "2026-11-27T10:00:00+01:00".parse()?;
/// let snap = compile_str(policy, "doc.toml".as_ref(), friday.as_second())?;
/// let (guard, _) = Guard::with_snapshot(snap, GuardOptions::default())?;
///
/// // Friday 10:00 in Rome: inside the window.
/// assert!(guard.check("02 5555 1234", &CallContext::new(friday)).is_allow());
///
/// // Saturday 19:30: deferred to Monday 09:00 Rome, named by the rule that moved it.
/// let saturday: Timestamp = "2026-11-28T19:30:00+01:00".parse()?;
/// let d = guard.check("02 5555 1234", &CallContext::new(saturday));
/// assert_eq!(d.reason(), Some(Reason::OutsideWindow));
/// assert_eq!(d.until(), Some("2026-11-30T09:00:00+01:00".parse()?));
///
/// // A reservation records the attempt; an opt-out is seen by the next check.
/// let n = number::parse("02 5555 1234", guard.snapshot().default_country())?;
/// assert!(guard.check_and_reserve(n, &CallContext::new(friday)).attempt.is_some());
/// guard.opt_out(n, friday)?;
/// assert_eq!(guard.check_number(n, &CallContext::new(friday)).reason(), Some(Reason::OptOut));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Guard {
    snapshot: ArcSwap<Snapshot>,
    /// Serialises writers (reload, swap, swap_list) so none loses another's update;
    /// readers never take it.
    writer: std::sync::Mutex<()>,
    store: Store,
    /// Opt-outs recorded at run time (here, or on another node of a shared store).
    overlay: Arc<OptOutOverlay>,
    /// The decision log, when the policy or the options ask for one.
    audit: Option<AuditLog>,
    /// The last contact-history failure (a full disk, a file-size limit), kept so that
    /// a `store_unavailable` deny can say why. Written on the failure path only.
    store_error: std::sync::Mutex<Option<String>>,
    /// Counters and latency histograms (`metrics()`, `metrics_text()`).
    metrics: Metrics,
}

impl Guard {
    /// Compiles the policy at `path` and opens the contact history.
    pub fn open(
        path: &Path,
        options: GuardOptions,
    ) -> Result<(Guard, Option<RecoveryReport>), GuardError> {
        let snap = policy::compile_file(path, Timestamp::now().as_second())?;
        Guard::with_snapshot(snap, options)
    }

    /// A guard over an already compiled snapshot.
    pub fn with_snapshot(
        mut snap: Snapshot,
        options: GuardOptions,
    ) -> Result<(Guard, Option<RecoveryReport>), GuardError> {
        let overlay = Arc::new(OptOutOverlay::new());
        let (store, report) = Store::open(&snap, &options, &overlay)?;
        let audit = match options.audit.as_ref().or(snap.audit()) {
            Some(cfg) => Some(AuditLog::open(cfg)?),
            None => None,
        };
        let metrics = Metrics::new(&snap);
        metrics.attach(&mut snap);
        let guard = Guard {
            snapshot: ArcSwap::from_pointee(snap),
            writer: std::sync::Mutex::new(()),
            store,
            overlay,
            audit,
            store_error: std::sync::Mutex::new(None),
            metrics,
        };
        Ok((guard, report))
    }

    /// Compiles a new policy and swaps it in. On error the old snapshot keeps serving.
    pub fn reload(&self, path: &Path) -> Result<Arc<Snapshot>, PolicyErrors> {
        let snap = policy::compile_file(path, Timestamp::now().as_second())?;
        Ok(self.swap(snap))
    }

    /// Swaps in an already compiled snapshot; returns the one it replaced. Checks running
    /// on the old one finish on it; it is freed when the last of them drops it.
    pub fn swap(&self, snap: Snapshot) -> Arc<Snapshot> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.swap_locked(snap)
    }

    /// Replaces the numbers of one list (a fresh registry copy, e.g. a compiled list file
    /// opened with `lists::open_compiled`) without recompiling the policy. Checks running
    /// on the old snapshot finish on it; the old set is freed when the last one is done.
    pub fn swap_list(
        &self,
        id: &str,
        set: NumberSet,
        snapshot_date: Option<i32>,
    ) -> Result<Arc<Snapshot>, GuardError> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.snapshot.load_full();
        let next = current
            .with_list_replaced(id, set, snapshot_date)
            .ok_or_else(|| GuardError::UnknownList(id.to_owned()))?;
        Ok(self.swap_locked(next))
    }

    /// Drops history that no rule of the policy can still need (numbers not dialled for
    /// longer than the longest cap or cool-off). Call it now and then, e.g. hourly, from
    /// a maintenance thread; checks and reservations go on meanwhile. Returns how many
    /// numbers were dropped.
    pub fn sweep(&self, now: Timestamp) -> usize {
        self.store.local().sweep(now.as_second())
    }

    fn swap_locked(&self, mut snap: Snapshot) -> Arc<Snapshot> {
        // Keep what the longest of the old and new policies needs: history pruned too
        // early could let a longer cap admit too many calls.
        let history = self.store.local();
        let (old, new) = (history.retention(), snap.retention());
        history.set_retention(Retention {
            keep: old.keep.max(new.keep),
            forever: OutcomeSet(old.forever.0 | new.forever.0),
            campaign_keep: old.campaign_keep.max(new.campaign_keep),
        });
        self.metrics.attach(&mut snap);
        self.metrics.swapped(&snap);
        self.snapshot.swap(Arc::new(snap))
    }

    /// The snapshot in force now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Parses `input` (with the policy's default country) and checks it.
    /// A malformed number is denied with [`Reason::InvalidNumber`].
    pub fn check(&self, input: &str, ctx: &CallContext<'_>) -> Decision {
        let start = self.metrics.start();
        let snap = self.snapshot.load();
        let (n, d) = match number::parse(input, snap.default_country()) {
            Ok(n) => (Some(n), self.decide(&snap, n, ctx, &mut NoTrace)),
            Err(_) => (None, Decision::deny(Reason::InvalidNumber)),
        };
        let d = self.logged(&snap, RecordKind::Check, n, ctx, d, None);
        self.metrics.decided(&snap, &d, Op::Check, start);
        d
    }

    /// Checks an already parsed number. Does not record anything in the history (the
    /// decision log, when there is one, records the check).
    pub fn check_number(&self, n: Number, ctx: &CallContext<'_>) -> Decision {
        let start = self.metrics.start();
        let snap = self.snapshot.load();
        let d = self.decide(&snap, n, ctx, &mut NoTrace);
        let d = self.logged(&snap, RecordKind::Check, Some(n), ctx, d, None);
        self.metrics.decided(&snap, &d, Op::Check, start);
        d
    }

    /// Checks many numbers against one snapshot (list scrubbing, hopper filling).
    /// `out[i]` receives the decision for `numbers[i]`; extra slots are left as they are.
    ///
    /// Each answer is the one [`check_number`](Guard::check_number) gives, made faster
    /// by software pipelining (module `batch`): a group's registry lookups are issued
    /// together so their DRAM misses overlap, and numbers that no list, opt-out, consent
    /// or history singles out share one judgement of their place's windows and rules.
    pub fn check_batch(&self, numbers: &[Number], ctx: &CallContext<'_>, out: &mut [Decision]) {
        let snap = self.snapshot.load();
        let len = numbers.len().min(out.len());
        self.check_all(&snap, &numbers[..len], ctx, &mut out[..len]);
    }

    /// Decides and, when the answer is allow, records the attempt, all under the number's
    /// entry lock: with a cap of N, no interleaving of threads ever admits N+1.
    pub fn check_and_reserve(&self, n: Number, ctx: &CallContext<'_>) -> Reservation {
        let start = self.metrics.start();
        let snap = self.snapshot.load();
        let r = self.reserve(&snap, n, ctx);
        self.metrics.decided(&snap, &r.decision, Op::Reserve, start);
        if r.attempt.is_some() {
            self.metrics.reserved();
        }
        r
    }

    fn reserve(&self, snap: &Snapshot, n: Number, ctx: &CallContext<'_>) -> Reservation {
        // The number's history and list lines load while the call is located, so the
        // registry's miss is not taken under the number's entry lock (see `decide`).
        self.store.prefetch(n);
        for l in snap.lists.iter().filter(|l| !l.set.is_empty()) {
            l.set.prefetch(n);
        }
        let now = ctx.now.as_second();
        let mut decision = Decision::deny(Reason::StoreUnavailable);
        let q = query(ctx);
        let callee = Callee::new(snap, n, ctx);
        if !self.store.ready(&self.overlay) {
            return Reservation {
                decision: self.store_failed(&store::not_ready()),
                attempt: None,
            };
        }
        let local = self.store.local();
        let res = self.store.seam().with_events(n, now, &mut |events| {
            let call = Call::new(snap, ctx, &callee, events);
            decision = evaluate(&call, &self.overlay, local, &mut NoTrace);
            decision.is_allow().then(|| NewEvent::attempt(&q))
        });
        match res {
            Ok(attempt) => {
                let logged =
                    self.logged(snap, RecordKind::Reserve, Some(n), ctx, decision, attempt);
                // Unlogged, the call must not be placed; the attempt stays counted.
                let attempt = attempt.filter(|_| logged == decision);
                Reservation {
                    decision: logged,
                    attempt,
                }
            }
            Err(e) => Reservation {
                decision: self.store_failed(&e),
                attempt: None,
            },
        }
    }

    /// `d`, once the decision log (if any) has it; a log that can no longer keep records
    /// turns it into a deny (`store_unavailable`): no decision without its proof.
    #[inline]
    fn logged(
        &self,
        snap: &Snapshot,
        kind: RecordKind,
        n: Option<Number>,
        ctx: &CallContext<'_>,
        d: Decision,
        attempt: Option<AttemptId>,
    ) -> Decision {
        let Some(log) = &self.audit else {
            return d;
        };
        match audit::write(
            log,
            audit::decision(snap, kind, n, ctx, &d, attempt),
            &self.metrics,
        ) {
            Ok(()) => d,
            Err(e) => self.audit_failed(e),
        }
    }

    #[cold]
    fn audit_failed(&self, e: String) -> Decision {
        *self.store_error.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(format!("decision log: {e}"));
        Decision::deny(Reason::StoreUnavailable)
    }

    /// Logs a non-decision event (outcome, opt-out, complaint), if there is a log.
    fn log_event(
        &self,
        r: impl FnOnce(&Snapshot) -> crate::audit::DecisionRecord,
    ) -> Result<(), GuardError> {
        let Some(log) = &self.audit else {
            return Ok(());
        };
        let snap = self.snapshot.load();
        audit::write(log, r(&snap), &self.metrics).map_err(GuardError::AuditLost)
    }

    /// The decision log, when the guard keeps one.
    pub fn audit_log(&self) -> Option<&AuditLog> {
        self.audit.as_ref()
    }

    /// A citizen's complaint about calls to `n`: the number is opted out at once (seen by
    /// the next check on every thread, and on every node of a shared store), the
    /// complaint is written to the decision log, and the evidence is gathered: the
    /// number's contacts in the contact history, and from the log the calls of the last
    /// 90 days with the decisions that allowed them.
    pub fn record_complaint(
        &self,
        n: Number,
        ctx: &CallContext<'_>,
        channel: &str,
        text: Option<&str>,
    ) -> Result<ComplaintReceipt, GuardError> {
        self.opt_out(n, ctx.now)?;
        self.log_event(|snap| audit::complaint(snap, n, ctx, channel, text))?;
        let mut history = Vec::new();
        let _ = self
            .store
            .seam()
            .read(n, &mut |events| history.extend_from_slice(events));
        let evidence = match &self.audit {
            None => None,
            Some(log) => {
                log.flush().map_err(GuardError::AuditLost)?;
                let since = ctx.now.as_second() - COMPLAINT_LOOKBACK;
                Some(
                    crate::audit::complaint_evidence(log.dir(), n.get(), since)
                        .map_err(|e| GuardError::AuditLost(e.to_string()))?,
                )
            }
        };
        Ok(ComplaintReceipt {
            number: n,
            at: ctx.now,
            logged: self.audit.is_some(),
            history,
            evidence,
        })
    }

    /// Why the contact history last failed, if it ever did: the cause behind
    /// `store_unavailable` denies (e.g. "the disk is full"), for logs and operators.
    pub fn store_error(&self) -> Option<String> {
        self.store_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Keeps the cause of a history failure; the answer is a fail-closed deny.
    #[cold]
    fn store_failed(&self, e: &HistoryError) -> Decision {
        self.metrics.store_failed();
        *self.store_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
        Decision::deny(Reason::StoreUnavailable)
    }

    /// Records the outcome of an attempt (reserved, or placed without reserving).
    /// An `opt_out` outcome also adds the number to the live opt-out overlay at once.
    pub fn record_outcome(
        &self,
        n: Number,
        attempt: Option<AttemptId>,
        outcome: Outcome,
        ctx: &CallContext<'_>,
    ) -> Result<AttemptId, GuardError> {
        let now = ctx.now.as_second();
        let id = self
            .store
            .seam()
            .record_outcome(n, attempt, outcome, &query(ctx), now)?;
        self.log_event(|snap| audit::outcome(snap, n, ctx, outcome, id))?;
        if outcome == Outcome::OptOut {
            self.opt_out(n, ctx.now)?;
        }
        Ok(id)
    }

    /// Adds a number to the live opt-out list: every later check on every thread denies it.
    /// Journaled with the history when the guard has a state directory.
    pub fn opt_out(&self, n: Number, at: Timestamp) -> Result<(), GuardError> {
        let t = at.as_second();
        self.store.seam().record_opt_out(n, t)?;
        self.overlay.insert(n, t);
        self.log_event(|snap| {
            audit::record(snap, RecordKind::OptOut, Some(n), &CallContext::new(at))
        })
    }

    /// The guard's counters and latency histograms; `metrics().snapshot()` reads them.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The counters in the Prometheus text exposition format (docs/metrics.md).
    pub fn metrics_text(&self) -> String {
        self.metrics.snapshot().prometheus_text()
    }

    /// Every rule consulted for this number, in order, with what it said.
    pub fn explain(&self, n: Number, ctx: &CallContext<'_>) -> Explanation {
        let snap = self.snapshot.load_full();
        let mut trace = Recorder::default();
        let decision = self.decide(&snap, n, ctx, &mut trace);
        Explanation {
            number: n,
            decision,
            steps: trace.steps,
            snapshot: snap,
        }
    }

    /// The contact history in this process (for inspection and tests): the store
    /// itself, or the shared store's local replica.
    pub fn history(&self) -> &History {
        self.store.local()
    }

    /// The shared store, when the guard uses one (`[cluster]`): its counters say how
    /// many reservations were decided locally while Redis was away and how many changes
    /// wait to be sent (`local_decisions`, `pending`).
    pub fn shared_store(&self) -> Option<&RedisStore> {
        self.store.redis()
    }

    fn decide<T: Trace>(
        &self,
        snap: &Snapshot,
        n: Number,
        ctx: &CallContext<'_>,
        trace: &mut T,
    ) -> Decision {
        // The history is a DRAM miss in a map of millions: read it only when a cap or
        // cool-off can apply to this number.
        let callee = Callee::new(snap, n, ctx);
        if !self.store.ready(&self.overlay) {
            return self.store_failed(&store::not_ready());
        }
        let local = self.store.local();
        if !callee.needs_history(snap) {
            let call = Call::new(snap, ctx, &callee, &[]);
            return evaluate(&call, &self.overlay, local, trace);
        }
        // The history is read before the lists are: request both now, so the registry's
        // miss overlaps the history's instead of following it (hints, never blocking).
        self.store.prefetch(n);
        for l in snap.lists.iter().filter(|l| !l.set.is_empty()) {
            l.set.prefetch(n);
        }
        let mut decision = Decision::deny(Reason::StoreUnavailable);
        let res = self.store.seam().read(n, &mut |events| {
            let call = Call::new(snap, ctx, &callee, events);
            decision = evaluate(&call, &self.overlay, local, trace);
        });
        match res {
            Ok(()) => decision,
            Err(e) => self.store_failed(&e),
        }
    }
}

fn query(ctx: &CallContext<'_>) -> Query {
    Query {
        campaign: ctx.campaign.map_or(Tag::NONE, Tag::of),
        subject: ctx.subject.map_or(Tag::NONE, Tag::of),
        live_agent: ctx.mode.live_agent(),
    }
}

/// The zone names a number maps to (for CLI output).
pub fn zone_names(n: Number) -> impl Iterator<Item = &'static str> {
    number::locate(n).zones.iter().map(|z: &ZoneId| z.name())
}
