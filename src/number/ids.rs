//! Time-zone and region identifiers: small indexes into the compiled tables.

use std::fmt;

use super::tables::{self, REGIONS, RegionRow, ZONE_NAMES};

/// An IANA time zone named in the numbering data (index into the compiled zone table,
/// sorted by name). Names are CLDR-stable ids (`Asia/Calcutta`), all present in tzdata.
///
/// ```
/// use dialguard::number::ZoneId;
/// let rome = ZoneId::from_name("Europe/Rome").unwrap();
/// assert_eq!(rome.name(), "Europe/Rome");
/// assert_eq!(ZoneId::from_name("Europe/Nowhere"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId(
    /// Private to `number`: the generated tables (a sibling module) write ids as
    /// literals; everything else goes through [`ZoneId::from_raw`], which checks range.
    pub(super) u16,
);

impl ZoneId {
    /// Number of distinct zones in the data.
    pub const COUNT: usize = tables::ZONE_COUNT;

    /// The one checked constructor: `None` past the last zone of the data.
    fn from_index(index: usize) -> Option<ZoneId> {
        (index < Self::COUNT)
            .then(|| u16::try_from(index).ok())
            .flatten()
            .map(ZoneId)
    }

    /// The zone with this raw value (as [`raw`](Self::raw) gives it, e.g. across the C
    /// ABI); `None` when it names no zone of the data.
    pub fn from_raw(raw: u16) -> Option<ZoneId> {
        Self::from_index(usize::from(raw))
    }

    /// The raw value, for encodings (C ABI, files); [`from_raw`](Self::from_raw) reads it back.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// Position in the zone table (and in [`ZoneTables::numbering`](crate::calendar::ZoneTables::numbering)).
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        ZONE_NAMES.get(self.index()).copied().unwrap_or("")
    }

    /// Looks a zone up by its exact IANA name.
    pub fn from_name(s: &str) -> Option<ZoneId> {
        ZONE_NAMES.binary_search(&s).ok().and_then(Self::from_index)
    }

    /// Every zone of the data, in name order.
    pub fn all() -> impl Iterator<Item = ZoneId> {
        (0..Self::COUNT).filter_map(Self::from_index)
    }
}

/// A country, or a country subdivision where the numbering plan tells it (US states and
/// Canadian provinces from NANP area codes: `US-FL`, `CA-ON`).
///
/// Codes are ISO 3166-1 alpha-2 (`IT`, `GB`, `PR`), `XX-YY` for subdivisions, `001` for the
/// non-geographic calling codes (+800, +808, +870, +878, +881, +882, +883, +888, +979) and
/// `ZZ` for a number whose calling code is not assigned.
///
/// ```
/// use dialguard::number::RegionId;
/// let fl = RegionId::from_code("US-FL").unwrap();
/// assert_eq!((fl.country(), fl.subdivision(), fl.calling_code()), ("US", Some("FL"), 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionId(
    /// Private to `number`, as for [`ZoneId`]: outside it, [`RegionId::from_raw`].
    pub(super) u16,
);

static UNKNOWN: RegionRow = RegionRow {
    code: "ZZ",
    country: "ZZ",
    subdivision: None,
    calling_code: 0,
};

impl RegionId {
    /// The region of numbers whose calling code is not assigned.
    pub const UNKNOWN: RegionId = RegionId(tables::REGION_ZZ);

    /// Number of regions in the data.
    pub const COUNT: usize = REGIONS.len();

    /// The one checked constructor: `None` past the last region of the data.
    fn from_index(index: usize) -> Option<RegionId> {
        (index < Self::COUNT)
            .then(|| u16::try_from(index).ok())
            .flatten()
            .map(RegionId)
    }

    /// The region with this raw value (as [`raw`](Self::raw) gives it); `None` when it
    /// names no region of the data.
    pub fn from_raw(raw: u16) -> Option<RegionId> {
        Self::from_index(usize::from(raw))
    }

    /// The raw value, for encodings; [`from_raw`](Self::from_raw) reads it back.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// Position in the region table.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    fn row(self) -> &'static RegionRow {
        REGIONS.get(self.index()).unwrap_or(&UNKNOWN)
    }

    /// `"IT"`, `"US-FL"`, `"CA-ON"`, `"PR"`, `"GB"`, `"001"`, `"ZZ"`.
    pub fn code(self) -> &'static str {
        self.row().code
    }

    /// The country part of the code (`"US"` for `US-FL`).
    pub fn country(self) -> &'static str {
        self.row().country
    }

    /// The subdivision part (`Some("FL")` for `US-FL`), `None` for a country.
    pub fn subdivision(self) -> Option<&'static str> {
        self.row().subdivision
    }

    /// The country calling code; 0 for `ZZ` and for `001` (it spans several codes).
    pub fn calling_code(self) -> u16 {
        self.row().calling_code
    }

    /// Looks a region up by its exact code (`"US-FL"`, `"IT"`).
    pub fn from_code(code: &str) -> Option<RegionId> {
        REGIONS
            .binary_search_by(|r| r.code.cmp(code))
            .ok()
            .and_then(Self::from_index)
    }
}

/// Writes the IANA name.
impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Writes the code (`US-FL`).
impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::tables::{ENTRIES, ZONE_SETS};

    #[test]
    fn zone_ids_round_trip_and_reject_out_of_range() {
        assert_eq!(ZoneId::all().count(), ZoneId::COUNT);
        for (i, z) in ZoneId::all().enumerate() {
            assert_eq!(z.index(), i);
            assert_eq!(ZoneId::from_raw(z.raw()), Some(z));
            assert_eq!(ZoneId::from_name(z.name()), Some(z));
        }
        let past = u16::try_from(ZoneId::COUNT).unwrap();
        assert_eq!(ZoneId::from_raw(past), None);
        assert_eq!(ZoneId::from_raw(u16::MAX), None);
    }

    #[test]
    fn region_ids_round_trip_and_reject_out_of_range() {
        for i in 0..RegionId::COUNT {
            let r = RegionId::from_raw(u16::try_from(i).unwrap()).unwrap();
            assert_eq!(r.index(), i);
            assert_eq!(RegionId::from_code(r.code()), Some(r));
        }
        assert_eq!(RegionId::UNKNOWN.code(), "ZZ");
        assert_eq!(
            RegionId::from_raw(RegionId::UNKNOWN.raw()),
            Some(RegionId::UNKNOWN)
        );
        let past = u16::try_from(RegionId::COUNT).unwrap();
        assert_eq!(RegionId::from_raw(past), None);
        assert_eq!(RegionId::from_raw(u16::MAX), None);
    }

    /// The generated tables write ids as literals (the one place that may): every one
    /// must name a real zone or region.
    #[test]
    fn generated_tables_hold_only_valid_ids() {
        for set in ZONE_SETS.iter() {
            for z in set.iter() {
                assert_eq!(ZoneId::from_raw(z.raw()), Some(*z));
            }
        }
        for e in ENTRIES.iter() {
            assert!(
                RegionId::from_raw(e.region).is_some(),
                "region {}",
                e.region
            );
            assert!(
                usize::from(e.zones) < ZONE_SETS.len(),
                "zone set {}",
                e.zones
            );
        }
    }
}
