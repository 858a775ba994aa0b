//! The slow path of [`parse`](super::parse): numbers as CRM exports and people write
//! them, read the way libphonenumber's `parse` reads them, into `+` and ASCII digits.
//!
//! Only input that is not plain ASCII digits and separators comes here, so clean input
//! keeps the fast path. What is understood:
//! - Unicode spaces (U+00A0, U+2000–U+200A, U+202F, U+205F, U+3000), invisible marks
//!   (U+200B–U+200F, U+202A–U+202E, U+2060, U+FEFF), dashes and minus signs
//!   (U+2010–U+2015, U+2212, U+30FC, U+FF0D), fullwidth `＋ （ ） ． ／`, brackets `[ ]`,
//!   and the decimal digits of every script listed in [`DIGIT_BLOCKS`];
//! - `tel:` URIs (RFC 3966) with `;ext=` and a global `;phone-context=+…`;
//! - a leading label (`Tel.:`, `Phone:`, `Mobile`, `Cell`, `Telefono`, …) and `++`;
//! - extensions (`ext`, `ext.`, `extension`, `x`, `#`, `int`, `int.`, `interno`, `poste`),
//!   returned beside the number, never kept in it;
//! - vanity letters (`1-800-FLOWERS`) by the ITU E.161 keypad, when at least three
//!   digits come first and at least three capital letters follow (a lower-case word is a
//!   note, never digits); the result must still be a possible number.
//!
//! Anything else is an error naming the character and its position: a guard must not
//! approve a number it did not fully read.

use super::parse::NumberError;

/// An extension read beside a number (`ext. 12` → `"12"`): at most 20 digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extension {
    digits: [u8; MAX_EXT],
    len: u8,
}

const MAX_EXT: usize = 20;

impl Extension {
    /// The extension's digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or("")
    }
}

impl std::fmt::Debug for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Extension({:?})", self.as_str())
    }
}

impl std::fmt::Display for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The number part rewritten as an optional `+` and ASCII digits (what the fast path
/// reads), plus the extension.
pub(crate) struct Cleaned {
    buf: [u8; CLEAN_MAX],
    len: usize,
    pub extension: Option<Extension>,
}

/// Longer than any E.164 number with its `+`: more digits are counted by the fast path
/// as too many.
const CLEAN_MAX: usize = 40;

impl Cleaned {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// First code point of each Unicode block of ten decimal digits 0–9 that numbers are
/// written in (fullwidth, Arabic-Indic, Extended Arabic-Indic, NKo, Devanagari, Bengali,
/// Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam, Thai, Lao, Tibetan,
/// Myanmar, Khmer, Mongolian).
const DIGIT_BLOCKS: [u32; 19] = [
    0xFF10, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x17E0, 0x1810,
];

/// Leading labels dropped before a number (compared case-insensitively, longest first).
const LABELS: [&str; 16] = [
    "telephone",
    "téléphone",
    "cellulare",
    "telefono",
    "teléfono",
    "telefon",
    "mobile",
    "phone",
    "cell",
    "tél",
    "tel",
    "tfn",
    "mob",
    "ph",
    "tlf",
    "fon",
];

/// Extension markers (case-insensitive, longest first); digits must follow.
const EXT_MARKERS: [&str; 9] = [
    "extension",
    "interno",
    "poste",
    "ext.",
    "int.",
    "ext",
    "int",
    "x",
    "#",
];

/// What one character of the number part means.
enum Class {
    Digit(u8),
    Plus,
    Separator,
    Invisible,
    Letter(char),
    Other(char),
}

fn classify(c: char) -> Class {
    let u = u32::from(c);
    if c.is_ascii_digit() {
        return Class::Digit(c as u8 - b'0');
    }
    if let Some(d) = DIGIT_BLOCKS
        .iter()
        .find_map(|&start| u.checked_sub(start).filter(|&d| d < 10))
    {
        // d < 10: fits a u8.
        return Class::Digit(d as u8);
    }
    match c {
        '+' | '\u{FF0B}' => Class::Plus,
        ' '
        | '\t'
        | '.'
        | '-'
        | '('
        | ')'
        | '/'
        | '['
        | ']'
        | '\u{00A0}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
        | '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{30FC}'
        | '\u{FF0D}'
        | '\u{FF08}'
        | '\u{FF09}'
        | '\u{FF0E}'
        | '\u{FF0F}' => Class::Separator,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{FEFF}' => {
            Class::Invisible
        }
        c if c.is_alphabetic() => Class::Letter(c),
        c => Class::Other(c),
    }
}

/// ITU E.161 keypad digit of an ASCII letter.
fn keypad(c: char) -> Option<u8> {
    Some(match c.to_ascii_uppercase() {
        'A'..='C' => 2,
        'D'..='F' => 3,
        'G'..='I' => 4,
        'J'..='L' => 5,
        'M'..='O' => 6,
        'P'..='S' => 7,
        'T'..='V' => 8,
        'W'..='Z' => 9,
        _ => return None,
    })
}

/// `s` starts with `prefix`, ignoring case; returns the rest.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_ascii() {
        let n = prefix.len();
        let head = s.as_bytes().get(..n)?;
        return (head.eq_ignore_ascii_case(prefix.as_bytes()) && s.is_char_boundary(n))
            .then(|| &s[n..]);
    }
    let mut chars = s.char_indices();
    for p in prefix.chars() {
        let (_, c) = chars.next()?;
        if !c.to_lowercase().eq(p.to_lowercase()) {
            return None;
        }
    }
    Some(chars.next().map_or("", |(i, _)| &s[i..]))
}

