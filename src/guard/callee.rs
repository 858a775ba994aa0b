//! The callee as the rules see it: [`Callee`] (every zone the call must respect and the
//! facts rule scopes match), its consent records looked up lazily ([`LazyConsents`]),
//! and the local calendar days of one zone ([`ZoneDays`]).

use std::cell::Cell;

use crate::calendar::ZoneTables;
use crate::history::{LocalDays, Tag};
use crate::lists::{ConsentIndex, ConsentRecord};
use crate::number::{self, Number, ZoneId};
use crate::policy::{CallFacts, Snapshot, consent_in_force, kind_bit};

use super::CallContext;

/// Zones kept on the stack; more (only global and unassigned codes) go to the heap.
const INLINE_ZONES: usize = 48;

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
pub(super) struct Callee {
    zones: ZoneList,
    facts: CallFacts,
}

impl Callee {
    pub(super) fn new(snap: &Snapshot, n: Number, ctx: &CallContext<'_>) -> Callee {
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

    /// Every zone the call must respect (never empty).
    pub(super) fn zones(&self) -> &[u16] {
        self.zones.as_slice()
    }

    pub(super) fn facts(&self) -> &CallFacts {
        &self.facts
    }

    /// True when some cap or cool-off covers this call, so the history must be read.
    pub(super) fn needs_history(&self, snap: &Snapshot) -> bool {
        snap.caps.iter().any(|c| c.scope.applies(&self.facts))
            || snap.cooloffs.iter().any(|c| c.scope.applies(&self.facts))
    }
}

/// The consent records of a number, looked up only when a rule asks (a map lookup that
/// most checks never need).
pub(super) struct LazyConsents<'a> {
    index: &'a ConsentIndex,
    n: Number,
    cached: Cell<Option<&'a [ConsentRecord]>>,
    /// The callee's UTC offset now (plain consent dates are local days).
    offset: i64,
}

impl<'a> LazyConsents<'a> {
    pub(super) fn new(snap: &'a Snapshot, callee: &Callee, now: i64) -> LazyConsents<'a> {
        let offset = if snap.consents.is_empty() {
            0
        } else {
            let zone = callee.zones().first().copied().unwrap_or(0);
            i64::from(snap.zones.offset_at(zone, now))
        };
        LazyConsents {
            index: &snap.consents,
            n: callee.facts.number,
            cached: Cell::new(None),
            offset,
        }
    }

    pub(super) fn get(&self) -> &'a [ConsentRecord] {
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

    pub(super) fn offset(&self) -> i64 {
        self.offset
    }

    /// A record whose kind is in `kinds` (a `kind_bit` mask) in force at `t`.
    pub(super) fn any_in_force(&self, kinds: u8, t: i64, campaign: Option<&str>) -> bool {
        self.get().iter().any(|r| {
            kinds & kind_bit(r.kind) != 0 && consent_in_force(r, t, self.offset, campaign, 0)
        })
    }
}

/// Local calendar days of one zone, for calendar-day caps and cool-offs.
pub(super) struct ZoneDays<'a> {
    pub tables: &'a ZoneTables,
    pub zone: u16,
}

impl LocalDays for ZoneDays<'_> {
    fn day_of(&self, t: i64) -> i32 {
        self.tables.local(self.zone, t).day
    }
    fn start_of(&self, day: i32) -> i64 {
        self.tables.to_instant(self.zone, day, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_of_a_global_number_is_kept() {
        let all = ZoneId::all().count();
        assert!(all > INLINE_ZONES);
        // No located zone: every zone of the world, never none.
        assert_eq!(ZoneList::new(&[], None).as_slice().len(), all);
        let many: Vec<ZoneId> = ZoneId::all().collect();
        assert_eq!(ZoneList::new(&many, None).as_slice().len(), all);
    }

    #[test]
    fn a_known_zone_is_added_once() {
        let rome = ZoneId::from_name("Europe/Rome").unwrap();
        let paris = ZoneId::from_name("Europe/Paris").unwrap();
        assert_eq!(ZoneList::new(&[rome], Some(rome)).as_slice(), [rome.raw()]);
        assert_eq!(
            ZoneList::new(&[rome], Some(paris)).as_slice(),
            [rome.raw(), paris.raw()]
        );
        assert_eq!(ZoneList::new(&[], Some(paris)).as_slice(), [paris.raw()]);
    }

    #[test]
    fn inline_and_heap_lists_agree_at_the_boundary() {
        let zones: Vec<ZoneId> = ZoneId::all().take(INLINE_ZONES + 1).collect();
        let inline = ZoneList::new(&zones[..INLINE_ZONES], None);
        assert!(matches!(inline, ZoneList::Inline { .. }));
        let heap = ZoneList::new(&zones, None);
        assert!(matches!(heap, ZoneList::Heap(_)));
        assert_eq!(heap.as_slice()[..INLINE_ZONES], *inline.as_slice());
    }
}
