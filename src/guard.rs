//! The handle dialers hold: [`Guard`]. It owns the current policy [`Snapshot`] (swapped
//! with `arc-swap`, so a reload never blocks a check), the contact history and the live
//! opt-out overlay, and answers [`Guard::check`] / [`Guard::check_and_reserve`].
//!
//! One code path decides: [`evaluate`] runs the checks in the order of ARCHITECTURE.md
//! (opt-out, registries, consent, caller ID, blackouts, then every time rule together in
//! one fixed point) and reports each step to a [`Trace`]. The hot path uses [`NoTrace`],
//! which the compiler removes; `explain` uses a trace that records every step.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use jiff::Timestamp;

use crate::calendar::ZoneTables;
use crate::decision::{Constraints, Decision, Reason, RuleId};
use crate::history::{
    self, AttemptId, Event, FsyncPolicy, History, HistoryError, HistoryStore, JournalOptions,
    LocalDays, NewEvent, Outcome, OutcomeSet, Query, RecoveryReport, Retention, Tag,
};
use crate::lists::{ConsentIndex, ConsentKind, ConsentRecord, NumberSet, OptOutOverlay};
use crate::number::{self, Number, NumberError, RegionId, ZoneId};
use crate::policy::{
    self, CallFacts, Exemptions, ListKind, Mode, PolicyErrors, Purpose, Snapshot, consent_in_force,
    kind_bit,
};

/// Everything about one call attempt that the rules look at, besides the number.
#[derive(Clone, Copy, Debug)]
pub struct CallContext<'a> {
    /// The instant of the attempt (the clock is read only by callers).
    pub now: Timestamp,
    /// Campaign id (caps per campaign, abandon-rate counters, campaign filters, consent scope).
    pub campaign: Option<&'a str>,
    /// Subject (same-subject caps in FL/OK/MD, the debt under Regulation F).
    pub subject: Option<&'a str>,
    /// The caller ID that will be presented.
    pub caller_id: Option<Number>,
    pub purpose: Purpose,
    pub mode: Mode,
    /// The callee's region when known from elsewhere (address on file). Rules of this
    /// region apply too, on top of those of the number's region.
    pub known_region: Option<RegionId>,
    /// The callee's time zone when known from elsewhere. Calling windows must hold in it
    /// as well as in every zone of the number.
    pub known_zone: Option<ZoneId>,
}

impl<'a> CallContext<'a> {
    /// A sales call in predictive mode at `now`, with no campaign, subject or caller ID.
    pub fn new(now: Timestamp) -> CallContext<'a> {
        CallContext {
            now,
            campaign: None,
            subject: None,
            caller_id: None,
            purpose: Purpose::Sales,
            mode: Mode::Predictive,
            known_region: None,
            known_zone: None,
        }
    }
    #[must_use]
    pub fn campaign(mut self, c: &'a str) -> Self {
        self.campaign = Some(c);
        self
    }
    #[must_use]
    pub fn subject(mut self, s: &'a str) -> Self {
        self.subject = Some(s);
        self
    }
    #[must_use]
    pub fn caller_id(mut self, n: Number) -> Self {
        self.caller_id = Some(n);
        self
    }
    #[must_use]
    pub fn purpose(mut self, p: Purpose) -> Self {
        self.purpose = p;
        self
    }
    #[must_use]
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// The callee's region known from elsewhere (e.g. the address on file).
    #[must_use]
    pub fn known_region(mut self, r: RegionId) -> Self {
        self.known_region = Some(r);
        self
    }
    /// The callee's time zone known from elsewhere (e.g. the address on file).
    #[must_use]
    pub fn known_zone(mut self, z: ZoneId) -> Self {
        self.known_zone = Some(z);
        self
    }
}

/// How a guard keeps its contact history.
#[derive(Clone, Debug, Default)]
pub struct GuardOptions {
    /// Directory of the durable journal; `None` keeps history in memory only.
    pub state_dir: Option<PathBuf>,
    /// When journal writes reach the disk (default: see [`FsyncPolicy`]).
    pub fsync: Option<FsyncPolicy>,
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
}

/// A decision together with the attempt it reserved (for `check_and_reserve`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub decision: Decision,
    /// Set when the attempt was allowed and recorded; pass it to `record_outcome`.
    pub attempt: Option<AttemptId>,
}

