//! What `explain` shows: every step of an evaluation ([`Step`]), collected through the
//! [`Trace`] seam. The hot path passes [`NoTrace`], whose calls the compiler removes, so
//! no step is built and no string formatted unless someone asked.

use std::sync::Arc;

use jiff::Timestamp;

use crate::Number;
use crate::decision::{Decision, Reason, RuleId};
use crate::policy::Snapshot;

/// What one rule said, for `explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The rule (or [`RuleId::NONE`] for checks that are not policy rules).
    pub rule: RuleId,
    /// What the rule concluded.
    pub outcome: StepOutcome,
    /// Why, in words.
    pub detail: String,
    /// The pass of the time rules' fixed-point search that judged it: 0 for the screens
    /// and the first pass; a later pass re-judges every time rule at the instant the
    /// earlier passes moved to.
    pub pass: u8,
}

/// A rule's conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The rule does not cover this call (region, purpose, mode, campaign, dates).
    NotApplicable,
    /// The rule is satisfied.
    Pass,
    /// The rule would object but an exemption or agent lifts it.
    Lifted,
    /// The rule forbids the call.
    Deny(Reason),
    /// The rule forbids the call until the instant.
    Defer(Reason, Timestamp),
}

impl StepOutcome {
    /// A deferral to `t` (Unix seconds, always inside the history's range here).
    pub(crate) fn defer(reason: Reason, t: i64) -> StepOutcome {
        StepOutcome::Defer(reason, Timestamp::from_second(t).unwrap_or(Timestamp::MAX))
    }
}

/// `explain`'s result.
pub struct Explanation {
    pub number: Number,
    pub decision: Decision,
    pub steps: Vec<Step>,
    pub snapshot: Arc<Snapshot>,
}

/// Receives each step of an evaluation.
pub(crate) trait Trace {
    /// False for the hot path: steps are never built.
    const ON: bool;
    fn step(&mut self, rule: RuleId, outcome: StepOutcome, detail: impl FnOnce() -> String);
    /// A new pass of the fixed-point search begins.
    fn pass(&mut self, _pass: u8) {}
}

/// The hot path's trace: nothing.
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn step(&mut self, _: RuleId, _: StepOutcome, _: impl FnOnce() -> String) {}
}

/// `explain`'s trace: every step of every pass.
#[derive(Default)]
pub(crate) struct Recorder {
    pub steps: Vec<Step>,
    pass: u8,
}

impl Trace for Recorder {
    const ON: bool = true;
    fn step(&mut self, rule: RuleId, outcome: StepOutcome, detail: impl FnOnce() -> String) {
        self.steps.push(Step {
            rule,
            outcome,
            detail: detail(),
            pass: self.pass,
        });
    }
    fn pass(&mut self, pass: u8) {
        self.pass = pass;
    }
}

/// An instant for a step's words.
pub(crate) fn fmt_ts(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}
