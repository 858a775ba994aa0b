//! The edge of the C ABI: the panic boundary, the thread-local last-error text, bounded
//! reads of C strings and copies into caller buffers. Nothing here allocates unless an
//! error is being reported.

use std::cell::RefCell;
use std::ffi::c_char;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::dg_status;
use crate::decision::Reason;

thread_local! {
    /// The message of the last failed call on this thread (empty when none yet).
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A failed call: the status to return and the text `dg_last_error` will give.
pub(crate) struct FfiError {
    pub status: dg_status,
    /// The reason the fail-closed decision carries: `internal` unless the failure
    /// concerns the number (`invalid_number`) or the caller ID (`caller_id`).
    pub reason: Reason,
    pub message: String,
}

impl FfiError {
    pub fn new(status: dg_status, message: impl Display) -> FfiError {
        FfiError {
            status,
            reason: Reason::Internal,
            message: message.to_string(),
        }
    }

    /// The same error, with the decision reason `reason`.
    #[must_use]
    pub fn because(self, reason: Reason) -> FfiError {
        FfiError { reason, ..self }
    }

    pub fn null(function: &str, param: &str) -> FfiError {
        FfiError::new(
            dg_status::NullParameter,
            format_args!("{function}: `{param}` is NULL; pass a valid pointer"),
        )
    }
}

/// Records `message` as this thread's last error.
pub(crate) fn set_last_error(message: &str) {
    // `try_with`: during thread teardown the slot may be gone; losing the text is fine.
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.clear();
            e.push_str(message);
        }
    });
}

/// Runs `with` on the text of this thread's last error.
pub(crate) fn with_last_error<R>(with: impl FnOnce(&str) -> R) -> R {
    let mut with = Some(with);
    let mut call = |s: &str| with.take().map(|f| f(s));
    let done = LAST_ERROR
        .try_with(|e| match e.try_borrow() {
            Ok(e) => call(&e),
            Err(_) => call(""),
        })
        .ok()
        .flatten();
    match done {
        Some(r) => r,
        // The slot is gone (thread teardown): no message.
        None => call("").unwrap_or_else(|| unreachable!("`with` runs once")),
    }
}

/// The panic boundary around every exported function: runs `body`; an error is stored as
/// the last error and its status returned; a panic is caught (it never unwinds into C),
/// reported as [`dg_status::Panic`], and `on_panic` runs so the caller's outputs are
/// left in their fail-closed state.
pub(crate) fn boundary(
    function: &'static str,
    body: impl FnOnce() -> Result<(), FfiError>,
    on_error: impl FnOnce(&FfiError),
) -> dg_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => dg_status::Ok,
        Ok(Err(e)) => {
            set_last_error(&e.message);
            // The fail-closed fallback must not itself unwind across the boundary.
            let _ = catch_unwind(AssertUnwindSafe(|| on_error(&e)));
            e.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            let e = FfiError::new(
                dg_status::Panic,
                format_args!(
                    "{function}: internal error (a bug, please report it): {what}; \
                     the call failed closed"
                ),
            );
            set_last_error(&e.message);
            let _ = catch_unwind(AssertUnwindSafe(|| on_error(&e)));
            // Dropping the payload can itself panic; never let that escape.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            e.status
        }
    }
}

/// Reads a NUL-terminated UTF-8 string of at most `max` bytes without reading past its
/// terminator or past `max + 1` bytes, and without allocating.
///
/// # Safety
/// `p` is NULL or points to a readable NUL-terminated string, or to at least `max + 1`
/// readable bytes.
pub(crate) unsafe fn bounded_str<'a>(
    p: *const c_char,
    max: usize,
    function: &str,
    param: &str,
) -> Result<&'a str, FfiError> {
    if p.is_null() {
        return Err(FfiError::null(function, param));
    }
    let mut len = 0usize;
    // SAFETY: the caller guarantees the bytes up to the terminator (or max + 1) are readable.
    while len <= max && unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    if len > max {
        return Err(FfiError::new(
            dg_status::TooLong,
            format_args!("{function}: `{param}` is longer than {max} bytes"),
        ));
    }
    // SAFETY: `len` bytes were just read.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| {
        FfiError::new(
            dg_status::InvalidUtf8,
            format_args!(
                "{function}: `{param}` is not valid UTF-8 (byte {}); pass UTF-8 text",
                e.valid_up_to() + 1
            ),
        )
    })
}

/// Like [`bounded_str`] but NULL means "not given".
///
/// # Safety
/// As [`bounded_str`].
pub(crate) unsafe fn optional_str<'a>(
    p: *const c_char,
    max: usize,
    function: &str,
    param: &str,
) -> Result<Option<&'a str>, FfiError> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { bounded_str(p, max, function, param) }.map(Some)
    }
}

