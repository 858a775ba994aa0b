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
pub struct ZoneId(pub u16);

impl ZoneId {
    /// Number of distinct zones in the data.
    pub const COUNT: usize = tables::ZONE_COUNT;

    /// The IANA name; `""` for an id outside the table (only a hand-made `ZoneId` can be).
    pub fn name(self) -> &'static str {
        ZONE_NAMES.get(usize::from(self.0)).copied().unwrap_or("")
    }

    /// Looks a zone up by its exact IANA name.
    pub fn from_name(s: &str) -> Option<ZoneId> {
        ZONE_NAMES.binary_search(&s).ok().map(|i| ZoneId(i as u16))
    }

    /// Every zone of the data, in name order.
    pub fn all() -> impl Iterator<Item = ZoneId> {
        (0..Self::COUNT).map(|i| ZoneId(i as u16))
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
pub struct RegionId(pub u16);

static UNKNOWN: RegionRow = RegionRow {
    code: "ZZ",
    country: "ZZ",
    subdivision: None,
    calling_code: 0,
};

impl RegionId {
    /// The region of numbers whose calling code is not assigned.
    pub const UNKNOWN: RegionId = RegionId(tables::REGION_ZZ);

    fn row(self) -> &'static RegionRow {
        REGIONS.get(usize::from(self.0)).unwrap_or(&UNKNOWN)
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
            .map(|i| RegionId(i as u16))
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
