//! The batch path (issue 15): `check_batch` of 4,096 numbers against a loop of
//! `check_number` over the same numbers, in the same run, on
//! - `list+window`: a registry and the federal calling window (the shape of a scrub);
//! - `us-policy`: the bundled US policy (two lists, consents, two windows, a Florida cap,
//!   an abandon limit) plus the same registry.
//!
//! The registry is synthetic and clustered like a national one: 20 M numbers by default,
//! `DIALGUARD_BENCH_BIG=1` for 100 M. Half the queries are registered. Criterion prints
//! numbers/s (throughput) for both; their ratio is the batch path's gain on this machine.
//!
//! `cargo bench --bench batch`

#[path = "common/queries.rs"]
mod queries;

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::lists::NumberSet;
use dialguard::lists::synthetic::{SplitMix, clustered};
use dialguard::policy::{self, Mode, Snapshot};
use dialguard::{Decision, Number};

const BATCH: usize = 4096;

const LIST_AND_WINDOW: &str = r#"
[policy]
name = "list-and-window"
default_country = "US"

[[window]]
id = "us-federal-hours"
applies_to = ["US"]
mon-sun = ["08:00-21:00"]
"#;

fn pair(c: &mut Criterion, name: &str, snap: Snapshot, queries: &[Number]) {
    let (guard, _) = Guard::with_snapshot(snap, GuardOptions::default()).expect("guard");
    // 11:00 in New York, 08:00 in Los Angeles: most places open, some not yet.
    let at = "2026-11-27T16:00:00Z".parse().expect("instant");
    let ctx = CallContext::new(at).campaign("bench").mode(Mode::Preview);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut out = vec![Decision::ALLOW; BATCH];
    let wrap = queries.len() - BATCH;
    let mut i = 0usize;
    g.bench_function("check_number loop x4096", |b| {
        b.iter(|| {
            i = (i + BATCH) % wrap;
            for (n, d) in queries[i..i + BATCH].iter().zip(out.iter_mut()) {
                *d = guard.check_number(*n, &ctx);
            }
            black_box(&out);
        })
    });
    let mut i = 0usize;
    g.bench_function("check_batch x4096", |b| {
        b.iter(|| {
            i = (i + BATCH) % wrap;
            guard.check_batch(&queries[i..i + BATCH], &ctx, &mut out);
            black_box(&out);
        })
    });
    g.finish();
}

fn bench_batch(c: &mut Criterion) {
    let big = std::env::var_os("DIALGUARD_BENCH_BIG").is_some();
    let n = if big { 100_000_000 } else { 20_000_000 };
    let mut rng = SplitMix(42);
    let registry = clustered(n, Some("US"), &mut rng);
    let queries = queries::half_registered(&registry, &mut rng);
    let set = NumberSet::from_numbers(registry);

    let now = 1_780_000_000;
    let lw = policy::compile_str(LIST_AND_WINDOW, Path::new("list-and-window.toml"), now)
        .expect("policy");
    let us_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/us/policy.toml");
    let us = policy::compile_file(&us_path, now).expect("bundled US policy");
    pair(
        c,
        "list+window",
        lw.with_extra_registry("synthetic", set.clone()),
        &queries,
    );
    pair(
        c,
        "us-policy",
        us.with_extra_registry("synthetic", set),
        &queries,
    );
}

criterion_group!(benches, bench_batch);
criterion_main!(benches);
