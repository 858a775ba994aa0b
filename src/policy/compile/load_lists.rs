//! The loading phase: list files (`[[list]]`) and consent files (`[[consent]]`) read,
//! parsed and checked into number sets and consent records.

use super::*;

impl Builder {
    pub(super) fn list(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, l: &ListSource) {
        let label = format!("[[list]] \"{}\"", l.id);
        let hint = "use registry | optout | suppression | directory";
        let kind = word(cx, (line, &label, "kind"), "list kind", &l.kind, hint)
            .unwrap_or(ListKind::Suppression);
        let rule_kind = match kind {
            ListKind::Registry => RuleKind::Registry,
            ListKind::OptOut => RuleKind::OptOut,
            ListKind::Suppression => RuleKind::Suppression,
            ListKind::Directory => RuleKind::Directory,
        };
        let rule = cx.add_rule(
            line,
            "list",
            &l.id,
            rule_kind,
            l.source.as_ref(),
            l.confidence.as_ref(),
        );
        let scope = scope_of!(cx, line, &label, l);
        let mut prefixes = Vec::new();
        for p in &l.prefixes {
            match lists::parse_prefix(p) {
                Ok(x) => prefixes.push(x),
                Err(e) => cx.err(
                    line,
                    &label,
                    "prefixes",
                    e.to_string(),
                    "write an E.164 prefix such as \"+39899\"",
                ),
            }
        }
        let mut snapshot = l
            .snapshot_date
            .as_deref()
            .and_then(|d| date_day(cx, line, &label, "snapshot_date", d))
            .map(|d| i64::from(d) * DAY);
        let set = list_file(cx, line, &label, l, kind, &mut snapshot);
        let max_age = l.max_age_days.map(|d| i64::from(d) * DAY);
        if max_age.is_some() && snapshot.is_none() {
            cx.err(
                line,
                &label,
                "snapshot_date",
                "max_age_days needs to know when the registry copy was taken",
                "add snapshot_date = \"YYYY-MM-DD\" (a compiled list file carries it)",
            );
        }
        let exemptions = exemptions(cx, line, &label, l, kind);
        self.lists.push(ListRule {
            rule,
            kind,
            set: Arc::new(set),
            prefixes: PrefixSet::new(&prefixes),
            scope,
            snapshot,
            max_age,
            exemptions,
        });
    }

    /// Reads one `[[consent]]` file into the consent records.
    pub(super) fn consent(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &ConsentSource) {
        let path = cx.path(&c.path);
        let loaded = ConsentIndex::read_csv_limited(
            &path,
            &cx.parse_number(),
            cx.bad_lines,
            cx.max_list_bytes,
        );
        match loaded {
            Ok((idx, _skipped)) => self.consents.extend(idx.into_records()),
            Err(e) => cx.err(
                line,
                &format!("[[consent]] \"{}\"", c.id),
                "path",
                e.to_string(),
                "a CSV with header number,kind,granted_at,expires_at,campaign",
            ),
        }
    }
}

/// The numbers of a list's file (none when it has only prefixes). A compiled list file
/// carries its snapshot date, used when the policy gives none.
fn list_file(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    l: &ListSource,
    kind: ListKind,
    snapshot: &mut Option<i64>,
) -> NumberSet {
    match l.path.as_deref() {
        None if l.prefixes.is_empty() => {
            cx.err(
                line,
                label,
                "path",
                "a list needs a `path` or `prefixes`",
                "name a list file (one number a line) or give prefixes",
            );
            NumberSet::from_numbers(Vec::new())
        }
        None => NumberSet::from_numbers(Vec::new()),
        Some(p) => {
            let (path, loaded) = cx.load_list(p);
            match loaded {
                // A registry copy is never empty: an empty file is one being
                // rewritten in place (or truncated), and loading it would allow
                // every number the registry holds.
                Ok(loaded) if kind == ListKind::Registry && loaded.set.is_empty() => {
                    cx.err(
                        line,
                        label,
                        "path",
                        format!("{} holds no numbers: a registry copy is never empty", path.display()),
                        "is the file still being copied? write registry files to a temporary name and rename them into place",
                    );
                    loaded.set
                }
                Ok(loaded) => {
                    if snapshot.is_none() {
                        *snapshot = loaded.snapshot_date.map(|d| i64::from(d) * DAY);
                    }
                    loaded.set
                }
                Err(e) => {
                    cx.err(line, label, "path", e.to_string(), "");
                    NumberSet::from_numbers(Vec::new())
                }
            }
        }
    }
}

/// The exemptions a list accepts; only a registry accepts any.
fn exemptions(
    cx: &mut Ctx<'_>,
    line: Option<usize>,
    label: &str,
    l: &ListSource,
    kind: ListKind,
) -> Exemptions {
    let mut exemptions = Exemptions::default();
    for e in &l.exemptions {
        match Exemptions::NAMES.iter().find(|(n, _)| n == e) {
            Some((_, bit)) => exemptions.0 |= bit,
            None => {
                let names = Exemptions::NAMES.map(|(n, _)| n);
                let valid = format!("valid: {}", names.join(" | "));
                let hint = match did_you_mean(e, names) {
                    Some(best) => format!("did you mean \"{best}\"? {valid}"),
                    None => valid,
                };
                cx.err(
                    line,
                    label,
                    "exemptions",
                    format!("unknown exemption \"{e}\""),
                    hint,
                )
            }
        }
    }
    if kind != ListKind::Registry && exemptions.0 != 0 {
        cx.err(
            line,
            label,
            "exemptions",
            "only a registry can be exempted by consent",
            "an opt-out beats every consent; remove `exemptions`",
        );
    }
    exemptions
}