/// Copies `s` plus a NUL terminator into `buf` (capacity `len` bytes) and stores
/// `s.len()` (without the terminator) in `*out_len` when `out_len` is not NULL.
/// When it does not fit, writes an empty string (if `len > 0`) and fails with
/// [`dg_status::BufferTooSmall`]; `*out_len` then says how many bytes (+1) are needed.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes; `out_len` is NULL or writable.
pub(crate) unsafe fn copy_out(
    s: &str,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
    function: &str,
) -> Result<(), FfiError> {
    if !out_len.is_null() {
        // SAFETY: caller contract.
        unsafe { out_len.write(s.len()) };
    }
    if buf.is_null() {
        if len == 0 {
            // A size query: report the length only.
            return Err(FfiError::new(
                dg_status::BufferTooSmall,
                format_args!("{function}: size query: {} bytes + NUL needed", s.len()),
            ));
        }
        return Err(FfiError::null(function, "buf"));
    }
    if s.len() >= len {
        if len > 0 {
            // SAFETY: len > 0 bytes are writable.
            unsafe { buf.write(0) };
        }
        return Err(FfiError::new(
            dg_status::BufferTooSmall,
            format_args!(
                "{function}: buffer of {len} bytes is too small; {} bytes (including the NUL) are needed",
                s.len() + 1
            ),
        ));
    }
    // SAFETY: s.len() + 1 <= len bytes are writable; the regions cannot overlap (s is ours).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        buf.add(s.len()).write(0);
    }
    Ok(())
}

/// Edge cases of the raw-pointer helpers, small enough for Miri (.ci/run runs this module
/// under `cargo +nightly miri test`): Miri fails them on any read or write out of bounds.
#[cfg(test)]
mod miri_tests {
    use super::*;

    #[test]
    fn bounded_str_reads_at_most_max_plus_one_bytes() {
        // Exactly max + 1 readable bytes and no NUL: too long, without reading byte max + 2.
        let bytes = [b'7' as c_char; 5];
        // SAFETY: 5 = max + 1 readable bytes.
        let e = unsafe { bounded_str(bytes.as_ptr(), 4, "f", "p") }.unwrap_err();
        assert_eq!(e.status, dg_status::TooLong);
        // A terminator at the bound: accepted, max bytes long.
        let bytes = *b"1234\0";
        // SAFETY: NUL-terminated.
        let s = unsafe { bounded_str(bytes.as_ptr().cast(), 4, "f", "p") }
            .map_err(|e| e.message)
            .unwrap();
        assert_eq!(s, "1234");
        // Empty, NULL, invalid UTF-8.
        // SAFETY: NUL-terminated.
        assert_eq!(
            unsafe { bounded_str(c"".as_ptr(), 0, "f", "p") }
                .map_err(|e| e.message)
                .unwrap(),
            ""
        );
        // SAFETY: NULL is allowed.
        let e = unsafe { bounded_str(std::ptr::null(), 4, "f", "p") }.unwrap_err();
        assert_eq!(e.status, dg_status::NullParameter);
        let bytes = [0xffu8, 0];
        // SAFETY: NUL-terminated.
        let e = unsafe { bounded_str(bytes.as_ptr().cast(), 4, "f", "p") }.unwrap_err();
        assert_eq!(e.status, dg_status::InvalidUtf8);
        // SAFETY: NULL means not given.
        assert_eq!(
            unsafe { optional_str(std::ptr::null(), 4, "f", "p") }
                .map_err(|e| e.message)
                .unwrap(),
            None
        );
    }

    #[test]
    fn copy_out_writes_within_the_buffer() {
        let mut n = 0usize;
        // Fits exactly (3 bytes + NUL in 4).
        let mut buf = [1 as c_char; 4];
        // SAFETY: 4 writable bytes, `n` writable.
        unsafe { copy_out("abc", buf.as_mut_ptr(), 4, &mut n, "f") }
            .map_err(|e| e.message)
            .unwrap();
        assert_eq!((buf.map(|c| c as u8), n), (*b"abc\0", 3));
        // One byte short: an empty string, and the length needed.
        let mut buf = [1 as c_char; 3];
        // SAFETY: 3 writable bytes.
        let e = unsafe { copy_out("abc", buf.as_mut_ptr(), 3, &mut n, "f") }.unwrap_err();
        assert_eq!(
            (e.status, buf[0], buf[1], n),
            (dg_status::BufferTooSmall, 0, 1, 3)
        );
        // Size query and zero-length buffer.
        // SAFETY: NULL with len 0 is a size query.
        let e = unsafe { copy_out("abc", std::ptr::null_mut(), 0, &mut n, "f") }.unwrap_err();
        assert_eq!(e.status, dg_status::BufferTooSmall);
        let mut buf = [1 as c_char; 1];
        // SAFETY: a valid pointer with len 0: nothing may be written.
        let e = unsafe { copy_out("abc", buf.as_mut_ptr(), 0, std::ptr::null_mut(), "f") };
        assert_eq!(e.unwrap_err().status, dg_status::BufferTooSmall);
        assert_eq!(buf[0], 1);
    }
}
