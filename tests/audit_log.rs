//! The decision log end to end: records written through `AuditLog`, then tampered with
//! in each way (an edited byte, a deleted record, two reordered, a deleted file, a cut
//! tail) and caught by the real `dialguard audit verify`; drops counted in the log;
//! permissions; pseudonyms; `audit show` filters.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use dialguard::audit::{
    AuditConfig, AuditLog, DecisionRecord, ListAge, Logged, RecordKind, WhenFull,
};
use dialguard::{Number, Reason, Verdict};

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");
/// 2026-03-16T00:00:00Z.
const DAY: i64 = 1_773_619_200;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run dialguard");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn record(i: u64) -> DecisionRecord {
    let mut r = DecisionRecord::new(
        RecordKind::Check,
        DAY + 9 * 3600 + i64::try_from(i).unwrap(),
    );
    r.number = Number::from_e164_digits(390_212_000_000 + i);
    r.campaign = Some("spring".into());
    r.verdict = Some(if i.is_multiple_of(3) {
        Verdict::Deny
    } else {
        Verdict::Allow
    });
    if i.is_multiple_of(3) {
        r.reason = Some(Reason::Registry);
        r.rule = Some(Arc::from("rpo"));
    }
    r.lists = Arc::from(vec![ListAge {
        list: "rpo".into(),
        snapshot: Some(20_527),
    }]);
    r
}

/// A closed log of `n` records in files of about 4 KiB (several files).
fn write_log(dir: &Path, n: u64) {
    let mut cfg = AuditConfig::new(dir);
    cfg.rotate_bytes = 4096;
    let log = AuditLog::open(&cfg).unwrap();
    for i in 0..n {
        assert_eq!(log.record(record(i)), Logged::Queued);
    }
    log.close().unwrap();
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    v
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(p: &Path, l: &[String]) {
    std::fs::write(p, l.join("\n") + "\n").unwrap();
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// A fresh log of 200 records in 3 or more files.
fn fresh() -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    write_log(&dir, 200);
    let f = files(&dir);
    assert!(f.len() >= 3, "{} files", f.len());
    (tmp, dir, f)
}

fn verify(dir: &Path) -> Out {
    run(&["audit", "verify", dir.to_str().unwrap()])
}

/// `audit verify` exits 1 and its message names `file` and `line`.
fn assert_broken(dir: &Path, file: &str, line: usize, why: &str) {
    let out = verify(dir);
    assert_eq!(
        out.code, 1,
        "{why}: not caught\n{}{}",
        out.stdout, out.stderr
    );
    let want = format!("{file} line {line}:");
    assert!(
        out.stdout.contains(&want),
        "{why}: expected {want:?} in {}",
        out.stdout
    );
}

#[test]
fn an_untouched_log_verifies_with_its_counts() {
    let (_t, dir, f) = fresh();
    let out = verify(&dir);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let want = format!("ok: 200 records in {} files, last hash ", f.len());
    assert!(out.stdout.starts_with(&want), "{}", out.stdout);
    assert!(!out.stdout.contains("not closed"), "{}", out.stdout);
    // Reopening continues the chain in a new file.
    write_log(&dir, 10);
    let out = verify(&dir);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("ok: 210 records in "),
        "{}",
        out.stdout
    );
}

#[test]
fn an_edited_byte_is_found_on_its_line() {
    let (_t, dir, f) = fresh();
    let mut l = lines(&f[1]);
    // A number's digit: still valid JSON, still a plausible record.
    l[4] = l[4].replacen("+39021200", "+39021201", 1);
    assert_ne!(l[4], lines(&f[1])[4]);
    write_lines(&f[1], &l);
    assert_broken(&dir, &name(&f[1]), 5, "edited byte");
    assert!(verify(&dir).stdout.contains("edited"));
}

#[test]
fn an_edit_of_the_very_last_record_is_found() {
    let (_t, dir, f) = fresh();
    let last = f.last().unwrap();
    let mut l = lines(last);
    let n = l.len();
    // Record 199, an allow, turned into a defer.
    l[n - 2] = l[n - 2].replacen("\"verdict\":\"allow\"", "\"verdict\":\"defer\"", 1);
    assert_ne!(l[n - 2], lines(last)[n - 2]);
    write_lines(last, &l);
    assert_broken(&dir, &name(last), n - 1, "edited last record");
}

