//! Where and when a rule applies (`applies_to`, `purpose`, `mode`, `campaigns`,
//! `valid_from`/`valid_until`), and the dates, instants and durations rules are written in.

use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) fn scope(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    applies_to: &Option<Vec<String>>,
    purpose: &Option<Vec<Word<Purpose>>>,
    mode: &Option<Vec<Word<Mode>>>,
    campaigns: &Option<Vec<String>>,
    valid_from: &Option<String>,
    valid_until: &Option<String>,
) -> Scope {
    let mut regions = Vec::new();
    for r in applies_to.iter().flatten() {
        if r == "*" {
            regions.clear();
            break;
        }
        if let Some(p) = r.strip_prefix('+') {
            match lists::parse_prefix(r) {
                Ok((digits, len)) => {
                    cx.number_scopes = true;
                    regions.push(RegionMatch::Prefix(digits, len));
                }
                Err(_) => cx.err(
                    line,
                    label,
                    "applies_to",
                    format!("bad prefix \"+{p}\""),
                    "write an E.164 prefix such as \"+1212\"",
                ),
            }
        } else if let Some((_, members)) = REGION_GROUPS.iter().find(|(g, _)| g == r) {
            for m in *members {
                let b = m.as_bytes();
                regions.push(RegionMatch::Country([b[0], b[1]]));
            }
        } else if let Some(id) = RegionId::from_code(r) {
            if r.len() == 2 {
                let b = r.as_bytes();
                regions.push(RegionMatch::Country([b[0], b[1]]));
            } else {
                regions.push(RegionMatch::Region(id));
            }
        } else if r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()) {
            let b = r.as_bytes();
            regions.push(RegionMatch::Country([b[0], b[1]]));
        } else {
            let hint = match did_you_mean(r, REGION_GROUPS.iter().map(|(g, _)| *g)) {
                Some(g) => format!("did you mean the group \"{g}\"?"),
                None => "use a country (\"IT\"), a subdivision (\"US-FL\", \"CA-ON\"), a group (\"FR+DOM\", \"US+territories\"), an E.164 prefix (\"+1212\") or \"*\"".to_owned(),
            };
            cx.err(
                line,
                label,
                "applies_to",
                format!("unknown region \"{r}\""),
                hint,
            );
        }
    }
    let mut purposes = 0u8;
    for p in purpose.iter().flatten() {
        let hint = format!("valid: {}", Purpose::names());
        if let Some(v) = word(cx, (line, label, "purpose"), "purpose", p, &hint) {
            purposes |= 1 << v as u8;
        }
    }
    let mut modes = 0u8;
    for m in mode.iter().flatten() {
        let hint = format!("valid: {}", Mode::names());
        if let Some(v) = word(cx, (line, label, "mode"), "mode", m, &hint) {
            modes |= 1 << v as u8;
        }
    }
    let campaigns = campaigns.iter().flatten().map(|c| Tag::of(c)).collect();
    let valid_from = valid_from
        .as_deref()
        .and_then(|d| date_day(cx, line, label, "valid_from", d));
    let valid_until = valid_until
        .as_deref()
        .and_then(|d| date_day(cx, line, label, "valid_until", d));
    if let (Some(a), Some(b)) = (valid_from, valid_until)
        && a > b
    {
        cx.err(
            line,
            label,
            "valid_until",
            "valid_until is before valid_from",
            "swap the dates",
        );
    }
    Scope {
        regions: regions.into(),
        purposes,
        modes,
        campaigns,
        valid_from,
        valid_until,
    }
}

pub(super) fn date_day(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    key: &str,
    s: &str,
) -> Option<i32> {
    match Date::parse(s) {
        Ok(d) => Some(d.to_days()),
        Err(e) => {
            cx.err(
                line,
                label,
                key,
                format!("bad date \"{s}\": {e}"),
                "write a real date as YYYY-MM-DD",
            );
            None
        }
    }
}

/// Parses "30d", "24h", "90m", "3600s", or a combination such as "1d12h".
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let (mut total, mut num, mut any) = (0i64, None::<i64>, false);
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i64::from(d)))
                    .ok_or("duration too large")?,
            );
        } else {
            let unit = match c {
                'd' => DAY,
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return Err(format!("unknown unit '{c}'")),
            };
            let n = num
                .take()
                .ok_or_else(|| format!("unit '{c}' without a number"))?;
            total = total
                .checked_add(n.checked_mul(unit).ok_or("duration too large")?)
                .ok_or("duration too large")?;
            any = true;
        }
    }
    if num.is_some() || !any {
        return Err("a number needs a unit (d, h, m or s)".into());
    }
    if total == 0 {
        return Err("duration must be positive".into());
    }
    Ok(total)
}

pub(super) fn parse_instant(s: &str) -> Result<i64, String> {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| e.to_string())
}
