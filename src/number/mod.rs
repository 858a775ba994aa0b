//! Phone numbers: parsing what dialers send into E.164 ([`Number`]) and mapping a number
//! to its region and candidate time zones, from numbering-plan data compiled in.
//!
//! This module owns [`parse`] (raw text → [`Number`], given an optional default
//! [`Country`]), [`locate`] (number → [`Location`]: [`RegionId`] + candidate [`ZoneId`]s)
//! and the tables generated from `data/numbering/*.tsv` into `src/number/generated.rs` (see
//! data/numbering/SOURCES.md; build/numbering.rs is the generator).
//! Both calls are allocation-free; `locate` is one binary search in a static array.
//!
//! ```
//! use dialguard::number::{Country, locate, parse};
//! let us = Country::from_iso("US").unwrap();
//! let n = parse("(407) 555-0123", Some(&us)).unwrap();
//! assert_eq!(n.to_string(), "+14075550123");
//! let loc = locate(n);
//! assert_eq!(loc.region.code(), "US-FL");
//! assert_eq!(loc.zones.iter().map(|z| z.name()).collect::<Vec<_>>(), ["America/New_York"]);
//! ```
//!
//! # Data decisions (applied by the generator, build/numbering.rs)
//!
//! **Zones** are the longest matching prefix row of tz_prefix.tsv, after these changes.
//! A caller must require a calling window to hold in *every* returned zone, so where the
//! data is unsure the answer is the union (more zones = more restrictive = safe side).
//!
//! | rows | change | why |
//! | --- | --- | --- |
//! | tz_errata.tsv `high`: 1689, 1867393/456/536/633/667/668/993, 1879, 353 | replaced by the suggested zones | Orlando is Eastern; Yukon is permanent UTC-7; Labrador has DST; Ireland is Dublin |
//! | tz_errata.tsv `medium`/`low`: 1867334, 1907581, 1915, 1931 | union of both lists | unverified: keep both candidates |
//! | longer rows repeating an erratum's wrong value (353539253) | same change | same error |
//! | NANP NPA rows (`1NPA`, geographic codes) | union of every row under the NPA and under its overlay partners | the bare NPA row can be narrower than the code: 1928 says Phoenix, its Navajo Nation exchanges Denver+Phoenix; an exchange the data does not list may be anywhere in the area code |
//! | AU `617` | union of its subtree (Brisbane, Sydney) | the row says Sydney, all 130 exchanges Brisbane (no DST) |
//! | mobile / non-geographic ranges of multi-zone countries: ES 6, 7, 80, 90; AU 4, 5, 13, 18; RU 9; KZ 70, 747, 77; PT 9; ID 8; CL 9; EC 9; NZ 2; CD 8, 9 | all zones of the country (regions.tsv `region_tz`) | libphonenumber's rows there describe fixed lines only (a Spanish mobile may be on the Canaries) |
//!
//! NANP non-geographic codes (800, 900, 5XX, ...) have no row of their own and get the
//! `1` row: all 42 NANP zones. The non-geographic entities +800/+808/+870/... get *all*
//! zones (there is no location to respect). Single-zone countries (IT, FR, GB, DE, IE, ...)
//! are not changed: their mobile rows already name the country's zone(s).
//!
//! **Regions**: the calling code's main region of regions.tsv, or the region whose
//! `leading_digits` (expanded to literal prefixes) match: VA `+39 06698`, IM, SJ, AX, KZ
//! in +7, etc. GG and JE have no leading digits and stay GB. For +1, nanp_npa.tsv gives
//! the region (US, CA, PR, JM, ...) and, for US/CA codes in one state/province, the
//! subdivision (`US-NJ`, `CA-ON`); codes spanning several (902 NS/PE, 867 NT/NU/YT) are
//! the country (`CA`). NANP-wide codes (800, 900, 700, ...) are `US`. Non-geographic
//! global codes are `001`; a number under an unassigned code is `ZZ` with all zones.
//! An area code tells where a number was *issued*, not where its owner is now.

use std::fmt;

/// An E.164 number held as its digits in a `u64` (at most 15 digits; the country code
/// never starts with 0, so the value is unique). Italian numbers keep their leading 0:
/// `+39 02 1234 5678` is `Number(390212345678)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Number(u64);

impl Number {
    /// Largest E.164 value (15 digits).
    pub const MAX: u64 = 999_999_999_999_999;

    /// Wraps E.164 digits; `None` when zero or longer than 15 digits.
    pub const fn from_e164_digits(digits: u64) -> Option<Number> {
        if digits == 0 || digits > Self::MAX {
            None
        } else {
            Some(Number(digits))
        }
    }

    /// The digits as an integer.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// How many digits the number has (1–15).
    pub const fn digit_count(self) -> u32 {
        self.0.ilog10() + 1
    }

    /// True when the number starts with the digits of `prefix` (itself `prefix_len`
    /// digits long, 1–15).
    pub const fn has_prefix(self, prefix: u64, prefix_len: u32) -> bool {
        let n = self.digit_count();
        if prefix_len > n {
            return false;
        }
        self.0 / 10u64.pow(n - prefix_len) == prefix
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

mod e164;
mod ids;
mod locate;
mod messy;
mod parse;
mod tables;

pub use e164::validate_e164;
pub use ids::{RegionId, ZoneId};
pub use locate::{Location, locate};
pub use messy::Extension;
pub use parse::{Country, LeadingDigits, NsnLengths, NumberError, parse, parse_with_extension};
