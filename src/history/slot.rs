//! The compact per-number value of the history map: up to four events of one
//! campaign/subject inline in 24 bytes, otherwise a boxed vector.
//!
//! Most tracked numbers have a few recent attempts of one campaign; keeping those inline
//! (no heap block, no pointer chase) keeps a number's events in its map bucket, which
//! with the key is 32 bytes: half a cache line, so a lookup that finds the bucket has
//! the events too. Events are kept ordered by instant, ties in insertion order, so an
//! attempt's ordinal among same-second events is stable.
//!
//! Four events fit in 24 bytes because they are stored relative to the oldest one: the
//! other three as 22-bit offsets (up to [`MAX_SPAN`] seconds, 48 days — more than the
//! retention of most policies, so pruning keeps them inline), outcomes as nibbles and
//! the live-agent flags as bits. Anything that does not fit (a fifth event, a second
//! campaign or subject, a wider span, an unknown flag) spills to the vector, exactly.

use super::event::{AttemptId, Event, FLAG_LIVE_AGENT, Outcome, Tag};
use super::rules::Retention;

const INLINE: usize = 4;
/// Bits of an inline event's offset from the oldest one.
const DELTA_BITS: u32 = 22;
const DELTA_MASK: u64 = (1 << DELTA_BITS) - 1;
/// The widest span (seconds) between the oldest and newest inline event: 48.5 days.
pub(crate) const MAX_SPAN: u32 = (1 << DELTA_BITS) - 1;
/// Where the outcome nibbles and the flag bits start in `Inline::packed`.
const OUTCOMES_AT: u32 = 2 * DELTA_BITS;
const FLAGS_AT: u32 = OUTCOMES_AT + 4 * INLINE as u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Len {
    L0 = 0,
    L1 = 1,
    L2 = 2,
    L3 = 3,
    L4 = 4,
}

impl Len {
    const fn from(n: usize) -> Len {
        match n {
            0 => Len::L0,
            1 => Len::L1,
            2 => Len::L2,
            3 => Len::L3,
            _ => Len::L4,
        }
    }
}

/// Four events sharing one campaign and subject. `len`'s unused values are the niche
/// that tells the spilled variant apart, so `Slot` stays 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Inline {
    campaign: Tag,
    subject: Tag,
    /// Stamp of the oldest event.
    base: u32,
    /// The fourth event's offset from `base` (22 bits, little-endian).
    delta3: [u8; 3],
    len: Len,
    /// Offsets of the second and third events (22 bits each), then the four outcome
    /// codes (a nibble each), then the four live-agent flags (a bit each).
    packed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Inline(Inline),
    // Boxed on purpose: a thin pointer keeps `Slot` at 24 bytes (a `Vec` would make it
    // 32); spilled numbers are the rare ones, so the extra indirection is cheap.
    #[allow(clippy::box_collection)]
    Spill(Box<Vec<Event>>),
}

// Key (8) + slot (24) = a 32-byte bucket: two per cache line, never straddling one.
const _: () = assert!(std::mem::size_of::<Slot>() == 24);

impl Inline {
    const EMPTY: Inline = Inline {
        campaign: Tag::NONE,
        subject: Tag::NONE,
        base: 0,
        delta3: [0; 3],
        len: Len::L0,
        packed: 0,
    };

    fn len(&self) -> usize {
        self.len as usize
    }

    fn delta(&self, i: usize) -> u32 {
        let d = match i {
            0 => 0,
            1 => self.packed & DELTA_MASK,
            2 => (self.packed >> DELTA_BITS) & DELTA_MASK,
            _ => {
                let [a, b, c] = self.delta3;
                u64::from(u32::from_le_bytes([a, b, c, 0])) & DELTA_MASK
            }
        };
        // Masked to 22 bits above.
        d as u32
    }

    fn at(&self, i: usize) -> u32 {
        // Packed only when `base + delta` fits (see `pack`).
        self.base.wrapping_add(self.delta(i))
    }

    fn get(&self, i: usize) -> Event {
        let outcome = (self.packed >> (OUTCOMES_AT + 4 * i as u32)) & 0x0f;
        let live = (self.packed >> (FLAGS_AT + i as u32)) & 1;
        Event {
            at: self.at(i),
            campaign: self.campaign,
            subject: self.subject,
            // A nibble and a bit: both fit.
            outcome: outcome as u8,
            flags: live as u8,
        }
    }

    /// The events, unpacked; entries from `len()` on are zero.
    fn unpack(&self) -> [Event; INLINE] {
        let mut buf = [Event::default_zero(); INLINE];
        for (i, e) in buf.iter_mut().enumerate().take(self.len()) {
            *e = self.get(i);
        }
        buf
    }

