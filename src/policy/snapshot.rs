//! The compiled, immutable form of a policy: what the guard reads on every check.
//! Built once by [`compile`](super::compile), shared through `Arc`, swapped atomically.

use std::sync::Arc;

use crate::calendar::{HolidayCalendar, WeeklyWindows, ZoneTables};
use crate::decision::RuleId;
use crate::history::{CapRule, CooloffRule, Retention, Tag};
use crate::lists::{ConsentIndex, ConsentKind, ConsentRecord, NumberSet, PrefixSet};
use crate::number::{Country, Location, Number, RegionId};

/// Why a call is made. Rules may be limited to some purposes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum Purpose {
    #[default]
    Sales = 0,
    Survey = 1,
    Collection = 2,
    Informational = 3,
}

/// How the attempt is dialed. Preview and manual mean a live agent is on the line.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum Mode {
    #[default]
    Predictive = 0,
    Preview = 1,
    Manual = 2,
}

macro_rules! named_enum {
    ($ty:ident { $($v:ident => $n:literal),* }) => {
        impl $ty {
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$v),*];
            /// The policy / CLI name.
            pub const fn name(self) -> &'static str { match self { $($ty::$v => $n),* } }
            /// Parses the policy / CLI name.
            pub fn from_name(s: &str) -> Option<$ty> { match s { $($n => Some($ty::$v),)* _ => None } }
            /// The valid names, for error messages.
            pub fn names() -> String { [$($n),*].join(" | ") }
            /// The value with this numeric code (C ABI).
            pub fn from_code(c: u32) -> Option<$ty> { Self::ALL.iter().copied().find(|v| *v as u32 == c) }
        }
        impl super::source::Vocabulary for $ty {
            const NAMES: &'static [&'static str] = &[$($n),*];
            fn name(self) -> &'static str { $ty::name(self) }
        }
    };
}
named_enum!(Purpose { Sales => "sales", Survey => "survey", Collection => "collection", Informational => "informational" });
named_enum!(Mode { Predictive => "predictive", Preview => "preview", Manual => "manual" });

impl super::source::Vocabulary for ListKind {
    const NAMES: &'static [&'static str] = &["registry", "optout", "suppression", "directory"];
    fn name(self) -> &'static str {
        match self {
            ListKind::Registry => "registry",
            ListKind::OptOut => "optout",
            ListKind::Suppression => "suppression",
            ListKind::Directory => "directory",
        }
    }
}

impl Mode {
    /// Preview and manual attempts have an agent on the line when the callee answers.
    pub const fn live_agent(self) -> bool {
        !matches!(self, Mode::Predictive)
    }
}

/// What kind of rule a [`RuleId`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Registry,
    OptOut,
    Suppression,
    /// A list of facts (e.g. numbers taken from public directories) that rules consult;
    /// being on it never denies a call.
    Directory,
    Calendar,
    Window,
    Cap,
    Cooloff,
    CallerId,
    AbandonLimit,
    Blackout,
    ConsentRequired,
    /// Opt-outs added at run time (`Guard::opt_out`, an `opt_out` outcome).
    LiveOptOut,
}

impl RuleKind {
    /// The policy table name, e.g. `window`.
    pub const fn table(self) -> &'static str {
        match self {
            RuleKind::Registry | RuleKind::OptOut | RuleKind::Suppression | RuleKind::Directory => {
                "list"
            }
            RuleKind::Calendar => "calendar",
            RuleKind::Window => "window",
            RuleKind::Cap => "cap",
            RuleKind::Cooloff => "cooloff",
            RuleKind::CallerId => "caller_id",
            RuleKind::AbandonLimit => "abandon_limit",
            RuleKind::Blackout => "blackout",
            RuleKind::ConsentRequired => "consent_required",
            RuleKind::LiveOptOut => "live",
        }
    }
}

