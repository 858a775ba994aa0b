//! # dialguard
//!
//! A pre-dial compliance guard: before every call attempt an outbound dialer asks
//! *may I dial this number now, for this campaign, from this caller ID?* and gets
//! *allow*, *deny* or *defer until T*, with the reason and the rule that decided.
//!
//! Data flow (one module per step):
//! raw number → [`number`] (E.164 + region + zones) → [`policy`] snapshot →
//! checks ([`lists`], [`calendar`], [`history`]) → [`Decision`].

pub mod audit;
pub mod calendar;
pub mod cluster;
pub mod decision;
pub mod ffi;
pub mod guard;
pub mod history;
pub mod lists;
pub mod metrics;
pub mod number;
pub mod policy;

pub use decision::{Constraints, Decision, Reason, RuleId, Verdict};
pub use guard::{CallContext, Guard, GuardOptions};
pub use number::Number;
pub use policy::{Mode, Purpose, Snapshot};

/// The README's Rust examples, compiled and run by `cargo test` so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