    fn set_outcome_at(&mut self, i: usize, code: u8) {
        let shift = OUTCOMES_AT + 4 * i as u32;
        self.packed = (self.packed & !(0x0f << shift)) | (u64::from(code & 0x0f) << shift);
    }

    /// Packs events (ordered by instant, all of one campaign/subject, at most four,
    /// within [`MAX_SPAN`], outcome codes and flags the compact form holds) back inline;
    /// `None` when they do not fit, and the caller keeps them in a vector.
    fn pack(events: &[Event]) -> Option<Inline> {
        let first = events.first()?;
        if events.len() > INLINE {
            return None;
        }
        let mut s = Inline {
            campaign: first.campaign,
            subject: first.subject,
            base: first.at,
            len: Len::from(events.len()),
            ..Inline::EMPTY
        };
        for (i, e) in events.iter().enumerate() {
            let delta = e.at.checked_sub(first.at).filter(|&d| d <= MAX_SPAN)?;
            if e.campaign != first.campaign
                || e.subject != first.subject
                || e.outcome > 0x0f
                || e.flags & !FLAG_LIVE_AGENT != 0
            {
                return None;
            }
            let d = u64::from(delta);
            match i {
                0 => {}
                1 => s.packed |= d,
                2 => s.packed |= d << DELTA_BITS,
                _ => {
                    let [a, b, c, _] = delta.to_le_bytes();
                    s.delta3 = [a, b, c];
                }
            }
            s.set_outcome_at(i, e.outcome);
            s.packed |= u64::from(e.flags & FLAG_LIVE_AGENT) << (FLAGS_AT + i as u32);
        }
        Some(s)
    }
}

impl Default for Slot {
    fn default() -> Slot {
        Slot::Inline(Inline::EMPTY)
    }
}

impl Slot {
    pub(crate) fn len(&self) -> usize {
        match self {
            Slot::Inline(s) => s.len(),
            Slot::Spill(v) => v.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held out of line (a spilled vector and its block).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Slot::Inline(_) => 0,
            Slot::Spill(v) => {
                std::mem::size_of::<Vec<Event>>() + v.capacity() * std::mem::size_of::<Event>()
            }
        }
    }

    /// True when the events are held inline (no heap block).
    #[cfg(test)]
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self, Slot::Inline(_))
    }

    /// Runs `f` on the events, ordered by instant; no allocation.
    pub(crate) fn view<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        match self {
            Slot::Inline(s) => {
                let buf = s.unpack();
                f(&buf[..s.len()])
            }
            Slot::Spill(v) => f(v),
        }
    }

    /// Inserts in instant order (after events of the same second) and returns its id.
    pub(crate) fn insert(&mut self, e: Event) -> AttemptId {
        if let Slot::Inline(s) = self {
            let n = s.len();
            if n < INLINE {
                let mut buf = [Event::default_zero(); INLINE];
                buf[..n].copy_from_slice(&s.unpack()[..n]);
                buf[n] = e;
                let pos = buf[..n].partition_point(|x| x.at <= e.at);
                buf[pos..=n].rotate_right(1);
                let ordinal = buf[..pos].iter().filter(|x| x.at == e.at).count();
                if let Some(packed) = Inline::pack(&buf[..=n]) {
                    *s = packed;
                    return AttemptId::new(e.at, ordinal_u8(ordinal));
                }
            }
            let mut v = Vec::with_capacity(n + 2);
            self.view(|evs| v.extend_from_slice(evs));
            *self = Slot::Spill(Box::new(v));
        }
        match self {
            Slot::Spill(v) => {
                let pos = v.partition_point(|x| x.at <= e.at);
                let ordinal = v[..pos].iter().rev().take_while(|x| x.at == e.at).count();
                v.insert(pos, e);
                AttemptId::new(e.at, ordinal_u8(ordinal))
            }
            // Converted to Spill above.
            Slot::Inline(_) => AttemptId::new(e.at, 0),
        }
    }

    /// Sets the outcome (and live-agent flag, if given) of the attempt `id`; false when the
    /// attempt is not held (pruned, or an id of another number).
    pub(crate) fn set_outcome(&mut self, id: AttemptId, outcome: Outcome) -> bool {
        let (at, ordinal) = (id.at(), usize::from(id.ordinal()));
        match self {
            Slot::Inline(s) => {
                let n = s.len();
                let first = (0..n).position(|i| s.at(i) >= at).unwrap_or(n);
                let i = first + ordinal;
                if i < n && s.at(i) == at {
                    s.set_outcome_at(i, outcome.code());
                    return true;
                }
                false
            }
            Slot::Spill(v) => {
                let first = v.partition_point(|x| x.at < at);
                let i = first + ordinal;
                match v.get_mut(i) {
                    Some(e) if e.at == at => {
                        e.outcome = outcome.code();
                        true
                    }
                    _ => false,
                }
            }
        }
    }

    /// Drops what the retention no longer needs at `t`; repacks inline when possible.
    pub(crate) fn prune(&mut self, r: &Retention, t: i64) {
        match self {
            Slot::Inline(s) => {
                let n = s.len();
                let buf = s.unpack();
                let mut keep = [Event::default_zero(); INLINE];
                let mut k = 0;
                for e in buf[..n].iter().filter(|e| r.keeps(e, t)) {
                    keep[k] = *e;
                    k += 1;
                }
                if k != n {
                    // A subset of packed events (same tags, narrower span) always packs
                    // again; were it not to, the vector keeps them (never drop events).
                    match Inline::pack(&keep[..k]) {
                        Some(packed) => *s = packed,
                        None if k == 0 => *s = Inline::EMPTY,
                        None => *self = Slot::Spill(Box::new(keep[..k].to_vec())),
                    }
                }
            }
            Slot::Spill(v) => {
                v.retain(|e| r.keeps(e, t));
                if let Some(packed) = Inline::pack(v) {
                    *self = Slot::Inline(packed);
                } else if v.is_empty() {
                    *self = Slot::default();
                }
            }
        }
    }
}

