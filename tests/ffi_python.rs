//! Runs python/tests/test_dialguard.py (the ctypes binding's tests) against the shared
//! library built for this test run: once from the source tree, once pip-installed into a
//! fresh venv with the library bundled in the package. Without python3 (or its venv
//! module) it fails when `CI` is set and skips with a loud notice otherwise (.ci/run
//! installs them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// unittest's count: every test in python/tests/test_dialguard.py must have run.
const RAN: &str = "Ran 11 tests";

fn have_python(probe: &str) -> bool {
    Command::new("python3")
        .args(["-c", probe])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The cdylib cargo built for this run: the test binary is target/<profile>/deps/<name>
/// and cargo writes the library beside it (a plain `cargo test` does not copy it to
/// target/<profile>).
fn built_lib() -> PathBuf {
    let lib = std::env::current_exe()
        .expect("test binary path")
        .parent()
        .expect("target/<profile>/deps")
        .join("libdialguard.so");
    assert!(lib.exists(), "{} not built", lib.display());
    lib
}

/// Starts a private redis-server for test_shared_store and points it there
/// (DIALGUARD_TEST_REDIS_URL); without redis-server (outside CI) that one test is a no-op.
fn with_redis(cmd: &mut Command, check: &str) -> Option<common::redis::RedisServer> {
    let redis = common::redis::start(check)?;
    cmd.env("DIALGUARD_TEST_REDIS_URL", redis.url());
    Some(redis)
}

fn assert_all_passed(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python tests failed:\n{stderr}");
    assert!(stderr.contains(RAN), "{stderr}");
    assert!(stderr.trim_end().ends_with("OK"), "{stderr}");
}

#[test]
fn python_binding_tests_pass() {
    if !have_python("pass") {
        common::missing_tool(
            "python3",
            "the Python ctypes binding's tests",
            "apt-get install python3",
        );
        return;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(ROOT).join("python/tests/test_dialguard.py"))
        .env("DIALGUARD_LIB", built_lib())
        .env(
            "DIALGUARD_POLICY",
            Path::new(ROOT).join("policies/it/policy.toml"),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let _redis = with_redis(&mut cmd, "the Python binding's shared-store test");
    let out = cmd.output().expect("run python3");
    assert_all_passed(&out);
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} exited with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `pip install` of a copy of python/ with the library bundled (as python/README.md
/// says), into a fresh venv; the tests then run from outside the source tree with no
/// DIALGUARD_LIB, so they load the bundled library through the installed package.
#[test]
fn pip_installed_package_with_bundled_library_passes_the_tests() {
    if !have_python("import venv, ensurepip") {
        common::missing_tool(
            "python3 with venv",
            "the pip install test of the Python package",
            "apt-get install python3-venv",
        );
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let src = tmp.path().join("src");
    let pkg = src.join("dialguard");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    for f in ["pyproject.toml", "README.md"] {
        std::fs::copy(Path::new(ROOT).join("python").join(f), src.join(f)).expect("copy");
    }
    std::fs::copy(
        Path::new(ROOT).join("python/dialguard/__init__.py"),
        pkg.join("__init__.py"),
    )
    .expect("copy");
    std::fs::copy(built_lib(), pkg.join("libdialguard.so")).expect("copy lib");
    let venv = tmp.path().join("venv");
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    let py = venv.join("bin/python");
    // Offline when the venv can build a wheel itself (setuptools + wheel); otherwise pip
    // fetches setuptools from PyPI into an isolated build environment.
    let offline = Command::new(&py)
        .args(["-c", "import setuptools, wheel"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut pip = Command::new(&py);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    if offline {
        pip.args(["--no-build-isolation", "--no-index"]);
    }
    run_ok(pip.arg(&src));
    // The tree copy is gone: only the installed package can answer.
    std::fs::remove_dir_all(&src).expect("remove source copy");
    let mut cmd = Command::new(&py);
    cmd.arg(Path::new(ROOT).join("python/tests/test_dialguard.py"))
        .current_dir(tmp.path())
        .env_remove("DIALGUARD_LIB")
        .env("DIALGUARD_TEST_INSTALLED", "1")
        .env(
            "DIALGUARD_POLICY",
            Path::new(ROOT).join("policies/it/policy.toml"),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let _redis = with_redis(&mut cmd, "the installed package's shared-store test");
    let out = cmd.output().expect("run the venv's python");
    assert_all_passed(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("test_library_path"), "{stderr}");
}
