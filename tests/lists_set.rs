//! The chunked NumberSet against a plain reference (sorted Vec + binary search).

use std::collections::BTreeMap;

use dialguard::Number;
use dialguard::lists::NumberSet;
use proptest::collection::vec;
use proptest::prelude::*;

/// The reference: sorted numbers, binary search, earliest date per number (an
/// undated entry counts as earliest).
struct Reference {
    nums: Vec<u64>,
    dates: Vec<Option<i32>>,
}

impl Reference {
    fn new(entries: &[(u64, Option<i32>)]) -> Reference {
        let mut m: BTreeMap<u64, Option<i32>> = BTreeMap::new();
        for &(n, d) in entries {
            if Number::from_e164_digits(n).is_none() {
                continue;
            }
            m.entry(n).and_modify(|e| *e = (*e).min(d)).or_insert(d);
        }
        Reference {
            nums: m.keys().copied().collect(),
            dates: m.values().copied().collect(),
        }
    }
    fn registered_on(&self, n: u64) -> Option<Option<i32>> {
        self.nums.binary_search(&n).ok().map(|i| self.dates[i])
    }
}

fn pow10(k: u32) -> u64 {
    10u64.pow(k)
}

/// Numbers of every length and shape: uniform, per-length, NANP-like, chunk
/// boundaries (…x9999 / …x0000), tight clusters.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        1u64..=999_999_999_999_999,
        (1u32..=15).prop_flat_map(|l| pow10(l - 1)..pow10(l)),
        (200u64..1000, 200u64..1000, 0u64..10_000)
            .prop_map(|(a, b, c)| 10_000_000_000 + a * 10_000_000 + b * 10_000 + c),
        (
            5u32..=15,
            any::<u64>(),
            prop_oneof![Just(0u64), Just(9_999u64), Just(1u64)]
        )
            .prop_map(|(l, r, low)| {
                let chunk = pow10(l - 5) + r % (pow10(l - 4) - pow10(l - 5));
                chunk * 10_000 + low
            }),
        (0u64..30, 0u64..10_000).prop_map(|(c, low)| (393_331_200 + c) * 10_000 + low),
    ]
}

/// A chunk dense enough to become a bitmap (≥ 625 numbers), at either end too.
fn dense_chunk() -> impl Strategy<Value = Vec<u64>> {
    (5u32..=15, any::<u64>(), 1u64..=15, 0u64..15).prop_map(|(l, r, stride, off)| {
        let chunk = pow10(l - 5) + r % (pow10(l - 4) - pow10(l - 5));
        let mut v: Vec<u64> = (off..10_000)
            .step_by(stride as usize)
            .map(|low| chunk * 10_000 + low)
            .collect();
        v.push(chunk * 10_000 + 9_999);
        v
    })
}

/// A 65 536-wide binary window with ≥ 4 096 numbers: a binary-radix Elias–Fano
/// container, or a bitmap when 16 384 or more.
fn bin_window() -> impl Strategy<Value = Vec<u64>> {
    let stride = prop_oneof![3u64..=4, 12u64..=15];
    (0u64..150_000, stride, 0u64..8).prop_map(|(w, stride, off)| {
        let base = 10_000_000_000 + (w << 16);
        (off..1 << 16)
            .step_by(stride as usize)
            .map(|x| base + x)
            .collect()
    })
}

/// A decimal chunk (or, with `bin`, a 65 536-wide binary window of a thinly spread
/// partition) holding `count` numbers drawn from a sub-range of `width` lows: every
/// density from one number to full, spread or bunched, so each container kind (array,
/// bitmap, Elias–Fano with every low-bit width and block size) is built and read.
fn any_density_chunk() -> impl Strategy<Value = Vec<u64>> {
    (
        0u32..14,
        1u64..=10_000,
        any::<u64>(),
        200u64..1000,
        200u64..1000,
    )
        .prop_map(|(log, width, seed, npa, nxx)| {
            let count = (1u64 << log).min(width);
            let start = seed % (10_001 - width);
            let base = 10_000_000_000 + npa * 10_000_000 + nxx * 10_000 + start;
            let mut x = seed | 1;
            (0..count)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    base + x % width
                })
                .collect()
        })
}

