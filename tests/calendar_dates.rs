//! Calendar module on real dates: Easter, national holiday sets, DST transitions in four
//! continents, agreement with jiff, calling windows and their next opening.

use dialguard::calendar::{
    CalendarError, Date, DatedHoliday, DayType, HolidayCalendar, HolidaySpec, LocalTime, MonthDay,
    NthWeekday, Observed, Span, Weekday, WeeklyWindows, ZoneTables, easter_sunday,
};
use jiff::Timestamp;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Unix seconds of an RFC 3339 instant.
fn at(s: &str) -> i64 {
    s.parse::<Timestamp>().unwrap().as_second()
}

fn day(s: &str) -> i32 {
    Date::parse(s).unwrap().to_days()
}

fn md(s: &str) -> MonthDay {
    MonthDay::parse(s).unwrap()
}

fn span(s: &str) -> Span {
    WeeklyWindows::parse_span(s).unwrap()
}

const FROM_2025: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
const UNTIL_2036: i64 = 2_082_758_400; // 2036-01-01T00:00:00Z

const ZONES: [&str; 10] = [
    "Europe/Rome",
    "America/New_York",
    "America/Chicago",
    "America/Phoenix",
    "Australia/Sydney",
    "Europe/Paris",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe", // 30-minute DST shift
];
const ROME: u16 = 0;
const NEW_YORK: u16 = 1;
const CHICAGO: u16 = 2;
const PHOENIX: u16 = 3;
const SYDNEY: u16 = 4;
const PARIS: u16 = 5;

