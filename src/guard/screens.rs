//! The hard screens, in the order of the pipeline: the live opt-out overlay, the lists
//! (opt-out, suppression, registries), consent required, caller ID and open-ended
//! blackouts. Each either lets the call through to the next or denies it; none moves the
//! instant (that is the time gates' job, in `gates`).

use std::ops::ControlFlow;

use crate::decision::{Decision, Reason, RuleId};
use crate::lists::{ConsentKind, ConsentRecord, OptOutOverlay};
use crate::policy::{
    BlackoutRule, CallerIdRule, ConsentRequiredRule, Exemptions, ListKind, ListRule,
    consent_in_force,
};

use super::evaluate::Call;
use super::trace::{StepOutcome, Trace, fmt_ts};

/// Every consent kind: any record on file lifts an exemptible blackout.
pub(super) const ANY_KIND: u8 = 7;

/// Runs every screen in order; `Break` carries the deny.
pub(super) fn run<T: Trace>(
    call: &Call<'_>,
    overlay: &OptOutOverlay,
    trace: &mut T,
) -> ControlFlow<Decision> {
    live_opt_out(call, overlay, trace)?;
    for kind in [ListKind::OptOut, ListKind::Suppression, ListKind::Registry] {
        for l in call.snap.lists.iter().filter(|l| l.kind == kind) {
            list(call, l, trace)?;
        }
    }
    for r in &call.snap.consent_required {
        consent_required(call, r, trace)?;
    }
    for r in &call.snap.caller_ids {
        caller_id(call, r, trace)?;
    }
    for b in &call.snap.blackouts {
        open_blackout(call, b, trace)?;
    }
    ControlFlow::Continue(())
}

fn deny(reason: Reason, rule: RuleId) -> ControlFlow<Decision> {
    ControlFlow::Break(Decision::Deny { reason, rule })
}

/// Opt-outs recorded at run time: the newest wishes, checked before any list.
fn live_opt_out<T: Trace>(
    call: &Call<'_>,
    overlay: &OptOutOverlay,
    trace: &mut T,
) -> ControlFlow<Decision> {
    if !overlay.contains(call.number()) {
        return ControlFlow::Continue(());
    }
    let rule = call.snap.live_optout_rule;
    trace.step(rule, StepOutcome::Deny(Reason::OptOut), || {
        "opted out at run time".into()
    });
    deny(Reason::OptOut, rule)
}

/// One opt-out, suppression or registry list: stale copy, listed, or exempted.
fn list<T: Trace>(call: &Call<'_>, l: &ListRule, trace: &mut T) -> ControlFlow<Decision> {
    let (n, now) = (call.number(), call.now);
    if !l.scope.applies(call.facts()) {
        trace.step(l.rule, StepOutcome::NotApplicable, || "not in scope".into());
        return ControlFlow::Continue(());
    }
    if let (Some(taken), Some(max_age)) = (l.snapshot, l.max_age)
        && now - taken > max_age
    {
        trace.step(l.rule, StepOutcome::Deny(Reason::StaleList), || {
            format!(
                "copy taken {} is older than {} days",
                fmt_ts(taken),
                max_age / 86_400
            )
        });
        return deny(Reason::StaleList, l.rule);
    }
    let hit_prefix = l.prefixes.matches(n);
    let registered = l.set.registered_on(n);
    if hit_prefix.is_none() && registered.is_none() {
        trace.step(l.rule, StepOutcome::Pass, || "not listed".into());
        return ControlFlow::Continue(());
    }
    let reason = match l.kind {
        ListKind::OptOut => Reason::OptOut,
        ListKind::Suppression => Reason::Suppression,
        ListKind::Registry => Reason::Registry,
        // Directory lists are consulted by rules (unless_listed); they never deny.
        ListKind::Directory => return ControlFlow::Continue(()),
    };
    if l.kind == ListKind::Registry && registry_exempt(call, l.exemptions, registered.flatten()) {
        trace.step(l.rule, StepOutcome::Lifted, || {
            "listed, but a consent/contract/EBR on file exempts it".into()
        });
        return ControlFlow::Continue(());
    }
    trace.step(l.rule, StepOutcome::Deny(reason), || match hit_prefix {
        Some((p, _)) => format!("under listed prefix +{p}"),
        None => "listed".into(),
    });
    deny(reason, l.rule)
}

