//! Invariants of the raw core: the writer and the reader use the same field offsets
//! (a round trip through every layout and date encoding), the layout's fields tile
//! their records, and validation refuses each kind of damage with its own message.

use super::layout::{BODY_HEADER, Container, KIND_SHIFT, PART_RECORD, head, rec};
use super::{Backing, NumberSet, build, raw, validate};

/// A dated set with a dense decimal partition (+1: exchange 555 Elias–Fano, 556 full
/// as a bitmap, 557 empty, 558 an array of five) and a sparse decimal one (+39, twelve
/// Elias–Fano exchanges far apart).
fn fixture() -> (Vec<u64>, Vec<Option<i32>>) {
    let mut ns: Vec<u64> = (0..2_000u64).map(|x| 12_125_550_000 + x * 3).collect();
    ns.extend((0..10_000u64).map(|x| 12_125_560_000 + x));
    ns.extend((0..5u64).map(|x| 12_125_580_000 + x * 7));
    ns.extend(
        (0..12u64)
            .flat_map(|c| (0..700u64).map(move |i| 390_000_000_000 + c * 600_000_000 + i * 7)),
    );
    ns.sort_unstable();
    ns.dedup();
    let dates = ns
        .iter()
        .enumerate()
        .map(|(i, _)| (i % 5 != 0).then_some(19_000 + i32::try_from(i % 900).unwrap_or(0)))
        .collect();
    (ns, dates)
}

fn arena(ns: &[u64], dates: Option<&[Option<i32>]>) -> Vec<u8> {
    match build::build_arena(ns, dates, Default::default()) {
        Backing::Heap(v) => v,
        Backing::Anon(m) => m.to_vec(),
    }
}

fn put16(b: &mut [u8], at: usize, x: u16) {
    b[at..at + 2].copy_from_slice(&x.to_le_bytes());
}

fn get16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}

/// Byte offset of the first container of the partition whose record is at `p`.
fn first_container(b: &[u8], p: usize) -> usize {
    usize::try_from(get64(b, p + rec::WORDS)).expect("offset")
}

/// Blocks of the Elias–Fano container at `at` (from its header, as the reader does).
fn ef_blocks(b: &[u8], at: usize) -> usize {
    let lg = get16(b, at + 2);
    let (l, g) = (lg & 0xFF, lg >> 8);
    let buckets = (9_999usize >> l) + 1;
    buckets.div_ceil(1 << g)
}

/// Sets the container code of directory entry `s` of the partition at `p`.
fn set_code(b: &mut [u8], p: usize, s: usize, code: u32) {
    let dir = usize::try_from(get64(b, p + rec::DIR)).expect("offset");
    let e = get32(b, dir + 4 * s);
    put32(b, dir + 4 * s, e & !(3 << KIND_SHIFT) | code << KIND_SHIFT);
}

fn put32(b: &mut [u8], at: usize, x: u32) {
    b[at..at + 4].copy_from_slice(&x.to_le_bytes());
}

fn put64(b: &mut [u8], at: usize, x: u64) {
    b[at..at + 8].copy_from_slice(&x.to_le_bytes());
}

fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn get64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[test]
fn layout_fields_tile_their_records() {
    let mut header = [
        (head::LEN, 8),
        (head::N_PARTS, 4),
        (head::DATE_KIND, 4),
        (head::DATE_BASE, 4),
        (20, 4), // reserved
        (head::PARTS_OFF, 8),
        (head::DATES_OFF, 8),
        (head::DATES_LEN, 8),
    ];
    let mut record = [
        (rec::KEY, 8),
        (rec::MIN_CHUNK, 4),
        (rec::N_SLOTS, 4),
        (rec::KIND, 4),
        (rec::N_TOP, 4),
        (rec::DIR, 8),
        (rec::TOP, 8),
        (rec::KEYS, 8),
        (rec::WORDS, 8),
        (rec::N_WORDS, 8),
        (rec::RANKS, 8),
        (rec::RANK_BASE, 8),
    ];
    for (fields, size) in [
        (&mut header[..], BODY_HEADER),
        (&mut record[..], PART_RECORD),
    ] {
        fields.sort_unstable();
        for w in fields.windows(2) {
            assert!(w[0].0 + w[0].1 <= w[1].0, "fields overlap: {w:?}");
            assert_eq!(w[0].0 % w[0].1, 0, "field at {} is not aligned", w[0].0);
        }
        let last = fields[fields.len() - 1];
        assert!(last.0 + last.1 <= size, "{last:?} runs past {size} bytes");
    }
}

