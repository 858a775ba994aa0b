//! The time gates: rules that may move the instant a call is allowed at — abandon-rate
//! ceilings, dated blackouts, calling windows, caps and cool-offs — and the live-agent
//! constraints some cool-offs impose. `evaluate` runs them together to a fixed point;
//! each gate here judges one table at the instant given ([`Earliest::t`]) and moves it
//! forward, or denies when waiting cannot help.

use std::ops::ControlFlow;

use crate::decision::{Constraints, Decision, Reason, RuleId};
use crate::history::{self, CooloffRule, History, Query};
use crate::policy::{AbandonRule, BlackoutRule, CapRuleC, CooloffRuleC, Mode, WindowRule};

use super::callee::ZoneDays;
use super::evaluate::Call;
use super::screens::ANY_KIND;
use super::trace::{StepOutcome, Trace, fmt_ts};

/// The fixed point's state: the earliest instant every gate judged so far allows, and
/// the first rule that moved it (the rule a deferral names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Earliest {
    pub now: i64,
    pub t: i64,
    pub first: Option<(Reason, RuleId)>,
}

impl Earliest {
    pub(super) fn new(now: i64) -> Earliest {
        Earliest {
            now,
            t: now,
            first: None,
        }
    }

    /// A gate allows nothing before `to`.
    pub(super) fn move_to(&mut self, to: i64, reason: Reason, rule: RuleId) {
        if to > self.t {
            if self.first.is_none() {
                self.first = Some((reason, rule));
            }
            self.t = to;
        }
    }

    /// The rule to name when the search ends without an allowed instant.
    pub(super) fn first_rule(&self, otherwise: RuleId) -> RuleId {
        self.first.map_or(otherwise, |(_, r)| r)
    }

    /// Rules judged after an earlier one moved the instant say when they were judged.
    fn judged(&self) -> String {
        if self.t == self.now {
            String::new()
        } else {
            format!(
                " (judged at {}, the first instant earlier rules allow)",
                fmt_ts(self.t)
            )
        }
    }
}

/// Abandon-rate ceilings, judged once at `now` (campaign counters move with every call):
/// the latest instant any of them clears, with its rule.
pub(super) fn abandon<T: Trace>(
    call: &Call<'_>,
    counters: &History,
    trace: &mut T,
) -> Option<(i64, RuleId)> {
    let mut latest: Option<(i64, RuleId)> = None;
    for a in &call.snap.abandon_limits {
        if let Some(until) = abandon_one(call, a, counters, trace)
            && latest.is_none_or(|(u, _)| until > u)
        {
            latest = Some((until, a.rule));
        }
    }
    latest
}

fn abandon_one<T: Trace>(
    call: &Call<'_>,
    a: &AbandonRule,
    counters: &History,
    trace: &mut T,
) -> Option<i64> {
    let facts = call.facts();
    let in_scope = a.scope.applies(facts);
    let predictive = !a.predictive_only || call.ctx.mode == Mode::Predictive;
    if !in_scope || !facts.has_campaign || !predictive {
        trace.step(a.rule, StepOutcome::NotApplicable, || {
            if !in_scope {
                "not in scope".into()
            } else if !facts.has_campaign {
                "no campaign given: rates are counted per campaign".into()
            } else {
                "not a predictive attempt (a live agent is on the line)".into()
            }
        });
        return None;
    }
    let (abandoned, answered) = counters.abandon_rate(facts.campaign, a.within, call.now);
    // abandoned / answered > max_rate, judged from the first call (min_answered 0): any
    // abandoned call with nothing answered is over.
    let over =
        answered >= a.min_answered && f64::from(abandoned) > a.max_rate * f64::from(answered);
    if !over {
        trace.step(a.rule, StepOutcome::Pass, || {
            format!("{abandoned} abandoned / {answered} answered")
        });
        return None;
    }
    let until = counters.abandon_clear_at(
        facts.campaign,
        a.within,
        a.max_rate,
        a.min_answered,
        call.now,
    );
    trace.step(
        a.rule,
        StepOutcome::defer(Reason::AbandonRate, until),
        || {
            format!(
                "{abandoned} abandoned / {answered} answered exceeds {:.1}%",
                a.max_rate * 100.0
            )
        },
    );
    Some(until)
}