/// An ordinal among same-second events, saturating (a number dialled more than 255 times
/// in one second shares the last id; its outcome then attaches to an earlier attempt).
fn ordinal_u8(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

impl Event {
    const fn default_zero() -> Event {
        Event {
            at: 0,
            campaign: Tag::NONE,
            subject: Tag::NONE,
            outcome: 0,
            flags: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::EPOCH_2020;
    use super::*;
    use proptest::prelude::*;

    fn ev(at: u32, c: u32, s: u32) -> Event {
        Event {
            at,
            campaign: Tag(c),
            subject: Tag(s),
            outcome: 0,
            flags: 0,
        }
    }

    fn all(s: &Slot) -> Vec<Event> {
        s.view(|e| e.to_vec())
    }

    fn ats(s: &Slot) -> Vec<u32> {
        all(s).iter().map(|e| e.at).collect()
    }

    #[test]
    fn inline_holds_four_of_one_tag_pair_in_order() {
        let mut s = Slot::default();
        assert_eq!(s.insert(ev(20, 1, 2)), AttemptId::new(20, 0));
        assert_eq!(s.insert(ev(10, 1, 2)), AttemptId::new(10, 0));
        assert_eq!(s.insert(ev(20, 1, 2)), AttemptId::new(20, 1));
        assert_eq!(s.insert(ev(30, 1, 2)), AttemptId::new(30, 0));
        assert!(s.is_inline());
        assert_eq!(
            all(&s),
            vec![ev(10, 1, 2), ev(20, 1, 2), ev(20, 1, 2), ev(30, 1, 2)]
        );
        assert!(s.set_outcome(AttemptId::new(20, 1), Outcome::Busy));
        assert!(s.set_outcome(AttemptId::new(30, 0), Outcome::WrongNumber));
        assert!(!s.set_outcome(AttemptId::new(20, 2), Outcome::Busy));
        assert!(!s.set_outcome(AttemptId::new(25, 0), Outcome::Busy));
        let outcomes: Vec<_> = all(&s).iter().map(Event::outcome).collect();
        assert_eq!(
            outcomes,
            vec![None, None, Some(Outcome::Busy), Some(Outcome::WrongNumber)]
        );
        // A fifth event spills, order and outcomes kept.
        assert_eq!(s.insert(ev(15, 1, 2)), AttemptId::new(15, 0));
        assert!(!s.is_inline());
        assert_eq!(ats(&s), vec![10, 15, 20, 20, 30]);
        assert_eq!(all(&s)[3].outcome(), Some(Outcome::Busy));
        // Pruning back to four repacks inline, outcomes kept.
        s.prune(&Retention::new(100), EPOCH_2020 + 111);
        assert!(s.is_inline());
        assert_eq!(ats(&s), vec![15, 20, 20, 30]);
        assert_eq!(all(&s)[2].outcome(), Some(Outcome::Busy));
        assert_eq!(all(&s)[3].outcome(), Some(Outcome::WrongNumber));
    }

    #[test]
    fn every_position_keeps_its_stamp_outcome_and_flag() {
        let base = 1_000_000;
        let evs: Vec<Event> = (0..4u8)
            .map(|i| Event {
                at: base + u32::from(i) * (MAX_SPAN / 3),
                campaign: Tag(7),
                subject: Tag(9),
                outcome: i * 2 + 1,
                flags: i % 2,
            })
            .collect();
        let mut s = Slot::default();
        for e in &evs {
            s.insert(*e);
        }
        assert!(s.is_inline());
        assert_eq!(all(&s), evs);
    }

    #[test]
    fn what_does_not_fit_spills_exactly() {
        // A second tag pair.
        let mut s = Slot::default();
        s.insert(ev(1, 1, 2));
        s.insert(ev(2, 1, 3));
        assert!(!s.is_inline());
        assert_eq!(all(&s), vec![ev(1, 1, 2), ev(2, 1, 3)]);
        // A span one second wider than the offsets hold, either side.
        let mut s = Slot::default();
        s.insert(ev(100, 1, 2));
        s.insert(ev(100 + MAX_SPAN, 1, 2));
        assert!(s.is_inline());
        s.insert(ev(99, 1, 2));
        assert!(!s.is_inline());
        assert_eq!(ats(&s), vec![99, 100, 100 + MAX_SPAN]);
        let mut s = Slot::default();
        s.insert(ev(100, 1, 2));
        s.insert(ev(101 + MAX_SPAN, 1, 2));
        assert!(!s.is_inline());
        assert_eq!(ats(&s), vec![100, 101 + MAX_SPAN]);
        // The widest stamps.
        let mut s = Slot::default();
        s.insert(ev(u32::MAX, 1, 2));
        s.insert(ev(u32::MAX - MAX_SPAN, 1, 2));
        assert!(s.is_inline());
        assert_eq!(ats(&s), vec![u32::MAX - MAX_SPAN, u32::MAX]);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert { at: u32, tag: u32, live: bool },
        Outcome { pick: usize, outcome: usize },
        Prune { t: u32, keep: u32 },
    }

    fn op() -> impl Strategy<Value = Op> {
        // Stamps around one span wide, few tags: every inline/spill boundary is reached.
        let at = prop_oneof![0..64u32, 0..(2 * MAX_SPAN)];
        prop_oneof![
            4 => (at, 1..3u32, any::<bool>()).prop_map(|(at, tag, live)| Op::Insert { at, tag, live }),
            2 => (0..8usize, 0..8usize).prop_map(|(pick, outcome)| Op::Outcome { pick, outcome }),
            1 => (0..(3 * MAX_SPAN), 1..(2 * MAX_SPAN)).prop_map(|(t, keep)| Op::Prune { t, keep }),
        ]
    }

    proptest! {
        /// The slot behaves as a sorted vector of events (the model) under any sequence of
        /// inserts, outcomes and prunes: same events, same ids, same answers.
        #[test]
        fn slot_matches_a_sorted_vector(ops in prop::collection::vec(op(), 1..40)) {
            let mut s = Slot::default();
            let mut model: Vec<Event> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert { at, tag, live } => {
                        let e = Event { flags: u8::from(live), ..ev(at, tag, tag + 1) };
                        let pos = model.partition_point(|x| x.at <= at);
                        let ordinal = model[..pos].iter().filter(|x| x.at == at).count();
                        model.insert(pos, e);
                        prop_assert_eq!(s.insert(e), AttemptId::new(at, ordinal_u8(ordinal)));
                    }
                    Op::Outcome { pick, outcome } => {
                        let o = Outcome::ALL[outcome];
                        let id = match model.get(pick) {
                            Some(e) => {
                                let first = model.partition_point(|x| x.at < e.at);
                                AttemptId::new(e.at, ordinal_u8(pick - first))
                            }
                            // A stamp no insert uses: never held.
                            None => AttemptId::new(u32::MAX, 0),
                        };
                        let held = model.get(pick).is_some();
                        if let Some(e) = model.get_mut(pick) {
                            e.outcome = o.code();
                        }
                        prop_assert_eq!(s.set_outcome(id, o), held);
                    }
                    Op::Prune { t, keep } => {
                        let r = Retention::new(i64::from(keep));
                        let t = i64::from(t) + EPOCH_2020;
                        model.retain(|e| r.keeps(e, t));
                        s.prune(&r, t);
                    }
                }
                prop_assert_eq!(all(&s), model.clone());
                prop_assert_eq!(s.len(), model.len());
            }
        }
    }
}
