//! The check functions: `dg_check`, `dg_check_e164`, `dg_check_batch`,
//! `dg_check_and_reserve`.

use std::ffi::c_char;
use std::sync::atomic::Ordering;

use super::args::*;
use super::boundary::{FfiError, boundary, set_last_error};
use super::handle::{self, dg_guard};
use super::types::*;
use crate::decision::{Decision, Reason};
use crate::number::Number;

// Checks
// ---------------------------------------------------------------------------------------

/// Checks `number` (text, parsed with the policy's default country: "02 1234 5678",
/// "+39 02 1234 5678", "(201) 555-0123") for the call described by `ctx`. Records nothing.
///
/// Writes the decision to `*out` (caller-owned). Returns `DG_STATUS_OK` when the guard
/// decided (the verdict may be DENY or DEFER). On any other status `*out` is a DENY:
/// `DG_STATUS_INVALID_NUMBER` (reason `DG_REASON_INVALID_NUMBER`, also for a NULL,
/// non-UTF-8 or over-long number; reason `DG_REASON_CALLER_ID` when the caller ID is the
/// bad one), `DG_STATUS_INVALID_ARGUMENT` (bad purpose, mode or instant), and so on.
///
/// Does not allocate on success. Thread safety: any number of threads at once.
///
/// # Safety
/// `guard` is a handle from `dg_guard_open`; `number` is NULL or NUL-terminated; `ctx` is
/// NULL or a valid `dg_context`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_check(
    guard: *const dg_guard,
    number: *const c_char,
    ctx: *const dg_context,
    out: *mut dg_decision,
) -> dg_status {
    const F: &str = "dg_check";
    boundary(
        F,
        || {
            required(out, F, "out")?;
            // SAFETY (three calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let ctx = unsafe { context(ctx, inner, F) }?;
            let input = unsafe { number_str(number, F) }?;
            let version = inner.version.load(Ordering::Acquire);
            let d = inner.guard.check(input, &ctx);
            if d == Decision::deny(Reason::InvalidNumber) {
                // Off the hot path: parse again to say why.
                parse_number(inner, input, F, "number")?;
            }
            // SAFETY: checked non-null; writable by contract.
            unsafe { out.write(dg_decision::from_decision(d, version)) };
            Ok(())
        },
        // SAFETY: `out` is NULL or writable by contract.
        |e| unsafe { deny_into(out, e) },
    )
}

/// Checks a number given as E.164 digits (`390212345678` for +39 02 1234 5678): the
/// fastest form, no parsing. 0 or more than 15 digits fails with `DG_STATUS_INVALID_NUMBER`.
/// Otherwise as `dg_check`.
///
/// # Safety
/// As `dg_check`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_check_e164(
    guard: *const dg_guard,
    digits: u64,
    ctx: *const dg_context,
    out: *mut dg_decision,
) -> dg_status {
    const F: &str = "dg_check_e164";
    boundary(
        F,
        || {
            required(out, F, "out")?;
            // SAFETY (two calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let ctx = unsafe { context(ctx, inner, F) }?;
            let n = e164(digits, F, "digits")?;
            let version = inner.version.load(Ordering::Acquire);
            let d = inner.guard.check_number(n, &ctx);
            // SAFETY: checked non-null; writable by contract.
            unsafe { out.write(dg_decision::from_decision(d, version)) };
            Ok(())
        },
        // SAFETY: `out` is NULL or writable by contract.
        |e| unsafe { deny_into(out, e) },
    )
}

/// How many numbers `dg_check_batch` decides per stack chunk (no allocation).
const BATCH_CHUNK: usize = 128;

