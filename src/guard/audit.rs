//! The guard's side of the decision log (`crate::audit`): one record per check,
//! reservation, outcome, opt-out and complaint, built from the decision and the context
//! and handed to the log's writer thread. A log that has failed cannot prove what the
//! guard did, so the guard then denies (`store_unavailable`) instead of answering
//! without a record.

use crate::audit::{AuditLog, Complaint, DecisionRecord, Logged, RecordKind};
use crate::decision::{Constraints, Decision, RuleId};
use crate::history::{AttemptId, Outcome};
use crate::number::Number;
use crate::policy::Snapshot;

use super::CallContext;

/// One record about `n` (`None`: the input was not a number) in context `ctx`.
pub(super) fn record(
    snap: &Snapshot,
    kind: RecordKind,
    n: Option<Number>,
    ctx: &CallContext<'_>,
) -> DecisionRecord {
    let facts = snap.audit_facts();
    let mut r = DecisionRecord::new(kind, ctx.now.as_second());
    r.number = n;
    r.campaign = ctx.campaign.map(Into::into);
    r.subject = ctx.subject.map(Into::into);
    r.caller_id = ctx.caller_id;
    r.mode = ctx.mode;
    r.purpose = ctx.purpose;
    r.policy_version = snap.version();
    r.policy_hash = Some(facts.hash.clone());
    r.lists = facts.lists.clone();
    r
}

/// The record of a decision (a check or a reservation).
pub(super) fn decision(
    snap: &Snapshot,
    kind: RecordKind,
    n: Option<Number>,
    ctx: &CallContext<'_>,
    d: &Decision,
    attempt: Option<AttemptId>,
) -> DecisionRecord {
    let mut r = record(snap, kind, n, ctx);
    r.verdict = Some(d.verdict());
    r.reason = d.reason();
    r.rule = d
        .rule()
        .filter(|rule| *rule != RuleId::NONE)
        .and_then(|rule| snap.audit_facts().rules.get(rule.index()).cloned());
    r.until = d.until().map(|t| t.as_second());
    r.constraints = match d {
        Decision::Allow { constraints } => *constraints,
        _ => Constraints::NONE,
    };
    r.attempt = attempt.map(|a| a.0);
    r
}

/// The record of an outcome.
pub(super) fn outcome(
    snap: &Snapshot,
    n: Number,
    ctx: &CallContext<'_>,
    outcome: Outcome,
    attempt: AttemptId,
) -> DecisionRecord {
    let mut r = record(snap, RecordKind::Outcome, Some(n), ctx);
    r.outcome = Some(outcome);
    r.attempt = Some(attempt.0);
    r
}

/// The record of a complaint.
pub(super) fn complaint(
    snap: &Snapshot,
    n: Number,
    ctx: &CallContext<'_>,
    channel: &str,
    text: Option<&str>,
) -> DecisionRecord {
    let mut r = record(snap, RecordKind::Complaint, Some(n), ctx);
    r.complaint = Some(Box::new(Complaint {
        channel: channel.into(),
        text: text.map(Into::into),
    }));
    r
}

/// Hands `r` to the log; `Err` with the reason when the log can no longer keep it. A
/// record dropped under `when_full = "drop"` is counted in `metrics` (and in the log).
pub(super) fn write(
    log: &AuditLog,
    r: DecisionRecord,
    metrics: &crate::metrics::Metrics,
) -> Result<(), String> {
    match log.record(r) {
        Logged::Queued | Logged::Synced => Ok(()),
        Logged::Dropped => {
            metrics.add_audit_drops(1);
            Ok(())
        }
        Logged::Lost => Err(log
            .failure()
            .unwrap_or_else(|| "the decision log's writer has stopped".into())),
    }
}
