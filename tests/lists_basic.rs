//! Part A of the lists module: exact sets, prefixes, text lists, consents, overlay.

use std::io::Write;

use dialguard::Number;
use dialguard::lists::{
    BadLine, BadLinePolicy, ConsentIndex, ConsentKind, ConsentRecord, ListError, NumberSet,
    OptOutOverlay, PrefixSet, parse_prefix, read_text_list,
};

fn num(d: u64) -> Number {
    Number::from_e164_digits(d).expect("test number")
}

/// Stand-in for the number parser: `+<digits>` only.
fn parse(s: &str) -> Result<Number, String> {
    let digits = s
        .strip_prefix('+')
        .ok_or_else(|| format!("{s:?} is not +<digits>"))?;
    let v: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not +<digits>"))?;
    Number::from_e164_digits(v).ok_or_else(|| format!("{s:?} is out of range"))
}

fn file_with(contents: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(contents).expect("write");
    f.flush().expect("flush");
    f
}

#[test]
fn set_membership_is_exact() {
    let set = NumberSet::from_numbers(vec![12125550100, 390212345678, 12125550100, 4420794601]);
    assert_eq!(set.len(), 3);
    assert!(!set.is_empty());
    assert!(set.contains(num(12125550100)));
    assert!(set.contains(num(390212345678)));
    assert!(set.contains(num(4420794601)));
    assert!(!set.contains(num(12125550101)));
    assert!(!set.contains(num(12125550099)));
    assert!(!set.contains(num(1212555010))); // same digits, one fewer
    assert!(!set.contains(num(121255501000))); // one more
    assert_eq!(set.registered_on(num(12125550100)), Some(None));
    assert_eq!(set.registered_on(num(12125550101)), None);
    assert!(set.heap_bytes() > 0);

    let empty = NumberSet::from_numbers(vec![]);
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert!(!empty.contains(num(1)));
}

#[test]
fn dated_duplicates_keep_the_earliest_date() {
    let set = NumberSet::from_dated(vec![
        (390212345678, Some(20_500)),
        (390212345678, Some(20_100)),
        (390212345678, Some(20_300)),
        (393331234567, Some(19_000)),
        (393331234567, None), // undated counts as earliest: unknown = since forever
        (12125550100, None),
        (447700900123, Some(-5)),
    ]);
    assert_eq!(set.len(), 4);
    assert_eq!(set.registered_on(num(390212345678)), Some(Some(20_100)));
    assert_eq!(set.registered_on(num(393331234567)), Some(None));
    assert_eq!(set.registered_on(num(12125550100)), Some(None));
    assert_eq!(set.registered_on(num(447700900123)), Some(Some(-5)));
    assert_eq!(set.registered_on(num(447700900124)), None);
}

