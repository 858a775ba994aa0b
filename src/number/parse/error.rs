//! Why an input is not a dialable number ([`NumberError`]), and the two small values its
//! messages carry: the leading digits and the possible NSN lengths.

use std::fmt;

/// Why an input is not a dialable number. Every variant is `Copy` and built without
/// allocation; its message says what was wrong and what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error(
        "empty input: no digits; pass +<country code><number>, or a national number with a default country"
    )]
    Empty,
    #[error(
        "letter {ch:?} at position {position}: a number may carry a label before it (Tel:, Phone:), an extension after it (ext. 12, x12) or vanity letters after three digits (1-800-FLOWERS); this is none of them"
    )]
    Letter { ch: char, position: usize },
    #[error(
        "unexpected character {ch:?} at position {position}: only digits (of any script), one leading '+', spaces, dashes, dots, brackets and '/' are read"
    )]
    InvalidCharacter { ch: char, position: usize },
    #[error("misplaced '+' at position {position}: '+' may only start the number, once")]
    MisplacedPlus { position: usize },
    #[error(
        "extension marker at position {position}: extensions are not dialable numbers; pass the main number without the extension"
    )]
    Extension { position: usize },
    #[error(
        "too short: {digits} digits after calling code +{calling_code}; at least {min} expected"
    )]
    TooShort {
        digits: u8,
        min: u8,
        calling_code: u16,
    },
    #[error("too long: {digits} digits after calling code +{calling_code}; at most {max} allowed")]
    TooLong {
        digits: u8,
        max: u8,
        calling_code: u16,
    },
    #[error(
        "impossible length: {digits} digits after +{calling_code}; +{calling_code} numbers{lead} have {lengths} digits"
    )]
    LengthForLeadingDigits {
        digits: u8,
        calling_code: u16,
        /// The leading digits the allowed lengths depend on (possibly none).
        lead: LeadingDigits,
        lengths: NsnLengths,
    },
    #[error(
        "no number exists under +{calling_code}{lead}: no valid national number starts with those digits"
    )]
    UnassignedLeadingDigits {
        calling_code: u16,
        lead: LeadingDigits,
    },
    #[error("too long: {digits} digits; an E.164 number has at most 15, country code included")]
    TooManyDigits { digits: usize },
    #[error(
        "calling code starts with 0: after '+' or an international prefix comes the country code (1-9), e.g. +39, not +0039"
    )]
    CallingCodeStartsWithZero,
    #[error("unknown calling code: no assigned country calling code starts the digits {digits}")]
    UnknownCallingCode {
        /// The first (up to three) digits, as a number.
        digits: u16,
    },
    #[error("invalid North American number: {reason}")]
    InvalidNanp { reason: &'static str },
    #[error(
        "the national number after +{calling_code} starts with 0, that country's trunk prefix (dialled only inside the country); drop the 0"
    )]
    TrunkPrefixInNumber { calling_code: u16 },
    #[error(
        "ambiguous: the digits start with +{calling_code}, the default country's own calling code, and are a possible number both with and without it; write +{calling_code}... or the national number with its trunk prefix"
    )]
    AmbiguousCallingCode { calling_code: u16 },
    #[error(
        "{digits} digits without '+' and no default country: cannot tell the country; write +<country code>... or pass a default country"
    )]
    NeedsDefaultCountry { digits: usize },
}

/// The first digits (at most 3) of a national significant number, as named in a length
/// error. Displays as `" starting 391"` (nothing when there are no digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeadingDigits {
    pub(super) digits: [u8; 3],
    pub(super) len: u8,
}

impl LeadingDigits {
    /// The digit values (0-9).
    pub fn digits(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }
}

impl fmt::Display for LeadingDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len > 0 {
            f.write_str(" starting ")?;
            for &d in self.digits() {
                write!(f, "{d}")?;
            }
        }
        Ok(())
    }
}

/// A set of national significant number lengths (0-15 digits). Displays as `9 or 10`,
/// `6 to 12`, `5, 7 or 9`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NsnLengths(pub(super) u16);

impl NsnLengths {
    /// True when an NSN of `len` digits is in the set.
    pub fn contains(&self, len: usize) -> bool {
        len < 16 && self.0 & (1 << len) != 0
    }

    /// The lengths, shortest first.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..16u8).filter(|&l| self.contains(usize::from(l)))
    }
}

impl fmt::Display for NsnLengths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Runs of consecutive lengths; three or more read "a to b".
        let mut runs: [(u8, u8); 8] = [(0, 0); 8];
        let mut n = 0;
        for l in self.iter() {
            if n > 0 && runs[n - 1].1 + 1 == l {
                runs[n - 1].1 = l;
            } else {
                runs[n] = (l, l);
                n += 1;
            }
        }
        let mut items = 0;
        let total: usize = runs[..n]
            .iter()
            .map(|&(a, b)| {
                if b - a >= 2 {
                    1
                } else {
                    usize::from(b - a) + 1
                }
            })
            .sum();
        for &(a, b) in &runs[..n] {
            let parts: &[(u8, u8)] = if b - a >= 2 {
                &[(a, b)]
            } else if a == b {
                &[(a, a)]
            } else {
                &[(a, a), (b, b)]
            };
            for &(x, y) in parts {
                if items > 0 {
                    f.write_str(if items + 1 == total { " or " } else { ", " })?;
                }
                if x == y {
                    write!(f, "{x}")?;
                } else {
                    write!(f, "{x} to {y}")?;
                }
                items += 1;
            }
        }
        Ok(())
    }
}
