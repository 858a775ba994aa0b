//! What a guard has done, for dashboards: [`Metrics`] owns the counters (decisions by
//! verdict, reason and rule; reservations; history failures; reloads and snapshot age;
//! decision-log drops) and the latency histograms of `check` and `check_and_reserve`.
//! [`Metrics::snapshot`] reads them as plain numbers and [`MetricsSnapshot::prometheus_text`]
//! writes them in the Prometheus text exposition format with `prometheus-client`.
//!
//! The hot path takes no lock: relaxed atomic increments on a per-rule table that is
//! built at each snapshot swap and carried by the snapshot. Rule ids are indices into one snapshot, so counters are
//! kept by rule *name* (a slot shared by every snapshot that has the rule) and a reload
//! never resets or misattributes them. Latency is sampled (one call in
//! [`LATENCY_SAMPLE`] per thread) because two clock reads cost more than the 5 % of a
//! check the metrics may take.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::decision::{Decision, Reason, RuleId, Verdict};
use crate::policy::Snapshot;

/// One call in this many (per thread) has its duration measured.
pub const LATENCY_SAMPLE: u32 = 32;

/// Upper bounds of the latency buckets: 2^6 ns (64 ns) to 2^25 ns (~33.5 ms), doubling;
/// slower calls land in the implicit `+Inf` bucket.
const FIRST_BUCKET_LOG2: u32 = 6;
const BUCKETS: usize = 20;

/// Verdict × reason cells of one rule: reason code 0 stands for "no reason" (allow).
const REASONS: usize = 17;
const CELLS: usize = 3 * REASONS;

/// The label the decisions of no policy rule (an invalid number, a store failure) carry.
pub const NO_RULE: &str = "none";

/// Which operation a latency sample is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Check,
    Reserve,
}

impl Op {
    /// The `op` label value.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Check => "check",
            Op::Reserve => "reserve",
        }
    }
}

/// The decision counts of one rule name, by verdict and reason.
#[derive(Debug)]
struct RuleSlot {
    cells: [AtomicU64; CELLS],
}

impl RuleSlot {
    fn new() -> Arc<RuleSlot> {
        Arc::new(RuleSlot {
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
        })
    }
}

fn cell(d: &Decision) -> usize {
    let v = match d.verdict() {
        Verdict::Allow => 0,
        Verdict::Deny => 1,
        Verdict::Defer => 2,
    };
    // Codes are 1..=16 today; a code appended later shares "no reason" rather than
    // indexing out of bounds (the test below pins the count).
    let r = d
        .reason()
        .and_then(|r| usize::try_from(r as u32).ok())
        .filter(|&c| c < REASONS)
        .unwrap_or(0);
    v * REASONS + r
}

/// The counter slots of one snapshot, indexed by its rule ids. The snapshot carries them
/// (attached when the guard swaps it in), so a check reaches its counters through the
/// snapshot it already holds: no second shared load on the hot path.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleSlots(Arc<[Arc<RuleSlot>]>);

/// A latency histogram with log-scale buckets and atomic counts.
#[derive(Debug)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS + 1],
    sum_ns: AtomicU64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_ns: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // ceil(log2(ns)) - 6, so that bucket i holds ns <= 2^(6+i).
        let log2 = u64::BITS - ns.saturating_sub(1).leading_zeros();
        let i = usize::try_from(log2.saturating_sub(FIRST_BUCKET_LOG2))
            .unwrap_or(BUCKETS)
            .min(BUCKETS);
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    fn read(&self) -> LatencyHistogram {
        LatencyHistogram {
            upper_bounds_ns: (0..BUCKETS)
                .map(|i| 1u64 << (FIRST_BUCKET_LOG2 as usize + i))
                .collect(),
            counts: self.buckets.iter().map(|b| b.load(Relaxed)).collect(),
            sum_ns: self.sum_ns.load(Relaxed),
        }
    }
}

/// The counters of one guard. Read them with [`snapshot`](Self::snapshot).
#[derive(Debug)]
pub struct Metrics {
    /// Off only to measure what the metrics cost (`cargo bench --bench guard`).
    enabled: AtomicBool,
    /// Every slot ever made, by rule name (and [`NO_RULE`]); written at swaps and
    /// for a snapshot not attached (a bug, counted by name rather than lost).
    named: Mutex<BTreeMap<String, Arc<RuleSlot>>>,
    none: Arc<RuleSlot>,
    reservations: AtomicU64,
    store_failures: AtomicU64,
    reloads: AtomicU64,
    audit_dropped: AtomicU64,
    last_swap: Mutex<Instant>,
    policy: Mutex<(String, u64)>,
    check: Histogram,
    reserve: Histogram,
}

