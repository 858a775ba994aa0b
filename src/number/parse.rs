//! Raw dialer input → E.164 [`Number`], with no allocation.
//!
//! The rules are documented on [`parse`].

use std::fmt;

use super::messy::Extension;
use super::tables::{CC1, CC2, CC3, COUNTRIES, CountryRules, NONE, REGION_TRUNK0};
use super::{Number, RegionId};

mod error;
mod lengths;

pub use error::{LeadingDigits, NsnLengths, NumberError};
use lengths::{cc_len, check};

/// Dialing rules of a default country: its calling code, IDD (international) prefixes
/// and trunk prefix. Cheap to copy (a reference into the compiled table).
///
/// ```
/// use dialguard::number::{Country, parse};
/// let it = Country::from_iso("IT").unwrap();
/// assert_eq!((it.iso(), it.calling_code()), ("IT", 39));
/// assert_eq!(parse("0039 02 1234 5678", Some(&it)).unwrap().get(), 390212345678);
/// assert_eq!(parse("02 1234 5678", Some(&it)).unwrap().get(), 390212345678);
/// ```
#[derive(Clone, Copy)]
pub struct Country(&'static CountryRules);

impl Country {
    /// The region by ISO 3166-1 alpha-2 code (any ASCII case): `"IT"`, `"us"`.
    pub fn from_iso(iso: &str) -> Option<Country> {
        let b = iso.as_bytes();
        if b.len() != 2 {
            return None;
        }
        let up = [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()];
        let key = std::str::from_utf8(&up).ok()?;
        COUNTRIES
            .binary_search_by(|c| c.iso.cmp(key))
            .ok()
            .map(|i| Country(&COUNTRIES[i]))
    }

    /// ISO code, upper case.
    pub fn iso(&self) -> &'static str {
        self.0.iso
    }

    /// Country calling code (`39` for IT, `1` for every NANP country).
    pub fn calling_code(&self) -> u16 {
        self.0.calling_code
    }

    /// The literal IDD prefixes recognised for this country, longest first.
    pub fn idd_prefixes(&self) -> impl Iterator<Item = &'static str> {
        self.0
            .idd
            .iter()
            .map(|p| std::str::from_utf8(p).unwrap_or(""))
    }

    /// The trunk prefix dropped from national numbers (`"0"`, `"1"`, `"8"`), if any.
    pub fn trunk_prefix(&self) -> Option<&'static str> {
        std::str::from_utf8(self.0.trunk)
            .ok()
            .filter(|s| !s.is_empty())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Country").field(&self.0.iso).finish()
    }
}

impl PartialEq for Country {
    fn eq(&self, other: &Self) -> bool {
        self.0.iso == other.0.iso
    }
}
impl Eq for Country {}

impl std::hash::Hash for Country {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.iso.hash(state);
    }
}

/// Digits kept from the input. Longer inputs are counted, then refused.
const BUF: usize = 24;

