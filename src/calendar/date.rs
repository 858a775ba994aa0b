//! Proleptic Gregorian dates as day numbers: [`Date`], [`MonthDay`], [`Weekday`].
//!
//! A *day number* is the count of days since 1970-01-01 (day 0, a Thursday). Local days
//! everywhere in this module are day numbers of the LOCAL date.

use super::CalendarError;

/// Day of the week, Monday first (ISO 8601). The discriminant is the index used by
/// [`WeeklyWindows`](super::WeeklyWindows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Weekday {
    Mon = 0,
    Tue = 1,
    Wed = 2,
    Thu = 3,
    Fri = 4,
    Sat = 5,
    Sun = 6,
}

impl Weekday {
    /// All weekdays, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The weekday of a day number (1970-01-01 was a Thursday).
    ///
    /// ```
    /// use dialguard::calendar::{Date, Weekday};
    /// let d = Date::parse("2026-04-06").unwrap().to_days();
    /// assert_eq!(Weekday::of_day(d), Weekday::Mon);
    /// ```
    #[inline]
    pub const fn of_day(day: i32) -> Weekday {
        Weekday::ALL[((day as i64 + 3).rem_euclid(7)) as usize]
    }

    /// Index 0 (Monday) ..= 6 (Sunday).
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Parses a weekday name as written in policies: `mon`, `monday`, case-insensitive.
    ///
    /// ```
    /// use dialguard::calendar::Weekday;
    /// assert_eq!(Weekday::from_name("mon").unwrap(), Weekday::Mon);
    /// assert_eq!(Weekday::from_name("Sunday").unwrap(), Weekday::Sun);
    /// assert!(Weekday::from_name("mo").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Weekday, CalendarError> {
        const NAMES: [(&str, &str); 7] = [
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ];
        NAMES
            .iter()
            .position(|(short, long)| {
                name.eq_ignore_ascii_case(short) || name.eq_ignore_ascii_case(long)
            })
            .map(|i| Weekday::ALL[i])
            .ok_or_else(|| CalendarError::BadWeekday {
                text: name.to_string(),
            })
    }

    /// The short lower-case name (`"mon"`).
    pub const fn name(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self as usize]
    }
}

/// Whether `year` is a Gregorian leap year.
pub const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1..=12) of `year`; 0 for an invalid month.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day number of a valid civil date (H. Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(year: i32, month: u8, day: u8) -> i32 {
    let y = year as i64 - if month <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// Civil date of a day number (H. Hinnant's `civil_from_days`).
pub(crate) const fn civil_from_days(days: i32) -> (i32, u8, u8) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y as i32, m as u8, d as u8)
}

/// Parses exactly `n` ASCII digits.
fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Years accepted by [`Date::new`]; the same range jiff supports.
    pub const YEARS: std::ops::RangeInclusive<i32> = -9999..=9999;

    /// A validated date.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, CalendarError> {
        if !Self::YEARS.contains(&year) || day == 0 || day > days_in_month(year, month) {
            return Err(CalendarError::BadDate {
                text: format!("{year:04}-{month:02}-{day:02}"),
            });
        }
        Ok(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    ///
    /// ```
    /// use dialguard::calendar::Date;
    /// let d = Date::parse("2026-10-04").unwrap();
    /// assert_eq!((d.year, d.month, d.day), (2026, 10, 4));
    /// assert_eq!(Date::from_days(d.to_days()), d);
    /// assert!(Date::parse("2026-02-29").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Date, CalendarError> {
        let bad = || CalendarError::BadDate {
            text: text.to_string(),
        };
        let mut parts = text.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
            return Err(bad());
        };
        Date::new(y as i32, m as u8, d as u8).map_err(|_| bad())
    }

    /// Days since 1970-01-01.
    #[inline]
    pub const fn to_days(self) -> i32 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date of a day number.
    #[inline]
    pub const fn from_days(days: i32) -> Date {
        let (year, month, day) = civil_from_days(days);
        Date { year, month, day }
    }

    /// Day of the week.
    #[inline]
    pub const fn weekday(self) -> Weekday {
        Weekday::of_day(self.to_days())
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A month and day that recurs every year (`"12-25"`). `02-29` is accepted and only
/// occurs in leap years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonthDay {
    pub month: u8,
    pub day: u8,
}

impl MonthDay {
    /// A validated month-day (02-29 allowed).
    pub fn new(month: u8, day: u8) -> Result<MonthDay, CalendarError> {
        // 2000 is a leap year, so this admits 02-29 and rejects 02-30, 04-31, 13-01.
        if day == 0 || day > days_in_month(2000, month) {
            return Err(CalendarError::BadMonthDay {
                text: format!("{month:02}-{day:02}"),
            });
        }
        Ok(MonthDay { month, day })
    }

    /// Parses `MM-DD`.
    ///
    /// ```
    /// use dialguard::calendar::MonthDay;
    /// assert_eq!(MonthDay::parse("12-25").unwrap(), MonthDay { month: 12, day: 25 });
    /// assert!(MonthDay::parse("02-30").is_err());
    /// assert!(MonthDay::parse("13-01").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<MonthDay, CalendarError> {
        let bad = || CalendarError::BadMonthDay {
            text: text.to_string(),
        };
        let (m, d) = text.split_once('-').ok_or_else(bad)?;
        let (Some(m), Some(d)) = (digits(m, 2), digits(d, 2)) else {
            return Err(bad());
        };
        MonthDay::new(m as u8, d as u8).map_err(|_| bad())
    }

    /// The date in `year`, or `None` for 02-29 in a common year.
    pub fn in_year(self, year: i32) -> Option<Date> {
        Date::new(year, self.month, self.day).ok()
    }
}

impl std::fmt::Display for MonthDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_match_known_points() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().to_days(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().to_days(), 11_017);
        assert_eq!(Date::new(2026, 4, 6).unwrap().to_days(), 20_549);
        assert_eq!(Date::new(1969, 12, 31).unwrap().to_days(), -1);
        for d in -800_000..800_000 {
            let date = Date::from_days(d);
            assert_eq!(date.to_days(), d);
            assert!(date.day >= 1 && date.day <= days_in_month(date.year, date.month));
        }
        assert_eq!(Weekday::of_day(0), Weekday::Thu);
        assert_eq!(Weekday::of_day(-1), Weekday::Wed);
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in [
            "2026-1-04",
            "26-10-04",
            "2026-10-04-",
            "2026-13-01",
            "x",
            "",
        ] {
            assert_eq!(
                Date::parse(bad),
                Err(CalendarError::BadDate {
                    text: bad.to_string()
                })
            );
        }
        assert_eq!(
            MonthDay::parse("2-3"),
            Err(CalendarError::BadMonthDay {
                text: "2-3".to_string()
            })
        );
        assert_eq!(MonthDay::parse("02-29").unwrap().in_year(2026), None);
        assert_eq!(
            MonthDay::parse("02-29").unwrap().in_year(2028),
            Some(Date::new(2028, 2, 29).unwrap())
        );
    }
}
