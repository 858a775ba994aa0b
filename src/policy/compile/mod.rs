//! From [`PolicySource`] to [`Snapshot`]: resolve packs, check every id, reference, window,
//! duration and date, load list files, build sets, calendars and zone tables. Reports as
//! many problems as it can find in one pass.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::error::{PolicyError, PolicyErrors, did_you_mean};
use super::packs;
use super::snapshot::*;
use super::source::*;
use crate::calendar::{
    Date, DatedHoliday, HolidayCalendar, HolidaySpec, MonthDay, NthWeekday, Observed, Weekday,
    WeeklyWindows, ZoneTables,
};
use crate::decision::RuleId;
use crate::history::{
    CapKey, CapRule, CoolSpan, CooloffRule, CountKind, Outcome, Retention, Span, Tag,
};
use crate::lists::{self, BadLinePolicy, ConsentIndex, ConsentKind, NumberSet, PrefixSet};
use crate::number::{self, Country, Number, RegionId};

/// Years covered by the precomputed zone tables and holiday calendars. Instants outside
/// still work (slow path) but holidays are only known inside.
pub(crate) const FIRST_YEAR: i32 = 2020;
pub(crate) const LAST_YEAR: i32 = 2045;
const DEFAULT_HORIZON_DAYS: u32 = 60;
/// Rule ids are `u16` and `u16::MAX` means "no rule": at most this many minus one.
const MAX_RULES: usize = u16::MAX as usize;
/// The largest `max_list_mb` (1 TiB).
const MAX_LIST_MB: u64 = 1 << 20;
const DAY: i64 = 86_400;

/// Named groups of countries for `applies_to`, where a statute covers territories that
/// the numbering plan gives their own region codes. Subdivision rules ("US-FL") never
/// match a territory: PR, VI, GU, MP and AS are regions of their own under +1.
pub(crate) const REGION_GROUPS: &[(&str, &[&str])] = &[
    // Metropolitan France and the overseas departments and regions (Constitution art. 73:
    // national law applies there): Guadeloupe, Martinique, French Guiana, Réunion, Mayotte.
    ("FR+DOM", &["FR", "GP", "MQ", "GF", "RE", "YT"]),
    // The states and the territories that federal telemarketing law reaches (47 U.S.C.
    // 153 "State"; 15 U.S.C. 44 FTC Act): Puerto Rico, USVI, Guam, Northern Marianas,
    // American Samoa.
    ("US+territories", &["US", "PR", "VI", "GU", "MP", "AS"]),
];

/// Where a policy's text came from, for error messages and relative list paths.
pub(crate) struct Origin<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// False for JSON input (lines refer to a converted form, so they are not shown).
    pub has_lines: bool,
    pub label: String,
    /// Byte offset of the start of every line after the first, so a rule's line is a
    /// binary search: counting newlines from the start for every rule made compiling
    /// quadratic in the rule count (70 k rules took 90 s).
    line_starts: Vec<usize>,
}

impl<'a> Origin<'a> {
    pub fn new(file: &'a Path, text: &'a str, has_lines: bool, label: String) -> Origin<'a> {
        let line_starts = if has_lines {
            text.match_indices('\n').map(|(i, _)| i + 1).collect()
        } else {
            Vec::new()
        };
        Origin {
            file,
            text,
            has_lines,
            label,
            line_starts,
        }
    }

    fn line_of<T>(&self, s: &Spanned<T>) -> Option<usize> {
        let at = s.span().start.min(self.text.len());
        self.has_lines
            .then(|| self.line_starts.partition_point(|&start| start <= at) + 1)
    }
}

