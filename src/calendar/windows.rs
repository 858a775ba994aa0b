//! Weekly calling windows evaluated in the callee's local time(s): [`WeeklyWindows`].

use super::CalendarError;
use super::date::Weekday;
use super::holidays::HolidayCalendar;
use super::zones::ZoneTables;

/// A half-open window `[start, end)` in minutes of the local day, `0 <= start < end <= 1440`.
pub type Span = (u16, u16);

/// Longest search [`WeeklyWindows::next_open`] performs, whatever its `limit`: about
/// ten years (3 660 days).
pub const MAX_SEARCH: i64 = 3660 * 86_400;

/// Which set of windows governs a local day (for explain output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DayType {
    /// The weekday's own windows.
    Weekday(Weekday),
    /// A holiday: the `holiday` windows replace the weekday's.
    Holiday,
    /// The day before a holiday: the weekday's windows ∩ `pre_holiday`.
    PreHoliday(Weekday),
}

/// Allowed calling windows per day type. See the [module docs](super) for the day-type
/// rules.
///
/// ```
/// use dialguard::calendar::WeeklyWindows;
/// let nine_to_eight = vec![WeeklyWindows::parse_span("09:00-20:00").unwrap()];
/// let w = WeeklyWindows::new(
///     [nine_to_eight.clone(), nine_to_eight.clone(), nine_to_eight.clone(), nine_to_eight.clone(),
///      nine_to_eight, vec![(600, 1140)], vec![]],
///     Some(vec![]),
///     Some(vec![(600, 1140)]),
/// ).unwrap();
/// assert_eq!(w.weekday_windows(dialguard::calendar::Weekday::Mon), &[(540, 1200)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeeklyWindows {
    days: [Vec<Span>; 7],
    holiday: Option<Vec<Span>>,
    pre_holiday: Option<Vec<Span>>,
    /// `days[w] ∩ pre_holiday`, precomputed so the hot path only selects a slice.
    pre_days: [Vec<Span>; 7],
    /// Whether any day type has any window; if not, `next_open` answers at once.
    ever_open: bool,
}

fn fmt_minute(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Sorts, validates and merges touching windows.
fn normalise(what: &'static str, mut spans: Vec<Span>) -> Result<Vec<Span>, CalendarError> {
    for &(start, end) in &spans {
        if start >= end || end > 1440 {
            return Err(CalendarError::BadWindow {
                day: what,
                span: format!("{}-{}", fmt_minute(start), fmt_minute(end)),
            });
        }
    }
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start < last.1 => {
                return Err(CalendarError::OverlappingWindows {
                    day: what,
                    first: format!("{}-{}", fmt_minute(last.0), fmt_minute(last.1)),
                    second: format!("{}-{}", fmt_minute(start), fmt_minute(end)),
                });
            }
            Some(last) if start == last.1 => last.1 = end,
            _ => out.push((start, end)),
        }
    }
    Ok(out)
}

