//! Public-holiday rules ([`HolidaySpec`]) expanded at compile time into a sorted list of
//! local day numbers ([`HolidayCalendar`]).

use super::CalendarError;
use super::date::{Date, MonthDay, Weekday, days_from_civil, days_in_month};

/// The `n`-th given weekday of a month (US style: "third Monday of January").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NthWeekday {
    /// 1..=12.
    pub month: u8,
    pub weekday: Weekday,
    /// 1..=5, or -1 for the last one. A 5th weekday that a month lacks is skipped.
    pub n: i8,
}

/// A month-day rule limited to a range of years (both bounds inclusive, `None` = open).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DatedHoliday {
    pub date: MonthDay,
    pub from: Option<i32>,
    pub until: Option<i32>,
}

impl DatedHoliday {
    fn applies(&self, year: i32) -> bool {
        self.from.is_none_or(|f| year >= f) && self.until.is_none_or(|u| year <= u)
    }
}

/// Observed-day shifting for holidays that fall on a weekend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Observed {
    /// Weekend holidays are not shifted.
    #[default]
    None,
    /// Saturday → also the Friday before; Sunday → also the Monday after (US federal).
    SatToFriSunToMon,
    /// Sunday → also the Monday after; Saturday not shifted.
    SunToMon,
}

impl Observed {
    /// Parses the policy spelling: `none`, `sat_to_fri_sun_to_mon`, `sun_to_mon`.
    pub fn from_name(name: &str) -> Result<Observed, CalendarError> {
        match name {
            "none" => Ok(Observed::None),
            "sat_to_fri_sun_to_mon" => Ok(Observed::SatToFriSunToMon),
            "sun_to_mon" => Ok(Observed::SunToMon),
            _ => Err(CalendarError::BadObserved {
                text: name.to_string(),
            }),
        }
    }
}

/// Holiday rules of one jurisdiction.
///
/// Expansion order per year: `fixed`, `easter`, `nth_weekday` and `dated` rules give
/// the base days; a base day whose month-day matches an applicable `removed` entry is
/// dropped; each remaining base day on a weekend adds its observed day (the holiday
/// itself still counts); finally the ad-hoc `dates` are added as declared (not shifted,
/// not removable: an explicit declaration wins).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolidaySpec {
    /// Every year.
    pub fixed: Vec<MonthDay>,
    /// Days from Western (Gregorian) Easter Sunday: 1 = Easter Monday, -2 = Good
    /// Friday, 39 = Ascension, 50 = Whit Monday, -47 = Mardi Gras. |offset| ≤ 366.
    pub easter: Vec<i32>,
    pub nth_weekday: Vec<NthWeekday>,
    /// Effective-dated additions.
    pub dated: Vec<DatedHoliday>,
    /// Effective-dated removals: a rule landing on this month-day stops counting in
    /// those years.
    pub removed: Vec<DatedHoliday>,
    /// Ad-hoc declared days.
    pub dates: Vec<Date>,
    pub observed: Observed,
}

/// Gregorian Easter Sunday of `year` (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
///
/// ```
/// use dialguard::calendar::{easter_sunday, Date};
/// assert_eq!(easter_sunday(2026), Date::parse("2026-04-05").unwrap());
/// ```
pub fn easter_sunday(year: i32) -> Date {
    let y = year;
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    Date {
        year,
        month: (n / 31) as u8,
        day: (n % 31 + 1) as u8,
    }
}

fn nth_weekday_day(year: i32, rule: &NthWeekday) -> Option<i32> {
    let dim = days_in_month(year, rule.month);
    if rule.n == -1 {
        let last = days_from_civil(year, rule.month, dim);
        let back =
            (Weekday::of_day(last).index() as i32 - rule.weekday.index() as i32).rem_euclid(7);
        return Some(last - back);
    }
    let first = days_from_civil(year, rule.month, 1);
    let ahead = (rule.weekday.index() as i32 - Weekday::of_day(first).index() as i32).rem_euclid(7);
    let day_of_month = 1 + ahead + 7 * (i32::from(rule.n) - 1);
    (day_of_month <= i32::from(dim)).then_some(first + day_of_month - 1)
}

/// A compiled holiday calendar: sorted, deduplicated local day numbers for
/// `first_year..=last_year`. A day outside that range is **unknown, and answered as a
/// holiday** (the restrictive side): a guard asked about 2046 must not allow a call on a
/// holiday it never computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolidayCalendar {
    days: Vec<i32>,
    first_year: i32,
    last_year: i32,
    /// First and last local day of the built years.
    known: (i32, i32),
}

impl HolidayCalendar {
    /// Years a calendar may be built for (Gregorian Easter needs ≥ 1583).
    pub const YEARS: std::ops::RangeInclusive<i32> = 1583..=9998;