thread_local! {
    static TICK: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl Metrics {
    /// Counters for a guard starting on `snap` (then [`attach`](Self::attach) it).
    pub(crate) fn new(snap: &Snapshot) -> Metrics {
        let none = RuleSlot::new();
        let m = Metrics {
            enabled: AtomicBool::new(true),
            named: Mutex::new(BTreeMap::from([(NO_RULE.to_owned(), none.clone())])),
            none,
            reservations: AtomicU64::new(0),
            store_failures: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            audit_dropped: AtomicU64::new(0),
            last_swap: Mutex::new(Instant::now()),
            policy: Mutex::new((String::new(), 0)),
            check: Histogram::new(),
            reserve: Histogram::new(),
        };
        *lock(&m.policy) = (snap.name().to_owned(), snap.version());
        m
    }

    /// Gives `snap` the counter slots of its rules, by rule name; call it before the
    /// snapshot goes into service.
    pub(crate) fn attach(&self, snap: &mut Snapshot) {
        let mut named = lock(&self.named);
        snap.metric_slots = RuleSlots(
            snap.rules()
                .iter()
                .map(|r| slot_named(&mut named, &r.id))
                .collect(),
        );
    }

    /// A snapshot (already [`attach`](Self::attach)ed) was swapped in (reload, swap,
    /// swap_list).
    pub(crate) fn swapped(&self, snap: &Snapshot) {
        self.reloads.fetch_add(1, Relaxed);
        *lock(&self.last_swap) = Instant::now();
        *lock(&self.policy) = (snap.name().to_owned(), snap.version());
    }

    /// Starts a latency sample when this call is one of the sampled ones.
    #[inline]
    pub(crate) fn start(&self) -> Option<Instant> {
        if !self.enabled.load(Relaxed) {
            return None;
        }
        TICK.with(|t| {
            let n = t.get().wrapping_add(1);
            t.set(n);
            (n % LATENCY_SAMPLE == 0).then(Instant::now)
        })
    }

    /// Counts one decision taken on `snap`, and its latency when sampled.
    #[inline]
    pub(crate) fn decided(&self, snap: &Snapshot, d: &Decision, op: Op, start: Option<Instant>) {
        if !self.enabled.load(Relaxed) {
            return;
        }
        let slot = match d.rule() {
            None => &self.none,
            Some(id) => match snap.metric_slots.0.get(id.index()) {
                Some(s) => s,
                // A snapshot that was not attached (a bug): find the rule by name.
                None => return self.decided_by_name(snap, id, d, op, start),
            },
        };
        slot.cells[cell(d)].fetch_add(1, Relaxed);
        if let Some(t) = start {
            self.histogram(op).observe(t.elapsed());
        }
    }

    #[cold]
    fn decided_by_name(
        &self,
        snap: &Snapshot,
        id: RuleId,
        d: &Decision,
        op: Op,
        start: Option<Instant>,
    ) {
        let slot = match snap.rule(id) {
            Some(r) => slot_named(&mut lock(&self.named), &r.id),
            None => self.none.clone(),
        };
        slot.cells[cell(d)].fetch_add(1, Relaxed);
        if let Some(t) = start {
            self.histogram(op).observe(t.elapsed());
        }
    }

    fn histogram(&self, op: Op) -> &Histogram {
        match op {
            Op::Check => &self.check,
            Op::Reserve => &self.reserve,
        }
    }

    /// Stops (`false`) or resumes counting decisions and timing calls; on by default.
    /// Meant for measuring what the metrics cost in one benchmark run; a dashboard
    /// watching a guard with counting off sees its decision counts stand still.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Relaxed);
    }

    /// An allowed attempt was recorded.
    pub(crate) fn reserved(&self) {
        self.reservations.fetch_add(1, Relaxed);
    }

    /// The contact history failed (the answer was a fail-closed deny).
    pub(crate) fn store_failed(&self) {
        self.store_failures.fetch_add(1, Relaxed);
    }

    /// Decision-log records dropped because its queue was full (`when_full = "drop"`);
    /// the log's writer reports them here so that dashboards see them.
    pub fn add_audit_drops(&self, n: u64) {
        self.audit_dropped.fetch_add(n, Relaxed);
    }

    /// The counters now, as plain numbers.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let mut decisions = Vec::new();
        for (rule, slot) in lock(&self.named).iter() {
            for (i, c) in slot.cells.iter().enumerate() {
                let count = c.load(Relaxed);
                if count == 0 {
                    continue;
                }
                let verdict = [Verdict::Allow, Verdict::Deny, Verdict::Defer][i / REASONS];
                let reason = u32::try_from(i % REASONS).ok().and_then(Reason::from_code);
                decisions.push(DecisionCount {
                    verdict,
                    reason,
                    rule: rule.clone(),
                    count,
                });
            }
        }
        let (policy_name, policy_version) = lock(&self.policy).clone();
        MetricsSnapshot {
            decisions,
            reservations: self.reservations.load(Relaxed),
            store_failures: self.store_failures.load(Relaxed),
            reloads: self.reloads.load(Relaxed),
            snapshot_age: lock(&self.last_swap).elapsed(),
            audit_dropped: self.audit_dropped.load(Relaxed),
            check_latency: self.check.read(),
            reserve_latency: self.reserve.read(),
            policy_name,
            policy_version,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A map, not a scan: policies with tens of thousands of rules exist (tests/fail_open.rs),
/// and the text lists rules sorted by name.
fn slot_named(named: &mut BTreeMap<String, Arc<RuleSlot>>, name: &str) -> Arc<RuleSlot> {
    if let Some(s) = named.get(name) {
        return s.clone();
    }
    let s = RuleSlot::new();
    named.insert(name.to_owned(), s.clone());
    s
}

/// How many decisions had this verdict, reason and rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionCount {
    pub verdict: Verdict,
    /// `None` for an allow.
    pub reason: Option<Reason>,
    /// The rule's id in the policy, or [`NO_RULE`].
    pub rule: String,
    pub count: u64,
}

/// A latency histogram read out: `counts[i]` calls took at most `upper_bounds_ns[i]`
/// (and more than the bound before); the last count is the calls slower than every bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyHistogram {
    pub upper_bounds_ns: Vec<u64>,
    pub counts: Vec<u64>,
    pub sum_ns: u64,
}