/// A rule's identity and provenance, for decisions and `explain`.
#[derive(Clone, Debug)]
pub struct RuleMeta {
    pub id: String,
    pub kind: RuleKind,
    /// Where the rule comes from (statute, regulator), when the policy or pack says.
    pub source: Option<String>,
    /// P / S / V / M, when given.
    pub confidence: Option<String>,
    /// `builtin:it` for rules from a pack, else the policy file.
    pub origin: String,
}

/// One `applies_to` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RegionMatch {
    Country([u8; 2]),
    Region(RegionId),
    Prefix(u64, u32),
}

/// Where and when a rule applies. An empty region list means everywhere.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    pub regions: Box<[RegionMatch]>,
    /// Bit per `Purpose`; 0 = all.
    pub purposes: u8,
    /// Bit per `Mode`; 0 = all.
    pub modes: u8,
    pub campaigns: Box<[Tag]>,
    /// First and last local day (days since 1970-01-01) the rule is in force.
    pub valid_from: Option<i32>,
    pub valid_until: Option<i32>,
}

/// The facts about one call that scopes are matched against.
pub(crate) struct CallFacts {
    pub number: Number,
    pub location: Location,
    pub country: [u8; 2],
    /// A region known from elsewhere (the callee's address on file): rules of either
    /// region apply, so the most restrictive combination decides.
    pub known_region: Option<(RegionId, [u8; 2])>,
    pub purpose: Purpose,
    pub mode: Mode,
    pub campaign: Tag,
    pub has_campaign: bool,
    /// The earliest and the latest local date among the callee's zones now: a rule is
    /// in force when its validity overlaps either (the stricter reading where zones
    /// straddle midnight).
    pub first_day: i32,
    pub last_day: i32,
}

impl Scope {
    #[inline]
    pub fn applies(&self, f: &CallFacts) -> bool {
        if self.purposes != 0 && self.purposes & (1 << f.purpose as u8) == 0 {
            return false;
        }
        if self.modes != 0 && self.modes & (1 << f.mode as u8) == 0 {
            return false;
        }
        if !(self.campaigns.is_empty() || f.has_campaign && self.campaigns.contains(&f.campaign)) {
            return false;
        }
        if self.valid_from.is_some_and(|d| f.last_day < d)
            || self.valid_until.is_some_and(|d| f.first_day > d)
        {
            return false;
        }
        self.regions.is_empty()
            || self.regions.iter().any(|m| match *m {
                RegionMatch::Country(c) => {
                    c == f.country || f.known_region.is_some_and(|(_, k)| k == c)
                }
                RegionMatch::Region(r) => {
                    r == f.location.region || f.known_region.is_some_and(|(k, _)| k == r)
                }
                RegionMatch::Prefix(p, len) => f.number.has_prefix(p, len),
            })
    }
}

/// Exemptions a registry accepts (bit set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Exemptions(pub u8);

impl Exemptions {
    /// Any consent in force (UK: specific consent beats TPS).
    pub const CONSENT: u8 = 1;
    /// A consent granted after the number's registration date (IT RPO).
    pub const CONSENT_AFTER_REGISTRATION: u8 = 2;
    /// A contract in force.
    pub const CONTRACT: u8 = 4;
    /// A contract in force or ended at most 30 days ago (IT RPO).
    pub const CONTRACT_WITHIN_30D: u8 = 8;
    /// An established business relationship in its window (US).
    pub const EBR: u8 = 16;
    pub const NAMES: [(&'static str, u8); 5] = [
        ("consent", Self::CONSENT),
        (
            "consent_after_registration",
            Self::CONSENT_AFTER_REGISTRATION,
        ),
        ("contract", Self::CONTRACT),
        ("contract_within_30d", Self::CONTRACT_WITHIN_30D),
        ("ebr", Self::EBR),
    ];
}

/// Do-not-call list kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Registry,
    #[serde(rename = "optout")]
    OptOut,
    Suppression,
    /// Consulted by rules (`unless_listed`), never denies by itself.
    Directory,
}