/// Parses policy text (TOML, or JSON when `json`) into its source form.
pub(crate) fn parse_source(
    file: &Path,
    text: &str,
    json: bool,
) -> Result<(PolicySource, Option<String>), PolicyErrors> {
    let converted;
    let toml_text = if json {
        let value: toml::Value = serde_json::from_str(text).map_err(|e| {
            PolicyError::new(file, format!("not valid JSON: {e}"))
                .hint("fix the JSON syntax at the position shown")
        })?;
        converted = toml::to_string(&value)
            .map_err(|e| PolicyError::new(file, format!("cannot convert the JSON policy: {e}")))?;
        converted.as_str()
    } else {
        text
    };
    let src: PolicySource =
        toml::from_str(toml_text).map_err(|e| toml_error(file, toml_text, &e, !json))?;
    Ok((src, json.then(|| toml_text.to_owned())))
}

fn toml_error(file: &Path, text: &str, e: &toml::de::Error, has_lines: bool) -> PolicyErrors {
    let line = if has_lines {
        e.span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
    } else {
        None
    };
    let msg = e.message().trim().to_owned();
    let mut err = PolicyError::new(file, msg.clone()).line(line);
    // serde says "unknown field `x`, expected one of `a`, `b`": add the closest one.
    if let Some(rest) = msg.strip_prefix("unknown field `")
        && let Some((word, expected)) = rest.split_once('`')
    {
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        if let Some(best) = did_you_mean(word, candidates.iter().copied()) {
            err = err.hint(format!("did you mean `{best}`?"));
        }
    }
    err.into()
}

/// Collects errors while compiling; each rule reports with its line.
pub(crate) struct Ctx<'a> {
    origin: &'a Origin<'a>,
    errors: Vec<PolicyError>,
    rules: Vec<RuleMeta>,
    ids: HashSet<String>,
    base_dir: PathBuf,
    default_country: Option<Country>,
    bad_lines: BadLinePolicy,
    /// Size limit of list and consent files.
    max_list_bytes: u64,
    /// Some rule's scope names a number prefix (`applies_to = ["+1212"]`), so the rules
    /// that apply depend on the number itself, not only on its region and zones.
    number_scopes: bool,
}

impl Ctx<'_> {
    fn err(
        &mut self,
        line: Option<usize>,
        rule: &str,
        key: &str,
        msg: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let mut e = PolicyError::new(self.origin.file, msg)
            .line(line)
            .rule(rule.to_owned());
        if !key.is_empty() {
            e = e.key(key);
        }
        let hint = hint.into();
        if !hint.is_empty() {
            e = e.hint(hint);
        }
        self.errors.push(e);
    }

    fn add_rule(
        &mut self,
        line: Option<usize>,
        table: &str,
        id: &str,
        kind: RuleKind,
        source: Option<&String>,
        confidence: Option<&String>,
    ) -> RuleId {
        if id.is_empty() {
            self.err(
                line,
                &format!("[[{table}]]"),
                "id",
                "missing id",
                "give every rule a unique `id`",
            );
        } else if !self.ids.insert(id.to_owned()) {
            self.err(
                line,
                &format!("[[{table}]] \"{id}\""),
                "id",
                format!("duplicate id \"{id}\""),
                "ids must be unique across all rules",
            );
        }
        if let Some(c) = confidence
            && !matches!(c.as_str(), "P" | "S" | "V" | "M")
        {
            self.err(
                line,
                &format!("[[{table}]] \"{id}\""),
                "confidence",
                format!("unknown confidence \"{c}\""),
                "use P (primary), S (secondary), V (vendor) or M (unverified)",
            );
        }
        self.rules.push(RuleMeta {
            id: id.to_owned(),
            kind,
            source: source.cloned(),
            confidence: confidence.cloned(),
            origin: self.origin.label.clone(),
        });
        // Past the last id the compile fails (MAX_RULES), so NONE is never served.
        RuleId::from_index(self.rules.len() - 1).unwrap_or(RuleId::NONE)
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.base_dir.join(p)
        }
    }

    fn parse_number(&self) -> impl Fn(&str) -> Result<Number, String> + 'static {
        let country = self.default_country;
        move |s: &str| number::parse(s, country.as_ref()).map_err(|e| e.to_string())
    }

    /// Reads the list file `p` (relative to the policy) under the policy's bad-line
    /// policy and size limit; returns the resolved path with the result.
    fn load_list(&self, p: &str) -> (PathBuf, Result<lists::LoadedList, lists::ListError>) {
        let path = self.path(p);
        let loaded = lists::load_list_limited(
            &path,
            &self.parse_number(),
            self.bad_lines,
            self.max_list_bytes,
        );
        (path, loaded)
    }
}