/// Parses what a dialer sends into E.164, without allocating.
///
/// Accepted input: digits, one leading `+`, and the separators space, tab, `.`, `-`, `(`,
/// `)`, `/`. Everything else is an error that names the character and its position
/// (1-based, in characters). Extensions (`x`, `ext`, `#`, `;ext=`) are errors rather than
/// silently dropped: a guard must not approve a number it did not fully read.
///
/// How digits become E.164:
/// 1. With `+`: country code + national significant number (NSN), checked for length.
/// 2. Without `+`, with a default country:
///    * if the digits start with one of the country's IDD prefixes, what follows is
///      international. The prefixes are the literal expansions of regions.tsv
///      `intl_prefix` (build/numbering.rs): `00` (IT, FR, DE, ES, GB and 166 others), `011` (NANP),
///      `810` (RU, KZ, BY, TJ, TM), AU `0011`/`0014`…`0019`/`14xx0011`, `0[0-3]\d` etc.;
///      patterns that are not finite use `preferred_intl_prefix`;
///    * otherwise the digits are national: the literal trunk prefix (`0` FR/GB/DE/AU,
///      `1` NANP, `8` RU) is dropped when the rest is a valid NSN; IT, ES and SM have none
///      (Italian numbers keep their leading 0). Digits that only make sense with the
///      country code in front (`33 1 23 45 67 89` with default FR, `39 02 1234 5678`
///      with default IT) are read that way, as libphonenumber does; digits possible both
///      ways (`49 6131 969468` with default DE) are [`NumberError::AmbiguousCallingCode`].
///      Not supported: libphonenumber's transform rules (Caribbean 7-digit local dialling,
///      carrier-selection codes in BR/AR/CO); such input is rejected, never guessed.
/// 3. Without `+` and without a default country, the digits are taken as E.164 only when
///    they begin with an assigned calling code and the rest has a plausible length for it,
///    **and** they are not also a well-formed 10-digit NANP national number (`2015550123`
///    would otherwise read as Egypt +20); else [`NumberError::NeedsDefaultCountry`].
///
/// After a calling code, a trunk `0` is dropped when the rest is valid without it
/// (`+44 (0)20 7946 0018`, `+49 (0)30 ...`, as libphonenumber does); other trunk prefixes
/// (`+7 8 495 ...`) only when the number is invalid with them and valid without.
///
/// NSN lengths: only those a valid number (any type: fixed line, mobile, toll free,
/// premium, shared cost, personal, VoIP, pager, UAN, voicemail) with the same first digits
/// can have under libphonenumber's metadata (data/numbering/possible_lengths.tsv, by
/// calling code and up to 3 leading digits: `+39 39…` 9 or 10 digits, `+39 0…` 6 to 11),
/// else [`NumberError::TooShort`], [`NumberError::TooLong`],
/// [`NumberError::LengthForLeadingDigits`] or [`NumberError::UnassignedLeadingDigits`].
/// So the country code typed without '+' is never kept as part of the national number
/// (`39 02 1234 5678` with default IT is `+390212345678`, not a 12-digit `+39 39…`).
/// NANP (+1) also needs NPA and NXX not starting with 0/1 and an NPA that is not N11.
/// In countries whose trunk prefix is 0 an NSN may not start with a single 0
/// ([`NumberError::TrunkPrefixInNumber`]).
///
/// ```
/// use dialguard::number::{Country, parse};
/// let us = Country::from_iso("US").unwrap();
/// assert_eq!(parse("(201) 555-0123", Some(&us)).unwrap().get(), 12015550123);
/// assert_eq!(parse("+44 20 7946 0018", None).unwrap().get(), 442079460018);
/// // The extension is not part of the number (`parse_with_extension` returns it).
/// assert_eq!(parse("201-555-0123 x12", Some(&us)).unwrap().get(), 12015550123);
/// assert!(parse("201-555-0123 ext twelve", Some(&us)).is_err());
/// ```
pub fn parse(input: &str, default_country: Option<&Country>) -> Result<Number, NumberError> {
    let bytes = input.as_bytes();
    let mut buf = [0u8; BUF];
    let mut n = 0usize;
    // Value of all digits so far, wrapping: see `Digits`.
    let mut v = 0u64;
    let mut plus = false;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            if n < BUF {
                buf[n] = digit;
            }
            n += 1;
            v = v.wrapping_mul(10).wrapping_add(u64::from(digit));
        } else if matches!(b, b' ' | b'\t' | b'.' | b'-' | b'(' | b')' | b'/') {
        } else if b == b'+' && !plus && n == 0 {
            plus = true;
        } else {
            // Not plain ASCII digits and separators: the slow path reads Unicode,
            // labels, tel: URIs, extensions and vanity letters (or says why not).
            return parse_messy(input, default_country).map(|(n, _)| n);
        }
    }
    if n == 0 {
        return Err(NumberError::Empty);
    }
    if n > BUF {
        return Err(NumberError::TooManyDigits { digits: n });
    }
    let d = Digits { d: &buf[..n], v };
    if plus {
        return international(d);
    }
    match default_country {
        Some(c) => {
            for idd in c.0.idd {
                if d.len() > idd.len() && starts_with_ascii(d.d, idd) {
                    return international(d.skip(idd.len()));
                }
            }
            national(c.0, d)
        }
        None => bare(d),
    }
}

