//! The compliance report over a period of the log: decisions by verdict, reason, rule,
//! campaign and day; calls placed without an allowing decision (must be none); registry
//! age at each call; abandon rate per campaign; complaints with their evidence. JSON,
//! CSV (fields in docs/report.md) or one static HTML page (`html.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::evidence::{Contact, OUTCOME_LAG, evidence_since};
use super::read::{Entry, VerifyError, for_each_entry};
use crate::history::Outcome;

/// How far before a complaint its evidence reaches (days).
pub const EVIDENCE_DAYS: i64 = 90;

/// Output format of [`Report::render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
    Html,
}

/// Decision counts (check and reserve records).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Decisions {
    pub total: u64,
    pub by_verdict: BTreeMap<String, u64>,
    pub by_reason: BTreeMap<String, u64>,
    pub by_rule: BTreeMap<String, u64>,
    pub by_campaign: BTreeMap<String, u64>,
    pub by_day: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
}

/// Calls placed that no allowing decision covers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Violations {
    /// Must be 0.
    pub count: u64,
    /// Each outcome whose attempt was reserved with deny/defer (outside a window, over a
    /// cap, …) or never reserved, with the reservation when there is one.
    pub calls: Vec<Violation>,
    /// Outcomes logged without an attempt id: they cannot be matched to a decision.
    pub outcomes_without_attempt: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    pub outcome: Entry,
    pub reservation: Option<Entry>,
}

/// Age of a list's snapshot at the calls placed (allowed reservations).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ListAgeStats {
    pub calls: u64,
    pub max_days: i64,
    pub mean_days: f64,
    /// Calls by age: `0-1`, `2-7`, `8-15`, `16-30`, `>30` days, and `unknown` (no date).
    pub buckets: BTreeMap<String, u64>,
    #[serde(skip)]
    sum: i64,
}

/// Outcomes of one campaign: the abandon rate is abandoned / connected.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Abandon {
    pub outcomes: u64,
    pub connected: u64,
    pub abandoned: u64,
    pub rate: f64,
}

/// One complaint with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComplaintReport {
    /// As the log keeps it: E.164, or the keyed pseudonym.
    pub number: String,
    pub received: Option<String>,
    pub channel: Option<String>,
    pub text: Option<String>,
    pub campaign: Option<String>,
    pub caller_id: Option<String>,
    /// Calls placed in the [`EVIDENCE_DAYS`] before it, with the decisions that allowed them.
    pub contacts: Vec<Contact>,
    /// Checks about the number in that time (denials included).
    pub checks: u64,
}

/// The whole report (the JSON form; CLI.md gives the keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub decisions: Decisions,
    pub violations: Violations,
    pub registry_age: BTreeMap<String, ListAgeStats>,
    pub abandon: BTreeMap<String, Abandon>,
    pub complaints: Vec<ComplaintReport>,
    /// Records the log says it dropped (queue full), up to the end of the period.
    pub dropped: u64,
    pub opt_outs: u64,
}

const NONE: &str = "(none)";

fn bump(m: &mut BTreeMap<String, u64>, k: &str) {
    *m.entry(k.to_owned()).or_default() += 1;
}

/// Day number (days since 1970-01-01) of `YYYY-MM-DD`.
fn day_number(s: &str) -> Option<i64> {
    crate::calendar::Date::parse(s)
        .ok()
        .map(|d| i64::from(d.to_days()))
}

/// Parses a report bound: `YYYY-MM-DD` (a UTC day; `to` then means the end of that day)
/// or an RFC 3339 instant; returns Unix seconds.
pub fn parse_bound(s: &str, end_of_day: bool) -> Result<i64, String> {
    if let Some(day) = day_number(s) {
        return Ok((day + i64::from(end_of_day)) * 86_400);
    }
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| format!("bad date {s:?}: give YYYY-MM-DD (a UTC day) or an RFC 3339 instant"))
}