/// What every scoped rule starts with: its label for errors, its id in the rule table,
/// and where and when it applies.
macro_rules! begin {
    ($cx:expr, $line:expr, $table:literal, $kind:expr, $r:expr) => {{
        let label = format!(concat!("[[", $table, "]] \"{}\""), $r.id);
        let rule = $cx.add_rule(
            $line,
            $table,
            &$r.id,
            $kind,
            $r.source.as_ref(),
            $r.confidence.as_ref(),
        );
        let scope = scope_of!($cx, $line, &label, $r);
        (label, rule, scope)
    }};
}

macro_rules! scope_of {
    ($cx:expr, $line:expr, $label:expr, $r:expr) => {
        scope(
            $cx,
            $line,
            $label,
            &$r.applies_to,
            &$r.purpose,
            &$r.mode,
            &$r.campaigns,
            &$r.valid_from,
            &$r.valid_until,
        )
    };
}

mod load_lists;
mod rules;
mod scope;
mod tables;
mod vocab;

use self::scope::*;
pub(crate) use self::tables::TableVisitor;
use self::tables::{AddAll, RuleIds};
pub(crate) use self::vocab::kind_bit;
use self::vocab::*;

/// Compiles a parsed policy. `now` stamps the snapshot (version, staleness is judged per call).
pub(crate) fn compile(
    src: PolicySource,
    origin: &Origin<'_>,
    now: i64,
) -> Result<Snapshot, PolicyErrors> {
    let mut src = src;
    let base_dir = origin.file.parent().map(Path::to_owned).unwrap_or_default();
    let mut errors = Vec::new();

    let Header {
        default_country,
        bad_lines,
        max_list_bytes,
        horizon_days,
    } = header(&src.policy, origin, &mut errors);
    // Rule ids are 16-bit: refuse a file with more rules before doing any work on them.
    if src.rule_count() >= MAX_RULES {
        errors.push(
            PolicyError::new(
                origin.file,
                format!(
                    "{} rules: a policy holds at most {} (packs included)",
                    src.rule_count(),
                    MAX_RULES - 1
                ),
            )
            .hint("put numbers in list files instead of one rule each, or split the policy"),
        );
        return Err(PolicyErrors(errors));
    }
    // Rule packs: their rules come first; a policy rule with the same id replaces the pack's.
    let pack_sources = load_packs(std::mem::take(&mut src.policy.include), origin, &mut errors);

    let mut cx = Ctx {
        origin,
        errors,
        rules: Vec::new(),
        ids: HashSet::new(),
        base_dir,
        default_country,
        bad_lines,
        max_list_bytes,
        number_scopes: false,
    };

    let mut builder = Builder::default();
    builder.add_packs(&mut cx, &pack_sources, &src);
    builder.add(&mut cx, &src, None);

    let live_optout_rule = live_optout_rule(&mut cx);

    // Windows name calendars by id; resolve after all calendars are known.
    builder.resolve_calendars(&mut cx);
    builder.resolve_unless_listed(&mut cx);

    let zones = ZoneTables::numbering(year_start(FIRST_YEAR), year_start(LAST_YEAR + 1))
        .map_err(|e| {
            cx.errors.push(PolicyError::new(
                origin.file,
                format!("time-zone data: {e}"),
            ))
        })
        .ok();

    if !cx.errors.is_empty() {
        return Err(PolicyErrors(cx.errors));
    }
    let Some(zones) = zones else {
        return Err(PolicyErrors(cx.errors));
    };
    let retention = builder.retention();
    let cluster = src.cluster.take();
    if let Some(Err(e)) = cluster
        .as_ref()
        .map(crate::cluster::ClusterConfig::validate)
    {
        return Err(PolicyErrors(vec![
            PolicyError::new(origin.file, e.to_string())
                .rule("[cluster]")
                .hint("see docs/cluster.md for the keys and their defaults"),
        ]));
    }
    let audit = src.audit.take().map(|mut a| {
        if a.dir.is_relative() {
            a.dir = cx.base_dir.join(&a.dir);
        }
        a
    });
    let source_hash = xxhash_rust::xxh3::xxh3_64(origin.text.as_bytes());
    let version = source_hash ^ now.cast_unsigned().rotate_left(32);
    Ok(Snapshot {
        name: src.policy.name.clone(),
        version,
        compiled_at: now,
        default_country,
        horizon: i64::from(horizon_days) * DAY,
        rules: cx.rules,
        lists: builder.lists,
        consents: Arc::new(ConsentIndex::from_records(builder.consents)),
        calendars: builder.calendars.into_iter().map(|(_, c)| c).collect(),
        windows: builder.windows.into_iter().map(|(w, _)| w).collect(),
        caps: builder.caps,
        cooloffs: builder.cooloffs,
        caller_ids: builder.caller_ids,
        abandon_limits: builder.abandon_limits,
        blackouts: builder.blackouts,
        consent_required: builder.consent_required,
        zones: Arc::new(zones),
        live_optout_rule,
        retention,
        cluster,
        source_hash,
        audit,
        audit_facts: std::sync::OnceLock::new(),
        metric_slots: Default::default(),
        scopes_read_number: cx.number_scopes,
    })
}

