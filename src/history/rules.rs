//! Caps and cool-offs evaluated over one number's events: pure functions that answer
//! "from which instant does this rule pass again?".

// Rule spans come from policies: no cast may truncate or wrap one.
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

use super::event::{Event, Outcome, OutcomeSet, Tag};

/// How far back a cap looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Span {
    /// A rolling duration in seconds: an event counts for exactly this long.
    Elapsed(i64),
    /// Whole local calendar days: today and the `n - 1` days before.
    CalendarDays(u32),
}

/// Which of the number's events a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CapKey {
    /// Every event of the number.
    Number,
    /// Events of the number in the query's campaign.
    NumberCampaign,
    /// Events of the number on the query's subject (e.g. one debt).
    NumberSubject,
}

/// What a cap counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountKind {
    /// Every attempt (pending or with any outcome).
    Attempts,
    /// Attempts a person answered ([`Outcome::is_connected`]).
    Connected,
}

/// At most `max` counted events `within` the span, per `key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapRule {
    /// Largest number of counted events allowed within the span (0 = never).
    pub max: u32,
    /// The rolling window.
    pub within: Span,
    /// Which events are counted together.
    pub key: CapKey,
    /// Attempts or connected calls.
    pub count: CountKind,
}

/// How long a cool-off lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoolSpan {
    /// Seconds after the event's instant.
    Elapsed(i64),
    /// Calendar days: the event's local date is day 1; allowed from the start of day `n + 1`.
    CalendarDays(u32),
    /// Never again.
    Forever,
}

/// No attempt within `duration` after an event with outcome `after`, per `key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CooloffRule {
    /// The outcome that starts the cool-off.
    pub after: Outcome,
    /// How long it lasts.
    pub duration: CoolSpan,
    /// A guaranteed live agent lifts it (UK abandoned-call rule).
    pub unless_live_agent: bool,
    /// Which events start it for this query.
    pub key: CapKey,
}

/// The context of the attempt being judged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Query {
    /// Campaign of the attempt ([`Tag::NONE`] if none).
    pub campaign: Tag,
    /// Subject of the attempt ([`Tag::NONE`] if none).
    pub subject: Tag,
    /// The attempt guarantees a live agent.
    pub live_agent: bool,
}

/// Local-calendar helper given by the guard (from its zone tables): the local day of an
/// instant, and the instant a local day starts. Days are any consecutive integers
/// (e.g. days since 1970-01-01 local); only differences and round trips matter.
pub trait LocalDays {
    /// The local day containing the instant `t` (Unix seconds).
    fn day_of(&self, t: i64) -> i32;
    /// The instant (Unix seconds) local day `day` starts.
    fn start_of(&self, day: i32) -> i64;
}

/// A zone with a fixed UTC offset (seconds east of UTC): enough for tests and for zones
/// without daylight saving time.
///
/// ```
/// use dialguard::history::{FixedOffsetDays, LocalDays};
/// let paris_winter = FixedOffsetDays(3600);
/// // 2026-03-13T23:30Z is 2026-03-14 00:30 in Paris: that day starts at 23:00Z.
/// let d = paris_winter.day_of(1_773_444_600);
/// assert_eq!(paris_winter.start_of(d), 1_773_442_800);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedOffsetDays(pub i64);

impl LocalDays for FixedOffsetDays {
    fn day_of(&self, t: i64) -> i32 {
        // Saturates: an instant beyond ±5.8 million years is no real call time.
        let day = t.saturating_add(self.0).div_euclid(86_400);
        i32::try_from(day).unwrap_or(if day < 0 { i32::MIN } else { i32::MAX })
    }
    fn start_of(&self, day: i32) -> i64 {
        i64::from(day) * 86_400 - self.0
    }
}

/// A span of `n` calendar days as a day offset. Saturates rather than wrapping: an `as`
/// cast made spans of 2^31 days and more negative, which switched the rule off.
fn day_count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn key_matches(e: &Event, key: CapKey, q: &Query) -> bool {
    match key {
        CapKey::Number => true,
        CapKey::NumberCampaign => e.campaign == q.campaign,
        CapKey::NumberSubject => e.subject == q.subject,
    }
}