    /// Expands `spec` for `first_year..=last_year`. Observed shifts across a year
    /// boundary (Sat 1 January → Fri 31 December) are included.
    ///
    /// ```
    /// use dialguard::calendar::{HolidayCalendar, HolidaySpec, MonthDay, Date};
    /// let spec = HolidaySpec { fixed: vec![MonthDay::parse("12-25").unwrap()], easter: vec![1], ..Default::default() };
    /// let cal = HolidayCalendar::build(&spec, 2026, 2026).unwrap();
    /// assert!(cal.is_holiday(Date::parse("2026-04-06").unwrap().to_days()));
    /// assert_eq!(cal.holidays_in(2026).map(|d| d.to_string()).collect::<Vec<_>>(), ["2026-04-06", "2026-12-25"]);
    /// ```
    pub fn build(
        spec: &HolidaySpec,
        first_year: i32,
        last_year: i32,
    ) -> Result<HolidayCalendar, CalendarError> {
        if first_year > last_year
            || !Self::YEARS.contains(&first_year)
            || !Self::YEARS.contains(&last_year)
        {
            return Err(CalendarError::BadYearRange {
                first: first_year,
                last: last_year,
            });
        }
        // Re-validate: the fields are public and may have been built by hand.
        for md in spec
            .fixed
            .iter()
            .chain(spec.dated.iter().map(|d| &d.date))
            .chain(spec.removed.iter().map(|d| &d.date))
        {
            MonthDay::new(md.month, md.day)?;
        }
        for dh in spec.dated.iter().chain(&spec.removed) {
            if let (Some(f), Some(u)) = (dh.from, dh.until)
                && f > u
            {
                return Err(CalendarError::BadYearBounds {
                    date: dh.date,
                    from: f,
                    until: u,
                });
            }
        }
        for &off in &spec.easter {
            if off.abs() > 366 {
                return Err(CalendarError::BadEasterOffset { offset: off });
            }
        }
        for rule in &spec.nth_weekday {
            if !(1..=12).contains(&rule.month) || !(rule.n == -1 || (1..=5).contains(&rule.n)) {
                return Err(CalendarError::BadNthWeekday {
                    month: rule.month,
                    n: rule.n,
                });
            }
        }
        for d in &spec.dates {
            Date::new(d.year, d.month, d.day)?;
        }

        let lo = days_from_civil(first_year, 1, 1);
        let hi = days_from_civil(last_year, 12, 31);
        let mut days = Vec::new();
        let mut base = Vec::new();
        // One year either side, so that Easter offsets and observed shifts crossing
        // the year boundary land in range.
        for year in first_year - 1..=last_year + 1 {
            base.clear();
            base.extend(spec.fixed.iter().filter_map(|md| md.in_year(year)));
            base.extend(
                spec.dated
                    .iter()
                    .filter(|d| d.applies(year))
                    .filter_map(|d| d.date.in_year(year)),
            );
            base.extend(
                spec.nth_weekday
                    .iter()
                    .filter_map(|r| nth_weekday_day(year, r))
                    .map(Date::from_days),
            );
            let easter = easter_sunday(year).to_days();
            base.extend(spec.easter.iter().map(|off| Date::from_days(easter + off)));
            for date in &base {
                let removed = spec.removed.iter().any(|r| {
                    r.applies(date.year) && r.date.month == date.month && r.date.day == date.day
                });
                if removed {
                    continue;
                }
                let d = date.to_days();
                days.push(d);
                match (spec.observed, Weekday::of_day(d)) {
                    (Observed::SatToFriSunToMon, Weekday::Sat) => days.push(d - 1),
                    (Observed::SatToFriSunToMon | Observed::SunToMon, Weekday::Sun) => {
                        days.push(d + 1)
                    }
                    _ => {}
                }
            }
        }
        days.extend(spec.dates.iter().map(|d| d.to_days()));
        days.retain(|d| (lo..=hi).contains(d));
        days.sort_unstable();
        days.dedup();
        Ok(HolidayCalendar {
            days,
            first_year,
            last_year,
            known: (lo, hi),
        })
    }

    /// Whether local day `day` is a holiday. Binary search, no allocation.
    #[inline]
    pub fn is_holiday(&self, day: i32) -> bool {
        self.is_unknown(day) || self.days.binary_search(&day).is_ok()
    }

    /// Whether `day` lies outside the built years (then it counts as a holiday).
    #[inline]
    fn is_unknown(&self, day: i32) -> bool {
        day < self.known.0 || day > self.known.1
    }

    /// `(is_holiday(day), is_holiday(day + 1))` with one binary search: the two
    /// questions every day-type decision asks.
    #[inline]
    pub fn holiday_and_eve(&self, day: i32) -> (bool, bool) {
        let i = self.days.partition_point(|&d| d < day);
        let listed = self.days.get(i) == Some(&day);
        let next_listed = self.days.get(i + usize::from(listed)) == Some(&day.saturating_add(1));
        let today = listed || self.is_unknown(day);
        let next = next_listed || self.is_unknown(day.saturating_add(1));
        (today, next && day != i32::MAX)
    }

