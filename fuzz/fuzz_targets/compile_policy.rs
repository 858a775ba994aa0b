//! Policy compiling on arbitrary text (at most `props::MAX_POLICY` bytes), as a policy
//! file in an empty temporary directory: no panic, no hang (run with `-timeout`).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../props.rs"]
mod props;

/// An empty directory of this process: relative list paths resolve to nothing.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("dialguard-fuzz-policy-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| props::compile_policy(data, dir()));
