//! The batch path behind [`Guard::check_batch`](super::Guard::check_batch): a scrub or a
//! hopper refill of thousands of numbers against one snapshot, software-pipelined and
//! exact (every answer is the one `check_number` gives).
//!
//! A group of [`GROUP`] numbers goes through three stages:
//! 1. **probe**: every list's lookups for the whole group at once
//!    (`NumberSet::contains_batch`, which overlaps their DRAM misses), giving each number
//!    the set of lists that hold it;
//! 2. **sort**: a number opted out at run time or with a consent record is *particular*:
//!    its answer depends on the number itself, so it is decided in full
//!    (`Guard::decide`);
//! 3. **judge**: every other number's answer depends only on where it is (its region
//!    and zones), on which lists hold it, and on the call. It is judged once per such
//!    [`Key`] and shared by every number with the same key ([`Places`]); a number with
//!    contact history is judged in full under its history read.
//!
//! Why stage 3 is exact: with no opt-out, no consent and no history, the only inputs of
//! `evaluate` that depend on the number are list membership (in the key) and the facts
//! rule scopes match, which are the number's location plus the call, unless some scope
//! names a number prefix (`Snapshot::scopes_read_number`): then the memo is not used. A
//! memo entry is made by a full evaluation of a number with that key, so it is that
//! evaluation's answer, not a second implementation of the rules. Registration dates
//! matter only to consent exemptions, and a number with a consent is particular.
//!
//! Answers are shared for at most [`MEMO_SPAN`] numbers, about a hundred microseconds:
//! state outside the snapshot (a campaign's abandon rate, a shared store's readiness)
//! is read at most that long before the number's answer is given.

use crate::Number;
use crate::audit::RecordKind;
use crate::decision::{Decision, Reason};
use crate::metrics::Op;
use crate::number::{self, Location};
use crate::policy::Snapshot;

use super::callee::Callee;
use super::evaluate::{Call, evaluate};
use super::trace::NoTrace;
use super::{CallContext, Guard};

/// Numbers probed together: enough independent misses in flight to cover DRAM latency.
pub(super) const GROUP: usize = 32;

/// Numbers a memoised answer may serve before it is judged again.
const MEMO_SPAN: usize = 16_384;

/// Memo slots (direct-mapped by place).
const PLACES: usize = 1024;

/// Answers shared by the numbers of one place (region and zone list) in this batch.
pub(super) struct Places {
    slots: [Option<Place>; PLACES],
    served: usize,
}

#[derive(Clone, Copy)]
struct Place {
    key: Key,
    /// Some cap or cool-off covers calls to this place: a number is only served from
    /// the memo when its history is empty.
    needs_history: bool,
    decision: Decision,
}

/// A place and the lists holding the number there: region, zone list, list bits.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    region: u16,
    /// The zone lists are static tables: the same zones are the same slice.
    zones: (usize, usize),
    lists: u64,
}

impl Key {
    fn new(loc: &Location, lists: u64) -> Key {
        Key {
            region: loc.region.raw(),
            zones: (loc.zones.as_ptr() as usize, loc.zones.len()),
            lists,
        }
    }

    fn slot(&self) -> usize {
        let h = (self.zones.0 as u64 ^ (u64::from(self.region) << 32) ^ self.zones.1 as u64)
            .wrapping_add(self.lists)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 56) as usize % PLACES
    }
}

impl Places {
    pub(super) fn new() -> Places {
        Places {
            slots: [None; PLACES],
            served: 0,
        }
    }

    fn get(&self, key: Key) -> Option<Place> {
        self.slots[key.slot()].filter(|p| p.key == key)
    }

    fn put(&mut self, key: Key, needs_history: bool, decision: Decision) {
        self.slots[key.slot()] = Some(Place {
            key,
            needs_history,
            decision,
        });
    }

    /// Counts `n` more numbers; forgets every answer once [`MEMO_SPAN`] have been served.
    fn age(&mut self, n: usize) {
        self.served += n;
        if self.served >= MEMO_SPAN {
            self.slots = [None; PLACES];
            self.served = 0;
        }
    }
}

