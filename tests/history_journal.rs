//! Durability: reopen, torn tails, corruption, format versions, checkpoints (also taken
//! while writers run), and a child process killed with SIGKILL at random points.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dialguard::Number;
use dialguard::history::*;

const D: i64 = 86_400;
const T0: i64 = 1_780_000_000;
/// A reservation record: 8 bytes of frame + 31 bytes of payload.
const EVENT_RECORD: u64 = 39;
const HEADER: u64 = 16;

fn num(d: u64) -> Number {
    Number::from_e164_digits(d).unwrap()
}

fn opts(fsync: FsyncPolicy) -> JournalOptions {
    JournalOptions {
        fsync,
        checkpoint_every: 0,
        retention: Retention::new(365 * D),
        capacity: 0,
    }
}

fn open(dir: &Path) -> (History, RecoveryReport) {
    History::open(dir, opts(FsyncPolicy::Never)).unwrap()
}

type Dump = (BTreeMap<u64, Vec<Event>>, Vec<(u64, i64)>, Vec<(u32, u32)>);

fn dump(h: &History) -> Dump {
    let mut m = BTreeMap::new();
    h.for_each(|n, e| {
        m.insert(n, e.to_vec());
    });
    let rates = ["a", "b", "c"]
        .iter()
        .map(|c| h.abandon_rate(Tag::of(c), 30 * D, T0 + 30 * D))
        .collect();
    (m, h.opted_out(), rates)
}

fn journal1(dir: &Path) -> PathBuf {
    dir.join("journal.000000000001")
}

/// A deterministic mix of reservations, outcomes (attached and new) and opt-outs.
fn workload(h: &History, from: u64, to: u64) {
    for i in from..to {
        let n = num(33_600_000_000 + i % 13);
        let camp = ["a", "b", "c"][(i % 3) as usize];
        let q = Query {
            campaign: Tag::of(camp),
            subject: Tag::of(if i % 5 == 0 { "s1" } else { "s2" }),
            live_agent: i % 7 == 0,
        };
        let t = T0 + i as i64 * 60;
        let id = h
            .with_events(n, t, &mut |_| Some(NewEvent::attempt(&q)))
            .unwrap()
            .unwrap();
        let outcome = Outcome::ALL[(i / 4 % 8) as usize];
        match i % 4 {
            0 => {
                h.record_outcome(n, Some(id), outcome, &q, t + 20).unwrap();
            }
            1 => {
                h.record_outcome(n, None, outcome, &q, t + 30).unwrap();
            }
            _ => {}
        }
        if i % 17 == 0 {
            h.record_opt_out(n, t).unwrap();
        }
    }
}

fn reserve_n(h: &History, count: i64) -> Vec<AttemptId> {
    (0..count)
        .map(|i| {
            h.with_events(num(390_200_000_000 + i as u64), T0 + i, &mut |_| {
                Some(NewEvent::attempt(&Query::default()))
            })
            .unwrap()
            .unwrap()
        })
        .collect()
}

#[test]
fn reopen_gives_the_same_state_and_appending_continues() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let (h, report) = History::open(dir.path(), opts(FsyncPolicy::EveryRecord)).unwrap();
        assert_eq!(report, RecoveryReport::default());
        workload(&h, 0, 200);
        dump(&h)
    };
    assert_eq!(before.0.len(), 13);
    assert!(
        before.2.iter().all(|&(ab, ans)| ans > 0 && ab > 0),
        "{:?}",
        before.2
    );
    let (h, report) = open(dir.path());
    assert_eq!(dump(&h), before);
    // 200 reservations, 100 outcomes, 12 opt-outs.
    assert_eq!(report.records_replayed, 312);
    assert_eq!(
        (report.checkpoint, report.journals, report.torn_tails.len()),
        (None, 1, 0)
    );
    assert_eq!((report.numbers, report.opt_outs), (13, 12));
    workload(&h, 200, 300);
    let more = dump(&h);
    drop(h);
    let (h, _) = History::open(dir.path(), opts(FsyncPolicy::EveryMillis(5))).unwrap();
    assert_eq!(dump(&h), more);
}