/// Cool-offs that a live agent lifts, and `then = "live_agent"` rules: the constraints
/// an allowed call carries, or a deny when a predictive attempt cannot promise an agent.
pub(super) fn live_agent<T: Trace>(
    call: &Call<'_>,
    trace: &mut T,
) -> ControlFlow<Decision, Constraints> {
    let mut constraints = Constraints::NONE;
    let facts = call.facts();
    let no_agent = Query {
        live_agent: false,
        ..call.q
    };
    for c in &call.snap.cooloffs {
        if c.cooloff.unless_live_agent && call.q.live_agent && c.scope.applies(facts) {
            let blocked = cooloff_clear(call, &c.cooloff, &no_agent, call.now);
            if blocked != Some(call.now) {
                constraints = constraints.union(Constraints::REQUIRE_LIVE_AGENT);
                trace.step(c.rule, StepOutcome::Lifted, || {
                    "cool-off running; lifted because a live agent is on the line".into()
                });
            }
        }
    }
    for c in &call.snap.cooloffs {
        if then_live_agent(call, c, trace)? {
            constraints = constraints.union(Constraints::REQUIRE_LIVE_AGENT);
        }
    }
    ControlFlow::Continue(constraints)
}

/// After the cool-off, attempts need an agent until one with an agent is recorded. A
/// predictive attempt cannot promise one: deny (waiting won't help).
fn then_live_agent<T: Trace>(
    call: &Call<'_>,
    c: &CooloffRuleC,
    trace: &mut T,
) -> ControlFlow<Decision, bool> {
    if !c.then_live_agent || !c.scope.applies(call.facts()) {
        return ControlFlow::Continue(false);
    }
    let Some(at) = history::live_agent_pending(call.events, &c.cooloff, &call.q) else {
        return ControlFlow::Continue(false);
    };
    let after = c.cooloff.after.name();
    if !call.q.live_agent {
        trace.step(c.rule, StepOutcome::Deny(Reason::Cooloff), || {
            format!(
                "{after} at {}: the next attempt needs a live agent (preview or manual mode)",
                fmt_ts(at)
            )
        });
        return ControlFlow::Break(Decision::Deny {
            reason: Reason::Cooloff,
            rule: c.rule,
        });
    }
    trace.step(c.rule, StepOutcome::Lifted, || {
        format!(
            "{after} at {}: allowed only with the live agent on the line",
            fmt_ts(at)
        )
    });
    ControlFlow::Continue(true)
}

/// Dated blackouts in force at `at.t` move it to their end.
pub(super) fn blackouts<T: Trace>(call: &Call<'_>, at: &mut Earliest, trace: &mut T) {
    for b in &call.snap.blackouts {
        if let Some(until) = blackout_until(call, b, at.t) {
            trace.step(b.rule, StepOutcome::defer(Reason::Blackout, until), || {
                format!("blackout until {}{}", fmt_ts(until), at.judged())
            });
            at.move_to(until, Reason::Blackout, b.rule);
        }
    }
}

/// The end of a dated blackout covering `t`, unless a consent lifts it.
fn blackout_until(call: &Call<'_>, b: &BlackoutRule, t: i64) -> Option<i64> {
    let until = b.until?;
    let covers = b.scope.applies(call.facts()) && b.from <= t && t < until;
    (covers && (b.suspend_exemptions || !call.consent(ANY_KIND, t))).then_some(until)
}

/// Calling windows: each moves `at.t` to its next opening in every zone of the callee;
/// a window that never opens within the horizon denies.
pub(super) fn windows<T: Trace>(
    call: &Call<'_>,
    at: &mut Earliest,
    limit: i64,
    trace: &mut T,
) -> ControlFlow<Decision> {
    for w in &call.snap.windows {
        window(call, w, at, limit, trace)?;
    }
    ControlFlow::Continue(())
}

fn window<T: Trace>(
    call: &Call<'_>,
    w: &WindowRule,
    at: &mut Earliest,
    limit: i64,
    trace: &mut T,
) -> ControlFlow<Decision> {
    if !w.scope.applies(call.facts()) {
        trace.step(w.rule, StepOutcome::NotApplicable, || "not in scope".into());
        return ControlFlow::Continue(());
    }
    if w.waived_by != 0 && call.consent(w.waived_by, call.now) {
        trace.step(w.rule, StepOutcome::Lifted, || {
            "hours waived by a consent on file of a kind the window names in waived_by".into()
        });
        return ControlFlow::Continue(());
    }
    let cal = w.calendar.and_then(|i| call.snap.calendars.get(i));
    if w.calendar.is_some() && cal.is_none() {
        // A dangling calendar index is a compiler bug; judging without the holidays
        // could allow a call on one.
        return ControlFlow::Break(Decision::deny(Reason::BeyondHorizon));
    }
    let t = at.t;
    let Some(open) = w
        .windows
        .next_open(cal, &call.snap.zones, call.zones(), t, limit)
    else {
        trace.step(w.rule, StepOutcome::Deny(Reason::BeyondHorizon), || {
            "the window does not open within the horizon".into()
        });
        return ControlFlow::Break(Decision::Deny {
            reason: Reason::BeyondHorizon,
            rule: at.first_rule(w.rule),
        });
    };
    if T::ON {
        let outcome = if open == t {
            StepOutcome::Pass
        } else {
            StepOutcome::defer(Reason::OutsideWindow, open)
        };
        trace.step(w.rule, outcome, || {
            if open == t {
                format!("inside the calling window{}", at.judged())
            } else {
                format!("closed now; opens {}{}", fmt_ts(open), at.judged())
            }
        });
    }
    at.move_to(open, Reason::OutsideWindow, w.rule);
    ControlFlow::Continue(())
}

