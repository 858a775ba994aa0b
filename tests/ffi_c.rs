//! The C ABI from C: compiles include/dialguard.h as C99 and C++, builds examples/c and
//! tests/c against the shared library cargo built for this test run, runs them and checks
//! their exact output; then once under valgrind and once with AddressSanitizer. A missing
//! tool (g++, valgrind, libasan, pkg-config) fails the test when `CI` is set and skips it
//! with a loud notice otherwise; .ci/run installs them all.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `target/<profile>/deps`, where the test binary lives and where cargo writes the
/// cdylib and staticlib it built for this test run (`cargo build` would also copy them
/// to `target/<profile>`, but a plain `cargo test` does not, and that copy can be stale).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// A temporary directory holding `libdialguard.so` and `libdialguard.so.0` (the SONAME
/// programs record) as links to the library built for this run.
struct LinkDir(tempfile::TempDir);

impl LinkDir {
    fn new() -> LinkDir {
        LinkDir::with_lib(&profile_dir().join("libdialguard.so"))
    }

    fn with_lib(lib: &Path) -> LinkDir {
        assert!(lib.exists(), "{} not built", lib.display());
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["libdialguard.so", "libdialguard.so.0"] {
            std::os::unix::fs::symlink(lib, dir.path().join(name)).expect("symlink");
        }
        LinkDir(dir)
    }
    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Compiles and links `source` (relative to the repository) into `name`.
    fn build(&self, compiler: &str, source: &str, name: &str, flags: &[&str]) -> PathBuf {
        let out = self.path().join(name);
        let lib = self.path().display().to_string();
        let status = Command::new(compiler)
            .args(flags)
            .arg(format!("-I{ROOT}/include"))
            .arg(Path::new(ROOT).join(source))
            .arg(format!("-L{lib}"))
            .arg("-ldialguard")
            .arg(format!("-Wl,-rpath,{lib}"))
            .arg("-o")
            .arg(&out)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {compiler}: {e} (install gcc)"));
        assert!(status.success(), "{compiler} {source} failed");
        out
    }
}

const C99: &[&str] = &[
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-O1",
];

