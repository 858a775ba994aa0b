//! What one contact-history record holds: [`Outcome`], [`Tag`], [`Event`], the request
//! to add one ([`NewEvent`]) and the handle of a reserved attempt ([`AttemptId`]).

use super::HistoryError;

/// Unix seconds of 2020-01-01T00:00:00Z, the epoch of the compact stamps in [`Event`].
pub const EPOCH_2020: i64 = 1_577_836_800;

/// First instant an event may carry (2020-01-01T00:00:00Z): older events cannot matter to
/// any rule of a dialer running today and usually mean a unit error (milliseconds, zero).
pub const MIN_INSTANT: i64 = EPOCH_2020;

/// First instant an event may *not* carry (2100-01-01T00:00:00Z). The stamp itself would
/// reach 2156; the lower bound catches milliseconds passed as seconds.
pub const MAX_INSTANT: i64 = 4_102_444_800;

/// Converts Unix seconds to the compact stamp, rejecting instants outside
/// [`MIN_INSTANT`, `MAX_INSTANT`).
pub(crate) fn stamp(t: i64) -> Result<u32, HistoryError> {
    if !(MIN_INSTANT..MAX_INSTANT).contains(&t) {
        return Err(HistoryError::InstantOutOfRange { t });
    }
    // In range by the check above: 0 ..= (MAX_INSTANT - EPOCH_2020) < u32::MAX.
    Ok((t - EPOCH_2020) as u32)
}

/// How a call attempt ended.
///
/// "Connected" ([`Outcome::is_connected`]) means *a person answered*: `answered`,
/// `abandoned` (a person picked up and no agent was there: the call reached them),
/// `refused`, `opt_out` and `wrong_number`. `no_answer`, `busy` and `machine` are not
/// connected. Caps that count connected calls therefore count every call a person picked
/// up, which is the restrictive reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Outcome {
    /// Rang out without an answer.
    NoAnswer = 1,
    /// Line busy.
    Busy = 2,
    /// A person answered and spoke with an agent (a conversation).
    Answered = 3,
    /// A person answered and no agent was connected in time (a silent/abandoned call).
    Abandoned = 4,
    /// An answering machine or voicemail took the call.
    Machine = 5,
    /// The person answered and refused (not an opt-out from all calls).
    Refused = 6,
    /// The person asked not to be called again.
    OptOut = 7,
    /// The person answered; the number is not the intended contact's.
    WrongNumber = 8,
}

impl Outcome {
    /// Every outcome, in code order.
    pub const ALL: [Outcome; 8] = [
        Outcome::NoAnswer,
        Outcome::Busy,
        Outcome::Answered,
        Outcome::Abandoned,
        Outcome::Machine,
        Outcome::Refused,
        Outcome::OptOut,
        Outcome::WrongNumber,
    ];

    /// The valid names, comma-separated, for error messages.
    pub const NAMES: &'static str =
        "no_answer, busy, answered, abandoned, machine, refused, opt_out, wrong_number";

    /// The snake_case name used in policies (docs/policy.md).
    pub const fn name(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::Busy => "busy",
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::Machine => "machine",
            Outcome::Refused => "refused",
            Outcome::OptOut => "opt_out",
            Outcome::WrongNumber => "wrong_number",
        }
    }

    /// The outcome with this name; the error lists the valid names.
    ///
    /// ```
    /// use dialguard::history::Outcome;
    /// assert_eq!(Outcome::from_name("opt_out").unwrap(), Outcome::OptOut);
    /// let err = Outcome::from_name("hung_up").unwrap_err().to_string();
    /// assert!(err.contains("hung_up") && err.contains("no_answer, busy"));
    /// ```
    pub fn from_name(name: &str) -> Result<Outcome, HistoryError> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.name() == name)
            .ok_or_else(|| HistoryError::UnknownOutcome {
                name: name.to_owned(),
            })
    }

    /// The stable numeric code (1–8), as stored in the journal.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The outcome with this code.
    pub const fn from_code(code: u8) -> Option<Outcome> {
        match code {
            1 => Some(Outcome::NoAnswer),
            2 => Some(Outcome::Busy),
            3 => Some(Outcome::Answered),
            4 => Some(Outcome::Abandoned),
            5 => Some(Outcome::Machine),
            6 => Some(Outcome::Refused),
            7 => Some(Outcome::OptOut),
            8 => Some(Outcome::WrongNumber),
            _ => None,
        }
    }

    /// A person answered (see the type's docs for the exact set).
    pub const fn is_connected(self) -> bool {
        matches!(
            self,
            Outcome::Answered
                | Outcome::Abandoned
                | Outcome::Refused
                | Outcome::OptOut
                | Outcome::WrongNumber
        )
    }

    /// This outcome's bit in an [`OutcomeSet`].
    pub const fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// A small set of outcomes (a bit mask), e.g. the outcomes whose events are kept forever.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OutcomeSet(pub u16);