impl Builder {
    /// Adds the rule packs' rules, in `include` order, each in its own context (its
    /// errors name the pack); a rule the policy redefines is left out.
    fn add_packs(
        &mut self,
        cx: &mut Ctx<'_>,
        packs: &[(String, (String, PolicySource))],
        src: &PolicySource,
    ) {
        let overridden = src_ids(src);
        for (name, (pack_text, pack)) in packs {
            let pack_origin = Origin::new(Path::new(name.as_str()), pack_text, true, name.clone());
            let mut pcx = Ctx {
                origin: &pack_origin,
                errors: Vec::new(),
                rules: std::mem::take(&mut cx.rules),
                ids: std::mem::take(&mut cx.ids),
                base_dir: cx.base_dir.clone(),
                default_country: cx.default_country,
                bad_lines: cx.bad_lines,
                max_list_bytes: cx.max_list_bytes,
                number_scopes: cx.number_scopes,
            };
            self.add(&mut pcx, pack, Some(&overridden));
            cx.number_scopes |= pcx.number_scopes;
            cx.rules = pcx.rules;
            cx.ids = pcx.ids;
            cx.errors.extend(pcx.errors);
        }
    }
}

/// Appends the rule that opt-outs recorded at run time are reported under, last, and
/// refuses a policy whose rules no longer fit in a [`RuleId`].
fn live_optout_rule(cx: &mut Ctx<'_>) -> RuleId {
    cx.rules.push(RuleMeta {
        id: "live-optout".into(),
        kind: RuleKind::LiveOptOut,
        source: Some("opt-outs recorded at run time".into()),
        confidence: None,
        origin: "runtime".into(),
    });
    if cx.rules.len() >= MAX_RULES {
        cx.errors.push(
            PolicyError::new(
                cx.origin.file,
                format!(
                    "{} rules: a policy holds at most {} (packs included)",
                    cx.rules.len(),
                    MAX_RULES - 1
                ),
            )
            .hint("split the policy"),
        );
    }
    // Past the last id the compile fails (above), so NONE is never served.
    RuleId::from_index(cx.rules.len() - 1).unwrap_or(RuleId::NONE)
}

