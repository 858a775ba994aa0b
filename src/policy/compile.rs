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
struct Ctx<'a> {
    origin: &'a Origin<'a>,
    errors: Vec<PolicyError>,
    rules: Vec<RuleMeta>,
    ids: HashSet<String>,
    base_dir: PathBuf,
    default_country: Option<Country>,
    bad_lines: BadLinePolicy,
    /// Size limit of list and consent files.
    max_list_bytes: u64,
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

#[allow(clippy::too_many_arguments)]
fn scope(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    applies_to: &Option<Vec<String>>,
    purpose: &Option<Vec<String>>,
    mode: &Option<Vec<String>>,
    campaigns: &Option<Vec<String>>,
    valid_from: &Option<String>,
    valid_until: &Option<String>,
) -> Scope {
    let mut regions = Vec::new();
    for r in applies_to.iter().flatten() {
        if r == "*" {
            regions.clear();
            break;
        }
        if let Some(p) = r.strip_prefix('+') {
            match lists::parse_prefix(r) {
                Ok((digits, len)) => regions.push(RegionMatch::Prefix(digits, len)),
                Err(_) => cx.err(
                    line,
                    label,
                    "applies_to",
                    format!("bad prefix \"+{p}\""),
                    "write an E.164 prefix such as \"+1212\"",
                ),
            }
        } else if let Some((_, members)) = REGION_GROUPS.iter().find(|(g, _)| g == r) {
            for m in *members {
                let b = m.as_bytes();
                regions.push(RegionMatch::Country([b[0], b[1]]));
            }
        } else if let Some(id) = RegionId::from_code(r) {
            if r.len() == 2 {
                let b = r.as_bytes();
                regions.push(RegionMatch::Country([b[0], b[1]]));
            } else {
                regions.push(RegionMatch::Region(id));
            }
        } else if r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()) {
            let b = r.as_bytes();
            regions.push(RegionMatch::Country([b[0], b[1]]));
        } else {
            let hint = match did_you_mean(r, REGION_GROUPS.iter().map(|(g, _)| *g)) {
                Some(g) => format!("did you mean the group \"{g}\"?"),
                None => "use a country (\"IT\"), a subdivision (\"US-FL\", \"CA-ON\"), a group (\"FR+DOM\", \"US+territories\"), an E.164 prefix (\"+1212\") or \"*\"".to_owned(),
            };
            cx.err(
                line,
                label,
                "applies_to",
                format!("unknown region \"{r}\""),
                hint,
            );
        }
    }
    let mut purposes = 0u8;
    for p in purpose.iter().flatten() {
        match Purpose::from_name(p) {
            Some(v) => purposes |= 1 << v as u8,
            None => cx.err(
                line,
                label,
                "purpose",
                format!("unknown purpose \"{p}\""),
                format!("valid: {}", Purpose::names()),
            ),
        }
    }
    let mut modes = 0u8;
    for m in mode.iter().flatten() {
        match Mode::from_name(m) {
            Some(v) => modes |= 1 << v as u8,
            None => cx.err(
                line,
                label,
                "mode",
                format!("unknown mode \"{m}\""),
                format!("valid: {}", Mode::names()),
            ),
        }
    }
    let campaigns = campaigns.iter().flatten().map(|c| Tag::of(c)).collect();
    let valid_from = valid_from
        .as_deref()
        .and_then(|d| date_day(cx, line, label, "valid_from", d));
    let valid_until = valid_until
        .as_deref()
        .and_then(|d| date_day(cx, line, label, "valid_until", d));
    if let (Some(a), Some(b)) = (valid_from, valid_until)
        && a > b
    {
        cx.err(
            line,
            label,
            "valid_until",
            "valid_until is before valid_from",
            "swap the dates",
        );
    }
    Scope {
        regions: regions.into(),
        purposes,
        modes,
        campaigns,
        valid_from,
        valid_until,
    }
}

fn date_day(cx: &mut Ctx<'_>, line: Option<usize>, label: &str, key: &str, s: &str) -> Option<i32> {
    match Date::parse(s) {
        Ok(d) => Some(d.to_days()),
        Err(e) => {
            cx.err(
                line,
                label,
                key,
                format!("bad date \"{s}\": {e}"),
                "write a real date as YYYY-MM-DD",
            );
            None
        }
    }
}