#[derive(Clone)]
pub(crate) struct ListRule {
    pub rule: RuleId,
    pub kind: ListKind,
    /// Shared, so a snapshot with one list replaced shares every other set.
    pub set: Arc<NumberSet>,
    pub prefixes: PrefixSet,
    pub scope: Scope,
    /// When the registry copy was taken (Unix seconds, 00:00 UTC of the date).
    pub snapshot: Option<i64>,
    /// Older than this (seconds) at call time → stale.
    pub max_age: Option<i64>,
    pub exemptions: Exemptions,
}

#[derive(Clone)]
pub(crate) struct WindowRule {
    pub rule: RuleId,
    pub scope: Scope,
    pub windows: WeeklyWindows,
    pub calendar: Option<usize>,
    /// Consent kinds (`kind_bit` mask) that lift the window: `consent` (Utah),
    /// `outside_hours` (FR, AU: only an express consent to off-hours calls).
    pub waived_by: u8,
}

#[derive(Clone)]
pub(crate) struct CapRuleC {
    pub rule: RuleId,
    pub scope: Scope,
    pub cap: CapRule,
}

#[derive(Clone)]
pub(crate) struct CooloffRuleC {
    pub rule: RuleId,
    pub scope: Scope,
    pub cooloff: CooloffRule,
    /// `then = "live_agent"`: once the cool-off has run, attempts need a live agent until
    /// one with an agent is recorded after the event.
    pub then_live_agent: bool,
}

#[derive(Clone)]
pub(crate) struct CallerIdRule {
    pub rule: RuleId,
    pub scope: Scope,
    pub prefixes: PrefixSet,
    pub allow: Arc<NumberSet>,
}

#[derive(Clone)]
pub(crate) struct AbandonRule {
    pub rule: RuleId,
    pub scope: Scope,
    pub max_rate: f64,
    pub within: i64,
    pub min_answered: u32,
    /// Only predictive attempts are held back (preview/manual have a live agent).
    pub predictive_only: bool,
}

#[derive(Clone)]
pub(crate) struct BlackoutRule {
    pub rule: RuleId,
    pub scope: Scope,
    pub from: i64,
    pub until: Option<i64>,
    pub suspend_exemptions: bool,
}

#[derive(Clone)]
pub(crate) struct ConsentRequiredRule {
    pub rule: RuleId,
    pub scope: Scope,
    /// Bit per `ConsentKind` that counts.
    pub kinds: u8,
    /// `unless_listed`: numbers on this list (index into `Snapshot::lists`) need no
    /// consent. `Some(None)`: the policy names a list it does not define, so no number
    /// is known to be on it (fail closed).
    pub unless_listed: Option<Option<usize>>,
}

/// A compiled policy. Immutable; the guard swaps whole snapshots. Cloning is cheap: the
/// big parts (number sets, consents, zone tables) are shared.
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) name: String,
    pub(crate) version: u64,
    pub(crate) compiled_at: i64,
    pub(crate) default_country: Option<Country>,
    pub(crate) horizon: i64,
    pub(crate) rules: Vec<RuleMeta>,
    pub(crate) lists: Vec<ListRule>,
    pub(crate) consents: Arc<ConsentIndex>,
    pub(crate) calendars: Vec<HolidayCalendar>,
    pub(crate) windows: Vec<WindowRule>,
    pub(crate) caps: Vec<CapRuleC>,
    pub(crate) cooloffs: Vec<CooloffRuleC>,
    pub(crate) caller_ids: Vec<CallerIdRule>,
    pub(crate) abandon_limits: Vec<AbandonRule>,
    pub(crate) blackouts: Vec<BlackoutRule>,
    pub(crate) consent_required: Vec<ConsentRequiredRule>,
    pub(crate) zones: Arc<ZoneTables>,
    pub(crate) live_optout_rule: RuleId,
    /// What the contact history must keep for this policy.
    pub(crate) retention: Retention,
    /// `[cluster]`: the shared store every node of this policy uses, if any.
    pub(crate) cluster: Option<crate::cluster::ClusterConfig>,
    /// xxh3 of the policy text: the same file gives the same hash on every node.
    pub(crate) source_hash: u64,
    /// The guard's decision counters for these rules (`metrics`), attached at swap-in.
    pub(crate) metric_slots: crate::metrics::RuleSlots,
    /// `[audit]`, its `dir` resolved against the policy file's directory.
    pub(crate) audit: Option<crate::audit::AuditConfig>,
    /// What every decision-log record of this snapshot shares, built on first use.
    pub(crate) audit_facts: std::sync::OnceLock<std::sync::Arc<AuditFacts>>,
    /// Some rule's scope matches number prefixes: which rules apply then depends on the
    /// number, not only on its region and zones (the batch path's memo needs to know).
    pub(crate) scopes_read_number: bool,
}

