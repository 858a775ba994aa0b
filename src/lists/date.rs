//! Plain calendar dates as day numbers (days since 1970-01-01), without a time zone.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). The caller has validated month and day.
pub(crate) const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy as i32;
    era * 146_097 + doe - 719_468
}

const fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses `YYYY-MM-DD` (a real date, year 1000–9999) into a day number.
pub(crate) fn parse_ymd(s: &str) -> Result<i32, String> {
    parse_ymd_bytes(s.as_bytes()).ok_or_else(|| {
        format!("bad date {s:?}: expected a real date written YYYY-MM-DD, e.g. 2026-11-20")
    })
}

/// Byte form of [`parse_ymd`] for the streaming compiler; `None` when not a real date.
pub(crate) fn parse_ymd_bytes(b: &[u8]) -> Option<i32> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: &[u8]| -> Option<u32> {
        r.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let y = num(&b[0..4])? as i32;
    let m = num(&b[5..7])?;
    let d = num(&b[8..10])?;
    if y < 1000 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        assert_eq!(parse_ymd("1970-01-01"), Ok(0));
        assert_eq!(parse_ymd("2000-03-01"), Ok(11_017));
        assert_eq!(parse_ymd("2026-11-20"), Ok(20_777));
        assert_eq!(parse_ymd("1969-12-31"), Ok(-1));
        assert_eq!(parse_ymd("2024-02-29"), Ok(19_782));
        assert!(parse_ymd("2025-02-29").is_err());
        assert!(parse_ymd("2026-13-01").is_err());
        assert!(parse_ymd("2026-1-01").is_err());
        assert!(parse_ymd("2026-01-0a").is_err());
    }
}