/// The instant the event stops counting for a cap over `within`.
fn ages_out(e: &Event, within: Span, days: &dyn LocalDays) -> i64 {
    let at = e.instant();
    match within {
        Span::Elapsed(d) => at.saturating_add(d),
        // Counted while today is within N days of the event's day: until the start of
        // the event's day + N.
        Span::CalendarDays(n) => days.start_of(days.day_of(at).saturating_add(day_count(n))),
    }
}

/// Earliest instant ≥ `t` at which the cap admits one more counted event, given the
/// events (events only age out, so this is monotone in `t`). Events later than `t`
/// (reserved by another thread with a later clock) count as well. `max == 0` never
/// admits: `i64::MAX`.
///
/// Expects the events ordered by instant, as every [`super::HistoryStore`] gives them;
/// unordered input is still answered exactly, in quadratic time.
///
/// ```
/// use dialguard::history::*;
/// let h = 3600;
/// let t0 = 1_780_000_000;
/// let ev: Vec<Event> = (0..3)
///     .map(|i| Event::new(t0 + i * h, Tag::NONE, Tag::of("debt"), None, false).unwrap())
///     .collect();
/// let rule = CapRule { max: 3, within: Span::Elapsed(24 * h), key: CapKey::NumberSubject,
///                      count: CountKind::Attempts };
/// let q = Query { campaign: Tag::NONE, subject: Tag::of("debt"), live_agent: false };
/// assert_eq!(cap_clear_at(&ev, &rule, &q, t0 + 3 * h, &FixedOffsetDays(0)), t0 + 24 * h);
/// ```
pub fn cap_clear_at(
    events: &[Event],
    rule: &CapRule,
    q: &Query,
    t: i64,
    days: &dyn LocalDays,
) -> i64 {
    if rule.max == 0 {
        return i64::MAX;
    }
    let counted = |e: &&Event| {
        key_matches(e, rule.key, q)
            && match rule.count {
                CountKind::Attempts => true,
                CountKind::Connected => e.outcome().is_some_and(Outcome::is_connected),
            }
    };
    // Pass 1: how many counted events still count at t, and are their expiries ordered?
    let mut live = 0u32;
    let mut sorted = true;
    let mut prev = i64::MIN;
    for e in events.iter().filter(counted) {
        let x = ages_out(e, rule.within, days);
        if x > t {
            live += 1;
            sorted &= x >= prev;
            prev = x;
        }
    }
    if live < rule.max {
        return t;
    }
    // count(x) = #{expiry > x} must drop to max - 1: x = the max-th largest expiry,
    // i.e. the (live - max + 1)-th smallest among the live ones.
    let rank = live - rule.max; // 0-based index in ascending order
    let live_expiries = events
        .iter()
        .filter(counted)
        .map(|e| ages_out(e, rule.within, days))
        .filter(|&x| x > t);
    if sorted {
        return live_expiries
            .clone()
            .nth(usize::try_from(rank).unwrap_or(usize::MAX))
            .unwrap_or(t);
    }
    // Unordered input: the smallest expiry x with #{expiry > x} ≤ max - 1.
    live_expiries
        .clone()
        .filter(|&x| {
            let later = live_expiries.clone().filter(|&y| y > x).count();
            u32::try_from(later).is_ok_and(|later| later < rule.max)
        })
        .min()
        .unwrap_or(t)
}

