//! Runs examples/python/test_dialguard.py (the ctypes binding's tests) against the shared
//! library built for this test run. Without python3 it fails when `CI` is set and skips
//! with a loud notice otherwise (.ci/run installs it).

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn python_binding_tests_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        common::missing_tool(
            "python3",
            "the Python ctypes binding's tests",
            "apt-get install python3",
        );
        return;
    }
    // The test binary is target/<profile>/deps/<name>; cargo writes the cdylib it built
    // for this run beside it (a plain `cargo test` does not copy it to target/<profile>).
    let lib = std::env::current_exe()
        .expect("test binary path")
        .parent()
        .expect("target/<profile>/deps")
        .join("libdialguard.so");
    assert!(lib.exists(), "{} not built", lib.display());
    let out = Command::new("python3")
        .arg(root.join("examples/python/test_dialguard.py"))
        .env("DIALGUARD_LIB", &lib)
        .env("DIALGUARD_POLICY", root.join("policies/it/policy.toml"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python tests failed:\n{stderr}");
    // unittest reports on stderr; all seven must have run.
    assert!(stderr.contains("Ran 7 tests"), "{stderr}");
    assert!(stderr.trim_end().ends_with("OK"), "{stderr}");
}