/// Checks `len` numbers (E.164 digits) against one policy snapshot, writing `out[i]` for
/// `numbers[i]` (list scrubbing, hopper filling). An entry that is not a valid E.164 number
/// gets DENY / `DG_REASON_INVALID_NUMBER` and the others are still decided: the status is
/// `DG_STATUS_OK` unless the call as a whole failed, in which case every `out[i]` is DENY.
/// `len` 0 is allowed (then `numbers` and `out` may be NULL).
///
/// Ownership: both arrays stay the caller's. Thread safety: any number of threads.
///
/// # Safety
/// `numbers` is readable and `out` writable for `len` elements (unless NULL); `guard` and
/// `ctx` as in `dg_check`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_check_batch(
    guard: *const dg_guard,
    numbers: *const u64,
    len: usize,
    ctx: *const dg_context,
    out: *mut dg_decision,
) -> dg_status {
    const F: &str = "dg_check_batch";
    // A length whose array could not exist is never used to write.
    let len_ok = len <= isize::MAX as usize / size_of::<dg_decision>();
    boundary(
        F,
        || {
            // SAFETY (four): forwarded contract; `len` elements readable / writable.
            let inner = unsafe { handle::inner(guard, F) }?;
            let ctx = unsafe { context(ctx, inner, F) }?;
            if len == 0 {
                return Ok(());
            }
            required(out, F, "out")?;
            if !len_ok {
                return Err(FfiError::new(
                    dg_status::InvalidArgument,
                    format_args!("{F}: `len` {len} is larger than any array"),
                ));
            }
            required(numbers, F, "numbers")?;
            let numbers = unsafe { std::slice::from_raw_parts(numbers, len) };
            let out = unsafe { std::slice::from_raw_parts_mut(out, len) };
            let version = inner.version.load(Ordering::Acquire);
            const FILL: Number = match Number::from_e164_digits(1) {
                Some(n) => n,
                None => unreachable!(),
            };
            let mut valid = [FILL; BATCH_CHUNK];
            let mut slot = [0usize; BATCH_CHUNK];
            let mut decided = [Decision::ALLOW; BATCH_CHUNK];
            for (digits, out) in numbers.chunks(BATCH_CHUNK).zip(out.chunks_mut(BATCH_CHUNK)) {
                let mut k = 0;
                for (i, (&d, o)) in digits.iter().zip(out.iter_mut()).enumerate() {
                    match crate::number::validate_e164(d) {
                        Ok(n) => {
                            valid[k] = n;
                            slot[k] = i;
                            k += 1;
                        }
                        Err(_) => *o = dg_decision::deny(Reason::InvalidNumber, version),
                    }
                }
                inner
                    .guard
                    .check_batch(&valid[..k], &ctx, &mut decided[..k]);
                for (&i, &d) in slot[..k].iter().zip(&decided[..k]) {
                    out[i] = dg_decision::from_decision(d, version);
                }
            }
            Ok(())
        },
        |e| {
            if !out.is_null() && len_ok {
                for i in 0..len {
                    // SAFETY: `len` elements writable by contract.
                    unsafe { deny_into(out.add(i), e) };
                }
            }
        },
    )
}

/// Decides and, when the answer is ALLOW, records the attempt, atomically per number:
/// with a cap of N, no interleaving of threads ever admits N + 1. `*out_attempt` receives
/// the attempt id to pass to `dg_record_outcome` (0 when nothing was reserved).
///
/// A failure leaves `*out` DENY and `*out_attempt` 0, and records nothing.
/// Thread safety: any number of threads.
///
/// # Safety
/// As `dg_check`; `out_attempt` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_check_and_reserve(
    guard: *const dg_guard,
    number: *const c_char,
    ctx: *const dg_context,
    out: *mut dg_decision,
    out_attempt: *mut u64,
) -> dg_status {
    const F: &str = "dg_check_and_reserve";
    boundary(
        F,
        || {
            required(out, F, "out")?;
            required(out_attempt, F, "out_attempt")?;
            // SAFETY: checked non-null; writable by contract.
            unsafe { out_attempt.write(0) };
            // SAFETY (three calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let ctx = unsafe { context(ctx, inner, F) }?;
            let n = unsafe { number_arg(inner, number, F) }?;
            let version = inner.version.load(Ordering::Acquire);
            let r = inner.guard.check_and_reserve(n, &ctx);
            if r.decision.reason() == Some(Reason::StoreUnavailable)
                && let Some(cause) = inner.guard.store_error()
            {
                // The answer is a valid DENY; the cause is kept for `dg_last_error`.
                set_last_error(&format!("{F}: {cause}"));
            }
            // SAFETY: both checked non-null; writable by contract.
            unsafe {
                out.write(dg_decision::from_decision(r.decision, version));
                out_attempt.write(r.attempt.map_or(0, |a| a.0));
            }
            Ok(())
        },
        |e| {
            // SAFETY: NULL or writable by contract.
            unsafe {
                deny_into(out, e);
                if !out_attempt.is_null() {
                    out_attempt.write(0);
                }
            }
        },
    )
}

// ---------------------------------------------------------------------------------------
