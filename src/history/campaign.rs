//! Per-campaign abandon counters: abandoned calls vs calls answered by a person over a
//! rolling window (US TSR 3 % per 30 days, UK 3 % per 24 h, IT 3 per 100 answered).

use std::collections::VecDeque;

use dashmap::DashMap;

use super::event::{EPOCH_2020, Outcome, Tag};
use super::store::TagHasher;

/// Instants (compact stamps) of one campaign's person-answered and abandoned calls,
/// ordered, pruned to the retention. 4 bytes per answered call: exact rolling counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) answered: VecDeque<u32>,
    pub(crate) abandoned: VecDeque<u32>,
}

fn push_sorted(q: &mut VecDeque<u32>, at: u32) {
    // Outcomes arrive nearly in order; an out-of-order one is placed exactly.
    let pos = q.partition_point(|&x| x <= at);
    q.insert(pos, at);
}

fn prune(q: &mut VecDeque<u32>, oldest: i64) {
    while q.front().is_some_and(|&x| (x as i64) < oldest) {
        q.pop_front();
    }
}

/// Count of stamps in (from, to].
fn count(q: &VecDeque<u32>, from: i64, to: i64) -> u32 {
    let lo = q.partition_point(|&x| (x as i64) <= from);
    let hi = q.partition_point(|&x| (x as i64) <= to);
    hi.saturating_sub(lo) as u32
}

/// Abandoned vs answered-by-a-person calls per campaign over a rolling window.
///
/// "Answered" counts every call a person picked up ([`Outcome::is_connected`]), abandoned
/// ones included: the rate regulators judge is abandoned / answered-by-a-person.
/// Standalone it is in memory only; inside [`super::History`] it is fed by
/// `record_outcome` and persisted through the history journal.
///
/// ```
/// use dialguard::history::{CampaignCounters, Outcome, Tag};
/// let c = CampaignCounters::new(30 * 86_400);
/// let camp = Tag::of("spring-sale");
/// let t0 = 1_780_000_000;
/// for i in 0..97 { c.record(camp, Outcome::Answered, t0 + i).unwrap(); }
/// for i in 0..3 { c.record(camp, Outcome::Abandoned, t0 + 100 + i).unwrap(); }
/// c.record(camp, Outcome::NoAnswer, t0 + 200).unwrap();
/// assert_eq!(c.abandon_rate(camp, 30 * 86_400, t0 + 300), (3, 100));
/// assert_eq!(c.abandon_rate(camp, 150, t0 + 300), (0, 0));
/// ```
#[derive(Debug)]
pub struct CampaignCounters {
    pub(crate) map: DashMap<Tag, Counts, TagHasher>,
    keep: std::sync::atomic::AtomicI64,
}

impl CampaignCounters {
    /// Counters keeping `keep` seconds (the longest abandon-limit window).
    pub fn new(keep: i64) -> CampaignCounters {
        CampaignCounters {
            map: DashMap::with_hasher(TagHasher::default()),
            keep: std::sync::atomic::AtomicI64::new(keep),
        }
    }

    /// Keeps `keep` seconds from now on (a reloaded policy may need a longer window).
    pub fn set_keep(&self, keep: i64) {
        self.keep.store(keep, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts one outcome of a campaign's call at `t`; outcomes nobody answered are
    /// ignored.
    pub fn record(
        &self,
        campaign: Tag,
        outcome: Outcome,
        t: i64,
    ) -> Result<(), super::HistoryError> {
        let at = super::event::stamp(t)?;
        self.record_stamp(campaign, outcome, at);
        Ok(())
    }

    pub(crate) fn record_stamp(&self, campaign: Tag, outcome: Outcome, at: u32) {
        if !outcome.is_connected() {
            return;
        }
        let mut c = self.map.entry(campaign).or_default();
        self.record_into(&mut c, outcome, at);
    }

    /// Counts an outcome into a campaign's entry the caller holds.
    pub(crate) fn record_into(&self, c: &mut Counts, outcome: Outcome, at: u32) {
        if !outcome.is_connected() {
            return;
        }
        // Prune relative to this outcome's instant: the window never looks further back.
        let oldest = at as i64 - self.keep.load(std::sync::atomic::Ordering::Relaxed);
        prune(&mut c.answered, oldest);
        prune(&mut c.abandoned, oldest);
        push_sorted(&mut c.answered, at);
        if outcome == Outcome::Abandoned {
            push_sorted(&mut c.abandoned, at);
        }
    }

    /// Earliest instant `>= t` at which the campaign's rate within the rolling window is
    /// back at or under `max_rate` (or fewer than `min_answered` calls were answered, so
    /// the rate is not judged), assuming no new calls. The rate only changes when a
    /// counted call ages out, so the candidates are those instants, in order.
    pub fn abandon_clear_at(
        &self,
        campaign: Tag,
        within: i64,
        max_rate: f64,
        min_answered: u32,
        t: i64,
    ) -> i64 {
        let Some(c) = self.map.get(&campaign) else {
            return t;
        };
        let ok = |at: i64| {
            let to = at - EPOCH_2020;
            let from = to.saturating_sub(within);
            let (ab, an) = (count(&c.abandoned, from, to), count(&c.answered, from, to));
            an < min_answered || f64::from(ab) <= max_rate * f64::from(an)
        };
        if ok(t) {
            return t;
        }
        // A stamp s counts while s > at - within - EPOCH, i.e. until at = s + within + EPOCH.
        let from = t - EPOCH_2020 - within;
        let mut ab = c
            .abandoned
            .iter()
            .copied()
            .filter(|&s| i64::from(s) > from)
            .peekable();
        let mut an = c
            .answered
            .iter()
            .copied()
            .filter(|&s| i64::from(s) > from)
            .peekable();
        loop {
            let next = match (ab.peek(), an.peek()) {
                (Some(&a), Some(&b)) => a.min(b),
                (Some(&a), None) => a,
                (None, Some(&b)) => b,
                (None, None) => return t,
            };
            while ab.peek() == Some(&next) {
                ab.next();
            }
            while an.peek() == Some(&next) {
                an.next();
            }
            let at = i64::from(next) + within + EPOCH_2020;
            if at > t && ok(at) {
                return at;
            }
        }
    }

    /// `(abandoned, answered)` for the campaign within `(t - within, t]`. Windows longer
    /// than the retention given to [`CampaignCounters::new`] see only what is kept.
    pub fn abandon_rate(&self, campaign: Tag, within: i64, t: i64) -> (u32, u32) {
        let to = t - EPOCH_2020;
        let from = to.saturating_sub(within);
        self.map.get(&campaign).map_or((0, 0), |c| {
            (count(&c.abandoned, from, to), count(&c.answered, from, to))
        })
    }
}
