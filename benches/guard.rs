//! Whole-check benchmarks: parse + check on the bundled Italian policy, and check /
//! check_and_reserve / check_batch on the US policy with a synthetic clustered registry
//! and contact history (1 M + 1 M by default; DIALGUARD_BENCH_BIG=1 for 100 M + 10 M).
//!
//! `cargo bench --bench guard`

#[path = "common/queries.rs"]
mod queries;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::{HistoryStore, NewEvent, Query, Tag};
use dialguard::lists::NumberSet;
use dialguard::lists::synthetic::{SplitMix, clustered};
use dialguard::policy::{self, Mode};
use dialguard::{Decision, Number};

fn policy_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies")
        .join(name)
        .join("policy.toml")
}

fn bench_guard(c: &mut Criterion) {
    let big = std::env::var_os("DIALGUARD_BENCH_BIG").is_some();
    let (registry_n, history_n) = if big {
        (100_000_000, 10_000_000)
    } else {
        (1_000_000, 1_000_000)
    };

    // Italy: parse + full check (lists, consent, caller ID, window, cool-off, abandon).
    let (it, _) =
        Guard::open(&policy_path("it"), GuardOptions::default()).expect("bundled IT policy");
    let cli = dialguard::number::parse("+390299990000", None).expect("caller id");
    let at = "2026-11-27T10:00:00+01:00".parse().expect("instant");
    let ctx_it = CallContext::new(at)
        .caller_id(cli)
        .campaign("bench")
        .mode(Mode::Preview);
    let inputs = [
        "02 5555 1234",
        "+39 347 765 4321",
        "06 1234 5678",
        "02 1234 5678",
    ];
    let mut g = c.benchmark_group("it");
    let mut i = 0usize;
    g.bench_function("parse+check", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            black_box(it.check(black_box(inputs[i]), &ctx_it))
        })
    });
    // The cost of the metrics (docs/metrics.md): the same checks with counting off.
    it.metrics().set_enabled(false);
    g.bench_function("parse+check metrics-off", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            black_box(it.check(black_box(inputs[i]), &ctx_it))
        })
    });
    it.metrics().set_enabled(true);
    g.finish();

    // US: synthetic registry and history at scale.
    let mut rng = SplitMix(42);
    let registry = clustered(registry_n, Some("US"), &mut rng);
    let mut snap =
        policy::compile_file(&policy_path("us"), 1_780_000_000).expect("bundled US policy");
    snap = snap.with_extra_registry("synthetic", NumberSet::from_numbers(registry.clone()));
    let (us, _) = Guard::with_snapshot(snap, GuardOptions::default()).expect("guard");
    let t0 = "2026-11-27T16:00:00Z"
        .parse::<jiff::Timestamp>()
        .expect("instant")
        .as_second();
    let q = Query {
        campaign: Tag::of("bench"),
        subject: Tag::NONE,
        live_agent: true,
    };
    for (k, d) in clustered(history_n, Some("US"), &mut rng)
        .into_iter()
        .enumerate()
    {
        if let Some(n) = Number::from_e164_digits(d) {
            for e in 0..(1 + k % 3) as i64 {
                let _ = us.history().with_events(n, t0 - 3_600 * (e + 1), &mut |_| {
                    Some(NewEvent::attempt(&q))
                });
            }
        }
    }
    let queries = queries::half_registered(&registry, &mut rng);
    drop(registry);
    assert!(
        queries.len().is_power_of_two(),
        "the index masks need a power-of-two query count"
    );
    let ctx_us = CallContext::new(jiff::Timestamp::from_second(t0).expect("t0"))
        .campaign("bench")
        .mode(Mode::Preview);

    let mut g = c.benchmark_group(if big { "us-100M" } else { "us-1M" });
    let mut i = 0usize;
    g.bench_function("check", |b| {
        b.iter(|| {
            i = (i + 1) & (queries.len() - 1);
            black_box(us.check_number(queries[i], &ctx_us))
        })
    });
    us.metrics().set_enabled(false);
    g.bench_function("check metrics-off", |b| {
        b.iter(|| {
            i = (i + 1) & (queries.len() - 1);
            black_box(us.check_number(queries[i], &ctx_us))
        })
    });
    us.metrics().set_enabled(true);
    // The same pair interleaved in blocks of 64 checks, so that a machine whose load
    // changes during the run (other builds) slows both sides alike: criterion reports the
    // metrics-on time, and the on/off ratio of the whole run is printed at the end.
    let (mut on_ns, mut off_ns, mut blocks) = (0u128, 0u128, 0u128);
    g.bench_function("check metrics on, interleaved with off", |b| {
        b.iter_custom(|iters| {
            let mut on = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                for enabled in [true, false] {
                    us.metrics().set_enabled(enabled);
                    let t = Instant::now();
                    for _ in 0..64 {
                        i = (i + 1) & (queries.len() - 1);
                        black_box(us.check_number(queries[i], &ctx_us));
                    }
                    let e = t.elapsed();
                    if enabled {
                        on += e;
                        on_ns += e.as_nanos();
                    } else {
                        off_ns += e.as_nanos();
                    }
                }
                blocks += 1;
                done += 64;
            }
            us.metrics().set_enabled(true);
            on.mul_f64(iters as f64 / done as f64)
        })
    });
    if blocks > 0 {
        let per = |ns: u128| ns as f64 / (blocks * 64) as f64;
        eprintln!(
            "metrics cost, interleaved: check {:.1} ns with metrics, {:.1} ns without: {:.3}x",
            per(on_ns),
            per(off_ns),
            on_ns as f64 / off_ns.max(1) as f64
        );
    }
    let mut i = 0usize;
    g.bench_function("check_and_reserve", |b| {
        b.iter(|| {
            i = (i + 1) & (queries.len() - 1);
            black_box(us.check_and_reserve(queries[i], &ctx_us))
        })
    });
    const BATCH: usize = 256;
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut out = vec![Decision::ALLOW; BATCH];
    let mut i = 0usize;
    g.bench_function("check loop x256", |b| {
        b.iter(|| {
            i = (i + BATCH) & (queries.len() - 1);
            for (n, d) in queries[i..i + BATCH].iter().zip(out.iter_mut()) {
                *d = us.check_number(*n, &ctx_us);
            }
            black_box(&out);
        })
    });
    let mut i = 0usize;
    g.bench_function("check_batch x256", |b| {
        b.iter(|| {
            i = (i + BATCH) & (queries.len() - 1);
            us.check_batch(&queries[i..i + BATCH], &ctx_us, &mut out);
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, bench_guard);
criterion_main!(benches);