fn tables() -> ZoneTables {
    ZoneTables::build(&ZONES, FROM_2025, UNTIL_2036).unwrap()
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---------------------------------------------------------------- holidays

#[test]
fn easter_sundays_2000_to_2035() {
    // Reference: python-dateutil `easter()` (EASTER_WESTERN), which matches published tables.
    let expected = [
        "2000-04-23",
        "2001-04-15",
        "2002-03-31",
        "2003-04-20",
        "2004-04-11",
        "2005-03-27",
        "2006-04-16",
        "2007-04-08",
        "2008-03-23",
        "2009-04-12",
        "2010-04-04",
        "2011-04-24",
        "2012-04-08",
        "2013-03-31",
        "2014-04-20",
        "2015-04-05",
        "2016-03-27",
        "2017-04-16",
        "2018-04-01",
        "2019-04-21",
        "2020-04-12",
        "2021-04-04",
        "2022-04-17",
        "2023-04-09",
        "2024-03-31",
        "2025-04-20",
        "2026-04-05",
        "2027-03-28",
        "2028-04-16",
        "2029-04-01",
        "2030-04-21",
        "2031-04-13",
        "2032-03-28",
        "2033-04-17",
        "2034-04-09",
        "2035-03-25",
    ];
    for (i, want) in expected.iter().enumerate() {
        let year = 2000 + i as i32;
        assert_eq!(easter_sunday(year).to_string(), *want, "Easter {year}");
        assert_eq!(easter_sunday(year).weekday(), Weekday::Sun);
    }
}

#[test]
fn easter_relative_holidays() {
    let spec = HolidaySpec {
        easter: vec![-47, -2, 1, 39, 50],
        ..Default::default()
    };
    let cal = HolidayCalendar::build(&spec, 2026, 2027).unwrap();
    let got: Vec<String> = cal.holidays_in(2026).map(|d| d.to_string()).collect();
    assert_eq!(
        got,
        [
            "2026-02-17",
            "2026-04-03",
            "2026-04-06",
            "2026-05-14",
            "2026-05-25"
        ]
    );
    let got: Vec<String> = cal.holidays_in(2027).map(|d| d.to_string()).collect();
    assert_eq!(
        got,
        [
            "2027-02-09",
            "2027-03-26",
            "2027-03-29",
            "2027-05-06",
            "2027-05-17"
        ]
    );
    assert!(cal.is_holiday(day("2027-03-29")));
    assert!(!cal.is_holiday(day("2027-03-28")));
}

fn italy_spec() -> HolidaySpec {
    HolidaySpec {
        fixed: [
            "01-01", "01-06", "04-25", "05-01", "06-02", "08-15", "11-01", "12-08", "12-25",
            "12-26",
        ]
        .into_iter()
        .map(md)
        .collect(),
        easter: vec![1],
        dated: vec![DatedHoliday {
            date: md("10-04"),
            from: Some(2026),
            until: None,
        }],
        ..Default::default()
    }
}

fn italy() -> HolidayCalendar {
    HolidayCalendar::build(&italy_spec(), 2025, 2035).unwrap()
}

#[test]
fn italy_st_francis_from_2026() {
    let cal = italy();
    assert!(!cal.is_holiday(day("2025-10-04")));
    assert!(cal.is_holiday(day("2026-10-04")));
    assert!(cal.is_holiday(day("2027-10-04")));
    let got: Vec<String> = cal.holidays_in(2026).map(|d| d.to_string()).collect();
    assert_eq!(
        got,
        [
            "2026-01-01",
            "2026-01-06",
            "2026-04-06",
            "2026-04-25",
            "2026-05-01",
            "2026-06-02",
            "2026-08-15",
            "2026-10-04",
            "2026-11-01",
            "2026-12-08",
            "2026-12-25",
            "2026-12-26"
        ]
    );
    assert_eq!(cal.holidays_in(2025).count(), 11);
    assert_eq!(cal.holidays_in(2036).count(), 0);
}

fn us_federal_spec() -> HolidaySpec {
    let nth = |month, weekday, n| NthWeekday { month, weekday, n };
    HolidaySpec {
        fixed: ["01-01", "06-19", "07-04", "11-11", "12-25"]
            .into_iter()
            .map(md)
            .collect(),
        nth_weekday: vec![
            nth(1, Weekday::Mon, 3),  // Martin Luther King Jr. Day
            nth(2, Weekday::Mon, 3),  // Washington's Birthday
            nth(5, Weekday::Mon, -1), // Memorial Day
            nth(9, Weekday::Mon, 1),  // Labor Day
            nth(10, Weekday::Mon, 2), // Columbus Day
            nth(11, Weekday::Thu, 4), // Thanksgiving
        ],
        observed: Observed::SatToFriSunToMon,
        ..Default::default()
    }
}

#[test]
fn us_federal_2026() {
    let cal = HolidayCalendar::build(&us_federal_spec(), 2026, 2026).unwrap();
    let got: Vec<String> = cal.holidays_in(2026).map(|d| d.to_string()).collect();
    // July 4 2026 is a Saturday: observed Friday July 3 as well.
    assert_eq!(
        got,
        [
            "2026-01-01",
            "2026-01-19",
            "2026-02-16",
            "2026-05-25",
            "2026-06-19",
            "2026-07-03",
            "2026-07-04",
            "2026-09-07",
            "2026-10-12",
            "2026-11-11",
            "2026-11-26",
            "2026-12-25"
        ]
    );
    // Without shifting, July 3 is an ordinary day.
    let spec = HolidaySpec {
        observed: Observed::None,
        ..us_federal_spec()
    };
    let plain = HolidayCalendar::build(&spec, 2026, 2026).unwrap();
    assert!(!plain.is_holiday(day("2026-07-03")));
    assert!(plain.is_holiday(day("2026-07-04")));
    // Sun-only shifting: 2027-07-04 is a Sunday → Monday 07-05; 2026 Saturday not shifted.
    let spec = HolidaySpec {
        observed: Observed::SunToMon,
        ..us_federal_spec()
    };
    let sun = HolidayCalendar::build(&spec, 2026, 2027).unwrap();
    assert!(!sun.is_holiday(day("2026-07-03")));
    assert!(sun.is_holiday(day("2027-07-05")));
    assert_eq!(
        Observed::from_name("sat_to_fri_sun_to_mon"),
        Ok(Observed::SatToFriSunToMon)
    );
    assert_eq!(
        Observed::from_name("weekend"),
        Err(CalendarError::BadObserved {
            text: "weekend".into()
        })
    );
}

#[test]
fn removal_and_ad_hoc_dates() {
    // Mississippi-style: a fixed holiday that stops counting from 2024.
    let spec = HolidaySpec {
        fixed: vec![md("04-27"), md("12-25")],
        removed: vec![DatedHoliday {
            date: md("04-27"),
            from: Some(2024),
            until: None,
        }],
        dates: vec![Date::parse("2024-11-29").unwrap()],
        ..Default::default()
    };
    let cal = HolidayCalendar::build(&spec, 2023, 2025).unwrap();
    assert!(cal.is_holiday(day("2023-04-27")));
    assert!(!cal.is_holiday(day("2024-04-27")));
    assert!(!cal.is_holiday(day("2025-04-27")));
    assert!(cal.is_holiday(day("2024-12-25")));
    let got: Vec<String> = cal.holidays_in(2024).map(|d| d.to_string()).collect();
    assert_eq!(got, ["2024-11-29", "2024-12-25"]);
}

#[test]
fn bad_dates_are_clear_errors() {
    assert_eq!(
        MonthDay::parse("13-01"),
        Err(CalendarError::BadMonthDay {
            text: "13-01".into()
        })
    );
    assert_eq!(
        MonthDay::parse("02-30"),
        Err(CalendarError::BadMonthDay {
            text: "02-30".into()
        })
    );
    let err = MonthDay::parse("02-30").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid month-day \"02-30\": expected MM-DD naming a real day, e.g. \"12-25\""
    );
    assert_eq!(
        Date::parse("2026-13-01"),
        Err(CalendarError::BadDate {
            text: "2026-13-01".into()
        })
    );
    assert_eq!(
        Weekday::from_name("funday"),
        Err(CalendarError::BadWeekday {
            text: "funday".into()
        })
    );
    let spec = HolidaySpec {
        dated: vec![DatedHoliday {
            date: md("10-04"),
            from: Some(2027),
            until: Some(2026),
        }],
        ..Default::default()
    };
    assert_eq!(
        HolidayCalendar::build(&spec, 2026, 2027),
        Err(CalendarError::BadYearBounds {
            date: md("10-04"),
            from: 2027,
            until: 2026
        })
    );
}