/// The guard. `Send + Sync`: share one (`Arc<Guard>`) between all dialer threads.
pub struct Guard {
    snapshot: ArcSwap<Snapshot>,
    /// Serialises writers (reload, swap, swap_list) so none loses another's update;
    /// readers never take it.
    writer: std::sync::Mutex<()>,
    history: History,
    overlay: OptOutOverlay,
    /// The last contact-history failure (a full disk, a file-size limit), kept so that
    /// a `store_unavailable` deny can say why. Written on the failure path only.
    store_error: std::sync::Mutex<Option<String>>,
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
        snap: Snapshot,
        options: GuardOptions,
    ) -> Result<(Guard, Option<RecoveryReport>), GuardError> {
        let retention = snap.retention();
        let overlay = OptOutOverlay::new();
        let (history, report) = match &options.state_dir {
            None => (History::with_retention(retention, 0), None),
            Some(dir) => {
                let defaults = JournalOptions::default();
                let opts = JournalOptions {
                    fsync: options.fsync.unwrap_or(defaults.fsync),
                    retention,
                    ..defaults
                };
                let (h, report) = History::open(dir, opts)?;
                for (n, at) in h.opted_out() {
                    if let Some(n) = Number::from_e164_digits(n) {
                        overlay.insert(n, at);
                    }
                }
                (h, Some(report))
            }
        };
        let guard = Guard {
            snapshot: ArcSwap::from_pointee(snap),
            writer: std::sync::Mutex::new(()),
            history,
            overlay,
            store_error: std::sync::Mutex::new(None),
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
        self.history.sweep(now.as_second())
    }

    fn swap_locked(&self, snap: Snapshot) -> Arc<Snapshot> {
        // Keep what the longest of the old and new policies needs: history pruned too
        // early could let a longer cap admit too many calls.
        let (old, new) = (self.history.retention(), snap.retention());
        self.history.set_retention(Retention {
            keep: old.keep.max(new.keep),
            forever: OutcomeSet(old.forever.0 | new.forever.0),
            campaign_keep: old.campaign_keep.max(new.campaign_keep),
        });
        self.snapshot.swap(Arc::new(snap))
    }

    /// The snapshot in force now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Parses `input` (with the policy's default country) and checks it.
    /// A malformed number is denied with [`Reason::InvalidNumber`].
    pub fn check(&self, input: &str, ctx: &CallContext<'_>) -> Decision {
        let snap = self.snapshot.load();
        match number::parse(input, snap.default_country()) {
            Ok(n) => self.decide(&snap, n, ctx, &mut NoTrace),
            Err(_) => Decision::deny(Reason::InvalidNumber),
        }
    }

    /// Checks an already parsed number. Does not record anything.
    pub fn check_number(&self, n: Number, ctx: &CallContext<'_>) -> Decision {
        let snap = self.snapshot.load();
        self.decide(&snap, n, ctx, &mut NoTrace)
    }

    /// Checks many numbers against one snapshot (list scrubbing, hopper filling).
    /// `out[i]` receives the decision for `numbers[i]`; extra slots are left as they are.
    ///
    /// Registry lookups are the DRAM misses of a check; the batch first runs each list's
    /// overlapped lookup (`NumberSet::contains_batch`, software-prefetched) over a group,
    /// which brings the lines into cache, then decides each number.
    pub fn check_batch(&self, numbers: &[Number], ctx: &CallContext<'_>, out: &mut [Decision]) {
        const GROUP: usize = 16;
        let snap = self.snapshot.load();
        let mut hits = [false; GROUP];
        for (ns, ds) in numbers.chunks(GROUP).zip(out.chunks_mut(GROUP)) {
            for l in snap.lists.iter().filter(|l| !l.set.is_empty()) {
                l.set.contains_batch(ns, &mut hits);
                std::hint::black_box(&hits);
            }
            for (n, d) in ns.iter().zip(ds.iter_mut()) {
                *d = self.decide(&snap, *n, ctx, &mut NoTrace);
            }
        }
    }

    /// Decides and, when the answer is allow, records the attempt, all under the number's
    /// entry lock: with a cap of N, no interleaving of threads ever admits N+1.
    pub fn check_and_reserve(&self, n: Number, ctx: &CallContext<'_>) -> Reservation {
        let snap = self.snapshot.load();
        let now = ctx.now.as_second();
        let mut decision = Decision::deny(Reason::StoreUnavailable);
        let q = query(ctx);
        let callee = Callee::new(&snap, n, ctx);
        let res = self.history.with_events(n, now, &mut |events| {
            decision = evaluate(
                &snap,
                &self.overlay,
                &self.history,
                &callee,
                ctx,
                events,
                &mut NoTrace,
            );
            decision.is_allow().then(|| NewEvent::attempt(&q))
        });
        match res {
            Ok(attempt) => Reservation { decision, attempt },
            Err(e) => Reservation {
                decision: self.store_failed(&e),
                attempt: None,
            },
        }
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
            .history
            .record_outcome(n, attempt, outcome, &query(ctx), now)?;
        if outcome == Outcome::OptOut {
            self.opt_out(n, now)?;
        }
        Ok(id)
    }

    /// Adds a number to the live opt-out list: every later check on every thread denies it.
    /// Journaled with the history when the guard has a state directory.
    pub fn opt_out(&self, n: Number, at: i64) -> Result<(), GuardError> {
        self.history.record_opt_out(n, at)?;
        self.overlay.insert(n, at);
        Ok(())
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

    /// The contact history (for inspection and tests).
    pub fn history(&self) -> &History {
        &self.history
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
        if !callee.needs_history(snap) {
            return evaluate(snap, &self.overlay, &self.history, &callee, ctx, &[], trace);
        }
        let mut decision = Decision::deny(Reason::StoreUnavailable);
        let res = self.history.read(n, &mut |events| {
            decision = evaluate(
                snap,
                &self.overlay,
                &self.history,
                &callee,
                ctx,
                events,
                trace,
            );
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

/// What one rule said, for `explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The rule (or [`RuleId::NONE`] for checks that are not policy rules).
    pub rule: RuleId,
    /// What the rule concluded.
    pub outcome: StepOutcome,
    /// Why, in words.
    pub detail: String,
}

/// A rule's conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The rule does not cover this call (region, purpose, mode, campaign, dates).
    NotApplicable,
    /// The rule is satisfied.
    Pass,
    /// The rule would object but an exemption or agent lifts it.
    Lifted,
    /// The rule forbids the call.
    Deny(Reason),
    /// The rule forbids the call until the instant.
    Defer(Reason, i64),
}

/// `explain`'s result.
pub struct Explanation {
    pub number: Number,
    pub decision: Decision,
    pub steps: Vec<Step>,
    pub snapshot: Arc<Snapshot>,
}

/// Receives each step of an evaluation.
pub(crate) trait Trace {
    /// False for the hot path: steps are never built.
    const ON: bool;
    fn step(&mut self, rule: RuleId, outcome: StepOutcome, detail: impl FnOnce() -> String);
}

/// The hot path's trace: nothing.
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn step(&mut self, _: RuleId, _: StepOutcome, _: impl FnOnce() -> String) {}
}

#[derive(Default)]
struct Recorder {
    steps: Vec<Step>,
}

impl Trace for Recorder {
    const ON: bool = true;
    fn step(&mut self, rule: RuleId, outcome: StepOutcome, detail: impl FnOnce() -> String) {
        self.steps.push(Step {
            rule,
            outcome,
            detail: detail(),
        });
    }
}

/// Local calendar days of one zone, for calendar-day caps and cool-offs.
struct ZoneDays<'a> {
    tables: &'a ZoneTables,
    zone: u16,
}

impl LocalDays for ZoneDays<'_> {
    fn day_of(&self, t: i64) -> i32 {
        self.tables.local(self.zone, t).day
    }
    fn start_of(&self, day: i32) -> i64 {
        self.tables.to_instant(self.zone, day, 0)
    }
}

