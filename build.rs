//! Build script: only what must run at build time (the shared library's SONAME, and the C
//! header with the `header` feature). The numbering tables are generated ahead of time
//! (`cargo run --example gen_numbering`, build/numbering.rs) and committed.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "header")]
    c_header();
    cdylib_soname();
}

#[cfg(feature = "header")]
#[path = "build/cheader.rs"]
mod cheader;

/// With the `header` feature only (so Rust users of the crate do not compile cbindgen):
/// generates the C header from `src/ffi` into `$OUT_DIR/dialguard.h`, and over the
/// committed `include/dialguard.h` when `DIALGUARD_REGEN_HEADER=1`
/// (`DIALGUARD_REGEN_HEADER=1 cargo build --features header`). tests/ffi_header.rs fails
/// when the committed header has drifted from the sources, with or without the feature.
#[cfg(feature = "header")]
fn c_header() {
    use std::path::PathBuf;
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build/cheader.rs");
    println!("cargo:rerun-if-env-changed=DIALGUARD_REGEN_HEADER");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let crate_dir = PathBuf::from(var("CARGO_MANIFEST_DIR"));
    let version = (
        var("CARGO_PKG_VERSION_MAJOR"),
        var("CARGO_PKG_VERSION_MINOR"),
        var("CARGO_PKG_VERSION_PATCH"),
    );
    let text = match cheader::header(&crate_dir, (&version.0, &version.1, &version.2)) {
        Ok(t) => t,
        Err(e) => panic!("generating the C header failed: {e}"),
    };
    let out = PathBuf::from(var("OUT_DIR")).join("dialguard.h");
    if let Err(e) = std::fs::write(&out, &text) {
        panic!("cannot write {}: {e}", out.display());
    }
    if var("DIALGUARD_REGEN_HEADER") == "1" {
        let committed = crate_dir.join("include/dialguard.h");
        if let Err(e) = std::fs::write(&committed, &text) {
            panic!("cannot write {}: {e}", committed.display());
        }
    }
}

/// Gives the shared library the SONAME `libdialguard.so.<major>` on Linux, so programs
/// linked against it load `libdialguard.so.0` after `install` (docs/c-abi.md). Skipped
/// when cargo-c's `--cfg cargo_c` reaches build scripts; where it does not, cargo-c's own
/// SONAME is the same (`version_suffix_components = 1` in Cargo.toml), so either wins.
fn cdylib_soname() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && std::env::var_os("CARGO_CFG_CARGO_C").is_none() {
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,-soname,libdialguard.so.{}",
            var("CARGO_PKG_VERSION_MAJOR")
        );
    }
}
