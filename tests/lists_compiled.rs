//! Compiled list files: round trip, text compiler, and refusal of damaged files.

use std::io::Write;
use std::path::Path;

use dialguard::Number;
use dialguard::lists::{
    CompiledProblem, FORMAT_VERSION, ListError, MAGIC, NumberSet, compile_text_list, open_compiled,
    write_compiled,
};
use proptest::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

fn num(d: u64) -> Number {
    Number::from_e164_digits(d).expect("test number")
}

/// A set with every kind of part: a bitmap chunk, array chunks, a dense and a
/// sparse directory, several lengths, and dates.
fn mixed_entries() -> Vec<(u64, Option<i32>)> {
    let mut v: Vec<(u64, Option<i32>)> = (0..1_000u64)
        .map(|i| (12_125_550_000 + i * 7, Some(20_000 + (i % 50) as i32)))
        .collect();
    v.extend((0..300u64).map(|i| (12_000_000_000 + i * 26_666_667, None)));
    v.extend((0..200u64).map(|i| (393_331_234_000 + i * 3, Some(19_000))));
    v.extend([
        (4_420_794_600, Some(1)),
        (7, None),
        (999_999_999_999_999, Some(2)),
    ]);
    v
}

fn problem(r: Result<dialguard::lists::CompiledList, ListError>) -> CompiledProblem {
    match r {
        Err(ListError::Compiled { problem, .. }) => problem,
        Err(other) => panic!("expected a compiled-file problem, got {other:?}"),
        Ok(_) => panic!("a damaged file was accepted"),
    }
}

fn write_bytes(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
}

/// Rewrites both checksums so that only the structure check can catch a change.
fn reseal(bytes: &mut [u8]) {
    let body = xxh3_64(&bytes[64..]);
    bytes[32..40].copy_from_slice(&body.to_le_bytes());
    let head = xxh3_64(&bytes[0..56]);
    bytes[56..64].copy_from_slice(&head.to_le_bytes());
}