/// Intersection of two sorted, disjoint span lists.
fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let start = a[i].0.max(b[j].0);
        let end = a[i].1.min(b[j].1);
        if start < end {
            out.push((start, end));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

impl WeeklyWindows {
    /// Validates and normalises windows: every span must have `start < end <= 1440`;
    /// spans within one day must not overlap (touching spans are merged); the result is
    /// sorted. An empty list means closed all day.
    pub fn new(
        days: [Vec<Span>; 7],
        holiday: Option<Vec<Span>>,
        pre_holiday: Option<Vec<Span>>,
    ) -> Result<WeeklyWindows, CalendarError> {
        let [mon, tue, wed, thu, fri, sat, sun] = days;
        let days = [
            normalise("mon", mon)?,
            normalise("tue", tue)?,
            normalise("wed", wed)?,
            normalise("thu", thu)?,
            normalise("fri", fri)?,
            normalise("sat", sat)?,
            normalise("sun", sun)?,
        ];
        let holiday = holiday.map(|h| normalise("holiday", h)).transpose()?;
        let pre_holiday = pre_holiday
            .map(|p| normalise("pre_holiday", p))
            .transpose()?;
        let pre_days = std::array::from_fn(|w| match &pre_holiday {
            Some(p) => intersect(&days[w], p),
            None => days[w].clone(),
        });
        let ever_open =
            days.iter().any(|d| !d.is_empty()) || holiday.as_ref().is_some_and(|h| !h.is_empty());
        Ok(WeeklyWindows {
            days,
            holiday,
            pre_holiday,
            pre_days,
            ever_open,
        })
    }

    /// Parses `"HH:MM-HH:MM"` (two digits each, `24:00` allowed as an end) into minutes
    /// of the day.
    ///
    /// ```
    /// use dialguard::calendar::WeeklyWindows;
    /// assert_eq!(WeeklyWindows::parse_span("09:00-20:00").unwrap(), (540, 1200));
    /// assert_eq!(WeeklyWindows::parse_span("00:00-24:00").unwrap(), (0, 1440));
    /// assert!(WeeklyWindows::parse_span("20:00-09:00").is_err());
    /// ```
    pub fn parse_span(text: &str) -> Result<Span, CalendarError> {
        let malformed = || CalendarError::MalformedSpan {
            text: text.to_string(),
        };
        let time = |s: &str| -> Option<u16> {
            let b = s.as_bytes();
            if b.len() != 5 || b[2] != b':' {
                return None;
            }
            let d = |i: usize| b[i].is_ascii_digit().then(|| u16::from(b[i] - b'0'));
            let (h, m) = (d(0)? * 10 + d(1)?, d(3)? * 10 + d(4)?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let (a, b) = text.trim().split_once('-').ok_or_else(malformed)?;
        let (Some(start), Some(end)) = (time(a.trim()), time(b.trim())) else {
            return Err(malformed());
        };
        if start >= end {
            return Err(CalendarError::InvertedSpan {
                text: text.to_string(),
            });
        }
        Ok((start, end))
    }

    /// The weekday's own windows.
    pub fn weekday_windows(&self, weekday: Weekday) -> &[Span] {
        &self.days[weekday.index()]
    }

    /// The `holiday` windows, if the rule has them.
    pub fn holiday_windows(&self) -> Option<&[Span]> {
        self.holiday.as_deref()
    }

    /// The `pre_holiday` windows as given (before intersecting with a weekday).
    pub fn pre_holiday_windows(&self) -> Option<&[Span]> {
        self.pre_holiday.as_deref()
    }

    /// The day type of local day `day` (with weekday `weekday`) under `cal`.
    #[inline]
    pub fn day_type(&self, cal: Option<&HolidayCalendar>, day: i32, weekday: Weekday) -> DayType {
        if let Some(cal) = cal
            && (self.holiday.is_some() || self.pre_holiday.is_some())
        {
            let (today, eve) = cal.holiday_and_eve(day);
            if today && self.holiday.is_some() {
                return DayType::Holiday;
            }
            if eve && self.pre_holiday.is_some() {
                return DayType::PreHoliday(weekday);
            }
        }
        DayType::Weekday(weekday)
    }

    /// The windows in force on local day `day` (with weekday `weekday`), sorted.
    #[inline]
    pub fn windows_on(&self, cal: Option<&HolidayCalendar>, day: i32, weekday: Weekday) -> &[Span] {
        match self.day_type(cal, day, weekday) {
            DayType::Holiday => self.holiday.as_deref().unwrap_or(&[]),
            DayType::PreHoliday(w) => &self.pre_days[w.index()],
            DayType::Weekday(w) => &self.days[w.index()],
        }
    }

    /// Whether the windows are open at instant `t` in EVERY zone of `zones`. An empty
    /// `zones` is never open (fail closed). No allocation.
    #[inline]
    pub fn open_at(
        &self,
        cal: Option<&HolidayCalendar>,
        tables: &ZoneTables,
        zones: &[u16],
        t: i64,
    ) -> bool {
        !zones.is_empty() && zones.iter().all(|&z| self.open_in_zone(cal, tables, z, t))
    }

    #[inline]
    fn open_in_zone(
        &self,
        cal: Option<&HolidayCalendar>,
        tables: &ZoneTables,
        zone: u16,
        t: i64,
    ) -> bool {
        let lt = tables.local(zone, t);
        // second_of_day < 86_400, so the minute fits (1_439 at most).
        let minute = u16::try_from(lt.second_of_day / 60).unwrap_or(u16::MAX);
        self.windows_on(cal, lt.day, lt.weekday)
            .iter()
            .any(|&(s, e)| s <= minute && minute < e)
    }

    /// Earliest instant `>= t` and `< limit` at which `zone` alone is open.
    fn next_open_in_zone(
        &self,
        cal: Option<&HolidayCalendar>,
        tables: &ZoneTables,
        zone: u16,
        t: i64,
        limit: i64,
    ) -> Option<i64> {
        if self.open_in_zone(cal, tables, zone, t) {
            return Some(t);
        }
        let mut best: Option<i64> = None;
        // Start a day early: a fall-back across midnight can bring back the previous
        // local day.
        let mut day = tables.local(zone, t).day.saturating_sub(1);
        loop {
            let day_start = i64::from(day) * 86_400;
            // Earliest instant >= t showing any time of `day` or later; later days only
            // start later, so once this passes `best` or `limit` nothing earlier remains.
            let reach = tables.first_at_or_after(zone, day_start, t);
            if reach >= limit || best.is_some_and(|b| reach >= b) {
                break;
            }
            for &(s, e) in self.windows_on(cal, day, Weekday::of_day(day)) {
                let start = day_start + i64::from(s) * 60;
                let end = day_start + i64::from(e) * 60;
                if let Some(hit) = tables.first_within(zone, start, end, t)
                    && best.is_none_or(|b| hit < b)
                {
                    best = Some(hit);
                }
            }
            if day == i32::MAX {
                break;
            }
            day += 1;
        }
        best.filter(|&b| b < limit)
    }

    /// Earliest instant `t'` in `[t, limit)` at which [`open_at`](Self::open_at) holds,
    /// exact to the second; `None` if there is none. No allocation. The search never
    /// looks further than [`MAX_SEARCH`] past `t`.
    ///
    /// Fixed point: each zone's next opening at or after the candidate is computed and
    /// the candidate moves to the latest of them, until every zone is open at the same
    /// instant. The candidate only moves forward, so the loop ends by `limit`.
    pub fn next_open(
        &self,
        cal: Option<&HolidayCalendar>,
        tables: &ZoneTables,
        zones: &[u16],
        t: i64,
        limit: i64,
    ) -> Option<i64> {
        if zones.is_empty() || !self.ever_open {
            return None;
        }
        // Fast path, the common case on the dial path: open now in every zone.
        if t < limit && self.open_at(cal, tables, zones, t) {
            return Some(t);
        }
        // Bound the work whatever `limit` the caller passes.
        let limit = limit.min(t.saturating_add(MAX_SEARCH));
        let mut cand = t;
        loop {
            if cand >= limit {
                return None;
            }
            let mut moved = false;
            for &z in zones {
                let next = self.next_open_in_zone(cal, tables, z, cand, limit)?;
                if next > cand {
                    cand = next;
                    moved = true;
                }
            }
            if !moved {
                return Some(cand);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_windows_merge_and_intersection() {
        let w = WeeklyWindows::new(
            [
                vec![(840, 1200), (600, 780), (780, 840)],
                vec![],
                vec![],
                vec![],
                vec![(600, 780), (840, 1200)],
                vec![],
                vec![],
            ],
            None,
            Some(vec![(700, 900)]),
        )
        .unwrap();
        assert_eq!(w.weekday_windows(Weekday::Mon), &[(600, 1200)]);
        assert_eq!(
            w.pre_days[Weekday::Fri.index()],
            vec![(700, 780), (840, 900)]
        );
        assert_eq!(w.pre_days[Weekday::Sun.index()], vec![]);
    }
}