// ---------------------------------------------------------------- zones / DST

#[test]
fn dst_offsets_around_transitions() {
    let t = tables();
    let h = 3600;
    let cases: [(u16, &str, i32, i32); 8] = [
        (ROME, "2026-03-29T01:00:00Z", h, 2 * h),
        (ROME, "2026-10-25T01:00:00Z", 2 * h, h),
        (NEW_YORK, "2026-03-08T07:00:00Z", -5 * h, -4 * h),
        (NEW_YORK, "2026-11-01T06:00:00Z", -4 * h, -5 * h),
        (CHICAGO, "2026-03-08T08:00:00Z", -6 * h, -5 * h),
        (SYDNEY, "2026-04-04T16:00:00Z", 11 * h, 10 * h),
        (SYDNEY, "2026-10-03T16:00:00Z", 10 * h, 11 * h),
        (PARIS, "2026-03-29T01:00:00Z", h, 2 * h),
    ];
    for (zone, instant, before, after) in cases {
        let x = at(instant);
        assert_eq!(
            t.offset_at(zone, x - 1),
            before,
            "zone {zone} before {instant}"
        );
        assert_eq!(t.offset_at(zone, x), after, "zone {zone} at {instant}");
    }
    // Arizona: no DST all year, no transitions stored.
    assert_eq!(t.transitions(PHOENIX), 0);
    for instant in [
        "2026-01-15T12:00:00Z",
        "2026-03-08T07:00:00Z",
        "2026-07-01T12:00:00Z",
    ] {
        assert_eq!(t.offset_at(PHOENIX, at(instant)), -7 * h);
    }
    // New York: two transitions a year, 11 years.
    assert_eq!(t.transitions(NEW_YORK), 22);
    assert_eq!(t.index_of("Australia/Sydney"), Some(SYDNEY));
    assert_eq!(t.name(ROME), Some("Europe/Rome"));
    let version = t.tzdb_version().unwrap();
    assert!(
        version.len() == 5 && version.starts_with("20"),
        "tzdb version {version}"
    );
}

#[test]
fn local_time_around_rome_spring_forward() {
    let t = tables();
    let sunday = day("2026-03-29");
    assert_eq!(
        t.local(ROME, at("2026-03-29T00:59:59Z")),
        LocalTime {
            day: sunday,
            second_of_day: 7199,
            weekday: Weekday::Sun
        }
    );
    assert_eq!(
        t.local(ROME, at("2026-03-29T01:00:00Z")),
        LocalTime {
            day: sunday,
            second_of_day: 3 * 3600,
            weekday: Weekday::Sun
        }
    );
    // Sydney is already on Monday.
    assert_eq!(
        t.local(SYDNEY, at("2026-03-29T13:00:00Z")),
        LocalTime {
            day: sunday + 1,
            second_of_day: 0,
            weekday: Weekday::Mon
        }
    );
}

