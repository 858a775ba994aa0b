//! Closed vocabularies and the spans written with them: `within`/`for` spans, cap keys,
//! consent kinds.

use super::*;

/// The value of a closed-vocabulary key, or `None` after reporting the word with its
/// rule, key and `hint`, led by the closest valid name when one is near.
pub(super) fn word<T: Vocabulary>(
    cx: &mut Ctx<'_>,
    at: (Option<usize>, &str, &str),
    what: &str,
    w: &Word<T>,
    hint: &str,
) -> Option<T> {
    let (line, label, key) = at;
    match w {
        Word::Known(t) => Some(*t),
        Word::Unknown(s) => {
            let hint = match did_you_mean(s, T::NAMES.iter().copied()) {
                Some(best) => format!("did you mean \"{best}\"? {hint}"),
                None => hint.to_owned(),
            };
            cx.err(line, label, key, format!("unknown {what} \"{s}\""), hint);
            None
        }
    }
}

/// A look-back or cool-off written as an elapsed duration or as whole local days.
pub(super) enum SpanSpec {
    Elapsed(i64),
    Days(u32),
    Forever,
}

/// The keys and messages of one rule table's span (caps: `within`, cool-offs: `for`).
pub(super) struct SpanKeys {
    pub(super) key: &'static str,
    pub(super) days_key: &'static str,
    pub(super) missing: &'static str,
    pub(super) missing_hint: &'static str,
    pub(super) bad_hint: &'static str,
    /// Whether `"forever"` is a valid duration.
    pub(super) forever: bool,
}

/// The longest span a cap or cool-off may give (100 years): longer values are refused, so
/// no day count or duration can overflow into a rule that never applies.
pub(super) const MAX_SPAN_DAYS: i64 = 36_525;

/// Reads a span given as `key = "30d"` or `days_key = 30` (exactly one of them);
/// reports what is wrong and returns `None` otherwise.
pub(super) fn span_spec(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    keys: &SpanKeys,
    duration: Option<&str>,
    days: Option<u32>,
) -> Option<SpanSpec> {
    match (duration, days) {
        (Some("forever"), None) if keys.forever => Some(SpanSpec::Forever),
        (Some(d), None) => match parse_duration(d) {
            Ok(s) if s > MAX_SPAN_DAYS * DAY => {
                let hint = if keys.forever {
                    "write \"forever\" for a cool-off that never ends"
                } else {
                    "a cap looks back at most 100 years (36525d)"
                };
                cx.err(
                    line,
                    label,
                    keys.key,
                    format!("duration \"{d}\" is longer than 100 years"),
                    hint,
                );
                None
            }
            Ok(s) => Some(SpanSpec::Elapsed(s)),
            Err(e) => {
                cx.err(
                    line,
                    label,
                    keys.key,
                    format!("bad duration \"{d}\": {e}"),
                    keys.bad_hint,
                );
                None
            }
        },
        (None, Some(n)) if n > 0 && i64::from(n) <= MAX_SPAN_DAYS => Some(SpanSpec::Days(n)),
        (None, Some(0)) => {
            cx.err(line, label, keys.days_key, "must be at least 1", "");
            None
        }
        (None, Some(n)) => {
            let hint = if keys.forever {
                "at most 36525 (100 years); write for = \"forever\" for a cool-off that never ends"
            } else {
                "at most 36525 (100 years)"
            };
            cx.err(
                line,
                label,
                keys.days_key,
                format!("{n} days is out of range"),
                hint,
            );
            None
        }
        (Some(_), Some(_)) => {
            let msg = format!("give `{}` or `{}`, not both", keys.key, keys.days_key);
            cx.err(line, label, keys.key, msg, "");
            None
        }
        (None, None) => {
            cx.err(line, label, keys.key, keys.missing, keys.missing_hint);
            None
        }
    }
}

pub(super) const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(super) fn spans_of(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    key: &str,
    spans: &[String],
) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for s in spans {
        match WeeklyWindows::parse_span(s) {
            Ok(x) => out.push(x),
            Err(e) => cx.err(line, label, key, format!("bad window \"{s}\": {e}"), ""),
        }
    }
    out
}

pub(super) fn cap_key(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    key: Option<&Word<CapKeyName>>,
) -> CapKey {
    let Some(key) = key else {
        return CapKey::Number;
    };
    let hint = "use number | number+campaign | number+subject";
    match word(cx, (line, label, "key"), "key", key, hint) {
        None | Some(CapKeyName::Number) => CapKey::Number,
        Some(CapKeyName::NumberCampaign) => CapKey::NumberCampaign,
        Some(CapKeyName::NumberSubject) => CapKey::NumberSubject,
    }
}

pub(super) fn consent_kinds(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    kinds: &[Word<ConsentKindName>],
) -> u8 {
    if kinds.is_empty() {
        return kind_bit(ConsentKind::Consent)
            | kind_bit(ConsentKind::Contract)
            | kind_bit(ConsentKind::Ebr);
    }
    let mut bits = 0;
    for k in kinds {
        let hint = "use consent | contract | ebr";
        match word(cx, (line, label, "kinds"), "consent kind", k, hint) {
            Some(ConsentKindName::Consent) => bits |= kind_bit(ConsentKind::Consent),
            Some(ConsentKindName::Contract) => bits |= kind_bit(ConsentKind::Contract),
            Some(ConsentKindName::Ebr) => bits |= kind_bit(ConsentKind::Ebr),
            Some(ConsentKindName::OutsideHours) => cx.err(
                line,
                label,
                "kinds",
                "an outside_hours consent only lifts calling hours",
                "use consent | contract | ebr; name outside_hours in a window's waived_by",
            ),
            None => {}
        }
    }
    bits
}

pub(crate) const fn kind_bit(k: ConsentKind) -> u8 {
    match k {
        ConsentKind::Consent => 1,
        ConsentKind::Contract => 2,
        ConsentKind::Ebr => 4,
        ConsentKind::OutsideHours => 8,
    }
}