#[test]
fn writer_and_reader_agree_on_every_field() {
    let (ns, dates) = fixture();
    for dates in [None, Some(&dates[..])] {
        let b = arena(&ns, dates);
        assert_eq!(get64(&b, head::LEN), ns.len() as u64);
        let parsed = validate::parse_arena(&b).expect("a built arena validates");
        assert_eq!(parsed.len, ns.len() as u64);
        assert_eq!(
            usize::try_from(get32(&b, head::N_PARTS)),
            Ok(parsed.parts.len())
        );
        let parts_off = usize::try_from(get64(&b, head::PARTS_OFF)).expect("offset");
        for (i, (p, key)) in parsed.parts.iter().zip(parsed.keys.iter()).enumerate() {
            let at = parts_off + i * PART_RECORD;
            assert_eq!(get64(&b, at + rec::KEY), *key);
            assert_eq!(get32(&b, at + rec::N_SLOTS), p.n_slots);
            assert_eq!(get64(&b, at + rec::DIR), p.dir as u64);
            assert_eq!(get64(&b, at + rec::RANK_BASE), p.rank_base);
        }
        // Every number and date read back through the reader's offsets.
        let set = NumberSet::build(&ns, dates);
        let want: Vec<(u64, Option<i32>)> = match dates {
            Some(d) => ns.iter().copied().zip(d.iter().copied()).collect(),
            None => ns.iter().map(|&n| (n, None)).collect(),
        };
        assert_eq!(set.to_entries(), want);
        let layouts: Vec<&str> = set.partition_layouts().into_iter().map(|p| p.2).collect();
        assert_eq!(layouts, ["dec-dense", "dec-sparse"]);
    }
}

#[test]
fn fixture_holds_every_container_kind() {
    let (ns, dates) = fixture();
    let b = arena(&ns, Some(&dates));
    let parsed = validate::parse_arena(&b).expect("a built arena validates");
    let kinds: Vec<Vec<Container>> = parsed
        .parts
        .iter()
        .map(|p| {
            (0..p.n_slots)
                .filter_map(|s| raw::container(&b, p, s))
                .filter(|c| c.1 > 0)
                .map(|c| c.2)
                .collect()
        })
        .collect();
    use Container::{Array, Bitmap, EliasFano};
    assert_eq!(kinds[0], [EliasFano, Bitmap, Array]);
    assert_eq!(kinds[1], [EliasFano; 12]);
}

#[test]
fn wide_dates_round_trip() {
    let ns = [12_125_550_000, 12_125_550_001, 390_212_345_678];
    let dates = [Some(i32::MIN + 1), None, Some(i32::MAX)];
    let b = arena(&ns, Some(&dates));
    assert_eq!(
        get32(&b, head::DATE_KIND),
        2,
        "a spread over u16 needs i32 dates"
    );
    let set = NumberSet::build(&ns, Some(&dates));
    assert_eq!(
        set.to_entries(),
        ns.iter().copied().zip(dates).collect::<Vec<_>>()
    );
}

/// A change to an arena, given the byte offsets of partition records 0 and 1.
type Damage = dyn Fn(&mut Vec<u8>, usize, usize);

/// The validation error for the fixture's arena after `damage`.
fn refused(damage: impl Fn(&mut Vec<u8>, usize, usize)) -> String {
    let (ns, dates) = fixture();
    let mut b = arena(&ns, Some(&dates));
    let parts_off = usize::try_from(get64(&b, head::PARTS_OFF)).expect("offset");
    // Record 1 is the sparse +39 partition.
    damage(&mut b, parts_off, parts_off + PART_RECORD);
    match validate::parse_arena(&b) {
        Ok(_) => "damaged arena accepted".into(),
        Err(e) => e,
    }
}

