//! `dialguard rules [PACK]`: the built-in rule packs, or one pack's rules as a table
//! (id, table, applies_to, values with their filters, confidence, source).

use std::io::{self, Write};

use dialguard::policy::source::{
    AbandonLimitSource, BlackoutSource, CalendarSource, CallerIdSource, CapSource,
    ConsentRequiredSource, CooloffSource, ListSource, PolicySource, WindowSource,
};
use dialguard::policy::{self, Mode, Purpose};

use crate::Fail;

pub(crate) fn rules(pack: Option<&str>) -> Result<(), Fail> {
    let Some(name) = pack else {
        for name in policy::packs::names() {
            println!("{name}");
        }
        return Ok(());
    };
    let name = if name.starts_with("builtin:") {
        name.to_owned()
    } else {
        format!("builtin:{name}")
    };
    let text = policy::packs::text(&name).ok_or_else(|| {
        Fail(format!(
            "no rule pack {name:?}; available: {}",
            policy::packs::names().join(", ")
        ))
    })?;
    let src: PolicySource =
        toml::from_str(text).map_err(|e| Fail(format!("rule pack {name} is broken: {e}")))?;
    let mut rows =
        vec![["ID", "TABLE", "APPLIES_TO", "VALUES", "CONF", "SOURCE"].map(String::from)];
    rows.extend(pack_rule_rows(&src));
    print_table(&rows)
}

/// Columns padded to their widest cell; the last (the source) is left unpadded.
fn print_table(rows: &[[String; 6]]) -> Result<(), Fail> {
    let mut widths = [0usize; 5];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = io::stdout().lock();
    for row in rows {
        let mut line = String::new();
        for (w, cell) in widths.iter().zip(row) {
            line.push_str(&format!("{cell:<w$}  "));
        }
        line.push_str(&row[5]);
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn list<T: AsRef<str>>(v: &[T]) -> String {
    v.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(",")
}

/// The filters a rule may carry (purpose, mode, campaigns, validity), as `; key value`.
struct Filters<'a> {
    purpose: &'a Option<Vec<policy::source::Word<Purpose>>>,
    mode: &'a Option<Vec<policy::source::Word<Mode>>>,
    campaigns: &'a Option<Vec<String>>,
    valid_from: &'a Option<String>,
    valid_until: &'a Option<String>,
}

impl Filters<'_> {
    fn words(&self) -> String {
        let mut f = String::new();
        if let Some(v) = self.purpose {
            f.push_str(&format!("; purpose {}", list(v)));
        }
        if let Some(v) = self.mode {
            f.push_str(&format!("; mode {}", list(v)));
        }
        if let Some(v) = self.campaigns {
            f.push_str(&format!("; campaigns {}", list(v)));
        }
        if let Some(d) = self.valid_from {
            f.push_str(&format!("; from {d}"));
        }
        if let Some(d) = self.valid_until {
            f.push_str(&format!("; until {d}"));
        }
        f
    }
}

/// One row: the rule's common columns around its table-specific values.
macro_rules! row {
    ($table:literal, $r:expr, $values:expr) => {{
        let r = $r;
        let filters = Filters {
            purpose: &r.purpose,
            mode: &r.mode,
            campaigns: &r.campaigns,
            valid_from: &r.valid_from,
            valid_until: &r.valid_until,
        };
        [
            r.id.clone(),
            $table.to_string(),
            r.applies_to.as_deref().map_or_else(|| "*".into(), list),
            format!("{}{}", $values, filters.words()),
            r.confidence.clone().unwrap_or_else(|| "-".into()),
            r.source.clone().unwrap_or_default(),
        ]
    }};
}

/// One row per rule of a pack, table by table in the order a policy lists them.
fn pack_rule_rows(src: &PolicySource) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    rows.extend(src.calendar.iter().map(|c| calendar_row(c.get_ref())));
    rows.extend(
        src.window
            .iter()
            .map(|w| row!("window", w.get_ref(), window_values(w.get_ref()))),
    );
    rows.extend(
        src.cap
            .iter()
            .map(|c| row!("cap", c.get_ref(), cap_values(c.get_ref()))),
    );
    rows.extend(
        src.cooloff
            .iter()
            .map(|c| row!("cooloff", c.get_ref(), cooloff_values(c.get_ref()))),
    );
    rows.extend(
        src.caller_id
            .iter()
            .map(|c| row!("caller_id", c.get_ref(), caller_id_values(c.get_ref()))),
    );
    rows.extend(
        src.abandon_limit
            .iter()
            .map(|a| row!("abandon_limit", a.get_ref(), abandon_values(a.get_ref()))),
    );
    rows.extend(
        src.blackout
            .iter()
            .map(|b| row!("blackout", b.get_ref(), blackout_values(b.get_ref()))),
    );
    rows.extend(
        src.consent_required
            .iter()
            .map(|c| row!("consent_required", c.get_ref(), consent_values(c.get_ref()))),
    );
    rows.extend(
        src.list
            .iter()
            .map(|l| row!("list", l.get_ref(), list_values(l.get_ref()))),
    );
    rows
}