impl Guard {
    /// One group of at most [`GROUP`] numbers: probe, sort, judge (module doc).
    pub(super) fn check_group(
        &self,
        snap: &Snapshot,
        ns: &[Number],
        ctx: &CallContext<'_>,
        out: &mut [Decision],
        places: &mut Places,
    ) {
        debug_assert!(ns.len() <= GROUP);
        places.age(ns.len());
        let memo_ok = !snap.scopes_read_number && self.store.ready(&self.overlay);
        let mut lists = [0u64; GROUP];
        let mut particular = [false; GROUP];
        probe_lists(snap, ns, &mut lists, &mut particular);
        for (i, (n, d)) in ns.iter().zip(out.iter_mut()).enumerate() {
            let decided = if memo_ok && !particular[i] && !self.number_specific(snap, *n) {
                self.judge_place(snap, *n, lists[i], ctx, places)
            } else {
                self.decide(snap, *n, ctx, &mut NoTrace)
            };
            *d = self.logged(snap, RecordKind::Check, Some(*n), ctx, decided, None);
            self.metrics.decided(snap, d, Op::Check, None);
        }
    }

    /// An opt-out at run time or a consent record makes the answer this number's own.
    #[inline]
    fn number_specific(&self, snap: &Snapshot, n: Number) -> bool {
        self.overlay.contains(n) || !snap.consents.lookup(n).is_empty()
    }

    /// The answer for a number with no opt-out and no consent, held by the lists in
    /// `lists`: its place's, unless its history has events (then it is judged in full,
    /// under the history read).
    fn judge_place(
        &self,
        snap: &Snapshot,
        n: Number,
        lists: u64,
        ctx: &CallContext<'_>,
        places: &mut Places,
    ) -> Decision {
        let key = Key::new(&number::locate(n), lists);
        if let Some(p) = places.get(key)
            && !p.needs_history
        {
            return p.decision;
        }
        let callee = Callee::new(snap, n, ctx);
        let local = self.store.local();
        let needs_history = callee.needs_history(snap);
        if !needs_history {
            let call = Call::new(snap, ctx, &callee, &[]);
            let d = evaluate(&call, &self.overlay, local, &mut NoTrace);
            places.put(key, false, d);
            return d;
        }
        let known = places.get(key).map(|p| p.decision);
        let mut decision = None;
        let res = self.store.seam().read(n, &mut |events| {
            decision = Some(match (events.is_empty(), known) {
                (true, Some(d)) => d,
                _ => {
                    let call = Call::new(snap, ctx, &callee, events);
                    let d = evaluate(&call, &self.overlay, local, &mut NoTrace);
                    if events.is_empty() {
                        places.put(key, true, d);
                    }
                    d
                }
            });
        });
        match (res, decision) {
            (Ok(()), Some(d)) => d,
            // A store that returned without reading: fail closed, as `decide` does.
            (Ok(()), None) => Decision::deny(Reason::StoreUnavailable),
            (Err(e), _) => self.store_failed(&e),
        }
    }
}

/// Sets bit `i` of `lists[k]` when list `i` holds number `k` (by prefix or by number),
/// all lists' lookups overlapped. Scope is not asked here: the evaluation that makes a
/// memo entry applies scopes and exemptions. A hit in a list beyond the 64th, which has
/// no bit, makes the number `particular` (judged in full).
fn probe_lists(
    snap: &Snapshot,
    ns: &[Number],
    lists: &mut [u64; GROUP],
    particular: &mut [bool; GROUP],
) {
    let mut hits = [false; GROUP];
    for (i, l) in snap.lists.iter().enumerate() {
        hits.fill(false);
        if !l.set.is_empty() {
            l.set.contains_batch(ns, &mut hits);
        }
        if !l.prefixes.is_empty() {
            for (h, n) in hits.iter_mut().zip(ns) {
                *h |= l.prefixes.matches(*n).is_some();
            }
        }
        let bit = u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i));
        for k in (0..ns.len()).filter(|&k| hits[k]) {
            match bit {
                Some(b) => lists[k] |= b,
                None => particular[k] = true,
            }
        }
    }
}