fn date() -> impl Strategy<Value = Option<i32>> {
    prop_oneof![
        Just(None),
        (18_000i32..22_000).prop_map(Some),
        (-1_000_000i32..1_000_000).prop_map(Some),
    ]
}

fn numbers() -> impl Strategy<Value = Vec<u64>> {
    (
        vec(number(), 0..200),
        vec(dense_chunk(), 0..3),
        proptest::option::weighted(0.3, bin_window()),
        vec(any_density_chunk(), 0..4),
    )
        .prop_map(|(mut a, dense, bin, any)| {
            for d in dense.into_iter().chain(bin).chain(any) {
                a.extend(d);
            }
            a
        })
}

/// Members, their neighbours on both sides of every boundary, and other lengths.
fn probes(reference: &Reference, extra: &[u64]) -> Vec<Number> {
    let mut out = Vec::new();
    for &n in reference.nums.iter().chain(extra) {
        for p in [
            n,
            n.wrapping_sub(1),
            n + 1,
            n.wrapping_sub(10_000),
            n + 10_000,
            n / 10,
            n.saturating_mul(10),
            n - n % 10_000,
            n - n % 10_000 + 9_999,
        ] {
            if let Some(num) = Number::from_e164_digits(p) {
                out.push(num);
            }
        }
    }
    out
}

fn check(set: &NumberSet, reference: &Reference, extra: &[u64]) {
    assert_eq!(set.len(), reference.nums.len());
    assert_eq!(set.is_empty(), reference.nums.is_empty());
    let ps = probes(reference, extra);
    let mut batch = vec![false; ps.len()];
    set.contains_batch(&ps, &mut batch);
    for (p, b) in ps.iter().zip(&batch) {
        let want = reference.registered_on(p.get());
        assert_eq!(set.contains(*p), want.is_some(), "contains({p})");
        assert_eq!(*b, want.is_some(), "contains_batch({p})");
        assert_eq!(set.registered_on(*p), want, "registered_on({p})");
    }
    let entries = set.to_entries();
    let want: Vec<(u64, Option<i32>)> = reference
        .nums
        .iter()
        .copied()
        .zip(reference.dates.iter().copied())
        .collect();
    assert_eq!(entries, want);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn undated_sets_match_the_reference(nums in numbers(), extra in vec(number(), 0..50)) {
        let reference = Reference::new(&nums.iter().map(|&n| (n, None)).collect::<Vec<_>>());
        let set = NumberSet::from_numbers(nums);
        prop_assert!(!set.has_dates());
        check(&set, &reference, &extra);
    }

    #[test]
    fn dated_sets_match_the_reference(
        nums in numbers(),
        dates in vec(date(), 1..64),
        dups in vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let mut entries: Vec<(u64, Option<i32>)> = nums
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, dates[i % dates.len()]))
            .collect();
        // Duplicates with other dates, so the earliest-date rule is exercised.
        if !nums.is_empty() {
            for (k, ix) in dups.iter().enumerate() {
                entries.push((nums[ix.index(nums.len())], dates[(k * 7 + 3) % dates.len()]));
            }
        }
        let reference = Reference::new(&entries);
        let set = NumberSet::from_dated(entries);
        check(&set, &reference, &[]);
    }
}

#[test]
fn empty_and_single() {
    let empty = NumberSet::from_numbers(vec![]);
    check(
        &empty,
        &Reference::new(&[]),
        &[1, 12125550100, 999_999_999_999_999],
    );
    assert_eq!(NumberSet::default().len(), 0);
    for n in [1u64, 9_999, 10_000, 12125550100, 999_999_999_999_999] {
        let set = NumberSet::from_dated(vec![(n, Some(7))]);
        check(&set, &Reference::new(&[(n, Some(7))]), &[]);
    }
}

#[test]
fn invalid_values_are_dropped() {
    let set = NumberSet::from_numbers(vec![0, 1_000_000_000_000_000, u64::MAX, 42]);
    assert_eq!(set.to_entries(), vec![(42, None)]);
}

