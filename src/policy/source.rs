//! The policy as people write it: TOML (or JSON) deserialised with serde into plain
//! structs that mirror docs/policy.md key for key. Nothing here is validated beyond types and
//! unknown keys; `compile` turns it into a checked [`Snapshot`](super::Snapshot).

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::compile::TableVisitor;
pub use super::snapshot::{ListKind, Mode, Purpose};

/// The registry of tables: each `[[table]]` of the policy is listed here once, in compile
/// order (rule ids are given in this order), with its source type. Its compile step is
/// the type's `RuleTable` impl (policy/compile/tables.rs).
macro_rules! rule_tables {
    ($($(#[$meta:meta])* $field:ident: $ty:ty,)*) => {
        /// The whole file.
        #[derive(Debug, Clone, Default, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct PolicySource {
            pub policy: PolicyHeader,
            /// Several dialer servers, one history (docs/cluster.md).
            #[serde(default, skip_serializing)]
            pub cluster: Option<crate::cluster::ClusterConfig>,
            /// The decision log (docs/report.md); `dir` relative to the policy file.
            #[serde(default, skip_serializing)]
            pub audit: Option<crate::audit::AuditConfig>,
            $($(#[$meta])* #[serde(default)] pub $field: Vec<Spanned<$ty>>,)*
        }

        impl PolicySource {
            /// How many rules the file declares (every table entry is one rule).
            pub fn rule_count(&self) -> usize {
                0 $(+ self.$field.len())*
            }

            /// Calls `v` with every table, in compile order.
            pub(crate) fn visit_tables(&self, v: &mut impl TableVisitor) {
                $(v.visit(&self.$field);)*
            }
        }
    };
}

rule_tables! {
    calendar: CalendarSource,
    list: ListSource,
    /// Consent files: loaded after the lists, before the rules that read them.
    consent: ConsentSource,
    window: WindowSource,
    cap: CapSource,
    cooloff: CooloffSource,
    caller_id: CallerIdSource,
    abandon_limit: AbandonLimitSource,
    blackout: BlackoutSource,
    consent_required: ConsentRequiredSource,
}

/// A closed vocabulary of the policy: its names, as serde reads them.
pub trait Vocabulary: Copy + serde::de::DeserializeOwned + 'static {
    /// Every valid name, for messages and did-you-mean hints.
    const NAMES: &'static [&'static str];
    /// The name of this value.
    fn name(self) -> &'static str;
}

/// A word written where the policy expects one of a [`Vocabulary`]'s names. Deserialising
/// never fails on an unknown word: it is kept as written, so the compiler reports it with
/// its rule, key, the valid names and the closest one (serde alone would give neither
/// the rule nor the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word<T> {
    Known(T),
    Unknown(String),
}

impl<T: Vocabulary> Word<T> {
    /// The word as written (the canonical name when known).
    pub fn as_str(&self) -> &str {
        match self {
            Word::Known(t) => t.name(),
            Word::Unknown(s) => s,
        }
    }
}

/// An empty word (no valid name is empty), so a defaulted source still fails to compile
/// until the field is set.
impl<T> Default for Word<T> {
    fn default() -> Self {
        Word::Unknown(String::new())
    }
}

impl<T: Vocabulary> std::ops::Deref for Word<T> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<T: Vocabulary> AsRef<str> for Word<T> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<T: Vocabulary> std::fmt::Display for Word<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de, T: Vocabulary> Deserialize<'de> for Word<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::IntoDeserializer;
        let word = String::deserialize(d)?;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            word.as_str().into_deserializer();
        Ok(match T::deserialize(de) {
            Ok(t) => Word::Known(t),
            Err(_) => Word::Unknown(word),
        })
    }
}

impl<T: Vocabulary> Serialize for Word<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Declares a closed vocabulary: a serde enum (snake_case names unless renamed) and its
/// [`Vocabulary`] impl, from one list.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $v:ident = $n:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $n)] $v,)*
        }
        impl Vocabulary for $name {
            const NAMES: &'static [&'static str] = &[$($n),*];
            fn name(self) -> &'static str {
                match self { $($name::$v => $n,)* }
            }
        }
    };
}