#[test]
fn torn_tail_is_truncated_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let ids = {
        let (h, _) = open(dir.path());
        reserve_n(&h, 10)
    };
    let path = journal1(dir.path());
    let full = HEADER + 10 * EVENT_RECORD;
    assert_eq!(fs::metadata(&path).unwrap().len(), full);
    // A write of the 10th record interrupted 5 bytes short.
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(full - 5)
        .unwrap();
    let (h, report) = open(dir.path());
    let cut = HEADER + 9 * EVENT_RECORD;
    assert_eq!(
        report.torn_tails,
        [TornTail {
            file: path.clone(),
            offset: cut,
            bytes_dropped: EVENT_RECORD - 5
        }]
    );
    assert_eq!(report.records_replayed, 9);
    assert!(report.to_string().contains("torn tail"), "{report}");
    assert_eq!(fs::metadata(&path).unwrap().len(), cut);
    let held: Vec<i64> = dump(&h).0.values().map(|e| e[0].instant()).collect();
    assert_eq!(
        held,
        ids[..9].iter().map(|i| i.instant()).collect::<Vec<_>>()
    );
    // Appending after the cut works and is replayed cleanly.
    reserve_n(&h, 10);
    drop(h);
    let (h, report) = open(dir.path());
    assert_eq!((report.records_replayed, report.torn_tails.len()), (19, 0));
    assert_eq!(h.len(), 10);
}

#[test]
fn zeroed_tail_counts_as_torn() {
    let dir = tempfile::tempdir().unwrap();
    drop(reserve_n(&open(dir.path()).0, 3));
    let path = journal1(dir.path());
    let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(&[0u8; 100]).unwrap();
    let (h, report) = open(dir.path());
    assert_eq!(report.torn_tails[0].offset, HEADER + 3 * EVENT_RECORD);
    assert_eq!(report.torn_tails[0].bytes_dropped, 100);
    assert_eq!(h.len(), 3);
}

