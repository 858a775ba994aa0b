//! Opening arbitrary bytes as a compiled list file (also with valid checksums, so the
//! arena's structural checks are reached): no panic, and Ok lists answer lookups
//! consistently.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../props.rs"]
mod props;

/// This process's scratch file, rewritten for each input (the previous list is closed).
/// On tmpfs when there is one: rewriting a file on ext4 costs a block-device flush
/// each time (150 inputs/s instead of thousands).
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("dialguard-fuzz-list-{}.dgl", std::process::id()))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| props::open_list(data, path()));
