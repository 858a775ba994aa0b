//! The guard's metrics over the C ABI: `dg_metrics_text`.

use std::ffi::c_char;

use super::boundary::{boundary, copy_out};
use super::handle::{self, dg_guard};
use super::types::*;

// Metrics
// ---------------------------------------------------------------------------------------

/// Copies the guard's metrics in the Prometheus text exposition format (version 0.0.4;
/// the families are listed in docs/metrics.md) into `buf` (capacity `cap` bytes) as a
/// NUL-terminated string, for a dialer that serves `/metrics` itself. `*len` (may be
/// NULL) receives its length without the NUL. `DG_STATUS_BUFFER_TOO_SMALL` when it does
/// not fit: `*len` then says how much is needed (`buf = NULL, cap = 0` is a size query).
/// The text grows with new rules and reasons between two calls: leave some room (e.g.
/// twice the size the query gave), and retry on `DG_STATUS_BUFFER_TOO_SMALL`.
///
/// Thread safety: any thread, concurrently with checks (the counters are read without
/// stopping them, so one text may be a few decisions behind another thread's checks).
///
/// # Safety
/// `guard` is a handle; `buf` is NULL or writable for `cap` bytes; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dg_metrics_text(
    guard: *const dg_guard,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> dg_status {
    const F: &str = "dg_metrics_text";
    boundary(
        F,
        || {
            // SAFETY: forwarded contract.
            let inner = unsafe { handle::inner(guard, F) }?;
            let text = inner.guard.metrics_text();
            // SAFETY: forwarded contract.
            unsafe { copy_out(&text, buf, cap, len, F) }
        },
        |_| {},
    )
}

#[cfg(test)]
mod tests {
    use std::ffi::{CStr, CString};
    use std::ptr;

    use super::*;
    use crate::ffi::{dg_guard_close, dg_guard_open};

    fn open() -> *mut dg_guard {
        let policy = CString::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/it/policy.toml"
        ))
        .unwrap();
        let mut g: *mut dg_guard = ptr::null_mut();
        // SAFETY: valid strings and out pointer.
        let st = unsafe { dg_guard_open(policy.as_ptr(), ptr::null(), &mut g) };
        assert_eq!(st, dg_status::Ok);
        g
    }

    #[test]
    fn buffer_contract() {
        let g = open();
        // Size query.
        let mut need = 0usize;
        // SAFETY (every call below): buffers and capacities match; g is open until closed.
        let st = unsafe { dg_metrics_text(g, ptr::null_mut(), 0, &mut need) };
        assert_eq!(st, dg_status::BufferTooSmall);
        assert!(need > 100, "{need}");
        // Too small: an empty string, and the length needed. (The length moves by a
        // few bytes between calls, e.g. the snapshot age's digits, hence the margins.)
        let mut small = vec![b'x' as c_char; 16];
        let mut n = 0usize;
        let st = unsafe { dg_metrics_text(g, small.as_mut_ptr(), small.len(), &mut n) };
        assert_eq!(st, dg_status::BufferTooSmall);
        assert!(n.abs_diff(need) < 32, "{n} vs {need}");
        assert_eq!(small[0], 0, "a failed copy leaves an empty string");
        assert!(
            small[1..].iter().all(|&c| c == b'x' as c_char),
            "nothing else written"
        );
        // Room enough: the text, NUL-terminated, `len` without the NUL.
        let mut buf = vec![b'x' as c_char; need + 64];
        let st = unsafe { dg_metrics_text(g, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(st, dg_status::Ok);
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert_eq!(text.len(), n);
        assert!(
            text.contains("# TYPE dialguard_decisions_total counter"),
            "{text}"
        );
        assert!(text.contains("dialguard_reloads_total 0\n"), "{text}");
        // A buffer one byte short of the text it would get (no room for the NUL).
        let mut exact = vec![b'x' as c_char; n];
        let mut m = 0usize;
        let st = unsafe { dg_metrics_text(g, exact.as_mut_ptr(), exact.len(), &mut m) };
        if m >= exact.len() {
            assert_eq!(st, dg_status::BufferTooSmall);
            assert_eq!(exact[0], 0);
        } else {
            assert_eq!(st, dg_status::Ok, "{m} bytes fit in {}", exact.len());
        }
        // `len` may be NULL.
        let st = unsafe { dg_metrics_text(g, buf.as_mut_ptr(), buf.len(), ptr::null_mut()) };
        assert_eq!(st, dg_status::Ok);
        // A non-NULL capacity with a NULL buffer is a NULL parameter, not a size query.
        let st = unsafe { dg_metrics_text(g, ptr::null_mut(), 10, &mut n) };
        assert_eq!(st, dg_status::NullParameter);
        // NULL and closed handles.
        let st = unsafe { dg_metrics_text(ptr::null(), buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(st, dg_status::NullParameter);
        assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
        let st = unsafe { dg_metrics_text(g, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(st, dg_status::ClosedHandle);
    }
}