#[test]
fn flipped_byte_in_the_middle_is_refused_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    drop(reserve_n(&open(dir.path()).0, 10));
    let path = journal1(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    let rec3 = HEADER + 3 * EVENT_RECORD;
    bytes[(rec3 + 20) as usize] ^= 0x40;
    fs::write(&path, &bytes).unwrap();
    let err = History::open(dir.path(), opts(FsyncPolicy::Never))
        .err()
        .unwrap();
    match &err {
        HistoryError::Corrupt {
            path: p,
            offset,
            record,
            what,
        } => {
            assert_eq!(
                (p, *offset, *record, what.as_str()),
                (&path, rec3, 3, "checksum mismatch")
            );
        }
        e => panic!("expected Corrupt, got {e}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("byte offset 133 (record #3)"), "{msg}");
    // Refused, not repaired: the file is untouched.
    assert_eq!(fs::read(&path).unwrap(), bytes);

    // A damaged length field in the middle is refused too (not taken for a torn tail).
    let mut bytes = fs::read(&path).unwrap();
    bytes[(rec3 + 20) as usize] ^= 0x40;
    bytes[(HEADER + 5 * EVENT_RECORD + 1) as usize] = 0x7f;
    fs::write(&path, &bytes).unwrap();
    match History::open(dir.path(), opts(FsyncPolicy::Never))
        .err()
        .unwrap()
    {
        HistoryError::Corrupt { offset, record, .. } => {
            assert_eq!((offset, record), (HEADER + 5 * EVENT_RECORD, 5))
        }
        e => panic!("expected Corrupt, got {e}"),
    }
}

#[test]
fn newer_format_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    drop(reserve_n(&open(dir.path()).0, 2));
    let path = journal1(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let err = History::open(dir.path(), opts(FsyncPolicy::Never))
        .err()
        .unwrap();
    assert!(
        matches!(&err, HistoryError::NewerFormat { found: 2, supported: 1, path: p } if *p == path),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade dialguard"), "{err}");

    bytes[..4].copy_from_slice(b"JUNK");
    fs::write(&path, &bytes).unwrap();
    let err = History::open(dir.path(), opts(FsyncPolicy::Never))
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("not a dialguard history file"),
        "{err}"
    );
}

#[test]
fn checkpoint_then_replay_equals_full_replay() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    {
        let (ha, _) = open(a.path());
        let (hb, _) = open(b.path());
        workload(&ha, 0, 150);
        workload(&hb, 0, 150);
        ha.checkpoint().unwrap();
        workload(&ha, 150, 260);
        workload(&hb, 150, 260);
        assert_eq!(dump(&ha), dump(&hb));
    }
    let names: Vec<String> = {
        let mut v: Vec<String> = fs::read_dir(a.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names,
        ["LOCK", "checkpoint.000000000002", "journal.000000000002"]
    );
    let (ha, ra) = open(a.path());
    let (hb, rb) = open(b.path());
    assert_eq!(dump(&ha), dump(&hb));
    assert_eq!((ra.checkpoint, ra.checkpoint_numbers), (Some(2), 13));
    assert_eq!(rb.checkpoint, None);
    assert!(ra.records_replayed < rb.records_replayed);
}

#[test]
fn checkpoints_taken_while_writers_run_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let live = {
        let (h, _) = open(dir.path());
        let writers: Vec<_> = (0..2u64)
            .map(|w| {
                let h = h.clone();
                std::thread::spawn(move || workload(&h, w * 1000, w * 1000 + 400))
            })
            .collect();
        for _ in 0..5 {
            h.checkpoint().unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        for w in writers {
            w.join().unwrap();
        }
        h.checkpoint().unwrap();
        workload(&h, 5000, 5050);
        dump(&h)
    };
    let (h, report) = open(dir.path());
    assert_eq!(report.checkpoint, Some(7));
    assert_eq!(dump(&h), live);
}

#[test]
fn background_checkpoint_after_checkpoint_every_records() {
    let dir = tempfile::tempdir().unwrap();
    let o = JournalOptions {
        checkpoint_every: 50,
        ..opts(FsyncPolicy::EveryMillis(2))
    };
    let live = {
        let (h, _) = History::open(dir.path(), o).unwrap();
        workload(&h, 0, 60);
        let start = Instant::now();
        while !dir.path().join("checkpoint.000000000002").exists() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "no background checkpoint"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        dump(&h)
    };
    let (h, report) = History::open(dir.path(), o).unwrap();
    assert_eq!(report.checkpoint, Some(2));
    assert_eq!(dump(&h), live);
}

const CHILD_ENV: &str = "DIALGUARD_HISTORY_SIGKILL_CHILD_DIR";
const BASE_ENV: &str = "DIALGUARD_HISTORY_SIGKILL_BASE";
/// Seconds between the first instants of two rounds: each child writes at most this many
/// reservations (one per second), so rounds never share an instant, and all rounds
/// together (`KILLS` × this, 139 days) stay inside the 365-day retention.
const ROUND_SPAN: i64 = 100_000;
/// SIGKILLs of `sigkill_never_loses_an_acknowledged_reservation` (issue 9: at least 100).
const KILLS: i64 = 120;

/// Not a test on its own: the worker of `sigkill_never_loses_an_acknowledged_reservation`,
/// run in a child process (it returns at once when the variable is not set).
#[test]
fn sigkill_child_worker() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let base: i64 = std::env::var(BASE_ENV).unwrap().parse().unwrap();
    let (h, _) = History::open(Path::new(&dir), opts(FsyncPolicy::Never)).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0..ROUND_SPAN {
        let n = num(33_100_000_000 + (i % 37) as u64);
        let id = h
            .with_events(n, base + i, &mut |_| {
                Some(NewEvent::attempt(&Query::default()))
            })
            .unwrap()
            .unwrap();
        writeln!(out, "ack {} {}", n.get(), id.0).unwrap();
        out.flush().unwrap();
        if i % 400 == 399 {
            // Kills also land inside checkpoints.
            h.checkpoint().unwrap();
        }
    }
}

/// Kills a child that reserves and acknowledges as fast as it can with SIGKILL, `KILLS`
/// times on one state directory, at random points: mostly a few milliseconds into its
/// acknowledgements, every fourth round at a random instant after spawning (inside
/// recovery, before any acknowledgement). After each kill the directory must recover
/// every acknowledged reservation (same number, same instant) and at most one
/// unacknowledged write per kill. One child binary (this test executable) is reused.
#[test]
fn sigkill_never_loses_an_acknowledged_reservation() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let seed = std::collections::hash_map::RandomState::new();
    let start = Instant::now();
    let mut acked = std::collections::BTreeSet::<(u64, i64)>::new();
    let (mut rounds_with_acks, mut torn, mut extra) = (0, 0, 0);
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "sigkill_child_worker",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .env(BASE_ENV, (T0 + round * ROUND_SPAN).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            let mut started = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest prints "test sigkill_child_worker ... " before the first line.
                if let Some((_, rest)) = line.split_once("ack ") {
                    if !started {
                        started = true;
                        let _ = tx.send(());
                    }
                    lines.push(rest.to_owned());
                }
            }
            lines
        });
        let r = std::hash::BuildHasher::hash_one(&seed, round);
        if round % 4 == 3 {
            // Anywhere from exec to the first acknowledgements (recovery included).
            std::thread::sleep(Duration::from_micros(r % 15_000));
        } else {
            // A few milliseconds into the acknowledgements (or after 2 s regardless).
            let _ = rx.recv_timeout(Duration::from_secs(2));
            std::thread::sleep(Duration::from_micros(r % 12_000));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        // The last line may be cut mid-write: only whole "number id" pairs count.
        let round_acks: Vec<(u64, AttemptId)> = lines
            .iter()
            .filter_map(|l| {
                let (n, id) = l.split_once(' ')?;
                Some((n.parse().ok()?, AttemptId(id.parse().ok()?)))
            })
            .collect();
        rounds_with_acks += usize::from(!round_acks.is_empty());
        acked.extend(round_acks.iter().map(|(n, id)| (*n, id.instant())));

        let (h, report) = open(dir.path());
        assert!(report.torn_tails.len() <= 1, "{report}");
        torn += report.torn_tails.len();
        let (mut recovered, mut total) = (std::collections::BTreeSet::new(), 0);
        h.for_each(|n, e| {
            total += e.len();
            recovered.extend(e.iter().map(|e| (n, e.instant())));
        });
        let lost: Vec<_> = acked.difference(&recovered).take(5).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged reservations lost, e.g. {lost:?}; {report}"
        );
        // At most one write per kill can be on disk without its acknowledgement (and
        // nothing is held twice: `total` counts events, duplicates included).
        extra = total - acked.len();
        assert!(
            extra <= round as usize + 1,
            "round {round}: {total} events held, {} acknowledged; {report}",
            acked.len()
        );
    }
    let elapsed = start.elapsed();
    // Straight to stderr, not eprintln!: libtest captures the macros, and the summary
    // belongs in every CI log, not only in a failing one.
    writeln!(
        std::io::stderr().lock(),
        "\nsigkill: {KILLS} kills in {:.1} s ({rounds_with_acks} after acknowledgements); \
         acknowledged {}, recovered {} ({extra} unacknowledged writes kept); {torn} torn tails truncated",
        elapsed.as_secs_f64(),
        acked.len(),
        acked.len() + extra,
    )
    .unwrap();
    assert!(
        rounds_with_acks >= KILLS as usize / 2,
        "children rarely started"
    );
    assert!(elapsed < Duration::from_secs(120), "{elapsed:?}");
}

