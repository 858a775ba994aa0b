//! The C entry points, called as a C program would (raw pointers, NULLs, closed and
//! bogus handles, non-UTF-8 strings) on a guard opened once from the bundled IT policy:
//! no panic escapes or is caught, and every failure leaves DENY in the out-params.
#![no_main]

use std::sync::Mutex;

#[path = "../props.rs"]
mod props;

static FIXTURE: Mutex<Option<props::FfiFixture>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut f = FIXTURE.lock().unwrap_or_else(|p| p.into_inner());
    f.get_or_insert_with(|| {
        props::FfiFixture::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../policies/it/policy.toml"
        ))
    })
    .run(data);
});
