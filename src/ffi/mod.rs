//! The C ABI (`include/dialguard.h`, generated from this module by cbindgen in build.rs).
//!
//! This module owns every `extern "C"` function (`dg_*`), the `#[repr(C)]` structs that
//! cross the boundary ([`dg_context`], [`dg_decision`]), the [`dg_status`] codes and the
//! opaque [`dg_guard`] handle. Rules every function follows:
//!
//! - **No panic crosses the boundary**: each body runs under `catch_unwind`; a caught
//!   panic returns `DG_STATUS_PANIC`.
//! - **Fail closed**: whenever a function that fills a `dg_decision` returns anything but
//!   `DG_STATUS_OK` (NULL argument, bad UTF-8, over-long string, bad enum value, closed
//!   handle, panic), the decision it wrote says DENY, never ALLOW.
//! - **Every pointer is checked** for NULL; strings are read with a length bound and never
//!   past it; nothing is written through a pointer the caller did not pass for output.
//! - **Errors as text**: the message of the last failed call on the calling thread is
//!   available from `dg_last_error`.
//! - **The hot path does not allocate**: `dg_check_e164` and `dg_check` read strings in
//!   place and allocate only what the Rust check itself does (nothing), except when they
//!   fail, to format the error text.
//!
//! Values of enums and status codes are stable: never renumbered, only appended.

#![allow(non_camel_case_types)]

mod boundary;
mod handle;

use std::ffi::c_char;
use std::path::Path;
use std::sync::atomic::Ordering;

use jiff::Timestamp;

use self::boundary::{
    FfiError, boundary, bounded_str, copy_out, optional_str, set_last_error, with_last_error,
};
use self::handle::Inner;
pub use self::handle::dg_guard;
use crate::decision::{Decision, Reason, RuleId};
use crate::guard::{CallContext, Guard, GuardError, GuardOptions};
use crate::history::{AttemptId, HistoryError, Outcome};
use crate::number::{self, Number};
use crate::policy::{Mode, Purpose};

/// The ABI revision of this header and library. Compare `dg_abi_version()` with
/// `DG_ABI_VERSION` at start-up: a mismatch means the program was compiled against a
/// different header than the library it loaded.
pub const DG_ABI_VERSION: u32 = 1;

/// Longest number string accepted, in bytes (longer input fails with `DG_STATUS_TOO_LONG`).
pub const DG_MAX_NUMBER_LEN: usize = 64;

/// Longest campaign or subject id accepted, in bytes.
pub const DG_MAX_ID_LEN: usize = 256;

/// Longest file path accepted, in bytes.
pub const DG_MAX_PATH_LEN: usize = 4096;

/// `dg_decision.rule` when no policy rule decided (invalid input, internal error, allow).
pub const DG_RULE_NONE: u32 = 65535;

/// `dg_decision.constraints` bit: a live agent must be on the line when the callee answers.
pub const DG_CONSTRAINT_REQUIRE_LIVE_AGENT: u32 = 1;

/// `dg_decision.constraints` bit: the attempt must not be placed by a predictive dialer.
pub const DG_CONSTRAINT_NO_PREDICTIVE: u32 = 2;

/// The result of every fallible function. 0 is success; errors use the private range
/// 7001 and up. Values are never renumbered; retired ones stay reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 7001,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 7002,
    /// The number (or caller ID) is not a dialable phone number; see `dg_last_error`.
    InvalidNumber = 7003,
    /// An argument is out of range: an unknown purpose/mode/outcome code, an instant
    /// outside the supported range, a handle that is not one, an oversized batch.
    InvalidArgument = 7004,
    /// The policy did not compile (the text lists every error with file and line).
    PolicyError = 7005,
    /// A file operation failed (state directory, journal).
    IoError = 7006,
    /// The contact history refused the operation (corrupt or newer state files,
    /// journal unusable after an earlier failure).
    HistoryError = 7007,
    /// The handle was closed by `dg_guard_close`.
    ClosedHandle = 7008,
    /// An internal error (a bug) was caught; the call failed closed.
    Panic = 7009,
    /// The output buffer is too small; `*out_len` says how many bytes are needed.
    BufferTooSmall = 7010,
    /// A string argument is longer than its limit (`DG_MAX_NUMBER_LEN`, `DG_MAX_ID_LEN`,
    /// `DG_MAX_PATH_LEN`).
    TooLong = 7011,
    /// No such item (e.g. a rule id that the policy in force does not have).
    NotFound = 7012,
}

