//! Calling windows, public holidays and time-zone offset tables: everything that
//! answers "is it a lawful hour to call, in the callee's local time?".
//!
//! Owned here:
//! * [`ZoneTables`]: per-zone UTC-offset transition tables built once from jiff's bundled
//!   tzdb, so that instant → local wall clock is a binary search (~20 ns) instead of a
//!   jiff call; plus the reverse, local wall clock → instant, with defined DST behaviour.
//! * [`HolidayCalendar`]: holiday rules ([`HolidaySpec`]: fixed dates, Easter-relative,
//!   n-th weekday, effective-dated additions and removals, ad-hoc days, observed-day
//!   shifts) expanded into a sorted list of local day numbers.
//! * [`WeeklyWindows`]: allowed half-open windows `[start, end)` in minutes of the local
//!   day per day type, with [`open_at`](WeeklyWindows::open_at) and
//!   [`next_open`](WeeklyWindows::next_open).
//!
//! # Units
//! Instants are Unix seconds (`i64`, UTC). Local days are `i32` day numbers: days since
//! 1970-01-01 of the LOCAL date. Windows are minutes of the local day, `0..=1440`.
//!
//! # Day types
//! For a local day `d` in a zone, with a holiday calendar `cal`:
//! 1. If `d` is a holiday and the rule has `holiday` windows, those REPLACE the
//!    weekday's. If the rule has no `holiday` windows, holidays are ordinary days.
//! 2. Else, if `d + 1` is a holiday and the rule has `pre_holiday` windows, the weekday's
//!    windows INTERSECTED with `pre_holiday` apply (Italy: a Sunday before Easter Monday
//!    stays closed; a Friday before a holiday becomes 10:00–19:00).
//! 3. Else the weekday's windows.
//!
//! Without a calendar every day is an ordinary weekday.
//!
//! With several zones (a NANP area code spanning two zones) a window must hold in every
//! zone at the same instant.
//!
//! # DST
//! Windows are wall-clock times. A window start inside a spring-forward gap opens when
//! the gap ends (02:30 → the instant the clock shows 03:00); a window running through a
//! fall-back hour stays open through both passes of that hour; a window that lies
//! entirely in the gap never opens that night.

mod date;
mod holidays;
mod windows;
mod zones;

pub use date::{Date, MonthDay, Weekday, days_in_month, is_leap};
pub use holidays::{
    DatedHoliday, HolidayCalendar, HolidaySpec, NthWeekday, Observed, easter_sunday,
};
pub use windows::{DayType, MAX_SEARCH, Span, WeeklyWindows};
pub use zones::{LocalTime, ZoneTables};

use thiserror::Error;

/// Why a calendar, window or zone definition was rejected.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error(
        "unknown time zone {name:?}: use an IANA name from the bundled tzdb, e.g. \"Europe/Rome\" or \"America/New_York\""
    )]
    UnknownZone { name: String },
    #[error("{count} time zones in one policy; at most 65536 are supported")]
    TooManyZones { count: usize },
    #[error("empty zone-table range [{from}, {until}): `until` must be after `from`")]
    EmptyRange { from: i64, until: i64 },
    #[error(
        "malformed time span {text:?}: expected HH:MM-HH:MM with two-digit hours 00-24 and minutes 00-59, e.g. \"09:00-20:00\""
    )]
    MalformedSpan { text: String },
    #[error(
        "time span {text:?} ends before it starts: windows cannot cross midnight; split it into \"..-24:00\" and \"00:00-..\""
    )]
    InvertedSpan { text: String },
    #[error("window {span} on {day} is empty or ends after 24:00: need start < end <= 24:00")]
    BadWindow { day: &'static str, span: String },
    #[error("windows {first} and {second} on {day} overlap: merge them into one window")]
    OverlappingWindows {
        day: &'static str,
        first: String,
        second: String,
    },
    #[error("invalid month-day {text:?}: expected MM-DD naming a real day, e.g. \"12-25\"")]
    BadMonthDay { text: String },
    #[error("invalid date {text:?}: expected YYYY-MM-DD naming a real day, e.g. \"2026-10-04\"")]
    BadDate { text: String },
    #[error("unknown weekday {text:?}: use mon, tue, wed, thu, fri, sat or sun")]
    BadWeekday { text: String },
    #[error("unknown observed rule {text:?}: use none, sat_to_fri_sun_to_mon or sun_to_mon")]
    BadObserved { text: String },
    #[error(
        "invalid n-th weekday rule (month {month}, n {n}): month must be 1-12 and n 1-5 or -1 for the last"
    )]
    BadNthWeekday { month: u8, n: i8 },
    #[error("Easter offset {offset} is out of range: use -366..=366 days")]
    BadEasterOffset { offset: i32 },
    #[error("holiday {date}: `from` year {from} is after `until` year {until}")]
    BadYearBounds {
        date: MonthDay,
        from: i32,
        until: i32,
    },
    #[error("invalid holiday year range {first}..={last}: need 1583 <= first <= last <= 9998")]
    BadYearRange { first: i32, last: i32 },
}