#[test]
fn round_trip_keeps_numbers_dates_and_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpo.dgl");
    let set = NumberSet::from_dated(mixed_entries());
    write_compiled(&set, Some(20_777), &path).unwrap();
    let opened = open_compiled(&path).unwrap();
    assert_eq!(opened.snapshot_date, Some(20_777));
    assert_eq!(opened.format_version, FORMAT_VERSION);
    assert_eq!(opened.set.len(), set.len());
    assert_eq!(opened.set.to_entries(), set.to_entries());
    assert_eq!(
        opened.set.registered_on(num(12_125_550_007)),
        Some(Some(20_001))
    );
    assert_eq!(opened.set.registered_on(num(12_125_550_008)), None);
    assert_eq!(opened.set.registered_on(num(7)), Some(None));
    // Copied into private memory (so a file changed in place cannot reach it): the
    // arena is the set's own.
    assert!(
        opened.set.heap_bytes() >= opened.set.arena_bytes(),
        "{}",
        opened.set.heap_bytes()
    );
    assert_eq!(opened.set.arena_bytes(), set.arena_bytes());
    let len = std::fs::metadata(&path).unwrap().len();
    assert_eq!(len, 64 + set.arena_bytes() as u64);

    let undated = NumberSet::from_numbers(vec![12_125_550_100]);
    write_compiled(&undated, None, &path).unwrap();
    let opened2 = open_compiled(&path).unwrap();
    assert_eq!(opened2.snapshot_date, None);
    assert_eq!(opened2.set.to_entries(), vec![(12_125_550_100, None)]);
    // The first copy survives the file being replaced.
    assert_eq!(opened.set.len(), set.len());
    assert!(opened.set.contains(num(393_331_234_597)));

    let empty = NumberSet::from_numbers(vec![]);
    write_compiled(&empty, None, &path).unwrap();
    let e = open_compiled(&path).unwrap();
    assert!(e.set.is_empty());
    assert!(!e.set.contains(num(1)));
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.dgl");
    write_compiled(&NumberSet::from_dated(mixed_entries()), Some(5), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.dgl");
    let mut points: Vec<usize> = (0..80).collect();
    points.extend((80..bytes.len()).step_by(97));
    points.push(bytes.len() - 1);
    for &k in &points {
        write_bytes(&cut, &bytes[..k]);
        let want_expected = if k < 64 { 64 } else { bytes.len() as u64 };
        assert_eq!(
            problem(open_compiled(&cut)),
            CompiledProblem::Truncated {
                expected: want_expected,
                found: k as u64
            },
            "cut at {k}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    write_bytes(&cut, &longer);
    assert!(matches!(
        problem(open_compiled(&cut)),
        CompiledProblem::Corrupt { what } if what.contains("1 unexpected bytes")
    ));
}

#[test]
fn flipped_bytes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.dgl");
    write_compiled(&NumberSet::from_dated(mixed_entries()), Some(5), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad.dgl");
    let mut positions: Vec<usize> = (0..64).collect();
    positions.extend((64..bytes.len()).step_by(37));
    for &i in &positions {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        write_bytes(&bad, &b);
        let p = problem(open_compiled(&bad));
        match i {
            0..8 => assert!(
                matches!(p, CompiledProblem::Foreign { .. }),
                "byte {i}: {p:?}"
            ),
            // The version field: a larger version is reported as newer.
            8..12 => assert_eq!(
                p,
                CompiledProblem::NewerVersion {
                    found: FORMAT_VERSION ^ (0x10 << (8 * (i - 8))),
                    supported: FORMAT_VERSION
                }
            ),
            12..64 => assert!(
                matches!(&p, CompiledProblem::Corrupt { what } if what == "header checksum mismatch"),
                "byte {i}: {p:?}"
            ),
            _ => assert!(
                matches!(&p, CompiledProblem::Corrupt { what } if what == "body checksum mismatch"),
                "byte {i}: {p:?}"
            ),
        }
    }
}

#[test]
fn resealed_damage_is_caught_or_harmless() {
    // Damage with valid checksums (a crafted file): either the structure check
    // refuses it, or every lookup still runs without panicking.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.dgl");
    let entries = mixed_entries();
    write_compiled(&NumberSet::from_dated(entries.clone()), Some(5), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad.dgl");
    let mut refused = 0;
    let mut positions: Vec<usize> = (64..64 + 64 + 5 * 80).collect(); // arena header + part table
    positions.extend((64..bytes.len()).step_by(71));
    for &i in &positions {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            reseal(&mut b);
            write_bytes(&bad, &b);
            match open_compiled(&bad) {
                Err(ListError::Compiled {
                    problem: CompiledProblem::Corrupt { .. },
                    ..
                }) => refused += 1,
                Err(other) => panic!("byte {i}: unexpected {other:?}"),
                Ok(list) => {
                    let probes: Vec<Number> = entries
                        .iter()
                        .flat_map(|e| [e.0, e.0 + 1])
                        .filter_map(Number::from_e164_digits)
                        .collect();
                    let mut out = vec![false; probes.len()];
                    list.set.contains_batch(&probes, &mut out);
                    for p in &probes {
                        let _ = list.set.registered_on(*p);
                    }
                    let _ = list.set.to_entries();
                }
            }
        }
    }
    assert!(refused > 500, "only {refused} refused");
}

/// Version 1 files (before Elias–Fano containers: arrays and bitmaps only, every
/// directory entry's kind code 0) still open and answer as written.
#[test]
fn version_1_files_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.dgl");
    // Sparse chunks (arrays) and one full exchange (a bitmap): no Elias–Fano container.
    let mut numbers: Vec<u64> = (0..300u64)
        .map(|i| 12_000_000_000 + i * 26_666_667)
        .collect();
    numbers.extend((0..10_000u64).map(|x| 12_125_550_000 + x));
    let set = NumberSet::from_numbers(numbers.clone());
    write_compiled(&set, None, &path).unwrap();
    let mut b = std::fs::read(&path).unwrap();
    b[8..12].copy_from_slice(&1u32.to_le_bytes());
    reseal(&mut b);
    write_bytes(&path, &b);
    let opened = open_compiled(&path).unwrap();
    assert_eq!(opened.format_version, 1);
    assert_eq!(opened.set.to_entries(), set.to_entries());
    for n in numbers {
        assert!(opened.set.contains(num(n)), "{n}");
    }
}

/// Found by the `open_list` fuzzer: a resealed file whose partition key has a leading
/// zero (`+39` partition of 12-digit numbers relabelled `h = 3`) opened fine, and its
/// numbers were listed by `to_entries` (as 11-digit numbers) but found by no lookup: a
/// registry entry that never denies. The structure check now refuses such a key.
#[test]
fn partition_key_with_a_leading_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("it.dgl");
    write_compiled(
        &NumberSet::from_numbers(vec![390_212_345_678, 390_212_345_679]),
        None,
        &path,
    )
    .unwrap();
    let mut b = std::fs::read(&path).unwrap();
    let key = ((12u64 << 56) | 39).to_le_bytes();
    let at = b
        .windows(8)
        .position(|w| w == key)
        .expect("the +39 partition key");
    b[at..at + 8].copy_from_slice(&((12u64 << 56) | 3).to_le_bytes());
    reseal(&mut b);
    write_bytes(&path, &b);
    match open_compiled(&path) {
        Err(ListError::Compiled {
            problem: CompiledProblem::Corrupt { what },
            ..
        }) => assert!(what.contains("impossible key"), "{what}"),
        Err(other) => panic!("unexpected {other:?}"),
        Ok(list) => panic!(
            "accepted: lists {:?}, finds none of them",
            list.set.to_entries()
        ),
    }
}