/// The parts of a decision-log record that one snapshot shares: rule ids by index, the
/// lists with their snapshot dates, the policy hash.
#[derive(Debug)]
pub(crate) struct AuditFacts {
    pub rules: Vec<Arc<str>>,
    pub lists: Arc<[crate::audit::ListAge]>,
    pub hash: Arc<str>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("name", &self.name)
            .field("version", &format_args!("{:016x}", self.version))
            .field("rules", &self.rules.len())
            .field("lists", &self.lists.len())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Every list that holds `n` (by number or prefix): its id, kind and the day the
    /// number was registered on it when the list has dates (days since 1970-01-01). For
    /// a data subject's access request.
    pub fn lists_holding(&self, n: Number) -> Vec<(&str, ListKind, Option<i32>)> {
        self.lists
            .iter()
            .filter_map(|l| {
                let day = match l.set.registered_on(n) {
                    Some(day) => day,
                    None => {
                        l.prefixes.matches(n)?;
                        None
                    }
                };
                Some((self.rules[l.rule.index()].id.as_str(), l.kind, day))
            })
            .collect()
    }

    /// The consent, contract and EBR records on file for `n`.
    pub fn consents_of(&self, n: Number) -> &[crate::lists::ConsentRecord] {
        self.consents.lookup(n)
    }

    /// `[audit]`: the decision log this policy asks for, if any.
    pub fn audit(&self) -> Option<&crate::audit::AuditConfig> {
        self.audit.as_ref()
    }

    /// The record fields this snapshot shares (built once, on the first record).
    pub(crate) fn audit_facts(&self) -> &Arc<AuditFacts> {
        self.audit_facts.get_or_init(|| {
            let lists: Vec<crate::audit::ListAge> = self
                .lists
                .iter()
                .map(|l| crate::audit::ListAge {
                    list: self.rules[l.rule.index()].id.as_str().into(),
                    snapshot: l
                        .snapshot
                        .and_then(|s| i32::try_from(s.div_euclid(86_400)).ok()),
                })
                .collect();
            Arc::new(AuditFacts {
                rules: self
                    .rules
                    .iter()
                    .map(|r| Arc::from(r.id.as_str()))
                    .collect(),
                lists: lists.into(),
                hash: format!("{:016x}", self.source_hash).into(),
            })
        })
    }

    /// `[cluster]`: the shared contact history this policy asks for, if any.
    pub fn cluster(&self) -> Option<&crate::cluster::ClusterConfig> {
        self.cluster.as_ref()
    }

    /// The hash (xxh3) of the policy text, the same on every node that reads the same
    /// file; `version` also changes with the compile instant.
    pub fn source_hash(&self) -> u64 {
        self.source_hash
    }

    /// The policy's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A number that changes with every compile (xxh3 of the source and compile instant).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When it was compiled (Unix seconds).
    pub fn compiled_at(&self) -> i64 {
        self.compiled_at
    }

    /// The default country for national-format numbers.
    pub fn default_country(&self) -> Option<&Country> {
        self.default_country.as_ref()
    }

    /// How far ahead `defer until` is searched (seconds).
    pub fn horizon(&self) -> i64 {
        self.horizon
    }