#[test]
fn to_instant_in_gaps_and_folds() {
    let t = tables();
    let hm = |h: u32, m: u32| h * 3600 + m * 60;
    let cases: [(u16, &str, u32, &str); 12] = [
        // Gaps: the end of the gap.
        (ROME, "2026-03-29", hm(2, 30), "2026-03-29T01:00:00Z"),
        (ROME, "2026-03-29", hm(2, 0), "2026-03-29T01:00:00Z"),
        (NEW_YORK, "2026-03-08", hm(2, 30), "2026-03-08T07:00:00Z"),
        (SYDNEY, "2026-10-04", hm(2, 30), "2026-10-03T16:00:00Z"),
        // Folds: the earlier instant.
        (ROME, "2026-10-25", hm(2, 30), "2026-10-25T00:30:00Z"),
        (NEW_YORK, "2026-11-01", hm(1, 30), "2026-11-01T05:30:00Z"),
        (SYDNEY, "2026-04-05", hm(2, 30), "2026-04-04T15:30:00Z"),
        // Plain times next to the transitions.
        (ROME, "2026-03-29", hm(3, 0), "2026-03-29T01:00:00Z"),
        (ROME, "2026-03-29", hm(1, 59) + 59, "2026-03-29T00:59:59Z"),
        (ROME, "2026-10-25", hm(3, 0), "2026-10-25T02:00:00Z"),
        (NEW_YORK, "2026-11-01", hm(2, 0), "2026-11-01T07:00:00Z"),
        (PHOENIX, "2026-03-08", hm(2, 30), "2026-03-08T09:30:00Z"),
    ];
    for (zone, date, sod, want) in cases {
        assert_eq!(
            t.to_instant(zone, day(date), sod),
            at(want),
            "zone {zone} {date} {sod}"
        );
    }
    // 24:00 is the next midnight.
    assert_eq!(
        t.to_instant(ROME, day("2026-03-28"), 86_400),
        at("2026-03-28T23:00:00Z")
    );
}

#[test]
fn agrees_with_jiff_on_20000_random_instants() {
    let t = tables();
    let tzs: Vec<TimeZone> = ZONES.iter().map(|n| TimeZone::get(n).unwrap()).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let span = (UNTIL_2036 - FROM_2025) as u64;
    for i in 0..22_000 {
        let zone = rng.below(ZONES.len() as u64) as u16;
        // The last 2 000 fall outside the table range (slow path), 1990..2060.
        let x = if i < 20_000 {
            FROM_2025 + rng.below(span) as i64
        } else {
            631_152_000 + rng.below(2_208_988_800) as i64
        };
        let dt = tzs[zone as usize].to_datetime(Timestamp::from_second(x).unwrap());
        let lt = t.local(zone, x);
        let date = Date::from_days(lt.day);
        assert_eq!(
            (date.year, date.month, date.day),
            (i32::from(dt.year()), dt.month() as u8, dt.day() as u8),
            "{} at {x}",
            ZONES[zone as usize]
        );
        assert_eq!(
            lt.second_of_day,
            dt.hour() as u32 * 3600 + dt.minute() as u32 * 60 + dt.second() as u32
        );
        assert_eq!(
            lt.weekday.index(),
            dt.weekday().to_monday_zero_offset() as usize
        );
        assert_eq!(
            t.offset_at(zone, x),
            tzs[zone as usize]
                .to_offset(Timestamp::from_second(x).unwrap())
                .seconds()
        );
    }
}