impl dg_status {
    const ALL: [dg_status; 13] = [
        dg_status::Ok,
        dg_status::NullParameter,
        dg_status::InvalidUtf8,
        dg_status::InvalidNumber,
        dg_status::InvalidArgument,
        dg_status::PolicyError,
        dg_status::IoError,
        dg_status::HistoryError,
        dg_status::ClosedHandle,
        dg_status::Panic,
        dg_status::BufferTooSmall,
        dg_status::TooLong,
        dg_status::NotFound,
    ];

    const fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            dg_status::Ok => c"ok",
            dg_status::NullParameter => c"null_parameter",
            dg_status::InvalidUtf8 => c"invalid_utf8",
            dg_status::InvalidNumber => c"invalid_number",
            dg_status::InvalidArgument => c"invalid_argument",
            dg_status::PolicyError => c"policy_error",
            dg_status::IoError => c"io_error",
            dg_status::HistoryError => c"history_error",
            dg_status::ClosedHandle => c"closed_handle",
            dg_status::Panic => c"panic",
            dg_status::BufferTooSmall => c"buffer_too_small",
            dg_status::TooLong => c"too_long",
            dg_status::NotFound => c"not_found",
        }
    }
}

/// Values of `dg_decision.verdict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_verdict {
    /// Dial now, honouring `dg_decision.constraints`.
    Allow = 0,
    /// Do not dial.
    Deny = 1,
    /// Do not dial before `dg_decision.until_unix_ms`.
    Defer = 2,
}

/// Values of `dg_decision.reason` (the same stable codes as the Rust `Reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_reason {
    /// No reason: the verdict is ALLOW.
    None = 0,
    /// The input is not a dialable phone number (also: the number argument was NULL,
    /// not UTF-8 or too long).
    InvalidNumber = 1,
    /// On an internal opt-out list (compiled or added at run time).
    OptOut = 2,
    /// On a national do-not-call registry and no exemption applies.
    Registry = 3,
    /// A registry copy is older than the policy allows.
    StaleList = 4,
    /// On a suppression list or under a suppressed prefix.
    Suppression = 5,
    /// Consent is required and none is on file.
    ConsentRequired = 6,
    /// The caller ID is not allowed for this callee (or could not be read).
    CallerId = 7,
    /// A blackout covers the callee's region.
    Blackout = 8,
    /// Outside the calling window.
    OutsideWindow = 9,
    /// A frequency cap is reached.
    Cap = 10,
    /// A cool-off is running.
    Cooloff = 11,
    /// The campaign's abandon rate is over its ceiling.
    AbandonRate = 12,
    /// The contact history could not be read or written.
    StoreUnavailable = 13,
    /// No allowed instant within the policy horizon.
    BeyondHorizon = 14,
    /// No policy is loaded.
    NoPolicy = 15,
    /// An internal error or a failed call (see the returned status): fail closed.
    Internal = 16,
}

impl dg_reason {
    const fn c_name(code: u32) -> &'static std::ffi::CStr {
        match code {
            0 => c"none",
            1 => c"invalid_number",
            2 => c"optout",
            3 => c"registry",
            4 => c"stale_list",
            5 => c"suppression",
            6 => c"consent_required",
            7 => c"caller_id",
            8 => c"blackout",
            9 => c"outside_window",
            10 => c"cap",
            11 => c"cooloff",
            12 => c"abandon_rate",
            13 => c"store_unavailable",
            14 => c"beyond_horizon",
            15 => c"no_policy",
            16 => c"internal",
            _ => c"unknown",
        }
    }
}

