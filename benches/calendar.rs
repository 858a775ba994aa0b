//! Time-zone hot path: table lookups vs jiff, and a 3-window `open_at`.
//!
//! Queries cycle through 4096 pseudo-random (zone, instant) pairs in 2025–2035 over the
//! 8 zones below (the US mainland, Europe and two with other offsets), so branch prediction cannot learn one answer.
//!
//! Run: `cargo bench --bench calendar -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dialguard::calendar::{
    HolidayCalendar, HolidaySpec, MonthDay, Span, WeeklyWindows, ZoneTables,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;

const ZONES: [&str; 8] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/Rome",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
];
const FROM: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
const UNTIL: i64 = 2_082_758_400; // 2036-01-01T00:00:00Z
const N: usize = 4096;

fn queries() -> Vec<(u16, i64)> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..N)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
            (
                (r % 8) as u16,
                FROM + ((r >> 8) % (UNTIL - FROM) as u64) as i64,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tables = ZoneTables::build(&ZONES, FROM, UNTIL).unwrap();
    let tzs: Vec<TimeZone> = ZONES.iter().map(|n| TimeZone::get(n).unwrap()).collect();
    let q = queries();
    let qts: Vec<(usize, Timestamp)> = q
        .iter()
        .map(|&(z, t)| (usize::from(z), Timestamp::from_second(t).unwrap()))
        .collect();

    let mut g = c.benchmark_group("tz");
    let mut i = 0usize;
    g.bench_function("offset_at/tables", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = q[i];
            black_box(tables.offset_at(black_box(z), black_box(t)))
        })
    });
    g.bench_function("offset_at/jiff_to_offset", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = qts[i];
            black_box(tzs[black_box(z)].to_offset(black_box(t)))
        })
    });
    g.bench_function("local/tables", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = q[i];
            let lt = tables.local(black_box(z), black_box(t));
            black_box((lt.day, lt.second_of_day, lt.weekday))
        })
    });
    g.bench_function("local/jiff_to_datetime", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = qts[i];
            let dt = tzs[black_box(z)].to_datetime(black_box(t));
            black_box((dt.hour(), dt.minute(), dt.weekday()))
        })
    });
    g.finish();

    // A 3-window rule (Mon–Fri 09–12, 13–17, 18–20; Sat 10–13) with the Italian holiday
    // calendar, holiday and pre-holiday day types.
    let spec = HolidaySpec {
        fixed: [
            "01-01", "01-06", "04-25", "05-01", "06-02", "08-15", "11-01", "12-08", "12-25",
            "12-26",
        ]
        .into_iter()
        .map(|s| MonthDay::parse(s).unwrap())
        .collect(),
        easter: vec![1],
        ..Default::default()
    };
    let cal = HolidayCalendar::build(&spec, 2025, 2035).unwrap();
    let span = |s: &str| WeeklyWindows::parse_span(s).unwrap();
    let three: Vec<Span> = vec![
        span("09:00-12:00"),
        span("13:00-17:00"),
        span("18:00-20:00"),
    ];
    let w = WeeklyWindows::new(
        [
            three.clone(),
            three.clone(),
            three.clone(),
            three.clone(),
            three,
            vec![span("10:00-13:00")],
            vec![],
        ],
        Some(vec![]),
        Some(vec![span("10:00-19:00")]),
    )
    .unwrap();
    let mut g = c.benchmark_group("windows");
    g.bench_function("open_at/3_windows_1_zone", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = q[i];
            black_box(w.open_at(Some(&cal), &tables, &[black_box(z)], black_box(t)))
        })
    });
    g.bench_function("open_at/3_windows_2_zones", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = q[i];
            let zones = [z, (z + 1) & 7];
            black_box(w.open_at(Some(&cal), &tables, black_box(&zones), black_box(t)))
        })
    });
    g.bench_function("next_open/3_windows_1_zone_14d", |b| {
        b.iter(|| {
            i = (i + 1) & (N - 1);
            let (z, t) = q[i];
            black_box(w.next_open(Some(&cal), &tables, &[black_box(z)], t, t + 14 * 86_400))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
