//! The policy as people write it: TOML (or JSON) deserialised with serde into plain
//! structs that mirror docs/policy.md key for key. Nothing here is validated beyond types and
//! unknown keys; `compile` turns it into a checked [`Snapshot`](super::Snapshot).

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    pub policy: PolicyHeader,
    #[serde(default)]
    pub list: Vec<Spanned<ListSource>>,
    #[serde(default)]
    pub consent: Vec<Spanned<ConsentSource>>,
    #[serde(default)]
    pub calendar: Vec<Spanned<CalendarSource>>,
    #[serde(default)]
    pub window: Vec<Spanned<WindowSource>>,
    #[serde(default)]
    pub cap: Vec<Spanned<CapSource>>,
    #[serde(default)]
    pub cooloff: Vec<Spanned<CooloffSource>>,
    #[serde(default)]
    pub caller_id: Vec<Spanned<CallerIdSource>>,
    #[serde(default)]
    pub abandon_limit: Vec<Spanned<AbandonLimitSource>>,
    #[serde(default)]
    pub blackout: Vec<Spanned<BlackoutSource>>,
    #[serde(default)]
    pub consent_required: Vec<Spanned<ConsentRequiredSource>>,
}

/// `[policy]`: the header.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyHeader {
    pub name: String,
    /// ISO 3166-1 country whose national formats are accepted ("02 1234 5678").
    pub default_country: Option<String>,
    /// How far ahead `defer until` is searched; beyond it the answer is deny.
    pub horizon_days: Option<u32>,
    /// Rule packs shipped with the library (`builtin:NAME`).
    #[serde(default)]
    pub include: Vec<String>,
    /// What a bad line in a list file does: `fail` (default) the compile, or `skip` it (counted).
    pub bad_lines: Option<String>,
    /// The largest list or consent file accepted, in MiB (default 16384 = 16 GiB).
    pub max_list_mb: Option<u64>,
}

impl PolicySource {
    /// How many rules the file declares (every table entry is one rule).
    pub fn rule_count(&self) -> usize {
        self.list.len()
            + self.consent.len()
            + self.calendar.len()
            + self.window.len()
            + self.cap.len()
            + self.cooloff.len()
            + self.caller_id.len()
            + self.abandon_limit.len()
            + self.blackout.len()
            + self.consent_required.len()
    }
}

/// Fields every rule may carry: where and when it applies, and where it comes from.
macro_rules! rule_source {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Unique id, reported as the deciding `rule`.
            pub id: String,
            /// Regions the rule covers: "IT", "US-FL", "+1212", "*". Default: everything.
            pub applies_to: Option<Vec<String>>,
            /// Only for these call purposes (sales | survey | collection | informational).
            pub purpose: Option<Vec<String>>,
            /// Only for these dialing modes (predictive | preview | manual).
            pub mode: Option<Vec<String>>,
            /// Only for these campaign ids.
            pub campaigns: Option<Vec<String>>,
            /// First day (callee's local date) the rule is in force, YYYY-MM-DD.
            pub valid_from: Option<String>,
            /// Last day (inclusive) the rule is in force, YYYY-MM-DD.
            pub valid_until: Option<String>,
            /// Where the rule comes from (statute, regulator page): shown by `explain`.
            pub source: Option<String>,
            /// How sure the source is: P (primary), S (secondary), V (vendor), M (unverified).
            pub confidence: Option<String>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

rule_source! {
    /// `[[list]]`: a do-not-call registry, an internal opt-out list or a suppression list.
    pub struct ListSource {
        pub kind: String,
        pub path: Option<String>,
        #[serde(default)]
        pub prefixes: Vec<String>,
        pub snapshot_date: Option<String>,
        pub max_age_days: Option<u32>,
        #[serde(default)]
        pub exemptions: Vec<String>,
    }
}

/// `[[consent]]`: a consent / contract / EBR file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSource {
    pub id: String,
    pub path: String,
}