fn policy() -> String {
    format!("{ROOT}/policies/it/policy.toml")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run program");
    assert!(
        out.status.success(),
        "{cmd:?} exited with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

const MINIMAL_OUTPUT: &str = "\
dialguard 0.1.0 (ABI 1)
02 5555 1234   status=ok verdict=allow reason=none rule=- until_ms=0
02 1234 5678   status=ok verdict=deny reason=registry rule=rpo until_ms=0
06 1234 5678   status=ok verdict=allow reason=none rule=- until_ms=0
02 8765 4321   status=ok verdict=deny reason=optout rule=internal-optout until_ms=0
899 123 456    status=ok verdict=deny reason=suppression rule=premium-prefixes until_ms=0
02 5555 1234   status=ok verdict=defer reason=outside_window rule=it-code-hours until_ms=1796025600000
dg_check(\"12\") -> invalid_number, verdict=deny reason=invalid_number: dg_check: `number` \"12\" is not a dialable number: too short: 2 digits after calling code +39; at least 6 expected
dg_check(NULL) -> null_parameter, verdict=deny reason=invalid_number: dg_check: `number` is NULL; pass a valid pointer
dg_check_e164(purpose 9) -> invalid_argument, verdict=deny reason=internal: dg_check_e164: `ctx->purpose` 9 is not a dg_purpose value (0-3)
dg_guard_close -> ok
";

const BAD_ARGS_OUTPUT: &str = "bad_args: 127 checks, 0 failed\n";

#[test]
fn header_compiles_as_c99_and_cxx() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = "#include \"dialguard.h\"\n\
               int main(void) { dg_decision d; d.verdict = DG_VERDICT_DENY; \
               return (int)d.verdict - 1 + (int)(DG_ABI_VERSION - dg_abi_version()); }\n";
    for (compiler, file, std) in [("cc", "h.c", "-std=c99"), ("c++", "h.cpp", "-std=c++11")] {
        if compiler == "c++" && !have("c++", &["--version"]) {
            common::missing_tool(
                "a C++ compiler (c++)",
                "the header check as C++",
                "apt-get install g++",
            );
            continue;
        }
        let path = dir.path().join(file);
        std::fs::write(&path, src).expect("write");
        let status = Command::new(compiler)
            .args([std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
            .arg(format!("-I{ROOT}/include"))
            .arg(&path)
            .arg("-o")
            .arg(dir.path().join(format!("{file}.o")))
            .status()
            .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
        assert!(status.success(), "{compiler} {std} rejects dialguard.h");
    }
}

/// docs/c-abi.md: "`dg_decision` is … (32 bytes, no padding)", checked by the C compiler
/// against the committed header (tests/alloc_free.rs checks the Rust side).
#[test]
fn dg_decision_layout_in_the_header_is_32_bytes_without_padding() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = "#include <stddef.h>\n#include \"dialguard.h\"\n\
        _Static_assert(sizeof(dg_decision) == 32, \"dg_decision is 32 bytes\");\n\
        _Static_assert(offsetof(dg_decision, verdict) == 0, \"verdict at 0\");\n\
        _Static_assert(offsetof(dg_decision, reason) == 4, \"reason at 4\");\n\
        _Static_assert(offsetof(dg_decision, rule) == 8, \"rule at 8\");\n\
        _Static_assert(offsetof(dg_decision, constraints) == 12, \"constraints at 12\");\n\
        _Static_assert(offsetof(dg_decision, until_unix_ms) == 16, \"until_unix_ms at 16\");\n\
        _Static_assert(offsetof(dg_decision, policy_version) == 24, \"policy_version at 24\");\n\
        #define F(f) sizeof(((dg_decision *)0)->f)\n\
        _Static_assert(F(verdict) + F(reason) + F(rule) + F(constraints) + F(until_unix_ms) \
        + F(policy_version) == sizeof(dg_decision), \"no padding: the fields fill the 32 bytes\");\n";
    let path = dir.path().join("layout.c");
    std::fs::write(&path, src).expect("write");
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
        .arg(format!("-I{ROOT}/include"))
        .arg(&path)
        .arg("-o")
        .arg(dir.path().join("layout.o"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run cc: {e} (install gcc)"));
    assert!(
        out.status.success(),
        "include/dialguard.h: dg_decision is not 32 bytes without padding:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn minimal_example_prints_exact_decisions() {
    let dir = LinkDir::new();
    let exe = dir.build("cc", "examples/c/minimal.c", "minimal", C99);
    let out = run(Command::new(exe).arg(policy()));
    assert_eq!(stdout(&out), MINIMAL_OUTPUT);
}

const ASTERISK_OUTPUT: &str = "\
DIALGUARD(02 5555 1234,+390299990000,winter) = allow none - 0 attempt=yes
DIALGUARD_OUTCOME(02 5555 1234,<attempt>)=busy -> 0
DIALGUARD(02 1234 5678,+390299990000,winter) = deny registry rpo 0 attempt=no
DIALGUARD(02 5555 1234,,winter) = deny caller_id it-cli 0 attempt=no
DIALGUARD(12,+390299990000,winter) = deny invalid_number - 0 attempt=no
";

const FREESWITCH_OUTPUT: &str = "\
api dialguard 0255554321 +390299990000 winter -> allow none - 0 attempt=yes
api dialguard_outcome 0255554321 <attempt> 3 -> +OK
api dialguard 0212345678 +390299990000 winter -> deny registry rpo 0 attempt=no
api dialguard 899123456 +390299990000 winter -> deny suppression premium-prefixes 0 attempt=no
api dialguard 12 +390299990000 -> deny invalid_number - 0 attempt=no
";

/// The Asterisk dialplan function and the FreeSWITCH API command (examples/c; the servers
/// are not packaged here, so their few declarations are stand-ins in each file): the
/// dialguard calls they make, compiled as C99 and run against the example policy.
#[test]
fn asterisk_and_freeswitch_examples_compile_and_decide() {
    let dir = LinkDir::new();
    for (source, name, want) in [
        (
            "examples/c/asterisk_func.c",
            "asterisk_func",
            ASTERISK_OUTPUT,
        ),
        (
            "examples/c/freeswitch_api.c",
            "freeswitch_api",
            FREESWITCH_OUTPUT,
        ),
    ] {
        let exe = dir.build("cc", source, name, C99);
        let out = run(Command::new(exe).arg(policy()));
        assert_eq!(stdout(&out), want, "{source}");
    }
}

#[test]
fn every_function_rejects_bad_arguments_and_fails_closed() {
    let dir = LinkDir::new();
    let exe = dir.build("cc", "tests/c/bad_args.c", "bad_args", C99);
    let out = run(Command::new(exe).arg(policy()));
    assert_eq!(stdout(&out), BAD_ARGS_OUTPUT);
}

/// `dg_guard_open_with`: bad struct_size and NULL policy refused, fsync never journals.
#[test]
fn open_with_refuses_bad_options_and_journals_with_fsync_never() {
    let dir = LinkDir::new();
    let exe = dir.build("cc", "tests/c/open_with.c", "open_with", C99);
    let state = tempfile::tempdir().unwrap();
    let out = run(Command::new(exe).arg(policy()).arg(state.path()));
    assert_eq!(stdout(&out), "open_with: 15 checks, 0 failed\n");
}

#[test]
fn loadgen_runs_two_threads_for_one_second() {
    let dir = LinkDir::new();
    let exe = dir.build(
        "cc",
        "examples/c/loadgen.c",
        "loadgen",
        &["-std=c11", "-O2", "-pthread", "-Wall", "-Wextra", "-Werror"],
    );
    let out = run(Command::new(exe).args([policy().as_str(), "2", "1"]));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON line");
    let field = |k: &str| json[k].as_u64().unwrap_or_else(|| panic!("{k} in {json}"));
    assert_eq!(field("threads"), 2);
    assert_eq!(field("errors"), 0);
    let checks = field("checks");
    assert!(checks >= 1024, "{json}");
    // Each thread checks whole rounds of 1024 numbers, 64 of them on the RPO registry,
    // all at a Friday 10:00 instant: exactly 1/16 deny, the rest allow.
    assert_eq!(checks % 1024, 0);
    assert_eq!(field("deny"), checks / 16);
    assert_eq!(field("allow"), checks / 16 * 15);
    assert_eq!(field("defer"), 0);
}

fn have(tool: &str, probe: &[&str]) -> bool {
    Command::new(tool)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn valgrind_finds_no_errors_or_leaks() {
    if !have("valgrind", &["--version"]) {
        common::missing_tool(
            "valgrind",
            "the valgrind run of the C programs",
            "apt-get install valgrind",
        );
        return;
    }
    let dir = LinkDir::new();
    for (source, name, expected) in [
        ("examples/c/minimal.c", "minimal", MINIMAL_OUTPUT),
        ("tests/c/bad_args.c", "bad_args", BAD_ARGS_OUTPUT),
    ] {
        let exe = dir.build("cc", source, name, C99);
        // "possibly lost" is not counted: jiff's process-wide time-zone cache keeps
        // tagged (interior) pointers to its blocks, which valgrind cannot follow.
        let out = run(Command::new("valgrind")
            .args([
                "-q",
                "--error-exitcode=1",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "--show-leak-kinds=definite,indirect",
            ])
            .arg(exe)
            .arg(policy()));
        assert_eq!(stdout(&out), expected, "{name} under valgrind");
    }
}

#[test]
fn address_sanitizer_finds_nothing() {
    let dir = LinkDir::new();
    let probe = dir.path().join("probe.c");
    std::fs::write(&probe, "int main(void) { return 0; }\n").expect("write");
    let asan = ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"];
    let can = Command::new("cc")
        .args(asan)
        .arg(&probe)
        .arg("-o")
        .arg(dir.path().join("probe"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !can {
        common::missing_tool(
            "libasan (cc -fsanitize=address cannot link)",
            "the AddressSanitizer run of the C programs",
            "apt-get install gcc (Debian's gcc brings libasan)",
        );
        return;
    }
    let flags: Vec<&str> = C99.iter().chain(&asan).copied().collect();
    for (source, name, expected) in [
        ("examples/c/minimal.c", "minimal", MINIMAL_OUTPUT),
        ("tests/c/bad_args.c", "bad_args", BAD_ARGS_OUTPUT),
    ] {
        let exe = dir.build("cc", source, name, &flags);
        let out = run(Command::new(exe)
            .arg(policy())
            .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=1"));
        assert_eq!(stdout(&out), expected, "{name} with AddressSanitizer");
    }
}

/// The C programs against a library whose Rust code is itself instrumented
/// (`RUSTFLAGS=-Zsanitizer=address cargo +nightly build --lib --target
/// x86_64-unknown-linux-gnu`), named by `DIALGUARD_ASAN_LIB`; .ci/run builds it. The test
/// above instruments only the C side, so it cannot see the library misuse memory.
#[test]
fn address_sanitizer_over_the_instrumented_rust_library() {
    let Some(lib) = std::env::var_os("DIALGUARD_ASAN_LIB") else {
        common::missing_tool(
            "DIALGUARD_ASAN_LIB (a libdialguard.so built with -Zsanitizer=address)",
            "the AddressSanitizer run over the Rust library",
            "see .ci/run: RUSTFLAGS=-Zsanitizer=address cargo +nightly build --lib \
             --target x86_64-unknown-linux-gnu",
        );
        return;
    };
    let dir = LinkDir::with_lib(Path::new(&lib));
    let asan = ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"];
    let flags: Vec<&str> = C99.iter().chain(&asan).copied().collect();
    for (source, name, expected) in [
        ("examples/c/minimal.c", "minimal", MINIMAL_OUTPUT),
        ("tests/c/bad_args.c", "bad_args", BAD_ARGS_OUTPUT),
    ] {
        let exe = dir.build("cc", source, name, &flags);
        let out = run(Command::new(exe)
            .arg(policy())
            .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=1"));
        assert_eq!(
            stdout(&out),
            expected,
            "{name} over the instrumented library"
        );
    }
}

/// The `# install-snippet` shell block of docs/c-abi.md.
fn install_snippet() -> String {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/c-abi.md")).expect("docs");
    let start = doc
        .find("# install-snippet\n")
        .expect("install snippet in docs/c-abi.md");
    let body = &doc[start..];
    body[..body.find("```").expect("end of the snippet")].to_string()
}

#[test]
fn documented_install_works_with_pkg_config() {
    if !have("pkg-config", &["--version"]) {
        common::missing_tool(
            "pkg-config",
            "the documented install and pkg-config build",
            "apt-get install pkg-config",
        );
        return;
    }
    let prefix = tempfile::tempdir().expect("temp dir");
    let status = Command::new("sh")
        .args(["-eu", "-c", &install_snippet()])
        .current_dir(ROOT)
        .env("PREFIX", prefix.path())
        .env("BUILD", profile_dir())
        .status()
        .expect("run sh");
    assert!(status.success(), "the documented install failed");
    let lib = prefix.path().join("lib");
    let pc = |args: &[&str]| {
        let out = Command::new("pkg-config")
            .args(args)
            .arg("dialguard")
            .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
            .output()
            .expect("run pkg-config");
        assert!(out.status.success(), "pkg-config {args:?} failed");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert_eq!(pc(&["--modversion"]).trim(), env!("CARGO_PKG_VERSION"));
    let flags = format!("{} {}", pc(&["--cflags"]).trim(), pc(&["--libs"]).trim());
    assert_eq!(
        flags,
        format!(
            "-I{p}/include -L{p}/lib -ldialguard",
            p = prefix.path().display()
        )
    );
    // `cc app.c $(pkg-config --cflags --libs dialguard)`, run through the SONAME link.
    let exe = prefix.path().join("minimal");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cc -std=c99 {ROOT}/examples/c/minimal.c $(pkg-config --cflags --libs dialguard) -o {}",
            exe.display()
        ))
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
        .status()
        .expect("run cc");
    assert!(status.success(), "cc with pkg-config flags failed");
    let out = run(Command::new(&exe)
        .arg(policy())
        .env("LD_LIBRARY_PATH", &lib));
    assert_eq!(stdout(&out), MINIMAL_OUTPUT);
    // The documented static link: no libdialguard.so needed at run time.
    let exe = prefix.path().join("minimal_static");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cc -std=c99 {ROOT}/examples/c/minimal.c $(pkg-config --cflags dialguard) {lib}/libdialguard.a \
             $(pkg-config --static --libs-only-l dialguard | sed 's/-ldialguard//') -o {exe}",
            lib = lib.display(),
            exe = exe.display()
        ))
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
        .status()
        .expect("run cc");
    assert!(status.success(), "static link with pkg-config failed");
    let out = run(Command::new(&exe).arg(policy()));
    assert_eq!(stdout(&out), MINIMAL_OUTPUT);
    let target = std::fs::read_link(lib.join("libdialguard.so.0")).expect("SONAME link");
    assert_eq!(
        target,
        Path::new(&format!("libdialguard.so.{}", env!("CARGO_PKG_VERSION")))
    );
}