/// Like [`parse`], and returns the extension the input carried (`ext. 12`, `x12`,
/// `;ext=12`, `int. 3`), which is never part of the number.
///
/// ```
/// use dialguard::number::{Country, parse_with_extension};
/// let it = Country::from_iso("IT").unwrap();
/// let (n, ext) = parse_with_extension("Tel.: 02\u{a0}1234\u{a0}5678 int. 3", Some(&it)).unwrap();
/// assert_eq!((n.get(), ext.unwrap().as_str()), (390212345678, "3"));
/// ```
pub fn parse_with_extension(
    input: &str,
    default_country: Option<&Country>,
) -> Result<(Number, Option<Extension>), NumberError> {
    let plain =
        |b: u8| b.is_ascii_digit() || matches!(b, b' ' | b'\t' | b'.' | b'-' | b'(' | b')' | b'/');
    match input.as_bytes().split_first() {
        Some((&first, rest))
            if (first == b'+' || plain(first)) && rest.iter().all(|&b| plain(b)) =>
        {
            parse(input, default_country).map(|n| (n, None))
        }
        _ => parse_messy(input, default_country),
    }
}

/// The slow path: [`super::messy::clean`] rewrites the input as `+` and ASCII digits,
/// which the fast path then reads without coming back here.
#[cold]
fn parse_messy(
    input: &str,
    default_country: Option<&Country>,
) -> Result<(Number, Option<Extension>), NumberError> {
    let cleaned = super::messy::clean(input)?;
    let n = parse(cleaned.text(), default_country)?;
    Ok((n, cleaned.extension))
}

/// True when the digit values `d` start with the ASCII digits `prefix`.
fn starts_with_ascii(d: &[u8], prefix: &[u8]) -> bool {
    d.len() >= prefix.len()
        && d.iter()
            .zip(prefix)
            .all(|(&x, &p)| x == p.wrapping_sub(b'0'))
}

fn value(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |v, &x| v * 10 + u64::from(x))
}

/// Calling code at the start of `d` and its length in digits. Codes are prefix-free.
fn calling_code(d: &[u8]) -> Option<(u16, usize, u16)> {
    let mut v = 0usize;
    for (l, &x) in d.iter().take(3).enumerate() {
        v = v * 10 + usize::from(x);
        let hit = match l {
            0 => CC1[v],
            1 => CC2[v],
            _ => CC3[v],
        };
        if hit != NONE {
            return Some((v as u16, l + 1, hit));
        }
    }
    None
}

/// Digit values and their integer value. The value is kept modulo 2^64 (wrapping), so
/// it is exact whenever the digits fit in 15, the only case that becomes a [`Number`];
/// this spares a second pass over the digits on the hot path.
#[derive(Clone, Copy)]
struct Digits<'a> {
    d: &'a [u8],
    v: u64,
}

/// 10^i modulo 2^64.
const POW10W: [u64; BUF + 1] = {
    let mut t = [1u64; BUF + 1];
    let mut i = 1;
    while i <= BUF {
        t[i] = t[i - 1].wrapping_mul(10);
        i += 1;
    }
    t
};

impl<'a> Digits<'a> {
    fn len(&self) -> usize {
        self.d.len()
    }

    /// The digits after the first `k` (`k <= len`).
    fn skip(self, k: usize) -> Digits<'a> {
        let rest = self.d.len() - k;
        let head = value(&self.d[..k]).wrapping_mul(POW10W[rest]);
        Digits {
            d: &self.d[k..],
            v: self.v.wrapping_sub(head),
        }
    }
}

/// `cc` followed by `nsn` (already checked: at most 15 digits in all).
fn make(cc: u16, nsn: Digits<'_>) -> Number {
    Number(u64::from(cc) * POW10W[nsn.len()] + nsn.v)
}