fn calendar_row(c: &CalendarSource) -> [String; 6] {
    let mut v = Vec::new();
    if !c.fixed.is_empty() {
        v.push(format!("fixed {}", list(&c.fixed)));
    }
    if !c.easter.is_empty() {
        let e: Vec<String> = c.easter.iter().map(|d| format!("{d:+}")).collect();
        v.push(format!("easter {}", e.join(",")));
    }
    if !c.nth_weekday.is_empty() {
        const MONTHS: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let n: Vec<String> = c
            .nth_weekday
            .iter()
            .map(|n| {
                let month = MONTHS
                    .get(usize::from(n.month).wrapping_sub(1))
                    .unwrap_or(&"?");
                match n.n {
                    -1 => format!("last-{}-{month}", n.weekday),
                    k => format!("{k}-{}-{month}", n.weekday),
                }
            })
            .collect();
        v.push(format!("nth_weekday {}", n.join(",")));
    }
    for (key, dated) in [("dated", &c.dated), ("removed", &c.removed)] {
        for d in dated {
            let mut s = format!("{key} {}", d.date);
            if let Some(y) = d.from {
                s.push_str(&format!(" from {y}"));
            }
            if let Some(y) = d.until {
                s.push_str(&format!(" until {y}"));
            }
            v.push(s);
        }
    }
    if !c.dates.is_empty() {
        v.push(format!("dates {}", list(&c.dates)));
    }
    if let Some(o) = &c.observed {
        v.push(format!("observed {o}"));
    }
    [
        c.id.clone(),
        "calendar".into(),
        "-".into(),
        v.join("; "),
        "-".into(),
        c.source.clone().unwrap_or_default(),
    ]
}

fn window_values(w: &WindowSource) -> String {
    let spans = |v: &[String]| {
        if v.is_empty() {
            "closed".to_owned()
        } else {
            v.join(",")
        }
    };
    let days = [
        ("mon-sun", &w.mon_sun),
        ("mon-sat", &w.mon_sat),
        ("mon-fri", &w.mon_fri),
        ("sat-sun", &w.sat_sun),
        ("mon", &w.mon),
        ("tue", &w.tue),
        ("wed", &w.wed),
        ("thu", &w.thu),
        ("fri", &w.fri),
        ("sat", &w.sat),
        ("sun", &w.sun),
        ("holiday", &w.holiday),
        ("pre_holiday", &w.pre_holiday),
    ];
    let mut v: Vec<String> = days
        .into_iter()
        .filter_map(|(key, s)| s.as_ref().map(|s| format!("{key} {}", spans(s))))
        .collect();
    if let Some(c) = &w.calendar {
        v.push(format!("calendar {c}"));
    }
    if !w.waived_by.is_empty() {
        v.push(format!("waived_by {}", list(&w.waived_by)));
    }
    v.join("; ")
}

fn cap_values(c: &CapSource) -> String {
    let span = match (&c.within, c.within_calendar_days) {
        (Some(w), _) => w.clone(),
        (None, Some(d)) => format!("{d} calendar days"),
        (None, None) => "?".into(),
    };
    format!(
        "max {} within {span}; key {}; count {}",
        c.max,
        c.key.as_deref().unwrap_or("number"),
        c.count.as_deref().unwrap_or("attempts")
    )
}

fn cooloff_values(c: &CooloffSource) -> String {
    let span = match (&c.for_, c.for_calendar_days) {
        (Some(f), _) => f.clone(),
        (None, Some(d)) => format!("{d} calendar days"),
        (None, None) => "?".into(),
    };
    let mut v = format!(
        "after {} for {span}; key {}",
        c.after,
        c.key.as_deref().unwrap_or("number")
    );
    if let Some(u) = &c.unless {
        v.push_str(&format!("; unless {u}"));
    }
    if let Some(t) = &c.then {
        v.push_str(&format!("; then {t}"));
    }
    v
}

fn caller_id_values(c: &CallerIdSource) -> String {
    let mut v = format!("allow_prefixes {}", list(&c.allow_prefixes));
    if let Some(l) = &c.allow_list {
        v.push_str(&format!("; allow_list {l}"));
    }
    v
}

fn abandon_values(a: &AbandonLimitSource) -> String {
    format!(
        "max_rate {} within {}; min_answered {}; blocks {}",
        a.max_rate,
        a.within,
        a.min_answered.unwrap_or(0),
        a.blocks.as_deref().unwrap_or("predictive")
    )
}

fn blackout_values(b: &BlackoutSource) -> String {
    format!(
        "from {} until {}; suspend_exemptions {}",
        b.from,
        b.until.as_deref().unwrap_or("-"),
        b.suspend_exemptions
    )
}

fn consent_values(c: &ConsentRequiredSource) -> String {
    let kinds = if c.kinds.is_empty() {
        "consent,contract,ebr".to_owned()
    } else {
        list(&c.kinds)
    };
    let mut v = format!("kinds {kinds}");
    if let Some(l) = &c.unless_listed {
        v.push_str(&format!("; unless_listed {l}"));
    }
    v
}

fn list_values(l: &ListSource) -> String {
    let mut v = format!("kind {}", l.kind);
    if let Some(d) = l.max_age_days {
        v.push_str(&format!("; max_age_days {d}"));
    }
    if !l.exemptions.is_empty() {
        v.push_str(&format!("; exemptions {}", list(&l.exemptions)));
    }
    v
}