vocabulary! {
    /// `[policy] bad_lines`: what a bad line in a list file does.
    BadLines { Fail = "fail", Skip = "skip", }
}

vocabulary! {
    /// `key` of caps and cool-offs: what the count or the cool-off is kept per.
    CapKeyName {
        Number = "number",
        NumberCampaign = "number+campaign",
        NumberSubject = "number+subject",
    }
}

vocabulary! {
    /// `[[cap]] count`: which attempts count.
    CountName { Attempts = "attempts", Connected = "connected", }
}

vocabulary! {
    /// `[[cooloff]] unless` and `then`: what an attempt has.
    Requirement { LiveAgent = "live_agent", }
}

vocabulary! {
    /// `[[abandon_limit]] blocks`: which attempts a limit holds back.
    Blocks { Predictive = "predictive", All = "all", }
}

vocabulary! {
    /// Consent record kinds named by `kinds` and `waived_by`.
    ConsentKindName {
        Consent = "consent",
        Contract = "contract",
        Ebr = "ebr",
        OutsideHours = "outside_hours",
    }
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
    pub bad_lines: Option<Word<BadLines>>,
    /// The largest list or consent file accepted, in MiB (default 16384 = 16 GiB).
    pub max_list_mb: Option<u64>,
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
            pub purpose: Option<Vec<Word<Purpose>>>,
            /// Only for these dialing modes (predictive | preview | manual).
            pub mode: Option<Vec<Word<Mode>>>,
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
        pub kind: Word<ListKind>,
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
        pub waived_by: Vec<Word<ConsentKindName>>,
    }
}

rule_source! {
    /// `[[cap]]`: at most `max` calls within a rolling span.
    pub struct CapSource {
        pub max: u32,
        pub within: Option<String>,
        pub within_calendar_days: Option<u32>,
        pub key: Option<Word<CapKeyName>>,
        pub count: Option<Word<CountName>>,
    }
}

rule_source! {
    /// `[[cooloff]]`: no new attempt for a while after an outcome.
    pub struct CooloffSource {
        pub after: String,
        #[serde(rename = "for")]
        pub for_: Option<String>,
        pub for_calendar_days: Option<u32>,
        pub unless: Option<Word<Requirement>>,
        /// What the attempt after the cool-off needs until one with it is recorded
        /// (`live_agent`: the Garante's "no recall for 5 days, then with an operator").
        pub then: Option<Word<Requirement>>,
        pub key: Option<Word<CapKeyName>>,
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
        pub blocks: Option<Word<Blocks>>,
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
        pub kinds: Vec<Word<ConsentKindName>>,
        /// A `kind = "directory"` list whose numbers need no consent (IT: numbers taken
        /// from public directories). Not defined in the policy: every number needs one.
        pub unless_listed: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's names and `NAMES` (used for hints and `name`) come from one list per
    /// vocabulary; this checks they agree for the enums declared elsewhere too.
    fn round_trips<T: Vocabulary + PartialEq + std::fmt::Debug>() {
        for &n in T::NAMES {
            let w: Word<T> = toml::Value::String(n.to_owned()).try_into().unwrap();
            let Word::Known(t) = w else {
                panic!("{n} is not read as a known word");
            };
            assert_eq!(t.name(), n);
        }
        let w: Word<T> = toml::Value::String("zzz".into()).try_into().unwrap();
        assert_eq!(w, Word::Unknown("zzz".into()));
    }

    #[test]
    fn every_vocabulary_reads_its_own_names() {
        round_trips::<ListKind>();
        round_trips::<Purpose>();
        round_trips::<Mode>();
        round_trips::<BadLines>();
        round_trips::<CapKeyName>();
        round_trips::<CountName>();
        round_trips::<Requirement>();
        round_trips::<Blocks>();
        round_trips::<ConsentKindName>();
    }
}
