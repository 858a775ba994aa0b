//! The decision log's costs, measured in one run so they compare as ratios:
//! - `audit/writer`: records/s the writer sustains (record N, then wait for the files),
//!   buffered and durable (fdatasync per batch, 1 and 4 producing threads);
//! - `audit/hot_path`: a check on the bundled Italian policy with the log off, and the
//!   same check plus building its record and handing it over with the log on
//!   (`when_full = "block"`: a writer slower than the checks would show here).
//!
//! Each sample writes to a fresh temporary log, deleted afterwards, so the disk holds one
//! sample's records at a time. `cargo bench --bench audit`

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dialguard::audit::{AuditConfig, AuditLog, DecisionRecord, ListAge, RecordKind};
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::policy::Mode;
use dialguard::{Decision, Number, Verdict};

fn record(i: u64, lists: &Arc<[ListAge]>, rule: &Arc<str>) -> DecisionRecord {
    let mut r = DecisionRecord::new(
        RecordKind::Check,
        1_773_651_600 + i64::try_from(i % 86_400).unwrap_or(0),
    );
    r.number = Number::from_e164_digits(390_212_000_000 + i % 1_000_000);
    r.campaign = Some("bench".into());
    r.verdict = Some(Verdict::Deny);
    r.reason = Some(dialguard::Reason::Registry);
    r.rule = Some(Arc::clone(rule));
    r.lists = Arc::clone(lists);
    r.policy_version = 0x1234_5678_9abc_def0;
    r
}

/// Opens a log in a fresh directory, runs `f` with it, closes it and deletes the files;
/// returns the time `f` took.
fn with_log(cfg: impl Fn(&Path) -> AuditConfig, f: impl FnOnce(&AuditLog)) -> Duration {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let log = AuditLog::open(&cfg(&tmp.path().join("audit"))).expect("open the log");
    let t = Instant::now();
    f(&log);
    let took = t.elapsed();
    log.close().expect("close the log");
    took
}

fn bench_writer(c: &mut Criterion) {
    let lists: Arc<[ListAge]> = Arc::from(vec![ListAge {
        list: "rpo".into(),
        snapshot: Some(20_522),
    }]);
    let rule: Arc<str> = Arc::from("rpo");
    let mut g = c.benchmark_group("audit/writer");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.bench_function("buffered", |b| {
        b.iter_custom(|iters| {
            with_log(
                |d: &Path| AuditConfig::new(d),
                |log| {
                    for i in 0..iters {
                        log.record(record(i, &lists, &rule));
                    }
                    log.flush().expect("flush");
                },
            )
        })
    });
    let durable = |d: &Path| AuditConfig {
        durable: true,
        ..AuditConfig::new(d)
    };
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("durable, 1 thread", |b| {
        b.iter_custom(|iters| {
            with_log(durable, |log| {
                for i in 0..iters {
                    log.record(record(i, &lists, &rule));
                }
            })
        })
    });
    g.bench_function("durable, 4 threads", |b| {
        b.iter_custom(|iters| {
            with_log(durable, |log| {
                std::thread::scope(|s| {
                    for t in 0..4u64 {
                        let (lists, rule) = (&lists, &rule);
                        s.spawn(move || {
                            for i in (t..iters).step_by(4) {
                                log.record(record(i, lists, rule));
                            }
                        });
                    }
                });
            })
        })
    });
    g.finish();
}