    /// The holidays of `year` in date order (empty outside the built range).
    pub fn holidays_in(&self, year: i32) -> impl Iterator<Item = Date> + '_ {
        let (lo, hi) = if Date::YEARS.contains(&year) {
            (days_from_civil(year, 1, 1), days_from_civil(year, 12, 31))
        } else {
            (1, 0)
        };
        let start = self.days.partition_point(|&d| d < lo);
        let end = self.days.partition_point(|&d| d <= hi);
        self.days[start..end.max(start)]
            .iter()
            .map(|&d| Date::from_days(d))
    }

    /// All holiday day numbers, sorted.
    pub fn days(&self) -> &[i32] {
        &self.days
    }

    /// The years this calendar was built for.
    pub fn years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_weekday_rules() {
        let mlk = NthWeekday {
            month: 1,
            weekday: Weekday::Mon,
            n: 3,
        };
        assert_eq!(
            nth_weekday_day(2026, &mlk).map(Date::from_days),
            Some(Date::parse("2026-01-19").unwrap())
        );
        let fifth_fri_feb = NthWeekday {
            month: 2,
            weekday: Weekday::Fri,
            n: 5,
        };
        assert_eq!(nth_weekday_day(2026, &fifth_fri_feb), None);
        let last_sun_feb = NthWeekday {
            month: 2,
            weekday: Weekday::Sun,
            n: -1,
        };
        assert_eq!(
            nth_weekday_day(2026, &last_sun_feb).map(Date::from_days),
            Some(Date::parse("2026-02-22").unwrap())
        );
    }

    #[test]
    fn bad_specs_are_errors() {
        let spec = HolidaySpec {
            nth_weekday: vec![NthWeekday {
                month: 1,
                weekday: Weekday::Mon,
                n: 0,
            }],
            ..Default::default()
        };
        assert_eq!(
            HolidayCalendar::build(&spec, 2026, 2026),
            Err(CalendarError::BadNthWeekday { month: 1, n: 0 })
        );
        let spec = HolidaySpec {
            fixed: vec![MonthDay { month: 2, day: 30 }],
            ..Default::default()
        };
        assert_eq!(
            HolidayCalendar::build(&spec, 2026, 2026),
            Err(CalendarError::BadMonthDay {
                text: "02-30".to_string()
            })
        );
        assert_eq!(
            HolidayCalendar::build(&HolidaySpec::default(), 2027, 2026),
            Err(CalendarError::BadYearRange {
                first: 2027,
                last: 2026
            })
        );
        let spec = HolidaySpec {
            easter: vec![400],
            ..Default::default()
        };
        assert_eq!(
            HolidayCalendar::build(&spec, 2026, 2026),
            Err(CalendarError::BadEasterOffset { offset: 400 })
        );
    }

    #[test]
    fn holiday_and_eve_matches_two_lookups() {
        let spec = HolidaySpec {
            fixed: vec![
                MonthDay { month: 12, day: 25 },
                MonthDay { month: 12, day: 26 },
            ],
            easter: vec![-2, 1],
            ..Default::default()
        };
        let cal = HolidayCalendar::build(&spec, 2026, 2027).unwrap();
        let mut eves = 0;
        for d in days_from_civil(2025, 12, 1)..days_from_civil(2028, 2, 1) {
            let got = cal.holiday_and_eve(d);
            assert_eq!(got, (cal.is_holiday(d), cal.is_holiday(d + 1)), "day {d}");
            let known = (days_from_civil(2026, 1, 1)..days_from_civil(2027, 12, 31)).contains(&d);
            eves += usize::from(got.1 && known);
        }
        assert_eq!(eves, 8);
        // Outside the built years every day is unknown, answered as a holiday.
        assert!(cal.is_holiday(days_from_civil(2025, 12, 31)));
        assert!(cal.is_holiday(days_from_civil(2028, 7, 1)));
        assert_eq!(
            cal.holiday_and_eve(days_from_civil(2027, 12, 31)),
            (false, true)
        );
    }

    #[test]
    fn observed_shift_crosses_year_boundary() {
        // 2022-01-01 was a Saturday: observed Friday 2021-12-31.
        let spec = HolidaySpec {
            fixed: vec![MonthDay { month: 1, day: 1 }],
            observed: Observed::SatToFriSunToMon,
            ..Default::default()
        };
        let cal = HolidayCalendar::build(&spec, 2021, 2022).unwrap();
        let got: Vec<String> = cal
            .days()
            .iter()
            .map(|&d| Date::from_days(d).to_string())
            .collect();
        assert_eq!(got, ["2021-01-01", "2021-12-31", "2022-01-01"]);
        assert_eq!(cal.holidays_in(2023).count(), 0);
    }
}