/// The `[policy]` settings, checked.
struct Header {
    default_country: Option<Country>,
    bad_lines: BadLinePolicy,
    max_list_bytes: u64,
    horizon_days: u32,
}

/// Checks the `[policy]` header; a bad value is reported and replaced by its default.
fn header(h: &PolicyHeader, origin: &Origin<'_>, errors: &mut Vec<PolicyError>) -> Header {
    let default_country = match h.default_country.as_deref() {
        None => None,
        Some(cc) => match Country::from_iso(cc) {
            Some(c) => Some(c),
            None => {
                errors.push(
                    PolicyError::new(origin.file, format!("unknown default_country \"{cc}\""))
                        .rule("[policy]")
                        .key("default_country")
                        .hint("use an ISO 3166-1 alpha-2 code such as \"IT\" or \"US\""),
                );
                None
            }
        },
    };
    let bad_lines = match &h.bad_lines {
        None | Some(Word::Known(BadLines::Fail)) => BadLinePolicy::Fail,
        Some(Word::Known(BadLines::Skip)) => BadLinePolicy::Skip,
        Some(Word::Unknown(other)) => {
            let hint = match did_you_mean(other, BadLines::NAMES.iter().copied()) {
                Some(best) => format!("did you mean \"{best}\"? use \"fail\" or \"skip\""),
                None => "use \"fail\" or \"skip\"".to_owned(),
            };
            errors.push(
                PolicyError::new(origin.file, format!("unknown bad_lines \"{other}\""))
                    .rule("[policy]")
                    .key("bad_lines")
                    .hint(hint),
            );
            BadLinePolicy::Fail
        }
    };
    let max_list_bytes = match h.max_list_mb {
        None => lists::DEFAULT_MAX_LIST_BYTES,
        Some(mb) if (1..=MAX_LIST_MB).contains(&mb) => mb << 20,
        Some(mb) => {
            errors.push(
                PolicyError::new(origin.file, format!("max_list_mb = {mb} is out of range"))
                    .rule("[policy]")
                    .key("max_list_mb")
                    .hint(format!("use 1 to {MAX_LIST_MB} (MiB)")),
            );
            lists::DEFAULT_MAX_LIST_BYTES
        }
    };
    let horizon_days = h.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS);
    if horizon_days == 0 || horizon_days > 3660 {
        errors.push(
            PolicyError::new(
                origin.file,
                format!("horizon_days = {horizon_days} is out of range"),
            )
            .rule("[policy]")
            .key("horizon_days")
            .hint("use 1 to 3660 days"),
        );
    }

    Header {
        default_country,
        bad_lines,
        max_list_bytes,
        horizon_days,
    }
}

/// Loads the rule packs named by `include`; an unknown one is reported with the list of
/// packs this build ships.
fn load_packs(
    include: Vec<String>,
    origin: &Origin<'_>,
    errors: &mut Vec<PolicyError>,
) -> Vec<(String, (String, PolicySource))> {
    let mut pack_sources = Vec::new();
    for inc in include {
        match packs::load(&inc) {
            Ok(p) => pack_sources.push((inc, p)),
            Err(e) => errors.push(
                PolicyError::new(origin.file, e)
                    .rule("[policy]")
                    .key("include")
                    .hint(match packs::names() {
                        names if names.is_empty() => {
                            "this build ships no rule packs; define the rules in the policy"
                                .to_owned()
                        }
                        names => format!("available packs: {}", names.join(", ")),
                    }),
            ),
        }
    }

    pack_sources
}

fn year_start(y: i32) -> i64 {
    i64::from(
        Date {
            year: y,
            month: 1,
            day: 1,
        }
        .to_days(),
    ) * DAY
}

