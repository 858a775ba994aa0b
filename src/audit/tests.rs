//! The writer's rotation by day and size, retention, and the evidence readers, with a
//! clock the tests move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::writer::Clock;
use super::*;
use crate::Number;
use crate::Verdict;
use crate::history::Outcome;

/// 2026-03-16T00:00:00Z.
const DAY: i64 = 1_773_619_200;

fn clock(at: &Arc<AtomicI64>) -> Clock {
    let at = Arc::clone(at);
    Arc::new(move || at.load(Ordering::Relaxed))
}

fn rec(kind: RecordKind, at: i64, n: u64) -> DecisionRecord {
    let mut r = DecisionRecord::new(kind, at);
    r.number = Number::from_e164_digits(n);
    r
}

fn names(dir: &std::path::Path) -> Vec<String> {
    chain::list_files(dir)
        .unwrap()
        .into_iter()
        .map(|f| f.1)
        .collect()
}

#[test]
fn files_rotate_at_each_utc_day_and_retention_deletes_old_days_on_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = AuditConfig::new(&dir);
    cfg.retention_days = 2;
    let now = Arc::new(AtomicI64::new(DAY + 3600));
    let log = AuditLog::open_with_clock(&cfg, clock(&now)).unwrap();
    for day in 0..5 {
        now.store(DAY + day * 86_400 + 3600, Ordering::Relaxed);
        for i in 0..3 {
            log.record(rec(RecordKind::Check, DAY, 390_200_000_000 + i));
        }
        log.flush().unwrap();
    }
    log.close().unwrap();
    // Files of days more than 2 days before "now" went as later days opened.
    assert_eq!(
        names(&dir),
        [
            "audit-000003-20260318.jsonl",
            "audit-000004-20260319.jsonl",
            "audit-000005-20260320.jsonl"
        ]
    );
    let r = verify(&dir).unwrap();
    assert_eq!(r.records, 9);
    assert!(r.sealed);
    assert_eq!(
        r.pruned,
        ["audit-000001-20260316.jsonl", "audit-000002-20260317.jsonl"]
    );
    // A file deleted by hand is not excused by retention.
    std::fs::remove_file(dir.join("audit-000003-20260318.jsonl")).unwrap();
    let e = verify(&dir).unwrap_err().to_string();
    assert!(e.contains("audit-000003-20260318.jsonl was deleted"), "{e}");
}

#[test]
fn files_rotate_by_size_and_the_chain_runs_across_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = AuditConfig::new(&dir);
    cfg.rotate_bytes = 4096;
    let log = AuditLog::open(&cfg).unwrap();
    for i in 0..100 {
        log.record(rec(RecordKind::Check, DAY + i, 390_200_000_000));
    }
    log.flush().unwrap();
    assert_eq!(log.records_written(), 100);
    drop(log);
    let files = chain::list_files(&dir).unwrap();
    assert!(files.len() > 3, "{} files", files.len());
    for (_, _, p) in &files {
        // One record past the threshold at most.
        assert!(std::fs::metadata(p).unwrap().len() < 4096 + 1024);
    }
    assert_eq!(verify(&dir).unwrap().records, 100);
}

#[test]
fn bad_settings_are_refused_with_what_would_do() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = AuditConfig::new(tmp.path().join("a"));
    cfg.rotate_bytes = 10;
    let e = AuditLog::open(&cfg).err().unwrap().to_string();
    assert!(e.contains("at least 4096"), "{e}");
    cfg.rotate_bytes = 1 << 20;
    cfg.queue = 0;
    assert!(AuditLog::open(&cfg).is_err());
    // A file where the directory should be.
    let f = tmp.path().join("file");
    std::fs::write(&f, "x").unwrap();
    let e = AuditLog::open(&AuditConfig::new(&f))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("create the log directory"), "{e}");
}

