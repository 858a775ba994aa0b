//! Shared by the tests that need a tool outside Rust (a C compiler, valgrind, python3,
//! pkg-config, AddressSanitizer's runtime, redis-server).

/// A test cannot run because `tool` is missing. Inside CI (the `CI` environment variable
/// set and not empty, as .ci/run and every CI service set it) that is a failure: .ci/run
/// installs every tool a test needs, so a missing one means a check silently did not
/// run. Outside CI it says so loudly on stderr and the caller returns (skips).
pub fn missing_tool(tool: &str, check: &str, install: &str) {
    let msg = format!(
        "{tool} is missing, so {check} did NOT run; install it ({install}), or run .ci/run"
    );
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("CI is set and {msg}");
    }
    eprintln!("\n{bar}\nSKIPPED: {msg}\n{bar}\n", bar = "!".repeat(78));
}

/// The one JSON object a CLI run printed on stdout; fails the test, with both streams,
/// when the run failed or printed something else.
#[allow(dead_code)]
pub fn json_output(out: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one JSON object")
}

// Only the tests that start Redis use it; the others compile this module too.
#[allow(dead_code)]
pub mod redis;