/// Builds the report over `[from, to)` (Unix seconds) of the log in `dir`.
pub fn report(dir: &Path, from: i64, to: i64) -> Result<Report, VerifyError> {
    let mut b = Builder::default();
    for_each_entry(dir, |e, _| {
        b.add(e, from, to);
        Ok(())
    })?;
    let mut r = b.finish();
    r.from = super::record::rfc3339(from);
    r.to = super::record::rfc3339(to);
    let gathered = std::mem::take(&mut r.complaints);
    r.complaints = complaints(dir, gathered, from, to)?;
    Ok(r)
}

/// Second pass: each complaint's evidence (the complainants' records before it).
fn complaints(
    dir: &Path,
    mut list: Vec<ComplaintReport>,
    from: i64,
    to: i64,
) -> Result<Vec<ComplaintReport>, VerifyError> {
    if list.is_empty() {
        return Ok(list);
    }
    let keys: HashSet<String> = list.iter().map(|c| c.number.clone()).collect();
    let since = from - EVIDENCE_DAYS * 86_400 - OUTCOME_LAG;
    let mut by_key: HashMap<String, Vec<Entry>> = HashMap::new();
    for_each_entry(dir, |e, _| {
        if let Some(k) = e.number_key()
            && keys.contains(k)
            && e.at_secs().is_some_and(|t| t >= since && t < to)
        {
            by_key.entry(k.to_owned()).or_default().push(e);
        }
        Ok(())
    })?;
    for c in &mut list {
        let received = c
            .received
            .as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map_or(to, |t| t.as_second());
        let start = received - EVIDENCE_DAYS * 86_400;
        let before: Vec<Entry> = by_key
            .get(&c.number)
            .map(|v| {
                v.iter()
                    .filter(|e| {
                        e.at_secs()
                            .is_some_and(|t| t >= start - OUTCOME_LAG && t <= received)
                            && e.kind != "complaint"
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let ev = evidence_since(before, start);
        c.checks = u64::try_from(ev.checks.len()).unwrap_or(u64::MAX);
        c.contacts = ev.contacts;
    }
    Ok(list)
}

#[derive(Default)]
struct Builder {
    r: Report,
    allowed: HashSet<u64>,
    refused: HashMap<u64, Entry>,
    /// Outcomes in the period whose reservation was not (yet) seen allowed.
    pending: Vec<Entry>,
}

impl Builder {
    fn add(&mut self, e: Entry, from: i64, to: i64) {
        let at = e.at_secs();
        if let Some(d) = e.dropped
            && at.is_some_and(|t| t < to)
        {
            self.r.dropped = self.r.dropped.max(d);
        }
        // Reservations are remembered over the whole log: a call in the period may have
        // been reserved just before it.
        if e.kind == "reserve"
            && let Some(a) = e.attempt
        {
            if e.verdict.as_deref() == Some("allow") {
                self.allowed.insert(a);
            } else {
                self.refused.insert(a, e.clone());
            }
        }
        if !at.is_some_and(|t| t >= from && t < to) {
            return;
        }
        match e.kind.as_str() {
            "check" | "reserve" => self.decision(&e, at.unwrap_or(0)),
            "outcome" => self.outcome(e),
            "opt_out" => self.r.opt_outs += 1,
            "complaint" => self.r.complaints.push(ComplaintReport {
                number: e.number_key().unwrap_or(NONE).to_owned(),
                received: e.at.clone(),
                channel: e.complaint.as_ref().map(|c| c.channel.clone()),
                text: e.complaint.as_ref().and_then(|c| c.text.clone()),
                campaign: e.campaign.clone(),
                caller_id: e.caller_id.clone(),
                contacts: Vec::new(),
                checks: 0,
            }),
            _ => {}
        }
    }

    fn decision(&mut self, e: &Entry, at: i64) {
        let d = &mut self.r.decisions;
        d.total += 1;
        bump(&mut d.by_kind, &e.kind);
        bump(&mut d.by_verdict, e.verdict.as_deref().unwrap_or(NONE));
        if let Some(r) = &e.reason {
            bump(&mut d.by_reason, r);
        }
        if let Some(r) = &e.rule {
            bump(&mut d.by_rule, r);
        }
        bump(&mut d.by_campaign, e.campaign.as_deref().unwrap_or(NONE));
        bump(
            &mut d.by_day,
            &super::record::ymd(super::record::day_number(at)),
        );
        if e.kind == "reserve" && e.verdict.as_deref() == Some("allow") {
            self.ages(e, at);
        }
    }

    /// Registry age at one placed call, for every list it consulted.
    fn ages(&mut self, e: &Entry, at: i64) {
        let today = at.div_euclid(86_400);
        for l in &e.lists {
            let s = self.r.registry_age.entry(l.list.clone()).or_default();
            s.calls += 1;
            let Some(day) = l.snapshot.as_deref().and_then(day_number) else {
                bump(&mut s.buckets, "unknown");
                continue;
            };
            let age = today - day;
            s.max_days = s.max_days.max(age);
            s.sum += age;
            let bucket = match age {
                ..=1 => "0-1",
                2..=7 => "2-7",
                8..=15 => "8-15",
                16..=30 => "16-30",
                _ => ">30",
            };
            bump(&mut s.buckets, bucket);
        }
    }

    fn outcome(&mut self, e: Entry) {
        let a = self
            .r
            .abandon
            .entry(e.campaign.clone().unwrap_or_else(|| NONE.to_owned()))
            .or_default();
        a.outcomes += 1;
        if let Some(o) = e
            .outcome
            .as_deref()
            .and_then(|o| Outcome::from_name(o).ok())
        {
            a.connected += u64::from(o.is_connected());
            a.abandoned += u64::from(o == Outcome::Abandoned);
        }
        match e.attempt {
            None => self.r.violations.outcomes_without_attempt += 1,
            Some(a) if self.allowed.contains(&a) => {}
            Some(_) => self.pending.push(e),
        }
    }

    fn finish(mut self) -> Report {
        for e in std::mem::take(&mut self.pending) {
            let a = e.attempt.unwrap_or(0);
            if !self.allowed.contains(&a) {
                let reservation = self.refused.get(&a).cloned();
                self.r.violations.calls.push(Violation {
                    outcome: e,
                    reservation,
                });
            }
        }
        self.r.violations.count = u64::try_from(self.r.violations.calls.len()).unwrap_or(u64::MAX);
        for s in self.r.registry_age.values_mut() {
            let dated = s.calls - s.buckets.get("unknown").copied().unwrap_or(0);
            // Precision is irrelevant at these magnitudes (days, call counts).
            #[allow(clippy::cast_precision_loss)]
            if dated > 0 {
                s.mean_days = (s.sum as f64 / dated as f64 * 100.0).round() / 100.0;
            }
        }
        for a in self.r.abandon.values_mut() {
            #[allow(clippy::cast_precision_loss)]
            if a.connected > 0 {
                a.rate = (a.abandoned as f64 / a.connected as f64 * 10_000.0).round() / 10_000.0;
            }
        }
        self.r
    }
}

impl Report {
    /// The report in `format`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Json => {
                let mut s = serde_json::to_string_pretty(self).expect("report serialises");
                s.push('\n');
                s
            }
            ReportFormat::Csv => self.csv(),
            ReportFormat::Html => super::html::page(self),
        }
    }

    /// `section,group,key,value,detail` rows (docs/report.md).
    fn csv(&self) -> String {
        let mut w = CsvOut(String::from("section,group,key,value,detail\r\n"));
        let d = &self.decisions;
        w.row(["period", "", "from", &self.from, ""]);
        w.row(["period", "", "to", &self.to, ""]);
        w.row(["decisions", "", "total", &d.total.to_string(), ""]);
        for (group, m) in [
            ("by_verdict", &d.by_verdict),
            ("by_reason", &d.by_reason),
            ("by_rule", &d.by_rule),
            ("by_campaign", &d.by_campaign),
            ("by_day", &d.by_day),
            ("by_kind", &d.by_kind),
        ] {
            for (k, v) in m {
                w.row(["decisions", group, k, &v.to_string(), ""]);
            }
        }
        let v = &self.violations;
        w.row(["violations", "", "count", &v.count.to_string(), ""]);
        w.row([
            "violations",
            "",
            "outcomes_without_attempt",
            &v.outcomes_without_attempt.to_string(),
            "",
        ]);
        for c in &v.calls {
            let o = &c.outcome;
            let (verdict, reason, rule) = c.reservation.as_ref().map_or((NONE, NONE, NONE), |r| {
                (
                    r.verdict.as_deref().unwrap_or(NONE),
                    r.reason.as_deref().unwrap_or(NONE),
                    r.rule.as_deref().unwrap_or(NONE),
                )
            });
            let detail = format!(
                "attempt={};outcome={};reserved={verdict};reason={reason};rule={rule}",
                o.attempt.map_or_else(String::new, |a| a.to_string()),
                o.outcome.as_deref().unwrap_or(NONE)
            );
            w.row([
                "violation",
                o.number_key().unwrap_or(NONE),
                "call",
                o.at.as_deref().unwrap_or(""),
                &detail,
            ]);
        }
        for (list, s) in &self.registry_age {
            w.row(["registry_age", list, "calls", &s.calls.to_string(), ""]);
            w.row([
                "registry_age",
                list,
                "max_days",
                &s.max_days.to_string(),
                "",
            ]);
            w.row([
                "registry_age",
                list,
                "mean_days",
                &s.mean_days.to_string(),
                "",
            ]);
            for (b, n) in &s.buckets {
                w.row([
                    "registry_age",
                    list,
                    &format!("days {b}"),
                    &n.to_string(),
                    "",
                ]);
            }
        }
        for (campaign, a) in &self.abandon {
            w.row([
                "abandon",
                campaign,
                "connected",
                &a.connected.to_string(),
                "",
            ]);
            w.row([
                "abandon",
                campaign,
                "abandoned",
                &a.abandoned.to_string(),
                "",
            ]);
            w.row(["abandon", campaign, "rate", &a.rate.to_string(), ""]);
        }
        self.complaint_rows(&mut w);
        w.row(["log", "", "dropped", &self.dropped.to_string(), ""]);
        w.row(["log", "", "opt_outs", &self.opt_outs.to_string(), ""]);
        w.0
    }

    fn complaint_rows(&self, w: &mut CsvOut) {
        for c in &self.complaints {
            let detail = format!(
                "channel={};campaign={};caller_id={};checks={};text={}",
                c.channel.as_deref().unwrap_or(""),
                c.campaign.as_deref().unwrap_or(""),
                c.caller_id.as_deref().unwrap_or(""),
                c.checks,
                c.text.as_deref().unwrap_or("")
            );
            w.row([
                "complaint",
                &c.number,
                "received",
                c.received.as_deref().unwrap_or(""),
                &detail,
            ]);
            for k in &c.contacts {
                let decision = k.decision.as_ref().map_or_else(
                    || "none (no reservation in the log)".to_owned(),
                    |d| {
                        format!(
                            "seq {} {} rule={}",
                            d.seq,
                            d.verdict.as_deref().unwrap_or(NONE),
                            d.rule.as_deref().unwrap_or(NONE)
                        )
                    },
                );
                let detail = format!(
                    "campaign={};caller_id={};attempt={};outcome={};decision={decision}",
                    k.campaign.as_deref().unwrap_or(""),
                    k.caller_id.as_deref().unwrap_or(""),
                    k.attempt.map_or_else(String::new, |a| a.to_string()),
                    k.outcome.as_deref().unwrap_or("")
                );
                w.row([
                    "complaint_contact",
                    &c.number,
                    "contact",
                    k.at.as_deref().unwrap_or(""),
                    &detail,
                ]);
            }
        }
    }
}

/// RFC 4180 rows.
struct CsvOut(String);

impl CsvOut {
    fn row<const N: usize>(&mut self, cells: [&str; N]) {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            if c.contains([',', '"', '\n', '\r']) {
                self.0.push('"');
                self.0.push_str(&c.replace('"', "\"\""));
                self.0.push('"');
            } else {
                self.0.push_str(c);
            }
        }
        self.0.push_str("\r\n");
    }
}
