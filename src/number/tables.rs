//! The numbering tables generated from data/numbering/*.tsv into the committed
//! `generated.rs` (see build/numbering.rs for how each table is derived and which data
//! decisions it applies; `cargo run --example gen_numbering` regenerates it).

use super::{RegionId, ZoneId};

/// One row of the region table.
pub(crate) struct RegionRow {
    pub code: &'static str,
    pub country: &'static str,
    pub subdivision: Option<&'static str>,
    /// 0 for `ZZ` (unknown) and `001` (non-geographic codes +800, +808, +870, ...).
    pub calling_code: u16,
}

/// Dialing rules of one region, as used when it is the caller's default country.
pub(crate) struct CountryRules {
    pub iso: &'static str,
    pub calling_code: u16,
    #[allow(dead_code)] // kept so a Country can name its region without a search
    pub region: RegionId,
    /// Literal IDD prefixes, longest first.
    pub idd: &'static [&'static [u8]],
    /// Literal trunk (national) prefix, empty when the country has none (IT, ES, SM, ...).
    pub trunk: &'static [u8],
}

/// A prefix of the longest-prefix-match structure, with its resolved answer.
pub(crate) struct PrefixEntry {
    /// Digits in the prefix (1–9).
    pub len: u8,
    /// Next shorter prefix in the table, `NONE` at the top.
    pub parent: u16,
    /// Index into `ZONE_SETS`.
    pub zones: u16,
    /// Index into `REGIONS`.
    pub region: u16,
}

pub(crate) const NONE: u16 = u16::MAX;

// Also generated: `PL_ROOT: [[u16; 2]; 1000]`, `PL_ALL: [u16; 1000]`, `PL_KIDS: [[u16; 2]; _]`,
// the possible NSN lengths per calling code and leading digits (build/numbering.rs
// `possible_lengths`).

include!("generated.rs");
