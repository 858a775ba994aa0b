//! Reading C arguments into Rust values (numbers, instants, contexts) and mapping
//! Rust errors to status codes; every failure becomes an `FfiError`.

use std::ffi::c_char;

use jiff::Timestamp;

use super::boundary::{FfiError, bounded_str, optional_str};
use super::handle::Inner;
use super::types::*;
use crate::decision::Reason;
use crate::guard::{CallContext, GuardError};
use crate::history::HistoryError;
use crate::number::{self, Number};
use crate::policy::{Mode, Purpose};

/// Writes the fail-closed decision for `e` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
pub(super) unsafe fn deny_into(out: *mut dg_decision, e: &FfiError) {
    if !out.is_null() {
        // SAFETY: caller contract.
        unsafe { out.write(dg_decision::deny(e.reason, 0)) };
    }
}

pub(super) fn required<T>(p: *const T, function: &str, param: &str) -> Result<(), FfiError> {
    if p.is_null() {
        Err(FfiError::null(function, param))
    } else {
        Ok(())
    }
}

/// Reads the number argument; every failure is about the number (`invalid_number`).
///
/// # Safety
/// As `bounded_str`.
pub(super) unsafe fn number_str<'a>(p: *const c_char, function: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    unsafe { bounded_str(p, DG_MAX_NUMBER_LEN, function, "number") }
        .map_err(|e| e.because(Reason::InvalidNumber))
}

/// Parses a number string with the default country of the policy in force.
pub(super) fn parse_number(
    inner: &Inner,
    s: &str,
    function: &str,
    param: &str,
) -> Result<Number, FfiError> {
    let snap = inner.snapshot.load();
    number::parse(s, snap.default_country()).map_err(|e| {
        FfiError::new(
            dg_status::InvalidNumber,
            format_args!("{function}: `{param}` {s:?} is not a dialable number: {e}"),
        )
        .because(Reason::InvalidNumber)
    })
}

/// Reads the number argument and parses it.
///
/// # Safety
/// As `bounded_str`.
pub(super) unsafe fn number_arg(
    inner: &Inner,
    p: *const c_char,
    function: &str,
) -> Result<Number, FfiError> {
    // SAFETY: forwarded contract.
    let s = unsafe { number_str(p, function) }?;
    parse_number(inner, s, function, "number")
}

pub(super) fn e164(digits: u64, function: &str, param: &str) -> Result<Number, FfiError> {
    // The same validity as text input: `1` or `39` is not a number no rule covers.
    crate::number::validate_e164(digits).map_err(|e| {
        FfiError::new(
            dg_status::InvalidNumber,
            format_args!(
                "{function}: `{param}` {digits} is not a valid E.164 number ({e}): pass the \
                 digits country code first, e.g. 390212345678"
            ),
        )
        .because(Reason::InvalidNumber)
    })
}

/// The instant for `ms` Unix milliseconds, 0 meaning now.
pub(super) fn instant(ms: i64, function: &str, param: &str) -> Result<Timestamp, FfiError> {
    if ms == 0 {
        return Ok(Timestamp::now());
    }
    Timestamp::from_millisecond(ms).map_err(|_| {
        FfiError::new(
            dg_status::InvalidArgument,
            format_args!(
                "{function}: `{param}` {ms} is not a supported instant; pass Unix milliseconds \
                 (or 0 for now)"
            ),
        )
    })
}

/// Reads a `dg_context` into a [`CallContext`] borrowing its strings.
///
/// # Safety
/// `ctx` is NULL or points to a readable `dg_context` whose non-NULL strings are
/// NUL-terminated and outlive the call.
pub(super) unsafe fn context<'a>(
    ctx: *const dg_context,
    inner: &Inner,
    function: &str,
) -> Result<CallContext<'a>, FfiError> {
    required(ctx, function, "ctx")?;
    // SAFETY: non-null, readable by contract; the struct is plain data.
    let c = unsafe { ctx.read() };
    let now = instant(c.now_unix_ms, function, "ctx->now_unix_ms")?;
    // SAFETY (three calls): the caller guarantees the strings.
    let campaign = unsafe { optional_str(c.campaign, DG_MAX_ID_LEN, function, "ctx->campaign") }?;
    let subject = unsafe { optional_str(c.subject, DG_MAX_ID_LEN, function, "ctx->subject") }?;
    let caller_text =
        unsafe { optional_str(c.caller_id, DG_MAX_NUMBER_LEN, function, "ctx->caller_id") }
            .map_err(|e| e.because(Reason::CallerId))?;
    let caller_id = match (caller_text, c.caller_id_e164) {
        (None, 0) => None,
        (None, digits) => Some(
            e164(digits, function, "ctx->caller_id_e164")
                .map_err(|e| e.because(Reason::CallerId))?,
        ),
        (Some(s), 0) => Some(
            parse_number(inner, s, function, "ctx->caller_id")
                .map_err(|e| e.because(Reason::CallerId))?,
        ),
        (Some(_), _) => {
            return Err(FfiError::new(
                dg_status::InvalidArgument,
                format_args!(
                    "{function}: both `ctx->caller_id` and `ctx->caller_id_e164` are set; set one"
                ),
            ));
        }
    };
    let purpose = Purpose::from_code(c.purpose).ok_or_else(|| {
        FfiError::new(
            dg_status::InvalidArgument,
            format_args!(
                "{function}: `ctx->purpose` {} is not a dg_purpose value (0-3)",
                c.purpose
            ),
        )
    })?;
    let mode = Mode::from_code(c.mode).ok_or_else(|| {
        FfiError::new(
            dg_status::InvalidArgument,
            format_args!(
                "{function}: `ctx->mode` {} is not a dg_mode value (0-2)",
                c.mode
            ),
        )
    })?;
    Ok(CallContext {
        now,
        campaign,
        subject,
        caller_id,
        purpose,
        mode,
        known_region: None,
        known_zone: None,
    })
}

pub(super) fn guard_error(function: &str, what: &str, e: GuardError) -> FfiError {
    let status = match &e {
        GuardError::Policy(_) => dg_status::PolicyError,
        GuardError::History(h) => history_status(h),
        GuardError::Number(_) => dg_status::InvalidNumber,
        GuardError::UnknownList(_) => dg_status::NotFound,
        // A `[cluster]` the policy file holds that cannot work: a policy error.
        GuardError::Cluster(_) => dg_status::PolicyError,
        GuardError::Audit(_) | GuardError::AuditLost(_) => dg_status::IoError,
    };
    FfiError::new(status, format_args!("{function}: {what}: {e}"))
}

pub(super) fn history_status(e: &HistoryError) -> dg_status {
    match e {
        HistoryError::Io { .. } => dg_status::IoError,
        HistoryError::InstantOutOfRange { .. } | HistoryError::UnknownOutcome { .. } => {
            dg_status::InvalidArgument
        }
        _ => dg_status::HistoryError,
    }
}
