//! What the log holds about one number: every record ([`records_for`], for a subject
//! access request) and, for a complaint, the contacts before it with the decisions that
//! allowed them ([`complaint_evidence`]).

use std::path::Path;

use serde::Serialize;

use super::read::{Entry, VerifyError, entries_for};

/// One call placed to the number: the reservation that allowed it and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contact {
    pub at: Option<String>,
    pub campaign: Option<String>,
    pub caller_id: Option<String>,
    pub attempt: Option<u64>,
    pub outcome: Option<String>,
    /// The `reserve` record that allowed the call; `None` when the log has an outcome
    /// but no reservation for it (a call placed without asking: a finding in itself).
    pub decision: Option<Entry>,
}

/// The evidence for a complaint about one number.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComplaintEvidence {
    /// Calls placed (reservations and outcomes), oldest first.
    pub contacts: Vec<Contact>,
    /// Every check made about the number in the period (including denials).
    pub checks: Vec<Entry>,
    /// Complaints and opt-outs already on the log for the number.
    pub complaints: Vec<Entry>,
}

/// Every record of the number (E.164 digits) in the log in `dir`, oldest first; found
/// through its pseudonym when the log is pseudonymized (the key beside the log).
pub fn records_for(dir: &Path, number: u64) -> Result<Vec<Entry>, VerifyError> {
    entries_for(dir, number, None, None)
}

/// The evidence for a complaint about `number` (E.164 digits): the contacts from `since`
/// (Unix seconds) on, with the decisions that allowed them.
pub fn complaint_evidence(
    dir: &Path,
    number: u64,
    since: i64,
) -> Result<ComplaintEvidence, VerifyError> {
    evidence_between(dir, number, since, None)
}

/// As [`complaint_evidence`], up to `until` (exclusive) when given.
pub(crate) fn evidence_between(
    dir: &Path,
    number: u64,
    since: i64,
    until: Option<i64>,
) -> Result<ComplaintEvidence, VerifyError> {
    let from = since.saturating_sub(OUTCOME_LAG);
    Ok(evidence_since(
        entries_for(dir, number, Some(from), until)?,
        since,
    ))
}

/// How long after its reservation an outcome may be logged: evidence reads this much
/// earlier, so an outcome in the period finds its reservation even just before it.
pub(crate) const OUTCOME_LAG: i64 = 86_400;

/// [`evidence_of`], keeping what happened from `since` on (a contact counts from its
/// reservation's instant).
pub(crate) fn evidence_since(entries: Vec<Entry>, since: i64) -> ComplaintEvidence {
    let mut ev = evidence_of(entries);
    let at = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| t.as_second() >= since)
    };
    ev.contacts.retain(|c| at(&c.at));
    ev.checks.retain(|e| at(&e.at));
    ev.complaints.retain(|e| at(&e.at));
    ev
}

/// Groups one number's records into contacts, checks and complaints.
pub(crate) fn evidence_of(entries: Vec<Entry>) -> ComplaintEvidence {
    let mut ev = ComplaintEvidence::default();
    for e in entries {
        match e.kind.as_str() {
            "reserve" if e.verdict.as_deref() == Some("allow") => ev.contacts.push(Contact {
                at: e.at.clone(),
                campaign: e.campaign.clone(),
                caller_id: e.caller_id.clone(),
                attempt: e.attempt,
                outcome: None,
                decision: Some(e),
            }),
            "reserve" | "check" => ev.checks.push(e),
            "outcome" => {
                let placed = e.attempt.and_then(|a| {
                    ev.contacts
                        .iter_mut()
                        .rev()
                        .find(|c| c.attempt == Some(a) && c.outcome.is_none())
                });
                match placed {
                    Some(c) => c.outcome = e.outcome,
                    None => ev.contacts.push(Contact {
                        at: e.at,
                        campaign: e.campaign,
                        caller_id: e.caller_id,
                        attempt: e.attempt,
                        outcome: e.outcome,
                        decision: None,
                    }),
                }
            }
            "complaint" | "opt_out" => ev.complaints.push(e),
            _ => {}
        }
    }
    ev
}