/// Every rule id a policy defines (to let them override a pack's rules).
fn src_ids(src: &PolicySource) -> HashSet<String> {
    let mut ids = RuleIds::default();
    src.visit_tables(&mut ids);
    ids.0
}

/// A window's `calendar` id, resolved once every calendar is known.
struct CalendarRef {
    id: String,
    line: Option<usize>,
    label: String,
}

/// A window time span in minutes of the day, `[start, end)`.
type Span2 = (u16, u16);

/// A day key of `[[window]]` (`mon-fri`, `sat`, …), its value and the weekdays it sets.
type DayGroup<'a> = (&'a str, &'a Option<Vec<String>>, &'a [usize]);

#[derive(Default)]
pub(crate) struct Builder {
    lists: Vec<ListRule>,
    consents: Vec<(u64, lists::ConsentRecord)>,
    calendars: Vec<(String, HolidayCalendar)>,
    /// Window rules with the calendar id they name (resolved later).
    windows: Vec<(WindowRule, Option<CalendarRef>)>,
    caps: Vec<CapRuleC>,
    cooloffs: Vec<CooloffRuleC>,
    caller_ids: Vec<CallerIdRule>,
    abandon_limits: Vec<AbandonRule>,
    blackouts: Vec<BlackoutRule>,
    consent_required: Vec<ConsentRequiredRule>,
    /// `unless_listed` list ids of consent_required rules, resolved once every list is known.
    unless_listed: Vec<(usize, String, Option<usize>, String)>,
}

impl Builder {
    /// Points `unless_listed` at its list. A list id the policy does not define is not an
    /// error (a pack names the list the policy must supply): no number is on it, so the
    /// rule asks every callee for a consent. A list of another kind is an error.
    fn resolve_unless_listed(&mut self, cx: &mut Ctx<'_>) {
        for (at, id, line, label) in std::mem::take(&mut self.unless_listed) {
            let found = self
                .lists
                .iter()
                .position(|l| cx.rules[l.rule.index()].id == id);
            if let Some(i) = found
                && self.lists[i].kind != ListKind::Directory
            {
                cx.err(
                    line,
                    &label,
                    "unless_listed",
                    format!("list \"{id}\" is not a directory list"),
                    "name a [[list]] with kind = \"directory\"",
                );
            }
            self.consent_required[at].unless_listed = Some(found);
        }
    }

    /// What the contact history must keep for these rules: the longest cap or cool-off
    /// span (and abandon-rate window), and forever the outcomes of forever cool-offs.
    fn retention(&self) -> Retention {
        let caps: Vec<CapRule> = self.caps.iter().map(|c| c.cap).collect();
        let cools: Vec<CooloffRule> = self.cooloffs.iter().map(|c| c.cooloff).collect();
        let mut r = Retention::for_rules(&caps, &cools);
        // A `then` requirement lasts until an attempt with an agent: keep its events.
        for c in self.cooloffs.iter().filter(|c| c.then_live_agent) {
            r.forever = r.forever.with(c.cooloff.after);
        }
        let campaign_keep = self.abandon_limits.iter().map(|a| a.within).max();
        match campaign_keep {
            Some(k) => r.with_campaign_keep(k.max(r.campaign_keep)),
            None => r,
        }
    }

    /// Adds one source's rules. `skip` holds ids a later source redefines (pack overrides).
    fn add(&mut self, cx: &mut Ctx<'_>, src: &PolicySource, skip: Option<&HashSet<String>>) {
        src.visit_tables(&mut AddAll {
            builder: self,
            cx,
            skip,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("1d12h"), Ok(129_600));
        assert_eq!(parse_duration("90m"), Ok(5_400));
        assert!(parse_duration("30").unwrap_err().contains("unit"));
        assert!(parse_duration("3w").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("0h").unwrap_err().contains("positive"));
        assert!(
            parse_duration("99999999999999999999d")
                .unwrap_err()
                .contains("too large")
        );
    }
}
