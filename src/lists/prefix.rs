//! Prefix entries: "+39899" stands for every number that starts with those digits.

use super::ListError;
use crate::Number;

/// Parses a prefix entry into `(digits, digit_count)`.
///
/// Accepted forms: `+39899`, `39899*` and `+39899*` (surrounding whitespace is
/// ignored). Rejected: empty, non-digits, a leading 0 (no country code starts with
/// 0), more than 15 digits, and bare digits without `+` or `*` (which could be a
/// national-format number and is too easy to get wrong).
///
/// ```
/// use dialguard::lists::parse_prefix;
/// assert_eq!(parse_prefix("+39899").unwrap(), (39899, 5));
/// assert_eq!(parse_prefix("1800*").unwrap(), (1800, 4));
/// assert!(parse_prefix("39899").is_err());
/// ```
pub fn parse_prefix(s: &str) -> Result<(u64, u32), ListError> {
    let bad = |why| ListError::BadPrefix {
        text: s.to_string(),
        why,
    };
    let t = s.trim();
    let (plus, t) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (star, t) = match t.strip_suffix('*') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if !plus && !star {
        return Err(bad("a prefix needs a leading '+' or a trailing '*'"));
    }
    if t.is_empty() {
        return Err(bad("no digits"));
    }
    if !t.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad("only the digits 0-9 may follow '+'"));
    }
    if t.len() > 15 {
        return Err(bad("more than 15 digits (E.164 numbers have at most 15)"));
    }
    if t.starts_with('0') {
        return Err(bad("starts with 0, but no country code does"));
    }
    let digits = t.bytes().fold(0u64, |a, c| a * 10 + u64::from(c - b'0'));
    Ok((digits, t.len() as u32))
}

/// A set of prefix entries. A number matches a prefix when its digits begin with
/// the prefix's digits (digit-string semantics: `+39899` matches `+39899123456` and
/// also the bare `+39899` and any longer or shorter number that starts with
/// 3-9-8-9-9, but never `+3989`, which is shorter than the prefix).
#[derive(Clone, Debug, Default)]
pub struct PrefixSet {
    /// `by_len[l - 1]`: sorted, deduplicated prefixes of `l` digits.
    by_len: [Vec<u64>; 15],
    /// Prefix lengths present, longest first, so the first hit is the most specific.
    lens: Vec<u32>,
}

impl PrefixSet {
    /// Builds the set from `(digits, digit_count)` pairs as returned by
    /// [`parse_prefix`]. Pairs whose length does not match their digits (or is not
    /// 1–15) are ignored; use [`parse_prefix`] to get them right.
    pub fn new(prefixes: &[(u64, u32)]) -> PrefixSet {
        let mut set = PrefixSet::default();
        for &(digits, len) in prefixes {
            let ok = (1..=15).contains(&len)
                && Number::from_e164_digits(digits).is_some_and(|n| n.digit_count() == len);
            if ok {
                set.by_len[len as usize - 1].push(digits);
            }
        }
        for (i, v) in set.by_len.iter_mut().enumerate() {
            v.sort_unstable();
            v.dedup();
            if !v.is_empty() {
                set.lens.push(i as u32 + 1);
            }
        }
        set.lens.reverse();
        set
    }

    /// The longest prefix that `n` starts with, as `(digits, digit_count)`.
    pub fn matches(&self, n: Number) -> Option<(u64, u32)> {
        let count = n.digit_count();
        for &len in &self.lens {
            if len > count {
                continue;
            }
            let p = n.get() / POW10[(count - len) as usize];
            if self.by_len[len as usize - 1].binary_search(&p).is_ok() {
                return Some((p, len));
            }
        }
        None
    }

    /// True when there are no prefixes.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Number of distinct prefixes.
    pub fn len(&self) -> usize {
        self.by_len.iter().map(Vec::len).sum()
    }
}

pub(crate) const POW10: [u64; 16] = {
    let mut t = [1u64; 16];
    let mut i = 1;
    while i < 16 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};
