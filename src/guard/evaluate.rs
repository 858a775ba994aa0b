//! One evaluation, the whole decision for one number given its history: the hard
//! screens in order (`screens`), then every time rule together (`gates`) searched to a
//! fixed point — the earliest instant >= now at which all of them pass. Every pass is
//! traced, so `explain` shows why the instant moved. No allocation unless the trace is on.

use std::ops::ControlFlow;

use jiff::Timestamp;

use crate::Number;
use crate::decision::{Decision, Reason, RuleId};
use crate::history::{Event, History, Query, Tag};
use crate::lists::OptOutOverlay;
use crate::policy::{CallFacts, Snapshot};

use super::CallContext;
use super::callee::{Callee, LazyConsents};
use super::gates::{self, Earliest};
use super::screens;
use super::trace::{StepOutcome, Trace, fmt_ts};

/// Passes of the fixed-point search before giving up: each pass moves the instant
/// forward or ends the search, so only rules that keep moving each other reach it.
const MAX_PASSES: u8 = 64;

/// Everything one evaluation reads: the policy, the call, the callee and its history.
pub(super) struct Call<'a> {
    pub snap: &'a Snapshot,
    pub ctx: &'a CallContext<'a>,
    pub callee: &'a Callee,
    pub events: &'a [Event],
    pub consents: LazyConsents<'a>,
    pub now: i64,
    /// The history query of this call (campaign, subject, agent on the line).
    pub q: Query,
}

impl<'a> Call<'a> {
    pub(super) fn new(
        snap: &'a Snapshot,
        ctx: &'a CallContext<'a>,
        callee: &'a Callee,
        events: &'a [Event],
    ) -> Call<'a> {
        let now = ctx.now.as_second();
        let facts = callee.facts();
        Call {
            snap,
            ctx,
            callee,
            events,
            consents: LazyConsents::new(snap, callee, now),
            now,
            q: Query {
                campaign: facts.campaign,
                subject: ctx.subject.map_or(Tag::NONE, Tag::of),
                live_agent: ctx.mode.live_agent(),
            },
        }
    }

    pub(super) fn facts(&self) -> &CallFacts {
        self.callee.facts()
    }

    pub(super) fn zones(&self) -> &[u16] {
        self.callee.zones()
    }

    pub(super) fn number(&self) -> Number {
        self.callee.facts().number
    }

    /// A consent record of one of `kinds` (a `kind_bit` mask) in force at `t`.
    pub(super) fn consent(&self, kinds: u8, t: i64) -> bool {
        self.consents.any_in_force(kinds, t, self.ctx.campaign)
    }
}

/// The decision for one call: screens, then the time gates' fixed point.
pub(super) fn evaluate<T: Trace>(
    call: &Call<'_>,
    overlay: &OptOutOverlay,
    counters: &History,
    trace: &mut T,
) -> Decision {
    if let ControlFlow::Break(deny) = screens::run(call, overlay, trace) {
        return deny;
    }
    let abandon = gates::abandon(call, counters, trace);
    let constraints = match gates::live_agent(call, trace) {
        ControlFlow::Break(deny) => return deny,
        ControlFlow::Continue(c) => c,
    };
    match earliest(call, abandon, trace) {
        ControlFlow::Break(deny) => deny,
        ControlFlow::Continue(Earliest { first: None, .. }) => Decision::Allow { constraints },
        ControlFlow::Continue(Earliest {
            t,
            first: Some((reason, rule)),
            ..
        }) => Decision::Defer {
            // `t` is inside the history's range (2020..2100); were it not, deferring to
            // the end of time is the restrictive reading.
            until: Timestamp::from_second(t).unwrap_or(Timestamp::MAX),
            reason,
            rule,
        },
    }
}

/// Judges every time gate at the current instant, moving it, until a pass moves
/// nothing (the answer), the horizon is passed, or a gate denies.
fn earliest<T: Trace>(
    call: &Call<'_>,
    abandon: Option<(i64, RuleId)>,
    trace: &mut T,
) -> ControlFlow<Decision, Earliest> {
    let limit = call.now.saturating_add(call.snap.horizon);
    let mut at = Earliest::new(call.now);
    for pass in 0..MAX_PASSES {
        trace.pass(pass);
        let start = at.t;
        if let Some((until, rule)) = abandon {
            at.move_to(until, Reason::AbandonRate, rule);
        }
        gates::blackouts(call, &mut at, trace);
        gates::windows(call, &mut at, limit, trace)?;
        gates::caps(call, &mut at, trace);
        gates::cooloffs(call, &mut at, trace)?;
        if at.t >= limit {
            let rule = at.first_rule(RuleId::NONE);
            trace.step(rule, StepOutcome::Deny(Reason::BeyondHorizon), || {
                format!("no allowed instant before {}", fmt_ts(limit))
            });
            return ControlFlow::Break(Decision::Deny {
                reason: Reason::BeyondHorizon,
                rule,
            });
        }
        if at.t == start {
            return ControlFlow::Continue(at);
        }
    }
    // Rules that kept moving each other: no instant found, so no call.
    ControlFlow::Break(Decision::Deny {
        reason: Reason::BeyondHorizon,
        rule: at.first_rule(RuleId::NONE),
    })
}
