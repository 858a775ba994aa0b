//! Names, errors and versions: `dg_rule_name`, `dg_last_error`, `dg_*_name`,
//! `dg_version`, `dg_abi_version`.

use std::ffi::c_char;

use super::boundary::{FfiError, boundary, copy_out, with_last_error};
use super::handle::{self, dg_guard};
use super::types::*;
use crate::decision::RuleId;

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
                .filter(|&r| r != RuleId::NONE.raw())
                .and_then(|r| RuleId::from_index(usize::from(r)))
                .and_then(|r| snap.rule(r))
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
