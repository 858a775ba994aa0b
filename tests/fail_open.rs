//! Regression tests for the fail-open paths of issue 9: each input here once made the
//! guard answer allow where it must not, crash the process or hang it. Every test
//! asserts the fail-closed answer or the clear error that replaced it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::{
    CapKey, CapRule, CoolSpan, CooloffRule, CountKind, Event, FixedOffsetDays, Outcome, Query,
    Span, Tag, cap_clear_at, cooloff_clear_at,
};
use dialguard::{Reason, policy};
use jiff::Timestamp;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn guard_from(dir: &Path, policy_text: &str) -> Guard {
    let p = write(dir, "policy.toml", policy_text);
    Guard::open(&p, GuardOptions::default()).unwrap().0
}

fn compile_err(dir: &Path, policy_text: &str) -> String {
    let p = write(dir, "policy.toml", policy_text);
    match policy::compile_file(&p, 1_780_000_000) {
        Ok(_) => panic!("policy compiled:\n{policy_text}"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------- 1. every zone judged

const WINDOW_9_20: &str = r#"
[policy]
name = "t"
default_country = "IT"
[[window]]
id = "day"
mon-sun = ["09:00-20:00"]
"#;

/// +800 (like +808 and +883) maps to all 414 zones; a 48-slot buffer kept 47 and allowed a call at
/// midnight in Honolulu. No instant is 09:00–20:00 everywhere, so the answer is deny.
#[test]
fn a_global_number_is_judged_in_every_zone() {
    let dir = tempfile::tempdir().unwrap();
    let g = guard_from(dir.path(), WINDOW_9_20);
    let ctx = CallContext::new(at("2026-03-10T10:00:00Z"));
    for input in ["+800 1234 5678", "+883 5100 1234 5678", "+808 1234 5678"] {
        let d = g.check(input, &ctx);
        assert!(!d.is_allow(), "{input}: {d:?}");
        assert_eq!(d.reason(), Some(Reason::BeyondHorizon), "{input}: {d:?}");
    }
    // The same instant is inside the window in Rome: a one-zone number is allowed.
    assert!(g.check("+39 02 1234 5678", &ctx).is_allow());
}

/// A rule's validity dates are local dates; where a number's zones straddle midnight
/// the rule is in force if it is in any of them. +1 208 is Boise (UTC-7) and Los
/// Angeles (UTC-8): at 07:30Z on 1 Dec it is still 30 Nov in Los Angeles, where a
/// restriction valid until 30 Nov holds. Judged by the first zone alone it was skipped.
#[test]
fn a_rule_in_force_in_any_zone_of_the_number_applies() {
    let dir = tempfile::tempdir().unwrap();
    let g = guard_from(
        dir.path(),
        r#"
[policy]
name = "t"
default_country = "US"
[[window]]
id = "closed-in-november"
valid_until = "2026-11-30"
mon-sun = ["12:00-12:01"]
"#,
    );
    // 07:30Z: 00:30 on 1 Dec in Boise, 23:30 on 30 Nov in Los Angeles.
    let d = g.check(
        "+1 208 555 0123",
        &CallContext::new(at("2026-12-01T07:30:00Z")),
    );
    assert!(!d.is_allow(), "{d:?}");
    // 09:00Z: 1 Dec in both zones; the rule is over.
    let d = g.check(
        "+1 208 555 0123",
        &CallContext::new(at("2026-12-01T09:00:00Z")),
    );
    assert!(d.is_allow(), "{d:?}");
}

/// Holiday calendars are computed for 2020–2045. A day after that is unknown: it was
/// answered as a working day, so a call on Christmas 2046 was allowed. Now an unknown
/// day counts as a holiday (here: closed), so nothing is allowed beyond the tables.
#[test]
fn a_day_beyond_the_computed_calendars_is_not_a_working_day() {
    let dir = tempfile::tempdir().unwrap();
    let g = guard_from(
        dir.path(),
        r#"
[policy]
name = "t"
default_country = "IT"
[[calendar]]
id = "h"
fixed = ["12-25"]
[[window]]
id = "w"
calendar = "h"
mon-sun = ["09:00-20:00"]
holiday = []
"#,
    );
    let at_ = |s: &str| CallContext::new(at(s));
    assert!(
        g.check("02 5555 1234", &at_("2045-12-27T10:00:00+01:00"))
            .is_allow()
    );
    let d = g.check("02 5555 1234", &at_("2045-12-25T10:00:00+01:00"));
    assert_eq!(d.reason(), Some(Reason::OutsideWindow), "{d:?}");
    for day in ["2046-12-25T10:00:00+01:00", "2046-12-27T10:00:00+01:00"] {
        let d = g.check("02 5555 1234", &at_(day));
        assert!(!d.is_allow(), "{day}: {d:?}");
    }
}

// ---------------------------------------------------------------- 3. no overflowing span

#[test]
fn spans_too_long_to_represent_are_refused_at_compile_time() {
    let dir = tempfile::tempdir().unwrap();
    for (table, key, value) in [
        ("cap", "within_calendar_days", "2147483648"),
        ("cap", "within_calendar_days", "4294967295"),
        ("cap", "within", "\"999999999d\""),
        ("cooloff", "for_calendar_days", "2147483648"),
        ("cooloff", "for", "\"99999999999h\""),
    ] {
        let extra = if table == "cap" {
            "max = 1"
        } else {
            "after = \"refused\""
        };
        let text =
            format!("[policy]\nname = \"t\"\n[[{table}]]\nid = \"r\"\n{extra}\n{key} = {value}\n");
        let e = compile_err(dir.path(), &text);
        assert!(e.contains(key), "{e}");
        assert!(
            e.contains("out of range") || e.contains("longer than 100 years"),
            "{e}"
        );
    }
}

/// The library API takes any `u32`: the largest spans must block, not wrap negative.
#[test]
fn the_largest_calendar_spans_still_block() {
    let t0 = 1_780_000_000;
    let ev = [Event::new(t0, Tag::NONE, Tag::NONE, Some(Outcome::Refused), false).unwrap()];
    let days = FixedOffsetDays(3600);
    let q = Query::default();
    for n in [2_147_483_648u32, u32::MAX] {
        let cap = CapRule {
            max: 1,
            within: Span::CalendarDays(n),
            key: CapKey::Number,
            count: CountKind::Attempts,
        };
        assert!(cap_clear_at(&ev, &cap, &q, t0 + 60, &days) > t0 + 100 * 365 * 86_400);
        let cool = CooloffRule {
            after: Outcome::Refused,
            duration: CoolSpan::CalendarDays(n),
            unless_live_agent: false,
            key: CapKey::Number,
        };
        let clear = cooloff_clear_at(&ev, &cool, &q, t0 + 60, &days).unwrap();
        assert!(clear > t0 + 100 * 365 * 86_400, "{n}: {clear}");
    }
}

// ---------------------------------------------------------------- 4. list file changed in place

fn compile_list(dir: &Path, name: &str, numbers: &[&str]) -> PathBuf {
    let text = write(dir, &format!("{name}.txt"), &(numbers.join("\n") + "\n"));
    let out = dir.join(format!("{name}.dgl"));
    dialguard::lists::compile_text_list(&text, &out, None, None).unwrap();
    out
}

#[test]
fn a_compiled_registry_overwritten_or_truncated_in_place_changes_nothing_until_reload() {
    let dir = tempfile::tempdir().unwrap();
    let reg = compile_list(dir.path(), "reg", &["+390212345678", "+390212345679"]);
    let small = compile_list(dir.path(), "small", &["+390299999999"]);
    let text = r#"
[policy]
name = "t"
default_country = "IT"
[[list]]
id = "rpo"
kind = "registry"
path = "reg.dgl"
"#;
    let p = write(dir.path(), "policy.toml", text);
    let g = Guard::open(&p, GuardOptions::default()).unwrap().0;
    let ctx = CallContext::new(at("2026-03-10T10:00:00Z"));
    let registry = |g: &Guard| g.check("+390212345678", &ctx).reason();
    assert_eq!(registry(&g), Some(Reason::Registry));

    // `cp small.dgl reg.dgl`: same inode, new bytes.
    let bytes = std::fs::read(&small).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&reg)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    assert_eq!(
        registry(&g),
        Some(Reason::Registry),
        "changed without reload"
    );

    // A reload now reads the new file: a compiled list cut short is refused.
    let len = std::fs::metadata(&reg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&reg)
        .unwrap()
        .set_len(len - 1)
        .unwrap();
    let e = g.reload(&p).unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
    assert_eq!(registry(&g), Some(Reason::Registry));

    // `: > reg.dgl`: used to kill the process with SIGBUS.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&reg)
        .unwrap();
    assert_eq!(registry(&g), Some(Reason::Registry));

    // A reload of the truncated file fails and the old policy keeps serving.
    let e = g.reload(&p).unwrap_err().to_string();
    assert!(e.contains("holds no numbers"), "{e}");
    assert_eq!(registry(&g), Some(Reason::Registry));
}

// ---------------------------------------------------------------- 5. the lock survives rm LOCK

#[test]
fn deleting_the_lock_file_does_not_let_a_second_process_in() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let p = write(
        dir.path(),
        "policy.toml",
        "[policy]\nname = \"t\"\ndefault_country = \"IT\"\n[[cap]]\nid = \"c\"\nmax = 3\nwithin = \"24h\"\n",
    );
    let opts = GuardOptions {
        state_dir: Some(state.clone()),
        ..GuardOptions::default()
    };
    let _first = Guard::open(&p, opts).unwrap();
    std::fs::remove_file(state.join("LOCK")).unwrap();
    let out = Command::new(BIN)
        .args(["check", "--policy"])
        .arg(&p)
        .arg("--state")
        .arg(&state)
        .args(["--reserve", "+390212345678"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("in use by another process"), "{stderr}");
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------- 6. no device, FIFO or giant

/// Runs `f` on a thread and fails the test if it has not returned within `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("hung")
}

fn list_policy(path: &str) -> String {
    format!(
        "[policy]\nname = \"t\"\ndefault_country = \"IT\"\n[[list]]\nid = \"l\"\nkind = \"optout\"\npath = \"{path}\"\n"
    )
}

#[test]
fn a_list_path_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let e = compile_err(dir.path(), &list_policy("/dev/zero"));
    assert!(e.contains("a character device, not a regular file"), "{e}");

    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let d = dir.path().to_owned();
    let e = within(Duration::from_secs(20), move || {
        compile_err(&d, &list_policy("fifo"))
    });
    assert!(e.contains("FIFO"), "{e}");

    // The consent file and the policy file itself are held to the same rule.
    let text = "[policy]\nname = \"t\"\n[[consent]]\nid = \"c\"\npath = \"/dev/zero\"\n";
    assert!(compile_err(dir.path(), text).contains("not a regular file"));
    let e = policy::compile_file(Path::new("/dev/zero"), 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn a_list_over_the_policy_size_limit_is_refused_with_the_key_to_raise() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = String::new();
    for i in 0..160_000u64 {
        big.push_str(&format!("+3902{:08}\n", 10_000_000 + i));
    }
    write(dir.path(), "big.txt", &big);
    let text = list_policy("big.txt").replace(
        "default_country = \"IT\"\n",
        "default_country = \"IT\"\nmax_list_mb = 1\n",
    );
    let e = compile_err(dir.path(), &text);
    assert!(e.contains("over the limit of 1048576 bytes"), "{e}");
    assert!(e.contains("max_list_mb"), "{e}");
    // And a file with no line breaks is not buffered whole.
    write(dir.path(), "one-line.txt", &"9".repeat(200_000));
    let e = compile_err(dir.path(), &list_policy("one-line.txt"));
    assert!(e.contains("longer than 65536 bytes"), "{e}");
}

// ---------------------------------------------------------------- 7. linear compile, bounded rules

fn policy_with_windows(n: usize) -> String {
    let mut s = String::from("[policy]\nname = \"many\"\n");
    for i in 0..n {
        s.push_str(&format!(
            "\n[[window]]\nid = \"w{i}\"\napplies_to = [\"+39{i}\"]\nmon-fri = [\"09:00-20:00\"]\n"
        ));
    }
    s
}

/// 20 k rules took 22 s when each rule's line was counted from the file start: compile
/// time grew with the square of the rule count. Asserted as a ratio measured in one run
/// (4× the rules must cost well under 16×, the quadratic ratio), so a slow machine does
/// not fail it and a quadratic step does.
#[test]
fn compile_time_grows_linearly_with_the_rule_count_and_lines_stay_right() {
    let compile = |n: usize| {
        let text = policy_with_windows(n) + "\n[[window]]\nid = \"bad\"\nmon = [\"20:00-09:00\"]\n";
        let started = Instant::now();
        let e = policy::compile_str(&text, Path::new("many.toml"), 0)
            .unwrap_err()
            .to_string();
        let took = started.elapsed();
        let line = text.lines().count() - 2;
        assert!(e.contains(&format!("many.toml:{line}:")), "{e}");
        took
    };
    compile(1_000); // warm up
    let small = compile(5_000);
    let large = compile(20_000);
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    assert!(
        ratio < 8.0,
        "5 k rules {small:?}, 20 k rules {large:?}: {ratio:.1}x"
    );
}

#[test]
fn more_rules_than_ids_can_name_are_refused_up_front() {
    let text = policy_with_windows(70_000);
    let e = policy::compile_str(&text, Path::new("many.toml"), 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("70000 rules: a policy holds at most 65534"),
        "{e}"
    );
}

// ---------------------------------------------------------------- 8. clear errors, fail closed

#[test]
fn a_state_path_that_is_a_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "policy.toml", WINDOW_9_20);
    let state = write(dir.path(), "state", "not a directory");
    let out = Command::new(BIN)
        .args(["check", "--policy"])
        .arg(&p)
        .arg("--state")
        .arg(&state)
        .arg("+390212345678")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("is a file, not a directory"), "{stderr}");
    assert!(!stderr.contains("free disk space"), "{stderr}");
}

