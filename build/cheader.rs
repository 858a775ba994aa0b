//! Generates the C header `include/dialguard.h` from `src/ffi` with cbindgen. Shared by
//! build.rs and tests/ffi_header.rs (the drift check), so both produce the same bytes.

use std::path::Path;

/// The header text for the crate at `crate_dir`, version `major.minor.patch`.
pub fn header(crate_dir: &Path, version: (&str, &str, &str)) -> Result<String, String> {
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("cbindgen.toml: {e}"))?;
    let (major, minor, patch) = version;
    config.after_includes = Some(format!(
        "\n#define DG_VERSION_MAJOR {major}\n#define DG_VERSION_MINOR {minor}\n\
         #define DG_VERSION_PATCH {patch}\n#define DG_VERSION \"{major}.{minor}.{patch}\"\n"
    ));
    let bindings = cbindgen::Builder::new()
        // Only the FFI module: constants elsewhere in the crate are not part of the ABI.
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|e| format!("cbindgen output is not UTF-8: {e}"))
}