/// Parses "30d", "24h", "90m", "3600s", or a combination such as "1d12h".
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let (mut total, mut num, mut any) = (0i64, None::<i64>, false);
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i64::from(d)))
                    .ok_or("duration too large")?,
            );
        } else {
            let unit = match c {
                'd' => DAY,
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return Err(format!("unknown unit '{c}'")),
            };
            let n = num
                .take()
                .ok_or_else(|| format!("unit '{c}' without a number"))?;
            total = total
                .checked_add(n.checked_mul(unit).ok_or("duration too large")?)
                .ok_or("duration too large")?;
            any = true;
        }
    }
    if num.is_some() || !any {
        return Err("a number needs a unit (d, h, m or s)".into());
    }
    if total == 0 {
        return Err("duration must be positive".into());
    }
    Ok(total)
}

fn parse_instant(s: &str) -> Result<i64, String> {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| e.to_string())
}

/// Compiles a parsed policy. `now` stamps the snapshot (version, staleness is judged per call).
pub(crate) fn compile(
    src: PolicySource,
    origin: &Origin<'_>,
    now: i64,
) -> Result<Snapshot, PolicyErrors> {
    let mut src = src;
    let base_dir = origin.file.parent().map(Path::to_owned).unwrap_or_default();
    let mut errors = Vec::new();

    let default_country = match src.policy.default_country.as_deref() {
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
    let bad_lines = match src.policy.bad_lines.as_deref() {
        None | Some("fail") => BadLinePolicy::Fail,
        Some("skip") => BadLinePolicy::Skip,
        Some(other) => {
            errors.push(
                PolicyError::new(origin.file, format!("unknown bad_lines \"{other}\""))
                    .rule("[policy]")
                    .key("bad_lines")
                    .hint("use \"fail\" or \"skip\""),
            );
            BadLinePolicy::Fail
        }
    };
    let max_list_bytes = match src.policy.max_list_mb {
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
    let horizon_days = src.policy.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS);
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

    // Rule packs: their rules come first; a policy rule with the same id replaces the pack's.
    let mut pack_sources = Vec::new();
    for inc in std::mem::take(&mut src.policy.include) {
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

    let mut cx = Ctx {
        origin,
        errors,
        rules: Vec::new(),
        ids: HashSet::new(),
        base_dir,
        default_country,
        bad_lines,
        max_list_bytes,
    };

    let mut builder = Builder::default();
    for (name, (pack_text, pack)) in &pack_sources {
        let pack_origin = Origin::new(Path::new(name.as_str()), pack_text, true, name.clone());
        let mut pcx = Ctx {
            origin: &pack_origin,
            errors: Vec::new(),
            rules: std::mem::take(&mut cx.rules),
            ids: std::mem::take(&mut cx.ids),
            base_dir: cx.base_dir.clone(),
            default_country,
            bad_lines,
            max_list_bytes,
        };
        let overridden = src_ids(&src);
        builder.add(&mut pcx, pack, Some(&overridden));
        cx.rules = pcx.rules;
        cx.ids = pcx.ids;
        cx.errors.extend(pcx.errors);
    }
    builder.add(&mut cx, &src, None);

    let live_optout_rule = {
        cx.rules.push(RuleMeta {
            id: "live-optout".into(),
            kind: RuleKind::LiveOptOut,
            source: Some("opt-outs recorded at run time".into()),
            confidence: None,
            origin: "runtime".into(),
        });
        RuleId::from_index(cx.rules.len() - 1).unwrap_or(RuleId::NONE)
    };
    if cx.rules.len() >= MAX_RULES {
        cx.errors.push(
            PolicyError::new(
                origin.file,
                format!(
                    "{} rules: a policy holds at most {} (packs included)",
                    cx.rules.len(),
                    MAX_RULES - 1
                ),
            )
            .hint("split the policy"),
        );
    }

    // Windows name calendars by id; resolve after all calendars are known.
    builder.resolve_calendars(&mut cx);
    builder.resolve_unless_listed(&mut cx);

    let zones = match ZoneTables::numbering(year_start(FIRST_YEAR), year_start(LAST_YEAR + 1)) {
        Ok(z) => Some(z),
        Err(e) => {
            cx.errors.push(PolicyError::new(
                origin.file,
                format!("time-zone data: {e}"),
            ));
            None
        }
    };

    if !cx.errors.is_empty() {
        return Err(PolicyErrors(cx.errors));
    }
    let Some(zones) = zones else {
        return Err(PolicyErrors(cx.errors));
    };
    let retention = builder.retention();
    let version =
        xxhash_rust::xxh3::xxh3_64(origin.text.as_bytes()) ^ now.cast_unsigned().rotate_left(32);
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
    })
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
    let mut ids = HashSet::new();
    ids.extend(src.list.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.calendar.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.window.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.cap.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.cooloff.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.caller_id.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.abandon_limit.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.blackout.iter().map(|r| r.get_ref().id.clone()));
    ids.extend(src.consent_required.iter().map(|r| r.get_ref().id.clone()));
    ids
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

/// Compiles every rule of one table with `Builder::$method`, skipping overridden ids.
macro_rules! each {
    ($self:ident, $cx:ident, $table:expr, $skipped:ident, $method:ident) => {
        for r in &$table {
            let (line, rule) = ($cx.origin.line_of(r), r.get_ref());
            if !$skipped(&rule.id) {
                $self.$method($cx, line, rule);
            }
        }
    };
}

#[derive(Default)]
struct Builder {
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
        let skipped = |id: &str| skip.is_some_and(|s| s.contains(id));
        each!(self, cx, src.calendar, skipped, calendar);
        each!(self, cx, src.list, skipped, list);
        for r in &src.consent {
            let (line, c) = (cx.origin.line_of(r), r.get_ref());
            let path = cx.path(&c.path);
            let loaded = ConsentIndex::read_csv_limited(
                &path,
                &cx.parse_number(),
                cx.bad_lines,
                cx.max_list_bytes,
            );
            match loaded {
                Ok((idx, _skipped)) => self.consents.extend(idx.into_records()),
                Err(e) => cx.err(
                    line,
                    &format!("[[consent]] \"{}\"", c.id),
                    "path",
                    e.to_string(),
                    "a CSV with header number,kind,granted_at,expires_at,campaign",
                ),
            }
        }
        each!(self, cx, src.window, skipped, window);
        each!(self, cx, src.cap, skipped, cap);
        each!(self, cx, src.cooloff, skipped, cooloff);
        each!(self, cx, src.caller_id, skipped, caller_id);
        each!(self, cx, src.abandon_limit, skipped, abandon);
        each!(self, cx, src.blackout, skipped, blackout);
        each!(self, cx, src.consent_required, skipped, consent_required);
    }

    fn consent_required(
        &mut self,
        cx: &mut Ctx<'_>,
        line: Option<usize>,
        c: &ConsentRequiredSource,
    ) {
        let (label, rule, scope) =
            begin!(cx, line, "consent_required", RuleKind::ConsentRequired, c);
        let kinds = consent_kinds(cx, line, &label, &c.kinds);
        self.consent_required.push(ConsentRequiredRule {
            rule,
            scope,
            kinds,
            unless_listed: None,
        });
        if let Some(id) = &c.unless_listed {
            let at = self.consent_required.len() - 1;
            self.unless_listed.push((at, id.clone(), line, label));
        }
    }

    fn calendar(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CalendarSource) {
        let label = format!("[[calendar]] \"{}\"", c.id);
        cx.add_rule(
            line,
            "calendar",
            &c.id,
            RuleKind::Calendar,
            c.source.as_ref(),
            None,
        );
        let mut spec = HolidaySpec::default();
        for f in &c.fixed {
            match MonthDay::parse(f) {
                Ok(md) => spec.fixed.push(md),
                Err(e) => cx.err(
                    line,
                    &label,
                    "fixed",
                    format!("bad date \"{f}\": {e}"),
                    "write MM-DD, e.g. \"12-25\"",
                ),
            }
        }
        spec.easter = c.easter.clone();
        for n in &c.nth_weekday {
            match Weekday::from_name(&n.weekday).ok() {
                Some(wd)
                    if (1..=12).contains(&n.month) && (n.n == -1 || (1..=5).contains(&n.n)) =>
                {
                    spec.nth_weekday.push(NthWeekday {
                        month: n.month,
                        weekday: wd,
                        n: n.n,
                    })
                }
                Some(_) => cx.err(
                    line,
                    &label,
                    "nth_weekday",
                    format!("month {} / n {} out of range", n.month, n.n),
                    "month 1-12, n 1-5 or -1 for the last",
                ),
                None => cx.err(
                    line,
                    &label,
                    "nth_weekday",
                    format!("unknown weekday \"{}\"", n.weekday),
                    "mon tue wed thu fri sat sun",
                ),
            }
        }
        for (key, from, to) in [
            ("dated", &c.dated, &mut spec.dated),
            ("removed", &c.removed, &mut spec.removed),
        ] {
            for d in from {
                match MonthDay::parse(&d.date) {
                    Ok(md) => to.push(DatedHoliday {
                        date: md,
                        from: d.from,
                        until: d.until,
                    }),
                    Err(e) => cx.err(
                        line,
                        &label,
                        key,
                        format!("bad date \"{}\": {e}", d.date),
                        "write MM-DD, e.g. \"10-04\"",
                    ),
                }
            }
        }
        for d in &c.dates {
            match Date::parse(d) {
                Ok(date) => spec.dates.push(date),
                Err(e) => cx.err(
                    line,
                    &label,
                    "dates",
                    format!("bad date \"{d}\": {e}"),
                    "write YYYY-MM-DD",
                ),
            }
        }
        spec.observed = match c.observed.as_deref().map(Observed::from_name) {
            None => Observed::None,
            Some(Ok(o)) => o,
            Some(Err(_)) => {
                let o = c.observed.as_deref().unwrap_or_default();
                cx.err(
                    line,
                    &label,
                    "observed",
                    format!("unknown observed rule \"{o}\""),
                    "use \"none\", \"sat_to_fri_sun_to_mon\" or \"sun_to_mon\"",
                );
                Observed::None
            }
        };
        match HolidayCalendar::build(&spec, FIRST_YEAR, LAST_YEAR) {
            Ok(cal) => self.calendars.push((c.id.clone(), cal)),
            Err(e) => cx.err(line, &label, "", e.to_string(), ""),
        }
    }

    fn list(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, l: &ListSource) {
        let label = format!("[[list]] \"{}\"", l.id);
        let kind = match l.kind.as_str() {
            "registry" => ListKind::Registry,
            "optout" => ListKind::OptOut,
            "suppression" => ListKind::Suppression,
            "directory" => ListKind::Directory,
            other => {
                cx.err(
                    line,
                    &label,
                    "kind",
                    format!("unknown list kind \"{other}\""),
                    "use registry | optout | suppression | directory",
                );
                ListKind::Suppression
            }
        };
        let rule_kind = match kind {
            ListKind::Registry => RuleKind::Registry,
            ListKind::OptOut => RuleKind::OptOut,
            ListKind::Suppression => RuleKind::Suppression,
            ListKind::Directory => RuleKind::Directory,
        };
        let rule = cx.add_rule(
            line,
            "list",
            &l.id,
            rule_kind,
            l.source.as_ref(),
            l.confidence.as_ref(),
        );
        let scope = scope_of!(cx, line, &label, l);
        let mut prefixes = Vec::new();
        for p in &l.prefixes {
            match lists::parse_prefix(p) {
                Ok(x) => prefixes.push(x),
                Err(e) => cx.err(
                    line,
                    &label,
                    "prefixes",
                    e.to_string(),
                    "write an E.164 prefix such as \"+39899\"",
                ),
            }
        }
        let mut snapshot = l
            .snapshot_date
            .as_deref()
            .and_then(|d| date_day(cx, line, &label, "snapshot_date", d))
            .map(|d| i64::from(d) * DAY);
        let set = match l.path.as_deref() {
            None if l.prefixes.is_empty() => {
                cx.err(
                    line,
                    &label,
                    "path",
                    "a list needs a `path` or `prefixes`",
                    "name a list file (one number a line) or give prefixes",
                );
                NumberSet::from_numbers(Vec::new())
            }
            None => NumberSet::from_numbers(Vec::new()),
            Some(p) => {
                let path = cx.path(p);
                let loaded = lists::load_list_limited(
                    &path,
                    &cx.parse_number(),
                    cx.bad_lines,
                    cx.max_list_bytes,
                );
                match loaded {
                    // A registry copy is never empty: an empty file is one being
                    // rewritten in place (or truncated), and loading it would allow
                    // every number the registry holds.
                    Ok(loaded) if kind == ListKind::Registry && loaded.set.is_empty() => {
                        cx.err(
                            line,
                            &label,
                            "path",
                            format!("{} holds no numbers: a registry copy is never empty", path.display()),
                            "is the file still being copied? write registry files to a temporary name and rename them into place",
                        );
                        loaded.set
                    }
                    Ok(loaded) => {
                        if snapshot.is_none() {
                            snapshot = loaded.snapshot_date.map(|d| i64::from(d) * DAY);
                        }
                        loaded.set
                    }
                    Err(e) => {
                        cx.err(line, &label, "path", e.to_string(), "");
                        NumberSet::from_numbers(Vec::new())
                    }
                }
            }
        };
        let max_age = l.max_age_days.map(|d| i64::from(d) * DAY);
        if max_age.is_some() && snapshot.is_none() {
            cx.err(
                line,
                &label,
                "snapshot_date",
                "max_age_days needs to know when the registry copy was taken",
                "add snapshot_date = \"YYYY-MM-DD\" (a compiled list file carries it)",
            );
        }
        let mut exemptions = Exemptions::default();
        for e in &l.exemptions {
            match Exemptions::NAMES.iter().find(|(n, _)| n == e) {
                Some((_, bit)) => exemptions.0 |= bit,
                None => cx.err(
                    line,
                    &label,
                    "exemptions",
                    format!("unknown exemption \"{e}\""),
                    format!("valid: {}", Exemptions::NAMES.map(|(n, _)| n).join(" | ")),
                ),
            }
        }
        if kind != ListKind::Registry && exemptions.0 != 0 {
            cx.err(
                line,
                &label,
                "exemptions",
                "only a registry can be exempted by consent",
                "an opt-out beats every consent; remove `exemptions`",
            );
        }
        self.lists.push(ListRule {
            rule,
            kind,
            set: Arc::new(set),
            prefixes: PrefixSet::new(&prefixes),
            scope,
            snapshot,
            max_age,
            exemptions,
        });
    }

    fn window(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, w: &WindowSource) {
        let (label, rule, scope) = begin!(cx, line, "window", RuleKind::Window, w);
        let mut days: [Option<(Vec<Span2>, &str)>; 7] = Default::default();
        let groups: [DayGroup<'_>; 11] = [
            ("mon-sun", &w.mon_sun, &[0, 1, 2, 3, 4, 5, 6]),
            ("mon-sat", &w.mon_sat, &[0, 1, 2, 3, 4, 5]),
            ("mon-fri", &w.mon_fri, &[0, 1, 2, 3, 4]),
            ("sat-sun", &w.sat_sun, &[5, 6]),
            ("mon", &w.mon, &[0]),
            ("tue", &w.tue, &[1]),
            ("wed", &w.wed, &[2]),
            ("thu", &w.thu, &[3]),
            ("fri", &w.fri, &[4]),
            ("sat", &w.sat, &[5]),
            ("sun", &w.sun, &[6]),
        ];
        for (key, spans, idx) in groups {
            let Some(spans) = spans else { continue };
            let parsed = spans_of(cx, line, &label, key, spans);
            for &i in idx {
                if let Some((_, prev)) = &days[i] {
                    cx.err(
                        line,
                        &label,
                        key,
                        format!("{} is already given by `{prev}`", WEEKDAYS[i]),
                        "give each day once",
                    );
                } else {
                    days[i] = Some((parsed.clone(), key));
                }
            }
        }
        let days = days.map(|d| d.map(|(v, _)| v).unwrap_or_default());
        let holiday = w
            .holiday
            .as_ref()
            .map(|s| spans_of(cx, line, &label, "holiday", s));
        let pre_holiday = w
            .pre_holiday
            .as_ref()
            .map(|s| spans_of(cx, line, &label, "pre_holiday", s));
        let mut waived_by = 0u8;
        for wb in &w.waived_by {
            match wb.as_str() {
                "consent" => waived_by |= kind_bit(ConsentKind::Consent),
                "outside_hours" => waived_by |= kind_bit(ConsentKind::OutsideHours),
                other => {
                    let hint = match did_you_mean(other, ["consent", "outside_hours"]) {
                        Some(s) => format!("did you mean \"{s}\"? valid: consent | outside_hours"),
                        None => "valid: consent | outside_hours".to_owned(),
                    };
                    cx.err(
                        line,
                        &label,
                        "waived_by",
                        format!("unknown waiver \"{other}\""),
                        hint,
                    )
                }
            }
        }
        let windows = match WeeklyWindows::new(days, holiday, pre_holiday) {
            Ok(w) => w,
            Err(e) => {
                cx.err(
                    line,
                    &label,
                    "",
                    e.to_string(),
                    "windows are half-open HH:MM-HH:MM within 00:00-24:00, not overlapping",
                );
                return;
            }
        };
        if (w.holiday.is_some() || w.pre_holiday.is_some()) && w.calendar.is_none() {
            cx.err(
                line,
                &label,
                "calendar",
                "holiday / pre_holiday windows need a calendar",
                "name a [[calendar]] id in `calendar`",
            );
        }
        let cal = w.calendar.clone().map(|id| CalendarRef { id, line, label });
        self.windows.push((
            WindowRule {
                rule,
                scope,
                windows,
                calendar: None,
                waived_by,
            },
            cal,
        ));
    }

    fn resolve_calendars(&mut self, cx: &mut Ctx<'_>) {
        for (w, cal) in &mut self.windows {
            if let Some(CalendarRef { id, line, label }) = cal.take() {
                match self.calendars.iter().position(|(cid, _)| *cid == id) {
                    Some(i) => w.calendar = Some(i),
                    None => {
                        let hint =
                            match did_you_mean(&id, self.calendars.iter().map(|(c, _)| c.as_str()))
                            {
                                Some(s) => format!("did you mean \"{s}\"?"),
                                None => "define it in a [[calendar]] table".to_owned(),
                            };
                        cx.err(
                            line,
                            &label,
                            "calendar",
                            format!("no calendar \"{id}\""),
                            hint,
                        );
                    }
                }
            }
        }
    }

    fn cap(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CapSource) {
        let (label, rule, scope) = begin!(cx, line, "cap", RuleKind::Cap, c);
        let keys = SpanKeys {
            key: "within",
            days_key: "within_calendar_days",
            missing: "missing span",
            missing_hint: "add within = \"24h\" (rolling) or within_calendar_days = 30",
            bad_hint: "write e.g. \"24h\", \"7d\", \"30d\"",
            forever: false,
        };
        let within = match span_spec(
            cx,
            line,
            &label,
            &keys,
            c.within.as_deref(),
            c.within_calendar_days,
        ) {
            Some(SpanSpec::Elapsed(s)) => Span::Elapsed(s),
            Some(SpanSpec::Days(d)) => Span::CalendarDays(d),
            // `forever: false` never yields Forever; an error was reported for None.
            Some(SpanSpec::Forever) | None => return,
        };
        if c.max == 0 {
            cx.err(
                line,
                &label,
                "max",
                "max = 0 would forbid every call",
                "to forbid calls use a list or a blackout",
            );
        }
        let key = cap_key(cx, line, &label, c.key.as_deref());
        let count = match c.count.as_deref() {
            None | Some("attempts") => CountKind::Attempts,
            Some("connected") => CountKind::Connected,
            Some(o) => {
                cx.err(
                    line,
                    &label,
                    "count",
                    format!("unknown count \"{o}\""),
                    "use attempts | connected",
                );
                CountKind::Attempts
            }
        };
        self.caps.push(CapRuleC {
            rule,
            scope,
            cap: CapRule {
                max: c.max,
                within,
                key,
                count,
            },
        });
    }

    fn cooloff(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CooloffSource) {
        let (label, rule, scope) = begin!(cx, line, "cooloff", RuleKind::Cooloff, c);
        let Ok(after) = Outcome::from_name(&c.after) else {
            cx.err(line, &label, "after", format!("unknown outcome \"{}\"", c.after), "no_answer | busy | answered | abandoned | machine | refused | opt_out | wrong_number");
            return;
        };
        let keys = SpanKeys {
            key: "for",
            days_key: "for_calendar_days",
            missing: "missing duration",
            missing_hint: "add for = \"5d\" (elapsed), for_calendar_days = 7, or for = \"forever\"",
            bad_hint: "write e.g. \"72h\", \"5d\" or \"forever\"",
            forever: true,
        };
        let duration = match span_spec(
            cx,
            line,
            &label,
            &keys,
            c.for_.as_deref(),
            c.for_calendar_days,
        ) {
            Some(SpanSpec::Elapsed(s)) => CoolSpan::Elapsed(s),
            Some(SpanSpec::Days(d)) => CoolSpan::CalendarDays(d),
            Some(SpanSpec::Forever) => CoolSpan::Forever,
            None => return,
        };
        let unless_live_agent = match c.unless.as_deref() {
            None => false,
            Some("live_agent") => true,
            Some(o) => {
                cx.err(
                    line,
                    &label,
                    "unless",
                    format!("unknown condition \"{o}\""),
                    "valid: live_agent",
                );
                false
            }
        };
        let then_live_agent = match c.then.as_deref() {
            None => false,
            Some("live_agent") => true,
            Some(o) => {
                cx.err(
                    line,
                    &label,
                    "then",
                    format!("unknown requirement \"{o}\""),
                    "valid: live_agent",
                );
                false
            }
        };
        if unless_live_agent && then_live_agent {
            cx.err(
                line,
                &label,
                "then",
                "give `unless` or `then`, not both",
                "unless = \"live_agent\" lifts the cool-off at once (UK); then = \"live_agent\" \
                 keeps it and requires an agent afterwards (IT)",
            );
        }
        let key = cap_key(cx, line, &label, c.key.as_deref());
        self.cooloffs.push(CooloffRuleC {
            rule,
            scope,
            cooloff: CooloffRule {
                after,
                duration,
                unless_live_agent,
                key,
            },
            then_live_agent,
        });
    }

    fn caller_id(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CallerIdSource) {
        let (label, rule, scope) = begin!(cx, line, "caller_id", RuleKind::CallerId, c);
        let mut prefixes = Vec::new();
        for p in &c.allow_prefixes {
            match lists::parse_prefix(p) {
                Ok(x) => prefixes.push(x),
                Err(e) => cx.err(
                    line,
                    &label,
                    "allow_prefixes",
                    e.to_string(),
                    "write an E.164 prefix such as \"+39844\"",
                ),
            }
        }
        let allow = match &c.allow_list {
            None => NumberSet::from_numbers(Vec::new()),
            Some(p) => {
                let path = cx.path(p);
                let loaded = lists::load_list_limited(
                    &path,
                    &cx.parse_number(),
                    cx.bad_lines,
                    cx.max_list_bytes,
                );
                match loaded {
                    Ok(l) => l.set,
                    Err(e) => {
                        cx.err(line, &label, "allow_list", e.to_string(), "");
                        NumberSet::from_numbers(Vec::new())
                    }
                }
            }
        };
        if prefixes.is_empty() && c.allow_list.is_none() {
            cx.err(
                line,
                &label,
                "allow_prefixes",
                "nothing is allowed",
                "give allow_prefixes and/or allow_list",
            );
        }
        self.caller_ids.push(CallerIdRule {
            rule,
            scope,
            prefixes: PrefixSet::new(&prefixes),
            allow: Arc::new(allow),
        });
    }

    fn abandon(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, a: &AbandonLimitSource) {
        let (label, rule, scope) = begin!(cx, line, "abandon_limit", RuleKind::AbandonLimit, a);
        if !(a.max_rate > 0.0 && a.max_rate < 1.0) {
            cx.err(
                line,
                &label,
                "max_rate",
                format!("max_rate = {} is not a rate", a.max_rate),
                "a fraction between 0 and 1, e.g. 0.03 for 3%",
            );
        }
        let within = parse_duration(&a.within).unwrap_or_else(|e| {
            cx.err(
                line,
                &label,
                "within",
                format!("bad duration \"{}\": {e}", a.within),
                "write e.g. \"24h\" or \"30d\"",
            );
            DAY
        });
        let predictive_only = match a.blocks.as_deref() {
            None | Some("predictive") => true,
            Some("all") => false,
            Some(o) => {
                cx.err(
                    line,
                    &label,
                    "blocks",
                    format!("unknown value \"{o}\""),
                    "use predictive | all",
                );
                true
            }
        };
        self.abandon_limits.push(AbandonRule {
            rule,
            scope,
            max_rate: a.max_rate,
            within,
            min_answered: a.min_answered.unwrap_or(0),
            predictive_only,
        });
    }

    fn blackout(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, b: &BlackoutSource) {
        let (label, rule, scope) = begin!(cx, line, "blackout", RuleKind::Blackout, b);
        let hint = "an RFC 3339 instant such as \"2026-08-28T00:00:00-05:00\"";
        let from = parse_instant(&b.from).unwrap_or_else(|e| {
            cx.err(
                line,
                &label,
                "from",
                format!("bad instant \"{}\": {e}", b.from),
                hint,
            );
            0
        });
        let until = b.until.as_deref().and_then(|u| match parse_instant(u) {
            Ok(t) => Some(t),
            Err(e) => {
                cx.err(
                    line,
                    &label,
                    "until",
                    format!("bad instant \"{u}\": {e}"),
                    hint,
                );
                None
            }
        });
        if until.is_some_and(|u| u <= from) {
            cx.err(
                line,
                &label,
                "until",
                "until is not after from",
                "swap the instants",
            );
        }
        self.blackouts.push(BlackoutRule {
            rule,
            scope,
            from,
            until,
            suspend_exemptions: b.suspend_exemptions,
        });
    }
}

