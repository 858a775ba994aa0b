//! Unit tests of the boundary itself (the C-side tests are tests/ffi_c.rs).

use std::ffi::{CStr, CString};
use std::ptr;

use super::boundary::{FfiError, boundary, set_last_error};
use super::*;
use crate::decision::{Decision, Reason, RuleId};
use crate::history::Outcome;
use crate::policy::{Mode, Purpose};

fn last_error() -> String {
    let mut buf = [0 as c_char; 1024];
    let mut n = 0usize;
    // SAFETY: buffer and length match.
    let st = unsafe { dg_last_error(buf.as_mut_ptr(), buf.len(), &mut n) };
    assert_eq!(st, dg_status::Ok);
    // SAFETY: NUL-terminated by dg_last_error.
    let s = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.len(), n);
    s
}

fn policy() -> CString {
    CString::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/it/policy.toml"
    ))
    .unwrap()
}

/// 2026-11-27T10:00:00+01:00, a Friday inside the Italian calling hours.
const FRI_10_ROME_MS: i64 = 1_795_770_000_000;

#[test]
fn reason_mirror_matches_the_rust_reasons() {
    for r in Reason::ALL {
        let name = unsafe { CStr::from_ptr(dg_reason_name(*r as u32)) };
        assert_eq!(name.to_str().unwrap(), r.name(), "code {}", *r as u32);
    }
    // The C enum's last value is the last Rust reason: a new reason must be mirrored.
    assert_eq!(
        dg_reason::Internal as u32,
        Reason::ALL.last().map(|r| *r as u32).unwrap()
    );
    assert_eq!(dg_reason::CallerId as u32, Reason::CallerId as u32);
    let none = unsafe { CStr::from_ptr(dg_reason_name(0)) };
    assert_eq!(none.to_str().unwrap(), "none");
    let unknown = unsafe { CStr::from_ptr(dg_reason_name(17)) };
    assert_eq!(unknown.to_str().unwrap(), "unknown");
}

#[test]
fn enum_mirrors_match_the_rust_codes() {
    for (c, p) in [
        (dg_purpose::Sales, Purpose::Sales),
        (dg_purpose::Survey, Purpose::Survey),
        (dg_purpose::Collection, Purpose::Collection),
        (dg_purpose::Informational, Purpose::Informational),
    ] {
        assert_eq!(Purpose::from_code(c as u32), Some(p));
    }
    assert_eq!(Purpose::from_code(4), None);
    for (c, m) in [
        (dg_mode::Predictive, Mode::Predictive),
        (dg_mode::Preview, Mode::Preview),
        (dg_mode::Manual, Mode::Manual),
    ] {
        assert_eq!(Mode::from_code(c as u32), Some(m));
    }
    assert_eq!(Mode::from_code(3), None);
    for (c, o) in [
        (dg_outcome::NoAnswer, Outcome::NoAnswer),
        (dg_outcome::Busy, Outcome::Busy),
        (dg_outcome::Answered, Outcome::Answered),
        (dg_outcome::Abandoned, Outcome::Abandoned),
        (dg_outcome::Machine, Outcome::Machine),
        (dg_outcome::Refused, Outcome::Refused),
        (dg_outcome::OptOut, Outcome::OptOut),
        (dg_outcome::WrongNumber, Outcome::WrongNumber),
    ] {
        assert_eq!(Outcome::from_code(c as u8), Some(o));
    }
    assert_eq!(dg_verdict::Defer as u32, crate::Verdict::Defer as u32);
    assert_eq!(DG_RULE_NONE, u32::from(RuleId::NONE.raw()));
    use crate::decision::Constraints;
    assert_eq!(
        DG_CONSTRAINT_REQUIRE_LIVE_AGENT,
        Constraints::REQUIRE_LIVE_AGENT.0
    );
    assert_eq!(DG_CONSTRAINT_NO_PREDICTIVE, Constraints::NO_PREDICTIVE.0);
}