#[test]
fn dense_national_block_with_boundaries() {
    // 1-212-555-xxxx full (bitmap), 1-212-556 sparse, and the block edges.
    let mut v: Vec<u64> = (0..10_000).map(|x| 12_125_550_000 + x).collect();
    v.extend([
        12_125_560_000,
        12_125_569_999,
        12_125_549_999,
        12_125_570_000,
    ]);
    let reference = Reference::new(&v.iter().map(|&n| (n, None)).collect::<Vec<_>>());
    let set = NumberSet::from_numbers(v);
    check(&set, &reference, &[12_125_580_000, 12_125_539_999]);
    assert!(set.arena_bytes() < 2_000 + 1_250 + 16);
}

#[test]
fn bitmap_dates_use_the_rank_within_the_bitmap() {
    let entries: Vec<(u64, Option<i32>)> = (0..2_000u64)
        .map(|i| (12_125_550_000 + i * 5, Some(i as i32)))
        .collect();
    let set = NumberSet::from_dated(entries.clone());
    for &(n, d) in &entries {
        assert_eq!(
            set.registered_on(Number::from_e164_digits(n).unwrap()),
            Some(d)
        );
    }
    assert_eq!(set.date_bytes(), 2 * 2_000 + 8);
}

#[test]
fn scattered_numbers_use_little_memory() {
    // 5 000 numbers spread over all of NANP: a dense directory would be 3.2 MB.
    let v: Vec<u64> = (0..5_000u64)
        .map(|i| 12_000_000_000 + (i * 1_597_334_677) % 8_000_000_000)
        .collect();
    let reference = Reference::new(&v.iter().map(|&n| (n, None)).collect::<Vec<_>>());
    let set = NumberSet::from_numbers(v);
    check(&set, &reference, &[]);
    assert!(
        set.arena_bytes() < 5_000 * 14,
        "{} bytes",
        set.arena_bytes()
    );
}

#[test]
fn layouts_follow_the_data() {
    let kinds = |set: &NumberSet| -> Vec<&'static str> {
        set.partition_layouts().into_iter().map(|p| p.2).collect()
    };
    // Registry-like: a few full exchanges close together.
    let block: Vec<u64> = (0..30_000).map(|x| 12_125_550_000 + x * 3).collect();
    assert_eq!(kinds(&NumberSet::from_numbers(block)), vec!["dec-dense"]);
    // Evenly spread over all of NANP: binary chunks, dense directory.
    let even: Vec<u64> = (0..200_000u64)
        .map(|i| 12_000_000_000 + i * 40_000)
        .collect();
    let set = NumberSet::from_numbers(even.clone());
    assert_eq!(kinds(&set), vec!["bin-dense"]);
    check(
        &set,
        &Reference::new(&even.iter().map(|&n| (n, None)).collect::<Vec<_>>()),
        &[],
    );
    // A dozen half-full exchanges far apart: decimal bitmaps, two-level directory.
    let clusters: Vec<u64> = (0..12u64)
        .flat_map(|c| (0..5_000u64).map(move |i| 12_000_000_000 + c * 600_000_000 + i * 2))
        .collect();
    let set = NumberSet::from_numbers(clusters.clone());
    assert_eq!(kinds(&set), vec!["dec-sparse"]);
    check(
        &set,
        &Reference::new(&clusters.iter().map(|&n| (n, None)).collect::<Vec<_>>()),
        &[],
    );
    // Thin spread plus one busy binary window: binary chunks, one of them an
    // Elias–Fano container of 7 282 numbers, with dates found by rank.
    let mut window: Vec<(u64, Option<i32>)> = (0..1u64 << 16)
        .step_by(9)
        .map(|x| (10_000_000_000 + (77_777 << 16) + x, Some((x % 1000) as i32)))
        .collect();
    window.extend(even.iter().map(|&n| (n, Some(3))));
    let set = NumberSet::from_dated(window.clone());
    assert_eq!(set.partition_layouts(), vec![(11, 1, "bin-dense")]);
    check(&set, &Reference::new(&window), &[]);
}
