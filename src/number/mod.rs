//! Phone numbers: parsing what dialers send into E.164 ([`Number`]) and mapping a number
//! to its region and candidate time zones, from numbering-plan data compiled in.

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

mod ids;
mod locate;
mod parse;
mod tables;

pub use ids::{RegionId, ZoneId};
pub use locate::{Location, locate};
pub use parse::{Country, NumberError, parse};