#[test]
fn status_codes_are_pinned() {
    let codes: Vec<(u32, &str)> = dg_status::ALL
        .iter()
        .map(|s| {
            let n = unsafe { CStr::from_ptr(dg_status_name(*s as u32)) };
            (*s as u32, n.to_str().unwrap())
        })
        .collect();
    assert_eq!(
        codes,
        [
            (0, "ok"),
            (7001, "null_parameter"),
            (7002, "invalid_utf8"),
            (7003, "invalid_number"),
            (7004, "invalid_argument"),
            (7005, "policy_error"),
            (7006, "io_error"),
            (7007, "history_error"),
            (7008, "closed_handle"),
            (7009, "panic"),
            (7010, "buffer_too_small"),
            (7011, "too_long"),
            (7012, "not_found"),
        ]
    );
    let unknown = unsafe { CStr::from_ptr(dg_status_name(7000)) };
    assert_eq!(unknown.to_str().unwrap(), "unknown");
}

#[test]
fn a_panic_is_caught_and_fails_closed() {
    let mut out = dg_decision::from_decision(Decision::ALLOW, 7);
    let out_ptr: *mut dg_decision = &mut out;
    let st = boundary(
        "dg_test",
        || -> Result<(), FfiError> {
            // SAFETY: points to a live local.
            unsafe { out_ptr.write(dg_decision::from_decision(Decision::ALLOW, 9)) };
            panic!("boom {}", 42)
        },
        // SAFETY: points to a live local.
        |e| unsafe { deny_into(out_ptr, e) },
    );
    assert_eq!(st, dg_status::Panic);
    assert_eq!(out, dg_decision::deny(Reason::Internal, 0));
    assert_eq!(out.verdict, dg_verdict::Deny as u32);
    assert_eq!(
        last_error(),
        "dg_test: internal error (a bug, please report it): boom 42; the call failed closed"
    );
}

#[test]
fn last_error_is_per_thread_and_survives_a_short_buffer() {
    set_last_error("first thread's error");
    std::thread::spawn(|| assert_eq!(last_error(), ""))
        .join()
        .unwrap();
    let mut small = [1 as c_char; 4];
    let mut n = 0usize;
    let st = unsafe { dg_last_error(small.as_mut_ptr(), small.len(), &mut n) };
    assert_eq!(st, dg_status::BufferTooSmall);
    assert_eq!(n, "first thread's error".len());
    assert_eq!(small[0], 0);
    // Size query.
    let st = unsafe { dg_last_error(ptr::null_mut(), 0, &mut n) };
    assert_eq!((st, n), (dg_status::BufferTooSmall, 20));
    assert_eq!(last_error(), "first thread's error");
}