#[test]
fn to_instant_agrees_with_jiff_disambiguation() {
    let t = tables();
    let tzs: Vec<TimeZone> = ZONES.iter().map(|n| TimeZone::get(n).unwrap()).collect();
    let mut rng = Rng(42);
    let first = day("2025-01-02");
    let (mut gaps, mut folds) = (0, 0);
    for i in 0..20_000 {
        let zone = rng.below(ZONES.len() as u64) as usize;
        let (d, sod) = if i % 2 == 0 {
            // Half the samples: within 2 hours of the wall clock at a real transition.
            let x = FROM_2025 + 86_400 + rng.below(10 * 365 * 86_400) as i64;
            let tr = tzs[zone]
                .following(Timestamp::from_second(x).unwrap())
                .next();
            let Some(tr) = tr else { continue };
            let wall = tr.timestamp().as_second()
                + i64::from(tr.offset().seconds())
                + rng.below(4 * 3600) as i64
                - 2 * 3600;
            (
                wall.div_euclid(86_400) as i32,
                wall.rem_euclid(86_400) as u32,
            )
        } else {
            (first + rng.below(365 * 10) as i32, rng.below(86_400) as u32)
        };
        let ours = t.to_instant(zone as u16, d, sod);
        let date = Date::from_days(d);
        let civil = jiff::civil::date(date.year as i16, date.month as i8, date.day as i8).at(
            (sod / 3600) as i8,
            (sod / 60 % 60) as i8,
            (sod % 60) as i8,
            0,
        );
        let amb = tzs[zone].to_ambiguous_timestamp(civil);
        let wall = i64::from(d) * 86_400 + i64::from(sod);
        match amb.offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                assert_eq!(ours, wall - i64::from(offset.seconds()))
            }
            AmbiguousOffset::Fold { before, .. } => {
                folds += 1;
                assert_eq!(ours, wall - i64::from(before.seconds()))
            }
            AmbiguousOffset::Gap { before, after } => {
                gaps += 1;
                // The transition instant: the clock jumps over `wall` there.
                let (b, a) = (i64::from(before.seconds()), i64::from(after.seconds()));
                assert!(ours + b <= wall && wall < ours + a, "gap at {ours}");
                assert_eq!(t.offset_at(zone as u16, ours), after.seconds());
                assert_eq!(t.offset_at(zone as u16, ours - 1), before.seconds());
            }
        }
    }
    // Both kinds must actually have been exercised.
    assert!(gaps > 500 && folds > 500, "gaps {gaps}, folds {folds}");
}

// ---------------------------------------------------------------- windows

fn italy_windows() -> WeeklyWindows {
    let weekday = vec![span("09:00-20:00")];
    WeeklyWindows::new(
        [
            weekday.clone(),
            weekday.clone(),
            weekday.clone(),
            weekday.clone(),
            weekday,
            vec![span("10:00-19:00")],
            vec![],
        ],
        Some(vec![]),
        Some(vec![span("10:00-19:00")]),
    )
    .unwrap()
}