#[test]
fn a_complaint_finds_the_contacts_before_it_and_the_decisions_that_allowed_them() {
    for pseudonymize in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("audit");
        let mut cfg = AuditConfig::new(&dir);
        cfg.pseudonymize = pseudonymize;
        let log = AuditLog::open(&cfg).unwrap();
        let me = 393_471_234_567;
        let other = 393_479_999_999;
        let mut attempt = 0;
        for (i, n) in [me, other, me, me].into_iter().enumerate() {
            attempt += 1;
            let at = DAY + i64::try_from(i).unwrap() * 3600;
            let mut r = rec(RecordKind::Reserve, at, n);
            r.verdict = Some(Verdict::Allow);
            r.attempt = Some(attempt);
            r.campaign = Some("spring".into());
            r.caller_id = Number::from_e164_digits(390_299_990_000);
            log.record(r);
            let mut o = rec(RecordKind::Outcome, at + 30, n);
            o.attempt = Some(attempt);
            o.outcome = Some(if i == 3 {
                Outcome::Abandoned
            } else {
                Outcome::Answered
            });
            log.record(o);
        }
        let mut denied = rec(RecordKind::Check, DAY + 5 * 3600, me);
        denied.verdict = Some(Verdict::Deny);
        log.record(denied);
        let mut c = rec(RecordKind::Complaint, DAY + 6 * 3600, me);
        c.complaint = Some(Box::new(Complaint {
            channel: "phone".into(),
            text: None,
        }));
        log.record(c);
        log.close().unwrap();

        let ev = complaint_evidence(&dir, me, DAY + 1).unwrap();
        // The first contact (at DAY) is before `since`.
        assert_eq!(ev.contacts.len(), 2, "pseudonymize = {pseudonymize}");
        assert_eq!(ev.contacts[1].outcome.as_deref(), Some("abandoned"));
        assert_eq!(ev.contacts[1].caller_id.as_deref(), Some("+390299990000"));
        let d = ev.contacts[0].decision.as_ref().unwrap();
        assert_eq!(
            (d.kind.as_str(), d.verdict.as_deref(), d.attempt),
            ("reserve", Some("allow"), Some(3))
        );
        assert_eq!(ev.checks.len(), 1);
        assert_eq!(ev.complaints.len(), 1);
        let all = records_for(&dir, me).unwrap();
        assert_eq!(all.len(), 3 * 2 + 2);
        assert_eq!(records_for(&dir, other).unwrap().len(), 2);
        let text = std::fs::read_to_string(chain::list_files(&dir).unwrap()[0].2.clone()).unwrap();
        assert_eq!(text.contains("+393471234567"), !pseudonymize);
    }
}

#[test]
fn instants_are_written_as_jiff_would_write_them() {
    for t in [
        0,
        1,
        59,
        3599,
        86_399,
        951_782_400,
        DAY + 45_296,
        -1,
        -86_401,
        -30_610_224_000,
        253_402_207_199,
        253_402_207_200,
    ] {
        let want = jiff::Timestamp::from_second(t).unwrap().to_string();
        assert_eq!(record::rfc3339(t), want, "{t}");
    }
}

#[test]
fn the_log_can_be_shared_between_deciding_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<AuditLog>();
    shared::<DecisionRecord>();
}

#[test]
fn a_failed_writer_says_why_and_counts_every_later_record_as_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let mut cfg = AuditConfig::new(&dir);
    cfg.rotate_bytes = 4096;
    let now = Arc::new(AtomicI64::new(DAY));
    let log = AuditLog::open_with_clock(&cfg, clock(&now)).unwrap();
    // The next file's name is taken (by a directory): the rotation cannot create it.
    std::fs::create_dir(dir.join("audit-000002-20260316.jsonl")).unwrap();
    for i in 0..100 {
        log.record(rec(RecordKind::Check, DAY + i, 390_200_000_000));
    }
    let e = log.flush().unwrap_err();
    assert!(e.contains("create a log file"), "{e}");
    assert!(log.failure().is_some_and(|f| f.contains("audit-000002")));
    let (written, lost) = (log.records_written(), log.lost());
    assert!(written > 0 && lost > 0, "{written} {lost}");
    assert_eq!(written + lost, 100);
    // Later records: refused at once, and counted.
    assert_eq!(
        log.record(rec(RecordKind::Check, DAY, 390_200_000_000)),
        Logged::Lost
    );
    assert!(log.flush().is_err());
    assert_eq!(log.lost(), lost + 1);
    assert!(log.close().is_err());
}