#[test]
fn open_check_close_and_closed_handle() {
    let mut g: *mut dg_guard = ptr::null_mut();
    let st = unsafe { dg_guard_open(policy().as_ptr(), ptr::null(), &mut g) };
    assert_eq!(st, dg_status::Ok, "{}", last_error());
    let ctx = dg_context {
        now_unix_ms: FRI_10_ROME_MS,
        campaign: c"winter-offers".as_ptr(),
        subject: ptr::null(),
        caller_id: ptr::null(),
        caller_id_e164: 390_299_990_000,
        purpose: dg_purpose::Sales as u32,
        mode: dg_mode::Predictive as u32,
    };
    let version = unsafe { dg_policy_version(g) };
    assert_ne!(version, 0);
    let mut d = dg_decision::deny(Reason::Internal, 0);
    let st = unsafe { dg_check(g, c"02 5555 1234".as_ptr(), &ctx, &mut d) };
    assert_eq!(st, dg_status::Ok, "{}", last_error());
    assert_eq!(d, dg_decision::from_decision(Decision::ALLOW, version));
    let st = unsafe { dg_check_e164(g, 390_212_345_678, &ctx, &mut d) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(
        (d.verdict, d.reason),
        (dg_verdict::Deny as u32, Reason::Registry as u32)
    );
    let mut name = [0 as c_char; 64];
    let mut n = 0;
    let st = unsafe { dg_rule_name(g, d.rule, name.as_mut_ptr(), name.len(), &mut n) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(
        unsafe { CStr::from_ptr(name.as_ptr()) }.to_str().unwrap(),
        "rpo"
    );
    assert_eq!(n, 3);

    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::ClosedHandle);
    let mut d = dg_decision::from_decision(Decision::ALLOW, 1);
    let st = unsafe { dg_check_e164(g, 390_255_551_234, &ctx, &mut d) };
    assert_eq!(st, dg_status::ClosedHandle);
    assert_eq!(d, dg_decision::deny(Reason::Internal, 0));
    assert_eq!(
        last_error(),
        "dg_check_e164: the guard handle was closed by dg_guard_close; open a new one with dg_guard_open"
    );
    assert_eq!(unsafe { dg_policy_version(g) }, 0);
    assert_eq!(unsafe { dg_guard_close(ptr::null_mut()) }, dg_status::Ok);
}

#[test]
fn version_string_is_the_crate_version() {
    let v = unsafe { CStr::from_ptr(dg_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(dg_abi_version(), DG_ABI_VERSION);
}

fn ctx_at(ms: i64) -> dg_context {
    dg_context {
        now_unix_ms: ms,
        campaign: ptr::null(),
        subject: ptr::null(),
        caller_id: ptr::null(),
        caller_id_e164: 0,
        purpose: dg_purpose::Sales as u32,
        mode: dg_mode::Predictive as u32,
    }
}

#[test]
fn reload_swaps_the_policy_and_its_default_country() {
    let mut g: *mut dg_guard = ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(policy().as_ptr(), ptr::null(), &mut g) },
        dg_status::Ok
    );
    // 2026-11-27T15:00:00Z: 10:00 in New York.
    let ctx = ctx_at(1_795_791_600_000);
    let mut d = dg_decision::deny(Reason::Internal, 0);
    // Under the Italian policy "(201) 555-0123" reads as +39 201 555 0123, which cannot
    // exist (no Italian number starts 2): invalid_number. "(312) 555-0123" reads as the
    // Italian mobile +39 312 555 0123 (no caller ID: denied by the Italian caller-ID rule).
    let st = unsafe { dg_check(g, c"(201) 555-0123".as_ptr(), &ctx, &mut d) };
    assert_eq!(st, dg_status::InvalidNumber);
    let st = unsafe { dg_check(g, c"(312) 555-0123".as_ptr(), &ctx, &mut d) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(
        (d.verdict, d.reason),
        (dg_verdict::Deny as u32, Reason::CallerId as u32)
    );
    let us = CString::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/us/policy.toml"
    ))
    .unwrap();
    assert_eq!(unsafe { dg_guard_reload(g, us.as_ptr()) }, dg_status::Ok);
    let version = unsafe { dg_policy_version(g) };
    let st = unsafe { dg_check(g, c"(201) 555-0123".as_ptr(), &ctx, &mut d) };
    assert_eq!(st, dg_status::Ok, "{}", last_error());
    assert_eq!(
        (d.verdict, d.reason),
        (dg_verdict::Deny as u32, Reason::Registry as u32)
    );
    assert_eq!(d.policy_version, version);
    // A failed reload keeps the US policy.
    let bad = CString::new("/nonexistent/policy.toml").unwrap();
    assert_eq!(
        unsafe { dg_guard_reload(g, bad.as_ptr()) },
        dg_status::PolicyError
    );
    assert_eq!(unsafe { dg_policy_version(g) }, version);
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
}

#[test]
fn history_persists_across_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let state = CString::new(dir.path().to_str().unwrap()).unwrap();
    let ctx = dg_context {
        caller_id_e164: 390_299_990_000,
        ..ctx_at(FRI_10_ROME_MS)
    };
    let mut g: *mut dg_guard = ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(policy().as_ptr(), state.as_ptr(), &mut g) },
        dg_status::Ok,
        "{}",
        last_error()
    );
    let mut d = dg_decision::deny(Reason::Internal, 0);
    let mut attempt = 0u64;
    let st =
        unsafe { dg_check_and_reserve(g, c"02 5555 4321".as_ptr(), &ctx, &mut d, &mut attempt) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(d.verdict, dg_verdict::Allow as u32);
    assert_ne!(attempt, 0);
    let mut held = 0u64;
    let st = unsafe {
        dg_record_outcome(
            g,
            c"02 5555 4321".as_ptr(),
            attempt,
            dg_outcome::OptOut as u32,
            &ctx,
            &mut held,
        )
    };
    assert_eq!(st, dg_status::Ok, "{}", last_error());
    assert_eq!(held, attempt);
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);

    let mut g: *mut dg_guard = ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(policy().as_ptr(), state.as_ptr(), &mut g) },
        dg_status::Ok
    );
    let st = unsafe { dg_check(g, c"02 5555 4321".as_ptr(), &ctx, &mut d) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(
        (d.verdict, d.reason),
        (dg_verdict::Deny as u32, Reason::OptOut as u32)
    );
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
}