#[test]
fn italy_code_of_conduct_around_easter_and_liberation_day() {
    let t = tables();
    let w = italy_windows();
    let cal = italy();
    let open = |s: &str| w.open_at(Some(&cal), &t, &[ROME], at(s));
    // Sat 2026-04-04 11:00 Rome (CEST) = 09:00Z: Saturday hours.
    assert!(open("2026-04-04T09:00:00Z"));
    assert!(!open("2026-04-04T07:59:59Z"));
    // Easter Sunday: closed all day, every hour.
    for h in 0..24 {
        let x = at("2026-04-04T22:00:00Z") + h * 3600;
        assert!(
            !w.open_at(Some(&cal), &t, &[ROME], x),
            "Easter Sunday hour {h}"
        );
    }
    // Easter Monday (holiday): closed.
    assert!(!open("2026-04-06T08:00:00Z"));
    assert_eq!(
        w.day_type(Some(&cal), day("2026-04-06"), Weekday::Mon),
        DayType::Holiday
    );
    assert_eq!(
        w.day_type(Some(&cal), day("2026-04-05"), Weekday::Sun),
        DayType::PreHoliday(Weekday::Sun)
    );
    assert_eq!(
        w.windows_on(Some(&cal), day("2026-04-05"), Weekday::Sun),
        &[]
    );
    // From Sunday noon Rome, the next opening is Tue 2026-04-07 09:00 Rome.
    assert_eq!(
        w.next_open(
            Some(&cal),
            &t,
            &[ROME],
            at("2026-04-05T10:00:00Z"),
            at("2026-05-01T00:00:00Z")
        ),
        Some(at("2026-04-07T07:00:00Z"))
    );
    // Half-open: 20:00 closed, 19:59:59 open.
    assert!(open("2026-04-07T17:59:59Z"));
    assert!(!open("2026-04-07T18:00:00Z"));
    // Fri 2026-04-24 is the eve of Liberation Day (Sat 04-25): 10:00-19:00 only.
    assert_eq!(
        w.windows_on(Some(&cal), day("2026-04-24"), Weekday::Fri),
        &[(600, 1140)]
    );
    assert!(!open("2026-04-24T07:30:00Z")); // 09:30
    assert!(open("2026-04-24T08:00:00Z")); // 10:00
    assert!(!open("2026-04-24T17:30:00Z")); // 19:30
    assert_eq!(
        w.next_open(
            Some(&cal),
            &t,
            &[ROME],
            at("2026-04-24T17:30:00Z"),
            at("2026-05-01T00:00:00Z")
        ),
        Some(at("2026-04-27T07:00:00Z"))
    );
    // Without the calendar, Sat 04-25 is an ordinary Saturday.
    assert_eq!(
        w.next_open(
            None,
            &t,
            &[ROME],
            at("2026-04-24T17:30:00Z"),
            at("2026-05-01T00:00:00Z")
        ),
        Some(at("2026-04-24T17:30:00Z"))
    );
    // A rule open only on holidays opens on Easter Monday 10:00 Rome.
    let only_holidays =
        WeeklyWindows::new(Default::default(), Some(vec![span("10:00-12:00")]), None).unwrap();
    assert_eq!(
        only_holidays.next_open(
            Some(&cal),
            &t,
            &[ROME],
            at("2026-04-01T00:00:00Z"),
            i64::MAX
        ),
        Some(at("2026-04-06T08:00:00Z"))
    );
    assert_eq!(
        only_holidays.next_open(None, &t, &[ROME], at("2026-04-01T00:00:00Z"), i64::MAX),
        None
    );
    // St Francis 2026-10-04 is a Sunday; Saturday 10-03 is pre-holiday (Sat ∩ pre).
    assert_eq!(
        w.windows_on(Some(&cal), day("2026-10-03"), Weekday::Sat),
        &[(600, 1140)]
    );
}

fn every_day(spans: &[&str]) -> WeeklyWindows {
    let v: Vec<Span> = spans.iter().map(|s| span(s)).collect();
    WeeklyWindows::new(std::array::from_fn(|_| v.clone()), None, None).unwrap()
}

#[test]
fn us_federal_hours_on_dst_day_and_two_zones() {
    let t = tables();
    let w = every_day(&["08:00-21:00"]);
    // 2026-03-08 07:30 EDT (after the 02:00 jump) = 11:30Z → opens 08:00 EDT = 12:00Z.
    assert_eq!(
        w.next_open(
            None,
            &t,
            &[NEW_YORK],
            at("2026-03-08T11:30:00Z"),
            at("2026-03-09T00:00:00Z")
        ),
        Some(at("2026-03-08T12:00:00Z"))
    );
    // Chicago + New York: 08:00 Chicago = 09:00 New York = 13:00Z (CDT) on 2026-06-01.
    let both = [CHICAGO, NEW_YORK];
    assert_eq!(
        w.next_open(
            None,
            &t,
            &both,
            at("2026-06-01T11:00:00Z"),
            at("2026-06-02T00:00:00Z")
        ),
        Some(at("2026-06-01T13:00:00Z"))
    );
    assert!(!w.open_at(None, &t, &both, at("2026-06-01T12:59:59Z")));
    // Closes at 21:00 New York = 01:00Z.
    assert!(w.open_at(None, &t, &both, at("2026-06-02T00:59:59Z")));
    assert!(!w.open_at(None, &t, &both, at("2026-06-02T01:00:00Z")));
    assert_eq!(
        w.next_open(
            None,
            &t,
            &both,
            at("2026-06-02T01:00:00Z"),
            at("2026-06-03T00:00:00Z")
        ),
        Some(at("2026-06-02T13:00:00Z"))
    );
    // No zones: fail closed.
    assert!(!w.open_at(None, &t, &[], at("2026-06-01T15:00:00Z")));
    assert_eq!(
        w.next_open(None, &t, &[], at("2026-06-01T15:00:00Z"), i64::MAX),
        None
    );
}