impl OutcomeSet {
    /// No outcome.
    pub const EMPTY: OutcomeSet = OutcomeSet(0);

    /// The set with `o` added.
    pub const fn with(self, o: Outcome) -> OutcomeSet {
        OutcomeSet(self.0 | o.bit())
    }

    /// True when `o` is in the set.
    pub const fn contains(self, o: Outcome) -> bool {
        self.0 & o.bit() != 0
    }
}

/// A campaign or subject (a debt, a matter) as a 32-bit tag: the truncated xxh3 of its
/// name, computed without allocation or interning.
///
/// Two names whose hashes collide share a tag, so their events are counted together:
/// a collision can only make caps and cool-offs *more* restrictive, never less.
/// [`Tag::NONE`] (0) stands for "no campaign/subject"; a name never hashes to it.
///
/// ```
/// use dialguard::history::Tag;
/// assert_eq!(Tag::of("debt-4411"), Tag::of("debt-4411"));
/// assert_ne!(Tag::of("debt-4411"), Tag::of("debt-4412"));
/// assert_eq!(Tag::of(""), Tag::NONE);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl Tag {
    /// No campaign / no subject.
    pub const NONE: Tag = Tag(0);

    /// The tag of a name; the empty name is [`Tag::NONE`].
    pub fn of(name: &str) -> Tag {
        if name.is_empty() {
            return Tag::NONE;
        }
        let h = xxhash_rust::xxh3::xxh3_64(name.as_bytes()) as u32;
        // Keep 0 for "none": a name hashing to 0 shares tag 1 (a collision, restrictive).
        Tag(if h == 0 { 1 } else { h })
    }
}

/// The id of a recorded attempt, returned by a reservation and passed back with its
/// outcome: the attempt's compact instant and its ordinal among the number's events
/// recorded in the same second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId(pub u64);

impl AttemptId {
    pub(crate) const fn new(at: u32, ordinal: u8) -> AttemptId {
        AttemptId(((at as u64) << 8) | ordinal as u64)
    }

    /// The instant (Unix seconds) of the attempt.
    pub const fn instant(self) -> i64 {
        (self.0 >> 8) as i64 + EPOCH_2020
    }

    pub(crate) const fn at(self) -> u32 {
        (self.0 >> 8) as u32
    }

    pub(crate) const fn ordinal(self) -> u8 {
        self.0 as u8
    }
}

/// Flag bit: the attempt guaranteed a live agent (preview/manual, or a predictive attempt
/// with an agent reserved).
pub(crate) const FLAG_LIVE_AGENT: u8 = 1;

/// One contact-history record: an attempt, when it happened, for which campaign and
/// subject, and (once known) how it ended. 16 bytes in the spilled form; the store keeps
/// up to four events of one campaign/subject in 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    pub(crate) at: u32,
    pub(crate) campaign: Tag,
    pub(crate) subject: Tag,
    /// 0 = pending, else an [`Outcome`] code.
    pub(crate) outcome: u8,
    pub(crate) flags: u8,
}

impl Event {
    /// An event at `t` (Unix seconds); errors when `t` is outside the supported range.
    pub fn new(
        t: i64,
        campaign: Tag,
        subject: Tag,
        outcome: Option<Outcome>,
        live_agent: bool,
    ) -> Result<Event, HistoryError> {
        Ok(Event {
            at: stamp(t)?,
            campaign,
            subject,
            outcome: outcome.map_or(0, Outcome::code),
            flags: if live_agent { FLAG_LIVE_AGENT } else { 0 },
        })
    }

    /// When the attempt was made (Unix seconds).
    pub const fn instant(&self) -> i64 {
        self.at as i64 + EPOCH_2020
    }

    /// The campaign tag.
    pub const fn campaign(&self) -> Tag {
        self.campaign
    }

    /// The subject tag.
    pub const fn subject(&self) -> Tag {
        self.subject
    }

    /// The outcome, or `None` while the call is pending.
    pub const fn outcome(&self) -> Option<Outcome> {
        Outcome::from_code(self.outcome)
    }

    /// True when the attempt guaranteed a live agent.
    pub const fn live_agent(&self) -> bool {
        self.flags & FLAG_LIVE_AGENT != 0
    }
}

/// What a [`super::HistoryStore::with_events`] callback asks to append; the instant is the
/// `t` of the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Campaign of the attempt.
    pub campaign: Tag,
    /// Subject of the attempt.
    pub subject: Tag,
    /// Known outcome, usually `None` (pending) for a reservation.
    pub outcome: Option<Outcome>,
    /// The attempt guarantees a live agent.
    pub live_agent: bool,
}

impl NewEvent {
    /// A pending attempt for the query's campaign and subject.
    pub const fn attempt(q: &super::Query) -> NewEvent {
        NewEvent {
            campaign: q.campaign,
            subject: q.subject,
            outcome: None,
            live_agent: q.live_agent,
        }
    }
}