fn open_options(policy: &CString) -> dg_open_options {
    dg_open_options {
        struct_size: u32::try_from(size_of::<dg_open_options>()).unwrap(),
        policy_path: policy.as_ptr(),
        state_dir: ptr::null(),
        redis_url: ptr::null(),
        fsync: dg_fsync::Record as u32,
        fsync_ms: 0,
    }
}

/// Opens with `opts`, expecting `want`; on failure `out` must be NULL again.
fn open_with_fails(opts: &dg_open_options, want: dg_status, needle: &str) {
    let mut g = ptr::dangling_mut::<dg_guard>();
    // SAFETY: `opts` is a whole struct; `g` is writable.
    let st = unsafe { dg_guard_open_with(opts, &mut g) };
    assert_eq!(st, want, "{}", last_error());
    assert!(g.is_null(), "a failed open must write NULL into out");
    let e = last_error();
    assert!(e.contains(needle), "{e:?} lacks {needle:?}");
}

#[test]
fn open_with_refuses_bad_options_and_writes_null() {
    let p = policy();
    let good = open_options(&p);
    let mut g = ptr::dangling_mut::<dg_guard>();
    assert_eq!(
        unsafe { dg_guard_open_with(ptr::null(), &mut g) },
        dg_status::NullParameter
    );
    assert!(g.is_null());
    assert_eq!(
        unsafe { dg_guard_open_with(&good, ptr::null_mut()) },
        dg_status::NullParameter
    );
    let small = dg_open_options {
        struct_size: good.struct_size - 1,
        ..good
    };
    open_with_fails(
        &small,
        dg_status::InvalidArgument,
        "sizeof(dg_open_options)",
    );
    let zero = dg_open_options {
        struct_size: 0,
        ..good
    };
    open_with_fails(&zero, dg_status::InvalidArgument, "struct_size` is 0");
    let no_policy = dg_open_options {
        policy_path: ptr::null(),
        ..good
    };
    open_with_fails(&no_policy, dg_status::NullParameter, "opts->policy_path");
    let bad_code = dg_open_options { fsync: 3, ..good };
    open_with_fails(&bad_code, dg_status::InvalidArgument, "DG_FSYNC_NEVER (1)");
    let no_ms = dg_open_options {
        fsync: dg_fsync::EveryMs as u32,
        ..good
    };
    open_with_fails(&no_ms, dg_status::InvalidArgument, "fsync_ms` is 0");
    let stray_ms = dg_open_options {
        fsync_ms: 5,
        ..good
    };
    open_with_fails(
        &stray_ms,
        dg_status::InvalidArgument,
        "only DG_FSYNC_EVERY_MS",
    );
    // The URL is used, not ignored: one `[cluster]` would refuse is a policy error.
    let url = c"http://127.0.0.1:1";
    let bad_url = dg_open_options {
        redis_url: url.as_ptr(),
        ..good
    };
    open_with_fails(&bad_url, dg_status::PolicyError, "[cluster] redis");
}

#[test]
fn open_with_fsync_never_journals_to_the_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = CString::new(dir.path().to_str().unwrap()).unwrap();
    let p = policy();
    // A larger struct_size, from a newer caller, is accepted.
    let opts = dg_open_options {
        struct_size: u32::try_from(size_of::<dg_open_options>() + 8).unwrap(),
        state_dir: state.as_ptr(),
        fsync: dg_fsync::Never as u32,
        ..open_options(&p)
    };
    #[repr(C)]
    struct Newer {
        opts: dg_open_options,
        extra: u64,
    }
    let newer = Newer { opts, extra: 0 };
    let mut g: *mut dg_guard = ptr::null_mut();
    let st = unsafe { dg_guard_open_with(&newer.opts, &mut g) };
    assert_eq!(st, dg_status::Ok, "{}", last_error());
    let ctx = ctx_at(FRI_10_ROME_MS);
    let st = unsafe { dg_opt_out(g, c"02 5555 4321".as_ptr(), FRI_10_ROME_MS) };
    assert_eq!(st, dg_status::Ok, "{}", last_error());
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);

    // Reopened with the plain entry point, the opt-out is in the journal.
    let mut g: *mut dg_guard = ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(p.as_ptr(), state.as_ptr(), &mut g) },
        dg_status::Ok
    );
    let mut d = dg_decision::deny(Reason::Internal, 0);
    let st = unsafe { dg_check(g, c"02 5555 4321".as_ptr(), &ctx, &mut d) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(
        (d.verdict, d.reason),
        (dg_verdict::Deny as u32, Reason::OptOut as u32)
    );
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
}