#[test]
fn france_lunch_break_and_limit() {
    let t = tables();
    let weekday = vec![span("10:00-13:00"), span("14:00-20:00")];
    let w = WeeklyWindows::new(
        [
            weekday.clone(),
            weekday.clone(),
            weekday.clone(),
            weekday.clone(),
            weekday,
            vec![],
            vec![],
        ],
        None,
        None,
    )
    .unwrap();
    // Tue 2026-06-02 13:30 Paris (CEST) = 11:30Z → 14:00 Paris = 12:00Z.
    let x = at("2026-06-02T11:30:00Z");
    assert_eq!(
        w.next_open(None, &t, &[PARIS], x, at("2026-06-03T00:00:00Z")),
        Some(at("2026-06-02T12:00:00Z"))
    );
    // `limit` is exclusive.
    assert_eq!(
        w.next_open(None, &t, &[PARIS], x, at("2026-06-02T12:00:00Z")),
        None
    );
    assert_eq!(
        w.next_open(None, &t, &[PARIS], x, at("2026-06-02T12:00:01Z")),
        Some(at("2026-06-02T12:00:00Z"))
    );
    // Friday evening → Monday 10:00.
    assert_eq!(
        w.next_open(
            None,
            &t,
            &[PARIS],
            at("2026-06-05T18:00:00Z"),
            at("2026-06-30T00:00:00Z")
        ),
        Some(at("2026-06-08T08:00:00Z"))
    );
    // Closed every day: None, and quickly even with an unbounded limit.
    let never = WeeklyWindows::new(Default::default(), None, None).unwrap();
    assert_eq!(never.next_open(None, &t, &[PARIS], x, i64::MAX), None);
}

#[test]
fn windows_across_dst_changes() {
    let t = tables();
    // A window opening at 02:30 on New York's spring-forward night opens at 03:00 EDT.
    let w = every_day(&["02:30-04:00"]);
    assert_eq!(
        w.next_open(
            None,
            &t,
            &[NEW_YORK],
            at("2026-03-08T05:00:00Z"),
            at("2026-03-10T00:00:00Z")
        ),
        Some(at("2026-03-08T07:00:00Z"))
    );
    // A window lying entirely in the gap does not open that night.
    let w = every_day(&["02:00-02:45"]);
    assert_eq!(
        w.next_open(
            None,
            &t,
            &[NEW_YORK],
            at("2026-03-08T05:00:00Z"),
            at("2026-03-10T00:00:00Z")
        ),
        Some(at("2026-03-09T06:00:00Z"))
    );
    // 01:00-01:30 on the fall-back night happens twice: 05:00Z-05:30Z (EDT), 06:00Z-06:30Z (EST).
    let w = every_day(&["01:00-01:30"]);
    let ny = [NEW_YORK];
    assert!(w.open_at(None, &t, &ny, at("2026-11-01T05:00:00Z")));
    assert!(!w.open_at(None, &t, &ny, at("2026-11-01T05:45:00Z")));
    assert!(w.open_at(None, &t, &ny, at("2026-11-01T06:15:00Z")));
    assert_eq!(
        w.next_open(
            None,
            &t,
            &ny,
            at("2026-11-01T05:30:00Z"),
            at("2026-11-03T00:00:00Z")
        ),
        Some(at("2026-11-01T06:00:00Z"))
    );
    // A window spanning Rome's fall-back hour is open for both passes (00:00Z..02:00Z).
    let w = every_day(&["02:00-03:00"]);
    for x in [
        "2026-10-25T00:00:00Z",
        "2026-10-25T00:59:59Z",
        "2026-10-25T01:00:00Z",
        "2026-10-25T01:59:59Z",
    ] {
        assert!(w.open_at(None, &t, &[ROME], at(x)), "{x}");
    }
    assert!(!w.open_at(None, &t, &[ROME], at("2026-10-25T02:00:00Z")));
    // Sydney spring-forward (2026-10-04 02:00 → 03:00 AEST→AEDT): 02:30 opens at 03:00.
    let w = every_day(&["02:30-05:00"]);
    assert_eq!(
        w.next_open(
            None,
            &t,
            &[SYDNEY],
            at("2026-10-03T12:00:00Z"),
            at("2026-10-05T00:00:00Z")
        ),
        Some(at("2026-10-03T16:00:00Z"))
    );
}

