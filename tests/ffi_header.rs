//! The committed include/dialguard.h must be exactly what cbindgen generates from the
//! sources now. On failure, regenerate it with `DIALGUARD_REGEN_HEADER=1 cargo build --features header`.

use std::path::Path;

#[path = "../build/cheader.rs"]
mod cheader;

#[test]
fn committed_header_matches_the_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = cheader::header(
        root,
        (
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR"),
            env!("CARGO_PKG_VERSION_PATCH"),
        ),
    )
    .expect("cbindgen generates the header");
    let dir = tempfile::tempdir().expect("temp dir");
    let tmp = dir.path().join("dialguard.h");
    std::fs::write(&tmp, &fresh).expect("write the fresh header");
    let committed =
        std::fs::read_to_string(root.join("include/dialguard.h")).expect("include/dialguard.h");
    let fresh = std::fs::read_to_string(&tmp).expect("read back");
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "include/dialguard.h differs from the sources from line {} on; run \
             `DIALGUARD_REGEN_HEADER=1 cargo build --features header` and commit the result",
            line + 1
        );
    }
}

#[test]
fn header_declares_every_exported_function() {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/dialguard.h"))
            .expect("include/dialguard.h");
    // The functions live in several files of src/ffi (one per seam): read them all.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi");
    let mut ffi = String::new();
    for entry in std::fs::read_dir(dir).expect("src/ffi") {
        let path = entry.expect("src/ffi entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            ffi += &std::fs::read_to_string(&path).expect("an src/ffi file");
        }
    }
    let exported: Vec<&str> = ffi
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("pub unsafe extern \"C\" fn ")
                .or_else(|| l.trim_start().strip_prefix("pub extern \"C\" fn "))
        })
        .filter_map(|l| l.split('(').next())
        .collect();
    assert_eq!(exported.len(), 18, "{exported:?}");
    for f in exported {
        assert!(
            header.contains(&format!(" {f}(")) || header.contains(&format!("*{f}(")),
            "{f} missing from the header"
        );
    }
}