/// Rolling and calendar-day caps: each moves `at.t` to when the oldest counted call ages
/// out, in the zone where that is latest.
pub(super) fn caps<T: Trace>(call: &Call<'_>, at: &mut Earliest, trace: &mut T) {
    for c in &call.snap.caps {
        if !c.scope.applies(call.facts()) {
            continue;
        }
        let t = at.t;
        let clear = cap_clear(call, c, t);
        if T::ON {
            let outcome = if clear == t {
                StepOutcome::Pass
            } else {
                StepOutcome::defer(Reason::Cap, clear)
            };
            trace.step(c.rule, outcome, || {
                if clear == t {
                    format!("under the cap of {}{}", c.cap.max, at.judged())
                } else {
                    format!(
                        "cap of {} reached; the oldest counted call ages out {}{}",
                        c.cap.max,
                        fmt_ts(clear),
                        at.judged()
                    )
                }
            });
        }
        at.move_to(clear, Reason::Cap, c.rule);
    }
}

/// The earliest instant >= `t` the cap allows, the latest over the callee's zones.
fn cap_clear(call: &Call<'_>, c: &CapRuleC, t: i64) -> i64 {
    zones_or_first(call.zones())
        .iter()
        .map(|&zone| {
            let days = ZoneDays {
                tables: &call.snap.zones,
                zone,
            };
            history::cap_clear_at(call.events, &c.cap, &call.q, t, &days)
        })
        .max()
        .unwrap_or(t)
}

/// Cool-offs after an outcome: each moves `at.t` to its end; one that never ends denies.
pub(super) fn cooloffs<T: Trace>(
    call: &Call<'_>,
    at: &mut Earliest,
    trace: &mut T,
) -> ControlFlow<Decision> {
    for c in &call.snap.cooloffs {
        if c.scope.applies(call.facts()) {
            cooloff(call, c, at, trace)?;
        }
    }
    ControlFlow::Continue(())
}

fn cooloff<T: Trace>(
    call: &Call<'_>,
    c: &CooloffRuleC,
    at: &mut Earliest,
    trace: &mut T,
) -> ControlFlow<Decision> {
    let t = at.t;
    let after = c.cooloff.after.name();
    let Some(clear) = cooloff_clear(call, &c.cooloff, &call.q, t) else {
        trace.step(c.rule, StepOutcome::Deny(Reason::Cooloff), || {
            format!("no call ever again after {after}")
        });
        return ControlFlow::Break(Decision::Deny {
            reason: Reason::Cooloff,
            rule: c.rule,
        });
    };
    if clear > t {
        trace.step(c.rule, StepOutcome::defer(Reason::Cooloff, clear), || {
            format!(
                "cool-off after {after} until {}{}",
                fmt_ts(clear),
                at.judged()
            )
        });
    } else {
        trace.step(c.rule, StepOutcome::Pass, || {
            format!("no cool-off after {after} running{}", at.judged())
        });
    }
    at.move_to(clear, Reason::Cooloff, c.rule);
    ControlFlow::Continue(())
}

/// The earliest instant >= `t` the cool-off allows over every zone of the callee;
/// `None` when it never ends.
fn cooloff_clear(call: &Call<'_>, rule: &CooloffRule, q: &Query, t: i64) -> Option<i64> {
    let mut worst = t;
    for &zone in zones_or_first(call.zones()) {
        let days = ZoneDays {
            tables: &call.snap.zones,
            zone,
        };
        worst = worst.max(history::cooloff_clear_at(call.events, rule, q, t, &days)?);
    }
    Some(worst)
}

/// The callee's zones; never empty (a `Callee` always has one), but should that change,
/// judge the first zone rather than none, which would pass every rule vacuously.
fn zones_or_first(zones: &[u16]) -> &[u16] {
    if zones.is_empty() { &[0] } else { zones }
}
