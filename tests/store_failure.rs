//! A contact-history write that fails denies with `store_unavailable`, through the Rust
//! API, the C ABI and the CLI, and says why; and under the default fsync policy every
//! reservation is synced to disk before the call returns.
//!
//! The failure is real: the process's file-size limit (`RLIMIT_FSIZE`, what `ulimit -f`
//! sets) is lowered below the journal's next record, so the kernel refuses the write
//! with EFBIG. The limit is process-wide, so this file holds a single test and every
//! step runs in it, in order.

use std::ffi::CString;
use std::path::Path;

use dialguard::ffi::{self, dg_context, dg_decision, dg_guard, dg_status};
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::FsyncPolicy;
use dialguard::{Number, Reason};

const POLICY: &str = "[policy]\nname = \"t\"\ndefault_country = \"IT\"\n[[cap]]\nid = \"c\"\nmax = 3\nwithin = \"24h\"\n";

fn set_file_size_limit(bytes: u64) {
    let lim = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads a valid rlimit struct.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) };
    assert_eq!(rc, 0, "setrlimit");
}

const RLIM_INFINITY: u64 = libc::RLIM_INFINITY;

fn number(i: u64) -> Number {
    Number::from_e164_digits(390_212_300_000 + i).unwrap()
}

fn journal_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("journal."))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[test]
fn every_record_is_synced_before_return_and_a_failed_write_denies() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let ctx = CallContext::new("2026-03-10T10:00:00Z".parse().unwrap());

    // 1. Default durability (EveryRecord): one completed fdatasync per reservation,
    //    counted before the reserving call returns. Under `Never` there are none, so
    //    the count tells the two apart.
    let state = tmp.path().join("synced");
    let (g, _) = Guard::open(
        &policy,
        GuardOptions {
            cluster: None,
            audit: None,
            state_dir: Some(state.clone()),
            fsync: None,
        },
    )
    .unwrap();
    for i in 0..20 {
        let before = g.history().journal_syncs();
        let r = g.check_and_reserve(number(i), &ctx);
        assert!(r.decision.is_allow());
        assert!(
            g.history().journal_syncs() > before,
            "reservation {i} returned before its record was synced"
        );
    }
    drop(g);
    let (never, _) = Guard::open(
        &policy,
        GuardOptions {
            cluster: None,
            audit: None,
            state_dir: Some(tmp.path().join("never")),
            fsync: Some(FsyncPolicy::Never),
        },
    )
    .unwrap();
    for i in 0..20 {
        assert!(never.check_and_reserve(number(i), &ctx).decision.is_allow());
    }
    assert_eq!(never.history().journal_syncs(), 0);
    drop(never);

    // 2. Rust API: a journal write refused by the kernel denies, and the cause is kept.
    let state = tmp.path().join("rust");
    let (g, _) = Guard::open(
        &policy,
        GuardOptions {
            cluster: None,
            audit: None,
            state_dir: Some(state.clone()),
            fsync: None,
        },
    )
    .unwrap();
    assert!(g.check_and_reserve(number(100), &ctx).decision.is_allow());
    set_file_size_limit(journal_bytes(&state));
    let r = g.check_and_reserve(number(101), &ctx);
    set_file_size_limit(RLIM_INFINITY);
    assert_eq!(r.decision.reason(), Some(Reason::StoreUnavailable), "{r:?}");
    assert!(r.attempt.is_none());
    let cause = g.store_error().expect("the cause is kept");
    assert!(cause.contains("ulimit -f"), "{cause}");
    // Nothing was recorded: the number has no event.
    assert!(g.history().is_empty() || !history_has(&g, number(101)));
    drop(g);

    // 3. C ABI: the same failure through dg_check_and_reserve.
    let state = tmp.path().join("c");
    let cpolicy = CString::new(policy.to_str().unwrap()).unwrap();
    let cstate = CString::new(state.to_str().unwrap()).unwrap();
    let mut h: *mut dg_guard = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated strings and a writable out pointer.
    let st = unsafe { ffi::dg_guard_open(cpolicy.as_ptr(), cstate.as_ptr(), &mut h) };
    assert_eq!(st, dg_status::Ok);
    let cctx = dg_context {
        now_unix_ms: 1_773_136_800_000,
        campaign: std::ptr::null(),
        subject: std::ptr::null(),
        caller_id: std::ptr::null(),
        caller_id_e164: 0,
        purpose: 0,
        mode: 0,
    };
    let reserve = |n: &str| {
        let n = CString::new(n).unwrap();
        let mut d = dg_decision {
            verdict: 99,
            reason: 99,
            rule: 0,
            constraints: 0,
            until_unix_ms: 0,
            policy_version: 0,
        };
        let mut attempt = 7u64;
        // SAFETY: an open handle, valid strings and writable outs.
        let st = unsafe { ffi::dg_check_and_reserve(h, n.as_ptr(), &cctx, &mut d, &mut attempt) };
        (st, d, attempt)
    };
    let (st, d, attempt) = reserve("+390212345001");
    assert_eq!((st, d.verdict, d.reason), (dg_status::Ok, 0, 0));
    assert_ne!(attempt, 0);
    set_file_size_limit(journal_bytes(&state));
    let (st, d, attempt) = reserve("+390212345002");
    set_file_size_limit(RLIM_INFINITY);
    assert_eq!(st, dg_status::Ok);
    assert_eq!(d.reason, Reason::StoreUnavailable as u32, "{d:?}");
    assert_eq!(d.verdict, 1, "deny");
    assert_eq!(attempt, 0);
    let mut buf = vec![0 as std::ffi::c_char; 512];
    let mut len = 0usize;
    // SAFETY: a writable buffer of buf.len() bytes and a writable length.
    unsafe { ffi::dg_last_error(buf.as_mut_ptr(), buf.len(), &mut len) };
    // SAFETY: dg_last_error NUL-terminates within the buffer.
    let msg = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
    assert!(
        msg.contains("dg_check_and_reserve") && msg.contains("ulimit -f"),
        "{msg}"
    );
    // SAFETY: the handle is open and no other thread uses it.
    assert_eq!(unsafe { ffi::dg_guard_close(h) }, dg_status::Ok);
}

fn history_has(g: &Guard, n: Number) -> bool {
    let mut found = false;
    g.history().for_each(|k, _| found |= k == n.get());
    found
}