/// Whether a registry entry is lifted by a consent, contract or EBR on file.
fn registry_exempt(call: &Call<'_>, ex: Exemptions, registered_day: Option<i32>) -> bool {
    let records = call.consents.get();
    if ex.0 == 0 || records.is_empty() {
        return false;
    }
    let offset = call.consents.offset();
    let in_force = |r: &ConsentRecord, grace: i64| {
        consent_in_force(r, call.now, offset, call.ctx.campaign, grace)
    };
    records.iter().any(|r| match r.kind {
        ConsentKind::Consent => {
            (ex.0 & Exemptions::CONSENT != 0 && in_force(r, 0))
                || (ex.0 & Exemptions::CONSENT_AFTER_REGISTRATION != 0
                    && in_force(r, 0)
                    && granted_after(r, registered_day, offset))
        }
        ConsentKind::Contract => {
            (ex.0 & Exemptions::CONTRACT != 0 && in_force(r, 0))
                || (ex.0 & Exemptions::CONTRACT_WITHIN_30D != 0 && in_force(r, 30 * 86_400))
        }
        ConsentKind::Ebr => ex.0 & Exemptions::EBR != 0 && in_force(r, 0),
        // Consent to off-hours calls is not a consent to be called.
        ConsentKind::OutsideHours => false,
    })
}

/// Only a consent given on a later local date than the registration counts; without a
/// registration date it cannot be shown to be later.
fn granted_after(r: &ConsentRecord, registered_day: Option<i32>, offset: i64) -> bool {
    registered_day.is_some_and(|d| {
        let local = if r.local_dates & ConsentRecord::GRANTED_DATE != 0 {
            0
        } else {
            offset
        };
        (r.granted_at + local).div_euclid(86_400) > i64::from(d)
    })
}

/// A regime where every call needs a consent on file (unless on a directory list).
fn consent_required<T: Trace>(
    call: &Call<'_>,
    r: &ConsentRequiredRule,
    trace: &mut T,
) -> ControlFlow<Decision> {
    let n = call.number();
    let listed = match r.unless_listed {
        Some(Some(i)) => call.snap.lists.get(i).is_some_and(|l| {
            l.scope.applies(call.facts())
                && (l.prefixes.matches(n).is_some() || l.set.registered_on(n).is_some())
        }),
        _ => false,
    };
    if !r.scope.applies(call.facts()) {
        trace.step(r.rule, StepOutcome::NotApplicable, || "not in scope".into());
    } else if listed {
        trace.step(r.rule, StepOutcome::Pass, || {
            "on the directory list: no consent needed".into()
        });
    } else if call.consent(r.kinds, call.now) {
        trace.step(r.rule, StepOutcome::Pass, || "consent on file".into());
    } else {
        trace.step(
            r.rule,
            StepOutcome::Deny(Reason::ConsentRequired),
            || match r.unless_listed {
                Some(None) => "no consent in force, and the policy defines no directory \
                               list for unless_listed: every number needs a consent"
                    .into(),
                Some(Some(_)) => "not on the directory list and no consent in force".into(),
                None => "no consent in force".into(),
            },
        );
        return deny(Reason::ConsentRequired, r.rule);
    }
    ControlFlow::Continue(())
}

/// The caller ID presented must be under an allowed prefix or declared.
fn caller_id<T: Trace>(call: &Call<'_>, r: &CallerIdRule, trace: &mut T) -> ControlFlow<Decision> {
    if !r.scope.applies(call.facts()) {
        trace.step(r.rule, StepOutcome::NotApplicable, || "not in scope".into());
        return ControlFlow::Continue(());
    }
    let presented = call.ctx.caller_id;
    if presented.is_some_and(|c| r.prefixes.matches(c).is_some() || r.allow.contains(c)) {
        trace.step(r.rule, StepOutcome::Pass, || "caller ID allowed".into());
        return ControlFlow::Continue(());
    }
    trace.step(
        r.rule,
        StepOutcome::Deny(Reason::CallerId),
        || match presented {
            None => "no caller ID given".into(),
            Some(c) => format!("caller ID {c} is neither under an allowed prefix nor declared"),
        },
    );
    deny(Reason::CallerId, r.rule)
}

/// A blackout without an end denies (one with an end is a time gate).
fn open_blackout<T: Trace>(
    call: &Call<'_>,
    b: &BlackoutRule,
    trace: &mut T,
) -> ControlFlow<Decision> {
    if b.until.is_some() || !b.scope.applies(call.facts()) || b.from > call.now {
        return ControlFlow::Continue(());
    }
    if !b.suspend_exemptions && call.consent(ANY_KIND, call.now) {
        trace.step(b.rule, StepOutcome::Lifted, || {
            "blackout lifted by a consent on file".into()
        });
        return ControlFlow::Continue(());
    }
    trace.step(b.rule, StepOutcome::Deny(Reason::Blackout), || {
        format!("in force since {}", fmt_ts(b.from))
    });
    deny(Reason::Blackout, b.rule)
}