#[test]
fn a_deleted_record_is_found_where_the_chain_breaks() {
    let (_t, dir, f) = fresh();
    let mut l = lines(&f[1]);
    l.remove(3);
    write_lines(&f[1], &l);
    assert_broken(&dir, &name(&f[1]), 4, "deleted record");
    assert!(verify(&dir).stdout.contains("deleted"));
}

#[test]
fn two_reordered_records_are_found() {
    let (_t, dir, f) = fresh();
    let mut l = lines(&f[1]);
    l.swap(3, 4);
    write_lines(&f[1], &l);
    assert_broken(&dir, &name(&f[1]), 4, "reordered records");
}

#[test]
fn a_deleted_file_is_named_wherever_it_was() {
    // In the middle: the next file's header (and the rotate before it) name it.
    let (_t, dir, f) = fresh();
    std::fs::remove_file(&f[1]).unwrap();
    assert_broken(&dir, &name(&f[2]), 1, "deleted middle file");
    assert!(verify(&dir).stdout.contains(&name(&f[1])));
    // The first: the second file's header names it and no retention deleted it.
    let (_t, dir, f) = fresh();
    std::fs::remove_file(&f[0]).unwrap();
    assert_broken(&dir, &name(&f[1]), 1, "deleted first file");
    assert!(verify(&dir).stdout.contains(&name(&f[0])));
    // The last: the file before it ends by rotating to it.
    let (_t, dir, f) = fresh();
    let last = f.last().unwrap();
    std::fs::remove_file(last).unwrap();
    let before = &f[f.len() - 2];
    assert_broken(
        &dir,
        &name(before),
        lines(before).len(),
        "deleted last file",
    );
    assert!(verify(&dir).stdout.contains(&name(last)));
}

#[test]
fn a_truncated_tail_is_found() {
    // Cut in the middle of the last record.
    let (_t, dir, f) = fresh();
    let last = f.last().unwrap();
    let text = std::fs::read(last).unwrap();
    std::fs::write(last, &text[..text.len() - 40]).unwrap();
    assert_broken(&dir, &name(last), lines(last).len(), "cut mid-record");
    assert!(verify(&dir).stdout.contains("truncated"));
    // Whole records cut from a file that is not the last: the next header says it closed.
    let (_t, dir, f) = fresh();
    let mut l = lines(&f[0]);
    l.truncate(l.len() - 3);
    write_lines(&f[0], &l);
    assert_broken(&dir, &name(&f[0]), l.len(), "records cut at a file's end");
}

#[test]
fn a_crash_mid_record_is_recorded_by_the_next_writer_and_still_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    write_log(&dir, 20);
    // What a crash leaves: no close record, half a record.
    let f = files(&dir);
    let last = f.last().unwrap();
    let mut l = lines(last);
    l.pop();
    let mut text = l.join("\n") + "\n";
    text.push_str("{\"seq\":9999,\"kind\":\"che");
    std::fs::write(last, &text).unwrap();
    assert_eq!(verify(&dir).code, 1);
    write_log(&dir, 5);
    let out = verify(&dir);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("1 unclean stop"), "{}", out.stdout);
    let header = &lines(files(&dir).last().unwrap())[0];
    assert!(header.contains("\"recovered\":true"), "{header}");
    assert!(header.contains("\"torn_tail_bytes\":23"), "{header}");
}

#[test]
fn drops_are_counted_in_the_log_never_silent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = AuditConfig::new(&dir);
    cfg.when_full = WhenFull::Drop;
    cfg.queue = 1;
    let log = Arc::new(AuditLog::open(&cfg).unwrap());
    let per_thread = 20_000u64;
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut dropped = 0u64;
                for i in 0..per_thread {
                    if log.record(record(t * per_thread + i)) == Logged::Dropped {
                        dropped += 1;
                    }
                }
                dropped
            })
        })
        .collect();
    let seen: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let log = Arc::into_inner(log).unwrap();
    log.flush().unwrap();
    assert!(seen > 0, "a queue of 1 under 4 threads never filled");
    assert_eq!(log.dropped(), seen);
    assert_eq!(log.records_written() + log.dropped(), 4 * per_thread);
    log.close().unwrap();
    let out = verify(&dir);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(", {seen} record(s) dropped")),
        "{}",
        out.stdout
    );
}

