//! docs/c-abi.md, Performance: "the hot path (`dg_check_e164`, `dg_check`) allocates
//! nothing when it succeeds", and the Rust checks it wraps (`Guard::check`,
//! `check_number`) neither. This binary's global allocator counts the allocations made
//! by the current thread while counting is switched on; after warming the guard, many
//! checks answering allow, deny (registry, opt-out, suppression, invalid caller ID) and
//! defer (outside the window, cool-off with a history) must count zero.
//!
//! Also docs/c-abi.md's layout claim: `dg_decision` is 32 bytes with no padding (the C
//! side is checked by tests/ffi_c.rs with `_Static_assert` against the committed header).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::CString;

use dialguard::ffi::{self, dg_context, dg_decision, dg_guard};
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::Outcome;
use dialguard::{Number, Reason, Verdict};

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator can run while thread-locals are being torn down.
    if ON.try_with(Cell::get).unwrap_or(false) {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` made on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|c| c.set(0));
    ON.with(|o| o.set(true));
    f();
    ON.with(|o| o.set(false));
    COUNT.with(Cell::get)
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Friday 27 November 2026, 10:00 in Rome; Saturday 28 November, 19:30 in Rome.
const FRI_10_ROME: &str = "2026-11-27T09:00:00Z";
const SAT_1930_ROME: &str = "2026-11-28T18:30:00Z";

fn it_guard() -> Guard {
    let path = format!("{ROOT}/policies/it/policy.toml");
    Guard::open(path.as_ref(), GuardOptions::default())
        .unwrap()
        .0
}

#[test]
fn the_counter_sees_an_allocation() {
    // The test below is only as good as the counter: it must see a plain Box.
    assert!(allocations(|| drop(std::hint::black_box(Box::new(7u64)))) >= 1);
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 100]))) >= 1);
}

#[test]
fn rust_checks_allocate_nothing_on_allow_deny_and_defer() {
    let guard = it_guard();
    let cli = dialguard::number::parse("+39 02 9999 0000", None).unwrap();
    let bad_cli = dialguard::number::parse("+39 06 7777 0000", None).unwrap();
    let fri = CallContext::new(FRI_10_ROME.parse().unwrap())
        .campaign("winter-offers")
        .caller_id(cli);
    let sat = CallContext::new(SAT_1930_ROME.parse().unwrap())
        .campaign("winter-offers")
        .caller_id(cli);
    let no_cli = CallContext::new(FRI_10_ROME.parse().unwrap()).caller_id(bad_cli);
    // The silent-call cool-off defers an attempt with an agent (preview) and denies a
    // predictive one (Garante 2014: no recall without an operator).
    let fri_preview = fri.mode(dialguard::policy::Mode::Preview);
    // A number with a history: an abandoned call two days ago starts the 5-day cool-off.
    let abandoned = dialguard::number::parse("+39 02 4444 1111", None).unwrap();
    let two_days_ago = CallContext::new("2026-11-25T09:00:00Z".parse().unwrap());
    guard
        .record_outcome(abandoned, None, Outcome::Abandoned, &two_days_ago)
        .unwrap();

    let cases: Vec<(&str, &CallContext<'_>, Verdict, Option<Reason>)> = vec![
        ("02 5555 1234", &fri, Verdict::Allow, None),
        ("02 1234 5678", &fri, Verdict::Deny, Some(Reason::Registry)),
        ("02 8765 4321", &fri, Verdict::Deny, Some(Reason::OptOut)),
        (
            "899 123 456",
            &fri,
            Verdict::Deny,
            Some(Reason::Suppression),
        ),
        (
            "02 5555 1234",
            &no_cli,
            Verdict::Deny,
            Some(Reason::CallerId),
        ),
        (
            "02 5555 1234",
            &sat,
            Verdict::Defer,
            Some(Reason::OutsideWindow),
        ),
        (
            "02 4444 1111",
            &fri_preview,
            Verdict::Defer,
            Some(Reason::Cooloff),
        ),
        ("02 4444 1111", &fri, Verdict::Deny, Some(Reason::Cooloff)),
    ];
    let parsed: Vec<Number> = cases
        .iter()
        .map(|(s, ..)| dialguard::number::parse(s, guard.snapshot().default_country()).unwrap())
        .collect();
    // Warm up (lazily built tables, thread-locals) and check the answers are the ones
    // named, so that every kind of answer is really exercised below.
    for ((input, ctx, verdict, reason), n) in cases.iter().zip(&parsed) {
        let d = guard.check(input, ctx);
        assert_eq!((d.verdict(), d.reason()), (*verdict, *reason), "{input}");
        assert_eq!(guard.check_number(*n, ctx), d, "{input}");
    }
    for ((input, ctx, ..), n) in cases.iter().zip(&parsed) {
        let count = allocations(|| {
            for _ in 0..2000 {
                std::hint::black_box(guard.check(std::hint::black_box(input), ctx));
                std::hint::black_box(guard.check_number(std::hint::black_box(*n), ctx));
            }
        });
        assert_eq!(
            count,
            0,
            "{count} allocations in 2000 check + check_number of {input} ({:?})",
            guard.check(input, ctx)
        );
    }
}

#[test]
fn c_abi_checks_allocate_nothing_when_they_succeed() {
    let policy = CString::new(format!("{ROOT}/policies/it/policy.toml")).unwrap();
    let mut g: *mut dg_guard = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated path, NULL state dir, valid out pointer.
    let st = unsafe { ffi::dg_guard_open(policy.as_ptr(), std::ptr::null(), &mut g) };
    assert_eq!(st as u32, 0, "dg_guard_open");
    let campaign = CString::new("winter-offers").unwrap();
    let cli = CString::new("+39 02 9999 0000").unwrap();
    let ms = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let ctx_at = |now: &str| dg_context {
        now_unix_ms: ms(now),
        campaign: campaign.as_ptr(),
        subject: std::ptr::null(),
        caller_id: cli.as_ptr(),
        caller_id_e164: 0,
        purpose: 0,
        mode: 0,
    };
    let (fri, sat) = (ctx_at(FRI_10_ROME), ctx_at(SAT_1930_ROME));
    let mut e164 = fri;
    e164.caller_id = std::ptr::null();
    e164.caller_id_e164 = 390_299_990_000;
    let numbers: Vec<(CString, &dg_context, u32)> = vec![
        (CString::new("02 5555 1234").unwrap(), &fri, 0),
        (CString::new("02 1234 5678").unwrap(), &fri, 1),
        (CString::new("02 5555 1234").unwrap(), &sat, 2),
        (CString::new("02 5555 1234").unwrap(), &e164, 0),
    ];
    let mut d = dg_decision {
        verdict: 9,
        reason: 9,
        rule: 9,
        constraints: 9,
        until_unix_ms: 9,
        policy_version: 9,
    };
    for (number, ctx, verdict) in &numbers {
        // SAFETY: live handle, NUL-terminated strings, valid context and out pointers.
        let st = unsafe { ffi::dg_check(g, number.as_ptr(), *ctx, &mut d) };
        assert_eq!(st as u32, 0, "dg_check {number:?}");
        assert_eq!(d.verdict, *verdict, "dg_check {number:?}: {d:?}");
        // SAFETY: as above.
        let st = unsafe { ffi::dg_check_e164(g, 390_255_551_234, *ctx, &mut d) };
        assert_eq!(st as u32, 0, "dg_check_e164");
    }
    for (number, ctx, verdict) in &numbers {
        let count = allocations(|| {
            for _ in 0..2000 {
                // SAFETY: as above.
                let st = unsafe { ffi::dg_check(g, number.as_ptr(), *ctx, &mut d) };
                assert_eq!(st as u32, 0);
                // SAFETY: as above.
                let st = unsafe { ffi::dg_check_e164(g, 390_212_345_678, *ctx, &mut d) };
                assert_eq!(st as u32, 0);
            }
        });
        assert_eq!(
            count, 0,
            "{count} allocations in 2000 dg_check of {number:?} (verdict {verdict}) + dg_check_e164"
        );
    }
    // SAFETY: the handle from dg_guard_open, no other call running.
    unsafe { ffi::dg_guard_close(g) };
}

#[test]
fn dg_decision_is_32_bytes_without_padding() {
    use std::mem::{offset_of, size_of};
    assert_eq!(size_of::<dg_decision>(), 32);
    assert_eq!(std::mem::align_of::<dg_decision>(), 8);
    fn size<T>(_: fn(&dg_decision) -> &T) -> usize {
        size_of::<T>()
    }
    let fields = [
        (offset_of!(dg_decision, verdict), size(|d| &d.verdict)),
        (offset_of!(dg_decision, reason), size(|d| &d.reason)),
        (offset_of!(dg_decision, rule), size(|d| &d.rule)),
        (
            offset_of!(dg_decision, constraints),
            size(|d| &d.constraints),
        ),
        (
            offset_of!(dg_decision, until_unix_ms),
            size(|d| &d.until_unix_ms),
        ),
        (
            offset_of!(dg_decision, policy_version),
            size(|d| &d.policy_version),
        ),
    ];
    // Each field starts where the previous one ends, and the last ends at the size.
    let mut end = 0;
    for (offset, size) in fields {
        assert_eq!(offset, end, "padding before the field at {offset}");
        end = offset + size;
    }
    assert_eq!(end, size_of::<dg_decision>(), "padding at the end");
}
