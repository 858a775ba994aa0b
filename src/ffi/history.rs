//! The history functions: `dg_record_outcome`, `dg_opt_out`.

use std::ffi::c_char;

use super::args::*;
use super::boundary::{FfiError, boundary};
use super::handle::{self, dg_guard};
use super::types::*;
use crate::history::{AttemptId, Outcome};

// Recording
// ---------------------------------------------------------------------------------------

/// Records how an attempt ended. `attempt` is the id from `dg_check_and_reserve`, or 0 for
/// an attempt placed without reserving (a new event is then recorded at `ctx->now_unix_ms`
/// with the context's campaign and subject). `outcome` is a `dg_outcome` value;
/// `DG_OUTCOME_OPT_OUT` also opts the number out at once. `*out_attempt` (may be NULL)
/// receives the id of the event that holds the outcome.
///
/// Errors: `DG_STATUS_INVALID_ARGUMENT` (unknown outcome, instant outside 2020-2099),
/// `DG_STATUS_IO_ERROR` / `DG_STATUS_HISTORY_ERROR` (nothing was recorded), and the
/// argument errors of `dg_check`. Thread safety: any number of threads.
///
/// # Safety
/// As `dg_check`; `out_attempt` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_record_outcome(
    guard: *const dg_guard,
    number: *const c_char,
    attempt: u64,
    outcome: u32,
    ctx: *const dg_context,
    out_attempt: *mut u64,
) -> dg_status {
    const F: &str = "dg_record_outcome";
    boundary(
        F,
        || {
            if !out_attempt.is_null() {
                // SAFETY: writable by contract.
                unsafe { out_attempt.write(0) };
            }
            // SAFETY (three calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let ctx = unsafe { context(ctx, inner, F) }?;
            let n = unsafe { number_arg(inner, number, F) }?;
            let outcome = u8::try_from(outcome)
                .ok()
                .and_then(Outcome::from_code)
                .ok_or_else(|| {
                    FfiError::new(
                        dg_status::InvalidArgument,
                        format_args!("{F}: `outcome` {outcome} is not a dg_outcome value (1-8)"),
                    )
                })?;
            let attempt = (attempt != 0).then_some(AttemptId(attempt));
            let id = inner
                .guard
                .record_outcome(n, attempt, outcome, &ctx)
                .map_err(|e| guard_error(F, "outcome not recorded", e))?;
            if !out_attempt.is_null() {
                // SAFETY: writable by contract.
                unsafe { out_attempt.write(id.0) };
            }
            Ok(())
        },
        |_| {},
    )
}

/// Opts `number` out at `at_unix_ms` (Unix milliseconds, 0 = now): every later check on
/// every thread denies it (`DG_REASON_OPTOUT`). Journaled when the guard has a state
/// directory. Thread safety: any number of threads.
///
/// # Safety
/// `guard` is a handle from `dg_guard_open`; `number` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_opt_out(
    guard: *const dg_guard,
    number: *const c_char,
    at_unix_ms: i64,
) -> dg_status {
    const F: &str = "dg_opt_out";
    boundary(
        F,
        || {
            // SAFETY (two calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let n = unsafe { number_arg(inner, number, F) }?;
            let at = instant(at_unix_ms, F, "at_unix_ms")?;
            inner
                .guard
                .opt_out(n, at)
                .map_err(|e| guard_error(F, "opt-out not recorded", e))
        },
        |_| {},
    )
}

// ---------------------------------------------------------------------------------------

/// Records a citizen's complaint about calls to `number`, received at
/// `ctx->now_unix_ms` (campaign and caller ID from `ctx` when the citizen named them):
/// the number is opted out at once (every later check on every thread denies it,
/// `DG_REASON_OPTOUT`) and the complaint is written to the decision log with `channel`
/// (`phone`, `email`, `web`, `letter` or `app`; NULL = `phone`) and `text` (NULL = none).
/// The evidence (the contacts before it and the decisions that allowed them) is in the
/// log: `dialguard report` and `dialguard subject` read it.
///
/// Errors: `DG_STATUS_INVALID_ARGUMENT` (unknown channel), `DG_STATUS_IO_ERROR` (the
/// decision log could not keep it; the opt-out is recorded), and the argument errors of
/// `dg_check`. Without a decision log only the opt-out is kept (status OK). Thread
/// safety: any number of threads.
///
/// # Safety
/// As `dg_check`; `channel` and `text` are NULL or NUL-terminated (the guard copies
/// them; the caller keeps ownership).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_record_complaint(
    guard: *const dg_guard,
    number: *const c_char,
    ctx: *const dg_context,
    channel: *const c_char,
    text: *const c_char,
) -> dg_status {
    const F: &str = "dg_record_complaint";
    boundary(
        F,
        || {
            // SAFETY (five calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let ctx = unsafe { context(ctx, inner, F) }?;
            let n = unsafe { number_arg(inner, number, F) }?;
            let channel =
                unsafe { super::boundary::optional_str(channel, DG_MAX_ID_LEN, F, "channel") }?
                    .unwrap_or("phone");
            let text = unsafe { super::boundary::optional_str(text, DG_MAX_PATH_LEN, F, "text") }?;
            if !["phone", "email", "web", "letter", "app"].contains(&channel) {
                return Err(FfiError::new(
                    dg_status::InvalidArgument,
                    format_args!(
                        "{F}: `channel` {channel:?} is not one of phone, email, web, letter, app"
                    ),
                ));
            }
            inner
                .guard
                .record_complaint(n, &ctx, channel, text)
                .map(|_| ())
                .map_err(|e| guard_error(F, "complaint not fully recorded", e))
        },
        |_| {},
    )
}