/// `ulimit -f` used to kill the process with SIGXFSZ and no message.
#[test]
fn a_file_size_limit_gives_store_unavailable_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "policy.toml",
        "[policy]\nname = \"t\"\ndefault_country = \"IT\"\n[[cap]]\nid = \"c\"\nmax = 3\nwithin = \"24h\"\n",
    );
    let numbers: Vec<String> = (0..60)
        .map(|i| format!("+3902123{:05}", 45_000 + i))
        .collect();
    let script = format!(
        "ulimit -f 1; exec \"$0\" check --policy \"$1\" --state \"$2\" --reserve {}",
        numbers.join(" ")
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(BIN)
        .arg(&p)
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "killed? {stderr}");
    assert_eq!(stdout.lines().count(), 60, "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.contains("\"reason\":\"store_unavailable\""), "{last}");
    assert!(last.contains("ulimit -f"), "{last}");
    assert!(stderr.contains("file-size limit"), "{stderr}");
}

/// With any umask, the state directory is 0700 and its files 0600.
#[test]
fn state_files_are_owner_only_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "policy.toml", WINDOW_9_20);
    let state = dir.path().join("state");
    let status = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" check --policy \"$1\" --state \"$2\" --reserve +390212345678 >/dev/null")
        .arg(BIN)
        .arg(&p)
        .arg(&state)
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        files += 1;
    }
    assert!(files >= 2, "LOCK and a journal");
    // A compiled list holds numbers too.
    let list = write(dir.path(), "l.txt", "+390212345678\n");
    let out = dir.path().join("l.dgl");
    let status = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" compile-list \"$1\" \"$2\" >/dev/null")
        .arg(BIN)
        .arg(&list)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&out), 0o600);
}