/// Values of `dg_context.purpose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_purpose {
    Sales = 0,
    Survey = 1,
    Collection = 2,
    Informational = 3,
}

/// Values of `dg_context.mode`. Preview and manual mean a live agent is on the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_mode {
    Predictive = 0,
    Preview = 1,
    Manual = 2,
}

/// Values of the `outcome` argument of `dg_record_outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_outcome {
    /// Rang out without an answer.
    NoAnswer = 1,
    /// Line busy.
    Busy = 2,
    /// A person answered and spoke with an agent.
    Answered = 3,
    /// A person answered and no agent was connected in time (silent call).
    Abandoned = 4,
    /// An answering machine took the call.
    Machine = 5,
    /// The person answered and refused.
    Refused = 6,
    /// The person asked not to be called again (the number is opted out at once).
    OptOut = 7,
    /// The number is not the intended contact's.
    WrongNumber = 8,
}

/// Everything about one call attempt besides the number. Filled by the caller; read
/// only during the call (no pointer is kept). Zero-initialise it (`dg_context ctx = {0};`)
/// for: now, no campaign, no subject, no caller ID, sales, predictive.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct dg_context {
    /// The instant of the attempt in Unix milliseconds (UTC); 0 = read the system clock.
    pub now_unix_ms: i64,
    /// Campaign id (UTF-8, NUL-terminated, at most `DG_MAX_ID_LEN` bytes), or NULL.
    pub campaign: *const c_char,
    /// Subject id, e.g. the debt or account (same limits), or NULL.
    pub subject: *const c_char,
    /// The caller ID to present, as text (parsed like the number), or NULL.
    pub caller_id: *const c_char,
    /// The caller ID as E.164 digits (e.g. 390299990000), or 0. Set at most one of
    /// `caller_id` and `caller_id_e164`; this one avoids parsing on the hot path.
    pub caller_id_e164: u64,
    /// A `dg_purpose` value.
    pub purpose: u32,
    /// A `dg_mode` value.
    pub mode: u32,
}

/// The guard's answer, written by the check functions into caller-owned memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct dg_decision {
    /// A `dg_verdict` value: ALLOW, DENY or DEFER.
    pub verdict: u32,
    /// A `dg_reason` value; `DG_REASON_NONE` for ALLOW.
    pub reason: u32,
    /// The deciding rule's id (name it with `dg_rule_name`), or `DG_RULE_NONE`.
    pub rule: u32,
    /// `DG_CONSTRAINT_*` bits the dialer must honour (ALLOW only).
    pub constraints: u32,
    /// DEFER: the earliest lawful instant, Unix milliseconds (UTC); 0 otherwise.
    pub until_unix_ms: i64,
    /// The version of the policy in force when the check started (0 when the call
    /// failed before reading the guard). Rule ids belong to this version.
    pub policy_version: u64,
}

impl dg_decision {
    const fn deny(reason: Reason, policy_version: u64) -> dg_decision {
        dg_decision {
            verdict: dg_verdict::Deny as u32,
            reason: reason as u32,
            rule: DG_RULE_NONE,
            constraints: 0,
            until_unix_ms: 0,
            policy_version,
        }
    }