/// A look-back or cool-off written as an elapsed duration or as whole local days.
enum SpanSpec {
    Elapsed(i64),
    Days(u32),
    Forever,
}

/// The keys and messages of one rule table's span (caps: `within`, cool-offs: `for`).
struct SpanKeys {
    key: &'static str,
    days_key: &'static str,
    missing: &'static str,
    missing_hint: &'static str,
    bad_hint: &'static str,
    /// Whether `"forever"` is a valid duration.
    forever: bool,
}

/// The longest span a cap or cool-off may give (100 years): longer values are refused, so
/// no day count or duration can overflow into a rule that never applies.
const MAX_SPAN_DAYS: i64 = 36_525;

/// Reads a span given as `key = "30d"` or `days_key = 30` (exactly one of them);
/// reports what is wrong and returns `None` otherwise.
fn span_spec(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    keys: &SpanKeys,
    duration: Option<&str>,
    days: Option<u32>,
) -> Option<SpanSpec> {
    match (duration, days) {
        (Some("forever"), None) if keys.forever => Some(SpanSpec::Forever),
        (Some(d), None) => match parse_duration(d) {
            Ok(s) if s > MAX_SPAN_DAYS * DAY => {
                let hint = if keys.forever {
                    "write \"forever\" for a cool-off that never ends"
                } else {
                    "a cap looks back at most 100 years (36525d)"
                };
                cx.err(
                    line,
                    label,
                    keys.key,
                    format!("duration \"{d}\" is longer than 100 years"),
                    hint,
                );
                None
            }
            Ok(s) => Some(SpanSpec::Elapsed(s)),
            Err(e) => {
                cx.err(
                    line,
                    label,
                    keys.key,
                    format!("bad duration \"{d}\": {e}"),
                    keys.bad_hint,
                );
                None
            }
        },
        (None, Some(n)) if n > 0 && i64::from(n) <= MAX_SPAN_DAYS => Some(SpanSpec::Days(n)),
        (None, Some(0)) => {
            cx.err(line, label, keys.days_key, "must be at least 1", "");
            None
        }
        (None, Some(n)) => {
            let hint = if keys.forever {
                "at most 36525 (100 years); write for = \"forever\" for a cool-off that never ends"
            } else {
                "at most 36525 (100 years)"
            };
            cx.err(
                line,
                label,
                keys.days_key,
                format!("{n} days is out of range"),
                hint,
            );
            None
        }
        (Some(_), Some(_)) => {
            let msg = format!("give `{}` or `{}`, not both", keys.key, keys.days_key);
            cx.err(line, label, keys.key, msg, "");
            None
        }
        (None, None) => {
            cx.err(line, label, keys.key, keys.missing, keys.missing_hint);
            None
        }
    }
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn spans_of(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    key: &str,
    spans: &[String],
) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for s in spans {
        match WeeklyWindows::parse_span(s) {
            Ok(x) => out.push(x),
            Err(e) => cx.err(line, label, key, format!("bad window \"{s}\": {e}"), ""),
        }
    }
    out
}