/// Brute force: the open state can only change at whole-minute instants (window edges
/// are whole local minutes; every offset and transition involved is a whole minute).
fn brute_next_open(
    w: &WeeklyWindows,
    cal: Option<&HolidayCalendar>,
    t: &ZoneTables,
    zones: &[u16],
    x: i64,
    limit: i64,
) -> Option<i64> {
    if w.open_at(cal, t, zones, x) {
        return Some(x).filter(|&x| x < limit);
    }
    let mut y = x.div_euclid(60) * 60 + 60;
    while y < limit {
        if w.open_at(cal, t, zones, y) {
            return Some(y);
        }
        y += 60;
    }
    None
}

#[test]
fn next_open_matches_brute_force_near_transitions() {
    let t = tables();
    let cal = italy();
    let windows = [
        italy_windows(),
        every_day(&["01:00-01:30", "02:15-03:30", "23:30-24:00"]),
        every_day(&["08:00-21:00"]),
    ];
    let transitions = [
        "2026-03-29T01:00:00Z",
        "2026-10-25T01:00:00Z",
        "2026-03-08T07:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-04-04T16:00:00Z",
        "2026-10-03T16:00:00Z",
        "2026-04-05T15:00:00Z", // Lord Howe, 30-minute shift
    ];
    let zone_sets: [&[u16]; 5] = [
        &[ROME],
        &[NEW_YORK],
        &[SYDNEY],
        &[CHICAGO, NEW_YORK],
        &[9, SYDNEY],
    ];
    let mut rng = Rng(7);
    for _ in 0..150 {
        let w = &windows[rng.below(3) as usize];
        let zones = zone_sets[rng.below(5) as usize];
        let base = at(transitions[rng.below(transitions.len() as u64) as usize]);
        let x = base - 36 * 3600 + rng.below(72 * 3600) as i64;
        let limit = x + 3 * 86_400;
        let cal = if rng.below(2) == 0 { Some(&cal) } else { None };
        assert_eq!(
            w.next_open(cal, &t, zones, x, limit),
            brute_next_open(w, cal, &t, zones, x, limit),
            "zones {zones:?} from {x}"
        );
    }
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_windows_are_clear_errors() {
    assert_eq!(
        WeeklyWindows::parse_span("25:00-26:00"),
        Err(CalendarError::MalformedSpan {
            text: "25:00-26:00".into()
        })
    );
    assert_eq!(
        WeeklyWindows::parse_span("9-20"),
        Err(CalendarError::MalformedSpan {
            text: "9-20".into()
        })
    );
    assert_eq!(
        WeeklyWindows::parse_span("09:00-08:00"),
        Err(CalendarError::InvertedSpan {
            text: "09:00-08:00".into()
        })
    );
    assert_eq!(
        WeeklyWindows::parse_span("09:00-08:00")
            .unwrap_err()
            .to_string(),
        "time span \"09:00-08:00\" ends before it starts: windows cannot cross midnight; split it into \"..-24:00\" and \"00:00-..\""
    );
    assert_eq!(
        WeeklyWindows::parse_span("24:01-24:30"),
        Err(CalendarError::MalformedSpan {
            text: "24:01-24:30".into()
        })
    );
    let mut days: [Vec<Span>; 7] = Default::default();
    days[2] = vec![span("09:00-13:00"), span("12:00-18:00")];
    let err = WeeklyWindows::new(days, None, None).unwrap_err();
    assert_eq!(
        err,
        CalendarError::OverlappingWindows {
            day: "wed",
            first: "09:00-13:00".into(),
            second: "12:00-18:00".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "windows 09:00-13:00 and 12:00-18:00 on wed overlap: merge them into one window"
    );
    let err = WeeklyWindows::new(Default::default(), Some(vec![(600, 1500)]), None).unwrap_err();
    assert_eq!(
        err,
        CalendarError::BadWindow {
            day: "holiday",
            span: "10:00-25:00".into()
        }
    );
    let err = ZoneTables::build(&["Europe/Roma"], FROM_2025, UNTIL_2036).unwrap_err();
    assert_eq!(
        err,
        CalendarError::UnknownZone {
            name: "Europe/Roma".into()
        }
    );
}
