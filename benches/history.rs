//! History hot path: `with_events` deciding a 3-in-24 h cap and reserving, at 1 M
//! tracked numbers (10 M with `DIALGUARD_BENCH_BIG=1`), in memory and journaled
//! (fsync never: the cost of the append syscall, not of the disk).
//!
//! `cargo bench --bench history`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dialguard::Number;
use dialguard::history::*;

const T0: i64 = 1_780_000_000;
const DAY: i64 = 86_400;

const CAP: CapRule = CapRule {
    max: 3,
    within: Span::Elapsed(DAY),
    key: CapKey::Number,
    count: CountKind::Attempts,
};

fn tracked() -> u64 {
    if std::env::var("DIALGUARD_BENCH_BIG").is_ok_and(|v| v == "1") {
        10_000_000
    } else {
        1_000_000
    }
}

/// The i-th tracked number (spread over a realistic range).
fn number(i: u64) -> Number {
    Number::from_e164_digits(33_600_000_000 + i * 37).unwrap_or_else(|| unreachable!())
}

fn fill(h: &History, count: u64) {
    let q = Query::default();
    for i in 0..count {
        // One or two recent attempts per number.
        for k in 0..(1 + i % 2) as i64 {
            h.with_events(number(i), T0 - 3_600 * (k + 1), &mut |_| {
                Some(NewEvent::attempt(&q))
            })
            .unwrap_or_else(|_| unreachable!());
        }
    }
}

/// xorshift64*: a cheap, reproducible sequence of numbers to hit.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn run(c: &mut Criterion, name: &str, h: &History, count: u64) {
    let days = FixedOffsetDays(3_600);
    let q = Query::default();
    let mut g = c.benchmark_group(name);
    g.sample_size(20).measurement_time(Duration::from_secs(3));

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    g.bench_function("check (with_events, cap, no write)", |b| {
        b.iter(|| {
            let n = number(rng.next(count));
            let r = h.with_events(n, T0, &mut |evs| {
                black_box(cap_clear_at(evs, &CAP, &q, T0, &days));
                None
            });
            black_box(r)
        })
    });

    g.bench_function("check (read, cap)", |b| {
        b.iter(|| {
            let n = number(rng.next(count));
            let mut clear = 0;
            let r = h.read(n, &mut |evs| clear = cap_clear_at(evs, &CAP, &q, T0, &days));
            black_box((r.is_ok(), clear))
        })
    });

    // The clock advances one second per reservation so events age out as in production
    // (each number is hit about once per million operations).
    let mut t = T0;
    g.bench_function("check_and_reserve (with_events, cap, append)", |b| {
        b.iter(|| {
            t += 1;
            let n = number(rng.next(count));
            let r = h.with_events(n, t, &mut |evs| {
                (cap_clear_at(evs, &CAP, &q, t, &days) <= t).then(|| NewEvent::attempt(&q))
            });
            black_box(r)
        })
    });
    g.finish();
}

/// The floor: a plain `DashMap` lookup at the same size, hasher, shard count and bucket
/// size (8-byte key + 24-byte value, like the history's slot), so the history figures
/// can be read as a ratio in one run. Runs last: allocating and freeing its table first
/// was seen to slow the history benches that follow.
fn baseline(c: &mut Criterion, count: u64) {
    let map: dashmap::DashMap<u64, [u32; 6], NumberHasher> =
        dashmap::DashMap::with_capacity_and_hasher_and_shard_amount(
            count as usize,
            NumberHasher::default(),
            64,
        );
    for i in 0..count {
        map.insert(number(i).get(), [i as u32; 6]);
    }
    let mut g = c.benchmark_group(format!("history/baseline/{count}"));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    g.bench_function("dashmap get (64 shards, 24-byte value)", |b| {
        b.iter(|| black_box(map.get(&number(rng.next(count)).get()).map(|v| v[0])))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let count = tracked();
    let mem = History::with_retention(Retention::new(DAY), count as usize);
    fill(&mem, count);
    run(c, &format!("history/memory/{count}"), &mem, count);
    drop(mem);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let opts = JournalOptions {
        fsync: FsyncPolicy::Never,
        checkpoint_every: 0,
        retention: Retention::new(DAY),
        capacity: count as usize,
    };
    let (journaled, _) = History::open(dir.path(), opts).unwrap_or_else(|e| panic!("{e}"));
    fill(&journaled, count);
    run(
        c,
        &format!("history/journal-fsync-never/{count}"),
        &journaled,
        count,
    );
    drop(journaled);
    baseline(c, count);
}

criterion_group!(history, benches);
criterion_main!(history);
