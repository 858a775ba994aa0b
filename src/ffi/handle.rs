//! The opaque `dg_guard` handle: an `Arc<Guard>` in a heap block with a magic word, so a
//! handle used after `dg_guard_close` is recognised instead of dereferenced.
//!
//! What is detected and what is not:
//! - NULL: always (`DG_STATUS_NULL_PARAMETER`).
//! - A closed handle, used again or closed twice: always (`DG_STATUS_CLOSED_HANDLE`). On
//!   close the guard itself is dropped (policy, history, journal files released) but the
//!   small handle block (a few dozen bytes) is kept as a tombstone for the life of the
//!   process, so its magic word stays readable and says "closed". Open/close cycles thus
//!   cost that much memory each; handles are meant to live as long as the dialer.
//! - A misaligned pointer, or one to readable memory without the magic word: almost
//!   always (`DG_STATUS_INVALID_ARGUMENT`).
//! - A dangling pointer into unmapped memory, or closing a handle while another thread
//!   is still inside a call on it: not detectable (undefined behaviour); callers must
//!   stop all use of a handle before closing it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::boundary::FfiError;
use super::dg_status;
use crate::guard::Guard;
use crate::policy::Snapshot;

const LIVE: u64 = 0x6467_5f67_7561_7264; // "dg_guard"
const CLOSED: u64 = 0x6467_5f63_6c6f_7365; // "dg_close"

/// An open guard, shared by every thread that calls with the handle.
///
/// Under the hood this is an `Arc<Guard>` (plus a copy of the policy snapshot in force,
/// used to parse numbers with the policy's default country). Create it with
/// `dg_guard_open`, release it with `dg_guard_close`. All functions taking a
/// `const dg_guard *` may be called from any number of threads at once.
pub struct dg_guard {
    magic: AtomicU64,
    inner: Option<Inner>,
}

pub(crate) struct Inner {
    pub guard: Arc<Guard>,
    /// The snapshot in force, mirrored here so callers can parse numbers with its
    /// default country without contending on the guard's reference count.
    pub snapshot: ArcSwap<Snapshot>,
    /// The mirrored snapshot's version (read on every check; cheaper than the ArcSwap).
    pub version: AtomicU64,
    /// Serialises reloads so the mirror always ends on the snapshot the guard serves.
    pub reload: Mutex<()>,
}

impl Inner {
    pub fn new(guard: Guard) -> Inner {
        let snap = guard.snapshot();
        Inner {
            version: AtomicU64::new(snap.version()),
            snapshot: ArcSwap::new(snap),
            guard: Arc::new(guard),
            reload: Mutex::new(()),
        }
    }

    /// Refreshes the mirror after the guard swapped its snapshot.
    pub fn refresh(&self) {
        let snap = self.guard.snapshot();
        self.version.store(snap.version(), Ordering::Release);
        self.snapshot.store(snap);
    }
}

/// Closed handles, kept so their magic word stays readable (see the module docs).
/// Holding the addresses also keeps leak checkers from reporting them as lost.
static TOMBSTONES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Moves a new guard into a heap handle owned by the caller.
pub(crate) fn into_raw(inner: Inner) -> *mut dg_guard {
    Box::into_raw(Box::new(dg_guard {
        magic: AtomicU64::new(LIVE),
        inner: Some(inner),
    }))
}

/// Borrows the guard behind a handle, or says why it cannot.
///
/// # Safety
/// `g` is NULL, or points to readable memory of at least `size_of::<dg_guard>()` bytes
/// (a handle from `dg_guard_open`, open or closed), and is not being closed concurrently.
pub(crate) unsafe fn inner<'a>(g: *const dg_guard, function: &str) -> Result<&'a Inner, FfiError> {
    if g.is_null() {
        return Err(FfiError::null(function, "guard"));
    }
    if !g.is_aligned() {
        return Err(not_a_handle(function));
    }
    // SAFETY: non-null, aligned, readable by the caller's contract.
    let h = unsafe { &*g };
    match h.magic.load(Ordering::Acquire) {
        LIVE => h.inner.as_ref().ok_or_else(|| closed(function)),
        CLOSED => Err(closed(function)),
        _ => Err(not_a_handle(function)),
    }
}

/// Closes a handle: drops the guard, keeps the block as a tombstone.
///
/// # Safety
/// As [`inner`], and no other thread uses the handle during or after the call.
pub(crate) unsafe fn close(g: *mut dg_guard, function: &str) -> Result<(), FfiError> {
    // Validates NULL, alignment, magic (a double close is reported, not repeated).
    // SAFETY: forwarded contract.
    unsafe { inner(g, function) }?;
    // SAFETY: validated above; exclusive by contract.
    let h = unsafe { &mut *g };
    if h.magic
        .compare_exchange(LIVE, CLOSED, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return Err(closed(function));
    }
    let inner = h.inner.take();
    let mut tombstones = TOMBSTONES.lock().unwrap_or_else(|p| p.into_inner());
    tombstones.push(g as usize);
    drop(tombstones);
    // Dropping last: the journal flushes on drop; a panic there is caught by the boundary
    // with the handle already marked closed.
    drop(inner);
    Ok(())
}

fn closed(function: &str) -> FfiError {
    FfiError::new(
        dg_status::ClosedHandle,
        format_args!(
            "{function}: the guard handle was closed by dg_guard_close; open a new one with dg_guard_open"
        ),
    )
}

fn not_a_handle(function: &str) -> FfiError {
    FfiError::new(
        dg_status::InvalidArgument,
        format_args!("{function}: `guard` does not point to a handle from dg_guard_open"),
    )
}