const FULL_ENV: &str = "DIALGUARD_HISTORY_FULL_DISK_CHILD_DIR";

/// Not a test on its own: the worker of `full_disk_fails_the_call_and_keeps_every_acknowledged_record`,
/// run in a child whose file-size limit makes the journal "full".
#[test]
fn full_disk_child_worker() {
    let Ok(dir) = std::env::var(FULL_ENV) else {
        return;
    };
    let (h, _) = History::open(Path::new(&dir), opts(FsyncPolicy::Never)).unwrap();
    let mut acked = 0usize;
    for i in 0..100_000u64 {
        let n = num(390_600_000_000 + i);
        match h.with_events(n, T0 + i as i64, &mut |_| {
            Some(NewEvent::attempt(&Query::default()))
        }) {
            Ok(_) => acked += 1,
            Err(e) => {
                // The failed reservation is not in memory either, and later calls fail
                // cleanly too (no panic, no partial record).
                assert_eq!(h.len(), acked);
                let again = h.with_events(num(390_700_000_000), T0 + 10, &mut |_| {
                    Some(NewEvent::attempt(&Query::default()))
                });
                assert!(again.is_err());
                assert_eq!(h.len(), acked);
                println!("\nacked {acked}\nerror {e}");
                return;
            }
        }
    }
    panic!("the journal never filled up");
}