/// 1-based character position of byte offset `at` of `sub` within `whole`.
fn position(whole: &str, sub: &str, at: usize) -> usize {
    let offset = (sub.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize) + at;
    whole.get(..offset).map_or(offset, |s| s.chars().count()) + 1
}

/// Reads messy input (see the module docs) into `+` and ASCII digits.
pub(crate) fn clean(input: &str) -> Result<Cleaned, NumberError> {
    let trimmed = trim(input);
    let (number, extension) = match strip_prefix_ci(trimmed, "tel:") {
        Some(uri) => tel_uri(input, uri)?,
        None => {
            let body = strip_label(trimmed);
            let (number, ext) = split_extension(input, body)?;
            (Part::Plain(number), ext)
        }
    };
    let mut out = Cleaned {
        buf: [0; CLEAN_MAX],
        len: 0,
        extension,
    };
    match number {
        Part::Plain(s) => write_number(input, s, None, &mut out)?,
        Part::Tel { number, context } => write_number(input, number, context, &mut out)?,
    }
    Ok(out)
}

enum Part<'a> {
    Plain(&'a str),
    Tel {
        number: &'a str,
        context: Option<&'a str>,
    },
}

/// Without leading and trailing spaces and invisible marks.
fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(classify(c), Class::Invisible))
}

/// `tel:+39-02-1234-5678;ext=12;phone-context=+39`.
fn tel_uri<'a>(input: &'a str, uri: &'a str) -> Result<(Part<'a>, Option<Extension>), NumberError> {
    let mut parts = uri.split(';');
    let number = parts.next().unwrap_or("");
    let (mut ext, mut context) = (None, None);
    for p in parts {
        if let Some(v) = strip_prefix_ci(p, "ext=") {
            ext = Some(extension(input, v)?);
        } else if let Some(v) = strip_prefix_ci(p, "phone-context=") {
            // A global context is the number's prefix; a domain names no digits.
            context = v.starts_with('+').then_some(v);
        }
    }
    Ok((Part::Tel { number, context }, ext))
}

/// Drops a leading label (`Tel.:`, `Phone`) and a doubled `+`.
fn strip_label(s: &str) -> &str {
    let mut rest = s;
    let starts_with_letter = s.chars().next().is_some_and(char::is_alphabetic);
    for label in LABELS
        .iter()
        .take(if starts_with_letter { LABELS.len() } else { 0 })
    {
        if let Some(r) = strip_prefix_ci(s, label)
            && !r.starts_with(|c: char| c.is_alphabetic())
        {
            rest = r.trim_start_matches(|c: char| {
                c == '.' || c == ':' || c.is_whitespace() || matches!(classify(c), Class::Invisible)
            });
            break;
        }
    }
    // `++39`: a doubled plus, as libphonenumber reads it.
    if rest.starts_with("++") {
        &rest[1..]
    } else {
        rest
    }
}

