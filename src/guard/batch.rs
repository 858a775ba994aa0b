//! The batch path behind [`Guard::check_batch`](super::Guard::check_batch): a scrub or a
//! hopper refill of thousands of numbers against one snapshot, software-pipelined and
//! exact (every answer is the one `check_number` gives).
//!
//! Numbers go through in groups of [`GROUP`], three stages, the first one group ahead:
//! 1. **launch** (`Guard::launch`): locate each number, begin every list lookup
//!    (`NumberSet::probe`: the directory is read, the container lines only requested)
//!    and request the contact history where a cap or cool-off may read it; these
//!    misses are in flight while the group before is judged;
//! 2. **sort**: end the lookups (`NumberSet::finish`), giving each number the set of
//!    lists that hold it; a number opted out at run time or with a consent record is
//!    *particular*: its answer depends on the number itself, so it is decided in full
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
use crate::lists::Probe;
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

/// Memo slots (direct-mapped by place) for a large batch, and for a small one: the memo
/// is cleared at every call, and clearing the large one costs more than a few dozen
/// checks would.
const PLACES: usize = 1024;
const FEW_PLACES: usize = 32;
/// Batches up to this many numbers use the small memo.
const SMALL_BATCH: usize = 256;

/// Answers shared by the numbers of one place (region and zone list) in this batch.
pub(super) struct Places<const N: usize> {
    slots: [Option<Place>; N],
    /// Whether some cap or cool-off covers calls to a place (region and zones), so
    /// `launch` requests only the histories a judgement will read.
    needs: [Option<(Key, bool)>; N],
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

    /// The key's slot in a memo of `n` slots.
    fn slot(&self, n: usize) -> usize {
        let h = (self.zones.0 as u64 ^ (u64::from(self.region) << 32) ^ self.zones.1 as u64)
            .wrapping_add(self.lists)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 56) as usize % n
    }
}

impl<const N: usize> Places<N> {
    pub(super) fn new() -> Places<N> {
        Places {
            slots: [None; N],
            needs: [None; N],
            served: 0,
        }
    }

    fn get(&self, key: Key) -> Option<Place> {
        self.slots[key.slot(N)].filter(|p| p.key == key)
    }

    fn put(&mut self, key: Key, needs_history: bool, decision: Decision) {
        self.slots[key.slot(N)] = Some(Place {
            key,
            needs_history,
            decision,
        });
    }

    fn needs_history(&self, loc: &Location) -> Option<bool> {
        let k = Key::new(loc, 0);
        self.needs[k.slot(N)]
            .filter(|&(key, _)| key == k)
            .map(|(_, needs)| needs)
    }

    fn set_needs_history(&mut self, loc: &Location, needs: bool) {
        let k = Key::new(loc, 0);
        self.needs[k.slot(N)] = Some((k, needs));
    }

    /// Counts `n` more numbers; forgets every answer once [`MEMO_SPAN`] have been served.
    fn age(&mut self, n: usize) {
        self.served += n;
        if self.served >= MEMO_SPAN {
            self.slots = [None; N];
            self.needs = [None; N];
            self.served = 0;
        }
    }
}

/// Lists whose lookups are begun a group ahead; a list beyond them is looked up when
/// its group is judged (the same answer, without the overlap).
const PROBED_LISTS: usize = 8;

/// A group begun one group ahead: its numbers' places and their list lookups, whose
/// container lines are on their way while the group before is judged.
pub(super) struct Flight {
    loc: [Option<Location>; GROUP],
    probes: [[Option<Probe>; GROUP]; PROBED_LISTS],
}

impl Flight {
    pub(super) fn new() -> Flight {
        Flight {
            loc: [None; GROUP],
            probes: [[None; GROUP]; PROBED_LISTS],
        }
    }
}

impl Guard {
    /// Every number of `numbers` against one snapshot, a group at a time, each group
    /// begun (located, its lines requested) while the group before it is judged.
    pub(super) fn check_all(
        &self,
        snap: &Snapshot,
        numbers: &[Number],
        ctx: &CallContext<'_>,
        out: &mut [Decision],
    ) {
        if numbers.len() <= SMALL_BATCH {
            self.check_with(snap, numbers, ctx, out, &mut Places::<FEW_PLACES>::new());
        } else {
            self.check_with(snap, numbers, ctx, out, &mut Places::<PLACES>::new());
        }
    }