/// E.164 digits from C (`dg_check_e164`, `dg_check_batch`) had only their digit count
/// checked: `1`, `39` or `3912` are no number any rule covers, and were allowed (found
/// by the Kamailio integration's review). They are now invalid numbers, as the same
/// digits written `+1`, `+39`, `+3912` are.
#[test]
fn e164_digits_from_c_are_validated_like_text() {
    use dialguard::ffi::*;
    let policy = std::ffi::CString::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/it/policy.toml"
    ))
    .unwrap();
    let mut g = std::ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(policy.as_ptr(), std::ptr::null(), &mut g) },
        dg_status::Ok
    );
    let ctx = dg_context {
        now_unix_ms: 1_795_770_000_000, // Friday 10:00 in Rome
        campaign: std::ptr::null(),
        subject: std::ptr::null(),
        caller_id: std::ptr::null(),
        caller_id_e164: 3_908_440_000_000,
        purpose: dg_purpose::Sales as u32,
        mode: dg_mode::Preview as u32,
    };
    let bad = [1u64, 39, 3912, 4402079460018, 1_000_000_000_000_000];
    for digits in bad {
        let mut d = std::mem::MaybeUninit::<dg_decision>::zeroed();
        let st = unsafe { dg_check_e164(g, digits, &ctx, d.as_mut_ptr()) };
        let d = unsafe { d.assume_init() };
        assert_eq!(st, dg_status::InvalidNumber, "{digits}");
        assert_eq!(d.verdict, dg_verdict::Deny as u32, "{digits}");
        assert_eq!(d.reason, Reason::InvalidNumber as u32, "{digits}");
    }
    let mut batch = [390_255_551_234u64, 1, 39, 3912];
    let mut out = [std::mem::MaybeUninit::<dg_decision>::zeroed(); 4];
    let st = unsafe {
        dg_check_batch(
            g,
            batch.as_mut_ptr(),
            batch.len(),
            &ctx,
            out.as_mut_ptr().cast(),
        )
    };
    assert_eq!(st, dg_status::Ok);
    let out: Vec<dg_decision> = out.iter().map(|d| unsafe { d.assume_init() }).collect();
    assert_eq!(out[0].verdict, dg_verdict::Allow as u32);
    for d in &out[1..] {
        assert_eq!(
            (d.verdict, d.reason),
            (dg_verdict::Deny as u32, Reason::InvalidNumber as u32)
        );
    }
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
}