/// Splits `number ext. 12` at an extension marker that follows a digit and is followed
/// by digits only.
fn split_extension<'a>(
    input: &'a str,
    s: &'a str,
) -> Result<(&'a str, Option<Extension>), NumberError> {
    let lower_ok = |i: usize| {
        s[..i]
            .chars()
            .any(|c| matches!(classify(c), Class::Digit(_)))
    };
    for (i, _) in s.char_indices() {
        let rest = &s[i..];
        let rest = rest.strip_prefix(';').unwrap_or(rest);
        // Only where a marker can start (e, i, p, x, #): most positions are digits.
        if !matches!(
            rest.as_bytes().first().map(u8::to_ascii_lowercase),
            Some(b'e' | b'i' | b'p' | b'x' | b'#')
        ) {
            continue;
        }
        for m in EXT_MARKERS {
            let Some(after) = strip_prefix_ci(rest, m) else {
                continue;
            };
            let after = after.strip_prefix('=').unwrap_or(after);
            let digits = after.trim_matches(|c: char| {
                c.is_whitespace() || c == '.' || c == ':' || c == '#' || c == '-'
            });
            if lower_ok(i)
                && !digits.is_empty()
                && digits
                    .chars()
                    .all(|c| matches!(classify(c), Class::Digit(_)))
            {
                return Ok((&s[..i], Some(extension(input, digits)?)));
            }
        }
    }
    Ok((s, None))
}

fn extension(input: &str, digits: &str) -> Result<Extension, NumberError> {
    let mut e = Extension {
        digits: [0; MAX_EXT],
        len: 0,
    };
    for (i, c) in digits.char_indices() {
        let Class::Digit(d) = classify(c) else {
            return Err(NumberError::InvalidCharacter {
                ch: c,
                position: position(input, digits, i),
            });
        };
        let slot = e
            .digits
            .get_mut(usize::from(e.len))
            .ok_or(NumberError::Extension {
                position: position(input, digits, i),
            })?;
        *slot = b'0' + d;
        e.len += 1;
    }
    Ok(e)
}

/// Writes `[+]digits` of the number part, converting vanity letters.
fn write_number(
    input: &str,
    s: &str,
    context: Option<&str>,
    out: &mut Cleaned,
) -> Result<(), NumberError> {
    // Counted only when a letter is met (vanity input is rare).
    let mut letters: Option<usize> = None;
    let mut digits_seen = 0usize;
    let mut plus_ok = true;
    // Past the buffer nothing is dropped silently: the count goes on and the number is
    // refused as too long (an E.164 number has at most 15 digits).
    let mut overflow = 0usize;
    let mut push = |out: &mut Cleaned, b: u8| match out.buf.get_mut(out.len) {
        Some(slot) => {
            *slot = b;
            out.len += 1;
        }
        None => overflow += 1,
    };
    let starts_plus = s.trim_start().starts_with(['+', '\u{FF0B}']);
    if let (Some(ctx), false) = (context, starts_plus) {
        // The context's digits come first: `tel:5678;phone-context=+39-02-1234`.
        push(out, b'+');
        for c in ctx.chars() {
            if let Class::Digit(d) = classify(c) {
                push(out, b'0' + d);
            }
        }
        plus_ok = false;
    }
    for (i, c) in s.char_indices() {
        match classify(c) {
            Class::Digit(d) => {
                digits_seen += 1;
                plus_ok = false;
                push(out, b'0' + d);
            }
            Class::Plus if plus_ok => {
                plus_ok = false;
                push(out, b'+');
            }
            Class::Plus => {
                return Err(NumberError::MisplacedPlus {
                    position: position(input, s, i),
                });
            }
            Class::Separator | Class::Invisible => {}
            Class::Letter(ch) => match keypad(ch) {
                // Vanity: three digits first, then three capitals or more (1-800-FLOWERS).
                // Lower-case words are notes ("home", "bad"), never read as digits.
                Some(d)
                    if digits_seen >= 3
                        && ch.is_ascii_uppercase()
                        && *letters.get_or_insert_with(|| {
                            s.chars()
                                .filter(|&c| matches!(classify(c), Class::Letter(_)))
                                .count()
                        }) >= 3 =>
                {
                    push(out, b'0' + d)
                }
                _ => {
                    return Err(NumberError::Letter {
                        ch,
                        position: position(input, s, i),
                    });
                }
            },
            Class::Other(ch) => {
                return Err(NumberError::InvalidCharacter {
                    ch,
                    position: position(input, s, i),
                });
            }
        }
    }
    if overflow > 0 {
        return Err(NumberError::TooManyDigits {
            digits: out.len + overflow,
        });
    }
    Ok(())
}
