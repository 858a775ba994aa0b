//! The C ABI's cost over the Rust API: the same 1024 Italian numbers, context and instant
//! as examples/c/loadgen.c (Milan 02 5555 xxxx, every 16th on the RPO registry, Friday
//! 10:00 Rome, campaign and caller ID set), checked with `Guard::check_number` and with
//! `dg_check_e164` / `dg_check` called in-process (no dynamic-linking cost).
//!
//! Run: `cargo bench --bench ffi -- --warm-up-time 1 --measurement-time 3`
//! Compare with the C load generator (docs/c-abi.md, "Performance").

use std::ffi::CString;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dialguard::ffi::{
    dg_check, dg_check_e164, dg_context, dg_decision, dg_guard, dg_guard_close, dg_guard_open,
    dg_status,
};
use dialguard::{CallContext, Guard, GuardOptions, Number};
use jiff::Timestamp;

const FRI_10_ROME_MS: i64 = 1_795_770_000_000;
const N: usize = 1024;

fn numbers() -> Vec<u64> {
    (0..N as u64)
        .map(|i| {
            if i % 16 == 15 {
                390_212_345_678
            } else {
                390_255_550_000 + i * 7
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/it/policy.toml");
    let digits = numbers();
    let mut group = c.benchmark_group("check_1024_numbers");
    group.throughput(Throughput::Elements(N as u64));

    let (guard, _) = Guard::open(&policy, GuardOptions::default()).expect("policy");
    let parsed: Vec<Number> = digits
        .iter()
        .map(|&d| Number::from_e164_digits(d).expect("valid"))
        .collect();
    let ctx = CallContext::new(Timestamp::from_millisecond(FRI_10_ROME_MS).expect("instant"))
        .campaign("winter-offers")
        .caller_id(Number::from_e164_digits(390_299_990_000).expect("valid"));
    group.bench_function("rust_check_number", |b| {
        b.iter(|| {
            for &n in &parsed {
                black_box(guard.check_number(black_box(n), &ctx));
            }
        })
    });

    let path = CString::new(policy.to_str().expect("UTF-8 path")).expect("no NUL");
    let mut g: *mut dg_guard = std::ptr::null_mut();
    // SAFETY: valid string and out pointer.
    assert_eq!(
        unsafe { dg_guard_open(path.as_ptr(), std::ptr::null(), &mut g) },
        dg_status::Ok
    );
    let cctx = dg_context {
        now_unix_ms: FRI_10_ROME_MS,
        campaign: c"winter-offers".as_ptr(),
        subject: std::ptr::null(),
        caller_id: std::ptr::null(),
        caller_id_e164: 390_299_990_000,
        purpose: 0,
        mode: 0,
    };
    let mut out = dg_decision {
        verdict: 0,
        reason: 0,
        rule: 0,
        constraints: 0,
        until_unix_ms: 0,
        policy_version: 0,
    };
    group.bench_function("ffi_dg_check_e164", |b| {
        b.iter(|| {
            for &d in &digits {
                // SAFETY: open handle, valid context and output.
                black_box(unsafe { dg_check_e164(g, black_box(d), &cctx, &mut out) });
            }
        })
    });
    let texts: Vec<CString> = digits
        .iter()
        .map(|d| CString::new(format!("+{d}")).expect("no NUL"))
        .collect();
    group.bench_function("ffi_dg_check_text", |b| {
        b.iter(|| {
            for t in &texts {
                // SAFETY: as above; NUL-terminated text.
                black_box(unsafe { dg_check(g, t.as_ptr(), &cctx, &mut out) });
            }
        })
    });
    group.finish();
    // SAFETY: no other use of the handle follows.
    unsafe { dg_guard_close(g) };
}

criterion_group!(benches, bench);
criterion_main!(benches);