#[test]
fn prefix_parsing() {
    assert_eq!(parse_prefix("+39899").unwrap(), (39899, 5));
    assert_eq!(parse_prefix("39899*").unwrap(), (39899, 5));
    assert_eq!(parse_prefix("+39899*").unwrap(), (39899, 5));
    assert_eq!(parse_prefix("  +1  ").unwrap(), (1, 1));
    assert_eq!(
        parse_prefix("+999999999999999").unwrap(),
        (999_999_999_999_999, 15)
    );
    for bad in [
        "",
        "+",
        "*",
        "39899",
        "+39 899",
        "+39a99",
        "+0399",
        "+1234567890123456",
        "++39",
        "+39**",
    ] {
        match parse_prefix(bad) {
            Err(ListError::BadPrefix { text, .. }) => assert_eq!(text, bad),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    let msg = parse_prefix("39899").unwrap_err().to_string();
    assert!(msg.contains("\"+39899\""), "{msg}");
}

#[test]
fn prefix_matching_boundaries() {
    let set = PrefixSet::new(&[(39899, 5), (39892, 5), (3989, 4), (1800, 4)]);
    assert!(!set.is_empty());
    assert_eq!(set.len(), 4);
    // The longest prefix wins.
    assert_eq!(set.matches(num(39899123456)), Some((39899, 5)));
    assert_eq!(set.matches(num(3989912)), Some((39899, 5)));
    assert_eq!(set.matches(num(39899)), Some((39899, 5)));
    assert_eq!(set.matches(num(39898123456)), Some((3989, 4)));
    assert_eq!(set.matches(num(39892000000)), Some((39892, 5)));
    assert_eq!(set.matches(num(18005550100)), Some((1800, 4)));
    // Shorter than the prefix, or a different digit at the boundary.
    assert_eq!(set.matches(num(398)), None);
    assert_eq!(set.matches(num(39901234567)), None);
    assert_eq!(set.matches(num(18015550100)), None);

    let only = PrefixSet::new(&[(39899, 5)]);
    assert_eq!(only.matches(num(3989)), None);
    assert_eq!(only.matches(num(39898999999)), None);
    assert_eq!(only.matches(num(39900000000)), None);

    let empty = PrefixSet::new(&[]);
    assert!(empty.is_empty());
    assert_eq!(empty.matches(num(39899123456)), None);
}

const LIST: &[u8] = b"\xEF\xBB\xBF# RPO extract\r\n\
+390212345678,2026-01-15\r\n\
\r\n\
   +393331234567   \r\n\
not-a-number\r\n\
+390212345679 , 2026-02-30\r\n\
+390212345680,2026-03-01 # trailing comment\r\n\
+390212345681,2026-03-01,extra\n\
+390212345682";

#[test]
fn text_list_skip_reports_exact_lines() {
    let f = file_with(LIST);
    let list = read_text_list(f.path(), &parse, BadLinePolicy::Skip).unwrap();
    assert_eq!(
        list.entries,
        vec![
            (390212345678, Some(20_468)),
            (393331234567, None),
            (390212345680, Some(20_513)),
            (390212345682, None),
        ]
    );
    let lines: Vec<(usize, &str)> = list
        .skipped
        .iter()
        .map(|b| (b.line, b.text.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (5, "not-a-number"),
            (6, "+390212345679 , 2026-02-30"),
            (8, "+390212345681,2026-03-01,extra"),
        ]
    );
    assert_eq!(list.skipped[0].error, "\"not-a-number\" is not +<digits>");
    assert!(list.skipped[1].error.contains("YYYY-MM-DD"));
    assert!(list.skipped[2].error.contains("too many fields"));
}

#[test]
fn text_list_fail_stops_at_first_bad_line() {
    let f = file_with(LIST);
    let err = read_text_list(f.path(), &parse, BadLinePolicy::Fail).unwrap_err();
    match &err {
        ListError::BadLine {
            path, line, text, ..
        } => {
            assert_eq!(path, f.path());
            assert_eq!(*line, 5);
            assert_eq!(text, "not-a-number");
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("{}:5:", f.path().display())), "{msg}");
}

#[test]
fn text_list_good_file_and_empty_file() {
    let f = file_with(b"+12125550100\n+12125550101,1970-01-02\n");
    let list = read_text_list(f.path(), &parse, BadLinePolicy::Fail).unwrap();
    assert_eq!(
        list.entries,
        vec![(12125550100, None), (12125550101, Some(1))]
    );
    assert_eq!(list.skipped, Vec::<BadLine>::new());
    let e = file_with(b"");
    let list = read_text_list(e.path(), &parse, BadLinePolicy::Fail).unwrap();
    assert!(list.entries.is_empty());
}

#[test]
fn missing_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let err = read_text_list(&missing, &parse, BadLinePolicy::Fail).unwrap_err();
    match &err {
        ListError::Io { path, source } => {
            assert_eq!(path, &missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("nope.txt"));
    let err = ConsentIndex::read_csv(&missing, &parse, BadLinePolicy::Fail).unwrap_err();
    assert!(matches!(err, ListError::Io { ref path, .. } if path == &missing));
}

const DAY: i64 = 86_400;

#[test]
fn consent_csv_parses_every_field() {
    let f = file_with(
        b"number,kind,granted_at,expires_at,campaign,revoked_at\n\
          +390212345678,consent,2026-01-15,,*,\n\
          +390212345678,contract,2025-06-01,2026-05-31,winter,\n\
          +12125550100,ebr,2026-11-20T09:30:00-05:00,2028-05-20,,2026-12-01\n\
          # a comment\n\
          +12125550101,CONSENT,2026-01-01T00:00:00Z,,\"spring, 2027\",\n",
    );
    let (idx, skipped) = ConsentIndex::read_csv(f.path(), &parse, BadLinePolicy::Fail).unwrap();
    assert!(skipped.is_empty());
    assert_eq!(idx.len(), 4);
    assert_eq!(
        idx.lookup(num(390212345678)),
        &[
            ConsentRecord {
                kind: ConsentKind::Consent,
                granted_at: 20_468 * DAY,
                expires_at: None,
                revoked_at: None,
                campaign: None,
                local_dates: ConsentRecord::GRANTED_DATE,
            },
            ConsentRecord {
                kind: ConsentKind::Contract,
                granted_at: 20_240 * DAY,
                expires_at: Some(20_604 * DAY),
                revoked_at: None,
                campaign: Some("winter".into()),
                local_dates: ConsentRecord::GRANTED_DATE | ConsentRecord::EXPIRES_DATE,
            },
        ]
    );
    assert_eq!(
        idx.lookup(num(12125550100)),
        &[ConsentRecord {
            kind: ConsentKind::Ebr,
            granted_at: 1_795_185_000, // 2026-11-20T14:30:00Z
            expires_at: Some(21_324 * DAY),
            revoked_at: Some(20_788 * DAY),
            campaign: None,
            local_dates: ConsentRecord::EXPIRES_DATE | ConsentRecord::REVOKED_DATE,
        }]
    );
    assert_eq!(
        idx.lookup(num(12125550101)),
        &[ConsentRecord {
            kind: ConsentKind::Consent,
            granted_at: 20_454 * DAY,
            expires_at: None,
            revoked_at: None,
            campaign: Some("spring, 2027".into()),
            local_dates: 0, // an RFC 3339 instant, not a local date
        }]
    );
    assert_eq!(idx.lookup(num(12125550102)), &[]);
}

#[test]
fn consent_csv_header_errors() {
    let cases: [(&[u8], &str); 4] = [
        (
            b"number,kind,granted,expires_at,campaign\n",
            "unknown column \"granted\"",
        ),
        (
            b"\n# c\nnumber,kind,granted_at,campaign\n",
            "missing column(s) expires_at",
        ),
        (
            b"number,kind,kind,granted_at,expires_at,campaign\n",
            "appears twice",
        ),
        (
            b"+390212345678,consent,2026-01-15,,*\n",
            "unknown column \"+390212345678\"",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let f = file_with(text);
        for policy in [BadLinePolicy::Fail, BadLinePolicy::Skip] {
            let err = ConsentIndex::read_csv(f.path(), &parse, policy).unwrap_err();
            match &err {
                ListError::BadLine { line, error, .. } => {
                    assert_eq!(*line, if i == 1 { 3 } else { 1 });
                    assert!(error.contains(want), "{error}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let empty = file_with(b"\n\n");
    let err = ConsentIndex::read_csv(empty.path(), &parse, BadLinePolicy::Skip).unwrap_err();
    assert!(matches!(err, ListError::BadFile { .. }), "{err:?}");
}

#[test]
fn consent_csv_bad_rows() {
    let text = b"number,kind,granted_at,expires_at,campaign\n\
        +390212345678,consent,2026-01-15,,*\n\
        +390212345679,optin,2026-01-15,,*\n\
        +390212345680,consent,2026-02-30,,*\n\
        +390212345681,consent,,,*\n\
        +390212345682,consent,2026-01-15,2025-01-01,*\n\
        +390212345683,consent,2026-01-15,*\n\
        390212345684,consent,2026-01-15,,*\n\
        +390212345685,contract,2026-01-15,yesterday,*\n";
    let f = file_with(text);
    let (idx, skipped) = ConsentIndex::read_csv(f.path(), &parse, BadLinePolicy::Skip).unwrap();
    assert_eq!(idx.len(), 1);
    assert_eq!(idx.lookup(num(390212345678)).len(), 1);
    let got: Vec<usize> = skipped.iter().map(|b| b.line).collect();
    assert_eq!(got, vec![3, 4, 5, 6, 7, 8, 9]);
    assert!(skipped[0].error.contains("bad kind \"optin\""));
    assert!(skipped[1].error.contains("granted_at"));
    assert!(skipped[1].error.contains("YYYY-MM-DD"));
    assert!(skipped[2].error.contains("granted_at is empty"));
    assert!(skipped[3].error.contains("before granted_at"));
    assert!(skipped[4].error.contains("4 fields, but the header has 5"));
    assert!(skipped[5].error.contains("not +<digits>"));
    assert!(
        skipped[6]
            .error
            .contains("expires_at: bad instant \"yesterday\"")
    );

    let err = ConsentIndex::read_csv(f.path(), &parse, BadLinePolicy::Fail).unwrap_err();
    match err {
        ListError::BadLine { line, text, .. } => {
            assert_eq!(line, 3);
            assert_eq!(text, "+390212345679,optin,2026-01-15,,*");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn consent_from_records_keeps_order() {
    let rec = |g: i64| ConsentRecord {
        kind: ConsentKind::Ebr,
        granted_at: g,
        expires_at: None,
        revoked_at: None,
        campaign: None,
        local_dates: 0,
    };
    let idx = ConsentIndex::from_records(vec![(5, rec(3)), (4, rec(1)), (5, rec(2))]);
    let grants: Vec<i64> = idx.lookup(num(5)).iter().map(|r| r.granted_at).collect();
    assert_eq!(grants, vec![3, 2]);
    assert_eq!(idx.lookup(num(4)), &[rec(1)]);
    assert_eq!(idx.len(), 3);
}

#[test]
fn overlay_is_shared_across_threads() {
    let overlay = OptOutOverlay::new();
    let a = num(12125550100);
    assert!(overlay.is_empty());
    assert!(!overlay.contains(a));
    assert_eq!(overlay.opted_out_at(a), None);
    assert!(overlay.insert(a, 200));
    assert!(!overlay.insert(a, 100)); // earlier instant kept
    assert!(!overlay.insert(a, 300));
    assert_eq!(overlay.opted_out_at(a), Some(100));
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let o = &overlay;
            s.spawn(move || {
                for i in 0..1000u64 {
                    o.insert(num(390_200_000_000 + t * 10_000 + i), i as i64);
                }
            });
        }
    });
    assert_eq!(overlay.len(), 2001);
    assert!(overlay.contains(num(390_200_010_999)));
    assert!(!overlay.contains(num(390_200_011_000)));
    let snap = overlay.snapshot();
    assert_eq!(snap.len(), 2001);
    assert_eq!(snap[0], (a, 100));
    assert_eq!(snap[1], (num(390_200_000_000), 0));
    assert_eq!(overlay.iter().last(), Some((num(390_200_010_999), 999)));
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<NumberSet>();
    check::<PrefixSet>();
    check::<ConsentIndex>();
    check::<OptOutOverlay>();
    check::<dialguard::lists::CompiledList>();
}
