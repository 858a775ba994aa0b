//! The answer to "may I dial this number now?": [`Decision`], with a closed set of
//! [`Reason`]s whose numeric codes are stable (they cross the C ABI) and the id of the
//! rule that decided.
//!
//! Precedence when several rules object: deny beats defer, defer beats allow.

use std::fmt;

use jiff::Timestamp;

/// What the guard answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Verdict {
    /// Dial now (possibly under [`Constraints`]).
    Allow = 0,
    /// Do not dial this number (for this context) within the policy horizon.
    Deny = 1,
    /// Do not dial now; the earliest lawful instant is `until`.
    Defer = 2,
}

impl Verdict {
    /// The stable lower-case name used in JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Defer => "defer",
        }
    }
}

macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident = $code:literal => $name:literal,)*) => {
        /// Why a number was denied or deferred. Codes are stable: never renumber,
        /// only append.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum Reason {
            $($(#[$doc])* $variant = $code,)*
        }

        impl Reason {
            /// Every reason, in code order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];

            /// The stable snake_case name (docs/cli.md).
            pub const fn name(self) -> &'static str {
                match self { $(Reason::$variant => $name,)* }
            }

            /// The reason with this numeric code, if any.
            pub const fn from_code(code: u32) -> Option<Reason> {
                match code { $($code => Some(Reason::$variant),)* _ => None }
            }

            /// The reason with this name, if any.
            pub fn from_name(name: &str) -> Option<Reason> {
                match name { $($name => Some(Reason::$variant),)* _ => None }
            }
        }
    };
}

