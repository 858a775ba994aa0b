//! NSN checks: the lengths a number with given leading digits can have under its calling
//! code (possible_lengths.tsv, compiled into the tables), the NANP structure and the
//! trunk-0 rule, and the most precise error when a check fails.

use super::{LeadingDigits, NsnLengths, NumberError};
use crate::number::tables::{CC1, CC2, CC3, NONE, PL_ALL, PL_KIDS, PL_ROOT, REGION_TRUNK0};

/// The NSN lengths a valid number under calling code `cc` with the first digits of `nsn`
/// can have (possible_lengths.tsv: the longest listed prefix of the first 3 digits
/// decides; exact for every 3-digit prefix). `None` for a calling code without data.
#[inline]
pub(super) fn possible_lengths(cc: u16, nsn: &[u8]) -> Option<NsnLengths> {
    let [mut mask, mut kids] = *PL_ROOT.get(usize::from(cc))?;
    if kids == NONE && mask == 0 {
        return None;
    }
    for &d in nsn {
        if kids == NONE {
            break;
        }
        [mask, kids] = PL_KIDS[usize::from(kids) * 10 + usize::from(d)];
    }
    Some(NsnLengths(mask))
}

/// Checks a national significant number under calling code `cc`: its length must be one
/// a valid number of any type with the same leading digits can have (libphonenumber
/// metadata, possible_lengths.tsv), plus the NANP structure for +1.
pub(super) fn check(cc: u16, nsn: &[u8]) -> Result<(), NumberError> {
    let len = nsn.len();
    let Some(lengths) = possible_lengths(cc, nsn) else {
        // A calling code the metadata does not describe: only the E.164 limits.
        let max = (15 - cc_len(cc)) as u8;
        return if len < 4 {
            Err(NumberError::TooShort {
                digits: len as u8,
                min: 4,
                calling_code: cc,
            })
        } else if len > usize::from(max) {
            Err(NumberError::TooLong {
                digits: len.min(255) as u8,
                max,
                calling_code: cc,
            })
        } else {
            Ok(())
        };
    };
    if lengths.contains(len) {
        return check_structure(cc, nsn);
    }
    Err(length_error(cc, nsn, lengths))
}

/// NANP structure and the trunk-0 rule, for an NSN whose length is possible.
#[inline]
pub(super) fn check_structure(cc: u16, nsn: &[u8]) -> Result<(), NumberError> {
    // In trunk-0 countries no NSN starts with 0 (except the "00" service ranges of JP,
    // KR, ID; RW, whose NSNs may start with 06, is not marked trunk-0 in the table).
    let len = nsn.len();
    if len >= 2 && nsn[0] == 0 && nsn[1] != 0 && trunk_zero(cc) {
        return Err(NumberError::TrunkPrefixInNumber { calling_code: cc });
    }
    if cc == 1 {
        let reason = if nsn[0] < 2 {
            "area code (NPA) cannot start with 0 or 1"
        } else if nsn[1] == 1 && nsn[2] == 1 {
            "N11 is a service code, not an area code"
        } else if nsn[3] < 2 {
            "exchange code (NXX) cannot start with 0 or 1"
        } else {
            return Ok(());
        };
        return Err(NumberError::InvalidNanp { reason });
    }
    Ok(())
}

/// The most precise error for an NSN whose length is not in `lengths` (the lengths for
/// its first 3 digits): outside every length of the calling code → too short / too long;
/// a trunk 0 or a broken NANP structure → that; else the lengths for its first digits.
#[cold]
pub(super) fn length_error(cc: u16, nsn: &[u8], lengths: NsnLengths) -> NumberError {
    let len = nsn.len();
    // NANP numbers have 10 digits: the 7-digit Canadian 310-xxxx numbers libphonenumber
    // also knows fail the NXX rule (local dialling only), so they do not widen the span.
    let all = NsnLengths(PL_ALL[usize::from(cc)]);
    let (min, max) = if cc == 1 {
        (10, 10)
    } else {
        (
            all.iter().next().unwrap_or(0),
            all.iter().last().unwrap_or(0),
        )
    };
    if len < usize::from(min) {
        return NumberError::TooShort {
            digits: len as u8,
            min,
            calling_code: cc,
        };
    }
    if len > usize::from(max) {
        return NumberError::TooLong {
            digits: len.min(255) as u8,
            max,
            calling_code: cc,
        };
    }
    if let Err(e) = check_structure(cc, nsn) {
        return e;
    }
    // Every code's shortest NSN has 4 digits or more (tests/number_lengths.rs checks), so
    // here the NSN has at least 3, the depth at which the table is exact.
    let depth = len.min(3);
    let mut lead = LeadingDigits {
        digits: [0; 3],
        len: depth as u8,
    };
    lead.digits[..depth].copy_from_slice(&nsn[..depth]);
    if lengths.0 == 0 {
        NumberError::UnassignedLeadingDigits {
            calling_code: cc,
            lead,
        }
    } else {
        NumberError::LengthForLeadingDigits {
            digits: len as u8,
            calling_code: cc,
            lead,
            lengths,
        }
    }
}

/// True when the main region of calling code `cc` has the trunk prefix 0.
pub(super) fn trunk_zero(cc: u16) -> bool {
    let region = match cc_len(cc) {
        1 => CC1.get(usize::from(cc)),
        2 => CC2.get(usize::from(cc)),
        _ => CC3.get(usize::from(cc)),
    };
    region.is_some_and(|&r| REGION_TRUNK0.get(usize::from(r)).copied().unwrap_or(false))
}

/// Length of the calling code `cc` in digits.
pub(super) fn cc_len(cc: u16) -> usize {
    if cc < 10 {
        1
    } else if cc < 100 {
        2
    } else {
        3
    }
}