/// Found by the `open_list` fuzzer: a resealed file whose header and arena both claim
/// 2^35 numbers opened fine, and `to_entries` then asked for a 512 GiB vector (the
/// process aborted). A count no arena of that size can hold is now refused at open.
#[test]
fn number_count_larger_than_the_arena_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.dgl");
    write_compiled(&NumberSet::from_numbers(vec![12_015_550_123]), None, &path).unwrap();
    let mut b = std::fs::read(&path).unwrap();
    let claimed = (1u64 << 35).to_le_bytes();
    b[16..24].copy_from_slice(&claimed); // file header: distinct numbers
    b[64..72].copy_from_slice(&claimed); // arena header: count
    reseal(&mut b);
    write_bytes(&path, &b);
    match open_compiled(&path) {
        Err(ListError::Compiled {
            problem: CompiledProblem::Corrupt { what },
            ..
        }) => assert!(what.contains("cannot fit"), "{what}"),
        Err(other) => panic!("unexpected {other:?}"),
        Ok(list) => panic!("accepted a set of {} numbers", list.set.len()),
    }
}

#[test]
fn foreign_and_newer_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x");
    write_bytes(&path, b"+390212345678\n+390212345679\n");
    assert_eq!(
        problem(open_compiled(&path)),
        CompiledProblem::Foreign {
            found: b"+3902123".to_vec()
        }
    );
    write_bytes(&path, b"PK");
    assert_eq!(
        problem(open_compiled(&path)),
        CompiledProblem::Foreign {
            found: b"PK".to_vec()
        }
    );
    write_compiled(&NumberSet::from_numbers(vec![5]), None, &path).unwrap();
    let mut b = std::fs::read(&path).unwrap();
    assert_eq!(&b[..8], &MAGIC);
    let newer = FORMAT_VERSION + 1;
    b[8..12].copy_from_slice(&newer.to_le_bytes());
    reseal(&mut b);
    write_bytes(&path, &b);
    let err = open_compiled(&path).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("version {newer}")) && msg.contains("upgrade"),
        "{msg}"
    );
    let missing = dir.path().join("missing.dgl");
    assert!(matches!(open_compiled(&missing), Err(ListError::Io { path, .. }) if path == missing));
}

fn text_file(dir: &Path, name: &str, contents: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(contents).unwrap();
    p
}

