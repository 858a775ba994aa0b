//! parse + locate over a mix of formats (international, IDD, national, NANP styles).
//! Throughput is per number: criterion's "time" divided by the mix size is ns/number,
//! and the elements/s figure is numbers per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dialguard::number::{Country, locate, parse};

const MIX: &[(&str, &str)] = &[
    ("+39 02 1234 5678", "IT"),
    ("02 1234 5678", "IT"),
    ("347 123 4567", "IT"),
    ("0039 06 698 12345", "IT"),
    ("(201) 555-0123", "US"),
    ("201.555.0123", "US"),
    ("1-407-555-0123", "US"),
    ("+12085550123", "US"),
    ("011 44 20 7946 0018", "US"),
    ("416 555 0123", "CA"),
    ("020 7946 0018", "GB"),
    ("+44 7911 123456", "GB"),
    ("01 23 45 67 89", "FR"),
    ("030 1234567", "DE"),
    ("612 34 56 78", "ES"),
    ("(02) 9374 4000", "AU"),
];

fn inputs() -> Vec<(&'static str, Country)> {
    MIX.iter()
        .map(|&(s, iso)| (s, Country::from_iso(iso).expect("known country")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let mix = inputs();
    let numbers: Vec<_> = mix
        .iter()
        .map(|(s, c)| parse(s, Some(c)).expect("valid"))
        .collect();
    let mut g = c.benchmark_group("number");
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function("parse+locate (16-number mix)", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for (s, c) in &mix {
                if let Ok(n) = parse(black_box(s), Some(c)) {
                    acc += locate(n).zones.len();
                }
            }
            acc
        })
    });
    g.bench_function("parse only (16-number mix)", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for (s, c) in &mix {
                acc ^= parse(black_box(s), Some(c)).map_or(0, |n| n.get());
            }
            acc
        })
    });
    g.bench_function("locate only (16-number mix)", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for n in &numbers {
                acc += locate(black_box(*n)).zones.len();
            }
            acc
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