/// Earliest instant ≥ `t` at which no cool-off of this rule runs; `None` = never (a
/// forever cool-off was started). A rule with `unless_live_agent` is lifted at once when
/// `q.live_agent`.
///
/// ```
/// use dialguard::history::*;
/// let t0 = 1_780_000_000;
/// let ev = [Event::new(t0, Tag::NONE, Tag::NONE, Some(Outcome::Abandoned), false).unwrap()];
/// let rule = CooloffRule { after: Outcome::Abandoned, duration: CoolSpan::Elapsed(72 * 3600),
///                          unless_live_agent: true, key: CapKey::Number };
/// let days = FixedOffsetDays(0);
/// let q = Query::default();
/// assert_eq!(cooloff_clear_at(&ev, &rule, &q, t0 + 60, &days), Some(t0 + 72 * 3600));
/// let live = Query { live_agent: true, ..q };
/// assert_eq!(cooloff_clear_at(&ev, &rule, &live, t0 + 60, &days), Some(t0 + 60));
/// ```
pub fn cooloff_clear_at(
    events: &[Event],
    rule: &CooloffRule,
    q: &Query,
    t: i64,
    days: &dyn LocalDays,
) -> Option<i64> {
    if rule.unless_live_agent && q.live_agent {
        return Some(t);
    }
    let mut clear = t;
    for e in events
        .iter()
        .filter(|e| e.outcome == rule.after.code() && key_matches(e, rule.key, q))
    {
        let end = match rule.duration {
            CoolSpan::Elapsed(d) => e.instant().saturating_add(d),
            CoolSpan::CalendarDays(n) => {
                days.start_of(days.day_of(e.instant()).saturating_add(day_count(n)))
            }
            CoolSpan::Forever => return None,
        };
        clear = clear.max(end);
    }
    Some(clear)
}

/// For a cool-off followed by a live-agent requirement (`then = "live_agent"`): the
/// instant of the latest event with outcome `rule.after` (matching the rule's key) after
/// which no attempt with a live agent has been recorded; `None` when there is none, i.e.
/// the requirement does not hold. Events need not be ordered.
///
/// ```
/// use dialguard::history::*;
/// let t0 = 1_780_000_000;
/// let rule = CooloffRule { after: Outcome::Abandoned, duration: CoolSpan::Elapsed(5 * 86_400),
///                          unless_live_agent: false, key: CapKey::Number };
/// let q = Query::default();
/// let abandoned = Event::new(t0, Tag::NONE, Tag::NONE, Some(Outcome::Abandoned), false).unwrap();
/// assert_eq!(live_agent_pending(&[abandoned], &rule, &q), Some(t0));
/// let agent = Event::new(t0 + 6 * 86_400, Tag::NONE, Tag::NONE, Some(Outcome::NoAnswer), true).unwrap();
/// assert_eq!(live_agent_pending(&[abandoned, agent], &rule, &q), None);
/// ```
pub fn live_agent_pending(events: &[Event], rule: &CooloffRule, q: &Query) -> Option<i64> {
    let last = events
        .iter()
        .filter(|e| e.outcome == rule.after.code() && key_matches(e, rule.key, q))
        .map(|e| e.instant())
        .max()?;
    let discharged = events
        .iter()
        .any(|e| e.live_agent() && e.instant() > last && key_matches(e, rule.key, q));
    (!discharged).then_some(last)
}

/// What the store must keep: events younger than `keep` seconds, and forever the events
/// whose outcome is in `forever` (they hold a forever cool-off). Pruning happens when a
/// number is written and in [`super::History::sweep`]. Campaign abandon counters keep
/// `campaign_keep` seconds (the longest abandon-limit window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Seconds an event is kept after its instant.
    pub keep: i64,
    /// Outcomes whose events are never pruned.
    pub forever: OutcomeSet,
    /// Seconds the campaign counters keep an outcome.
    pub campaign_keep: i64,
}

impl Retention {
    /// What campaign counters keep unless told otherwise: 31 days and a DST hour, enough
    /// for every abandon-limit window of the issue (US 30 days, UK 24 h).
    pub const CAMPAIGN_KEEP: i64 = 31 * 86_400 + 3_600;

    /// Keep events `keep` seconds, opt-outs forever, campaign counters
    /// [`Retention::CAMPAIGN_KEEP`].
    pub const fn new(keep: i64) -> Retention {
        Retention {
            keep,
            forever: OutcomeSet::EMPTY.with(Outcome::OptOut),
            campaign_keep: Retention::CAMPAIGN_KEEP,
        }
    }

    /// The same, with campaign counters kept `secs` seconds.
    pub const fn with_campaign_keep(self, secs: i64) -> Retention {
        Retention {
            campaign_keep: secs,
            ..self
        }
    }