#[cfg(unix)]
#[test]
fn full_disk_fails_the_call_and_keeps_every_acknowledged_record() {
    if std::env::var(FULL_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // A file-size limit (EFBIG once reached, SIGXFSZ ignored) stands in for a full disk:
    // the same write error path as ENOSPC.
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" --exact full_disk_child_worker --nocapture --test-threads 1")
        .arg(&exe)
        .env(FULL_ENV, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acked: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("acked "))
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("no count in {stdout}"));
    let error = stdout
        .lines()
        .find_map(|l| l.strip_prefix("error "))
        .unwrap();
    assert!(
        error.contains("appending to journal")
            && error.contains("nothing of this call was recorded"),
        "{error}"
    );
    assert!(acked > 10, "{acked}");
    // The partial record was cut back: the file holds exactly the acknowledged records.
    let path = journal1(dir.path());
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        HEADER + acked * EVENT_RECORD
    );
    let (h, report) = open(dir.path());
    assert_eq!(
        (report.records_replayed, report.torn_tails.len()),
        (acked, 0)
    );
    assert_eq!(h.len() as u64, acked);
}

#[test]
fn corrupted_checkpoint_is_refused_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (h, _) = open(dir.path());
        reserve_n(&h, 5);
        h.checkpoint().unwrap();
    }
    let path = dir.path().join("checkpoint.000000000002");
    let mut bytes = fs::read(&path).unwrap();
    // The second record (numbers are 8 + 1 + 8 + 8 + 4 + 14 = 43 bytes each).
    bytes[(HEADER + 43 + 12) as usize] ^= 1;
    fs::write(&path, &bytes).unwrap();
    match History::open(dir.path(), opts(FsyncPolicy::Never))
        .err()
        .unwrap()
    {
        HistoryError::Corrupt {
            path: p,
            offset,
            record,
            what,
        } => assert_eq!(
            (p, offset, record, what.as_str()),
            (path, HEADER + 43, 1, "checksum mismatch")
        ),
        e => panic!("expected Corrupt, got {e}"),
    }
}

#[test]
fn group_commit_every_record_with_concurrent_writers_and_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(FsyncPolicy::EveryRecord);
    let start = Instant::now();
    let live = {
        let (h, _) = History::open(dir.path(), o).unwrap();
        let writers: Vec<_> = (0..3u64)
            .map(|w| {
                let h = h.clone();
                std::thread::spawn(move || workload(&h, w * 1000, w * 1000 + 60))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(5));
        h.checkpoint().unwrap();
        for w in writers {
            w.join().unwrap();
        }
        dump(&h)
    };
    let (h, report) = History::open(dir.path(), o).unwrap();
    assert_eq!(report.checkpoint, Some(2));
    assert_eq!(dump(&h), live);
    eprintln!("EveryRecord, 3 writers: {:?}", start.elapsed());
}

#[test]
fn attempt_ids_survive_a_restart_and_opt_outs_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let n = num(33_612_345_678);
    let q = Query {
        campaign: Tag::of("a"),
        ..Query::default()
    };
    let ids: Vec<AttemptId> = {
        let (h, _) = open(dir.path());
        h.record_opt_out(num(12_025_550_199), T0 - 5).unwrap();
        (0..3)
            .map(|_| {
                h.with_events(n, T0, &mut |_| Some(NewEvent::attempt(&q)))
                    .unwrap()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(
        ids,
        [
            AttemptId((T0 - EPOCH_2020) as u64 * 256),
            AttemptId((T0 - EPOCH_2020) as u64 * 256 + 1),
            AttemptId((T0 - EPOCH_2020) as u64 * 256 + 2)
        ]
    );
    let (h, _) = open(dir.path());
    assert_eq!(h.opted_out(), [(12_025_550_199, T0 - 5)]);
    // The dialer restarted mid-call: the outcome still finds its attempt.
    assert_eq!(
        h.record_outcome(n, Some(ids[1]), Outcome::Abandoned, &q, T0 + 40)
            .unwrap(),
        ids[1]
    );
    let outcomes: Vec<_> = dump(&h).0[&n.get()].iter().map(Event::outcome).collect();
    assert_eq!(outcomes, [None, Some(Outcome::Abandoned), None]);
    assert_eq!(h.abandon_rate(Tag::of("a"), D, T0 + 41), (1, 1));
}

#[test]
fn a_state_directory_is_held_by_one_history_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let opts = dialguard::history::JournalOptions::default();
    let (first, _) = dialguard::history::History::open(dir.path(), opts).unwrap();
    let err = dialguard::history::History::open(dir.path(), opts)
        .err()
        .expect("second open must fail");
    assert!(
        matches!(err, dialguard::history::HistoryError::Locked { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
    drop(first);
    // Released with the first handle.
    assert!(dialguard::history::History::open(dir.path(), opts).is_ok());
}