/// Zones kept on the stack; more (only global and unassigned codes) go to the heap.
const INLINE_ZONES: usize = 48;

fn fmt_ts(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

/// Consent records in force at `t` whose kind is in `kinds` (a `kind_bit` mask).
fn consent_of(
    records: &[ConsentRecord],
    kinds: u8,
    t: i64,
    offset: i64,
    campaign: Option<&str>,
    grace: i64,
) -> bool {
    records
        .iter()
        .any(|r| kinds & kind_bit(r.kind) != 0 && consent_in_force(r, t, offset, campaign, grace))
}

/// The zones a call must respect: **every** zone the number maps to (a window must hold
/// in all of them, so judging a subset could allow a call that is illegal in a zone left
/// out), plus a zone known from the context. Up to [`INLINE_ZONES`] they live on the
/// stack; the global and unassigned codes (+800, +881, `ZZ`: every zone of the world) go
/// to the heap, a rare path that stays exact instead of truncating.
enum ZoneList {
    Inline {
        buf: [u16; INLINE_ZONES],
        len: usize,
    },
    Heap(Vec<u16>),
}

impl ZoneList {
    fn new(located: &[ZoneId], known: Option<ZoneId>) -> ZoneList {
        let extra = known.filter(|z| !located.contains(z));
        // No zone at all would let a window check pass vacuously: judge every zone.
        if located.is_empty() && extra.is_none() {
            return ZoneList::Heap(ZoneId::all().map(ZoneId::raw).collect());
        }
        let total = located.len() + usize::from(extra.is_some());
        let all = located.iter().chain(extra.as_ref()).map(|z| z.raw());
        if total <= INLINE_ZONES {
            let mut buf = [0u16; INLINE_ZONES];
            for (slot, z) in buf.iter_mut().zip(all) {
                *slot = z;
            }
            ZoneList::Inline { buf, len: total }
        } else {
            ZoneList::Heap(all.collect())
        }
    }

    fn as_slice(&self) -> &[u16] {
        match self {
            ZoneList::Inline { buf, len } => &buf[..*len],
            ZoneList::Heap(v) => v,
        }
    }
}

/// The zones a call must respect and the facts that rule scopes are matched against.
struct Callee {
    zones: ZoneList,
    facts: CallFacts,
}

impl Callee {
    fn new(snap: &Snapshot, n: Number, ctx: &CallContext<'_>) -> Callee {
        let now = ctx.now.as_second();
        let location = number::locate(n);
        let zones = ZoneList::new(location.zones, ctx.known_zone);
        let (first_day, last_day) = zones
            .as_slice()
            .iter()
            .map(|&z| snap.zones.local(z, now).day)
            .fold((i32::MAX, i32::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
        let country = location.region.country().as_bytes();
        let two = |b: &[u8]| {
            [
                b.first().copied().unwrap_or(0),
                b.get(1).copied().unwrap_or(0),
            ]
        };
        let facts = CallFacts {
            number: n,
            location,
            country: two(country),
            known_region: ctx.known_region.map(|r| (r, two(r.country().as_bytes()))),
            purpose: ctx.purpose,
            mode: ctx.mode,
            campaign: ctx.campaign.map_or(Tag::NONE, Tag::of),
            has_campaign: ctx.campaign.is_some(),
            first_day,
            last_day,
        };
        Callee { zones, facts }
    }

    fn zones(&self) -> &[u16] {
        self.zones.as_slice()
    }

    /// True when some cap or cool-off covers this call, so the history must be read.
    fn needs_history(&self, snap: &Snapshot) -> bool {
        snap.caps.iter().any(|c| c.scope.applies(&self.facts))
            || snap.cooloffs.iter().any(|c| c.scope.applies(&self.facts))
    }
}

/// The consent records of a number, looked up only when a rule asks (a map lookup that
/// most checks never need).
struct LazyConsents<'a> {
    index: &'a ConsentIndex,
    n: Number,
    cached: std::cell::Cell<Option<&'a [ConsentRecord]>>,
    /// The callee's UTC offset now (plain consent dates are local days).
    offset: i64,
}

impl<'a> LazyConsents<'a> {
    fn get(&self) -> &'a [ConsentRecord] {
        if self.index.is_empty() {
            return &[];
        }
        if let Some(c) = self.cached.get() {
            return c;
        }
        let c = self.index.lookup(self.n);
        self.cached.set(Some(c));
        c
    }
}

/// The whole decision for one number, given its history. No allocation unless `T::ON`.
fn evaluate<T: Trace>(
    snap: &Snapshot,
    overlay: &OptOutOverlay,
    counters: &History,
    callee: &Callee,
    ctx: &CallContext<'_>,
    events: &[Event],
    trace: &mut T,
) -> Decision {
    let now = ctx.now.as_second();
    let n = callee.facts.number;
    let zones = callee.zones();
    let facts = &callee.facts;
    let consents = LazyConsents {
        index: &snap.consents,
        n,
        cached: std::cell::Cell::new(None),
        offset: if snap.consents.is_empty() {
            0
        } else {
            i64::from(
                snap.zones
                    .offset_at(zones.first().copied().unwrap_or(0), now),
            )
        },
    };
    const ANY_KIND: u8 = 7;

    // 2. Opt-outs: live overlay first (it reflects the newest wishes), then compiled lists.
    if overlay.contains(n) {
        trace.step(
            snap.live_optout_rule,
            StepOutcome::Deny(Reason::OptOut),
            || "opted out at run time".into(),
        );
        return Decision::Deny {
            reason: Reason::OptOut,
            rule: snap.live_optout_rule,
        };
    }
    // 3. Lists in policy order by kind: opt-out, suppression, registries.
    for kind in [ListKind::OptOut, ListKind::Suppression, ListKind::Registry] {
        for l in snap.lists.iter().filter(|l| l.kind == kind) {
            if !l.scope.applies(facts) {
                trace.step(l.rule, StepOutcome::NotApplicable, || "not in scope".into());
                continue;
            }
            if let (Some(taken), Some(max_age)) = (l.snapshot, l.max_age)
                && now - taken > max_age
            {
                trace.step(l.rule, StepOutcome::Deny(Reason::StaleList), || {
                    format!(
                        "copy taken {} is older than {} days",
                        fmt_ts(taken),
                        max_age / 86_400
                    )
                });
                return Decision::Deny {
                    reason: Reason::StaleList,
                    rule: l.rule,
                };
            }
            let hit_prefix = l.prefixes.matches(n);
            let registered = l.set.registered_on(n);
            if hit_prefix.is_none() && registered.is_none() {
                trace.step(l.rule, StepOutcome::Pass, || "not listed".into());
                continue;
            }
            let reason = match kind {
                ListKind::OptOut => Reason::OptOut,
                ListKind::Suppression => Reason::Suppression,
                ListKind::Registry => Reason::Registry,
                // Not in this loop: directory lists are consulted by rules, never deny.
                ListKind::Directory => continue,
            };
            if kind == ListKind::Registry
                && registry_exempt(
                    l.exemptions,
                    registered.flatten(),
                    consents.get(),
                    now,
                    consents.offset,
                    ctx.campaign,
                )
            {
                trace.step(l.rule, StepOutcome::Lifted, || {
                    "listed, but a consent/contract/EBR on file exempts it".into()
                });
                continue;
            }
            trace.step(l.rule, StepOutcome::Deny(reason), || match hit_prefix {
                Some((p, _)) => format!("under listed prefix +{p}"),
                None => "listed".into(),
            });
            return Decision::Deny {
                reason,
                rule: l.rule,
            };
        }
    }

    // 4. Consent required.
    for r in &snap.consent_required {
        let listed = match r.unless_listed {
            Some(Some(i)) => {
                let l = &snap.lists[i];
                l.scope.applies(facts)
                    && (l.prefixes.matches(n).is_some() || l.set.registered_on(n).is_some())
            }
            _ => false,
        };
        if !r.scope.applies(facts) {
            trace.step(r.rule, StepOutcome::NotApplicable, || "not in scope".into());
        } else if listed {
            trace.step(r.rule, StepOutcome::Pass, || {
                "on the directory list: no consent needed".into()
            });
        } else if consent_of(
            consents.get(),
            r.kinds,
            now,
            consents.offset,
            ctx.campaign,
            0,
        ) {
            trace.step(r.rule, StepOutcome::Pass, || "consent on file".into());
        } else {
            trace.step(
                r.rule,
                StepOutcome::Deny(Reason::ConsentRequired),
                || match r.unless_listed {
                    Some(None) => "no consent in force, and the policy defines no directory \
                                   list for unless_listed: every number needs a consent"
                        .into(),
                    Some(Some(_)) => "not on the directory list and no consent in force".into(),
                    None => "no consent in force".into(),
                },
            );
            return Decision::Deny {
                reason: Reason::ConsentRequired,
                rule: r.rule,
            };
        }
    }

    // 5. Caller ID.
    for r in &snap.caller_ids {
        if !r.scope.applies(facts) {
            trace.step(r.rule, StepOutcome::NotApplicable, || "not in scope".into());
            continue;
        }
        let ok = ctx
            .caller_id
            .is_some_and(|c| r.prefixes.matches(c).is_some() || r.allow.contains(c));
        if ok {
            trace.step(r.rule, StepOutcome::Pass, || "caller ID allowed".into());
        } else {
            trace.step(r.rule, StepOutcome::Deny(Reason::CallerId), || {
                match ctx.caller_id {
                    None => "no caller ID given".into(),
                    Some(c) => {
                        format!("caller ID {c} is neither under an allowed prefix nor declared")
                    }
                }
            });
            return Decision::Deny {
                reason: Reason::CallerId,
                rule: r.rule,
            };
        }
    }

    // 6. Open-ended blackouts deny outright.
    let any_consent = |t: i64| {
        consent_of(
            consents.get(),
            ANY_KIND,
            t,
            consents.offset,
            ctx.campaign,
            0,
        )
    };
    for b in &snap.blackouts {
        if b.until.is_none() && b.scope.applies(facts) && b.from <= now {
            if !b.suspend_exemptions && any_consent(now) {
                trace.step(b.rule, StepOutcome::Lifted, || {
                    "blackout lifted by a consent on file".into()
                });
                continue;
            }
            trace.step(b.rule, StepOutcome::Deny(Reason::Blackout), || {
                format!("in force since {}", fmt_ts(b.from))
            });
            return Decision::Deny {
                reason: Reason::Blackout,
                rule: b.rule,
            };
        }
    }

    // 7–8. Every time rule together: the earliest instant >= now at which all pass.
    let q = Query {
        campaign: facts.campaign,
        subject: ctx.subject.map_or(Tag::NONE, Tag::of),
        live_agent: ctx.mode.live_agent(),
    };
    let q_no_agent = Query {
        live_agent: false,
        ..q
    };
    let limit = now.saturating_add(snap.horizon);
    let mut constraints = Constraints::NONE;
    // Abandon-rate ceilings are judged at `now` (campaign counters move with every call).
    let mut abandon_until: Option<(i64, RuleId)> = None;
    for a in &snap.abandon_limits {
        if !a.scope.applies(facts)
            || !facts.has_campaign
            || (a.predictive_only && ctx.mode != Mode::Predictive)
        {
            trace.step(a.rule, StepOutcome::NotApplicable, || {
                if !a.scope.applies(facts) {
                    "not in scope".into()
                } else if !facts.has_campaign {
                    "no campaign given: rates are counted per campaign".into()
                } else {
                    "not a predictive attempt (a live agent is on the line)".into()
                }
            });
            continue;
        }
        let (abandoned, answered) = counters.abandon_rate(facts.campaign, a.within, now);
        // abandoned / answered > max_rate, judged from the first call (min_answered 0):
        // any abandoned call with nothing answered is over.
        let over =
            answered >= a.min_answered && f64::from(abandoned) > a.max_rate * f64::from(answered);
        if over {
            let until = counters.abandon_clear_at(
                facts.campaign,
                a.within,
                a.max_rate,
                a.min_answered,
                now,
            );
            trace.step(
                a.rule,
                StepOutcome::Defer(Reason::AbandonRate, until),
                || {
                    format!(
                        "{abandoned} abandoned / {answered} answered exceeds {:.1}%",
                        a.max_rate * 100.0
                    )
                },
            );
            if abandon_until.is_none_or(|(u, _)| until > u) {
                abandon_until = Some((until, a.rule));
            }
        } else {
            trace.step(a.rule, StepOutcome::Pass, || {
                format!("{abandoned} abandoned / {answered} answered")
            });
        }
    }

    // Lifted cool-offs become constraints (an agent must be on the line).
    for c in &snap.cooloffs {
        if c.cooloff.unless_live_agent && q.live_agent && c.scope.applies(facts) {
            let blocked = cooloff_clear(events, &c.cooloff, &q_no_agent, now, snap, zones);
            if blocked != Some(now) {
                constraints = constraints.union(Constraints::REQUIRE_LIVE_AGENT);
                trace.step(c.rule, StepOutcome::Lifted, || {
                    "cool-off running; lifted because a live agent is on the line".into()
                });
            }
        }
    }

    // `then = "live_agent"`: after the cool-off, attempts need an agent until one with an
    // agent is recorded. A predictive attempt cannot promise one: deny (waiting won't help).
    for c in &snap.cooloffs {
        if !c.then_live_agent || !c.scope.applies(facts) {
            continue;
        }
        let Some(at) = history::live_agent_pending(events, &c.cooloff, &q) else {
            continue;
        };
        if !q.live_agent {
            trace.step(c.rule, StepOutcome::Deny(Reason::Cooloff), || {
                format!(
                    "{} at {}: the next attempt needs a live agent (preview or manual mode)",
                    c.cooloff.after.name(),
                    fmt_ts(at)
                )
            });
            return Decision::Deny {
                reason: Reason::Cooloff,
                rule: c.rule,
            };
        }
        constraints = constraints.union(Constraints::REQUIRE_LIVE_AGENT);
        trace.step(c.rule, StepOutcome::Lifted, || {
            format!(
                "{} at {}: allowed only with the live agent on the line",
                c.cooloff.after.name(),
                fmt_ts(at)
            )
        });
    }

    // Rules judged after an earlier one moved the instant say when they were judged.
    let judged = |t: i64| {
        if t == now {
            String::new()
        } else {
            format!(
                " (judged at {}, the first instant earlier rules allow)",
                fmt_ts(t)
            )
        }
    };
    let mut t = now;
    let mut first: Option<(Reason, RuleId)> = None;
    let moved = |t: &mut i64,
                 to: i64,
                 reason: Reason,
                 rule: RuleId,
                 first: &mut Option<(Reason, RuleId)>| {
        if to > *t {
            if first.is_none() {
                *first = Some((reason, rule));
            }
            *t = to;
        }
    };
    // Each pass moves t forward or ends; a bound guards against a rule that oscillates.
    for _pass in 0..64 {
        let start = t;
        if let Some((until, rule)) = abandon_until {
            moved(&mut t, until, Reason::AbandonRate, rule, &mut first);
        }
        for b in &snap.blackouts {
            let Some(until) = b.until else { continue };
            if b.scope.applies(facts)
                && b.from <= t
                && t < until
                && (b.suspend_exemptions || !any_consent(t))
            {
                if T::ON && _pass == 0 {
                    trace.step(b.rule, StepOutcome::Defer(Reason::Blackout, until), || {
                        format!("blackout until {}{}", fmt_ts(until), judged(t))
                    });
                }
                moved(&mut t, until, Reason::Blackout, b.rule, &mut first);
            }
        }
        for w in &snap.windows {
            if !w.scope.applies(facts) {
                if T::ON && _pass == 0 {
                    trace.step(w.rule, StepOutcome::NotApplicable, || "not in scope".into());
                }
                continue;
            }
            if w.waived_by != 0
                && consent_of(
                    consents.get(),
                    w.waived_by,
                    now,
                    consents.offset,
                    ctx.campaign,
                    0,
                )
            {
                if T::ON && _pass == 0 {
                    trace.step(w.rule, StepOutcome::Lifted, || {
                        "hours waived by a consent on file of a kind the window names in waived_by".into()
                    });
                }
                continue;
            }
            let cal = w.calendar.map(|i| &snap.calendars[i]);
            match w.windows.next_open(cal, &snap.zones, zones, t, limit) {
                Some(open) => {
                    if T::ON && _pass == 0 {
                        let outcome = if open == t {
                            StepOutcome::Pass
                        } else {
                            StepOutcome::Defer(Reason::OutsideWindow, open)
                        };
                        trace.step(w.rule, outcome, || {
                            if open == t {
                                format!("inside the calling window{}", judged(t))
                            } else {
                                format!("closed now; opens {}{}", fmt_ts(open), judged(t))
                            }
                        });
                    }
                    moved(&mut t, open, Reason::OutsideWindow, w.rule, &mut first);
                }
                None => {
                    trace.step(w.rule, StepOutcome::Deny(Reason::BeyondHorizon), || {
                        "the window does not open within the horizon".into()
                    });
                    let rule = first.map_or(w.rule, |(_, r)| r);
                    return Decision::Deny {
                        reason: Reason::BeyondHorizon,
                        rule,
                    };
                }
            }
        }
        for c in &snap.caps {
            if !c.scope.applies(facts) {
                continue;
            }
            let clear = zones_max(zones, |z| {
                history::cap_clear_at(
                    events,
                    &c.cap,
                    &q,
                    t,
                    &ZoneDays {
                        tables: &snap.zones,
                        zone: z,
                    },
                )
            });
            if T::ON && _pass == 0 {
                let outcome = if clear == t {
                    StepOutcome::Pass
                } else {
                    StepOutcome::Defer(Reason::Cap, clear)
                };
                trace.step(c.rule, outcome, || {
                    if clear == t {
                        format!("under the cap of {}{}", c.cap.max, judged(t))
                    } else {
                        format!(
                            "cap of {} reached; the oldest counted call ages out {}{}",
                            c.cap.max,
                            fmt_ts(clear),
                            judged(t)
                        )
                    }
                });
            }
            moved(&mut t, clear, Reason::Cap, c.rule, &mut first);
        }
        for c in &snap.cooloffs {
            if !c.scope.applies(facts) {
                continue;
            }
            match cooloff_clear(events, &c.cooloff, &q, t, snap, zones) {
                None => {
                    trace.step(c.rule, StepOutcome::Deny(Reason::Cooloff), || {
                        format!("no call ever again after {}", c.cooloff.after.name())
                    });
                    return Decision::Deny {
                        reason: Reason::Cooloff,
                        rule: c.rule,
                    };
                }
                Some(clear) => {
                    if T::ON && _pass == 0 {
                        if clear > t {
                            trace.step(c.rule, StepOutcome::Defer(Reason::Cooloff, clear), || {
                                format!(
                                    "cool-off after {} until {}{}",
                                    c.cooloff.after.name(),
                                    fmt_ts(clear),
                                    judged(t)
                                )
                            });
                        } else {
                            trace.step(c.rule, StepOutcome::Pass, || {
                                format!(
                                    "no cool-off after {} running{}",
                                    c.cooloff.after.name(),
                                    judged(t)
                                )
                            });
                        }
                    }
                    moved(&mut t, clear, Reason::Cooloff, c.rule, &mut first);
                }
            }
        }
        if t >= limit {
            let (_, rule) = first.unwrap_or((Reason::BeyondHorizon, RuleId::NONE));
            trace.step(rule, StepOutcome::Deny(Reason::BeyondHorizon), || {
                format!("no allowed instant before {}", fmt_ts(limit))
            });
            return Decision::Deny {
                reason: Reason::BeyondHorizon,
                rule,
            };
        }
        if t == start {
            break;
        }
        if _pass == 63 {
            return Decision::Deny {
                reason: Reason::BeyondHorizon,
                rule: first.map_or(RuleId::NONE, |(_, r)| r),
            };
        }
    }
    match first {
        None => Decision::Allow { constraints },
        Some((reason, rule)) => Decision::Defer {
            until: t,
            reason,
            rule,
        },
    }
}

fn zones_max(zones: &[u16], f: impl Fn(u16) -> i64) -> i64 {
    zones.iter().map(|&z| f(z)).max().unwrap_or_else(|| f(0))
}

fn cooloff_clear(
    events: &[Event],
    rule: &history::CooloffRule,
    q: &Query,
    t: i64,
    snap: &Snapshot,
    zones: &[u16],
) -> Option<i64> {
    let mut worst = Some(t);
    for &z in zones.iter().chain(zones.is_empty().then_some(&0)) {
        match history::cooloff_clear_at(
            events,
            rule,
            q,
            t,
            &ZoneDays {
                tables: &snap.zones,
                zone: z,
            },
        ) {
            None => return None,
            Some(c) => worst = worst.map(|w| w.max(c)),
        }
    }
    worst
}

/// Whether a registry entry is lifted by a consent, contract or EBR on file.
fn registry_exempt(
    ex: Exemptions,
    registered_day: Option<i32>,
    records: &[ConsentRecord],
    now: i64,
    offset: i64,
    campaign: Option<&str>,
) -> bool {
    if ex.0 == 0 || records.is_empty() {
        return false;
    }
    let in_force =
        |r: &ConsentRecord, grace: i64| consent_in_force(r, now, offset, campaign, grace);
    records.iter().any(|r| match r.kind {
        ConsentKind::Consent => {
            (ex.0 & Exemptions::CONSENT != 0 && in_force(r, 0))
                || (ex.0 & Exemptions::CONSENT_AFTER_REGISTRATION != 0
                    && in_force(r, 0)
                    // Only a consent given on a later local date than the registration
                    // counts; without a registration date it cannot be shown to be later.
                    && registered_day.is_some_and(|d| {
                        let local = if r.local_dates & ConsentRecord::GRANTED_DATE != 0 { 0 } else { offset };
                        (r.granted_at + local).div_euclid(86_400) > i64::from(d)
                    }))
        }
        ConsentKind::Contract => {
            (ex.0 & Exemptions::CONTRACT != 0 && in_force(r, 0))
                || (ex.0 & Exemptions::CONTRACT_WITHIN_30D != 0 && in_force(r, 30 * 86_400))
        }
        ConsentKind::Ebr => ex.0 & Exemptions::EBR != 0 && in_force(r, 0),
        // Consent to off-hours calls is not a consent to be called.
        ConsentKind::OutsideHours => false,
    })
}

/// The zone names a number maps to (for CLI output).
pub fn zone_names(n: Number) -> impl Iterator<Item = &'static str> {
    number::locate(n).zones.iter().map(|z: &ZoneId| z.name())
}
