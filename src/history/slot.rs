//! The compact per-number value of the history map: up to three events of one
//! campaign/subject inline in 24 bytes, otherwise a boxed vector.
//!
//! Most tracked numbers have a few recent attempts of one campaign; keeping those inline
//! (no heap block, no pointer chase) is what holds a tracked number near 40–64 bytes
//! including the map's own overhead. Events are kept ordered by instant, ties in
//! insertion order, so an attempt's ordinal among same-second events is stable.

use super::event::{AttemptId, Event, Outcome, Tag};
use super::rules::Retention;

const INLINE: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Len {
    L0 = 0,
    L1 = 1,
    L2 = 2,
    L3 = 3,
}

impl Len {
    const fn from(n: usize) -> Len {
        match n {
            0 => Len::L0,
            1 => Len::L1,
            2 => Len::L2,
            _ => Len::L3,
        }
    }
}

/// Three events sharing one campaign and subject. `repr(C)` puts `len` last so the
/// spilled variant's pointer fits in the bytes before it and `Slot` stays 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Inline {
    campaign: Tag,
    subject: Tag,
    at: [u32; INLINE],
    /// Outcome code in the low nibble, flags in the high nibble.
    meta: [u8; INLINE],
    len: Len,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Inline(Inline),
    // Boxed on purpose: a thin pointer keeps `Slot` at 24 bytes (a `Vec` would make it
    // 32); spilled numbers are the rare ones, so the extra indirection is cheap.
    #[allow(clippy::box_collection)]
    Spill(Box<Vec<Event>>),
}

const _: () = assert!(std::mem::size_of::<Slot>() == 24);

impl Inline {
    const EMPTY: Inline = Inline {
        campaign: Tag::NONE,
        subject: Tag::NONE,
        at: [0; INLINE],
        meta: [0; INLINE],
        len: Len::L0,
    };

    fn get(&self, i: usize) -> Event {
        Event {
            at: self.at[i],
            campaign: self.campaign,
            subject: self.subject,
            outcome: self.meta[i] & 0x0f,
            flags: self.meta[i] >> 4,
        }
    }

    /// Packs events (all of one campaign/subject, at most three) back inline.
    fn pack(events: &[Event]) -> Option<Inline> {
        let first = events.first()?;
        if events.len() > INLINE
            || events
                .iter()
                .any(|e| e.campaign != first.campaign || e.subject != first.subject)
        {
            return None;
        }
        let mut s = Inline {
            campaign: first.campaign,
            subject: first.subject,
            len: Len::from(events.len()),
            ..Inline::EMPTY
        };
        for (i, e) in events.iter().enumerate() {
            s.at[i] = e.at;
            s.meta[i] = (e.outcome & 0x0f) | (e.flags << 4);
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
            Slot::Inline(s) => s.len as usize,
            Slot::Spill(v) => v.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` on the events, ordered by instant; no allocation.
    pub(crate) fn view<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        match self {
            Slot::Inline(s) => {
                let n = s.len as usize;
                let buf = [s.get(0), s.get(1), s.get(2)];
                f(&buf[..n])
            }
            Slot::Spill(v) => f(v),
        }
    }

    /// Inserts in instant order (after events of the same second) and returns its id.
    pub(crate) fn insert(&mut self, e: Event) -> AttemptId {
        if let Slot::Inline(s) = self {
            let n = s.len as usize;
            if n == 0 || (n < INLINE && s.campaign == e.campaign && s.subject == e.subject) {
                let mut buf = [s.get(0), s.get(1), s.get(2), Event::default_zero()];
                buf[n] = e;
                let pos = buf[..n].partition_point(|x| x.at <= e.at);
                buf[pos..=n].rotate_right(1);
                let ordinal = buf[..pos].iter().filter(|x| x.at == e.at).count();
                if let Some(packed) = Inline::pack(&buf[..=n]) {
                    *s = packed;
                    return AttemptId::new(e.at, ordinal.min(255) as u8);
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
                AttemptId::new(e.at, ordinal.min(255) as u8)
            }
            // Converted to Spill above.
            Slot::Inline(_) => AttemptId::new(e.at, 0),
        }
    }

    /// Sets the outcome (and live-agent flag, if given) of the attempt `id`; false when the
    /// attempt is not held (pruned, or an id of another number).
    pub(crate) fn set_outcome(&mut self, id: AttemptId, outcome: Outcome) -> bool {
        let (at, ordinal) = (id.at(), id.ordinal() as usize);
        match self {
            Slot::Inline(s) => {
                let n = s.len as usize;
                let first = s.at[..n].partition_point(|&x| x < at);
                let i = first + ordinal;
                if i < n && s.at[i] == at {
                    s.meta[i] = (s.meta[i] & 0xf0) | outcome.code();
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
                let n = s.len as usize;
                let buf = [s.get(0), s.get(1), s.get(2)];
                let mut keep = [Event::default_zero(); INLINE];
                let mut k = 0;
                for e in buf[..n].iter().filter(|e| r.keeps(e, t)) {
                    keep[k] = *e;
                    k += 1;
                }
                if k != n {
                    *s = Inline::pack(&keep[..k]).unwrap_or(Inline::EMPTY);
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
    use super::*;

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

    #[test]
    fn inline_holds_three_of_one_tag_pair_in_order() {
        let mut s = Slot::default();
        assert_eq!(s.insert(ev(20, 1, 2)), AttemptId::new(20, 0));
        assert_eq!(s.insert(ev(10, 1, 2)), AttemptId::new(10, 0));
        assert_eq!(s.insert(ev(20, 1, 2)), AttemptId::new(20, 1));
        assert!(matches!(s, Slot::Inline(_)));
        assert_eq!(all(&s), vec![ev(10, 1, 2), ev(20, 1, 2), ev(20, 1, 2)]);
        assert!(s.set_outcome(AttemptId::new(20, 1), Outcome::Busy));
        assert!(!s.set_outcome(AttemptId::new(20, 2), Outcome::Busy));
        assert_eq!(all(&s)[2].outcome(), Some(Outcome::Busy));
        assert_eq!(all(&s)[1].outcome(), None);
        // A fourth event spills, order kept.
        assert_eq!(s.insert(ev(15, 1, 2)), AttemptId::new(15, 0));
        assert!(matches!(s, Slot::Spill(_)));
        assert_eq!(
            all(&s).iter().map(|e| e.at).collect::<Vec<_>>(),
            vec![10, 15, 20, 20]
        );
        // Pruning back to three repacks inline.
        s.prune(&Retention::new(100), super::super::event::EPOCH_2020 + 111);
        assert!(matches!(s, Slot::Inline(_)));
        assert_eq!(
            all(&s).iter().map(|e| e.at).collect::<Vec<_>>(),
            vec![15, 20, 20]
        );
    }

    #[test]
    fn other_tag_pair_spills() {
        let mut s = Slot::default();
        s.insert(ev(1, 1, 2));
        s.insert(ev(2, 1, 3));
        assert!(matches!(s, Slot::Spill(_)));
        assert_eq!(all(&s), vec![ev(1, 1, 2), ev(2, 1, 3)]);
    }
}
