//! Unit tests of the screens, the gates and the fixed point, each on a small policy
//! compiled from text and a history built in memory.

use std::ops::ControlFlow;
use std::path::Path;

use jiff::Timestamp;

use super::CallContext;
use super::callee::Callee;
use super::evaluate::{Call, evaluate};
use super::gates::{self, Earliest};
use super::screens;
use super::trace::{NoTrace, Recorder, StepOutcome};
use crate::decision::{Constraints, Decision, Reason, RuleId};
use crate::history::{Event, History, HistoryStore, NewEvent, Outcome, Query, Tag};
use crate::lists::OptOutOverlay;
use crate::number::{self, Number};
use crate::policy::{self, Mode, Snapshot};

/// Rome, Friday 27 November 2026, 10:00 CET.
const FRI_10: &str = "2026-11-27T09:00:00Z";
const ROME: &str = "+39 02 5555 1234";

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn num(s: &str) -> Number {
    number::parse(s, None).unwrap()
}

fn snap(toml: &str) -> Snapshot {
    let text = format!("[policy]\nname = \"unit\"\ndefault_country = \"IT\"\n{toml}");
    policy::compile_str(&text, Path::new("unit.toml"), at(FRI_10).as_second())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn rule(s: &Snapshot, id: &str) -> RuleId {
    s.rule_id(id).unwrap()
}

/// Events of `n` after recording an attempt (and, if given, its outcome) at each instant.
fn history(n: Number, calls: &[(&str, Option<Outcome>)]) -> Vec<Event> {
    let h = History::in_memory(400 * 86_400);
    let q = Query {
        campaign: Tag::NONE,
        subject: Tag::NONE,
        live_agent: false,
    };
    for &(t, outcome) in calls {
        let t = at(t).as_second();
        let id = h
            .with_events(n, t, &mut |_| Some(NewEvent::attempt(&q)))
            .unwrap();
        if let Some(o) = outcome {
            h.record_outcome(n, id, o, &q, t).unwrap();
        }
    }
    let mut events = Vec::new();
    h.read(n, &mut |e| events.extend_from_slice(e)).unwrap();
    events
}

/// Runs `f` over a Call for `n` at `ctx` with `events`.
fn with_call<R>(
    s: &Snapshot,
    n: Number,
    ctx: &CallContext<'_>,
    events: &[Event],
    f: impl FnOnce(&Call<'_>) -> R,
) -> R {
    let callee = Callee::new(s, n, ctx);
    let call = Call::new(s, ctx, &callee, events);
    f(&call)
}

fn decide(s: &Snapshot, n: Number, ctx: &CallContext<'_>, events: &[Event]) -> Decision {
    let counters = History::in_memory(86_400);
    with_call(s, n, ctx, events, |call| {
        evaluate(call, &OptOutOverlay::new(), &counters, &mut NoTrace)
    })
}

const HOURS: &str = r#"
[[window]]
id = "hours"
applies_to = ["IT"]
mon-fri = ["09:00-20:00"]
sat = ["10:00-19:00"]
sun = []
"#;

// --- screens ---

#[test]
fn the_live_overlay_denies_before_any_list() {
    let s = snap(HOURS);
    let overlay = OptOutOverlay::new();
    let ctx = CallContext::new(at(FRI_10));
    let run = |o: &OptOutOverlay| {
        with_call(&s, num(ROME), &ctx, &[], |c| {
            screens::run(c, o, &mut NoTrace)
        })
    };
    assert_eq!(run(&overlay), ControlFlow::Continue(()));
    overlay.insert(num(ROME), at(FRI_10).as_second());
    assert_eq!(
        run(&overlay),
        ControlFlow::Break(Decision::Deny {
            reason: Reason::OptOut,
            rule: s.live_optout_rule
        })
    );
}

#[test]
fn caller_id_screen_denies_a_missing_or_foreign_caller_id() {
    let s = snap(
        r#"
[[caller_id]]
id = "cli"
applies_to = ["IT"]
allow_prefixes = ["+390844"]
"#,
    );
    let screen = |ctx: &CallContext<'_>| {
        with_call(&s, num(ROME), ctx, &[], |c| {
            screens::run(c, &OptOutOverlay::new(), &mut NoTrace)
        })
    };
    let deny = ControlFlow::Break(Decision::Deny {
        reason: Reason::CallerId,
        rule: rule(&s, "cli"),
    });
    let ctx = CallContext::new(at(FRI_10));
    assert_eq!(screen(&ctx), deny);
    assert_eq!(screen(&ctx.caller_id(num("+39 02 9999 0000"))), deny);
    assert_eq!(
        screen(&ctx.caller_id(num("+39 0844 000 0000"))),
        ControlFlow::Continue(())
    );
}

#[test]
fn consent_required_denies_without_a_consent_and_skips_out_of_scope_calls() {
    let s = snap(
        r#"
[[consent_required]]
id = "opt-in"
applies_to = ["FR"]
"#,
    );
    let ctx = CallContext::new(at(FRI_10));
    let screen = |n: &str| {
        with_call(&s, num(n), &ctx, &[], |c| {
            screens::run(c, &OptOutOverlay::new(), &mut NoTrace)
        })
    };
    assert_eq!(
        screen("+33 1 42 68 53 00"),
        ControlFlow::Break(Decision::Deny {
            reason: Reason::ConsentRequired,
            rule: rule(&s, "opt-in")
        })
    );
    assert_eq!(screen(ROME), ControlFlow::Continue(()));
}

#[test]
fn only_an_open_ended_blackout_is_a_screen() {
    let s = snap(
        r#"
[[blackout]]
id = "open"
applies_to = ["IT"]
from = "2026-11-01T00:00:00Z"

[[blackout]]
id = "dated"
applies_to = ["IT"]
from = "2026-11-01T00:00:00Z"
until = "2026-12-01T00:00:00Z"
"#,
    );
    let mut trace = Recorder::default();
    let ctx = CallContext::new(at(FRI_10));
    let r = with_call(&s, num(ROME), &ctx, &[], |c| {
        screens::run(c, &OptOutOverlay::new(), &mut trace)
    });
    assert_eq!(
        r,
        ControlFlow::Break(Decision::Deny {
            reason: Reason::Blackout,
            rule: rule(&s, "open")
        })
    );
    assert!(trace.steps.iter().all(|st| st.rule != rule(&s, "dated")));
    // Before it starts, neither screens.
    let early = CallContext::new(at("2026-10-01T09:00:00Z"));
    let r = with_call(&s, num(ROME), &early, &[], |c| {
        screens::run(c, &OptOutOverlay::new(), &mut NoTrace)
    });
    assert_eq!(r, ControlFlow::Continue(()));
}

// --- gates ---

#[test]
fn earliest_moves_only_forward_and_names_the_first_rule_that_moved_it() {
    let mut e = Earliest::new(100);
    e.move_to(90, Reason::Cap, RuleId::from_index(1).unwrap());
    assert_eq!((e.t, e.first), (100, None));
    e.move_to(200, Reason::OutsideWindow, RuleId::from_index(2).unwrap());
    e.move_to(300, Reason::Cap, RuleId::from_index(3).unwrap());
    assert_eq!(e.t, 300);
    assert_eq!(
        e.first,
        Some((Reason::OutsideWindow, RuleId::from_index(2).unwrap()))
    );
    assert_eq!(e.first_rule(RuleId::NONE), RuleId::from_index(2).unwrap());
}

#[test]
fn a_closed_window_moves_the_instant_to_its_opening() {
    let s = snap(HOURS);
    // Saturday 28 November, 19:30 Rome: next opening Monday 09:00 Rome = 08:00Z.
    let ctx = CallContext::new(at("2026-11-28T18:30:00Z"));
    let (flow, e) = with_call(&s, num(ROME), &ctx, &[], |c| {
        let mut e = Earliest::new(c.now);
        let flow = gates::windows(c, &mut e, c.now + 30 * 86_400, &mut NoTrace);
        (flow, e)
    });
    assert_eq!(flow, ControlFlow::Continue(()));
    assert_eq!(e.t, at("2026-11-30T08:00:00Z").as_second());
    assert_eq!(e.first, Some((Reason::OutsideWindow, rule(&s, "hours"))));
}

#[test]
fn a_window_that_never_opens_within_the_horizon_denies() {
    let s = snap(
        r#"
[[window]]
id = "never"
applies_to = ["IT"]
mon-fri = []
sat = []
sun = []
"#,
    );
    let ctx = CallContext::new(at(FRI_10));
    let flow = with_call(&s, num(ROME), &ctx, &[], |c| {
        let mut e = Earliest::new(c.now);
        gates::windows(c, &mut e, c.now + 30 * 86_400, &mut NoTrace)
    });
    assert_eq!(
        flow,
        ControlFlow::Break(Decision::Deny {
            reason: Reason::BeyondHorizon,
            rule: rule(&s, "never")
        })
    );
}

#[test]
fn a_reached_cap_moves_the_instant_to_when_the_oldest_call_ages_out() {
    let s = snap(
        r#"
[[cap]]
id = "two-a-day"
applies_to = ["IT"]
max = 2
within = "24h"
key = "number"
count = "attempts"
"#,
    );
    let n = num(ROME);
    let events = history(
        n,
        &[
            ("2026-11-27T07:00:00Z", None),
            ("2026-11-27T08:00:00Z", None),
        ],
    );
    let ctx = CallContext::new(at(FRI_10));
    let e = with_call(&s, n, &ctx, &events, |c| {
        let mut e = Earliest::new(c.now);
        gates::caps(c, &mut e, &mut NoTrace);
        e
    });
    assert_eq!(e.t, at("2026-11-28T07:00:00Z").as_second());
    assert_eq!(e.first, Some((Reason::Cap, rule(&s, "two-a-day"))));
    // One call only: under the cap, nothing moves.
    let one = history(n, &[("2026-11-27T08:00:00Z", None)]);
    let e = with_call(&s, n, &ctx, &one, |c| {
        let mut e = Earliest::new(c.now);
        gates::caps(c, &mut e, &mut NoTrace);
        e
    });
    assert_eq!((e.t, e.first), (at(FRI_10).as_second(), None));
}

#[test]
fn a_cooloff_forever_denies_and_a_timed_one_moves_the_instant() {
    let s = snap(
        r#"
[[cooloff]]
id = "never-after-refusal"
applies_to = ["IT"]
after = "refused"
for = "forever"

[[cooloff]]
id = "busy-2h"
applies_to = ["IT"]
after = "busy"
for = "2h"
"#,
    );
    let n = num(ROME);
    let ctx = CallContext::new(at(FRI_10));
    let refused = history(n, &[("2026-11-20T09:00:00Z", Some(Outcome::Refused))]);
    let flow = with_call(&s, n, &ctx, &refused, |c| {
        gates::cooloffs(c, &mut Earliest::new(c.now), &mut NoTrace)
    });
    assert_eq!(
        flow,
        ControlFlow::Break(Decision::Deny {
            reason: Reason::Cooloff,
            rule: rule(&s, "never-after-refusal")
        })
    );
    let busy = history(n, &[("2026-11-27T08:30:00Z", Some(Outcome::Busy))]);
    let e = with_call(&s, n, &ctx, &busy, |c| {
        let mut e = Earliest::new(c.now);
        assert_eq!(
            gates::cooloffs(c, &mut e, &mut NoTrace),
            ControlFlow::Continue(())
        );
        e
    });
    assert_eq!(e.t, at("2026-11-27T10:30:00Z").as_second());
}

#[test]
fn a_live_agent_lifts_a_lifted_cooloff_into_a_constraint() {
    let s = snap(
        r#"
[[cooloff]]
id = "silent"
applies_to = ["IT"]
after = "abandoned"
for = "30d"
unless = "live_agent"
"#,
    );
    let n = num(ROME);
    let events = history(n, &[("2026-11-26T09:00:00Z", Some(Outcome::Abandoned))]);
    let preview = CallContext::new(at(FRI_10)).mode(Mode::Preview);
    assert_eq!(
        decide(&s, n, &preview, &events),
        Decision::Allow {
            constraints: Constraints::REQUIRE_LIVE_AGENT
        }
    );
    let predictive = CallContext::new(at(FRI_10));
    assert_eq!(
        decide(&s, n, &predictive, &events).reason(),
        Some(Reason::Cooloff)
    );
}

// --- the fixed point ---

#[test]
fn later_passes_are_traced_when_a_gate_moves_the_instant() {
    // Friday 20:30 Rome: the window moves the instant to Saturday 10:00; judged there,
    // the cap (one call a day, the last Friday 18:40) moves it to Saturday 18:40, and a
    // second pass finds both satisfied there, inside Saturday's 10–19 window.
    let s = snap(&format!(
        "{HOURS}
[[cap]]
id = \"one-a-day\"
applies_to = [\"IT\"]
max = 1
within = \"24h\"
key = \"number\"
count = \"attempts\"
"
    ));
    let n = num(ROME);
    // One call Friday 17:40Z (18:40 Rome): the cap clears Saturday 17:40Z (18:40 Rome).
    let events = history(n, &[("2026-11-27T17:40:00Z", None)]);
    let ctx = CallContext::new(at("2026-11-27T19:30:00Z"));
    let mut trace = Recorder::default();
    let counters = History::in_memory(86_400);
    let d = with_call(&s, n, &ctx, &events, |c| {
        evaluate(c, &OptOutOverlay::new(), &counters, &mut trace)
    });
    assert_eq!(
        d,
        Decision::Defer {
            until: at("2026-11-28T17:40:00Z"),
            reason: Reason::OutsideWindow,
            rule: rule(&s, "hours")
        }
    );
    let hours: Vec<_> = trace
        .steps
        .iter()
        .filter(|st| st.rule == rule(&s, "hours"))
        .map(|st| (st.pass, st.outcome))
        .collect();
    assert_eq!(
        hours,
        [
            (
                0,
                StepOutcome::Defer(Reason::OutsideWindow, at("2026-11-28T09:00:00Z"))
            ),
            (1, StepOutcome::Pass),
        ]
    );
}

#[test]
fn a_gate_pushed_past_the_horizon_denies_naming_the_first_rule() {
    let s = snap(&format!(
        "horizon_days = 1\n{HOURS}
[[cap]]
id = \"one-a-week\"
applies_to = [\"IT\"]
max = 1
within = \"7d\"
key = \"number\"
count = \"attempts\"
"
    ));
    let n = num(ROME);
    let events = history(n, &[("2026-11-26T09:00:00Z", None)]);
    let d = decide(&s, n, &CallContext::new(at(FRI_10)), &events);
    assert_eq!(
        d,
        Decision::Deny {
            reason: Reason::BeyondHorizon,
            rule: rule(&s, "one-a-week")
        }
    );
}