reasons! {
    /// The input is not a dialable phone number.
    InvalidNumber = 1 => "invalid_number",
    /// On an internal opt-out list (compiled or added at run time); beats every consent.
    OptOut = 2 => "optout",
    /// On a national do-not-call registry and no exemption applies.
    Registry = 3 => "registry",
    /// A registry copy is older than the policy allows at call time.
    StaleList = 4 => "stale_list",
    /// On a campaign suppression list or under a suppressed prefix.
    Suppression = 5 => "suppression",
    /// The regime requires consent and none is on file.
    ConsentRequired = 6 => "consent_required",
    /// The caller ID presented is not allowed for this callee.
    CallerId = 7 => "caller_id",
    /// An emergency or declared blackout covers the callee's region.
    Blackout = 8 => "blackout",
    /// Outside the calling window (hours, days and holidays alike).
    OutsideWindow = 9 => "outside_window",
    /// A frequency cap is reached.
    Cap = 10 => "cap",
    /// A cool-off after an earlier outcome is running.
    Cooloff = 11 => "cooloff",
    /// The campaign's abandoned-call rate is over its ceiling.
    AbandonRate = 12 => "abandon_rate",
    /// The contact-history store could not be read or written.
    StoreUnavailable = 13 => "store_unavailable",
    /// No allowed instant exists within the policy horizon.
    BeyondHorizon = 14 => "beyond_horizon",
    /// No policy is loaded, or the guard hit an internal error: fail closed.
    NoPolicy = 15 => "no_policy",
    /// An internal error (a bug) was caught; the guard fails closed.
    Internal = 16 => "internal",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Index of a rule in the snapshot's rule table (see `Snapshot::rule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(u16);

impl RuleId {
    /// Used where no policy rule decided (e.g. an invalid number, no policy loaded).
    pub const NONE: RuleId = RuleId(u16::MAX);

    /// The id of the rule at `index` in a snapshot's rule table; `None` past the last
    /// id a snapshot can hold (the compiler refuses policies with more rules). The one
    /// constructor: every other id comes from here or is [`NONE`](Self::NONE).
    pub fn from_index(index: usize) -> Option<RuleId> {
        u16::try_from(index)
            .ok()
            .filter(|&i| i != u16::MAX)
            .map(RuleId)
    }

    /// Position in the snapshot's rule table (`u16::MAX as usize` for [`NONE`](Self::NONE),
    /// which no table reaches).
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The raw value, for encodings (the C ABI's `rule`, `DG_RULE_NONE` for `NONE`).
    pub const fn raw(self) -> u16 {
        self.0
    }
}

/// Conditions attached to an allow: the call is lawful only if the dialer honours them.
/// A bit set; bits are stable (they cross the C ABI).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Constraints(pub u32);

impl Constraints {
    /// No conditions.
    pub const NONE: Constraints = Constraints(0);
    /// A live agent must be on the line when the callee answers (a cool-off lifted by it).
    pub const REQUIRE_LIVE_AGENT: Constraints = Constraints(1);
    /// The attempt must not be placed by a predictive dialer.
    pub const NO_PREDICTIVE: Constraints = Constraints(2);

    const NAMES: [(Constraints, &'static str); 2] = [
        (Constraints::REQUIRE_LIVE_AGENT, "require_live_agent"),
        (Constraints::NO_PREDICTIVE, "no_predictive"),
    ];

    /// True when every bit of `other` is set here.
    pub const fn contains(self, other: Constraints) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of conditions.
    #[must_use]
    pub const fn union(self, other: Constraints) -> Constraints {
        Constraints(self.0 | other.0)
    }

    /// True when no condition is attached.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Names of the set bits, in bit order (for JSON output).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(c, _)| self.contains(*c))
            .map(|(_, n)| n)
    }
}

/// The guard's answer for one number at one instant.
///
/// ```
/// use dialguard::{Decision, Reason, RuleId, Verdict};
/// use jiff::Timestamp;
/// let until: Timestamp = "2026-03-16T09:00:00Z".parse().unwrap();
/// let rule = RuleId::from_index(3).unwrap();
/// let d = Decision::Defer { until, reason: Reason::OutsideWindow, rule };
/// assert_eq!(d.verdict(), Verdict::Defer);
/// assert_eq!(d.reason(), Some(Reason::OutsideWindow));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Dial now, honouring `constraints`.
    Allow { constraints: Constraints },
    /// Do not dial.
    Deny { reason: Reason, rule: RuleId },
    /// Do not dial before `until`.
    Defer {
        until: Timestamp,
        reason: Reason,
        rule: RuleId,
    },
}

impl Decision {
    /// An unconditional allow.
    pub const ALLOW: Decision = Decision::Allow {
        constraints: Constraints::NONE,
    };

    /// A deny with no policy rule behind it (invalid input, no policy, internal error).
    pub const fn deny(reason: Reason) -> Decision {
        Decision::Deny {
            reason,
            rule: RuleId::NONE,
        }
    }

    /// Allow, deny or defer.
    pub const fn verdict(&self) -> Verdict {
        match self {
            Decision::Allow { .. } => Verdict::Allow,
            Decision::Deny { .. } => Verdict::Deny,
            Decision::Defer { .. } => Verdict::Defer,
        }
    }

    /// The reason, for deny and defer.
    pub const fn reason(&self) -> Option<Reason> {
        match self {
            Decision::Allow { .. } => None,
            Decision::Deny { reason, .. } | Decision::Defer { reason, .. } => Some(*reason),
        }
    }

    /// The deciding rule, for deny and defer (may be [`RuleId::NONE`]).
    pub const fn rule(&self) -> Option<RuleId> {
        match self {
            Decision::Allow { .. } => None,
            Decision::Deny { rule, .. } | Decision::Defer { rule, .. } => Some(*rule),
        }
    }

    /// The earliest lawful instant, for defer.
    pub const fn until(&self) -> Option<Timestamp> {
        match self {
            Decision::Defer { until, .. } => Some(*until),
            _ => None,
        }
    }

    /// True only for allow.
    pub const fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_round_trip_and_are_stable() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(*r as u32), Some(*r));
            assert_eq!(Reason::from_name(r.name()), Some(*r));
        }
        // Codes cross the C ABI: pin a few so a renumbering fails here.
        assert_eq!(Reason::InvalidNumber as u32, 1);
        assert_eq!(Reason::OutsideWindow as u32, 9);
        assert_eq!(Reason::BeyondHorizon as u32, 14);
        assert_eq!(Reason::from_code(0), None);
        assert_eq!(Reason::from_name("nope"), None);
    }

    #[test]
    fn constraint_names() {
        let c = Constraints::REQUIRE_LIVE_AGENT.union(Constraints::NO_PREDICTIVE);
        assert_eq!(
            c.names().collect::<Vec<_>>(),
            ["require_live_agent", "no_predictive"]
        );
        assert!(Constraints::NONE.is_empty());
    }
}

#[cfg(test)]
mod rule_id_tests {
    use super::RuleId;

    #[test]
    fn rule_ids_round_trip_and_never_forge_none() {
        for i in [0, 1, 1000, usize::from(u16::MAX) - 1] {
            let r = RuleId::from_index(i).unwrap();
            assert_eq!(r.index(), i);
            assert_eq!(RuleId::from_index(usize::from(r.raw())), Some(r));
        }
        // The sentinel and anything past it cannot be made from an index.
        assert_eq!(RuleId::from_index(usize::from(u16::MAX)), None);
        assert_eq!(RuleId::from_index(usize::MAX), None);
        assert_eq!(RuleId::NONE.raw(), u16::MAX);
    }
}