#[test]
fn validation_refuses_each_kind_of_damage() {
    let cases: Vec<(&str, Box<Damage>)> = vec![
        (
            "shorter than its header",
            Box::new(|b, _, _| b.truncate(BODY_HEADER - 1)),
        ),
        (
            "cannot fit",
            Box::new(|b, _, _| put64(b, head::LEN, u64::MAX)),
        ),
        (
            "unknown date encoding 7",
            Box::new(|b, _, _| put32(b, head::DATE_KIND, 7)),
        ),
        (
            "date column does not match",
            Box::new(|b, _, _| {
                let l = get64(b, head::DATES_LEN);
                put64(b, head::DATES_LEN, l - 2)
            }),
        ),
        (
            "partition table runs past",
            Box::new(|b, _, _| put32(b, head::N_PARTS, u32::MAX)),
        ),
        (
            "impossible key",
            Box::new(|b, p0, _| put64(b, p0 + rec::KEY, 16 << 56)),
        ),
        // 12-digit numbers whose two leading digits read as one (a leading zero).
        (
            "impossible key",
            Box::new(|b, _, p1| put64(b, p1 + rec::KEY, (12 << 56) | 5)),
        ),
        (
            "out of order",
            Box::new(|b, p0, p1| {
                let k = get64(b, p0 + rec::KEY);
                put64(b, p1 + rec::KEY, k)
            }),
        ),
        (
            "unknown kind 4",
            Box::new(|b, p0, _| put32(b, p0 + rec::KIND, 4)),
        ),
        (
            "directory outside its chunk range",
            Box::new(|b, p0, _| put32(b, p0 + rec::N_SLOTS, 0)),
        ),
        (
            "containers run past",
            Box::new(|b, p0, _| {
                let l = b.len() as u64;
                put64(b, p0 + rec::WORDS, l)
            }),
        ),
        (
            "directory runs past",
            Box::new(|b, p0, _| {
                let l = b.len() as u64;
                put64(b, p0 + rec::DIR, l)
            }),
        ),
        (
            "directory entry 0 is invalid",
            Box::new(|b, p0, _| {
                let dir = usize::try_from(get64(b, p0 + rec::DIR)).expect("offset");
                put32(b, dir, 1)
            }),
        ),
        (
            "does not end at its last word",
            Box::new(|b, p0, _| {
                let n = get64(b, p0 + rec::N_WORDS);
                put64(b, p0 + rec::N_WORDS, n + 1)
            }),
        ),
        (
            "page table outside",
            Box::new(|b, _, p1| put32(b, p1 + rec::N_TOP, 0)),
        ),
        (
            "sparse directory runs past",
            Box::new(|b, _, p1| {
                let l = b.len() as u64;
                put64(b, p1 + rec::KEYS, l)
            }),
        ),
        (
            "page table does not start at 0",
            Box::new(|b, _, p1| {
                let top = usize::try_from(get64(b, p1 + rec::TOP)).expect("offset");
                put32(b, top, 1)
            }),
        ),
        (
            "chunk key 0 is invalid",
            Box::new(|b, _, p1| {
                // A key names a chunk within its 1024-chunk page: 10 bits at most.
                let keys = usize::try_from(get64(b, p1 + rec::KEYS)).expect("offset");
                b[keys..keys + 2].copy_from_slice(&u16::MAX.to_le_bytes());
            }),
        ),
        (
            "container 0 has an invalid kind or length",
            Box::new(|b, _, p1| set_code(b, p1, 0, 2)),
        ),
        (
            "directory entry 12 is invalid",
            Box::new(|b, _, p1| set_code(b, p1, 12, 1)),
        ),
        (
            "container 2 is an empty Elias–Fano container",
            Box::new(|b, p0, _| set_code(b, p0, 2, 1)),
        ),
        (
            "container 3 (Elias–Fano) header is invalid",
            Box::new(|b, p0, _| set_code(b, p0, 3, 1)),
        ),
        (
            "container 0 (Elias–Fano) header is invalid",
            Box::new(|b, _, p1| {
                let at = first_container(b, p1);
                put16(b, at, 0)
            }),
        ),
        (
            "container 0 (Elias–Fano) header is invalid",
            Box::new(|b, _, p1| {
                let at = first_container(b, p1) + 2;
                let lg = get16(b, at);
                put16(b, at, lg | 17 << 8)
            }),
        ),
        (
            "container 0 (Elias–Fano) holds",
            Box::new(|b, _, p1| {
                let at = first_container(b, p1) + 2;
                let lg = get16(b, at);
                put16(b, at, lg + 1)
            }),
        ),
        (
            "container 0 (Elias–Fano) block count 1 is invalid",
            Box::new(|b, _, p1| {
                let at = first_container(b, p1);
                let n = get16(b, at);
                put16(b, at + 4, n + 1)
            }),
        ),
        (
            "container 0 (Elias–Fano) block 0 does not hold",
            Box::new(|b, p0, _| {
                // The first bit of the stream: exchange 555's first bucket count.
                let at = first_container(b, p0);
                let stream = at + 2 * (2 + ef_blocks(b, at) - 1);
                b[stream] ^= 1;
            }),
        ),
        (
            "rank table runs past",
            Box::new(|b, p0, _| {
                let l = b.len() as u64;
                put64(b, p0 + rec::RANKS, l)
            }),
        ),
    ];
    for (want, damage) in cases {
        let err = refused(damage);
        assert!(err.contains(want), "expected {want:?}, got {err:?}");
    }
}

#[test]
fn elias_fano_select_finds_every_set_bit() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..2_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let w = match round % 4 {
            0 => x,
            1 => x & (x >> 3),
            2 => x | (x << 5),
            _ => u64::MAX,
        };
        let mut k = 0;
        for bit in 0..64 {
            if w >> bit & 1 == 1 {
                assert_eq!(super::ef::select(w, k), bit, "bit {k} of {w:#x}");
                k += 1;
            }
        }
    }
}

/// The batch path's split lookup answers as `contains` on every container kind, and a
/// probe finished on a set other than its own is looked up again there, never trusted.
#[test]
fn probe_then_finish_is_contains_and_never_trusts_another_sets_probe() {
    let (ns, _) = fixture();
    let set = NumberSet::from_numbers(ns.clone());
    let other = NumberSet::from_numbers(ns.iter().step_by(2).copied().collect());
    let mut checked = 0;
    for &x in &ns {
        for d in [0, 1, 2, 37] {
            let Some(n) = crate::Number::from_e164_digits(x + d) else {
                continue;
            };
            let p = set.probe(n);
            assert_eq!(set.finish(&p), set.contains(n), "{n}");
            assert_eq!(other.finish(&p), other.contains(n), "{n} on another set");
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}
