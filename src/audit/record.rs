//! What one log record holds ([`DecisionRecord`]), built on the hot path without any
//! formatting, and how the writer turns it into a JSON line.

use std::sync::Arc;

use serde::Serialize;

use super::pseudonym::Pseudonymizer;
use crate::decision::{Constraints, Reason, Verdict};
use crate::history::Outcome;
use crate::number::Number;
use crate::policy::{Mode, Purpose};

/// Which event a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A check (nothing reserved).
    Check,
    /// A check that reserved an attempt (the dialer will place the call on allow).
    Reserve,
    /// The outcome of a placed attempt.
    Outcome,
    /// A run-time opt-out.
    OptOut,
    /// A citizen's complaint (the number is opted out with it).
    Complaint,
}

impl RecordKind {
    /// The `kind` written in the log.
    pub const fn name(self) -> &'static str {
        match self {
            RecordKind::Check => "check",
            RecordKind::Reserve => "reserve",
            RecordKind::Outcome => "outcome",
            RecordKind::OptOut => "opt_out",
            RecordKind::Complaint => "complaint",
        }
    }
}

/// The snapshot date of one list consulted (days since 1970-01-01, as the lists keep it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListAge {
    pub list: Box<str>,
    pub snapshot: Option<i32>,
}

/// What a complaint says (the evidence is read from the log: [`super::complaint_evidence`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// phone, email, web, letter or app.
    pub channel: Box<str>,
    pub text: Option<Box<str>>,
}

/// One event to log. Cheap to build: the strings are the caller's small tags, the policy
/// hash and list ages are shared per snapshot (`Arc`), and nothing is formatted until the
/// writer thread has it. The number is kept in clear here; the writer replaces it with
/// its keyed pseudonym when the log is pseudonymized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionRecord {
    pub kind: RecordKind,
    /// The instant of the decision or event (Unix seconds).
    pub at: i64,
    /// The callee, `None` when the input was not a number.
    pub number: Option<Number>,
    pub campaign: Option<Box<str>>,
    pub subject: Option<Box<str>>,
    pub caller_id: Option<Number>,
    pub mode: Mode,
    pub purpose: Purpose,
    /// `None` for outcomes, opt-outs and complaints.
    pub verdict: Option<Verdict>,
    pub reason: Option<Reason>,
    /// The deciding rule's id from the policy or pack.
    pub rule: Option<Arc<str>>,
    /// For defer: the earliest lawful instant (Unix seconds).
    pub until: Option<i64>,
    pub constraints: Constraints,
    /// The snapshot's version (changes with every compile).
    pub policy_version: u64,
    /// A hash of the policy source, hex (shared per snapshot).
    pub policy_hash: Option<Arc<str>>,
    /// Every list consulted and its snapshot date (shared per snapshot).
    pub lists: Arc<[ListAge]>,
    /// The reservation's attempt id (reserve, outcome).
    pub attempt: Option<u64>,
    pub outcome: Option<Outcome>,
    pub complaint: Option<Box<Complaint>>,
}

impl DecisionRecord {
    /// A record of `kind` at `at` with every other field empty.
    pub fn new(kind: RecordKind, at: i64) -> DecisionRecord {
        DecisionRecord {
            kind,
            at,
            number: None,
            campaign: None,
            subject: None,
            caller_id: None,
            mode: Mode::default(),
            purpose: Purpose::default(),
            verdict: None,
            reason: None,
            rule: None,
            until: None,
            constraints: Constraints::NONE,
            policy_version: 0,
            policy_hash: None,
            lists: Arc::from(Vec::new()),
            attempt: None,
            outcome: None,
            complaint: None,
        }
    }
}

/// RFC 3339 UTC, seconds; out-of-range instants are written as their number.
pub(crate) fn rfc3339(t: i64) -> String {
    // Years 1000-9999 by hand (the writer formats one or two per record); others by jiff.
    const FROM: i64 = -30_610_224_000; // 1000-01-01T00:00:00Z
    const TO: i64 = 253_402_207_200; // where jiff ends (9999-12-30T22:00:00Z)
    if !(FROM..TO).contains(&t) {
        return jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string());
    }
    let mut s = ymd(day_number(t));
    let secs = t.rem_euclid(86_400);
    for (i, v) in [secs / 3600, secs / 60 % 60, secs % 60]
        .into_iter()
        .enumerate()
    {
        s.push(if i == 0 { 'T' } else { ':' });
        // v < 60: two digits.
        s.push(char::from(b'0' + u8::try_from(v / 10).unwrap_or(0)));
        s.push(char::from(b'0' + u8::try_from(v % 10).unwrap_or(0)));
    }
    s.push('Z');
    s
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub(crate) fn ymd(days: i32) -> String {
    crate::calendar::Date::from_days(days).to_string()
}

/// The UTC day number of an instant (clamped to the days a date can show).
pub(crate) fn day_number(t: i64) -> i32 {
    let d = t.div_euclid(86_400).clamp(-800_000, 3_000_000);
    i32::try_from(d).unwrap_or(0)
}

fn e164(n: Number) -> String {
    format!("+{}", n.get())
}

#[derive(Serialize)]
struct ListOut<'a> {
    list: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<String>,
}

#[derive(Serialize)]
struct ComplaintOut<'a> {
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// The JSON form of a record, without `prev` and `h` (added by the chain).
#[derive(Serialize)]
pub(crate) struct RecordOut<'a> {
    seq: u64,
    kind: &'static str,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_hmac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller_id: Option<String>,
    mode: &'static str,
    purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    constraints: Vec<&'static str>,
    policy_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lists: Vec<ListOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complaint: Option<ComplaintOut<'a>>,
    /// Records dropped so far (queue full under `when_full = "drop"`), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped: Option<u64>,
}

impl<'a> RecordOut<'a> {
    /// `pseudonym` maps a number to its keyed hash when the log is pseudonymized.
    pub(crate) fn new(
        r: &'a DecisionRecord,
        seq: u64,
        dropped: u64,
        pseudonym: Option<&Pseudonymizer>,
    ) -> RecordOut<'a> {
        let (number, number_hmac) = match (r.number, pseudonym) {
            (Some(n), Some(p)) => (None, Some(p.pseudonym(n.get()))),
            (Some(n), None) => (Some(e164(n)), None),
            (None, _) => (None, None),
        };
        RecordOut {
            seq,
            kind: r.kind.name(),
            at: rfc3339(r.at),
            number,
            number_hmac,
            campaign: r.campaign.as_deref(),
            subject: r.subject.as_deref(),
            caller_id: r.caller_id.map(e164),
            mode: r.mode.name(),
            purpose: r.purpose.name(),
            verdict: r.verdict.map(Verdict::name),
            reason: r.reason.map(Reason::name),
            rule: r.rule.as_deref(),
            until: r.until.map(rfc3339),
            constraints: r.constraints.names().collect(),
            policy_version: format!("{:016x}", r.policy_version),
            policy_hash: r.policy_hash.as_deref(),
            lists: r
                .lists
                .iter()
                .map(|l| ListOut {
                    list: &l.list,
                    snapshot: l.snapshot.map(ymd),
                })
                .collect(),
            attempt: r.attempt,
            outcome: r.outcome.map(Outcome::name),
            complaint: r.complaint.as_deref().map(|c| ComplaintOut {
                channel: &c.channel,
                text: c.text.as_deref(),
            }),
            dropped: (dropped > 0).then_some(dropped),
        }
    }
}