/// `{ date = "10-04", from = 2026, until = 2030 }`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatedSource {
    pub date: String,
    pub from: Option<i32>,
    pub until: Option<i32>,
}

/// `{ month = 1, weekday = "mon", n = 3 }`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NthWeekdaySource {
    pub month: u8,
    pub weekday: String,
    pub n: i8,
}

/// `[[calendar]]`: public holidays.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSource {
    pub id: String,
    #[serde(default)]
    pub fixed: Vec<String>,
    #[serde(default)]
    pub easter: Vec<i32>,
    #[serde(default)]
    pub nth_weekday: Vec<NthWeekdaySource>,
    #[serde(default)]
    pub dated: Vec<DatedSource>,
    #[serde(default)]
    pub removed: Vec<DatedSource>,
    #[serde(default)]
    pub dates: Vec<String>,
    pub observed: Option<String>,
    pub source: Option<String>,
}

rule_source! {
    /// `[[window]]`: calling hours per day type in the callee's local time.
    pub struct WindowSource {
        pub calendar: Option<String>,
        pub mon: Option<Vec<String>>,
        pub tue: Option<Vec<String>>,
        pub wed: Option<Vec<String>>,
        pub thu: Option<Vec<String>>,
        pub fri: Option<Vec<String>>,
        pub sat: Option<Vec<String>>,
        pub sun: Option<Vec<String>>,
        #[serde(rename = "mon-fri")]
        pub mon_fri: Option<Vec<String>>,
        #[serde(rename = "mon-sat")]
        pub mon_sat: Option<Vec<String>>,
        #[serde(rename = "mon-sun")]
        pub mon_sun: Option<Vec<String>>,
        #[serde(rename = "sat-sun")]
        pub sat_sun: Option<Vec<String>>,
        pub holiday: Option<Vec<String>>,
        pub pre_holiday: Option<Vec<String>>,
        #[serde(default)]
        pub waived_by: Vec<String>,
    }
}

rule_source! {
    /// `[[cap]]`: at most `max` calls within a rolling span.
    pub struct CapSource {
        pub max: u32,
        pub within: Option<String>,
        pub within_calendar_days: Option<u32>,
        pub key: Option<String>,
        pub count: Option<String>,
    }
}

rule_source! {
    /// `[[cooloff]]`: no new attempt for a while after an outcome.
    pub struct CooloffSource {
        pub after: String,
        #[serde(rename = "for")]
        pub for_: Option<String>,
        pub for_calendar_days: Option<u32>,
        pub unless: Option<String>,
        /// What the attempt after the cool-off needs until one with it is recorded
        /// (`live_agent`: the Garante's "no recall for 5 days, then with an operator").
        pub then: Option<String>,
        pub key: Option<String>,
    }
}

rule_source! {
    /// `[[caller_id]]`: which caller IDs may be presented to these callees.
    pub struct CallerIdSource {
        #[serde(default)]
        pub allow_prefixes: Vec<String>,
        pub allow_list: Option<String>,
    }
}

rule_source! {
    /// `[[abandon_limit]]`: a campaign's abandoned / answered ceiling.
    pub struct AbandonLimitSource {
        pub max_rate: f64,
        pub within: String,
        pub min_answered: Option<u32>,
        pub blocks: Option<String>,
    }
}

rule_source! {
    /// `[[blackout]]`: no calls to a region between two instants.
    pub struct BlackoutSource {
        pub from: String,
        pub until: Option<String>,
        #[serde(default)]
        pub suspend_exemptions: bool,
    }
}

rule_source! {
    /// `[[consent_required]]`: these callees may be called only with a consent on file
    /// (e.g. France from 2026-08-11).
    pub struct ConsentRequiredSource {
        /// Which record kinds count: consent | contract | ebr. Default: all.
        #[serde(default)]
        pub kinds: Vec<String>,
        /// A `kind = "directory"` list whose numbers need no consent (IT: numbers taken
        /// from public directories). Not defined in the policy: every number needs one.
        pub unless_listed: Option<String>,
    }
}