#[test]
fn durable_records_are_on_disk_when_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = AuditConfig::new(&dir);
    cfg.durable = true;
    let log = AuditLog::open(&cfg).unwrap();
    for i in 0..20 {
        assert_eq!(log.record(record(i)), Logged::Synced);
        // Acknowledged means written: the file already holds it (header + i + 1).
        let n = lines(files(&dir).last().unwrap()).len();
        assert_eq!(n, usize::try_from(i).unwrap() + 2);
    }
    assert_eq!(log.records_written(), 20);
}

#[cfg(unix)]
#[test]
fn files_are_private_and_numbers_can_be_pseudonymized() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = AuditConfig::new(&dir);
    cfg.pseudonymize = true;
    let log = AuditLog::open(&cfg).unwrap();
    for i in 0..10 {
        log.record(record(i));
    }
    log.close().unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("audit.key")), 0o600);
    assert_eq!(std::fs::read(dir.join("audit.key")).unwrap().len(), 32);
    for f in files(&dir) {
        assert_eq!(mode(&f), 0o600);
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("39021200000"), "a number in clear: {text}");
    }
    // The key finds one number's records again.
    let out = run(&[
        "audit",
        "show",
        dir.to_str().unwrap(),
        "--number",
        "+390212000003",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains("\"number_hmac\":\""));
    assert_eq!(verify(&dir).code, 0);
}

#[test]
fn show_filters_by_number_and_period() {
    let (_t, dir, _f) = fresh();
    let d = dir.to_str().unwrap();
    let all = run(&["audit", "show", d]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(all.stdout.lines().count(), 200);
    for l in all.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["kind"], "check");
    }
    let one = run(&["audit", "show", d, "--number", "+390212000007"]);
    assert_eq!(one.stdout.lines().count(), 1);
    assert!(one.stdout.contains("\"number\":\"+390212000007\""));
    // Records are one second apart from 09:00:00; to 09:00:49 exclusive keeps 49.
    let some = run(&[
        "audit",
        "show",
        d,
        "--from",
        "2026-03-16",
        "--to",
        "2026-03-16T09:00:49Z",
    ]);
    assert_eq!(some.stdout.lines().count(), 49, "{}", some.stderr);
    let none = run(&["audit", "show", d, "--from", "2026-03-17"]);
    assert_eq!(none.stdout.lines().count(), 0);
    let bad = run(&["audit", "show", d, "--number", "call me"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("E.164"), "{}", bad.stderr);
    let empty = tempfile::tempdir().unwrap();
    let out = verify(empty.path());
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("holds no audit log files"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_second_writer_on_the_same_log_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = AuditConfig::new(tmp.path().join("audit"));
    let _first = AuditLog::open(&cfg).unwrap();
    let e = AuditLog::open(&cfg).err().unwrap();
    assert!(e.to_string().contains("in use by another process"), "{e}");
}

#[test]
fn the_policy_table_parses_and_rejects_unknown_keys() {
    let c: AuditConfig = toml::from_str(
        "dir = \"audit\"\npseudonymize = true\nretention_days = 730\nwhen_full = \"drop\"\n",
    )
    .unwrap();
    assert_eq!(c.when_full, WhenFull::Drop);
    assert!(c.pseudonymize && !c.durable);
    let e = toml::from_str::<AuditConfig>("dir = \"a\"\nwhen_full = \"wait\"\n").unwrap_err();
    assert!(e.to_string().contains("block"), "{e}");
    let e = toml::from_str::<AuditConfig>("dir = \"a\"\npseudonymise = true\n").unwrap_err();
    assert!(e.to_string().contains("pseudonymise"), "{e}");
}

#[test]
fn a_log_being_written_verifies_up_to_its_last_whole_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let log = AuditLog::open(&AuditConfig::new(&dir)).unwrap();
    for i in 0..50 {
        log.record(record(i));
    }
    log.flush().unwrap();
    // A batch caught half written, as a reader can see it while the writer works.
    let last = files(&dir).pop().unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"seq\":52,\"ki").unwrap();
    let out = verify(&dir);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("ok: 50 records in 1 files"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("not closed"), "{}", out.stdout);
    // Closing would append to the bytes planted above; the lock dies with the process.
    // (The same bytes with no writer holding the log are a cut tail: see above.)
    std::mem::forget(log);
}
