//! Numbers given as E.164 digits (`u64`) rather than text: the same validity rules as
//! a parsed `+…` number. [`Number::from_e164_digits`](super::Number::from_e164_digits)
//! only checks the digit count; callers that take digits from outside (the C ABI's
//! `dg_check_e164`, batch scrubs) validate them here first, so that `1` or `39` is an
//! invalid number, never a number that no rule covers.

use super::{Number, NumberError, parse};

/// The number these E.164 digits form, if they are a valid number: a known calling
/// code and a possible length for it (and NANP structure), exactly as [`parse`] reads
/// `+digits`.
///
/// ```
/// use dialguard::number::validate_e164;
/// assert_eq!(validate_e164(390212345678).unwrap().get(), 390212345678);
/// assert!(validate_e164(1).is_err());
/// assert!(validate_e164(39).is_err());
/// assert!(validate_e164(3912).is_err());
/// // A trunk 0 after the calling code is not E.164 (parse would drop it).
/// assert!(validate_e164(4402079460018).is_err());
/// ```
pub fn validate_e164(digits: u64) -> Result<Number, NumberError> {
    let Some(n) = Number::from_e164_digits(digits) else {
        return Err(if digits == 0 {
            NumberError::Empty
        } else {
            NumberError::TooManyDigits {
                digits: digits.checked_ilog10().map_or(1, |l| l as usize + 1),
            }
        });
    };
    // "+" and at most 15 digits, on the stack.
    let mut text = [0u8; 16];
    text[0] = b'+';
    let mut len = 1;
    let mut rest = digits;
    let mut rev = [0u8; 15];
    let mut k = 0;
    while rest > 0 && k < rev.len() {
        rev[k] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        k += 1;
    }
    for &d in rev[..k].iter().rev() {
        text[len] = d;
        len += 1;
    }
    let parsed = parse(std::str::from_utf8(&text[..len]).unwrap_or(""), None)?;
    if parsed != n {
        // parse dropped a trunk prefix written after the calling code.
        let region = super::locate(parsed).region;
        let cc = super::Country::from_iso(region.country()).map_or(0, |c| c.calling_code());
        return Err(NumberError::TrunkPrefixInNumber { calling_code: cc });
    }
    Ok(n)
}
