//! parse + locate over a mix of formats (international, IDD, national, NANP styles), and
//! over 1024 numbers with randomly placed separators.
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

    // 1024 numbers with varied separators: too many patterns for the branch predictor to
    // learn, as in real traffic. (A branch-free digit scan was tried and measured slower
    // than the plain branchy loop on both groups, so the loop stays branchy.)
    let varied = varied_inputs(1024);
    let mut g = c.benchmark_group("number-varied");
    g.throughput(Throughput::Elements(varied.len() as u64));
    g.bench_function("parse+locate (1024 varied)", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for (s, c) in &varied {
                if let Ok(n) = parse(black_box(s), Some(c)) {
                    acc += locate(n).zones.len();
                }
            }
            acc
        })
    });
    g.bench_function("parse only (1024 varied)", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for (s, c) in &varied {
                acc ^= parse(black_box(s), Some(c)).map_or(0, |n| n.get());
            }
            acc
        })
    });
    g.finish();

    // Issue 11: what CRM exports hold goes through the slow path (number::messy);
    // target ≤ 250 ns a number, clean ASCII above stays on the fast path.
    let it = Country::from_iso("IT").expect("IT");
    let us = Country::from_iso("US").expect("US");
    let messy: Vec<(&str, Country)> = vec![
        ("02\u{a0}1234\u{a0}5678", it),
        ("Tel.: 02 1234 5678", it),
        ("02 1234 5678 int. 3", it),
        (
            "\u{ff0b}\u{ff13}\u{ff19} \u{ff10}\u{ff12} \u{ff11}\u{ff12}\u{ff13}\u{ff14} \u{ff15}\u{ff16}\u{ff17}\u{ff18}",
            it,
        ),
        ("tel:+39-02-1234-5678;ext=12", it),
        (
            "\u{660}\u{662} \u{661}\u{662}\u{663}\u{664} \u{665}\u{666}\u{667}\u{668}",
            it,
        ),
        ("201\u{2013}555\u{2013}0123 x12", us),
        ("1-800-FLOWERS", us),
    ];
    let mut g = c.benchmark_group("number-messy");
    g.throughput(Throughput::Elements(messy.len() as u64));
    g.bench_function("parse only (8 messy forms)", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for (s, c) in &messy {
                acc ^= parse(black_box(s), Some(c)).map_or(0, |n| n.get());
            }
            acc
        })
    });
    g.finish();
}

fn varied_inputs(count: usize) -> Vec<(String, Country)> {
    let mut x = 0x0123_4567_89ab_cdefu64;
    let mut next = move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let seps = [" ", "-", ".", "", "/", " "];
    (0..count)
        .map(|i| {
            let (s, iso) = MIX[i % MIX.len()];
            let mut out = String::new();
            for ch in s.chars().filter(|c| c.is_ascii_digit() || *c == '+') {
                out.push(ch);
                if next() % 3 == 0 {
                    out.push_str(seps[(next() % seps.len() as u64) as usize]);
                }
            }
            (out, Country::from_iso(iso).expect("known country"))
        })
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