#[test]
fn compile_text_list_reads_the_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = text_file(
        dir.path(),
        "in.txt",
        b"\xEF\xBB\xBF# registry\r\n\
          +390212345678,2026-01-15\r\n\
          390212345679\r\n\
          \r\n\
          \t+390212345678 , 2025-12-31  # again, earlier\n\
          02 1234 5680,2026-02-01\n\
          +12125550100",
    );
    let out = dir.path().join("out.dgl");
    let parse = |s: &str| -> Result<Number, String> {
        // National Italian format for the slow path.
        let d: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let v: u64 = format!("39{d}").parse().map_err(|_| format!("bad {s:?}"))?;
        Number::from_e164_digits(v).ok_or_else(|| "range".to_string())
    };
    let stats = compile_text_list(&input, &out, Some(20_777), Some(&parse)).unwrap();
    assert_eq!(stats.lines, 7);
    assert_eq!(stats.entries, 5);
    assert_eq!(stats.distinct, 4);
    assert_eq!(stats.slow_path, 1);
    assert_eq!(stats.output_bytes, std::fs::metadata(&out).unwrap().len());
    let list = open_compiled(&out).unwrap();
    assert_eq!(list.snapshot_date, Some(20_777));
    assert_eq!(
        list.set.to_entries(),
        vec![
            (12_125_550_100, None),
            (390_212_345_678, Some(20_453)),
            (390_212_345_679, None),
            (390_212_345_680, Some(20_485)),
        ]
    );

    // Without a slow-path parser the national line fails with its line number.
    let err = compile_text_list(&input, &out, None, None).unwrap_err();
    match err {
        ListError::BadLine {
            line, text, error, ..
        } => {
            assert_eq!(line, 6);
            assert_eq!(text, "02 1234 5680,2026-02-01");
            assert!(error.contains("E.164 digits"), "{error}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let bad_date = text_file(
        dir.path(),
        "bad.txt",
        b"+1212555\n+12125550100,2026-02-30\n",
    );
    match compile_text_list(&bad_date, &out, None, None).unwrap_err() {
        ListError::BadLine { line, error, .. } => {
            assert_eq!(line, 2);
            assert!(error.contains("YYYY-MM-DD"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn compile_text_list_streams_across_blocks() {
    // > 4 MiB so lines straddle the read blocks; undated then dated halfway.
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    let mut want = Vec::new();
    for i in 0..400_000u64 {
        let n = 12_000_000_000 + i * 19_997;
        if i < 200_000 {
            writeln!(text, "+{n}").unwrap();
            want.push((n, None));
        } else {
            writeln!(text, "{n},2026-01-{:02}", 1 + i % 28).unwrap();
            want.push((n, Some(20_454 + (i % 28) as i32)));
        }
    }
    assert!(text.len() > 4 << 20);
    let input = text_file(dir.path(), "big.txt", &text);
    let out = dir.path().join("big.dgl");
    let stats = compile_text_list(&input, &out, None, None).unwrap();
    assert_eq!(stats.lines, 400_000);
    assert_eq!(stats.distinct, 400_000);
    assert_eq!(stats.slow_path, 0);
    let list = open_compiled(&out).unwrap();
    want.sort_unstable();
    assert_eq!(list.set.to_entries(), want);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn mapped_sets_answer_like_built_ones(
        nums in proptest::collection::vec(1u64..=999_999_999_999_999, 0..300),
        cluster in proptest::collection::vec(0u64..40_000, 0..1_500),
    ) {
        let mut all = nums.clone();
        all.extend(cluster.iter().map(|c| 12_125_540_000 + c));
        let set = NumberSet::from_numbers(all.clone());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.dgl");
        write_compiled(&set, None, &path).unwrap();
        let mapped = open_compiled(&path).unwrap().set;
        prop_assert_eq!(mapped.to_entries(), set.to_entries());
        for &n in &all {
            for p in [n, n + 1, n.saturating_sub(1)] {
                if let Some(p) = Number::from_e164_digits(p) {
                    prop_assert_eq!(mapped.contains(p), set.contains(p));
                }
            }
        }
    }
}

/// One text line from pieces that the fast path accepts and pieces it must refuse.
fn text_line() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        (1u64..=999_999_999_999_999).prop_map(|n| format!("+{n}")),
        (1u64..=999_999_999_999_999).prop_map(|n| n.to_string()),
        Just("0212345678".to_string()),
        Just("+39 02 1234".to_string()),
        Just("12a4".to_string()),
        Just("+".to_string()),
        Just(String::new()),
    ];
    let date = prop_oneof![
        Just(String::new()),
        Just(",2026-01-15".to_string()),
        Just(" , 1999-12-31 ".to_string()),
        Just(",2026-02-30".to_string()),
        Just(",2026-01-15,x".to_string()),
    ];
    let tail = prop_oneof![
        Just(""),
        Just(" "),
        Just("\t"),
        Just(" # note"),
        Just("#"),
        Just("\r")
    ];
    let lead = prop_oneof![Just(""), Just("  "), Just("\t")];
    (lead, number, date, tail).prop_map(|(l, n, d, t)| format!("{l}{n}{d}{t}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The streaming compiler reads exactly what the line-by-line loader reads, and
    /// fails on the same first bad line.
    #[test]
    fn compiler_agrees_with_the_text_loader(lines in proptest::collection::vec(text_line(), 0..40)) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        std::fs::write(&input, lines.join("\n")).unwrap();
        let out = dir.path().join("out.dgl");
        let parse = |s: &str| -> Result<Number, String> {
            let d = s.strip_prefix('+').unwrap_or(s);
            if d.starts_with('0') || d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
                return Err(format!("{s:?} is not E.164"));
            }
            d.parse::<u64>().ok().and_then(Number::from_e164_digits).ok_or_else(|| "range".to_string())
        };
        let loaded = dialguard::lists::read_text_list(&input, &parse, dialguard::lists::BadLinePolicy::Fail);
        let compiled = compile_text_list(&input, &out, None, None);
        match (loaded, compiled) {
            (Ok(list), Ok(stats)) => {
                let want = NumberSet::from_dated(list.entries.clone()).to_entries();
                prop_assert_eq!(open_compiled(&out).unwrap().set.to_entries(), want);
                prop_assert_eq!(stats.entries, list.entries.len());
            }
            (Err(ListError::BadLine { line: a, .. }), Err(ListError::BadLine { line: b, .. })) => {
                prop_assert_eq!(a, b);
            }
            (l, c) => prop_assert!(false, "loader {:?} vs compiler {:?}", l, c),
        }
    }
}