    /// The rule behind an id; `None` for [`RuleId::NONE`].
    pub fn rule(&self, id: RuleId) -> Option<&RuleMeta> {
        self.rules.get(id.index())
    }

    /// Every rule, in id order.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// The id of the rule with this name.
    pub fn rule_id(&self, id: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.id == id)
            .and_then(RuleId::from_index)
    }

    /// Numbers held in compiled lists, per list id (for `compile` summaries).
    pub fn list_sizes(&self) -> impl Iterator<Item = (&str, ListKind, usize)> {
        self.lists
            .iter()
            .map(|l| (self.rules[l.rule.index()].id.as_str(), l.kind, l.set.len()))
    }

    /// Adds a registry that applies to every number, with no snapshot date and no
    /// exemption (for `dialguard bench` and integrators' load tests with synthetic data).
    pub fn with_extra_registry(mut self, id: &str, set: NumberSet) -> Snapshot {
        self.audit_facts = std::sync::OnceLock::new();
        self.rules.push(RuleMeta {
            id: id.to_owned(),
            kind: RuleKind::Registry,
            source: Some("synthetic".into()),
            confidence: None,
            origin: "bench".into(),
        });
        let rule = RuleId::from_index(self.rules.len() - 1).unwrap_or(RuleId::NONE);
        self.lists.push(ListRule {
            rule,
            kind: ListKind::Registry,
            set: Arc::new(set),
            prefixes: PrefixSet::new(&[]),
            scope: Scope::default(),
            snapshot: None,
            max_age: None,
            exemptions: Exemptions::default(),
        });
        self
    }

    /// A copy of this snapshot with the numbers of list `id` replaced (and its snapshot
    /// date, when given). Everything else is shared. `None` when no list has that id.
    pub fn with_list_replaced(
        &self,
        id: &str,
        set: NumberSet,
        snapshot_date: Option<i32>,
    ) -> Option<Snapshot> {
        let rule = self.rule_id(id)?;
        let mut next = self.clone();
        // The list's date changes: the shared record fields are built anew.
        next.audit_facts = std::sync::OnceLock::new();
        let list = next.lists.iter_mut().find(|l| l.rule == rule)?;
        list.set = Arc::new(set);
        if let Some(d) = snapshot_date {
            list.snapshot = Some(i64::from(d) * 86_400);
        }
        next.version = self.version.wrapping_add(0x9E37_79B9_7F4A_7C15);
        Some(next)
    }

    /// Consent records on file.
    pub fn consent_count(&self) -> usize {
        self.consents.len()
    }

    /// What the contact history must keep for this policy's caps, cool-offs and
    /// abandon-rate windows.
    pub fn retention(&self) -> Retention {
        self.retention
    }
}

/// True when `r` counts at instant `t` for this campaign: granted, not expired, not revoked.
/// A contract's `expires_at` is the day it ended; `grace` extends it (30 days for IT).
/// Fields written as plain dates are the callee's local days: they are compared with
/// `t + offset` (the callee's wall clock read as if UTC), `offset` being the callee's
/// UTC offset at `t`.
pub(crate) fn consent_in_force(
    r: &ConsentRecord,
    t: i64,
    offset: i64,
    campaign: Option<&str>,
    grace: i64,
) -> bool {
    let at = |bit: u8| {
        if r.local_dates & bit != 0 {
            t + offset
        } else {
            t
        }
    };
    if r.granted_at > at(ConsentRecord::GRANTED_DATE)
        || r.revoked_at
            .is_some_and(|rv| rv <= at(ConsentRecord::REVOKED_DATE))
    {
        return false;
    }
    let t = at(ConsentRecord::EXPIRES_DATE);
    if let Some(c) = r.campaign.as_deref()
        && campaign != Some(c)
    {
        return false;
    }
    match (r.kind, r.expires_at) {
        (_, None) => true,
        // The end date is the last day of the contract: in force through that day.
        (ConsentKind::Contract, Some(end)) => t < end + 86_400 + grace,
        (_, Some(exp)) => t < exp,
    }
}