/// `d` = calling code + NSN (after `+` or an IDD prefix).
fn international(d: Digits<'_>) -> Result<Number, NumberError> {
    if d.len() > 15 {
        return Err(NumberError::TooManyDigits { digits: d.len() });
    }
    if d.d.first() == Some(&0) {
        return Err(NumberError::CallingCodeStartsWithZero);
    }
    let Some((cc, l, region)) = calling_code(d.d) else {
        return Err(NumberError::UnknownCallingCode {
            digits: value(&d.d[..d.len().min(3)]) as u16,
        });
    };
    // `+44 (0)20 ...`: a trunk 0 after the calling code is dropped when the rest is valid
    // (libphonenumber does the same; a trunk-0 country's NSN does not start with 0). Only
    // one 0 followed by a non-zero digit, so parsing the result again gives it back.
    if d.d.get(l) == Some(&0)
        && d.d.get(l + 1).is_some_and(|&x| x != 0)
        && REGION_TRUNK0[usize::from(region)]
        && check(cc, &d.d[l + 1..]).is_ok()
    {
        return Ok(make(cc, d.skip(l + 1)));
    }
    match check(cc, &d.d[l..]) {
        // The digits are the E.164 number itself.
        Ok(()) => Ok(Number(d.v)),
        Err(e) => trunk_after_calling_code(region, cc, d.skip(l)).ok_or(e),
    }
}

/// `+7 8 495 ...`: another trunk prefix (1, 8, 06) written after the calling code is
/// dropped only when the number is invalid with it and valid without it (error path
/// only: the country is found by a search).
#[cold]
fn trunk_after_calling_code(region: u16, cc: u16, nsn: Digits<'_>) -> Option<Number> {
    let rules = Country::from_iso(RegionId(region).code())?.0;
    let t = rules.trunk.len();
    if t == 0 || !starts_with_ascii(nsn.d, rules.trunk) || check(cc, &nsn.d[t..]).is_err() {
        return None;
    }
    Some(make(cc, nsn.skip(t)))
}

/// `d` = national digits under the default country `c`.
fn national(c: &CountryRules, d: Digits<'_>) -> Result<Number, NumberError> {
    let cc = c.calling_code;
    let first_err = if !c.trunk.is_empty() && starts_with_ascii(d.d, c.trunk) {
        let nsn = d.skip(c.trunk.len());
        match check(cc, nsn.d) {
            Ok(()) => return Ok(make(cc, nsn)),
            Err(e) => e,
        }
    } else {
        match check(cc, d.d) {
            Ok(()) => return whole_national(c, d),
            Err(e) => e,
        }
    };
    // A trunk-like first digit may be part of the number itself (RU 800 without its 8).
    if check(cc, d.d).is_ok() {
        return whole_national(c, d);
    }
    without_calling_code(c, d).ok_or(first_err)
}

/// The digits `d` as written are a possible national number. When they also start with
/// the country's own calling code and the rest is a possible number too ("49 6131 969468"
/// with default DE: 12 digits are possible after +49 4…), the two readings are different
/// numbers. libphonenumber decides by its full national-number pattern, which the length
/// table only approximates, so `parse` does not guess: a wrong guess misses the
/// registry copy of the other number.
#[inline]
fn whole_national(c: &CountryRules, d: Digits<'_>) -> Result<Number, NumberError> {
    let whole = make(c.calling_code, d);
    match without_calling_code(c, d) {
        Some(n) if n != whole => Err(NumberError::AmbiguousCallingCode {
            calling_code: c.calling_code,
        }),
        _ => Ok(whole),
    }
}

/// The country code written without '+' ("33 1 23 45 67 89" with default FR, "39 02 1234
/// 5678" with default IT): the digits after the code, with the trunk prefix dropped as
/// libphonenumber's maybeExtractCountryCode does, when they are a possible number.
#[inline]
fn without_calling_code(c: &CountryRules, d: Digits<'_>) -> Option<Number> {
    let cc = c.calling_code;
    let l = cc_len(cc);
    if d.len() <= l || value(&d.d[..l]) != u64::from(cc) {
        return None;
    }
    let rest = d.skip(l);
    if check(cc, rest.d).is_ok() {
        return Some(make(cc, rest));
    }
    let t = c.trunk.len();
    if t > 0 && starts_with_ascii(rest.d, c.trunk) && check(cc, &rest.d[t..]).is_ok() {
        return Some(make(cc, rest.skip(t)));
    }
    None
}

/// No '+' and no default country: E.164 only when unambiguous (see the module docs).
fn bare(d: Digits<'_>) -> Result<Number, NumberError> {
    let needs = NumberError::NeedsDefaultCountry { digits: d.len() };
    if d.len() > 15 || d.d[0] == 0 || check(1, d.d).is_ok() {
        return Err(needs);
    }
    // Same reading as after '+', so "+" + the result parses back to the same number.
    international(d).map_err(|_| needs)
}