fn bench_hot_path(c: &mut Criterion) {
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/it/policy.toml");
    let (guard, _) = Guard::open(&policy, GuardOptions::default()).expect("bundled IT policy");
    let snap = guard.snapshot();
    // What the guard keeps per snapshot so a record costs no formatting: rule names and
    // list dates shared behind `Arc`s.
    let rules: Vec<Arc<str>> = snap
        .rules()
        .iter()
        .map(|m| Arc::from(m.id.as_str()))
        .collect();
    let lists: Arc<[ListAge]> = Arc::from(vec![ListAge {
        list: "rpo".into(),
        snapshot: Some(20_522),
    }]);
    let cli = dialguard::number::parse("+390299990000", None).expect("caller id");
    let at: jiff::Timestamp = "2026-11-27T10:00:00+01:00".parse().expect("instant");
    let ctx = CallContext::new(at)
        .caller_id(cli)
        .campaign("bench")
        .mode(Mode::Preview);
    let numbers: Vec<Number> = [
        "+390255551234",
        "+393477654321",
        "+390612345678",
        "+390212345678",
    ]
    .iter()
    .map(|s| dialguard::number::parse(s, None).expect("number"))
    .collect();
    let to_record = |n: Number, d: Decision| {
        let mut r = DecisionRecord::new(RecordKind::Check, at.as_second());
        r.number = Some(n);
        r.campaign = ctx.campaign.map(Into::into);
        r.caller_id = ctx.caller_id;
        r.mode = ctx.mode;
        r.purpose = ctx.purpose;
        r.verdict = Some(d.verdict());
        r.reason = d.reason();
        r.rule = d.rule().and_then(|id| rules.get(id.index()).cloned());
        r.until = d.until().map(|t| t.as_second());
        r.policy_version = snap.version();
        r.lists = Arc::clone(&lists);
        r
    };
    latency_p50(&guard, &ctx, &numbers, &to_record);
    let mut g = c.benchmark_group("audit/hot_path");
    g.sample_size(20);
    g.bench_function("check, log off", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % numbers.len();
            black_box(guard.check_number(black_box(numbers[i]), &ctx))
        })
    });
    g.bench_function("check + record, log on", |b| {
        b.iter_custom(|iters| {
            with_log(
                |d: &Path| AuditConfig::new(d),
                |log| {
                    for k in 0..iters {
                        let n = numbers[usize::try_from(k).unwrap_or(0) % numbers.len()];
                        let d = guard.check_number(black_box(n), &ctx);
                        black_box(log.record(to_record(n, d)));
                    }
                },
            )
        })
    });
    g.finish();
}

/// The median and 99th percentile of one call (ns), log off and on, in the same run:
/// 200 rounds of 1,000 timed calls, the log flushed between rounds (untimed) so the
/// queue never fills, i.e. the dialer's rate stays within what the writer sustains.
fn latency_p50(
    guard: &Guard,
    ctx: &CallContext<'_>,
    numbers: &[Number],
    to_record: &dyn Fn(Number, Decision) -> DecisionRecord,
) {
    const ROUNDS: usize = 200;
    const CALLS: usize = 1000;
    let percentiles = |mut v: Vec<u64>| {
        v.sort_unstable();
        (v[v.len() / 2], v[v.len() * 99 / 100])
    };
    let mut off = Vec::with_capacity(ROUNDS * CALLS);
    for k in 0..ROUNDS * CALLS {
        let n = numbers[k % numbers.len()];
        let t = Instant::now();
        black_box(guard.check_number(black_box(n), ctx));
        off.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    let mut on = Vec::with_capacity(ROUNDS * CALLS);
    with_log(
        |d: &Path| AuditConfig::new(d),
        |log| {
            for _ in 0..ROUNDS {
                for k in 0..CALLS {
                    let n = numbers[k % numbers.len()];
                    let t = Instant::now();
                    let d = guard.check_number(black_box(n), ctx);
                    black_box(log.record(to_record(n, d)));
                    on.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
                }
                log.flush().expect("flush");
            }
        },
    );
    let (off50, off99) = percentiles(off);
    let (on50, on99) = percentiles(on);
    // Display only: a ratio of two medians.
    #[allow(clippy::cast_precision_loss)]
    let ratio = on50 as f64 / off50.max(1) as f64;
    println!(
        "audit/hot_path latency: check p50 {off50} ns (p99 {off99}), with the log on p50 {on50} ns (p99 {on99}): {ratio:.2}x"
    );
}

criterion_group!(benches, bench_writer, bench_hot_path);
criterion_main!(benches);