    /// Exactly what these rules need: the longest span (calendar days counted with one
    /// day and a DST hour to spare), and forever the outcomes of forever cool-offs
    /// (plus opt-outs, always).
    ///
    /// ```
    /// use dialguard::history::*;
    /// let caps = [CapRule { max: 4, within: Span::CalendarDays(30), key: CapKey::Number,
    ///                       count: CountKind::Attempts }];
    /// let cool = [CooloffRule { after: Outcome::Refused, duration: CoolSpan::Forever,
    ///                           unless_live_agent: false, key: CapKey::Number }];
    /// let r = Retention::for_rules(&caps, &cool);
    /// assert_eq!(r.keep, 31 * 86_400 + 3_600);
    /// assert!(r.forever.contains(Outcome::Refused) && r.forever.contains(Outcome::OptOut));
    /// ```
    pub fn for_rules(caps: &[CapRule], cooloffs: &[CooloffRule]) -> Retention {
        let days = |n: u32| (i64::from(n) + 1) * 86_400 + 3_600;
        let mut r = Retention::new(0);
        for c in caps {
            r.keep = r.keep.max(match c.within {
                Span::Elapsed(d) => d,
                Span::CalendarDays(n) => days(n),
            });
        }
        for c in cooloffs {
            match c.duration {
                CoolSpan::Elapsed(d) => r.keep = r.keep.max(d),
                CoolSpan::CalendarDays(n) => r.keep = r.keep.max(days(n)),
                CoolSpan::Forever => r.forever = r.forever.with(c.after),
            }
        }
        r
    }

    /// True when the event is still needed at `t`.
    pub(crate) fn keeps(&self, e: &Event, t: i64) -> bool {
        e.instant().saturating_add(self.keep) > t
            || e.outcome().is_some_and(|o| self.forever.contains(o))
    }
}

/// Which rule of a [`clear_at`] call decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleRef {
    /// `caps[i]`.
    Cap(usize),
    /// `cooloffs[i]`.
    Cooloff(usize),
}

/// The earliest instant ≥ `t` at which every cap and cool-off passes together, and the
/// rule that holds out longest (`None` when all pass at `t`). `Err(rule)` when a forever
/// cool-off applies. Each rule's clear instant is monotone (events only age out), so the
/// joint instant is their maximum.
///
/// ```
/// use dialguard::history::*;
/// let t0 = 1_780_000_000;
/// let ev = [Event::new(t0, Tag::NONE, Tag::NONE, Some(Outcome::Abandoned), false).unwrap()];
/// let caps = [CapRule { max: 1, within: Span::Elapsed(86_400), key: CapKey::Number,
///                       count: CountKind::Attempts }];
/// let cool = [CooloffRule { after: Outcome::Abandoned, duration: CoolSpan::Elapsed(72 * 3600),
///                           unless_live_agent: true, key: CapKey::Number }];
/// let days = FixedOffsetDays(0);
/// let q = Query::default();
/// assert_eq!(clear_at(&ev, &caps, &cool, &q, t0 + 5, &days),
///            Ok((t0 + 72 * 3600, Some(RuleRef::Cooloff(0)))));
/// let live = Query { live_agent: true, ..q };
/// assert_eq!(clear_at(&ev, &caps, &cool, &live, t0 + 5, &days),
///            Ok((t0 + 86_400, Some(RuleRef::Cap(0)))));
/// ```
pub fn clear_at(
    events: &[Event],
    caps: &[CapRule],
    cooloffs: &[CooloffRule],
    q: &Query,
    t: i64,
    days: &dyn LocalDays,
) -> Result<(i64, Option<RuleRef>), RuleRef> {
    let mut best = (t, None);
    for (i, c) in cooloffs.iter().enumerate() {
        match cooloff_clear_at(events, c, q, t, days) {
            None => return Err(RuleRef::Cooloff(i)),
            Some(x) if x > best.0 => best = (x, Some(RuleRef::Cooloff(i))),
            Some(_) => {}
        }
    }
    for (i, c) in caps.iter().enumerate() {
        let x = cap_clear_at(events, c, q, t, days);
        if x > best.0 {
            best = (x, Some(RuleRef::Cap(i)));
        }
    }
    Ok(best)
}