impl LatencyHistogram {
    /// How many calls were sampled.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The counters of a guard at one instant.
#[derive(Clone, Debug)]
pub struct MetricsSnapshot {
    /// Non-zero counts only.
    pub decisions: Vec<DecisionCount>,
    pub reservations: u64,
    pub store_failures: u64,
    /// Snapshots swapped in since the guard opened (reload, swap, swap_list).
    pub reloads: u64,
    /// Time since the snapshot in force was swapped in (or the guard opened).
    pub snapshot_age: Duration,
    pub audit_dropped: u64,
    /// Sampled: one call in [`LATENCY_SAMPLE`] per thread.
    pub check_latency: LatencyHistogram,
    pub reserve_latency: LatencyHistogram,
    pub policy_name: String,
    pub policy_version: u64,
}

impl MetricsSnapshot {
    /// Decisions with this verdict.
    pub fn by_verdict(&self, v: Verdict) -> u64 {
        self.sum(|d| d.verdict == v)
    }

    /// Decisions with this reason.
    pub fn by_reason(&self, r: Reason) -> u64 {
        self.sum(|d| d.reason == Some(r))
    }

    /// Decisions taken by this rule (a policy rule id, or [`NO_RULE`]).
    pub fn by_rule(&self, rule: &str) -> u64 {
        self.sum(|d| d.rule == rule)
    }

    /// Every decision counted.
    pub fn decisions_total(&self) -> u64 {
        self.sum(|_| true)
    }

    fn sum(&self, keep: impl Fn(&DecisionCount) -> bool) -> u64 {
        self.decisions
            .iter()
            .filter(|d| keep(d))
            .fold(0u64, |a, d| a.saturating_add(d.count))
    }