    fn from_decision(d: Decision, policy_version: u64) -> dg_decision {
        match d {
            Decision::Allow { constraints } => dg_decision {
                verdict: dg_verdict::Allow as u32,
                reason: dg_reason::None as u32,
                rule: DG_RULE_NONE,
                constraints: constraints.0,
                until_unix_ms: 0,
                policy_version,
            },
            Decision::Deny { reason, rule } => dg_decision {
                verdict: dg_verdict::Deny as u32,
                reason: reason as u32,
                rule: u32::from(rule.0),
                constraints: 0,
                until_unix_ms: 0,
                policy_version,
            },
            Decision::Defer {
                until,
                reason,
                rule,
            } => dg_decision {
                verdict: dg_verdict::Defer as u32,
                reason: reason as u32,
                rule: u32::from(rule.0),
                constraints: 0,
                until_unix_ms: until.as_millisecond(),
                policy_version,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Internal helpers
// ---------------------------------------------------------------------------------------

/// Writes the fail-closed decision for `e` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn deny_into(out: *mut dg_decision, e: &FfiError) {
    if !out.is_null() {
        // SAFETY: caller contract.
        unsafe { out.write(dg_decision::deny(e.reason, 0)) };
    }
}

fn required<T>(p: *const T, function: &str, param: &str) -> Result<(), FfiError> {
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
unsafe fn number_str<'a>(p: *const c_char, function: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    unsafe { bounded_str(p, DG_MAX_NUMBER_LEN, function, "number") }
        .map_err(|e| e.because(Reason::InvalidNumber))
}

/// Parses a number string with the default country of the policy in force.
fn parse_number(inner: &Inner, s: &str, function: &str, param: &str) -> Result<Number, FfiError> {
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
unsafe fn number_arg(inner: &Inner, p: *const c_char, function: &str) -> Result<Number, FfiError> {
    // SAFETY: forwarded contract.
    let s = unsafe { number_str(p, function) }?;
    parse_number(inner, s, function, "number")
}

fn e164(digits: u64, function: &str, param: &str) -> Result<Number, FfiError> {
    Number::from_e164_digits(digits).ok_or_else(|| {
        FfiError::new(
            dg_status::InvalidNumber,
            format_args!(
                "{function}: `{param}` {digits} is not an E.164 number: pass 1 to 15 digits, \
                 country code first, e.g. 390212345678"
            ),
        )
        .because(Reason::InvalidNumber)
    })
}

/// The instant for `ms` Unix milliseconds, 0 meaning now.
fn instant(ms: i64, function: &str, param: &str) -> Result<Timestamp, FfiError> {
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
unsafe fn context<'a>(
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

fn guard_error(function: &str, what: &str, e: GuardError) -> FfiError {
    let status = match &e {
        GuardError::Policy(_) => dg_status::PolicyError,
        GuardError::History(h) => history_status(h),
        GuardError::Number(_) => dg_status::InvalidNumber,
        GuardError::UnknownList(_) => dg_status::NotFound,
    };
    FfiError::new(status, format_args!("{function}: {what}: {e}"))
}

fn history_status(e: &HistoryError) -> dg_status {
    match e {
        HistoryError::Io { .. } => dg_status::IoError,
        HistoryError::InstantOutOfRange { .. } | HistoryError::UnknownOutcome { .. } => {
            dg_status::InvalidArgument
        }
        _ => dg_status::HistoryError,
    }
}

// ---------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------

/// Compiles the policy at `policy_path` and opens a guard.
///
/// - `policy_path`: UTF-8 path of the policy TOML file (borrowed for the call).
/// - `state_dir`: directory of the durable contact-history journal, created if missing;
///   NULL keeps the history in memory only (lost when the guard is closed).
/// - `out`: receives the new handle, or NULL on failure.
///
/// Ownership: the caller owns the returned handle and must release it with
/// `dg_guard_close` exactly once. Thread safety: may be called from any thread; the handle
/// may then be used from any number of threads at once.
///
/// Errors: `DG_STATUS_POLICY_ERROR` (the text of `dg_last_error` lists every error with
/// file and line), `DG_STATUS_IO_ERROR`, `DG_STATUS_HISTORY_ERROR`, `DG_STATUS_NULL_PARAMETER`,
/// `DG_STATUS_INVALID_UTF8`, `DG_STATUS_TOO_LONG`.
///
/// # Safety
/// `policy_path` is NULL or a NUL-terminated string; `state_dir` likewise; `out` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_guard_open(
    policy_path: *const c_char,
    state_dir: *const c_char,
    out: *mut *mut dg_guard,
) -> dg_status {
    const F: &str = "dg_guard_open";
    boundary(
        F,
        || {
            required(out, F, "out")?;
            // SAFETY: checked non-null; writable by contract.
            unsafe { out.write(std::ptr::null_mut()) };
            // SAFETY (two calls): strings by contract.
            let path = unsafe { bounded_str(policy_path, DG_MAX_PATH_LEN, F, "policy_path") }?;
            let dir = unsafe { optional_str(state_dir, DG_MAX_PATH_LEN, F, "state_dir") }?;
            let options = GuardOptions {
                state_dir: dir.map(Into::into),
                fsync: None,
            };
            let (guard, _report) = Guard::open(Path::new(path), options)
                .map_err(|e| guard_error(F, &format!("cannot open policy {path:?}"), e))?;
            let raw = handle::into_raw(Inner::new(guard));
            // SAFETY: as above.
            unsafe { out.write(raw) };
            Ok(())
        },
        |_| {},
    )
}

/// Closes a guard: releases the policy and the history (flushing its journal).
///
/// NULL is accepted and does nothing (returns `DG_STATUS_OK`). Closing a handle twice, or
/// using it after closing, is detected and returns `DG_STATUS_CLOSED_HANDLE` (the handle's
/// few bytes are kept as a tombstone for that purpose).
///
/// Thread safety: the caller must make sure no other thread is inside, or will enter, a
/// call with this handle; that cannot be detected.
///
/// # Safety
/// `guard` is NULL or a handle from `dg_guard_open` (open or already closed).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_guard_close(guard: *mut dg_guard) -> dg_status {
    const F: &str = "dg_guard_close";
    if guard.is_null() {
        return dg_status::Ok;
    }
    // SAFETY: forwarded contract.
    boundary(F, || unsafe { handle::close(guard, F) }, |_| {})
}

/// Compiles the policy at `policy_path` and swaps it in atomically. Checks running on
/// other threads finish on the old policy; later checks use the new one. On failure the
/// old policy keeps serving and the error text says what is wrong.
///
/// Thread safety: any thread, concurrently with checks; concurrent reloads are serialised.
///
/// # Safety
/// `guard` is a handle from `dg_guard_open`; `policy_path` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_guard_reload(
    guard: *const dg_guard,
    policy_path: *const c_char,
) -> dg_status {
    const F: &str = "dg_guard_reload";
    boundary(
        F,
        || {
            // SAFETY (two calls): forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let path = unsafe { bounded_str(policy_path, DG_MAX_PATH_LEN, F, "policy_path") }?;
            let _serial = inner.reload.lock().unwrap_or_else(|p| p.into_inner());
            inner.guard.reload(Path::new(path)).map_err(|e| {
                FfiError::new(
                    dg_status::PolicyError,
                    format_args!(
                        "{F}: policy {path:?} not loaded, the previous one keeps serving: {e}"
                    ),
                )
            })?;
            inner.refresh();
            Ok(())
        },
        |_| {},
    )
}

/// The version of the policy in force (changes with every compile), or 0 when `guard` is
/// NULL, not a handle or closed (then `dg_last_error` says which).
///
/// # Safety
/// `guard` is NULL or a handle from `dg_guard_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_policy_version(guard: *const dg_guard) -> u64 {
    const F: &str = "dg_policy_version";
    let mut version = 0;
    boundary(
        F,
        || {
            // SAFETY: forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            version = inner.version.load(Ordering::Acquire);
            Ok(())
        },
        |_| {},
    );
    version
}

// ---------------------------------------------------------------------------------------
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
                    match Number::from_e164_digits(d) {
                        Some(n) => {
                            valid[k] = n;
                            slot[k] = i;
                            k += 1;
                        }
                        None => *o = dg_decision::deny(Reason::InvalidNumber, version),
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
// Names, errors, versions
// ---------------------------------------------------------------------------------------

/// Copies the id of rule `rule` (from `dg_decision.rule`) of the policy in force into
/// `buf` (capacity `len` bytes) as a NUL-terminated string; `*out_len` (may be NULL)
/// receives its length without the NUL. `DG_STATUS_BUFFER_TOO_SMALL` when it does not fit
/// (`*out_len` then says how much is needed; `buf = NULL, len = 0` is a size query);
/// `DG_STATUS_NOT_FOUND` for `DG_RULE_NONE` or an id the policy does not have.
///
/// Rule ids belong to a policy version: after a reload, name a decision's rule only if
/// `dg_policy_version` still equals `dg_decision.policy_version`.
///
/// # Safety
/// `guard` is a handle; `buf` is NULL or writable for `len` bytes; `out_len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_rule_name(
    guard: *const dg_guard,
    rule: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> dg_status {
    const F: &str = "dg_rule_name";
    boundary(
        F,
        || {
            // SAFETY: forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let snap = inner.snapshot.load();
            let meta = u16::try_from(rule)
                .ok()
                .filter(|&r| r != RuleId::NONE.0)
                .and_then(|r| snap.rule(RuleId(r)))
                .ok_or_else(|| {
                    FfiError::new(
                        dg_status::NotFound,
                        format_args!(
                            "{F}: the policy in force has no rule {rule} ({} rules)",
                            snap.rules().len()
                        ),
                    )
                })?;
            // SAFETY: forwarded contract.
            unsafe { copy_out(&meta.id, buf, len, out_len, F) }
        },
        |_| {},
    )
}

/// Copies the message of the last failed `dg_*` call on the calling thread into `buf`
/// (NUL-terminated; empty when no call has failed yet). Successful calls do not clear it.
/// Size handling as `dg_rule_name`. This function never changes the stored message.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes; `out_len` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_last_error(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> dg_status {
    std::panic::catch_unwind(|| {
        with_last_error(|msg| {
            // SAFETY: forwarded contract.
            match unsafe { copy_out(msg, buf, len, out_len, "dg_last_error") } {
                Ok(()) => dg_status::Ok,
                // Not stored: the message asked for must survive the failed copy.
                Err(e) => e.status,
            }
        })
    })
    .unwrap_or(dg_status::Panic)
}

/// The snake_case name of a `dg_reason` code ("outside_window"), "unknown" for a code
/// that is not one. Static storage: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dg_reason_name(reason: u32) -> *const c_char {
    dg_reason::c_name(reason).as_ptr()
}

/// The snake_case name of a `dg_status` code ("null_parameter"), "unknown" for a code
/// that is not one. Static storage: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dg_status_name(status: u32) -> *const c_char {
    dg_status::ALL
        .iter()
        .find(|s| **s as u32 == status)
        .map_or(c"unknown", |s| s.c_name())
        .as_ptr()
}

/// The name of a `dg_verdict` code ("allow", "deny", "defer"), "unknown" otherwise.
/// Static storage: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dg_verdict_name(verdict: u32) -> *const c_char {
    match verdict {
        0 => c"allow",
        1 => c"deny",
        2 => c"defer",
        _ => c"unknown",
    }
    .as_ptr()
}

/// The library version ("0.1.0"), equal to `DG_VERSION` of the header it was built with.
/// Static storage: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn dg_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The ABI revision of the loaded library; compare with `DG_ABI_VERSION`.
#[unsafe(no_mangle)]
pub extern "C" fn dg_abi_version() -> u32 {
    DG_ABI_VERSION
}

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("the crate version contains a NUL byte"),
};

#[cfg(test)]
mod tests;
