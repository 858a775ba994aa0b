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

mod args;
mod boundary;
mod handle;
mod options;
mod types;

// The `dg_*` functions, by seam: the lifecycle below, the others in submodules. cbindgen
// emits this file's functions first, then its submodules' in file-name order: that is
// the order of include/dialguard.h (lifecycle, check, history, names), so a new seam's
// file name decides where its functions land in the header.
mod check;
mod history;
mod metrics;
mod names;

pub use self::check::*;
pub use self::handle::dg_guard;
pub use self::history::*;
pub use self::metrics::*;
pub use self::names::*;
pub use self::types::*;

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------
// Lifecycle: dg_guard_open, dg_guard_open_with, dg_guard_close, dg_guard_reload, dg_policy_version
// ---------------------------------------------------------------------------------------

use std::ffi::c_char;
use std::path::Path;
use std::sync::atomic::Ordering;

use self::args::*;
use self::boundary::{FfiError, boundary, bounded_str, optional_str};
use self::handle::Inner;
use crate::guard::{Guard, GuardOptions};

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
                // The policy's `[cluster]`, if any, selects the shared store.
                cluster: None,
                audit: None,
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

/// Opens a guard like `dg_guard_open`, with the options in `opts`: the journal's fsync
/// policy and a Redis server for a contact history shared by every dialer server.
///
/// - `opts`: see `dg_open_options` (borrowed for the call). `struct_size` must be at
///   least `sizeof(dg_open_options)` of this library (a smaller one is refused with
///   `DG_STATUS_INVALID_ARGUMENT`); bytes beyond it, from a newer caller, are not read.
///   `opts->redis_url` replaces the policy's `[cluster] redis` (its other keys stay), or
///   shares the history with every default `[cluster]` key when the policy has none.
/// - `out`: receives the new handle, or NULL on failure.
///
/// Ownership, thread safety and errors: as `dg_guard_open`; also
/// `DG_STATUS_INVALID_ARGUMENT` for a bad `struct_size`, `fsync` or `fsync_ms`, and
/// `DG_STATUS_POLICY_ERROR` for a `redis_url` that `[cluster]` would refuse.
///
/// # Safety
/// `opts` is NULL or points to at least `opts->struct_size` readable bytes laid out as
/// `dg_open_options`, whose strings are NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_guard_open_with(
    opts: *const dg_open_options,
    out: *mut *mut dg_guard,
) -> dg_status {
    const F: &str = "dg_guard_open_with";
    boundary(
        F,
        || {
            required(out, F, "out")?;
            // SAFETY: checked non-null; writable by contract.
            unsafe { out.write(std::ptr::null_mut()) };
            required(opts, F, "opts")?;
            if !opts.is_aligned() {
                return Err(FfiError::new(
                    dg_status::InvalidArgument,
                    format_args!(
                        "{F}: `opts` is misaligned; pass the address of a dg_open_options"
                    ),
                ));
            }
            // SAFETY: non-null and aligned; the rest is the caller's contract.
            let req = unsafe { options::read(opts, F) }?;
            let path = req.policy_path;
            let (guard, _report) = Guard::with_snapshot(req.snapshot, req.options)
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