    /// The Prometheus text exposition format (version 0.0.4), as served on `/metrics`.
    pub fn prometheus_text(&self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self.clone()));
        let mut out = String::new();
        // Writing to a String cannot fail; a collector error would be a bug in this file.
        if prometheus_client::encoding::prometheus_text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Collector for MetricsSnapshot {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut fam = enc.encode_descriptor(
            "dialguard_decisions",
            "Decisions by verdict, reason (empty for allow) and deciding rule",
            None,
            MetricType::Counter,
        )?;
        for d in &self.decisions {
            let labels = [
                ("verdict", d.verdict.name()),
                ("reason", d.reason.map_or("", Reason::name)),
                ("rule", d.rule.as_str()),
            ];
            ConstCounter::new(d.count).encode(fam.encode_family(&labels)?)?;
        }
        counter(
            &mut enc,
            "dialguard_reservations",
            "Allowed attempts recorded by check_and_reserve",
            self.reservations,
        )?;
        counter(
            &mut enc,
            "dialguard_store_failures",
            "Contact-history failures (each answered with a store_unavailable deny)",
            self.store_failures,
        )?;
        counter(
            &mut enc,
            "dialguard_reloads",
            "Policy snapshots swapped in since the guard opened",
            self.reloads,
        )?;
        counter(
            &mut enc,
            "dialguard_audit_dropped",
            "Decision-log records dropped because its queue was full",
            self.audit_dropped,
        )?;
        let age = ConstGauge::new(self.snapshot_age.as_secs_f64());
        age.encode(enc.encode_descriptor(
            "dialguard_snapshot_age_seconds",
            "Seconds since the policy snapshot in force was swapped in",
            None,
            age.metric_type(),
        )?)?;
        let mut info = enc.encode_descriptor(
            "dialguard_policy",
            "The policy in force (value always 1)",
            None,
            MetricType::Info,
        )?;
        let version = format!("{:016x}", self.policy_version);
        info.encode_info(&[("name", self.policy_name.as_str()), ("version", &version)])?;
        let mut hist = enc.encode_descriptor(
            "dialguard_check_duration_seconds",
            "Duration of check (op=check) and check_and_reserve (op=reserve), sampled 1 in 32 calls per thread",
            None,
            MetricType::Histogram,
        )?;
        for (op, h) in [
            (Op::Check, &self.check_latency),
            (Op::Reserve, &self.reserve_latency),
        ] {
            // The encoder accumulates: pass each bucket's own count, +Inf last.
            let buckets: Vec<(f64, u64)> = h
                .counts
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let le = h
                        .upper_bounds_ns
                        .get(i)
                        .map_or(f64::INFINITY, |&ns| ns_to_secs(ns));
                    (le, c)
                })
                .collect();
            let labels = [("op", op.name())];
            fam_histogram(
                hist.encode_family(&labels)?,
                ns_to_secs(h.sum_ns),
                h.count(),
                &buckets,
            )?;
        }
        Ok(())
    }
}

fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    v: u64,
) -> Result<(), std::fmt::Error> {
    let c = ConstCounter::new(v);
    c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)
}

fn fam_histogram(
    mut m: prometheus_client::encoding::MetricEncoder<'_>,
    sum: f64,
    count: u64,
    buckets: &[(f64, u64)],
) -> Result<(), std::fmt::Error> {
    m.encode_histogram::<prometheus_client::encoding::NoLabelSet>(sum, count, buckets, None)
}

fn ns_to_secs(ns: u64) -> f64 {
    Duration::from_nanos(ns).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_code_has_a_cell() {
        let max = Reason::ALL.iter().map(|&r| r as u32).max().unwrap_or(0);
        assert!(
            usize::try_from(max).is_ok_and(|m| m < REASONS),
            "grow REASONS to {}",
            max + 1
        );
    }

    #[test]
    fn buckets_are_log_scale() {
        let h = Histogram::new();
        for ns in [1, 64, 65, 128, 129, 1 << 25, (1 << 25) + 1, u64::MAX] {
            h.observe(Duration::from_nanos(ns));
        }
        let r = h.read();
        assert_eq!(r.counts[0], 2, "1 ns and 64 ns are <= 64 ns");
        assert_eq!(r.counts[1], 2, "65 and 128 ns are in (64, 128]");
        assert_eq!(r.counts[2], 1, "129 ns");
        assert_eq!(r.counts[BUCKETS - 1], 1, "2^25 ns");
        assert_eq!(r.counts[BUCKETS], 2, "over the last bound: +Inf");
        assert_eq!(r.upper_bounds_ns[BUCKETS - 1], 1 << 25);
    }
}