fn cap_key(cx: &mut Ctx<'_>, line: Option<usize>, label: &str, key: Option<&str>) -> CapKey {
    match key {
        None | Some("number") => CapKey::Number,
        Some("number+campaign") => CapKey::NumberCampaign,
        Some("number+subject") => CapKey::NumberSubject,
        Some(o) => {
            cx.err(
                line,
                label,
                "key",
                format!("unknown key \"{o}\""),
                "use number | number+campaign | number+subject",
            );
            CapKey::Number
        }
    }
}

fn consent_kinds(cx: &mut Ctx<'_>, line: Option<usize>, label: &str, kinds: &[String]) -> u8 {
    if kinds.is_empty() {
        return kind_bit(ConsentKind::Consent)
            | kind_bit(ConsentKind::Contract)
            | kind_bit(ConsentKind::Ebr);
    }
    let mut bits = 0;
    for k in kinds {
        match k.as_str() {
            "consent" => bits |= kind_bit(ConsentKind::Consent),
            "contract" => bits |= kind_bit(ConsentKind::Contract),
            "ebr" => bits |= kind_bit(ConsentKind::Ebr),
            "outside_hours" => cx.err(
                line,
                label,
                "kinds",
                "an outside_hours consent only lifts calling hours",
                "use consent | contract | ebr; name outside_hours in a window's waived_by",
            ),
            o => cx.err(
                line,
                label,
                "kinds",
                format!("unknown consent kind \"{o}\""),
                "use consent | contract | ebr",
            ),
        }
    }
    bits
}

pub(crate) const fn kind_bit(k: ConsentKind) -> u8 {
    match k {
        ConsentKind::Consent => 1,
        ConsentKind::Contract => 2,
        ConsentKind::Ebr => 4,
        ConsentKind::OutsideHours => 8,
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