    fn check_with<const N: usize>(
        &self,
        snap: &Snapshot,
        numbers: &[Number],
        ctx: &CallContext<'_>,
        out: &mut [Decision],
        places: &mut Places<N>,
    ) {
        let mut flights = [Flight::new(), Flight::new()];
        let group = |k: usize| numbers.chunks(GROUP).nth(k);
        if let Some(first) = group(0) {
            self.launch(snap, first, &mut flights[0], places);
        }
        for (k, (ns, ds)) in numbers.chunks(GROUP).zip(out.chunks_mut(GROUP)).enumerate() {
            let [a, b] = &mut flights;
            let (current, next) = if k % 2 == 0 { (a, b) } else { (b, a) };
            if let Some(following) = group(k + 1) {
                self.launch(snap, following, next, places);
            }
            self.check_group(snap, ns, ctx, ds, places, current);
        }
    }

    /// Begins a group: locates its numbers, begins every list lookup and, where a cap or
    /// cool-off may read it, requests the number's history (hints: nothing here blocks).
    fn launch<const N: usize>(
        &self,
        snap: &Snapshot,
        ns: &[Number],
        flight: &mut Flight,
        places: &Places<N>,
    ) {
        for (l, n) in flight.loc.iter_mut().zip(ns) {
            *l = Some(number::locate(*n));
        }
        for (probes, l) in flight.probes.iter_mut().zip(&snap.lists) {
            for (p, n) in probes.iter_mut().zip(ns) {
                *p = (!l.set.is_empty()).then(|| l.set.probe(*n));
            }
        }
        if !snap.caps.is_empty() || !snap.cooloffs.is_empty() {
            for (n, loc) in ns.iter().zip(&flight.loc) {
                if loc.is_none_or(|l| places.needs_history(&l) != Some(false)) {
                    self.store.prefetch(*n);
                }
            }
        }
    }

    /// One group of at most [`GROUP`] numbers, begun by `launch`: sort, judge (module
    /// doc).
    fn check_group<const N: usize>(
        &self,
        snap: &Snapshot,
        ns: &[Number],
        ctx: &CallContext<'_>,
        out: &mut [Decision],
        places: &mut Places<N>,
        flight: &Flight,
    ) {
        debug_assert!(ns.len() <= GROUP);
        places.age(ns.len());
        let memo_ok = !snap.scopes_read_number && self.store.ready(&self.overlay);
        let mut lists = [0u64; GROUP];
        let mut particular = [false; GROUP];
        list_hits(snap, ns, flight, &mut lists, &mut particular);
        for (i, (n, d)) in ns.iter().zip(out.iter_mut()).enumerate() {
            let decided = match flight.loc[i] {
                Some(loc) if memo_ok && !particular[i] && !self.number_specific(snap, *n) => {
                    self.judge_place(snap, *n, loc, lists[i], ctx, places)
                }
                _ => self.decide(snap, *n, ctx, &mut NoTrace),
            };
            *d = self.logged(snap, RecordKind::Check, Some(*n), ctx, decided, None);
            self.metrics.decided(snap, d, Op::Check, None);
        }
    }

    /// An opt-out at run time or a consent record makes the answer this number's own.
    #[inline]
    fn number_specific(&self, snap: &Snapshot, n: Number) -> bool {
        self.overlay.contains(n)
            || (!snap.consents.is_empty() && !snap.consents.lookup(n).is_empty())
    }

    /// The answer for a number at `loc` with no opt-out and no consent, held by the
    /// lists in `lists`: its place's, unless its history has events (then it is judged
    /// in full, under the history read).
    fn judge_place<const N: usize>(
        &self,
        snap: &Snapshot,
        n: Number,
        loc: Location,
        lists: u64,
        ctx: &CallContext<'_>,
        places: &mut Places<N>,
    ) -> Decision {
        let key = Key::new(&loc, lists);
        if let Some(p) = places.get(key)
            && !p.needs_history
        {
            return p.decision;
        }
        let callee = Callee::new(snap, n, ctx);
        let local = self.store.local();
        let needs_history = callee.needs_history(snap);
        places.set_needs_history(&loc, needs_history);
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
/// ending the lookups `launch` began. Scope is not asked here: the evaluation that makes
/// a memo entry applies scopes and exemptions. A hit in a list beyond the 64th, which
/// has no bit, makes the number `particular` (judged in full).
fn list_hits(
    snap: &Snapshot,
    ns: &[Number],
    flight: &Flight,
    lists: &mut [u64; GROUP],
    particular: &mut [bool; GROUP],
) {
    for (i, l) in snap.lists.iter().enumerate() {
        let probes = flight.probes.get(i);
        let bit = u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i));
        for (k, n) in ns.iter().enumerate() {
            let in_set = match probes.and_then(|p| p[k].as_ref()) {
                Some(p) => l.set.finish(p),
                None => !l.set.is_empty() && l.set.contains(*n),
            };
            if in_set || (!l.prefixes.is_empty() && l.prefixes.matches(*n).is_some()) {
                match bit {
                    Some(b) => lists[k] |= b,
                    None => particular[k] = true,
                }
            }
        }
    }
}
